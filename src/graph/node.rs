//! The graph's building blocks: [`Value`] (a scalar inline, or a node's id) and
//! [`Node`] (what lives in the arena).

use std::borrow::Cow;

use num_bigint::BigInt;

use super::pystr::PyStr;
use crate::opcode::Opcode;

/// The index of a node in its [`Pickle`](crate::Pickle)'s arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub(crate) u32);

impl NodeId {
    /// The node's position in [`Pickle::nodes`](crate::Pickle::nodes).
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The id of the node at `index`.
    ///
    /// # Panics
    /// If `index` does not fit in 32 bits (no arena holds that many nodes).
    pub fn from_index(index: usize) -> NodeId {
        NodeId(u32::try_from(index).expect("node index fits in u32"))
    }
}

/// One Python object: small scalars inline, everything else a node in the arena.
///
/// Ints that fit in an `i64` are always inline, so two equal ints never differ in
/// representation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// `None`.
    None,
    /// `True` or `False`.
    Bool(bool),
    /// An int that fits in 64 bits.
    Int(i64),
    /// A float.
    Float(f64),
    /// Anything else, by reference: the same id means the same object.
    Node(NodeId),
}

impl Value {
    /// The node this value refers to, if it is not an inline scalar.
    pub fn node(self) -> Option<NodeId> {
        match self {
            Value::Node(id) => Some(id),
            _ => None,
        }
    }
}

/// An object in the arena.
#[derive(Debug, Clone, PartialEq)]
pub enum Node<'a> {
    /// An int that does not fit in 64 bits.
    BigInt(BigInt),
    /// A `str`.
    Str(PyStr<'a>),
    /// A `bytes` object (borrowed from the input where possible).
    Bytes(Cow<'a, [u8]>),
    /// A `bytearray` (borrowed from the input where possible).
    ByteArray(Cow<'a, [u8]>),
    /// A list.
    List(Vec<Value>),
    /// A tuple.
    Tuple(Vec<Value>),
    /// A dict: keys unique as Python compares them, in insertion order.
    Dict(Vec<(Value, Value)>),
    /// A set: members unique, in insertion order.
    Set(Vec<Value>),
    /// A frozenset: members unique, in insertion order.
    FrozenSet(Vec<Value>),
    /// Something Python would import or call to build: recorded, never run.
    Inert(Box<Inert>),
}

/// A node that stands for what Python would have imported, called or looked up.
#[derive(Debug, Clone, PartialEq)]
pub struct Inert {
    /// What it is.
    pub kind: InertKind,
    /// Byte offset of the opcode that made it.
    pub offset: u64,
    /// What later opcodes did to it, in stream order.
    pub mutations: Vec<Mutation>,
    /// For each mutation, where its children end, counted from the first mutation's
    /// first child: [`Node::child`] finds a child among a million mutations by binary
    /// search (a walk over them was quadratic: a 600 KB pickle of 100,000 `SETITEM`s on
    /// one instance took 45 s to `stats`). Kept by [`Inert::push_mutation`].
    mutation_ends: Vec<usize>,
}

/// The kinds of inert node.
#[derive(Debug, Clone, PartialEq)]
pub enum InertKind {
    /// A global looked up by module and name (`GLOBAL`, `STACK_GLOBAL`, or the class of
    /// an `INST`). `STACK_GLOBAL` takes any two objects, so these need not be strs.
    Global {
        /// The module (a str node, as the pickle spells it).
        module: Value,
        /// The qualified name within the module.
        name: Value,
        /// The opcode that named it.
        opcode: Opcode,
    },
    /// `func(*args)` (`REDUCE`).
    Call {
        /// The callable.
        func: Value,
        /// The argument tuple (as pushed: not always a tuple in a hostile pickle).
        args: Value,
    },
    /// An instance of a class: `cls.__new__(cls, *args, **kwargs)` for `NEWOBJ` and
    /// `NEWOBJ_EX`, `cls(*args)` for `INST` and `OBJ`.
    Instance {
        /// The class.
        class: Value,
        /// The argument tuple.
        args: Value,
        /// The keyword arguments (`NEWOBJ_EX` only).
        kwargs: Option<Value>,
        /// The opcode that made it.
        opcode: Opcode,
    },
    /// A persistent reference (`PERSID`, `BINPERSID`), resolved by the application.
    Persistent {
        /// The persistent id.
        pid: Value,
    },
    /// An entry of the `copyreg` extension registry (`EXT1`, `EXT2`, `EXT4`).
    Extension {
        /// The extension code.
        code: i32,
    },
    /// An out-of-band buffer (`NEXT_BUFFER`).
    Buffer {
        /// Which buffer: 0 for the first `NEXT_BUFFER` of the pickle.
        index: u64,
        /// Whether `READONLY_BUFFER` made it read-only.
        readonly: bool,
    },
    /// A read-only memoryview of an in-band object (`READONLY_BUFFER` on it).
    ReadOnly {
        /// The object viewed.
        target: Value,
    },
}

/// An opcode's effect on an inert node, kept in stream order.
#[derive(Debug, Clone, PartialEq)]
pub enum Mutation {
    /// `BUILD`: `__setstate__(state)` or an update of `__dict__`.
    Build(Value),
    /// `APPEND` (one item) or `APPENDS`: `append` or `extend`.
    Append(Vec<Value>),
    /// `SETITEM` or `SETITEMS`: `obj[key] = value` for each pair.
    SetItems(Vec<(Value, Value)>),
    /// `ADDITEMS`: `add` for each item.
    AddItems(Vec<Value>),
}

impl Mutation {
    /// The opcode family that made this mutation (`BUILD`, `APPENDS`, `SETITEMS`, `ADDITEMS`).
    pub fn name(&self) -> &'static str {
        match self {
            Mutation::Build(_) => "BUILD",
            Mutation::Append(_) => "APPENDS",
            Mutation::SetItems(_) => "SETITEMS",
            Mutation::AddItems(_) => "ADDITEMS",
        }
    }
}

impl Node<'_> {
    /// The Python type name of a native node, or `None` for an inert one.
    pub fn type_name(&self) -> Option<&'static str> {
        Some(match self {
            Node::BigInt(_) => "int",
            Node::Str(_) => "str",
            Node::Bytes(_) => "bytes",
            Node::ByteArray(_) => "bytearray",
            Node::List(_) => "list",
            Node::Tuple(_) => "tuple",
            Node::Dict(_) => "dict",
            Node::Set(_) => "set",
            Node::FrozenSet(_) => "frozenset",
            Node::Inert(_) => return None,
        })
    }

    /// How many child values the node has (see [`Node::child`]).
    pub fn child_count(&self) -> usize {
        match self {
            Node::BigInt(_) | Node::Str(_) | Node::Bytes(_) | Node::ByteArray(_) => 0,
            Node::List(items) | Node::Tuple(items) | Node::Set(items) | Node::FrozenSet(items) => {
                items.len()
            }
            Node::Dict(entries) => entries.len() * 2,
            Node::Inert(inert) => {
                let mutations = match inert.mutation_ends.len() == inert.mutations.len() {
                    true => inert.mutation_ends.last().copied().unwrap_or(0),
                    false => inert.mutations.iter().map(mutation_len).sum::<usize>(),
                };
                inert.head().1 + mutations
            }
        }
    }

    /// The child at `index`: container items in order (a dict's key then value), or an
    /// inert node's operands followed by the values its mutations hold.
    pub fn child(&self, index: usize) -> Option<Value> {
        match self {
            Node::BigInt(_) | Node::Str(_) | Node::Bytes(_) | Node::ByteArray(_) => None,
            Node::List(items) | Node::Tuple(items) | Node::Set(items) | Node::FrozenSet(items) => {
                items.get(index).copied()
            }
            Node::Dict(entries) => {
                entries
                    .get(index / 2)
                    .map(|&(key, value)| if index % 2 == 0 { key } else { value })
            }
            Node::Inert(inert) => inert.child(index),
        }
    }
}

