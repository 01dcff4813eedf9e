//! [`Arena`]: where a pickle's objects live, in three flat vectors.
//!
//! Every node is one 16-byte record; every container's items are a range of one
//! shared vector of 8-byte [`Slot`]s; str and bytes payloads borrow the input, or sit
//! in one shared byte vector when they had to be decoded. Loading allocates no memory
//! per object: a pickle of 200,000 small dicts used to make 200,000 `malloc` calls.
//!
//! A borrowed payload is held as where it lies in one of the arena's sources (the
//! input, an out-of-band buffer), not as a slice: a slice's pointer and length made
//! every node 24 bytes. Memory the load touches for the first time costs a page fault
//! and the zeroing of the page, which on a virtual machine was most of the time of
//! loading a large pickle; a third less for each node is a fifth less memory for a
//! pickle of short strs.
//!
//! A container's range grows in place while it is the last thing in the slot vector
//! (a list filled by `APPENDS` batches of ints); when something else was stored after
//! it (a list of records), it moves to the end with room to double, so the slots left
//! behind are at most as many as those in use.

use std::borrow::Cow;

use num_bigint::BigInt;

use super::node::{Entries, Inert, Items, Node, NodeId, Value};
use super::pystr::PyStr;
use super::slot::Slot;
use crate::error::ErrorKind;

/// What one node is, stored (see [`Node`] for what each kind means).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Stored {
    /// An index into [`Arena::bigints`].
    BigInt(u32),
    Str(Borrowed),
    StrOwned(Span),
    Bytes(Borrowed),
    BytesOwned(Span),
    ByteArray(Borrowed),
    ByteArrayOwned(Span),
    List(Range),
    Tuple(Range),
    Dict(Range),
    Set(Range),
    FrozenSet(Range),
    /// An index into [`Arena::inerts`].
    Inert(u32),
}

/// A payload in [`Arena::owned`]: its start and length, 48 bits each, packed in three
/// words (two `usize`s made a node 24 bytes).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Span([u32; 3]);

impl Span {
    fn new(start: usize, len: usize) -> Span {
        let (start, len) = (start as u64, len as u64);
        debug_assert!(start >> 48 == 0 && len >> 48 == 0, "a payload past 256 TiB");
        let high = (start >> 32) as u32 & 0xffff | ((len >> 32) as u32) << 16;
        Span([start as u32, len as u32, high])
    }

    #[inline]
    fn bytes(self) -> std::ops::Range<usize> {
        let [start, len, high] = self.0.map(u64::from);
        let start = start | (high & 0xffff) << 32;
        let len = len | (high >> 16) << 32;
        start as usize..(start + len) as usize
    }
}

/// A payload borrowed from [`Arena::sources`]: `len` bytes from `start` of source
/// `source`. A payload that lies past 4 GiB of its source, or is that long, is a
/// source of its own, whole (`len` is then [`WHOLE`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Borrowed {
    source: u32,
    start: u32,
    len: u32,
}

/// The [`Borrowed::len`] of a payload that is its whole source.
const WHOLE: u32 = u32::MAX;

impl Borrowed {
    /// The payload, read from the arena's `sources`.
    #[inline(always)]
    fn bytes<'s>(self, sources: &[&'s [u8]]) -> &'s [u8] {
        let source = sources[self.source as usize];
        match self.len {
            WHOLE => source,
            len => &source[self.start as usize..][..len as usize],
        }
    }
}

/// A container's slots: `len` in use from `start`, room for `cap`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Range {
    start: u32,
    len: u32,
    cap: u32,
}

impl Range {
    fn slots(self) -> std::ops::Range<usize> {
        self.start as usize..self.start as usize + self.len as usize
    }
}

/// The kinds of payload node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PayloadKind {
    Str,
    Bytes,
    ByteArray,
}

/// The kinds of container node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContainerKind {
    List,
    Tuple,
    Dict,
    Set,
    FrozenSet,
}

/// Items a container is extended with: [`Value`]s, packed as they are stored, or
/// [`Packed`] slots (the machine's stack), copied as they are.
pub(crate) trait SlotSource {
    /// How many items there are.
    fn count(&self) -> usize;
    /// Appends the items to `slots`, storing wide values in `wides`.
    fn extend_slots(&self, slots: &mut Vec<Slot>, wides: &mut Vec<u64>);
    /// Writes the items over `slots`, which is exactly as long.
    fn write_slots(&self, slots: &mut [Slot], wides: &mut Vec<u64>);
}

