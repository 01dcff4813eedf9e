//! What bytes that are no container picklegraph opens look like, and the rule that tells a
//! pickle from a file that only starts with a byte that is an opcode.
//!
//! # The rule
//!
//! Many text files start with a letter that is a pickle opcode: a YAML file
//! `chat_template: …` starts with `c`, `GLOBAL`. Such a file is *not a pickle* when
//! loading it as one fails in a way that shows nothing would have run:
//!
//! - it does not start with `PROTO` (every pickle of protocol 2 and later does);
//! - before the error, it named no global whose module Python could import (a module
//!   whose first part is not an identifier, `hat_template: {{ …`, imports nothing; `os.x y`
//!   imports `os` before it fails), and made no call, instance or persistent id;
//! - it named such an unimportable global, or its very first opcode fails for want of a
//!   mark, stack items or memo, or has no valid argument (`ls` is `LIST` without a mark), or is
//!   a `GLOBAL`/`INST` of text that ends before its second line. A pickle that fails further on having named nothing
//!   (a truncated protocol 0 pickle, a stack underflow) is a malformed pickle, and says so;
//! - a first `GLOBAL` or `INST` does not name an importable module as `pickle._Unpickler`
//!   reads it: that one imports the module of a one-line `ccsv\n` (name `''`) and of an
//!   `INST` with no mark, where the C unpickler stops first.
//!
//! Both of CPython's unpicklers, given the same bytes, raise before they import or call
//! anything, so calling the file "not a pickle" hides nothing a scan must report. Anything
//! else whose first byte is an opcode is read as a pickle, malformed or not.

use crate::graph::{InertKind, Node, Pickle};
use crate::machine::Failure;
use crate::opcode::Opcode;
use crate::ErrorKind;

/// Whether the first byte could start a pickle.
pub fn starts_like_pickle(bytes: &[u8]) -> bool {
    bytes
        .first()
        .is_some_and(|&b| Opcode::from_byte(b).is_some())
}

/// Whether a failed first load shows the bytes are no pickle (see the module's rule).
pub fn failure_is_not_a_pickle(bytes: &[u8], start: usize, failure: &Failure<'_>) -> bool {
    if bytes.get(start) == Some(&0x80) {
        return false;
    }
    // A PNG's signature reads as NEWFALSE, PERSID 'NG\r', then 0x1a, which is no opcode:
    // every unpickler stops there, whatever the image holds, having at most handed the
    // three letters to an application's persistent_load.
    if bytes
        .get(start..)
        .is_some_and(|b| b.starts_with(b"\x89PNG\r\n\x1a\n"))
    {
        return true;
    }
    if first_global_imports(bytes, start) {
        return false;
    }
    let names = named_globals(&failure.partial);
    let Some(unimportable) = names else {
        return false;
    };
    // Text names a "global" no import could find, or fails at its first byte; a pickle
    // that fails further on, having named nothing, is a malformed pickle.
    let structural = matches!(
        failure.error.kind(),
        ErrorKind::StackUnderflow
            | ErrorKind::MissingMark
            | ErrorKind::MissingMemo(_)
            | ErrorKind::NegativePut
            | ErrorKind::UnknownOpcode(_)
            | ErrorKind::MalformedText { .. }
    );
    let at_first = failure.error.offset() == start as u64;
    // `GLOBAL`/`INST` read two lines before they import: text of one line ends first in
    // the C unpickler (`first_global_imports` has ruled out pickle.py's import).
    let one_line_global = matches!(failure.error.kind(), ErrorKind::Truncated { .. })
        && matches!(bytes.get(start), Some(b'c' | b'i'))
        && describe(&bytes[start..]).starts_with("text");
    unimportable > 0 || (at_first && (structural || one_line_global))
}

/// Whether bytes that start with `GLOBAL` or `INST` make `pickle._Unpickler` import a
/// module before it fails. pickle.py reads both lines whatever they hold (a missing line
/// reads as `''`, a last line without its newline loses its last character) and calls
/// `find_class` before an `INST` looks for its mark, so one line of text (`ccsv\n`), or
/// an `INST` with no mark (`ios\nsystem\n`), imports its module there, where the machine
/// and the C unpickler stop first.
fn first_global_imports(bytes: &[u8], start: usize) -> bool {
    if !matches!(bytes.get(start), Some(b'c' | b'i')) {
        return false;
    }
    let rest = &bytes[start + 1..];
    let module = match rest.iter().position(|&b| b == b'\n') {
        Some(end) => &rest[..end],
        None => &rest[..rest.len().saturating_sub(1)],
    };
    !import_finds_nothing(&String::from_utf8_lossy(module))
}

/// How many globals the pickle names, when none could be imported and nothing is called,
/// instantiated or looked up by persistent id; `None` otherwise.
fn named_globals(pickle: &Pickle<'_>) -> Option<usize> {
    let mut globals = 0;
    for node in pickle.nodes() {
        if let Node::Inert(inert) = node {
            let InertKind::Global { module, .. } = &inert.kind else {
                return None;
            };
            // A STACK_GLOBAL of operands that are not strs is refused before any import.
            if pickle
                .as_str(*module)
                .is_some_and(|m| !import_finds_nothing(m))
            {
                return None;
            }
            globals += 1;
        }
    }
    Some(globals)
}

