//! [`open`]: what a file is, from its bytes alone, and every pickle in it.
//!
//! A file may be a pickle stream (one pickle or several, a joblib file's arrays between
//! them), a PyTorch checkpoint (zip or legacy), a numpy `.npy` or `.npz`, a gzip, bz2,
//! xz, lzma, zlib or lz4 stream (joblib's compressed files among them), or any zip
//! archive; containers nest (a gzip inside a zip member). [`open`] reads only what it
//! needs to say what the file is (a zip's directory, an `.npy` header, a legacy
//! checkpoint's leading pickles); [`Opened::pickles`] decompresses each part when the
//! iteration reaches it, within the limits of [`OpenOptions`].
//!
//! Each pickle comes with a label that says where it is (`archive/data.pkl`,
//! `arr_0.npy`, `gzip ▸ pickle 1`, nested labels joined with ` ▸ `) and, where it lies
//! in the file as it is (not compressed), its byte range. A file that holds no pickle
//! and is no container of one is "not a pickle", with what it looks like (see
//! [`sniff`] for how text that starts with an opcode is told from a pickle).
//!
//! ```
//! let gz = gz_example(); // gzip.compress(b"K\x01.")
//! let opened = picklegraph::open(&gz);
//! assert_eq!(opened.description(), Some("gzip stream"));
//! let entry = opened.pickles().next().unwrap();
//! assert_eq!(entry.label.as_deref(), Some("gzip ▸ pickle 1"));
//! assert_eq!(entry.result.unwrap().root(), picklegraph::Value::Int(1));
//! # fn gz_example() -> Vec<u8> {
//! #     use std::io::Write;
//! #     let mut gz = flate2::write::GzEncoder::new(Vec::new(), Default::default());
//! #     gz.write_all(b"K\x01.").unwrap();
//! #     gz.finish().unwrap()
//! # }
//! ```

mod classify;
pub mod codec;
pub mod npy;
pub mod sniff;
mod walk;
pub mod zip;

use std::cell::RefCell;

pub use codec::Codec;
pub use walk::{Entry, Pickles, Problem, Stream, Streams, Unopened};

use crate::LoadOptions;

/// The separator of nested labels: `model.zip ▸ config.pkl ▸ gzip ▸ pickle 1`.
pub const LABEL_SEPARATOR: &str = " ▸ ";

/// Limits on what opening a file may decompress, and how pickles are loaded.
///
/// The defaults accept real files (a checkpoint of gigabytes, a joblib file of zeros
/// that compresses a thousand to one) and refuse bombs: at most 4 GiB decompressed in
/// all, at most 10,000 times the file's size once past 64 MiB (deflate cannot pass
/// 1,032 to 1; only a nested or crafted stream does), containers nested at most 8 deep.
/// ```
/// let mut options = picklegraph::OpenOptions::default();
/// options.max_depth = 2;
/// assert_eq!(options.max_decompressed_bytes, 4 << 30);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct OpenOptions {
    /// How each pickle is loaded.
    pub load: LoadOptions,
    /// Most bytes decompressed from one file, all parts together.
    pub max_decompressed_bytes: u64,
    /// Most bytes decompressed per byte of the file, checked past 64 MiB of output.
    pub max_ratio: u64,
    /// Most containers nested inside one another (a gzip in a zip member is 2).
    pub max_depth: usize,
}

/// The default of [`OpenOptions::max_decompressed_bytes`].
pub const DEFAULT_MAX_DECOMPRESSED_BYTES: u64 = 4 << 30;
/// The default of [`OpenOptions::max_ratio`].
pub const DEFAULT_MAX_RATIO: u64 = 10_000;
/// The default of [`OpenOptions::max_depth`].
pub const DEFAULT_MAX_DEPTH: usize = 8;

impl Default for OpenOptions {
    fn default() -> OpenOptions {
        OpenOptions {
            load: LoadOptions::default(),
            max_decompressed_bytes: DEFAULT_MAX_DECOMPRESSED_BYTES,
            max_ratio: DEFAULT_MAX_RATIO,
            max_depth: DEFAULT_MAX_DEPTH,
        }
    }
}

impl OpenOptions {
    /// The defaults, with pickles loaded by `load`.
    pub fn with_load(load: LoadOptions) -> OpenOptions {
        OpenOptions {
            load,
            ..OpenOptions::default()
        }
    }
}

