//! Typed reads of graph values for the recognizers: "this value is a tuple of strs",
//! "this node is a call of `copyreg._reconstructor` with three arguments". Each read
//! answers `None` when the value has another shape, so a recognizer written as a chain
//! of `?` matches a pattern entirely or not at all.

use crate::graph::{Entries, Inert, InertKind, Items, Mutation, Node, NodeId, Pickle, Value};

/// A `REDUCE` node seen as a call: the callable, the items of its argument tuple, and
/// what later opcodes did to the result.
#[derive(Debug, Clone, Copy)]
pub struct CallView<'p> {
    /// The callable.
    pub func: Value,
    /// The arguments.
    pub args: Items<'p>,
    /// `BUILD`, `APPENDS`, `SETITEMS`, `ADDITEMS` applied to the result, in order.
    pub mutations: &'p [Mutation],
}

/// An instance node (`NEWOBJ`, `NEWOBJ_EX`, `INST`, `OBJ`) with a tuple of arguments.
#[derive(Debug, Clone, Copy)]
pub struct InstanceView<'p> {
    /// The class.
    pub class: Value,
    /// The arguments passed to `__new__` (or to the class, for `INST` and `OBJ`).
    pub args: Items<'p>,
    /// The keyword arguments of `NEWOBJ_EX` (a dict).
    pub kwargs: Option<Value>,
    /// What later opcodes did to the instance.
    pub mutations: &'p [Mutation],
}

/// The inert node a value refers to.
pub fn inert<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<&'p Inert> {
    match pickle.get(value)? {
        Node::Inert(inert) => Some(inert),
        _ => None,
    }
}

/// The call a value refers to, when its arguments are a tuple.
pub fn call<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<CallView<'p>> {
    let inert = inert(pickle, value)?;
    let InertKind::Call { func, args } = inert.kind else {
        return None;
    };
    Some(CallView {
        func,
        args: tuple(pickle, args)?,
        mutations: &inert.mutations,
    })
}

/// The instance a value refers to, when its arguments are a tuple.
pub fn instance<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<InstanceView<'p>> {
    let inert = inert(pickle, value)?;
    let InertKind::Instance {
        class,
        args,
        kwargs,
        ..
    } = inert.kind
    else {
        return None;
    };
    Some(InstanceView {
        class,
        args: tuple(pickle, args)?,
        kwargs,
        mutations: &inert.mutations,
    })
}

/// The `(module, name)` of a global reference (Python 2 names mapped to Python 3).
pub fn global<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<(&'p str, &'p str)> {
    pickle.global_name(value)
}

/// Whether a value is the global `module.name`.
pub fn is_global(pickle: &Pickle<'_>, value: Value, module: &str, name: &str) -> bool {
    global(pickle, value) == Some((module, name))
}

/// The text of a str value.
pub fn str<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<&'p str> {
    pickle.as_str(value)
}

/// A str, or `None` for Python's `None`: `Some(None)` is a present `None`.
pub fn opt_str<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<Option<&'p str>> {
    match value {
        Value::None => Some(None),
        _ => str(pickle, value).map(Some),
    }
}

/// The bytes of a bytes value.
pub fn bytes<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<&'p [u8]> {
    match pickle.get(value)? {
        Node::Bytes(bytes) => Some(bytes),
        _ => None,
    }
}

/// An int that fits in 64 bits (`True` and `False` are not ints here).
pub fn int(value: Value) -> Option<i64> {
    match value {
        Value::Int(v) => Some(v),
        _ => None,
    }
}

/// The items of a tuple.
pub fn tuple<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<Items<'p>> {
    match pickle.get(value)? {
        Node::Tuple(items) => Some(items),
        _ => None,
    }
}

/// The items of a tuple, or none for `None`.
pub fn tuple_or_none(pickle: &Pickle<'_>, value: Value) -> Option<Vec<Value>> {
    match value {
        Value::None => Some(Vec::new()),
        _ => tuple(pickle, value).map(|items| items.to_vec()),
    }
}

/// The items of a list.
pub fn list<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<Items<'p>> {
    match pickle.get(value)? {
        Node::List(items) => Some(items),
        _ => None,
    }
}

/// The entries of a dict.
pub fn dict<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<Entries<'p>> {
    match pickle.get(value)? {
        Node::Dict(entries) => Some(entries),
        _ => None,
    }
}

/// The entries of a dict whose keys are all strs.
pub fn str_dict<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<Vec<(&'p str, Value)>> {
    dict(pickle, value)?
        .iter()
        .map(|(key, value)| Some((str(pickle, key)?, value)))
        .collect()
}

/// The entries of a str-keyed dict of at most `max` entries: the states of functions and
/// instances, which are small, and whose every entry a recognizer reads.
pub fn str_dict_capped<'p>(
    pickle: &'p Pickle<'_>,
    value: Value,
    max: usize,
) -> Option<Vec<(&'p str, Value)>> {
    if dict(pickle, value)?.len() > max {
        return None;
    }
    str_dict(pickle, value)
}

/// The largest state dict a recognizer reads entry by entry: real ones hold about ten,
/// and a bound keeps a state shared by many functions from costing their product.
pub const MAX_STATE_ENTRIES: usize = 256;

/// The entries of a str-keyed dict, or none for `None`.
pub fn str_dict_or_none<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<Vec<(&'p str, Value)>> {
    match value {
        Value::None => Some(Vec::new()),
        _ => str_dict(pickle, value),
    }
}

/// The strs of a tuple of strs.
pub fn str_tuple<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<Vec<&'p str>> {
    tuple(pickle, value)?
        .iter()
        .map(|item| str(pickle, item))
        .collect()
}

/// The value under `key` in a str-keyed entry list.
pub fn field(entries: &[(&str, Value)], key: &str) -> Option<Value> {
    entries.iter().find(|(k, _)| *k == key).map(|&(_, v)| v)
}

/// Whether `text` is a Python identifier of ASCII letters, digits and underscores (the
/// names recognizers print unquoted).
pub fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The node id of a value that is a node.
pub fn node_id(value: Value) -> Option<NodeId> {
    value.node()
}
