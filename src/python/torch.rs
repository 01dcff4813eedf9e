//! PyTorch tensors as `torch.save` pickles them, read from the graph.
//!
//! `torch.save` turns each storage into a persistent id, `('storage', torch.FloatStorage,
//! key, location, numel)` (a sixth item, a view, in the legacy format), and each tensor
//! into `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad,
//! hooks)`; dtypes without a storage class use an `UntypedStorage` of bytes and
//! `_rebuild_tensor_v3(…, dtype)`. Parameters wrap a tensor in `_rebuild_parameter`.
//! [`tensor`] reads one such node, [`find_tensors`] every tensor reachable from the
//! root with its state-dict name, and [`table`] writes them as a table. Nothing here
//! reads a storage's bytes: what a tensor is comes from the pickle alone.
//!
//! ```
//! use picklegraph::python::torch;
//! // torch._utils._rebuild_tensor_v2(<storage ('storage', torch.FloatStorage, '0', 'cpu', 6)>,
//! //                                  0, (2, 3), (3, 1), False, collections.OrderedDict())
//! let data = b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storage\
//! ctorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x06tQK\x00K\x02K\x03\x86\
//! K\x03K\x01\x86\x89ccollections\nOrderedDict\n)RtR.";
//! let pickle = picklegraph::load(data)?;
//! let tensor = torch::tensor(&pickle, pickle.root().node().unwrap()).unwrap();
//! assert_eq!(tensor.to_string(), "Tensor(float32, [2, 3], storage data/0 at offset 0, 24 B)");
//! # Ok::<(), picklegraph::Error>(())
//! ```

use std::fmt;

pub use super::torch_kinds::Quantizer;
use super::view;
use crate::graph::{InertKind, Items, Mutation, Node, NodeId, Pickle, Value};

/// A torch dtype: its name as `torch.<name>` spells it, and the bytes of one element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DType {
    /// `float32`, `bfloat16`, `int64`, …
    pub name: &'static str,
    /// Bytes per element.
    pub size: u8,
}

/// Every dtype torch can save, with its element size.
const DTYPES: &[(&str, u8)] = &[
    ("float64", 8),
    ("float32", 4),
    ("float16", 2),
    ("bfloat16", 2),
    ("int64", 8),
    ("int32", 4),
    ("int16", 2),
    ("int8", 1),
    ("uint8", 1),
    ("uint16", 2),
    ("uint32", 4),
    ("uint64", 8),
    ("bool", 1),
    ("complex32", 4),
    ("complex64", 8),
    ("complex128", 16),
    ("float8_e4m3fn", 1),
    ("float8_e5m2", 1),
    ("float8_e4m3fnuz", 1),
    ("float8_e5m2fnuz", 1),
    ("float8_e8m0fnu", 1),
    ("qint8", 1),
    ("quint8", 1),
    ("qint32", 4),
    ("quint4x2", 1),
    ("quint2x4", 1),
    ("bits1x8", 1),
    ("bits2x4", 1),
    ("bits4x2", 1),
    ("bits8", 1),
    ("bits16", 2),
];

/// Other spellings of the same dtypes (`torch.float` is `torch.float32`).
const ALIASES: &[(&str, &str)] = &[
    ("double", "float64"),
    ("float", "float32"),
    ("half", "float16"),
    ("long", "int64"),
    ("int", "int32"),
    ("short", "int16"),
    ("chalf", "complex32"),
    ("cfloat", "complex64"),
    ("cdouble", "complex128"),
];

/// The legacy storage classes and the dtype each holds (torch's
/// `_dtype_to_storage_type_map`).
const STORAGE_CLASSES: &[(&str, &str)] = &[
    ("DoubleStorage", "float64"),
    ("FloatStorage", "float32"),
    ("HalfStorage", "float16"),
    ("BFloat16Storage", "bfloat16"),
    ("LongStorage", "int64"),
    ("IntStorage", "int32"),
    ("ShortStorage", "int16"),
    ("CharStorage", "int8"),
    ("ByteStorage", "uint8"),
    ("BoolStorage", "bool"),
    ("ComplexDoubleStorage", "complex128"),
    ("ComplexFloatStorage", "complex64"),
    ("QInt8Storage", "qint8"),
    ("QUInt8Storage", "quint8"),
    ("QInt32Storage", "qint32"),
    ("QUInt4x2Storage", "quint4x2"),
    ("QUInt2x4Storage", "quint2x4"),
    ("UntypedStorage", "uint8"),
];

