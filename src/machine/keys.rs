//! Dict keys and set members as Python compares them.
//!
//! Python merges equal keys: `{1: 'a', 1.0: 'b', True: 'c'}` is `{1: 'c'}`, with the
//! first key kept and the last value winning. [`Keys`] decides that equality for None,
//! bool, int, float, str, bytes, and tuples and frozensets of those; any other object
//! (an inert call, an instance) is equal only to itself. Lists, dicts, sets and
//! bytearrays are unhashable, as in Python.
//!
//! Tuples and frozensets get a canonical id computed bottom-up on a heap stack, each
//! node once, so a deeply nested or heavily shared key costs linear time.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;

use num_bigint::BigInt;
use num_traits::{FromPrimitive, Zero};

use crate::error::ErrorKind;
use crate::graph::{Arena, FlatValues, Node, NodeId, Value};

/// Dicts and sets with fewer entries than this are searched linearly. Comparing cheap
/// fingerprints costs less than a keyed hash per key and an index per container up to
/// about this size (measured: a load of 3,000 dicts of 60 str keys takes 156 M
/// instructions searched linearly, 254 M indexed from 16 entries on).
pub const LINEAR_SEARCH_MAX: usize = 64;

/// A key reduced to what Python's `==` looks at: two keys are equal exactly when these
/// are, except that a NaN equals nothing. A str or bytes key is the canonical id of its
/// payload, computed once per node, so a 4 MB str added to a set a million times is
/// hashed once, and equal strs in distinct nodes are compared once each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    None,
    /// Ints, bools and floats with an integral value that fits in 64 bits.
    Int(i64),
    /// Floats with a fractional part (their bits).
    Float(u64),
    /// A NaN: equal to nothing, itself included.
    Nan,
    /// A str or bytes of at most [`SHORT`] bytes, held in the key itself: most keys
    /// are short field names, and comparing them in place touches no other memory.
    Short(Short),
    /// A str, by the canonical id of its text.
    Str(u32),
    /// A bytes object, by the canonical id of its payload.
    Bytes(u32),
    /// A big int, an integral float beyond 64 bits, a tuple or a frozenset.
    Canon(u32),
    /// Any other object: equal only to itself.
    Identity(NodeId),
}

/// The hasher of the key table's own maps, whose keys the pickle does not choose, so
/// keyed SipHash buys nothing there (it cost a tenth of a nested load):
/// - a `u64` is already a keyed `RandomState` hash (of a key, a text, a canonical
///   form) and passes through;
/// - a node id, which the machine hands out in order (a pickle chooses which nodes are
///   keys, never their ids), is spread by a multiplication.
#[derive(Debug, Clone, Copy, Default)]
struct Cheap;

/// The [`Hasher`](std::hash::Hasher) of [`Cheap`].
#[derive(Debug, Default)]
struct CheapHasher(u64);

