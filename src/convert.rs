//! `convert`: a PyTorch checkpoint's tensors written as a safetensors file, without
//! running the checkpoint's pickle.
//!
//! The file is scanned first, as `picklegraph scan` scans it (with the caller's
//! [`Policy`] and [`Mode`]); a file that does not pass is refused with the scan
//! ([`ConvertError::Refused`]). Then the checkpoint's tensors are read as
//! [`Checkpoint::weights`] lists them (zip and legacy checkpoints; a state dict, or the
//! parameters and buffers of a whole pickled `nn.Module`, named as `state_dict()` names
//! them) and written through the `safetensors` crate, the format's own writer, so the
//! header, the alignment and the order are what every safetensors reader expects.
//!
//! What the format cannot hold is refused with the tensor's name and the reason, never
//! written approximately: a sparse, quantized, nested, meta or wrapper-subclass tensor, a
//! dtype safetensors lacks (`complex128`, `complex32`, the quantized and bit dtypes), a
//! storage the file does not hold plainly (a deflated zip record). The rest is decided so:
//!
//! - **non-contiguous tensors** (a transposed view, a slice with a step) are written as
//!   their elements in row-major order, as `tensor.contiguous()` would lay them out;
//! - **tensors that share a storage** (views of one buffer, tied weights saved by a state
//!   dict) each get their own copy of their elements: safetensors has no aliasing;
//! - a tensor object reached under two names (a whole module's tied weight, pickled once
//!   and memo-referenced) is one tensor, written under the first name, as
//!   [`find_tensors`](crate::python::torch::find_tensors) names it;
//! - values that are not tensors (an epoch count, optimizer hyperparameters) are left out;
//! - a checkpoint saved on a big-endian machine has its elements swapped to
//!   little-endian, the only byte order of safetensors;
//! - the metadata is `{"format": "pt"}`, as `safetensors.torch.save_file` writes it and
//!   as transformers checks it.
//!
//! ```
//! use picklegraph::convert::{self, ConvertOptions};
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/torch/state_dict.pt");
//! let checkpoint = std::fs::read(path).unwrap();
//! let written = convert::to_bytes(&checkpoint, &ConvertOptions::default())?;
//! let read = safetensors::SafeTensors::deserialize(&written).unwrap();
//! let bias = read.tensor("encoder.bias").unwrap();
//! assert_eq!((bias.dtype(), bias.shape()), (safetensors::Dtype::F32, &[8][..]));
//! assert_eq!(&bias.data()[..4], &128f32.to_le_bytes()); // element 128 of a shared storage
//! # Ok::<(), picklegraph::convert::ConvertError>(())
//! ```

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use safetensors::{Dtype, View};

use crate::graph::{NodeId, Pickle};
use crate::model::{Checkpoint, ModelError, Weight};
use crate::python::{torch, view};
use crate::scan::{scan_file, FileScan, Mode, Policy, Verdict};

/// The metadata written in every file: what `safetensors.torch.save_file` writes.
pub const METADATA: (&str, &str) = ("format", "pt");

/// The default of [`ConvertOptions::max_gathered_bytes`].
pub const DEFAULT_MAX_GATHERED_BYTES: u64 = 4 << 30;

/// How a checkpoint is judged and converted.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConvertOptions {
    /// How the scan judges the file (as `scan --strict`, `--deny-only`).
    pub mode: Mode,
    /// The user's allow and deny patterns, on top of the built-in lists.
    pub policy: Policy,
    /// Most bytes of tensors that are copied rather than borrowed (non-contiguous or
    /// big-endian ones) in one file. A hostile view of stride 0 over one element can
    /// claim terabytes; real checkpoints copy nothing or a few of their tensors.
    pub max_gathered_bytes: u64,
}

impl Default for ConvertOptions {
    fn default() -> ConvertOptions {
        ConvertOptions {
            mode: Mode::default(),
            policy: Policy::new(),
            max_gathered_bytes: DEFAULT_MAX_GATHERED_BYTES,
        }
    }
}

