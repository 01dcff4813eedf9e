//! The fast paths of protocols 2 and up: a run of scalars, strs and memo gets, taken
//! onto the stack without going through the dispatch loop, for as long as none of its
//! opcodes could fail (see [`Machine::push_scalar_run`]). Protocol 0's list of numbers
//! has its own in `text_run.rs`.

use std::borrow::Cow;

use super::budget::{MEMO_ENTRY_COST, NODE_COST};
use super::Machine;
use crate::graph::{NodeId, PayloadKind, PyStr, Value};
use crate::opcode::Opcode;
use crate::text;

/// The opcodes a run may start with (see [`Machine::resume_run`]).
static RUN_STARTS: [bool; 256] = {
    let mut table = [false; 256];
    let starts = [
        Opcode::BinInt1,
        Opcode::BinInt2,
        Opcode::BinInt,
        Opcode::Long1,
        Opcode::BinFloat,
        Opcode::None,
        Opcode::NewTrue,
        Opcode::NewFalse,
        Opcode::ShortBinUnicode,
        Opcode::BinGet,
    ];
    let mut index = 0;
    while index < starts.len() {
        table[starts[index].byte() as usize] = true;
        index += 1;
    }
    table
};

impl<'a> Machine<'a, '_> {
    /// Pushes the run of scalar opcodes that follows (`BININT1`, `BININT2`, `BININT`,
    /// `LONG1` of at most 8 bytes, `BINFLOAT`, `NONE`, `NEWTRUE`, `NEWFALSE`), the body of
    /// a list or tuple of numbers, without going through the dispatch loop: its
    /// mispredicted jump per opcode was most of the time of loading a list of ints.
    /// These opcodes cannot fail but for a short input or a full stack; the run stops
    /// before any such opcode, as before anything else, and leaves it to the loop.
    ///
    /// A run that holds strs or memo gets (a list of strs, a dict's str keys and scalar
    /// values, a record's memoized field names) goes on in [`Machine::push_strs`] from
    /// its first `SHORT_BINUNICODE` or `BINGET`: each str with the `MEMOIZE` after it,
    /// each memo get of a key that is there, for as long as they cannot fail either; it
    /// stops before one that could, and the loop gives the error it always gave. They go
    /// in a loop of their own: in this one, they made every list of ints a tenth slower.
    ///
    /// The stack holds values packed as containers do, so the `APPENDS` or `SETITEMS`
    /// after the run copies them as they are. A column of floats is read by a loop that
    /// looks for nothing else (half the instructions of the general one per float).
    #[inline]
    pub(super) fn push_scalar_run(&mut self) {
        let ahead = self.reader.ahead();
        self.take_run(ahead);
    }

    /// Pushes the run of scalars and strs that follows the end of a container inside
    /// another (after a list's `APPENDS`, a dict's `SETITEMS`, a tuple's `MEMOIZE`):
    /// the rest of the outer container's items, which would otherwise each go through
    /// the dispatch loop (in a random tree of containers, two in five of its items).
    #[inline]
    pub(super) fn resume_run(&mut self) {
        let ahead = self.reader.ahead();
        if ahead
            .first()
            .is_some_and(|&byte| RUN_STARTS[usize::from(byte)])
        {
            self.take_run(ahead);
        }
    }

    /// [`Machine::resume_run`] after a tuple, which picklers memoize first: the
    /// `MEMOIZE` between is done here when it cannot fail.
    #[inline]
    pub(super) fn resume_run_after_tuple(&mut self) {
        const MEMOIZE: u8 = Opcode::Memoize.byte();
        let ahead = self.reader.ahead();
        if let [MEMOIZE, next, ..] = *ahead {
            if RUN_STARTS[usize::from(next)] {
                self.memoize_and_resume(ahead);
            }
        }
    }

    /// The tuple's `MEMOIZE` at the start of `ahead`, then the run after it; neither
    /// when the `MEMOIZE` could fail (the loop then gives its error).
    #[inline(never)]
    pub(super) fn memoize_and_resume(&mut self, ahead: &'a [u8]) {
        if let Ok(Value::Node(id)) = self.stack.top() {
            if self.run_memoize(id) {
                self.reader.advance(1);
                self.take_run(&ahead[1..]);
            }
        }
    }

    /// Takes the run at the start of `ahead` (see [`Machine::push_scalar_run`]) onto
    /// the stack and moves the reader to where it ends. Out of line, in one place for
    /// the four that start one (a mark, the end of a container, a tuple's `MEMOIZE`):
    /// most containers end where no run follows.
    #[inline(never)]
    pub(super) fn take_run(&mut self, ahead: &'a [u8]) {
        const BINFLOAT: u8 = Opcode::BinFloat.byte();
        const SHORT_BINUNICODE: u8 = Opcode::ShortBinUnicode.byte();
        const BINGET: u8 = Opcode::BinGet.byte();
        // As many as the stack has room for: the opcode after the run then fails as
        // it would have on a full stack.
        let end = self.stack.len() + self.stack.room();
        let mut at = 0;
        // A column of ints, decoded without a branch on the opcode (see `column_int`).
        let starts_ints = ahead
            .first()
            .is_some_and(|&op| COLUMN_INTS[usize::from(op)].0 != 0 || op == Opcode::Long1.byte());
        if starts_ints {
            while let Some((len, value)) = column_int(&ahead[at..]) {
                if self.stack.len() >= end {
                    break;
                }
                self.stack.push_within_room(Value::Int(value));
                at += len;
            }
        }
        // A column of floats, in a loop that looks for nothing else.
        while let [BINFLOAT, a, b, c, d, e, f, g, h, ..] = ahead[at..] {
            if self.stack.len() >= end {
                break;
            }
            let value = f64::from_be_bytes([a, b, c, d, e, f, g, h]);
            self.stack.push_within_room(Value::Float(value));
            at += 9;
        }
        while self.stack.len() < end {
            let Some((len, value)) = run_scalar(&ahead[at..]) else {
                break;
            };
            self.stack.push_within_room(value);
            at += len;
        }
        if matches!(ahead.get(at), Some(&(SHORT_BINUNICODE | BINGET))) {
            at = self.push_strs(ahead, at, end);
        }
        self.reader.advance(at);
    }

    /// The rest of a run that holds strs (`SHORT_BINUNICODE`, each with the `MEMOIZE`
    /// after it, while each cannot fail) among its numbers, from `at` in `ahead`, while
    /// the stack holds fewer than `end` values: where it ends.
    #[inline(never)]
    pub(super) fn push_strs(&mut self, ahead: &'a [u8], mut at: usize, end: usize) -> usize {
        const SHORT_BINUNICODE: u8 = Opcode::ShortBinUnicode.byte();
        const MEMOIZE: u8 = Opcode::Memoize.byte();
        const BINGET: u8 = Opcode::BinGet.byte();
        while self.stack.len() < end {
            let (len, value) = match ahead[at..] {
                // A memoized key or value met again (a record's field names).
                [BINGET, key, ..] => match self.memo.get(u64::from(key)) {
                    Some(value) => {
                        self.arena.note_pushed_again(value);
                        (2, value)
                    }
                    None => break,
                },
                [SHORT_BINUNICODE, n, ref rest @ ..] => {
                    let Some((text, after)) = rest.split_at_checked(usize::from(n)) else {
                        break;
                    };
                    let Some(id) = self.run_str(text) else { break };
                    let memoized = after.first() == Some(&MEMOIZE) && self.run_memoize(id);
                    (2 + text.len() + usize::from(memoized), Value::Node(id))
                }
                _ => match run_scalar(&ahead[at..]) {
                    Some(scalar) => scalar,
                    None => break,
                },
            };
            self.stack.push_within_room(value);
            at += len;
        }
        at
    }

    /// The str node of a `SHORT_BINUNICODE` in a run, when the opcode cannot fail: its
    /// text is valid, and the node and allocation limits have room. `None` leaves the
    /// opcode to the loop.
    #[inline(always)]
    pub(super) fn run_str(&mut self, text: &'a [u8]) -> Option<NodeId> {
        if !self.node_fits(0) || PyStr::from_utf8_surrogatepass(text).is_err() {
            return None;
        }
        self.allocated += NODE_COST;
        Some(
            self.arena
                .push_payload(PayloadKind::Str, Cow::Borrowed(text)),
        )
    }

    /// The `MEMOIZE` of node `id` just pushed by a run, done as [`Machine::memo_put`]
    /// would when it cannot fail; false leaves the opcode to the loop.
    #[inline(always)]
    pub(super) fn run_memoize(&mut self, id: NodeId) -> bool {
        let key = self.memo.len() as u64;
        let fits = self.memo_key_fits(key) && self.alloc_fits(MEMO_ENTRY_COST);
        if fits {
            let before = self.memo.len();
            self.memo.put(key, Value::Node(id));
            if self.memo.len() > before {
                self.allocated += MEMO_ENTRY_COST;
            }
        }
        fits
    }
}

