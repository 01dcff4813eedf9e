//! The machine's stack and mark stack.
//!
//! A mark is the stack height when `MARK` ran; the topmost mark is a fence that no
//! opcode may pop below, exactly as CPython's C unpickler keeps it.
//!
//! Values are held packed, as containers hold their items ([`Slot`]s): the items above
//! a mark then go into a list, tuple or dict as one copy, where each was packed on the
//! way before (a tenth of the instructions of a load of nested containers). A wide value
//! lies in the stack's own side table, which follows the stack: the n-th wide slot from
//! the bottom holds index n, so popping slots pops the words of the wide ones among them,
//! and a mark notes the table's length with the stack's height.

use crate::error::ErrorKind;
use crate::graph::{Packed, Slot, Value};

/// The value stack with its marks.
#[derive(Debug, Default)]
pub struct Stack {
    slots: Vec<Slot>,
    /// The words of the wide slots, in stack order (see the module documentation).
    wides: Vec<u64>,
    /// The index of the first word of `wides`: set, while no slot is wide, to the
    /// length of the arena's own table, so that a list's items copied into the arena
    /// keep their indices as they are.
    origin: usize,
    marks: Vec<Mark>,
    max: usize,
    /// What the running opcode has popped, so that when it fails the stack can be shown
    /// as the opcode found it.
    popped: Vec<Value>,
}

/// A mark: the stack's height and the length of its table of wide values when `MARK`
/// ran. The wide slots above it hold the words from `wides` on.
#[derive(Debug, Clone, Copy)]
struct Mark {
    height: usize,
    wides: usize,
}

impl Stack {
    /// An empty stack that refuses to hold more than `max` values and marks together.
    pub fn new(max: usize) -> Stack {
        Stack {
            max,
            ..Stack::default()
        }
    }

    #[inline]
    fn fence(&self) -> usize {
        self.marks.last().map_or(0, |mark| mark.height)
    }

    #[inline]
    fn check_room(&self, count: usize) -> Result<(), ErrorKind> {
        if count > self.room() {
            return Err(ErrorKind::LimitExceeded {
                limit: "stack",
                max: self.max as u64,
            });
        }
        Ok(())
    }

    /// How many more values (or marks) may be pushed.
    #[inline]
    pub fn room(&self) -> usize {
        self.max.saturating_sub(self.slots.len() + self.marks.len())
    }

    /// Pushes a value.
    #[inline]
    pub fn push(&mut self, value: Value) -> Result<(), ErrorKind> {
        self.check_room(1)?;
        self.push_within_room(value);
        Ok(())
    }

    /// `value` as a slot of this stack, its word (if it is wide) added to the table.
    #[inline(always)]
    fn pack(&mut self, value: Value) -> Slot {
        Slot::pack_from(value, &mut self.wides, self.origin)
    }

    /// A slot of this stack, unpacked.
    #[inline(always)]
    fn unpack(&self, slot: Slot) -> Value {
        slot.unpack_from(&self.wides, self.origin)
    }

    /// Pushes a value that the caller made room for (see [`Stack::room`]).
    #[inline(always)]
    pub fn push_within_room(&mut self, value: Value) {
        debug_assert!(self.room() > 0, "no room for a value");
        let slot = self.pack(value);
        self.slots.push(slot);
    }

    /// How many values the stack holds, marks aside.
    #[inline]
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Removes the top slot, unpacked, with its word if it is wide (the last word).
    #[inline]
    fn pop_slot(&mut self) -> Option<Value> {
        let slot = self.slots.pop()?;
        let value = self.unpack(slot);
        if slot.wide_index().is_some() {
            self.wides.pop();
        }
        Some(value)
    }

    /// Cuts the stack back to `mark`, with the words of the wide slots above it.
    #[inline]
    fn truncate(&mut self, mark: Mark) {
        self.slots.truncate(mark.height);
        self.wides.truncate(mark.wides);
    }