impl ConvertOptions {
    /// The defaults, with this scan mode and policy.
    /// ```
    /// use picklegraph::scan::{Mode, Policy};
    /// let options = picklegraph::convert::ConvertOptions::new(Mode::Strict, Policy::new());
    /// assert_eq!(options.mode, Mode::Strict);
    /// ```
    pub fn new(mode: Mode, policy: Policy) -> ConvertOptions {
        ConvertOptions {
            mode,
            policy,
            ..ConvertOptions::default()
        }
    }
}

/// Why a checkpoint was not converted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConvertError {
    /// The scan did not pass the file; nothing was read past it.
    #[error("{}", refusal(.0))]
    Refused(Box<FileScan>),
    /// The file is no checkpoint picklegraph reads, or its layout is broken.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A tensor safetensors cannot hold.
    #[error("{name}: {reason}")]
    NotPlain {
        /// Its state-dict name.
        name: String,
        /// Why.
        reason: String,
    },
    /// Two tensors with one name (a hostile or odd pickle: dict keys that print alike).
    #[error("two tensors are named {0:?}")]
    DuplicateName(String),
    /// The tensors to copy pass [`ConvertOptions::max_gathered_bytes`].
    #[error("{name}: copying its {bytes} bytes passes the limit of {max} bytes copied")]
    TooLarge {
        /// The tensor that passed it.
        name: String,
        /// Its size.
        bytes: u64,
        /// The limit.
        max: u64,
    },
    /// The safetensors writer's error (a header too large, an I/O error).
    #[error("safetensors: {0}")]
    Write(#[from] safetensors::SafeTensorError),
}

/// One tensor as it is written: its dtype in safetensors' terms, its shape, and its
/// elements in row-major little-endian order (borrowed from the checkpoint when it
/// stores them so).
#[derive(Debug, Clone, PartialEq)]
pub struct PlainTensor<'a> {
    /// Its state-dict name.
    pub name: String,
    /// Its element type.
    pub dtype: Dtype,
    /// The size of each dimension.
    pub shape: Vec<usize>,
    /// Its elements.
    pub data: Cow<'a, [u8]>,
}

impl View for &PlainTensor<'_> {
    fn dtype(&self) -> Dtype {
        self.dtype
    }

    fn shape(&self) -> &[usize] {
        &self.shape
    }

    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.data)
    }

    fn data_len(&self) -> usize {
        self.data.len()
    }
}

/// A file that passed the scan, and its tensors ready to write.
#[derive(Debug)]
pub struct Conversion<'a> {
    /// The scan that passed it.
    pub scan: FileScan,
    /// The tensors, in the order the pickle holds them.
    pub tensors: Vec<PlainTensor<'a>>,
}

/// Scans `bytes` and reads the checkpoint's tensors as they will be written.
///
/// # Errors
/// A file the scan does not pass, no checkpoint, or a tensor safetensors cannot hold.
pub fn read<'a>(bytes: &'a [u8], options: &ConvertOptions) -> Result<Conversion<'a>, ConvertError> {
    let scan = scan_file(bytes, options.mode == Mode::Strict)
        .with_mode(options.mode)
        .with_policy(options.policy.clone());
    if scan.verdict() != Verdict::Clean {
        return Err(ConvertError::Refused(Box::new(scan)));
    }
    let checkpoint = Checkpoint::open(bytes)?;
    let pickle = checkpoint.load()?;
    if let Some((name, reason)) = first_not_plain(&pickle) {
        return Err(ConvertError::NotPlain { name, reason });
    }
    let mut names = HashSet::new();
    let mut gathered = 0u64;
    let mut tensors = Vec::new();
    for weight in checkpoint.weights(&pickle)? {
        if !names.insert(weight.name.clone()) {
            return Err(ConvertError::DuplicateName(weight.name));
        }
        let tensor = plain(bytes, weight, &mut gathered, options.max_gathered_bytes)?;
        tensors.push(tensor);
    }
    Ok(Conversion { scan, tensors })
}

/// The safetensors file of a checkpoint's tensors, in memory.
///
/// # Errors
/// As [`read`], and the writer's errors.
pub fn to_bytes(bytes: &[u8], options: &ConvertOptions) -> Result<Vec<u8>, ConvertError> {
    let conversion = read(bytes, options)?;
    let written = safetensors::serialize(views(&conversion.tensors), metadata())?;
    Ok(written)
}

