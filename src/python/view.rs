//! Typed reads of graph values for the recognizers, the skeletons and the model readers:
//! "this value is a tuple of strs", "this node is a call of `copyreg._reconstructor` with
//! three arguments". Each read answers `None` when the value has another shape, so a
//! recognizer written as a chain of `?` matches a pattern entirely or not at all.

use crate::graph::{Entries, Inert, InertKind, Items, Mutation, Node, NodeId, Pickle, Value};

/// A node that makes an object by calling something with a tuple of arguments: a
/// `REDUCE` call, or an instance node (`NEWOBJ`, `NEWOBJ_EX`, `INST`, `OBJ`), which calls
/// its class. One view serves both, because the model readers accept either form of a
/// pattern, and the recognizers that care ask for one with [`call`] or [`instance`].
///
/// The view does not read the callable's name: that read maps Python 2 names and costs
/// more than the rest of the view, and the recognizers that look at every call mostly
/// resolve the callable their own way. A reader that wants it calls [`global`] once.
#[derive(Debug, Clone, Copy)]
pub struct CallView<'p> {
    /// The callable: the function of a call, or the class of an instance.
    pub func: Value,
    /// The arguments (passed to `__new__` for `NEWOBJ` and `NEWOBJ_EX`).
    pub args: Items<'p>,
    /// The keyword arguments of `NEWOBJ_EX` (a dict); `None` for every other node.
    pub kwargs: Option<Value>,
    /// `BUILD`, `APPENDS`, `SETITEMS`, `ADDITEMS` applied to the result, in order.
    pub mutations: &'p [Mutation],
}

impl<'p> CallView<'p> {
    /// The state given by the last `BUILD`.
    pub(crate) fn state(&self) -> Option<Value> {
        self.mutations.iter().rev().find_map(|m| match m {
            Mutation::Build(state) => Some(*state),
            _ => None,
        })
    }

    /// The pairs `SETITEMS` added, in order.
    pub(crate) fn set_items(&self) -> impl Iterator<Item = (Value, Value)> + 'p {
        self.mutations
            .iter()
            .flat_map(|m| match m {
                Mutation::SetItems(pairs) => pairs.as_slice(),
                _ => &[],
            })
            .copied()
    }

    /// The view of `inert`, when `args` is a tuple.
    fn new(
        pickle: &'p Pickle<'_>,
        inert: &'p Inert,
        func: Value,
        args: Value,
        kwargs: Option<Value>,
    ) -> Option<CallView<'p>> {
        Some(CallView {
            func,
            args: tuple(pickle, args)?,
            kwargs,
            mutations: &inert.mutations,
        })
    }
}

/// The inert node a value refers to.
pub fn inert<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<&'p Inert> {
    match pickle.get(value)? {
        Node::Inert(inert) => Some(inert),
        _ => None,
    }
}

/// The `REDUCE` call a value refers to, when its arguments are a tuple.
pub fn call<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<CallView<'p>> {
    let inert = inert(pickle, value)?;
    let InertKind::Call { func, args } = inert.kind else {
        return None;
    };
    CallView::new(pickle, inert, func, args, None)
}

/// The instance a value refers to, when its arguments are a tuple.
pub fn instance<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<CallView<'p>> {
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
    CallView::new(pickle, inert, class, args, kwargs)
}

/// The call or instance a value refers to, when its arguments are a tuple: numpy, pandas
/// and torch objects are made by either, depending on the protocol and the version.
pub(crate) fn made<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<CallView<'p>> {
    let inert = inert(pickle, value)?;
    match inert.kind {
        InertKind::Call { func, args } => CallView::new(pickle, inert, func, args, None),
        InertKind::Instance {
            class,
            args,
            kwargs,
            ..
        } => CallView::new(pickle, inert, class, args, kwargs),
        _ => None,
    }
}