/// Whether `__import__(module)`, as both of CPython's unpicklers call it, fails before it
/// imports anything. importlib imports a dotted name's parents first (`wave.x y` runs
/// `wave` before it fails), and looks a top-level `.name` up by its last part (`.os`
/// runs `os`), so what decides is the first part, after one leading dot: no finder finds
/// a part that is not an identifier (`lass Foo:`, `hat_template: "{%`, an empty one)
/// unless a file of that exact name, blanks and colons included, sits on `sys.path`,
/// which only someone who can already run code there could put. A character outside
/// ASCII may belong to an identifier, so only ASCII ones rule a part out: the name it
/// reads, not the global's name, since the import comes first.
pub(crate) fn import_finds_nothing(module: &str) -> bool {
    let top = module.strip_prefix('.').unwrap_or(module);
    let first = top.split('.').next().unwrap_or_default();
    match first.chars().next() {
        None => true,
        Some(c) if c.is_ascii_digit() => true,
        Some(_) => first
            .chars()
            .any(|c| c.is_ascii() && !c.is_ascii_alphanumeric() && c != '_'),
    }
}

/// What bytes that are not a pickle look like: `text`, `a safetensors file`, ….
pub fn describe(bytes: &[u8]) -> String {
    const MAGICS: &[(&[u8], &str)] = &[
        (b"\x89HDF\r\n\x1a\n", "an HDF5 file (Keras .h5?)"),
        (b"GGUF", "a GGUF model file"),
        (b"\x89PNG", "a PNG image"),
        (b"GIF87a", "a GIF image"),
        (b"GIF89a", "a GIF image"),
        (b"Xcur", "an X11 cursor"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"%PDF", "a PDF document"),
        (b"\x7fELF", "an ELF executable"),
        (b"7z\xbc\xaf\x27\x1c", "a 7z archive"),
        (
            b"\x28\xb5\x2f\xfd",
            "a zstd stream, which picklegraph does not decompress",
        ),
        (b"PAR1", "a Parquet file"),
        (b"ARROW1", "an Arrow file"),
    ];
    if bytes.is_empty() {
        return "an empty file".to_string();
    }
    if let Some((_, what)) = MAGICS.iter().find(|(magic, _)| bytes.starts_with(magic)) {
        return (*what).to_string();
    }
    if is_safetensors(bytes) {
        return "a safetensors file".to_string();
    }
    let head = &bytes[..bytes.len().min(4096)];
    let text = match std::str::from_utf8(head) {
        Ok(text) => Some(text),
        // A multi-byte character cut at the end of the window.
        Err(e) if e.valid_up_to() + 4 > head.len() => {
            std::str::from_utf8(&head[..e.valid_up_to()]).ok()
        }
        Err(_) => None,
    };
    match text.filter(|t| {
        t.chars()
            .all(|c| !c.is_control() || "\t\n\r\x0c".contains(c))
    }) {
        Some(text) => {
            let first: String = text.lines().next().unwrap_or("").chars().take(40).collect();
            let kind = if text.trim_start().starts_with(['{', '[']) {
                "JSON or other text"
            } else {
                "text"
            };
            format!("{kind}, starting {first:?}")
        }
        None => format!(
            "binary data, starting {}",
            bytes
                .iter()
                .take(8)
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    }
}

/// A safetensors file: an 8-byte little-endian header length, then a JSON object.
fn is_safetensors(bytes: &[u8]) -> bool {
    let Some(len) = bytes.get(..8) else {
        return false;
    };
    let len = u64::from_le_bytes(len.try_into().unwrap_or_default());
    len >= 2 && len <= (bytes.len() as u64).saturating_sub(8) && bytes.get(8..10) == Some(b"{\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn not_a_pickle(bytes: &[u8]) -> bool {
        let failure = crate::load_at(bytes, 0, &Default::default()).unwrap_err();
        failure_is_not_a_pickle(bytes, 0, &failure)
    }

    #[test]
    fn text_that_starts_with_an_opcode_is_told_from_a_pickle() {
        assert!(not_a_pickle(
            b"chat_template: \"{% for m in messages %}\"\nmodel: x\n"
        ));
        assert!(not_a_pickle(b"ls -la\n"));
        assert!(not_a_pickle(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"));
        // Names that could be imported, a truncated pickle, a protocol 2 header: pickles.
        assert!(!not_a_pickle(b"cos\nsystem\n\xff"));
        assert!(!not_a_pickle(b"(lp0\nI1\na"));
        assert!(!not_a_pickle(b"(K\x01K\x02l\x94R"));
        assert!(!not_a_pickle(b"\x80\x02\xff"));
        // Imports CPython makes before it fails: a parent module, a module whose global's
        // name is no identifier, pickle.py's one-line GLOBAL and its INST without a mark.
        assert!(!not_a_pickle(b"cwave.x y\nfoo\n"));
        assert!(!not_a_pickle(b"ccolorsys\nnot a name\n"));
        assert!(!not_a_pickle(b"ccsv\n"));
        assert!(!not_a_pickle(b"ios\nsystem\n"));
        assert!(not_a_pickle(b"ilass Foo:\n"));
        assert!(not_a_pickle(b"class Foo:\n    pass\n"));
    }

    #[test]
    fn an_import_finds_nothing_only_when_its_first_part_is_no_identifier() {
        for module in [
            "lass Foo:",
            "",
            "..os",
            "1abc.os",
            "hat_template: x",
            "os\r",
        ] {
            assert!(import_finds_nothing(module), "{module:?}");
        }
        for module in [
            "os",
            "os.x y",
            "os.",
            ".os",
            ".os.x y",
            "café",
            "_private.x",
        ] {
            assert!(!import_finds_nothing(module), "{module:?}");
        }
    }

    #[test]
    fn descriptions_say_what_the_bytes_look_like() {
        assert_eq!(describe(b""), "an empty file");
        assert_eq!(
            describe(b"hello: world\n"),
            "text, starting \"hello: world\""
        );
        let mut safetensors = 4u64.to_le_bytes().to_vec();
        safetensors.extend(b"{\"a\"}");
        assert_eq!(describe(&safetensors), "a safetensors file");
        assert_eq!(describe(b"\x00\x01"), "binary data, starting 00 01");
    }
}
