//! The reprs pandas gives its objects other than frames: an index
//! (`Index(['x', 'y'], dtype='str')`, `RangeIndex(start=0, stop=10, step=2)`, a
//! `DatetimeIndex` wrapped at pandas' width of 80 as `format_object_summary` wraps it, a
//! `MultiIndex` one tuple a line), a `Categorical` with its `Categories (3, str): […]`
//! line, and the scalars `Timestamp`, `Timedelta`, `Period`, `Interval`, `NaT`.

use super::pandas_format::{format_column, generic, period_text, timedelta_long, timestamp};
use crate::graph::{Pickle, Value};
use crate::python::pandas::{Index, Scalar};
use crate::python::pandas_era::{legacy_freq, Era};
use crate::python::pandas_values::{Cell, Kind, Values};
use crate::render::elision::ItemLimit;
use crate::text::scalar::{float_repr, write_str_repr};

/// pandas' `display.width`, which its reprs wrap at.
const DISPLAY_WIDTH: usize = 80;
/// pandas' `display.max_seq_items`: longer indexes show ten at each end.
const MAX_SEQ_ITEMS: usize = 100;
/// Most values read to tell whether a `DatetimeIndex` holds only dates (pandas reads
/// them all).
const MAX_DATES_READ: u64 = 100_000;
/// pandas' `display.max_categories`.
const MAX_CATEGORIES: u64 = 8;

/// Python's repr of a str.
fn str_repr(text: &str) -> String {
    let mut out = String::new();
    write_str_repr(&mut out, &crate::PyStr::from_text(text));
    out
}

/// A value as an index or a categorical quotes it: strs in quotes, the rest as `str()`.
fn quoted(pickle: &Pickle<'_>, cell: &Cell<'_>) -> String {
    match cell {
        Cell::Str(text) => str_repr(text),
        Cell::Float(f) if f.is_nan() => "nan".to_string(),
        other => generic(pickle, other),
    }
}

/// The texts of rows `rows` of `values` as pandas' `_formatter_func` writes them for an
/// index's repr: strs quoted, each datetime as `str(Timestamp)` (`'2024-01-07
/// 00:00:00+00:00'`, a fraction only where it has one), or as a date alone where
/// `dates_only` (a tz-naive `DatetimeIndex` whose values are all at midnight).
fn index_items(
    pickle: &Pickle<'_>,
    values: &Values<'_>,
    rows: &[u64],
    dates_only: bool,
) -> Vec<String> {
    let cells: Vec<Cell<'_>> = rows.iter().map(|&r| values.cell(pickle, r)).collect();
    match &values.kind {
        Kind::Interval { .. } => format_column(pickle, &values.kind, &cells)
            .into_iter()
            .map(|text| text.trim_start().to_string())
            .collect(),
        Kind::Datetime { .. } if dates_only => format_column(pickle, &values.kind, &cells)
            .into_iter()
            .map(|text| format!("'{}'", text.trim_start()))
            .collect(),
        Kind::Datetime { .. } => cells
            .iter()
            .map(|cell| format!("'{}'", timestamp(&values.kind, cell)))
            .collect(),
        Kind::ArrowTimestamp { unit, tz } => cells
            .iter()
            .map(|cell| match (cell, arrow_unit(unit)) {
                (Cell::Datetime(count), Some(unit)) => {
                    let stamp = Scalar::Timestamp {
                        count: *count,
                        unit,
                        tz: tz.clone(),
                    };
                    scalar_repr(pickle, &stamp, Era::Unknown)
                }
                (other, _) => generic(pickle, other),
            })
            .collect(),
        Kind::Timedelta { .. } | Kind::Period { .. } => format_column(pickle, &values.kind, &cells)
            .into_iter()
            .map(|text| format!("'{}'", text.trim_start()))
            .collect(),
        Kind::Float => cells
            .iter()
            .map(|cell| match cell {
                Cell::Float(f) if !f.is_nan() => float_repr(*f),
                other => quoted(pickle, other),
            })
            .collect(),
        _ => cells.iter().map(|c| quoted(pickle, c)).collect(),
    }
}

