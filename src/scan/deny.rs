//! The deny tables: modules and names that can run code or touch the system, each with
//! the reason shown to the user. See `names.rs` for how they are matched.

/// How a rule picks names in its module.
#[derive(Debug, Clone, Copy)]
pub(super) enum Names {
    /// Every name, and every submodule.
    All,
    /// Only these qualified names, in exactly this module.
    Only(&'static [&'static str]),
}

/// One row of the deny table: a module, the names it covers, and why they are dangerous.
#[derive(Debug, Clone, Copy)]
pub(super) struct Deny {
    pub(super) module: &'static str,
    pub(super) names: Names,
    pub(super) reason: &'static str,
}

pub(super) const fn all(module: &'static str, reason: &'static str) -> Deny {
    Deny {
        module,
        names: Names::All,
        reason,
    }
}

pub(super) const fn only(
    module: &'static str,
    names: &'static [&'static str],
    reason: &'static str,
) -> Deny {
    Deny {
        module,
        names: Names::Only(names),
        reason,
    }
}

pub(super) const PROCESS: &str =
    "spawns processes, runs shell commands and reads, writes or deletes files";
pub(super) const CODE: &str = "compiles or runs Python code given as data";
pub(super) const DEBUG: &str = "a debugger, profiler or test runner: runs code given as a string";
pub(super) const IMPORT: &str =
    "imports any module named by a string, or turns a string into any object";
pub(super) const ATTR: &str =
    "looks up attributes or calls methods named by strings on whatever it is applied to (getattr in disguise)";
pub(super) const CALLS: &str =
    "calls a callable it is given, so a harmless-looking call becomes any call";
pub(super) const NESTED: &str =
    "loads a nested pickle (or a serialized object graph) whose content is not scanned";
pub(super) const NETWORK: &str = "opens network connections";
pub(super) const FILES: &str = "opens, reads, writes or deletes files";
pub(super) const FFI: &str = "calls native code or manipulates raw memory";
pub(super) const INTERP: &str =
    "reaches the interpreter's internals (modules, hooks, threads, signals, exit)";
pub(super) const SHELL_CORNER: &str =
    "a stdlib corner that reaches a shell or eval (mailcap tests, browsers, GUI Tcl eval)";
pub(super) const SHIPS_CODE: &str =
    "builds a function from a code object the pickle ships: calling it runs that code";
pub(super) const MAKES_CLASS: &str = "creates a class from a name, bases and namespace the pickle gives (type(name, bases, dict)), running its bases' __init_subclass__ and metaclass";
pub(super) const SETS_CODE_STATE: &str = "sets the globals, closure, defaults or methods of a function or class the pickle builds: code shipped by value";
pub(super) const TYPES_BY_NAME: &str =
    "looks up a type of the types module by a string (CodeType, FunctionType): how a pickle builds code objects";
pub(super) const CELLS: &str = "builds closure cells for functions the pickle ships by value";
pub(super) const OPERATOR: &str = "applies an operator, which runs its operands' own methods (__add__, __getitem__, …): not a data constructor";
pub(super) const IN_PLACE: &str =
    "changes the object it is given in place (setitem, delitem, in-place operators)";
pub(super) const TERMINAL: &str = "takes over the terminal (modes, screen, keyboard)";
pub(super) const USERS: &str = "reads the system's user and group database";
pub(super) const REGISTRY: &str =
    "changes the process-wide pickling registries that later loads trust";

/// `operator`'s functions that change their first argument.
const IN_PLACE_OPERATORS: &[&str] = &[
    "setitem",
    "delitem",
    "__setitem__",
    "__delitem__",
    "iadd",
    "iand",
    "iconcat",
    "ifloordiv",
    "ilshift",
    "imod",
    "imul",
    "imatmul",
    "ior",
    "ipow",
    "irshift",
    "isub",
    "itruediv",
    "ixor",
];
/// cloudpickle's helpers, by what they do (`cloudpickle.cloudpickle`, and
/// `cloudpickle.cloudpickle_fast` before 3.0).
const CLOUDPICKLE_CODE: &[&str] = &["_make_function", "_fill_function", "_make_skel_func"];
const CLOUDPICKLE_CLASSES: &[&str] = &[
    "_make_skeleton_class",
    "_make_skeleton_enum",
    "_rehydrate_skeleton_class",
    "_make_typevar",
];
const CLOUDPICKLE_STATE: &[&str] = &["_class_setstate", "_function_setstate"];
const CLOUDPICKLE_CELLS: &[&str] = &["_make_cell", "_make_empty_cell", "cell_set"];

