//! The scan of a whole file, whatever holds its pickles: [`scan_file`] opens the bytes
//! with [`crate::open`] (a checkpoint, a joblib file, an `.npy`, a compressed stream, any
//! zip) and scans every pickle in it, as the `scan` command does.

use super::policy::Policy;
use super::report::{FileScan, PickleScan};
use super::Mode;
use crate::container::{OpenError, Opened, Problem};
use crate::error::{Error, ErrorKind};
use crate::LoadOptions;

/// Opens `bytes` and scans every pickle they hold; a part that could not be opened (a
/// decompression bomb, an unsupported archive, bytes that are not a pickle) is never
/// clean.
/// ```
/// use picklegraph::scan::{scan_file, Verdict};
/// let dangerous = scan_file(b"cos\nsystem\n(S'ls'\ntR.", false);
/// assert_eq!(dangerous.verdict(), Verdict::Dangerous);
/// let text = scan_file(b"chat_template: x\n", false);
/// assert_eq!(text.verdict(), Verdict::NotAPickle);
/// assert_eq!(text.pickles[0].error.as_ref().unwrap().kind().to_string(), "not a pickle: text, starting \"chat_template: x\"");
/// ```
pub fn scan_file(bytes: &[u8], strict: bool) -> FileScan {
    scan_opened(&crate::open(bytes), &[], strict)
}

/// Scans every pickle of an opened file, each given the out-of-band `buffers`, with
/// [`LoadOptions::scanning`]; the scan goes on after a malformed pickle to the file's
/// other parts (a zip's next member), so nothing after it is missed.
pub fn scan_opened<'s>(opened: &'s Opened<'_>, buffers: &[&'s [u8]], strict: bool) -> FileScan {
    let mut pickles = Vec::new();
    let mut not_a_pickle = false;
    for (index, entry) in opened
        .pickles_with(&LoadOptions::scanning(), buffers)
        .enumerate()
    {
        let label = entry.label;
        pickles.push(match entry.result {
            Ok(pickle) => PickleScan::of_pickle(index, label, &pickle),
            Err(Problem::Malformed(failure)) => {
                let end = failure.error.offset() as usize;
                PickleScan::of_failure(index, label, *failure, end)
            }
            Err(Problem::Trailing {
                start,
                len,
                failure,
            }) => PickleScan {
                start,
                trailing: true,
                ..PickleScan::of_failure(index, label, *failure, start + len)
            },
            Err(Problem::Unopened(error)) => {
                let kind = match error {
                    OpenError::NotAPickle(what) => {
                        not_a_pickle = true;
                        ErrorKind::NotAPickle(what)
                    }
                    error => ErrorKind::Unopened(error.to_string()),
                };
                PickleScan {
                    index,
                    label,
                    start: 0,
                    end: 0,
                    protocol: 0,
                    findings: Vec::new(),
                    error: Some(Error::new(0, None, kind)),
                    trailing: false,
                }
            }
        });
    }
    let mut scan = FileScan {
        description: opened.description().map(str::to_string),
        pickles,
        mode: if strict {
            Mode::Strict
        } else {
            Mode::AllowList
        },
        other_readings: Vec::new(),
        notes: opened.notes(),
        policy: Policy::new(),
    };
    if opened.description().is_none() && !not_a_pickle {
        // A plain stream of pickles: CPython's unpicklers read it too. Bytes that are not
        // a pickle (container::sniff: no importable global, no call, and a first opcode
        // that fails or names a module no import can find) stop both unpicklers at the
        // same first opcode, so their readings add nothing that could run.
        scan.read_as_cpython(opened.bytes(), &LoadOptions::scanning());
    }
    scan
}
