//! joblib files: a pickle stream in which each numpy array's bytes follow the `BUILD`
//! of its `joblib.numpy_pickle.NumpyArrayWrapper`, read as joblib's unpickler reads
//! them.
//!
//! After that `BUILD`, joblib reads the array from the file before the next opcode: for
//! an array of objects, a whole pickle of it (protocol 2); otherwise, when the wrapper's
//! state has `numpy_array_alignment_bytes`, one byte giving a padding length and that
//! many padding bytes, then the elements' bytes. [`load`] runs the machine with a
//! [`RawReader`] that passes over the same bytes and notes where each array lies.
//!
//! ```
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/joblib/dict_with_arrays.p4.pkl");
//! let bytes = std::fs::read(path).unwrap();
//! let stream = picklegraph::model::joblib::load(&bytes, 0, &Default::default()).unwrap();
//! let array = stream.array(&stream.arrays[0]).unwrap();
//! assert_eq!(array.to_string(), "ndarray(float32, (5,), C order, 20 B) [0.0, 1.0, 2.0, 3.0, 4.0]");
//! ```

use std::ops::Range;

use crate::graph::{NodeId, Pickle, Value};
use crate::machine::{Failure, Machine, RawReader};
use crate::python::numpy::{self, Array, ArrayData};
use crate::python::reads;
use crate::{ErrorKind, LoadOptions};

const WRAPPER: &[&str] = &["joblib.numpy_pickle.NumpyArrayWrapper"];

/// Where one array's data lies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamArray {
    /// The `NumpyArrayWrapper` node.
    pub wrapper: NodeId,
    /// The elements' bytes in the file (empty for an array of objects).
    pub data: Range<usize>,
    /// For an array of objects, the index in [`JoblibStream::nested`] of its pickle.
    pub nested: Option<usize>,
}

/// A joblib pickle with its arrays' places and the pickles of its object arrays.
#[derive(Debug)]
pub struct JoblibStream<'a> {
    /// The main pickle.
    pub pickle: Pickle<'a>,
    /// Each array that follows a wrapper, in stream order.
    pub arrays: Vec<StreamArray>,
    /// The pickles of object arrays, in stream order.
    pub nested: Vec<Pickle<'a>>,
    bytes: &'a [u8],
}

impl JoblibStream<'_> {
    /// The array a wrapper stands for, its data read from the file.
    pub fn array(&self, array: &StreamArray) -> Option<Array<'_>> {
        let mut found = wrapper_array(&self.pickle, array.wrapper)?;
        found.data = match array.nested {
            Some(_) => ArrayData::Other(Value::Node(array.wrapper)),
            None => ArrayData::Bytes(self.bytes.get(array.data.clone())?),
        };
        Some(found)
    }

    /// Where the main pickle and the nested ones end, the last byte read.
    pub fn end(&self) -> usize {
        self.nested
            .iter()
            .map(|p| p.span().1)
            .chain([self.pickle.span().1])
            .max()
            .unwrap_or(0)
    }
}

/// Loads the pickle at `start` as joblib does, passing over each array's bytes.
///
/// # Errors
/// The first malformed opcode, or an array whose bytes run past the end of the file.
pub fn load<'a>(
    bytes: &'a [u8],
    start: usize,
    options: &LoadOptions,
) -> Result<JoblibStream<'a>, Box<Failure<'a>>> {
    let mut reader = WrapperReader {
        bytes,
        options,
        arrays: Vec::new(),
        nested: Vec::new(),
    };
    let pickle = Machine::new(bytes, start, options)
        .with_raw_reader(&mut reader)
        .run()?;
    Ok(JoblibStream {
        pickle,
        arrays: reader.arrays,
        nested: reader.nested,
        bytes,
    })
}