/// Child `index` of one mutation, which has more than `index` children.
fn mutation_child(mutation: &Mutation, index: usize) -> Value {
    match mutation {
        Mutation::Build(state) => *state,
        Mutation::Append(items) | Mutation::AddItems(items) => items[index],
        Mutation::SetItems(pairs) => {
            let (key, value) = pairs[index / 2];
            if index % 2 == 0 {
                key
            } else {
                value
            }
        }
    }
}

fn mutation_len(mutation: &Mutation) -> usize {
    match mutation {
        Mutation::Build(_) => 1,
        Mutation::Append(items) | Mutation::AddItems(items) => items.len(),
        Mutation::SetItems(pairs) => pairs.len() * 2,
    }
}

impl Inert {
    /// A node of `kind` made by the opcode at `offset`, with no mutations yet.
    pub fn new(kind: InertKind, offset: u64) -> Inert {
        Inert {
            kind,
            offset,
            mutations: Vec::new(),
            mutation_ends: Vec::new(),
        }
    }

    /// Records what a later opcode did to the node.
    pub fn push_mutation(&mut self, mutation: Mutation) {
        let start = self.mutation_ends.last().copied().unwrap_or(0);
        self.mutation_ends.push(start + mutation_len(&mutation));
        self.mutations.push(mutation);
    }

    /// The head values without allocating: the array and how many of it are used.
    fn head(&self) -> ([Value; 3], usize) {
        match &self.kind {
            InertKind::Global { module, name, .. } => ([*module, *name, Value::None], 2),
            InertKind::Call { func, args } => ([*func, *args, Value::None], 2),
            InertKind::Instance {
                class,
                args,
                kwargs,
                ..
            } => match kwargs {
                Some(kwargs) => ([*class, *args, *kwargs], 3),
                None => ([*class, *args, Value::None], 2),
            },
            InertKind::Persistent { pid } => ([*pid, Value::None, Value::None], 1),
            InertKind::ReadOnly { target } => ([*target, Value::None, Value::None], 1),
            InertKind::Extension { .. } | InertKind::Buffer { .. } => ([Value::None; 3], 0),
        }
    }

    /// The values that define the node (callable and arguments, class, id…).
    pub fn head_values(&self) -> Vec<Value> {
        let (head, len) = self.head();
        head[..len].to_vec()
    }

    fn child(&self, mut index: usize) -> Option<Value> {
        let (head, head_len) = self.head();
        if index < head_len {
            return Some(head[index]);
        }
        index -= head_len;
        if self.mutation_ends.len() == self.mutations.len() {
            // Mutations pushed through `push_mutation`: found by binary search.
            let at = self.mutation_ends.partition_point(|&end| end <= index);
            let mutation = self.mutations.get(at)?;
            let start = at
                .checked_sub(1)
                .map_or(0, |before| self.mutation_ends[before]);
            return Some(mutation_child(mutation, index - start));
        }
        for mutation in &self.mutations {
            let len = mutation_len(mutation);
            if index < len {
                return Some(mutation_child(mutation, index));
            }
            index -= len;
        }
        None
    }
}
