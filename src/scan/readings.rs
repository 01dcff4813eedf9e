//! The bytes as each of CPython's unpicklers reads them, for a scan that must report what
//! either would import or call.
//!
//! picklegraph's machine reads frames as `pickle.py` does, but refuses a `FRAME` that
//! claims more bytes than follow, as the C unpickler does. The two unpicklers disagree
//! with each other, and so with any one reading, on malformed input:
//!
//! - **C** (`pickle.Unpickler`, `pickle.load`, `pickle.loads`): a `FRAME` only checks that
//!   its bytes are there; reads then run straight through frame ends, and a `FRAME` may
//!   start inside another. Each `load` call of a stream starts right after the `STOP`.
//! - **Python** (`pickle._Unpickler`: `joblib.load`, PyPy): a `FRAME` that claims more
//!   bytes than follow reads what there is and goes on; a line at the end of the input
//!   without its newline loses its last character (`copy_reg\n_reconstructor` imports
//!   `copy_reg._reconstructo`); a `STOP` inside a frame ends the `load` call, and the next
//!   one starts after the frame, so the bytes between are never read.
//!
//! [`walk`] follows one unpickler over the bytes, opcode by opcode with the opcode table's
//! argument kinds, and notes each place where that unpickler's reading leaves
//! picklegraph's ([`Divergence`]). Where there is none, the machine's reading is that
//! unpickler's. Where there is one, the walk writes out each pickle as a flat, frameless
//! copy of the bytes the unpickler consumed ([`Linear`]), which the machine then loads
//! like any pickle; the scan reports the union of what every reading finds.

use crate::opcode::{ArgKind, Opcode};

/// One of CPython's unpicklers, with the way it is given the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unpickler {
    /// The C unpickler reading memory (`pickle.loads`), or a file it can `peek` into
    /// (`pickle.load(open(path, 'rb'))`, frames under its 128 KiB prefetch): the bytes
    /// in a row, frames only checked.
    C,
    /// The C unpickler reading a file without `peek` (an `io.BytesIO`), or a frame of
    /// 128 KiB or more from any file: each frame is read from the file into a buffer,
    /// and a read that runs past the buffer's end drops the rest of it and reads on from
    /// the file after it.
    CFile,
    /// The pure-Python `pickle._Unpickler` (what `joblib.load` and PyPy use).
    Python,
}

impl Unpickler {
    /// Every unpickler the scan reads as.
    pub const ALL: [Unpickler; 3] = [Unpickler::C, Unpickler::CFile, Unpickler::Python];

    /// How reports name it.
    pub fn name(self) -> &'static str {
        match self {
            Unpickler::C => "CPython's C unpickler (pickle.loads, pickle.load of a file)",
            Unpickler::CFile => "CPython's C unpickler reading frames from a file object (pickle.load of io.BytesIO, frames of 128 KiB or more)",
            Unpickler::Python => "pickle._Unpickler (pure Python: joblib.load, PyPy)",
        }
    }
}

/// A place where an unpickler reads the bytes otherwise than picklegraph's machine does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Divergence {
    /// The offset of the opcode where the readings part.
    pub offset: usize,
    /// What the unpickler does there.
    pub what: &'static str,
}

/// One pickle as an unpickler reads it: the bytes it consumed, frames taken out, so the
/// machine reads them exactly as that unpickler did.
#[derive(Debug, Clone, Default)]
pub struct Linear {
    /// Where the pickle starts in the input.
    pub start: usize,
    /// The opcodes and their arguments, one after another, without `FRAME`s.
    pub bytes: Vec<u8>,
    /// For each opcode, `(offset in bytes, offset in the input)`, in order.
    pub offsets: Vec<(usize, usize)>,
}

impl Linear {
    /// The input offset of the opcode at `offset` in [`Linear::bytes`] (or of the one
    /// before it).
    pub fn original(&self, offset: usize) -> usize {
        let at = self
            .offsets
            .partition_point(|&(linear, _)| linear <= offset);
        match at.checked_sub(1).and_then(|i| self.offsets.get(i)) {
            Some(&(linear, original)) => original + (offset - linear),
            None => offset,
        }
    }
}

/// A walk of the whole input as one unpickler reads it with repeated `load` calls.
#[derive(Debug, Clone, Default)]
pub struct Reading {
    /// Where this unpickler's reading leaves picklegraph's.
    pub divergences: Vec<Divergence>,
    /// Each pickle as the unpickler read it, when the walk was asked to write them.
    pub pickles: Vec<Linear>,
}

