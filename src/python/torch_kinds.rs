//! Tensors torch pickles otherwise than as one dense storage: quantized tensors
//! (`torch._utils._rebuild_qtensor(storage, offset, size, stride, quantizer_params,
//! requires_grad, hooks)`) and sparse ones (`torch._utils._rebuild_sparse_tensor(layout,
//! data)`, whose `data` holds dense tensors: a COO tensor's indices and values, a
//! compressed one's two index tensors and values).
//!
//! A quantized tensor is a [`Tensor`] over its integers, with a [`Quantizer`] that says
//! how they map to real values; a sparse tensor is a [`SparseTensor`] of its parts.
//! Parameters torch would refuse to rebuild (a scale that is not a number, an axis past
//! the shape) are kept as the reason, for the view to say.
//!
//! ```
//! use picklegraph::python::torch_kinds::{sparse_tensor, SparseLayout};
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/zoo/torch/torch/sparse_tensors.pt");
//! let bytes = std::fs::read(path).unwrap();
//! let checkpoint = picklegraph::model::Checkpoint::open(&bytes).unwrap();
//! let pickle = checkpoint.load().unwrap();
//! let entries = picklegraph::python::view::dict(&pickle, pickle.root()).unwrap();
//! let (_, coo) = entries.get(0).unwrap();
//! let sparse = sparse_tensor(&pickle, coo.node().unwrap(), None).unwrap();
//! assert_eq!((sparse.layout, sparse.size.as_slice()), (SparseLayout::Coo, &[3, 4][..]));
//! assert_eq!(sparse.parts.iter().map(|p| p.name).collect::<Vec<_>>(), ["indices", "values"]);
//! ```

use super::torch::{tensor_in, NestedStorages, Tensor};
use super::view;
use crate::graph::{NodeId, Pickle, Value};

/// How a quantized tensor's integers map to real values.
#[derive(Debug, Clone, PartialEq)]
pub enum Quantizer<'p> {
    /// `torch.per_tensor_affine`: `(q - zero_point) * scale` for every element.
    PerTensor {
        /// The scale, as pickled (a Python float).
        scale: f64,
        /// The zero point.
        zero_point: i64,
    },
    /// `torch.per_channel_affine`: a scale and zero point for each index along `axis`.
    PerChannel {
        /// The scales (a float64 tensor) and the node that rebuilds them.
        scales: Box<(NodeId, Tensor<'p>)>,
        /// The zero points (an int64 tensor) and the node that rebuilds them.
        zero_points: Box<(NodeId, Tensor<'p>)>,
        /// The dimension the channels run along.
        axis: u64,
    },
    /// Parameters that are not read: why (torch would refuse most of them).
    Unread(String),
}

/// The quantizer of `_rebuild_qtensor`'s `quantizer_params`: `(torch.per_tensor_affine,
/// scale, zero_point)` or `(torch.per_channel_affine, scales, zero_points, axis)`.
pub(crate) fn quantizer<'p>(
    pickle: &'p Pickle<'_>,
    params: Value,
    nested: Option<&'p NestedStorages>,
) -> Quantizer<'p> {
    let unread = |why: &str| Quantizer::Unread(why.to_string());
    let Some(items) = view::tuple(pickle, params) else {
        return unread("its quantizer parameters are not a tuple");
    };
    let scheme = items.first().and_then(|v| view::global(pickle, v));
    match (scheme, items.len()) {
        (Some(("torch", "per_tensor_affine")), 3) => {
            let scale = match items.get(1) {
                Some(Value::Float(f)) => f,
                Some(Value::Int(i)) => i as f64,
                _ => return unread("its scale is not a number"),
            };
            let Some(zero_point) = items.get(2).and_then(view::int) else {
                return unread("its zero point is not an int");
            };
            Quantizer::PerTensor { scale, zero_point }
        }
        (Some(("torch", "per_channel_affine")), 4) => {
            let part = |index: usize| {
                let id = items.get(index)?.node()?;
                Some((id, tensor_in(pickle, id, nested)?))
            };
            let (Some(scales), Some(zero_points)) = (part(1), part(2)) else {
                return unread("its scales and zero points are not tensors");
            };
            let Some(axis) = items.get(3).and_then(view::count) else {
                return unread("its axis is not a non-negative int");
            };
            Quantizer::PerChannel {
                scales: Box::new(scales),
                zero_points: Box::new(zero_points),
                axis,
            }
        }
        (Some(("torch", scheme)), _) if scheme.starts_with("per_") => Quantizer::Unread(format!(
            "the quantization scheme torch.{scheme} is not read"
        )),
        _ => unread("its quantization scheme is not one of torch's"),
    }
}

