//! pandas DataFrames and Series as pandas pickles them, read from the graph: shape,
//! column names and each column's dtype.
//!
//! A frame is `DataFrame.__new__(DataFrame)` given a state dict whose `_mgr` (`_data` in
//! older pandas) is its block manager: `BlockManager(blocks, axes)`, or a manager given
//! the state `(axes, values, items, {'0.14.1': {'axes': axes, 'blocks': [{'values':
//! values, 'mgr_locs': placement}, …]}})`. Each block holds the columns its placement
//! names (`_unpickle_block(values, slice(0, 2, 1), 2)`); the axes are indexes,
//! `_new_Index(cls, {'data': …, 'name': …})` (columns first for a DataFrame).
//!
//! ```
//! use picklegraph::python::pandas;
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pandas/dataframe.p4.pkl");
//! let bytes = std::fs::read(path).unwrap();
//! let pickle = picklegraph::load(&bytes)?;
//! let frame = pandas::frame(&pickle, pickle.root().node().unwrap()).unwrap();
//! // Labels that are not strs stay values, for a view to spell as Python's repr
//! // (`render::show::models::frame_summary` does): these are all strs.
//! let summary = frame.summary(|_| "?".to_string());
//! assert_eq!(summary, "DataFrame(2 rows × 3 columns: n int64, x float64, s str)");
//! # Ok::<(), picklegraph::Error>(())
//! ```

use super::numpy::{self, Array, ArrayData};
use super::view::{self, CallView};
use crate::graph::{NodeId, Pickle, Value};

/// Most column labels read from a frame's column index.
pub const MAX_COLUMNS: usize = 10_000;

const DATAFRAME: &[&str] = &["pandas.DataFrame", "pandas.core.frame.DataFrame"];
const SERIES: &[&str] = &["pandas.Series", "pandas.core.series.Series"];
const MANAGERS: &[&str] = &[
    "pandas.core.internals.managers.BlockManager",
    "pandas.core.internals.managers.SingleBlockManager",
    "pandas.core.internals.BlockManager",
    "pandas.core.internals.SingleBlockManager",
];
const UNPICKLE_BLOCK: &[&str] = &["pandas._libs.internals._unpickle_block"];
const NEW_INDEX: &[&str] = &["pandas.core.indexes.base._new_Index"];
const NDARRAY_BACKED: &[&str] = &["pandas._libs.arrays.__pyx_unpickle_NDArrayBacked"];

/// A DataFrame or a Series.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// `DataFrame` or `Series`.
    pub kind: &'static str,
    /// How many rows, when the index or the data says.
    pub rows: Option<u64>,
    /// The columns in order (a Series has one, named after the Series).
    pub columns: Vec<Column>,
}

/// One column: its label and its dtype as pandas names it.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The label (`n`, `0`, `None`).
    pub label: Label,
    /// `int64`, `float64`, `object`, `str`, `category`, `datetime64[ns]`, …
    pub dtype: String,
}

/// A column's label: text where the pickle spells it so, or the value itself, which a
/// view prints as Python's repr (recognizers write no repr of a graph value).
#[derive(Debug, Clone, PartialEq)]
pub enum Label {
    /// A str label as it is, a `RangeIndex` position, a number of a numeric index, or
    /// `#3` for a label the pickle does not hold.
    Text(String),
    /// Any other label (a tuple, a number in an object array, `None`).
    Value(Value),
}

impl Frame {
    /// `DataFrame(2 rows × 3 columns: n int64, x float64, s str)`,
    /// `Series(values, float64, 3 rows)`, with each [`Label::Value`] spelled by `label`.
    pub fn summary(&self, mut label: impl FnMut(Value) -> String) -> String {
        let mut name = |column: &Column| match &column.label {
            Label::Text(text) => text.clone(),
            Label::Value(value) => label(*value),
        };
        let rows = self
            .rows
            .map_or_else(|| "? rows".to_string(), |n| plural(n, "row"));
        if self.kind == "Series" {
            let column = self.columns.first();
            let title = column.map_or_else(|| "None".to_string(), &mut name);
            let dtype = column.map_or("?", |c| &c.dtype);
            return format!("Series({title}, {dtype}, {rows})");
        }
        let columns: Vec<String> = self
            .columns
            .iter()
            .map(|c| format!("{} {}", name(c), c.dtype))
            .collect();
        let count = plural(self.columns.len() as u64, "column");
        format!("DataFrame({rows} × {count}: {})", columns.join(", "))
    }
}

