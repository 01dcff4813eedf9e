//! The `dis` view: a listing of a pickle's opcodes, byte for byte as CPython's
//! `pickletools.dis` writes it.
//!
//! `dis` reads the opcodes directly (it is the one view that does not read the graph:
//! it shows the stream, and it must go on showing it where the graph could not be
//! built). Like pickletools it keeps a crude model of the unpickler — a stack of the
//! *kinds* of objects, the MARK positions, the memo — to indent MARK blocks, to name
//! the MARK an opcode consumes, and to stop with pickletools' own complaint where
//! pickletools stops.
//!
//! One departure, on purpose: pickletools indents one level per open MARK, so a million
//! open MARKs would make it write terabytes. [`dis`] indents at most
//! [`MAX_INDENT_BLANKS`] blanks, so that a line without a long argument stays within
//! about 100 bytes, and says so, once, on a line of its own. Everything is linear
//! in the input: no recursion, and nothing is kept but the model, which grows by at most
//! a few entries per opcode.

mod args;
mod memo;
mod messages;
mod pickletools_docs;

use std::io::Write;

use args::{Arg, MemoKey};
use memo::Memo;

use crate::opcode::{ArgKind, Opcode, StackItem};
use crate::reader::Reader;
use crate::text::scalar::{digits8, write_u64, write_u64_padded};

/// How many blanks `dis` indents a line at most, whatever the MARK depth and the blanks
/// per level: with the offset, the opcode and its name, a line without a long argument
/// stays within about 100 bytes (a million open MARKs list as 100 MB, not 290 MB or, at
/// `-l 1024`, 65 GB).
pub const MAX_INDENT_BLANKS: usize = 64;

/// pickletools' own `-a` column hint (`annotate = 30 if args.annotate else 0`).
pub const PICKLETOOLS_ANNOTATE_COLUMN: usize = 30;

/// The line `dis` writes, once, before the first line it indents less than pickletools.
pub const INDENT_CAPPED_NOTE: &str =
    "[picklegraph: the open MARKs would indent more than 64 blanks; indentation stays at 64 blanks from here on]";

const BLANKS: &[u8; 64] = b"                                                                ";

/// The options of `pickletools.dis` that change what it writes.
/// ```
/// use picklegraph::render::dis::{dis_to_string, DisOptions};
/// let options = DisOptions { indentlevel: 1, annotate: 30 };
/// let (text, _) = dis_to_string(b"(t.", &options);
/// assert!(text.contains("    1: t     TUPLE      (MARK at 0)   Build a tuple out of"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DisOptions {
    /// Blanks per MARK level (pickletools' `indentlevel`, 4 by default). A line holds at
    /// most [`MAX_INDENT_BLANKS`] blanks.
    pub indentlevel: usize,
    /// pickletools' `annotate`: 0 for none, else the column hint where each opcode's
    /// one-line description starts (its command line uses 30).
    pub annotate: usize,
}

impl Default for DisOptions {
    fn default() -> DisOptions {
        DisOptions {
            indentlevel: 4,
            annotate: 0,
        }
    }
}

/// Why `dis` stopped early.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DisError {
    /// Where pickletools raises, with its message (a `ValueError`'s, mostly).
    #[error("{message}")]
    Malformed {
        /// The offset of the opcode being listed (or of the end of the input).
        offset: usize,
        /// pickletools' message.
        message: String,
    },
    /// The output could not be written.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl DisError {
    fn at(offset: usize, message: impl Into<String>) -> DisError {
        DisError::Malformed {
            offset,
            message: message.into(),
        }
    }
}

