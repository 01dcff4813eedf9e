//! [`Slot`]: a [`Value`] packed into 8 bytes, as containers hold their items.
//!
//! A list of two million ints held as 16-byte [`Value`]s is 32 MB of fresh memory to
//! fault in; CPython holds 8-byte pointers. A slot is NaN-boxed: a float is its own
//! bits, and everything else lives in a corner of the NaN space no float arithmetic
//! produces (negative quiet NaNs with a non-zero top payload), tagged by its top 16
//! bits:
//!
//! | top 16 bits | what | low 48 bits |
//! |---|---|---|
//! | below `0xFFF9` | a float | (the rest of its bits) |
//! | `0xFFF9` | an int of at most 48 bits | two's complement |
//! | `0xFFFA` | a node | its id |
//! | `0xFFFB` | None, False or True | 0, 2 or 3 |
//! | `0xFFFC` | a wider int | index into the side table |
//! | `0xFFFD` | a float whose bits fall in the tagged corner | index into the side table |
//!
//! The last two rows keep every value exact: ints up to 64 bits and NaNs with any
//! payload are stored whole in a side table of raw words, which a pickle rarely uses.

use super::node::{NodeId, Value};

const TAGGED: u64 = 0xFFF9;
const INT: u64 = 0xFFF9;
const NODE: u64 = 0xFFFA;
const CONST: u64 = 0xFFFB;
const WIDE_INT: u64 = 0xFFFC;
const WIDE_FLOAT: u64 = 0xFFFD;
const PAYLOAD: u64 = (1 << 48) - 1;

/// One value in 8 bytes (see the module documentation).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub(crate) struct Slot(u64);

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Slot({:#018x})", self.0)
    }
}

impl Slot {
    pub(crate) const NONE: Slot = Slot(CONST << 48);

    /// The slot of node `id`: what [`Slot::pack`] makes of `Value::Node(id)`.
    #[inline(always)]
    pub(crate) fn node(id: NodeId) -> Slot {
        Slot(NODE << 48 | u64::from(id.0))
    }

    /// Packs `value`, storing what does not fit in 48 bits in `wides`.
    #[inline(always)]
    pub(crate) fn pack(value: Value, wides: &mut Vec<u64>) -> Slot {
        Slot::pack_from(value, wides, 0)
    }

    /// [`Slot::pack`] into a side table whose first word has index `base`.
    #[inline(always)]
    pub(crate) fn pack_from(value: Value, wides: &mut Vec<u64>, base: usize) -> Slot {
        match value {
            Value::Int(v) if (v << 16) >> 16 == v => Slot(INT << 48 | (v as u64 & PAYLOAD)),
            Value::Float(f) if f.to_bits() >> 48 < TAGGED => Slot(f.to_bits()),
            Value::Node(id) => Slot::node(id),
            Value::None => Slot::NONE,
            Value::Bool(b) => Slot(CONST << 48 | 2 | u64::from(b)),
            Value::Int(v) => Slot::wide(WIDE_INT, v as u64, wides, base),
            Value::Float(f) => Slot::wide(WIDE_FLOAT, f.to_bits(), wides, base),
        }
    }

    #[cold]
    fn wide(tag: u64, bits: u64, wides: &mut Vec<u64>, base: usize) -> Slot {
        wides.push(bits);
        Slot(tag << 48 | (base + wides.len() - 1) as u64)
    }

    /// The node the slot holds, if it holds one: [`Slot::unpack`] for nodes only, with
    /// no other tag tried first.
    #[inline(always)]
    pub(crate) fn node_id(self) -> Option<NodeId> {
        (self.0 >> 48 == NODE).then_some(NodeId((self.0 & PAYLOAD) as u32))
    }

    /// The int the slot holds in place, if it holds one.
    #[inline(always)]
    pub(crate) fn narrow_int(self) -> Option<i64> {
        (self.0 >> 48 == INT).then_some(((self.0 << 16) as i64) >> 16)
    }

