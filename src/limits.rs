//! [`LoadOptions`]: the limits that keep a hostile pickle from exhausting memory, and the
//! decoding choices CPython's `pickle.load` also offers.
//!
//! # Why these limits, and why these defaults
//!
//! The machine never expands anything: every node, slot, stack entry and memo entry is
//! made by an opcode of at least one byte, and every payload is either borrowed from the
//! input or checked against the bytes that remain before it is decoded. So what a pickle
//! costs is linear in its size, about 50 bytes of graph per byte of pickle at worst
//! (`]` makes a 32-byte node and a 16-byte stack entry). There is no "billion laughs"
//! expansion to refuse; a memo bomb (`l1 = [l0, l0]` forty times) loads as 41 nodes, and
//! only the views that write it out as a tree need a budget (`render::repr` has one).
//!
//! The limits are therefore about size, not shape: they bound what a large hostile input
//! (or a very large real one) may make this process allocate, and each one names itself
//! in its error (`offset 1048576 (MARK): stack limit of 1048576 exceeded (raise it in
//! LoadOptions …)`). The defaults are sized so that every real pickle in the fixtures,
//! and any pickle that fits in a few gigabytes, loads; [`LoadOptions::strict`] is for
//! fuzzing and for files from strangers, where a 64 MiB graph is plenty.
//!
//! Declared lengths are not limits: a `BINBYTES8` of 2^62 bytes is refused by the
//! reader as truncated input before anything is allocated, whatever the options.

/// How Python 2 8-bit strings (`STRING`, `BINSTRING`, `SHORT_BINSTRING`) are read, as
/// CPython's `encoding=` argument to `pickle.load` chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StringEncoding {
    /// Decode as ASCII; a byte above 0x7f is an error (CPython's default).
    #[default]
    Ascii,
    /// Decode as Latin-1: every byte is a code point (right for numpy arrays from Python 2).
    Latin1,
    /// Decode as Windows' cp1252 (Latin-1 with printable characters in 0x80-0x9f, five of
    /// which it leaves undefined).
    Cp1252,
    /// Decode as UTF-8.
    Utf8,
    /// Keep them as `bytes` (CPython's `encoding='bytes'`).
    Bytes,
}

impl StringEncoding {
    /// The encoding a Python codec name means, as `codecs.lookup` normalizes it
    /// (`"latin-1"`, `"ISO-8859-1"`, `"utf8"`, `"Windows-1252"`), or `"bytes"` exactly, as
    /// `pickle.load` takes it; None for a codec picklegraph does not decode.
    /// ```
    /// use picklegraph::StringEncoding;
    /// assert_eq!(StringEncoding::from_name("ISO-8859-1"), Some(StringEncoding::Latin1));
    /// assert_eq!(StringEncoding::from_name("bytes"), Some(StringEncoding::Bytes));
    /// assert_eq!(StringEncoding::from_name("koi8-r"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<StringEncoding> {
        if name == "bytes" {
            return Some(StringEncoding::Bytes);
        }
        let normalized: String = name
            .trim()
            .to_ascii_lowercase()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        Some(match normalized.as_str() {
            "ascii" | "us_ascii" | "646" | "us" | "ansi_x3.4_1968" => StringEncoding::Ascii,
            "latin_1" | "latin1" | "latin" | "l1" | "iso_8859_1" | "iso8859_1" | "8859"
            | "cp819" | "iso_ir_100" | "iso_8859_1_1987" => StringEncoding::Latin1,
            "cp1252" | "windows_1252" | "1252" => StringEncoding::Cp1252,
            "utf_8" | "utf8" | "u8" | "utf" | "utf8_ucs2" | "utf8_ucs4" | "cp65001" => {
                StringEncoding::Utf8
            }
            _ => return None,
        })
    }

    /// The codec's name as CPython's error messages spell it (`ascii`, `latin-1`).
    pub fn name(self) -> &'static str {
        match self {
            StringEncoding::Ascii => "ascii",
            StringEncoding::Latin1 => "latin-1",
            StringEncoding::Cp1252 => "cp1252",
            StringEncoding::Utf8 => "utf-8",
            StringEncoding::Bytes => "bytes",
        }
    }
}

/// What decoding a Python 2 8-bit string does with bytes its encoding cannot decode, as
/// CPython's `errors=` argument to `pickle.load` chooses, plus one choice of picklegraph's
/// own for views that must not refuse a pickle over it ([`DecodeErrors::KeepBytes`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DecodeErrors {
    /// Refuse the pickle (CPython's default).
    #[default]
    Strict,
    /// Leave the bytes out.
    Ignore,
    /// Put U+FFFD in their place.
    Replace,
    /// Put `\xNN` in their place.
    BackslashReplace,
    /// Put U+DC80..U+DCFF in their place (each byte kept, as a lone surrogate).
    SurrogateEscape,
    /// Accept encoded surrogates in UTF-8; anything else is refused.
    SurrogatePass,
    /// Keep the whole string as `bytes`, and mark it in the graph with where and why it
    /// did not decode ([`Pickle::undecodable`](crate::Pickle::undecodable)); `show` and
    /// `json` read with it, so that a Python 2 pickle is never refused over a string.
    KeepBytes,
}

