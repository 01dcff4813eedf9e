//! numpy arrays, dtypes and scalars as numpy pickles them, read from the graph.
//!
//! - An array is `numpy.core.multiarray._reconstruct(ndarray, (0,), b'b')` given the
//!   state `(version, shape, dtype, is_fortran, data)` by `BUILD` (numpy 2 spells the
//!   module `numpy._core.multiarray`), or, from protocol 5,
//!   `numpy.core.numeric._frombuffer(buffer, dtype, shape, order)`, whose buffer may be
//!   in band (a bytearray) or out of band (`NEXT_BUFFER`).
//! - A dtype is `numpy.dtype('f8', False, True)` given `(version, byteorder, subarray,
//!   names, fields, elsize, alignment, flags[, metadata])` by `BUILD`.
//! - A scalar is `numpy.core.multiarray.scalar(dtype, bytes)`.
//!
//! [`array()`], [`dtype()`] and [`scalar()`] read them; their `Display` says what they are,
//! with the first values of numeric arrays decoded.
//!
//! ```
//! use picklegraph::python::numpy;
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/numpy/array_float64.p4.pkl");
//! let bytes = std::fs::read(path).unwrap();
//! let pickle = picklegraph::load(&bytes)?;
//! let array = numpy::array(&pickle, pickle.root().node().unwrap()).unwrap();
//! assert_eq!(array.to_string(), "ndarray(float64, (6,), C order, 48 B) [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]");
//! # Ok::<(), picklegraph::Error>(())
//! ```

use std::fmt;

use super::torch::human_size;
use super::view;
use crate::graph::{InertKind, Items, Node, NodeId, Pickle, Value};
use crate::text::scalar::{float_repr, write_bytes_repr};

/// How many values of an array [`Array`]'s `Display` decodes.
pub const SHOWN_VALUES: usize = 8;

const RECONSTRUCT: &[&str] = &[
    "numpy.core.multiarray._reconstruct",
    "numpy._core.multiarray._reconstruct",
];
const FROMBUFFER: &[&str] = &[
    "numpy.core.numeric._frombuffer",
    "numpy._core.numeric._frombuffer",
];
const DTYPE: &[&str] = &["numpy.dtype"];
const JOBLIB_WRAPPER: &[&str] = &["joblib.numpy_pickle.NumpyArrayWrapper"];
const OLD_JOBLIB_Z_WRAPPER: &[&str] = &["joblib.numpy_pickle.ZNDArrayWrapper"];
const SCALAR: &[&str] = &[
    "numpy.core.multiarray.scalar",
    "numpy._core.multiarray.scalar",
];

/// One field of a structured dtype.
#[derive(Debug, Clone, PartialEq)]
pub struct Field<'p> {
    /// Its name.
    pub name: &'p str,
    /// Its type.
    pub dtype: DType<'p>,
    /// Its byte offset in an element.
    pub offset: u64,
}

/// A numpy dtype.
#[derive(Debug, Clone, PartialEq)]
pub struct DType<'p> {
    /// The type code numpy was given: `f8`, `U3`, `V12`, `M8`.
    pub code: &'p str,
    /// `<`, `>`, `|` (not applicable) or `=` (native).
    pub byteorder: char,
    /// Bytes per element.
    pub itemsize: u64,
    /// The fields of a structured dtype, in order.
    pub fields: Vec<Field<'p>>,
    /// The base type and shape of a subarray dtype.
    pub subarray: Option<(Box<DType<'p>>, Vec<u64>)>,
    /// The unit of a datetime64 or timedelta64 (`D`, `s`, `ns`), with its multiplier.
    pub unit: Option<(String, i64)>,
}