/// An index's repr: `format_object_summary`'s items in brackets on lines of at most 80
/// columns, indented under the class's name, then the attributes: joined by `, ` before
/// pandas 3; pandas 3 breaks a line before an attribute that would pass the width.
/// Where the joined line would pass `width` (`show`'s), the attributes break as pandas 3
/// breaks them, at that width: pandas before 3 wrote such a line whatever its length.
fn object_summary(
    name: &str,
    head: Vec<String>,
    tail: Vec<String>,
    justify: bool,
    attrs: &[String],
    era: Era,
    width: usize,
) -> String {
    let display = DISPLAY_WIDTH.min(width);
    let mut summary = bracketed(Some(name.len()), (head, tail), justify, (display, era));
    // pandas does not count the closing parenthesis against its width; `show` must.
    let limit = match era {
        Era::Pandas3 => DISPLAY_WIDTH.min(width.saturating_sub(1)),
        _ => {
            let joined = format!("{name}({summary}{})", attrs.join(", "));
            let last = joined.rsplit('\n').next().unwrap_or_default();
            if last.chars().count() <= width {
                return joined;
            }
            width.saturating_sub(1)
        }
    };
    let indent = name.chars().count() + 1;
    let mut line_len = match summary.rsplit_once('\n') {
        Some((_, last)) => last.chars().count(),
        None => indent + summary.chars().count(),
    };
    let mut attrs_text = String::new();
    for (i, attr) in attrs.iter().enumerate() {
        let attr_len = attr.chars().count();
        let comma = usize::from(i + 1 < attrs.len());
        let sep = if i == 0 { "" } else { ", " };
        if line_len + sep.len() + attr_len + comma > limit {
            let break_after = if i == 0 { "" } else { "," };
            attrs_text += &format!("{break_after}\n{}{attr}", " ".repeat(indent));
            line_len = indent + attr_len;
        } else {
            attrs_text += &format!("{sep}{attr}");
            line_len += sep.len() + attr_len;
        }
    }
    if attrs_text.starts_with('\n') {
        summary.truncate(summary.trim_end().len());
    }
    format!("{name}({summary}{attrs_text})")
}

/// The bracketed items of `format_object_summary`, continuation lines indented under a
/// name of `name_len` characters (or by one space, `indent_for_name=False`), ending in
/// `, ` or the line break that separates them from what follows. `display` is pandas'
/// `display.width`: 80, or `show`'s width where that is narrower. Before pandas 3, two
/// items are written on one line whatever its length.
fn bracketed(
    name_len: Option<usize>,
    (head, tail): (Vec<String>, Vec<String>),
    justify: bool,
    (display, era): (usize, Era),
) -> String {
    let (space1, space2) = match name_len {
        Some(len) => (
            format!("\n{}", " ".repeat(len + 1)),
            format!("\n{}", " ".repeat(len + 2)),
        ),
        None => ("\n".to_string(), "\n ".to_string()),
    };
    let truncated = !head.is_empty();
    let count = head.len() + tail.len();
    match count {
        0 => "[], ".to_string(),
        1 if !truncated => format!("[{}], ", tail[0]),
        2 if !truncated && era != Era::Pandas3 => format!("[{}, {}], ", tail[0], tail[1]),
        _ => {
            let (mut head, mut tail) = (head, tail);
            let fits = |items: &[String]| items.join(", ").len() < display;
            if justify && (truncated || !(fits(&head) && fits(&tail))) {
                let longest = head.iter().chain(&tail).map(String::len).max().unwrap_or(0);
                for item in head.iter_mut().chain(tail.iter_mut()) {
                    *item = format!("{item:>longest$}");
                }
            }
            let extend = |summary: &mut String, line: &mut String, value: &str, width: usize| {
                if line.trim_end().len() + value.trim_end().len() >= width {
                    summary.push_str(line.trim_end());
                    *line = space2.clone();
                }
                line.push_str(value);
            };
            let mut summary = String::new();
            let mut line = space2.clone();
            for item in &head {
                extend(&mut summary, &mut line, &format!("{item}, "), display);
            }
            if truncated {
                summary.push_str(line.trim_end());
                summary.push_str(&space2);
                summary.push_str("...");
                line = space2.clone();
            }
            let (last, rest) = tail
                .split_last()
                .map_or(("", &[][..]), |(l, r)| (l.as_str(), r));
            for item in rest {
                extend(&mut summary, &mut line, &format!("{item}, "), display);
            }
            extend(&mut summary, &mut line, last, display - 2);
            summary.push_str(&line);
            summary.push_str("],");
            summary.push_str(if summary.len() > display {
                &space1
            } else {
                " "
            });
            format!("[{}", &summary[space2.len()..])
        }
    }
}

