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
//! Where the scan is less strict than the strictest of those tools (fickling), it is so
//! on purpose and only for plain data: the builtin constants `Ellipsis` and
//! `NotImplemented` are safe; builtin exception classes, `builtins.type` (whose one-argument
//! call is safe and whose three-argument call is dangerous) and a few plain data classes in
//! wholly denied modules (`http.cookies.SimpleCookie`, `uuid.UUID`, `io.BytesIO`) are
//! unknown, so they are listed and `--strict` still counts them.
//!
//! A name is matched as the unpickler would resolve it: the module with Python 2 names
//! mapped as `_compat_pickle` maps them (the raw spelling is checked against the deny
//! tables too, since protocols 3+ do not map it), and the name as a dotted path of
//! attribute lookups, so `collections.OrderedDict.__init__.__globals__` is not
//! `collections.OrderedDict`.

use super::allow::{generated, PURE_BUILTINS, SAFE, SAFE_BUILTINS};
use super::deny::{
    Names, DANGEROUS_ANYWHERE, DANGEROUS_BUILTINS, DENY, PLAIN_DATA_IN_DENIED_MODULES,
    PRIVATE_STDLIB,
};
use super::Class;
use crate::graph::compat::python3_name;

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
    if let Some((_, _, reason)) = PLAIN_DATA_IN_DENIED_MODULES
        .iter()
        .find(|(m, names, _)| *m == module && names.contains(&name))
    {
        if is_safe(module, name) {
            return (
                Class::Safe,
                format!(
                    "known pure data constructor ({module}){}",
                    reason.map(|r| format!("; {r}")).unwrap_or_default()
                ),
            );
        }
        if generated()
            .calls
            .contains(format!("{module}.{name}").as_str())
        {
            return (
                Class::Safe,
                format!("on the allow list: the standard library and known libraries pickle it as data (src/scan/allowlist.txt){}", reason.map(|r| format!("; {r}")).unwrap_or_default()),
            );
        }
        let reason = match reason {
            Some(reason) => reason.to_string(),
            None => {
                format!("a plain data class, but {module} also holds names that touch the system")
            }
        };
        return (Class::Unknown, reason);
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
    let dotted = format!("{module}.{name}");
    if generated().calls.contains(dotted.as_str()) {
        let library = module.split('.').next().unwrap_or(module);
        return (
            Class::Safe,
            format!("on the allow list: {library} rebuilds its own data with it (src/scan/allowlist.txt)"),
        );
    }
    let last = name.rsplit('.').next().unwrap_or(name);
    if let Some((_, reason)) = DANGEROUS_ANYWHERE
        .iter()
        .find(|(names, _)| names.contains(&last))
    {
        return (Class::Dangerous, format!("{last}, in any module: {reason}"));
    }
    if PRIVATE_STDLIB.iter().any(|p| within(module, p)) {
        return (Class::Dangerous, format!("{module} is a private module of the standard library: nothing legitimate pickles a reference into it"));
    }
    (Class::Unknown, unknown_reason(module))
}

/// Whether importing `module` is harmless: it is the standard library's or a known
/// library's (the generated allow list's modules).
/// ```
/// use picklegraph::scan::names::harmless_to_import;
/// assert!(harmless_to_import("collections.abc"));
/// assert!(harmless_to_import("numpy.core.multiarray"));
/// assert!(!harmless_to_import("antigravity"));
/// assert!(!harmless_to_import("in_house_models"));
/// ```
pub fn harmless_to_import(module: &str) -> bool {
    let top = module.split('.').next().unwrap_or(module);
    // Importing these runs something on import (a browser, a shell, the printing of a
    // poem that is harmless, but they are listed as they are in the deny tables).
    if matches!(
        top,
        "antigravity" | "this" | "__main__" | "idlelib" | "turtledemo"
    ) {
        return false;
    }
    generated().modules.contains(top)
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

    #[test]
    fn each_reason_says_what_the_callable_does() {
        let reason = |module, name| classify_global(module, name).1;
        // A getter looks items up: not getattr in disguise, and not dangerous to build.
        assert_ne!(
            classify_global("operator", "itemgetter").0,
            Class::Dangerous
        );
        assert!(!reason("operator", "itemgetter").contains("getattr"));
        assert!(!reason("operator", "add").contains("getattr"));
        assert!(reason("operator", "attrgetter").contains("attribute"));
        assert!(reason("operator", "methodcaller").contains("getattr in disguise"));
        assert!(reason("operator", "setitem").contains("in place"));
        assert!(reason("_operator", "call").contains("calls a callable"));
        // cloudpickle ships code; it does not load a nested pickle.
        for name in [
            "_make_function",
            "_make_skeleton_class",
            "_class_setstate",
            "_make_cell",
        ] {
            let why = reason("cloudpickle.cloudpickle", name);
            assert!(!why.contains("nested pickle"), "{name}: {why}");
        }
        assert!(reason("cloudpickle.cloudpickle", "_make_function")
            .contains("code object the pickle ships"));
        assert!(reason("cloudpickle.cloudpickle", "_builtin_type").contains("types module"));
        assert!(reason("cloudpickle.cloudpickle", "subimport").contains("imports any module"));
        assert!(reason("dill._dill", "_eval_repr").contains("eval"));
        assert!(reason("dill._dill", "_create_filehandle").contains("opens a file"));
        assert!(reason("cloudpickle", "loads").contains("nested pickle"));
        // Builtins: globals() is a namespace, not an import; input() reads the terminal.
        assert!(!reason("builtins", "globals").contains("imports"));
        assert!(reason("builtins", "input").contains("terminal"));
        assert!(reason("builtins", "compile").starts_with("builtins.compile compiles"));
        assert!(reason("torch", "compile").contains("TorchDynamo"));
        assert!(reason("numpy.foo", "system").starts_with("system, in any module: runs a program"));
        assert!(reason("somewhere", "read_pickle").contains("nested pickle"));
        assert!(reason("copyreg", "_reduce_ex").contains("pickling helper"));
    }
}
