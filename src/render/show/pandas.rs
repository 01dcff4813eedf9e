//! `show`'s view of pandas objects: a DataFrame or Series laid out as `print(df)` lays it
//! out (pandas' defaults: up to 60 rows, else the first and last five; the middle columns
//! elided with `...` where the frame is wider than `--width`, as pandas fits it to its
//! terminal), then its dtypes; an index as its repr.
//!
//! ```text
//! DataFrame(3 rows × 2 columns)
//!    int  float
//! 0    1   1.50
//! 1    2    NaN
//! 2    3   3.25
//! dtypes: int int64, float float64
//! ```
//!
//! The recognizer ([`crate::python::pandas`]) says what the frame is and reads the values
//! of the rows shown; this module only lays them out (`pandas_format` formats
//! them column by column).

use std::cell::Cell as Shared;

use super::doc::Doc;
use super::layout::Style;
use super::pandas_format::{format_column, generic, MAX_COLWIDTH};
use super::pandas_repr;
use super::Recognizer;
use crate::graph::{NodeId, Pickle, Value};
use crate::python::pandas::{self, Frame, Index, Label};
use crate::python::pandas_era::{self, Era};
use crate::python::pandas_values::{self, Cell, Kind, Values};
use crate::python::pandas_zone;

/// pandas' `display.max_rows`: longer frames show `MIN_ROWS` rows.
const MAX_ROWS: u64 = 60;
/// pandas' `display.min_rows`: the first and last half of it are shown.
const MIN_ROWS: u64 = 10;

/// A DataFrame or Series as pandas prints it.
#[derive(Default)]
pub struct PandasFrame {
    width: Shared<usize>,
    /// Which pandas wrote the pickle, as far as it tells: how frequencies are spelled.
    era: Shared<Era>,
}

impl Recognizer for PandasFrame {
    fn name(&self) -> &'static str {
        "pandas-frame"
    }

    /// It reads calls and instances only.
    fn claims_containers(&self, _: &Pickle<'_>) -> bool {
        false
    }

    /// `pd.NA`, a global, written as pandas writes it.
    fn leaf(&self, pickle: &Pickle<'_>, id: NodeId) -> Option<String> {
        match pickle.global_name(Value::Node(id))? {
            ("pandas", "NA") | ("pandas._libs.missing", "NA") => Some("<NA>".to_string()),
            _ => None,
        }
    }

    fn fit_width(&self, width: usize) {
        self.width.set(width);
    }

    fn prepare(&self, pickle: &Pickle<'_>) {
        self.era.set(pandas_era::era(pickle));
    }

    fn recognize(&self, pickle: &Pickle<'_>, id: NodeId) -> Option<Doc> {
        let era = self.era.get();
        let width = match self.width.get() {
            0 => super::DEFAULT_WIDTH,
            width => width,
        };
        let Some(frame) = pandas::frame(pickle, id) else {
            return other_object(pickle, id, era, width);
        };
        let mut lines = vec![head(&frame, era)];
        if let Some(note) = unread_note(pickle, &frame) {
            // No table of values the pickle does not hold (a joblib frame's arrays
            // follow it in the stream): its columns and dtypes, and why.
            lines.extend(dtype_lines(pickle, &frame));
            lines.push(format!("  ({note})"));
            return Some(lines_doc(lines, Style::Name));
        }
        lines.extend(match frame.kind {
            "Series" => series_lines(pickle, &frame, era),
            _ => frame_lines(pickle, &frame, width),
        });
        if frame.kind == "DataFrame" && !frame.columns.is_empty() {
            let dtypes: Vec<String> = frame
                .columns
                .iter()
                .map(|c| {
                    let dtype = pandas_repr::spelled(&c.dtype, era);
                    format!("{} {dtype}", label_text(pickle, &c.label))
                })
                .collect();
            lines.extend(wrapped("dtypes: ", &dtypes, width));
        }
        for note in zone_notes(&frame) {
            lines.extend(note_lines(&note, width));
        }
        Some(lines_doc(lines, Style::Name))
    }
}

