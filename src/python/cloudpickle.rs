//! cloudpickle's reconstructors, in `cloudpickle.cloudpickle` and
//! `cloudpickle.cloudpickle_fast` (cloudpickle 1.x to 3.x).
//!
//! - Classes: `_make_skeleton_class(type, name, bases, type_kwargs, tracker_id, extra)`
//!   or `_make_skeleton_enum(bases, name, qualname, members, module, tracker_id, extra)`,
//!   filled in by `_class_setstate(cls, (clsdict, slotstate))` (a discarded call, since
//!   1.5) or by `_rehydrate_skeleton_class(cls, clsdict)` (before).
//! - Functions: `_make_function(code, globals, name, argdefs, closure)` filled in by
//!   `_function_setstate(f, (state, slotstate))`; before 1.5,
//!   `_fill_function(_make_skel_func(code, cell_count, base_globals), state)`.
//! - Cells: `_make_empty_cell()`, `_make_cell(value)`, and `cell_set(cell, value)`.
//! - Modules: `subimport(name)`, `dynamic_subimport(name, vars)`.
//! - Lookups: `_builtin_type(name)`, `_get_dataclass_field_type_sentinel(name)`.
//! - Others: `_make_dict_keys`, `_make_dict_values`, `_make_dict_items`, `_make_typevar`.

use super::code::code_at;
use super::model::{CellDef, ClassDef, FunctionDef, Library, Recognized};
use super::names::{cloudpickle_helper, resolve};
use super::recognize::{Context, Found};
use super::view::{self, CallView};
use crate::graph::{Items, NodeId, Value};

/// Recognizes a node built by a cloudpickle reconstructor.
pub(crate) fn recognize(context: &Context<'_, '_>, id: NodeId) -> Option<Found> {
    let pickle = context.pickle;
    let call = view::call(pickle, Value::Node(id))?;
    if !call.mutations.is_empty() {
        return None;
    }
    if let Some(("types", "FunctionType" | "LambdaType")) = resolve(pickle, call.func) {
        // cloudpickle 1.5 and 1.6 on Python 3.7 and older: `_builtin_type('LambdaType')(…)`.
        let by_cloudpickle = view::call(pickle, call.func)
            .is_some_and(|lookup| cloudpickle_helper(pickle, lookup.func).is_some());
        let library = if by_cloudpickle {
            Library::Cloudpickle
        } else {
            Library::Stdlib
        };
        return make_function(context, id, &call, library);
    }
    match cloudpickle_helper(pickle, call.func)? {
        "_make_skeleton_class" => skeleton_class(context, id, &call),
        "_make_skeleton_enum" => skeleton_enum(context, id, &call),
        "_make_function" => make_function(context, id, &call, Library::Cloudpickle),
        "_make_skel_func" => make_skel_func(context, id, &call),
        helper @ ("_make_empty_cell" | "_make_cell") => cell(context, id, &call, helper),
        "subimport" => match call.args.array() {
            Some([name]) => {
                view::str(pickle, name).map(|_| Found::new(Recognized::Module { name }))
            }
            _ => None,
        },
        "dynamic_subimport" => match call.args.array() {
            Some([name, vars])
                if view::str(pickle, name).is_some() && context.is_str_dict(vars) =>
            {
                Some(Found::new(Recognized::DynamicModule { name, vars }))
            }
            _ => None,
        },
        "_builtin_type" => {
            named(context, &call, "types").filter(|_| !is_class_type(context, &call))
        }
        "_get_dataclass_field_type_sentinel" => named(context, &call, "dataclasses"),
        helper @ ("_make_dict_keys" | "_make_dict_values" | "_make_dict_items") => {
            dict_view(context, &call, helper)
        }
        "_make_typevar" => typevar(context, &call),
        _ => None,
    }
}

fn named(context: &Context<'_, '_>, call: &CallView<'_>, module: &'static str) -> Option<Found> {
    let [name] = call.args.array()?;
    view::str(context.pickle, name)?;
    Some(Found::new(Recognized::Named { module, name }))
}

/// `_builtin_type('ClassType')` is `type` (a Python 2 name), not `types.ClassType`.
fn is_class_type(context: &Context<'_, '_>, call: &CallView<'_>) -> bool {
    call.args.first().and_then(|v| view::str(context.pickle, v)) == Some("ClassType")
}

