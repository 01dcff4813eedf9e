//! Which items of a long container a view shows: its first and its last, with a count of
//! the rest between them, as numpy and pandas summarize. The end of a list is often what
//! a reader looks for (the last epoch of a training log, the newest record of a cache),
//! and showing it says at a glance that the count in the middle is all that was left out.

/// When a container is summarized, and how much of it is then shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemLimit {
    /// A container with more items than this is summarized.
    pub max: usize,
    /// The items a summarized container shows: the first half (the odd one included)
    /// and the last half.
    pub shown: usize,
}

impl ItemLimit {
    /// Every item shown.
    pub const ALL: ItemLimit = ItemLimit {
        max: usize::MAX,
        shown: usize::MAX,
    };

    /// At most `n` items of each container, the first and the last halves.
    pub const fn at_most(n: usize) -> ItemLimit {
        ItemLimit { max: n, shown: n }
    }

    /// Which of `len` items are shown.
    /// ```
    /// use picklegraph::render::elision::ItemLimit;
    /// let split = ItemLimit { max: 60, shown: 10 }.split(1_000_000);
    /// assert_eq!((split.head, split.tail, split.more()), (5, 5, 999_990));
    /// assert_eq!(split.index(5), 999_995);
    /// assert_eq!(ItemLimit { max: 60, shown: 10 }.split(60).more(), 0);
    /// assert_eq!(ItemLimit::at_most(3).split(10).index(2), 9);
    /// ```
    pub fn split(self, len: usize) -> Split {
        if len <= self.max {
            return Split {
                len,
                head: len,
                tail: 0,
            };
        }
        let shown = self.shown.min(len);
        Split {
            len,
            head: shown - shown / 2,
            tail: shown / 2,
        }
    }
}

/// The items of one container that a view shows: `head` first ones, then the count of
/// the rest, then `tail` last ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    /// How many items the container holds.
    pub len: usize,
    /// The first items shown.
    pub head: usize,
    /// The last items shown, after the count.
    pub tail: usize,
}

impl Split {
    /// Only the first `head` of `len` items, the count of the rest last.
    pub fn first(len: usize, head: usize) -> Split {
        Split {
            len,
            head: head.min(len),
            tail: 0,
        }
    }

    /// How many items are shown.
    pub fn shown(&self) -> usize {
        self.head + self.tail
    }

    /// How many items are left out.
    pub fn more(&self) -> usize {
        self.len - self.shown()
    }

    /// The place in the container of the `i`-th item shown.
    pub fn index(&self, i: usize) -> usize {
        if i < self.head {
            i
        } else {
            i + self.more()
        }
    }
}
