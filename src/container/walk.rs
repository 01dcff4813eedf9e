//! The lazy walk through a file's parts: a stack of parts still to open, each turned into
//! pickle streams, or into more parts, when the iteration reaches it.

use std::collections::VecDeque;
use std::ops::Range;

use super::{codec, sniff, zip, Codec, OpenError, Opened, LABEL_SEPARATOR};
use crate::error::trailing_note;
use crate::graph::Pickle;
use crate::machine::Failure;
use crate::LoadOptions;

/// Where a part sits: its label, where its first byte is in the file (when it lies there
/// as it is), how deep in containers, and how to treat what is not a pickle.
#[derive(Debug, Clone)]
pub(crate) struct Place {
    pub label: Option<String>,
    pub origin: Option<u64>,
    pub depth: usize,
    /// A zip member: bytes that are neither a pickle nor a container are passed over.
    pub quiet: bool,
    /// Decompressed: its pickles are numbered (`gzip ▸ pickle 1`).
    pub numbered: bool,
}

impl Place {
    pub fn top() -> Place {
        Place {
            label: None,
            origin: Some(0),
            depth: 0,
            quiet: false,
            numbered: false,
        }
    }

    /// A part inside this one, named `name`.
    pub fn inside(&self, name: &str, origin: Option<u64>) -> Place {
        Place {
            label: Some(join(self.label.as_deref(), name)),
            origin,
            depth: self.depth + 1,
            quiet: self.quiet,
            numbered: false,
        }
    }
}

pub(crate) fn join(outer: Option<&str>, inner: &str) -> String {
    match outer {
        Some(outer) => format!("{outer}{LABEL_SEPARATOR}{inner}"),
        None => inner.to_string(),
    }
}

/// A part of a file still to open.
#[derive(Debug, Clone)]
pub(crate) enum Pending<'s> {
    /// Bytes to tell apart (a pickle stream, a container, neither).
    Bytes { place: Place, bytes: &'s [u8] },
    /// A compressed stream, decompressed when reached.
    Compressed {
        place: Place,
        codec: Codec,
        bytes: &'s [u8],
    },
    /// A zip member, read (inflated) when reached; `archive` is the zip's bytes.
    Member {
        place: Place,
        archive: &'s [u8],
        member: zip::Member,
    },
    /// A zip's members are all read: if none held a pickle or data, the zip is not a pickle.
    ZipEnd {
        place: Place,
        found_before: usize,
        members: usize,
    },
    /// A run of pickles.
    Ready(Stream<'s>),
    /// Data that holds no pickle (an `.npy` of numbers): found, nothing to yield.
    Data,
    /// A part that could not be opened.
    Failed(Unopened),
}

/// A run of pickle bytes: one pickle at `start` when `single`, else every pickle from
/// `start` to the end of `bytes`, as repeated `pickle.load` calls on one file read them.
#[derive(Debug, Clone)]
pub struct Stream<'s> {
    /// Where it is (`archive/data.pkl`, `gzip`); `None` for a plain pickle file.
    pub label: Option<String>,
    /// The bytes that hold it: the file, or a decompressed part.
    pub bytes: &'s [u8],
    /// Where its first pickle starts in `bytes`.
    pub start: usize,
    /// Only the one pickle at `start` (a legacy checkpoint's, an `.npy` object array's).
    pub single: bool,
    /// Where `bytes[0]` is in the file, when the bytes lie there as they are.
    pub origin: Option<u64>,
    pub(crate) numbered: bool,
    /// Whether the first byte is an opcode but no `PROTO`, so a failed first load may
    /// show the bytes are text (see [`sniff`]).
    pub(crate) tentative: bool,
}

/// A part of a file that could not be opened, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{error}", label.as_ref().map(|l| format!("{l}: ")).unwrap_or_default())]
pub struct Unopened {
    /// Where the part is, as a label (`None` for the file itself).
    pub label: Option<String>,
    /// Why it could not be opened.
    pub error: OpenError,
}

/// The iterator [`Opened::streams`] returns.
pub struct Streams<'s, 'a> {
    opened: &'s Opened<'a>,
    stack: Vec<Pending<'s>>,
    /// Streams and data parts found so far (for [`Pending::ZipEnd`]).
    found: usize,
    /// Whether a tentative stream is loaded once to decide whether it is a pickle.
    resolve: bool,
}

