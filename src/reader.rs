//! [`Reader`]: bounds-checked, zero-copy decoding of opcode arguments.
//!
//! Every read checks the bytes that remain before it takes any, so a length field of
//! 2^62 costs nothing but an error. Reads inside a `FRAME` follow `pickle.py`: an
//! argument may not run past the frame's end, and a new frame may not start before the
//! current one is used up.

use crate::error::ErrorKind;

/// A cursor over the input with the frame that is being read, if any.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
    /// The end of the region a read may reach: the frame's end while a frame is read,
    /// the input's otherwise. Never below `pos`.
    end: usize,
    /// Whether `end` is a frame's.
    framed: bool,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `input`.
    #[cfg(test)]
    pub fn new(input: &'a [u8]) -> Reader<'a> {
        Reader::at(input, 0)
    }

    /// A reader at `pos` of `input`, outside any frame.
    pub fn at(input: &'a [u8], pos: usize) -> Reader<'a> {
        Reader {
            input,
            pos: pos.min(input.len()),
            end: input.len(),
            framed: false,
        }
    }

    /// The offset of the next byte to read.
    #[inline]
    pub fn position(&self) -> usize {
        self.pos
    }

    /// How many bytes remain in the input.
    pub fn remaining(&self) -> usize {
        self.input.len() - self.pos
    }

    /// The end of the region a read may reach: the frame's end, or the input's.
    #[inline]
    fn limit(&mut self) -> usize {
        if self.framed && self.pos >= self.end {
            // A frame that is used up ends; reading goes on outside it, as in pickle.py.
            self.leave_frame();
        }
        self.end
    }

    /// The bytes from the position to the end of the region a read may reach (the
    /// frame's end, or the input's): for a loop that decodes a run of small opcodes
    /// itself and then moves on with [`Reader::advance`].
    #[inline]
    pub fn ahead(&mut self) -> &'a [u8] {
        let limit = self.limit();
        &self.input[self.pos..limit]
    }

    /// Moves on `len` bytes, which [`Reader::ahead`] gave.
    #[inline]
    pub fn advance(&mut self, len: usize) {
        debug_assert!(self.pos + len <= self.input.len());
        self.pos += len;
        if self.pos > self.end {
            // Passed over a frame's end (bytes an application's unpickler reads itself):
            // the frame is used up.
            self.leave_frame();
        }
    }

    /// Takes `len` bytes, borrowed from the input.
    #[inline]
    pub fn take(&mut self, len: usize) -> Result<&'a [u8], ErrorKind> {
        // Inside the region as it stands: the common case, one comparison.
        let pos = self.pos;
        if len <= self.end - pos {
            self.pos = pos + len;
            return Ok(&self.input[pos..pos + len]);
        }
        self.take_past_end(len)
    }

    /// [`Reader::take`] of more bytes than the region holds as it stands: a used-up
    /// frame ends first, and then the bytes are there or the read fails.
    #[cold]
    #[inline(never)]
    fn take_past_end(&mut self, len: usize) -> Result<&'a [u8], ErrorKind> {
        let limit = self.limit();
        let available = limit - self.pos;
        if len > available {
            return Err(if limit < self.input.len() {
                ErrorKind::FrameOverrun
            } else {
                ErrorKind::Truncated {
                    needed: (len - available) as u64,
                }
            });
        }
        let bytes = &self.input[self.pos..self.pos + len];
        self.pos += len;
        Ok(bytes)
    }

    /// Takes a length-prefixed payload after checking the length against what remains,
    /// so that no declared length is ever trusted.
    #[inline]
    pub fn take_len(&mut self, len: u64) -> Result<&'a [u8], ErrorKind> {
        let len = usize::try_from(len).map_err(|_| ErrorKind::Truncated { needed: len })?;
        self.take(len)
    }

    /// Takes a fixed-size array.
    #[inline]
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], ErrorKind> {
        let bytes = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    /// Reads one byte.
    #[inline]
    pub fn u8(&mut self) -> Result<u8, ErrorKind> {
        Ok(self.take(1)?[0])
    }

    /// Reads an unsigned little-endian 16-bit integer.
    #[inline]
    pub fn u16_le(&mut self) -> Result<u16, ErrorKind> {
        self.array().map(u16::from_le_bytes)
    }

    /// Reads an unsigned little-endian 32-bit integer.
    #[inline]
    pub fn u32_le(&mut self) -> Result<u32, ErrorKind> {
        self.array().map(u32::from_le_bytes)
    }

    /// Reads a signed little-endian 32-bit integer.
    #[inline]
    pub fn i32_le(&mut self) -> Result<i32, ErrorKind> {
        self.array().map(i32::from_le_bytes)
    }

    /// Reads an unsigned little-endian 64-bit integer.
    #[inline]
    pub fn u64_le(&mut self) -> Result<u64, ErrorKind> {
        self.array().map(u64::from_le_bytes)
    }

    /// Reads a big-endian IEEE-754 double.
    #[inline]
    pub fn f64_be(&mut self) -> Result<f64, ErrorKind> {
        self.array().map(f64::from_be_bytes)
    }

    /// Reads a line and returns it without its `\n`; a line with no newline is truncated
    /// input, as in CPython's C unpickler.
    pub fn line(&mut self) -> Result<&'a [u8], ErrorKind> {
        let limit = self.limit();
        let region = &self.input[self.pos..limit];
        match find_newline(region) {
            Some(len) => {
                let line = &region[..len];
                self.pos += len + 1;
                Ok(line)
            }
            None if limit < self.input.len() => Err(ErrorKind::FrameOverrun),
            None => Err(ErrorKind::Truncated { needed: 1 }),
        }
    }

    /// Starts a frame of `len` bytes at the current position.
    pub fn start_frame(&mut self, len: u64) -> Result<(), ErrorKind> {
        if self.framed && self.pos < self.end {
            return Err(ErrorKind::FrameInsideFrame);
        }
        let remaining = self.remaining() as u64;
        if len > remaining {
            return Err(ErrorKind::Truncated {
                needed: len - remaining,
            });
        }
        self.end = self.pos + len as usize;
        self.framed = true;
        Ok(())
    }

    /// Whether a frame with bytes left is being read.
    pub fn inside_frame(&self) -> bool {
        self.framed && self.pos < self.end
    }

    /// Forgets any frame, as a new `pickle.load` call does.
    pub fn leave_frame(&mut self) {
        self.framed = false;
        self.end = self.input.len();
    }
}