/// Writes the safetensors file of a checkpoint's tensors to `path` (through a temporary
/// file beside it, renamed into place, as the safetensors crate writes), and returns
/// what was written.
///
/// # Errors
/// As [`read`], and the writer's errors (the I/O ones among them).
pub fn to_file<'a>(
    bytes: &'a [u8],
    options: &ConvertOptions,
    path: &std::path::Path,
) -> Result<Conversion<'a>, ConvertError> {
    let conversion = read(bytes, options)?;
    safetensors::serialize_to_file(views(&conversion.tensors), metadata(), path)?;
    Ok(conversion)
}

/// `the scan's verdict is dangerous: os.system`: the verdict and the first names that
/// fail the file.
fn refusal(scan: &FileScan) -> String {
    let mut names: Vec<&str> = scan
        .findings()
        .filter(|finding| scan.alarms(finding))
        .map(|finding| finding.name.as_deref().unwrap_or(&finding.text))
        .collect();
    names.sort_unstable();
    names.dedup();
    let mut text = format!("the scan's verdict is {}", scan.verdict().name());
    if !names.is_empty() {
        let shown = names.len().min(5);
        text.push_str(&format!(": {}", names[..shown].join(", ")));
        if names.len() > shown {
            text.push_str(&format!(", … ({} more)", names.len() - shown));
        }
    }
    text
}

fn views<'t, 'a>(
    tensors: &'t [PlainTensor<'a>],
) -> impl Iterator<Item = (&'t str, &'t PlainTensor<'a>)> {
    tensors.iter().map(|tensor| (tensor.name.as_str(), tensor))
}

fn metadata() -> Option<HashMap<String, String>> {
    Some(HashMap::from([(
        METADATA.0.to_string(),
        METADATA.1.to_string(),
    )]))
}

/// safetensors' dtype for a torch dtype it can hold.
/// ```
/// use picklegraph::convert::safetensors_dtype;
/// assert_eq!(safetensors_dtype("bfloat16"), Some(safetensors::Dtype::BF16));
/// assert_eq!(safetensors_dtype("complex128"), None); // safetensors has no C128
/// ```
pub fn safetensors_dtype(torch_name: &str) -> Option<Dtype> {
    Some(match torch_name {
        "float64" => Dtype::F64,
        "float32" => Dtype::F32,
        "float16" => Dtype::F16,
        "bfloat16" => Dtype::BF16,
        "int64" => Dtype::I64,
        "int32" => Dtype::I32,
        "int16" => Dtype::I16,
        "int8" => Dtype::I8,
        "uint64" => Dtype::U64,
        "uint32" => Dtype::U32,
        "uint16" => Dtype::U16,
        "uint8" => Dtype::U8,
        "bool" => Dtype::BOOL,
        "complex64" => Dtype::C64,
        "float8_e4m3fn" => Dtype::F8_E4M3,
        "float8_e5m2" => Dtype::F8_E5M2,
        "float8_e4m3fnuz" => Dtype::F8_E4M3FNUZ,
        "float8_e5m2fnuz" => Dtype::F8_E5M2FNUZ,
        "float8_e8m0fnu" => Dtype::F8_E8M0,
        _ => return None,
    })
}

