//! The values of pandas columns, read from the pickle row by row: numpy blocks, Arrow
//! string arrays, categorical codes and categories, nullable data and mask, period
//! ordinals, interval bounds, sparse values and their `IntIndex`. Only the rows asked for
//! are read, so showing the first rows of a ten-million-row frame reads a few bytes.
//!
//! [`values`] says what a block's values are ([`Values`]: the dtype as pandas names it,
//! the [`Kind`] that says how pandas formats it, and where the data lie); [`Values::cell`]
//! reads one row as a [`Cell`]. Text is the view's business
//! (`render::show::pandas`): a cell is data.

use std::borrow::Cow;

use super::arrow::{self, ArrowArray, ArrowValue};
use super::numpy::{self, Array, ArrayData, DType};
use super::pandas_zone::{self, Zone};
use super::view;
use crate::graph::{Items, Pickle, Value};

const NDARRAY_BACKED: &[&str] = &["pandas._libs.arrays.__pyx_unpickle_NDArrayBacked"];
const INTERVAL_MIXIN: &[&str] = &["pandas._libs.interval.__pyx_unpickle_IntervalMixin"];
const NEW_INDEX: &[&str] = &["pandas.core.indexes.base._new_Index"];
const INT_INDEX: &[&str] = &["pandas._libs.sparse.IntIndex"];
const BLOCK_INDEX: &[&str] = &["pandas._libs.sparse.BlockIndex"];
/// Most blocks of a sparse `BlockIndex` walked to find a row: a row's position among the
/// stored values is the sum of the lengths of the blocks before its own.
const MAX_SPARSE_BLOCKS: u64 = 100_000;
const NA: &[&str] = &["pandas.NA", "pandas._libs.missing.NA"];
const NAT: &[&str] = &["pandas.NaT", "pandas._libs.tslibs.nattype.NaT"];

/// How pandas formats a column: which of its formatters, with what it needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// int or uint numpy data.
    Int,
    /// float numpy data.
    Float,
    /// bool numpy data.
    Bool,
    /// Objects: strs, `None`, any value.
    Object,
    /// pandas strings (`str`, `string[python]`, `string[pyarrow]`).
    Str,
    /// `datetime64[unit]`, with the zone's name when tz-aware.
    Datetime {
        /// numpy's unit: `ns`, `us`, `ms`, `s`, `D`, …
        unit: String,
        /// The time zone, when tz-aware.
        tz: Option<Zone>,
    },
    /// `timedelta64[unit]`.
    Timedelta {
        /// numpy's unit.
        unit: String,
        /// Whether a column writes every value's fraction at the finest precision any
        /// value needs, as pandas 3 does; older pandas writes each value's own.
        shared_fraction: bool,
    },
    /// `period[freq]`: ordinals counted in `freq` from 1970.
    Period {
        /// The frequency as pandas spells it in the dtype: `M`, `D`, `Y-DEC`, `Q-DEC`.
        freq: String,
    },
    /// `interval[subtype, closed]`.
    Interval {
        /// `right`, `left`, `both` or `neither`.
        closed: String,
        /// How the bounds format.
        bounds: Box<Kind>,
    },
    /// An Arrow `timestamp[unit]` or `timestamp[unit, tz=zone]`: each value as
    /// `str(Timestamp)`.
    ArrowTimestamp {
        /// The unit: `s`, `ms`, `us`, `ns`.
        unit: String,
        /// The zone, when tz-aware.
        tz: Option<Zone>,
    },
    /// An Arrow `list<…>` or `struct<…>`: each value as pandas converts it to numpy
    /// (a list as a numpy array, a struct as a dict).
    ArrowNested,
    /// An Arrow `date32[day]` (a count of days) or `date64[ms]` (of milliseconds): each
    /// value as `str(date)`.
    ArrowDate {
        /// `D` or `ms`.
        unit: String,
    },
    /// `category`: the categories' kind.
    Category(Box<Kind>),
    /// Nullable `Int64`, `Float64`, `boolean`: the data's kind, missing as `<NA>`.
    Masked(Box<Kind>),
    /// `Sparse[…]`: the values' kind.
    Sparse(Box<Kind>),
    /// Something this reader does not know: shown by dtype only.
    Unknown,
}

impl Kind {
    /// Whether pandas counts the dtype numeric (`is_numeric_dtype`): its header gets a
    /// leading space in a frame.
    pub fn is_numeric(&self) -> bool {
        match self {
            Kind::Int | Kind::Float | Kind::Bool => true,
            Kind::Masked(inner) | Kind::Sparse(inner) => inner.is_numeric(),
            _ => false,
        }
    }
}