/// The repr of one of pandas' extension arrays: `<IntegerArray>`, its items as
/// `format_object_summary` writes them (ten at each end of more than a hundred), and
/// `Length: 3, dtype: Int64`.
///
/// `width` is `show`'s: narrower than 80, the items wrap at it as pandas wraps them at a
/// `display.width` that narrow.
pub fn array_repr(
    pickle: &Pickle<'_>,
    class: &str,
    values: &Values<'_>,
    era: Era,
    width: usize,
) -> Option<Vec<String>> {
    let len = values.len()?;
    let items = summary_items(pickle, values, len, false);
    let summary = bracketed(None, items, true, (DISPLAY_WIDTH.min(width), era));
    let data = summary.trim_end_matches([',', ' ', '\n']);
    let mut lines = vec![format!("<{class}>")];
    lines.extend(data.lines().map(str::to_string));
    lines.push(format!(
        "Length: {len}, dtype: {}",
        spelled(dtype_name(&values.dtype), era)
    ));
    Some(lines)
}

/// The items `format_object_summary` shows of `len`: all up to a hundred, else ten at
/// each end (`head`, then `tail`); all of them are `tail` when none is left out.
fn summary_items(
    pickle: &Pickle<'_>,
    values: &Values<'_>,
    len: u64,
    dates_only: bool,
) -> (Vec<String>, Vec<String>) {
    let split = ItemLimit {
        max: MAX_SEQ_ITEMS,
        shown: 20,
    }
    .split(usize::try_from(len).unwrap_or(usize::MAX));
    let rows = |range: std::ops::Range<usize>| -> Vec<u64> {
        range.map(|i| split.index(i) as u64).collect()
    };
    let (head, tail) = match split.more() {
        0 => (Vec::new(), rows(0..split.shown())),
        _ => (rows(0..split.head), rows(split.head..split.shown())),
    };
    (
        index_items(pickle, values, &head, dates_only),
        index_items(pickle, values, &tail, dates_only),
    )
}

/// An Arrow timestamp's unit as a `Timestamp` holds it.
fn arrow_unit(unit: &str) -> Option<&'static str> {
    ["s", "ms", "us", "ns"].into_iter().find(|&u| u == unit)
}

/// A frequency or a dtype as the pandas that wrote the pickle spells it.
pub fn spelled(text: &str, era: Era) -> String {
    match era.legacy_spelling() {
        true => legacy_freq(text).unwrap_or_else(|| text.to_string()),
        false => text.to_string(),
    }
}

/// Whether a tz-naive `DatetimeIndex` holds only midnights (`NaT` aside), so that pandas
/// writes its values as dates; the first [`MAX_DATES_READ`] values are read.
fn dates_only(pickle: &Pickle<'_>, values: &Values<'_>, len: u64) -> bool {
    if !matches!(values.kind, Kind::Datetime { tz: None, .. }) {
        return false;
    }
    (0..len.min(MAX_DATES_READ)).all(|row| match values.cell(pickle, row) {
        cell @ Cell::Datetime(_) => timestamp(&values.kind, &cell).ends_with(" 00:00:00"),
        Cell::NaT => true,
        _ => false,
    })
}