impl Quantizer<'_> {
    /// torch's name of the scheme, as `quantization_scheme=` prints it.
    pub fn scheme(&self) -> Option<&'static str> {
        match self {
            Quantizer::PerTensor { .. } => Some("torch.per_tensor_affine"),
            Quantizer::PerChannel { .. } => Some("torch.per_channel_affine"),
            Quantizer::Unread(_) => None,
        }
    }
}

/// A sparse tensor's layout, as `layout=` prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SparseLayout {
    /// `torch.sparse_coo`: indices (one row a sparse dimension) and values.
    Coo,
    /// `torch.sparse_csr`: compressed row indices, column indices, values.
    Csr,
    /// `torch.sparse_csc`: compressed column indices, row indices, values.
    Csc,
    /// `torch.sparse_bsr`: CSR of blocks.
    Bsr,
    /// `torch.sparse_bsc`: CSC of blocks.
    Bsc,
}

impl SparseLayout {
    fn named(name: &str) -> Option<SparseLayout> {
        Some(match name {
            "sparse_coo" => SparseLayout::Coo,
            "sparse_csr" => SparseLayout::Csr,
            "sparse_csc" => SparseLayout::Csc,
            "sparse_bsr" => SparseLayout::Bsr,
            "sparse_bsc" => SparseLayout::Bsc,
            _ => return None,
        })
    }

    /// `torch.sparse_coo`, …
    pub fn name(self) -> &'static str {
        match self {
            SparseLayout::Coo => "torch.sparse_coo",
            SparseLayout::Csr => "torch.sparse_csr",
            SparseLayout::Csc => "torch.sparse_csc",
            SparseLayout::Bsr => "torch.sparse_bsr",
            SparseLayout::Bsc => "torch.sparse_bsc",
        }
    }

    /// The names torch's repr gives the parts, in the order they are pickled.
    pub fn part_names(self) -> &'static [&'static str] {
        match self {
            SparseLayout::Coo => &["indices", "values"],
            SparseLayout::Csr | SparseLayout::Bsr => &["crow_indices", "col_indices", "values"],
            SparseLayout::Csc | SparseLayout::Bsc => &["ccol_indices", "row_indices", "values"],
        }
    }
}

/// One dense part of a sparse tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct SparsePart<'p> {
    /// `indices`, `values`, `crow_indices`, …
    pub name: &'static str,
    /// The node that rebuilds it.
    pub node: NodeId,
    /// The tensor.
    pub tensor: Tensor<'p>,
}

/// A sparse tensor: its layout, its parts and its dense size.
#[derive(Debug, Clone, PartialEq)]
pub struct SparseTensor<'p> {
    /// The layout.
    pub layout: SparseLayout,
    /// Its parts, as [`SparseLayout::part_names`] names them.
    pub parts: Vec<SparsePart<'p>>,
    /// The size of the dense tensor it stands for.
    pub size: Vec<u64>,
}

