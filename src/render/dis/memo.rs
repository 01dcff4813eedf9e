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
    #[inline]
    pub(super) fn get(&self, key: &MemoKey) -> Option<StackItem> {
        match key {
            MemoKey::Small(value) => self.get_small(*value),
            MemoKey::Big(_) => self.sparse.get(key).copied(),
        }
    }

    /// What is stored under a key that fits an `i64`: every key CPython writes, looked
    /// up without building a [`MemoKey`].
    #[inline]
    pub(super) fn get_small(&self, key: i64) -> Option<StackItem> {
        if let Some(&Some(item)) = usize::try_from(key).ok().and_then(|i| self.dense.get(i)) {
            return Some(item);
        }
        // A key stored in the map while it was far out may since have been overtaken
        // by the vector's growth: an empty slot there is not the last word.
        if self.sparse.is_empty() {
            None
        } else {
            self.sparse.get(&MemoKey::Small(key)).copied()
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

    #[test]
    fn a_far_key_is_found_after_the_vector_grows_past_it() {
        let mut memo = Memo::default();
        memo.insert(MemoKey::Small(100), StackItem::Int);
        for key in 0..60 {
            memo.insert(MemoKey::Small(key), StackItem::Str);
        }
        memo.insert(MemoKey::Small(101), StackItem::List);
        assert_eq!(memo.get(&MemoKey::Small(100)), Some(StackItem::Int));
        assert_eq!(memo.get_small(100), Some(StackItem::Int));
    }
}
