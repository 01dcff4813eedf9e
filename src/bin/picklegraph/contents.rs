//! What an input holds for the views: its pickles, found inside model files.
//!
//! A plain file is its pickles one after another; a joblib file is read as joblib
//! reads it (each array's bytes passed over, an object array's own pickle shown after
//! the one that holds it); a PyTorch zip checkpoint is its `data.pkl` (and any other
//! pickle record); a legacy checkpoint is its five pickles, not the storages after
//! them. `--buffer FILE` gives each pickle its out-of-band buffers.

use std::borrow::Cow;
use std::io::Write;

use picklegraph::model::{self, archive::TorchZip, legacy::TorchLegacy, Format};
use picklegraph::python::torch::{human_size, thousands};
use picklegraph::{Failure, LoadOptions, Pickle};

use crate::input::{self, Input};
use crate::{Files, EXIT_MALFORMED, EXIT_USAGE};

/// The out-of-band buffers named by `--buffer`, read once for every input.
pub struct Buffers {
    files: Vec<input::Input>,
}

impl Buffers {
    /// Reads every `--buffer FILE`.
    ///
    /// # Errors
    /// The exit status after reporting a file that cannot be read.
    pub fn read(files: &Files) -> Result<Buffers, u8> {
        let files = files
            .buffers
            .iter()
            .map(|path| {
                input::open(path).map_err(|err| {
                    eprintln!("picklegraph: {path}: {err}");
                    EXIT_USAGE
                })
            })
            .collect::<Result<Vec<_>, u8>>()?;
        Ok(Buffers { files })
    }

    fn slices(&self) -> Vec<&[u8]> {
        self.files.iter().map(|file| &file.bytes[..]).collect()
    }
}

/// A run of pickles inside an input.
struct Part<'a> {
    label: Option<String>,
    bytes: Cow<'a, [u8]>,
    start: usize,
    /// Only the one pickle at `start` (a legacy checkpoint's), not a stream to the end.
    single: bool,
}

/// The pickles of one input, and what holds them.
pub struct Contents<'a> {
    /// A line saying what the file is, for a model file (`PyTorch zip checkpoint: …`).
    pub description: Option<String>,
    parts: Vec<Part<'a>>,
}

/// Finds the pickles of an input; a file picklegraph cannot open (a compressed joblib
/// file, a non-PyTorch zip) is reported on stderr and gives an exit status instead.
pub fn open<'a>(input: &'a Input, out: &mut dyn Write) -> Result<Contents<'a>, u8> {
    let bytes: &'a [u8] = &input.bytes;
    let fail = |message: String, out: &mut dyn Write| {
        let _ = out.flush();
        eprintln!("{}: {message}", input.name);
        EXIT_MALFORMED
    };
    match model::detect(bytes) {
        Format::Pickle => Ok(Contents {
            description: None,
            parts: vec![Part {
                label: None,
                bytes: Cow::Borrowed(bytes),
                start: 0,
                single: false,
            }],
        }),
        Format::Zip => TorchZip::open(bytes)
            .map(zip_contents)
            .map_err(|e| fail(e.to_string(), out)),
        Format::TorchLegacy => legacy_contents(bytes).map_err(|e| fail(e, out)),
        Format::TorchTar => Err(fail(
            "a PyTorch checkpoint in the tar format of PyTorch < 0.4, which picklegraph does not read".to_string(),
            out,
        )),
        Format::Compressed(how) => Err(fail(
            format!("compressed with {how} (a compressed joblib file?): decompress it first"),
            out,
        )),
    }
}

fn zip_contents(zip: TorchZip<'_>) -> Contents<'_> {
    let (storages, bytes) = zip.storage_records();
    let mut description = format!(
        "PyTorch zip checkpoint: {}data.pkl, {} storage record{} ({})",
        zip.prefix(),
        thousands(storages as u64),
        if storages == 1 { "" } else { "s" },
        human_size(bytes)
    );
    if let Some(order) = zip.byteorder() {
        description.push_str(&format!(", byteorder {order}"));
    }
    if let Some(version) = zip.version() {
        description.push_str(&format!(", version {version}"));
    }
    let several = zip.pickles().len() > 1;
    let parts = zip
        .pickles()
        .iter()
        .map(|(name, bytes)| Part {
            label: several.then(|| name.to_string()),
            bytes: bytes.clone(),
            start: 0,
            single: false,
        })
        .collect();
    Contents {
        description: Some(description),
        parts,
    }
}

fn legacy_contents(bytes: &[u8]) -> Result<Contents<'_>, String> {
    let legacy = TorchLegacy::open(bytes).map_err(|e| e.to_string())?;
    let main = picklegraph::load_at(bytes, legacy.main_start(), &LoadOptions::default())
        .map_err(|failure| failure.error.to_string())?;
    let storages = legacy.storages(bytes, &main).map_err(|e| e.to_string())?;
    let total: u64 = storages
        .storages
        .values()
        .map(|s| s.data.end - s.data.start)
        .sum();
    let count = storages.storages.len();
    let description = format!(
        "PyTorch legacy checkpoint: 5 pickles, then {count} storage{} ({}) in bytes {}..{} of {}",
        if count == 1 { "" } else { "s" },
        human_size(total),
        storages.keys.1,
        storages.end,
        bytes.len()
    );
    let labels = [
        "magic number",
        "protocol version",
        "sys_info",
        "saved object",
        "storage keys",
    ];
    let starts = legacy.head().map(|(start, _)| start);
    let starts = starts
        .into_iter()
        .chain([legacy.main_start(), storages.keys.0]);
    let parts = labels
        .iter()
        .zip(starts)
        .map(|(label, start)| Part {
            label: Some(label.to_string()),
            bytes: Cow::Borrowed(bytes),
            start,
            single: true,
        })
        .collect();
    Ok(Contents {
        description: Some(description),
        parts,
    })
}