/// How `column_int` reads each opcode's int: the bits of its argument, and whether they
/// are signed (`BININT1` and `BININT2` are unsigned, `BININT` is signed); 0 for any
/// other opcode. `LONG1` is read apart, its bits given by its length byte.
const COLUMN_INTS: [(u8, bool); 256] = {
    let mut table = [(0, false); 256];
    table[Opcode::BinInt1.byte() as usize] = (8, false);
    table[Opcode::BinInt2.byte() as usize] = (16, false);
    table[Opcode::BinInt.byte() as usize] = (32, true);
    table
};

/// The int of a `BININT1`, `BININT2`, `BININT` or `LONG1` of at most 8 bytes at the start
/// of `ahead`, and the opcode's length, as [`run_scalar`] reads it; `None` for anything
/// else, and within the input's last ten bytes. In a column of ints of mixed sizes the
/// opcode changes from item to item, and the branch per opcode of a `match` missed a
/// third of the time: here the opcode only chooses values (a table, conditional moves),
/// and the one branch taken on it is whether it is an int at all.
#[inline(always)]
fn column_int(ahead: &[u8]) -> Option<(usize, i64)> {
    const LONG1: u8 = Opcode::Long1.byte();
    let head: &[u8; 10] = ahead.get(..10)?.try_into().ok()?;
    let op = head[0];
    let long = op == LONG1;
    let (table_bits, table_signed) = COLUMN_INTS[usize::from(op)];
    let bits = if long {
        u32::from(head[1]) * 8
    } else {
        u32::from(table_bits)
    };
    if !(table_bits != 0 || (long && head[1] <= 8)) {
        return None;
    }
    let signed = long || table_signed;
    // The argument's bytes, little-endian, with whatever follows them above.
    let at_one = u64::from_le_bytes([
        head[1], head[2], head[3], head[4], head[5], head[6], head[7], head[8],
    ]);
    let at_two = u64::from_le_bytes([
        head[2], head[3], head[4], head[5], head[6], head[7], head[8], head[9],
    ]);
    let raw = if long { at_two } else { at_one };
    // Shift the argument to the top and back, with or without its sign; no bits (a
    // `LONG1` of length 0) is 0.
    let shift = (64 - bits) & 63;
    let top = raw << shift;
    let value = if signed {
        (top as i64) >> shift
    } else {
        (top >> shift) as i64
    };
    let value = if bits == 0 { 0 } else { value };
    let len = 1 + usize::from(long) + bits as usize / 8;
    Some((len, value))
}

