//! dill's reconstructors, in `dill._dill`.
//!
//! - Classes: `_create_type(metaclass, name, bases, namespace)`, then
//!   `setattr(cls, '__qualname__', qualname)` (a discarded call).
//! - Functions: `_create_function(code, globals, name, defaults, closure, dict,
//!   kwdefaults)` (the last five optional), then `BUILD` with `(dict, attributes)`. The
//!   globals of a function of `__main__` are `__builtin__.__main__`, which dill's
//!   unpickler reads as the namespace of the loading program's `__main__`.
//! - Code: `_create_code([lnotab,] *CodeType_args)`.
//! - Cells: `_create_cell(contents)`, filled by `_setattr(cell, 'cell_contents', value)`
//!   or emptied by `_delattr(cell, 'cell_contents')`; `_create_cell(_CELL_EMPTY)` is empty.
//!   `_setattr` and `_delattr` arrive as `getattr(dill._dill, '_setattr', setattr)`.
//! - Lookups: `_load_type(name)`, `_import_module(name)`.
//! - `functools.partial` objects: `_create_ftype(partial, func, args, kwds)`.

use super::model::{CellDef, ClassDef, FunctionDef, Library, PartialDef, Recognized};
use super::names::{dill_helper, names};
use super::recognize::{Context, Found};
use super::view::{self, CallView};
use crate::graph::{Mutation, NodeId, Pickle, Value};

/// Recognizes a node built by a dill reconstructor.
pub(crate) fn recognize(context: &Context<'_, '_>, id: NodeId) -> Option<Found> {
    let pickle = context.pickle;
    let call = view::call(pickle, Value::Node(id))?;
    let helper = dill_helper(pickle, call.func)?;
    if helper == "_create_function" {
        return create_function(context, id, &call);
    }
    if !call.mutations.is_empty() {
        return None;
    }
    match helper {
        "_create_type" => create_type(context, id, &call),
        "_create_cell" => create_cell(context, id, &call),
        "_import_module" => match call.args.to_vec()[..] {
            [name] | [name, Value::Bool(_)] => {
                view::str(pickle, name).map(|_| Found::new(Recognized::Module { name }))
            }
            _ => None,
        },
        "_load_type" => {
            let (module, _) = super::names::resolve(pickle, Value::Node(id))?;
            let module = ["builtins", "types", "functools", "operator"]
                .into_iter()
                .find(|&m| m == module)?;
            let [name] = call.args.array()?;
            Some(Found::new(Recognized::Named { module, name }))
        }
        "_create_ftype" => create_ftype(context, &call),
        _ => None,
    }
}

/// Whether a callee is `setattr`, or dill's `_setattr` shim:
/// `getattr(dill._dill, '_setattr', setattr)`.
fn is_setattr(pickle: &Pickle<'_>, func: Value) -> bool {
    view::is_global(pickle, func, "builtins", "setattr")
        || is_shim(pickle, func, "_setattr", "setattr")
}

/// Whether a callee is `getattr(dill._dill, shim, builtins.fallback)`.
fn is_shim(pickle: &Pickle<'_>, func: Value, shim: &str, fallback: &str) -> bool {
    let Some(call) = view::call(pickle, func) else {
        return false;
    };
    matches!(call.args.array(), Some([module, name, default])
        if view::is_global(pickle, call.func, "builtins", "getattr")
            && view::is_global(pickle, module, "dill", "_dill")
            && view::str(pickle, name) == Some(shim)
            && view::is_global(pickle, default, "builtins", fallback))
        && call.mutations.is_empty()
}

fn create_type(context: &Context<'_, '_>, id: NodeId, call: &CallView<'_>) -> Option<Found> {
    let pickle = context.pickle;
    let [metaclass, name, bases, namespace] = call.args.array()?;
    view::str(pickle, name)?;
    view::tuple(pickle, bases)?;
    Context::check(context.is_str_dict(namespace))?;
    let mut class = ClassDef {
        library: Library::Dill,
        name,
        qualname: None,
        metaclass: Some(metaclass),
        bases,
        namespaces: vec![namespace],
        enum_members: None,
        module: None,
        tracker_id: None,
        assigned: Vec::new(),
        effects: Vec::new(),
    };
    let mut state_calls = Vec::new();
    for &caller in context.calls_on(id) {
        let call = view::call(pickle, Value::Node(caller))?;
        if !is_setattr(pickle, call.func) {
            continue;
        }
        let [_, key, value] = call.args.array()?;
        let key_text = view::str(pickle, key)?;
        if !call.mutations.is_empty() || context.effect_index(caller).is_none() {
            return None;
        }
        match key_text {
            "__qualname__" => class.qualname = Some(view::str(pickle, value).map(|_| value)?),
            _ => class.assigned.push((key, value)),
        }
        state_calls.push(caller);
    }
    class.effects = context.effects_among(&state_calls);
    Some(Found {
        what: Recognized::Class(Box::new(class)),
        state_calls,
        aliases: Vec::new(),
    })
}

