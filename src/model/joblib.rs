//! joblib files: a pickle stream in which each numpy array's bytes follow the `BUILD`
//! of its `joblib.numpy_pickle.NumpyArrayWrapper`, read as joblib's unpickler reads
//! them.
//!
//! After that `BUILD`, joblib reads the array from the file before the next opcode: for
//! an array of objects, a whole pickle of it (protocol 2); otherwise, when the wrapper's
//! state has `numpy_array_alignment_bytes`, one byte giving a padding length and that
//! many padding bytes, then the elements' bytes. [`load`] runs the machine with a
//! raw reader (`machine::RawReader`) that passes over the same bytes and notes where each array lies.
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
use crate::python::view;
use crate::{ErrorKind, LoadOptions};

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
    /// The array a wrapper stands for: its data read from the file, or, for an array of
    /// objects, the array its own pickle holds.
    pub fn array(&self, array: &StreamArray) -> Option<Array<'_>> {
        if let Some(index) = array.nested {
            let nested = self.nested.get(index)?;
            return numpy::array(nested, nested.root().node()?);
        }
        let mut found = numpy::array(&self.pickle, array.wrapper)?;
        found.data = ArrayData::Bytes(std::borrow::Cow::Borrowed(
            self.bytes.get(array.data.clone())?,
        ));
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
    load_with_buffers(bytes, start, options, &[])
}

/// [`load`], with out-of-band buffers for the main pickle (see
/// [`load_with_buffers`](crate::load_with_buffers)).
///
/// # Errors
/// As [`load`], and a `NEXT_BUFFER` beyond the last buffer when buffers are given.
pub fn load_with_buffers<'a>(
    bytes: &'a [u8],
    start: usize,
    options: &LoadOptions,
    buffers: &[&'a [u8]],
) -> Result<JoblibStream<'a>, Box<Failure<'a>>> {
    let mut reader = WrapperReader {
        bytes,
        options,
        arrays: Vec::new(),
        nested: Vec::new(),
    };
    let mut machine = Machine::new(bytes, start, options).with_raw_reader(&mut reader);
    if !buffers.is_empty() {
        machine = machine.with_buffers(buffers);
    }
    let pickle = machine.run()?;
    Ok(JoblibStream {
        pickle,
        arrays: reader.arrays,
        nested: reader.nested,
        bytes,
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
        let Some(array) = numpy::array(graph, target).filter(|a| a.data == ArrayData::Joblib)
        else {
            return Ok(0);
        };
        if has_objects(&array.dtype) {
            return self.object_array(target, position);
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
        let len = usize::try_from(array.nbytes()).unwrap_or(usize::MAX);
        let total = padding.saturating_add(len);
        let remaining = self.bytes.len().saturating_sub(position);
        if total > remaining {
            return Err(ErrorKind::Truncated {
                needed: (total - remaining) as u64,
            });
        }
        let start = position + padding;
        self.arrays.push(StreamArray {
            wrapper: target,
            data: start..start + len,
            nested: None,
        });
        Ok(padding + len)
    }
}

impl<'a> WrapperReader<'a, '_> {
    /// An array of objects: joblib pickles it whole, right after its wrapper.
    fn object_array(&mut self, wrapper: NodeId, position: usize) -> Result<usize, ErrorKind> {
        let nested = crate::load_at(self.bytes, position, self.options)
            .map_err(|failure| failure.error.kind().clone())?;
        let end = nested.span().1;
        self.nested.push(nested);
        self.arrays.push(StreamArray {
            wrapper,
            data: position..position,
            nested: Some(self.nested.len() - 1),
        });
        Ok(end - position)
    }
}

/// Whether the wrapper's state holds `key` with a value other than `None`.
fn made_state_has(pickle: &Pickle<'_>, id: NodeId, key: &str) -> bool {
    view::made(pickle, Value::Node(id))
        .and_then(|made| made.state())
        .and_then(|state| view::dict_field(pickle, state, key))
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