/// One value of a column.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'p> {
    /// An integer.
    Int(i128),
    /// A float (NaN included: pandas writes it `NaN`).
    Float(f64),
    /// A bool.
    Bool(bool),
    /// A str.
    Str(Cow<'p, str>),
    /// A datetime64 count of its column's unit.
    Datetime(i64),
    /// A timedelta64 count of its column's unit.
    Timedelta(i64),
    /// A period's ordinal.
    Period(i64),
    /// An interval's bounds.
    Interval(Box<Cell<'p>>, Box<Cell<'p>>),
    /// `pd.NA`.
    Na,
    /// `NaT`.
    NaT,
    /// `None`.
    None,
    /// Any other object, for the view to write.
    Object(Value),
    /// A slot of an Arrow list or struct.
    Arrow(ArrowValue<'p>),
    /// A value that could not be read, and why.
    Unread(String),
}

/// The values of a block or an array: their dtype, kind and where they lie.
#[derive(Debug, Clone)]
pub struct Values<'p> {
    /// The dtype as pandas names it: `int64`, `str`, `datetime64[us, Europe/Paris]`.
    pub dtype: String,
    /// How pandas formats them.
    pub kind: Kind,
    data: Data<'p>,
}

#[derive(Debug, Clone)]
enum Data<'p> {
    /// numpy elements from `start` (a 2-D block's row), `len` of them.
    Numpy {
        array: Array<'p>,
        start: u64,
        len: u64,
    },
    /// An object array's items from `start`.
    Objects {
        items: Items<'p>,
        start: u64,
        len: u64,
    },
    /// An Arrow array; `nan`: its nulls are NaN (pandas 3's `str`), not `pd.NA`.
    Arrow { array: ArrowArray<'p>, nan: bool },
    Masked {
        data: Box<Data<'p>>,
        mask: Box<Data<'p>>,
    },
    Categorical {
        codes: Box<Data<'p>>,
        categories: Box<Data<'p>>,
        /// The categories' dtype (`str`, `object`, `int64`).
        categories_dtype: String,
        ordered: bool,
    },
    Interval {
        left: Box<Data<'p>>,
        right: Box<Data<'p>>,
    },
    Sparse {
        length: u64,
        /// An `IntIndex`'s sorted positions, or a `BlockIndex`'s sorted block starts.
        indices: Box<Data<'p>>,
        /// A `BlockIndex`'s block lengths.
        block_lengths: Option<Box<Data<'p>>>,
        values: Box<Data<'p>>,
        fill: Value,
    },
    /// Values not in the pickle, or in a form not read; the note says which.
    Missing(String),
}

impl<'p> Values<'p> {
    /// How many rows, as far as the data say.
    pub fn len(&self) -> Option<u64> {
        self.data.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }

    /// Row `row`; a [`Cell::Unread`] says why when it cannot be read.
    pub fn cell(&self, pickle: &'p Pickle<'_>, row: u64) -> Cell<'p> {
        self.data.cell(pickle, row)
    }

    /// The same values seen from the `index`-th row of a 2-D block (`(columns, rows)`).
    fn block_row(mut self, index: u64) -> Values<'p> {
        if let Data::Numpy { start, len, .. } | Data::Objects { start, len, .. } = &mut self.data {
            *start = index.saturating_mul(*len);
        }
        self
    }
}

impl<'p> Data<'p> {
    fn len(&self) -> Option<u64> {
        match self {
            Data::Numpy { len, .. } | Data::Objects { len, .. } => Some(*len),
            Data::Arrow { array, .. } => Some(array.length),
            Data::Masked { data, .. } => data.len(),
            Data::Categorical { codes, .. } => codes.len(),
            Data::Interval { left, .. } => left.len(),
            Data::Sparse { length, .. } => Some(*length),
            Data::Missing(_) => None,
        }
    }

