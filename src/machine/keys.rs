//! Dict keys and set members as Python compares them.
//!
//! Python merges equal keys: `{1: 'a', 1.0: 'b', True: 'c'}` is `{1: 'c'}`, with the
//! first key kept and the last value winning. [`Keys`] decides that equality for None,
//! bool, int, float, str, bytes, and tuples and frozensets of those; any other object
//! (an inert call, an instance) is equal only to itself. Lists, dicts, sets and
//! bytearrays are unhashable, as in Python.
//!
//! Tuples and frozensets get a canonical id computed bottom-up on a heap stack, each
//! node once, so a deeply nested or heavily shared key costs linear time. Strs, bytes
//! and big ints get one too, computed once per node: a 4 MB str added to a set a million
//! times is hashed once, not a million times, and equal strs in distinct nodes are
//! compared once each.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;

use num_bigint::BigInt;
use num_traits::{FromPrimitive, Zero};

use crate::error::ErrorKind;
use crate::graph::{Node, NodeId, Value};

/// Dicts and sets with fewer entries than this are searched linearly.
const LINEAR_SEARCH_MAX: usize = 16;

/// A key reduced to what Python's `==` looks at: two keys are equal exactly when
/// these are, except that a NaN equals nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    None,
    /// Ints, bools and floats with an integral value that fits in 64 bits.
    Int(i64),
    /// Floats with a fractional part (their bits).
    Float(u64),
    /// A NaN: equal to nothing, itself included.
    Nan,
    /// A str, by the canonical id of its text.
    Str(u32),
    /// A bytes object, by the canonical id of its payload.
    Bytes(u32),
    /// A big int, an integral float beyond 64 bits, a tuple or a frozenset.
    Canon(u32),
    /// Any other object: equal only to itself.
    Identity(NodeId),
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
    canon_by_hash: HashMap<u64, Vec<u32>>,
    canon_of_node: HashMap<NodeId, u32>,
    /// For dicts and sets past [`LINEAR_SEARCH_MAX`]: key hash to first position.
    indexes: HashMap<NodeId, HashMap<u64, u32>>,
    /// Canonical ids of str and bytes payloads: a node standing for each.
    texts: Vec<NodeId>,
    texts_by_hash: HashMap<u64, Vec<u32>>,
    text_of_node: HashMap<NodeId, u32>,
}

impl Default for Keys {
    fn default() -> Keys {
        Keys {
            hasher: RandomState::new(),
            canon: Vec::new(),
            canon_by_hash: HashMap::new(),
            canon_of_node: HashMap::new(),
            indexes: HashMap::new(),
            texts: Vec::new(),
            texts_by_hash: HashMap::new(),
            text_of_node: HashMap::new(),
        }
    }
}

