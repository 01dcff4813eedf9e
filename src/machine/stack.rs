//! The machine's stack and mark stack.
//!
//! A mark is the stack height when `MARK` ran; the topmost mark is a fence that no
//! opcode may pop below, exactly as CPython's C unpickler keeps it.

use crate::error::ErrorKind;
use crate::graph::Value;

/// The value stack with its marks.
#[derive(Debug, Default)]
pub struct Stack {
    values: Vec<Value>,
    marks: Vec<usize>,
    max: usize,
    /// What the running opcode has popped, so that when it fails the stack can be shown
    /// as the opcode found it.
    popped: Vec<Value>,
}

impl Stack {
    /// An empty stack that refuses to hold more than `max` values and marks together.
    pub fn new(max: usize) -> Stack {
        Stack {
            values: Vec::new(),
            marks: Vec::new(),
            max,
            popped: Vec::new(),
        }
    }

    #[inline]
    fn fence(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
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
        self.max
            .saturating_sub(self.values.len() + self.marks.len())
    }

    /// Pushes a value.
    #[inline]
    pub fn push(&mut self, value: Value) -> Result<(), ErrorKind> {
        self.check_room(1)?;
        self.values.push(value);
        Ok(())
    }

    /// Pushes a value that the caller made room for (see [`Stack::room`]).
    #[inline(always)]
    pub fn push_within_room(&mut self, value: Value) {
        debug_assert!(self.room() > 0, "no room for a value");
        self.values.push(value);
    }

    /// How many values the stack holds, marks aside.
    #[inline]
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Pushes every value of `values`, checking the room once for all of them.
    #[inline]
    pub fn push_all(
        &mut self,
        values: impl ExactSizeIterator<Item = Value>,
    ) -> Result<(), ErrorKind> {
        self.check_room(values.len())?;
        self.values.extend(values);
        Ok(())
    }

    /// Pops the top value, which must lie above the topmost mark.
    #[inline]
    pub fn pop(&mut self) -> Result<Value, ErrorKind> {
        if self.values.len() <= self.fence() {
            return Err(ErrorKind::StackUnderflow);
        }
        let value = self.values.pop().ok_or(ErrorKind::StackUnderflow)?;
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
            self.values.push(value);
        }
    }

    /// The top value, which must lie above the topmost mark.
    #[inline]
    pub fn top(&self) -> Result<Value, ErrorKind> {
        if self.values.len() <= self.fence() {
            return Err(ErrorKind::StackUnderflow);
        }
        self.values.last().copied().ok_or(ErrorKind::StackUnderflow)
    }

    /// The top value, by reference, which must lie above the topmost mark: reading
    /// only the fields a caller matches on, where a copy of the whole value just pushed
    /// would wait for the push's partial stores.
    #[inline]
    pub fn top_ref(&self) -> Result<&Value, ErrorKind> {
        if self.values.len() <= self.fence() {
            return Err(ErrorKind::StackUnderflow);
        }
        self.values.last().ok_or(ErrorKind::StackUnderflow)
    }

    /// Replaces the top value.
    pub fn replace_top(&mut self, value: Value) -> Result<(), ErrorKind> {
        self.top()?;
        if let Some(top) = self.values.last_mut() {
            *top = value;
        }
        Ok(())
    }

    /// Pushes a mark at the current height.
    #[inline]
    pub fn push_mark(&mut self) -> Result<(), ErrorKind> {
        self.check_room(1)?;
        self.marks.push(self.values.len());
        Ok(())
    }

    /// Removes the topmost mark and returns the values above it, bottom first.
    ///
    /// The values move as one block copy (`split_off`): moved one by one through an
    /// iterator of `Option<Value>`, each went through memory in overlapping parts and
    /// stalled, a third of the time of loading a list of ints.
    #[inline]
    pub fn pop_mark(&mut self) -> Result<Vec<Value>, ErrorKind> {
        let mark = self.marks.pop().ok_or(ErrorKind::MissingMark)?;
        debug_assert!(mark <= self.values.len(), "mark above the stack top");
        Ok(self.values.split_off(mark))
    }

    /// Removes the topmost mark and the values above it (read them first with
    /// [`Stack::above_mark`]).
    #[inline]
    pub fn drop_mark(&mut self) -> Result<(), ErrorKind> {
        let mark = self.marks.pop().ok_or(ErrorKind::MissingMark)?;
        self.values.truncate(mark);
        Ok(())
    }

    /// The value just below the topmost mark, if there is a mark and the value lies above
    /// the mark before it: the target of `APPENDS` and `SETITEMS`.
    #[inline]
    pub fn below_mark(&self) -> Option<Value> {
        let (&mark, lower) = self.marks.split_last()?;
        let fence = lower.last().copied().unwrap_or(0);
        if mark > fence {
            self.values.get(mark - 1).copied()
        } else {
            None
        }
    }

    /// The values above the topmost mark, bottom first, without removing them.
    #[inline]
    pub fn above_mark(&self) -> Result<&[Value], ErrorKind> {
        let &mark = self.marks.last().ok_or(ErrorKind::MissingMark)?;
        Ok(&self.values[mark..])
    }

    /// `POP` with nothing above the topmost mark removes that mark (CPython does so).
    pub fn pop_or_unmark(&mut self) -> Result<Option<Value>, ErrorKind> {
        match self.marks.last() {
            Some(&mark) if mark == self.values.len() => {
                self.marks.pop();
                Ok(None)
            }
            _ => self.pop().map(Some),
        }
    }

    /// Takes every value, leaving the stack empty.
    pub fn take_values(&mut self) -> Vec<Value> {
        self.marks.clear();
        std::mem::take(&mut self.values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_all_takes_all_or_none() {
        let mut stack = Stack::new(4);
        stack.push_mark().unwrap();
        assert_eq!(stack.room(), 3);
        let values = |n: i64| (0..n).map(Value::Int).collect::<Vec<_>>().into_iter();
        assert_eq!(
            stack.push_all(values(4)),
            Err(ErrorKind::LimitExceeded {
                limit: "stack",
                max: 4
            })
        );
        assert_eq!(stack.room(), 3);
        stack.push_all(values(3)).unwrap();
        assert_eq!(stack.room(), 0);
        assert_eq!(stack.pop(), Ok(Value::Int(2)));
    }
}
