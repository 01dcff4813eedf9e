//! Which globals are dangerous, which are known pure data constructors, and why.
//!
//! The deny tables hold at least every name that picklescan, modelscan, fickling and
//! PyTorch's weights-only unpickler refuse (whole modules where any of them refuses a
//! whole module), plus the stdlib corners they miss that reach a shell or `exec`
//! (`mailcap`, `rlcompleter`, `cmd`, `sched`, `tkinter`, `antigravity`, …). The allow
//! table holds only constructors of plain data: builtin containers and scalars,
//! `collections`, `datetime`, `decimal`, the copyreg machinery, and the numpy, torch and
//! pandas rebuild functions. Everything else is unknown.
//!
//! A name is matched as the unpickler would resolve it: the module with Python 2 names
//! mapped as `_compat_pickle` maps them (the raw spelling is checked against the deny
//! tables too, since protocols 3+ do not map it), and the name as a dotted path of
//! attribute lookups, so `collections.OrderedDict.__init__.__globals__` is not
//! `collections.OrderedDict`.

use super::Class;
use crate::python::compat::python3_name;

/// How a rule picks names in its module.
#[derive(Debug, Clone, Copy)]
enum Names {
    /// Every name, and every submodule.
    All,
    /// Only these qualified names, in exactly this module.
    Only(&'static [&'static str]),
}

/// One row of the deny table: a module, the names it covers, and why they are dangerous.
#[derive(Debug, Clone, Copy)]
struct Deny {
    module: &'static str,
    names: Names,
    reason: &'static str,
}

const fn all(module: &'static str, reason: &'static str) -> Deny {
    Deny {
        module,
        names: Names::All,
        reason,
    }
}

