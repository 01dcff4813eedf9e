//! What the package's functions read: a path (memory-mapped, as the command maps it, or
//! read when small, as the command's `scan` reads small files) or a bytes-like object.

use std::io::Read;

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
    /// The bytes: a file is mapped, or read when it is smaller than [`READ_BELOW`].
    pub fn bytes(self) -> PyResult<Bytes> {
        match self {
            Source::Data(data) => Ok(Bytes::Data(data)),
            Source::Path(path) => {
                let mut file = std::fs::File::open(&path)?;
                let len = file.metadata()?.len();
                if len < READ_BELOW {
                    let mut bytes = Vec::with_capacity(len as usize);
                    file.read_to_end(&mut bytes)?;
                    return Ok(Bytes::Owned(bytes));
                }
                Ok(Bytes::Mapped(map_file(&file)?))
            }
        }
    }
}

/// Files up to this size are read rather than mapped, as the command's `scan` reads
/// them: for a small file a map costs more than the copy (a page fault per page, and the
/// unmap). Mapping every file made `picklegraph.scan` of the zoo's 388 small files slower
/// than the command.
const READ_BELOW: u64 = 256 << 10;

#[allow(unsafe_code)]
fn map_file(file: &std::fs::File) -> std::io::Result<memmap2::Mmap> {
    // SAFETY: the map is only read; if another process truncates the file meanwhile,
    // reads may fault, as with any memory-mapped reader (the command maps files too).
    unsafe { memmap2::Mmap::map(file) }
}
