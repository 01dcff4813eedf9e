//! PyTorch's oldest checkpoints: a tar archive (torch < 0.4), which current `torch.load`
//! still reads (`legacy_load` in `torch/serialization.py`).
//!
//! The archive holds four members, each read by name:
//!
//! - `sys_info`: a pickle of `{'protocol_version': 1001, 'little_endian': …,
//!   'type_sizes': {…}}`, which `torch.load` does not read;
//! - `pickle`: the saved object, in which every tensor and every storage is a persistent
//!   id, the str of its key (the object's `_cdata` address when it was saved);
//! - `tensors`: a pickle of their count, then for each tensor a pickle of `(key,
//!   storage key, tensor class)` and its metadata: the number of dimensions as a
//!   little-endian int32, 4 bytes of padding, then that many int64 sizes, as many int64
//!   strides, and the int64 storage offset;
//! - `storages`: a pickle of their count, then for each storage a pickle of `(key,
//!   location, storage class)`, its element count as a little-endian int64 and its
//!   bytes, then a pickle of the list of views `(view key, root key, offset, numel)`.
//!
//! [`TorchTar::open`] reads the tar headers (ustar, with pax and GNU long names) and the
//! pickles of the four members, never the storages' bytes; each pickle's place is kept
//! so that the scan judges every one of them, as `torch.load` loads every one.

use std::collections::HashMap;
use std::ops::Range;

use super::{ModelError, Weight};
use crate::graph::{InertKind, Node, NodeId, Pickle, Value};
use crate::python::tensor_data::StorageBytes;
use crate::python::torch::{self, DType, NestedStorage, PersistentTensor};
use crate::python::view;
use crate::LoadOptions;

/// The tar block size.
const BLOCK: usize = 512;
/// The members `torch.load` reads, in the order torch wrote them.
pub const MEMBERS: [&str; 4] = ["sys_info", "pickle", "tensors", "storages"];

/// One pickle of a tar checkpoint: what it is, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarPickle {
    /// What it holds: `sys_info`, `saved object`, `tensors: count`, `tensors: tensor 1`,
    /// `storages: storage 2`, `storages: views`.
    pub label: String,
    /// Its member's bytes in the file.
    pub member: Range<usize>,
    /// Where it starts in its member.
    pub start: usize,
}

/// A storage of the `storages` member (or a view of one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarStorage {
    /// Its element type, from its storage class.
    pub dtype: DType,
    /// Where it was saved from (`cpu`, `cuda:0`).
    pub location: String,
    /// Its length in elements.
    pub numel: u64,
    /// Its bytes in the file.
    pub data: Range<u64>,
    /// For a view: the key of the storage it is part of, and where in it the view
    /// starts, in elements.
    pub view_of: Option<(String, u64)>,
}

/// A tensor of the `tensors` member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarTensor {
    /// The key of the storage (or storage view) it views.
    pub storage: String,
    /// The size of each dimension.
    pub shape: Vec<u64>,
    /// The step of each dimension, in elements.
    pub stride: Vec<u64>,
    /// Its first element's place in the storage, in elements.
    pub offset: u64,
}

/// A tar checkpoint: its pickles, tensors and storages.
#[derive(Debug, Clone, Default)]
pub struct TorchTar {
    /// Every pickle: `sys_info` (which `torch.load` does not read), the saved object,
    /// then the `storages` and `tensors` members' (which `torch.load` reads first).
    pub pickles: Vec<TarPickle>,
    /// Each tensor by key.
    pub tensors: HashMap<String, TarTensor>,
    /// Each storage and storage view by key (a view's bytes are its part of its root's).
    pub storages: HashMap<String, TarStorage>,
    /// Whether `sys_info` says the writer was little-endian.
    pub little_endian: bool,
    /// The saved object's member, in the file.
    pub saved_object: Range<usize>,
}

/// The label of the saved object's pickle.
pub const SAVED_OBJECT: &str = "tar: saved object";

impl TorchTar {
    /// Reads the tar headers and every pickle of the four members (`sys_info` may be
    /// missing, as `torch.load` does not read it).
    /// ```
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/torch/model_tar.pt");
    /// let bytes = std::fs::read(path).unwrap();
    /// let tar = picklegraph::model::tar::TorchTar::open(&bytes)?;
    /// assert_eq!((tar.tensors.len(), tar.storages.len()), (6, 5));
    /// assert_eq!(tar.pickles[1].label, "tar: saved object");
    /// # Ok::<(), picklegraph::model::ModelError>(())
    /// ```
    ///
    /// # Errors
    /// The first thing that does not match the format: a tar header, a member missing,
    /// a malformed pickle, a size that runs past its member.
    pub fn open(bytes: &[u8]) -> Result<TorchTar, ModelError> {
        match TorchTar::read_all(bytes) {
            (tar, None) => Ok(tar),
            (_, Some(error)) => Err(error),
        }
    }