impl DType<'_> {
    /// The kind letter: `b`, `i`, `u`, `f`, `c`, `O`, `U`, `S`, `V`, `M`, `m`.
    pub fn kind(&self) -> char {
        self.code.chars().next().unwrap_or('V')
    }

    /// numpy's `dtype.str`: `<f8`, `|b1`, `<U3`, `<M8[D]`.
    pub fn str_form(&self) -> String {
        let kind = self.kind();
        let size = match kind {
            'U' => self.itemsize / 4,
            'O' => 0,
            _ => self.itemsize,
        };
        let mut out = format!("{}{kind}", self.byteorder_shown());
        if kind != 'O' {
            out.push_str(&size.to_string());
        } else {
            out.push('8');
        }
        if let Some(unit) = self.unit_text() {
            out.push_str(&format!("[{unit}]"));
        }
        out
    }

    fn byteorder_shown(&self) -> char {
        match (self.byteorder, self.itemsize) {
            ('=', _) => '<',
            (_, 1) | ('|', _) => '|',
            (order, _) => order,
        }
    }

    fn unit_text(&self) -> Option<String> {
        let (unit, count) = self.unit.as_ref()?;
        Some(if *count == 1 {
            unit.clone()
        } else {
            format!("{count}{unit}")
        })
    }

    /// A structured dtype's fields as `str(dtype)` lists them: `('x', '<i4')`.
    pub fn field_names(&self) -> Vec<String> {
        self.fields
            .iter()
            .map(|f| format!("('{}', '{}')", f.name, f.dtype.str_form()))
            .collect()
    }

    /// numpy's `str(dtype)`: `float32`, `bool`, `>u4`, `<U3`, `datetime64[D]`,
    /// `[('x', '<i4'), ('y', '<f8')]`.
    pub fn name(&self) -> String {
        if !self.fields.is_empty() {
            return format!("[{}]", self.field_names().join(", "));
        }
        if let Some((base, shape)) = &self.subarray {
            let dims: Vec<String> = shape.iter().map(u64::to_string).collect();
            let comma = if dims.len() == 1 { "," } else { "" };
            return format!("('{}', ({}{comma}))", base.str_form(), dims.join(", "));
        }
        let swapped = self.byteorder == '>' && self.itemsize > 1;
        let bits = self.itemsize * 8;
        match self.kind() {
            'b' => "bool".to_string(),
            'O' => "object".to_string(),
            'U' | 'S' | 'V' => self.str_form(),
            _ if swapped => self.str_form(),
            'i' => format!("int{bits}"),
            'u' => format!("uint{bits}"),
            'f' => format!("float{bits}"),
            'c' => format!("complex{bits}"),
            'M' | 'm' => {
                let base = if self.kind() == 'M' {
                    "datetime64"
                } else {
                    "timedelta64"
                };
                match self.unit_text() {
                    Some(unit) => format!("{base}[{unit}]"),
                    None => base.to_string(),
                }
            }
            _ => self.str_form(),
        }
    }
}

impl fmt::Display for DType<'_> {
    /// `dtype('float32')`, as numpy's repr.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.name();
        if name.starts_with('[') || name.starts_with('(') {
            write!(f, "dtype({name})")
        } else {
            write!(f, "dtype('{name}')")
        }
    }
}

/// The dtype a `numpy.dtype(code, False, True)` node and its `BUILD` state describe.
/// ```
/// // numpy.dtype('u4', False, True).__setstate__((3, '>', None, None, None, -1, -1, 0))
/// let data = b"cnumpy\ndtype\n(Vu4\nI00\nI01\ntR(I3\nV>\nNNNI-1\nI-1\nI0\ntb.";
/// let pickle = picklegraph::load(data)?;
/// let dtype = picklegraph::python::numpy::dtype(&pickle, pickle.root().node().unwrap()).unwrap();
/// assert_eq!((dtype.to_string(), dtype.itemsize), ("dtype('>u4')".to_string(), 4));
/// # Ok::<(), picklegraph::Error>(())
/// ```
pub fn dtype<'p>(pickle: &'p Pickle<'_>, id: NodeId) -> Option<DType<'p>> {
    let made = view::made(pickle, Value::Node(id))?;
    if !view::is_one_of(view::global(pickle, made.func), DTYPE) {
        return None;
    }
    let code = view::text(pickle, made.args.first()?)?;
    let mut dtype = DType {
        code,
        byteorder: '=',
        itemsize: code_itemsize(code).unwrap_or(0),
        fields: Vec::new(),
        subarray: None,
        unit: None,
    };
    if let Some(state) = made.state() {
        apply_state(pickle, &mut dtype, view::tuple(pickle, state)?)?;
    }
    Some(dtype)
}

