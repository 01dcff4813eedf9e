//! Text that fails to load as a pickle: when a scan calls it "not a pickle" rather than a
//! malformed pickle.
//!
//! # The rule
//!
//! Most letters are pickle opcodes, so a README, a YAML or Markdown file, a CSV or a
//! license text reads as a few protocol 0 opcodes before it fails. [`crate::container`]
//! already calls bytes "not a pickle" when their very first opcode fails or names a
//! global no import could find. A scan, which can also read the bytes as each of
//! CPython's unpicklers does ([`super::readings`], [`super::lenient`]), says it of more:
//! a run of bytes whose first load fails is *not a pickle* when all of these hold:
//!
//! 1. it does not start with `PROTO` (every pickle of protocol 2 and later does);
//! 2. it looks like text (UTF-8 without control characters but tab, line feed, carriage
//!    return and form feed in its first 4 KiB), or starts with the magic of a known
//!    format that is no pickle (an image, a PDF, an HDF5 file, …);
//! 3. for text, the load does not fail by running into the end of the input within a few
//!    bytes (`Truncated`, 8 bytes or fewer missing): that is how a protocol 0 pickle cut
//!    short fails, and it stays a malformed pickle. Text whose first line is a `PERSID`
//!    (`PCA(n_components=2)`, `PosixPath('…')`: what a library printed) is the exception:
//!    both unpicklers refuse that first opcode on the spot unless the application gave a
//!    `persistent_load`, whatever follows, so where the text ends does not matter. An
//!    error that only a choice makes (a limit, an encoding) never makes bytes "not a
//!    pickle";
//! 4. nothing that picklegraph's reading, either unpickler's reading or the name-only
//!    reading past the error finds could run: every global (and every call or instance of
//!    one) names a module whose import finds nothing, its first part not an identifier
//!    (`hat_template: "{%`; `an` followed by `--------------` is a global
//!    `an.--------------`, whose module `an` could be imported, and `onfig.yaml: x`
//!    imports `onfig` first, so such files stay pickles), and the only other findings are
//!    persistent ids, which `pickle.load` refuses with no `persistent_load` (an
//!    application's own `persistent_load` receives a line of text). A call, an instance
//!    of an importable name, an extension code or a computed global keeps the bytes a
//!    pickle.
//!
//! Why this hides nothing that could run: both of CPython's unpicklers import a global's
//! module before they look up its name or call it, `importlib` imports a dotted name's
//! parents first, and it finds a module only by an identifier (or a file of that exact
//! name, blanks and colons included, already on `sys.path`, which only someone who can
//! already run code there could put). A truncated protocol 0 pickle that calls
//! (`cos\nsystem\n(S'ls'\ntR` cut short) names `os`, so it is never "not a pickle"; its
//! findings are reported as any pickle's.

use super::union::other_readings;
use super::{Finding, FindingKind};
use crate::container::sniff;
use crate::error::{Error, ErrorKind};
use crate::limits::LoadOptions;

/// What bytes `stream` are, when the failure of their first pickle (`error`, with the
/// `findings` read before it) shows they are not a pickle by the module's rule; `None`
/// when they are a (malformed) pickle.
pub(crate) fn not_a_pickle(
    stream: &[u8],
    error: &Error,
    findings: &[Finding],
    options: &LoadOptions,
) -> Option<String> {
    if matches!(stream.first(), None | Some(&0x80)) || !error.kind().is_not_a_pickle() {
        return None;
    }
    let what = sniff::describe(stream);
    let text = what.starts_with("text") || what.starts_with("JSON or other text");
    let known_format = !text && !what.starts_with("binary data") && what != "an empty file";
    if !text && !known_format {
        return None;
    }
    let cut_short = matches!(error.kind(), ErrorKind::Truncated { needed } if *needed <= 8);
    if text && cut_short && stream.first() != Some(&b'P') {
        return None;
    }
    if !findings.iter().all(cannot_run) {
        return None;
    }
    let others = other_readings(stream, findings, options, true);
    if !others.iter().flat_map(|o| &o.findings).all(cannot_run) {
        return None;
    }
    Some(format!(
        "{what}; read as a pickle it fails at byte {} ({}) having named nothing that could be imported",
        error.offset(),
        error.kind()
    ))
}

/// Whether neither of CPython's unpicklers could run anything for this finding of text
/// read as a pickle (see the module's rule).
fn cannot_run(finding: &Finding) -> bool {
    match finding.kind {
        FindingKind::Persistent => true,
        FindingKind::Extension => false,
        FindingKind::Global
        | FindingKind::Call
        | FindingKind::Instance
        | FindingKind::GlobalMutation => {
            let module = match &finding.spelled {
                Some((module, _)) => Some(module.as_str()),
                None => finding.module.as_deref(),
            };
            module.is_some_and(sniff::import_finds_nothing)
        }
    }
}