    /// [`TorchTar::open`], keeping what was read before the first error (each pickle
    /// found, for the scan to judge).
    pub fn read_all(bytes: &[u8]) -> (TorchTar, Option<ModelError>) {
        let mut tar = TorchTar {
            little_endian: true,
            ..TorchTar::default()
        };
        let error = tar.read(bytes).err();
        (tar, error)
    }

    fn read(&mut self, bytes: &[u8]) -> Result<(), ModelError> {
        let members = members(bytes)?;
        let member = |name: &str| {
            members
                .get(name)
                .cloned()
                .ok_or_else(|| ModelError::Layout {
                    offset: 0,
                    detail: format!(
                        "the tar archive has no member {name:?}, which torch.load reads"
                    ),
                })
        };
        let saved = member("pickle")?;
        let tensors = member("tensors")?;
        let storages = member("storages")?;
        self.saved_object = saved.clone();
        // torch.load never reads sys_info (the storages are little-endian); it is a
        // pickle all the same, judged by the scan, and says the writer's byte order.
        if let Some(sys_info) = members.get("sys_info") {
            let info = self.pickle(bytes, "tar: sys_info", sys_info, 0)?;
            let flag = view::dict_field(&info, info.root(), "little_endian");
            self.little_endian = flag.and_then(view::boolean).unwrap_or(true);
        }
        self.pickle(bytes, SAVED_OBJECT, &saved, 0)?;
        self.read_storages(bytes, &storages)?;
        self.read_tensors(bytes, &tensors)
    }

    /// Loads the pickle at `start` of `member`, notes it, and returns it.
    fn pickle<'a>(
        &mut self,
        bytes: &'a [u8],
        label: &str,
        member: &Range<usize>,
        start: usize,
    ) -> Result<Pickle<'a>, ModelError> {
        let data = &bytes[member.clone()];
        self.pickles.push(TarPickle {
            label: label.to_string(),
            member: member.clone(),
            start,
        });
        crate::load_at(data, start, &LoadOptions::strict()).map_err(|failure| ModelError::Pickle {
            start: (member.start + start) as u64,
            error: failure.error,
        })
    }

    fn read_storages(&mut self, bytes: &[u8], member: &Range<usize>) -> Result<(), ModelError> {
        let count = self.pickle(bytes, "tar: storages: count", member, 0)?;
        let total =
            count_of(&count).ok_or_else(|| layout(member.start, "the storage count is no int"))?;
        let mut position = count.span().1;
        let mut index = 0u64;
        while index < total {
            index += 1;
            let label = format!("tar: storages: storage {index}");
            let row = self.pickle(bytes, &label, member, position)?;
            let at = member.start + position;
            position = row.span().1;
            let (key, location, dtype) = storage_row(&row)
                .ok_or_else(|| layout(at, "a storage is not (key, location, storage class)"))?;
            let numel = i64::from_le_bytes(read_array(
                bytes,
                member,
                position,
                "a storage's element count",
            )?);
            let numel = u64::try_from(numel).map_err(|_| layout(at, "a negative element count"))?;
            let start = position + 8;
            let end = numel
                .checked_mul(u64::from(dtype.size))
                .and_then(|len| usize::try_from(len).ok())
                .and_then(|len| start.checked_add(len))
                .filter(|&end| end <= member.len())
                .ok_or_else(|| {
                    layout(
                        at,
                        &format!("a storage of {numel} elements runs past the end of its member"),
                    )
                })?;
            let data = (member.start + start) as u64..(member.start + end) as u64;
            let storage = TarStorage {
                dtype,
                location,
                numel,
                data,
                view_of: None,
            };
            self.storages.insert(key, storage);
            position = end;
        }
        let views = self.pickle(bytes, "tar: storages: views", member, position)?;
        let at = member.start + position;
        for (view_key, root_key, offset, numel) in view_rows(&views).ok_or_else(|| {
            layout(
                at,
                "the views are not a list of (key, root key, offset, numel)",
            )
        })? {
            let root = self.storages.get(&root_key).ok_or_else(|| {
                layout(
                    at,
                    &format!("a view of storage {root_key}, which the file does not hold"),
                )
            })?;
            let size = u64::from(root.dtype.size);
            let start = offset
                .checked_mul(size)
                .and_then(|o| root.data.start.checked_add(o));
            let end = numel
                .checked_mul(size)
                .zip(start)
                .and_then(|(n, s)| s.checked_add(n));
            let data = match (start, end) {
                (Some(start), Some(end)) if end <= root.data.end => start..end,
                _ => {
                    return Err(layout(
                        at,
                        &format!("the view {view_key} runs past its storage"),
                    ))
                }
            };
            let view = TarStorage {
                data,
                numel,
                view_of: Some((root_key, offset)),
                ..root.clone()
            };
            self.storages.insert(view_key, view);
        }
        Ok(())
    }

    fn read_tensors(&mut self, bytes: &[u8], member: &Range<usize>) -> Result<(), ModelError> {
        let count = self.pickle(bytes, "tar: tensors: count", member, 0)?;
        let total =
            count_of(&count).ok_or_else(|| layout(member.start, "the tensor count is no int"))?;
        let mut position = count.span().1;
        let mut index = 0u64;
        while index < total {
            index += 1;
            let label = format!("tar: tensors: tensor {index}");
            let row = self.pickle(bytes, &label, member, position)?;
            let at = member.start + position;
            position = row.span().1;
            let (key, storage) = tensor_row(&row)
                .ok_or_else(|| layout(at, "a tensor is not (key, storage key, tensor class)"))?;
            let ndim = i32::from_le_bytes(read_array(
                bytes,
                member,
                position,
                "a tensor's dimensions",
            )?);
            let ndim =
                usize::try_from(ndim).map_err(|_| layout(at, "a negative number of dimensions"))?;
            // ndim, padding, sizes, strides, offset: checked against the member first.
            let len = ndim.checked_mul(16).and_then(|n| n.checked_add(16));
            if !len.is_some_and(|len| position.saturating_add(len) <= member.len()) {
                return Err(layout(
                    at,
                    &format!("a tensor of {ndim} dimensions runs past the end of its member"),
                ));
            }
            let read = |at: usize| -> Result<u64, ModelError> {
                let value =
                    i64::from_le_bytes(read_array(bytes, member, at, "a tensor's metadata")?);
                u64::try_from(value)
                    .map_err(|_| layout(member.start + at, "a negative size, stride or offset"))
            };
            let numbers = (0..2 * ndim + 1)
                .map(|i| read(position + 8 + 8 * i))
                .collect::<Result<Vec<u64>, _>>()?;
            position += 16 + 16 * ndim;
            let storage =
                storage.ok_or_else(|| layout(at, &format!("tensor {key} has no storage")))?;
            let tensor = TarTensor {
                storage,
                shape: numbers[..ndim].to_vec(),
                stride: numbers[ndim..2 * ndim].to_vec(),
                offset: numbers[2 * ndim],
            };
            self.tensors.insert(key, tensor);
        }
        Ok(())
    }
}

