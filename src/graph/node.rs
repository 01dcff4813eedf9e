//! The graph's building blocks: [`Value`] (a scalar inline, or a node's id) and
//! [`Node`] (what lives in the arena).

use num_bigint::BigInt;

use super::pystr::PyStr;
use super::slot::Slot;
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
/// representation. (Containers store values packed in 8 bytes; reading them gives
/// back this form.)
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
    /// The value as a hashable pair: equal for the same node or the same scalar, a float
    /// by its bits (so a NaN equals itself, and -0.0 differs from 0.0).
    pub(crate) fn identity(self) -> (u8, u64) {
        match self {
            Value::None => (0, 0),
            Value::Bool(b) => (1, u64::from(b)),
            Value::Int(i) => (2, i as u64),
            Value::Float(f) => (3, f.to_bits()),
            Value::Node(id) => (4, u64::from(id.0)),
        }
    }

    /// The node this value refers to, if it is not an inline scalar.
    pub fn node(self) -> Option<NodeId> {
        match self {
            Value::Node(id) => Some(id),
            _ => None,
        }
    }
}

/// An object of the arena, as [`Pickle::node`](crate::Pickle::node) shows it: a view
/// that borrows from the arena (see [`Items`] for why containers are not slices).
#[derive(Debug, Clone, PartialEq)]
pub enum Node<'p> {
    /// An int that does not fit in 64 bits.
    BigInt(&'p BigInt),
    /// A `str`.
    Str(PyStr<'p>),
    /// A `bytes` object.
    Bytes(&'p [u8]),
    /// A `bytearray`.
    ByteArray(&'p [u8]),
    /// A list.
    List(Items<'p>),
    /// A tuple.
    Tuple(Items<'p>),
    /// A dict: keys unique as Python compares them, in insertion order.
    Dict(Entries<'p>),
    /// A set: members unique, in insertion order.
    Set(Items<'p>),
    /// A frozenset: members unique, in insertion order.
    FrozenSet(Items<'p>),
    /// Something Python would import or call to build: recorded, never run.
    Inert(&'p Inert),
}

/// The items of a list, tuple, set or frozenset, in order.
///
/// Containers keep their items as 8-byte slots in one arena shared by the whole
/// pickle (half the memory of a [`Value`], and no allocation per container); this
/// reads them back as values.
#[derive(Clone, Copy, Default)]
pub struct Items<'p> {
    pub(crate) slots: &'p [Slot],
    pub(crate) wides: &'p [u64],
}

impl<'p> Items<'p> {
    /// How many items there are.
    #[inline]
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether there are none.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Item `index`, if there is one.
    #[inline]
    pub fn get(&self, index: usize) -> Option<Value> {
        self.slots.get(index).map(|slot| slot.unpack(self.wides))
    }

    /// The first item.
    pub fn first(&self) -> Option<Value> {
        self.get(0)
    }

    /// The last item.
    pub fn last(&self) -> Option<Value> {
        self.len().checked_sub(1).and_then(|index| self.get(index))
    }

    /// The items, in order.
    #[inline]
    pub fn iter(&self) -> ItemsIter<'p> {
        ItemsIter {
            slots: self.slots.iter(),
            wides: self.wides,
        }
    }

    /// The items, copied out.
    pub fn to_vec(&self) -> Vec<Value> {
        self.iter().collect()
    }

    /// The items as an array, when there are exactly `N`.
    pub fn array<const N: usize>(&self) -> Option<[Value; N]> {
        (self.len() == N).then(|| std::array::from_fn(|index| self.slots[index].unpack(self.wides)))
    }
}

impl std::fmt::Debug for Items<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq for Items<'_> {
    fn eq(&self, other: &Items<'_>) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<'p> IntoIterator for Items<'p> {
    type Item = Value;
    type IntoIter = ItemsIter<'p>;
    fn into_iter(self) -> ItemsIter<'p> {
        self.iter()
    }
}

impl<'p> IntoIterator for &Items<'p> {
    type Item = Value;
    type IntoIter = ItemsIter<'p>;
    fn into_iter(self) -> ItemsIter<'p> {
        self.iter()
    }
}

/// The iterator of [`Items`].
#[derive(Debug, Clone)]
pub struct ItemsIter<'p> {
    slots: std::slice::Iter<'p, Slot>,
    wides: &'p [u64],
}

impl Iterator for ItemsIter<'_> {
    type Item = Value;
    #[inline]
    fn next(&mut self) -> Option<Value> {
        self.slots.next().map(|slot| slot.unpack(self.wides))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.slots.size_hint()
    }
}

impl DoubleEndedIterator for ItemsIter<'_> {
    fn next_back(&mut self) -> Option<Value> {
        self.slots.next_back().map(|slot| slot.unpack(self.wides))
    }
}

impl ExactSizeIterator for ItemsIter<'_> {}

/// The entries of a dict, in insertion order: its key and value slots alternate, so
/// the entries are [`Items`] read two at a time (and equal when those are equal).
#[derive(Clone, Copy, Default, PartialEq)]
pub struct Entries<'p> {
    flat: Items<'p>,
}

impl<'p> Entries<'p> {
    /// The entries of a dict whose keys and values alternate in `flat`.
    pub(crate) fn new(flat: Items<'p>) -> Entries<'p> {
        Entries { flat }
    }

    /// How many entries there are.
    #[inline]
    pub fn len(&self) -> usize {
        self.flat.len() / 2
    }

    /// Whether there are none.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.flat.is_empty()
    }

    /// Entry `index`, key then value.
    #[inline]
    pub fn get(&self, index: usize) -> Option<(Value, Value)> {
        Some((self.flat.get(2 * index)?, self.flat.get(2 * index + 1)?))
    }

    /// The entries, in order.
    pub fn iter(&self) -> EntriesIter<'p> {
        EntriesIter {
            pairs: self.flat.slots.chunks_exact(2),
            wides: self.flat.wides,
        }
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = Value> + ExactSizeIterator + 'p {
        self.iter().map(|(key, _)| key)
    }

    /// The values, in order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = Value> + ExactSizeIterator + 'p {
        self.iter().map(|(_, value)| value)
    }

    /// The keys and values alternating, as [`Node::child`] counts them.
    pub fn flat(&self) -> Items<'p> {
        self.flat
    }

    /// The entries, copied out.
    pub fn to_vec(&self) -> Vec<(Value, Value)> {
        self.iter().collect()
    }
}

