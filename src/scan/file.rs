//! The scan of a whole file, whatever holds its pickles: [`scan_file`] opens the bytes
//! with [`crate::open`] (a checkpoint, a joblib file, an `.npy`, a compressed stream, any
//! zip) and scans every pickle in it, as the `scan` command does.

use super::policy::Policy;
use super::report::{FileScan, PickleScan};
use super::{Context, Mode};
use crate::container::{OpenError, Opened, Problem};
use crate::error::{Error, ErrorKind};
use crate::model::tar::SAVED_OBJECT;
use crate::model::Format;
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
    let options = LoadOptions::scanning();
    // The runs of pickles read on from their first byte, each with its pickles' indices.
    let mut parts: Vec<(&[u8], Option<String>, Vec<usize>)> = Vec::new();
    // A tar checkpoint's saved object is read with torch's persistent_load for that
    // format; the label is the file's own (a tar inside another container is no
    // checkpoint torch.load reads).
    let tar = crate::model::detect(opened.bytes()) == Format::TorchTar;
    for (index, entry) in opened.pickles_with(&options, buffers).enumerate() {
        if entry.read_on {
            let same = |part: &&mut (&[u8], Option<String>, Vec<usize>)| {
                std::ptr::eq(part.0, entry.stream)
            };
            match parts.iter_mut().find(same) {
                Some(part) => part.2.push(index),
                None => parts.push((entry.stream, entry.label.clone(), vec![index])),
            }
        }
        let label = entry.label;
        let context = match tar && label.as_deref() == Some(SAVED_OBJECT) {
            true => Context::TorchTarObject,
            false => Context::Pickle,
        };
        pickles.push(match entry.result {
            Ok(pickle) => PickleScan::of_pickle_in(index, label, &pickle, context),
            Err(Problem::Malformed(failure)) => {
                let end = failure.error.offset() as usize;
                let scan = PickleScan::of_failure(index, label, *failure, end);
                match text_read_as_a_pickle(entry.stream, &scan, &options) {
                    Some(what) => {
                        not_a_pickle = true;
                        PickleScan {
                            findings: Vec::new(),
                            error: Some(Error::new(0, None, ErrorKind::NotAPickle(what))),
                            ..scan
                        }
                    }
                    None => scan,
                }
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
                    stopped_inside_frame: false,
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
        // same first opcode, so their readings add nothing that could run; text_file's
        // rule has read them as both unpicklers do already.
        scan.read_as_cpython(opened.bytes(), &options);
    } else if opened.description().is_some() {
        // Pickles inside a container (a compressed stream, a zip member): each run is
        // read by `pickle.load` calls on the file object that holds it, so CPython's
        // unpicklers read it as they read a plain file.
        for (stream, label, indices) in &parts {
            scan.read_part_as_cpython(stream, indices, label.as_deref(), &options);
        }
    }
    scan
}

/// For the failed first pickle of a run of bytes, what the bytes are when they are text
/// (or another format) that only reads as a few opcodes ([`super::text_file`]).
fn text_read_as_a_pickle(
    stream: &[u8],
    scan: &PickleScan,
    options: &LoadOptions,
) -> Option<String> {
    if scan.start != 0 || scan.trailing {
        return None;
    }
    let error = scan.error.as_ref()?;
    super::text_file::not_a_pickle(stream, error, &scan.findings, options)
}
