//! PyTorch's legacy checkpoints (`torch.save(…, _use_new_zipfile_serialization=False)`
//! and every `torch.save` before 1.6), laid out as `torch/serialization.py`'s
//! `_legacy_save` writes them:
//!
//! 1. a pickle of the magic number `0x1950a86a20f9469cfc6c`;
//! 2. a pickle of the format's protocol version, 1001;
//! 3. a pickle of `sys_info`: `{'protocol_version': 1001, 'little_endian': True,
//!    'type_sizes': {…}}`;
//! 4. the pickle of the saved object, whose storages are persistent ids
//!    `('storage', torch.FloatStorage, key, location, numel, view)`;
//! 5. a pickle of the sorted list of storage keys;
//! 6. for each key in that order, the storage's element count as a little-endian
//!    int64, then its bytes.
//!
//! An element's size comes from the storage class in pickle 4, so the storages' places
//! follow from the pickles and the eight-byte counts alone; their bytes are not read.

use std::collections::HashMap;
use std::ops::Range;

use num_traits::ToPrimitive;

use super::{ModelError, TORCH_MAGIC};
use crate::graph::{Node, NodeId, Pickle, Value};
use crate::python::{torch, view};
use crate::LoadOptions;

/// The protocol version `_legacy_save` writes.
pub const PROTOCOL_VERSION: i64 = 1001;

/// Where the pickles of a legacy checkpoint lie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TorchLegacy {
    head: [(usize, usize); 3],
    little_endian: bool,
}

impl TorchLegacy {
    /// Reads the first three pickles (magic number, protocol version, `sys_info`).
    /// ```
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/torch/training_legacy.pth");
    /// let bytes = std::fs::read(path).unwrap();
    /// let legacy = picklegraph::model::legacy::TorchLegacy::open(&bytes)?;
    /// let main = picklegraph::load_at(&bytes, legacy.main_start(), &Default::default()).unwrap();
    /// let storages = legacy.storages(&bytes, &main)?;
    /// assert_eq!((storages.storages.len(), storages.end), (4, bytes.len() as u64));
    /// # Ok::<(), picklegraph::model::ModelError>(())
    /// ```
    ///
    /// # Errors
    /// A malformed pickle, or values that are not those of the format.
    pub fn open(bytes: &[u8]) -> Result<TorchLegacy, ModelError> {
        let options = LoadOptions::strict();
        let mut position = 0;
        let mut head = [(0, 0); 3];
        let mut little_endian = true;
        for (i, span) in head.iter_mut().enumerate() {
            let pickle = load(bytes, position, &options)?;
            *span = pickle.span();
            position = span.1;
            let layout = |detail: &str| ModelError::Layout {
                offset: span.0 as u64,
                detail: detail.to_string(),
            };
            match i {
                0 if !is_magic(&pickle) => {
                    return Err(ModelError::NotACheckpoint("no magic number"))
                }
                1 if pickle.root() != Value::Int(PROTOCOL_VERSION) => {
                    return Err(layout("the protocol version is not 1001"))
                }
                2 => {
                    let flag = view::dict_field(&pickle, pickle.root(), "little_endian");
                    little_endian = flag
                        .and_then(view::boolean)
                        .ok_or_else(|| layout("sys_info has no little_endian flag"))?;
                }
                _ => {}
            }
        }
        Ok(TorchLegacy {
            head,
            little_endian,
        })
    }

    /// The spans of the magic number, protocol version and `sys_info` pickles.
    pub fn head(&self) -> [(usize, usize); 3] {
        self.head
    }

    /// Where the saved object's pickle starts.
    pub fn main_start(&self) -> usize {
        self.head[2].1
    }

    /// Whether `sys_info` says the saving machine was little-endian.
    pub fn little_endian(&self) -> bool {
        self.little_endian
    }