    fn cell(&self, pickle: &'p Pickle<'_>, row: u64) -> Cell<'p> {
        if self.len().is_some_and(|len| row >= len) {
            return Cell::Unread(format!("row {row} past the data"));
        }
        match self {
            Data::Numpy { array, start, .. } => {
                match start.checked_add(row).and_then(|k| array.element(k)) {
                    Some(bytes) => element(&array.dtype, bytes),
                    None => Cell::Unread("data shorter than the shape".to_string()),
                }
            }
            Data::Objects { items, start, .. } => {
                match start
                    .checked_add(row)
                    .and_then(|k| usize::try_from(k).ok())
                    .and_then(|k| items.get(k))
                {
                    Some(value) => object(pickle, value),
                    None => Cell::Unread("fewer objects than the shape".to_string()),
                }
            }
            Data::Arrow { array, nan } => match array.value(row) {
                Ok(ArrowValue::Null) if *nan => Cell::Float(f64::NAN),
                Ok(ArrowValue::Null) => Cell::Na,
                Ok(ArrowValue::Str(text)) => Cell::Str(text),
                Ok(ArrowValue::Int(n))
                    if array.unit.is_some() || array.type_name.starts_with("date") =>
                {
                    match i64::try_from(n) {
                        Ok(count) => Cell::Datetime(count),
                        Err(_) => Cell::Unread(format!("date count {n}")),
                    }
                }
                Ok(ArrowValue::Int(n)) => Cell::Int(n),
                Ok(ArrowValue::Float(f)) => Cell::Float(f),
                Ok(ArrowValue::Bool(b)) => Cell::Bool(b),
                Ok(value @ (ArrowValue::List(_) | ArrowValue::Struct(_))) => Cell::Arrow(value),
                Err(error) => Cell::Unread(error.to_string()),
            },
            Data::Masked { data, mask } => match mask.cell(pickle, row) {
                Cell::Bool(true) => Cell::Na,
                Cell::Bool(false) => data.cell(pickle, row),
                other => other,
            },
            Data::Categorical {
                codes, categories, ..
            } => match codes.cell(pickle, row) {
                Cell::Int(-1) => Cell::Float(f64::NAN),
                Cell::Int(code) => match u64::try_from(code) {
                    Ok(code) => categories.cell(pickle, code),
                    Err(_) => Cell::Unread(format!("category code {code}")),
                },
                other => other,
            },
            Data::Interval { left, right } => {
                match (left.cell(pickle, row), right.cell(pickle, row)) {
                    (Cell::Float(f), _) if f.is_nan() => Cell::Float(f),
                    (Cell::NaT, _) => Cell::Float(f64::NAN),
                    (left, right) => Cell::Interval(Box::new(left), Box::new(right)),
                }
            }
            Data::Sparse {
                indices,
                block_lengths,
                values,
                fill,
                ..
            } => match match block_lengths {
                None => sparse_position(pickle, indices, row),
                Some(lengths) => sparse_block_position(pickle, indices, lengths, row),
            } {
                Ok(Some(position)) => values.cell(pickle, position),
                Ok(None) => object(pickle, *fill),
                Err(note) => Cell::Unread(note),
            },
            Data::Missing(note) => Cell::Unread(note.clone()),
        }
    }
}

/// Where row `row` is among a sparse array's stored values: a binary search of the
/// sorted `IntIndex` indices, reading only the log of their count.
fn sparse_position(
    pickle: &Pickle<'_>,
    indices: &Data<'_>,
    row: u64,
) -> Result<Option<u64>, String> {
    let count = indices.len().ok_or("sparse indices not read")?;
    let (mut low, mut high) = (0u64, count);
    while low < high {
        let mid = low + (high - low) / 2;
        let Cell::Int(index) = indices.cell(pickle, mid) else {
            return Err("sparse indices not ints".to_string());
        };
        match index.cmp(&i128::from(row)) {
            std::cmp::Ordering::Equal => return Ok(Some(mid)),
            std::cmp::Ordering::Less => low = mid + 1,
            std::cmp::Ordering::Greater => high = mid,
        }
    }
    Ok(None)
}

/// Where row `row` is among the stored values of a sparse array whose `BlockIndex` has
/// the block `starts` and `lengths`.
fn sparse_block_position(
    pickle: &Pickle<'_>,
    starts: &Data<'_>,
    lengths: &Data<'_>,
    row: u64,
) -> Result<Option<u64>, String> {
    let count = starts.len().ok_or("sparse blocks not read")?;
    if lengths.len() != Some(count) {
        return Err("sparse block lengths and starts differ in number".to_string());
    }
    let int = |data: &Data<'_>, k: u64| match data.cell(pickle, k) {
        Cell::Int(n) => Some(n),
        _ => None,
    };
    block_position(count, |k| Some((int(starts, k)?, int(lengths, k)?)), row)
}

/// Where row `row` is among the stored values of a sparse array with a `BlockIndex` of
/// `count` sorted blocks: the lengths of the blocks before the one that holds it, plus
/// its place in that block.
fn block_position(
    count: u64,
    block: impl Fn(u64) -> Option<(i128, i128)>,
    row: u64,
) -> Result<Option<u64>, String> {
    if count > MAX_SPARSE_BLOCKS {
        return Err(format!("{count} sparse blocks, more than are read"));
    }
    let row = i128::from(row);
    let mut position: i128 = 0;
    for k in 0..count {
        let (start, len) = block(k)
            .filter(|&(start, len)| start >= 0 && len >= 0)
            .ok_or("sparse blocks not counts")?;
        if row < start {
            return Ok(None);
        }
        if row - start < len {
            let at = u64::try_from(position + row - start).map_err(|e| e.to_string())?;
            return Ok(Some(at));
        }
        position += len;
    }
    Ok(None)
}

