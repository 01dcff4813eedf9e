#![doc = include_str!("../README.md")]
//! # The library's layers
//!
//! Each module is one layer and names only its own and those below it (`docs/layers.md`;
//! `tests/testsuite/layers.rs` fails on an import across them):
//!
//! - **core**: [`opcode`], [`error`], [`limits`] and [`graph`] (with the machine, the
//!   reader and Python's text rules, which are private): bytes in, [`Pickle`] out.
//! - **recognizers**: [`python`] reads the graph in Python terms (cloudpickle, dill, the
//!   standard library, numpy, pandas, PyTorch) and writes no text of graph values.
//! - **views**: [`render`] (`repr`, `show`, skeletons, `json`, `dis`) and [`stats`] print
//!   the graph and what the recognizers found.
//! - **containers**: [`model`] finds the pickles a file holds (PyTorch, joblib).
//! - **verdicts**: [`scan`] judges what a pickle would import and call; [`convert`]
//!   writes a checkpoint's tensors as safetensors once the scan passes it.
//!
//! The command line (`src/bin/`) only parses arguments and prints what these return.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod builtins;
mod codec;
pub mod container;
pub mod convert;
pub mod error;
pub mod graph;
pub mod limits;
mod machine;
pub mod model;
pub mod opcode;
pub mod python;
mod reader;
pub mod render;
pub mod scan;
pub mod stats;
mod text;

pub use container::{open, open_with, Entry, OpenError, OpenOptions, Opened, Problem};
pub use error::{Error, ErrorKind};
pub use graph::{
    Effect, Entries, Inert, InertKind, Items, Mutation, Node, NodeId, Pickle, PyStr, UndecodedStr,
    Value,
};
pub use limits::{DecodeErrors, LoadOptions, StringEncoding};
pub use machine::direct::{load_into, Build, BuildError, Built};
pub use machine::Failure;
pub use opcode::{ArgKind, Opcode, StackItem};

/// Loads the first pickle in `input` into an inert graph; nothing it names is imported
/// or called. Bytes after the pickle's `STOP` are ignored, as `pickle.loads` ignores them.
/// ```
/// let pickle = picklegraph::load(b"K\x2a.")?; // BININT1 42, STOP
/// assert_eq!(pickle.root(), picklegraph::Value::Int(42));
/// # Ok::<(), picklegraph::Error>(())
/// ```
///
/// # Errors
/// The first malformed opcode, with its offset.
pub fn load(input: &[u8]) -> Result<Pickle<'_>, Error> {
    load_with(input, &LoadOptions::default())
}

/// Loads the first pickle in `input` with the given limits and decoding choices.
///
/// # Errors
/// The first malformed opcode, with its offset, or the first limit reached.
pub fn load_with<'a>(input: &'a [u8], options: &LoadOptions) -> Result<Pickle<'a>, Error> {
    load_at(input, 0, options).map_err(|failure| failure.error)
}

/// Loads the first pickle in `input` with its out-of-band buffers, as
/// `pickle.loads(data, buffers=buffers)` does: the `n`-th `NEXT_BUFFER` takes
/// `buffers[n]`, and [`Pickle::buffer`] gives its bytes back, borrowed, not copied.
/// ```
/// // pickle.dumps(PickleBuffer(b"abc"), protocol=5, buffer_callback=…)
/// let data = b"\x80\x05\x97.";
/// let options = picklegraph::LoadOptions::default();
/// let pickle = picklegraph::load_with_buffers(data, &[b"abc"], &options)?;
/// assert_eq!(pickle.buffer(0), Some(&b"abc"[..]));
/// assert!(picklegraph::load_with_buffers(data, &[], &options).is_err()); // one too few
/// # Ok::<(), picklegraph::Error>(())
/// ```
///
/// # Errors
/// The first malformed opcode, a limit reached, or a `NEXT_BUFFER` beyond the last
/// buffer ([`ErrorKind::NotEnoughBuffers`]).
pub fn load_with_buffers<'a>(
    input: &'a [u8],
    buffers: &[&'a [u8]],
    options: &LoadOptions,
) -> Result<Pickle<'a>, Error> {
    if input.is_empty() {
        return Err(Error::new(0, None, ErrorKind::Empty));
    }
    machine::Machine::new(input, 0, options)
        .with_buffers(buffers)
        .run()
        .map_err(|failure| failure.error)
}

/// Loads the pickle that starts at byte `start` of `input`; on failure, also returns what
/// had been rebuilt when the error struck.
///
/// # Errors
/// A [`Failure`]: the error and the partial graph, stack and memo.
pub fn load_at<'a>(
    input: &'a [u8],
    start: usize,
    options: &LoadOptions,
) -> Result<Pickle<'a>, Box<Failure<'a>>> {
    if start >= input.len() {
        let error = Error::new(start as u64, None, ErrorKind::Empty);
        return Err(machine::Machine::new(input, start, options).fail_empty(error));
    }
    machine::Machine::new(input, start, options).run()
}

/// Iterates over the pickles written one after another into `input`, as repeated
/// `pickle.load` calls on one file read them. Iteration ends after the last pickle, or
/// after the first error.
/// ```
/// let stream = b"K\x01.K\x02.";
/// let roots: Vec<_> = picklegraph::load_all(stream).map(|p| p.unwrap().root()).collect();
/// assert_eq!(roots, [picklegraph::Value::Int(1), picklegraph::Value::Int(2)]);
/// ```
pub fn load_all(input: &[u8]) -> LoadAll<'_> {
    LoadAll {
        input,
        position: 0,
        options: LoadOptions::default(),
        failed: false,
    }
}

/// Iterator returned by [`load_all`].
#[derive(Debug)]
pub struct LoadAll<'a> {
    input: &'a [u8],
    position: usize,
    options: LoadOptions,
    failed: bool,
}

impl<'a> LoadAll<'a> {
    /// The same iteration with other options.
    pub fn with_options(mut self, options: LoadOptions) -> LoadAll<'a> {
        self.options = options;
        self
    }
}

impl<'a> Iterator for LoadAll<'a> {
    type Item = Result<Pickle<'a>, Box<Failure<'a>>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.position >= self.input.len() {
            return None;
        }
        let result = load_at(self.input, self.position, &self.options);
        match &result {
            Ok(pickle) => self.position = pickle.span().1,
            Err(_) => self.failed = true,
        }
        Some(result)
    }
}