impl DType {
    /// The dtype named `torch.<name>`, under any of its spellings.
    /// ```
    /// use picklegraph::python::torch::DType;
    /// assert_eq!(DType::named("half").map(|d| (d.name, d.size)), Some(("float16", 2)));
    /// ```
    pub fn named(name: &str) -> Option<DType> {
        let name = ALIASES
            .iter()
            .find(|(alias, _)| *alias == name)
            .map_or(name, |(_, canonical)| canonical);
        DTYPES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(name, size)| DType { name, size })
    }

    /// The dtype a storage class holds (`FloatStorage` holds `float32`, `UntypedStorage`
    /// bytes).
    pub fn of_storage_class(class: &str) -> Option<DType> {
        let (_, dtype) = STORAGE_CLASSES.iter().find(|(c, _)| *c == class)?;
        DType::named(dtype)
    }
}

/// Which layout wrote a storage's persistent id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdForm {
    /// `('storage', class, key, location, numel)`: the zip format; the storage is the
    /// archive's record `data/<key>`.
    Zip,
    /// `('storage', class, key, location, numel, view)`: the legacy format; the key is
    /// the storage's address when it was saved.
    Legacy,
    /// `torch.storage._load_from_bytes(b'…')`: `pickle.dumps` of a tensor writes its
    /// storage as a legacy checkpoint in bytes, which the container layer reads
    /// ([`NestedStorages`]).
    Nested,
    /// A tar checkpoint's (torch < 0.4): the storage's key in its `storages` member
    /// ([`PersistentTensor`]).
    Tar,
}

/// A storage a tensor views, as its persistent id describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Storage<'p> {
    /// The key that names its bytes (`'12'` for the record `data/12`).
    pub key: &'p str,
    /// What one element is (`uint8` for an untyped storage).
    pub dtype: DType,
    /// Whether the id names `torch.UntypedStorage` (bytes; the tensor gives the dtype).
    pub untyped: bool,
    /// Where it lived when saved: `cpu`, `cuda:0`, …
    pub location: &'p str,
    /// Its length in elements of `dtype`.
    pub numel: u64,
    /// The layout that wrote the id.
    pub form: IdForm,
    /// For a legacy view of another storage: the viewed key, the offset and the length
    /// in elements.
    pub view: Option<(&'p str, u64, u64)>,
}

impl Storage<'_> {
    /// Its length in bytes.
    pub fn nbytes(&self) -> u64 {
        self.numel.saturating_mul(u64::from(self.dtype.size))
    }

    /// How people find its bytes: `data/12` in a zip archive, the key in a legacy file,
    /// and for a legacy view the elements it spans: `94000000000000[2:6]`.
    pub fn name(&self) -> String {
        let mut name = match self.form {
            IdForm::Zip => format!("data/{}", self.key),
            IdForm::Legacy | IdForm::Nested | IdForm::Tar => self.key.to_string(),
        };
        if let Some((_, offset, numel)) = self.view {
            name.push_str(&format!("[{offset}:{}]", offset.saturating_add(numel)));
        }
        name
    }

    /// Where a view starts in the storage it views, in elements (0 for a whole storage).
    pub fn view_offset(&self) -> u64 {
        self.view.map_or(0, |(_, offset, _)| offset)
    }
}

/// A storage that a `torch.storage._load_from_bytes(b'…')` call loads: the storage the
/// nested legacy checkpoint saved, as the container layer read it from the bytes
/// (`crate::model::storage_bytes`); the graph alone cannot say its dtype.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NestedStorage {
    /// The key its bytes are found under in the [`crate::python::tensor_data::StorageBytes`]
    /// it came with: the nested checkpoint's key, and the call's node, since two calls
    /// load two storages.
    pub key: String,
    /// What one element is.
    pub dtype: DType,
    /// Whether it is an `UntypedStorage`.
    pub untyped: bool,
    /// Where it lived when saved.
    pub location: String,
    /// Its length in elements of `dtype`.
    pub numel: u64,
}