/// Whether a node is a `NumpyArrayWrapper`, which no plain unpickler can read: a pickle
/// holding one is a joblib file.
pub fn is_wrapper(pickle: &Pickle<'_>, id: NodeId) -> bool {
    reads::made(pickle, Value::Node(id)).is_some_and(|made| made.is(WRAPPER))
}

/// The array a `NumpyArrayWrapper`'s state describes (its data left as the wrapper:
/// the bytes are in the file, not in the graph).
pub fn wrapper_array<'p>(pickle: &'p Pickle<'_>, id: NodeId) -> Option<Array<'p>> {
    let made = reads::made(pickle, Value::Node(id))?;
    if !made.is(WRAPPER) {
        return None;
    }
    let state = made.state()?;
    let field = |key| reads::field(pickle, state, key);
    let dtype = numpy::dtype(pickle, field("dtype")?.node()?)?;
    let shape = match field("shape")? {
        Value::Int(n) => vec![u64::try_from(n).ok()?],
        shape => reads::counts(pickle, shape)?,
    };
    let class = field("subclass").and_then(|c| pickle.global_name(c));
    Some(Array {
        class: class.filter(|&c| c != ("numpy", "ndarray")),
        shape,
        dtype,
        fortran: field("order").and_then(|o| reads::text(pickle, o)) == Some("F"),
        data: ArrayData::Other(Value::Node(id)),
    })
}

struct WrapperReader<'a, 'o> {
    bytes: &'a [u8],
    options: &'o LoadOptions,
    arrays: Vec<StreamArray>,
    nested: Vec<Pickle<'a>>,
}

impl<'a> RawReader<'a> for WrapperReader<'a, '_> {
    fn after_build(
        &mut self,
        graph: &Pickle<'a>,
        target: NodeId,
        position: usize,
    ) -> Result<usize, ErrorKind> {
        let Some(array) = wrapper_array(graph, target) else {
            return Ok(0);
        };
        if has_objects(&array.dtype) {
            let nested = crate::load_at(self.bytes, position, self.options)
                .map_err(|failure| failure.error.kind().clone())?;
            let end = nested.span().1;
            self.nested.push(nested);
            self.arrays.push(StreamArray {
                wrapper: target,
                data: position..position,
                nested: Some(self.nested.len() - 1),
            });
            return Ok(end - position);
        }
        let aligned = made_state_has(graph, target, "numpy_array_alignment_bytes");
        let padding = if aligned {
            1 + usize::from(
                *self
                    .bytes
                    .get(position)
                    .ok_or(ErrorKind::Truncated { needed: 1 })?,
            )
        } else {
            0
        };
        let start = position + padding;
        let len = usize::try_from(array.nbytes()).map_err(|_| ErrorKind::Truncated {
            needed: array.nbytes(),
        })?;
        let available = self.bytes.len().saturating_sub(start);
        if len > available || padding > self.bytes.len() - position {
            return Err(ErrorKind::Truncated {
                needed: (len.saturating_add(padding) - available.min(len)) as u64,
            });
        }
        self.arrays.push(StreamArray {
            wrapper: target,
            data: start..start + len,
            nested: None,
        });
        Ok(padding + len)
    }
}

/// Whether the wrapper's state holds `key` with a value other than `None`.
fn made_state_has(pickle: &Pickle<'_>, id: NodeId, key: &str) -> bool {
    reads::made(pickle, Value::Node(id))
        .and_then(|made| made.state())
        .and_then(|state| reads::field(pickle, state, key))
        .is_some_and(|value| value != Value::None)
}

/// numpy's `dtype.hasobject`: objects anywhere in the dtype, fields included.
fn has_objects(dtype: &numpy::DType<'_>) -> bool {
    let mut pending = vec![dtype];
    while let Some(dtype) = pending.pop() {
        if dtype.kind() == 'O' {
            return true;
        }
        pending.extend(dtype.fields.iter().map(|f| &f.dtype));
        pending.extend(dtype.subarray.iter().map(|(base, _)| base.as_ref()));
    }
    false
}
