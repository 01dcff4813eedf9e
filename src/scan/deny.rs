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
    "turns a string into any attribute or method of any object (getattr in disguise)";
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
pub(super) const REGISTRY: &str =
    "changes the process-wide pickling registries that later loads trust";

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
];

/// Why a builtin is dangerous, for the builtins that are known to be.
pub(super) const DANGEROUS_BUILTINS: &[(&[&str], &str)] = &[
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

/// Function names that run code or touch the system in whatever module they are found.
pub(super) const DANGEROUS_ANYWHERE: &[&str] = &[
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
