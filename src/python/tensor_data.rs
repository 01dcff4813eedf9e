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

use std::borrow::Cow;
use std::collections::HashMap;

use super::torch::{NestedStorage, NestedStorages, Quantizer, Tensor};
use super::torch_kinds::{SparseLayout, SparseTensor};
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
    /// The storage's bytes (borrowed from the pickle, or inflated from a compressed
    /// record of a nested zip), or why they cannot be had.
    pub bytes: Result<Cow<'a, [u8]>, String>,
    /// Whether the checkpoint says they are little-endian.
    pub little_endian: bool,
}

/// A storage's bytes (or why there are none), and their byte order when it is not the
/// file's (a nested checkpoint says its own).
#[derive(Debug, Clone)]
struct Record<'a> {
    bytes: Result<Cow<'a, [u8]>, String>,
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
            bytes: bytes.map(Cow::Borrowed),
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
    pub fn get(&self, key: &str) -> Result<&[u8], String> {
        match (self.records.get(key), &self.absent) {
            (Some(record), _) => record.bytes.as_deref().map_err(String::clone),
            (None, Some(why)) => Err(why.clone()),
            (None, None) => Err(format!("no storage record {key:?} in the file")),
        }
    }

    /// [`StorageBytes::get`], as the bytes themselves: borrowed ones stay borrowed.
    ///
    /// # Errors
    /// As [`StorageBytes::get`].
    pub fn get_cow(&self, key: &str) -> Result<Cow<'a, [u8]>, String> {
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

/// Reads the elements of `tensor` that torch prints from its storage's bytes: for a
/// quantized tensor, its real values (`dequantize()`), as float32.
///
/// # Errors
/// Why they cannot be read: no bytes for the storage, a dtype whose elements are not
/// numbers read here (packed quantized ints, bits), quantizer parameters torch would
/// refuse, or a tensor that reaches past its storage.
pub fn elements(tensor: &Tensor<'_>, storages: &StorageBytes<'_>) -> Result<Elements, String> {
    let kind = Kind::of(tensor.dtype.name)
        .ok_or_else(|| format!("{} elements are not read", tensor.dtype.name))?;
    match &tensor.quantizer {
        None => Ok(read(tensor, storages, kind, None, true)?.0),
        Some(quantizer) => dequantized(tensor, storages, kind, quantizer),
    }
}

/// A quantized tensor's real values, computed as torch's CPU kernels compute them (the
/// zoo's prints agree bit for bit): per tensor in float32, `(q - zero_point) * scale`;
/// per channel in float64, then rounded to float32.
fn dequantized(
    tensor: &Tensor<'_>,
    storages: &StorageBytes<'_>,
    kind: Kind,
    quantizer: &Quantizer<'_>,
) -> Result<Elements, String> {
    let (scale, zero_point, axis) = match quantizer {
        Quantizer::Unread(why) => return Err(why.clone()),
        Quantizer::PerTensor { scale, zero_point } => {
            let (mut read, _) = read(tensor, storages, kind, None, true)?;
            for value in &mut read.values {
                let q = int_of(*value) as f32;
                *value = Element::Float(f64::from((q - *zero_point as f32) * *scale as f32));
            }
            return Ok(read);
        }
        Quantizer::PerChannel {
            scales,
            zero_points,
            axis,
        } => (&scales.1, &zero_points.1, *axis),
    };
    let channels = usize::try_from(axis)
        .ok()
        .and_then(|axis| tensor.shape.get(axis))
        .copied()
        .ok_or_else(|| {
            format!(
                "its axis {axis} is past its {} dimensions",
                tensor.shape.len()
            )
        })?;
    for (part, what) in [(scale, "scales"), (zero_point, "zero points")] {
        if part.numel() != channels {
            return Err(format!("{} {what} for {channels} channels", part.numel()));
        }
    }
    let whole = |part: &Tensor<'_>| -> Result<Vec<Element>, String> {
        let kind = Kind::of(part.dtype.name)
            .ok_or_else(|| format!("{} scales are not read", part.dtype.name))?;
        Ok(read(part, storages, kind, None, false)?.0.values)
    };
    let (scales, zero_points) = (whole(scale)?, whole(zero_point)?);
    let (mut read, channel_of) = read(tensor, storages, kind, Some(axis as usize), true)?;
    for (value, &channel) in read.values.iter_mut().zip(&channel_of) {
        let channel = channel as usize;
        let q = int_of(*value);
        let zero = int_of(zero_points[channel]);
        let scale = float_of(scales[channel]);
        *value = Element::Float(f64::from((q.wrapping_sub(zero) as f64 * scale) as f32));
    }
    Ok(read)
}

fn int_of(value: Element) -> i64 {
    match value {
        Element::Int(i) => i,
        Element::UInt(u) => u as i64,
        Element::Bool(b) => i64::from(b),
        Element::Float(f) => f as i64,
        Element::Complex(re, _) => re as i64,
    }
}