/// A numpy element.
fn element<'p>(dtype: &DType<'_>, bytes: &[u8]) -> Cell<'p> {
    let big = dtype.byteorder == '>';
    let int = |signed: bool| {
        let mut buf = [0u8; 8];
        let n = bytes.len().min(8);
        if big {
            buf[8 - n..].copy_from_slice(&bytes[..n]);
            buf.reverse();
        } else {
            buf[..n].copy_from_slice(&bytes[..n]);
        }
        let raw = u64::from_le_bytes(buf);
        let shift = 64 - 8 * n as u32;
        match signed {
            true if n > 0 => i128::from(((raw << shift) as i64) >> shift),
            _ => i128::from(raw),
        }
    };
    match (dtype.kind(), bytes.len()) {
        ('b', _) => Cell::Bool(bytes.iter().any(|&b| b != 0)),
        ('i', 1..=8) => Cell::Int(int(true)),
        ('u', 1..=8) => Cell::Int(int(false)),
        ('f', 8) => Cell::Float(f64::from_bits(int(false) as u64)),
        ('f', 4) => Cell::Float(f64::from(f32::from_bits(int(false) as u32))),
        ('M', 8) => match int(true) as i64 {
            i64::MIN => Cell::NaT,
            count => Cell::Datetime(count),
        },
        ('m', 8) => match int(true) as i64 {
            i64::MIN => Cell::NaT,
            count => Cell::Timedelta(count),
        },
        (kind, _) => Cell::Unread(format!("numpy kind {kind} not decoded")),
    }
}

/// An object in an object array.
fn object<'p>(pickle: &'p Pickle<'_>, value: Value) -> Cell<'p> {
    match value {
        Value::None => return Cell::None,
        Value::Bool(b) => return Cell::Bool(b),
        Value::Int(n) => return Cell::Int(n.into()),
        Value::Float(f) => return Cell::Float(f),
        Value::Node(_) => {}
    }
    if let Some(text) = view::str(pickle, value) {
        return Cell::Str(Cow::Borrowed(text));
    }
    let global = view::global(pickle, value);
    if view::is_one_of(global, NA) {
        return Cell::Na;
    }
    if view::is_one_of(global, NAT) {
        return Cell::NaT;
    }
    Cell::Object(value)
}

/// The values a block or an array holds: a numpy array, or one of pandas' extension
/// arrays.
pub fn values<'p>(pickle: &'p Pickle<'_>, value: Value) -> Values<'p> {
    values_in(pickle, value, 0)
}

/// How deep extension arrays may nest (a categorical's categories, an interval's bounds,
/// a sparse array's values): real ones nest once; a hostile pickle may make a cycle.
const MAX_NESTING: u8 = 4;

fn values_in<'p>(pickle: &'p Pickle<'_>, value: Value, depth: u8) -> Values<'p> {
    if depth > MAX_NESTING {
        return Values {
            dtype: "?".to_string(),
            kind: Kind::Unknown,
            data: Data::Missing("arrays nested too deep".to_string()),
        };
    }
    extension(pickle, value, depth)
        .or_else(|| numpy_values(pickle, value))
        .unwrap_or_else(|| {
            let name = view::made(pickle, value)
                .and_then(|made| view::global(pickle, made.func))
                .map_or("?", |(_, name)| name);
            Values {
                dtype: name.to_string(),
                kind: Kind::Unknown,
                data: Data::Missing(format!("{name} not read")),
            }
        })
}

/// The values of a 2-D block's `row`-th row (one column of the frame).
pub(crate) fn block_values<'p>(pickle: &'p Pickle<'_>, value: Value, row: u64) -> Values<'p> {
    let values = values(pickle, value);
    match &values.data {
        Data::Numpy { .. } | Data::Objects { .. } => values.block_row(row),
        _ => values,
    }
}

fn numpy_values<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<Values<'p>> {
    let array = numpy::array(pickle, value.node()?)?;
    let dtype = array.dtype.name();
    let kind = match array.dtype.kind() {
        'i' | 'u' => Kind::Int,
        'f' => Kind::Float,
        'b' => Kind::Bool,
        'O' => Kind::Object,
        'M' => Kind::Datetime {
            unit: unit_of(&array.dtype),
            tz: None,
        },
        'm' => Kind::Timedelta {
            unit: unit_of(&array.dtype),
            shared_fraction: false,
        },
        _ => Kind::Unknown,
    };
    Some(Values {
        dtype,
        kind,
        data: array_data(array),
    })
}

fn unit_of(dtype: &DType<'_>) -> String {
    dtype
        .unit
        .as_ref()
        .map_or_else(|| "ns".to_string(), |(unit, _)| unit.clone())
}

