//! Python's `repr()` of a loaded graph.
//!
//! For plain data (None, bool, int, float, str, bytes, bytearray, list, tuple, dict, set,
//! frozenset) the text is byte for byte what CPython's `repr()` gives for the object that
//! was pickled, shared and recursive structures included: a shared object is written out
//! at each place, as Python does, and a container met again inside itself is written
//! `[...]`, `{...}`, `(...)`. Inert nodes are written as the Python expression that
//! would rebuild them (`collections.OrderedDict([('a', 1)])`, `os.system('ls')`).
//!
//! The walk runs on a heap stack, so nesting depth costs no call stack; output stops at
//! a byte budget, since repr of a memo bomb is exponential in Python too.

use std::borrow::Cow;

use super::scalar::{
    bigint_repr, float_repr, write_bytearray_repr, write_bytes_repr, write_str_repr,
};
use crate::graph::{Inert, InertKind, Mutation, Node, NodeId, Pickle, Value};

/// Default output budget of [`repr`]: 256 MiB of text.
pub const DEFAULT_MAX_BYTES: usize = 256 << 20;

/// A piece of a container's text: fixed text or a child to write.
#[derive(Debug, Clone)]
enum Piece {
    Text(Cow<'static, str>),
    Child(Value),
}

struct Frame {
    node: NodeId,
    next: usize,
    /// Pieces of an inert node, computed once on entry.
    pieces: Option<Vec<Piece>>,
}

/// The repr of `value`, stopping after about `max_bytes` bytes with `…` when the budget
/// runs out. Returns the text and whether it was cut.
/// ```
/// let pickle = picklegraph::load(b"]\x94(h\x00K\x01e.")?; // l = []; l += [l, 1]
/// let (text, cut) = picklegraph::render::repr::repr(&pickle, pickle.root(), 1 << 20);
/// assert_eq!((text.as_str(), cut), ("[[...], 1]", false));
/// # Ok::<(), picklegraph::Error>(())
/// ```
pub fn repr(pickle: &Pickle<'_>, value: Value, max_bytes: usize) -> (String, bool) {
    let mut writer = ReprWriter {
        pickle,
        out: String::new(),
        on_path: vec![false; pickle.nodes().len()],
        frames: Vec::new(),
    };
    let cut = !writer.write(value, max_bytes);
    if cut {
        writer.out.push('…');
    }
    (writer.out, cut)
}

/// The full repr of `value` (up to [`DEFAULT_MAX_BYTES`]).
pub fn to_repr(pickle: &Pickle<'_>, value: Value) -> String {
    repr(pickle, value, DEFAULT_MAX_BYTES).0
}

struct ReprWriter<'p, 'a> {
    pickle: &'p Pickle<'a>,
    out: String,
    on_path: Vec<bool>,
    frames: Vec<Frame>,
}

impl ReprWriter<'_, '_> {
    /// Writes `value`; false when the budget ran out.
    fn write(&mut self, value: Value, max_bytes: usize) -> bool {
        self.enter(value);
        while let Some(frame) = self.frames.last_mut() {
            if self.out.len() > max_bytes {
                return false;
            }
            let index = frame.next;
            frame.next += 1;
            let piece = match &frame.pieces {
                Some(pieces) => pieces.get(index).cloned(),
                None => native_piece(self.pickle.node(frame.node), index),
            };
            match piece {
                Some(Piece::Text(text)) => self.out.push_str(&text),
                Some(Piece::Child(child)) => self.enter(child),
                None => {
                    let node = frame.node;
                    self.on_path[node.index()] = false;
                    self.frames.pop();
                }
            }
        }
        self.out.len() <= max_bytes
    }