impl SparseTensor<'_> {
    /// The values part.
    pub fn values(&self) -> &Tensor<'_> {
        &self.parts[self.parts.len() - 1].tensor
    }

    /// How many elements are stored: the values' first dimension, as `_nnz()` says.
    pub fn nnz(&self) -> u64 {
        self.values().shape.first().copied().unwrap_or(0)
    }

    /// What is wrong with it that torch's checks (`weights_only` loads validate each
    /// sparse tensor) would refuse, from the parts' shapes; `None` when they agree.
    pub fn shape_problem(&self) -> Option<String> {
        let nnz = self.nnz();
        let indices = &self.parts[0].tensor;
        match self.layout {
            SparseLayout::Coo => {
                let [sparse_dims, count] = indices.shape[..] else {
                    return Some("its indices are not 2-dimensional".to_string());
                };
                if count != nnz {
                    return Some(format!(
                        "{count} indices for {nnz} values: nnz does not match"
                    ));
                }
                let dense_dims = self.values().shape.len().saturating_sub(1) as u64;
                if sparse_dims.saturating_add(dense_dims) != self.size.len() as u64 {
                    return Some(format!(
                        "{sparse_dims} sparse and {dense_dims} dense dimensions for a size of {}",
                        self.size.len()
                    ));
                }
            }
            _ => {
                let plain = &self.parts[1].tensor;
                if indices.shape.len() != 1 || plain.shape != [nnz] {
                    return Some(format!(
                        "{} plain indices for {nnz} values: nnz does not match",
                        plain.numel()
                    ));
                }
                if self.size.len() < 2 {
                    return Some("a compressed layout of fewer than 2 dimensions".to_string());
                }
            }
        }
        None
    }
}

/// The sparse tensor node `id` rebuilds, when it is `_rebuild_sparse_tensor(layout,
/// data)` over dense tensors (read as [`tensor_in`] reads them).
pub fn sparse_tensor<'p>(
    pickle: &'p Pickle<'_>,
    id: NodeId,
    nested: Option<&'p NestedStorages>,
) -> Option<SparseTensor<'p>> {
    let call = view::call(pickle, Value::Node(id))?;
    if !view::is_global(pickle, call.func, "torch._utils", "_rebuild_sparse_tensor") {
        return None;
    }
    let [layout, data] = call.args.array()?;
    let layout = sparse_layout(pickle, layout)?;
    let data = view::tuple(pickle, data)?;
    let names = layout.part_names();
    // COO: (indices, values, size[, is_coalesced]); compressed: (…, values, size).
    let fits = match layout {
        SparseLayout::Coo => matches!(data.len(), 3 | 4),
        _ => data.len() == 4,
    };
    if !fits {
        return None;
    }
    let parts = names
        .iter()
        .enumerate()
        .map(|(index, &name)| {
            let node = data.get(index)?.node()?;
            let tensor = tensor_in(pickle, node, nested)?;
            Some(SparsePart { name, node, tensor })
        })
        .collect::<Option<Vec<_>>>()?;
    let size = size(pickle, data.get(names.len())?)?;
    Some(SparseTensor {
        layout,
        parts,
        size,
    })
}

/// `torch.serialization._get_layout('torch.sparse_coo')`, as torch 2 writes a layout,
/// or the global `torch.sparse_coo`, as torch 1 wrote it.
fn sparse_layout(pickle: &Pickle<'_>, value: Value) -> Option<SparseLayout> {
    if let Some(("torch", name)) = view::global(pickle, value) {
        return SparseLayout::named(name);
    }
    let call = view::call(pickle, value)?;
    if !view::is_global(pickle, call.func, "torch.serialization", "_get_layout") {
        return None;
    }
    let [name] = call.args.array()?;
    SparseLayout::named(view::str(pickle, name)?.strip_prefix("torch.")?)
}

/// A size: `torch.Size((3, 4))`, or a tuple or list of ints.
fn size(pickle: &Pickle<'_>, value: Value) -> Option<Vec<u64>> {
    if let Some(call) = view::call(pickle, value) {
        if !view::is_global(pickle, call.func, "torch", "Size") {
            return None;
        }
        let [dims] = call.args.array()?;
        return view::counts(pickle, dims);
    }
    view::counts(pickle, value)
}
