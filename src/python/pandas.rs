//! pandas DataFrames, Series and indexes as pandas pickles them, read from the graph:
//! shape, column names, each column's dtype and (through [`pandas_values`]) its values.
//!
//! [`pandas_values`]: super::pandas_values
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

use super::pandas_values::{self, Cell, Values};
use super::pandas_zone::{self, Zone};
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
const NEW_INDEX: &[&str] = &[
    "pandas.core.indexes.base._new_Index",
    "pandas.core.indexes.datetimes._new_DatetimeIndex",
    "pandas.core.indexes.period._new_PeriodIndex",
];

/// A DataFrame or a Series.
#[derive(Debug, Clone)]
pub struct Frame<'p> {
    /// `DataFrame` or `Series`.
    pub kind: &'static str,
    /// How many rows, when the index or the data says.
    pub rows: Option<u64>,
    /// The columns in order (a Series has one, named after the Series).
    pub columns: Vec<Column<'p>>,
    /// The row index, when it was read.
    pub index: Option<Index<'p>>,
    /// The column index, when it was read (a MultiIndex's levels give header rows).
    pub column_index: Option<Index<'p>>,
    /// Whether the pickle names the class by its public path (`pandas.DataFrame`), as
    /// pandas 3 writes it; older pandas write `pandas.core.frame.DataFrame`.
    pub public_names: bool,
}

/// One column: its label, its dtype as pandas names it, and its values.
#[derive(Debug, Clone)]
pub struct Column<'p> {
    /// The label (`n`, `0`, `None`).
    pub label: Label,
    /// `int64`, `float64`, `object`, `str`, `category`, `datetime64[ns]`, …
    pub dtype: String,
    /// Its values, read row by row on demand.
    pub values: Option<Values<'p>>,
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

/// An index: of a frame's rows or columns, or pickled on its own.
#[derive(Debug, Clone)]
pub enum Index<'p> {
    /// `RangeIndex(start, stop, step)`.
    Range {
        /// The first label.
        start: i64,
        /// The label past the last, as given.
        stop: i64,
        /// The step.
        step: i64,
        /// How many labels.
        len: u64,
        /// The index's name.
        name: Value,
    },
    /// `Index`, `DatetimeIndex`, … over an array.
    Flat {
        /// The class: `Index`, `DatetimeIndex`, `PeriodIndex`, …
        class: &'p str,
        /// The labels.
        values: Box<Values<'p>>,
        /// The index's name.
        name: Value,
        /// The `freq` of a `DatetimeIndex`, as pandas spells it (`W-SUN`).
        freq: Option<String>,
    },
    /// `MultiIndex`: per level, its labels and the codes into them.
    Multi {
        /// The labels of each level.
        levels: Vec<Values<'p>>,
        /// The codes of each level, one per row.
        codes: Vec<Values<'p>>,
        /// The names of the levels.
        names: Vec<Value>,
    },
}

impl<'p> Index<'p> {
    /// How many labels.
    pub fn len(&self) -> Option<u64> {
        match self {
            Index::Range { len, .. } => Some(*len),
            Index::Flat { values, .. } => values.len(),
            Index::Multi { codes, .. } => codes.first().and_then(Values::len),
        }
    }

    /// Whether it has no labels.
    pub fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }

    /// Label `row` of a flat or range index, or of level `level` of a MultiIndex.
    pub fn label(&self, pickle: &'p Pickle<'_>, level: usize, row: u64) -> Cell<'p> {
        match self {
            Index::Range { start, step, .. } => i64::try_from(row)
                .ok()
                .and_then(|r| r.checked_mul(*step)?.checked_add(*start))
                .map_or(Cell::Unread("label out of range".into()), |n| {
                    Cell::Int(n.into())
                }),
            Index::Flat { values, .. } => values.cell(pickle, row),
            Index::Multi { levels, codes, .. } => {
                let (Some(level_values), Some(level_codes)) = (levels.get(level), codes.get(level))
                else {
                    return Cell::Unread("no such level".into());
                };
                match level_codes.cell(pickle, row) {
                    Cell::Int(-1) => Cell::Float(f64::NAN),
                    Cell::Int(code) => match u64::try_from(code) {
                        Ok(code) => level_values.cell(pickle, code),
                        Err(_) => Cell::Unread(format!("level code {code}")),
                    },
                    other => other,
                }
            }
        }
    }

    /// How many levels: 1 but for a MultiIndex.
    pub fn levels(&self) -> usize {
        match self {
            Index::Multi { levels, .. } => levels.len(),
            _ => 1,
        }
    }
}