fn create_function(context: &Context<'_, '_>, _id: NodeId, call: &CallView<'_>) -> Option<Found> {
    let pickle = context.pickle;
    if call.args.len() < 2 || call.args.len() > 7 {
        return None;
    }
    let arg = |i: usize| call.args.get(i).unwrap_or(Value::None);
    let code = arg(0);
    let mut function = FunctionDef::new(
        Library::Dill,
        code.node()?,
        super::code::code_at(context, code)?,
    );
    let globals = arg(1);
    if !context.is_str_dict_or_none(globals) && view::global(pickle, globals).is_none() {
        return None;
    }
    if globals != Value::None {
        function.globals.push(globals);
    }
    view::opt_str(pickle, arg(2))?;
    view::tuple_or_none(pickle, arg(3))?;
    view::tuple_or_none(pickle, arg(4))?;
    Context::check(context.is_str_dict_or_none(arg(5)))?;
    Context::check(context.is_str_dict_or_none(arg(6)))?;
    let present = |v: Value| Some(v).filter(|&v| v != Value::None);
    function.name = present(arg(2));
    function.defaults = present(arg(3));
    Context::check(function.closure_fits(pickle, arg(4)))?;
    function.closure = present(arg(4));
    function.dict.extend(present(arg(5)));
    function.kwdefaults = present(arg(6));
    for mutation in call.mutations {
        let Mutation::Build(state) = mutation else {
            return None;
        };
        function.apply_build(pickle, *state)?;
    }
    Some(Found::new(Recognized::Function(Box::new(function))))
}

/// `_create_cell(contents)`, then `_setattr(cell, 'cell_contents', value)` or
/// `_delattr(cell, 'cell_contents')`.
fn create_cell(context: &Context<'_, '_>, id: NodeId, call: &CallView<'_>) -> Option<Found> {
    let pickle = context.pickle;
    let mut contents = match call.args.to_vec()[..] {
        [] => Some(Value::None),
        [value] if is_cell_empty(pickle, value) => None,
        [value] => Some(value),
        _ => return None,
    };
    let mut state_calls = Vec::new();
    for &caller in context.calls_on(id) {
        let call = view::call(pickle, Value::Node(caller))?;
        let set = is_setattr(pickle, call.func);
        if !set && !is_shim(pickle, call.func, "_delattr", "delattr") {
            continue;
        }
        contents = match (set, &call.args.to_vec()[..]) {
            (true, &[_, name, value]) if view::str(pickle, name) == Some("cell_contents") => {
                Some(value)
            }
            (false, &[_, name]) if view::str(pickle, name) == Some("cell_contents") => None,
            _ => return None,
        };
        state_calls.push(caller);
    }
    Some(Found {
        what: Recognized::Cell(CellDef { contents }),
        state_calls,
        aliases: Vec::new(),
    })
}

fn is_cell_empty(pickle: &Pickle<'_>, value: Value) -> bool {
    view::is_global(pickle, value, "dill._dill", "_CELL_EMPTY")
        || view::is_global(pickle, value, "dill._shims", "_CELL_EMPTY")
}

/// `_create_ftype(partial, func, args, kwds)`: `partial(func, *args, **kwds)`.
fn create_ftype(context: &Context<'_, '_>, call: &CallView<'_>) -> Option<Found> {
    let pickle = context.pickle;
    let [ftype, func, args, keywords] = call.args.array()?;
    if !names(pickle, ftype, "functools", "partial") {
        return None;
    }
    view::tuple_or_none(pickle, args)?;
    Context::check(context.is_str_dict_or_none(keywords))?;
    Some(Found::new(Recognized::Partial(PartialDef {
        func,
        args,
        keywords,
        namespace: Value::None,
    })))
}
