//! The memo: keys to values, dense for the small keys every pickler writes and sparse
//! for the rest, so a hostile `LONG_BINPUT 0xffffffff` costs one entry, not 2^32.
//!
//! A dense slot is 4 bytes, a node's index: picklers memoize containers and strings,
//! which live in the arena. The rare inline scalar stored under a small key (a hostile
//! `PUT` after an int) lives on the side. A 16-byte `Option<Value>` per slot made the
//! memo of a million strings 16 MB and its page faults a tenth of the load time.
//!
//! Before any of that, the memo is kept as runs. A pickler memoizes every str and
//! container it writes, under the next key, and the machine numbers nodes in the same
//! order, so key `k` holds node `k + c` for long stretches: each stretch is one run,
//! 8 bytes, where dense slots took 4 bytes a key (6 MB of fresh memory, each page of
//! it a fault, for a pickle of 1.5 million memoized objects). The first put that is not
//! a node under the next key (or runs that would outweigh the dense slots) spreads the
//! runs into dense slots, and the memo goes on as above.

use std::collections::HashMap;

use crate::graph::{NodeId, Value};

/// Dense slots grow only while at least about half of them would be used, so that a few
/// scattered keys cannot make the memo allocate much.
const DENSE_SLACK: u64 = 64;

/// A dense slot with no value.
const EMPTY: u32 = u32::MAX;
/// A dense slot whose value is a scalar, kept in [`Memo::scalars`].
const SCALAR: u32 = u32::MAX - 1;
/// Runs a memo may hold beyond one per two keys before it spreads them into dense slots
/// (a run is 8 bytes, a dense slot 4).
const RUNS_BEFORE_DENSE: usize = 64;

/// Memo keys to values.
#[derive(Debug)]
pub struct Memo {
    /// Whether the memo is still kept as [`Memo::runs`] (and `dense` is empty).
    in_runs: bool,
    /// While [`Memo::in_runs`]: keys `0..len` as runs, each its first key and the node
    /// under it, the keys after it holding the nodes after it up to the next run's first
    /// key.
    runs: Vec<(u64, u32)>,
    /// The node that would continue the last run: derived from the last run and `len`,
    /// and kept because `MEMOIZE`'s check is then one comparison (derived each time, it
    /// cost the strs load 3% more instructions).
    expected: u32,
    dense: Vec<u32>,
    scalars: HashMap<u64, Value>,
    sparse: HashMap<u64, Value>,
    len: usize,
}

impl Default for Memo {
    fn default() -> Memo {
        Memo {
            in_runs: true,
            runs: Vec::new(),
            expected: 0,
            dense: Vec::new(),
            scalars: HashMap::new(),
            sparse: HashMap::new(),
            len: 0,
        }
    }
}

impl Memo {
    /// Stores `value` under `key`, replacing what was there.
    // Always inlined, the general case out of line: the machine memoizes in two places,
    // and a call for each `MEMOIZE` cost more than the store.
    #[inline(always)]
    pub fn put(&mut self, key: u64, value: Value) {
        // `MEMOIZE` of a node: the next key, new, as picklers write them; in runs, the
        // node after the last one memoized.
        if let Value::Node(id) = value {
            if self.in_runs {
                let next = key == self.len as u64 && id.0 == self.expected;
                if next && id.0 < SCALAR && !self.runs.is_empty() {
                    self.expected = self.expected.wrapping_add(1);
                    self.len += 1;
                    return;
                }
            } else if key == self.dense.len() as u64 && id.0 < SCALAR && self.sparse.is_empty() {
                self.dense.push(id.0);
                self.len += 1;
                return;
            }
        }
        self.put_any(key, value);
    }

