//! What a value names: a global reference (`GLOBAL builtins int`), or an object a
//! library's helper looks up by name at load time: cloudpickle's
//! `_builtin_type('CodeType')` is `getattr(types, 'CodeType')`, dill's
//! `_load_type('int')` is `int`, cloudpickle's `_get_dataclass_field_type_sentinel('_FIELD')`
//! is `dataclasses._FIELD`.

use super::view;
use crate::graph::{Pickle, Value};

/// The modules that hold cloudpickle's reconstructors (1.x to 3.x).
pub const CLOUDPICKLE_MODULES: &[&str] =
    &["cloudpickle.cloudpickle", "cloudpickle.cloudpickle_fast"];

/// The module that holds dill's reconstructors.
pub const DILL_MODULE: &str = "dill._dill";

/// The types of the `types` module that dill's `_load_type` knows by name (CPython 3.11).
const TYPES_TYPES: &[&str] = &[
    "AsyncGeneratorType",
    "BuiltinFunctionType",
    "BuiltinMethodType",
    "CellType",
    "ClassMethodDescriptorType",
    "CodeType",
    "CoroutineType",
    "EllipsisType",
    "FrameType",
    "FunctionType",
    "GeneratorType",
    "GetSetDescriptorType",
    "LambdaType",
    "MappingProxyType",
    "MemberDescriptorType",
    "MethodDescriptorType",
    "MethodType",
    "MethodWrapperType",
    "ModuleType",
    "NoneType",
    "NotImplementedType",
    "TracebackType",
    "WrapperDescriptorType",
];

/// The name of the cloudpickle reconstructor a value refers to.
/// ```
/// use picklegraph::python::names::cloudpickle_helper;
/// let pickle = picklegraph::load(b"ccloudpickle.cloudpickle_fast\n_class_setstate\n.")?;
/// assert_eq!(cloudpickle_helper(&pickle, pickle.root()), Some("_class_setstate"));
/// # Ok::<(), picklegraph::Error>(())
/// ```
pub fn cloudpickle_helper<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<&'p str> {
    let (module, name) = view::global(pickle, value)?;
    CLOUDPICKLE_MODULES.contains(&module).then_some(name)
}

/// The name of the dill reconstructor a value refers to.
pub fn dill_helper<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<&'p str> {
    let (module, name) = view::global(pickle, value)?;
    (module == DILL_MODULE).then_some(name)
}

/// The module and name of the object a value names: a global, or a library helper's
/// lookup by name (see the module docs). `None` for anything else.
/// ```
/// use picklegraph::python::names::resolve;
/// // cloudpickle.cloudpickle._builtin_type('CodeType')
/// let pickle = picklegraph::load(b"ccloudpickle.cloudpickle\n_builtin_type\nX\x08\x00\x00\x00CodeType\x85R.")?;
/// assert_eq!(resolve(&pickle, pickle.root()), Some(("types", "CodeType")));
/// # Ok::<(), picklegraph::Error>(())
/// ```
pub fn resolve<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<(&'p str, &'p str)> {
    if let Some(global) = view::global(pickle, value) {
        return Some(global);
    }
    let call = view::call(pickle, value)?;
    if !call.mutations.is_empty() {
        return None;
    }
    let [arg] = call.args.array()?;
    let name = view::str(pickle, arg)?;
    if let Some(helper) = cloudpickle_helper(pickle, call.func) {
        return match helper {
            "_builtin_type" if name != "ClassType" => Some(("types", name)),
            "_get_dataclass_field_type_sentinel" => Some(("dataclasses", name)),
            _ => None,
        };
    }
    if dill_helper(pickle, call.func)? != "_load_type" {
        return None;
    }
    match name {
        // The classes of `builtins` (CPython 3.11's, which dill's `_load_type` knows).
        _ if super::values::is_builtin_class(name) => Some(("builtins", name)),
        _ if TYPES_TYPES.contains(&name) => Some(("types", name)),
        // dill's own names for types that live elsewhere.
        "PartialType" => Some(("functools", "partial")),
        "SuperType" => Some(("builtins", "super")),
        "ItemGetterType" => Some(("operator", "itemgetter")),
        "AttrGetterType" => Some(("operator", "attrgetter")),
        _ => None,
    }
}

/// Whether a value names `module.name`, directly or through a helper.
pub fn names(pickle: &Pickle<'_>, value: Value, module: &str, name: &str) -> bool {
    resolve(pickle, value) == Some((module, name))
}

/// Whether a value is `types.CodeType`, however the pickle spells it.
pub fn is_code_type(pickle: &Pickle<'_>, value: Value) -> bool {
    names(pickle, value, "types", "CodeType")
}
