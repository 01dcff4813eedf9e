//! pickletools' memo, as `dis` models it: which kind of object each key holds.
//!
//! Pickles written by CPython memoize under 0, 1, 2, … (`MEMOIZE` uses the memo's size),
//! so small keys live in a vector; any other key in a hash map. The vector only grows to
//! twice the number of entries, so hostile keys cannot make it large.

use std::collections::HashMap;

use super::args::MemoKey;
use crate::opcode::StackItem;

/// The memo: key to the kind of object stored under it.
#[derive(Debug, Default)]
pub(super) struct Memo {
    dense: Vec<Option<StackItem>>,
    sparse: HashMap<MemoKey, StackItem>,
    len: usize,
}

impl Memo {
    /// How many keys are stored (Python's `len(memo)`).
    pub(super) fn len(&self) -> usize {
        self.len
    }

    fn dense_index(&self, key: &MemoKey) -> Option<usize> {
        match key {
            MemoKey::Small(value) => usize::try_from(*value).ok(),
            MemoKey::Big(_) => None,
        }
    }

    /// What is stored under `key`.
    pub(super) fn get(&self, key: &MemoKey) -> Option<StackItem> {
        match self.dense_index(key) {
            Some(index) if index < self.dense.len() => self.dense[index],
            _ => self.sparse.get(key).copied(),
        }
    }

    /// Stores `item` under a key that is not stored yet.
    pub(super) fn insert(&mut self, key: MemoKey, item: StackItem) {
        debug_assert!(
            self.get(&key).is_none(),
            "memo keys are checked before they are stored"
        );
        self.len += 1;
        match self.dense_index(&key) {
            Some(index) if index < self.dense.len() => self.dense[index] = Some(item),
            Some(index) if index < 2 * self.len + 16 && !self.sparse.contains_key(&key) => {
                self.dense.resize(index + 1, None);
                self.dense[index] = Some(item);
            }
            _ => {
                self.sparse.insert(key, item);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_and_sparse_keys_are_one_memo() {
        let mut memo = Memo::default();
        memo.insert(MemoKey::Small(1 << 40), StackItem::Int);
        memo.insert(MemoKey::Small(0), StackItem::Str);
        memo.insert(MemoKey::Small(-1), StackItem::List);
        assert_eq!(memo.len(), 3);
        assert_eq!(memo.get(&MemoKey::Small(1 << 40)), Some(StackItem::Int));
        assert_eq!(memo.get(&MemoKey::Small(0)), Some(StackItem::Str));
        assert_eq!(memo.get(&MemoKey::Small(-1)), Some(StackItem::List));
        assert_eq!(memo.get(&MemoKey::Small(2)), None);
    }
}