/// The item size a type code implies (`f8` → 8, `U3` → 12, `b1` → 1).
fn code_itemsize(code: &str) -> Option<u64> {
    let kind = code.chars().next()?;
    let digits: String = code[kind.len_utf8()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let n: u64 = digits.parse().ok()?;
    Some(if kind == 'U' { n.saturating_mul(4) } else { n })
}

/// Reads the `BUILD` state `(version, byteorder, subarray, names, fields, elsize,
/// alignment, flags[, metadata])`.
fn apply_state<'p>(pickle: &'p Pickle<'_>, dtype: &mut DType<'p>, state: Items<'_>) -> Option<()> {
    if state.len() < 8 {
        return None;
    }
    // At least eight items: each of these is there.
    let item = |index: usize| state.get(index).unwrap_or(Value::None);
    dtype.byteorder = view::text(pickle, item(1))?.chars().next()?;
    if item(2) != Value::None {
        let sub = view::tuple(pickle, item(2))?;
        let base = dtype_value(pickle, sub.first()?)?;
        let shape = match sub.get(1)? {
            Value::Int(n) => vec![u64::try_from(n).ok()?],
            other => view::counts(pickle, other)?,
        };
        dtype.subarray = Some((Box::new(base), shape));
    }
    if item(3) != Value::None {
        dtype.fields = fields(pickle, item(3), item(4))?;
    }
    if let Some(elsize) = view::int(item(5)).filter(|&n| n > 0) {
        dtype.itemsize = elsize as u64;
    }
    if let Some(metadata) = state.get(8) {
        dtype.unit = datetime_unit(pickle, metadata);
    }
    Some(())
}

fn dtype_value<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<DType<'p>> {
    dtype(pickle, value.node()?)
}

/// The fields of a structured dtype, in the order of `names`.
fn fields<'p>(pickle: &'p Pickle<'_>, names: Value, fields: Value) -> Option<Vec<Field<'p>>> {
    let entries = view::dict(pickle, fields)?;
    view::tuple(pickle, names)?
        .iter()
        .map(|name| {
            let name = view::text(pickle, name)?;
            let (_, info) = entries
                .iter()
                .find(|&(key, _)| view::text(pickle, key) == Some(name))?;
            let info = view::tuple(pickle, info)?;
            Some(Field {
                name,
                dtype: dtype_value(pickle, info.first()?)?,
                offset: view::count(info.get(1)?)?,
            })
        })
        .collect()
}

/// The unit of a datetime dtype from its metadata `(dict or None, (unit, count, …))`.
fn datetime_unit(pickle: &Pickle<'_>, metadata: Value) -> Option<(String, i64)> {
    let info = view::tuple(pickle, view::tuple(pickle, metadata)?.get(1)?)?;
    let unit = view::text(pickle, info.first()?)?;
    let count = view::int(info.get(1)?)?;
    (unit != "generic").then(|| (unit.to_string(), count))
}