const fn only(module: &'static str, names: &'static [&'static str], reason: &'static str) -> Deny {
    Deny {
        module,
        names: Names::Only(names),
        reason,
    }
}

const PROCESS: &str = "spawns processes, runs shell commands and reads, writes or deletes files";
const CODE: &str = "compiles or runs Python code given as data";
const DEBUG: &str = "a debugger, profiler or test runner: runs code given as a string";
const IMPORT: &str = "imports any module named by a string, or turns a string into any object";
const ATTR: &str =
    "turns a string into any attribute or method of any object (getattr in disguise)";
const CALLS: &str = "calls a callable it is given, so a harmless-looking call becomes any call";
const NESTED: &str =
    "loads a nested pickle (or a serialized object graph) whose content is not scanned";
const NETWORK: &str = "opens network connections";
const FILES: &str = "opens, reads, writes or deletes files";
const FFI: &str = "calls native code or manipulates raw memory";
const INTERP: &str = "reaches the interpreter's internals (modules, hooks, threads, signals, exit)";
const SHELL_CORNER: &str =
    "a stdlib corner that reaches a shell or eval (mailcap tests, browsers, GUI Tcl eval)";
const REGISTRY: &str = "changes the process-wide pickling registries that later loads trust";

/// Modules and names that are dangerous however they are called.
const DENY: &[Deny] = &[
    // Processes and the operating system.
    all("os", PROCESS),
    all("posix", PROCESS),
    all("nt", PROCESS),
    all("posixpath", FILES),
    all("ntpath", FILES),
    all("genericpath", FILES),
    all("subprocess", PROCESS),
    all("_posixsubprocess", PROCESS),
    all("commands", PROCESS),
    all("popen2", PROCESS),
    all("pty", PROCESS),
    all("pexpect", PROCESS),
    all("pipes", PROCESS),
    all("multiprocessing", PROCESS),
    all("_multiprocessing", PROCESS),
    all("concurrent", PROCESS),
    all(
        "platform",
        "runs helper commands (uname, file) through the shell",
    ),
    all(
        "uuid",
        "runs helper commands (ifconfig, ip, arp) to find a MAC address",
    ),
    all("_osx_support", PROCESS),
    all("_aix_support", PROCESS),
    all("_bootsubprocess", PROCESS),
    all("_winapi", PROCESS),
    all("msvcrt", PROCESS),
    all(
        "asyncio",
        "spawns subprocesses, opens connections and runs arbitrary coroutines",
    ),
    // The interpreter itself.
    all("sys", INTERP),
    all(
        "__builtins__",
        "the builtins namespace: eval, exec, getattr, open, __import__",
    ),
    all(
        "gc",
        "reaches every live object of the process (gc.get_objects, get_referrers)",
    ),
    all("inspect", ATTR),
    all("threading", INTERP),
    all("_thread", INTERP),
    all("signal", INTERP),
    all("_signal", INTERP),
    all("atexit", INTERP),
    all("faulthandler", INTERP),
    all("resource", INTERP),
    all("site", INTERP),
    all("ctypes", FFI),
    all("_ctypes", FFI),
    all("cffi", FFI),
    all("mmap", FFI),
    // Code and imports.
    all("code", CODE),
    // fickling denies these as module names too; no stdlib module has them.
    all("eval", CODE),
    all("exec", CODE),
    all("compile", CODE),
    all("codeop", CODE),
    all("runpy", CODE),
    all(
        "marshal",
        "turns bytes into code objects (marshal.loads), which then run",
    ),
    all(
        "types",
        "builds code objects, functions and modules (CodeType, FunctionType, ModuleType)",
    ),
    all("compileall", CODE),
    all("py_compile", CODE),
    all("symtable", CODE),
    all("_interpreters", CODE),
    all("_xxsubinterpreters", CODE),
    all("importlib", IMPORT),
    all("_frozen_importlib", IMPORT),
    all("_frozen_importlib_external", IMPORT),
    all("_imp", IMPORT),
    all("imp", IMPORT),
    all("pkgutil", IMPORT),
    all("zipimport", IMPORT),
    all("modulefinder", IMPORT),
    all(
        "pydoc",
        "pydoc.locate imports any name; pydoc.pipepager runs a shell command",
    ),
    all("operator", ATTR),
    all("_operator", ATTR),
    all("functools", CALLS),
    all("_functools", CALLS),
    all("sched", CALLS),
    all("cmd", "dispatches a string to any do_* method"),
    all(
        "rlcompleter",
        "evaluates expressions given as strings to complete them",
    ),
    // Debuggers, profilers and test runners.
    all("pdb", DEBUG),
    all("bdb", DEBUG),
    all("trace", DEBUG),
    all("profile", DEBUG),
    all("cProfile", DEBUG),
    all("_lsprof", DEBUG),
    all("timeit", DEBUG),
    all("doctest", DEBUG),
    all("unittest", DEBUG),
    all("test", DEBUG),
    all("idlelib", DEBUG),
    all("lib2to3", CODE),
    all("tabnanny", FILES),
    // Stdlib corners that reach a shell.
    all("mailcap", SHELL_CORNER),
    all("webbrowser", SHELL_CORNER),
    all("antigravity", SHELL_CORNER),
    all("tkinter", SHELL_CORNER),
    all("_tkinter", SHELL_CORNER),
    all("turtle", SHELL_CORNER),
    all("turtledemo", SHELL_CORNER),
    all("cgitb", SHELL_CORNER),
    all("curses", INTERP),
    all("tty", INTERP),
    all("termios", INTERP),
    all("fcntl", FILES),
    all("getpass", INTERP),
    all("pwd", INTERP),
    all("grp", INTERP),
    all("spwd", INTERP),
    // Nested pickles and other object loaders.
    all("pickle", NESTED),
    all("_pickle", NESTED),
    all("cPickle", NESTED),
    all("pickletools", NESTED),
    all("shelve", NESTED),
    all("dill", NESTED),
    all("cloudpickle", NESTED),
    all("joblib", NESTED),
    all("jsonpickle", NESTED),
    all("yaml", NESTED),
    all(
        "numpy.f2py",
        "evaluates strings as Python code (getlincoef, _eval_length)",
    ),
    all("numpy.testing", "numpy.testing runstring is exec"),
    all("numpy.distutils", PROCESS),
    all("numpy.ctypeslib", FFI),
    only(
        "numpy",
        &[
            "load",
            "loadtxt",
            "genfromtxt",
            "fromfile",
            "memmap",
            "save",
            "savez",
            "savez_compressed",
            "savetxt",
            "fromregex",
        ],
        "reads or writes files (and numpy.load unpickles object arrays)",
    ),
    all(
        "numpy.lib.npyio",
        "reads or writes files (and numpy.load unpickles object arrays)",
    ),
    all(
        "numpy.lib.format",
        "reads arrays from files, unpickling object arrays",
    ),
    only("torch", &["load", "compile"], NESTED),
    only(
        "torch.serialization",
        &["load", "_load", "_legacy_load", "StorageType"],
        NESTED,
    ),
    only(
        "torch.storage",
        &["_load_from_bytes"],
        "calls torch.load on bytes: a nested pickle",
    ),
    all("torch.hub", "downloads and runs code from a repository"),
    all("torch.jit", CODE),
    all("torch.package", NESTED),
    all("torch._inductor", PROCESS),
    all("torch._dynamo", CODE),
    all("torch.fx", CODE),
    all("torch.utils.cpp_extension", PROCESS),
    all("torch.utils.collect_env", PROCESS),
    all("torch.utils.bottleneck", DEBUG),
    all("torch.utils._config_module", NESTED),
    all("torch.utils.data.datapipes", NESTED),
    all("torch.distributed.rpc", NETWORK),
    all("torch.multiprocessing", PROCESS),
    all("pandas.io", FILES),
    all(
        "pandas.core.computation",
        "evaluates expressions given as strings (pandas.eval)",
    ),
    only(
        "pandas",
        &[
            "eval",
            "read_pickle",
            "read_csv",
            "read_table",
            "read_json",
            "read_excel",
            "read_parquet",
            "read_feather",
            "read_hdf",
            "read_sql",
            "read_html",
            "read_xml",
            "read_fwf",
            "read_orc",
            "read_sas",
            "read_spss",
            "read_stata",
            "read_clipboard",
            "to_pickle",
        ],
        "reads or writes files (pandas.read_pickle is a nested pickle, pandas.eval evaluates)",
    ),
    // Network.
    all("socket", NETWORK),
    all("_socket", NETWORK),
    all("ssl", NETWORK),
    all("_ssl", NETWORK),
    all("select", NETWORK),
    all("selectors", NETWORK),
    all("http", NETWORK),
    all("httplib", NETWORK),
    all("urllib", NETWORK),
    all("urllib2", NETWORK),
    all("urllib3", NETWORK),
    all("requests", NETWORK),
    all("httpx", NETWORK),
    all("aiohttp", NETWORK),
    all("ftplib", NETWORK),
    all("smtplib", NETWORK),
    all("smtpd", NETWORK),
    all("imaplib", NETWORK),
    all("poplib", NETWORK),
    all("telnetlib", NETWORK),
    all("nntplib", NETWORK),
    all("xmlrpc", NETWORK),
    all("xmlrpclib", NETWORK),
    all("socketserver", NETWORK),
    all("asyncore", NETWORK),
    all("asynchat", NETWORK),
    all("wsgiref", NETWORK),
    // Files.
    all("io", FILES),
    all("_io", FILES),
    all("_pyio", FILES),
    all("shutil", FILES),
    all("tempfile", FILES),
    all("filecmp", FILES),
    all("fileinput", FILES),
    all("glob", FILES),
    all("linecache", FILES),
    all("tarfile", FILES),
    all("zipfile", FILES),
    all("zipapp", FILES),
    all("gzip", FILES),
    all("bz2", FILES),
    all("lzma", FILES),
    all("dbm", FILES),
    all("sqlite3", FILES),
    all("_sqlite3", FILES),
    all("logging", "its handlers open files and sockets"),
    all("syslog", FILES),
    all("netrc", FILES),
    all("mailbox", FILES),
    all("difflib", FILES),
    all("distutils", PROCESS),
    all("setuptools", PROCESS),
    all("pip", PROCESS),
    all("ensurepip", PROCESS),
    all("venv", PROCESS),
    only(
        "codecs",
        &["open", "EncodedFile", "StreamReaderWriter", "StreamRecoder"],
        FILES,
    ),
    // The copyreg registries.
    only(
        "copyreg",
        &[
            "add_extension",
            "remove_extension",
            "clear_extension_cache",
            "pickle",
            "constructor",
            "dispatch_table",
            "_extension_registry",
            "_inverted_registry",
            "_extension_cache",
            "_reduce_ex",
        ],
        REGISTRY,
    ),
];

/// Plain data classes inside modules that a rule above denies as a whole: their own
/// construction runs nothing, so they are unknown (listed, and counted under `--strict`)
/// rather than dangerous. fickling denies these whole modules too, so here, and only
/// here, the scan is less strict than it, to keep plain data (CPython's canned
/// `SimpleCookie` pickle, a UUID, an in-memory buffer) from raising an alarm.
const PLAIN_DATA_IN_DENIED_MODULES: &[(&str, &[&str])] = &[
    ("http.cookies", &["SimpleCookie", "BaseCookie", "Morsel"]),
    ("uuid", &["UUID", "SafeUUID"]),
    ("io", &["BytesIO", "StringIO"]),
    ("_io", &["BytesIO", "StringIO"]),
];

/// Builtins that are pure data constructors or constants. Python 2 names arrive mapped
/// (`unicode` → `str`, `long` → `int`, `xrange` → `range`).
const SAFE_BUILTINS: &[&str] = &[
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

/// Why a builtin is dangerous, for the builtins that are known to be.
const DANGEROUS_BUILTINS: &[(&[&str], &str)] = &[
    (
        &["eval", "exec", "execfile", "compile", "input"],
        "runs Python code given as a string",
    ),
    (
        &["getattr", "setattr", "delattr", "hasattr", "vars", "dir"],
        ATTR,
    ),
    (&["__import__", "reload", "globals", "locals"], IMPORT),
    (&["open", "file", "raw_input"], FILES),
    (
        &[
            "breakpoint",
            "help",
            "exit",
            "quit",
            "copyright",
            "credits",
            "license",
        ],
        "starts an interactive session or ends the process",
    ),
    (
        &["apply", "classmethod", "staticmethod", "property", "super"],
        CALLS,
    ),
    (&["memoryview"], FFI),
];

/// Pure builtin functions that fickling allows: not data constructors, so not safe here,
/// but not dangerous either (what they call is a global, classed on its own).
const PURE_BUILTINS: &[&str] = &[
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
const SAFE: &[(&str, &[&str])] = &[
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
    ("torch.serialization", &["_get_layout"]),
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
        ],
    ),
    ("pandas.core.frame", &["DataFrame"]),
    ("pandas.core.series", &["Series"]),
    ("pandas.core.indexes.base", &["Index", "_new_Index"]),
    ("pandas.core.indexes.range", &["RangeIndex"]),
    ("pandas.core.indexes.multi", &["MultiIndex"]),
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
        ],
    ),
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
];