fn skeleton_class(context: &Context<'_, '_>, id: NodeId, call: &CallView<'_>) -> Option<Found> {
    let pickle = context.pickle;
    let [metaclass, name, bases, type_kwargs, tracker_id, extra] = call.args.array()?;
    view::str(pickle, name)?;
    view::tuple(pickle, bases)?;
    Context::check(context.is_str_dict(type_kwargs))?;
    view::opt_str(pickle, tracker_id)?;
    Context::check(context.is_str_dict_or_none(extra))?;
    let class = ClassDef {
        library: Library::Cloudpickle,
        name,
        qualname: None,
        metaclass: Some(metaclass),
        bases,
        namespaces: vec![type_kwargs],
        enum_members: None,
        module: None,
        tracker_id: Some(tracker_id).filter(|&v| v != Value::None),
        assigned: Vec::new(),
        effects: Vec::new(),
    };
    fill_class(context, id, class)
}

fn skeleton_enum(context: &Context<'_, '_>, id: NodeId, call: &CallView<'_>) -> Option<Found> {
    let pickle = context.pickle;
    let [bases, name, qualname, members, module, tracker_id, extra] = call.args.array()?;
    view::tuple(pickle, bases)?.last()?;
    view::str(pickle, name)?;
    view::str(pickle, qualname)?;
    Context::check(context.is_str_dict(members))?;
    view::opt_str(pickle, tracker_id)?;
    Context::check(context.is_str_dict_or_none(extra))?;
    let class = ClassDef {
        library: Library::Cloudpickle,
        name,
        qualname: Some(qualname),
        metaclass: None,
        bases,
        namespaces: Vec::new(),
        enum_members: Some(members),
        module: Some(module),
        tracker_id: Some(tracker_id).filter(|&v| v != Value::None),
        assigned: Vec::new(),
        effects: Vec::new(),
    };
    fill_class(context, id, class)
}

/// Adds the class dicts of `_class_setstate(cls, (clsdict, slotstate))` and
/// `_rehydrate_skeleton_class(cls, clsdict)`; `None` if one of them is malformed.
fn fill_class(context: &Context<'_, '_>, id: NodeId, mut class: ClassDef) -> Option<Found> {
    let pickle = context.pickle;
    let mut state_calls = Vec::new();
    let mut aliases = Vec::new();
    for &caller in context.calls_on(id) {
        let call = view::call(pickle, Value::Node(caller))?;
        let namespace = match cloudpickle_helper(pickle, call.func) {
            Some("_class_setstate") => match call.args.array() {
                // The slotstate is unpacked and ignored by `_class_setstate`.
                Some([_, state]) => match view::tuple(pickle, state)?.array() {
                    Some([clsdict, _]) => clsdict,
                    None => return None,
                },
                None => return None,
            },
            Some("_rehydrate_skeleton_class") => match call.args.array() {
                Some([_, clsdict]) => clsdict,
                None => return None,
            },
            _ => continue,
        };
        Context::check(context.is_str_dict(namespace))?;
        if !call.mutations.is_empty() {
            return None;
        }
        class.namespaces.push(namespace);
        // Both return the class: a call whose result the pickle keeps is the class again.
        match context.effect_index(caller) {
            Some(_) => state_calls.push(caller),
            None => aliases.push(caller),
        }
    }
    class.effects = context.effects_among(&state_calls);
    Some(Found {
        what: Recognized::Class(Box::new(class)),
        state_calls,
        aliases,
    })
}

/// `_make_function(code, globals, name, argdefs, closure)`, or `types.FunctionType` with
/// the same arguments, filled in by `_function_setstate(f, (state, slotstate))`.
fn make_function(
    context: &Context<'_, '_>,
    id: NodeId,
    call: &CallView<'_>,
    library: Library,
) -> Option<Found> {
    let pickle = context.pickle;
    let [code, globals, name, argdefs, closure] = call.args.array()?;
    let mut function = FunctionDef::new(library, code.node()?, code_at(context, code)?);
    Context::check(context.is_str_dict(globals))?;
    view::opt_str(pickle, name)?;
    view::tuple_or_none(pickle, argdefs)?;
    view::tuple_or_none(pickle, closure)?;
    function.globals.push(globals);
    function.name = Some(name).filter(|&v| v != Value::None);
    function.defaults = Some(argdefs).filter(|&v| v != Value::None);
    Context::check(function.closure_fits(pickle, closure))?;
    function.closure = Some(closure).filter(|&v| v != Value::None);
    let mut state_calls = Vec::new();
    for &caller in context.calls_on(id) {
        let call = view::call(pickle, Value::Node(caller))?;
        if cloudpickle_helper(pickle, call.func) != Some("_function_setstate") {
            continue;
        }
        let [_, state] = call.args.array()?;
        let [dict, slotstate] = view::tuple(pickle, state)?.array()?;
        if !call.mutations.is_empty() {
            return None;
        }
        function_setstate(context, &mut function, dict, slotstate)?;
        state_calls.push(caller);
    }
    function.effects = context.effects_among(&state_calls);
    Some(Found {
        what: Recognized::Function(Box::new(function)),
        state_calls,
        aliases: Vec::new(),
    })
}