/// Where an array's elements are.
#[derive(Debug, Clone, PartialEq)]
pub enum ArrayData<'p> {
    /// Raw bytes, in the pickle or in a given out-of-band buffer, or a Python 2 str
    /// loaded with `encoding='latin1'`, which numpy encodes back to its bytes with
    /// Latin-1 (the one copy: every other source is borrowed).
    Bytes(std::borrow::Cow<'p, [u8]>),
    /// The elements of an object array: a list in the pickle.
    Objects {
        /// The list.
        list: Value,
        /// Its items.
        items: Items<'p>,
    },
    /// Out-of-band buffer `index`, which was not given to the load.
    OutOfBand(u64),
    /// In a joblib file, right after the `NumpyArrayWrapper` in the stream (see
    /// [`crate::model::joblib`]): not in the graph.
    Joblib,
    /// In the file beside the pickle that joblib < 0.10's `ZNDArrayWrapper` names (a
    /// Z-file of the raw bytes; see [`crate::model::old_joblib`]): not in the graph.
    Beside(&'p str),
    /// Something else (a str with a code point above U+00FF, a hostile value).
    Other(Value),
}

/// A numpy array.
#[derive(Debug, Clone, PartialEq)]
pub struct Array<'p> {
    /// The class, when it is a subclass of `numpy.ndarray` (`numpy.matrix`, …).
    pub class: Option<(&'p str, &'p str)>,
    /// The size of each dimension.
    pub shape: Vec<u64>,
    /// The element type.
    pub dtype: DType<'p>,
    /// Whether the elements are in column-major (Fortran) order.
    pub fortran: bool,
    /// The elements.
    pub data: ArrayData<'p>,
}

impl Array<'_> {
    /// How many elements.
    pub fn len(&self) -> u64 {
        self.shape.iter().fold(1u64, |n, &d| n.saturating_mul(d))
    }

    /// Whether it has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Its elements' bytes.
    pub fn nbytes(&self) -> u64 {
        self.len().saturating_mul(self.dtype.itemsize)
    }

    /// The first `count` elements in row-major order, written as Python writes them;
    /// `None` for dtypes whose elements are not numbers, dates or text, or when the
    /// bytes are missing or short.
    pub fn first_values(&self, count: usize) -> Option<Vec<String>> {
        let ArrayData::Bytes(bytes) = &self.data else {
            return None;
        };
        let size = usize::try_from(self.dtype.itemsize).ok()?;
        if size == 0 || (bytes.len() as u64) < self.nbytes() || !self.dtype.fields.is_empty() {
            return None;
        }
        let shown = usize::try_from(self.len()).unwrap_or(usize::MAX).min(count);
        (0..shown)
            .map(|k| {
                let at = self.memory_index(k as u64)? as usize * size;
                element_text(&self.dtype, bytes.get(at..at + size)?)
            })
            .collect()
    }

    /// The bytes of the `k`-th element in row-major order; `None` past the end, for
    /// short data, or when the elements are not bytes.
    pub fn element(&self, k: u64) -> Option<&[u8]> {
        let ArrayData::Bytes(bytes) = &self.data else {
            return None;
        };
        let size = usize::try_from(self.dtype.itemsize).ok()?;
        if k >= self.len() || size == 0 {
            return None;
        }
        let at = usize::try_from(self.memory_index(k)?)
            .ok()?
            .checked_mul(size)?;
        bytes.get(at..at.checked_add(size)?)
    }

    /// Where the `k`-th element in row-major order lies in memory, in elements.
    fn memory_index(&self, k: u64) -> Option<u64> {
        if !self.fortran {
            return Some(k);
        }
        let mut rest = k;
        let mut index = 0u64;
        let mut step = 1u64;
        let mut coords = vec![0u64; self.shape.len()];
        for (coord, &dim) in coords.iter_mut().zip(&self.shape).rev() {
            *coord = rest % dim.max(1);
            rest /= dim.max(1);
        }
        for (coord, &dim) in coords.iter().zip(&self.shape) {
            index = index.checked_add(coord.checked_mul(step)?)?;
            step = step.checked_mul(dim)?;
        }
        Some(index)
    }
}

impl Array<'_> {
    /// The class the array is: `ndarray`, or a subclass's name (`matrix`, `memmap`).
    pub fn class_name(&self) -> &str {
        self.class.map_or("ndarray", |(_, name)| name)
    }

    /// `C order` or `Fortran order`.
    pub fn order_text(&self) -> &'static str {
        if self.fortran {
            "Fortran order"
        } else {
            "C order"
        }
    }

    /// What follows the header when the data are not the array's own bytes: where they
    /// are (`data in out-of-band buffer 0`), or that they are objects.
    pub fn data_note(&self) -> Option<String> {
        match &self.data {
            ArrayData::OutOfBand(index) => Some(format!("data in out-of-band buffer {index}")),
            ArrayData::Joblib => Some("data after it in the joblib stream".to_string()),
            ArrayData::Beside(file) => Some(format!("data in the file {file:?}")),
            ArrayData::Objects { items, .. } => Some(format!("{} objects", items.len())),
            ArrayData::Other(_) => Some("data not bytes".to_string()),
            ArrayData::Bytes(_) => None,
        }
    }
}