impl Frame<'_> {
    /// `DataFrame(2 rows × 3 columns: n int64, x float64, s str)`,
    /// `Series(values, float64, 3 rows)`, with each [`Label::Value`] spelled by `label`.
    pub fn summary(&self, mut label: impl FnMut(Value) -> String) -> String {
        let mut name = |column: &Column<'_>| match &column.label {
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
pub fn frame<'p>(pickle: &'p Pickle<'_>, id: NodeId) -> Option<Frame<'p>> {
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
    let row_axis = usize::from(kind == "DataFrame");
    let index = axes
        .get(row_axis)
        .and_then(|&axis| self::index(pickle, axis));
    let mut frame = Frame {
        kind,
        rows: index.as_ref().and_then(Index::len),
        columns: Vec::new(),
        index,
        public_names: global.is_some_and(|(module, _)| module == "pandas"),
        column_index: None,
    };
    if kind == "Series" {
        let name = view::dict_field(pickle, state, "_name")
            .or_else(|| view::dict_field(pickle, state, "name"))
            .unwrap_or(Value::None);
        let (values, _) = blocks.first()?;
        let values = pandas_values::values(pickle, *values);
        frame.rows = frame.rows.or_else(|| values.len());
        frame.columns.push(Column {
            label: label(pickle, name),
            dtype: values.dtype.clone(),
            values: Some(values),
        });
        return Some(frame);
    }
    let mut placed: Vec<(i64, Values<'p>)> = Vec::new();
    for (values, placement) in blocks {
        let positions = placement_positions(pickle, placement)?;
        for (row, position) in positions.into_iter().enumerate() {
            placed.push((
                position,
                pandas_values::block_values(pickle, values, row as u64),
            ));
        }
    }
    // Labels the pickle does not hold (a joblib file keeps them in an object array's
    // own pickle) are written by position, `#0`.
    frame.column_index = axes
        .first()
        .and_then(|&columns| self::index(pickle, columns));
    let labels = frame
        .column_index
        .as_ref()
        .and_then(|columns| index_labels(pickle, columns));
    let count = labels.as_ref().map_or_else(
        || placed.iter().map(|&(p, _)| p + 1).max().unwrap_or(0).max(0) as usize,
        Vec::len,
    );
    frame.columns = (0..count.min(MAX_COLUMNS))
        .map(|i| Column {
            label: labels
                .as_ref()
                .and_then(|l| l.get(i).cloned())
                .unwrap_or_else(|| Label::Text(format!("#{i}"))),
            dtype: "?".to_string(),
            values: None,
        })
        .collect();
    for (position, values) in placed {
        if let Some(column) = usize::try_from(position)
            .ok()
            .and_then(|p| frame.columns.get_mut(p))
        {
            column.dtype = values.dtype.clone();
            column.values = Some(values);
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
    let values = pandas_values::values(pickle, placement);
    let count = values.len()?.min(MAX_COLUMNS as u64);
    (0..count)
        .map(|row| match values.cell(pickle, row) {
            Cell::Int(n) => i64::try_from(n).ok(),
            _ => None,
        })
        .collect()
}

/// The index a value rebuilds: `_new_Index(cls, state)` (or `_new_DatetimeIndex`).
pub fn index<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<Index<'p>> {
    let made = view::made(pickle, value)?;
    if !view::is_one_of(view::global(pickle, made.func), NEW_INDEX) {
        return None;
    }
    let [class, state] = made.args.array()?;
    let class = pickle.global_name(class)?.1;
    let name = view::dict_field(pickle, state, "name").unwrap_or(Value::None);
    if class == "RangeIndex" {
        let field = |key| view::dict_field(pickle, state, key).and_then(view::int);
        let (start, stop) = (field("start")?, field("stop")?);
        let step = field("step").unwrap_or(1);
        if step == 0 {
            return None;
        }
        // i128: a hostile RangeIndex may name any two 64-bit bounds.
        let (s, e, st) = (i128::from(start), i128::from(stop), i128::from(step));
        let span = if st > 0 { e - s } else { s - e };
        let len = u64::try_from((span + st.abs() - 1) / st.abs()).unwrap_or(0);
        return Some(Index::Range {
            start,
            stop,
            step,
            len,
            name,
        });
    }
    if class == "MultiIndex" {
        let read = |key| -> Option<Vec<Value>> {
            Some(view::sequence(pickle, view::dict_field(pickle, state, key)?)?.to_vec())
        };
        let levels = read("levels")?
            .into_iter()
            .map(|level| pandas_values::index_values(pickle, level))
            .collect::<Option<Vec<_>>>()?;
        let codes = read("codes")
            .or_else(|| read("labels"))?
            .into_iter()
            .map(|codes| pandas_values::values(pickle, codes))
            .collect();
        return Some(Index::Multi {
            levels,
            codes,
            names: read("names").unwrap_or_default(),
        });
    }
    let data = view::dict_field(pickle, state, "data")?;
    // pandas 3 keeps a DatetimeIndex's freq in its state, older pandas in its array's.
    let freq = view::dict_field(pickle, state, "freq")
        .filter(|&freq| freq != Value::None)
        .or_else(|| {
            let backed = view::sequence(pickle, view::made(pickle, data)?.state()?)?;
            view::dict_field(pickle, backed.get(2)?, "_freq")
        })
        .and_then(|f| freq_text(pickle, f));
    Some(Index::Flat {
        class,
        values: Box::new(pandas_values::values(pickle, data)),
        name,
        freq,
    })
}

/// A `DateOffset` as pandas 2.2 and later spell it as a freq: `W-SUN`, `D`, `h`, `2D`,
/// `ME`, `QE-DEC`, `YE-DEC` (`pandas_era::legacy_freq` gives older pandas' spelling).
fn freq_text(pickle: &Pickle<'_>, offset: Value) -> Option<String> {
    const MONTHS: [&str; 12] = [
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ];
    let made = view::made(pickle, offset)?;
    let (_, name) = view::global(pickle, made.func)?;
    let n = made.args.first().and_then(view::int).unwrap_or(1);
    let month = || -> Option<&str> {
        let month = usize::try_from(made.args.get(2).and_then(view::int)?).ok()?;
        MONTHS.get(month.checked_sub(1)?).copied()
    };
    let base = match name {
        "MonthEnd" => "ME".to_string(),
        "MonthBegin" => "MS".to_string(),
        "QuarterEnd" => format!("QE-{}", month()?),
        "YearEnd" => format!("YE-{}", month()?),
        // Spelled alike for a period and a date offset.
        "Week" | "Day" | "Hour" | "Minute" | "Second" | "Milli" | "Micro" | "Nano"
        | "BusinessDay" => return pandas_values::offset_freq(pickle, offset),
        _ => return None,
    };
    Some(if n == 1 { base } else { format!("{n}{base}") })
}

/// The labels of an index, as text or values.
fn index_labels(pickle: &Pickle<'_>, index: &Index<'_>) -> Option<Vec<Label>> {
    let len = usize::try_from(index.len()?).ok()?.min(MAX_COLUMNS);
    (0..len as u64)
        .map(|row| {
            if index.levels() > 1 {
                let parts: Vec<String> = (0..index.levels())
                    .map(|level| cell_label(index.label(pickle, level, row)))
                    .collect();
                return Some(Label::Text(format!("({})", parts.join(", "))));
            }
            Some(match index.label(pickle, 0, row) {
                Cell::Str(text) => Label::Text(text.into_owned()),
                Cell::Object(value) => Label::Value(value),
                Cell::Unread(_) => return None,
                other => Label::Text(cell_label(other)),
            })
        })
        .collect()
}

/// A label cell as `str()` writes it.
fn cell_label(cell: Cell<'_>) -> String {
    match cell {
        Cell::Str(text) => text.into_owned(),
        Cell::Int(n) => n.to_string(),
        Cell::Float(f) if f.is_nan() => "nan".to_string(),
        Cell::Float(f) => crate::text::scalar::float_repr(f),
        Cell::Bool(b) => if b { "True" } else { "False" }.to_string(),
        Cell::None => "None".to_string(),
        Cell::Na => "<NA>".to_string(),
        Cell::NaT => "NaT".to_string(),
        _ => "?".to_string(),
    }
}

/// A label: a str as its text, anything else as the value.
fn label(pickle: &Pickle<'_>, value: Value) -> Label {
    match view::str(pickle, value) {
        Some(text) => Label::Text(text.to_string()),
        None => Label::Value(value),
    }
}

/// One of pandas' scalars pickled on its own.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar<'p> {
    /// `Timestamp`: a count of `unit` since the epoch (UTC), and its zone's name.
    Timestamp {
        /// The count.
        count: i64,
        /// Its unit: `ns`, `us`, `ms`, `s`.
        unit: &'static str,
        /// The zone, when tz-aware.
        tz: Option<Zone>,
    },
    /// `Timedelta`: a count of `unit`.
    Timedelta {
        /// The count.
        count: i64,
        /// Its unit.
        unit: &'static str,
    },
    /// `Period`: an ordinal at a frequency.
    Period {
        /// The ordinal, counted from 1970 in `freq`.
        ordinal: i64,
        /// The frequency (`M`, `D`, `Y-DEC`).
        freq: String,
    },
    /// `Interval(left, right, closed)`.
    Interval {
        /// The left bound.
        left: Cell<'p>,
        /// The right bound.
        right: Cell<'p>,
        /// `right`, `left`, `both` or `neither`.
        closed: String,
    },
    /// `NaT`.
    NaT,
}

const UNPICKLE_TIMESTAMP: &[&str] = &["pandas._libs.tslibs.timestamps._unpickle_timestamp"];
const UNPICKLE_TIMEDELTA: &[&str] = &["pandas._libs.tslibs.timedeltas._timedelta_unpickle"];
const PERIOD: &[&str] = &["pandas.Period", "pandas._libs.tslibs.period.Period"];
const INTERVAL: &[&str] = &["pandas.Interval", "pandas._libs.interval.Interval"];
const UNPICKLE_NAT: &[&str] = &[
    "pandas._libs.tslibs.nattype._nat_unpickle",
    "pandas._libs.tslibs.nattype.__nat_unpickle",
];

/// numpy's `NPY_DATETIMEUNIT` numbers that pandas pickles a resolution as.
fn resolution_unit(reso: Option<Value>) -> &'static str {
    match reso.and_then(view::int) {
        Some(7) => "s",
        Some(8) => "ms",
        Some(9) => "us",
        _ => "ns",
    }
}

/// The scalar a node rebuilds: `_unpickle_timestamp(value, freq, tz, reso)`,
/// `_timedelta_unpickle(value, reso)`, `Period(None, freq, ordinal)`,
/// `Interval(left, right, closed)`, `_nat_unpickle(None)`.
pub fn scalar<'p>(pickle: &'p Pickle<'_>, id: NodeId) -> Option<Scalar<'p>> {
    let made = view::call(pickle, Value::Node(id))?;
    let global = view::global(pickle, made.func);
    let arg = |i: usize| made.args.get(i);
    if view::is_one_of(global, UNPICKLE_TIMESTAMP) {
        let tz = arg(2).filter(|&tz| tz != Value::None);
        return Some(Scalar::Timestamp {
            count: view::int(arg(0)?)?,
            unit: resolution_unit(arg(3)),
            tz: tz.map(|tz| pandas_zone::zone(pickle, tz)),
        });
    }
    if view::is_one_of(global, UNPICKLE_TIMEDELTA) {
        return Some(Scalar::Timedelta {
            count: view::int(arg(0)?)?,
            unit: resolution_unit(arg(1)),
        });
    }
    if view::is_one_of(global, PERIOD) {
        return Some(Scalar::Period {
            ordinal: view::int(arg(2)?)?,
            freq: pandas_values::offset_freq(pickle, arg(1)?)?,
        });
    }
    if view::is_one_of(global, INTERVAL) {
        let bound = |value: Value| match value {
            Value::Int(n) => Some(Cell::Int(n.into())),
            Value::Float(f) => Some(Cell::Float(f)),
            _ => None,
        };
        return Some(Scalar::Interval {
            left: bound(arg(0)?)?,
            right: bound(arg(1)?)?,
            closed: view::text(pickle, arg(2).unwrap_or(Value::None))
                .unwrap_or("right")
                .to_string(),
        });
    }
    view::is_one_of(global, UNPICKLE_NAT).then_some(Scalar::NaT)
}