/// Lists the pickle that starts at `start`, through its `STOP`, into `out` (which should
/// be buffered), exactly as `pickletools.dis(input[start:] as a file at start, out,
/// indentlevel=…, annotate=…)` would; returns the offset after the `STOP`.
/// ```
/// use picklegraph::render::dis::{dis, DisOptions};
/// let mut out = Vec::new();
/// let end = dis(b"\x80\x04K\x2a.", 0, &DisOptions::default(), &mut out)?;
/// assert_eq!(end, 5);
/// assert_eq!(
///     String::from_utf8(out).unwrap(),
///     "    0: \\x80 PROTO      4\n    2: K    BININT1    42\n    4: .    STOP\n\
///      highest protocol among opcodes = 2\n"
/// );
/// # Ok::<(), picklegraph::render::dis::DisError>(())
/// ```
///
/// # Errors
/// Where pickletools raises, [`DisError::Malformed`] with its message, after writing
/// everything pickletools writes before it raises (which may end in an unfinished line);
/// [`DisError::Io`] when `out` fails.
pub fn dis<W: Write + ?Sized>(
    input: &[u8],
    start: usize,
    options: &DisOptions,
    out: &mut W,
) -> Result<usize, DisError> {
    let mut listing = Listing::new(options);
    let mut reader = Reader::at(input, start);
    let result = loop {
        match listing.step(&mut reader, out) {
            Ok(false) => {}
            Ok(true) => break listing.finish(reader.position()),
            Err(err) => break Err(err),
        }
    };
    // What was listed before an error is written too, as pickletools has printed it;
    // after a failed write, nothing more is tried.
    if matches!(result, Err(DisError::Io(_))) {
        return result;
    }
    listing.flush(out)?;
    result
}

/// Lists every pickle in `input`, one after another, as calling `pickletools.dis` on an
/// open file until it is used up would: offsets count from the start of the input, and
/// each pickle has its own memo. The first listing is the whole of
/// `python3 -m pickletools`' output.
/// ```
/// use picklegraph::render::dis::{dis_all, DisOptions};
/// let mut out = Vec::new();
/// dis_all(b"N.N.", &DisOptions::default(), &mut out)?;
/// assert_eq!(String::from_utf8(out).unwrap().matches("STOP").count(), 2);
/// # Ok::<(), picklegraph::render::dis::DisError>(())
/// ```
///
/// # Errors
/// As [`dis`], for the first pickle that fails (an empty input fails as pickletools
/// does: `pickle exhausted before seeing STOP`).
pub fn dis_all<W: Write + ?Sized>(
    input: &[u8],
    options: &DisOptions,
    out: &mut W,
) -> Result<(), DisError> {
    let mut position = 0;
    loop {
        position = dis(input, position, options, out)?;
        if position >= input.len() {
            return Ok(());
        }
    }
}

/// Bytes after a `STOP` that do not form a pickle, which [`dis_pickles`] leaves out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAPickle {
    /// The byte after the last `STOP`.
    pub start: usize,
    /// The end of the input.
    pub end: usize,
    /// The error that loading them as a pickle ends at.
    pub error: crate::Error,
}

impl std::fmt::Display for NotAPickle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (bytes {}..{}; read as a pickle: {})",
            crate::error::trailing_note(self.end - self.start),
            self.start,
            self.end,
            self.error
        )
    }
}

/// Lists the pickles of `input` as [`dis_all`] does, up to bytes after a `STOP` that do
/// not form a pickle, which it returns unlisted: `pickle.loads` ignores them, and
/// `python3 -m pickletools` lists only the first pickle, so the listing stays its own.
/// The bytes are those that the other views leave out too: loading them as a pickle fails
/// with an error that says they are none ([`ErrorKind::is_not_a_pickle`]); a pickle that
/// loads is listed, even where pickletools then complains.
/// ```
/// use picklegraph::render::dis::{dis_pickles, DisOptions};
/// let mut out = Vec::new();
/// let trailing = dis_pickles(b"N.N.))", &DisOptions::default(), &mut out)?.unwrap();
/// assert_eq!((trailing.start, trailing.end), (4, 6));
/// assert_eq!(String::from_utf8(out).unwrap().matches("STOP").count(), 2);
/// # Ok::<(), picklegraph::render::dis::DisError>(())
/// ```
///
/// [`ErrorKind::is_not_a_pickle`]: crate::ErrorKind::is_not_a_pickle
///
/// # Errors
/// As [`dis_all`], for the first pickle that fails to list.
pub fn dis_pickles<W: Write + ?Sized>(
    input: &[u8],
    options: &DisOptions,
    out: &mut W,
) -> Result<Option<NotAPickle>, DisError> {
    let mut position = dis(input, 0, options, out)?;
    while position < input.len() {
        // The machine decides, as for every other view: pickletools' own complaints
        // are about its listing, not about whether the bytes are a pickle.
        if let Err(failure) = crate::load_at(input, position, &crate::LoadOptions::default()) {
            if failure.error.kind().is_not_a_pickle() {
                return Ok(Some(NotAPickle {
                    start: position,
                    end: input.len(),
                    error: failure.error,
                }));
            }
        }
        position = dis(input, position, options, out)?;
    }
    Ok(None)
}