/// An array's elements, one row of a 2-D block at a time (the last dimension is rows).
fn array_data(array: Array<'_>) -> Data<'_> {
    let len = array.shape.last().copied().unwrap_or(1);
    match array.data {
        ArrayData::Objects { items, .. } => Data::Objects {
            items,
            start: 0,
            len,
        },
        ArrayData::Bytes(_) => Data::Numpy {
            array,
            start: 0,
            len,
        },
        _ => Data::Missing(array.data_note().unwrap_or_default()),
    }
}

fn raw_data<'p>(pickle: &'p Pickle<'_>, value: Value) -> Data<'p> {
    match numpy_values(pickle, value) {
        Some(values) => values.data,
        None => match arrow::array(pickle, value) {
            Some(array) => Data::Arrow { array, nan: false },
            None => Data::Missing("array not read".to_string()),
        },
    }
}

/// pandas' extension arrays.
fn extension<'p>(pickle: &'p Pickle<'_>, value: Value, depth: u8) -> Option<Values<'p>> {
    let made = view::made(pickle, value)?;
    let global = view::global(pickle, made.func);
    if view::is_one_of(global, NDARRAY_BACKED) {
        let class = pickle.global_name(made.args.first()?)?;
        let state = view::sequence(pickle, made.state()?)?;
        return Some(backed(pickle, class, state.first()?, state.get(1)?, depth));
    }
    if view::is_one_of(global, INTERVAL_MIXIN) {
        let state = view::sequence(pickle, made.state()?)?;
        return interval(pickle, state.first()?, depth);
    }
    let (_, class) = global?;
    let state = made.state()?;
    match class {
        "ArrowStringArray" | "ArrowStringArrayNumpySemantics" | "ArrowExtensionArray" => {
            let array = view::dict_field(pickle, state, "_pa_array")
                .or_else(|| view::dict_field(pickle, state, "_data"))?;
            let dtype = view::dict_field(pickle, state, "_dtype");
            let nan = class == "ArrowStringArrayNumpySemantics"
                || dtype.is_some_and(|d| string_na_is_nan(pickle, d));
            let (dtype, kind) = match (class, nan) {
                ("ArrowExtensionArray", _) => (arrow_dtype_name(pickle, array), Kind::Str),
                (_, true) => ("str".to_string(), Kind::Str),
                (_, false) => ("string[pyarrow]".to_string(), Kind::Str),
            };
            let data = match arrow::array(pickle, array) {
                Some(array) => Data::Arrow { array, nan },
                None => Data::Missing("Arrow array not read (chunked?)".to_string()),
            };
            let kind = match &data {
                Data::Arrow { array: a, .. } => match (a.type_name, a.unit) {
                    (_, Some(unit)) => Kind::ArrowTimestamp {
                        unit: unit.to_string(),
                        tz: a.tz.map(Zone::named),
                    },
                    ("list" | "large_list" | "struct", _) => Kind::ArrowNested,
                    ("date32[day]" | "date32", _) => Kind::ArrowDate {
                        unit: "D".to_string(),
                    },
                    ("date64[ms]" | "date64", _) => Kind::ArrowDate {
                        unit: "ms".to_string(),
                    },
                    (name, _) if name.contains("string") => kind,
                    ("dictionary", _) => match a.dictionary.as_deref() {
                        Some(d) if d.values.type_name.contains("string") => Kind::Str,
                        _ => Kind::Object,
                    },
                    ("bool", _) => Kind::Masked(Box::new(Kind::Bool)),
                    ("double" | "float", _) => Kind::Masked(Box::new(Kind::Float)),
                    _ => Kind::Masked(Box::new(Kind::Int)),
                },
                _ => kind,
            };
            Some(Values { dtype, kind, data })
        }
        "IntegerArray" | "FloatingArray" | "BooleanArray" => {
            let data = numpy_values(pickle, view::dict_field(pickle, state, "_data")?)?;
            let mask = raw_data(pickle, view::dict_field(pickle, state, "_mask")?);
            let dtype = match data.kind {
                Kind::Bool => "boolean".to_string(),
                _ => {
                    let name = data.dtype.clone();
                    let (head, tail) = name.split_at(name.starts_with('u').into());
                    let mut out = head.to_uppercase();
                    let mut chars = tail.chars();
                    out.extend(chars.next().map(|c| c.to_ascii_uppercase()));
                    out.extend(chars);
                    out
                }
            };
            Some(Values {
                dtype,
                kind: Kind::Masked(Box::new(data.kind)),
                data: Data::Masked {
                    data: Box::new(data.data),
                    mask: Box::new(mask),
                },
            })
        }
        "SparseArray" => sparse(pickle, state, depth),
        _ => None,
    }
}

/// `StringDtype('pyarrow', nan)` (pandas 3's `str`) or a state whose `_na_value` is NaN.
fn string_na_is_nan(pickle: &Pickle<'_>, dtype: Value) -> bool {
    let Some(made) = view::made(pickle, dtype) else {
        return false;
    };
    let na = made.args.get(1).or_else(|| {
        made.state()
            .and_then(|s| view::dict_field(pickle, s, "_na_value"))
    });
    matches!(na, Some(Value::Float(f)) if f.is_nan())
}

/// An Arrow-backed column's dtype: pyarrow's type and `[pyarrow]`.
fn arrow_dtype_name(pickle: &Pickle<'_>, array: Value) -> String {
    match arrow::array(pickle, array) {
        Some(array) => format!("{}[pyarrow]", array.type_text()),
        None => "object".to_string(),
    }
}

/// An `NDArrayBacked` array: `(dtype, ndarray)` as its state.
fn backed<'p>(
    pickle: &'p Pickle<'_>,
    (module, class): (&str, &str),
    dtype: Value,
    array: Value,
    depth: u8,
) -> Values<'p> {
    let data = raw_data(pickle, array);
    let numpy_dtype = || dtype.node().and_then(|id| numpy::dtype(pickle, id));
    let (dtype_name, kind) = match class {
        "DatetimeArray" => {
            let tz = tz_dtype(pickle, dtype);
            let unit = match (&tz, numpy_dtype()) {
                (Some((unit, _)), _) => unit.clone(),
                (None, Some(d)) => unit_of(&d),
                (None, None) => "ns".to_string(),
            };
            let tz = tz.and_then(|(_, tz)| tz);
            let name = match &tz {
                Some(tz) => format!("datetime64[{unit}, {}]", tz.name),
                None => format!("datetime64[{unit}]"),
            };
            (name, Kind::Datetime { unit, tz })
        }
        "TimedeltaArray" => {
            let unit = numpy_dtype().map_or_else(|| "ns".to_string(), |d| unit_of(&d));
            // pandas 3 pickles its arrays under their public path, `pandas.arrays`.
            let shared_fraction = module == "pandas.arrays";
            let kind = Kind::Timedelta {
                unit: unit.clone(),
                shared_fraction,
            };
            (format!("timedelta64[{unit}]"), kind)
        }
        "PeriodArray" => {
            let freq = period_freq(pickle, dtype).unwrap_or_else(|| "?".to_string());
            (format!("period[{freq}]"), Kind::Period { freq })
        }
        "Categorical" => return categorical(pickle, dtype, data, depth),
        "StringArray" | "StringArrayNumpySemantics" => {
            let nan = class == "StringArrayNumpySemantics" || string_na_is_nan(pickle, dtype);
            let name = if nan { "str" } else { "string[python]" };
            (name.to_string(), Kind::Str)
        }
        _ => {
            return Values {
                dtype: class.to_string(),
                kind: Kind::Unknown,
                data: Data::Missing(format!("{class} not read")),
            }
        }
    };
    Values {
        dtype: dtype_name,
        kind,
        data,
    }
}