fn plural(n: u64, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// The frame a node rebuilds: a DataFrame or Series with its block manager.
pub fn frame(pickle: &Pickle<'_>, id: NodeId) -> Option<Frame> {
    let made = view::made(pickle, Value::Node(id))?;
    let global = view::global(pickle, made.func);
    let kind = if view::is_one_of(global, DATAFRAME) {
        "DataFrame"
    } else if view::is_one_of(global, SERIES) {
        "Series"
    } else {
        return None;
    };
    let state = made.state()?;
    let manager = view::dict_field(pickle, state, "_mgr")
        .or_else(|| view::dict_field(pickle, state, "_data"))?;
    let (blocks, axes) = manager_parts(pickle, manager)?;
    let mut frame = Frame {
        kind,
        rows: None,
        columns: Vec::new(),
    };
    if kind == "Series" {
        let name = view::dict_field(pickle, state, "_name").unwrap_or(Value::None);
        let (values, _) = blocks.first()?;
        frame.rows = axes.first().and_then(|&index| index_len(pickle, index));
        frame.columns.push(Column {
            label: label(pickle, name),
            dtype: values_dtype(pickle, *values),
        });
        return Some(frame);
    }
    frame.rows = axes.get(1).and_then(|&index| index_len(pickle, index));
    let mut dtypes: Vec<(i64, String)> = Vec::new();
    for (values, placement) in blocks {
        let dtype = values_dtype(pickle, values);
        let positions = placement_positions(pickle, placement)?;
        dtypes.extend(positions.into_iter().map(|p| (p, dtype.clone())));
    }
    // Labels the pickle does not hold (a joblib file keeps them in an object array's
    // own pickle) are written by position, `#0`.
    let labels = axes
        .first()
        .and_then(|&columns| index_labels(pickle, columns));
    let count = labels.as_ref().map_or_else(
        || dtypes.iter().map(|&(p, _)| p + 1).max().unwrap_or(0).max(0) as usize,
        Vec::len,
    );
    frame.columns = (0..count.min(MAX_COLUMNS))
        .map(|i| Column {
            label: labels
                .as_ref()
                .and_then(|l| l.get(i).cloned())
                .unwrap_or_else(|| Label::Text(format!("#{i}"))),
            dtype: "?".to_string(),
        })
        .collect();
    for (position, dtype) in dtypes {
        if let Some(column) = usize::try_from(position)
            .ok()
            .and_then(|p| frame.columns.get_mut(p))
        {
            column.dtype = dtype;
        }
    }
    Some(frame)
}

/// A block's values and placement; the manager's axes.
type Parts = (Vec<(Value, Value)>, Vec<Value>);

/// The blocks and axes of `BlockManager(blocks, axes)` or of a manager's state.
fn manager_parts(pickle: &Pickle<'_>, manager: Value) -> Option<Parts> {
    let made = view::made(pickle, manager)?;
    if !view::is_one_of(view::global(pickle, made.func), MANAGERS) {
        return None;
    }
    if let (Some(blocks), Some(axes)) = (made.args.get(0), made.args.get(1)) {
        let blocks = view::sequence(pickle, blocks)?
            .iter()
            .map(|block| unpickled_block(pickle, block))
            .collect::<Option<Vec<_>>>()?;
        return Some((blocks, view::sequence(pickle, axes)?.to_vec()));
    }
    state_parts(pickle, &made)
}

/// `_unpickle_block(values, placement, ndim)`.
fn unpickled_block(pickle: &Pickle<'_>, block: Value) -> Option<(Value, Value)> {
    let made = view::made(pickle, block)?;
    let (Some(values), Some(placement)) = (made.args.get(0), made.args.get(1)) else {
        return None;
    };
    view::is_one_of(view::global(pickle, made.func), UNPICKLE_BLOCK).then_some((values, placement))
}

/// A manager's `__setstate__` form: its fourth item `{'0.14.1': {'axes', 'blocks'}}`.
fn state_parts(pickle: &Pickle<'_>, made: &CallView<'_>) -> Option<Parts> {
    let state = view::sequence(pickle, made.state()?)?;
    let extra = view::dict_field(pickle, state.get(3)?, "0.14.1")?;
    let axes = view::sequence(pickle, view::dict_field(pickle, extra, "axes")?)?.to_vec();
    let blocks = view::sequence(pickle, view::dict_field(pickle, extra, "blocks")?)?
        .iter()
        .map(|block| {
            Some((
                view::dict_field(pickle, block, "values")?,
                view::dict_field(pickle, block, "mgr_locs")?,
            ))
        })
        .collect::<Option<Vec<_>>>()?;
    Some((blocks, axes))
}

/// The column positions a placement names: `slice(start, stop, step)` or an array of
/// int64 positions.
fn placement_positions(pickle: &Pickle<'_>, placement: Value) -> Option<Vec<i64>> {
    if let Some(made) = view::made(pickle, placement)
        .filter(|m| view::is_one_of(view::global(pickle, m.func), &["builtins.slice"]))
    {
        let [start, stop, step] = made.args.array()?;
        let (start, stop) = (view::int(start)?, view::int(stop)?);
        let step = view::int(step).unwrap_or(1).max(1);
        let count = usize::try_from(stop.saturating_sub(start).max(0) / step)
            .ok()?
            .min(MAX_COLUMNS);
        return (0..count as i64)
            .map(|i| i.checked_mul(step)?.checked_add(start))
            .collect();
    }
    let array = numpy::array(pickle, placement.node()?)?;
    let values = array.first_values(MAX_COLUMNS)?;
    values.iter().map(|v| v.parse().ok()).collect()
}

/// How many labels an index has.
fn index_len(pickle: &Pickle<'_>, index: Value) -> Option<u64> {
    let (class, state) = new_index(pickle, index)?;
    if class.ends_with("RangeIndex") {
        let field = |key| view::dict_field(pickle, state, key).and_then(view::int);
        let (start, stop) = (field("start")?, field("stop")?);
        let step = field("step").unwrap_or(1);
        if step == 0 {
            return None;
        }
        // i128: a hostile RangeIndex may name any two 64-bit bounds.
        let (start, stop, step) = (i128::from(start), i128::from(stop), i128::from(step));
        let span = if step > 0 { stop - start } else { start - stop };
        return Some(u64::try_from((span + step.abs() - 1) / step.abs()).unwrap_or(0));
    }
    Some(index_array(pickle, view::dict_field(pickle, state, "data")?)?.len())
}

/// The labels of an index, as text.
fn index_labels(pickle: &Pickle<'_>, index: Value) -> Option<Vec<Label>> {
    let (class, state) = new_index(pickle, index)?;
    if class.ends_with("RangeIndex") {
        let field = |key| view::dict_field(pickle, state, key).and_then(view::int);
        let (start, step) = (field("start")?, field("step").unwrap_or(1));
        let len = usize::try_from(index_len(pickle, index)?)
            .ok()?
            .min(MAX_COLUMNS);
        return (0..len as i64)
            .map(|i| {
                let position = i.checked_mul(step)?.checked_add(start)?;
                Some(Label::Text(position.to_string()))
            })
            .collect();
    }
    let array = index_array(pickle, view::dict_field(pickle, state, "data")?)?;
    match array.data {
        ArrayData::Objects { items, .. } => Some(
            items
                .iter()
                .take(MAX_COLUMNS)
                .map(|v| label(pickle, v))
                .collect(),
        ),
        _ => array.first_values(MAX_COLUMNS).map(|values| {
            values
                .into_iter()
                .map(|v| Label::Text(v.trim_matches('\'').to_string()))
                .collect()
        }),
    }
}

/// `_new_Index(cls, state)`: the class's name and the state dict.
fn new_index<'p>(pickle: &'p Pickle<'_>, index: Value) -> Option<(&'p str, Value)> {
    let made = view::made(pickle, index)?;
    let [class, state] = made.args.array()?;
    if !view::is_one_of(view::global(pickle, made.func), NEW_INDEX) {
        return None;
    }
    Some((pickle.global_name(class)?.1, state))
}

