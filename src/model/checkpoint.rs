//! [`Checkpoint`]: a PyTorch checkpoint, zip or legacy, and its tensors' [`Weight`]s.
//! Every pickle of a checkpoint, labelled, comes from [`crate::open`].

use std::borrow::Cow;
use std::ops::Range;

use super::archive::TorchZip;
use super::legacy::{Storages, TorchLegacy};
use super::tar::TorchTar;
use super::{detect, Format, ModelError};
use crate::graph::Pickle;
use crate::python::tensor_data::StorageBytes;
use crate::python::torch::{self, DType, NamedTensor};
use crate::LoadOptions;

#[derive(Debug, Clone)]
enum Layout<'a> {
    Zip(TorchZip<'a>),
    Legacy(TorchLegacy),
    Tar(TorchTar),
}

/// A PyTorch checkpoint: its layout, and the pickle that describes its tensors.
#[derive(Debug, Clone)]
pub struct Checkpoint<'a> {
    bytes: &'a [u8],
    layout: Layout<'a>,
}

/// A tensor of a checkpoint: what it is, and where its data lies in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Weight {
    /// The state-dict name: `encoder.weight`, `optimizer.state.0.exp_avg`.
    pub name: String,
    /// The element type.
    pub dtype: DType,
    /// The size of each dimension.
    pub shape: Vec<u64>,
    /// The step between elements of each dimension, in elements.
    pub stride: Vec<u64>,
    /// Whether the elements lie one after another in row-major order (if not, read
    /// [`Weight::data`] with [`Weight::stride`]).
    pub contiguous: bool,
    /// How the storage is named: `data/12` in a zip, its key in a legacy file (with the
    /// elements a legacy view spans, `94000000000000[2:6]`).
    pub storage: String,
    /// The first element's place in the stored storage, in elements (a legacy view's
    /// own offset included).
    pub offset: u64,
    /// The bytes in the file from the tensor's first element to its last, when the
    /// storage is stored uncompressed and the tensor lies inside it.
    pub data: Option<Range<u64>>,
    /// Whether the bytes are little-endian (every checkpoint but those saved on a
    /// big-endian machine).
    pub little_endian: bool,
}

impl<'a> Checkpoint<'a> {
    /// Reads the directory (zip) or the leading pickles (legacy) of a checkpoint.
    ///
    /// # Errors
    /// A file in neither format, or a malformed directory or leading pickle.
    pub fn open(bytes: &'a [u8]) -> Result<Checkpoint<'a>, ModelError> {
        let layout = match detect(bytes) {
            Format::Zip => Layout::Zip(TorchZip::open(bytes)?),
            Format::TorchLegacy => Layout::Legacy(TorchLegacy::open(bytes)?),
            Format::TorchTar => Layout::Tar(TorchTar::open(bytes)?),
            _ => {
                return Err(ModelError::NotACheckpoint(
                    "neither a zip archive nor the legacy magic number",
                ))
            }
        };
        Ok(Checkpoint { bytes, layout })
    }

    /// [`Format::Zip`], [`Format::TorchLegacy`] or [`Format::TorchTar`].
    pub fn format(&self) -> Format {
        match self.layout {
            Layout::Zip(_) => Format::Zip,
            Layout::Legacy(_) => Format::TorchLegacy,
            Layout::Tar(_) => Format::TorchTar,
        }
    }

    /// The tar checkpoint's members, for a tar checkpoint.
    pub fn tar(&self) -> Option<&TorchTar> {
        match &self.layout {
            Layout::Tar(tar) => Some(tar),
            _ => None,
        }
    }

    /// The zip archive's directory, for a zip checkpoint.
    pub fn archive(&self) -> Option<&TorchZip<'a>> {
        match &self.layout {
            Layout::Zip(zip) => Some(zip),
            Layout::Legacy(_) | Layout::Tar(_) => None,
        }
    }

    /// The leading pickles' places, for a legacy checkpoint.
    pub fn legacy(&self) -> Option<&TorchLegacy> {
        match &self.layout {
            Layout::Legacy(legacy) => Some(legacy),
            Layout::Zip(_) | Layout::Tar(_) => None,
        }
    }

    /// The bytes that hold the saved object's pickle, and where in them it starts:
    /// `data.pkl` (borrowed from the file, or inflated), the whole legacy file, or the
    /// tar's `pickle` member.
    pub fn pickle_bytes(&self) -> (&[u8], usize) {
        match &self.layout {
            Layout::Zip(zip) => (zip.data_pkl(), 0),
            Layout::Legacy(legacy) => (self.bytes, legacy.main_start()),
            Layout::Tar(tar) => (
                self.bytes.get(tar.saved_object.clone()).unwrap_or_default(),
                0,
            ),
        }
    }