    /// [`Memo::put`] of any key and value.
    #[inline(never)]
    fn put_any(&mut self, key: u64, value: Value) {
        if self.in_runs {
            match value {
                // A node under the next key that does not continue the last run (or
                // the first): a new run, unless the runs would outweigh dense slots.
                Value::Node(id)
                    if key == self.len as u64
                        && id.0 < SCALAR
                        && self.runs.len() < self.len / 2 + RUNS_BEFORE_DENSE =>
                {
                    self.runs.push((key, id.0));
                    self.expected = id.0.wrapping_add(1);
                    self.len += 1;
                    return;
                }
                _ => self.spread_runs(),
            }
        }
        let dense_len = self.dense.len() as u64;
        if key < dense_len || key <= self.len as u64 * 2 + DENSE_SLACK {
            let index = key as usize;
            if index >= self.dense.len() {
                self.dense.resize(index + 1, EMPTY);
            }
            let was_sparse = !self.sparse.is_empty() && self.sparse.remove(&key).is_some();
            let slot = match value {
                Value::Node(id) if (id.0) < SCALAR => id.0,
                _ => {
                    self.scalars.insert(key, value);
                    SCALAR
                }
            };
            let old = std::mem::replace(&mut self.dense[index], slot);
            if old == SCALAR && slot != SCALAR {
                self.scalars.remove(&key);
            }
            if old == EMPTY && !was_sparse {
                self.len += 1;
            }
        } else if self.sparse.insert(key, value).is_none() {
            self.len += 1;
        }
    }

    /// Turns the runs into dense slots, for a put that runs cannot hold.
    #[cold]
    fn spread_runs(&mut self) {
        let ends = self.runs.iter().skip(1).map(|&(first, _)| first as usize);
        let ends = ends.chain([self.len]);
        for (&(first, id), end) in self.runs.iter().zip(ends) {
            let count = (end as u64 - first) as u32;
            // Each id is below `SCALAR`: a run starts below it and grows only by ids
            // the dense slots take (see `put`).
            self.dense
                .extend((0..count).map(|offset| id.wrapping_add(offset)));
        }
        self.runs = Vec::new();
        self.in_runs = false;
    }

    /// The value under `key`.
    // Always inlined: returned through memory, the value was written in parts and
    // read back whole, a store-forwarding stall that was a quarter of `run` on records.
    #[inline(always)]
    pub fn get(&self, key: u64) -> Option<Value> {
        if self.in_runs {
            if key >= self.len as u64 {
                return None;
            }
            // The first run starts at key 0; a run's keys map to ids below `SCALAR`. Most
            // memos are one run (every node memoized), so the last is tried first.
            let (first, id) = match self.runs.last() {
                Some(&(first, id)) if first <= key => (first, id),
                _ => self.runs[self.runs.partition_point(|&(first, _)| first <= key) - 1],
            };
            return Some(Value::Node(NodeId(id.wrapping_add((key - first) as u32))));
        }
        match usize::try_from(key).ok().and_then(|i| self.dense.get(i)) {
            Some(&EMPTY) | None => self.sparse.get(&key).copied(),
            Some(&SCALAR) => self.scalars.get(&key).copied(),
            Some(&index) => Some(Value::Node(NodeId(index))),
        }
    }