/// A tensor that a persistent id of a tar checkpoint's saved object stands for, as the
/// checkpoint's `tensors` member describes it (`crate::model::tar`): the graph holds
/// only its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersistentTensor {
    /// The storage it views (a storage view's own key, its bytes its part of the root).
    pub storage: NestedStorage,
    /// The size of each dimension.
    pub shape: Vec<u64>,
    /// The step between elements of each dimension, in elements.
    pub stride: Vec<u64>,
    /// Where its first element lies in the storage, in elements.
    pub offset: u64,
}

/// The storages of the `_load_from_bytes` calls of a pickle, by call node, or why one
/// could not be read (a malformed or hostile nested stream); and the tensors that
/// persistent ids stand for, by persistent-id node, where the container says so.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NestedStorages {
    by_call: std::collections::HashMap<NodeId, Result<NestedStorage, String>>,
    by_id: std::collections::HashMap<NodeId, PersistentTensor>,
}

impl NestedStorages {
    /// Records the tensor the persistent id `node` stands for.
    pub fn insert_tensor(&mut self, node: NodeId, tensor: PersistentTensor) {
        self.by_id.insert(node, tensor);
    }

    /// The tensor the persistent id `node` stands for, when the container said so.
    pub fn tensor(&self, node: NodeId) -> Option<&PersistentTensor> {
        self.by_id.get(&node)
    }

    /// Records what the call `call` loads.
    pub fn insert(&mut self, call: NodeId, storage: Result<NestedStorage, String>) {
        self.by_call.insert(call, storage);
    }

    /// What the call `call` loads, if it is a recorded `_load_from_bytes` call.
    pub fn get(&self, call: NodeId) -> Option<&Result<NestedStorage, String>> {
        self.by_call.get(&call)
    }

    /// Whether no call was recorded.
    pub fn is_empty(&self) -> bool {
        self.by_call.is_empty()
    }

    /// Whether no persistent id was said to stand for a tensor.
    pub fn has_no_tensors(&self) -> bool {
        self.by_id.is_empty()
    }
}

/// The bytes a `torch.storage._load_from_bytes(b'…')` call at `value` loads: one
/// constant bytes argument.
/// ```
/// use picklegraph::python::torch::nested_load;
/// // torch.storage._load_from_bytes(b'ab')
/// let pickle = picklegraph::load(b"\x80\x04\x8c\rtorch.storage\x8c\x10_load_from_bytes\x93C\x02ab\x85R.")?;
/// assert_eq!(nested_load(&pickle, pickle.root()), Some(&b"ab"[..]));
/// # Ok::<(), picklegraph::Error>(())
/// ```
pub fn nested_load<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<&'p [u8]> {
    let call = view::call(pickle, value)?;
    if !view::is_global(pickle, call.func, "torch.storage", "_load_from_bytes") {
        return None;
    }
    let [bytes] = call.args.array()?;
    view::bytes(pickle, bytes)
}

/// Reads a persistent id `('storage', torch.FloatStorage, key, location, numel[, view])`.
/// Python 2 files may spell the strs as bytes.
pub fn storage<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<Storage<'p>> {
    storage_in(pickle, value, None)
}

/// [`storage`], or the storage a `_load_from_bytes` call loads when `nested` has read it.
pub fn storage_in<'p>(
    pickle: &'p Pickle<'_>,
    value: Value,
    nested: Option<&'p NestedStorages>,
) -> Option<Storage<'p>> {
    if let Some(nested) = nested.filter(|n| !n.is_empty()) {
        if let Some(Ok(storage)) = value.node().and_then(|id| nested.get(id)) {
            return Some(Storage {
                key: &storage.key,
                dtype: storage.dtype,
                untyped: storage.untyped,
                location: &storage.location,
                numel: storage.numel,
                form: IdForm::Nested,
                view: None,
            });
        }
    }
    let pid = match view::inert(pickle, value)?.kind {
        InertKind::Persistent { pid } => pid,
        _ => return None,
    };
    let items = view::tuple(pickle, pid)?;
    // Five or six items: each read below is there.
    let item = |index: usize| items.get(index).unwrap_or(Value::None);
    let (form, view) = match items.len() {
        5 => (IdForm::Zip, None),
        6 => (IdForm::Legacy, legacy_view(pickle, item(5))?),
        _ => return None,
    };
    if view::text(pickle, item(0))? != "storage" {
        return None;
    }
    let (module, class) = pickle.global_name(item(1))?;
    // torch.FloatStorage, torch.cuda.FloatStorage (legacy GPU files), and
    // torch.storage.UntypedStorage as torch 2 writes it.
    if !matches!(module, "torch" | "torch.cuda" | "torch.storage") {
        return None;
    }
    Some(Storage {
        key: storage_key(pickle, item(2))?,
        dtype: DType::of_storage_class(class)?,
        untyped: class == "UntypedStorage",
        location: view::text(pickle, item(3))?,
        numel: view::count(item(4))?,
        form,
        view,
    })
}