/// Walks `input` as `unpickler` reads it, pickle after pickle until the input ends or a
/// read fails; with `write`, keeps each pickle's bytes as [`Linear`].
///
/// The walk allocates nothing without `write`, and with it at most the input's size
/// (every byte is consumed at most once: a `STOP` ends a pickle, and the next starts at
/// or after it).
/// ```
/// use picklegraph::scan::readings::{walk, Unpickler};
/// // GLOBAL 'copy_reg _reconstructor' without its last newline.
/// let input = b"ccopy_reg\n_reconstructor";
/// assert!(walk(input, Unpickler::C, false).divergences.is_empty());
/// let python = walk(input, Unpickler::Python, true);
/// assert_eq!(python.pickles[0].bytes, b"ccopy_reg\n_reconstructo\n");
/// ```
pub fn walk(input: &[u8], unpickler: Unpickler, write: bool) -> Reading {
    let mut walker = Walker {
        input,
        unpickler,
        pos: 0,
        frame_end: None,
        buffer_end: 0,
        reading: Reading::default(),
        write,
        current: Linear::default(),
    };
    walker.run();
    walker.reading
}

/// Why a pickle's walk ended.
enum End {
    /// `STOP`: the next `load` call starts at the position.
    Stop,
    /// The unpickler raises here (or the input ended): no more pickles.
    Fail,
}

struct Walker<'a> {
    input: &'a [u8],
    unpickler: Unpickler,
    pos: usize,
    /// The end of the frame being read, as pickle.py (and picklegraph) keep it.
    frame_end: Option<usize>,
    /// [`Unpickler::CFile`]: the end of the bytes read from the file so far; bytes
    /// before it and after the position are buffered, bytes after it are the file's.
    buffer_end: usize,
    reading: Reading,
    write: bool,
    current: Linear,
}

impl<'a> Walker<'a> {
    fn run(&mut self) {
        while self.pos < self.input.len() {
            self.frame_end = None;
            self.buffer_end = self.pos;
            self.current = Linear {
                start: self.pos,
                ..Linear::default()
            };
            let end = self.pickle();
            if self.write {
                let pickle = std::mem::take(&mut self.current);
                self.reading.pickles.push(pickle);
            }
            match end {
                End::Stop => {}
                End::Fail => break,
            }
        }
    }

    fn diverge(&mut self, offset: usize, what: &'static str) {
        self.reading.divergences.push(Divergence { offset, what });
    }

    fn emit(&mut self, bytes: &[u8]) {
        if self.write {
            self.current.bytes.extend_from_slice(bytes);
        }
    }

    /// One pickle, from the position to its `STOP` or to the read that fails.
    fn pickle(&mut self) -> End {
        loop {
            let start = self.pos;
            let Some(byte) = self.read(1, start).map(|b| b[0]) else {
                return End::Fail;
            };
            let Some(opcode) = Opcode::from_byte(byte) else {
                return End::Fail;
            };
            if opcode == Opcode::Frame {
                if !self.frame(start) {
                    return End::Fail;
                }
                continue;
            }
            if self.write {
                let linear = self.current.bytes.len();
                self.current.offsets.push((linear, start));
                self.current.bytes.push(byte);
            }
            if !self.argument(opcode, start) {
                return End::Fail;
            }
            if opcode == Opcode::Stop {
                let buffered = match self.unpickler {
                    Unpickler::C => None,
                    Unpickler::CFile => Some(self.buffer_end),
                    Unpickler::Python => self.frame_end,
                };
                if let Some(end) = buffered.filter(|&end| end > self.pos) {
                    // The frame was read from the file whole: the next load call
                    // starts after it.
                    self.diverge(start, "ends the pickle inside a frame; the next load call starts after the frame, not after the STOP");
                    self.pos = end;
                }
                return End::Stop;
            }
        }
    }