impl<'s, 'a> Streams<'s, 'a> {
    pub(crate) fn new(opened: &'s Opened<'a>, resolve: bool) -> Streams<'s, 'a> {
        let mut streams = Streams {
            opened,
            stack: Vec::new(),
            found: 0,
            resolve,
        };
        streams.push_all(opened.top.clone());
        streams
    }

    fn push_all(&mut self, parts: Vec<Pending<'s>>) {
        let found = self.found;
        self.stack.extend(parts.into_iter().rev().map(|mut part| {
            if let Pending::ZipEnd { found_before, .. } = &mut part {
                *found_before = found;
            }
            part
        }));
    }
}

impl<'s> Iterator for Streams<'s, '_> {
    type Item = Result<Stream<'s>, Unopened>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.stack.pop()? {
                Pending::Ready(stream) => {
                    if self.resolve
                        && stream.tentative
                        && !is_pickle(&stream, &self.opened.options.load)
                    {
                        return Some(Err(not_a_pickle(&stream)));
                    }
                    self.found += 1;
                    return Some(Ok(stream));
                }
                Pending::Failed(unopened) => return Some(Err(unopened)),
                Pending::Data => self.found += 1,
                Pending::Bytes { place, bytes } => {
                    let (_, parts) = self.opened.classify(bytes, place);
                    self.push_all(parts);
                }
                Pending::Compressed {
                    place,
                    codec,
                    bytes,
                } => match codec::decompress(codec, bytes, &self.opened.budget) {
                    Ok(inflated) => {
                        let inflated: &'s [u8] = self.opened.parts.alloc(inflated);
                        let place = Place {
                            numbered: true,
                            origin: None,
                            ..place
                        };
                        self.stack.push(Pending::Bytes {
                            place,
                            bytes: inflated,
                        });
                    }
                    Err(error) => {
                        return Some(Err(Unopened {
                            label: place.label,
                            error,
                        }))
                    }
                },
                Pending::Member {
                    place,
                    archive,
                    member,
                } => match self.member(&place, archive, &member) {
                    Ok(bytes) => self.stack.push(Pending::Bytes { place, bytes }),
                    Err(error) => {
                        return Some(Err(Unopened {
                            label: place.label,
                            error,
                        }))
                    }
                },
                Pending::ZipEnd {
                    place,
                    found_before,
                    members,
                } => {
                    if self.found == found_before && !place.quiet {
                        return Some(Err(Unopened {
                            label: place.label,
                            error: OpenError::NotAPickle(format!(
                                "a zip archive of {members} member{}, none a pickle or a container of one",
                                if members == 1 { "" } else { "s" }
                            )),
                        }));
                    }
                }
            }
        }
    }
}

impl<'s> Streams<'s, '_> {
    /// A zip member's bytes: borrowed when stored, inflated when deflated.
    fn member(
        &mut self,
        place: &Place,
        archive: &'s [u8],
        member: &zip::Member,
    ) -> Result<&'s [u8], OpenError> {
        if member.encrypted {
            return Err(OpenError::Unsupported(
                "an encrypted zip member".to_string(),
            ));
        }
        let start = usize::try_from(member.data.start).unwrap_or(usize::MAX);
        let end = usize::try_from(member.data.end).unwrap_or(usize::MAX);
        let raw = archive.get(start..end).ok_or_else(|| OpenError::Corrupt {
            what: "zip",
            detail: format!("member {:?} runs past the end of the archive", member.name),
        })?;
        let content: &'s [u8] = match member.method {
            0 => raw,
            8 => {
                let inflated = codec::decompress(Codec::Deflate, raw, &self.opened.budget)?;
                self.opened.parts.alloc(inflated)
            }
            method => {
                return Err(OpenError::Unsupported(format!(
                    "zip compression method {method} (PyTorch and numpy read stored and deflated members)"
                )))
            }
        };
        // A storage of gigabytes is not read through for its CRC; a pickle is small.
        let checked = member.method == 8 || content.len() <= 64 << 20;
        if checked && zip::crc32(content) != member.crc32 {
            self.opened.note(format!(
                "{}: its CRC-32 is not the directory's {:#010x}; read all the same, as PyTorch's reader does",
                place.label.as_deref().unwrap_or(&member.name),
                member.crc32
            ));
        }
        Ok(content)
    }
}