/// `_function_setstate`: `__dict__` updated from `dict`; `__globals__`, `__closure__` and
/// `_cloudpickle_submodules` popped from `slotstate` (all three must be there), then the
/// rest set as attributes.
fn function_setstate(
    context: &Context<'_, '_>,
    function: &mut FunctionDef,
    dict: Value,
    slotstate: Value,
) -> Option<()> {
    let pickle = context.pickle;
    Context::check(context.is_str_dict(dict))?;
    let slots = view::str_dict_capped(pickle, slotstate, view::MAX_STATE_ENTRIES)?;
    let globals = view::field(&slots, "__globals__")?;
    let closure = view::field(&slots, "__closure__")?;
    let submodules = view::field(&slots, "_cloudpickle_submodules")?;
    Context::check(context.is_str_dict(globals))?;
    let cells = view::tuple_or_none(pickle, closure)?;
    let made_with = function
        .closure
        .and_then(|c| view::tuple(pickle, c))
        .map_or(0, |items| items.len());
    if closure != Value::None && cells.len() != made_with {
        return None;
    }
    function.dict.push(dict);
    function.globals.push(globals);
    function.closure_values = Some(closure).filter(|&v| v != Value::None);
    function.submodules = Some(submodules);
    function.set_attributes(
        pickle,
        slotstate,
        &["__globals__", "__closure__", "_cloudpickle_submodules"],
    )
}

/// Before cloudpickle 1.5: `_make_skel_func(code, cell_count, base_globals)`, returned
/// filled in by `_fill_function(f, state)` (or by its older five- and six-argument forms).
fn make_skel_func(context: &Context<'_, '_>, id: NodeId, call: &CallView<'_>) -> Option<Found> {
    let pickle = context.pickle;
    let (code, cell_count, base_globals) = match call.args.to_vec()[..] {
        [code, cell_count] => (code, cell_count, Value::None),
        [code, cell_count, base_globals] => (code, cell_count, base_globals),
        _ => return None,
    };
    let mut function =
        FunctionDef::new(Library::Cloudpickle, code.node()?, code_at(context, code)?);
    // `cell_count` empty cells (none for -1), one per free variable.
    let cells = view::int(cell_count)?;
    let freevars = function.code.freevars(pickle).len() as i64;
    Context::check(cells == freevars || (cells < 0 && freevars == 0))?;
    if let Some(globals) = view::dict(pickle, base_globals).map(|_| base_globals) {
        Context::check(context.is_str_dict(globals))?;
        function.globals.push(globals);
    }
    let mut aliases = Vec::new();
    let mut state_calls = Vec::new();
    for &caller in context.calls_on(id) {
        let call = view::call(pickle, Value::Node(caller))?;
        if cloudpickle_helper(pickle, call.func) != Some("_fill_function") {
            continue;
        }
        if !call.mutations.is_empty() {
            return None;
        }
        fill_function(context, &mut function, call.args)?;
        // `_fill_function` returns the function.
        match context.effect_index(caller) {
            Some(_) => state_calls.push(caller),
            None => aliases.push(caller),
        }
    }
    function.effects = context.effects_among(&state_calls);
    Some(Found {
        what: Recognized::Function(Box::new(function)),
        state_calls,
        aliases,
    })
}