impl fmt::Display for Array<'_> {
    /// `ndarray(float32, (1000, 256), C order, 1.0 MiB) [0.0, 1.0, …]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}({}, {}, {}, {})",
            self.class_name(),
            self.dtype.name(),
            shape_tuple(&self.shape),
            self.order_text(),
            human_size(self.nbytes())
        )?;
        if let Some(note) = self.data_note() {
            return write!(f, " {note}");
        }
        match self.first_values(SHOWN_VALUES) {
            Some(values) => {
                let more = (values.len() as u64) < self.len();
                write!(
                    f,
                    " [{}{}]",
                    values.join(", "),
                    if more { ", …" } else { "" }
                )
            }
            None => Ok(()),
        }
    }
}

/// `(1000, 256)`, `(5,)`, `()`: a shape as Python writes a tuple.
pub fn shape_tuple(shape: &[u64]) -> String {
    let dims: Vec<String> = shape.iter().map(u64::to_string).collect();
    let comma = if dims.len() == 1 { "," } else { "" };
    format!("({}{comma})", dims.join(", "))
}

/// The array a node rebuilds: a `_reconstruct` call with its `BUILD` state, a
/// `_frombuffer` call, or joblib's `NumpyArrayWrapper` (whose bytes follow it in the
/// file, [`ArrayData::Joblib`]).
pub fn array<'p>(pickle: &'p Pickle<'_>, id: NodeId) -> Option<Array<'p>> {
    let made = view::made(pickle, Value::Node(id))?;
    let global = view::global(pickle, made.func);
    if view::is_one_of(global, JOBLIB_WRAPPER) {
        return joblib_wrapper(pickle, &made);
    }
    if view::is_one_of(global, OLD_JOBLIB_Z_WRAPPER) {
        return old_joblib_wrapper(pickle, &made);
    }
    if view::is_one_of(global, RECONSTRUCT) {
        let class = pickle.global_name(made.args.first()?);
        let state = view::tuple(pickle, made.state()?)?;
        // Version 1 states lead with the version; the oldest have no version.
        let skip = match state.len() {
            5 => 1,
            4 => 0,
            _ => return None,
        };
        let item = |index: usize| state.get(skip + index).unwrap_or(Value::None);
        return Some(Array {
            class: class.filter(|&c| c != ("numpy", "ndarray")),
            shape: view::counts(pickle, item(0))?,
            dtype: dtype_value(pickle, item(1))?,
            fortran: view::boolean(item(2))?,
            data: array_data(pickle, item(3)),
        });
    }
    if view::is_one_of(global, FROMBUFFER) {
        let [buffer, dtype, shape, order] = made.args.array()?;
        return Some(Array {
            class: None,
            shape: view::counts(pickle, shape)?,
            dtype: dtype_value(pickle, dtype)?,
            fortran: view::text(pickle, order)? == "F",
            data: array_data(pickle, buffer),
        });
    }
    None
}

/// The array a `NumpyArrayWrapper`'s state `{'subclass', 'shape', 'order', 'dtype', …}`
/// describes.
fn joblib_wrapper<'p>(pickle: &'p Pickle<'_>, made: &view::CallView<'p>) -> Option<Array<'p>> {
    let state = made.state()?;
    let field = |key| view::dict_field(pickle, state, key);
    let shape = match field("shape")? {
        Value::Int(n) => vec![u64::try_from(n).ok()?],
        shape => view::counts(pickle, shape)?,
    };
    let class = field("subclass").and_then(|c| pickle.global_name(c));
    Some(Array {
        class: class.filter(|&c| c != ("numpy", "ndarray")),
        shape,
        dtype: dtype_value(pickle, field("dtype")?)?,
        fortran: field("order").and_then(|o| view::text(pickle, o)) == Some("F"),
        data: ArrayData::Joblib,
    })
}