/// An index's repr, as its lines.
///
/// `width` is `show`'s: an index's attributes break where they would pass it.
pub fn index_repr(
    pickle: &Pickle<'_>,
    index: &Index<'_>,
    era: Era,
    width: usize,
) -> Option<Vec<String>> {
    match index {
        Index::Range {
            start,
            stop,
            step,
            name,
            ..
        } => {
            let name = match name {
                Value::None => String::new(),
                name => format!(", {}", name_attr(pickle, *name)),
            };
            Some(vec![format!(
                "RangeIndex(start={start}, stop={stop}, step={step}{name})"
            )])
        }
        Index::Flat {
            class,
            values,
            name,
            freq,
        } => {
            let len = values.len()?;
            let dates = *class == "DatetimeIndex" && dates_only(pickle, values, len);
            let (head, tail) = summary_items(pickle, values, len, dates);
            let justify = !matches!(values.kind, Kind::Str | Kind::Object);
            // `Index._format_attrs`: dtype, name, length; a DatetimeIndex's and a
            // TimedeltaIndex's freq after them, `None` too.
            let mut attrs = vec![format!(
                "dtype='{}'",
                spelled(dtype_name(&values.dtype), era)
            )];
            if *name != Value::None {
                attrs.push(name_attr(pickle, *name));
            }
            if len > MAX_SEQ_ITEMS as u64 {
                attrs.push(format!("length={len}"));
            }
            match freq {
                Some(freq) => attrs.push(format!("freq='{}'", spelled(freq, era))),
                None if matches!(*class, "DatetimeIndex" | "TimedeltaIndex") => {
                    attrs.push("freq=None".to_string());
                }
                None => {}
            }
            let text = object_summary(class, head, tail, justify, &attrs, era, width);
            Some(text.lines().map(str::to_string).collect())
        }
        Index::Multi { names, .. } => {
            let len = index.len()?.min(MAX_SEQ_ITEMS as u64);
            let indent = " ".repeat("MultiIndex([".len());
            let mut lines = Vec::new();
            for row in 0..len {
                let parts: Vec<String> = (0..index.levels())
                    .map(|level| quoted(pickle, &index.label(pickle, level, row)))
                    .collect();
                let tuple = format!("({})", parts.join(", "));
                let prefix = if row == 0 {
                    "MultiIndex([".to_string()
                } else {
                    indent.clone()
                };
                let end = if row + 1 == len { "]," } else { "," };
                lines.push(format!("{prefix}{tuple}{end}"));
            }
            let names: Vec<String> = names
                .iter()
                .map(|&n| match pickle.as_str(n) {
                    Some(text) => str_repr(text),
                    None => crate::render::repr::repr(pickle, n, 80).0,
                })
                .collect();
            lines.push(format!(
                "{}names=[{}])",
                " ".repeat("MultiIndex(".len()),
                names.join(", ")
            ));
            Some(lines)
        }
    }
}

/// `name='letter'` for a named index.
fn name_attr(pickle: &Pickle<'_>, name: Value) -> String {
    match pickle.as_str(name) {
        Some(text) => format!("name={}", str_repr(text)),
        None => format!("name={}", crate::render::repr::repr(pickle, name, 80).0),
    }
}

/// A dtype as its `.name` (what a repr and a Series' footer write): `string` for both
/// `string[python]` and `string[pyarrow]`.
pub fn dtype_name(dtype: &str) -> &str {
    match dtype {
        "string[python]" | "string[pyarrow]" => "string",
        other => other,
    }
}