/// `_fill_function(f, state)` with a state dict, or the positional forms
/// `(f, globals, defaults, dict, closure_values)` and
/// `(f, globals, defaults, dict, module, closure_values)`.
fn fill_function(
    context: &Context<'_, '_>,
    function: &mut FunctionDef,
    args: Items<'_>,
) -> Option<()> {
    let pickle = context.pickle;
    let (globals, defaults, dict, module, closure_values, state) = match args.to_vec()[..] {
        [_, state] => {
            let entries = view::str_dict_capped(pickle, state, view::MAX_STATE_ENTRIES)?;
            let get = |key: &str| view::field(&entries, key);
            (
                get("globals")?,
                get("defaults")?,
                get("dict")?,
                get("module"),
                get("closure_values"),
                Some(entries),
            )
        }
        [_, globals, defaults, dict, closure_values] => {
            (globals, defaults, dict, None, Some(closure_values), None)
        }
        [_, globals, defaults, dict, module, closure_values] => (
            globals,
            defaults,
            dict,
            Some(module),
            Some(closure_values),
            None,
        ),
        _ => return None,
    };
    Context::check(context.is_str_dict(globals))?;
    view::tuple_or_none(pickle, defaults)?;
    Context::check(context.is_str_dict_or_none(dict))?;
    function.globals.push(globals);
    function.defaults = Some(defaults).filter(|&v| v != Value::None);
    if dict != Value::None {
        function.dict.push(dict);
    }
    function.module = module;
    if let Some(values) = closure_values {
        if view::list(pickle, values).is_none() {
            view::tuple_or_none(pickle, values)?;
        }
        function.closure_contents = Some(values).filter(|&v| v != Value::None);
    }
    let Some(entries) = state else {
        return Some(());
    };
    for (key, value) in entries {
        let checked = |ok: bool| ok.then_some(value);
        match key {
            "name" => function.name = Some(checked(view::str(pickle, value).is_some())?),
            "qualname" => function.qualname = Some(checked(view::str(pickle, value).is_some())?),
            "doc" => function.doc = Some(value),
            "annotations" => {
                function.annotations = Some(checked(view::dict(pickle, value).is_some())?)
            }
            "kwdefaults" => {
                function.kwdefaults = Some(checked(context.is_str_dict_or_none(value))?)
            }
            "_cloudpickle_submodules" => function.submodules = Some(value),
            _ => {}
        }
    }
    Some(())
}

/// `_make_empty_cell()`, `_make_cell(value)` (`_make_cell()` is empty), with what
/// `cell_set(cell, value)` later puts in it.
fn cell(context: &Context<'_, '_>, id: NodeId, call: &CallView<'_>, helper: &str) -> Option<Found> {
    let mut contents = match (helper, &call.args.to_vec()[..]) {
        ("_make_empty_cell", []) | ("_make_cell", []) => None,
        ("_make_cell", &[value]) => Some(value),
        _ => return None,
    };
    let mut state_calls = Vec::new();
    for &caller in context.calls_on(id) {
        let call = view::call(context.pickle, Value::Node(caller))?;
        if cloudpickle_helper(context.pickle, call.func) != Some("cell_set") {
            continue;
        }
        let [_, value] = call.args.array()?;
        contents = Some(value);
        state_calls.push(caller);
    }
    Some(Found {
        what: Recognized::Cell(CellDef { contents }),
        state_calls,
        aliases: Vec::new(),
    })
}

/// `_make_dict_keys(keys, ordered=False)`, `_make_dict_values(values, ordered=False)`,
/// `_make_dict_items(dict, ordered=False)`.
fn dict_view(context: &Context<'_, '_>, call: &CallView<'_>, helper: &str) -> Option<Found> {
    let pickle = context.pickle;
    let (source, ordered) = match call.args.to_vec()[..] {
        [source] => (source, false),
        [source, Value::Bool(ordered)] => (source, ordered),
        _ => return None,
    };
    let kind = match helper {
        "_make_dict_keys" => "keys",
        "_make_dict_values" => "values",
        _ => "items",
    };
    let source_ok = if kind == "items" {
        view::dict(pickle, source).is_some()
    } else {
        view::list(pickle, source).is_some()
    };
    source_ok.then(|| {
        Found::new(Recognized::DictView {
            kind,
            ordered,
            source,
        })
    })
}

/// `_make_typevar(name, bound, constraints, covariant, contravariant, tracker_id)`.
fn typevar(context: &Context<'_, '_>, call: &CallView<'_>) -> Option<Found> {
    let pickle = context.pickle;
    let [name, bound, constraints, covariant, contravariant, tracker_id] = call.args.array()?;
    view::str(pickle, name)?;
    view::tuple(pickle, constraints)?;
    if !matches!(covariant, Value::Bool(_)) || !matches!(contravariant, Value::Bool(_)) {
        return None;
    }
    view::opt_str(pickle, tracker_id)?;
    Some(Found::new(Recognized::TypeVar {
        args: [
            name,
            bound,
            constraints,
            covariant,
            contravariant,
            tracker_id,
        ],
    }))
}