/// A storage key: a str (an int in some hand-made files is read as its digits' text).
fn storage_key<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<&'p str> {
    view::text(pickle, value)
}

/// The sixth item of a legacy id: `None`, or `(view_key, offset, size)`.
fn legacy_view<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<Option<(&'p str, u64, u64)>> {
    if value == Value::None {
        return Some(None);
    }
    let [key, offset, size] = view::tuple(pickle, value)?.array()?;
    Some(Some((
        storage_key(pickle, key)?,
        view::count(offset)?,
        view::count(size)?,
    )))
}

/// What rebuilt a tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TensorKind {
    /// A plain tensor.
    Tensor,
    /// An `nn.Parameter` (`_rebuild_parameter`).
    Parameter,
}

/// A tensor: dtype, shape, and where its elements lie in which storage.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor<'p> {
    /// Tensor or parameter.
    pub kind: TensorKind,
    /// The tensor subclass, for `torch._tensor._rebuild_from_type_v2(…, cls, …)`.
    pub class: Option<(&'p str, &'p str)>,
    /// The element type.
    pub dtype: DType,
    /// The size of each dimension.
    pub shape: Vec<u64>,
    /// The step between elements of each dimension, in elements.
    pub stride: Vec<u64>,
    /// Where the first element lies in the storage, in elements of `dtype`.
    pub offset: u64,
    /// The storage.
    pub storage: Storage<'p>,
    /// Whether it records gradients.
    pub requires_grad: bool,
    /// For a quantized tensor (`_rebuild_qtensor`), how its integers map to real values.
    pub quantizer: Option<Quantizer<'p>>,
}

impl Tensor<'_> {
    /// How many elements it has.
    pub fn numel(&self) -> u64 {
        self.shape.iter().fold(1u64, |n, &d| n.saturating_mul(d))
    }

    /// Its elements' bytes.
    pub fn nbytes(&self) -> u64 {
        self.numel().saturating_mul(u64::from(self.dtype.size))
    }

    /// The bytes of the storage it reaches, from its first element to its last: equal to
    /// [`Tensor::nbytes`] when it is contiguous, more for a strided view.
    pub fn extent_bytes(&self) -> u64 {
        if self.numel() == 0 {
            return 0;
        }
        let last = self
            .shape
            .iter()
            .zip(&self.stride)
            .fold(0u64, |end, (&d, &s)| {
                end.saturating_add((d - 1).saturating_mul(s))
            });
        last.saturating_add(1)
            .saturating_mul(u64::from(self.dtype.size))
    }

    /// Where its first element lies in the storage, in bytes.
    pub fn byte_offset(&self) -> u64 {
        self.offset.saturating_mul(u64::from(self.dtype.size))
    }

    /// Whether its elements lie one after another in row-major order.
    pub fn is_contiguous(&self) -> bool {
        let mut expected = 1u64;
        for (&d, &s) in self.shape.iter().zip(&self.stride).rev() {
            if d != 1 && s != expected {
                return false;
            }
            expected = expected.saturating_mul(d);
        }
        true
    }

    /// Whether its elements lie inside its storage (a hostile file may claim otherwise).
    pub fn fits_storage(&self) -> bool {
        let storage_bytes = self.storage.nbytes();
        self.byte_offset().saturating_add(self.extent_bytes()) <= storage_bytes
            || self.storage.untyped && self.numel() == 0
    }
}

