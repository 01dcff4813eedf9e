//! The byte budget of `show`: a view for reading, not a dump, so by default it stops after
//! about 64 KiB (a million records would otherwise print 78 MB, and a full model thousands
//! of lines). The budget is checked on the bytes written, not estimated from the graph:
//! whatever the recognizers and the layout make of a node, the output stays bounded, and
//! rendering stops at once, so `show` of a huge pickle costs little more than its load.

use std::io::{self, Write};

/// The error that stops rendering once the budget is spent; [`super::write`] catches it.
#[derive(Debug)]
pub(super) struct Spent;

impl std::fmt::Display for Spent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("show's byte budget is spent")
    }
}

impl std::error::Error for Spent {}

/// Whether `error` is the budget's stop rather than a failed write.
pub(super) fn is_spent(error: &io::Error) -> bool {
    error.get_ref().is_some_and(|e| e.is::<Spent>())
}

/// A writer that passes `left` bytes through, then the rest of the line it is in, then
/// refuses with [`Spent`]: the output ends on a whole line.
pub(super) struct Capped<W> {
    inner: W,
    left: usize,
    /// The budget is spent and the current line is being finished.
    finishing: bool,
    spent: bool,
}

impl<W: Write> Capped<W> {
    pub(super) fn new(inner: W, budget: usize) -> Capped<W> {
        Capped {
            inner,
            left: budget,
            finishing: false,
            spent: false,
        }
    }

    /// The writer, to write the note that says where the output stopped.
    pub(super) fn into_inner(self) -> W {
        self.inner
    }

    /// The budget left: none once it is spent.
    pub(super) fn left(&self) -> usize {
        match self.finishing || self.spent {
            true => 0,
            false => self.left,
        }
    }
}

impl<W: Write> Write for Capped<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.spent {
            return Err(io::Error::other(Spent));
        }
        let mut rest = buf;
        if !self.finishing {
            if rest.len() <= self.left {
                self.left -= rest.len();
                self.inner.write_all(rest)?;
                return Ok(buf.len());
            }
            let (head, tail) = rest.split_at(self.left);
            self.inner.write_all(head)?;
            self.left = 0;
            self.finishing = true;
            rest = tail;
        }
        match rest.iter().position(|&b| b == b'\n') {
            Some(end) => {
                self.inner.write_all(&rest[..=end])?;
                self.spent = true;
                Err(io::Error::other(Spent))
            }
            None => {
                self.inner.write_all(rest)?;
                Ok(buf.len())
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_output_ends_on_the_line_where_the_budget_ran_out() {
        let mut out = Capped::new(Vec::new(), 5);
        out.write_all(b"abc\n").unwrap();
        let error = out.write_all(b"defgh\nijk\n").unwrap_err();
        assert!(is_spent(&error));
        assert!(is_spent(&out.write(b"x").unwrap_err()));
        assert_eq!(out.into_inner(), b"abc\ndefgh\n");
    }

    #[test]
    fn a_budget_never_reached_changes_nothing() {
        let mut out = Capped::new(Vec::new(), 100);
        out.write_all(b"abc\ndef").unwrap();
        assert_eq!(out.into_inner(), b"abc\ndef");
    }
}
