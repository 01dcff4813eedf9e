//! Model files: the containers that carry pickles beside raw tensor data.
//!
//! - PyTorch's zip checkpoints ([`archive`]): `torch.save` since 1.6 writes a zip archive
//!   whose `data.pkl` names each storage by key and whose `data/<key>` records hold the
//!   bytes.
//! - PyTorch's legacy checkpoints ([`legacy`]): five pickles one after another, then
//!   the storages' bytes.
//! - joblib files ([`joblib`]): one pickle stream with each numpy array's bytes written
//!   right after its `NumpyArrayWrapper`.
//!
//! [`arrays`] lists the arrays of numpy's `.npy` and `.npz` files and of joblib files with
//! where their elements lie.
//!
//! [`Checkpoint`] opens either PyTorch format and lists its tensors with the byte range
//! of each one's data inside the file, so a program can read weights without Python.
//! Opening a file reads its directory and its pickles, never the tensor data.
//!
//! ```
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/torch/state_dict.pt");
//! let bytes = std::fs::read(path).unwrap();
//! let checkpoint = picklegraph::model::Checkpoint::open(&bytes)?;
//! let pickle = checkpoint.load()?;
//! let weights = checkpoint.weights(&pickle)?;
//! let bias = weights.iter().find(|w| w.name == "encoder.bias").unwrap();
//! assert_eq!((bias.dtype.name, bias.shape.as_slice()), ("float32", &[8][..]));
//! let range = bias.data.clone().unwrap();
//! let first = f32::from_le_bytes(bytes[range.start as usize..][..4].try_into().unwrap());
//! assert_eq!(first, 128.0); // the bias starts at element 128 of a shared storage
//! # Ok::<(), picklegraph::model::ModelError>(())
//! ```

pub mod archive;
pub mod arrays;
mod checkpoint;
pub mod joblib;
pub mod legacy;
pub mod nested;
pub mod old_joblib;
pub mod tar;

pub use checkpoint::{Checkpoint, Weight};

/// The storages' bytes for the tensors of `pickle`, read from `file` as
/// [`crate::open`] labelled it (`label`): those of a PyTorch checkpoint's saved object
/// (`archive/data.pkl`, or a legacy file's `legacy: saved object`), and in any pickle
/// those of the nested checkpoints that `pickle.dumps(tensor)` writes
/// (`torch.storage._load_from_bytes(b'…')`, read by [`nested`]); for any other
/// storage, why there are none.
/// ```
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/torch/state_dict.pt");
/// let bytes = std::fs::read(path).unwrap();
/// let opened = picklegraph::open(&bytes);
/// let entry = opened.pickles().next().unwrap();
/// let pickle = entry.result.unwrap();
/// let storages = picklegraph::model::storage_bytes(&bytes, entry.label.as_deref(), &pickle);
/// assert_eq!(storages.get("0").map(<[u8]>::len), Ok(544));
/// let bare = picklegraph::model::storage_bytes(b"\x80\x04N.", None, &pickle);
/// assert!(bare.get("0").unwrap_err().contains("beside the pickle"));
/// ```
pub fn storage_bytes<'a>(
    file: &'a [u8],
    label: Option<&str>,
    pickle: &'a crate::graph::Pickle<'_>,
) -> crate::python::tensor_data::StorageBytes<'a> {
    let mut storages = checkpoint_storages(file, label, pickle);
    nested::read(pickle, &mut storages);
    storages
}

/// The storages of a checkpoint's saved object, or why there are none.
fn checkpoint_storages<'a>(
    file: &'a [u8],
    label: Option<&str>,
    pickle: &crate::graph::Pickle<'_>,
) -> crate::python::tensor_data::StorageBytes<'a> {
    use crate::python::tensor_data::StorageBytes;
    let checkpoint = match detect(file) {
        Format::Zip | Format::TorchLegacy | Format::TorchTar => Checkpoint::open(file),
        _ => {
            return StorageBytes::absent(
                "a pickle alone holds no tensor data: torch.save writes it beside the pickle",
            )
        }
    };
    let checkpoint = match checkpoint {
        Ok(checkpoint) => checkpoint,
        Err(error) => return StorageBytes::absent(format!("the checkpoint's storages: {error}")),
    };
    let saved_object = match (checkpoint.archive(), checkpoint.format()) {
        (Some(zip), _) => label == Some(format!("{}data.pkl", zip.prefix()).as_str()),
        (None, Format::TorchTar) => label == Some(tar::SAVED_OBJECT),
        (None, _) => label == Some("legacy: saved object"),
    };
    if !saved_object {
        return StorageBytes::absent("not the checkpoint's saved object");
    }
    checkpoint
        .storage_bytes(pickle)
        .unwrap_or_else(|error| StorageBytes::absent(format!("the checkpoint's storages: {error}")))
}