    /// How many keys hold a value: `MEMOIZE` stores under this key, as in CPython.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Every `(key, value)`, by key.
    pub fn entries(&self) -> Vec<(u64, Value)> {
        if self.in_runs {
            return (0..self.len as u64)
                .filter_map(|key| self.get(key).map(|value| (key, value)))
                .collect();
        }
        let mut entries: Vec<(u64, Value)> = (0..self.dense.len() as u64)
            .filter_map(|key| match self.dense[key as usize] {
                EMPTY => None,
                _ => self.get(key).map(|value| (key, value)),
            })
            .chain(self.sparse.iter().map(|(&key, &value)| (key, value)))
            .collect();
        entries.sort_by_key(|&(key, _)| key);
        entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    /// A put: under the next key or any key, of the node after the last one put, of
    /// any node, or of a scalar.
    #[derive(Debug, Clone)]
    enum Put {
        NextNode,
        Next(u32),
        Any(u64, Option<u32>),
    }

    fn any_put() -> impl Strategy<Value = Put> {
        prop_oneof![
            8 => Just(Put::NextNode),
            2 => (0u32..50).prop_map(Put::Next),
            1 => (0u64..300, proptest::option::of(0u32..50)).prop_map(|(k, v)| Put::Any(k, v)),
            1 => (0u64..1 << 40).prop_map(|k| Put::Any(k, Some(7))),
        ]
    }

    proptest! {
        /// Any sequence of puts reads back as a map would, in runs, dense or sparse.
        #[test]
        fn a_memo_reads_back_as_a_map_would(puts in proptest::collection::vec(any_put(), 0..400)) {
            let mut memo = Memo::default();
            let mut model: BTreeMap<u64, Value> = BTreeMap::new();
            let mut last_id = 0u32;
            for put in puts {
                let (key, value) = match put {
                    Put::NextNode => {
                        last_id += 1;
                        (memo.len() as u64, Value::Node(NodeId(last_id)))
                    }
                    Put::Next(id) => {
                        last_id = id;
                        (memo.len() as u64, Value::Node(NodeId(id)))
                    }
                    Put::Any(key, Some(id)) => (key, Value::Node(NodeId(id))),
                    Put::Any(key, None) => (key, Value::Int(key as i64)),
                };
                memo.put(key, value);
                model.insert(key, value);
                prop_assert_eq!(memo.len(), model.len());
            }
            for key in 0..310 {
                prop_assert_eq!(memo.get(key), model.get(&key).copied(), "key {}", key);
            }
            let entries: Vec<(u64, Value)> = model.into_iter().collect();
            prop_assert_eq!(memo.entries(), entries);
        }
    }

    #[test]
    fn memoized_nodes_in_order_are_kept_as_runs() {
        let mut memo = Memo::default();
        // Nodes 0..1000, then 5000..6000 (a stretch of nodes not memoized between).
        for id in (0..1000).chain(5000..6000) {
            memo.put(memo.len() as u64, Value::Node(NodeId(id)));
        }
        assert!(memo.in_runs && memo.runs.len() == 2 && memo.dense.is_empty());
        assert_eq!(memo.get(999), Some(Value::Node(NodeId(999))));
        assert_eq!(memo.get(1000), Some(Value::Node(NodeId(5000))));
        assert_eq!(memo.get(1999), Some(Value::Node(NodeId(5999))));
        assert_eq!(memo.get(2000), None);
        // A put the runs cannot hold spreads them.
        memo.put(3, Value::Int(-3));
        assert!(!memo.in_runs && memo.dense.len() == 2000);
        assert_eq!(memo.get(3), Some(Value::Int(-3)));
        assert_eq!(memo.get(1500), Some(Value::Node(NodeId(5500))));
        assert_eq!(memo.len(), 2000);
    }

    #[test]
    fn the_same_node_memoized_again_and_again_ends_in_dense_slots() {
        let mut memo = Memo::default();
        for _ in 0..1000 {
            memo.put(memo.len() as u64, Value::Node(NodeId(4)));
        }
        assert!(!memo.in_runs, "a run per key would outweigh dense slots");
        assert!(memo.runs.is_empty());
        assert_eq!(memo.get(999), Some(Value::Node(NodeId(4))));
        assert_eq!(memo.len(), 1000);
    }

    #[test]
    fn a_huge_key_is_stored_sparsely() {
        let mut memo = Memo::default();
        memo.put(u64::from(u32::MAX), Value::Int(1));
        memo.put(0, Value::Int(2));
        assert_eq!(memo.get(u64::from(u32::MAX)), Some(Value::Int(1)));
        assert_eq!(memo.get(0), Some(Value::Int(2)));
        assert_eq!(memo.len(), 2);
        assert!(memo.dense.len() < 10);
    }

    #[test]
    fn scattered_keys_do_not_grow_the_dense_slots() {
        let mut memo = Memo::default();
        for step in 0..1000u64 {
            memo.put(step * 100_000, Value::Int(step as i64));
        }
        assert!(memo.dense.len() <= 2 * memo.len() + 65);
        memo.put(50, Value::Int(-1));
        for step in 0..1000u64 {
            assert_eq!(memo.get(step * 100_000), Some(Value::Int(step as i64)));
        }
        assert_eq!(memo.len(), 1001);
    }

    #[test]
    fn replacing_a_key_does_not_grow_the_memo() {
        let mut memo = Memo::default();
        memo.put(3, Value::Int(1));
        memo.put(3, Value::Int(2));
        assert_eq!(memo.len(), 1);
        assert_eq!(memo.get(3), Some(Value::Int(2)));
        assert_eq!(memo.get(2), None);
    }

    #[test]
    fn scalars_and_nodes_replace_each_other_under_a_dense_key() {
        let mut memo = Memo::default();
        memo.put(0, Value::Float(1.5));
        assert_eq!(memo.get(0), Some(Value::Float(1.5)));
        memo.put(0, Value::Node(NodeId(7)));
        assert_eq!(memo.get(0), Some(Value::Node(NodeId(7))));
        assert!(memo.scalars.is_empty());
        memo.put(0, Value::None);
        assert_eq!(memo.entries(), [(0, Value::None)]);
        assert_eq!(memo.len(), 1);
    }
}