fn payload<'n>(nodes: &'n [Node<'_>], id: NodeId) -> &'n [u8] {
    match &nodes[id.index()] {
        Node::Str(text) => text.as_bytes(),
        Node::Bytes(bytes) => bytes,
        _ => &[],
    }
}

impl Keys {
    fn key_eq(&self, a: Key, b: Key) -> bool {
        a != Key::Nan && a == b
    }

    fn key_hash(&self, key: Key) -> u64 {
        self.hasher.hash_one(key)
    }

    /// The canonical id of a str or bytes node's payload (`kind` tells them apart),
    /// computed once per node.
    fn text_id(&mut self, nodes: &[Node<'_>], id: NodeId, kind: u8) -> u32 {
        if let Some(&text) = self.text_of_node.get(&id) {
            return text;
        }
        let bytes = payload(nodes, id);
        let hash = self.hasher.hash_one((kind, bytes));
        let same = |&&text: &&u32| {
            let other = self.texts[text as usize];
            std::mem::discriminant(&nodes[other.index()])
                == std::mem::discriminant(&nodes[id.index()])
                && payload(nodes, other) == bytes
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

    fn intern(&mut self, canon: Canon) -> u32 {
        let hash = match &canon {
            Canon::Big(v) => self.hasher.hash_one((8u8, v)),
            Canon::Tuple(keys) => self.hasher.hash_one((9u8, keys)),
            Canon::FrozenSet(keys) => {
                // Order-independent, as frozenset equality is.
                let sum = keys
                    .iter()
                    .fold(0u64, |acc, &k| acc.wrapping_add(self.key_hash(k)));
                self.hasher.hash_one((10u8, sum, keys.len()))
            }
        };
        if let Some(ids) = self.canon_by_hash.get(&hash) {
            for &id in ids {
                if self.canon_eq(&self.canon[id as usize], &canon) {
                    return id;
                }
            }
        }
        let id = self.canon.len() as u32;
        self.canon.push(canon);
        self.canon_by_hash.entry(hash).or_default().push(id);
        id
    }

    fn canon_eq(&self, a: &Canon, b: &Canon) -> bool {
        match (a, b) {
            (Canon::Big(x), Canon::Big(y)) => x == y,
            (Canon::Tuple(x), Canon::Tuple(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(&p, &q)| self.key_eq(p, q))
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
    fn key_of(&mut self, nodes: &[Node<'_>], value: Value) -> Result<Key, ErrorKind> {
        Ok(match value {
            Value::None => Key::None,
            Value::Bool(b) => Key::Int(i64::from(b)),
            Value::Int(v) => Key::Int(v),
            Value::Float(f) => self.float_key(f),
            Value::Node(id) => match &nodes[id.index()] {
                Node::Str(_) => Key::Str(self.text_id(nodes, id, 1)),
                Node::Bytes(_) => Key::Bytes(self.text_id(nodes, id, 2)),
                Node::BigInt(v) => match self.canon_of_node.get(&id) {
                    Some(&canon) => Key::Canon(canon),
                    None => {
                        let canon = self.intern(Canon::Big(v.clone()));
                        self.canon_of_node.insert(id, canon);
                        Key::Canon(canon)
                    }
                },
                Node::Tuple(_) | Node::FrozenSet(_) => Key::Canon(self.canon_of(nodes, id)?),
                Node::Inert(_) => Key::Identity(id),
                other => return Err(ErrorKind::Unhashable(other.type_name().unwrap_or("object"))),
            },
        })
    }

    fn float_key(&mut self, f: f64) -> Key {
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
        Key::Canon(self.intern(Canon::Big(big)))
    }

    /// The canonical id of a tuple or frozenset, computed bottom-up without recursion.
    fn canon_of(&mut self, nodes: &[Node<'_>], root: NodeId) -> Result<u32, ErrorKind> {
        let mut pending = vec![root];
        while let Some(&id) = pending.last() {
            if self.canon_of_node.contains_key(&id) {
                pending.pop();
                continue;
            }
            let (items, frozen) = match &nodes[id.index()] {
                Node::Tuple(items) => (items, false),
                Node::FrozenSet(items) => (items, true),
                _ => unreachable!("only tuples and frozensets are pending"),
            };
            let unfinished: Vec<NodeId> = items
                .iter()
                .filter_map(|v| v.node())
                .filter(|child| {
                    matches!(nodes[child.index()], Node::Tuple(_) | Node::FrozenSet(_))
                        && !self.canon_of_node.contains_key(child)
                })
                .collect();
            if !unfinished.is_empty() {
                // Tuples are built after their items, so the graph below a tuple has no
                // cycle through tuples and this terminates.
                pending.extend(unfinished);
                continue;
            }
            let mut keys = Vec::with_capacity(items.len());
            for &item in items {
                keys.push(self.key_of(nodes, item)?);
            }
            let canon = if frozen {
                Canon::FrozenSet(keys)
            } else {
                Canon::Tuple(keys)
            };
            let canon_id = self.intern(canon);
            self.canon_of_node.insert(id, canon_id);
            pending.pop();
        }
        Ok(self.canon_of_node[&root])
    }

    /// Where `key` already stands among the `len` keys of container `owner`, read by
    /// position with `key_at`, if it does. Call [`Keys::record`] after appending a new key.
    pub fn find(
        &mut self,
        nodes: &[Node<'_>],
        owner: NodeId,
        len: usize,
        key_at: impl Fn(usize) -> Value,
        key: Value,
    ) -> Result<Option<usize>, ErrorKind> {
        let key = self.key_of(nodes, key)?;
        if key == Key::Nan {
            // A NaN equals nothing; every NaN also shares one hash, so looking it up
            // would walk every NaN already stored.
            return Ok(None);
        }
        if len < LINEAR_SEARCH_MAX {
            for position in 0..len {
                let other = self.key_of(nodes, key_at(position))?;
                if self.key_eq(key, other) {
                    return Ok(Some(position));
                }
            }
            return Ok(None);
        }
        let hash = self.key_hash(key);
        if !self.indexes.contains_key(&owner) {
            let keys: Vec<Key> = (0..len)
                .map(|p| self.key_of(nodes, key_at(p)))
                .collect::<Result<_, _>>()?;
            let mut index = HashMap::with_capacity(len * 2);
            for (position, &k) in keys.iter().enumerate() {
                index.entry(self.key_hash(k)).or_insert(position as u32);
            }
            self.indexes.insert(owner, index);
            return Ok(keys.iter().position(|&k| self.key_eq(key, k)));
        }
        let Some(&position) = self.indexes[&owner].get(&hash) else {
            return Ok(None);
        };
        // The index keeps the first position of each hash; a second key with the same
        // 64-bit hash (a collision, or an equal NaN-free key never stored) is searched
        // for after it.
        for candidate in position as usize..len {
            let other = self.key_of(nodes, key_at(candidate))?;
            if self.key_eq(key, other) {
                return Ok(Some(candidate));
            }
        }
        Ok(None)
    }

    /// Notes that `key` now stands at `position` of container `owner`.
    pub fn record(
        &mut self,
        nodes: &[Node<'_>],
        owner: NodeId,
        position: usize,
        key: Value,
    ) -> Result<(), ErrorKind> {
        if !self.indexes.contains_key(&owner) {
            return Ok(());
        }
        let key = self.key_of(nodes, key)?;
        let hash = self.key_hash(key);
        if let Some(index) = self.indexes.get_mut(&owner) {
            index.entry(hash).or_insert(position as u32);
        }
        Ok(())
    }
}