impl SlotSource for [Value] {
    #[inline(always)]
    fn count(&self) -> usize {
        self.len()
    }

    #[inline(always)]
    fn extend_slots(&self, slots: &mut Vec<Slot>, wides: &mut Vec<u64>) {
        slots.extend(self.iter().map(|&item| Slot::pack(item, wides)));
    }

    #[inline(always)]
    fn write_slots(&self, slots: &mut [Slot], wides: &mut Vec<u64>) {
        for (slot, &item) in slots.iter_mut().zip(self) {
            *slot = Slot::pack(item, wides);
        }
    }
}

/// A vector or array of values, as the slice of them.
impl<T: AsRef<[Value]>> SlotSource for T {
    #[inline(always)]
    fn count(&self) -> usize {
        self.as_ref().len()
    }

    #[inline(always)]
    fn extend_slots(&self, slots: &mut Vec<Slot>, wides: &mut Vec<u64>) {
        self.as_ref().extend_slots(slots, wides);
    }

    #[inline(always)]
    fn write_slots(&self, slots: &mut [Slot], wides: &mut Vec<u64>) {
        self.as_ref().write_slots(slots, wides);
    }
}

/// Values read by index from a run of items: keys and values alternating, for a dict.
pub(crate) trait FlatValues: SlotSource {
    /// Item `index`, which is below [`SlotSource::count`].
    fn value(&self, index: usize) -> Value;

    /// Whether the keys (the even items) are those of `slots`, a dict's slots packed
    /// against `wides`, which are exactly as many: equal as values, or for a key that
    /// is a node, the same node. False when unsure.
    fn keys_match(&self, slots: &[Slot], wides: &[u64]) -> bool;
}

impl FlatValues for [Value] {
    #[inline(always)]
    fn value(&self, index: usize) -> Value {
        self[index]
    }

    fn keys_match(&self, slots: &[Slot], wides: &[u64]) -> bool {
        (slots.chunks_exact(2).zip(self.chunks_exact(2))).all(|(slots, pair)| match pair[0] {
            Value::Node(id) => slots[0] == Slot::node(id),
            key => slots[0].unpack(wides) == key,
        })
    }
}

/// Slots packed against a side table of wide values of their own (the machine's stack
/// and its table), read in place: the wide slots among them hold indices from `base`
/// on, whose words are `wides`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Packed<'s> {
    slots: &'s [Slot],
    wides: &'s [u64],
    base: usize,
}

impl<'s> Packed<'s> {
    pub(crate) fn new(slots: &'s [Slot], wides: &'s [u64], base: usize) -> Packed<'s> {
        Packed { slots, wides, base }
    }

    /// How many slots there are.
    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }
}

/// Stored as one copy; when wide values are in play, their words follow as one copy too,
/// and the wide slots' indices are moved to where the words now lie.
impl SlotSource for Packed<'_> {
    #[inline(always)]
    fn count(&self) -> usize {
        self.slots.len()
    }

    #[inline(always)]
    fn extend_slots(&self, slots: &mut Vec<Slot>, wides: &mut Vec<u64>) {
        let start = slots.len();
        slots.extend_from_slice(self.slots);
        self.carry_wides(&mut slots[start..], wides);
    }

    #[inline(always)]
    fn write_slots(&self, slots: &mut [Slot], wides: &mut Vec<u64>) {
        slots.copy_from_slice(self.slots);
        self.carry_wides(slots, wides);
    }
}

impl Packed<'_> {
    /// Copies the wide words onto the end of `wides`, and moves the wide slots among
    /// `copied` (this run's slots, just copied) to where the words now lie.
    #[inline(always)]
    fn carry_wides(&self, copied: &mut [Slot], wides: &mut Vec<u64>) {
        if self.wides.is_empty() {
            return;
        }
        if self.base != wides.len() {
            Slot::rebase(copied, self.base, wides.len());
        }
        wides.extend_from_slice(self.wides);
    }
}

impl FlatValues for Packed<'_> {
    #[inline(always)]
    fn value(&self, index: usize) -> Value {
        self.slots[index].unpack_from(self.wides, self.base)
    }

    // The same bits are the same value (a float's too), or the same node; a wide slot's
    // bits say nothing across two tables, so one settles nothing.
    #[inline]
    fn keys_match(&self, slots: &[Slot], _: &[u64]) -> bool {
        (slots.chunks_exact(2).zip(self.slots.chunks_exact(2)))
            .all(|(theirs, ours)| theirs[0] == ours[0] && ours[0].wide_index().is_none())
    }
}