/// The `(module, name)` of a global reference (Python 2 names mapped to Python 3).
pub fn global<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<(&'p str, &'p str)> {
    pickle.global_name(value)
}

/// Whether a value is the global `module.name`.
pub fn is_global(pickle: &Pickle<'_>, value: Value, module: &str, name: &str) -> bool {
    global(pickle, value) == Some((module, name))
}

/// Whether a global's `(module, name)`, as [`global`] reads it, is one of `names`,
/// written `module.name`: the model readers read a callable's name once and compare it
/// against the patterns of several library versions in turn.
pub(crate) fn is_one_of(global: Option<(&str, &str)>, names: &[&str]) -> bool {
    global.is_some_and(|(module, name)| {
        names.iter().any(|full| {
            full.len() == module.len() + 1 + name.len()
                && full.starts_with(module)
                && full.ends_with(name)
                && full.as_bytes()[module.len()] == b'.'
        })
    })
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

/// The text of a str, or of bytes that are ASCII (Python 2 pickles loaded as bytes).
pub(crate) fn text<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<&'p str> {
    match pickle.get(value)? {
        Node::Str(text) => text.as_borrowed_str(),
        Node::Bytes(bytes) if bytes.is_ascii() => std::str::from_utf8(bytes).ok(),
        _ => None,
    }
}

/// The bytes of a bytes value (a code object's bytecode, which is never a bytearray).
pub fn bytes<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<&'p [u8]> {
    match pickle.get(value)? {
        Node::Bytes(bytes) => Some(bytes),
        _ => None,
    }
}

/// The bytes of a bytes or bytearray value: array data, which numpy ships as either.
pub(crate) fn bytes_like<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<&'p [u8]> {
    match pickle.get(value)? {
        Node::Bytes(bytes) | Node::ByteArray(bytes) => Some(bytes),
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

/// A non-negative int.
pub(crate) fn count(value: Value) -> Option<u64> {
    int(value).and_then(|v| u64::try_from(v).ok())
}

/// A bool (`True`, `False`, or the ints 1 and 0 that protocol 0 and 1 write).
pub(crate) fn boolean(value: Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(b),
        Value::Int(0) => Some(false),
        Value::Int(1) => Some(true),
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

/// The items of a tuple or a list.
pub(crate) fn sequence<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<Items<'p>> {
    match pickle.get(value)? {
        Node::Tuple(items) | Node::List(items) => Some(items),
        _ => None,
    }
}

/// A tuple or list of non-negative ints (a shape, a stride).
pub(crate) fn counts(pickle: &Pickle<'_>, value: Value) -> Option<Vec<u64>> {
    sequence(pickle, value)?.iter().map(count).collect()
}

/// The entries of a dict.
pub fn dict<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<Entries<'p>> {
    match pickle.get(value)? {
        Node::Dict(entries) => Some(entries),
        _ => None,
    }
}

/// The value under the str key `key` of a dict whose other keys may be anything: the
/// model readers take one field of a state without [`str_dict`]'s check of every key.
pub(crate) fn dict_field(pickle: &Pickle<'_>, value: Value, key: &str) -> Option<Value> {
    dict(pickle, value)?
        .iter()
        .find(|&(k, _)| str(pickle, k) == Some(key))
        .map(|(_, v)| v)
}

/// The items of a mapping: a dict, or an `OrderedDict` (or other dict subclass) that
/// the pickle made and filled with `SETITEMS`.
pub(crate) fn mapping_items(pickle: &Pickle<'_>, value: Value) -> Option<Vec<(Value, Value)>> {
    if let Some(entries) = dict(pickle, value) {
        return Some(entries.to_vec());
    }
    let made = made(pickle, value)?;
    let is_mapping = is_one_of(
        global(pickle, made.func),
        &["collections.OrderedDict", "builtins.dict"],
    ) || made
        .mutations
        .iter()
        .any(|m| matches!(m, Mutation::SetItems(_)));
    is_mapping.then(|| made.set_items().collect())
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