/// `prefix` and the items, comma-separated, broken into lines of at most `width`
/// characters where an item ends; continuation lines are indented under the first item.
/// An item longer than a line has a line of its own.
fn wrapped(prefix: &str, items: &[String], width: usize) -> Vec<String> {
    let indent = " ".repeat(prefix.chars().count());
    let mut lines = Vec::new();
    let mut line = prefix.to_string();
    let mut empty = true;
    for (i, item) in items.iter().enumerate() {
        let piece = match i + 1 < items.len() {
            true => format!("{item},"),
            false => item.clone(),
        };
        let needed = usize::from(!empty) + piece.chars().count();
        if !empty && line.chars().count() + needed > width {
            lines.push(std::mem::replace(&mut line, indent.clone()));
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(&piece);
        empty = false;
    }
    lines.push(line);
    lines
}

/// Why a column's values cannot be read, when one cannot.
fn unread_note(pickle: &Pickle<'_>, frame: &Frame<'_>) -> Option<String> {
    frame
        .columns
        .iter()
        .find_map(|column| match &column.values {
            None => Some("values not read".to_string()),
            Some(values) if values.len().is_none() => Some(match values.cell(pickle, 0) {
                Cell::Unread(note) => format!("values not read: {note}"),
                _ => "values not read".to_string(),
            }),
            Some(_) => None,
        })
}

/// A line per column: its label and dtype, aligned.
fn dtype_lines(pickle: &Pickle<'_>, frame: &Frame<'_>) -> Vec<String> {
    let names: Vec<String> = frame
        .columns
        .iter()
        .map(|column| label_text(pickle, &column.label))
        .collect();
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    names
        .iter()
        .zip(&frame.columns)
        .map(|(name, column)| format!("  {name:<width$}  {}", column.dtype))
        .collect()
}

/// What the reader should know about the zones of the frame's columns (`tzlocal()`), a
/// line each.
fn zone_notes(frame: &Frame<'_>) -> Vec<String> {
    let mut notes: Vec<String> = Vec::new();
    for column in &frame.columns {
        let Some(values) = &column.values else {
            continue;
        };
        if let Kind::Datetime { tz: Some(zone), .. } = &values.kind {
            if let Some(note) = &zone.note {
                if !notes.contains(note) {
                    notes.push(note.clone());
                }
            }
        }
    }
    notes
}

/// A note in parentheses, broken at spaces into lines of at most `width` characters
/// (a word longer than a line has one of its own), continuation lines indented by one.
fn note_lines(note: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = "(".to_string();
    for word in note.split(' ') {
        let fresh = line == "(" || line == " ";
        if !fresh && line.chars().count() + 1 + word.chars().count() + 1 > width {
            lines.push(std::mem::replace(&mut line, " ".to_string()));
        } else if !fresh {
            line.push(' ');
        }
        line.push_str(word);
    }
    line.push(')');
    lines.push(line);
    lines
}

/// Lines as a document, the first in `first`'s style.
fn lines_doc(lines: Vec<String>, first: Style) -> Doc {
    let mut parts = Vec::new();
    for (i, line) in lines.into_iter().enumerate() {
        if i > 0 {
            parts.push(Doc::HardLine);
        }
        let style = if i == 0 { first } else { Style::Plain };
        parts.push(Doc::styled(line, style));
    }
    Doc::Concat(parts)
}

/// An index, a `Categorical` or a scalar, as its repr.
fn other_object(pickle: &Pickle<'_>, id: NodeId, era: Era, width: usize) -> Option<Doc> {
    if let Some(scalar) = pandas::scalar(pickle, id) {
        let mut lines = vec![pandas_repr::scalar_repr(pickle, &scalar, era)];
        match &scalar {
            pandas::Scalar::Timestamp {
                tz:
                    Some(pandas_zone::Zone {
                        note: Some(note), ..
                    }),
                ..
            } => lines.extend(note_lines(note, width)),
            pandas::Scalar::Period { freq, .. } if era == Era::Unknown => {
                if let Some(legacy) = pandas_era::legacy_freq(freq) {
                    let note = format!(
                        "the pickle does not say which pandas wrote it: {freq} as pandas \
                         2.2 and later spell it; before 2.2, {legacy}"
                    );
                    lines.extend(note_lines(&note, width));
                }
            }
            _ => {}
        }
        return Some(lines_doc(lines, Style::Name));
    }
    if let Some(index) = pandas::index(pickle, Value::Node(id)) {
        return Some(lines_doc(
            pandas_repr::index_repr(pickle, &index, era, width)?,
            Style::Plain,
        ));
    }
    let values = pandas_values::array(pickle, Value::Node(id))?;
    let lines = match pandas_values::array_class(pickle, Value::Node(id))? {
        "Categorical" => pandas_repr::categorical_repr(pickle, &values)?,
        class => pandas_repr::array_repr(pickle, class, &values, era, width)?,
    };
    Some(lines_doc(lines, Style::Plain))
}

/// `DataFrame(3 rows × 14 columns)`, `Series(score, 3 rows, float64)`.
fn head(frame: &Frame<'_>, era: Era) -> String {
    let rows = frame
        .rows
        .map_or_else(|| "?".to_string(), |n| n.to_string());
    match frame.kind {
        "Series" => {
            let dtype = frame.columns.first().map_or("?", |c| c.dtype.as_str());
            format!("Series({rows} rows, {})", pandas_repr::spelled(dtype, era))
        }
        _ => {
            let count = frame.columns.len();
            let plural = if count == 1 { "" } else { "s" };
            format!("DataFrame({rows} rows × {count} column{plural})")
        }
    }
}

/// The rows pandas shows: all up to [`MAX_ROWS`], else the first and last five, with the
/// position of the `...` row.
fn shown_rows(rows: u64) -> (Vec<u64>, Option<usize>) {
    if rows <= MAX_ROWS {
        return ((0..rows).collect(), None);
    }
    let half = MIN_ROWS / 2;
    let rows_shown = (0..half).chain(rows - half..rows).collect();
    (rows_shown, Some(half as usize))
}

/// A column's texts: its formatted cells under its header, right-justified.
fn column_texts(
    pickle: &Pickle<'_>,
    headers: Vec<String>,
    values: Option<&Values<'_>>,
    kind_numeric: bool,
    rows: &[u64],
) -> Vec<String> {
    let cells: Vec<Cell<'_>> = match values {
        Some(values) => rows.iter().map(|&row| values.cell(pickle, row)).collect(),
        None => rows
            .iter()
            .map(|_| Cell::Unread("not read".to_string()))
            .collect(),
    };
    let kind = values.map_or(Kind::Unknown, |v| v.kind.clone());
    let texts = format_column(pickle, &kind, &cells);
    let headers: Vec<String> = headers
        .into_iter()
        .map(|header| match kind_numeric && !header.is_empty() {
            true => format!(" {header}"),
            false => header,
        })
        .collect();
    let width = texts
        .iter()
        .chain(&headers)
        .map(|t| t.chars().count())
        .max()
        .unwrap_or(0);
    let mut column: Vec<String> = headers.iter().map(|h| format!("{h:>width$}")).collect();
    column.extend(texts.into_iter().map(|t| format!("{t:>width$}")));
    column
}