/// What kind of file a model file is, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A zip archive (PyTorch's format since 1.6; also TorchScript).
    Zip,
    /// PyTorch's legacy format: the pickled magic number comes first.
    TorchLegacy,
    /// PyTorch's oldest format, a tar archive (before 0.4; see [`tar`]).
    TorchTar,
    /// A compressed joblib file (zlib, gzip, bz2, xz or lz4), which picklegraph does not
    /// decompress; the name says which.
    Compressed(&'static str),
    /// Anything else: read as a pickle stream.
    Pickle,
}

/// The number `torch.save`'s legacy format pickles first.
pub const TORCH_MAGIC: u128 = 0x1950_A86A_20F9_469C_FC6C;

/// The file's format, from at most its first 512 bytes.
/// ```
/// use picklegraph::model::{detect, Format};
/// assert_eq!(detect(b"PK\x03\x04rest"), Format::Zip);
/// assert_eq!(detect(b"\x80\x02\x8a\nl\xfc\x9cF\xf9 j\xa8P\x19."), Format::TorchLegacy);
/// assert_eq!(detect(b"\x80\x04K\x01."), Format::Pickle);
/// ```
pub fn detect(bytes: &[u8]) -> Format {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return Format::Zip;
    }
    if bytes.get(257..262) == Some(b"ustar") {
        return Format::TorchTar;
    }
    if starts_with_magic(bytes) {
        return Format::TorchLegacy;
    }
    compression(bytes).map_or(Format::Pickle, Format::Compressed)
}

/// Whether the first pickle is the magic number, as protocols 0 to 5 write it.
pub(crate) fn starts_with_magic(bytes: &[u8]) -> bool {
    let mut rest = bytes;
    if let [0x80, _, tail @ ..] = rest {
        rest = tail;
    }
    if let [0x95, tail @ ..] = rest {
        rest = tail.get(8..).unwrap_or_default();
    }
    if let [0x8a, 10, tail @ ..] = rest {
        let mut le = [0u8; 16];
        le[..10].copy_from_slice(tail.get(..10).unwrap_or(&[0; 10]));
        return u128::from_le_bytes(le) == TORCH_MAGIC;
    }
    rest.starts_with(format!("L{TORCH_MAGIC}L\n").as_bytes())
}

/// The compressor whose magic bytes start the file, as joblib writes them.
fn compression(bytes: &[u8]) -> Option<&'static str> {
    const MAGICS: &[(&[u8], &str)] = &[
        (b"ZF", "zlib (joblib < 0.10)"),
        (b"\x78\x01", "zlib"),
        (b"\x78\x5e", "zlib"),
        (b"\x78\x9c", "zlib"),
        (b"\x78\xda", "zlib"),
        (b"\x1f\x8b", "gzip"),
        (b"BZh", "bz2"),
        (b"\xfd7zXZ", "xz"),
        (b"\x5d\x00\x00", "lzma"),
        (b"\x04\x22\x4d\x18", "lz4"),
    ];
    MAGICS
        .iter()
        .find(|(magic, _)| bytes.starts_with(magic))
        .map(|&(_, name)| name)
}

/// Why a model file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// The zip directory could not be read.
    #[error("zip archive: {0}")]
    Zip(String),
    /// The archive holds no `data.pkl`.
    #[error("the zip archive holds no data.pkl: not a PyTorch checkpoint")]
    NoPickle,
    /// A record could not be read or inflated.
    #[error("{name}: {detail}")]
    Record {
        /// The record's name in the archive.
        name: String,
        /// What went wrong.
        detail: String,
    },
    /// The file's layout is not what its format says (a truncated legacy file, a joblib
    /// array running past the end).
    #[error("offset {offset}: {detail}")]
    Layout {
        /// Where in the file.
        offset: u64,
        /// What was expected.
        detail: String,
    },
    /// The file is not a PyTorch checkpoint.
    #[error("not a PyTorch checkpoint ({0})")]
    NotACheckpoint(&'static str),
    /// A pickle inside the file is malformed.
    #[error("pickle at byte {start}: {error}")]
    Pickle {
        /// Where the pickle starts in the file (or in its archive record).
        start: u64,
        /// The load error.
        error: crate::Error,
    },
}