/// Function names that run code or touch the system in whatever module they are found.
const DANGEROUS_ANYWHERE: &[&str] = &[
    "eval",
    "exec",
    "execfile",
    "compile",
    "system",
    "popen",
    "popen2",
    "popen3",
    "popen4",
    "spawn",
    "spawnl",
    "spawnle",
    "spawnlp",
    "spawnv",
    "spawnve",
    "spawnvp",
    "spawnvpe",
    "posix_spawn",
    "posix_spawnp",
    "execl",
    "execle",
    "execlp",
    "execv",
    "execve",
    "execvp",
    "execvpe",
    "fork_exec",
    "check_output",
    "check_call",
    "getoutput",
    "getstatusoutput",
    "run_path",
    "run_module",
    "runcode",
    "runsource",
    "runctx",
    "runcall",
    "runeval",
    "__import__",
    "import_module",
    "getattr",
    "setattr",
    "delattr",
    "read_pickle",
    "unsafe_load",
    "full_load",
    "load_model",
    "startfile",
];

/// Private modules of the standard library (CPython 3.11's `sys.stdlib_module_names`
/// starting with `_`, and a few later ones). Nothing legitimate pickles a reference into
/// them except `_codecs.encode`, which is on the allow table.
const PRIVATE_STDLIB: &[&str] = &[
    "_abc",
    "_ast",
    "_asyncio",
    "_bisect",
    "_blake2",
    "_bz2",
    "_codecs",
    "_codecs_cn",
    "_codecs_hk",
    "_codecs_iso2022",
    "_codecs_jp",
    "_codecs_kr",
    "_codecs_tw",
    "_collections",
    "_collections_abc",
    "_compat_pickle",
    "_compression",
    "_contextvars",
    "_crypt",
    "_csv",
    "_curses",
    "_curses_panel",
    "_datetime",
    "_dbm",
    "_decimal",
    "_elementtree",
    "_gdbm",
    "_hashlib",
    "_heapq",
    "_json",
    "_locale",
    "_lzma",
    "_markupbase",
    "_md5",
    "_msi",
    "_multibytecodec",
    "_opcode",
    "_overlapped",
    "_posixshmem",
    "_py_abc",
    "_pydecimal",
    "_pylong",
    "_queue",
    "_random",
    "_scproxy",
    "_sha1",
    "_sha2",
    "_sha256",
    "_sha3",
    "_sha512",
    "_sitebuiltins",
    "_sre",
    "_stat",
    "_statistics",
    "_string",
    "_strptime",
    "_struct",
    "_symtable",
    "_threading_local",
    "_tokenize",
    "_tracemalloc",
    "_typing",
    "_uuid",
    "_warnings",
    "_weakref",
    "_weakrefset",
    "_zoneinfo",
    "_interpqueues",
    "_interpchannels",
    "_suggestions",
    "_sysconfig",
    "_testcapi",
    "_testinternalcapi",
];