/// Modules and names that are dangerous however they are called.
pub(super) const DENY: &[Deny] = &[
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
        "runs helper commands (uname, file, ver) to describe the system",
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
    all(
        "inspect",
        "reaches live frames, globals and source of any object (currentframe, getmembers, getattr_static)",
    ),
    all("threading", "starts threads that run a callable it is given"),
    all("_thread", "starts threads that run a callable it is given"),
    all("signal", INTERP),
    all("_signal", INTERP),
    all(
        "atexit",
        "registers a callable it is given to run when the process exits",
    ),
    all("faulthandler", INTERP),
    all("resource", INTERP),
    all(
        "site",
        "site.addsitedir runs the import lines of the .pth files it finds",
    ),
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
    all(
        "compileall",
        "compiles Python source files and writes .pyc files",
    ),
    all("py_compile", "compiles a Python source file and writes a .pyc file"),
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
    all(
        "modulefinder",
        "reads and compiles the source of scripts and modules named by strings",
    ),
    all(
        "pydoc",
        "pydoc.locate imports any name; pydoc.pipepager runs a shell command",
    ),
    only("operator", &["attrgetter", "methodcaller"], ATTR),
    only("_operator", &["attrgetter", "methodcaller"], ATTR),
    only("operator", &["call"], CALLS),
    only("_operator", &["call"], CALLS),
    only("operator", IN_PLACE_OPERATORS, IN_PLACE),
    only("_operator", IN_PLACE_OPERATORS, IN_PLACE),
    all("operator", OPERATOR),
    all("_operator", OPERATOR),
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
    all(
        "lib2to3",
        "rewrites Python source files (lib2to3's refactoring tool writes them)",
    ),
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
    all("curses", TERMINAL),
    all("tty", TERMINAL),
    all("termios", TERMINAL),
    all(
        "fcntl",
        "controls open file descriptors (locks, flags, ioctl)",
    ),
    all("getpass", "prompts on the terminal and reads what is typed"),
    all("pwd", USERS),
    all("grp", USERS),
    all("spwd", USERS),
    // Nested pickles and other object loaders.
    all("pickle", NESTED),
    all("_pickle", NESTED),
    all("cPickle", NESTED),
    all(
        "pickletools",
        "a pickle disassembler, not data: its dis and optimize read and write any file object they are given",
    ),
    all("shelve", NESTED),
    only("cloudpickle.cloudpickle", CLOUDPICKLE_CODE, SHIPS_CODE),
    only("cloudpickle.cloudpickle_fast", CLOUDPICKLE_CODE, SHIPS_CODE),
    only("cloudpickle.cloudpickle", CLOUDPICKLE_CLASSES, MAKES_CLASS),
    only("cloudpickle.cloudpickle_fast", CLOUDPICKLE_CLASSES, MAKES_CLASS),
    only("cloudpickle.cloudpickle", CLOUDPICKLE_STATE, SETS_CODE_STATE),
    only("cloudpickle.cloudpickle_fast", CLOUDPICKLE_STATE, SETS_CODE_STATE),
    only("cloudpickle.cloudpickle", &["_builtin_type"], TYPES_BY_NAME),
    only("cloudpickle.cloudpickle_fast", &["_builtin_type"], TYPES_BY_NAME),
    only("cloudpickle.cloudpickle", CLOUDPICKLE_CELLS, CELLS),
    only("cloudpickle.cloudpickle_fast", CLOUDPICKLE_CELLS, CELLS),
    only("cloudpickle.cloudpickle", &["subimport"], IMPORT),
    only("cloudpickle.cloudpickle_fast", &["subimport"], IMPORT),
    only(
        "cloudpickle.cloudpickle",
        &["dynamic_subimport"],
        "creates a module and fills its namespace with what the pickle gives",
    ),
    only("cloudpickle.cloudpickle", &["instance"], "calls the class it is given"),
    all(
        "cloudpickle",
        "cloudpickle rebuilds functions, classes and modules shipped by value (their code runs when called); cloudpickle.loads is a nested pickle",
    ),
    only("dill._dill", &["_create_function"], SHIPS_CODE),
    only(
        "dill._dill",
        &["_create_code"],
        "builds a code object from bytecode the pickle ships",
    ),
    only("dill._dill", &["_create_type"], MAKES_CLASS),
    only("dill._dill", &["_load_type"], TYPES_BY_NAME),
    only("dill._dill", &["_create_cell"], CELLS),
    only("dill._dill", &["_import_module", "_create_namedtuple"], IMPORT),
    only("dill._dill", &["_eval_repr"], "evaluates a string with eval"),
    only(
        "dill._dill",
        &["_getattr"],
        "evaluates a string with eval, or looks up any attribute named by a string",
    ),
    only("dill._dill", &["_get_attr", "_setattr", "_delattr"], ATTR),
    only(
        "dill._dill",
        &["_create_filehandle"],
        "opens a file named by the pickle, in the mode it gives (and may truncate it)",
    ),
    only(
        "dill._dill",
        &["_create_capsule"],
        "imports a module named by a string, or makes a PyCapsule from a raw pointer",
    ),
    only("dill._dill", &["_create_array", "_create_ftype"], CALLS),
    all(
        "dill",
        "dill rebuilds code, functions, classes, modules and file handles shipped by value; dill.loads is a nested pickle",
    ),
    all(
        "joblib",
        "joblib.load reads files and nested pickles; its other helpers run the callables they are given (Parallel, delayed, Memory)",
    ),
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
    only("torch", &["load"], NESTED),
    only(
        "torch",
        &["compile"],
        "compiles the function it is given with TorchDynamo and Inductor, which generate and run code",
    ),
    only(
        "torch.serialization",
        &["load", "_load", "_legacy_load"],
        NESTED,
    ),
    // torch's weights-only unpickler hands StorageType out for legacy storage classes; the
    // full loader never pickles it, so a pickle that names it is not torch's own.
    only(
        "torch.serialization",
        &["StorageType"],
        "looks up a storage dtype by name; torch.save never writes it, so only a crafted pickle names it",
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
    all(
        "difflib",
        "calls the junk-filter callables it is given (SequenceMatcher's isjunk, ndiff's linejunk)",
    ),
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
        ],
        REGISTRY,
    ),
    only(
        "copyreg",
        &["_reduce_ex"],
        "a pickling helper, not a constructor: it calls the reduction methods of the object it is given",
    ),
];

