//! A tensor's elements, read from its storage's bytes: what `show` prints as torch's
//! `repr` does.
//!
//! The pickle only names a storage (`('storage', torch.FloatStorage, '0', 'cpu', 6)`);
//! its bytes lie in the container beside it (a zip record `archive/data/0`, or after the
//! pickles of a legacy file). The container layer fills a [`StorageBytes`] with them,
//! key by key, and says why when there are none (a `pickle.dumps(tensor)` holds no
//! storage; a compressed record is not inflated). [`elements`] then reads the elements
//! torch would print: all of them up to 1,000, else the first and last three of each
//! dimension (torch's `threshold` and `edgeitems`), honouring the tensor's offset and
//! strides.
//!
//! ```
//! use picklegraph::python::{tensor_data::{elements, Element, StorageBytes}, torch};
//! // torch._utils._rebuild_tensor_v2(<storage ('storage', torch.FloatStorage, '0', 'cpu', 6)>,
//! //                                  0, (2, 3), (3, 1), False, collections.OrderedDict())
//! let data = b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storage\
//! ctorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x06tQK\x00K\x02K\x03\x86\
//! K\x03K\x01\x86\x89ccollections\nOrderedDict\n)RtR.";
//! let pickle = picklegraph::load(data)?;
//! let tensor = torch::tensor(&pickle, pickle.root().node().unwrap()).unwrap();
//! let bytes: Vec<u8> = (0..6).flat_map(|i| (i as f32).to_le_bytes()).collect();
//! let mut storages = StorageBytes::new(true);
//! storages.insert("0", Ok(&bytes));
//! let read = elements(&tensor, &storages).unwrap();
//! assert_eq!(read.values[4], Element::Float(4.0));
//! assert!(!read.summarized);
//! # Ok::<(), picklegraph::Error>(())
//! ```

use std::collections::HashMap;

use super::torch::{NestedStorage, NestedStorages, Tensor};
use crate::graph::NodeId;

/// torch's `PRINT_OPTS.threshold`: a tensor of more elements is summarized.
pub const THRESHOLD: u64 = 1000;
/// torch's `PRINT_OPTS.edgeitems`: a summarized dimension shows this many at each end.
pub const EDGE_ITEMS: u64 = 3;
/// The most elements read for one summarized tensor: `6^n` grows with the dimensions,
/// and a hostile tensor of stride 0 may have many.
const MAX_READ: u64 = 100_000;

/// The bytes of a file's storages, by key, and what the pickle's nested checkpoints
/// (`torch.storage._load_from_bytes(b'…')`) hold.
#[derive(Debug, Clone, Default)]
pub struct StorageBytes<'a> {
    records: HashMap<String, Record<'a>>,
    absent: Option<String>,
    little_endian: bool,
    nested: NestedStorages,
}

/// What a nested checkpoint (`torch.storage._load_from_bytes(b'…')`) holds, as the
/// container layer reads it.
#[derive(Debug, Clone)]
pub struct NestedBytes<'a> {
    /// Its storage.
    pub storage: NestedStorage,
    /// The storage's bytes, or why they cannot be had.
    pub bytes: Result<&'a [u8], String>,
    /// Whether the checkpoint says they are little-endian.
    pub little_endian: bool,
}

/// A storage's bytes (or why there are none), and their byte order when it is not the
/// file's (a nested checkpoint says its own).
#[derive(Debug, Clone)]
struct Record<'a> {
    bytes: Result<&'a [u8], String>,
    little_endian: Option<bool>,
}

