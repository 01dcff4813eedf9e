//! [`LoadOptions`]: the limits that keep a hostile pickle from exhausting memory, and the
//! decoding choices CPython's `pickle.load` also offers.

/// How Python 2 8-bit strings (`STRING`, `BINSTRING`, `SHORT_BINSTRING`) are read, as
/// CPython's `encoding=` argument to `pickle.load` chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StringEncoding {
    /// Decode as ASCII; a byte above 0x7f is an error (CPython's default).
    #[default]
    Ascii,
    /// Decode as Latin-1: every byte is a code point (right for numpy arrays from Python 2).
    Latin1,
    /// Decode as UTF-8.
    Utf8,
    /// Keep them as `bytes` (CPython's `encoding='bytes'`).
    Bytes,
}

/// Limits on the graph a pickle may build: nodes, memo, stack and allocation.
///
/// The defaults accept every real pickle seen in the fixtures with a wide margin; a
/// pickle that reaches one is refused with [`ErrorKind::LimitExceeded`](crate::ErrorKind),
/// which names the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    /// Most nodes in one pickle's arena (each costs 32 bytes plus its payload).
    pub max_nodes: usize,
    /// Largest memo key a `PUT`/`BINPUT`/`LONG_BINPUT` may use. Keys are stored sparsely,
    /// so a large key costs nothing; the limit only refuses nonsense.
    pub max_memo_key: u64,
    /// Most entries on the stack plus open marks at once: a million nested lists need a
    /// million of them.
    pub max_stack: usize,
    /// Most bytes the graph may own beyond the borrowed input: decoded text, container
    /// slots, nodes.
    pub max_alloc_bytes: u64,
    /// Most decimal digits in an `INT`/`LONG` text argument; CPython's default
    /// `sys.get_int_max_str_digits()` is 4300 and its unpickler refuses longer ones too.
    pub max_int_digits: usize,
    /// How Python 2 8-bit strings decode.
    pub string_encoding: StringEncoding,
}

/// Default [`LoadOptions::max_nodes`]: 2^28 nodes, about 8 GiB of arena, far beyond any
/// real pickle (a 1 GB pickle of short strings has about 10^8).
pub const DEFAULT_MAX_NODES: usize = 1 << 28;
/// Default [`LoadOptions::max_memo_key`]: CPython's own memo is indexed by `Py_ssize_t`,
/// but its `LONG_BINPUT` keys are 32-bit, and nothing real goes past them.
pub const DEFAULT_MAX_MEMO_KEY: u64 = u32::MAX as u64;
/// Default [`LoadOptions::max_stack`]: 2^27 stack slots (2 GiB), enough for a hundred
/// million nested containers.
pub const DEFAULT_MAX_STACK: usize = 1 << 27;
/// Default [`LoadOptions::max_alloc_bytes`]: 16 GiB, less than a machine would swap over
/// but more than any pickle that fits in memory needs.
pub const DEFAULT_MAX_ALLOC_BYTES: u64 = 16 << 30;

impl Default for LoadOptions {
    fn default() -> LoadOptions {
        LoadOptions {
            max_nodes: DEFAULT_MAX_NODES,
            max_memo_key: DEFAULT_MAX_MEMO_KEY,
            max_stack: DEFAULT_MAX_STACK,
            max_alloc_bytes: DEFAULT_MAX_ALLOC_BYTES,
            max_int_digits: crate::text::INT_MAX_STR_DIGITS,
            string_encoding: StringEncoding::Ascii,
        }
    }
}

impl LoadOptions {
    /// Tight limits for fuzzing and for files from strangers.
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
}