/// The scalar opcode at the start of `ahead` that a run of [`Machine::push_scalar_run`]
/// takes (`BININT1`, `BININT2`, `BININT`, `LONG1` of at most 8 bytes, `BINFLOAT`, `NONE`,
/// `NEWTRUE`, `NEWFALSE`), with its length in bytes.
#[inline(always)]
fn run_scalar(ahead: &[u8]) -> Option<(usize, Value)> {
    const BININT1: u8 = Opcode::BinInt1.byte();
    const BININT2: u8 = Opcode::BinInt2.byte();
    const BININT: u8 = Opcode::BinInt.byte();
    const LONG1: u8 = Opcode::Long1.byte();
    const BINFLOAT: u8 = Opcode::BinFloat.byte();
    const NONE: u8 = Opcode::None.byte();
    const NEWTRUE: u8 = Opcode::NewTrue.byte();
    const NEWFALSE: u8 = Opcode::NewFalse.byte();
    Some(match *ahead {
        [BININT1, v, ..] => (2, Value::Int(i64::from(v))),
        [BININT2, a, b, ..] => (3, Value::Int(i64::from(u16::from_le_bytes([a, b])))),
        [BININT, a, b, c, d, ..] => (5, Value::Int(i64::from(i32::from_le_bytes([a, b, c, d])))),
        [LONG1, n @ 0..=8, ref rest @ ..] if rest.len() >= usize::from(n) => {
            let n = usize::from(n);
            (2 + n, Value::Int(text::decode_small_long(&rest[..n])))
        }
        [BINFLOAT, a, b, c, d, e, f, g, h, ..] => (
            9,
            Value::Float(f64::from_be_bytes([a, b, c, d, e, f, g, h])),
        ),
        [NONE, ..] => (1, Value::None),
        [NEWTRUE, ..] => (1, Value::Bool(true)),
        [NEWFALSE, ..] => (1, Value::Bool(false)),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// An int opcode (or a near one) with any argument bytes after it.
    fn int_opcodes() -> impl Strategy<Value = Vec<u8>> {
        let op = proptest::sample::select(vec![
            Opcode::BinInt1.byte(),
            Opcode::BinInt2.byte(),
            Opcode::BinInt.byte(),
            Opcode::Long1.byte(),
            Opcode::BinFloat.byte(),
            Opcode::None.byte(),
            Opcode::Long4.byte(),
        ]);
        let length = prop_oneof![0u8..=9, any::<u8>()];
        (op, length, proptest::collection::vec(any::<u8>(), 0..12))
            .prop_map(|(op, length, rest)| [vec![op, length], rest].concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// The column's decoding is the run's, wherever it takes an opcode at all.
        #[test]
        fn a_column_int_reads_as_the_run_reads(bytes in int_opcodes()) {
            let run = run_scalar(&bytes);
            match column_int(&bytes) {
                Some((len, value)) => prop_assert_eq!(run, Some((len, Value::Int(value)))),
                None => prop_assert!(
                    bytes.len() < 10 || !matches!(run, Some((_, Value::Int(_)))),
                    "{:?} left to the run, which reads {:?}", bytes, run
                ),
            }
        }
    }
}