impl<'a> StorageBytes<'a> {
    /// An empty lookup, for storages written in this byte order.
    pub fn new(little_endian: bool) -> StorageBytes<'a> {
        StorageBytes {
            records: HashMap::new(),
            absent: None,
            little_endian,
            nested: NestedStorages::default(),
        }
    }

    /// No storage is available, for this reason (said for every tensor).
    /// ```
    /// let none = picklegraph::python::tensor_data::StorageBytes::absent("a bare pickle");
    /// assert_eq!(none.get("0"), Err("a bare pickle".to_string()));
    /// ```
    pub fn absent(why: impl Into<String>) -> StorageBytes<'a> {
        StorageBytes {
            absent: Some(why.into()),
            ..StorageBytes::new(true)
        }
    }

    /// Records the bytes of the storage `key`, or why they cannot be had.
    pub fn insert(&mut self, key: &str, bytes: Result<&'a [u8], String>) {
        let record = Record {
            bytes,
            little_endian: None,
        };
        self.records.insert(key.to_string(), record);
    }

    /// Records the storage a `_load_from_bytes` call loads: its description, and its
    /// bytes in the byte order its own checkpoint gives.
    pub fn insert_nested(&mut self, call: NodeId, storage: Result<NestedBytes<'a>, String>) {
        let storage = storage.map(|nested| {
            let record = Record {
                bytes: nested.bytes,
                little_endian: Some(nested.little_endian),
            };
            self.records.insert(nested.storage.key.clone(), record);
            nested.storage
        });
        self.nested.insert(call, storage);
    }

    /// Records the tensor a persistent id stands for (a tar checkpoint's).
    pub fn insert_tensor(&mut self, node: NodeId, tensor: super::torch::PersistentTensor) {
        self.nested.insert_tensor(node, tensor);
    }

    /// The storages of the pickle's `_load_from_bytes` calls.
    pub fn nested(&self) -> &NestedStorages {
        &self.nested
    }

    /// The bytes of the storage `key`, or why there are none.
    ///
    /// # Errors
    /// The reason the lookup was made without storages, or that the key has no record.
    pub fn get(&self, key: &str) -> Result<&'a [u8], String> {
        match (self.records.get(key), &self.absent) {
            (Some(record), _) => record.bytes.clone(),
            (None, Some(why)) => Err(why.clone()),
            (None, None) => Err(format!("no storage record {key:?} in the file")),
        }
    }

    /// Whether the storages are little-endian (all but a big-endian machine's).
    pub fn little_endian(&self) -> bool {
        self.little_endian
    }

    /// Whether the storage `key` is little-endian.
    fn little_endian_of(&self, key: &str) -> bool {
        self.records
            .get(key)
            .and_then(|record| record.little_endian)
            .unwrap_or(self.little_endian)
    }
}

/// One element, as Python's `tolist()` gives it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Element {
    /// A floating-point element (any width), exactly.
    Float(f64),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer.
    UInt(u64),
    /// A bool.
    Bool(bool),
    /// A complex element: real and imaginary parts.
    Complex(f64, f64),
}

/// The elements torch prints of a tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct Elements {
    /// The tensor's shape.
    pub shape: Vec<u64>,
    /// Whether it has more than [`THRESHOLD`] elements, so that each dimension longer
    /// than `2 * EDGE_ITEMS` shows its first and last [`EDGE_ITEMS`].
    pub summarized: bool,
    /// The elements shown, in row-major order over [`Elements::shown_shape`].
    pub values: Vec<Element>,
}

impl Elements {
    /// How many of each dimension are shown.
    pub fn shown_shape(&self) -> Vec<u64> {
        shown_shape(&self.shape, self.summarized)
    }

    /// Whether dimension `dim` is cut in the middle (`...`).
    pub fn is_cut(&self, dim: usize) -> bool {
        self.summarized && self.shape.get(dim).is_some_and(|&d| d > 2 * EDGE_ITEMS)
    }
}

fn shown_shape(shape: &[u64], summarized: bool) -> Vec<u64> {
    shape
        .iter()
        .map(|&d| match summarized && d > 2 * EDGE_ITEMS {
            true => 2 * EDGE_ITEMS,
            false => d,
        })
        .collect()
}