/// [`dis`] of the pickle at the start of `input` into a string: what was written, and
/// the error that stopped it, if any.
/// ```
/// let (text, error) = picklegraph::render::dis::dis_to_string(b"N", &Default::default());
/// assert_eq!(text, "    0: N    NONE\n");
/// assert_eq!(error.unwrap().to_string(), "pickle exhausted before seeing STOP");
/// ```
pub fn dis_to_string(input: &[u8], options: &DisOptions) -> (String, Option<DisError>) {
    let mut out = Vec::new();
    let error = dis(input, 0, options, &mut out).err();
    (String::from_utf8_lossy(&out).into_owned(), error)
}

/// The note after an opcode's name and argument: the MARK it consumed, or the memo
/// index `MEMOIZE` used, or pickletools' complaint that there was no MARK.
enum Note {
    None,
    MarkAt(usize),
    MemoizedAs(usize),
    NoMark,
}

/// What pickletools' checks found for one opcode.
struct Checks {
    /// How many items the opcode pops after any MARK handling.
    pops: usize,
    note: Note,
    /// The complaint pickletools raises once the line is written.
    complaint: Option<String>,
    /// What a memo fetch pushes: the kind of object stored.
    pushed: Option<StackItem>,
}

/// What an opcode does to the memo, for pickletools' memo checks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum MemoOp {
    None,
    /// `PUT`, `BINPUT`, `LONG_BINPUT`: stores under its argument.
    Put,
    /// `MEMOIZE`: stores under the memo's size.
    Memoize,
    /// `GET`, `BINGET`, `LONG_BINGET`.
    Get,
}

/// Everything `dis` needs to know about an opcode byte, worked out once at compile time
/// from the opcode table, so that listing an opcode is one table lookup rather than a
/// match per fact (name, argument kind, protocol, stack effect) each time it is needed.
#[derive(Clone, Copy)]
struct Row {
    /// `None` for a byte no protocol defines.
    op: Option<Opcode>,
    /// The byte as pickletools shows it, the repr of a 1-char str padded to 5 columns:
    /// `(    `, `\x94 `.
    code: [u8; 5],
    /// The name, then blanks to 10 columns (pickletools' "mild effort to align").
    name: [u8; 16],
    name_len: u8,
    padded_len: u8,
    arg: ArgKind,
    protocol: u8,
    /// Whether the stack effect reads through a MARK.
    pops_mark: bool,
    /// Items popped: the whole stack effect, or what lies below the MARK.
    pops: u8,
    /// Whether the opcode pushes a MARK.
    pushes_mark: bool,
    after: &'static [StackItem],
    memo: MemoOp,
}

impl Row {
    const UNDEFINED: Row = Row {
        op: None,
        code: [b' '; 5],
        name: [b' '; 16],
        name_len: 0,
        padded_len: 0,
        arg: ArgKind::None,
        protocol: 0,
        pops_mark: false,
        pops: 0,
        pushes_mark: false,
        after: &[],
        memo: MemoOp::None,
    };

