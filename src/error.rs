//! Load errors: what went wrong ([`ErrorKind`]) and where ([`Error`]).
//!
//! Every error a pickle can cause carries the byte offset of the opcode that failed and
//! that opcode, so a message reads `offset 166 (REDUCE): stack underflow`.

use crate::opcode::Opcode;

/// What went wrong while loading a pickle.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input ended inside an opcode or its argument, or before `STOP`.
    #[error("pickle data was truncated (needed {needed} more bytes)")]
    Truncated {
        /// How many bytes were missing.
        needed: u64,
    },
    /// The input ended where a new pickle would start: no `STOP` was read at all.
    #[error("no pickle here: the input is empty")]
    Empty,
    /// A byte that no protocol defines as an opcode.
    #[error("invalid load key {0:#04x}")]
    UnknownOpcode(u8),
    /// `PROTO` named a protocol newer than 5.
    #[error("unsupported pickle protocol: {0}")]
    UnsupportedProtocol(u8),
    /// An opcode needed more items than the stack holds above the topmost mark.
    #[error("unpickling stack underflow")]
    StackUnderflow,
    /// An opcode that reads up to a MARK found none.
    #[error("could not find MARK")]
    MissingMark,
    /// A memo key was read that no `PUT`, `BINPUT`, `LONG_BINPUT` or `MEMOIZE` stored.
    #[error("memo value not found at index {0}")]
    MissingMemo(u64),
    /// `PUT` with a negative key.
    #[error("negative PUT argument")]
    NegativePut,
    /// A length field below zero.
    #[error("negative byte count {0}")]
    NegativeLength(i64),
    /// A text argument that does not parse (`INT`, `LONG`, `FLOAT`, `STRING`, `GET`, …).
    #[error("malformed {what} argument: {detail}")]
    MalformedText {
        /// Which kind of argument.
        what: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// A UTF-8 payload that is not UTF-8 (encoded surrogates are accepted, as
    /// CPython's `surrogatepass` accepts them).
    #[error("invalid UTF-8 in string at byte {position} of its payload")]
    InvalidUtf8 {
        /// Where in the payload decoding failed.
        position: usize,
    },
    /// An 8-bit Python 2 string that the chosen encoding cannot decode.
    #[error("8-bit string is not valid {encoding} at byte {position} (load with latin1 or bytes)")]
    Undecodable8Bit {
        /// The encoding that was asked for.
        encoding: &'static str,
        /// Where decoding failed.
        position: usize,
    },
    /// An opcode or its argument ran past the end of the frame that holds it.
    #[error("pickle exhausted before end of frame")]
    FrameOverrun,
    /// A `FRAME` opcode inside a frame that is not finished.
    #[error("beginning of a new frame before end of current frame")]
    FrameInsideFrame,
    /// An extension code of zero or below.
    #[error("EXT specifies code <= 0")]
    BadExtensionCode,
    /// A dict key or set member that Python cannot hash.
    #[error("unhashable type: '{0}'")]
    Unhashable(&'static str),
    /// An operation that Python would certainly reject on this kind of object.
    #[error("{operation} on {type_name}: {detail}")]
    WrongType {
        /// The operation (`APPENDS`, `SETITEMS`, `BUILD`, …).
        operation: &'static str,
        /// The Python type of the target.
        type_name: &'static str,
        /// Why Python rejects it.
        detail: &'static str,
    },
    /// An operand of certain type that CPython checks and refuses before calling anything
    /// (`NEWOBJ args argument must be a tuple, not NoneType`).
    #[error("{operation} {expected}, not {found}")]
    BadOperand {
        /// The opcode's name.
        operation: &'static str,
        /// What CPython requires (`args argument must be a tuple`).
        expected: &'static str,
        /// The Python type found.
        found: &'static str,
    },
    /// `NEXT_BUFFER` when no buffers were given and [`LoadOptions::placeholder_buffers`]
    /// is off (CPython's message for `pickle.loads` without `buffers=`).
    ///
    /// [`LoadOptions::placeholder_buffers`]: crate::LoadOptions::placeholder_buffers
    #[error("pickle stream refers to out-of-band data but no *buffers* argument was given")]
    NoBuffersGiven,
    /// `NEXT_BUFFER` with every out-of-band buffer already taken.
    #[error("not enough out-of-band buffers")]
    NotEnoughBuffers,
    /// A part of a file that [`open`](crate::open) could not open (not a pickle, an
    /// unsupported or corrupt container, a decompression limit reached), for a scan that
    /// reports it beside the pickles' errors.
    #[error("{0}")]
    Unopened(String),
    /// A file (or a part of one) whose bytes are no pickle and no container picklegraph
    /// reads, with what they look like: nothing in it could run as a pickle, so a scan
    /// counts it apart, neither clean nor failed.
    #[error("not a pickle: {0}")]
    NotAPickle(String),
    /// One of the [`LoadOptions`](crate::LoadOptions) limits was reached.
    #[error("{limit} limit of {max} exceeded (raise it in LoadOptions if the pickle is trusted to be this large)")]
    LimitExceeded {
        /// Which limit.
        limit: &'static str,
        /// Its value.
        max: u64,
    },
}

/// A load error: what went wrong, at which byte offset, in which opcode.
/// ```
/// let err = picklegraph::load(b"R.").unwrap_err();
/// assert_eq!(err.to_string(), "offset 0 (REDUCE): unpickling stack underflow");
/// assert_eq!(err.offset(), 0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("offset {offset} ({}): {kind}", opcode_label(*.opcode))]
pub struct Error {
    offset: u64,
    opcode: Option<Opcode>,
    kind: ErrorKind,
}

fn opcode_label(opcode: Option<Opcode>) -> &'static str {
    opcode.map_or("no opcode", Opcode::name)
}

