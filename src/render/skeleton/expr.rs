//! Values as Python-like expressions: plain data as its repr, recognized nodes in their
//! short form (`SubClass(name='square')`, `functools.partial(int, base=2)`), classes and
//! functions shipped by value by the name their definition has, anything else in the
//! raw form that would rebuild it (`module.func(args).__setstate__(state)`).
//!
//! The writer runs on a heap stack and stops at a byte budget, so neither a deep nor a
//! shared-everywhere graph can exhaust the call stack or memory; an object met again
//! inside itself is written `...`.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use super::forms;
use crate::graph::{Inert, Node, NodeId, Pickle, PyStr, Value};
use crate::python::model::{InstanceDef, Recognized};
use crate::python::{view, Recognition};
use crate::render::inert::{spell, Callable, Chunk, Options, Role};
use crate::text::scalar::{
    bigint_repr, float_repr, write_bytearray_repr, write_bytes_repr, write_str_repr,
};

/// strs and bytes longer than this print their head, then `…` and their length.
pub const MAX_LEAF_CHARS: usize = 200;

enum Piece {
    Text(Cow<'static, str>),
    Value(Value),
    Leave(NodeId),
}

fn text(s: impl Into<Cow<'static, str>>) -> Piece {
    Piece::Text(s.into())
}

/// Where a name printed in an expression comes from, for the summary of what the pickle
/// references by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reference {
    /// A class made an instance of.
    Class,
    /// A module imported.
    Module,
    /// Anything else named.
    Other,
}

/// Writes expressions into one growing text, sharing a byte budget.
pub struct Writer<'r, 'p, 'a> {
    pickle: &'p Pickle<'a>,
    recognition: &'r Recognition,
    /// Display names of the classes and functions defined by value.
    names: &'r HashMap<NodeId, String>,
    budget: usize,
    /// Whether the budget ran out.
    pub cut: bool,
    on_path: HashSet<NodeId>,
    /// Every global written as a name, with what it was used as, in the order first met.
    pub references: Vec<(String, Reference)>,
    /// Namespaces of classes shipped by value, read when an instance needs them.
    namespaces: HashMap<NodeId, Option<Vec<(&'p str, Value)>>>,
    seen_references: HashSet<(String, Reference)>,
}