    const fn of(op: Opcode) -> Row {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let byte = op.byte();
        let code = if byte >= 0x20 && byte < 0x7f {
            [byte, b' ', b' ', b' ', b' ']
        } else {
            [
                b'\\',
                b'x',
                HEX[(byte >> 4) as usize],
                HEX[(byte & 0xf) as usize],
                b' ',
            ]
        };
        let text = op.name().as_bytes();
        let mut name = [b' '; 16];
        let mut i = 0;
        while i < text.len() {
            name[i] = text[i];
            i += 1;
        }
        let before = op.stack_before();
        let mut pops_mark = false;
        let mut pops = before.len();
        let mut i = 0;
        while i < before.len() {
            if matches!(before[i], StackItem::Mark) {
                pops_mark = true;
                pops = i;
                break;
            }
            i += 1;
        }
        let after = op.stack_after();
        let mut pushes_mark = false;
        let mut i = 0;
        while i < after.len() {
            if matches!(after[i], StackItem::Mark) {
                pushes_mark = true;
            }
            i += 1;
        }
        let memo = match op {
            Opcode::Put | Opcode::BinPut | Opcode::LongBinPut => MemoOp::Put,
            Opcode::Memoize => MemoOp::Memoize,
            Opcode::Get | Opcode::BinGet | Opcode::LongBinGet => MemoOp::Get,
            _ => MemoOp::None,
        };
        Row {
            op: Some(op),
            code,
            name,
            name_len: text.len() as u8,
            padded_len: if text.len() > 10 { text.len() } else { 10 } as u8,
            arg: op.arg(),
            protocol: op.protocol(),
            pops_mark,
            pops: pops as u8,
            pushes_mark,
            after,
            memo,
        }
    }
}

/// [`Row`]s by opcode byte.
static ROWS: [Row; 256] = {
    let mut rows = [Row::UNDEFINED; 256];
    let mut i = 0;
    while i < Opcode::ALL.len() {
        let op = Opcode::ALL[i];
        rows[op.byte() as usize] = Row::of(op);
        i += 1;
    }
    rows
};

/// How much listing `dis` holds before handing it to the writer: large enough that the
/// writer's own buffer is bypassed (a `BufWriter` passes on a write larger than itself),
/// so each byte of the listing is copied once, from here to the output.
const FLUSH_AT: usize = 128 * 1024;

/// pickletools' model of the unpickler, and the listing being written.
struct Listing {
    options: DisOptions,
    /// The kinds of object on the stack (`mark` for a MARK).
    stack: Vec<StackItem>,
    /// The offsets of the MARKs still open.
    marks: Vec<usize>,
    memo: Memo,
    max_proto: u8,
    /// Whole lines not yet written, then the line being written. Lines are written
    /// straight into it, and it goes to the output in large pieces.
    text: Vec<u8>,
    /// Where the line's text starts in `text`, after `%5d: `: pickletools aligns
    /// annotations by the length of what follows it.
    body: usize,
    annotate_column: usize,
    docs: Option<Box<[&'static str; 256]>>,
    capped: bool,
}

impl Listing {
    fn new(options: &DisOptions) -> Listing {
        let docs = (options.annotate != 0).then(|| {
            let mut docs = Box::new([""; 256]);
            for &(name, doc) in pickletools_docs::FIRST_DOC_LINES {
                if let Some(op) = Opcode::ALL.iter().find(|op| op.name() == name) {
                    docs[usize::from(op.byte())] = doc;
                }
            }
            docs
        });
        Listing {
            options: *options,
            stack: Vec::new(),
            marks: Vec::new(),
            memo: Memo::default(),
            max_proto: 0,
            text: Vec::with_capacity(4096),
            body: 0,
            annotate_column: options.annotate,
            docs,
            capped: false,
        }
    }

    /// Hands what is written so far to `out`.
    fn flush<W: Write + ?Sized>(&mut self, out: &mut W) -> std::io::Result<()> {
        let result = out.write_all(&self.text);
        self.text.clear();
        result
    }

    /// Reads, checks and lists one opcode; true after `STOP`.
    fn step<W: Write + ?Sized>(
        &mut self,
        reader: &mut Reader<'_>,
        out: &mut W,
    ) -> Result<bool, DisError> {
        let pos = reader.position();
        let (row, arg) = read_instruction(reader)?;
        // With no blanks per level there is nothing to cap, and nothing to say.
        if !self.capped
            && self.marks.len().saturating_mul(self.options.indentlevel) > MAX_INDENT_BLANKS
        {
            self.capped = true;
            self.text.extend_from_slice(INDENT_CAPPED_NOTE.as_bytes());
            self.text.push(b'\n');
        }
        self.start_line(pos, row);
        self.max_proto = self.max_proto.max(row.protocol);
        let mut checks = match self.consume_mark(row) {
            Ok(checks) => checks,
            Err(message) => return Err(self.fail_mid_line(pos, message)),
        };
        if row.memo != MemoOp::None {
            self.check_memo(row.memo, &arg, &mut checks);
        }
        self.finish_line(row, &arg, &checks.note)
            .map_err(|message| self.fail_mid_line(pos, &message))?;
        if let Some(message) = checks.complaint {
            return Err(DisError::at(pos, message));
        }
        self.apply(row, pos, checks.pops, checks.pushed)?;
        if self.text.len() >= FLUSH_AT {
            self.flush(out)?;
        }
        Ok(row.op == Some(Opcode::Stop))
    }

