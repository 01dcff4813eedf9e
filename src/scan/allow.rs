//! The allow tables: builtins and names known to be pure data constructors, and pure
//! builtin functions that are listed but not trusted.

/// Builtins that are pure data constructors or constants. Python 2 names arrive mapped
/// (`unicode` → `str`, `long` → `int`, `xrange` → `range`).
pub(super) const SAFE_BUILTINS: &[&str] = &[
    "bool",
    "int",
    "float",
    "complex",
    "str",
    "bytes",
    "bytearray",
    "list",
    "tuple",
    "set",
    "frozenset",
    "dict",
    "object",
    "range",
    "slice",
    "Ellipsis",
    "NotImplemented",
    "None",
    "True",
    "False",
];

/// Pure builtin functions that fickling allows: not data constructors, so not safe here,
/// but not dangerous either (what they call is a global, classed on its own).
pub(super) const PURE_BUILTINS: &[&str] = &[
    "len",
    "abs",
    "sum",
    "min",
    "max",
    "round",
    "pow",
    "divmod",
    "sorted",
    "reversed",
    "enumerate",
    "zip",
    "map",
    "filter",
    "iter",
    "next",
    "all",
    "any",
    "hash",
    "id",
    "repr",
    "ascii",
    "bin",
    "hex",
    "oct",
    "ord",
    "chr",
    "isinstance",
    "issubclass",
    "callable",
    "format",
];