fn float_of(value: Element) -> f64 {
    match value {
        Element::Float(f) => f,
        Element::Complex(re, _) => re,
        other => int_of(other) as f64,
    }
}

/// Every element of a 1-dimensional tensor of ints (a sparse tensor's indices), or
/// `None` when there are more than a million (`MAX_CHECKED`).
pub fn all_ints(
    tensor: &Tensor<'_>,
    storages: &StorageBytes<'_>,
) -> Result<Option<Vec<i64>>, String> {
    if tensor.numel() > MAX_CHECKED {
        return Ok(None);
    }
    let kind = Kind::of(tensor.dtype.name)
        .ok_or_else(|| format!("{} indices are not read", tensor.dtype.name))?;
    let (read, _) = read(tensor, storages, kind, None, false)?;
    Ok(Some(read.values.into_iter().map(int_of).collect()))
}

/// What is wrong with a sparse tensor that torch's checks would refuse (`weights_only`
/// loads validate every sparse tensor): parts whose shapes disagree, or indices past its
/// size. Indices are checked when there are at most a million (`MAX_CHECKED`).
pub fn sparse_problem(sparse: &SparseTensor<'_>, storages: &StorageBytes<'_>) -> Option<String> {
    if let Some(problem) = sparse.shape_problem() {
        return Some(problem);
    }
    let ints = |part: usize| {
        all_ints(&sparse.parts[part].tensor, storages)
            .ok()
            .flatten()
    };
    match sparse.layout {
        SparseLayout::Coo => {
            let indices = ints(0)?;
            let nnz = usize::try_from(sparse.nnz()).ok()?;
            for (dim, row) in indices.chunks(nnz.max(1)).enumerate() {
                let size = sparse.size.get(dim).copied().unwrap_or(0);
                if let Some(bad) = row.iter().find(|&&i| i < 0 || i as u64 >= size) {
                    return Some(format!(
                        "index {bad} of dimension {dim} is out of range for size {size}"
                    ));
                }
            }
            None
        }
        layout => {
            // Compressed along rows (CSR, BSR) or columns (CSC, BSC); blocks divide the size.
            let (compressed_dim, plain_dim) = match layout {
                SparseLayout::Csr | SparseLayout::Bsr => (0, 1),
                _ => (1, 0),
            };
            let batch = sparse.size.len().saturating_sub(2);
            let blocks = sparse
                .values()
                .shape
                .get(1..3)
                .filter(|_| matches!(layout, SparseLayout::Bsr | SparseLayout::Bsc));
            let block = |dim: usize| blocks.and_then(|b| b.get(dim).copied()).unwrap_or(1).max(1);
            let size = |dim: usize| sparse.size.get(batch + dim).copied().unwrap_or(0) / block(dim);
            let compressed = ints(0)?;
            let plain = ints(1)?;
            let rows = size(compressed_dim);
            let nnz = sparse.nnz() as i64;
            if compressed.len() as u64 != rows.saturating_add(1)
                || compressed.first() != Some(&0)
                || compressed.last() != Some(&nnz)
                || compressed.windows(2).any(|w| w[0] > w[1])
            {
                return Some(format!(
                    "its compressed indices do not run from 0 to nnz={nnz} over {rows} rows"
                ));
            }
            let columns = size(plain_dim);
            if let Some(bad) = plain.iter().find(|&&i| i < 0 || i as u64 >= columns) {
                return Some(format!(
                    "plain index {bad} is out of range for size {columns}"
                ));
            }
            None
        }
    }
}

/// The most indices of a sparse tensor checked against its size.
const MAX_CHECKED: u64 = 1_000_000;

/// The elements of `tensor` in row-major order (a summarized tensor's first and last of
/// each dimension, when `summarize` allows), and for each the index along `axis`.
fn read(
    tensor: &Tensor<'_>,
    storages: &StorageBytes<'_>,
    kind: Kind,
    axis: Option<usize>,
    summarize: bool,
) -> Result<(Elements, Vec<u64>), String> {
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
    let summarized = summarize && numel > THRESHOLD;
    let shown = shown_shape(&tensor.shape, summarized);
    let count = shown.iter().fold(1u64, |n, &d| n.saturating_mul(d));
    let mut elements = Elements {
        shape: tensor.shape.clone(),
        summarized,
        values: Vec::new(),
    };
    if numel == 0 {
        return Ok((elements, Vec::new()));
    }
    let limit = if summarize { MAX_READ } else { MAX_CHECKED };
    if count > limit {
        return Err(format!("{count} elements to read: too many"));
    }
    let mut values = Vec::with_capacity(count as usize);
    let mut channels = Vec::with_capacity(if axis.is_some() { count as usize } else { 0 });
    let mut index = vec![0u64; shown.len()];
    for _ in 0..count {
        let mut at = base;
        for (dim, &i) in index.iter().enumerate() {
            let real = match summarized && tensor.shape[dim] > 2 * EDGE_ITEMS && i >= EDGE_ITEMS {
                true => tensor.shape[dim] - 2 * EDGE_ITEMS + i,
                false => i,
            };
            if axis == Some(dim) {
                channels.push(real);
            }
            at = at.saturating_add(real.saturating_mul(tensor.stride[dim]).saturating_mul(size));
        }
        let start = usize::try_from(at).map_err(|_| "offset past memory".to_string())?;
        let raw = bytes
            .get(start..start + size as usize)
            .ok_or_else(|| "an element past the storage".to_string())?;
        values.push(kind.read(raw, little_endian));
        step(&mut index, &shown);
    }
    elements.values = values;
    Ok((elements, channels))
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
    /// An 8-bit float of this many exponent bits, with this bias, and how it spells NaN
    /// and infinity.
    Float8 {
        exponent_bits: u32,
        bias: i32,
        form: Float8Form,
    },
    /// `float8_e8m0fnu`: an exponent alone, `2^(e - 127)`; `0xff` is NaN.
    Exponent8,
}