fn is_pickle(stream: &Stream<'_>, options: &LoadOptions) -> bool {
    match crate::load_at(stream.bytes, stream.start, options) {
        Ok(_) => true,
        Err(failure) => !sniff::failure_is_not_a_pickle(stream.bytes, stream.start, &failure),
    }
}

fn not_a_pickle(stream: &Stream<'_>) -> Unopened {
    Unopened {
        label: stream.label.clone(),
        error: OpenError::NotAPickle(sniff::describe(&stream.bytes[stream.start..])),
    }
}

/// One pickle of a file, or a part that could not be opened.
#[derive(Debug)]
pub struct Entry<'s> {
    /// Where it is (`archive/data.pkl`, `gzip ▸ pickle 1`); `None` for the pickles of
    /// a plain pickle file.
    pub label: Option<String>,
    /// Its bytes in the file, when it lies there as it is (not compressed).
    pub range: Option<Range<u64>>,
    /// The bytes of the run of pickles it was read from (the file, or a decompressed part
    /// or a zip member): its span and its error's offset count from their first byte, so a
    /// scan can read them again as CPython's unpicklers would. Empty for a part that could
    /// not be opened.
    pub stream: &'s [u8],
    /// Whether `stream` is read by repeated `pickle.load` calls from its first byte (a
    /// plain or decompressed file, a zip member), so that what follows a pickle's `STOP`
    /// is the next pickle; false for a pickle read alone at its place (an `.npy` object
    /// array, a legacy checkpoint's parts, a joblib array's objects) and a part that could
    /// not be opened.
    pub read_on: bool,
    /// The pickle, or why it could not be had.
    pub result: Result<Pickle<'s>, Problem<'s>>,
}

/// Why an [`Entry`] holds no pickle.
#[derive(Debug, thiserror::Error)]
pub enum Problem<'s> {
    /// A pickle that does not load whole: the error, and what it had rebuilt.
    #[error("{}", .0.error)]
    Malformed(Box<Failure<'s>>),
    /// A part of the file that could not be opened.
    #[error("{0}")]
    Unopened(OpenError),
    /// Bytes after the last `STOP` of a run of pickles that do not form a pickle:
    /// `pickle.loads` stops at the `STOP` before them and ignores them, so they are a
    /// note, not a malformed pickle. They are the rest of the run, from the first byte
    /// after the last pickle that loaded, and loading them as a pickle fails with an
    /// error that says they are none ([`ErrorKind::is_not_a_pickle`]): that includes a
    /// pickle cut short, which a loop of `pickle.load` calls on the file would raise on.
    /// An error that only a choice makes (a limit, a string the encoding cannot decode, a
    /// missing buffer) is [`Problem::Malformed`], as the bytes are a pickle.
    ///
    /// `failure` keeps what loading them built up to the error: a loop of `pickle.load`
    /// calls would run those opcodes, so the scan reports what they import and call.
    ///
    /// [`ErrorKind::is_not_a_pickle`]: crate::ErrorKind::is_not_a_pickle
    #[error("{} (bytes {start}..{}; read as a pickle: {})", trailing_note(*.len), start + len, .failure.error)]
    Trailing {
        /// Where they start in the run's bytes (the file's, for a plain pickle file).
        start: usize,
        /// How many there are.
        len: usize,
        /// The error that reading them as a pickle ends at, and what it built.
        failure: Box<Failure<'s>>,
    },
}

/// The iterator [`Opened::pickles`] returns.
pub struct Pickles<'s, 'a> {
    streams: Streams<'s, 'a>,
    options: LoadOptions,
    buffers: Vec<&'s [u8]>,
    current: Option<Current<'s>>,
    /// The pickles of the last joblib pickle's object arrays, still to yield.
    nested: VecDeque<(Pickle<'s>, Option<u64>, &'s [u8])>,
}

