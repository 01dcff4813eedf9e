//! Protocol 0's list of numbers, `I<digits>\n` or `L<digits>L\n` and then `a` (`APPEND`)
//! for each item, taken in one loop: through the dispatch loop, each item was two
//! opcodes and a trip through the stack.

use super::budget::SLOT_COST;
use super::Machine;
use crate::graph::{Stored, Value};
use crate::reader::find_newline;
use crate::text::{self, NumberLine, ParsedInt};

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
    /// fail or that it does not take (a big int, a malformed line, the allocation limit,
    /// a list that would have to move), which the dispatch loop then
    /// runs as it always did, with its error.
    #[inline(never)]
    fn text_appends(&mut self, ahead: &'a [u8]) {
        let Ok(Value::Node(list)) = self.stack.top() else {
            return;
        };
        // The `APPEND` would not take an int for a container other than a list (the
        // loop records or refuses it). Each `INT` has the stack's room: the `APPEND`
        // before it has just popped a value.
        if !matches!(self.arena.stored(list), Stored::List(_)) {
            return;
        }
        let max_digits = self.options.max_int_digits;
        let mut at = 0;
        while let Some((len, value)) = text_item(&ahead[at..], max_digits) {
            if !self.alloc_fits(SLOT_COST) || !self.arena.push_item_in_place(list, value) {
                break;
            }
            self.allocated += SLOT_COST;
            at += len;
        }
        self.reader.advance(at);
    }
}

/// The number at the start of `ahead` (`INT` or `LONG`) with the `APPEND` right after
/// it, and their length, when the number fits in 64 bits: read as the opcode reads it
/// ([`Machine::push_number_line`]). Inlined: called, it cost protocol 0's list of ints
/// a tenth more instructions.
#[inline(always)]
fn text_item(ahead: &[u8], max_digits: usize) -> Option<(usize, Value)> {
    let (&opcode, rest) = ahead.split_first()?;
    let len = find_newline(rest)?;
    if rest.get(len + 1) != Some(&b'a') {
        return None;
    }
    let long = match opcode {
        b'I' => false,
        b'L' => true,
        _ => return None,
    };
    let value = match text::number_line(&rest[..len], long) {
        NumberLine::Bool(value) => Value::Bool(value),
        NumberLine::Digits(digits) => match text::parse_int_with_limit(digits, true, max_digits) {
            Ok(ParsedInt::Small(value)) => Value::Int(value),
            _ => return None,
        },
    };
    Some((len + 3, value))
}