impl DecodeErrors {
    /// The handler a Python error handler name means; None for one picklegraph lacks.
    /// ```
    /// use picklegraph::DecodeErrors;
    /// assert_eq!(DecodeErrors::from_name("surrogateescape"), Some(DecodeErrors::SurrogateEscape));
    /// assert_eq!(DecodeErrors::from_name("xmlcharrefreplace"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<DecodeErrors> {
        Some(match name {
            "strict" => DecodeErrors::Strict,
            "ignore" => DecodeErrors::Ignore,
            "replace" => DecodeErrors::Replace,
            "backslashreplace" => DecodeErrors::BackslashReplace,
            "surrogateescape" => DecodeErrors::SurrogateEscape,
            "surrogatepass" => DecodeErrors::SurrogatePass,
            _ => return None,
        })
    }
}

/// Limits on the graph a pickle may build: nodes, memo, stack and allocation.
///
/// The defaults accept every real pickle seen in the fixtures with a wide margin; a
/// pickle that reaches one is refused with [`ErrorKind::LimitExceeded`](crate::ErrorKind),
/// which names the limit.
///
/// It is `#[non_exhaustive]`: start from [`LoadOptions::default`], [`LoadOptions::strict`]
/// or [`LoadOptions::scanning`] and change what you need with the `with_*` setters, so a
/// limit added later keeps its default in your code.
/// ```
/// let options = picklegraph::LoadOptions::default().with_max_stack(3);
/// let err = picklegraph::load_with(b"((((.", &options).unwrap_err();
/// assert_eq!(err.to_string(), "offset 3 (MARK): stack limit of 3 exceeded \
///     (raise it in LoadOptions if the pickle is trusted to be this large)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoadOptions {
    /// Most nodes in one pickle's arena (each costs 32 bytes plus its payload).
    pub max_nodes: usize,
    /// Largest memo key a `PUT`/`BINPUT`/`LONG_BINPUT` may use. Keys are stored sparsely,
    /// so a large key costs nothing; the limit only refuses nonsense.
    pub max_memo_key: u64,
    /// Most entries on the stack plus open marks at once: a million nested lists need a
    /// million of them.
    pub max_stack: usize,
    /// Most bytes the graph may own beyond the borrowed input: nodes, container slots,
    /// memo entries, decoded text and digits.
    pub max_alloc_bytes: u64,
    /// Most decimal digits in an `INT`/`LONG` text argument; CPython's default
    /// `sys.get_int_max_str_digits()` is 4300 and its unpickler refuses longer ones too.
    pub max_int_digits: usize,
    /// How Python 2 8-bit strings decode.
    pub string_encoding: StringEncoding,
    /// What decoding them does with bytes the encoding cannot decode.
    pub string_errors: DecodeErrors,
    /// What a `NEXT_BUFFER` does when no out-of-band buffers were given: true (the
    /// default) makes a placeholder node, so the views show what the pickle refers to;
    /// false refuses it with [`ErrorKind::NoBuffersGiven`](crate::ErrorKind), as
    /// `pickle.loads` without `buffers=` does.
    /// ```
    /// let options = picklegraph::LoadOptions::default().with_placeholder_buffers(false);
    /// assert!(picklegraph::load_with(b"\x80\x05\x97.", &options).is_err());
    /// assert!(picklegraph::load(b"\x80\x05\x97.").is_ok());
    /// ```
    pub placeholder_buffers: bool,
}

/// Default [`LoadOptions::max_nodes`]: 2^28 nodes, 8 GiB of arena. The largest fixture
/// has 3,004 nodes; a pickle needs at least one byte per node, so only a pickle of more
/// than 268 MB made of nothing but tiny objects reaches it, and then refuses at 8 GiB
/// rather than at the machine's end.
pub const DEFAULT_MAX_NODES: usize = 1 << 28;
/// Default [`LoadOptions::max_memo_key`]: `LONG_BINPUT` keys are 32-bit, so nothing a
/// pickler writes goes past `u32::MAX`. The memo is sparse and its entries are charged to
/// [`LoadOptions::max_alloc_bytes`], so the key bound costs nothing and only refuses
/// text `PUT` keys that no pickler writes.
pub const DEFAULT_MAX_MEMO_KEY: u64 = u32::MAX as u64;
/// Default [`LoadOptions::max_stack`]: 2^27 entries (2 GiB at 16 bytes each). A tuple is
/// pickled with all its items on the stack at once, so the stack must hold the largest
/// tuple: 134 million items is past any real one, and a million-deep nesting (two
/// entries per level) uses under 2% of it.
pub const DEFAULT_MAX_STACK: usize = 1 << 27;
/// Default [`LoadOptions::max_alloc_bytes`]: 16 GiB. Payloads (a tensor's bytes, a long
/// str) are borrowed from the input and cost nothing; what is charged is the graph's own
/// memory, about 50 bytes per tiny object, so this admits about 300 million objects:
/// more than any pickle that fits in memory holds, and less than a machine would swap
/// over.
pub const DEFAULT_MAX_ALLOC_BYTES: u64 = 16 << 30;
/// [`LoadOptions::scanning`]'s [`LoadOptions::max_int_digits`]: decimal parsing is
/// quadratic in the digits, and 100,000 digits parse in about 40 ms.
pub const SCAN_MAX_INT_DIGITS: usize = 100_000;