/// Whether `module` is `prefix` or one of its submodules.
fn within(module: &str, prefix: &str) -> bool {
    module
        .strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

fn deny_reason(module: &str, name: &str) -> Option<&'static str> {
    DENY.iter().find_map(|rule| {
        let hit = match rule.names {
            Names::All => within(module, rule.module),
            Names::Only(names) => {
                module == rule.module && names.iter().any(|n| head(name) == *n || name == *n)
            }
        };
        hit.then_some(rule.reason)
    })
}

/// The first component of a dotted name: what `getattr(module, …)` looks up first.
fn head(name: &str) -> &str {
    name.split('.').next().unwrap_or(name)
}

fn is_safe(module: &str, name: &str) -> bool {
    SAFE.iter().any(|(m, names)| {
        *m == module
            && names
                .iter()
                .any(|n| *n == name || (*n == "*" && !name.contains('.')))
    })
}

fn is_dunder(component: &str) -> bool {
    component.len() > 4 && component.starts_with("__") && component.ends_with("__")
}

/// Builtin exception classes: constructing one is pure, but the name is not data, so
/// they stay unknown rather than safe.
fn is_builtin_exception(name: &str) -> bool {
    ["Error", "Exception", "Warning"]
        .iter()
        .any(|suffix| name.ends_with(suffix))
        || matches!(
            name,
            "BaseException"
                | "StopIteration"
                | "StopAsyncIteration"
                | "GeneratorExit"
                | "KeyboardInterrupt"
                | "SystemExit"
        )
}