    /// `FRAME`: false when the unpickler raises.
    fn frame(&mut self, start: usize) -> bool {
        let Some(len) = self.read(8, start) else {
            return false;
        };
        let len = u64::from_le_bytes(len.try_into().expect("eight bytes"));
        let remaining = (self.input.len() - self.pos) as u64;
        let unused = self.frame_end.is_some_and(|end| end > self.pos);
        match self.unpickler {
            Unpickler::C => {
                if len > remaining {
                    return false;
                }
                if unused {
                    self.diverge(
                        start,
                        "starts a frame inside a frame that is not used up, and reads on",
                    );
                }
                self.frame_end = Some(self.pos + len as usize);
                true
            }
            Unpickler::CFile => {
                let buffered = self.buffer_end - self.pos;
                if len <= buffered as u64 {
                    if buffered > 0 {
                        self.diverge(
                            start,
                            "starts a frame inside a frame that is not used up, and reads on",
                        );
                    }
                    return true;
                }
                self.drop_buffer(start);
                if len > (self.input.len() - self.pos) as u64 {
                    return false;
                }
                self.buffer_end = self.pos + len as usize;
                true
            }
            Unpickler::Python => {
                if unused || len > i64::MAX as u64 {
                    return false;
                }
                if len > remaining {
                    self.diverge(
                        start,
                        "reads a FRAME that claims more bytes than follow, and goes on",
                    );
                }
                self.frame_end = Some(self.pos + len.min(remaining) as usize);
                true
            }
        }
    }

    /// [`Unpickler::CFile`]: a read that the buffer cannot satisfy drops what is left of
    /// it and reads on from the file.
    fn drop_buffer(&mut self, start: usize) {
        if self.buffer_end > self.pos {
            self.diverge(
                start,
                "reads past the frame's end: drops the rest of the frame and reads on after it",
            );
            self.pos = self.buffer_end;
        }
    }