/// The array a joblib < 0.10 `ZNDArrayWrapper`'s state `{'filename', 'init_args':
/// (subclass, (0,), 'b'), 'state': (1, shape, dtype, fortran)}` describes, its bytes in
/// the file it names.
fn old_joblib_wrapper<'p>(pickle: &'p Pickle<'_>, made: &view::CallView<'p>) -> Option<Array<'p>> {
    let state = made.state()?;
    let field = |key| view::dict_field(pickle, state, key);
    let file = view::text(pickle, field("filename")?)?;
    let layout = view::tuple(pickle, field("state")?)?;
    let [_, shape, dtype, fortran] = layout.array()?;
    let class = field("init_args")
        .and_then(|args| view::tuple(pickle, args))
        .and_then(|args| pickle.global_name(args.first()?));
    Some(Array {
        class: class.filter(|&c| c != ("numpy", "ndarray")),
        shape: view::counts(pickle, shape)?,
        dtype: dtype_value(pickle, dtype)?,
        fortran: view::boolean(fortran)?,
        data: ArrayData::Beside(file),
    })
}

fn array_data<'p>(pickle: &'p Pickle<'_>, value: Value) -> ArrayData<'p> {
    if let Some(bytes) = view::bytes_like(pickle, value) {
        return ArrayData::Bytes(std::borrow::Cow::Borrowed(bytes));
    }
    if let Some(Node::Str(text)) = pickle.get(value) {
        // numpy's __setstate__ takes a str as Python 2's data read with latin1, and
        // encodes it back; a code point above U+00FF makes it fail.
        let bytes: Option<Vec<u8>> = text.code_points().map(|p| u8::try_from(p).ok()).collect();
        if let Some(bytes) = bytes {
            return ArrayData::Bytes(std::borrow::Cow::Owned(bytes));
        }
    }
    if let Some(Node::List(items)) = pickle.get(value) {
        return ArrayData::Objects { list: value, items };
    }
    let buffer = view::inert(pickle, value).and_then(|inert| match inert.kind {
        InertKind::Buffer { index, .. } => Some(index),
        _ => None,
    });
    match buffer {
        Some(index) => pickle
            .buffer(index)
            .map_or(ArrayData::OutOfBand(index), |b| {
                ArrayData::Bytes(std::borrow::Cow::Borrowed(b))
            }),
        None => ArrayData::Other(value),
    }
}

/// A numpy scalar: `numpy.float64(1.5)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Scalar<'p> {
    /// Its type.
    pub dtype: DType<'p>,
    /// Its value as Python writes it, when the dtype is a number, a date or text.
    pub value: Option<String>,
    /// The object, for an object scalar.
    pub object: Option<Value>,
    /// Whether numpy 2 wrote it (`numpy._core.multiarray.scalar`): numpy 2's repr names
    /// the type, `np.float64(1.5)`, where numpy 1's writes the bare value, `1.5`.
    pub numpy2: bool,
}

impl fmt::Display for Scalar<'_> {
    /// `numpy.float64(1.5)`, the type always named.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.dtype.name();
        match (&self.value, self.dtype.kind()) {
            (Some(value), 'b') => write!(f, "numpy.{}_", capitalized(value)),
            (Some(value), _) => write!(f, "numpy.{}({value})", scalar_type(&name)),
            (None, _) => write!(f, "numpy.{}(…)", scalar_type(&name)),
        }
    }
}

