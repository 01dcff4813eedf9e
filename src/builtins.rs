//! The pure builtin constructors whose result is certain, folded into native nodes.
//!
//! Protocols 0–2 have no opcode for sets, frozensets, bytes or bytearrays, so Python's
//! pickler writes a `REDUCE` of a builtin instead (`set([1, 2])`,
//! `_codecs.encode('\xff', 'latin1')`). Calling these cannot run anything, and their
//! results are certain, so the machine builds the native node, as DESIGN.md allows for
//! exactly this list. Any other shape of call stays an inert call node.

use std::borrow::Cow;

use crate::graph::{InertKind, Node, PyStr, Value};
use crate::python::compat::python3_name;

/// A folded call's result, before it is added to the arena.
#[derive(Debug)]
pub enum Folded<'a> {
    /// `bytes()`, `bytes(b)`, `_codecs.encode(s, 'latin1')`.
    Bytes(Cow<'a, [u8]>),
    /// `bytearray()`, `bytearray(b)`, `bytearray(s, 'latin-1')`.
    ByteArray(Cow<'a, [u8]>),
    /// `set()`, `set(iterable)`: members not yet deduplicated.
    Set(Vec<Value>),
    /// `frozenset()`, `frozenset(iterable)`: members not yet deduplicated.
    FrozenSet(Vec<Value>),
}

fn str_of<'n, 'a>(nodes: &'n [Node<'a>], value: Value) -> Option<&'n PyStr<'a>> {
    match nodes.get(value.node()?.index())? {
        Node::Str(text) => Some(text),
        _ => None,
    }
}

fn global_of<'n>(nodes: &'n [Node<'_>], value: Value) -> Option<(&'n str, &'n str)> {
    let Node::Inert(inert) = nodes.get(value.node()?.index())? else {
        return None;
    };
    let InertKind::Global { module, name, .. } = inert.kind else {
        return None;
    };
    if !inert.mutations.is_empty() {
        // A global with state set on it is not the plain builtin any more.
        return None;
    }
    Some(python3_name(
        str_of(nodes, module)?.as_str()?,
        str_of(nodes, name)?.as_str()?,
    ))
}

/// Latin-1 bytes of a str whose every code point is below 256.
fn latin1<'a>(text: &PyStr<'a>) -> Option<Cow<'a, [u8]>> {
    if text.as_bytes().is_ascii() {
        return Some(Cow::Owned(text.as_bytes().to_vec()));
    }
    text.code_points()
        .map(|cp| u8::try_from(cp).ok())
        .collect::<Option<Vec<u8>>>()
        .map(Cow::Owned)
}

fn is_latin1_name(encoding: &str) -> bool {
    matches!(
        encoding,
        "latin1" | "latin-1" | "latin_1" | "iso-8859-1" | "iso8859-1" | "l1"
    )
}

/// The items of a native, iterable container (a dict iterates over its keys).
fn iterable_items(node: &Node<'_>) -> Option<Vec<Value>> {
    match node {
        Node::List(items) | Node::Tuple(items) | Node::Set(items) | Node::FrozenSet(items) => {
            Some(items.clone())
        }
        Node::Dict(entries) => Some(entries.iter().map(|e| e.0).collect()),
        _ => None,
    }
}

/// The native result of `func(*args)` if `func` is one of the pure builtins and `args`
/// has a shape whose result is certain; `None` keeps the call inert.
pub fn fold<'a>(nodes: &[Node<'a>], func: Value, args: Value) -> Option<Folded<'a>> {
    let (module, name) = global_of(nodes, func)?;
    let Node::Tuple(args) = nodes.get(args.node()?.index())? else {
        return None;
    };
    let arg = |i: usize| args.get(i).and_then(|v| nodes.get(v.node()?.index()));
    match ((module, name), args.len()) {
        (("builtins", "set"), 0) => Some(Folded::Set(Vec::new())),
        (("builtins", "frozenset"), 0) => Some(Folded::FrozenSet(Vec::new())),
        (("builtins", "set"), 1) => iterable_items(arg(0)?).map(Folded::Set),
        (("builtins", "frozenset"), 1) => iterable_items(arg(0)?).map(Folded::FrozenSet),
        (("builtins", "bytes"), 0) => Some(Folded::Bytes(Cow::Borrowed(b""))),
        (("builtins", "bytearray"), 0) => Some(Folded::ByteArray(Cow::Borrowed(b""))),
        (("builtins", "bytes"), 1) => match arg(0)? {
            Node::Bytes(bytes) | Node::ByteArray(bytes) => Some(Folded::Bytes(bytes.clone())),
            _ => None,
        },
        (("builtins", "bytearray"), 1) => match arg(0)? {
            Node::Bytes(bytes) | Node::ByteArray(bytes) => Some(Folded::ByteArray(bytes.clone())),
            _ => None,
        },
        (("builtins", "bytearray"), 2) | (("_codecs", "encode"), 2) => {
            let text = str_of(nodes, args[0])?;
            let encoding = str_of(nodes, args[1])?.as_str()?;
            if !is_latin1_name(encoding) {
                return None;
            }
            let bytes = latin1(text)?;
            Some(if name == "encode" {
                Folded::Bytes(bytes)
            } else {
                Folded::ByteArray(bytes)
            })
        }
        _ => None,
    }
}