    /// Pops the top value, which must lie above the topmost mark.
    #[inline]
    pub fn pop(&mut self) -> Result<Value, ErrorKind> {
        if self.slots.len() <= self.fence() {
            return Err(ErrorKind::StackUnderflow);
        }
        let value = self.pop_slot().ok_or(ErrorKind::StackUnderflow)?;
        self.popped.push(value);
        Ok(value)
    }

    /// Forgets what the previous opcode popped; called before each opcode.
    #[inline]
    pub fn begin_opcode(&mut self) {
        self.popped.clear();
    }

    /// Puts back what the failing opcode popped with [`Stack::pop`].
    pub fn restore_popped(&mut self) {
        while let Some(value) = self.popped.pop() {
            self.push_within_room(value);
        }
    }

    /// The top value, which must lie above the topmost mark.
    #[inline]
    pub fn top(&self) -> Result<Value, ErrorKind> {
        if self.slots.len() <= self.fence() {
            return Err(ErrorKind::StackUnderflow);
        }
        let slot = self.slots.last().ok_or(ErrorKind::StackUnderflow)?;
        Ok(self.unpack(*slot))
    }

    /// Replaces the top value.
    pub fn replace_top(&mut self, value: Value) -> Result<(), ErrorKind> {
        self.top()?;
        self.pop_slot();
        self.push_within_room(value);
        Ok(())
    }

    /// Makes `origin` the index of the stack's first wide word when no slot is wide:
    /// the arena's table's length, before a mark whose items the arena may copy.
    #[inline]
    pub fn align_wides(&mut self, origin: usize) {
        if self.wides.is_empty() {
            self.origin = origin;
        }
    }

    /// Pushes a mark at the current height.
    #[inline]
    pub fn push_mark(&mut self) -> Result<(), ErrorKind> {
        self.check_room(1)?;
        self.marks.push(Mark {
            height: self.slots.len(),
            wides: self.wides.len(),
        });
        Ok(())
    }

    /// Removes the topmost mark and returns the values above it, bottom first.
    #[inline]
    pub fn pop_mark(&mut self) -> Result<Vec<Value>, ErrorKind> {
        let mark = self.marks.pop().ok_or(ErrorKind::MissingMark)?;
        debug_assert!(mark.height <= self.slots.len(), "mark above the stack top");
        let (wides, origin) = (&self.wides, self.origin);
        let values = self.slots[mark.height..]
            .iter()
            .map(|slot| slot.unpack_from(wides, origin))
            .collect();
        self.truncate(mark);
        Ok(values)
    }

    /// Removes the topmost mark and the values above it (read them first with
    /// [`Stack::above_mark`]).
    #[inline]
    pub fn drop_mark(&mut self) -> Result<(), ErrorKind> {
        let mark = self.marks.pop().ok_or(ErrorKind::MissingMark)?;
        self.truncate(mark);
        Ok(())
    }

    /// The value just below the topmost mark, if there is a mark and the value lies above
    /// the mark before it: the target of `APPENDS` and `SETITEMS`.
    #[inline]
    pub fn below_mark(&self) -> Option<Value> {
        let (mark, lower) = self.marks.split_last()?;
        let fence = lower.last().map_or(0, |mark| mark.height);
        if mark.height > fence {
            (self.slots.get(mark.height - 1)).map(|slot| self.unpack(*slot))
        } else {
            None
        }
    }