impl Scalar<'_> {
    /// The scalar's repr as the numpy that wrote it prints it: `np.float64(1.5)`,
    /// `np.True_`, `np.str_('s')` for numpy 2; `1.5`, `True`, `'s'` for numpy 1, which
    /// names the type only for dates, durations and void (`numpy.datetime64('2024-03-01')`).
    pub fn library_repr(&self) -> String {
        let name = self.dtype.name();
        let kind = self.dtype.kind();
        let prefix = if self.numpy2 { "np" } else { "numpy" };
        match (&self.value, kind) {
            (Some(value), 'b') if self.numpy2 => format!("np.{}_", capitalized(value)),
            (Some(value), 'b') => capitalized(value),
            (Some(value), _) if self.numpy2 || matches!(kind, 'M' | 'm' | 'V') => {
                format!("{prefix}.{}({value})", scalar_type(&name))
            }
            (Some(value), _) => value.clone(),
            (None, _) => format!("{prefix}.{}(…)", scalar_type(&name)),
        }
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// The scalar type numpy names after a dtype: `float64`, `str_`, `bytes_`, `void`.
fn scalar_type(name: &str) -> String {
    match name.trim_start_matches(['<', '>', '|']).chars().next() {
        Some('U') => "str_".to_string(),
        Some('S') => "bytes_".to_string(),
        Some('V') | Some('[') => "void".to_string(),
        _ => name.split('[').next().unwrap_or(name).to_string(),
    }
}

/// The scalar a `numpy.core.multiarray.scalar(dtype, data)` node makes.
pub fn scalar<'p>(pickle: &'p Pickle<'_>, id: NodeId) -> Option<Scalar<'p>> {
    let made = view::made(pickle, Value::Node(id))?;
    let global = view::global(pickle, made.func);
    if !view::is_one_of(global, SCALAR) {
        return None;
    }
    let numpy2 = global.is_some_and(|(module, _)| module.starts_with("numpy._core"));
    let dtype = dtype_value(pickle, made.args.first()?)?;
    let data = made.args.get(1)?;
    if dtype.kind() == 'O' {
        return Some(Scalar {
            dtype,
            value: None,
            object: Some(data),
            numpy2,
        });
    }
    let bytes = view::bytes_like(pickle, data)?;
    let value = (bytes.len() as u64 == dtype.itemsize)
        .then(|| match dtype.kind() {
            'M' | 'm' => {
                let count = int_value(bytes, dtype.byteorder == '>', true)?;
                let count = i64::try_from(count).ok()?;
                super::datetime64::scalar_args(dtype.kind(), dtype.unit.as_ref(), count)
            }
            _ => element_text(&dtype, bytes),
        })
        .flatten();
    Some(Scalar {
        dtype,
        value,
        object: None,
        numpy2,
    })
}

/// One element as Python writes its value: `1.5`, `-3`, `True`, `1j`, `'abc'`,
/// `'2024-02-29'`.
fn element_text(dtype: &DType<'_>, bytes: &[u8]) -> Option<String> {
    let big = dtype.byteorder == '>';
    match dtype.kind() {
        'b' => Some(python_bool(bytes.iter().any(|&b| b != 0)).to_string()),
        'i' => int_value(bytes, big, true).map(|v| v.to_string()),
        'u' => int_value(bytes, big, false).map(|v| v.to_string()),
        'f' => float_text(bytes, big),
        'c' => complex_text(bytes, big),
        'M' | 'm' => {
            let count = i64::try_from(int_value(bytes, big, true)?).ok()?;
            super::datetime64::element(dtype.kind(), dtype.unit.as_ref(), count)
        }
        'U' => ucs4_text(bytes, big),
        'S' => {
            let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
            let mut out = String::new();
            write_bytes_repr(&mut out, &bytes[..end]);
            Some(out)
        }
        _ => None,
    }
}

fn python_bool(value: bool) -> &'static str {
    if value {
        "True"
    } else {
        "False"
    }
}

/// An integer of 1 to 8 bytes in either byte order.
fn int_value(bytes: &[u8], big: bool, signed: bool) -> Option<i128> {
    let n = bytes.len();
    if n == 0 || n > 8 {
        return None;
    }
    let mut buf = [0u8; 16];
    if big {
        buf[16 - n..].copy_from_slice(bytes);
        buf.reverse();
    } else {
        buf[..n].copy_from_slice(bytes);
    }
    let raw = u128::from_le_bytes(buf);
    let shift = 128 - 8 * n as u32;
    Some(if signed {
        ((raw << shift) as i128) >> shift
    } else {
        raw as i128
    })
}

