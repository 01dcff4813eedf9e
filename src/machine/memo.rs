//! The memo: keys to values, dense for the small keys every pickler writes and sparse
//! for the rest, so a hostile `LONG_BINPUT 0xffffffff` costs one entry, not 2^32.
//!
//! A dense slot is 4 bytes, a node's index: picklers memoize containers and strings,
//! which live in the arena. The rare inline scalar stored under a small key (a hostile
//! `PUT` after an int) lives on the side. A 16-byte `Option<Value>` per slot made the
//! memo of a million strings 16 MB and its page faults a tenth of the load time.

use std::collections::HashMap;

use crate::graph::{NodeId, Value};

/// Dense slots grow only while at least about half of them would be used, so that a few
/// scattered keys cannot make the memo allocate much.
const DENSE_SLACK: u64 = 64;

/// A dense slot with no value.
const EMPTY: u32 = u32::MAX;
/// A dense slot whose value is a scalar, kept in [`Memo::scalars`].
const SCALAR: u32 = u32::MAX - 1;

/// Memo keys to values.
#[derive(Debug, Default)]
pub struct Memo {
    dense: Vec<u32>,
    scalars: HashMap<u64, Value>,
    sparse: HashMap<u64, Value>,
    len: usize,
}

impl Memo {
    /// Stores `value` under `key`, replacing what was there.
    // Always inlined, the general case out of line: the machine memoizes in two places,
    // and a call for each `MEMOIZE` cost more than the store.
    #[inline(always)]
    pub fn put(&mut self, key: u64, value: Value) {
        // `MEMOIZE` of a node: the next dense key, new, as picklers write them.
        if let Value::Node(id) = value {
            if key == self.dense.len() as u64 && id.0 < SCALAR && self.sparse.is_empty() {
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

    /// The value under `key`.
    // Always inlined: returned through memory, the value was written in parts and
    // read back whole, a store-forwarding stall that was a quarter of `run` on records.
    #[inline(always)]
    pub fn get(&self, key: u64) -> Option<Value> {
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
