//! What `torch.load(weights_only=True)` would refuse, without torch: the globals of a
//! checkpoint that are not on torch's weights-only allow list, as
//! `torch.serialization.get_unsafe_globals_in_checkpoint` lists them.
//!
//! The allow list is written here from the facts of torch 2.15's
//! `torch/_weights_only_unpickler.py` (`_get_allowed_globals`): a few plain names, every
//! dtype, the legacy tensor and storage classes (CPU, CUDA, sparse), the quantization
//! schemes and the tensor rebuild functions. `tests/fixtures/zoo/weights_only.json`
//! records torch's own list and its answers on every zip checkpoint of the fixtures; a test
//! compares both with this module.
//!
//! Like torch, a name is the global's module and name as the pickle spells them, with
//! torch's own Python 2 tables applied (`NAME_MAPPING`, else `IMPORT_MAPPING` on the
//! module; smaller than `_compat_pickle`'s). Names the user allows (`--allow`, as
//! `torch.serialization.add_safe_globals` would) are not listed.

use std::collections::BTreeSet;

use super::policy::Action;
use super::report::FileScan;
use super::{Finding, FindingKind};

/// The torch release whose allow list this module writes.
pub const TORCH_VERSION: &str = "2.15.0";

/// Names allowed as they are.
const PLAIN: &[&str] = &[
    "collections.OrderedDict",
    "collections.Counter",
    "torch.nn.parameter.Parameter",
    "torch.serialization._get_layout",
    "torch.Size",
    "torch.Tensor",
    "torch.device",
    "_codecs.encode",
    "builtins.bytearray",
    "builtins.set",
    "builtins.complex",
    "torch._tensor._rebuild_from_type_v2",
    "torch.storage.TypedStorage",
    "torch.storage.UntypedStorage",
];

/// `torch._utils`' tensor rebuild functions (`_tensor_rebuild_functions`).
const REBUILD: &[&str] = &[
    "_rebuild_parameter",
    "_rebuild_parameter_with_state",
    "_rebuild_qtensor",
    "_rebuild_tensor",
    "_rebuild_tensor_v2",
    "_rebuild_tensor_v3",
    "_rebuild_sparse_tensor",
    "_rebuild_meta_tensor_no_storage",
    "_rebuild_wrapper_subclass",
    "_rebuild_device_tensor_from_numpy",
    "_rebuild_device_tensor_from_cpu_tensor",
];

/// Every `torch.<dtype>` (`str(dtype)`) of the storage-type map, the new dtypes and
/// `uint1`…`uint7`, `int1`…`int7`; and the quantization schemes.
const TORCH_NAMES: &[&str] = &[
    "bcomplex32",
    "bfloat16",
    "bits16",
    "bits1x8",
    "bits2x4",
    "bits4x2",
    "bits8",
    "bool",
    "complex128",
    "complex32",
    "complex64",
    "float16",
    "float32",
    "float4_e2m1fn_x2",
    "float64",
    "float8_e4m3fn",
    "float8_e4m3fnuz",
    "float8_e5m2",
    "float8_e5m2fnuz",
    "float8_e8m0fnu",
    "int1",
    "int2",
    "int3",
    "int4",
    "int5",
    "int6",
    "int7",
    "int8",
    "int16",
    "int32",
    "int64",
    "qint32",
    "qint8",
    "quint2x4",
    "quint4x2",
    "quint8",
    "uint1",
    "uint2",
    "uint3",
    "uint4",
    "uint5",
    "uint6",
    "uint7",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "per_channel_affine",
    "per_channel_affine_float_qparams",
    "per_channel_symmetric",
    "per_tensor_affine",
    "per_tensor_symmetric",
];

/// The element types of the legacy tensor classes (`torch._tensor_classes`):
/// `torch.FloatTensor`, `torch.cuda.FloatTensor`; the sparse ones have no `Bool`.
const TENSOR_TYPES: &[&str] = &[
    "BFloat16", "Bool", "Byte", "Char", "Double", "Float", "Half", "Int", "Long", "Short",
];