impl<'r, 'p, 'a> Writer<'r, 'p, 'a> {
    /// A writer with `budget` bytes for all the expressions it writes.
    pub fn new(
        pickle: &'p Pickle<'a>,
        recognition: &'r Recognition,
        names: &'r HashMap<NodeId, String>,
        budget: usize,
    ) -> Writer<'r, 'p, 'a> {
        Writer {
            pickle,
            recognition,
            names,
            budget,
            cut: false,
            on_path: HashSet::new(),
            references: Vec::new(),
            seen_references: HashSet::new(),
            namespaces: HashMap::new(),
        }
    }

    /// The expression for `value` (`…` where the budget ran out).
    pub fn expr(&mut self, value: Value) -> String {
        let mut out = String::new();
        let mut stack = vec![Piece::Value(value)];
        while let Some(piece) = stack.pop() {
            if self.cut || out.len() > self.budget {
                self.cut = true;
                out.push('…');
                break;
            }
            match piece {
                Piece::Text(t) => out.push_str(&t),
                Piece::Leave(id) => {
                    self.on_path.remove(&id);
                }
                Piece::Value(value) => self.enter(value, &mut out, &mut stack),
            }
        }
        self.on_path.clear();
        self.budget = self.budget.saturating_sub(out.len());
        out
    }

    fn enter(&mut self, value: Value, out: &mut String, stack: &mut Vec<Piece>) {
        let id = match value {
            Value::None => return out.push_str("None"),
            Value::Bool(true) => return out.push_str("True"),
            Value::Bool(false) => return out.push_str("False"),
            Value::Int(v) => return out.push_str(&v.to_string()),
            Value::Float(v) => return out.push_str(&float_repr(v)),
            Value::Node(id) => id,
        };
        if let Some(name) = self.names.get(&self.recognition.resolve(id).0) {
            return out.push_str(name);
        }
        let node = self.pickle.node(id);
        match &node {
            Node::BigInt(v) => return out.push_str(&bigint_repr(v)),
            Node::Str(s) => return write_str_leaf(out, s),
            Node::Bytes(b) => return write_bytes_leaf(out, b, false),
            Node::ByteArray(b) => return write_bytes_leaf(out, b, true),
            _ => {}
        }
        if !self.on_path.insert(id) {
            return out.push_str(match &node {
                Node::List(_) => "[...]",
                Node::Dict(_) => "{...}",
                Node::Tuple(_) => "(...)",
                _ => "...",
            });
        }
        let pieces = match &node {
            Node::Inert(inert) => self.inert_pieces(id, inert),
            _ => native_pieces(&node),
        };
        stack.push(Piece::Leave(id));
        stack.extend(pieces.into_iter().rev());
    }

    /// Notes a name the text refers to, for the summary.
    pub fn reference(&mut self, name: String, kind: Reference) {
        if self.seen_references.insert((name.clone(), kind)) {
            self.references.push((name, kind));
        }
    }

    /// The dotted name of a global (without `builtins.`), noted as a reference.
    fn global_text(&mut self, value: Value, kind: Reference) -> Option<String> {
        let (module, name) = view::global(self.pickle, value)?;
        let text = dotted(module, name);
        self.reference(format!("{module}.{name}"), kind);
        Some(text)
    }

    /// A callee or class: its name when it is a global, else the value itself.
    fn head(&mut self, value: Value, kind: Reference) -> Piece {
        match self.global_text(value, kind) {
            Some(name) => text(name),
            None => Piece::Value(value),
        }
    }

    fn inert_pieces(&mut self, id: NodeId, inert: &'p Inert) -> Vec<Piece> {
        if let Some(what) = self.recognition.get(id) {
            if let Some(pieces) = self.recognized_pieces(what) {
                return pieces;
            }
        }
        self.raw_pieces(inert)
    }

    /// The raw form: what Python would run to rebuild the node (see
    /// [`crate::render::inert`]).
    fn raw_pieces(&mut self, inert: &'p Inert) -> Vec<Piece> {
        let mut pieces = Vec::new();
        let pickle = self.pickle;
        spell(pickle, inert, &Options::default(), &mut |chunk| {
            pieces.push(self.piece(chunk))
        });
        pieces
    }

    /// A piece of a spelling (see [`crate::render::inert`]): names as a skeleton writes
    /// them (without `builtins.`), each noted for the summary.
    fn piece(&mut self, chunk: Chunk<'_>) -> Piece {
        match chunk {
            Chunk::Global(module, name) => {
                self.reference(format!("{module}.{name}"), Reference::Other);
                text(dotted(module, name))
            }
            Chunk::Name(name) => text(name),
            Chunk::Value(value) => Piece::Value(value),
            Chunk::Callee(value, Role::Function) => self.head(value, Reference::Other),
            Chunk::Callee(value, Role::Class) | Chunk::Class(value) => {
                self.head(value, Reference::Class)
            }
            Chunk::OpenNamed(name, Callable::Library) => {
                self.reference(name.to_string(), Reference::Other);
                text(format!("{name}("))
            }
            punctuation => text(punctuation.punctuation().unwrap_or_default()),
        }
    }

    fn recognized_pieces(&mut self, what: &Recognized) -> Option<Vec<Piece>> {
        let pickle = self.pickle;
        match what {
            Recognized::Module { name } => {
                let name = view::str(pickle, *name)?;
                self.reference(name.to_string(), Reference::Module);
            }
            Recognized::Named { module, name } => {
                let name = view::str(pickle, *name)?;
                self.reference(format!("{module}.{name}"), Reference::Other);
            }
            _ => {}
        }
        if let Some(leaf) = forms::leaf_text(pickle, what) {
            return Some(vec![text(leaf)]);
        }
        let chunks = forms::spell(pickle, what, self)?;
        Some(chunks.into_iter().map(|chunk| self.piece(chunk)).collect())
    }

    /// The attribute name under which `instance`'s class (shipped by value) holds
    /// `function`, if it does: then `types.MethodType(function, instance)` is
    /// `instance.name`.
    fn method_name(&mut self, function: Value, instance: Value) -> Option<String> {
        let instance = match self.recognition.get(instance.node()?)? {
            Recognized::Instance(instance) => instance,
            _ => return None,
        };
        let class = self.recognition.resolve(instance.class.node()?).0;
        let function = function.node()?;
        let (key, _) = self
            .class_namespace(class)?
            .iter()
            .find(|&&(_, value)| value.node() == Some(function))?;
        Some(key.to_string()).filter(|k| view::is_identifier(k))
    }

    /// The namespace of a class shipped by value, read once per class.
    fn class_namespace(&mut self, class: NodeId) -> Option<&[(&'p str, Value)]> {
        let pickle = self.pickle;
        let recognition = self.recognition;
        self.namespaces
            .entry(class)
            .or_insert_with(|| {
                recognition
                    .class(class)
                    .map(|def| super::defs::namespace(pickle, def))
            })
            .as_deref()
    }
}

