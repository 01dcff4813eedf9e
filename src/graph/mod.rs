//! The object graph a pickle loads into: [`Pickle`] holds the arena of nodes, the root
//! and the effects (calls whose results the pickle discarded).

pub(crate) mod arena;
pub mod compat;
pub mod node;
pub mod pystr;
mod slot;
pub mod walk;

pub(crate) use arena::{Arena, ContainerKind, FlatValues, Packed, PayloadKind, Stored};
pub use node::{
    Entries, EntriesIter, Inert, InertKind, Items, ItemsIter, Mutation, Node, NodeId, Value,
};
pub use pystr::PyStr;
pub(crate) use slot::Slot;

use std::borrow::Cow;

use crate::opcode::Opcode;

/// Something the pickle did whose result it did not keep: a call discarded by `POP` or
/// `POP_MARK`, or left on the stack at `STOP`. cloudpickle's `_class_setstate(cls, state)`
/// is one: it carries every method of a class.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Effect {
    /// The discarded object.
    pub value: Value,
    /// Byte offset of the opcode that discarded it.
    pub offset: u64,
    /// That opcode (`POP`, `POP_MARK` or `STOP`).
    pub opcode: Opcode,
}

/// A Python 2 8-bit string that its encoding could not decode, kept as `bytes` under
/// [`DecodeErrors::KeepBytes`](crate::DecodeErrors::KeepBytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UndecodedStr {
    /// The encoding that was asked for (`ascii`, `utf-8`, …).
    pub encoding: &'static str,
    /// The byte of the string where decoding failed.
    pub position: usize,
}

/// One loaded pickle: an arena of nodes, the root object, and the effects in stream order.
///
/// Nodes borrow byte and string payloads from the input (`'a`).
#[derive(Debug, Clone, PartialEq)]
pub struct Pickle<'a> {
    pub(crate) arena: Arena<'a>,
    pub(crate) root: Value,
    pub(crate) effects: Vec<Effect>,
    pub(crate) protocol: u8,
    pub(crate) span: (usize, usize),
    pub(crate) memo_len: usize,
    pub(crate) buffers: Vec<Cow<'a, [u8]>>,
    /// The bytes nodes that are undecodable Python 2 strings, by increasing id.
    pub(crate) undecodable: Vec<(NodeId, UndecodedStr)>,
    /// Whether its `STOP` came inside a frame with bytes left after it.
    pub(crate) stopped_inside_frame: bool,
}

impl<'a> Pickle<'a> {
    /// The object the pickle evaluates to.
    pub fn root(&self) -> Value {
        self.root
    }

    /// Every node, in [`NodeId::index`] order.
    pub fn nodes(&self) -> Nodes<'_, 'a> {
        Nodes {
            arena: &self.arena,
            next: 0,
        }
    }

    /// How many nodes there are.
    pub fn node_count(&self) -> usize {
        self.arena.len()
    }

    /// How many of the nodes are inert ([`Node::Inert`]: globals, calls, instances,
    /// buffers, persistent ids). Plain data has none: nothing in it would be imported
    /// or called, and a view need not look for calls in it.
    /// ```
    /// assert_eq!(picklegraph::load(b"]K\x01a.")?.inert_count(), 0);
    /// assert_eq!(picklegraph::load(b"cos\nsystem\n.")?.inert_count(), 1);
    /// # Ok::<(), picklegraph::Error>(())
    /// ```
    pub fn inert_count(&self) -> usize {
        self.arena.inert_count()
    }

    /// Whether a list, tuple, dict, set, bytearray or inert node may be referenced from
    /// more than one place (one was pushed again, by a memo get or `DUP`). When false,
    /// the containers form a tree: a builder need not look for shared containers or
    /// cycles (strs, bytes and big ints may still be shared).
    /// ```
    /// assert!(!picklegraph::load(b"\x80\x04]\x94(]\x94]\x94e.")?.may_share());
    /// assert!(picklegraph::load(b"\x80\x04]\x94(]\x94h\x01e.")?.may_share());
    /// # Ok::<(), picklegraph::Error>(())
    /// ```
    pub fn may_share(&self) -> bool {
        self.arena.may_share()
    }