/// The numpy array under an index's `data`, unwrapping pandas' extension arrays.
fn index_array<'p>(pickle: &'p Pickle<'_>, data: Value) -> Option<Array<'p>> {
    if let Some((_, _, array)) = backed(pickle, data) {
        return numpy::array(pickle, array.node()?);
    }
    numpy::array(pickle, data.node()?)
}

/// `__pyx_unpickle_NDArrayBacked(cls, checksum, None).__setstate__((dtype, ndarray))`:
/// the class name, the pandas dtype and the numpy array.
fn backed<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<(&'p str, Value, Value)> {
    let made = view::made(pickle, value)?;
    if !view::is_one_of(view::global(pickle, made.func), NDARRAY_BACKED) {
        return None;
    }
    let (_, class) = pickle.global_name(made.args.first()?)?;
    let state = view::sequence(pickle, made.state()?)?;
    Some((class, state.first()?, state.get(1)?))
}

/// A block's dtype as pandas names it.
fn values_dtype(pickle: &Pickle<'_>, values: Value) -> String {
    if let Some((class, dtype, array)) = backed(pickle, values) {
        return match class {
            "StringArray" | "ArrowStringArray" => "str".to_string(),
            "Categorical" => "category".to_string(),
            _ => dtype
                .node()
                .and_then(|id| numpy::dtype(pickle, id))
                .or_else(|| {
                    array
                        .node()
                        .and_then(|id| numpy::array(pickle, id))
                        .map(|a| a.dtype)
                })
                .map_or_else(|| class.to_string(), |d| d.name()),
        };
    }
    if let Some(array) = values.node().and_then(|id| numpy::array(pickle, id)) {
        return array.dtype.name();
    }
    view::made(pickle, values)
        .and_then(|made| view::global(pickle, made.func))
        .map_or_else(|| "?".to_string(), |(_, name)| name.to_string())
}

/// A label: a str as its text, anything else as the value.
fn label(pickle: &Pickle<'_>, value: Value) -> Label {
    match view::str(pickle, value) {
        Some(text) => Label::Text(text.to_string()),
        None => Label::Value(value),
    }
}