/// pandas' `sparsify_labels`: a level's label is left blank where it and every level
/// above it repeat the previous one's (the last level is always written).
fn sparsify(labels: &mut [Vec<String>]) {
    let original: Vec<Vec<String>> = labels.to_vec();
    for i in 1..labels.len() {
        let levels = labels[i].len();
        for level in 0..levels.saturating_sub(1) {
            if original[i][level] != original[i - 1][level] {
                break;
            }
            labels[i][level] = String::new();
        }
    }
}

/// The header rows of each column: its label, or a MultiIndex's labels, sparsified.
fn column_headers(pickle: &Pickle<'_>, frame: &Frame<'_>) -> Vec<Vec<String>> {
    let Some(index @ Index::Multi { .. }) = &frame.column_index else {
        return frame
            .columns
            .iter()
            .map(|column| vec![label_text(pickle, &column.label)])
            .collect();
    };
    let mut labels: Vec<Vec<String>> = (0..frame.columns.len() as u64)
        .map(|j| {
            (0..index.levels())
                .map(|level| generic(pickle, &index.label(pickle, level, j)))
                .collect()
        })
        .collect();
    sparsify(&mut labels);
    labels
}

/// The names of an index's levels as pandas heads them (`str()` of each, `None` where a
/// level has none); `None` when no level has a name.
fn level_names(pickle: &Pickle<'_>, index: Option<&Index<'_>>) -> Option<Vec<Option<String>>> {
    let names: Vec<Value> = match index? {
        Index::Range { name, .. } | Index::Flat { name, .. } => vec![*name],
        Index::Multi { names, .. } => names.clone(),
    };
    let names: Vec<Option<String>> = names
        .into_iter()
        .map(|name| match name {
            Value::None => None,
            name => Some(match pickle.as_str(name) {
                Some(text) => text.to_string(),
                None => crate::render::repr::repr(pickle, name, 200).0,
            }),
        })
        .collect();
    names.iter().any(Option::is_some).then_some(names)
}