    /// Writes a scalar at once, or opens a frame for a node.
    fn enter(&mut self, value: Value) {
        let id = match value {
            Value::None => return self.out.push_str("None"),
            Value::Bool(true) => return self.out.push_str("True"),
            Value::Bool(false) => return self.out.push_str("False"),
            Value::Int(v) => return self.out.push_str(&v.to_string()),
            Value::Float(v) => return self.out.push_str(&float_repr(v)),
            Value::Node(id) => id,
        };
        let node = self.pickle.node(id);
        match node {
            Node::BigInt(v) => return self.out.push_str(&bigint_repr(v)),
            Node::Str(text) => return write_str_repr(&mut self.out, text),
            Node::Bytes(bytes) => return write_bytes_repr(&mut self.out, bytes),
            Node::ByteArray(bytes) => return write_bytearray_repr(&mut self.out, bytes),
            _ => {}
        }
        if self.on_path[id.index()] {
            // What CPython's Py_ReprEnter guard writes for an object inside itself.
            return self.out.push_str(match node {
                Node::List(_) => "[...]",
                Node::Dict(_) => "{...}",
                Node::Tuple(_) => "(...)",
                Node::Set(_) => "set(...)",
                Node::FrozenSet(_) => "frozenset(...)",
                _ => "...",
            });
        }
        self.on_path[id.index()] = true;
        let pieces = match node {
            Node::Inert(inert) => Some(inert_pieces(self.pickle, inert)),
            _ => None,
        };
        self.frames.push(Frame {
            node: id,
            next: 0,
            pieces,
        });
    }
}

fn text(s: &'static str) -> Option<Piece> {
    Some(Piece::Text(Cow::Borrowed(s)))
}

/// The `index`th piece of a native container's repr, computed from its length.
fn native_piece(node: &Node<'_>, index: usize) -> Option<Piece> {
    let (open, close, items): (&'static str, &'static str, &[Value]) = match node {
        Node::List(items) => ("[", "]", items),
        Node::Tuple(items) if items.len() == 1 => ("(", ",)", items),
        Node::Tuple(items) => ("(", ")", items),
        Node::Set(items) if items.is_empty() => {
            return (index == 0).then(|| Piece::Text("set()".into()))
        }
        Node::Set(items) => ("{", "}", items),
        Node::FrozenSet(items) if items.is_empty() => {
            return (index == 0).then(|| Piece::Text("frozenset()".into()));
        }
        Node::FrozenSet(items) => ("frozenset({", "})", items),
        Node::Dict(entries) => return dict_piece(entries, index),
        _ => return None,
    };
    if index == 0 {
        return text(open);
    }
    let j = index - 1;
    let len = if items.is_empty() {
        0
    } else {
        2 * items.len() - 1
    };
    match j {
        _ if j < len && j % 2 == 0 => Some(Piece::Child(items[j / 2])),
        _ if j < len => text(", "),
        _ if j == len => text(close),
        _ => None,
    }
}

fn dict_piece(entries: &[(Value, Value)], index: usize) -> Option<Piece> {
    if index == 0 {
        return text("{");
    }
    let j = index - 1;
    let len = if entries.is_empty() {
        0
    } else {
        4 * entries.len() - 1
    };
    if j == len {
        return text("}");
    }
    if j > len {
        return None;
    }
    let (key, value) = entries[j / 4];
    match j % 4 {
        0 => Some(Piece::Child(key)),
        1 => text(": "),
        2 => Some(Piece::Child(value)),
        _ => text(", "),
    }
}

/// Pieces that write `items` separated by commas.
fn push_list(pieces: &mut Vec<Piece>, items: &[Value]) {
    for (i, &item) in items.iter().enumerate() {
        if i > 0 {
            pieces.push(Piece::Text(", ".into()));
        }
        pieces.push(Piece::Child(item));
    }
}

fn push_text(pieces: &mut Vec<Piece>, s: impl Into<Cow<'static, str>>) {
    pieces.push(Piece::Text(s.into()));
}

/// Pieces of a call's arguments: the items of a tuple, or `*args` for anything else.
fn push_args(pickle: &Pickle<'_>, pieces: &mut Vec<Piece>, args: Value) {
    match pickle.get(args) {
        Some(Node::Tuple(items)) => push_list(pieces, items),
        _ => {
            push_text(pieces, "*");
            pieces.push(Piece::Child(args));
        }
    }
}

/// A global's dotted name when it has one; otherwise the pieces of a generic lookup.
fn push_global(pickle: &Pickle<'_>, pieces: &mut Vec<Piece>, value: Value) {
    match pickle.global_name(value) {
        Some((module, name)) => push_text(pieces, format!("{module}.{name}")),
        None => pieces.push(Piece::Child(value)),
    }
}

/// The Python expression that would rebuild an inert node.
fn inert_pieces(pickle: &Pickle<'_>, inert: &Inert) -> Vec<Piece> {
    let mut pieces = Vec::new();
    match &inert.kind {
        InertKind::Global { module, name, .. } => {
            match (pickle.as_str(*module), pickle.as_str(*name)) {
                (Some(m), Some(n)) => {
                    let (m, n) = crate::python::compat::python3_name(m, n);
                    push_text(&mut pieces, format!("{m}.{n}"));
                }
                _ => {
                    push_text(&mut pieces, "getattr(__import__(");
                    pieces.push(Piece::Child(*module));
                    push_text(&mut pieces, "), ");
                    pieces.push(Piece::Child(*name));
                    push_text(&mut pieces, ")");
                }
            }
        }
        InertKind::Call { func, args } => {
            if let Some(folded) = mapping_call(pickle, inert, *func, *args) {
                return folded;
            }
            push_global(pickle, &mut pieces, *func);
            push_text(&mut pieces, "(");
            push_args(pickle, &mut pieces, *args);
            push_text(&mut pieces, ")");
        }
        InertKind::Instance {
            class,
            args,
            kwargs,
            opcode,
        } => {
            let is_new = matches!(opcode, crate::Opcode::NewObj | crate::Opcode::NewObjEx);
            push_global(pickle, &mut pieces, *class);
            if is_new {
                push_text(&mut pieces, ".__new__(");
                push_global(pickle, &mut pieces, *class);
                if !matches!(pickle.get(*args), Some(Node::Tuple(items)) if items.is_empty()) {
                    push_text(&mut pieces, ", ");
                }
            } else {
                push_text(&mut pieces, "(");
            }
            push_args(pickle, &mut pieces, *args);
            if let Some(kwargs) = kwargs {
                push_text(&mut pieces, ", **");
                pieces.push(Piece::Child(*kwargs));
            }
            push_text(&mut pieces, ")");
        }
        InertKind::Persistent { pid } => {
            push_text(&mut pieces, "persistent_load(");
            pieces.push(Piece::Child(*pid));
            push_text(&mut pieces, ")");
        }
        InertKind::Extension { code } => {
            push_text(&mut pieces, format!("copyreg.extension({code})"))
        }
        InertKind::Buffer { index, readonly } => push_text(
            &mut pieces,
            format!(
                "pickle.PickleBuffer(buffers[{index}]){}",
                if *readonly { ".toreadonly()" } else { "" }
            ),
        ),
        InertKind::ReadOnly { target } => {
            push_text(&mut pieces, "memoryview(");
            pieces.push(Piece::Child(*target));
            push_text(&mut pieces, ").toreadonly()");
        }
    }
    push_mutations(&mut pieces, &inert.mutations);
    pieces
}

/// `cls([(k, v), …])` or `cls([item, …])` for a call with no arguments whose only
/// mutations fill it: how `collections.OrderedDict` and list subclasses pickle.
fn mapping_call(
    pickle: &Pickle<'_>,
    inert: &Inert,
    func: Value,
    args: Value,
) -> Option<Vec<Piece>> {
    if !matches!(pickle.get(args), Some(Node::Tuple(items)) if items.is_empty())
        || inert.mutations.is_empty()
    {
        return None;
    }
    let mut pieces = Vec::new();
    push_global(pickle, &mut pieces, func);
    push_text(&mut pieces, "([");
    let mut first = true;
    if inert
        .mutations
        .iter()
        .all(|m| matches!(m, Mutation::SetItems(_)))
    {
        for mutation in &inert.mutations {
            let Mutation::SetItems(pairs) = mutation else {
                continue;
            };
            for &(key, value) in pairs {
                if !std::mem::take(&mut first) {
                    push_text(&mut pieces, ", ");
                }
                push_text(&mut pieces, "(");
                pieces.push(Piece::Child(key));
                push_text(&mut pieces, ", ");
                pieces.push(Piece::Child(value));
                push_text(&mut pieces, ")");
            }
        }
    } else if inert
        .mutations
        .iter()
        .all(|m| matches!(m, Mutation::Append(_)))
    {
        for mutation in &inert.mutations {
            let Mutation::Append(items) = mutation else {
                continue;
            };
            for &item in items {
                if !std::mem::take(&mut first) {
                    push_text(&mut pieces, ", ");
                }
                pieces.push(Piece::Child(item));
            }
        }
    } else {
        return None;
    }
    push_text(&mut pieces, "])");
    Some(pieces)
}

/// Mutations as method calls chained on the object: `.__setstate__(state)`,
/// `.extend([…])`, `.update({…})`.
fn push_mutations(pieces: &mut Vec<Piece>, mutations: &[Mutation]) {
    for mutation in mutations {
        match mutation {
            Mutation::Build(state) => {
                push_text(pieces, ".__setstate__(");
                pieces.push(Piece::Child(*state));
                push_text(pieces, ")");
            }
            Mutation::Append(items) => {
                push_text(pieces, ".extend([");
                push_list(pieces, items);
                push_text(pieces, "])");
            }
            Mutation::SetItems(pairs) => {
                push_text(pieces, ".update({");
                for (i, &(key, value)) in pairs.iter().enumerate() {
                    if i > 0 {
                        push_text(pieces, ", ");
                    }
                    pieces.push(Piece::Child(key));
                    push_text(pieces, ": ");
                    pieces.push(Piece::Child(value));
                }
                push_text(pieces, "})");
            }
            Mutation::AddItems(items) => {
                push_text(pieces, ".update({");
                push_list(pieces, items);
                push_text(pieces, "})");
            }
        }
    }
}

impl std::fmt::Display for Pickle<'_> {
    /// The root's repr (see [`repr`]).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&to_repr(self, self.root()))
    }
}