impl fmt::Display for Tensor<'_> {
    /// `Tensor(float32, [384, 1536], storage data/12 at offset 0, 2.2 MiB)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match (self.class, self.kind) {
            (Some((_, class)), _) => class,
            (None, TensorKind::Parameter) => "Parameter",
            (None, TensorKind::Tensor) => "Tensor",
        };
        write!(
            f,
            "{kind}({}, {}, storage {} at offset {}, {}",
            self.dtype.name,
            shape_list(&self.shape),
            self.storage.name(),
            self.offset,
            human_size(self.nbytes())
        )?;
        if !self.is_contiguous() {
            write!(f, ", stride {}", shape_list(&self.stride))?;
        }
        if self.storage.location != "cpu" {
            write!(f, ", {}", self.storage.location)?;
        }
        if self.requires_grad && self.kind == TensorKind::Tensor {
            f.write_str(", requires_grad")?;
        }
        f.write_str(")")
    }
}

/// `[384, 1536]`, as torch prints a size.
pub fn shape_list(shape: &[u64]) -> String {
    let parts: Vec<String> = shape.iter().map(u64::to_string).collect();
    format!("[{}]", parts.join(", "))
}

/// A byte count as people read it: `512 B`, `1.5 KiB`, `2.2 MiB`.
/// ```
/// use picklegraph::python::torch::human_size;
/// assert_eq!(human_size(2_359_296), "2.2 MiB");
/// assert_eq!(human_size(1000), "1000 B");
/// ```
pub fn human_size(bytes: u64) -> String {
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    crate::text::quantity::size(bytes)
}

/// The rebuild functions and what they rebuild.
const TENSOR_V2: &[&str] = &["torch._utils._rebuild_tensor_v2"];
const TENSOR_V1: &[&str] = &["torch._utils._rebuild_tensor"];
const TENSOR_V3: &[&str] = &["torch._utils._rebuild_tensor_v3"];
const PARAMETER: &[&str] = &[
    "torch._utils._rebuild_parameter",
    "torch._utils._rebuild_parameter_with_state",
];
const FROM_TYPE: &[&str] = &["torch._tensor._rebuild_from_type_v2"];
const QTENSOR: &[&str] = &["torch._utils._rebuild_qtensor"];

/// The tensor a node rebuilds, when it is one of torch's tensor or parameter patterns
/// over a storage persistent id.
pub fn tensor<'p>(pickle: &'p Pickle<'_>, id: NodeId) -> Option<Tensor<'p>> {
    tensor_in(pickle, id, None)
}

/// [`tensor`], over a storage persistent id or a `_load_from_bytes` call that `nested`
/// has read.
pub fn tensor_in<'p>(
    pickle: &'p Pickle<'_>,
    id: NodeId,
    nested: Option<&'p NestedStorages>,
) -> Option<Tensor<'p>> {
    if let Some(found) = nested.and_then(|n| n.tensor(id)) {
        return Some(persistent_tensor(found));
    }
    let made = view::made(pickle, Value::Node(id))?;
    let global = view::global(pickle, made.func);
    if view::is_one_of(global, PARAMETER) {
        let mut tensor = tensor_in(pickle, made.args.first()?.node()?, nested)?;
        tensor.kind = TensorKind::Parameter;
        tensor.requires_grad = view::boolean(made.args.get(1)?)?;
        return Some(tensor);
    }
    if view::is_one_of(global, FROM_TYPE) {
        let (Some(func), Some(class), Some(args)) =
            (made.args.get(0), made.args.get(1), made.args.get(2))
        else {
            return None;
        };
        let args = view::tuple(pickle, args)?;
        let mut tensor = rebuilt(pickle, pickle.global_name(func), args, nested)?;
        tensor.class = pickle.global_name(class);
        return Some(tensor);
    }
    rebuilt(pickle, global, made.args, nested)
}

fn persistent_tensor(found: &PersistentTensor) -> Tensor<'_> {
    let storage = &found.storage;
    Tensor {
        kind: TensorKind::Tensor,
        class: None,
        dtype: storage.dtype,
        shape: found.shape.clone(),
        stride: found.stride.clone(),
        offset: found.offset,
        storage: Storage {
            key: &storage.key,
            dtype: storage.dtype,
            untyped: storage.untyped,
            location: &storage.location,
            numel: storage.numel,
            form: IdForm::Tar,
            view: None,
        },
        requires_grad: false,
        quantizer: None,
    }
}