/// The index's labels of `rows` as pandas writes them, left-justified, level by level
/// (`Index.format`): ranges as numbers, other indexes as their values formatted without
/// the leading space, a MultiIndex's levels sparsified; under the names of its levels
/// when `names` (a row of them, `''` for a level without one).
fn index_labels(
    pickle: &Pickle<'_>,
    index: Option<&Index<'_>>,
    rows: &[u64],
    names: Option<&[Option<String>]>,
) -> Vec<String> {
    let head = |level: usize| -> Option<String> {
        let names = names?;
        Some(names.get(level).cloned().flatten().unwrap_or_default())
    };
    let mut texts: Vec<String> = match index {
        Some(index @ Index::Range { .. }) => rows
            .iter()
            .map(|&row| generic(pickle, &index.label(pickle, 0, row)))
            .collect(),
        Some(Index::Flat { values, .. }) => {
            let cells: Vec<Cell<'_>> = rows.iter().map(|&r| values.cell(pickle, r)).collect();
            let texts = format_column(pickle, &values.kind, &cells);
            let common = texts
                .iter()
                .map(|t| t.len() - t.trim_start().len())
                .min()
                .unwrap_or(0);
            texts.into_iter().map(|t| t[common..].to_string()).collect()
        }
        Some(index @ Index::Multi { .. }) => {
            let mut labels: Vec<Vec<String>> = rows
                .iter()
                .map(|&row| {
                    (0..index.levels())
                        .map(|level| generic(pickle, &index.label(pickle, level, row)))
                        .collect()
                })
                .collect();
            sparsify(&mut labels);
            let levels: Vec<Vec<String>> = (0..index.levels())
                .map(|level| {
                    head(level)
                        .into_iter()
                        .chain(labels.iter().map(|l| l[level].clone()))
                        .collect()
                })
                .collect();
            if rows.is_empty() && names.is_none() {
                return Vec::new();
            }
            return adjoin(&levels, 1);
        }
        None => rows.iter().map(|row| row.to_string()).collect(),
    };
    if let Some(name) = head(0) {
        texts.insert(0, name);
    }
    texts
}