/// The element types of the legacy storage classes (`torch._storage_classes`) on the CPU;
/// CUDA has them but the quantized ones.
const STORAGE_TYPES: &[&str] = &[
    "BFloat16",
    "Bool",
    "Byte",
    "Char",
    "ComplexDouble",
    "ComplexFloat",
    "Double",
    "Float",
    "Half",
    "Int",
    "Long",
    "Short",
    "QInt32",
    "QInt8",
    "QUInt2x4",
    "QUInt4x2",
    "QUInt8",
];

/// torch's `IMPORT_MAPPING` (`torch/_utils.py`): Python 2 modules.
const IMPORT_MAPPING: &[(&str, &str)] = &[
    ("__builtin__", "builtins"),
    ("copy_reg", "copyreg"),
    ("Queue", "queue"),
    ("repr", "reprlib"),
    ("_abcoll", "collections.abc"),
    ("UserDict", "collections"),
    ("UserList", "collections"),
    ("UserString", "collections"),
    ("whichdb", "dbm"),
    ("StringIO", "io"),
    ("cStringIO", "io"),
];

/// A global as `(module, name)`.
type Spelled = (&'static str, &'static str);

/// torch's `NAME_MAPPING`: Python 2 names, checked before the modules.
const NAME_MAPPING: &[(Spelled, Spelled)] = &[
    (("__builtin__", "xrange"), ("builtins", "range")),
    (("__builtin__", "reduce"), ("functools", "reduce")),
    (("__builtin__", "intern"), ("sys", "intern")),
    (("__builtin__", "unichr"), ("builtins", "chr")),
    (("__builtin__", "unicode"), ("builtins", "str")),
    (("__builtin__", "long"), ("builtins", "int")),
    (("itertools", "izip"), ("builtins", "zip")),
    (("itertools", "imap"), ("builtins", "map")),
    (("itertools", "ifilter"), ("builtins", "filter")),
    (("itertools", "ifilterfalse"), ("itertools", "filterfalse")),
    (("itertools", "izip_longest"), ("itertools", "zip_longest")),
    (
        ("UserDict", "IterableUserDict"),
        ("collections", "UserDict"),
    ),
    (("UserList", "UserList"), ("collections", "UserList")),
    (("UserString", "UserString"), ("collections", "UserString")),
    (("__builtin__", "basestring"), ("builtins", "str")),
    (("exceptions", "StandardError"), ("builtins", "Exception")),
    (("UserDict", "UserDict"), ("collections", "UserDict")),
];

/// torch's weights-only allow list: every dotted name `torch.load(weights_only=True)`
/// hands out without `add_safe_globals`.
/// ```
/// let allowed = picklegraph::scan::weights_only::allowed_globals();
/// assert!(allowed.contains("torch._utils._rebuild_tensor_v2"));
/// assert!(allowed.contains("torch.cuda.sparse.FloatTensor"));
/// assert!(!allowed.contains("torch.nn.modules.linear.Linear"));
/// ```
pub fn allowed_globals() -> &'static BTreeSet<String> {
    static ALLOWED: std::sync::OnceLock<BTreeSet<String>> = std::sync::OnceLock::new();
    ALLOWED.get_or_init(|| {
        let mut allowed: BTreeSet<String> = PLAIN.iter().map(|n| n.to_string()).collect();
        allowed.extend(REBUILD.iter().map(|n| format!("torch._utils.{n}")));
        allowed.extend(TORCH_NAMES.iter().map(|n| format!("torch.{n}")));
        for t in TENSOR_TYPES {
            allowed.insert(format!("torch.{t}Tensor"));
            allowed.insert(format!("torch.cuda.{t}Tensor"));
            if *t != "Bool" {
                allowed.insert(format!("torch.sparse.{t}Tensor"));
                allowed.insert(format!("torch.cuda.sparse.{t}Tensor"));
            }
        }
        for t in STORAGE_TYPES {
            allowed.insert(format!("torch.{t}Storage"));
            if !t.starts_with('Q') {
                allowed.insert(format!("torch.cuda.{t}Storage"));
            }
        }
        allowed
    })
}

