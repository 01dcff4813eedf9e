//! A pickle inside a pickle: `torch.storage._load_from_bytes(b'…')`, which `pickle.dumps`
//! of a tensor, a parameter or a state dict writes for each storage. torch calls
//! `torch.load(io.BytesIO(b), weights_only=False)` on the bytes, so whatever they hold runs
//! with torch's full unpickler: the call is as safe as its content, and the content is in
//! the pickle as a constant. The scan opens it with [`crate::open`] (a legacy checkpoint of
//! five pickles, as torch writes it, or anything else `open` reads) and judges the call by
//! what that scan finds, so a tensor pickled with `pickle.dumps` is not a false alarm and a
//! payload hidden in the bytes is still found.

use std::cell::Cell;

use super::file::scan_file;
use super::Class;

/// How deep nested pickles are opened; the bytes of each level lie inside the one above,
/// so the work is bounded by the input, and the depth bounds the recursion.
const MAX_DEPTH: usize = 4;

/// How many of the nested scan's findings that are not safe a reason names.
const NAMED_FINDINGS: usize = 3;

thread_local! {
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// Restores the depth when a nested scan ends, however it ends.
struct Level;

impl Level {
    fn enter() -> Option<Level> {
        let depth = DEPTH.with(Cell::get);
        (depth < MAX_DEPTH).then(|| {
            DEPTH.with(|d| d.set(depth + 1));
            Level
        })
    }
}

impl Drop for Level {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get() - 1));
    }
}

/// The class of a call that loads `bytes` as a nested checkpoint, and the reason: the
/// worst of the nested scan's findings (any finding that is not safe makes the call at
/// least unknown, so every mode judges it at least as strictly as the outer file), and at
/// least unknown when the bytes do not open or a nested pickle is malformed.
pub(super) fn judge(bytes: &[u8]) -> (Class, String) {
    let Some(_level) = Level::enter() else {
        return (
            Class::Unknown,
            format!("loads a nested pickle given as bytes, nested more than {MAX_DEPTH} deep: not opened"),
        );
    };
    let scan = scan_file(bytes, false);
    let what = scan
        .description
        .clone()
        .unwrap_or_else(|| "pickle".to_string());
    let lead = format!(
        "torch.load runs the {} bytes it is given, a nested {what}",
        bytes.len()
    );
    let malformed = scan.pickles.iter().find_map(|p| p.error.as_ref());
    let unsafe_findings: Vec<_> = scan.findings().filter(|f| f.class != Class::Safe).collect();
    let worst = unsafe_findings
        .iter()
        .map(|f| f.class)
        .max()
        .unwrap_or(Class::Safe);
    if unsafe_findings.is_empty() {
        if let Some(error) = malformed {
            return (
                Class::Unknown,
                format!("{lead} that does not load: {error}"),
            );
        }
        let count = scan.findings().count();
        return (
            Class::Safe,
            format!("{lead}; all {count} of its names and calls are on the allow list"),
        );
    }
    let named: Vec<String> = unsafe_findings
        .iter()
        .take(NAMED_FINDINGS)
        .map(|f| format!("{} ({}: {})", f.text, f.class.name(), f.reason))
        .collect();
    let more = unsafe_findings.len().saturating_sub(NAMED_FINDINGS);
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    (
        worst,
        format!("{lead}, which holds {}{more}", named.join("; ")),
    )
}