/// The nodes of one pickle (see the module documentation).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Arena<'a> {
    nodes: Vec<Stored>,
    slots: Vec<Slot>,
    wides: Vec<u64>,
    owned: Vec<u8>,
    /// What borrowed payloads lie in: the input's first 4 GiB (as far as a [`Borrowed`]
    /// reaches), then each payload that does not lie there (an out-of-band buffer).
    sources: Vec<&'a [u8]>,
    /// Slots left behind or reserved ahead by containers that moved, for the
    /// allocation limit (see [`Arena::moved_slots`]).
    moved: u64,
    /// The big ints and the inert objects, each apart so that a node holds no box: a
    /// node is then plain data, and an arena of a million nodes is freed in one call
    /// rather than one look at each node. None are inert in plain data, which the views
    /// then need not search for calls.
    bigints: Vec<BigInt>,
    inerts: Vec<Inert>,
    /// Whether a node with an identity (a container, a bytearray, an inert object) was
    /// pushed again, by a memo get or `DUP`: until then each such node is referenced from
    /// one place at most, and `show` needs no count of references to label it.
    pushed_again: bool,
}

/// The most slots an arena holds: ranges are indexed by `u32`.
const MAX_SLOTS: usize = u32::MAX as usize;

fn too_many_slots() -> ErrorKind {
    ErrorKind::LimitExceeded {
        limit: "container slot",
        max: MAX_SLOTS as u64,
    }
}

impl<'a> Arena<'a> {
    /// An empty arena whose payloads will mostly be borrowed from `input`.
    pub(crate) fn with_input(input: &'a [u8]) -> Arena<'a> {
        // Shorter than `WHOLE`, so that a start and length inside it are both below it.
        let window = &input[..input.len().min(WHOLE as usize - 1)];
        Arena {
            sources: vec![window],
            ..Arena::default()
        }
    }

    /// How many nodes there are.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Node `id`, as a view.
    ///
    /// # Panics
    /// If `id` is not a node of this arena.
    #[inline]
    pub(crate) fn node(&self, id: NodeId) -> Node<'_> {
        self.view(&self.nodes[id.index()])
    }

