//! Objects of the standard library that a pickle names by reference and whose `repr()`
//! is known exactly: the builtin classes and functions (`<class 'int'>`, `<built-in
//! function len>`), the constants `Ellipsis` and `NotImplemented`, the classes of the
//! value modules (`<class 'collections.OrderedDict'>`), and the three types that
//! `pickle` writes as `type(None)`, `type(...)` and `type(NotImplemented)`.
//!
//! The names are CPython 3.11's, each kept only where `repr(getattr(module, name))` is
//! `<class 'module.name'>` (`<class 'name'>`, `<built-in function name>` for
//! `builtins`); the aliases `IOError` and `EnvironmentError` print as `OSError`. Any
//! other global (a function of another module, whose repr holds its address; a class
//! this table does not know) is not recognized, and keeps its name.

use super::enums::EnumKind;
use crate::graph::{Pickle, Value};
use crate::python::view;

/// What a named object is, for its repr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuiltinObject {
    /// A class, by module and name: `<class 'int'>` for `builtins`,
    /// `<class 'collections.deque'>` otherwise.
    Class(&'static str, &'static str),
    /// One of the standard library's enum classes: `<enum 'SafeUUID'>`, or for a flag
    /// `<flag 'RegexFlag'>`.
    EnumClass(&'static str, EnumKind),
    /// A builtin function: `<built-in function len>`.
    Function(&'static str),
    /// A constant written as its name: `Ellipsis`, `NotImplemented`, `None`, `True`,
    /// `False`.
    Constant(&'static str),
}

/// The classes of `builtins` (exceptions included).
const BUILTIN_CLASSES: &[&str] = &[
    "ArithmeticError",
    "AssertionError",
    "AttributeError",
    "BaseException",
    "BaseExceptionGroup",
    "BlockingIOError",
    "BrokenPipeError",
    "BufferError",
    "BytesWarning",
    "ChildProcessError",
    "ConnectionAbortedError",
    "ConnectionError",
    "ConnectionRefusedError",
    "ConnectionResetError",
    "DeprecationWarning",
    "EOFError",
    "EncodingWarning",
    "Exception",
    "ExceptionGroup",
    "FileExistsError",
    "FileNotFoundError",
    "FloatingPointError",
    "FutureWarning",
    "GeneratorExit",
    "ImportError",
    "ImportWarning",
    "IndentationError",
    "IndexError",
    "InterruptedError",
    "IsADirectoryError",
    "KeyError",
    "KeyboardInterrupt",
    "LookupError",
    "MemoryError",
    "ModuleNotFoundError",
    "NameError",
    "NotADirectoryError",
    "NotImplementedError",
    "OSError",
    "OverflowError",
    "PendingDeprecationWarning",
    "PermissionError",
    "ProcessLookupError",
    "RecursionError",
    "ReferenceError",
    "ResourceWarning",
    "RuntimeError",
    "RuntimeWarning",
    "StopAsyncIteration",
    "StopIteration",
    "SyntaxError",
    "SyntaxWarning",
    "SystemError",
    "SystemExit",
    "TabError",
    "TimeoutError",
    "TypeError",
    "UnboundLocalError",
    "UnicodeDecodeError",
    "UnicodeEncodeError",
    "UnicodeError",
    "UnicodeTranslateError",
    "UnicodeWarning",
    "UserWarning",
    "ValueError",
    "Warning",
    "ZeroDivisionError",
    "bool",
    "bytearray",
    "bytes",
    "classmethod",
    "complex",
    "dict",
    "enumerate",
    "filter",
    "float",
    "frozenset",
    "int",
    "list",
    "map",
    "memoryview",
    "object",
    "property",
    "range",
    "reversed",
    "set",
    "slice",
    "staticmethod",
    "str",
    "super",
    "tuple",
    "type",
    "zip",
];

/// The builtin functions.
const BUILTIN_FUNCTIONS: &[&str] = &[
    "__build_class__",
    "__import__",
    "abs",
    "aiter",
    "all",
    "anext",
    "any",
    "ascii",
    "bin",
    "breakpoint",
    "callable",
    "chr",
    "compile",
    "delattr",
    "dir",
    "divmod",
    "eval",
    "exec",
    "format",
    "getattr",
    "globals",
    "hasattr",
    "hash",
    "hex",
    "id",
    "input",
    "isinstance",
    "issubclass",
    "iter",
    "len",
    "locals",
    "max",
    "min",
    "next",
    "oct",
    "open",
    "ord",
    "pow",
    "print",
    "repr",
    "round",
    "setattr",
    "sorted",
    "sum",
    "vars",
];

/// The constants of `builtins` that `find_class` can hand out.
const CONSTANTS: &[&str] = &["Ellipsis", "NotImplemented", "None", "True", "False"];

/// The classes of the value modules whose repr is `<class 'module.name'>`.
const MODULE_CLASSES: &[(&str, &[&str])] = &[
    (
        "collections",
        &[
            "ChainMap",
            "Counter",
            "OrderedDict",
            "UserDict",
            "UserList",
            "UserString",
            "defaultdict",
            "deque",
        ],
    ),
    (
        "datetime",
        &[
            "date",
            "datetime",
            "time",
            "timedelta",
            "timezone",
            "tzinfo",
        ],
    ),
    (
        "decimal",
        &[
            "Clamped",
            "Context",
            "ConversionSyntax",
            "Decimal",
            "DecimalException",
            "DecimalTuple",
            "DivisionByZero",
            "DivisionImpossible",
            "DivisionUndefined",
            "FloatOperation",
            "Inexact",
            "InvalidContext",
            "InvalidOperation",
            "Overflow",
            "Rounded",
            "Subnormal",
            "Underflow",
        ],
    ),
    ("fractions", &["Fraction"]),
    ("uuid", &["UUID"]),
];

/// Whether `builtins.name` is a class (an exception, or one of the aliases `IOError` and
/// `EnvironmentError`): the names dill's `_load_type` looks up in `builtins`.
pub(crate) fn is_builtin_class(name: &str) -> bool {
    matches!(name, "IOError" | "EnvironmentError") || BUILTIN_CLASSES.contains(&name)
}

/// The object a global names, when its repr is known exactly.
pub(super) fn named(module: &str, name: &str) -> Option<BuiltinObject> {
    let find = |names: &[&'static str]| names.iter().copied().find(|&n| n == name);
    if module == "builtins" {
        if matches!(name, "IOError" | "EnvironmentError") {
            return Some(BuiltinObject::Class("builtins", "OSError"));
        }
        return find(BUILTIN_CLASSES)
            .map(|name| BuiltinObject::Class("builtins", name))
            .or_else(|| find(BUILTIN_FUNCTIONS).map(BuiltinObject::Function))
            .or_else(|| find(CONSTANTS).map(BuiltinObject::Constant));
    }
    if (module, name) == ("io", "open") {
        // `builtins.open` is `io.open`, and pickled by that name.
        return Some(BuiltinObject::Function("open"));
    }
    let &(module, names) = MODULE_CLASSES.iter().find(|(m, _)| *m == module)?;
    find(names).map(|name| BuiltinObject::Class(module, name))
}

/// `type(None)`, `type(Ellipsis)` and `type(NotImplemented)`, as `save_type` writes
/// them: `builtins.type` called on the singleton.
pub(super) fn type_of(pickle: &Pickle<'_>, args: &[Value]) -> Option<BuiltinObject> {
    let name = match args {
        [Value::None] => "NoneType",
        [single] => {
            view::inert(pickle, *single).filter(|inert| inert.mutations.is_empty())?;
            match pickle.global_name(*single)? {
                ("builtins", "Ellipsis") => "ellipsis",
                ("builtins", "NotImplemented") => "NotImplementedType",
                _ => return None,
            }
        }
        _ => return None,
    };
    Some(BuiltinObject::Class("builtins", name))
}