/// The bytes of one run of pickles inside a model file, for `dis`, which reads opcodes
/// rather than objects.
pub struct RawPart<'s> {
    /// What the run is (`# data.pkl`, `# storage keys`), when the file holds several.
    pub label: Option<&'s str>,
    /// The bytes that hold the run (the whole file, or an inflated zip record).
    pub bytes: &'s [u8],
    /// Where the run starts in `bytes`.
    pub start: usize,
    /// Only the one pickle at `start`, not a stream to the end.
    pub single: bool,
}

impl<'a> Contents<'a> {
    /// The runs of pickle bytes, in order.
    pub fn raw_parts(&self) -> impl Iterator<Item = RawPart<'_>> {
        self.parts.iter().map(|part| RawPart {
            label: part.label.as_deref(),
            bytes: &part.bytes,
            start: part.start,
            single: part.single,
        })
    }
}

/// One pickle of an input, with the label of the part it starts, if any.
pub type Loaded<'s> = (Option<Cow<'s, str>>, Result<Pickle<'s>, Box<Failure<'s>>>);

impl<'a> Contents<'a> {
    /// Every pickle of the input in order, each given the out-of-band buffers, loaded
    /// one at a time; ends after the first error.
    pub fn pickles<'s>(&'s self, buffers: &'s Buffers) -> Pickles<'s, 'a> {
        self.pickles_with(buffers, LoadOptions::default())
    }

    /// [`Contents::pickles`] with other load options (`scan` reads with
    /// `LoadOptions::scanning()`).
    pub fn pickles_with<'s>(
        &'s self,
        buffers: &'s Buffers,
        options: LoadOptions,
    ) -> Pickles<'s, 'a> {
        Pickles {
            contents: self,
            buffers: buffers.slices(),
            options,
            part: 0,
            position: None,
            nested: std::collections::VecDeque::new(),
            failed: false,
        }
    }
}

/// The iterator [`Contents::pickles`] returns.
pub struct Pickles<'s, 'a> {
    contents: &'s Contents<'a>,
    buffers: Vec<&'s [u8]>,
    options: LoadOptions,
    part: usize,
    /// Where the next pickle of the current part starts; `None` before its first.
    position: Option<usize>,
    /// The pickles of object arrays of the last joblib pickle, still to yield.
    nested: std::collections::VecDeque<Pickle<'s>>,
    failed: bool,
}

impl<'s> Iterator for Pickles<'s, '_> {
    type Item = Loaded<'s>;

    fn next(&mut self) -> Option<Loaded<'s>> {
        if let Some(pickle) = self.nested.pop_front() {
            let label = format!(
                "joblib: the array of objects that follows its NumpyArrayWrapper, a pickle of its own at byte {}",
                pickle.span().0
            );
            return Some((Some(Cow::Owned(label)), Ok(pickle)));
        }
        loop {
            if self.failed {
                return None;
            }
            let part = self.contents.parts.get(self.part)?;
            let bytes: &'s [u8] = &part.bytes;
            let (label, position) = match self.position {
                None => (part.label.as_deref().map(Cow::Borrowed), part.start),
                Some(position) if position < bytes.len() && !part.single => (None, position),
                Some(_) => {
                    self.part += 1;
                    self.position = None;
                    continue;
                }
            };
            if position >= bytes.len() {
                // An empty input is one error, as pickle.load on an empty file raises.
                self.failed = true;
                let empty = picklegraph::load_at(bytes, position, &self.options);
                return Some((label, empty));
            }
            let loaded =
                model::joblib::load_with_buffers(bytes, position, &self.options, &self.buffers);
            return Some(match loaded {
                Ok(stream) => {
                    self.position = Some(stream.end());
                    self.nested.extend(stream.nested);
                    (label, Ok(stream.pickle))
                }
                Err(failure) => {
                    self.failed = true;
                    (label, Err(failure))
                }
            });
        }
    }
}