fn classify_builtin(name: &str) -> (Class, String) {
    if SAFE_BUILTINS.contains(&name) {
        return (Class::Safe, "builtin data type or constant".to_string());
    }
    if let Some((_, reason)) = DANGEROUS_BUILTINS
        .iter()
        .find(|(names, _)| names.contains(&head(name)))
    {
        return (Class::Dangerous, format!("builtins.{name} {reason}"));
    }
    if PURE_BUILTINS.contains(&name) {
        return (
            Class::Unknown,
            "pure builtin function, but not a data constructor".to_string(),
        );
    }
    if name == "type" {
        return (
            Class::Unknown,
            "type(x) is pure, but type(name, bases, dict) creates a class".to_string(),
        );
    }
    if is_builtin_exception(name) && !name.contains('.') {
        return (
            Class::Unknown,
            "builtin exception class: not data".to_string(),
        );
    }
    (
        Class::Dangerous,
        format!("builtins.{name} is not a data constructor, and builtins also holds eval, exec, getattr, open and __import__"),
    )
}

/// Classes the global `module.name` (as the pickle spells it) and says why.
/// ```
/// use picklegraph::scan::{names::classify_global, Class};
/// assert_eq!(classify_global("posix", "system").0, Class::Dangerous);
/// assert_eq!(classify_global("copy_reg", "_reconstructor").0, Class::Safe);
/// assert_eq!(classify_global("fixmod", "Point").0, Class::Unknown);
/// ```
pub fn classify_global(raw_module: &str, raw_name: &str) -> (Class, String) {
    let (module, name) = python3_name(raw_module, raw_name);
    if PLAIN_DATA_IN_DENIED_MODULES
        .iter()
        .any(|(m, names)| *m == module && names.contains(&name))
    {
        return (
            Class::Unknown,
            format!("a plain data class, but {module} also holds names that touch the system"),
        );
    }
    for (m, n) in [(raw_module, raw_name), (module, name)] {
        if let Some(reason) = deny_reason(m, n) {
            return (Class::Dangerous, format!("{m}: {reason}"));
        }
    }
    if let Some(component) = name.split('.').find(|c| is_dunder(c)) {
        if !is_safe(module, name) {
            return (
                Class::Dangerous,
                format!("reaches Python internals through the attribute {component}: from there any object is reachable"),
            );
        }
    }
    if module == "builtins" {
        return classify_builtin(name);
    }
    if is_safe(module, name) {
        return (
            Class::Safe,
            format!("known pure data constructor ({module})"),
        );
    }
    let last = name.rsplit('.').next().unwrap_or(name);
    if DANGEROUS_ANYWHERE.contains(&last) {
        return (
            Class::Dangerous,
            format!("{last} runs code, imports or touches the system in any module"),
        );
    }
    if PRIVATE_STDLIB.iter().any(|p| within(module, p)) {
        return (Class::Dangerous, format!("{module} is a private module of the standard library: nothing legitimate pickles a reference into it"));
    }
    (Class::Unknown, unknown_reason(module))
}