/// A global as torch's weights-only unpickler names it: Python 2 names mapped with
/// torch's own tables.
/// ```
/// use picklegraph::scan::weights_only::torch_name;
/// assert_eq!(torch_name("__builtin__", "set"), "builtins.set");
/// assert_eq!(torch_name("__builtin__", "xrange"), "builtins.range");
/// assert_eq!(torch_name("posix", "system"), "posix.system");
/// ```
pub fn torch_name(module: &str, name: &str) -> String {
    if let Some((_, (m, n))) = NAME_MAPPING
        .iter()
        .find(|(from, _)| *from == (module, name))
    {
        return format!("{m}.{n}");
    }
    let module = IMPORT_MAPPING
        .iter()
        .find(|(from, _)| *from == module)
        .map_or(module, |(_, to)| *to);
    format!("{module}.{name}")
}

/// The global a finding looks up, named as torch names it, when it is a global lookup.
fn looked_up(finding: &Finding) -> Option<String> {
    if finding.kind != FindingKind::Global {
        return None;
    }
    let (module, name) = finding.spelled.as_ref()?;
    Some(torch_name(module, name))
}

impl FileScan {
    /// The globals `torch.load(weights_only=True)` would refuse, sorted and each once, as
    /// `torch.serialization.get_unsafe_globals_in_checkpoint` lists them: of a zip
    /// checkpoint, those of its `data.pkl`; of any other file (torch's function refuses
    /// it), those of every pickle in it, which the weights-only unpickler would read in
    /// turn. Names the scan's policy allows are not listed, as with `add_safe_globals`.
    /// ```
    /// let scan = picklegraph::scan::scan_file(b"\x80\x02ctorch\nSize\n)\x85Rcmypkg\nNet\n.", false);
    /// assert_eq!(scan.weights_only_refused(), ["mypkg.Net"]);
    /// ```
    pub fn weights_only_refused(&self) -> Vec<String> {
        let is_zip = self.pickles.iter().any(|p| is_data_pkl(p.label.as_deref()));
        let mut refused = BTreeSet::new();
        for pickle in &self.pickles {
            if is_zip && !is_data_pkl(pickle.label.as_deref()) {
                continue;
            }
            for finding in &pickle.findings {
                let Some(name) = looked_up(finding) else {
                    continue;
                };
                let allowed_by_user = self
                    .rule_for(finding)
                    .is_some_and(|rule| rule.action == Action::Allow);
                if !allowed_globals().contains(&name) && !allowed_by_user {
                    refused.insert(name);
                }
            }
        }
        refused.into_iter().collect()
    }
}

/// Whether a pickle's label names the `data.pkl` record of a zip checkpoint.
fn is_data_pkl(label: Option<&str>) -> bool {
    label.is_some_and(|l| l == "data.pkl" || l.ends_with("/data.pkl"))
}

impl FileScan {
    /// Whether `torch.serialization.get_unsafe_globals_in_checkpoint` reads this file: a
    /// zip checkpoint, whose `data.pkl` it lists. It refuses any other file.
    pub fn is_zip_checkpoint(&self) -> bool {
        self.pickles.iter().any(|p| is_data_pkl(p.label.as_deref()))
    }

    /// Writes [`FileScan::weights_only_refused`] for people: a line that says what was
    /// read, then each refused global on a line of its own.
    ///
    /// # Errors
    /// What writing to `out` returns.
    pub fn write_weights_only(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        if !self.is_zip_checkpoint() {
            writeln!(out, "# not a zip checkpoint (torch.serialization.get_unsafe_globals_in_checkpoint refuses it): the globals of every pickle in the file")?;
        }
        for pickle in &self.pickles {
            if let Some(error) = &pickle.error {
                writeln!(
                    out,
                    "# pickle {} is malformed: {error}; what follows it was not read",
                    pickle.index
                )?;
            }
        }
        let refused = self.weights_only_refused();
        let plural = if refused.len() == 1 { "" } else { "s" };
        writeln!(
            out,
            "# torch.load(weights_only=True) would refuse {} global{plural} (allow list of torch {TORCH_VERSION})",
            refused.len()
        )?;
        for name in refused {
            writeln!(out, "{name}")?;
        }
        Ok(())
    }
}