    /// pickletools' MARK handling: an opcode that reads up to a MARK (or a `POP` with a
    /// MARK on top) pops the stack through the topmost MARK and names its offset.
    ///
    /// # Errors
    /// pickletools' `while stack[-1] is not markobject` runs off the stack when other
    /// opcodes have already popped the MARK: Python's `IndexError`.
    #[inline]
    fn consume_mark(&mut self, row: &Row) -> Result<Checks, &'static str> {
        let mut checks = Checks {
            pops: usize::from(row.pops),
            note: Note::None,
            complaint: None,
            pushed: None,
        };
        let pops_mark = row.pops_mark
            || (row.op == Some(Opcode::Pop) && self.stack.last() == Some(&StackItem::Mark));
        if !pops_mark {
            return Ok(checks);
        }
        let Some(mark) = self.marks.pop() else {
            checks.note = Note::NoMark;
            checks.complaint = Some("no MARK exists on stack".to_string());
            return Ok(checks);
        };
        checks.note = Note::MarkAt(mark);
        if !self.pop_through_mark() {
            return Err("list index out of range");
        }
        // What lies below the MARK in the stack effect is popped as usual (`POP` has
        // nothing below its MARK).
        if !row.pops_mark {
            checks.pops = 0;
        }
        Ok(checks)
    }

    /// Writes `%5d: `, the opcode's byte as the repr of a 1-char str padded to 5, the
    /// indentation and the name.
    #[inline]
    fn start_line(&mut self, pos: usize, row: &Row) {
        put_position(&mut self.text, pos);
        self.body = self.text.len();
        self.text.extend_from_slice(&row.code);
        let blanks = self.marks.len().saturating_mul(self.options.indentlevel);
        self.put_blanks(blanks.min(MAX_INDENT_BLANKS));
    }

    /// Appends `count` blanks. Up to 64 are copied as a fixed 64-byte block that is then
    /// cut to length, which is cheaper than a `memcpy` call for a few bytes.
    #[inline]
    fn put_blanks(&mut self, mut count: usize) {
        let end = self.text.len() + count;
        while count > 0 {
            self.text.extend_from_slice(BLANKS);
            count = count.saturating_sub(BLANKS.len());
        }
        self.text.truncate(end);
    }

    /// Writes the name, the argument, the note and the annotation, and ends the line.
    #[inline]
    fn finish_line(&mut self, row: &Row, arg: &Arg<'_>, note: &Note) -> Result<(), String> {
        let has_arg = !matches!(arg, Arg::None);
        // The name is copied as its whole 16-byte field (a fixed-size copy), then cut.
        let name_end = self.text.len();
        self.text.extend_from_slice(&row.name);
        if has_arg || !matches!(note, Note::None) {
            self.text.truncate(name_end + usize::from(row.padded_len));
            if has_arg {
                self.text.push(b' ');
                arg.write_repr(&mut self.text)?;
            }
            self.push_note(note);
        } else {
            self.text.truncate(name_end + usize::from(row.name_len));
        }
        if let Some(docs) = &self.docs {
            let doc = row.op.map_or("", |op| docs[usize::from(op.byte())]);
            // Python counts characters: every UTF-8 byte but the continuation bytes.
            let chars = self.text[self.body..]
                .iter()
                .filter(|&&b| b & 0xc0 != 0x80)
                .count();
            self.put_blanks(self.annotate_column.saturating_sub(chars));
            self.annotate_column = chars.max(self.annotate_column);
            if self.annotate_column > 50 {
                self.annotate_column = self.options.annotate;
            }
            self.text.push(b' ');
            self.text.extend_from_slice(doc.as_bytes());
        }
        self.text.push(b'\n');
        Ok(())
    }