impl std::fmt::Debug for Entries<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'p> IntoIterator for Entries<'p> {
    type Item = (Value, Value);
    type IntoIter = EntriesIter<'p>;
    fn into_iter(self) -> EntriesIter<'p> {
        self.iter()
    }
}

impl<'p> IntoIterator for &Entries<'p> {
    type Item = (Value, Value);
    type IntoIter = EntriesIter<'p>;
    fn into_iter(self) -> EntriesIter<'p> {
        self.iter()
    }
}

/// The iterator of [`Entries`].
#[derive(Debug, Clone)]
pub struct EntriesIter<'p> {
    pairs: std::slice::ChunksExact<'p, Slot>,
    wides: &'p [u64],
}

impl Iterator for EntriesIter<'_> {
    type Item = (Value, Value);
    #[inline]
    fn next(&mut self) -> Option<(Value, Value)> {
        let pair = self.pairs.next()?;
        Some((pair[0].unpack(self.wides), pair[1].unpack(self.wides)))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.pairs.size_hint()
    }
}

impl DoubleEndedIterator for EntriesIter<'_> {
    fn next_back(&mut self) -> Option<(Value, Value)> {
        let pair = self.pairs.next_back()?;
        Some((pair[0].unpack(self.wides), pair[1].unpack(self.wides)))
    }
}

impl ExactSizeIterator for EntriesIter<'_> {}

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

impl<'p> Node<'p> {
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

    /// A container's items as [`Node::child`] counts them (a dict's keys and values
    /// alternating), read straight from its slots; `None` for other nodes, whose
    /// children `child` finds among operands and mutations.
    pub fn items(&self) -> Option<Items<'p>> {
        match self {
            Node::List(items) | Node::Tuple(items) | Node::Set(items) | Node::FrozenSet(items) => {
                Some(*items)
            }
            Node::Dict(entries) => Some(entries.flat()),
            _ => None,
        }
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
                items.get(index)
            }
            Node::Dict(entries) => entries.flat().get(index),
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
