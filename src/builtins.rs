//! The pure builtin constructors whose result is certain, folded into native nodes.
//!
//! Protocols 0–2 have no opcode for sets, frozensets, bytes or bytearrays, so Python's
//! pickler writes a `REDUCE` of a builtin instead (`set([1, 2])`,
//! `_codecs.encode('\xff', 'latin1')`). Calling these cannot run anything, and their
//! results are certain, so the machine builds the native node, as DESIGN.md allows for
//! exactly this list. Any other shape of call stays an inert call node.

use crate::graph::compat::python3_name;
use crate::graph::{Arena, InertKind, Node, PyStr, Value};

/// A folded call's result, before it is added to the arena.
#[derive(Debug)]
pub enum Folded {
    /// `bytes()`, `bytes(b)`, `_codecs.encode(s, 'latin1')`.
    Bytes(Payload),
    /// `bytearray()`, `bytearray(b)`, `bytearray(s, 'latin-1')`.
    ByteArray(Payload),
    /// `set()`, `set(iterable)`: members not yet deduplicated.
    Set(Vec<Value>),
    /// `frozenset()`, `frozenset(iterable)`: members not yet deduplicated.
    FrozenSet(Vec<Value>),
}

/// The bytes of a folded `bytes` or `bytearray`.
#[derive(Debug)]
pub enum Payload {
    /// The same bytes as this bytes or bytearray node (shared, not copied).
    Of(crate::graph::NodeId),
    /// New bytes.
    New(Vec<u8>),
}

fn str_of<'n>(arena: &'n Arena<'_>, value: Value) -> Option<PyStr<'n>> {
    match arena.get(value.node()?)? {
        Node::Str(text) => Some(text),
        _ => None,
    }
}

fn global_of<'n>(arena: &'n Arena<'_>, value: Value) -> Option<(&'n str, &'n str)> {
    let Node::Inert(inert) = arena.get(value.node()?)? else {
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
        str_of(arena, module)?.as_borrowed_str()?,
        str_of(arena, name)?.as_borrowed_str()?,
    ))
}

/// Latin-1 bytes of a str whose every code point is below 256.
fn latin1(text: &PyStr<'_>) -> Option<Vec<u8>> {
    if text.as_bytes().is_ascii() {
        return Some(text.as_bytes().to_vec());
    }
    text.code_points()
        .map(|cp| u8::try_from(cp).ok())
        .collect::<Option<Vec<u8>>>()
}

fn is_latin1_name(encoding: &str) -> bool {
    matches!(
        encoding,
        "latin1" | "latin-1" | "latin_1" | "iso-8859-1" | "iso8859-1" | "l1"
    )
}

/// The items of a native, iterable container (a dict iterates over its keys).
fn iterable_items(node: Node<'_>) -> Option<Vec<Value>> {
    match node {
        Node::List(items) | Node::Tuple(items) | Node::Set(items) | Node::FrozenSet(items) => {
            Some(items.to_vec())
        }
        Node::Dict(entries) => Some(entries.keys().collect()),
        _ => None,
    }
}

/// The native result of `func(*args)` if `func` is one of the pure builtins and `args`
/// has a shape whose result is certain; `None` keeps the call inert.
pub(crate) fn fold(arena: &Arena<'_>, func: Value, args: Value) -> Option<Folded> {
    let (module, name) = global_of(arena, func)?;
    let Node::Tuple(args) = arena.get(args.node()?)? else {
        return None;
    };
    let arg = |i: usize| args.get(i).and_then(|v| v.node());
    let is_bytes = |id| matches!(arena.get(id), Some(Node::Bytes(_) | Node::ByteArray(_)));
    match ((module, name), args.len()) {
        (("builtins", "set"), 0) => Some(Folded::Set(Vec::new())),
        (("builtins", "frozenset"), 0) => Some(Folded::FrozenSet(Vec::new())),
        (("builtins", "set"), 1) => iterable_items(arena.get(arg(0)?)?).map(Folded::Set),
        (("builtins", "frozenset"), 1) => {
            iterable_items(arena.get(arg(0)?)?).map(Folded::FrozenSet)
        }
        (("builtins", "bytes"), 0) => Some(Folded::Bytes(Payload::New(Vec::new()))),
        (("builtins", "bytearray"), 0) => Some(Folded::ByteArray(Payload::New(Vec::new()))),
        (("builtins", "bytes"), 1) => {
            let id = arg(0).filter(|&id| is_bytes(id))?;
            Some(Folded::Bytes(Payload::Of(id)))
        }
        (("builtins", "bytearray"), 1) => {
            let id = arg(0).filter(|&id| is_bytes(id))?;
            Some(Folded::ByteArray(Payload::Of(id)))
        }
        (("builtins", "bytearray"), 2) | (("_codecs", "encode"), 2) => {
            let [text, encoding] = args.array()?;
            let text = str_of(arena, text)?;
            let encoding = str_of(arena, encoding)?;
            if !is_latin1_name(encoding.as_str()?) {
                return None;
            }
            let bytes = Payload::New(latin1(&text)?);
            Some(if name == "encode" {
                Folded::Bytes(bytes)
            } else {
                Folded::ByteArray(bytes)
            })
        }
        _ => None,
    }
}