    /// Node `id`, if it is one of this arena's.
    pub(crate) fn get(&self, id: NodeId) -> Option<Node<'_>> {
        self.nodes.get(id.index()).map(|stored| self.view(stored))
    }

    /// What node `id` is, stored.
    #[inline]
    pub(crate) fn stored(&self, id: NodeId) -> &Stored {
        &self.nodes[id.index()]
    }

    /// The text of node `id` if it is a str.
    #[inline(always)]
    pub(crate) fn str_bytes(&self, id: NodeId) -> Option<&[u8]> {
        match self.nodes[id.index()] {
            Stored::Str(borrowed) => Some(self.borrowed(borrowed)),
            Stored::StrOwned(span) => Some(&self.owned[span.bytes()]),
            _ => None,
        }
    }

    #[inline(always)]
    fn borrowed(&self, borrowed: Borrowed) -> &'a [u8] {
        borrowed.bytes(&self.sources)
    }

    /// Where `bytes` lies among the sources, which it joins if it does not lie in the
    /// first (the input's first 4 GiB).
    #[inline(always)]
    fn borrow(&mut self, bytes: &'a [u8]) -> Borrowed {
        if let Some(window) = self.sources.first() {
            // Addresses are compared, never dereferenced.
            let start = (bytes.as_ptr() as usize).wrapping_sub(window.as_ptr() as usize);
            if start <= window.len() && bytes.len() <= window.len() - start {
                return Borrowed {
                    source: 0,
                    start: start as u32,
                    len: bytes.len() as u32,
                };
            }
        }
        self.add_source(bytes)
    }

    #[inline(never)]
    fn add_source(&mut self, bytes: &'a [u8]) -> Borrowed {
        if self.sources.is_empty() {
            // An arena made without its input: an empty one stands for it.
            self.sources.push(&[]);
        }
        let source = self.sources.len() as u32;
        self.sources.push(bytes);
        Borrowed {
            source,
            start: 0,
            len: WHOLE,
        }
    }

    #[inline(always)]
    fn view<'p>(&'p self, stored: &'p Stored) -> Node<'p> {
        let owned = |span: &Span| &self.owned[span.bytes()];
        let items = |range: &Range| Items {
            slots: &self.slots[range.slots()],
            wides: &self.wides,
        };
        match stored {
            Stored::BigInt(index) => Node::BigInt(&self.bigints[*index as usize]),
            Stored::Str(bytes) => Node::Str(PyStr::trusted(self.borrowed(*bytes))),
            Stored::StrOwned(span) => Node::Str(PyStr::trusted(owned(span))),
            Stored::Bytes(bytes) => Node::Bytes(self.borrowed(*bytes)),
            Stored::BytesOwned(span) => Node::Bytes(owned(span)),
            Stored::ByteArray(bytes) => Node::ByteArray(self.borrowed(*bytes)),
            Stored::ByteArrayOwned(span) => Node::ByteArray(owned(span)),
            Stored::List(range) => Node::List(items(range)),
            Stored::Tuple(range) => Node::Tuple(items(range)),
            Stored::Set(range) => Node::Set(items(range)),
            Stored::FrozenSet(range) => Node::FrozenSet(items(range)),
            Stored::Dict(range) => Node::Dict(Entries::new(items(range))),
            Stored::Inert(index) => Node::Inert(&self.inerts[*index as usize]),
        }
    }

    /// Where the nodes are kept: the arena's identity while it lives and is not grown.
    pub(crate) fn address(&self) -> usize {
        self.nodes.as_ptr() as usize
    }

    /// Whether node `id` is a str or bytes payload borrowed from the input.
    pub(crate) fn borrows_input(&self, id: NodeId) -> bool {
        matches!(
            self.nodes.get(id.index()),
            Some(Stored::Str(_) | Stored::Bytes(_) | Stored::ByteArray(_))
        )
    }

    #[inline(always)]
    fn push(&mut self, stored: Stored) -> NodeId {
        let id = NodeId(self.nodes.len() as u32);
        self.nodes.push(stored);
        id
    }

    /// Adds a str, bytes or bytearray node; a payload the input does not hold is copied
    /// into the arena.
    #[inline(always)]
    pub(crate) fn push_payload(&mut self, kind: PayloadKind, payload: Cow<'a, [u8]>) -> NodeId {
        let stored = match payload {
            Cow::Borrowed(bytes) => {
                let bytes = self.borrow(bytes);
                match kind {
                    PayloadKind::Str => Stored::Str(bytes),
                    PayloadKind::Bytes => Stored::Bytes(bytes),
                    PayloadKind::ByteArray => Stored::ByteArray(bytes),
                }
            }
            Cow::Owned(bytes) => self.owned_payload(kind, &bytes),
        };
        self.push(stored)
    }

    fn owned_payload(&mut self, kind: PayloadKind, bytes: &[u8]) -> Stored {
        let span = Span::new(self.owned.len(), bytes.len());
        self.owned.extend_from_slice(bytes);
        match kind {
            PayloadKind::Str => Stored::StrOwned(span),
            PayloadKind::Bytes => Stored::BytesOwned(span),
            PayloadKind::ByteArray => Stored::ByteArrayOwned(span),
        }
    }

    /// Adds a copy of payload node `id` (which must be str, bytes or bytearray) as `kind`.
    pub(crate) fn push_payload_of(&mut self, kind: PayloadKind, id: NodeId) -> NodeId {
        let stored = match self.nodes[id.index()] {
            Stored::Str(bytes) | Stored::Bytes(bytes) | Stored::ByteArray(bytes) => match kind {
                PayloadKind::Str => Stored::Str(bytes),
                PayloadKind::Bytes => Stored::Bytes(bytes),
                PayloadKind::ByteArray => Stored::ByteArray(bytes),
            },
            Stored::StrOwned(span) | Stored::BytesOwned(span) | Stored::ByteArrayOwned(span) => {
                match kind {
                    PayloadKind::Str => Stored::StrOwned(span),
                    PayloadKind::Bytes => Stored::BytesOwned(span),
                    PayloadKind::ByteArray => Stored::ByteArrayOwned(span),
                }
            }
            // `builtins::fold` passes only payloads; anything else would be a bug there,
            // and gives empty bytes rather than a panic on a hostile pickle.
            _ => Stored::BytesOwned(Span::new(0, 0)),
        };
        self.push(stored)
    }

    /// Adds an int node.
    pub(crate) fn push_bigint(&mut self, value: BigInt) -> NodeId {
        let index = self.bigints.len() as u32;
        self.bigints.push(value);
        self.push(Stored::BigInt(index))
    }

    /// Adds an inert node.
    pub(crate) fn push_inert(&mut self, inert: Inert) -> NodeId {
        let index = self.inerts.len() as u32;
        self.inerts.push(inert);
        self.push(Stored::Inert(index))
    }

    /// How many nodes are inert.
    pub(crate) fn inert_count(&self) -> usize {
        self.inerts.len()
    }

    /// Notes that `value` was pushed again (by a memo get or `DUP`).
    #[inline]
    pub(crate) fn note_pushed_again(&mut self, value: Value) {
        if let Value::Node(id) = value {
            let leaf = matches!(
                self.nodes[id.index()],
                Stored::Str(_)
                    | Stored::StrOwned(_)
                    | Stored::Bytes(_)
                    | Stored::BytesOwned(_)
                    | Stored::BigInt(_)
            );
            self.pushed_again |= !leaf;
        }
    }

    /// Whether any node is a bytearray (a scan of the nodes' kinds).
    pub(crate) fn has_bytearray(&self) -> bool {
        (self.nodes.iter())
            .any(|node| matches!(node, Stored::ByteArray(_) | Stored::ByteArrayOwned(_)))
    }

    /// Whether a node with an identity may be referenced from more than one place: false
    /// when none was pushed again (see [`Arena::note_pushed_again`]).
    pub(crate) fn may_share(&self) -> bool {
        self.pushed_again
    }

    /// Inert node `id`, to record a mutation on it.
    pub(crate) fn inert_mut(&mut self, id: NodeId) -> Option<&mut Inert> {
        match self.nodes[id.index()] {
            Stored::Inert(index) => self.inerts.get_mut(index as usize),
            _ => None,
        }
    }

    /// Adds a container holding `items` (a dict's keys and values alternating).
    ///
    /// # Errors
    /// When the arena would hold more than `u32::MAX` slots.
    #[inline(always)]
    pub(crate) fn push_container(
        &mut self,
        kind: ContainerKind,
        items: &(impl SlotSource + ?Sized),
    ) -> Result<NodeId, ErrorKind> {
        let start = self.slots.len();
        let count = items.count();
        if MAX_SLOTS - start < count {
            return Err(too_many_slots());
        }
        items.extend_slots(&mut self.slots, &mut self.wides);
        let range = Range {
            start: start as u32,
            len: count as u32,
            cap: count as u32,
        };
        Ok(self.push(match kind {
            ContainerKind::List => Stored::List(range),
            ContainerKind::Tuple => Stored::Tuple(range),
            ContainerKind::Dict => Stored::Dict(range),
            ContainerKind::Set => Stored::Set(range),
            ContainerKind::FrozenSet => Stored::FrozenSet(range),
        }))
    }

    fn range_mut(&mut self, id: NodeId) -> &mut Range {
        match &mut self.nodes[id.index()] {
            Stored::List(range)
            | Stored::Tuple(range)
            | Stored::Dict(range)
            | Stored::Set(range)
            | Stored::FrozenSet(range) => range,
            _ => unreachable!("only containers have slots"),
        }
    }

    /// How many slots container `id` uses (a dict's are twice its entries).
    #[inline]
    pub(crate) fn slot_count(&self, id: NodeId) -> usize {
        match &self.nodes[id.index()] {
            Stored::List(range)
            | Stored::Tuple(range)
            | Stored::Dict(range)
            | Stored::Set(range)
            | Stored::FrozenSet(range) => range.len as usize,
            _ => 0,
        }
    }

    /// Slot `index` of container `id`, unpacked.
    #[inline]
    pub(crate) fn slot(&self, id: NodeId, index: usize) -> Value {
        let (Stored::List(range)
        | Stored::Tuple(range)
        | Stored::Dict(range)
        | Stored::Set(range)
        | Stored::FrozenSet(range)) = &self.nodes[id.index()]
        else {
            unreachable!("only containers have slots");
        };
        self.slots[range.start as usize + index].unpack(&self.wides)
    }

    /// Whether dict `id` holds exactly as many slots as `flat` (keys and values
    /// alternating) and the same key values, in order.
    pub(crate) fn same_keys(&self, id: NodeId, flat: &(impl FlatValues + ?Sized)) -> bool {
        let Stored::Dict(range) = self.nodes[id.index()] else {
            return false;
        };
        range.len as usize == flat.count()
            && flat.keys_match(&self.slots[range.slots()], &self.wides)
    }

    /// How many words the table of wide values holds.
    #[inline]
    pub(crate) fn wides_len(&self) -> usize {
        self.wides.len()
    }

    /// Overwrites slot `index` of container `id`.
    pub(crate) fn set_slot(&mut self, id: NodeId, index: usize, value: Value) {
        let start = self.range_mut(id).start as usize;
        self.slots[start + index] = Slot::pack(value, &mut self.wides);
    }

    /// Appends one item to container `id`: [`Arena::append`] without its set-up, for
    /// protocol 0 and 1 lists, which are built by one `APPEND` per item.
    ///
    /// # Errors
    /// When the arena would hold more than `u32::MAX` slots.
    #[inline(always)]
    pub(crate) fn push_item(&mut self, id: NodeId, item: Value) -> Result<(), ErrorKind> {
        if self.push_item_in_place(id, item) {
            return Ok(());
        }
        self.append(id, &[item])
    }

    /// [`Arena::push_item`] when list or set `id` has room, or is the last container
    /// and can grow where it is; false (and nothing done) when it would have to move.
    #[inline(always)]
    pub(crate) fn push_item_in_place(&mut self, id: NodeId, item: Value) -> bool {
        let end = self.slots.len();
        if let Stored::List(range) | Stored::Set(range) = &mut self.nodes[id.index()] {
            if range.len < range.cap {
                let at = range.start as usize + range.len as usize;
                self.slots[at] = Slot::pack(item, &mut self.wides);
                range.len += 1;
                return true;
            }
            if range.start as usize + range.cap as usize == end && end < MAX_SLOTS {
                self.slots.push(Slot::pack(item, &mut self.wides));
                range.len += 1;
                range.cap += 1;
                return true;
            }
        }
        false
    }

    /// Appends `items` to container `id`.
    ///
    /// # Errors
    /// When the arena would hold more than `u32::MAX` slots.
    #[inline(always)]
    pub(crate) fn append(
        &mut self,
        id: NodeId,
        items: &(impl SlotSource + ?Sized),
    ) -> Result<(), ErrorKind> {
        let end = self.slots.len();
        let range = *self.range_mut(id);
        let (start, len, cap) = (range.start as usize, range.len as usize, range.cap as usize);
        let new_len = len + items.count();
        if new_len > MAX_SLOTS || MAX_SLOTS - end < items.count() {
            return Err(too_many_slots());
        }
        if len == cap && (start + cap == end || cap == 0) {
            // Last in the arena and full, or with no slots at all (a record's dict, after
            // the list filled inside it): its items go on the end of the arena as they are
            // packed, with nothing to move and no room reserved.
            items.extend_slots(&mut self.slots, &mut self.wides);
            let range = self.range_mut(id);
            if cap == 0 {
                range.start = end as u32;
            }
            range.len = new_len as u32;
            range.cap = new_len as u32;
            return Ok(());
        }
        let start = if new_len <= cap {
            start
        } else if start + cap == end {
            // Last in the arena, with room it has outgrown: the room grows.
            self.slots.resize(start + new_len, Slot::NONE);
            self.range_mut(id).cap = new_len as u32;
            start
        } else {
            // Something was stored after it: it moves to the end, with room to double.
            let new_cap = new_len.max(2 * len).min(MAX_SLOTS - end);
            if new_cap < new_len {
                return Err(too_many_slots());
            }
            self.slots.extend_from_within(start..start + len);
            self.slots.resize(end + new_cap, Slot::NONE);
            self.moved += (cap + new_cap - len - items.count()) as u64;
            let range = self.range_mut(id);
            range.start = end as u32;
            range.cap = new_cap as u32;
            end
        };
        items.write_slots(
            &mut self.slots[start + len..start + new_len],
            &mut self.wides,
        );
        self.range_mut(id).len = new_len as u32;
        Ok(())
    }

    /// How many slots moves have cost beyond the items stored: those a moved container
    /// left behind, and the room it took. At most about four times the slots in use;
    /// the machine charges them to the allocation limit.
    #[inline]
    pub(crate) fn moved_slots(&self) -> u64 {
        self.moved
    }

    /// Detaches the arena from the input, copying the payloads it borrows.
    pub(crate) fn into_owned(self) -> Arena<'static> {
        let mut owned = self.owned;
        let sources = self.sources;
        let mut copy = |borrowed: Borrowed| {
            let bytes = borrowed.bytes(&sources);
            let span = Span::new(owned.len(), bytes.len());
            owned.extend_from_slice(bytes);
            span
        };
        let nodes = self
            .nodes
            .into_iter()
            .map(|stored| match stored {
                Stored::Str(bytes) => Stored::StrOwned(copy(bytes)),
                Stored::Bytes(bytes) => Stored::BytesOwned(copy(bytes)),
                Stored::ByteArray(bytes) => Stored::ByteArrayOwned(copy(bytes)),
                other => other,
            })
            .collect();
        Arena {
            nodes,
            slots: self.slots,
            wides: self.wides,
            owned,
            sources: Vec::new(),
            moved: self.moved,
            bigints: self.bigints,
            inerts: self.inerts,
            pushed_again: self.pushed_again,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ints(range: std::ops::Range<i64>) -> Vec<Value> {
        range.map(Value::Int).collect()
    }

    #[test]
    fn a_list_grows_in_place_while_last_and_moves_with_room_when_not() {
        let mut arena = Arena::default();
        let list = arena.push_container(ContainerKind::List, &[]).unwrap();
        arena.append(list, &ints(0..3)).unwrap();
        arena.append(list, &ints(3..5)).unwrap();
        assert_eq!(arena.slots.len(), 5, "grew in place");
        let tuple = arena
            .push_container(ContainerKind::Tuple, &[Value::Int(i64::MAX)])
            .unwrap();
        arena.append(list, &ints(5..6)).unwrap();
        assert_eq!(
            arena.slots.len(),
            6 + 10,
            "moved to the end with room to double"
        );
        arena.append(list, &ints(6..10)).unwrap();
        assert_eq!(arena.slots.len(), 16, "filled its room");
        arena.append(list, &ints(10..12)).unwrap();
        assert_eq!(arena.slots.len(), 18, "last again: grew in place");
        let Node::List(items) = arena.node(list) else {
            panic!()
        };
        assert_eq!(items.to_vec(), ints(0..12));
        let Node::Tuple(items) = arena.node(tuple) else {
            panic!()
        };
        assert_eq!(items.to_vec(), vec![Value::Int(i64::MAX)]);
    }

    #[test]
    fn interleaved_appends_leave_a_bounded_number_of_slots_behind() {
        let mut arena = Arena::default();
        let lists: Vec<NodeId> = (0..3)
            .map(|_| arena.push_container(ContainerKind::List, &[]).unwrap())
            .collect();
        for round in 0..10_000 {
            for &list in &lists {
                arena.push_item(list, Value::Int(round)).unwrap();
            }
        }
        let live = 3 * 10_000;
        assert!(arena.slots.len() <= 5 * live, "{} slots", arena.slots.len());
        assert!(arena.moved_slots() <= 4 * live as u64);
        for &list in &lists {
            let Node::List(items) = arena.node(list) else {
                panic!()
            };
            assert!(items.iter().eq((0..10_000).map(Value::Int)));
        }
    }

    fn any_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::None),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::Int),
            (-1000i64..1000).prop_map(Value::Int),
            any::<u64>().prop_map(|bits| Value::Float(f64::from_bits(bits))),
            (0xFFF8u64..=0xFFFF, any::<u64>())
                .prop_map(|(top, low)| Value::Float(f64::from_bits(top << 48 | low >> 16))),
            (0u32..64).prop_map(|id| Value::Node(NodeId(id))),
        ]
    }

    #[derive(Debug, Clone)]
    enum Op {
        New(Vec<Value>),
        Append(usize, Vec<Value>),
        Push(usize, Value),
        Set(usize, usize, Value),
    }

    proptest! {
        /// Any interleaving of new containers, appends and overwrites reads back as a
        /// vector per container would, and leaves a bounded number of slots behind.
        #[test]
        fn containers_read_back_as_vectors_would(ops in proptest::collection::vec(
            prop_oneof![
                proptest::collection::vec(any_value(), 0..4).prop_map(Op::New),
                (0usize..8, proptest::collection::vec(any_value(), 0..40))
                    .prop_map(|(at, items)| Op::Append(at, items)),
                (0usize..8, any_value()).prop_map(|(at, item)| Op::Push(at, item)),
                (0usize..8, 0usize..64, any_value())
                    .prop_map(|(at, index, item)| Op::Set(at, index, item)),
            ],
            1..200,
        )) {
            let mut arena = Arena::default();
            let mut ids: Vec<NodeId> = Vec::new();
            let mut model: Vec<Vec<Value>> = Vec::new();
            for op in ops {
                match op {
                    Op::New(items) => {
                        ids.push(arena.push_container(ContainerKind::List, &items).unwrap());
                        model.push(items);
                    }
                    Op::Append(at, items) if at < ids.len() => {
                        arena.append(ids[at], &items).unwrap();
                        model[at].extend(items);
                    }
                    Op::Push(at, item) if at < ids.len() => {
                        arena.push_item(ids[at], item).unwrap();
                        model[at].push(item);
                    }
                    Op::Set(at, index, item) if at < ids.len() && index < model[at].len() => {
                        arena.set_slot(ids[at], index, item);
                        model[at][index] = item;
                    }
                    _ => {}
                }
            }
            let live: usize = model.iter().map(Vec::len).sum();
            prop_assert!(arena.slots.len() <= 5 * live + 8 * ids.len());
            for (&id, expected) in ids.iter().zip(&model) {
                let Node::List(items) = arena.node(id) else {
                    panic!("a list")
                };
                // Compared by identity, so that NaNs with payloads equal themselves.
                let got: Vec<_> = items.iter().map(Value::identity).collect();
                let want: Vec<_> = expected.iter().map(|v| v.identity()).collect();
                prop_assert_eq!(got, want);
                prop_assert_eq!(arena.slot_count(id), expected.len());
            }
        }
    }

    #[test]
    fn a_span_keeps_48_bits_of_start_and_length() {
        for (start, len) in [
            (0, 0),
            (7, 3),
            (u32::MAX as usize, 1),
            (1 << 47, (1 << 40) + 5),
        ] {
            assert_eq!(Span::new(start, len).bytes(), start..start + len);
        }
    }

    #[test]
    fn payloads_outside_the_input_are_sources_of_their_own() {
        let input = b"0123456789".as_slice();
        let buffer = b"elsewhere".to_vec();
        let mut arena = Arena::with_input(&input[..8]);
        let inside = arena.push_payload(PayloadKind::Bytes, Cow::Borrowed(&input[2..5]));
        let at_end = arena.push_payload(PayloadKind::Bytes, Cow::Borrowed(&input[8..8]));
        // Past the input the arena was given, by one byte: not inside it.
        let past = arena.push_payload(PayloadKind::Bytes, Cow::Borrowed(&input[7..9]));
        let other = arena.push_payload(PayloadKind::Str, Cow::Borrowed(&buffer[..]));
        let again = arena.push_payload(PayloadKind::Bytes, Cow::Borrowed(&input[0..1]));
        assert_eq!(arena.node(inside), Node::Bytes(b"234"));
        assert_eq!(arena.node(at_end), Node::Bytes(b""));
        assert_eq!(arena.node(past), Node::Bytes(b"78"));
        assert_eq!(arena.node(other), Node::Str(PyStr::trusted(b"elsewhere")));
        assert_eq!(arena.node(again), Node::Bytes(b"0"));
        assert_eq!(
            arena.sources.len(),
            3,
            "the input, then the two payloads outside it"
        );
        let mut without_input = Arena::default();
        let id = without_input.push_payload(PayloadKind::Bytes, Cow::Borrowed(&input[1..3]));
        assert_eq!(without_input.node(id), Node::Bytes(b"12"));
        let owned = arena.into_owned();
        assert_eq!(owned.node(other), Node::Str(PyStr::trusted(b"elsewhere")));
        assert_eq!(owned.node(past), Node::Bytes(b"78"));
    }

    #[test]
    fn a_node_is_16_bytes() {
        assert_eq!(std::mem::size_of::<Stored>(), 16);
    }

    #[test]
    fn payloads_decoded_or_borrowed_read_back_the_same() {
        let input = b"abc".as_slice();
        let mut arena = Arena::default();
        let borrowed = arena.push_payload(PayloadKind::Str, Cow::Borrowed(input));
        let owned = arena.push_payload(PayloadKind::Bytes, Cow::Owned(b"xyz".to_vec()));
        assert!(arena.borrows_input(borrowed) && !arena.borrows_input(owned));
        assert_eq!(arena.node(owned), Node::Bytes(b"xyz"));
        let owned = arena.into_owned();
        assert_eq!(owned.node(borrowed), Node::Str(PyStr::trusted(b"abc")));
        assert!(!owned.borrows_input(borrowed));
    }
}