/// A `DatetimeTZDtype`'s unit and zone.
fn tz_dtype(pickle: &Pickle<'_>, dtype: Value) -> Option<(String, Option<Zone>)> {
    let made = view::made(pickle, dtype)?;
    if view::global(pickle, made.func)?.1 != "DatetimeTZDtype" {
        return None;
    }
    let state = made.state()?;
    let unit = view::dict_field(pickle, state, "unit")
        .and_then(|u| view::text(pickle, u))
        .unwrap_or("ns");
    let tz = view::dict_field(pickle, state, "tz").map(|tz| pandas_zone::zone(pickle, tz));
    Some((unit.to_string(), tz))
}

/// A `PeriodDtype`'s frequency: `PeriodDtype('period[M]')`, or pandas 1's
/// `PeriodDtype(MonthEnd(1, False))`.
fn period_freq(pickle: &Pickle<'_>, dtype: Value) -> Option<String> {
    let made = view::made(pickle, dtype)?;
    let arg = made.args.first()?;
    if let Some(text) = view::str(pickle, arg) {
        let inner = text
            .strip_prefix("period[")
            .and_then(|t| t.strip_suffix(']'));
        return Some(inner.unwrap_or(text).to_string());
    }
    offset_freq(pickle, arg)
}

/// A `DateOffset` as a period's frequency: `MonthEnd(1, False)` is `M`.
///
/// The offset's arguments are `(n, normalize, …)`: a multiple (`2M`), then a `Week`'s
/// weekday (Monday 0), a `QuarterEnd`'s starting month or a `YearEnd`'s month (1 to 12).
/// The spellings are pandas 2's: pandas 1 wrote `A-DEC` and `L`, `U`, `N` for `Y-DEC`,
/// `ms`, `us`, `ns`.
pub(crate) fn offset_freq(pickle: &Pickle<'_>, offset: Value) -> Option<String> {
    const DAYS: [&str; 7] = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"];
    const MONTHS: [&str; 12] = [
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ];
    let offset = view::made(pickle, offset)?;
    let (_, name) = view::global(pickle, offset.func)?;
    let arg = |i: usize| offset.args.get(i).and_then(view::int);
    let month = |default: usize| -> Option<&str> {
        let month = arg(2).map_or(Some(default), |m| usize::try_from(m).ok())?;
        MONTHS.get(month.checked_sub(1)?).copied()
    };
    let base = match name {
        "MonthEnd" => "M".to_string(),
        "Day" => "D".to_string(),
        "BusinessDay" => "B".to_string(),
        "Week" => format!("W-{}", DAYS.get(usize::try_from(arg(2)?).ok()?)?),
        "YearEnd" => format!("Y-{}", month(12)?),
        "QuarterEnd" => format!("Q-{}", month(12)?),
        "Hour" => "h".to_string(),
        "Minute" => "min".to_string(),
        "Second" => "s".to_string(),
        "Milli" => "ms".to_string(),
        "Micro" => "us".to_string(),
        "Nano" => "ns".to_string(),
        other => other.to_string(),
    };
    Some(match arg(0).unwrap_or(1) {
        1 => base,
        n => format!("{n}{base}"),
    })
}