fn layout(offset: usize, detail: &str) -> ModelError {
    ModelError::Layout {
        offset: offset as u64,
        detail: detail.to_string(),
    }
}

/// `N` bytes at `at` of `member`.
fn read_array<const N: usize>(
    bytes: &[u8],
    member: &Range<usize>,
    at: usize,
    what: &str,
) -> Result<[u8; N], ModelError> {
    at.checked_add(N)
        .filter(|&end| end <= member.len())
        .and_then(|end| bytes.get(member.start + at..member.start + end))
        .and_then(|slice| slice.try_into().ok())
        .ok_or_else(|| layout(member.start + at, &format!("the member ends before {what}")))
}

/// A key: an int (the object's address), or the str of one.
fn key_of(pickle: &Pickle<'_>, value: Value) -> Option<String> {
    match value {
        Value::Int(i) => Some(i.to_string()),
        Value::Node(_) => match pickle.get(value)? {
            Node::BigInt(big) => Some(big.to_string()),
            _ => view::text(pickle, value).map(str::to_string),
        },
        _ => None,
    }
}

fn count_of(pickle: &Pickle<'_>) -> Option<u64> {
    view::count(pickle.root())
}

/// `(key, location, storage class)`.
fn storage_row(pickle: &Pickle<'_>) -> Option<(String, String, DType)> {
    let [key, location, class] = view::tuple(pickle, pickle.root())?.array()?;
    let (module, name) = pickle.global_name(class)?;
    if !matches!(module, "torch" | "torch.cuda") {
        return None;
    }
    Some((
        key_of(pickle, key)?,
        view::text(pickle, location)?.to_string(),
        DType::of_storage_class(name)?,
    ))
}