    /// The values above the topmost mark, bottom first, packed, without removing them.
    #[inline]
    pub fn above_mark(&self) -> Result<Packed<'_>, ErrorKind> {
        let mark = self.marks.last().ok_or(ErrorKind::MissingMark)?;
        Ok(Packed::new(
            &self.slots[mark.height..],
            &self.wides[mark.wides..],
            self.origin + mark.wides,
        ))
    }

    /// `POP` with nothing above the topmost mark removes that mark (CPython does so).
    pub fn pop_or_unmark(&mut self) -> Result<Option<Value>, ErrorKind> {
        match self.marks.last() {
            Some(mark) if mark.height == self.slots.len() => {
                self.marks.pop();
                Ok(None)
            }
            _ => self.pop().map(Some),
        }
    }

    /// Takes every value, leaving the stack empty.
    pub fn take_values(&mut self) -> Vec<Value> {
        self.marks.clear();
        let wides = std::mem::take(&mut self.wides);
        let slots = std::mem::take(&mut self.slots);
        (slots.iter())
            .map(|slot| slot.unpack_from(&wides, self.origin))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Arena, ContainerKind, FlatValues};

    #[test]
    fn the_room_counts_values_and_marks() {
        let mut stack = Stack::new(4);
        stack.push_mark().unwrap();
        assert_eq!(stack.room(), 3);
        for v in 0..3 {
            stack.push(Value::Int(v)).unwrap();
        }
        let full = Err(ErrorKind::LimitExceeded {
            limit: "stack",
            max: 4,
        });
        assert_eq!(stack.push(Value::Int(3)), full);
        assert_eq!(stack.pop(), Ok(Value::Int(2)));
    }

    /// Wide values (ints past 48 bits, NaNs with a payload in the tagged corner) come
    /// back exactly through every way off the stack, with narrow ones around them.
    #[test]
    fn wide_values_leave_the_stack_exactly() {
        let odd_nan = f64::from_bits(0xFFFD_0000_0000_0007);
        let values = [
            Value::Int(i64::MAX),
            Value::Int(5),
            Value::Float(odd_nan),
            Value::Node(crate::graph::NodeId::from_index(3)),
            Value::Int(i64::MIN),
            Value::Float(1.5),
        ];
        let same = |a: &[Value], b: &[Value]| {
            a.len() == b.len()
                && a.iter().zip(b).all(|(x, y)| match (x, y) {
                    (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
                    _ => x == y,
                })
        };
        let mut stack = Stack::new(100);
        stack.push(Value::Int(1 << 60)).unwrap();
        stack.push_mark().unwrap();
        for &value in &values {
            stack.push(value).unwrap();
        }
        // Read in place, and copied into a container of an arena with wide values of
        // its own already.
        let above = stack.above_mark().unwrap();
        let read: Vec<Value> = (0..above.len()).map(|i| above.value(i)).collect();
        assert!(same(&read, &values), "{read:?}");
        let mut arena = Arena::default();
        // Two wide words in the arena before, one below the mark on the stack: the
        // indices move by one, then by four.
        let first = arena
            .push_container(
                ContainerKind::List,
                &[Value::Int(-1 << 50), Value::Int(1 << 49)],
            )
            .unwrap();
        let id = arena.push_container(ContainerKind::List, &above).unwrap();
        arena.append(first, &above).unwrap();
        let stored: Vec<Value> = (0..values.len()).map(|i| arena.slot(id, i)).collect();
        assert!(same(&stored, &values), "{stored:?}");
        let appended: Vec<Value> = (2..2 + values.len())
            .map(|i| arena.slot(first, i))
            .collect();
        assert!(same(&appended, &values), "{appended:?}");
        assert_eq!(arena.slot(first, 1), Value::Int(1 << 49));
        // Popped one by one, then as a mark's items, then what lies below the mark.
        let top = stack.pop().unwrap();
        assert_eq!(top, Value::Float(1.5));
        stack.push(Value::Int(i64::MIN + 1)).unwrap();
        let mut expected = values.to_vec();
        expected[5] = Value::Int(i64::MIN + 1);
        let items = stack.pop_mark().unwrap();
        assert!(same(&items, &expected), "{items:?}");
        // The words of the wide values popped went with them.
        assert_eq!(stack.wides, [1 << 60]);
        stack.push(Value::Int(-(1 << 55))).unwrap();
        assert_eq!(
            stack.take_values(),
            vec![Value::Int(1 << 60), Value::Int(-(1 << 55))]
        );
    }
}