/// A `Categorical`: codes into the categories of its `CategoricalDtype`.
fn categorical<'p>(pickle: &'p Pickle<'_>, dtype: Value, codes: Data<'p>, depth: u8) -> Values<'p> {
    let state = view::made(pickle, dtype).and_then(|made| made.state());
    let field = |key| state.and_then(|state| view::dict_field(pickle, state, key));
    let categories = field("categories").and_then(|index| index_data(pickle, index, depth + 1));
    let ordered = matches!(
        field("ordered").or(field("_ordered")),
        Some(Value::Bool(true))
    );
    let (kind, categories_dtype, categories) = match categories {
        Some(values) => (values.kind, values.dtype, values.data),
        None => (
            Kind::Unknown,
            "?".to_string(),
            Data::Missing("categories not read".to_string()),
        ),
    };
    Values {
        dtype: "category".to_string(),
        kind: Kind::Category(Box::new(kind)),
        data: Data::Categorical {
            codes: Box::new(codes),
            categories: Box::new(categories),
            categories_dtype,
            ordered,
        },
    }
}

impl<'p> Values<'p> {
    /// A categorical's categories (as values of their own dtype) and whether they are
    /// ordered.
    pub fn categories(&self) -> Option<(Values<'p>, bool)> {
        let (
            Kind::Category(kind),
            Data::Categorical {
                categories,
                categories_dtype,
                ordered,
                ..
            },
        ) = (&self.kind, &self.data)
        else {
            return None;
        };
        let values = Values {
            dtype: categories_dtype.clone(),
            kind: (**kind).clone(),
            data: (**categories).clone(),
        };
        Some((values, *ordered))
    }
}

/// The values of one of pandas' extension arrays pickled on its own (a `Categorical`,
/// an `IntegerArray`, …); `None` for anything else, numpy arrays included.
pub fn array<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<Values<'p>> {
    extension(pickle, value, 0)
}

/// The class of one of pandas' extension arrays pickled on its own, as its repr names it:
/// `IntegerArray`, `DatetimeArray`, `IntervalArray`, `ArrowStringArray`, …
pub fn array_class<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<&'p str> {
    let made = view::made(pickle, value)?;
    let global = view::global(pickle, made.func);
    if view::is_one_of(global, NDARRAY_BACKED) || view::is_one_of(global, INTERVAL_MIXIN) {
        return Some(pickle.global_name(made.args.first()?)?.1);
    }
    Some(global?.1)
}

/// The values of an index made by `_new_Index(cls, {'data': …})`.
pub fn index_values<'p>(pickle: &'p Pickle<'_>, index: Value) -> Option<Values<'p>> {
    index_data(pickle, index, 0)
}

fn index_data<'p>(pickle: &'p Pickle<'_>, index: Value, depth: u8) -> Option<Values<'p>> {
    let made = view::made(pickle, index)?;
    let [_, state] = made.args.array()?;
    let global = view::global(pickle, made.func);
    if !view::is_one_of(global, NEW_INDEX) && !global.is_some_and(|(_, n)| n.starts_with("_new_")) {
        return None;
    }
    Some(values_in(
        pickle,
        view::dict_field(pickle, state, "data")?,
        depth,
    ))
}

/// An `IntervalArray`'s state: `{'_left', '_right', '_dtype'}`.
fn interval<'p>(pickle: &'p Pickle<'_>, state: Value, depth: u8) -> Option<Values<'p>> {
    let left = values_in(pickle, view::dict_field(pickle, state, "_left")?, depth + 1);
    let right = raw_data(pickle, view::dict_field(pickle, state, "_right")?);
    let closed = view::dict_field(pickle, state, "_dtype")
        .and_then(|d| view::made(pickle, d)?.state())
        .and_then(|s| view::dict_field(pickle, s, "closed"))
        .or_else(|| view::dict_field(pickle, state, "closed"))
        .and_then(|c| view::text(pickle, c))
        .unwrap_or("right")
        .to_string();
    Some(Values {
        dtype: format!("interval[{}, {closed}]", left.dtype),
        kind: Kind::Interval {
            closed,
            bounds: Box::new(left.kind),
        },
        data: Data::Interval {
            left: Box::new(left.data),
            right: Box::new(right),
        },
    })
}