/// A float of 2, 4 or 8 bytes, in its shortest form for its own precision.
fn float_text(bytes: &[u8], big: bool) -> Option<String> {
    let mut buf = bytes.to_vec();
    if big {
        buf.reverse();
    }
    let value = match buf.len() {
        2 => shortest_f16(u16::from_le_bytes([buf[0], buf[1]])),
        4 => {
            let v = f32::from_le_bytes(buf.try_into().ok()?);
            format!("{v:e}").parse().ok()?
        }
        8 => f64::from_le_bytes(buf.try_into().ok()?),
        _ => return None,
    };
    Some(float_repr(value))
}

/// A half-precision float as the f64 with the fewest digits that reads back to it.
fn shortest_f16(bits: u16) -> f64 {
    let exact = f16_to_f64(bits);
    if !exact.is_finite() || exact == 0.0 {
        return exact;
    }
    (1..=5)
        .filter_map(|digits| format!("{exact:.*e}", digits - 1).parse::<f64>().ok())
        .find(|&candidate| f64_to_f16_nearest(candidate) == bits)
        .unwrap_or(exact)
}

/// A half-precision float's value, exactly.
pub(crate) fn f16_to_f64(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exponent = i32::from((bits >> 10) & 0x1f);
    let fraction = f64::from(bits & 0x3ff);
    sign * match exponent {
        0 => fraction * 2f64.powi(-24),
        31 if fraction == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        _ => (1.0 + fraction / 1024.0) * 2f64.powi(exponent - 15),
    }
}

/// The half-precision float nearest to `value`, ties to even.
fn f64_to_f16_nearest(value: f64) -> u16 {
    let sign = if value.is_sign_negative() { 0x8000 } else { 0 };
    let magnitude = value.abs();
    if magnitude.is_nan() {
        return sign | 0x7e00;
    }
    if magnitude >= 65520.0 {
        return sign | 0x7c00;
    }
    let exponent = ((magnitude.to_bits() >> 52) & 0x7ff) as i32 - 1023;
    if exponent < -14 {
        return sign | round_half_even(magnitude * 2f64.powi(24)) as u16;
    }
    let fraction = round_half_even((magnitude * 2f64.powi(-exponent) - 1.0) * 1024.0) as u16;
    // A fraction that rounds up to 1024 carries into the exponent, as the bits add up.
    sign | ((((exponent + 15) as u16) << 10) + fraction)
}

fn round_half_even(x: f64) -> f64 {
    let rounded = x.round();
    if (x - x.trunc()).abs() == 0.5 && rounded % 2.0 != 0.0 {
        rounded - x.signum()
    } else {
        rounded
    }
}

fn complex_text(bytes: &[u8], big: bool) -> Option<String> {
    let half = bytes.len() / 2;
    let re = float_text(&bytes[..half], big)?;
    let im = float_text(&bytes[half..], big)?;
    let im = im.strip_suffix(".0").unwrap_or(&im).to_string();
    let re_zero = re == "0.0";
    Some(if re_zero {
        format!("{im}j")
    } else {
        let re = re.strip_suffix(".0").unwrap_or(&re);
        let sign = if im.starts_with('-') { "" } else { "+" };
        format!("({re}{sign}{im}j)")
    })
}

/// A `U` element: UCS-4 code points, trailing NULs dropped.
fn ucs4_text(bytes: &[u8], big: bool) -> Option<String> {
    let mut text = String::new();
    for chunk in bytes.chunks_exact(4) {
        let raw: [u8; 4] = chunk.try_into().ok()?;
        let cp = if big {
            u32::from_be_bytes(raw)
        } else {
            u32::from_le_bytes(raw)
        };
        text.push(char::from_u32(cp)?);
    }
    let text = text.trim_end_matches('\0');
    let mut out = String::new();
    crate::text::scalar::write_str_repr(&mut out, &crate::PyStr::from_text(text));
    Some(out)
}