/// Names that are known pure data constructors: `(module, names)`; `*` is every name.
pub(super) const SAFE: &[(&str, &[&str])] = &[
    ("_codecs", &["encode"]),
    (
        "copyreg",
        &["_reconstructor", "__newobj__", "__newobj_ex__"],
    ),
    (
        "collections",
        &[
            "OrderedDict",
            "defaultdict",
            "deque",
            "Counter",
            "ChainMap",
            "UserDict",
            "UserList",
            "UserString",
        ],
    ),
    (
        "datetime",
        &[
            "date",
            "time",
            "datetime",
            "timedelta",
            "timezone",
            "tzinfo",
        ],
    ),
    ("decimal", &["Decimal"]),
    ("zoneinfo", &["ZoneInfo", "ZoneInfo._unpickle"]),
    ("fractions", &["Fraction"]),
    ("array", &["array", "_array_reconstructor"]),
    ("argparse", &["Namespace"]),
    (
        "numpy",
        &[
            "ndarray",
            "dtype",
            "bool_",
            "int8",
            "int16",
            "int32",
            "int64",
            "uint8",
            "uint16",
            "uint32",
            "uint64",
            "float16",
            "float32",
            "float64",
            "longdouble",
            "complex64",
            "complex128",
            "clongdouble",
            "str_",
            "bytes_",
            "void",
            "datetime64",
            "timedelta64",
            "object_",
            "intc",
            "uintc",
            "longlong",
            "ulonglong",
            "half",
            "single",
            "double",
            "csingle",
            "cdouble",
            "matrix",
            "recarray",
            "record",
        ],
    ),
    ("numpy.dtypes", &["*"]),
    ("numpy.core.multiarray", &["_reconstruct", "scalar"]),
    ("numpy._core.multiarray", &["_reconstruct", "scalar"]),
    ("numpy.core.numeric", &["_frombuffer"]),
    ("numpy._core.numeric", &["_frombuffer"]),
    (
        "numpy.ma.core",
        &["_mareconstruct", "MaskedArray", "MaskedConstant"],
    ),
    // numpy 2 pickles a masked array's class under numpy.ma.
    ("numpy.ma", &["MaskedArray"]),
    ("numpy.matrixlib.defmatrix", &["matrix"]),
    ("numpy.core.records", &["recarray", "record"]),
    ("numpy._core.records", &["recarray", "record"]),
    (
        "numpy.random._pickle",
        &[
            "__randomstate_ctor",
            "__bit_generator_ctor",
            "__generator_ctor",
        ],
    ),
    // The bit generators: each call builds a generator's state (from the OS's entropy
    // when no seed is given); `__pyx_unpickle_SeedSequence` (generated list) sets one.
    ("numpy.random._mt19937", &["MT19937"]),
    ("numpy.random._pcg64", &["PCG64", "PCG64DXSM"]),
    ("numpy.random._philox", &["Philox"]),
    ("numpy.random._sfc64", &["SFC64"]),
    ("numpy.random.bit_generator", &["SeedSequence"]),
    // scikit-learn's Cython losses: each constructor stores its parameters; each
    // `__pyx_unpickle_*` makes an instance of its own class (Cython checks the class
    // given is a subclass) and sets its fields. 1.5 pickles them under `_loss`, the
    // extension module's own name.
    ("_loss", SKLEARN_CYTHON_LOSSES),
    ("sklearn._loss._loss", SKLEARN_CYTHON_LOSSES),
    (
        "torch",
        &[
            "Tensor",
            "Size",
            "device",
            "dtype",
            "layout",
            "memory_format",
            "strided",
            "sparse_coo",
            "sparse_csr",
            "contiguous_format",
            "channels_last",
            "preserve_format",
            "per_tensor_affine",
            "per_tensor_symmetric",
            "per_channel_affine",
            "per_channel_symmetric",
            "per_channel_affine_float_qparams",
            "float16",
            "float32",
            "float64",
            "bfloat16",
            "half",
            "float",
            "double",
            "complex32",
            "complex64",
            "complex128",
            "cfloat",
            "cdouble",
            "uint8",
            "uint16",
            "uint32",
            "uint64",
            "int8",
            "int16",
            "int32",
            "int64",
            "short",
            "int",
            "long",
            "bool",
            "qint8",
            "quint8",
            "qint32",
            "quint4x2",
            "quint2x4",
            "float8_e4m3fn",
            "float8_e5m2",
            "ByteStorage",
            "CharStorage",
            "ShortStorage",
            "IntStorage",
            "LongStorage",
            "HalfStorage",
            "FloatStorage",
            "DoubleStorage",
            "BFloat16Storage",
            "BoolStorage",
            "ComplexFloatStorage",
            "ComplexDoubleStorage",
            "QUInt8Storage",
            "QInt8Storage",
            "QInt32Storage",
            "QUInt4x2Storage",
            "QUInt2x4Storage",
            "ByteTensor",
            "CharTensor",
            "ShortTensor",
            "IntTensor",
            "LongTensor",
            "HalfTensor",
            "FloatTensor",
            "DoubleTensor",
            "BFloat16Tensor",
            "BoolTensor",
        ],
    ),
    (
        "torch.storage",
        &["TypedStorage", "UntypedStorage", "_LegacyStorage"],
    ),
    (
        "torch._utils",
        &[
            "_rebuild_tensor",
            "_rebuild_tensor_v2",
            "_rebuild_tensor_v3",
            "_rebuild_parameter",
            "_rebuild_parameter_with_state",
            "_rebuild_qtensor",
            "_rebuild_sparse_tensor",
            "_rebuild_meta_tensor_no_storage",
            "_rebuild_wrapper_subclass",
            "_rebuild_device_tensor_from_numpy",
            "_rebuild_device_tensor_from_cpu_tensor",
            "_rebuild_nested_tensor",
        ],
    ),
    ("torch._tensor", &["_rebuild_from_type_v2"]),
    ("torch.nn.parameter", &["Parameter"]),
    // TorchScript archives (torch.jit.save) rebuild their constant lists with these;
    // each returns its argument.
    (
        "torch.jit._pickle",
        &[
            "build_intlist",
            "build_doublelist",
            "build_boollist",
            "build_tensorlist",
        ],
    ),
    ("torch.serialization", &["_get_layout"]),
    // Activation functions a module keeps in its state (`TransformerEncoderLayer`'s
    // `activation`, transformers' `GELUActivation.act`): each computes a tensor from its
    // argument, in place only with `inplace=True`, and dispatches nowhere but to the
    // argument's own `__torch_function__` (a tensor's).
    (
        "torch.nn.functional",
        &["relu", "gelu", "silu", "elu", "leaky_relu"],
    ),
    ("torch._C._nn", &["gelu", "silu", "elu", "leaky_relu"]),
    (
        "pandas",
        &[
            "DataFrame",
            "Series",
            "Index",
            "RangeIndex",
            "Categorical",
            "Timestamp",
            "Timedelta",
            "Period",
            "Interval",
            "NaT",
            "CategoricalDtype",
            "StringDtype",
            "DatetimeTZDtype",
            "PeriodDtype",
            "IntervalDtype",
            "Int64Dtype",
            "Float64Dtype",
            "BooleanDtype",
            // pandas 3 pickles these under the top-level names.
            "NA",
            "MultiIndex",
            "DatetimeIndex",
            "TimedeltaIndex",
            "PeriodIndex",
            "IntervalIndex",
            "CategoricalIndex",
        ],
    ),
    ("pandas.core.frame", &["DataFrame"]),
    ("pandas.core.series", &["Series"]),
    ("pandas.core.indexes.base", &["Index", "_new_Index"]),
    ("pandas.core.indexes.range", &["RangeIndex"]),
    ("pandas.core.indexes.multi", &["MultiIndex"]),
    // pandas 1's numeric indexes (removed in pandas 2).
    (
        "pandas.core.indexes.numeric",
        &["Int64Index", "UInt64Index", "Float64Index", "NumericIndex"],
    ),
    ("pandas._libs.missing", &["NA"]),
    (
        "pandas.core.indexes.datetimes",
        &["DatetimeIndex", "_new_DatetimeIndex"],
    ),
    (
        "pandas.core.indexes.period",
        &["PeriodIndex", "_new_PeriodIndex"],
    ),
    (
        "pandas.core.internals.managers",
        &["BlockManager", "SingleBlockManager"],
    ),
    (
        "pandas.core.internals.blocks",
        &[
            "new_block",
            "Block",
            "NumpyBlock",
            "ObjectBlock",
            "ExtensionBlock",
        ],
    ),
    ("pandas._libs.internals", &["_unpickle_block"]),
    ("pandas._libs.arrays", &["__pyx_unpickle_NDArrayBacked"]),
    (
        "pandas.arrays",
        &[
            "StringArray",
            "Categorical",
            "DatetimeArray",
            "IntegerArray",
            "BooleanArray",
            "FloatingArray",
            "IntervalArray",
            "PeriodArray",
            "TimedeltaArray",
        ],
    ),
    ("pandas.core.arrays.interval", &["IntervalArray"]),
    ("pandas.core.arrays.period", &["PeriodArray"]),
    ("pandas.core.arrays.timedeltas", &["TimedeltaArray"]),
    ("pandas.core.arrays.categorical", &["Categorical"]),
    (
        "pandas.core.arrays.string_",
        &["StringArray", "StringDtype"],
    ),
    ("pandas.core.arrays.datetimes", &["DatetimeArray"]),
    (
        "pandas.core.dtypes.dtypes",
        &[
            "CategoricalDtype",
            "DatetimeTZDtype",
            "PeriodDtype",
            "IntervalDtype",
        ],
    ),
    (
        "pandas._libs.tslibs.timestamps",
        &["_unpickle_timestamp", "Timestamp"],
    ),
    (
        "pandas._libs.tslibs.timedeltas",
        &["_timedelta_unpickle", "Timedelta"],
    ),
    ("pandas._libs.tslibs.nattype", &["__nat_unpickle"]),
    // joblib < 0.10's array headers, which no installable joblib writes any more (so the
    // generated list cannot have them): plain objects holding a file name and how to
    // rebuild the array from it (tests/fixtures/containers/joblib_0.9*.pkl).
    (
        "joblib.numpy_pickle",
        &["NDArrayWrapper", "ZNDArrayWrapper"],
    ),
];

