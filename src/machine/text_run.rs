//! Protocol 0's list of numbers, `I<digits>\n` or `L<digits>L\n` and then `a` (`APPEND`)
//! for each item, taken in one loop: through the dispatch loop, each item was two
//! opcodes and a trip through the stack.

use super::{Machine, SLOT_COST};
use crate::graph::{Stored, Value};
use crate::reader::find_newline;
use crate::text::{self, ParsedInt};

impl<'a> Machine<'a, '_> {
    /// After an `APPEND` to a list: the items that follow it in protocol 0's form, each
    /// int appended to the list where it stands, while none of them could fail.
    #[inline]
    pub(super) fn resume_text_appends(&mut self) {
        let ahead = self.reader.ahead();
        if matches!(ahead.first(), Some(b'I' | b'L')) {
            self.text_appends(ahead);
        }
    }

    /// The loop of [`Machine::resume_text_appends`]. It stops before an item that could
    /// fail or that it does not take (a big int, a malformed line, a full stack or
    /// allocation limit, a list that would have to move), which the dispatch loop then
    /// runs as it always did, with its error.
    #[inline(never)]
    fn text_appends(&mut self, ahead: &'a [u8]) {
        let Ok(Value::Node(list)) = self.stack.top() else {
            return;
        };
        // The `INT` would fail on a full stack, and the `APPEND` on a container other
        // than a list (which the loop then records or refuses).
        if !matches!(self.arena.stored(list), Stored::List(_)) || self.stack.room() == 0 {
            return;
        }
        let max_digits = self.options.max_int_digits;
        let mut at = 0;
        while let Some((len, value)) = text_item(&ahead[at..], max_digits) {
            let charged = self.allocated.saturating_add(SLOT_COST);
            if charged > self.options.max_alloc_bytes || !self.arena.push_item_in_place(list, value)
            {
                break;
            }
            self.allocated = charged;
            at += len;
        }
        self.reader.advance(at);
    }
}

/// The number at the start of `ahead` (`INT` or `LONG`) with the `APPEND` right after
/// it, and their length, when the number fits in 64 bits and parses as the opcode's
/// own parser would.
fn text_item(ahead: &[u8], max_digits: usize) -> Option<(usize, Value)> {
    let (&opcode, rest) = ahead.split_first()?;
    let len = find_newline(rest)?;
    if rest.get(len + 1) != Some(&b'a') {
        return None;
    }
    let line = &rest[..len];
    let small = |digits: &[u8]| match text::parse_int_with_limit(digits, true, max_digits) {
        Ok(ParsedInt::Small(value)) => Some(Value::Int(value)),
        _ => None,
    };
    let value = match (opcode, line) {
        (b'I', b"00") => Value::Bool(false),
        (b'I', b"01") => Value::Bool(true),
        (b'I', _) => small(line)?,
        (b'L', _) => small(line.strip_suffix(b"L").unwrap_or(line))?,
        _ => return None,
    };
    Some((len + 3, value))
}