/// A tensor from a call of `_rebuild_tensor`, `_rebuild_tensor_v2` or `_v3`, given the
/// callable's name and the arguments: `_rebuild_from_type_v2` passes them apart.
fn rebuilt<'p>(
    pickle: &'p Pickle<'_>,
    global: Option<(&str, &str)>,
    args: Items<'p>,
    nested: Option<&'p NestedStorages>,
) -> Option<Tensor<'p>> {
    // The lengths are checked before each read: every argument read is there.
    let arg = |index: usize| args.get(index).unwrap_or(Value::None);
    let mut quantizer = None;
    let (requires_grad, dtype) = if view::is_one_of(global, TENSOR_V2) && args.len() >= 6 {
        (view::boolean(arg(4))?, None)
    } else if view::is_one_of(global, QTENSOR) && args.len() >= 7 {
        // (storage, offset, size, stride, quantizer_params, requires_grad, hooks)
        quantizer = Some(super::torch_kinds::quantizer(pickle, arg(4), nested));
        (view::boolean(arg(5))?, None)
    } else if view::is_one_of(global, TENSOR_V3) && args.len() >= 7 {
        let (_, name) = pickle.global_name(arg(6))?;
        (view::boolean(arg(4))?, Some(DType::named(name)?))
    } else if view::is_one_of(global, TENSOR_V1) && args.len() == 4 {
        (false, None)
    } else {
        return None;
    };
    let storage = storage_in(pickle, arg(0), nested)?;
    let dtype = dtype.unwrap_or(storage.dtype);
    let shape = view::counts(pickle, arg(2))?;
    let stride = view::counts(pickle, arg(3))?;
    if shape.len() != stride.len() {
        return None;
    }
    Some(Tensor {
        kind: TensorKind::Tensor,
        class: None,
        dtype,
        shape,
        stride,
        offset: view::count(arg(1))?,
        storage,
        requires_grad,
        quantizer,
    })
}

/// A tensor with the name a state dict gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedTensor<'p> {
    /// The dotted path of keys and indexes from the root: `encoder.weight`,
    /// `optimizer.state.0.exp_avg`.
    pub name: String,
    /// The node that rebuilds it.
    pub node: NodeId,
    /// The tensor.
    pub tensor: Tensor<'p>,
}

/// Path parts that `nn.Module` state dicts leave out of names.
const MODULE_ATTRIBUTES: &[&str] = &["_parameters", "_buffers", "_modules"];

/// Every tensor reachable from the root, once each, in the order the pickle holds them,
/// named by the dict keys and sequence indexes on the way (a whole pickled
/// `nn.Module`'s `_parameters`, `_buffers` and `_modules` are left out of the names, as
/// `state_dict()` leaves them out). Runs on a heap stack: any nesting is fine.
/// ```
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/torch/training.ckpt");
/// let bytes = std::fs::read(path).unwrap();
/// let checkpoint = picklegraph::model::Checkpoint::open(&bytes).unwrap();
/// let pickle = checkpoint.load().unwrap();
/// let names: Vec<String> = picklegraph::python::torch::find_tensors(&pickle)
///     .into_iter()
///     .map(|t| t.name)
///     .collect();
/// assert_eq!(names, ["model.fc.weight", "model.fc.bias", "optimizer.state.0.step", "optimizer.state.0.exp_avg"]);
/// ```
pub fn find_tensors<'p>(pickle: &'p Pickle<'_>) -> Vec<NamedTensor<'p>> {
    find_named(pickle, |id| tensor(pickle, id))
        .into_iter()
        .map(|(name, node, tensor)| NamedTensor { name, node, tensor })
        .collect()
}