    /// Where a wide slot's value lies in its side table; `None` for every other slot.
    #[inline(always)]
    pub(crate) fn wide_index(self) -> Option<usize> {
        match self.0 >> 48 {
            WIDE_INT | WIDE_FLOAT => Some((self.0 & PAYLOAD) as usize),
            _ => None,
        }
    }

    /// Moves the wide slots among `slots` from the words at index `from` on of one side
    /// table to the words at index `to` on of another, where the words were copied in
    /// the same order. Branch-free, so that it runs as vector code over a list's items.
    #[inline]
    pub(crate) fn rebase(slots: &mut [Slot], from: usize, to: usize) {
        // Each index is at least `from`, and what it moves to is an index: the sum
        // never leaves the low 48 bits, so the tag above them stays.
        let delta = (to as u64).wrapping_sub(from as u64);
        for slot in slots {
            let wide = u64::from(slot.0 >> 49 == WIDE_INT >> 1);
            slot.0 = slot.0.wrapping_add(delta & wide.wrapping_neg());
        }
    }

    /// The value packed, reading wide ones from `wides`.
    #[inline(always)]
    pub(crate) fn unpack(self, wides: &[u64]) -> Value {
        self.unpack_from(wides, 0)
    }

    /// The value packed, reading wide ones from `wides`, which holds the words from
    /// index `base` on.
    #[inline(always)]
    pub(crate) fn unpack_from(self, wides: &[u64], base: usize) -> Value {
        let tag = self.0 >> 48;
        if tag < TAGGED {
            return Value::Float(f64::from_bits(self.0));
        }
        let low = self.0 & PAYLOAD;
        match tag {
            INT => Value::Int(((low << 16) as i64) >> 16),
            NODE => Value::Node(NodeId(low as u32)),
            CONST if low == 0 => Value::None,
            CONST => Value::Bool(low == 3),
            WIDE_INT => Value::Int(wides[low as usize - base] as i64),
            _ => Value::Float(f64::from_bits(wides[low as usize - base])),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(value: Value) -> (Value, usize) {
        let mut wides = Vec::new();
        let slot = Slot::pack(value, &mut wides);
        (slot.unpack(&wides), wides.len())
    }

    #[test]
    fn every_kind_of_value_comes_back_exactly() {
        let ints = [0, 1, -1, (1 << 47) - 1, -(1 << 47), 1 << 47, -(1 << 47) - 1];
        for v in ints.into_iter().chain([i64::MAX, i64::MIN]) {
            let (back, wide) = round_trip(Value::Int(v));
            assert_eq!(back, Value::Int(v));
            assert_eq!(
                wide,
                usize::from(!((-(1 << 47))..(1 << 47)).contains(&v)),
                "{v}"
            );
        }
        let nan_bits = [
            f64::NAN.to_bits(),
            (-f64::NAN).to_bits(),
            0xFFF9_0000_0000_0001,
            0xFFFF_FFFF_FFFF_FFFF,
            0x7FFF_FFFF_FFFF_FFFF,
        ];
        for bits in nan_bits {
            let mut wides = Vec::new();
            let slot = Slot::pack(Value::Float(f64::from_bits(bits)), &mut wides);
            match slot.unpack(&wides) {
                Value::Float(f) => assert_eq!(f.to_bits(), bits),
                other => panic!("{other:?}"),
            }
        }
        for f in [
            0.0,
            -0.0,
            1.5,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
        ] {
            assert_eq!(round_trip(Value::Float(f)), (Value::Float(f), 0));
        }
        for value in [Value::None, Value::Bool(false), Value::Bool(true)] {
            assert_eq!(round_trip(value), (value, 0));
        }
        let id = NodeId(u32::MAX);
        assert_eq!(round_trip(Value::Node(id)), (Value::Node(id), 0));
    }
}