/// A weight as it is written: its elements borrowed when the file stores them as
/// safetensors wants them, else copied in order.
fn plain<'a>(
    bytes: &'a [u8],
    weight: Weight,
    gathered: &mut u64,
    max_gathered: u64,
) -> Result<PlainTensor<'a>, ConvertError> {
    let not_plain = |reason: String| ConvertError::NotPlain {
        name: weight.name.clone(),
        reason,
    };
    let dtype = safetensors_dtype(weight.dtype.name).ok_or_else(|| {
        not_plain(format!(
            "safetensors has no dtype {} (torch.{0})",
            weight.dtype.name
        ))
    })?;
    let shape = weight
        .shape
        .iter()
        .map(|&d| usize::try_from(d))
        .collect::<Result<Vec<usize>, _>>()
        .map_err(|_| not_plain("a dimension past this machine's address space".to_string()))?;
    let size = u64::from(weight.dtype.size);
    let numel = weight.shape.iter().fold(1u64, |n, &d| n.saturating_mul(d));
    let nbytes = numel.saturating_mul(size);
    if numel == 0 {
        return Ok(tensor(weight.name, dtype, shape, Cow::Borrowed(&[])));
    }
    let range = weight.data.clone().ok_or_else(|| {
        not_plain(format!(
            "its storage {} is not stored plainly in the file (a compressed zip record, \
             or shorter than the tensor)",
            weight.storage
        ))
    })?;
    let start = usize::try_from(range.start).unwrap_or(usize::MAX);
    let end = usize::try_from(range.end).unwrap_or(usize::MAX);
    let extent = bytes
        .get(start..end)
        .ok_or_else(|| not_plain("its bytes lie past the end of the file".to_string()))?;
    if weight.contiguous && weight.little_endian {
        return Ok(tensor(weight.name, dtype, shape, Cow::Borrowed(extent)));
    }
    *gathered = gathered.saturating_add(nbytes);
    if *gathered > max_gathered {
        return Err(ConvertError::TooLarge {
            name: weight.name,
            bytes: nbytes,
            max: max_gathered,
        });
    }
    let mut data = if weight.contiguous {
        extent.to_vec()
    } else {
        gather(
            extent,
            &weight.shape,
            &weight.stride,
            usize::from(weight.dtype.size),
        )
    };
    if !weight.little_endian {
        let unit = match dtype {
            Dtype::C64 => 4,
            _ => usize::from(weight.dtype.size),
        };
        data.chunks_exact_mut(unit).for_each(<[u8]>::reverse);
    }
    Ok(tensor(weight.name, dtype, shape, Cow::Owned(data)))
}

fn tensor<'a>(
    name: String,
    dtype: Dtype,
    shape: Vec<usize>,
    data: Cow<'a, [u8]>,
) -> PlainTensor<'a> {
    PlainTensor {
        name,
        dtype,
        shape,
        data,
    }
}

/// The elements of a strided tensor in row-major order. `extent` runs from its first
/// element to the end of its last ([`Weight::data`]), so every index stays inside it.
fn gather(extent: &[u8], shape: &[u64], stride: &[u64], size: usize) -> Vec<u8> {
    let numel = shape.iter().product::<u64>() as usize;
    let mut out = Vec::with_capacity(numel * size);
    let mut index = vec![0u64; shape.len()];
    for _ in 0..numel {
        let element: u64 = index.iter().zip(stride).map(|(&i, &s)| i * s).sum();
        let at = element as usize * size;
        out.extend_from_slice(&extent[at..at + size]);
        for (dim, i) in index.iter_mut().enumerate().rev() {
            *i += 1;
            if *i < shape[dim] {
                break;
            }
            *i = 0;
        }
    }
    out
}

/// torch's rebuild functions of plain tensors, which [`torch::tensor`] reads.
const PLAIN_REBUILDS: &[&str] = &[
    "_rebuild_tensor",
    "_rebuild_tensor_v2",
    "_rebuild_tensor_v3",
    "_rebuild_parameter",
    "_rebuild_parameter_with_state",
    "_rebuild_from_type_v2",
];

/// The first tensor (by the state-dict walk) that torch rebuilds otherwise than from
/// one dense storage, with its name and why safetensors cannot hold it.
fn first_not_plain(pickle: &Pickle<'_>) -> Option<(String, String)> {
    let picked = torch::find_named(pickle, |id| {
        // A quantized tensor is read as a tensor of its integers, which safetensors
        // would hold without their scales: it is not plain.
        if torch::tensor(pickle, id).is_some_and(|t| t.quantizer.is_none()) {
            return Some(None);
        }
        not_plain_rebuild(pickle, id).map(Some)
    });
    picked
        .into_iter()
        .find_map(|(name, _, reason)| Some((name, reason?)))
}