/// The walk of [`find_tensors`], for any kind of leaf: every node reachable from the
/// root for which `pick` says something, once each, in the order the pickle holds them,
/// with the name [`find_tensors`] would give it; the walk does not go below a picked
/// node. (A converter picks the tensors it cannot write too, to name them.)
pub fn find_named<T>(
    pickle: &Pickle<'_>,
    mut pick: impl FnMut(NodeId) -> Option<T>,
) -> Vec<(String, NodeId, T)> {
    let mut found = Vec::new();
    let mut seen = vec![false; pickle.node_count()];
    let mut pending: Vec<(Value, String)> = vec![(pickle.root(), String::new())];
    while let Some((value, name)) = pending.pop() {
        let Some(id) = value.node() else { continue };
        if std::mem::replace(&mut seen[id.index()], true) {
            continue;
        }
        if let Some(picked) = pick(id) {
            found.push((name, id, picked));
            continue;
        }
        let children = named_children(pickle, id, &name);
        pending.extend(children.into_iter().rev());
    }
    found
}

/// The children of a node with their names: a mapping's values under their keys, a
/// sequence's items under their indexes, anything else's parts under its own name.
fn named_children(pickle: &Pickle<'_>, id: NodeId, name: &str) -> Vec<(Value, String)> {
    let value = Value::Node(id);
    if let Some(items) = view::mapping_items(pickle, value) {
        let mut children: Vec<(Value, String)> = items
            .iter()
            .map(|&(key, item)| (item, join(name, &key_text(pickle, key))))
            .collect();
        if let Node::Inert(inert) = pickle.node(id) {
            let state = inert.mutations.iter().filter_map(|m| match m {
                crate::Mutation::Build(state) => Some((*state, name.to_string())),
                _ => None,
            });
            children.extend(state);
        }
        return children;
    }
    match pickle.node(id) {
        Node::List(items) | Node::Tuple(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| (item, join(name, &i.to_string())))
            .collect(),
        node => (0..node.child_count())
            .filter_map(|i| node.child(i))
            .map(|child| (child, name.to_string()))
            .collect(),
    }
}

fn key_text(pickle: &Pickle<'_>, key: Value) -> String {
    match key {
        Value::Int(i) => i.to_string(),
        Value::Bool(b) => if b { "True" } else { "False" }.to_string(),
        _ => view::text(pickle, key).map_or_else(|| "?".to_string(), str::to_string),
    }
}

fn join(prefix: &str, part: &str) -> String {
    if MODULE_ATTRIBUTES.contains(&part) {
        return prefix.to_string();
    }
    if prefix.is_empty() {
        part.to_string()
    } else {
        format!("{prefix}.{part}")
    }
}

/// The entries of a state dict: a dict or `OrderedDict` with at least one item whose
/// values are all tensors, keyed by strs.
pub fn state_dict<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<Vec<(&'p str, Tensor<'p>)>> {
    state_dict_in(pickle, value, None)
}

/// [`state_dict`], its tensors read as [`tensor_in`] reads them.
pub fn state_dict_in<'p>(
    pickle: &'p Pickle<'_>,
    value: Value,
    nested: Option<&'p NestedStorages>,
) -> Option<Vec<(&'p str, Tensor<'p>)>> {
    // `show` asks about every container: only a call (an OrderedDict) or a dict whose
    // first value is a call (a tensor) can be one, and the rest is turned away before
    // any item is copied out.
    match pickle.get(value)? {
        Node::Dict(entries) => {
            let first = entries.get(0)?.1.node()?;
            if !matches!(pickle.node(first), Node::Inert(_)) {
                return None;
            }
        }
        Node::Inert(_) => {}
        _ => return None,
    }
    let items = view::mapping_items(pickle, value)?;
    if items.is_empty() {
        return None;
    }
    items
        .iter()
        .map(|&(key, item)| {
            Some((
                view::str(pickle, key)?,
                tensor_in(pickle, item.node()?, nested)?,
            ))
        })
        .collect()
}

/// A state dict at a node, with what `show` prints about it besides its tensors.
#[derive(Debug, Clone)]
pub struct StateDict<'p> {
    /// Whether it is a plain dict (an optimizer's per-parameter state), not a mapping
    /// made by a call (`nn.Module.state_dict()` returns an `OrderedDict`).
    pub plain_dict: bool,
    /// The class of a mapping made by a call, when it is a plain global.
    pub class: Option<(&'p str, &'p str)>,
    /// Its entries, as [`state_dict`] reads them.
    pub entries: Vec<(&'p str, Tensor<'p>)>,
    /// The states `BUILD` gave it (a state dict's `_metadata`), in stream order.
    pub states: Vec<Value>,
}