/// How an 8-bit float spells what is not a finite number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Float8Form {
    /// As IEEE 754 does (`e5m2`): the top exponent is infinity or NaN.
    Ieee,
    /// `fn`: no infinity, the all-ones pattern (either sign) is NaN.
    Finite,
    /// `fnuz`: no infinity and no negative zero; `0x80` is NaN.
    FiniteUnsignedZero,
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
            "qint8" | "qint32" => Kind::Int,
            "quint8" => Kind::UInt,
            "float8_e4m3fn" => Kind::float8(4, 7, Float8Form::Finite),
            "float8_e4m3fnuz" => Kind::float8(4, 8, Float8Form::FiniteUnsignedZero),
            "float8_e5m2" => Kind::float8(5, 15, Float8Form::Ieee),
            "float8_e5m2fnuz" => Kind::float8(5, 16, Float8Form::FiniteUnsignedZero),
            "float8_e8m0fnu" => Kind::Exponent8,
            _ => return None,
        })
    }

    fn float8(exponent_bits: u32, bias: i32, form: Float8Form) -> Kind {
        Kind::Float8 {
            exponent_bits,
            bias,
            form,
        }
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
            (
                Kind::Float8 {
                    exponent_bits,
                    bias,
                    form,
                },
                _,
            ) => Element::Float(float8(low as u8, exponent_bits, bias, form)),
            (Kind::Exponent8, _) => Element::Float(match low as u8 {
                0xff => f64::NAN,
                e => 2f64.powi(i32::from(e) - 127),
            }),
            (Kind::ComplexHalf, _) => Element::Complex(
                super::numpy::f16_to_f64(low as u16),
                super::numpy::f16_to_f64((low >> 16) as u16),
            ),
        }
    }
}

/// An 8-bit float's value: a sign bit, `exponent_bits`, the rest mantissa.
fn float8(bits: u8, exponent_bits: u32, bias: i32, form: Float8Form) -> f64 {
    let mantissa_bits = 7 - exponent_bits;
    let top = (1u8 << exponent_bits) - 1;
    let exponent = (bits >> mantissa_bits) & top;
    let mantissa = bits & ((1u8 << mantissa_bits) - 1);
    let magnitude_bits = bits & 0x7f;
    match form {
        Float8Form::Ieee if exponent == top => {
            return match mantissa {
                0 if bits & 0x80 != 0 => f64::NEG_INFINITY,
                0 => f64::INFINITY,
                _ => f64::NAN,
            }
        }
        Float8Form::Finite if magnitude_bits == 0x7f => return f64::NAN,
        Float8Form::FiniteUnsignedZero if bits == 0x80 => return f64::NAN,
        _ => {}
    }
    let scale = f64::from(1u32 << mantissa_bits);
    let magnitude = match exponent {
        0 => f64::from(mantissa) / scale * 2f64.powi(1 - bias),
        _ => (1.0 + f64::from(mantissa) / scale) * 2f64.powi(i32::from(exponent) - bias),
    };
    match bits & 0x80 {
        0 => magnitude,
        _ => -magnitude,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float8_kinds_read_their_largest_and_smallest_values() {
        // torch.finfo(...).max and .smallest_normal, and the subnormal steps.
        assert_eq!(float8(0x7e, 4, 7, Float8Form::Finite), 448.0);
        assert!(float8(0xff, 4, 7, Float8Form::Finite).is_nan());
        assert_eq!(float8(0x01, 4, 7, Float8Form::Finite), 2f64.powi(-9));
        assert_eq!(float8(0x7b, 5, 15, Float8Form::Ieee), 57344.0);
        assert_eq!(float8(0xfc, 5, 15, Float8Form::Ieee), f64::NEG_INFINITY);
        assert_eq!(float8(0x7f, 4, 8, Float8Form::FiniteUnsignedZero), 240.0);
        assert!(float8(0x80, 5, 16, Float8Form::FiniteUnsignedZero).is_nan());
        assert_eq!(float8(0x7f, 5, 16, Float8Form::FiniteUnsignedZero), 57344.0);
    }
}