/// `Categories (3, str): ['a', 'b', 'c']`, wrapped at 80 columns, `<` between ordered
/// categories, the first and last four of more than eight.
pub fn categories_line(pickle: &Pickle<'_>, values: &Values<'_>) -> Option<String> {
    let (categories, ordered) = values.categories()?;
    let len = categories.len()?;
    let rows: Vec<u64> = match len > MAX_CATEGORIES {
        true => (0..MAX_CATEGORIES / 2)
            .chain(len - MAX_CATEGORIES / 2..len)
            .collect(),
        false => (0..len).collect(),
    };
    let cells: Vec<Cell<'_>> = rows.iter().map(|&r| categories.cell(pickle, r)).collect();
    let mut texts: Vec<String> = match categories.kind {
        Kind::Str | Kind::Object => cells.iter().map(|c| quoted(pickle, c)).collect(),
        _ => format_column(pickle, &categories.kind, &cells)
            .into_iter()
            .map(|t| t.trim().to_string())
            .collect(),
    };
    if len > MAX_CATEGORIES {
        texts.insert((MAX_CATEGORIES / 2) as usize, "...".to_string());
    }
    let head = format!("Categories ({len}, {}): ", dtype_name(&categories.dtype));
    let (sep_len, sep) = if ordered { (3, " < ") } else { (2, ", ") };
    let mut list = String::new();
    let mut column = head.len();
    for (i, text) in texts.iter().enumerate() {
        if column + sep_len + text.len() > DISPLAY_WIDTH {
            list.push_str(sep.trim_end());
            list.push('\n');
            list.push_str(&" ".repeat(head.len() + 1));
            column = head.len() + 1;
        } else if i > 0 {
            list.push_str(sep);
            column += text.len();
        }
        list.push_str(text);
    }
    Some(format!("{head}[{}]", list.replace(" < ... < ", " ... ")))
}

/// A bare `Categorical`'s repr: its values in brackets (ten at most), then its
/// categories.
pub fn categorical_repr(pickle: &Pickle<'_>, values: &Values<'_>) -> Option<Vec<String>> {
    let len = values.len()?;
    let item = |row: u64| match values.cell(pickle, row) {
        Cell::Float(f) if f.is_nan() => "NaN".to_string(),
        cell => quoted(pickle, &cell),
    };
    let mut lines = Vec::new();
    if len > 10 {
        let head: Vec<String> = (0..5).map(item).collect();
        let tail: Vec<String> = (len - 5..len).map(item).collect();
        lines.push(format!("[{}, ..., {}]", head.join(", "), tail.join(", ")));
        lines.push(format!("Length: {len}"));
    } else {
        let all: Vec<String> = (0..len).map(item).collect();
        lines.push(format!("[{}]", all.join(", ")));
    }
    lines.extend(categories_line(pickle, values)?.lines().map(str::to_string));
    Some(lines)
}

/// A scalar's repr: `Timestamp('2024-03-01 12:30:05.123456-0500', tz='America/New_York')`,
/// `Timedelta('1 days 02:03:04')`, `Period('2024-03', 'M')`,
/// `Interval(0, 5, closed='left')`, `NaT`.
pub fn scalar_repr(pickle: &Pickle<'_>, scalar: &Scalar<'_>, era: Era) -> String {
    match scalar {
        Scalar::Timestamp { count, unit, tz } => {
            let kind = Kind::Datetime {
                unit: unit.to_string(),
                tz: tz.clone(),
            };
            let mut text = timestamp(&kind, &Cell::Datetime(*count));
            match tz {
                None => format!("Timestamp('{text}')"),
                Some(tz) => {
                    // `%z` has no colon: `-0500`.
                    if text.len() > 3 && text.as_bytes()[text.len() - 3] == b':' {
                        text.remove(text.len() - 3);
                    }
                    format!("Timestamp('{text}', tz='{}')", tz.name)
                }
            }
        }
        Scalar::Timedelta { count, unit } => {
            format!("Timedelta('{}')", timedelta_long(unit, *count))
        }
        Scalar::Period { ordinal, freq } => {
            let spelling = spelled(freq, era);
            match period_text(freq, *ordinal) {
                Some(text) => format!("Period('{text}', '{spelling}')"),
                None => format!("Period(ordinal={ordinal}, freq='{spelling}')"),
            }
        }
        Scalar::Interval {
            left,
            right,
            closed,
        } => {
            let bound = |cell: &Cell<'_>| match cell {
                Cell::Float(f) => float_repr(*f),
                other => generic(pickle, other),
            };
            format!(
                "Interval({}, {}, closed='{closed}')",
                bound(left),
                bound(right)
            )
        }
        Scalar::NaT => "NaT".to_string(),
    }
}