    /// Loads the saved object's pickle.
    ///
    /// # Errors
    /// The pickle's first malformed opcode.
    pub fn load(&self) -> Result<Pickle<'_>, ModelError> {
        self.load_with(&LoadOptions::default())
    }

    /// Loads the saved object's pickle with the given limits.
    ///
    /// # Errors
    /// The pickle's first malformed opcode, or the first limit reached.
    pub fn load_with(&self, options: &LoadOptions) -> Result<Pickle<'_>, ModelError> {
        let (bytes, start) = self.pickle_bytes();
        crate::load_at(bytes, start, options).map_err(|failure| ModelError::Pickle {
            start: start as u64,
            error: failure.error,
        })
    }

    /// Every tensor of the checkpoint, named as its state dict names it, with the byte
    /// range of its data in the file. `pickle` is what [`Checkpoint::load`] returned.
    ///
    /// # Errors
    /// For a legacy file, a storage list that does not match the file.
    pub fn weights(&self, pickle: &Pickle<'_>) -> Result<Vec<Weight>, ModelError> {
        let legacy = match &self.layout {
            Layout::Legacy(legacy) => Some(legacy.storages(self.bytes, pickle)?),
            Layout::Tar(tar) => return Ok(tar.weights(self.bytes, pickle)),
            Layout::Zip(_) => None,
        };
        let little_endian = match &self.layout {
            Layout::Zip(zip) => zip.byteorder() != Some("big"),
            Layout::Legacy(legacy) => legacy.little_endian(),
            Layout::Tar(tar) => tar.little_endian,
        };
        let weights = torch::find_tensors(pickle)
            .into_iter()
            .map(|named| {
                let data = self.data_range(&named, legacy.as_ref());
                weight(named, data, little_endian)
            })
            .collect();
        Ok(weights)
    }

    /// The storages' places in a legacy file (see [`TorchLegacy::storages`]).
    ///
    /// # Errors
    /// As [`TorchLegacy::storages`].
    pub fn legacy_storages(&self, pickle: &Pickle<'_>) -> Result<Option<Storages>, ModelError> {
        match &self.layout {
            Layout::Legacy(legacy) => legacy.storages(self.bytes, pickle).map(Some),
            Layout::Zip(_) | Layout::Tar(_) => Ok(None),
        }
    }

    /// The bytes of every storage, by key, for [`crate::python::tensor_data::elements`]:
    /// a stored zip record borrowed from the file, a compressed one said to be so, a
    /// legacy file's storages where its storage list places them.
    ///
    /// # Errors
    /// For a legacy file, a storage list that does not match the file.
    pub fn storage_bytes(&self, pickle: &Pickle<'_>) -> Result<StorageBytes<'a>, ModelError> {
        let bytes = self.bytes;
        let slice = |range: Range<u64>| -> Result<&'a [u8], String> {
            let start = usize::try_from(range.start).map_err(|e| e.to_string())?;
            let end = usize::try_from(range.end).map_err(|e| e.to_string())?;
            bytes
                .get(start..end)
                .ok_or_else(|| format!("bytes {start}..{end} are past the end of the file"))
        };
        match &self.layout {
            Layout::Zip(zip) => {
                let mut storages = StorageBytes::new(zip.byteorder() != Some("big"));
                let folder = format!("{}data/", zip.prefix());
                for record in zip.records() {
                    let Some(key) = record.name.strip_prefix(&folder) else {
                        continue;
                    };
                    let data = match record.range() {
                        Some(range) => slice(range),
                        None => Err(format!(
                            "the record {} is compressed (not inflated for show)",
                            record.name
                        )),
                    };
                    storages.insert(key, data);
                }
                Ok(storages)
            }
            Layout::Legacy(legacy) => {
                let mut storages = StorageBytes::new(legacy.little_endian());
                for (key, storage) in legacy.storages(bytes, pickle)?.storages {
                    storages.insert(&key, slice(storage.data));
                }
                Ok(storages)
            }
            Layout::Tar(tar) => Ok(tar.storage_bytes(bytes, pickle)),
        }
    }

    /// The bytes of the storage `key` of a zip checkpoint whose record is compressed,
    /// inflated (at most `max` bytes); `None` for any other storage or layout.
    pub fn inflated_storage(&self, key: &str, max: u64) -> Option<Result<Cow<'a, [u8]>, String>> {
        let Layout::Zip(zip) = &self.layout else {
            return None;
        };
        let record = zip.storage(key)?;
        if record.range().is_some() {
            return None;
        }
        let name = format!("data/{key}");
        Some(
            zip.contents(self.bytes, &name, max)
                .map_err(|e| e.to_string()),
        )
    }

    /// The file bytes of a tensor's data: its storage's place, plus its offset, for its
    /// extent; `None` when the storage is compressed, missing, or too short.
    fn data_range(&self, named: &NamedTensor<'_>, legacy: Option<&Storages>) -> Option<Range<u64>> {
        let tensor = &named.tensor;
        let (storage, view_offset) = match &self.layout {
            Layout::Zip(zip) => (zip.storage(tensor.storage.key)?.range()?, 0),
            Layout::Legacy(_) => {
                let storage = legacy?.storages.get(tensor.storage.key)?;
                (storage.data.clone(), tensor.storage.view_offset())
            }
            Layout::Tar(tar) => (tar.storages.get(tensor.storage.key)?.data.clone(), 0),
        };
        let size = u64::from(tensor.storage.dtype.size);
        let start = storage
            .start
            .checked_add(view_offset.checked_mul(size)?)?
            .checked_add(tensor.byte_offset())?;
        let end = start.checked_add(tensor.extent_bytes())?;
        (end <= storage.end).then_some(start..end)
    }
}

fn weight(named: NamedTensor<'_>, data: Option<Range<u64>>, little_endian: bool) -> Weight {
    let tensor = named.tensor;
    Weight {
        name: named.name,
        dtype: tensor.dtype,
        contiguous: tensor.is_contiguous(),
        storage: tensor.storage.name(),
        offset: tensor.offset.saturating_add(tensor.storage.view_offset()),
        shape: tensor.shape,
        stride: tensor.stride,
        data,
        little_endian,
    }
}
