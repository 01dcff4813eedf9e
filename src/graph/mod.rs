//! The object graph a pickle loads into: [`Pickle`] holds the arena of nodes, the root
//! and the effects (calls whose results the pickle discarded).

pub mod node;
pub mod pystr;
pub mod walk;

pub use node::{Inert, InertKind, Mutation, Node, NodeId, Value};
pub use pystr::PyStr;

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

/// One loaded pickle: an arena of nodes, the root object, and the effects in stream order.
///
/// Nodes borrow byte and string payloads from the input (`'a`).
#[derive(Debug, Clone, PartialEq)]
pub struct Pickle<'a> {
    pub(crate) nodes: Vec<Node<'a>>,
    pub(crate) root: Value,
    pub(crate) effects: Vec<Effect>,
    pub(crate) protocol: u8,
    pub(crate) span: (usize, usize),
    pub(crate) memo_len: usize,
    pub(crate) buffers: Vec<Cow<'a, [u8]>>,
}

impl<'a> Pickle<'a> {
    /// The object the pickle evaluates to.
    pub fn root(&self) -> Value {
        self.root
    }

    /// Every node, indexed by [`NodeId::index`].
    pub fn nodes(&self) -> &[Node<'a>] {
        &self.nodes
    }

    /// The node with this id.
    ///
    /// # Panics
    /// If the id belongs to another pickle's arena and is out of range here.
    pub fn node(&self, id: NodeId) -> &Node<'a> {
        &self.nodes[id.index()]
    }

    /// The node a value refers to, if it is not an inline scalar.
    pub fn get(&self, value: Value) -> Option<&Node<'a>> {
        value.node().and_then(|id| self.nodes.get(id.index()))
    }

    /// Calls whose result the pickle discarded, in stream order.
    pub fn effects(&self) -> &[Effect] {
        &self.effects
    }

    /// The highest protocol the pickle declared with `PROTO` (0 if none).
    pub fn protocol(&self) -> u8 {
        self.protocol
    }

    /// The byte range of the input this pickle occupied, `STOP` included.
    pub fn span(&self) -> (usize, usize) {
        self.span
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
            Value::Node(id) => self.node(id).type_name(),
        }
    }

    /// The text of a str value, if it is one and holds no lone surrogate.
    pub fn as_str(&self, value: Value) -> Option<&str> {
        match self.get(value)? {
            Node::Str(text) => text.as_str(),
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
            Node::Inert(inert) => match inert.kind {
                InertKind::Global { module, name, .. } => {
                    let (module, name) = (self.as_str(module)?, self.as_str(name)?);
                    Some(crate::python::compat::python3_name(module, name))
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// Detaches the graph from the input it borrows, copying payloads.
    pub fn into_owned(self) -> Pickle<'static> {
        let own = |bytes: Cow<'a, [u8]>| Cow::Owned(bytes.into_owned());
        let nodes = self
            .nodes
            .into_iter()
            .map(|node| match node {
                Node::Str(text) => Node::Str(text.into_owned()),
                Node::Bytes(bytes) => Node::Bytes(own(bytes)),
                Node::ByteArray(bytes) => Node::ByteArray(own(bytes)),
                Node::BigInt(v) => Node::BigInt(v),
                Node::List(v) => Node::List(v),
                Node::Tuple(v) => Node::Tuple(v),
                Node::Dict(v) => Node::Dict(v),
                Node::Set(v) => Node::Set(v),
                Node::FrozenSet(v) => Node::FrozenSet(v),
                Node::Inert(v) => Node::Inert(v),
            })
            .collect();
        Pickle {
            nodes,
            root: self.root,
            effects: self.effects,
            protocol: self.protocol,
            span: self.span,
            memo_len: self.memo_len,
            buffers: self.buffers.into_iter().map(own).collect(),
        }
    }
}