/// Plain data classes inside modules that a rule above denies as a whole: their own
/// construction runs nothing, so they are unknown (listed, and counted under `--strict`)
/// rather than dangerous. fickling denies these whole modules too, so here, and only
/// here, the scan is less strict than it, to keep plain data (CPython's canned
/// `SimpleCookie` pickle, a UUID, an in-memory buffer) from raising an alarm. A row
/// with a reason of its own says why its names are harmless; the others are plain data.
pub(super) const PLAIN_DATA_IN_DENIED_MODULES: &[(&str, &[&str], Option<&str>)] = &[
    ("http.cookies", &["SimpleCookie", "BaseCookie", "Morsel"], None),
    ("uuid", &["UUID", "SafeUUID"], None),
    ("os", &["stat_result"], Some("os.stat_result is a struct sequence of numbers")),
    ("posix", &["stat_result"], Some("os.stat_result is a struct sequence of numbers")),
    ("http", &["HTTPStatus"], Some("http.HTTPStatus is an IntEnum of status codes")),
    (
        "operator",
        &["itemgetter", "attrgetter"],
        Some("building the getter runs nothing; it looks items or attributes up only when it is called, and a call of what a pickle built is reported as a computed call"),
    ),
    (
        "_operator",
        &["itemgetter", "attrgetter"],
        Some("building the getter runs nothing; it looks items or attributes up only when it is called, and a call of what a pickle built is reported as a computed call"),
    ),
    (
        "functools",
        &["partial"],
        Some("building a partial runs nothing; its function is a global judged on its own, and a call of the partial is reported as a computed call"),
    ),
    (
        "_functools",
        &["partial"],
        Some("building a partial runs nothing; its function is a global judged on its own, and a call of the partial is reported as a computed call"),
    ),
    (
        "torch.jit._pickle",
        &["build_intlist", "build_doublelist", "build_boollist", "build_tensorlist"],
        Some("TorchScript's list builders: each returns the list it is given"),
    ),
    ("io", &["BytesIO", "StringIO"], None),
    ("_io", &["BytesIO", "StringIO"], None),
    // joblib.load follows the wrapper with the array's raw bytes, or for an array of
    // objects with a pickle of its own; picklegraph reads the file that way and scans
    // that pickle as one more, so the wrapper itself runs nothing.
    (
        "joblib.numpy_pickle",
        &["NumpyArrayWrapper"],
        Some("joblib's array header: joblib.load reads the raw bytes after it, or an object array's own pickle, which is scanned as the next pickle"),
    ),
    // joblib < 0.10 put each array in a file beside the pickle: the wrapper holds its
    // name; joblib.load reads that file (numpy.load of an .npy, which the scan of that
    // file judges; or a Z-file of raw bytes), so the wrapper itself runs nothing.
    (
        "joblib.numpy_pickle",
        &["NDArrayWrapper", "ZNDArrayWrapper"],
        Some("joblib < 0.10's array header: joblib.load reads the array from the file beside the pickle that it names (an .npy, judged by its own scan, or a zlib file of raw bytes)"),
    ),
];

