//! Opcodes of the stack and the memo: `POP`, `DUP`, `MARK`, `POP_MARK`, the gets and puts.

use super::budget::MEMO_ENTRY_COST;
use super::Machine;
use crate::error::ErrorKind;
use crate::opcode::Opcode;
use crate::text::{self, ParsedInt};

impl<'a> Machine<'a, '_> {
    pub(super) fn op_pop(&mut self) -> Result<(), ErrorKind> {
        if let Some(value) = self.stack.pop_or_unmark()? {
            self.discard(value, Opcode::Pop);
        }
        Ok(())
    }

    pub(super) fn op_dup(&mut self) -> Result<(), ErrorKind> {
        let top = self.stack.top()?;
        self.arena.note_pushed_again(top);
        self.stack.push(top)
    }

    pub(super) fn op_mark(&mut self) -> Result<(), ErrorKind> {
        self.stack.align_wides(self.arena.wides_len());
        self.stack.push_mark()?;
        self.push_scalar_run();
        Ok(())
    }

    pub(super) fn op_pop_mark(&mut self) -> Result<(), ErrorKind> {
        let items = self.stack.pop_mark()?;
        for value in items {
            self.discard(value, Opcode::PopMark);
        }
        Ok(())
    }

    pub(super) fn memo_get(&mut self, key: u64) -> Result<(), ErrorKind> {
        let value = self.memo.get(key).ok_or(ErrorKind::MissingMemo(key))?;
        self.arena.note_pushed_again(value);
        self.stack.push(value)
    }

    // Inlined: `MEMOIZE` follows every str and container, and a call for it cost records
    // a twelfth more instructions.
    #[inline(always)]
    pub(super) fn memo_put(&mut self, key: u64) -> Result<(), ErrorKind> {
        self.admit_memo_key(key)?;
        let top = self.stack.top()?;
        let before = self.memo.len();
        self.memo.put(key, top);
        if self.memo.len() > before {
            // One byte of MEMOIZE makes a memo entry: charged, so a gigabyte of them is
            // refused by the allocation limit rather than taking 32 GB.
            self.charge(MEMO_ENTRY_COST)?;
        }
        Ok(())
    }

    pub(super) fn decimal_key(&mut self, what: &'static str) -> Result<Option<u64>, ErrorKind> {
        let line = self.reader.line()?;
        match text::parse_int(line, false).map_err(Self::malformed(what))? {
            ParsedInt::Small(key) if key >= 0 => Ok(Some(key as u64)),
            ParsedInt::Small(_) => Ok(None),
            ParsedInt::Big(key) if key.sign() == num_bigint::Sign::Minus => Ok(None),
            ParsedInt::Big(_) => Ok(Some(u64::MAX)),
        }
    }

    pub(super) fn op_get(&mut self) -> Result<(), ErrorKind> {
        let key = self.decimal_key("GET")?;
        // A negative key is simply absent from the memo.
        self.memo_get(key.unwrap_or(u64::MAX))
    }

    pub(super) fn op_binget(&mut self) -> Result<(), ErrorKind> {
        let key = self.reader.u8()?;
        self.memo_get(u64::from(key))
    }

    pub(super) fn op_long_binget(&mut self) -> Result<(), ErrorKind> {
        let key = self.reader.u32_le()?;
        self.memo_get(u64::from(key))
    }

    pub(super) fn op_put(&mut self) -> Result<(), ErrorKind> {
        let key = self.decimal_key("PUT")?.ok_or(ErrorKind::NegativePut)?;
        self.memo_put(key)
    }

    pub(super) fn op_binput(&mut self) -> Result<(), ErrorKind> {
        let key = self.reader.u8()?;
        self.memo_put(u64::from(key))
    }

    pub(super) fn op_long_binput(&mut self) -> Result<(), ErrorKind> {
        let key = self.reader.u32_le()?;
        self.memo_put(u64::from(key))
    }

    pub(super) fn op_memoize(&mut self) -> Result<(), ErrorKind> {
        let key = self.memo.len() as u64;
        self.memo_put(key)
    }
}