/// The index's column of a frame: the names of the columns' levels (or blanks) over its
/// labels (with a row of its own names when it has some), all left-justified.
fn index_texts(
    pickle: &Pickle<'_>,
    index: Option<&Index<'_>>,
    rows: &[u64],
    column_names: Vec<String>,
    names: Option<&[Option<String>]>,
) -> Vec<String> {
    let texts = index_labels(pickle, index, rows, names);
    let width = texts
        .iter()
        .chain(&column_names)
        .map(|t| t.chars().count())
        .max()
        .unwrap_or(0);
    column_names
        .into_iter()
        .chain(texts)
        .map(|t| format!("{t:<width$}"))
        .collect()
}

/// The lines of `str(df)`.
fn frame_lines(pickle: &Pickle<'_>, frame: &Frame<'_>, width: usize) -> Vec<String> {
    let Some(rows) = frame.rows else {
        return vec!["(rows not read)".to_string()];
    };
    let (rows_shown, dot_row) = shown_rows(rows);
    let mut headers = column_headers(pickle, frame);
    let column_levels = frame.column_index.as_ref().map_or(1, Index::levels);
    // pandas heads the index's column with the names of the columns' levels, and gives
    // the index's own names a row under the columns' labels.
    let column_names = match level_names(pickle, frame.column_index.as_ref()) {
        Some(names) => names.into_iter().map(Option::unwrap_or_default).collect(),
        None => vec![String::new(); column_levels],
    };
    let row_names = level_names(pickle, frame.index.as_ref());
    if row_names.is_some() {
        headers
            .iter_mut()
            .for_each(|header| header.push(String::new()));
    }
    let header_rows = column_levels + usize::from(row_names.is_some());
    let index = index_texts(
        pickle,
        frame.index.as_ref(),
        &rows_shown,
        column_names,
        row_names.as_deref(),
    );
    let numeric: Vec<bool> = frame
        .columns
        .iter()
        .map(|c| c.values.as_ref().is_some_and(|v| v.kind.is_numeric()))
        .collect();
    let column_text = |position: usize, numeric: bool| {
        let column = &frame.columns[position];
        let headers = headers[position].clone();
        column_texts(
            pickle,
            headers,
            column.values.as_ref(),
            numeric,
            &rows_shown,
        )
    };
    let columns: Vec<Vec<String>> = (0..frame.columns.len())
        .map(|i| column_text(i, numeric[i]))
        .collect();
    let widths: Vec<usize> = std::iter::once(&index)
        .chain(&columns)
        .map(|c| c.iter().map(|t| t.chars().count()).max().unwrap_or(0))
        .collect();
    let kept = columns_fitted(&widths, width);
    let mut strcols = vec![index];
    let dot_column = match kept {
        Some(half) if half * 2 < columns.len() => {
            let count = columns.len();
            let positions: Vec<usize> = (0..half).chain(count - half..count).collect();
            for (shown, &position) in positions.iter().enumerate() {
                // pandas before 3 gives the kept columns' headers the leading space of
                // the frame's first columns' dtypes (it zips the truncated labels with
                // the whole frame's dtypes), fixed in pandas 3.
                let lead = match frame.public_names {
                    true => numeric[position],
                    false => numeric[shown],
                };
                strcols.push(column_text(position, lead));
                if shown + 1 == half {
                    strcols.push(vec![" ...".to_string(); rows_shown.len() + header_rows]);
                }
            }
            Some(half + 1)
        }
        _ => {
            strcols.extend(columns);
            None
        }
    };
    if let Some(row_num) = dot_row {
        insert_dot_row(&mut strcols, row_num, header_rows, dot_column);
    }
    let mut lines = adjoin(&strcols, 1);
    if dot_row.is_some() || dot_column.is_some() {
        lines.push(String::new());
        lines.push(format!("[{rows} rows x {} columns]", frame.columns.len()));
    }
    lines
}