    /// The node with this id, as a view that borrows from the pickle.
    /// ```
    /// use picklegraph::{Node, Value};
    /// let pickle = picklegraph::load(b"\x80\x02]q\x00(K\x01}q\x01X\x01\x00\x00\x00aK\x02se.")?;
    /// let id = pickle.root().node().unwrap();
    /// let Node::List(items) = pickle.node(id) else { panic!("a list") };
    /// let [first, second] = items.array().unwrap();
    /// assert_eq!(first, Value::Int(1));
    /// let Some(Node::Dict(entries)) = pickle.get(second) else { panic!("a dict") };
    /// let (key, value) = entries.get(0).unwrap();
    /// assert_eq!((pickle.as_str(key), value), (Some("a"), Value::Int(2)));
    /// # Ok::<(), picklegraph::Error>(())
    /// ```
    ///
    /// # Panics
    /// If the id belongs to another pickle's arena and is out of range here.
    #[inline]
    pub fn node(&self, id: NodeId) -> Node<'_> {
        self.arena.node(id)
    }

    /// The node a value refers to, if it is not an inline scalar.
    #[inline]
    pub fn get(&self, value: Value) -> Option<Node<'_>> {
        value.node().and_then(|id| self.arena.get(id))
    }

    /// Whether node `id` is a str, bytes or bytearray whose payload is borrowed from the
    /// input rather than decoded into the arena.
    pub fn borrows_input(&self, id: NodeId) -> bool {
        self.arena.borrows_input(id)
    }

    /// Calls whose result the pickle discarded, in stream order.
    pub fn effects(&self) -> &[Effect] {
        &self.effects
    }

    /// The highest protocol the pickle declared with `PROTO` (0 if none).
    pub fn protocol(&self) -> u8 {
        self.protocol
    }

    /// Whether bytes node `id` is a Python 2 string its encoding could not decode, kept as
    /// bytes under [`DecodeErrors::KeepBytes`](crate::DecodeErrors::KeepBytes), and why.
    /// ```
    /// use picklegraph::{DecodeErrors, LoadOptions};
    /// let options = LoadOptions::default().with_string_errors(DecodeErrors::KeepBytes);
    /// let pickle = picklegraph::load_with(b"U\x04caf\xe9.", &options)?;
    /// let id = pickle.root().node().unwrap();
    /// assert_eq!(pickle.undecodable(id).unwrap().position, 3);
    /// # Ok::<(), picklegraph::Error>(())
    /// ```
    pub fn undecodable(&self, id: NodeId) -> Option<&UndecodedStr> {
        if self.undecodable.is_empty() {
            return None;
        }
        let at = self
            .undecodable
            .binary_search_by_key(&id.index(), |(node, _)| node.index())
            .ok()?;
        Some(&self.undecodable[at].1)
    }

    /// The byte range of the input this pickle occupied, `STOP` included; for the partial
    /// graph of a [`Failure`](crate::Failure), from the pickle's start to the offset of the
    /// opcode that failed.
    pub fn span(&self) -> (usize, usize) {
        self.span
    }

    /// Whether the pickle's `STOP` came inside a `FRAME` that still had bytes after it.
    /// picklegraph, like `pickle.loads` and the C unpickler's `load` from a file it can
    /// peek into, starts the next pickle of a stream right after the `STOP`; the
    /// pure-Python `pickle._Unpickler` and the C unpickler reading whole frames from a
    /// file start it after the frame. A scan that must read a stream as each of them does
    /// looks for other readings only where this is so (or where a load failed).
    /// ```
    /// // FRAME of 4 bytes: NONE, STOP, then BININT1 1 inside the frame.
    /// let input = b"\x95\x04\x00\x00\x00\x00\x00\x00\x00N.K\x01.";
    /// let first = picklegraph::load_at(input, 0, &Default::default()).map_err(|f| f.error)?;
    /// assert!(first.stopped_inside_frame());
    /// let framed = b"\x80\x04\x95\x02\x00\x00\x00\x00\x00\x00\x00N.";
    /// assert!(!picklegraph::load(framed)?.stopped_inside_frame());
    /// # Ok::<(), picklegraph::Error>(())
    /// ```
    pub fn stopped_inside_frame(&self) -> bool {
        self.stopped_inside_frame
    }

    /// The bytes of out-of-band buffer `index` (the `index`-th `NEXT_BUFFER`), when the
    /// buffers were given to [`load_with_buffers`](crate::load_with_buffers).
    /// ```
    /// let data = [7u8, 8, 9];
    /// let options = picklegraph::LoadOptions::default();
    /// let pickle = picklegraph::load_with_buffers(b"\x80\x05\x97.", &[&data], &options)?;
    /// assert_eq!(pickle.buffer(0), Some(&data[..]));
    /// # Ok::<(), picklegraph::Error>(())
    /// ```
    pub fn buffer(&self, index: u64) -> Option<&[u8]> {
        let index = usize::try_from(index).ok()?;
        self.buffers.get(index).map(|bytes| &bytes[..])
    }

    /// How many memo entries the pickle stored.
    pub fn memo_len(&self) -> usize {
        self.memo_len
    }

    /// The Python type name of a value: `int`, `str`, …; `None` for an inert node.
    /// ```
    /// let pickle = picklegraph::load(b"]\x94.")?; // EMPTY_LIST MEMOIZE STOP
    /// assert_eq!(pickle.type_name(pickle.root()), Some("list"));
    /// # Ok::<(), picklegraph::Error>(())
    /// ```
    pub fn type_name(&self, value: Value) -> Option<&'static str> {
        match value {
            Value::None => Some("NoneType"),
            Value::Bool(_) => Some("bool"),
            Value::Int(_) => Some("int"),
            Value::Float(_) => Some("float"),
            Value::Node(id) => self.arena.get(id)?.type_name(),
        }
    }

    /// The text of a str value, if it is one and holds no lone surrogate.
    pub fn as_str(&self, value: Value) -> Option<&str> {
        match self.get(value)? {
            Node::Str(text) => text.as_borrowed_str(),
            _ => None,
        }
    }

    /// The module and name of a global reference, when both are plain strs, with
    /// Python 2 names mapped as Python 3 maps them (`__builtin__` → `builtins`).
    /// ```
    /// let pickle = picklegraph::load(b"c__builtin__\nset\n.")?;
    /// assert_eq!(pickle.global_name(pickle.root()), Some(("builtins", "set")));
    /// # Ok::<(), picklegraph::Error>(())
    /// ```
    pub fn global_name(&self, value: Value) -> Option<(&str, &str)> {
        match self.get(value)? {
            Node::Inert(inert) => match &inert.kind {
                InertKind::Global { module, name, .. } => {
                    let (module, name) = (self.as_str(*module)?, self.as_str(*name)?);
                    Some(crate::graph::compat::python3_name(module, name))
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// Detaches the graph from the input it borrows, copying payloads.
    pub fn into_owned(self) -> Pickle<'static> {
        let own = |bytes: Cow<'a, [u8]>| Cow::Owned(bytes.into_owned());
        Pickle {
            arena: self.arena.into_owned(),
            root: self.root,
            effects: self.effects,
            protocol: self.protocol,
            span: self.span,
            memo_len: self.memo_len,
            buffers: self.buffers.into_iter().map(own).collect(),
            undecodable: self.undecodable,
            stopped_inside_frame: self.stopped_inside_frame,
        }
    }
}

/// The nodes of a pickle, in id order (see [`Pickle::nodes`]).
#[derive(Debug, Clone)]
pub struct Nodes<'p, 'a> {
    arena: &'p Arena<'a>,
    next: usize,
}

impl<'p> Iterator for Nodes<'p, '_> {
    type Item = Node<'p>;

    fn next(&mut self) -> Option<Node<'p>> {
        let node = self.arena.get(NodeId::from_index(self.next))?;
        self.next += 1;
        Some(node)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.arena.len() - self.next;
        (left, Some(left))
    }
}

impl ExactSizeIterator for Nodes<'_, '_> {}