/// What the views say of `len` bytes after the last `STOP` that do not form a pickle.
/// ```
/// use picklegraph::error::trailing_note;
/// assert_eq!(
///     trailing_note(2),
///     "2 bytes after the last STOP are not a pickle; pickle.loads ignores them"
/// );
/// assert_eq!(
///     trailing_note(1),
///     "1 byte after the last STOP is not a pickle; pickle.loads ignores it"
/// );
/// ```
pub fn trailing_note(len: usize) -> String {
    if len == 1 {
        "1 byte after the last STOP is not a pickle; pickle.loads ignores it".to_string()
    } else {
        format!("{len} bytes after the last STOP are not a pickle; pickle.loads ignores them")
    }
}

impl ErrorKind {
    /// Whether the bytes are no pickle whatever the options: CPython's unpicklers refuse
    /// them too, with any `encoding=`, `errors=` and `buffers=`. False for what only a
    /// choice refuses (a limit of [`LoadOptions`](crate::LoadOptions), a Python 2 string
    /// the encoding cannot decode, a missing out-of-band buffer) and for a part of a file
    /// that was not opened.
    ///
    /// Bytes after a `STOP` that fail so are not a pickle of the stream: `pickle.loads`
    /// ignores them, and the views say so in a note ([`crate::Problem::Trailing`]).
    /// ```
    /// use picklegraph::ErrorKind;
    /// assert!(ErrorKind::StackUnderflow.is_not_a_pickle());
    /// assert!(!ErrorKind::NotEnoughBuffers.is_not_a_pickle());
    /// ```
    pub fn is_not_a_pickle(&self) -> bool {
        match self {
            ErrorKind::Truncated { .. }
            | ErrorKind::Empty
            | ErrorKind::UnknownOpcode(_)
            | ErrorKind::UnsupportedProtocol(_)
            | ErrorKind::StackUnderflow
            | ErrorKind::MissingMark
            | ErrorKind::MissingMemo(_)
            | ErrorKind::NegativePut
            | ErrorKind::NegativeLength(_)
            | ErrorKind::MalformedText { .. }
            | ErrorKind::InvalidUtf8 { .. }
            | ErrorKind::FrameOverrun
            | ErrorKind::FrameInsideFrame
            | ErrorKind::BadExtensionCode
            | ErrorKind::Unhashable(_)
            | ErrorKind::WrongType { .. }
            | ErrorKind::BadOperand { .. }
            | ErrorKind::NotAPickle(_) => true,
            ErrorKind::Undecodable8Bit { .. }
            | ErrorKind::NoBuffersGiven
            | ErrorKind::NotEnoughBuffers
            | ErrorKind::Unopened(_)
            | ErrorKind::LimitExceeded { .. } => false,
        }
    }
}

impl Error {
    /// An error of `kind` at `offset`, in `opcode` (None where no opcode was read).
    pub fn new(offset: u64, opcode: Option<Opcode>, kind: ErrorKind) -> Error {
        Error {
            offset,
            opcode,
            kind,
        }
    }

    /// The byte offset of the opcode that failed (or of the unreadable byte).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The opcode that failed, if one was read.
    pub fn opcode(&self) -> Option<Opcode> {
        self.opcode
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }
}