/// The state dict node `id` is, if it is one ([`state_dict`]).
pub fn state_dict_at<'p>(pickle: &'p Pickle<'_>, id: NodeId) -> Option<StateDict<'p>> {
    state_dict_at_in(pickle, id, None)
}

/// [`state_dict_at`], its tensors read as [`tensor_in`] reads them.
pub fn state_dict_at_in<'p>(
    pickle: &'p Pickle<'_>,
    id: NodeId,
    nested: Option<&'p NestedStorages>,
) -> Option<StateDict<'p>> {
    let entries = state_dict_in(pickle, Value::Node(id), nested)?;
    let plain_dict = matches!(pickle.node(id), Node::Dict(_));
    let class = match plain_dict {
        true => None,
        false => {
            view::made(pickle, Value::Node(id)).and_then(|made| view::global(pickle, made.func))
        }
    };
    let states = match pickle.node(id) {
        Node::Inert(inert) => inert
            .mutations
            .iter()
            .filter_map(|m| match m {
                Mutation::Build(state) => Some(*state),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    Some(StateDict {
        plain_dict,
        class,
        entries,
        states,
    })
}

/// Totals over a set of tensors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    /// How many tensors.
    pub tensors: usize,
    /// Their elements (parameters), added up.
    pub parameters: u64,
    /// Their bytes, added up.
    pub bytes: u64,
    /// How many distinct storages they view.
    pub storages: usize,
    /// The bytes of those storages, each counted once.
    pub storage_bytes: u64,
}

/// The totals of `tensors`: a storage shared by several counts once in the storage
/// figures.
pub fn totals<'t, 'p: 't>(tensors: impl IntoIterator<Item = &'t Tensor<'p>>) -> Totals {
    let mut totals = Totals::default();
    let mut storages = std::collections::HashMap::new();
    for tensor in tensors {
        totals.tensors += 1;
        totals.parameters = totals.parameters.saturating_add(tensor.numel());
        totals.bytes = totals.bytes.saturating_add(tensor.nbytes());
        storages.insert(tensor.storage.key, tensor.storage.nbytes());
    }
    totals.storages = storages.len();
    totals.storage_bytes = storages.values().fold(0u64, |a, &b| a.saturating_add(b));
    totals
}

/// The tensors as a table, name, dtype, shape, size, with a totals line:
///
/// ```text
/// name            dtype    shape    size
/// encoder.weight  float32  [8, 16]  512 B
/// encoder.bias    float32  [8]      32 B
/// 2 tensors, 136 parameters, 544 B (1 storage, 544 B)
/// ```
pub fn table<'t, 'p: 't>(rows: impl IntoIterator<Item = (&'t str, &'t Tensor<'p>)>) -> Vec<String> {
    let rows: Vec<(&str, &Tensor<'p>)> = rows.into_iter().collect();
    let mut cells = vec![[
        "name".to_string(),
        "dtype".to_string(),
        "shape".to_string(),
        "size".to_string(),
    ]];
    for (name, tensor) in &rows {
        cells.push([
            name.to_string(),
            tensor.dtype.name.to_string(),
            shape_list(&tensor.shape),
            human_size(tensor.nbytes()),
        ]);
    }
    let mut lines = align(&cells);
    lines.push(totals_line(&totals(rows.iter().map(|(_, t)| *t))));
    lines
}

/// `15 tensors, 1,234 parameters, 4.5 KiB (13 storages, 4.2 KiB)`.
pub fn totals_line(totals: &Totals) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {} parameters, {} ({}, {})",
        plural(totals.tensors, "tensor"),
        thousands(totals.parameters),
        human_size(totals.bytes),
        plural(totals.storages, "storage"),
        human_size(totals.storage_bytes)
    )
}

/// Columns padded to their widest cell, two spaces apart; no trailing spaces.
fn align<const N: usize>(rows: &[[String; N]]) -> Vec<String> {
    let mut widths = [0usize; N];
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    rows.iter()
        .map(|row| {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                line.push_str(cell);
                if i + 1 < N {
                    let pad = widths[i] - cell.chars().count() + 2;
                    line.extend(std::iter::repeat(' ').take(pad));
                }
            }
            line.trim_end().to_string()
        })
        .collect()
}

pub use crate::text::quantity::thousands;