/// `(key, storage key or None, tensor class)`.
fn tensor_row(pickle: &Pickle<'_>) -> Option<(String, Option<String>)> {
    let [key, storage, _class] = view::tuple(pickle, pickle.root())?.array()?;
    let storage = match storage {
        Value::None => None,
        storage => Some(key_of(pickle, storage)?),
    };
    Some((key_of(pickle, key)?, storage))
}

/// The list of `(view key, root key, offset, numel)`.
fn view_rows(pickle: &Pickle<'_>) -> Option<Vec<(String, String, u64, u64)>> {
    view::sequence(pickle, pickle.root())?
        .iter()
        .map(|row| {
            let [key, root, offset, numel] = view::tuple(pickle, row)?.array()?;
            Some((
                key_of(pickle, key)?,
                key_of(pickle, root)?,
                view::count(offset)?,
                view::count(numel)?,
            ))
        })
        .collect()
}

/// The members of a tar archive by name, each its data's bytes in the file, as Python's
/// `tarfile` reads them: ustar headers with their checksums, pax `path`/`size` records
/// and GNU long names applied to the next header, up to the end-of-archive block; of a
/// name held twice, the last (what `tarfile.getmember` and so `torch.load` read).
///
/// # Errors
/// A bad checksum, or a size that runs past the end.
pub fn members(bytes: &[u8]) -> Result<HashMap<String, Range<usize>>, ModelError> {
    let mut found: HashMap<String, Range<usize>> = HashMap::new();
    let mut position = 0;
    let mut long_name: Option<String> = None;
    let mut pax_size: Option<usize> = None;
    while let Some(header) = bytes.get(position..position + BLOCK) {
        if header.iter().all(|&b| b == 0) {
            break;
        }
        check_header(header, position)?;
        let stated = octal(&header[124..136])
            .ok_or_else(|| layout(position, "a tar header's size is not octal"))?;
        let size = pax_size.take().unwrap_or(stated);
        let start = position + BLOCK;
        let end = start
            .checked_add(size)
            .filter(|&end| end <= bytes.len())
            .ok_or_else(|| {
                layout(
                    position,
                    &format!("a tar member of {size} bytes runs past the end of the file"),
                )
            })?;
        let data = &bytes[start..end];
        match header[156] {
            b'x' => {
                let (path, size) = pax_records(data);
                long_name = path.or(long_name);
                pax_size = size;
            }
            b'L' => long_name = Some(c_string(data)),
            b'0' | 0 => {
                // A name held twice is the last one's, as tarfile's getmember reads it.
                let name = long_name.take().unwrap_or_else(|| ustar_name(header));
                found.insert(name, start..end);
            }
            _ => long_name = None,
        }
        position = start + size.div_ceil(BLOCK) * BLOCK;
    }
    Ok(found)
}

/// The header's checksum, as `tarfile` checks it: the sum of its bytes with the checksum
/// field read as blanks, unsigned or signed.
fn check_header(header: &[u8], position: usize) -> Result<(), ModelError> {
    let stated = octal(&header[148..156])
        .ok_or_else(|| layout(position, "a tar header's checksum is not octal"))?;
    let blanks = 8 * u64::from(b' ');
    let unsigned: u64 = header[..148]
        .iter()
        .chain(&header[156..])
        .map(|&b| u64::from(b))
        .sum::<u64>()
        + blanks;
    let signed: i64 = header[..148]
        .iter()
        .chain(&header[156..])
        .map(|&b| i64::from(b as i8))
        .sum::<i64>()
        + blanks as i64;
    if stated as u64 != unsigned && i64::try_from(stated).ok() != Some(signed) {
        return Err(layout(position, "a tar header's checksum does not match"));
    }
    Ok(())
}

/// An octal number padded with NULs or blanks (or GNU's base-256, its first byte 0x80).
fn octal(field: &[u8]) -> Option<usize> {
    if field.first() == Some(&0x80) {
        return field[1..].iter().try_fold(0usize, |n, &b| {
            n.checked_mul(256)?.checked_add(usize::from(b))
        });
    }
    let text = std::str::from_utf8(field).ok()?;
    let digits = text.trim_matches(|c: char| c == '\0' || c == ' ');
    if digits.is_empty() {
        return Some(0);
    }
    usize::from_str_radix(digits, 8).ok()
}