impl std::hash::Hasher for CheapHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` and `write_u32` are used; anything else still spreads its bytes.
        for &byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(byte)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }

    fn write_u32(&mut self, value: u32) {
        self.0 = (self.0 ^ u64::from(value)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

impl BuildHasher for Cheap {
    type Hasher = CheapHasher;

    fn build_hasher(&self) -> CheapHasher {
        CheapHasher(0)
    }
}

/// Entries of [`Keys::node_keys`] (a power of two).
const NODE_KEYS: usize = 256;

/// The most payload bytes a [`Key::Short`] holds.
const SHORT: usize = 14;

/// A short str (`kind` 1) or bytes (`kind` 2) payload packed into two words: bytes
/// 0-7 in `low`, bytes 8-13 in `high` with the length and kind in its top two bytes.
/// Built in registers from overlapping loads (see [`word_le`]): a key assembled in
/// memory byte by byte and read back as words stalls on every store, and a loop over
/// the bytes cost 70 instructions a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Short {
    low: u64,
    high: u64,
}

impl Short {
    #[inline(always)]
    fn of(kind: u8, payload: &[u8]) -> Option<Short> {
        if payload.len() > SHORT {
            return None;
        }
        let (low, high) = match payload.split_at_checked(8) {
            Some((first, rest)) => (word_le(first), word_le(rest)),
            None => (word_le(payload), 0),
        };
        let high = high | (payload.len() as u64) << 56 | u64::from(kind) << 48;
        Some(Short { low, high })
    }
}

/// Up to eight bytes as a little-endian word, zero above them, read in at most two
/// overlapping loads rather than a byte at a time.
#[inline(always)]
fn word_le(bytes: &[u8]) -> u64 {
    let n = bytes.len();
    match n {
        0 => 0,
        1..=3 => {
            let (first, middle, last) = (bytes[0], bytes[n / 2], bytes[n - 1]);
            u64::from(first) | u64::from(middle) << (8 * (n / 2)) | u64::from(last) << (8 * (n - 1))
        }
        4..=7 => {
            let low = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
            let high = u32::from_le_bytes([bytes[n - 4], bytes[n - 3], bytes[n - 2], bytes[n - 1]]);
            u64::from(low) | u64::from(high) << (8 * (n - 4))
        }
        _ => u64::from_le_bytes([
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
        ]),
    }
}

/// What [`Keys::fill_small`] found the pairs to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filled {
    /// Their keys are distinct: the pairs are stored as they are (the entries are left
    /// empty). Keys are distinct when they are the template's (see [`Keys::template`]),
    /// or when none was found twice.
    AsTheyAre,
    /// The entries hold the pairs, equal keys merged.
    Merged,
}

/// A key [`Keys::find`] did not find, kept so that [`Keys::record`] need not reduce it
/// again: with what the search of its container used, a fingerprint or a hash.
#[derive(Debug, Clone, Copy)]
enum Pending {
    /// Searched among a small container's recent keys.
    Small { value: Value, key: Key, print: u64 },
    /// Searched in a large container's index.
    Indexed { value: Value, hash: u64 },
}

#[derive(Debug, PartialEq)]
enum Canon {
    Big(BigInt),
    Tuple(Vec<Key>),
    FrozenSet(Vec<Key>),
}

/// The key table of one load.
#[derive(Debug)]
pub struct Keys {
    hasher: RandomState,
    canon: Vec<Canon>,
    canon_by_hash: HashMap<u64, Vec<u32>, Cheap>,
    canon_of_node: HashMap<NodeId, u32, Cheap>,
    /// For dicts and sets past [`LINEAR_SEARCH_MAX`]: key hash to first position.
    indexes: HashMap<NodeId, HashMap<u64, u32, Cheap>, Cheap>,
    /// The small container searched last and its keys with their fingerprints: filling
    /// a six-key dict then reduces each key once instead of once per later key, and
    /// compares fingerprints before bytes.
    recent_owner: Option<NodeId>,
    recent: Vec<(Key, u64)>,
    /// The last dict [`Keys::fill_small`] filled: the next record of a table has the
    /// very same key values (memoized nodes, met by `BINGET`), so it needs no key
    /// reduced or compared. A dict's stored keys are distinct, and never change in place
    /// (a merge replaces the value), so its slots still hold them.
    template: Option<NodeId>,
    /// The key that the last `find` did not find, reduced, for the `record` that
    /// follows it.
    pending: Option<Pending>,
    /// The keys of recently seen nodes, by node id modulo its size (an entry holds the
    /// id plus one; 0 is empty). A node's key never changes (keys are immutable
    /// objects), and picklers memoize repeated keys: the six field names of a million
    /// records are six nodes, reduced six times rather than six million.
    node_keys: Box<[(u32, Key); NODE_KEYS]>,
    /// Canonical ids of str and bytes payloads: a node standing for each.
    texts: Vec<NodeId>,
    texts_by_hash: HashMap<u64, Vec<u32>, Cheap>,
    text_of_node: HashMap<NodeId, u32, Cheap>,
}

impl Default for Keys {
    fn default() -> Keys {
        Keys {
            hasher: RandomState::new(),
            canon: Vec::new(),
            canon_by_hash: HashMap::default(),
            canon_of_node: HashMap::default(),
            indexes: HashMap::default(),
            recent_owner: None,
            recent: Vec::new(),
            template: None,
            pending: None,
            node_keys: Box::new([(0, Key::None); NODE_KEYS]),
            texts: Vec::new(),
            texts_by_hash: HashMap::default(),
            text_of_node: HashMap::default(),
        }
    }
}

fn payload<'n>(arena: &'n Arena<'_>, id: NodeId) -> &'n [u8] {
    match arena.node(id) {
        Node::Str(text) => text.as_borrowed_bytes().unwrap_or_default(),
        Node::Bytes(bytes) => bytes,
        _ => &[],
    }
}

/// A cheap hash of a key: equal keys have equal fingerprints, so two keys whose
/// fingerprints differ need no closer look.
fn fingerprint(key: Key) -> u64 {
    match key {
        Key::Str(text) => u64::from(text).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x1111,
        Key::Bytes(text) => u64::from(text).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x2222,
        Key::None => 1,
        Key::Int(v) => (v as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15),
        Key::Float(bits) => bits,
        Key::Nan => 2,
        Key::Short(short) => {
            (short.low ^ short.high.rotate_left(29)).wrapping_mul(0x9e37_79b9_7f4a_7c15)
        }
        Key::Canon(c) => u64::from(c) ^ 0x5555_5555_0000_0000,
        Key::Identity(id) => u64::from(id.0) ^ 0xaaaa_aaaa_0000_0000,
    }
}

/// Slots of `fill_small`'s table (a power of two, more than twice the pairs it holds).
const FILL_TABLE: usize = 256;
/// Pairs up to which `fill_small` scans rather than builds its table.
const FILL_SCAN_MAX: usize = 8;
/// [`Keys::fill_small`] takes fewer pairs than this: its table's positions are bytes,
/// and it stays less than half full. A dict filled pair by pair past
/// [`LINEAR_SEARCH_MAX`] pairs is indexed by a keyed hash of each key: taking the
/// batches of 64 to 127 pairs here cut the load of nested from 160.3 M instructions to
/// 152.5 M.
pub const FILL_SMALL_MAX: usize = FILL_TABLE / 2;

/// A key's first slot in `fill_small`'s table: the fingerprint's bits mixed once more,
/// as a float's raw bits differ mostly low down.
fn table_slot(print: u64) -> usize {
    ((print ^ print >> 29).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as usize % FILL_TABLE
}

/// Byte equality that settles the usual case, keys of different length or first byte,
/// without a call to `memcmp`: the keys of a small dict are compared pairwise.
fn payload_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.first() == b.first() && a == b
}

impl Keys {
    fn key_eq(&self, _arena: &Arena<'_>, a: Key, b: Key) -> bool {
        a != Key::Nan && a == b
    }

    fn key_hash(&self, _arena: &Arena<'_>, key: Key) -> u64 {
        self.hasher.hash_one(key)
    }

    /// The canonical id of a str or bytes node's payload (`kind` tells them apart),
    /// computed once per node.
    fn text_id(&mut self, arena: &Arena<'_>, id: NodeId, kind: u8) -> u32 {
        if let Some(&text) = self.text_of_node.get(&id) {
            return text;
        }
        let bytes = payload(arena, id);
        let hash = self.hasher.hash_one((kind, bytes));
        let same = |&&text: &&u32| {
            let other = self.texts[text as usize];
            std::mem::discriminant(&arena.node(other)) == std::mem::discriminant(&arena.node(id))
                && payload_eq(payload(arena, other), bytes)
        };
        let found = self
            .texts_by_hash
            .get(&hash)
            .and_then(|ids| ids.iter().find(same))
            .copied();
        let text = found.unwrap_or_else(|| {
            let text = self.texts.len() as u32;
            self.texts.push(id);
            self.texts_by_hash.entry(hash).or_default().push(text);
            text
        });
        self.text_of_node.insert(id, text);
        text
    }

    fn intern(&mut self, arena: &Arena<'_>, canon: Canon) -> u32 {
        let hash = match &canon {
            Canon::Big(v) => self.hasher.hash_one((8u8, v)),
            Canon::Tuple(keys) => {
                let hashes: Vec<u64> = keys.iter().map(|&k| self.key_hash(arena, k)).collect();
                self.hasher.hash_one((9u8, hashes))
            }
            Canon::FrozenSet(keys) => {
                // Order-independent, as frozenset equality is.
                let sum = keys
                    .iter()
                    .fold(0u64, |acc, &k| acc.wrapping_add(self.key_hash(arena, k)));
                self.hasher.hash_one((10u8, sum, keys.len()))
            }
        };
        if let Some(ids) = self.canon_by_hash.get(&hash) {
            for &id in ids {
                if self.canon_eq(arena, &self.canon[id as usize], &canon) {
                    return id;
                }
            }
        }
        let id = self.canon.len() as u32;
        self.canon.push(canon);
        self.canon_by_hash.entry(hash).or_default().push(id);
        id
    }

    fn canon_eq(&self, arena: &Arena<'_>, a: &Canon, b: &Canon) -> bool {
        match (a, b) {
            (Canon::Big(x), Canon::Big(y)) => x == y,
            (Canon::Tuple(x), Canon::Tuple(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(&p, &q)| self.key_eq(arena, p, q))
            }
            (Canon::FrozenSet(x), Canon::FrozenSet(y)) => {
                // Members are unique, so equal sizes and inclusion make equal sets: one
                // pass over a hash set, not a comparison of every pair.
                if x.len() != y.len() || x.contains(&Key::Nan) {
                    return false;
                }
                let members: HashSet<Key> = y.iter().copied().collect();
                x.iter().all(|key| members.contains(key))
            }
            _ => false,
        }
    }

    /// The key of a value, or the error Python raises for an unhashable one.
    // Inlined, with the short str read in place: a dict's keys are mostly short strs,
    // each a node of its own, and through the cache of node keys each cost a hundred
    // instructions.
    #[inline(always)]
    fn key_of(&mut self, arena: &Arena<'_>, value: Value) -> Result<Key, ErrorKind> {
        Ok(match value {
            Value::None => Key::None,
            Value::Bool(b) => Key::Int(i64::from(b)),
            Value::Int(v) => Key::Int(v),
            Value::Float(f) => self.float_key(arena, f),
            Value::Node(id) => {
                if let Some(text) = arena.str_bytes(id) {
                    if let Some(short) = Short::of(1, text) {
                        return Ok(Key::Short(short));
                    }
                }
                return self.cached_node_key(arena, id);
            }
        })
    }

    /// The key of a node, from the cache of recent node keys if it is there.
    #[inline(never)]
    fn cached_node_key(&mut self, arena: &Arena<'_>, id: NodeId) -> Result<Key, ErrorKind> {
        let entry = id.0 as usize % NODE_KEYS;
        let (seen, key) = self.node_keys[entry];
        if seen == id.0.wrapping_add(1) {
            return Ok(key);
        }
        let key = self.node_key(arena, id)?;
        self.node_keys[entry] = (id.0.wrapping_add(1), key);
        Ok(key)
    }

    /// The key of a node, reduced afresh. A short str never comes here: [`Keys::key_of`]
    /// reduces it in place.
    fn node_key(&mut self, arena: &Arena<'_>, id: NodeId) -> Result<Key, ErrorKind> {
        Ok(match arena.node(id) {
            Node::Str(text) => {
                debug_assert!(
                    text.as_bytes().len() > SHORT,
                    "a short str key reduced here"
                );
                Key::Str(self.text_id(arena, id, 1))
            }
            Node::Bytes(bytes) => match Short::of(2, bytes) {
                Some(short) => Key::Short(short),
                None => Key::Bytes(self.text_id(arena, id, 2)),
            },
            Node::BigInt(v) => match self.canon_of_node.get(&id) {
                Some(&canon) => Key::Canon(canon),
                None => {
                    let canon = self.intern(arena, Canon::Big(v.clone()));
                    self.canon_of_node.insert(id, canon);
                    Key::Canon(canon)
                }
            },
            Node::Tuple(_) | Node::FrozenSet(_) => Key::Canon(self.canon_of(arena, id)?),
            Node::Inert(_) => Key::Identity(id),
            other => return Err(ErrorKind::Unhashable(other.type_name().unwrap_or("object"))),
        })
    }

    fn float_key(&mut self, arena: &Arena<'_>, f: f64) -> Key {
        if f.is_nan() {
            return Key::Nan;
        }
        if f.fract() != 0.0 || f.is_infinite() {
            return Key::Float(f.to_bits());
        }
        // Integral floats equal the int of the same value (and -0.0 equals 0).
        if f.abs() < 9.2e18 {
            return Key::Int(f as i64);
        }
        let big = BigInt::from_f64(f).unwrap_or_else(BigInt::zero);
        Key::Canon(self.intern(arena, Canon::Big(big)))
    }

    /// The canonical id of a tuple or frozenset, computed bottom-up without recursion.
    fn canon_of(&mut self, arena: &Arena<'_>, root: NodeId) -> Result<u32, ErrorKind> {
        let mut pending = vec![root];
        while let Some(&id) = pending.last() {
            if self.canon_of_node.contains_key(&id) {
                pending.pop();
                continue;
            }
            let (items, frozen) = match arena.node(id) {
                Node::Tuple(items) => (items, false),
                Node::FrozenSet(items) => (items, true),
                _ => unreachable!("only tuples and frozensets are pending"),
            };
            let unfinished: Vec<NodeId> = items
                .iter()
                .filter_map(|v| v.node())
                .filter(|&child| {
                    matches!(arena.node(child), Node::Tuple(_) | Node::FrozenSet(_))
                        && !self.canon_of_node.contains_key(&child)
                })
                .collect();
            if !unfinished.is_empty() {
                // Tuples are built after their items, so the graph below a tuple has no
                // cycle through tuples and this terminates.
                pending.extend(unfinished);
                continue;
            }
            let mut keys = Vec::with_capacity(items.len());
            for item in items {
                keys.push(self.key_of(arena, item)?);
            }
            let canon = if frozen {
                Canon::FrozenSet(keys)
            } else {
                Canon::Tuple(keys)
            };
            let canon_id = self.intern(arena, canon);
            self.canon_of_node.insert(id, canon_id);
            pending.pop();
        }
        Ok(self.canon_of_node[&root])
    }

    /// Where `key` already stands among the `len` keys of container `owner`, read by
    /// position with `key_at`, if it does. Call [`Keys::record`] after appending a new key.
    pub fn find(
        &mut self,
        arena: &Arena<'_>,
        owner: NodeId,
        len: usize,
        key_at: impl Fn(usize) -> Value,
        key: Value,
    ) -> Result<Option<usize>, ErrorKind> {
        let value = key;
        let key = self.key_of(arena, key)?;
        if key == Key::Nan {
            // A NaN equals nothing; every NaN also shares one hash, so looking it up
            // would walk every NaN already stored.
            return Ok(None);
        }
        if len < LINEAR_SEARCH_MAX {
            if self.recent_owner != Some(owner) || self.recent.len() != len {
                self.recent.clear();
                for position in 0..len {
                    let other = self.key_of(arena, key_at(position))?;
                    self.recent.push((other, fingerprint(other)));
                }
                self.recent_owner = Some(owner);
            }
            let print = fingerprint(key);
            let found = self.recent.iter().position(|&(other, other_print)| {
                other_print == print && self.key_eq(arena, key, other)
            });
            if found.is_none() {
                self.pending = Some(Pending::Small { value, key, print });
            }
            return Ok(found);
        }
        let hash = self.key_hash(arena, key);
        self.pending = Some(Pending::Indexed { value, hash });
        if !self.indexes.contains_key(&owner) {
            let keys: Vec<Key> = (0..len)
                .map(|p| self.key_of(arena, key_at(p)))
                .collect::<Result<_, _>>()?;
            let mut index = HashMap::with_capacity_and_hasher(len * 2, Cheap);
            for (position, &k) in keys.iter().enumerate() {
                index
                    .entry(self.key_hash(arena, k))
                    .or_insert(position as u32);
            }
            self.indexes.insert(owner, index);
            return Ok(keys.iter().position(|&k| self.key_eq(arena, key, k)));
        }
        let Some(&position) = self.indexes[&owner].get(&hash) else {
            return Ok(None);
        };
        // The index keeps the first position of each hash; a second key with the same
        // 64-bit hash is searched for after it, reading each position directly.
        for candidate in position as usize..len {
            let other = self.key_of(arena, key_at(candidate))?;
            if self.key_eq(arena, key, other) {
                return Ok(Some(candidate));
            }
        }
        Ok(None)
    }

    /// Fills the empty dict `owner` with fewer than [`FILL_SMALL_MAX`] pairs (`flat`
    /// alternates keys and values), merging
    /// equal keys as [`Keys::find`] would, with each key reduced and fingerprinted once:
    /// the one-batch small dict (a record) is the commonest dict in a pickle. On an
    /// unhashable key, `entries` holds the pairs before it, as pair-by-pair storing
    /// would have left them. A record with the keys of the dict filled before it is
    /// [`Filled::AsTheyAre`]: `flat` is stored as it is, and `entries` stays empty.
    pub fn fill_small(
        &mut self,
        arena: &Arena<'_>,
        owner: NodeId,
        flat: &(impl FlatValues + ?Sized),
        entries: &mut Vec<Value>,
    ) -> Result<Filled, ErrorKind> {
        debug_assert!(entries.is_empty(), "fill_small starts from an empty dict");
        self.pending = None;
        // Keys equal as values to the template's distinct keys are distinct: `==` of
        // values implies Python's `==` of keys, which is an equivalence (a NaN is equal
        // to no value, so it never matches).
        let same_keys = self
            .template
            .is_some_and(|template| arena.same_keys(template, flat));
        if same_keys {
            // The keys are not reduced: a later `find` in this dict reduces them then
            // (with no owner, `recent` is rebuilt before it is read).
            self.recent_owner = None;
            return Ok(Filled::AsTheyAre);
        }
        self.recent.clear();
        self.recent_owner = Some(owner);
        let pairs = flat.count() / 2;
        // Past a few pairs, a table of positions by fingerprint on the stack finds a
        // key's equal in one or two probes, where the scan compares every key before it.
        let mut table = [0u8; FILL_TABLE];
        debug_assert!(pairs < FILL_SMALL_MAX, "fill_small of {pairs} pairs");
        let tabled = pairs > FILL_SCAN_MAX;
        // Until a key repeats, the pairs are those of `flat` up to `index`: `entries`
        // is filled only from the first repeat on (most dicts have none).
        let mut merged = false;
        for index in 0..pairs {
            // The value is read only where it is stored: most dicts merge nothing.
            let key = flat.value(2 * index);
            let reduced = match self.key_of(arena, key) {
                Ok(reduced) => reduced,
                Err(error) => {
                    if !merged {
                        entries.extend((0..2 * index).map(|i| flat.value(i)));
                    }
                    return Err(error);
                }
            };
            let print = fingerprint(reduced);
            let same = |position: usize| {
                let (other, other_print) = self.recent[position];
                other_print == print && self.key_eq(arena, reduced, other)
            };
            let (found, free) = match tabled {
                false => ((0..self.recent.len()).find(|&p| same(p)), None),
                true => {
                    let mut slot = table_slot(print);
                    loop {
                        match table[slot] {
                            0 => break (None, Some(slot)),
                            stored if same(usize::from(stored) - 1) => {
                                break (Some(usize::from(stored) - 1), None)
                            }
                            _ => slot = (slot + 1) % FILL_TABLE,
                        }
                    }
                }
            };
            match found {
                Some(position) => {
                    if !merged {
                        entries.extend((0..2 * index).map(|i| flat.value(i)));
                        merged = true;
                    }
                    entries[2 * position + 1] = flat.value(2 * index + 1);
                }
                None => {
                    if merged {
                        entries.extend([key, flat.value(2 * index + 1)]);
                    }
                    self.recent.push((reduced, print));
                    if let Some(slot) = free {
                        // Positions stay below FILL_TABLE / 2, so position + 1 fits.
                        table[slot] = self.recent.len() as u8;
                    }
                }
            }
        }
        self.template = Some(owner);
        Ok(match merged {
            true => Filled::Merged,
            false => Filled::AsTheyAre,
        })
    }

    /// Notes that `key` now stands at `position` of container `owner`.
    pub fn record(
        &mut self,
        arena: &Arena<'_>,
        owner: NodeId,
        position: usize,
        key: Value,
    ) -> Result<(), ErrorKind> {
        if position < LINEAR_SEARCH_MAX
            && self.recent_owner == Some(owner)
            && self.recent.len() == position
        {
            match self.pending.take() {
                Some(Pending::Small {
                    value,
                    key: reduced,
                    print,
                }) if value == key => self.recent.push((reduced, print)),
                _ => {
                    let reduced = self.key_of(arena, key)?;
                    self.recent.push((reduced, fingerprint(reduced)));
                }
            }
        }
        if !self.indexes.contains_key(&owner) {
            return Ok(());
        }
        let hash = match self.pending.take() {
            Some(Pending::Indexed { value, hash }) if value == key => hash,
            _ => {
                let reduced = self.key_of(arena, key)?;
                self.key_hash(arena, reduced)
            }
        };
        if let Some(index) = self.indexes.get_mut(&owner) {
            index.entry(hash).or_insert(position as u32);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::render::repr::to_repr;

    #[test]
    fn a_short_key_holds_each_byte_in_its_place() {
        let bytes: Vec<u8> = (0..14u8).map(|i| i.wrapping_mul(37) ^ 0xa5).collect();
        for len in 0..=super::SHORT {
            let payload = &bytes[..len];
            let (mut low, mut high) = (0u64, 0u64);
            for (index, &byte) in payload.iter().enumerate() {
                match index < 8 {
                    true => low |= u64::from(byte) << (8 * index),
                    false => high |= u64::from(byte) << (8 * (index - 8)),
                }
            }
            high |= (len as u64) << 56 | 2 << 48;
            assert_eq!(
                super::Short::of(2, payload),
                Some(super::Short { low, high }),
                "{len}"
            );
        }
        assert_eq!(super::Short::of(1, &[0; 15]), None);
    }

    fn repr_of(bytes: &[u8]) -> String {
        let pickle = crate::load(bytes).unwrap();
        to_repr(&pickle, pickle.root())
    }

    #[test]
    fn equal_numbers_merge_keeping_the_first_key_and_the_last_value() {
        // {1: 'a', 1.0: 'b', True: 'c'} written without the pickler's own merging.
        let bytes = b"\x80\x02}(K\x01X\x01\x00\x00\x00aG?\xf0\x00\x00\x00\x00\x00\x00X\x01\x00\x00\x00b\x88X\x01\x00\x00\x00cu.";
        assert_eq!(repr_of(bytes), "{1: 'c'}");
    }

    #[test]
    fn equal_strs_in_different_nodes_are_one_key() {
        let bytes = b"\x80\x02}(X\x02\x00\x00\x00abK\x01X\x02\x00\x00\x00abK\x02u.";
        assert_eq!(repr_of(bytes), "{'ab': 2}");
    }

    #[test]
    fn short_and_long_strs_merge_by_value_and_a_str_never_equals_bytes() {
        // Keys of 14 bytes (held in the key) and 15 (interned), each twice, then 'ab'
        // beside b'ab' and a two-byte 'é' twice; CPython gives
        // {'xxxxxxxxxxxxxx': 2, 'yyyyyyyyyyyyyyy': 4, 'ab': 5, b'ab': 6, 'é': 8}.
        let mut bytes = b"\x80\x03}(".to_vec();
        for (key, value) in [
            (&b"X\x0e\x00\x00\x00xxxxxxxxxxxxxx"[..], 1u8),
            (b"X\x0e\x00\x00\x00xxxxxxxxxxxxxx", 2),
            (b"X\x0f\x00\x00\x00yyyyyyyyyyyyyyy", 3),
            (b"X\x0f\x00\x00\x00yyyyyyyyyyyyyyy", 4),
            (b"X\x02\x00\x00\x00ab", 5),
            (b"C\x02ab", 6),
            (b"X\x02\x00\x00\x00\xc3\xa9", 7),
            (b"X\x02\x00\x00\x00\xc3\xa9", 8),
        ] {
            bytes.extend_from_slice(key);
            bytes.extend_from_slice(&[b'K', value]);
        }
        bytes.extend_from_slice(b"u.");
        assert_eq!(
            repr_of(&bytes),
            "{'xxxxxxxxxxxxxx': 2, 'yyyyyyyyyyyyyyy': 4, 'ab': 5, b'ab': 6, 'é': 8}"
        );
    }

    #[test]
    fn a_second_setitems_on_the_same_dict_sees_the_first_keys() {
        let bytes =
            b"\x80\x02}(X\x01\x00\x00\x00aK\x01u(X\x01\x00\x00\x00bK\x02X\x01\x00\x00\x00aK\x03u.";
        assert_eq!(repr_of(bytes), "{'a': 3, 'b': 2}");
    }

    #[test]
    fn filling_another_dict_in_between_does_not_confuse_the_keys() {
        // d0 = {'a': 1}; d1 = {'a': 2} (then popped); d0['a'] = 3.
        let bytes = b"\x80\x02}q\x00(X\x01\x00\x00\x00aK\x01u}q\x01(X\x01\x00\x00\x00aK\x02u0h\x00(X\x01\x00\x00\x00aK\x03u0h\x00.";
        assert_eq!(repr_of(bytes), "{'a': 3}");
    }

    #[test]
    fn a_nan_key_is_never_merged() {
        let nan = b"G\x7f\xf8\x00\x00\x00\x00\x00\x00";
        let mut bytes = b"\x80\x02}(".to_vec();
        bytes.extend_from_slice(nan);
        bytes.extend_from_slice(b"K\x01");
        bytes.extend_from_slice(nan);
        bytes.extend_from_slice(b"K\x02u.");
        assert_eq!(repr_of(&bytes), "{nan: 1, nan: 2}");
    }

    #[test]
    fn an_unhashable_key_leaves_the_pairs_before_it_stored() {
        // {1: 2, []: 3}: SETITEMS fails on the list, after storing 1: 2.
        let bytes = b"\x80\x02}(K\x01K\x02]K\x03u.";
        let failure = crate::load_at(bytes, 0, &crate::LoadOptions::default()).unwrap_err();
        assert_eq!(
            failure.error.to_string(),
            "offset 11 (SETITEMS): unhashable type: 'list'"
        );
        let dict = failure.partial.nodes().find_map(|node| match node {
            crate::Node::Dict(entries) => Some(entries.to_vec()),
            _ => None,
        });
        assert_eq!(
            dict,
            Some(vec![(crate::Value::Int(1), crate::Value::Int(2))])
        );
    }

    #[test]
    fn a_large_dict_merges_through_its_table_or_its_index() {
        // Every key is set twice in one batch, the second value wins: batches below
        // FILL_SMALL_MAX pairs go through fill_small's table, larger ones through the
        // index; then a second batch sets the keys a third time.
        for distinct in [40u8, 63, 64, 84, 130] {
            let mut bytes = b"\x80\x02}(".to_vec();
            for round in 0..2u8 {
                for i in 0..distinct {
                    bytes.extend_from_slice(&[b'K', i, b'K', round]);
                }
            }
            bytes.extend_from_slice(b"u(");
            for i in (0..distinct).step_by(3) {
                bytes.extend_from_slice(&[b'K', i, b'K', 9]);
            }
            bytes.extend_from_slice(b"u.");
            let expected: Vec<String> = (0..distinct)
                .map(|i| format!("{i}: {}", if i % 3 == 0 { 9 } else { 1 }))
                .collect();
            assert_eq!(repr_of(&bytes), format!("{{{}}}", expected.join(", ")));
        }
    }

    #[test]
    fn a_fresh_dict_past_the_scan_merges_through_its_table() {
        // 48 pairs over 24 keys of four kinds, `True` equal to `1.0`: the first key
        // stays, the last value wins. Expected text from CPython's `pickle.loads`.
        let bytes = b"\x80\x04}(K\x00K\x00G?\xf0\x00\x00\x00\x00\x00\x00K\x01\x8c\x012K\x02\x88K\x03K\x04K\x04G@\x14\x00\x00\x00\x00\x00\x00K\x05\x8c\x016K\x06\x88K\x07K\x08K\x08G@\x22\x00\x00\x00\x00\x00\x00K\x09\x8c\x0210K\x0a\x88K\x0bK\x0cK\x0cG@*\x00\x00\x00\x00\x00\x00K\x0d\x8c\x0214K\x0e\x88K\x0fK\x10K\x10G@1\x00\x00\x00\x00\x00\x00K\x11\x8c\x0218K\x12\x88K\x13K\x14K\x14G@5\x00\x00\x00\x00\x00\x00K\x15\x8c\x0222K\x16\x88K\x17K\x00K\x18G?\xf0\x00\x00\x00\x00\x00\x00K\x19\x8c\x012K\x1a\x88K\x1bK\x04K\x1cG@\x14\x00\x00\x00\x00\x00\x00K\x1d\x8c\x016K\x1e\x88K\x1fK\x08K G@\x22\x00\x00\x00\x00\x00\x00K!\x8c\x0210K\x22\x88K#K\x0cK$G@*\x00\x00\x00\x00\x00\x00K%\x8c\x0214K&\x88K'K\x10K(G@1\x00\x00\x00\x00\x00\x00K)\x8c\x0218K*\x88K+K\x14K,G@5\x00\x00\x00\x00\x00\x00K-\x8c\x0222K.\x88K/u.";
        assert_eq!(
            repr_of(bytes),
            "{0: 24, 1.0: 47, '2': 26, 4: 28, 5.0: 29, '6': 30, 8: 32, 9.0: 33, '10': 34, \
             12: 36, 13.0: 37, '14': 38, 16: 40, 17.0: 41, '18': 42, 20: 44, 21.0: 45, '22': 46}"
        );
    }
}
