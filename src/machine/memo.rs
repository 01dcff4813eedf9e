//! The memo: keys to values, dense for the small keys every pickler writes and sparse
//! for the rest, so a hostile `LONG_BINPUT 0xffffffff` costs one entry, not 2^32.

use std::collections::HashMap;

use crate::graph::Value;

/// Dense slots grow only while at least about half of them would be used, so that a few
/// scattered keys cannot make the memo allocate much.
const DENSE_SLACK: u64 = 64;

/// Memo keys to values.
#[derive(Debug, Default)]
pub struct Memo {
    dense: Vec<Option<Value>>,
    sparse: HashMap<u64, Value>,
    len: usize,
}

impl Memo {
    /// Stores `value` under `key`, replacing what was there.
    pub fn put(&mut self, key: u64, value: Value) {
        let dense_len = self.dense.len() as u64;
        if key < dense_len || key <= self.len as u64 * 2 + DENSE_SLACK {
            let index = key as usize;
            if index >= self.dense.len() {
                self.dense.resize(index + 1, None);
            }
            let was_sparse = !self.sparse.is_empty() && self.sparse.remove(&key).is_some();
            if self.dense[index].replace(value).is_none() && !was_sparse {
                self.len += 1;
            }
        } else if self.sparse.insert(key, value).is_none() {
            self.len += 1;
        }
    }

    /// The value under `key`.
    pub fn get(&self, key: u64) -> Option<Value> {
        match usize::try_from(key).ok().and_then(|i| self.dense.get(i)) {
            Some(Some(value)) => Some(*value),
            _ => self.sparse.get(&key).copied(),
        }
    }

    /// How many keys hold a value: `MEMOIZE` stores under this key, as in CPython.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Every `(key, value)`, by key.
    pub fn entries(&self) -> Vec<(u64, Value)> {
        let mut entries: Vec<(u64, Value)> = self
            .dense
            .iter()
            .enumerate()
            .filter_map(|(key, slot)| slot.map(|value| (key as u64, value)))
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
}