/// Where the first `\n` in `bytes` is. Eight bytes at a time: the lines of protocol 0
/// (an `INT`, a `LONG`, a memo key) are mostly 2 to 22 bytes long.
pub(crate) fn find_newline(bytes: &[u8]) -> Option<usize> {
    const EACH: u64 = 0x0101_0101_0101_0101;
    let mut at = 0;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        // Bytes equal to '\n' become 0; a zero byte's subtraction sets its high bit
        // where the byte's own high bit was clear. Borrows only flag bytes after a true
        // zero, so the lowest flag, the earliest byte, is a newline.
        let zeroed = word ^ (u64::from(b'\n') * EACH);
        let flags = zeroed.wrapping_sub(EACH) & !zeroed & (0x80 * EACH);
        if flags != 0 {
            return Some(at + flags.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    bytes[at..].iter().position(|&b| b == b'\n').map(|i| at + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Any bytes, newlines or not, the bytes that differ from '\n' by one bit or by a
        /// borrow most of all.
        #[test]
        fn find_newline_finds_the_first_newline(
            bytes in proptest::collection::vec(
                proptest::sample::select(vec![b'\n', 0x0b, 0x09, 0x8a, 0x00, 0xff, b'1', b'L']),
                0..40,
            ),
        ) {
            proptest::prop_assert_eq!(
                find_newline(&bytes),
                bytes.iter().position(|&b| b == b'\n')
            );
        }
    }

    #[test]
    fn take_checks_before_it_takes() {
        let mut reader = Reader::new(b"abc");
        assert_eq!(
            reader.take_len(1 << 62),
            Err(ErrorKind::Truncated {
                needed: (1 << 62) - 3
            })
        );
        assert_eq!(reader.take(2), Ok(&b"ab"[..]));
        assert_eq!(reader.position(), 2);
    }

    #[test]
    fn reads_may_not_cross_a_frame_end() {
        let mut reader = Reader::new(b"abcdef");
        reader.start_frame(2).unwrap();
        assert_eq!(reader.take(3), Err(ErrorKind::FrameOverrun));
        assert_eq!(reader.take(2), Ok(&b"ab"[..]));
        assert_eq!(reader.take(3), Ok(&b"cde"[..]));
    }

    #[test]
    fn a_used_up_frame_ends_however_it_was_used_up() {
        // Read to its end, then nothing more: a new frame may start there.
        let mut reader = Reader::new(b"abcdefgh");
        reader.start_frame(2).unwrap();
        assert_eq!(reader.take(2), Ok(&b"ab"[..]));
        assert_eq!(reader.take(0), Ok(&b""[..]));
        reader.start_frame(3).unwrap();
        assert_eq!(reader.start_frame(1), Err(ErrorKind::FrameInsideFrame));
        assert_eq!(reader.ahead(), b"cde");
        // Passed over with `advance`: the bytes after it are read, a frame's no more.
        reader.advance(3);
        assert_eq!(reader.ahead(), b"fgh");
        assert_eq!(reader.take(4), Err(ErrorKind::Truncated { needed: 1 }));
        assert_eq!(reader.u8(), Ok(b'f'));
        // An overrun inside a frame is the frame's, past the input's end the input's.
        let mut reader = Reader::new(b"abc");
        reader.start_frame(2).unwrap();
        assert_eq!(reader.u8(), Ok(b'a'));
        assert_eq!(reader.take(2), Err(ErrorKind::FrameOverrun));
        reader.leave_frame();
        assert_eq!(reader.take(2), Ok(&b"bc"[..]));
        assert_eq!(reader.take(1), Err(ErrorKind::Truncated { needed: 1 }));
    }

    #[test]
    fn a_frame_may_not_start_inside_another() {
        let mut reader = Reader::new(b"abcdef");
        reader.start_frame(2).unwrap();
        assert_eq!(reader.start_frame(1), Err(ErrorKind::FrameInsideFrame));
    }
}