/// pandas' `_fit_strcols_to_terminal_width`: while the frame is wider than `width`, drop
/// the middle column (Python's `round`, halves to even); the columns kept are half of
/// what is left on each side (at least one each). `None` when every column fits.
fn columns_fitted(widths: &[usize], width: usize) -> Option<usize> {
    let total: usize = widths.iter().sum::<usize>() + widths.len().saturating_sub(1);
    let mut overflow = total as i64 - width as i64 + 1;
    let mut lens: Vec<usize> = widths.to_vec();
    while overflow > 0 && lens.len() > 1 {
        let n = lens.len();
        // round(n / 2) with ties to even.
        let mid = match n % 4 {
            0 | 2 => n / 2,
            1 => (n - 1) / 2,
            _ => n.div_ceil(2),
        };
        let mid = mid.min(n - 1);
        overflow -= lens[mid] as i64 + 1;
        lens.remove(mid);
    }
    let fitted = (lens.len() - 1).max(2);
    (fitted < widths.len() - 1).then_some((fitted / 2).max(1))
}

/// The `...` row after the first half of the rows, as `_insert_dot_separator_vertical`.
fn insert_dot_row(
    strcols: &mut [Vec<String>],
    row_num: usize,
    header_rows: usize,
    dot_column: Option<usize>,
) {
    for (ix, column) in strcols.iter_mut().enumerate() {
        let is_dot = dot_column == Some(ix);
        let mut width = column.get(row_num).map_or(0, |t| t.chars().count());
        let dots = if width > 3 || is_dot { "..." } else { ".." };
        let text = if ix == 0 {
            format!("{dots:<width$}")
        } else {
            if is_dot {
                width = 4;
            }
            format!("{dots:>width$}")
        };
        column.insert(row_num + header_rows, text);
    }
}

/// pandas' `adjoin`: each column left-justified to its width plus `space`, the last to
/// its own width.
fn adjoin(strcols: &[Vec<String>], space: usize) -> Vec<String> {
    let height = strcols.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = strcols
        .iter()
        .map(|c| c.iter().map(|t| t.chars().count()).max().unwrap_or(0))
        .collect();
    (0..height)
        .map(|row| {
            let mut line = String::new();
            for (i, column) in strcols.iter().enumerate() {
                let pad = widths[i] + if i + 1 < strcols.len() { space } else { 0 };
                let text = column.get(row).map_or("", String::as_str);
                line += &format!("{text:<pad$}");
            }
            line
        })
        .collect()
}

/// The lines of `str(series)`: index and values three spaces apart, then the footer.
fn series_lines(pickle: &Pickle<'_>, frame: &Frame<'_>, era: Era) -> Vec<String> {
    let (Some(rows), Some(column)) = (frame.rows, frame.columns.first()) else {
        return vec!["(rows not read)".to_string()];
    };
    let (rows_shown, dot_row) = shown_rows(rows);
    let names = level_names(pickle, frame.index.as_ref());
    let mut index = index_labels(pickle, frame.index.as_ref(), &rows_shown, names.as_deref());
    // `str(series)` writes the index's names on a line of their own, above the rows.
    let names_line = names.is_some().then(|| index.remove(0));
    let mut values = column_texts(
        pickle,
        vec![String::new()],
        column.values.as_ref(),
        false,
        &rows_shown,
    );
    values.remove(0);
    if let Some(row_num) = dot_row {
        let width = values.get(row_num - 1).map_or(0, |t| t.chars().count());
        let dots = if width > 3 { "..." } else { ".." };
        values.insert(row_num, center(dots, width));
        index.insert(row_num, String::new());
    }
    let mut lines = if rows == 0 {
        Vec::new()
    } else {
        names_line
            .into_iter()
            .chain(adjoin(&[index, values], 3))
            .collect()
    };
    let mut footer = Vec::new();
    if let Some(Index::Flat {
        freq: Some(freq), ..
    }) = &frame.index
    {
        footer.push(format!("Freq: {}", pandas_repr::spelled(freq, era)));
    }
    match &column.label {
        Label::Value(Value::None) => {}
        label => footer.push(format!("Name: {}", label_text(pickle, label))),
    }
    if dot_row.is_some() {
        footer.push(format!("Length: {rows}"));
    }
    let dtype = pandas_repr::dtype_name(&column.dtype);
    footer.push(format!("dtype: {}", pandas_repr::spelled(dtype, era)));
    if rows == 0 {
        return vec![format!("Series([], {})", footer.join(", "))];
    }
    lines.push(footer.join(", "));
    if let Some(categories) = column
        .values
        .as_ref()
        .and_then(|values| pandas_repr::categories_line(pickle, values))
    {
        lines.extend(categories.lines().map(str::to_string));
    }
    lines
}