/// Reads the elements of `tensor` that torch prints from its storage's bytes.
///
/// # Errors
/// Why they cannot be read: no bytes for the storage, a dtype whose elements are not
/// numbers read here (quantized, float8), or a tensor that reaches past its storage.
pub fn elements(tensor: &Tensor<'_>, storages: &StorageBytes<'_>) -> Result<Elements, String> {
    let kind = Kind::of(tensor.dtype.name)
        .ok_or_else(|| format!("{} elements are not read", tensor.dtype.name))?;
    let bytes = storages.get(tensor.storage.key)?;
    let little_endian = storages.little_endian_of(tensor.storage.key);
    let size = u64::from(tensor.dtype.size);
    let base = tensor
        .storage
        .view_offset()
        .saturating_mul(u64::from(tensor.storage.dtype.size))
        .saturating_add(tensor.byte_offset());
    let numel = tensor.numel();
    if numel > 0 && base.saturating_add(tensor.extent_bytes()) > bytes.len() as u64 {
        return Err(format!(
            "the storage holds {} bytes, fewer than the tensor reaches",
            bytes.len()
        ));
    }
    let summarized = numel > THRESHOLD;
    let shown = shown_shape(&tensor.shape, summarized);
    let count = shown.iter().fold(1u64, |n, &d| n.saturating_mul(d));
    if numel == 0 {
        return Ok(Elements {
            shape: tensor.shape.clone(),
            summarized,
            values: Vec::new(),
        });
    }
    if count > MAX_READ {
        return Err(format!(
            "{count} elements to summarize: too many dimensions"
        ));
    }
    let mut values = Vec::with_capacity(count as usize);
    let mut index = vec![0u64; shown.len()];
    for _ in 0..count {
        let mut at = base;
        for (dim, &i) in index.iter().enumerate() {
            let real = match summarized && tensor.shape[dim] > 2 * EDGE_ITEMS && i >= EDGE_ITEMS {
                true => tensor.shape[dim] - 2 * EDGE_ITEMS + i,
                false => i,
            };
            at = at.saturating_add(real.saturating_mul(tensor.stride[dim]).saturating_mul(size));
        }
        let start = usize::try_from(at).map_err(|_| "offset past memory".to_string())?;
        let raw = bytes
            .get(start..start + size as usize)
            .ok_or_else(|| "an element past the storage".to_string())?;
        values.push(kind.read(raw, little_endian));
        step(&mut index, &shown);
    }
    Ok(Elements {
        shape: tensor.shape.clone(),
        summarized,
        values,
    })
}

/// The next row-major index within `shape`.
fn step(index: &mut [u64], shape: &[u64]) {
    for (i, &d) in index.iter_mut().zip(shape).rev() {
        *i += 1;
        if *i < d {
            return;
        }
        *i = 0;
    }
}

/// How an element's bytes are read.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Float,
    Half,
    BFloat,
    Int,
    UInt,
    Bool,
    Complex,
    ComplexHalf,
}

impl Kind {
    fn of(dtype: &str) -> Option<Kind> {
        Some(match dtype {
            "float64" | "float32" => Kind::Float,
            "float16" => Kind::Half,
            "bfloat16" => Kind::BFloat,
            "int64" | "int32" | "int16" | "int8" => Kind::Int,
            "uint64" | "uint32" | "uint16" | "uint8" => Kind::UInt,
            "bool" => Kind::Bool,
            "complex128" | "complex64" => Kind::Complex,
            "complex32" => Kind::ComplexHalf,
            _ => return None,
        })
    }

    fn read(self, raw: &[u8], little_endian: bool) -> Element {
        let mut buf = [0u8; 16];
        buf[..raw.len()].copy_from_slice(raw);
        if !little_endian {
            // A complex element is two numbers, each in the file's byte order.
            let parts = match self {
                Kind::Complex | Kind::ComplexHalf => 2,
                _ => 1,
            };
            let part = raw.len() / parts;
            buf[..raw.len()]
                .chunks_mut(part.max(1))
                .for_each(<[u8]>::reverse);
        }
        let low = u64::from_le_bytes(buf[..8].try_into().unwrap_or([0; 8]));
        let high = u64::from_le_bytes(buf[8..16].try_into().unwrap_or([0; 8]));
        match (self, raw.len()) {
            (Kind::Float, 8) => Element::Float(f64::from_bits(low)),
            (Kind::Float, _) => Element::Float(f64::from(f32::from_bits(low as u32))),
            (Kind::Half, _) => Element::Float(super::numpy::f16_to_f64(low as u16)),
            (Kind::BFloat, _) => {
                Element::Float(f64::from(f32::from_bits(u32::from(low as u16) << 16)))
            }
            (Kind::Int, n) => {
                let shift = 64 - 8 * n as u32;
                Element::Int(((low << shift) as i64) >> shift)
            }
            (Kind::UInt, _) => Element::UInt(low),
            (Kind::Bool, _) => Element::Bool(low & 0xff != 0),
            (Kind::Complex, 16) => Element::Complex(f64::from_bits(low), f64::from_bits(high)),
            (Kind::Complex, _) => Element::Complex(
                f64::from(f32::from_bits(low as u32)),
                f64::from(f32::from_bits((low >> 32) as u32)),
            ),
            (Kind::ComplexHalf, _) => Element::Complex(
                super::numpy::f16_to_f64(low as u16),
                super::numpy::f16_to_f64((low >> 16) as u16),
            ),
        }
    }
}