/// scikit-learn's Cython loss classes and their pickle helpers.
const SKLEARN_CYTHON_LOSSES: &[&str] = &[
    "CyLossFunction",
    "CyHalfSquaredError",
    "CyAbsoluteError",
    "CyPinballLoss",
    "CyHuberLoss",
    "CyHalfPoissonLoss",
    "CyHalfGammaLoss",
    "CyHalfTweedieLoss",
    "CyHalfTweedieLossIdentity",
    "CyHalfBinomialLoss",
    "CyExponentialLoss",
    "CyHalfMultinomialLoss",
    "__pyx_unpickle_CyLossFunction",
    "__pyx_unpickle_CyHalfSquaredError",
    "__pyx_unpickle_CyAbsoluteError",
    "__pyx_unpickle_CyPinballLoss",
    "__pyx_unpickle_CyHuberLoss",
    "__pyx_unpickle_CyHalfPoissonLoss",
    "__pyx_unpickle_CyHalfGammaLoss",
    "__pyx_unpickle_CyHalfTweedieLoss",
    "__pyx_unpickle_CyHalfTweedieLossIdentity",
    "__pyx_unpickle_CyHalfBinomialLoss",
    "__pyx_unpickle_CyExponentialLoss",
    "__pyx_unpickle_CyHalfMultinomialLoss",
];

/// The generated allow list: `tools/allowlist/generate.py` writes it from the pickles that
/// pinned releases of the libraries write (the zoo), with their versions at its top.
const GENERATED: &str = include_str!("allowlist.txt");

/// The generated allow list, parsed once.
pub(super) struct Generated {
    /// Dotted names of calls the libraries' own pickles make.
    pub calls: std::collections::HashSet<&'static str>,
    /// Top-level modules that are harmless to import: the standard library's and the
    /// libraries'.
    pub modules: std::collections::HashSet<&'static str>,
}

/// The generated allow list.
pub(super) fn generated() -> &'static Generated {
    static GENERATED_LISTS: std::sync::OnceLock<Generated> = std::sync::OnceLock::new();
    GENERATED_LISTS.get_or_init(|| {
        let mut lists = Generated {
            calls: Default::default(),
            modules: Default::default(),
        };
        for line in GENERATED.lines() {
            if let Some(name) = line.strip_prefix("call ") {
                lists.calls.insert(name.trim());
            } else if let Some(module) = line.strip_prefix("module ") {
                lists.modules.insert(module.trim());
            }
        }
        lists
    })
}