    fn push_note(&mut self, note: &Note) {
        match note {
            Note::None => {}
            Note::MarkAt(mark) => {
                self.text.extend_from_slice(b" (MARK at ");
                write_u64(&mut self.text, *mark as u64);
                self.text.push(b')');
            }
            Note::MemoizedAs(index) => {
                self.text.extend_from_slice(b" (as ");
                write_u64(&mut self.text, *index as u64);
                self.text.push(b')');
            }
            Note::NoMark => self.text.extend_from_slice(b" no MARK exists on stack"),
        }
    }

    /// pickletools has printed `%5d: ` and raises before the rest of the line.
    fn fail_mid_line(&mut self, pos: usize, message: &str) -> DisError {
        self.text.truncate(self.body);
        DisError::at(pos, message)
    }

    /// Pops the stack through its topmost MARK; false if there is no MARK on it.
    fn pop_through_mark(&mut self) -> bool {
        while let Some(item) = self.stack.pop() {
            if item == StackItem::Mark {
                return true;
            }
        }
        false
    }

    /// pickletools' memo checks: a key stored twice, a store from an empty stack or of a
    /// MARK, a fetch of a key never stored.
    fn check_memo(&mut self, memo_op: MemoOp, arg: &Arg<'_>, checks: &mut Checks) {
        match memo_op {
            MemoOp::Put | MemoOp::Memoize => {
                let key = if memo_op == MemoOp::Memoize {
                    checks.note = Note::MemoizedAs(self.memo.len());
                    MemoKey::Small(self.memo.len() as i64)
                } else {
                    arg.memo_key().unwrap_or(MemoKey::Small(-1))
                };
                checks.complaint = if self.memo.get(&key).is_some() {
                    Some(format!("memo key {} already defined", arg_repr(arg)))
                } else {
                    match self.stack.last() {
                        None => Some("stack is empty -- can't store into memo".to_string()),
                        Some(StackItem::Mark) => {
                            Some("can't store markobject in the memo".to_string())
                        }
                        Some(&top) => {
                            self.memo.insert(key, top);
                            None
                        }
                    }
                };
            }
            MemoOp::Get => {
                let stored = match arg {
                    // `BINGET`'s key, the commonest, is looked up without a `MemoKey`.
                    Arg::Int(key) => self.memo.get_small(*key),
                    _ => arg.memo_key().and_then(|key| self.memo.get(&key)),
                };
                match stored {
                    Some(item) => checks.pushed = Some(item),
                    None => {
                        checks.complaint = Some(format!(
                            "memo key {} has never been stored into",
                            arg_repr(arg)
                        ));
                    }
                }
            }
            MemoOp::None => {}
        }
    }

    /// The opcode's stack effect, after the checks pickletools makes before it.
    #[inline]
    fn apply(
        &mut self,
        row: &Row,
        pos: usize,
        pops: usize,
        pushed: Option<StackItem>,
    ) -> Result<(), DisError> {
        if self.stack.len() < pops {
            return Err(DisError::at(
                pos,
                format!(
                    "tries to pop {pops} items from stack with only {} items",
                    self.stack.len()
                ),
            ));
        }
        self.stack.truncate(self.stack.len() - pops);
        if row.pushes_mark {
            self.marks.push(pos);
        }
        match pushed {
            // A memo fetch pushes what was stored, "for better stack emulation".
            Some(item) => self.stack.push(item),
            // Most opcodes push one item; a one-item push is not worth a `memcpy` call.
            None => match row.after {
                [] => {}
                [item] => self.stack.push(*item),
                items => self.stack.extend_from_slice(items),
            },
        }
        Ok(())
    }

    /// The closing line, and pickletools' complaint about what `STOP` left behind.
    fn finish(&mut self, end: usize) -> Result<usize, DisError> {
        self.text
            .extend_from_slice(b"highest protocol among opcodes = ");
        write_u64(&mut self.text, u64::from(self.max_proto));
        self.text.push(b'\n');
        if !self.stack.is_empty() {
            let names: Vec<&str> = self
                .stack
                .iter()
                .map(|item| item.pickletools_name())
                .collect();
            return Err(DisError::at(
                end.saturating_sub(1),
                format!("stack not empty after STOP: [{}]", names.join(", ")),
            ));
        }
        Ok(end)
    }
}

