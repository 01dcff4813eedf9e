//! What the package's functions read: a path (memory-mapped, as the command maps it) or
//! a bytes-like object, and the pickles it holds.

use std::borrow::Cow;

use picklegraph::model::{Checkpoint, Format};
use picklegraph::{Failure, LoadOptions, Pickle};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;

/// A path (`str`) or bytes (`bytes`, `bytearray`); the package turns path-likes into
/// `str` and reads binary files into bytes before they get here.
pub enum Source {
    Path(String),
    Data(PyBackedBytes),
}

impl<'py> FromPyObject<'py> for Source {
    fn extract_bound(object: &Bound<'py, PyAny>) -> PyResult<Source> {
        if let Ok(path) = object.extract::<String>() {
            return Ok(Source::Path(path));
        }
        Ok(Source::Data(object.extract()?))
    }
}

/// A source's bytes.
pub enum Bytes {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
    Data(PyBackedBytes),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(map) => map,
            Bytes::Owned(bytes) => bytes,
            Bytes::Data(data) => data,
        }
    }
}

impl Source {
    /// The bytes: a file is mapped, not read.
    pub fn bytes(self) -> PyResult<Bytes> {
        match self {
            Source::Data(data) => Ok(Bytes::Data(data)),
            Source::Path(path) => {
                let file = std::fs::File::open(&path)?;
                if file.metadata()?.len() == 0 {
                    return Ok(Bytes::Owned(Vec::new()));
                }
                Ok(Bytes::Mapped(map_file(&file)?))
            }
        }
    }
}

#[allow(unsafe_code)]
fn map_file(file: &std::fs::File) -> std::io::Result<memmap2::Mmap> {
    // SAFETY: the map is only read; if another process truncates the file meanwhile,
    // reads may fault, as with any memory-mapped reader (the command maps files too).
    unsafe { memmap2::Mmap::map(file) }
}

/// A run of pickles inside a file: all of a plain file, a zip record, or one pickle of
/// a legacy checkpoint.
pub struct Part<'a> {
    pub label: Option<String>,
    bytes: Cow<'a, [u8]>,
    start: usize,
    single: bool,
}

impl Part<'_> {
    /// The run's pickles, loaded one at a time; ends after the first error.
    pub fn loads(
        &self,
        options: LoadOptions,
    ) -> Box<dyn Iterator<Item = Result<Pickle<'_>, Box<Failure<'_>>>> + '_> {
        if self.single {
            return Box::new(std::iter::once(picklegraph::load_at(
                &self.bytes,
                self.start,
                &options,
            )));
        }
        if self.bytes.is_empty() {
            return Box::new(std::iter::once(picklegraph::load_at(&[], 0, &options)));
        }
        Box::new(picklegraph::load_all(&self.bytes[self.start..]).with_options(options))
    }
}

/// The runs of pickles in `bytes`: the file itself, or a checkpoint's pickles.
pub fn pickles(bytes: &[u8]) -> PyResult<Vec<Part<'_>>> {
    let format = picklegraph::model::detect(bytes);
    if !matches!(format, Format::Zip | Format::TorchLegacy) {
        if let Format::Compressed(how) = format {
            return Err(PyValueError::new_err(format!(
                "compressed with {how}: decompress it first"
            )));
        }
        return Ok(vec![Part {
            label: None,
            bytes: Cow::Borrowed(bytes),
            start: 0,
            single: false,
        }]);
    }
    let checkpoint =
        Checkpoint::open(bytes).map_err(|error| PyValueError::new_err(error.to_string()))?;
    let legacy = format == Format::TorchLegacy;
    let parts = checkpoint.pickles();
    let several = parts.len() > 1;
    Ok(parts
        .into_iter()
        .map(|(label, part, start)| Part {
            label: several.then(|| label.into_owned()),
            // A legacy checkpoint's pickles lie in the file itself.
            bytes: match legacy {
                true => Cow::Borrowed(bytes),
                false => Cow::Owned(part.to_vec()),
            },
            start,
            single: legacy,
        })
        .collect())
}