struct Current<'s> {
    stream: Stream<'s>,
    position: usize,
    count: usize,
}

impl<'s, 'a> Pickles<'s, 'a> {
    pub(crate) fn new(
        streams: Streams<'s, 'a>,
        options: LoadOptions,
        buffers: Vec<&'s [u8]>,
    ) -> Pickles<'s, 'a> {
        Pickles {
            streams,
            options,
            buffers,
            current: None,
            nested: VecDeque::new(),
        }
    }

    fn label(stream: &Stream<'_>, count: usize) -> Option<String> {
        let label = stream.label.as_deref()?;
        Some(if stream.numbered || count > 1 {
            format!("{label}{LABEL_SEPARATOR}pickle {count}")
        } else {
            label.to_string()
        })
    }
}

fn range(origin: Option<u64>, start: usize, end: usize) -> Option<Range<u64>> {
    origin.map(|o| o + start as u64..o + end as u64)
}

impl<'s> Iterator for Pickles<'s, '_> {
    type Item = Entry<'s>;

    fn next(&mut self) -> Option<Entry<'s>> {
        if let Some((pickle, origin, stream)) = self.nested.pop_front() {
            let (start, end) = pickle.span();
            let what = format!(
                "joblib: the array of objects that follows its NumpyArrayWrapper, a pickle of its own at byte {start}"
            );
            let label = self
                .current
                .as_ref()
                .and_then(|c| c.stream.label.as_deref());
            return Some(Entry {
                label: Some(join(label, &what)),
                range: range(origin, start, end),
                stream,
                read_on: false,
                result: Ok(pickle),
            });
        }
        loop {
            let current = match &mut self.current {
                Some(current) => current,
                None => match self.streams.next()? {
                    Ok(stream) => self.current.insert(Current {
                        position: stream.start,
                        stream,
                        count: 0,
                    }),
                    Err(unopened) => {
                        return Some(Entry {
                            label: unopened.label,
                            range: None,
                            stream: &[],
                            read_on: false,
                            result: Err(Problem::Unopened(unopened.error)),
                        })
                    }
                },
            };
            let stream = &current.stream;
            let bytes = stream.bytes;
            let done = current.count > 0 && (stream.single || current.position >= bytes.len());
            if done {
                self.current = None;
                continue;
            }
            current.count += 1;
            let label = Self::label(stream, current.count);
            let origin = stream.origin;
            let read_on = !stream.single && stream.start == 0;
            let loaded = crate::model::joblib::load_with_buffers(
                bytes,
                current.position,
                &self.options,
                &self.buffers,
            );
            return Some(match loaded {
                Ok(joblib) => {
                    current.position = joblib.end();
                    let (start, end) = joblib.pickle.span();
                    self.nested
                        .extend(joblib.nested.into_iter().map(|p| (p, origin, bytes)));
                    Entry {
                        label,
                        range: range(origin, start, end),
                        stream: bytes,
                        read_on,
                        result: Ok(joblib.pickle),
                    }
                }
                Err(failure) if current.count > 1 && failure.error.kind().is_not_a_pickle() => {
                    let start = current.position;
                    let entry = Entry {
                        label: stream.label.clone(),
                        range: range(origin, start, bytes.len()),
                        stream: bytes,
                        read_on,
                        result: Err(Problem::Trailing {
                            start,
                            len: bytes.len() - start,
                            failure,
                        }),
                    };
                    self.current = None;
                    entry
                }
                Err(failure) => {
                    let first = current.count == 1;
                    let tentative = stream.tentative;
                    let start = current.position;
                    let unopened = (first
                        && tentative
                        && sniff::failure_is_not_a_pickle(bytes, start, &failure))
                    .then(|| not_a_pickle(stream));
                    self.current = None;
                    match unopened {
                        Some(unopened) => Entry {
                            label: unopened.label,
                            range: None,
                            stream: &[],
                            read_on: false,
                            result: Err(Problem::Unopened(unopened.error)),
                        },
                        None => Entry {
                            label,
                            range: range(origin, start, failure.error.offset() as usize),
                            stream: bytes,
                            read_on,
                            result: Err(Problem::Malformed(failure)),
                        },
                    }
                }
            });
        }
    }
}
