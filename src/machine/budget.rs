//! The limits of [`LoadOptions`](crate::LoadOptions) as the machine keeps them: what each
//! node, slot and memo entry costs, the checks that refuse an opcode past a limit with
//! its error, and the same checks asked ahead (`*_fits`) by the fast paths, which leave
//! an opcode that would fail to the dispatch loop. Each limit is compared in one place.

use super::Machine;
use crate::error::ErrorKind;
use crate::graph::{Stored, Value};

/// Bytes a node costs in the arena, for [`max_alloc_bytes`](crate::LoadOptions::max_alloc_bytes).
pub(super) const NODE_COST: u64 = std::mem::size_of::<Stored>() as u64;
/// Bytes of one container slot.
pub(super) const SLOT_SIZE: u64 = 8;
/// Bytes a container slot costs: its own, and as much again for the vector's growth
/// (the room and the copies of containers that moved are charged as they happen).
pub(super) const SLOT_COST: u64 = 2 * SLOT_SIZE;
/// Bytes a memo entry costs: a dense slot with its share of growth slack, or a sparse
/// hash map entry.
pub(super) const MEMO_ENTRY_COST: u64 = 2 * std::mem::size_of::<Value>() as u64;

impl<'a> Machine<'a, '_> {
    /// Whether `bytes` more stay within [`max_alloc_bytes`](crate::LoadOptions::max_alloc_bytes).
    #[inline(always)]
    pub(super) fn alloc_fits(&self, bytes: u64) -> bool {
        self.allocated.saturating_add(bytes) <= self.options.max_alloc_bytes
    }

    /// Whether one more node of `extra` bytes more than a node stays within the node and
    /// allocation limits.
    #[inline(always)]
    pub(super) fn node_fits(&self, extra: u64) -> bool {
        self.arena.len() < self.options.max_nodes && self.alloc_fits(NODE_COST + extra)
    }

    /// Whether memo key `key` stays within [`max_memo_key`](crate::LoadOptions::max_memo_key).
    #[inline(always)]
    pub(super) fn memo_key_fits(&self, key: u64) -> bool {
        key <= self.options.max_memo_key
    }

    /// Counts `bytes` more against the allocation limit; past it, the error.
    pub(super) fn charge(&mut self, bytes: u64) -> Result<(), ErrorKind> {
        let fits = self.alloc_fits(bytes);
        self.allocated = self.allocated.saturating_add(bytes);
        if !fits {
            return Err(ErrorKind::LimitExceeded {
                limit: "allocation",
                max: self.options.max_alloc_bytes,
            });
        }
        Ok(())
    }

    /// Charges the slots that containers which moved in the arena have cost since the
    /// last call (see [`Arena::moved_slots`](crate::graph::Arena::moved_slots)): called
    /// after the operations that may move one, so that the allocation limit counts them.
    #[inline]
    pub(super) fn charge_moved(&mut self) -> Result<(), ErrorKind> {
        let moved = self.arena.moved_slots() - self.moved_charged;
        if moved == 0 {
            return Ok(());
        }
        self.moved_charged += moved;
        self.charge(moved * SLOT_SIZE)
    }

    /// Checks the node limit and charges a node of `extra` bytes more than a node.
    // Always inlined, as are the arena's pushes and `PyStr::from_utf8_surrogatepass`: a
    // value passed or returned through memory is written in parts and read back whole,
    // and the store-forwarding stall that makes was a fifth of loading a list of strs.
    #[inline(always)]
    pub(super) fn admit(&mut self, extra: u64) -> Result<(), ErrorKind> {
        if self.arena.len() >= self.options.max_nodes {
            return Err(ErrorKind::LimitExceeded {
                limit: "node",
                max: self.options.max_nodes as u64,
            });
        }
        self.charge(NODE_COST + extra)
    }

    /// Checks [`max_memo_key`](crate::LoadOptions::max_memo_key) for a put of `key`.
    #[inline(always)]
    pub(super) fn admit_memo_key(&self, key: u64) -> Result<(), ErrorKind> {
        if !self.memo_key_fits(key) {
            return Err(ErrorKind::LimitExceeded {
                limit: "memo key",
                max: self.options.max_memo_key,
            });
        }
        Ok(())
    }
}