/// Python's `str.center`: the extra space on the right when the padding is odd… unless
/// the text's length is odd, as CPython splits it.
fn center(text: &str, width: usize) -> String {
    let len = text.chars().count();
    if width <= len {
        return text.to_string();
    }
    let pad = width - len;
    let left = pad / 2 + (pad & len & 1);
    format!("{}{text}{}", " ".repeat(left), " ".repeat(pad - left))
}

/// A pandas label as text: a str as it is, any other value as Python's repr.
fn label_text(pickle: &Pickle<'_>, label: &Label) -> String {
    let text = match label {
        Label::Text(text) => text.clone(),
        Label::Value(value) => crate::render::repr::repr(pickle, *value, 200).0,
    };
    match text.chars().count() > MAX_COLWIDTH {
        true => text.chars().take(MAX_COLWIDTH - 3).collect::<String>() + "...",
        false => text,
    }
}

/// A frame on one line: `DataFrame(2 rows × 3 columns: n int64, x float64, s str)`,
/// `Series(values, float64, 3 rows)`.
pub fn frame_summary(pickle: &Pickle<'_>, frame: &Frame<'_>) -> String {
    frame.summary(|value| crate::render::repr::repr(pickle, value, 200).0)
}

#[cfg(test)]
mod wrap_tests {
    use super::{note_lines, wrapped};

    #[test]
    fn a_note_breaks_at_spaces_within_the_width() {
        let note = "tzlocal() is the zone of the machine that loads the pickle";
        assert_eq!(note_lines(note, 80), [format!("({note})")]);
        let lines = note_lines(note, 30);
        assert!(lines.iter().all(|l| l.chars().count() <= 30), "{lines:?}");
        assert_eq!(
            lines
                .join(" ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
            format!("({note})")
        );
        assert_eq!(
            note_lines("a_very_long_word x", 5),
            ["(a_very_long_word", " x)"]
        );
    }

    fn items(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn a_list_that_fits_is_one_line() {
        let lines = wrapped("dtypes: ", &items(&["a int64", "b str"]), 80);
        assert_eq!(lines, ["dtypes: a int64, b str"]);
    }

    #[test]
    fn a_long_list_breaks_where_an_item_ends_and_no_line_is_wider_than_the_width() {
        let names: Vec<String> = (0..30).map(|i| format!("column_{i} float64")).collect();
        let lines = wrapped("dtypes: ", &names, 40);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| l.chars().count() <= 40), "{lines:?}");
        assert!(lines[1..].iter().all(|l| l.starts_with("        c")));
        let joined: Vec<&str> = lines.iter().map(|l| l.trim()).collect();
        assert_eq!(joined.join(" "), format!("dtypes: {}", names.join(", ")));
    }

    #[test]
    fn an_item_wider_than_the_width_has_its_own_line() {
        let lines = wrapped(
            "dtypes: ",
            &items(&["a int64", &"x".repeat(50), "b str"]),
            20,
        );
        assert_eq!(lines[1].trim(), format!("{},", "x".repeat(50)));
        assert_eq!(lines.len(), 3);
    }
}