impl forms::Classes for Writer<'_, '_, '_> {
    fn method_name(&mut self, function: Value, instance: Value) -> Option<String> {
        Writer::method_name(self, function, instance)
    }

    fn custom_setstate(&mut self, instance: &InstanceDef) -> bool {
        let class = instance
            .class
            .node()
            .map(|id| self.recognition.resolve(id).0);
        class
            .and_then(|class| self.class_namespace(class))
            .is_some_and(|members| members.iter().any(|(k, _)| *k == "__setstate__"))
    }
}

/// `module.name`, or just `name` for a builtin; what a terminal would obey in either
/// (a line break, an escape) is written escaped, as in a repr.
pub fn dotted(module: &str, name: &str) -> String {
    if module == "builtins" {
        crate::text::scalar::escape_nonprintable(name).into_owned()
    } else {
        crate::text::scalar::dotted(module, name)
    }
}

/// A str as Python's repr writes it.
pub fn quoted(text: &str) -> String {
    let mut out = String::new();
    write_str_repr(&mut out, &PyStr::from_text(text));
    out
}

/// A str's repr, its head only when it is longer than [`MAX_LEAF_CHARS`].
pub fn write_str_leaf(out: &mut String, text: &PyStr<'_>) {
    let count = text.char_count();
    if count <= MAX_LEAF_CHARS {
        return write_str_repr(out, text);
    }
    let head = PyStr::from_code_points(text.code_points().take(MAX_LEAF_CHARS));
    write_str_repr(out, &head);
    out.push_str(&format!("…({count} chars)"));
}

fn write_bytes_leaf(out: &mut String, bytes: &[u8], bytearray: bool) {
    let head = &bytes[..bytes.len().min(MAX_LEAF_CHARS)];
    if bytearray {
        write_bytearray_repr(out, head);
    } else {
        write_bytes_repr(out, head);
    }
    if head.len() < bytes.len() {
        out.push_str(&format!("…({} bytes)", bytes.len()));
    }
}

fn native_pieces(node: &Node<'_>) -> Vec<Piece> {
    let mut pieces = Vec::new();
    match node {
        Node::List(items) => {
            pieces.push(text("["));
            push_list(&mut pieces, items);
            pieces.push(text("]"));
        }
        Node::Tuple(items) => {
            pieces.push(text("("));
            push_list(&mut pieces, items);
            pieces.push(text(if items.len() == 1 { ",)" } else { ")" }));
        }
        Node::Set(items) if items.is_empty() => pieces.push(text("set()")),
        Node::Set(items) => {
            pieces.push(text("{"));
            push_list(&mut pieces, items);
            pieces.push(text("}"));
        }
        Node::FrozenSet(items) if items.is_empty() => pieces.push(text("frozenset()")),
        Node::FrozenSet(items) => {
            pieces.push(text("frozenset({"));
            push_list(&mut pieces, items);
            pieces.push(text("})"));
        }
        Node::Dict(entries) => push_dict(&mut pieces, entries),
        Node::BigInt(_) | Node::Str(_) | Node::Bytes(_) | Node::ByteArray(_) | Node::Inert(_) => {}
    }
    pieces
}

fn push_list(pieces: &mut Vec<Piece>, items: impl IntoIterator<Item = Value>) {
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            pieces.push(text(", "));
        }
        pieces.push(Piece::Value(item));
    }
}

fn push_dict(pieces: &mut Vec<Piece>, entries: impl IntoIterator<Item = (Value, Value)>) {
    pieces.push(text("{"));
    for (i, (key, value)) in entries.into_iter().enumerate() {
        if i > 0 {
            pieces.push(text(", "));
        }
        pieces.extend([Piece::Value(key), text(": "), Piece::Value(value)]);
    }
    pieces.push(text("}"));
}

/// The attributes an instance's state sets, to write as `Cls(…, key=value)`: when the
/// state is a dict or a `(dict, slots)` pair of identifier-keyed dicts, none of whose
/// keys is also a keyword argument to `__new__`, and the class has no `__setstate__` of
/// its own (`custom_setstate`). `None`: write `.__setstate__(state)` instead.
pub fn state_attributes<'p>(
    pickle: &'p Pickle<'_>,
    state: Value,
    kwargs: &[(&str, Value)],
    custom_setstate: bool,
) -> Option<Vec<(&'p str, Value)>> {
    if custom_setstate {
        return None;
    }
    let parts: Vec<Value> = match view::tuple(pickle, state).map(|items| items.array()) {
        Some(Some([dict, slots])) => vec![dict, slots],
        Some(None) => return None,
        None => vec![state],
    };
    let mut attributes = Vec::new();
    for part in parts {
        attributes.extend(view::str_dict_or_none(pickle, part)?);
    }
    let mut seen: HashSet<&str> = kwargs.iter().map(|&(k, _)| k).collect();
    let clean = attributes
        .iter()
        .all(|&(key, _)| view::is_identifier(key) && seen.insert(key));
    clean.then_some(attributes)
}