/// Why a part of a file could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The bytes are no pickle and no container picklegraph reads; what they look like.
    #[error("not a pickle: {0}")]
    NotAPickle(String),
    /// A format picklegraph recognizes and does not read.
    #[error("{0}: not supported")]
    Unsupported(String),
    /// A limit of [`OpenOptions`] was reached.
    #[error("{limit} limit of {max} exceeded (raise it in OpenOptions if the file is trusted)")]
    LimitExceeded {
        /// Which limit.
        limit: &'static str,
        /// Its value.
        max: u64,
    },
    /// Containers nested deeper than [`OpenOptions::max_depth`].
    #[error("containers nested deeper than {0}")]
    TooDeep(usize),
    /// A container whose bytes are not what its format says.
    #[error("{what}: {detail}")]
    Corrupt {
        /// The format (`gzip`, `zip`, `npy`).
        what: &'static str,
        /// What is wrong.
        detail: String,
    },
}

/// A file, opened: what it is, and its pickles on demand.
///
/// The decompressed parts live as long as this value; the pickles borrow from them and
/// from the file.
pub struct Opened<'a> {
    bytes: &'a [u8],
    options: OpenOptions,
    description: Option<String>,
    top: Vec<walk::Pending<'a>>,
    parts: typed_arena::Arena<Vec<u8>>,
    budget: codec::Budget,
    notes: RefCell<Vec<String>>,
}

impl std::fmt::Debug for Opened<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opened")
            .field("len", &self.bytes.len())
            .field("description", &self.description)
            .field("notes", &self.notes.borrow())
            .finish_non_exhaustive()
    }
}

/// Opens a file's bytes with the default [`OpenOptions`]: decides what they are, and
/// reads what is needed to say so; nothing is decompressed until
/// [`Opened::pickles`] reaches it.
/// ```
/// let opened = picklegraph::open(b"\x80\x04K\x2a.");
/// let roots: Vec<_> = opened.pickles().map(|e| e.result.unwrap().root()).collect();
/// assert_eq!(roots, [picklegraph::Value::Int(42)]);
/// assert_eq!(opened.description(), None); // a plain pickle
/// ```
pub fn open(bytes: &[u8]) -> Opened<'_> {
    open_with(bytes, &OpenOptions::default())
}

/// [`open`], with other limits.
/// ```
/// let opened = picklegraph::open_with(b"chat_template: x\n", &Default::default());
/// let entry = opened.pickles().next().unwrap();
/// assert_eq!(
///     entry.result.unwrap_err().to_string(),
///     "not a pickle: text, starting \"chat_template: x\""
/// );
/// ```
pub fn open_with<'a>(bytes: &'a [u8], options: &OpenOptions) -> Opened<'a> {
    let mut opened = Opened {
        bytes,
        options: options.clone(),
        description: None,
        top: Vec::new(),
        parts: typed_arena::Arena::new(),
        budget: codec::Budget::new(bytes.len(), options),
        notes: RefCell::new(Vec::new()),
    };
    let (description, top) = opened.classify(bytes, walk::Place::top());
    opened.description = description;
    opened.top = top;
    opened
}

impl<'a> Opened<'a> {
    /// What holds the pickles, for a file that is more than a pickle stream:
    /// `PyTorch zip checkpoint: …`, `gzip stream`, `numpy .npz archive: 2 members`.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// What reading the file noticed and tolerated, as PyTorch's reader tolerates it (a
    /// zip member whose local header disagrees with the directory, a wrong CRC); notes
    /// found while reading a part are added when the iteration reaches it.
    pub fn notes(&self) -> Vec<String> {
        self.notes.borrow().clone()
    }

    /// The options the file was opened with.
    pub fn options(&self) -> &OpenOptions {
        &self.options
    }

    /// Every pickle in the file, in order, loaded with the options' [`LoadOptions`].
    pub fn pickles(&self) -> Pickles<'_, 'a> {
        self.pickles_with(&self.options.load, &[])
    }

    /// [`Opened::pickles`], loaded with `load` and given out-of-band `buffers` (each
    /// pickle takes them from the first, as `pickle.loads(data, buffers=…)` does).
    pub fn pickles_with<'s>(&'s self, load: &LoadOptions, buffers: &[&'s [u8]]) -> Pickles<'s, 'a> {
        Pickles::new(self.streams_unresolved(), load.clone(), buffers.to_vec())
    }

    /// The runs of pickle bytes the file holds (for a disassembler, which lists opcodes
    /// rather than objects), decompressing each part when it is reached.
    pub fn streams(&self) -> Streams<'_, 'a> {
        Streams::new(self, true)
    }

    fn streams_unresolved(&self) -> Streams<'_, 'a> {
        Streams::new(self, false)
    }

    fn note(&self, note: String) {
        self.notes.borrow_mut().push(note);
    }
}