fn c_string(field: &[u8]) -> String {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

/// A ustar name: its prefix, a slash, and its name, when the header has a prefix.
fn ustar_name(header: &[u8]) -> String {
    let name = c_string(&header[..100]);
    let prefix = match &header[257..262] == b"ustar" {
        true => c_string(&header[345..500]),
        false => String::new(),
    };
    match prefix.is_empty() {
        true => name,
        false => format!("{prefix}/{name}"),
    }
}

/// The `path` and `size` of pax records (`LEN key=value\n`).
fn pax_records(data: &[u8]) -> (Option<String>, Option<usize>) {
    let (mut path, mut size) = (None, None);
    let mut rest = data;
    while let Some(space) = rest.iter().position(|&b| b == b' ') {
        let Some(len) = std::str::from_utf8(&rest[..space])
            .ok()
            .and_then(|l| l.parse::<usize>().ok())
        else {
            break;
        };
        let Some(record) = rest.get(space + 1..len.max(space + 1)) else {
            break;
        };
        let record = record.strip_suffix(b"\n").unwrap_or(record);
        if let Some(value) = record.strip_prefix(b"path=") {
            path = Some(String::from_utf8_lossy(value).into_owned());
        } else if let Some(value) = record.strip_prefix(b"size=") {
            size = std::str::from_utf8(value).ok().and_then(|v| v.parse().ok());
        }
        rest = &rest[len.max(space + 1)..];
    }
    (path, size)
}

impl TorchTar {
    /// The saved object's pickle, from its member.
    ///
    /// # Errors
    /// Its first malformed opcode.
    pub fn load<'a>(
        &self,
        bytes: &'a [u8],
        options: &LoadOptions,
    ) -> Result<Pickle<'a>, ModelError> {
        let member = bytes.get(self.saved_object.clone()).unwrap_or_default();
        crate::load_at(member, 0, options).map_err(|failure| ModelError::Pickle {
            start: self.saved_object.start as u64,
            error: failure.error,
        })
    }

    /// The bytes of every storage by key, and the tensor each persistent id of the saved
    /// object (`pickle`) stands for, for `show` and [`TorchTar::weights`].
    pub fn storage_bytes<'a>(&self, bytes: &'a [u8], pickle: &Pickle<'_>) -> StorageBytes<'a> {
        let mut storages = StorageBytes::new(self.little_endian);
        for (key, storage) in &self.storages {
            let range = usize::try_from(storage.data.start)
                .ok()
                .zip(usize::try_from(storage.data.end).ok());
            let data = range
                .and_then(|(start, end)| bytes.get(start..end))
                .ok_or_else(|| format!("storage {key} lies past the end of the file"));
            storages.insert(key, data);
        }
        for (index, node) in pickle.nodes().enumerate() {
            let Node::Inert(inert) = node else { continue };
            let InertKind::Persistent { pid } = inert.kind else {
                continue;
            };
            let Some(tensor) = key_of(pickle, pid).and_then(|key| self.tensors.get(&key)) else {
                continue;
            };
            let Some(storage) = self.storages.get(&tensor.storage) else {
                continue;
            };
            let found = PersistentTensor {
                storage: NestedStorage {
                    key: tensor.storage.clone(),
                    dtype: storage.dtype,
                    untyped: false,
                    location: storage.location.clone(),
                    numel: storage.numel,
                },
                shape: tensor.shape.clone(),
                stride: tensor.stride.clone(),
                offset: tensor.offset,
            };
            storages.insert_tensor(NodeId::from_index(index), found);
        }
        storages
    }

    /// Every tensor of the saved object (`pickle`), named as its state dict names it,
    /// with the bytes of its elements in the file.
    pub fn weights(&self, bytes: &[u8], pickle: &Pickle<'_>) -> Vec<Weight> {
        let storages = self.storage_bytes(bytes, pickle);
        let nested = storages.nested();
        torch::find_named(pickle, |id| torch::tensor_in(pickle, id, Some(nested)))
            .into_iter()
            .map(|(name, _, tensor)| {
                let storage = self.storages.get(tensor.storage.key);
                let data = storage.and_then(|storage| {
                    let start = storage.data.start.checked_add(tensor.byte_offset())?;
                    let end = start.checked_add(tensor.extent_bytes())?;
                    (end <= storage.data.end).then_some(start..end)
                });
                // A view is named as a legacy file's are: its root and the elements it
                // spans, its tensors' offsets counted from the root.
                let (storage_name, view_offset) =
                    match storage.and_then(|s| Some((s, s.view_of.as_ref()?))) {
                        Some((view, (root, offset))) => (
                            format!("{root}[{offset}:{}]", offset.saturating_add(view.numel)),
                            *offset,
                        ),
                        None => (tensor.storage.name(), 0),
                    };
                Weight {
                    name,
                    dtype: tensor.dtype,
                    contiguous: tensor.is_contiguous(),
                    storage: storage_name,
                    offset: tensor.offset.saturating_add(view_offset),
                    shape: tensor.shape,
                    stride: tensor.stride,
                    data,
                    little_endian: self.little_endian,
                }
            })
            .collect()
    }
}