    /// Reads `n` bytes as the unpickler would; `None` when it raises, or when a short
    /// read at the input's end leaves nothing more to read.
    fn read(&mut self, n: usize, start: usize) -> Option<&'a [u8]> {
        let input = self.input;
        if self.unpickler == Unpickler::CFile {
            if n > self.buffer_end - self.pos {
                self.drop_buffer(start);
                let bytes = input.get(self.pos..self.pos.checked_add(n)?)?;
                self.pos += n;
                self.buffer_end = self.pos;
                return Some(bytes);
            }
            self.pos += n;
            return Some(&input[self.pos - n..self.pos]);
        }
        let available = input.len() - self.pos;
        if let Some(end) = self.frame_end {
            if self.pos >= end {
                // A used-up frame ends; reading goes on outside it.
                self.frame_end = None;
            } else if n > end - self.pos {
                match self.unpickler {
                    Unpickler::Python => return None,
                    Unpickler::C if n <= available => {
                        self.diverge(start, "reads past the frame's end");
                    }
                    Unpickler::C | Unpickler::CFile => return None,
                }
            }
        }
        if n > available {
            return None;
        }
        let bytes = &input[self.pos..self.pos + n];
        self.pos += n;
        Some(bytes)
    }

    /// Reads a line as the unpickler would and writes it with its newline; false when
    /// it raises.
    fn line(&mut self, start: usize) -> bool {
        let input = self.input;
        if self.unpickler == Unpickler::CFile {
            let buffered = &input[self.pos..self.buffer_end];
            if !buffered.contains(&b'\n') {
                self.drop_buffer(start);
            }
        }
        let rest = &input[self.pos..];
        let newline = rest.iter().position(|&b| b == b'\n');
        if let Some(end) = self.frame_end {
            if self.pos >= end {
                self.frame_end = None;
            } else {
                let in_frame = &input[self.pos..end];
                if !in_frame.contains(&b'\n') {
                    match self.unpickler {
                        Unpickler::Python => return false,
                        Unpickler::C if newline.is_some() => {
                            self.diverge(start, "reads a line past the frame's end");
                        }
                        Unpickler::C | Unpickler::CFile => return false,
                    }
                }
            }
        }
        match newline {
            Some(len) => {
                let line = &rest[..=len];
                self.pos += len + 1;
                self.buffer_end = self.buffer_end.max(self.pos);
                self.emit(line);
                true
            }
            None if self.unpickler == Unpickler::Python && self.frame_end.is_none() => {
                // `readline()[:-1]` of a last line without its newline drops a character.
                self.diverge(
                    start,
                    "reads a last line without its newline, dropping its last character",
                );
                let kept = &rest[..rest.len().saturating_sub(1)];
                self.pos = input.len();
                self.emit(kept);
                self.emit(b"\n");
                true
            }
            None => false,
        }
    }

    /// Reads a length field of `width` bytes, then that many bytes.
    fn counted(&mut self, width: usize, signed: bool, start: usize) -> bool {
        let Some(field) = self.read(width, start) else {
            return false;
        };
        if signed && field.last().is_some_and(|b| b & 0x80 != 0) {
            // A negative length: both unpicklers raise.
            return false;
        }
        let mut raw = [0u8; 8];
        raw[..width].copy_from_slice(field);
        let len = u64::from_le_bytes(raw);
        self.emit(field);
        let Ok(len) = usize::try_from(len) else {
            return false;
        };
        match self.read(len, start) {
            Some(payload) => {
                self.emit(payload);
                true
            }
            None => false,
        }
    }

    fn fixed(&mut self, n: usize, start: usize) -> bool {
        match self.read(n, start) {
            Some(bytes) => {
                self.emit(bytes);
                true
            }
            None => false,
        }
    }

    /// The opcode's argument; false when the unpickler raises.
    fn argument(&mut self, opcode: Opcode, start: usize) -> bool {
        match opcode.arg() {
            ArgKind::None => true,
            ArgKind::Uint1 => self.fixed(1, start),
            ArgKind::Uint2 => self.fixed(2, start),
            ArgKind::Uint4 | ArgKind::Int4 => self.fixed(4, start),
            ArgKind::Uint8 | ArgKind::Float8 => self.fixed(8, start),
            ArgKind::DecimalnlShort
            | ArgKind::DecimalnlLong
            | ArgKind::Floatnl
            | ArgKind::Stringnl
            | ArgKind::StringnlNoescape
            | ArgKind::Unicodestringnl => self.line(start),
            ArgKind::StringnlNoescapePair => self.line(start) && self.line(start),
            ArgKind::Long1 | ArgKind::String1 | ArgKind::Bytes1 | ArgKind::Unicodestring1 => {
                self.counted(1, false, start)
            }
            ArgKind::Long4 | ArgKind::String4 => self.counted(4, true, start),
            ArgKind::Bytes4 | ArgKind::Unicodestring4 => self.counted(4, false, start),
            ArgKind::Bytes8 | ArgKind::Bytearray8 | ArgKind::Unicodestring8 => {
                self.counted(8, false, start)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_frame_is_read_by_pure_python_only() {
        // FRAME 100, then GLOBAL m n, STOP: 12 bytes where 100 are claimed.
        let input = b"\x80\x04\x95\x64\x00\x00\x00\x00\x00\x00\x00cm\nn\n.";
        let c = walk(input, Unpickler::C, true);
        assert!(c.divergences.is_empty());
        assert_eq!(c.pickles[0].bytes, b"\x80\x04");
        let python = walk(input, Unpickler::Python, true);
        assert_eq!(python.pickles[0].bytes, b"\x80\x04cm\nn\n.");
        assert_eq!(python.pickles[0].original(2), 11);
    }

    #[test]
    fn c_reads_through_a_frame_end() {
        // FRAME 2 holds "cm" only; the GLOBAL's lines run past it.
        let input = b"\x95\x02\x00\x00\x00\x00\x00\x00\x00cm\nn\n.";
        let c = walk(input, Unpickler::C, true);
        assert_eq!(c.divergences.len(), 1);
        assert_eq!(c.pickles[0].bytes, b"cm\nn\n.");
        let python = walk(input, Unpickler::Python, true);
        assert_eq!(python.pickles[0].bytes, b"c");
    }

    #[test]
    fn python_skips_to_the_frame_end_after_a_stop_inside_it() {
        // FRAME 4: "N." then "K\x01"; then "cm\nn\n.".
        let input = b"\x95\x04\x00\x00\x00\x00\x00\x00\x00N.K\x01cm\nn\n.";
        let python = walk(input, Unpickler::Python, true);
        assert_eq!(python.pickles.len(), 2);
        assert_eq!(python.pickles[1].bytes, b"cm\nn\n.");
        let c = walk(input, Unpickler::C, true);
        assert_eq!(c.pickles[1].bytes, b"K\x01cm\nn\n.");
    }

    #[test]
    fn c_reading_a_file_drops_the_rest_of_a_frame_it_reads_past() {
        // FRAME 3 holds "cma"; the line's rest is read from the file after the frame.
        let input = b"\x95\x03\x00\x00\x00\x00\x00\x00\x00cmarker\nn\n.";
        let c = walk(input, Unpickler::CFile, true);
        assert_eq!(c.pickles[0].bytes, b"crker\nn\n.");
        assert_eq!(c.divergences.len(), 1);
    }

    #[test]
    fn a_negative_length_ends_the_walk() {
        let c = walk(b"T\xff\xff\xff\xffcm\nn\n.", Unpickler::C, true);
        assert_eq!(c.pickles.len(), 1);
        assert_eq!(c.pickles[0].bytes, b"T");
    }
}