impl Default for LoadOptions {
    fn default() -> LoadOptions {
        LoadOptions {
            max_nodes: DEFAULT_MAX_NODES,
            max_memo_key: DEFAULT_MAX_MEMO_KEY,
            max_stack: DEFAULT_MAX_STACK,
            max_alloc_bytes: DEFAULT_MAX_ALLOC_BYTES,
            max_int_digits: crate::text::INT_MAX_STR_DIGITS,
            string_encoding: StringEncoding::Ascii,
            string_errors: DecodeErrors::Strict,
            placeholder_buffers: true,
        }
    }
}

impl LoadOptions {
    /// These options with [`LoadOptions::max_nodes`] set to `max_nodes`.
    #[must_use]
    pub fn with_max_nodes(mut self, max_nodes: usize) -> LoadOptions {
        self.max_nodes = max_nodes;
        self
    }

    /// These options with [`LoadOptions::max_memo_key`] set to `max_memo_key`.
    #[must_use]
    pub fn with_max_memo_key(mut self, max_memo_key: u64) -> LoadOptions {
        self.max_memo_key = max_memo_key;
        self
    }

    /// These options with [`LoadOptions::max_stack`] set to `max_stack`.
    #[must_use]
    pub fn with_max_stack(mut self, max_stack: usize) -> LoadOptions {
        self.max_stack = max_stack;
        self
    }

    /// These options with [`LoadOptions::max_alloc_bytes`] set to `max_alloc_bytes`.
    #[must_use]
    pub fn with_max_alloc_bytes(mut self, max_alloc_bytes: u64) -> LoadOptions {
        self.max_alloc_bytes = max_alloc_bytes;
        self
    }

    /// These options with [`LoadOptions::max_int_digits`] set to `max_int_digits`.
    #[must_use]
    pub fn with_max_int_digits(mut self, max_int_digits: usize) -> LoadOptions {
        self.max_int_digits = max_int_digits;
        self
    }

    /// These options with Python 2 strings decoded as `string_encoding` says.
    /// ```
    /// use picklegraph::{LoadOptions, StringEncoding};
    /// let options = LoadOptions::default().with_string_encoding(StringEncoding::Latin1);
    /// assert!(picklegraph::load_with(b"S'\xe9'\n.", &options).is_ok());
    /// ```
    #[must_use]
    pub fn with_string_encoding(mut self, string_encoding: StringEncoding) -> LoadOptions {
        self.string_encoding = string_encoding;
        self
    }

    /// These options with [`LoadOptions::string_errors`] set to `string_errors`.
    #[must_use]
    pub fn with_string_errors(mut self, string_errors: DecodeErrors) -> LoadOptions {
        self.string_errors = string_errors;
        self
    }

    /// These options with [`LoadOptions::placeholder_buffers`] set to `placeholder_buffers`.
    #[must_use]
    pub fn with_placeholder_buffers(mut self, placeholder_buffers: bool) -> LoadOptions {
        self.placeholder_buffers = placeholder_buffers;
        self
    }

    /// Tight limits for fuzzing and for files from strangers: 2^20 nodes, memo keys and
    /// stack entries, and a 64 MiB graph, which every fixture fits in a thousand times
    /// over and a fuzzer's input can never make slow.
    /// ```
    /// let options = picklegraph::LoadOptions::strict();
    /// assert!(options.max_nodes < picklegraph::LoadOptions::default().max_nodes);
    /// ```
    pub fn strict() -> LoadOptions {
        LoadOptions {
            max_nodes: 1 << 20,
            max_memo_key: 1 << 20,
            max_stack: 1 << 20,
            max_alloc_bytes: 64 << 20,
            ..LoadOptions::default()
        }
    }

    /// What `scan` reads with: whatever some configuration of CPython would load, so a
    /// call cannot hide behind a choice of `encoding=` or `sys.set_int_max_str_digits`.
    /// Python 2 strings decode as Latin-1 (every byte string decodes, and ASCII text
    /// decodes as ASCII would) and ints may have up to [`SCAN_MAX_INT_DIGITS`] digits.
    /// ```
    /// let options = picklegraph::LoadOptions::scanning();
    /// assert!(picklegraph::load_with(b"S'\xe9'\n.", &options).is_ok());
    /// assert!(picklegraph::load(b"S'\xe9'\n.").is_err());
    /// ```
    pub fn scanning() -> LoadOptions {
        LoadOptions {
            max_int_digits: SCAN_MAX_INT_DIGITS,
            string_encoding: StringEncoding::Latin1,
            ..LoadOptions::default()
        }
    }
}