/// Writes pickletools' `%5d: ` for an offset. Every line starts with one, so offsets
/// below 10^8 are laid out in one 8-byte word: two digits per table lookup, leading
/// zeros turned into blanks by a mask, and a fixed-size copy rather than a `memcpy`
/// call for a few bytes.
#[inline]
fn put_position(text: &mut Vec<u8>, pos: usize) {
    if pos >= 100_000_000 {
        write_u64_padded(text, pos as u64, 5);
        text.extend_from_slice(b": ");
        return;
    }
    let (digits, count) = digits8(pos as u32);
    let width = count.max(5);
    // The 8 - count leading bytes are zeros: '0' - 0x10 is a blank.
    let leading = if count == 8 { 0 } else { !0u64 << (count * 8) };
    let padded = digits - (0x1010_1010_1010_1010 & leading);
    // The digits, left-aligned, then `: `, all in registers: building the bytes in a
    // stack array with stores of different sizes stalls the copy that reads it back.
    let line = (u128::from(padded << ((8 - width) * 8)) << 64)
        | (u128::from(u16::from_be_bytes(*b": ")) << ((14 - width) * 8));
    let len = text.len();
    text.extend_from_slice(&line.to_be_bytes());
    text.truncate(len + width + 2);
}

/// Reads an opcode and its argument, as pickletools' `genops` does.
///
/// # Errors
/// At the end of the input, at a byte that is no opcode, or in a malformed argument.
#[inline]
fn read_instruction<'a>(reader: &mut Reader<'a>) -> Result<(&'static Row, Arg<'a>), DisError> {
    let pos = reader.position();
    let Ok(byte) = reader.u8() else {
        return Err(DisError::at(pos, "pickle exhausted before seeing STOP"));
    };
    let row = &ROWS[usize::from(byte)];
    if row.op.is_none() {
        let code = crate::text::scalar::bytes_repr(&[byte]);
        return Err(DisError::at(
            pos,
            format!("at position {pos}, opcode {code} unknown"),
        ));
    }
    let arg = args::read(row.arg, reader).map_err(|message| DisError::at(pos, message))?;
    Ok((row, arg))
}

fn arg_repr(arg: &Arg<'_>) -> String {
    let mut text = String::new();
    // Memo keys are ints, bools or None, whose repr cannot fail.
    let _ = arg.write_repr(&mut text);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_opcode_has_its_pickletools_annotation() {
        let listing = Listing::new(&DisOptions {
            indentlevel: 4,
            annotate: PICKLETOOLS_ANNOTATE_COLUMN,
        });
        let docs = listing.docs.expect("annotations are loaded when asked for");
        for op in Opcode::ALL {
            assert!(!docs[usize::from(op.byte())].is_empty(), "{op}");
        }
    }

    #[test]
    fn positions_are_written_as_percent_5d() {
        for pos in [
            0,
            9,
            10,
            99_999,
            100_000,
            1_234_567,
            99_999_999,
            100_000_000,
            usize::MAX,
        ] {
            let mut text = b"x".to_vec();
            put_position(&mut text, pos);
            assert_eq!(text, format!("x{pos:5}: ").into_bytes());
        }
    }

    #[test]
    fn the_capped_indentation_note_names_the_cap() {
        assert!(INDENT_CAPPED_NOTE.contains(&format!(" {MAX_INDENT_BLANKS} ")));
    }

    #[test]
    fn no_note_when_no_blanks_are_written() {
        let mut input = vec![b'('; MAX_INDENT_BLANKS + 2];
        input.push(b'.');
        let options = DisOptions {
            indentlevel: 0,
            annotate: 0,
        };
        let (text, _) = dis_to_string(&input, &options);
        assert!(!text.contains(INDENT_CAPPED_NOTE));
        let (text, _) = dis_to_string(&input, &DisOptions::default());
        assert_eq!(text.matches(INDENT_CAPPED_NOTE).count(), 1);
    }
}