    /// The storages that follow the pickles, found from the saved object's pickle
    /// `main` (loaded from this file at [`TorchLegacy::main_start`]).
    ///
    /// # Errors
    /// A malformed keys pickle, a key with no persistent id, or storages that run past
    /// the end of the file.
    pub fn storages(&self, bytes: &[u8], main: &Pickle<'_>) -> Result<Storages, ModelError> {
        let keys_pickle = load(bytes, main.span().1, &LoadOptions::default())?;
        let keys = storage_keys(&keys_pickle).ok_or_else(|| ModelError::Layout {
            offset: main.span().1 as u64,
            detail: "the pickle after the object is not a list of storage keys".to_string(),
        })?;
        let sizes = element_sizes(main);
        let mut position = keys_pickle.span().1 as u64;
        let mut storages = HashMap::new();
        for key in keys {
            let size = *sizes.get(key.as_str()).ok_or_else(|| ModelError::Layout {
                offset: position,
                detail: format!("storage {key} is listed but no persistent id names it"),
            })?;
            let storage = read_storage(bytes, position, size)?;
            position = storage.data.end;
            storages.insert(key, storage);
        }
        Ok(Storages {
            keys: keys_pickle.span(),
            end: position,
            storages,
        })
    }
}

fn load<'a>(
    bytes: &'a [u8],
    start: usize,
    options: &LoadOptions,
) -> Result<Pickle<'a>, ModelError> {
    crate::load_at(bytes, start, options).map_err(|failure| ModelError::Pickle {
        start: start as u64,
        error: failure.error,
    })
}

fn is_magic(pickle: &Pickle<'_>) -> bool {
    match pickle.get(pickle.root()) {
        Some(Node::BigInt(value)) => value.to_u128() == Some(TORCH_MAGIC),
        _ => false,
    }
}

/// The keys of pickle 5: a list of strs (or bytes, from Python 2).
fn storage_keys(pickle: &Pickle<'_>) -> Option<Vec<String>> {
    view::sequence(pickle, pickle.root())?
        .iter()
        .map(|key| view::text(pickle, key).map(str::to_string))
        .collect()
}

/// The element size of each storage key, from the persistent ids of the saved object.
fn element_sizes<'p>(main: &'p Pickle<'_>) -> HashMap<&'p str, u8> {
    let mut sizes = HashMap::new();
    for index in 0..main.nodes().len() {
        if let Some(storage) = torch::storage(main, Value::Node(NodeId::from_index(index))) {
            sizes.entry(storage.key).or_insert(storage.dtype.size);
        }
    }
    sizes
}

/// The storage whose count starts at `position`.
fn read_storage(bytes: &[u8], position: u64, element_size: u8) -> Result<Storage, ModelError> {
    let short = |detail: String| ModelError::Layout {
        offset: position,
        detail,
    };
    let at = usize::try_from(position).map_err(|e| short(e.to_string()))?;
    let count = bytes
        .get(at..at.saturating_add(8))
        .ok_or_else(|| short("the file ends before a storage's element count".to_string()))?;
    let numel = i64::from_le_bytes(count.try_into().unwrap_or_default());
    let numel =
        u64::try_from(numel).map_err(|_| short(format!("negative element count {numel}")))?;
    let start = position + 8;
    let end = numel
        .checked_mul(u64::from(element_size))
        .and_then(|len| start.checked_add(len))
        .filter(|&end| end <= bytes.len() as u64)
        .ok_or_else(|| {
            short(format!(
                "a storage of {numel} elements runs past the end of the file"
            ))
        })?;
    Ok(Storage {
        numel,
        element_size,
        data: start..end,
    })
}

/// One storage's place in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Storage {
    /// Its element count, as written before its bytes.
    pub numel: u64,
    /// The size of one element, from its storage class.
    pub element_size: u8,
    /// Its bytes in the file.
    pub data: Range<u64>,
}

/// The storages of a legacy checkpoint, by key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Storages {
    /// The span of the keys pickle.
    pub keys: (usize, usize),
    /// Where the last storage ends (the file's length, in a file that is whole).
    pub end: u64,
    /// Each storage by key.
    pub storages: HashMap<String, Storage>,
}