/// A `SparseArray`'s state: `{'_sparse_index': IntIndex(length, indices),
/// '_sparse_values', '_dtype': SparseDtype}`.
fn sparse<'p>(pickle: &'p Pickle<'_>, state: Value, depth: u8) -> Option<Values<'p>> {
    let stored = values_in(
        pickle,
        view::dict_field(pickle, state, "_sparse_values")?,
        depth + 1,
    );
    let fill = view::dict_field(pickle, state, "_dtype")
        .and_then(|d| view::made(pickle, d)?.state())
        .and_then(|s| view::dict_field(pickle, s, "_fill_value"))
        .or_else(|| view::dict_field(pickle, state, "_fill_value"))
        .unwrap_or(Value::Float(f64::NAN));
    let index = view::made(pickle, view::dict_field(pickle, state, "_sparse_index")?)?;
    let global = view::global(pickle, index.func);
    let length = view::count(index.args.first()?)?;
    let indices = raw_data(pickle, index.args.get(1)?);
    let block_lengths = match (
        view::is_one_of(global, INT_INDEX),
        view::is_one_of(global, BLOCK_INDEX),
    ) {
        (true, _) => None,
        (_, true) => Some(Box::new(raw_data(pickle, index.args.get(2)?))),
        _ => return None,
    };
    let fill_text = match fill {
        Value::Float(f) if f.is_nan() => "nan".to_string(),
        Value::Float(f) => crate::text::scalar::float_repr(f),
        Value::Int(n) => n.to_string(),
        Value::Bool(b) => if b { "True" } else { "False" }.to_string(),
        _ => "?".to_string(),
    };
    Some(Values {
        dtype: format!("Sparse[{}, {fill_text}]", stored.dtype),
        kind: Kind::Sparse(Box::new(stored.kind)),
        data: Data::Sparse {
            length,
            indices: Box::new(indices),
            block_lengths,
            values: Box::new(stored.data),
            fill,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Categorical whose categories' data is the Categorical itself (a memo cycle).
    const CYCLIC_CATEGORICAL: &[u8] = b"\x80\x02cpandas._libs.arrays\n__pyx_unpickle_NDArrayBacked\nq\x00cpandas\nCategorical\nq\x01K\x00N\x87q\x02Rq\x03cpandas\nCategoricalDtype\nq\x04)Rq\x05}q\x06(X\n\x00\x00\x00categoriesq\x07cpandas.core.indexes.base\n_new_Index\nq\x08cpandas\nIndex\nq\t}q\nX\x04\x00\x00\x00dataq\x0bh\x03s\x86q\x0cRq\rX\x07\x00\x00\x00orderedq\x0e\x89ubc_codecs\nencode\nq\x0fX\x02\x00\x00\x00\x00\x00q\x10X\x06\x00\x00\x00latin1q\x11\x86q\x12Rq\x13\x86q\x14b.";

    #[test]
    fn a_row_of_a_block_index_is_found_after_the_blocks_before_it() {
        // Blocks [2, 4) and [7, 8): stored values 0, 1 and 2.
        let blocks = [(2, 2), (7, 1)];
        let block = |k: u64| blocks.get(k as usize).copied();
        let found: Vec<_> = (0..9).map(|row| block_position(2, block, row)).collect();
        let want = [
            None,
            None,
            Some(0),
            Some(1),
            None,
            None,
            None,
            Some(2),
            None,
        ];
        assert_eq!(found, want.map(Ok));
    }

    #[test]
    fn lying_block_indexes_end_in_a_note_not_a_panic() {
        // More blocks than are given, negative and huge lengths, a huge count.
        let short = |k: u64| (k == 0).then_some((0, 1));
        assert!(block_position(3, short, 5).is_err());
        assert!(block_position(1, |_| Some((0, -4)), 2).is_err());
        assert_eq!(
            block_position(1, |_| Some((0, i128::from(u64::MAX))), 3),
            Ok(Some(3))
        );
        assert!(block_position(u64::MAX, |_| Some((0, 1)), 3).is_err());
    }

    #[test]
    fn a_categorical_whose_categories_are_itself_ends_in_a_note() {
        let pickle = crate::load(CYCLIC_CATEGORICAL).unwrap();
        let values = values(&pickle, pickle.root());
        assert_eq!(values.dtype, "category");
        assert!(matches!(values.cell(&pickle, 0), Cell::Unread(_)));
    }
}