/// Why a node's rebuild function makes a tensor safetensors cannot hold, when it is
/// one of torch's (`torch._utils._rebuild_*`), directly or through
/// `_rebuild_from_type_v2`.
fn not_plain_rebuild(pickle: &Pickle<'_>, id: NodeId) -> Option<String> {
    let made = view::made(pickle, crate::graph::Value::Node(id))?;
    let mut global = view::global(pickle, made.func)?;
    if global == ("torch._tensor", "_rebuild_from_type_v2") {
        global = view::global(pickle, made.args.first()?)?;
    }
    let (module, name) = global;
    if !matches!(module, "torch._utils" | "torch._tensor") || !name.starts_with("_rebuild_") {
        return None;
    }
    if PLAIN_REBUILDS.contains(&name) {
        return None;
    }
    let what = match name {
        "_rebuild_sparse_tensor" | "_rebuild_sparse_csr_tensor" => {
            "a sparse tensor: safetensors holds dense tensors only"
        }
        "_rebuild_qtensor" => {
            "a quantized tensor: its scales and zero points are state safetensors cannot hold"
        }
        "_rebuild_nested_tensor" => "a nested tensor: safetensors holds dense tensors only",
        "_rebuild_meta_tensor_no_storage" => "a meta tensor: it has no data",
        "_rebuild_wrapper_subclass" => "a tensor subclass with no storage of its own",
        _ => "not a tensor rebuilt from one dense storage",
    };
    Some(format!("{what} ({module}.{name})"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::torch::DType;

    fn weight(dtype: &str, shape: &[u64], stride: &[u64], little_endian: bool) -> Weight {
        let mut contiguous = true;
        let mut expected = 1;
        for (&d, &s) in shape.iter().zip(stride).rev() {
            contiguous &= d == 1 || s == expected;
            expected *= d;
        }
        let dtype = DType::named(dtype).unwrap();
        let last: u64 = shape.iter().zip(stride).map(|(&d, &s)| (d - 1) * s).sum();
        Weight {
            name: "w".to_string(),
            dtype,
            shape: shape.to_vec(),
            stride: stride.to_vec(),
            contiguous,
            storage: "data/0".to_string(),
            offset: 0,
            data: Some(0..(last + 1) * u64::from(dtype.size)),
            little_endian,
        }
    }

    #[test]
    fn big_endian_elements_are_swapped_each_and_complex_parts_apart() {
        let file: Vec<u8> = (0..16).collect();
        let mut gathered = 0;
        let ints = plain(
            &file,
            weight("int32", &[4], &[1], false),
            &mut gathered,
            u64::MAX,
        )
        .unwrap();
        assert_eq!(
            ints.data.to_vec(),
            [3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12]
        );
        let complex = plain(
            &file,
            weight("complex64", &[2], &[1], false),
            &mut gathered,
            u64::MAX,
        )
        .unwrap();
        assert_eq!(complex.data, ints.data, "each f32 part swapped on its own");
        // A transposed big-endian view: gathered, then swapped.
        let view = plain(
            &file,
            weight("int16", &[2, 2], &[1, 2], false),
            &mut gathered,
            u64::MAX,
        )
        .unwrap();
        assert_eq!(view.data.to_vec(), [1, 0, 5, 4, 3, 2, 7, 6]);
        assert!(matches!(ints.data, Cow::Owned(_)));
        let borrowed = plain(
            &file,
            weight("int32", &[4], &[1], true),
            &mut gathered,
            u64::MAX,
        )
        .unwrap();
        assert!(matches!(borrowed.data, Cow::Borrowed(_)));
    }

    #[test]
    fn copies_past_the_limit_are_refused() {
        // A stride-0 view of one element claiming a million elements.
        let file = [0u8; 4];
        let mut gathered = 0;
        let broadcast = weight("float32", &[1_000_000], &[0], true);
        let error = plain(&file, broadcast, &mut gathered, 1 << 20).unwrap_err();
        assert!(
            matches!(
                error,
                ConvertError::TooLarge {
                    bytes: 4_000_000,
                    ..
                }
            ),
            "{error}"
        );
    }

    #[test]
    fn gather_walks_a_transposed_view_in_row_major_order() {
        // A 2x3 storage 0..6 viewed as its transpose: shape (3, 2), stride (1, 3).
        let storage: Vec<u8> = (0..6).collect();
        assert_eq!(gather(&storage, &[3, 2], &[1, 3], 1), [0, 3, 1, 4, 2, 5]);
        // A step-2 slice of two-byte elements.
        let wide: Vec<u8> = (0..10).collect();
        assert_eq!(gather(&wide[..6], &[2], &[2], 2), [0, 1, 4, 5]);
        // A scalar.
        assert_eq!(gather(&[7], &[], &[], 1), [7]);
    }
}