/// Why a builtin is dangerous, for the builtins that are known to be.
pub(super) const DANGEROUS_BUILTINS: &[(&[&str], &str)] = &[
    (
        &["eval", "exec", "execfile"],
        "runs Python code given as a string (execfile: a file)",
    ),
    (&["compile"], "compiles Python source given as a string into code that then runs"),
    (
        &["input", "raw_input"],
        "reads a line from the terminal (Python 2's input evaluates it)",
    ),
    (
        &["getattr", "setattr", "delattr", "hasattr"],
        "looks up, sets or deletes an attribute named by a string: from any object, its methods and its module's globals are reachable",
    ),
    (
        &["vars", "dir"],
        "returns any object's namespace (vars: its __dict__), from which every attribute is reachable",
    ),
    (&["__import__", "reload"], IMPORT),
    (
        &["globals", "locals"],
        "returns the namespace of the code that runs the unpickler, from which its modules and functions are reachable",
    ),
    (&["open", "file"], FILES),
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
    (&["apply"], CALLS),
    (
        &["classmethod", "staticmethod", "property"],
        "wraps a callable it is given into a descriptor (a property calls it on every attribute access): not data",
    ),
    (&["super"], "reaches the methods of an object's parent classes"),
    (
        &["memoryview"],
        "exposes the raw memory of any buffer object it is given, writable when the buffer is",
    ),
];

/// Function names that run code or touch the system in whatever module they are found,
/// each group with what its names do.
pub(super) const DANGEROUS_ANYWHERE: &[(&[&str], &str)] = &[
    (
        &[
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
            "startfile",
        ],
        "runs a program or a shell command",
    ),
    (
        &[
            "eval",
            "exec",
            "execfile",
            "compile",
            "run_path",
            "run_module",
            "runcode",
            "runsource",
            "runctx",
            "runcall",
            "runeval",
        ],
        "runs Python code given as a string, a file or a module name",
    ),
    (&["__import__", "import_module"], IMPORT),
    (
        &["getattr", "setattr", "delattr"],
        "looks up, sets or deletes an attribute named by a string",
    ),
    (
        &["read_pickle", "unsafe_load", "full_load", "load_model"],
        "loads a nested pickle or serialized object graph, whose content is not scanned",
    ),
];

/// Private modules of the standard library (CPython 3.11's `sys.stdlib_module_names`
/// starting with `_`, and a few later ones). Nothing legitimate pickles a reference into
/// them except `_codecs.encode`, which is on the allow table.
pub(super) const PRIVATE_STDLIB: &[&str] = &[
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
