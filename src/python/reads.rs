//! Typed reads of graph values for the numpy, pandas and torch recognizers: each answers
//! `None` when the value has another shape, so a recognizer written as a chain of `?`
//! matches its pattern entirely or not at all.

use crate::graph::{Entries, Inert, InertKind, Items, Mutation, Node, Pickle, Value};

/// A call node (`REDUCE`) whose arguments are a tuple, or an instance node (`NEWOBJ`,
/// `INST`, …): the callable or class, the arguments, and what later opcodes did to it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Made<'p> {
    /// `(module, name)` of the callable or class, when it is a global.
    pub global: Option<(&'p str, &'p str)>,
    /// The positional arguments.
    pub args: Items<'p>,
    /// `BUILD`, `APPENDS`, `SETITEMS` applied afterwards.
    pub mutations: &'p [Mutation],
}

impl<'p> Made<'p> {
    /// Whether the callable or class is one of `names`, as `module.name`.
    pub fn is(&self, names: &[&str]) -> bool {
        self.global.is_some_and(|(module, name)| {
            names.iter().any(|full| {
                full.len() == module.len() + 1 + name.len()
                    && full.starts_with(module)
                    && full.ends_with(name)
                    && full.as_bytes()[module.len()] == b'.'
            })
        })
    }

    /// The state given by the last `BUILD`.
    pub fn state(&self) -> Option<Value> {
        self.mutations.iter().rev().find_map(|m| match m {
            Mutation::Build(state) => Some(*state),
            _ => None,
        })
    }

    /// The pairs `SETITEMS` added, in order.
    pub fn set_items(&self) -> impl Iterator<Item = (Value, Value)> + 'p {
        self.mutations
            .iter()
            .flat_map(|m| match m {
                Mutation::SetItems(pairs) => pairs.as_slice(),
                _ => &[],
            })
            .copied()
    }
}

/// The inert node a value refers to.
pub(crate) fn inert<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<&'p Inert> {
    match pickle.get(value)? {
        Node::Inert(inert) => Some(inert),
        _ => None,
    }
}

/// The call or instance a value refers to.
pub(crate) fn made<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<Made<'p>> {
    let inert = inert(pickle, value)?;
    let (callee, args) = match inert.kind {
        InertKind::Call { func, args } => (func, args),
        InertKind::Instance { class, args, .. } => (class, args),
        _ => return None,
    };
    Some(Made {
        global: pickle.global_name(callee),
        args: tuple(pickle, args)?,
        mutations: &inert.mutations,
    })
}

/// The text of a str value.
pub(crate) fn str<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<&'p str> {
    pickle.as_str(value)
}

/// The text of a str, or of bytes that are ASCII (Python 2 pickles loaded as bytes).
pub(crate) fn text<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<&'p str> {
    match pickle.get(value)? {
        Node::Str(text) => text.as_borrowed_str(),
        Node::Bytes(bytes) if bytes.is_ascii() => std::str::from_utf8(bytes).ok(),
        _ => None,
    }
}

/// The bytes of a bytes or bytearray value.
pub(crate) fn bytes<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<&'p [u8]> {
    match pickle.get(value)? {
        Node::Bytes(bytes) | Node::ByteArray(bytes) => Some(bytes),
        _ => None,
    }
}

/// An int that fits in 64 bits.
pub(crate) fn int(value: Value) -> Option<i64> {
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
pub(crate) fn tuple<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<Items<'p>> {
    match pickle.get(value)? {
        Node::Tuple(items) => Some(items),
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
pub(crate) fn dict<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<Entries<'p>> {
    match pickle.get(value)? {
        Node::Dict(entries) => Some(entries),
        _ => None,
    }
}

/// The value under the str key `key` of a dict.
pub(crate) fn field(pickle: &Pickle<'_>, value: Value, key: &str) -> Option<Value> {
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
    let is_mapping = made.is(&["collections.OrderedDict", "builtins.dict"])
        || made
            .mutations
            .iter()
            .any(|m| matches!(m, Mutation::SetItems(_)));
    is_mapping.then(|| made.set_items().collect())
}