fn unknown_reason(module: &str) -> String {
    match module {
        "__main__" => {
            "defined by the program that loads the pickle: it may do anything".to_string()
        }
        "joblib.numpy_pickle" => {
            "joblib reads the array that follows, unpickling object arrays".to_string()
        }
        _ => format!(
            "not on the safe list: importing {module} runs its code, and the name may do anything"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn submodules_of_a_denied_module_are_denied() {
        assert_eq!(classify_global("os.path", "join").0, Class::Dangerous);
        assert_eq!(classify_global("ossuary", "x").0, Class::Unknown);
    }

    #[test]
    fn a_dotted_path_out_of_a_safe_class_is_not_safe() {
        assert_eq!(classify_global("collections", "OrderedDict").0, Class::Safe);
        assert_eq!(
            classify_global("collections", "OrderedDict.__init__.__globals__").0,
            Class::Dangerous
        );
        assert_eq!(
            classify_global("collections", "OrderedDict.fromkeys").0,
            Class::Unknown
        );
        assert_eq!(
            classify_global("builtins", "dict.fromkeys").0,
            Class::Dangerous
        );
    }

    #[test]
    fn python2_spellings_are_mapped_and_checked_raw() {
        assert_eq!(classify_global("__builtin__", "set").0, Class::Safe);
        assert_eq!(classify_global("__builtin__", "unicode").0, Class::Safe);
        assert_eq!(classify_global("__builtin__", "eval").0, Class::Dangerous);
        assert_eq!(classify_global("commands", "getoutput").0, Class::Dangerous);
        assert_eq!(classify_global("cPickle", "loads").0, Class::Dangerous);
    }

    #[test]
    fn builtins_are_safe_only_when_listed() {
        assert_eq!(classify_global("builtins", "getattr").0, Class::Dangerous);
        assert_eq!(classify_global("builtins", "zip").0, Class::Unknown);
        assert_eq!(classify_global("builtins", "print").0, Class::Dangerous);
        assert_eq!(classify_global("builtins", "ValueError").0, Class::Unknown);
        assert_eq!(classify_global("builtins", "type").0, Class::Unknown);
        assert_eq!(classify_global("builtins", "Ellipsis").0, Class::Safe);
    }

    #[test]
    fn private_stdlib_modules_are_dangerous_except_codecs_encode() {
        assert_eq!(classify_global("_codecs", "encode").0, Class::Safe);
        assert_eq!(classify_global("_codecs", "decode").0, Class::Dangerous);
        assert_eq!(classify_global("_io", "FileIO").0, Class::Dangerous);
    }
}
