//! pandas' formatters, column by column, as `pandas.io.formats.format` writes values for
//! `print(df)`: ints and floats with a leading space for the sign, floats at a common
//! number of decimals (or in scientific notation when some are tiny or huge), datetimes
//! as dates when every one is at midnight, timedeltas as `0 days 01:00:00`, periods at
//! their frequency, intervals as `(0, 1]`, missing values as `NaN`, `<NA>`, `NaT`, `None`.
//!
//! Each function takes the cells of the rows shown and gives their texts, right-justified
//! to one width, as `format_array` does.

use super::pandas_arrow;
use crate::graph::Pickle;
use crate::python::datetime64;
use crate::python::pandas_values::{Cell, Kind};
use crate::python::pandas_zone::Zone;
use crate::text::scalar::float_repr;

/// pandas' `display.precision`.
const PRECISION: usize = 6;
/// pandas' `display.max_colwidth`: longer values end in `...`.
pub const MAX_COLWIDTH: usize = 50;

/// The texts of `cells`, formatted as pandas formats a column of `kind`, justified to one
/// width (at most [`MAX_COLWIDTH`], longer ones cut with `...`).
pub fn format_column(pickle: &Pickle<'_>, kind: &Kind, cells: &[Cell<'_>]) -> Vec<String> {
    let texts = match kind {
        Kind::Float => floats(cells),
        Kind::Int => cells
            .iter()
            .map(|cell| match cell {
                Cell::Int(n) => format!(" {n}"),
                other => format!(" {}", generic(pickle, other)),
            })
            .collect(),
        Kind::Datetime { tz: None, .. } => datetimes(kind, cells),
        Kind::Datetime { tz: Some(_), .. } => cells.iter().map(|c| timestamp(kind, c)).collect(),
        Kind::Timedelta {
            unit,
            shared_fraction,
        } => timedeltas(unit, *shared_fraction, cells),
        Kind::Category(inner) => format_column(pickle, inner, cells),
        // `str()` of each value, as pandas formats an object column: a Timestamp with its
        // time even at midnight, a date alone.
        Kind::ArrowTimestamp { unit, tz } => {
            let stamps = Kind::Datetime {
                unit: unit.clone(),
                tz: tz.clone(),
            };
            cells
                .iter()
                .map(|cell| match cell {
                    Cell::Datetime(_) => format!(" {}", timestamp(&stamps, cell)),
                    other => format!(" {}", generic(pickle, other)),
                })
                .collect()
        }
        Kind::ArrowNested => cells
            .iter()
            .map(|cell| match cell {
                Cell::Arrow(value) => format!(" {}", pandas_arrow::numpy_text(value)),
                other => format!(" {}", generic(pickle, other)),
            })
            .collect(),
        Kind::ArrowDate { unit } => cells
            .iter()
            .map(|cell| match cell {
                Cell::Datetime(count) => match day_and_nanos(unit, *count) {
                    Some((days, _)) => format!(" {}", date_text(days)),
                    None => format!(" <{unit} count {count}>"),
                },
                other => format!(" {}", generic(pickle, other)),
            })
            .collect(),
        _ => cells
            .iter()
            .map(|cell| match cell {
                Cell::Float(f) if !f.is_nan() => trimmed_single(*f),
                other => format!(" {}", cell_text(pickle, kind, other)),
            })
            .collect(),
    };
    fixed_width(texts)
}

/// Right-justifies texts to their common width, cutting those past [`MAX_COLWIDTH`].
fn fixed_width(texts: Vec<String>) -> Vec<String> {
    let width = texts.iter().map(|t| t.chars().count()).max().unwrap_or(0);
    let width = width.min(MAX_COLWIDTH);
    texts
        .into_iter()
        .map(|text| {
            let text = match text.chars().count() > width {
                true => text.chars().take(width - 3).collect::<String>() + "...",
                false => text,
            };
            format!("{text:>width$}")
        })
        .collect()
}

/// A value as `str()` writes it in an object column (pandas' `pprint_thing`).
fn cell_text(pickle: &Pickle<'_>, kind: &Kind, cell: &Cell<'_>) -> String {
    match (kind, cell) {
        (Kind::Period { .. }, Cell::Int(n)) if *n == i128::from(i64::MIN) => "NaT".to_string(),
        (Kind::Period { .. }, Cell::Int(n)) => match i64::try_from(*n) {
            Ok(ordinal) => cell_text(pickle, kind, &Cell::Period(ordinal)),
            Err(_) => n.to_string(),
        },
        (Kind::Period { freq }, Cell::Period(ordinal)) => {
            period_text(freq, *ordinal).unwrap_or_else(|| format!("Period({ordinal})"))
        }
        (Kind::Interval { closed, bounds }, Cell::Interval(left, right)) => {
            let (open, close) = match closed.as_str() {
                "left" => ('[', ')'),
                "both" => ('[', ']'),
                "neither" => ('(', ')'),
                _ => ('(', ']'),
            };
            let bound = |cell: &Cell<'_>| match cell {
                Cell::Float(f) => float_repr(*f),
                Cell::Datetime(_) => timestamp(bounds, cell),
                other => generic(pickle, other),
            };
            format!("{open}{}, {}{close}", bound(left), bound(right))
        }
        _ => generic(pickle, cell),
    }
}

/// A value with no column-wide format: pandas' `str()` of it, missing values by name.
pub fn generic(pickle: &Pickle<'_>, cell: &Cell<'_>) -> String {
    match cell {
        Cell::Int(n) => n.to_string(),
        Cell::Float(f) if f.is_nan() => "NaN".to_string(),
        Cell::Float(f) => float_repr(*f),
        Cell::Bool(b) => if *b { "True" } else { "False" }.to_string(),
        Cell::Str(text) => text
            .replace('\t', "\\t")
            .replace('\n', "\\n")
            .replace('\r', "\\r"),
        Cell::Na => "<NA>".to_string(),
        Cell::NaT => "NaT".to_string(),
        Cell::None => "None".to_string(),
        Cell::Object(value) => crate::render::repr::repr(pickle, *value, 200).0,
        Cell::Arrow(value) => pandas_arrow::python(value),
        Cell::Datetime(n) | Cell::Timedelta(n) | Cell::Period(n) => n.to_string(),
        Cell::Interval(left, right) => {
            format!("({}, {}]", generic(pickle, left), generic(pickle, right))
        }
        Cell::Unread(note) => format!("<{note}>"),
    }
}

/// A float in an object column: `{: .6f}` with its trailing zeros cut to one.
fn trimmed_single(value: f64) -> String {
    let text = format!("{}{value:.PRECISION$}", if value < 0.0 { "" } else { " " });
    if !value.is_finite() {
        return format!(" {}", float_text(value));
    }
    let trimmed = text.trim_end_matches('0');
    match trimmed.strip_suffix('.') {
        Some(_) => format!("{trimmed}0"),
        None => trimmed.to_string(),
    }
}

fn float_text(value: f64) -> &'static str {
    match value {
        v if v.is_nan() => "NaN",
        v if v > 0.0 => "inf",
        _ => "-inf",
    }
}

/// A float column, as `FloatArrayFormatter`: every value at six decimals with a space for
/// the sign, then trailing zeros cut while every number ends in one (a decimal kept);
/// scientific notation when a value is below 1e-6 (not zero), or when one is above 1e6
/// and the fixed texts run past 12 characters.
fn floats(cells: &[Cell<'_>]) -> Vec<String> {
    let values: Vec<Option<f64>> = cells
        .iter()
        .map(|cell| match cell {
            Cell::Float(f) if !f.is_nan() => Some(*f),
            Cell::Int(n) => Some(*n as f64),
            _ => None,
        })
        .collect();
    let unread = |texts: Vec<String>| -> Vec<String> {
        texts
            .into_iter()
            .zip(cells)
            .map(|(text, cell)| match cell {
                Cell::Unread(note) => format!("<{note}>"),
                _ => text,
            })
            .collect()
    };
    let fixed = unread(trim_zeros(
        values.iter().map(|v| v.map(fixed_text)).collect(),
    ));
    let longest = fixed.iter().map(|t| t.chars().count()).max().unwrap_or(0);
    let finite = || values.iter().flatten().filter(|v| v.is_finite());
    let large = finite().any(|v| v.abs() > 1e6);
    let small = finite().any(|v| v.abs() < 1e-6 && *v != 0.0);
    if small || (longest > PRECISION + 6 && large) {
        return unread(trim_zeros(
            values.iter().map(|v| v.map(scientific_text)).collect(),
        ));
    }
    fixed
}

fn fixed_text(value: f64) -> String {
    if !value.is_finite() {
        return format!(" {}", float_text(value));
    }
    let sign = if value.is_sign_negative() { "" } else { " " };
    format!("{sign}{value:.PRECISION$}")
}

/// `{: .6e}` as Python writes it: `1.500000e+07`.
fn scientific_text(value: f64) -> String {
    if !value.is_finite() {
        return format!(" {}", float_text(value));
    }
    let text = format!("{value:.PRECISION$e}");
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let sign = if value.is_sign_negative() { "" } else { " " };
    let exp_sign = if exponent < 0 { '-' } else { '+' };
    format!("{sign}{mantissa}e{exp_sign}{:02}", exponent.abs())
}

/// pandas' `_trim_zeros_float`: while every number (`-?digits.digits`) ends in `0`, cut
/// one from each; a number left ending in `.` gets a `0` back. Missing values are `NaN`.
fn trim_zeros(texts: Vec<Option<String>>) -> Vec<String> {
    let is_number = |t: &str| {
        let t = t.trim_start();
        let t = t.strip_prefix(['+', '-']).unwrap_or(t);
        match t.split_once('.') {
            Some((int, frac)) => {
                !int.is_empty()
                    && int.bytes().all(|b| b.is_ascii_digit())
                    && frac.bytes().all(|b| b.is_ascii_digit())
            }
            None => false,
        }
    };
    let mut texts: Vec<String> = texts
        .into_iter()
        .map(|t| t.unwrap_or_else(|| "NaN".to_string()))
        .collect();
    loop {
        let numbers: Vec<&String> = texts.iter().filter(|t| is_number(t)).collect();
        if numbers.is_empty() || !numbers.iter().all(|t| t.ends_with('0')) {
            break;
        }
        for text in texts.iter_mut().filter(|t| is_number(t)) {
            text.pop();
        }
    }
    for text in texts.iter_mut() {
        if is_number(text) && text.ends_with('.') {
            text.push('0');
        }
    }
    texts
}

/// Nanoseconds per unit of numpy's datetime units; `None` for units pandas cannot hold.
fn unit_nanos(unit: &str) -> Option<i128> {
    Some(match unit {
        "ns" => 1,
        "us" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        "D" => 86_400_000_000_000,
        "W" => 7 * 86_400_000_000_000,
        _ => return None,
    })
}

const DAY_NANOS: i128 = 86_400_000_000_000;

/// A count of `unit` as whole days since the epoch and nanoseconds into the day.
fn day_and_nanos(unit: &str, count: i64) -> Option<(i64, i128)> {
    let nanos = i128::from(count) * unit_nanos(unit)?;
    Some((
        i64::try_from(nanos.div_euclid(DAY_NANOS)).ok()?,
        nanos.rem_euclid(DAY_NANOS),
    ))
}

fn date_text(days: i64) -> String {
    datetime64::datetime_text("D", 1, days).unwrap_or_default()
}

/// `HH:MM:SS` and the fraction at `digits` (0, 3, 6 or 9) of nanoseconds into a day.
fn clock_text(nanos: i128, digits: usize) -> String {
    let seconds = nanos / 1_000_000_000;
    let mut text = format!(
        "{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    );
    if digits > 0 {
        let fraction = nanos % 1_000_000_000 / 10i128.pow(9 - digits as u32);
        text += &format!(".{fraction:0digits$}");
    }
    text
}

/// Digits of the finest non-zero part among sub-second nanoseconds: 0, 3, 6 or 9.
fn fraction_digits(nanos: impl Iterator<Item = i128>) -> usize {
    nanos
        .map(|n| match n % 1_000_000_000 {
            0 => 0,
            n if n % 1_000_000 == 0 => 3,
            n if n % 1_000 == 0 => 6,
            _ => 9,
        })
        .max()
        .unwrap_or(0)
}

/// A tz-naive datetime column: dates alone when every value is at midnight, else the
/// time at the finest precision any value needs.
fn datetimes(kind: &Kind, cells: &[Cell<'_>]) -> Vec<String> {
    let Kind::Datetime { unit, .. } = kind else {
        return Vec::new();
    };
    let split: Vec<Option<(i64, i128)>> = cells
        .iter()
        .map(|cell| match cell {
            Cell::Datetime(count) => day_and_nanos(unit, *count),
            _ => None,
        })
        .collect();
    let dates_only = split.iter().flatten().all(|&(_, nanos)| nanos == 0);
    let digits = fraction_digits(split.iter().flatten().map(|&(_, n)| n));
    split
        .iter()
        .zip(cells)
        .map(|(parts, cell)| match (parts, cell) {
            (Some((days, _)), _) if dates_only => date_text(*days),
            (Some((days, nanos)), _) => {
                format!("{} {}", date_text(*days), clock_text(*nanos, digits))
            }
            (None, Cell::NaT) => "NaT".to_string(),
            (None, other) => generic_plain(other),
        })
        .collect()
}

fn generic_plain(cell: &Cell<'_>) -> String {
    match cell {
        Cell::Unread(note) => format!("<{note}>"),
        _ => "NaT".to_string(),
    }
}

/// `str(Timestamp)`: the local time, its fraction when it has one (6 digits, 9 with
/// nanoseconds), and the zone's UTC offset, looked up in the IANA time zone database
/// (`chrono-tz`) as zoneinfo and pytz would.
pub fn timestamp(kind: &Kind, cell: &Cell<'_>) -> String {
    let (Kind::Datetime { unit, tz }, Cell::Datetime(count)) = (kind, cell) else {
        return match cell {
            Cell::NaT => "NaT".to_string(),
            other => generic_plain(other),
        };
    };
    let Some((days, nanos)) = day_and_nanos(unit, *count) else {
        return format!("<{unit} count {count}>");
    };
    let offset = match tz {
        None => None,
        Some(zone) => match utc_offset(zone, days, nanos) {
            Some(offset) => Some(offset),
            None => return format!("<time zone {} unknown>", zone.name),
        },
    };
    let local =
        i128::from(days) * DAY_NANOS + nanos + i128::from(offset.unwrap_or(0)) * 1_000_000_000;
    let (days, nanos) = (local.div_euclid(DAY_NANOS), local.rem_euclid(DAY_NANOS));
    let digits = match nanos % 1_000_000_000 {
        0 => 0,
        n if n % 1_000 == 0 => 6,
        _ => 9,
    };
    let days = i64::try_from(days).unwrap_or_default();
    let text = format!("{} {}", date_text(days), clock_text(nanos, digits));
    match offset {
        None => text,
        Some(seconds) => {
            let sign = if seconds < 0 { '-' } else { '+' };
            let (minutes, rest) = (seconds.abs() / 60, seconds.abs() % 60);
            let text = format!("{text}{sign}{:02}:{:02}", minutes / 60, minutes % 60);
            match rest {
                0 => text,
                rest => format!("{text}:{rest:02}"),
            }
        }
    }
}

/// The UTC offset in seconds of a zone at an instant: its own when fixed, else the IANA
/// database's for its name.
fn utc_offset(zone: &Zone, days: i64, nanos: i128) -> Option<i32> {
    use chrono::{Offset, TimeZone};
    if let Some(fixed) = zone.fixed {
        return Some(fixed);
    }
    let zone: chrono_tz::Tz = zone.key.as_deref()?.parse().ok()?;
    let seconds = days
        .checked_mul(86_400)?
        .checked_add(i64::try_from(nanos / 1_000_000_000).ok()?)?;
    let instant = chrono::DateTime::from_timestamp(seconds, 0)?;
    Some(
        zone.offset_from_utc_datetime(&instant.naive_utc())
            .fix()
            .local_minus_utc(),
    )
}

/// A timedelta column, as `Timedelta._repr_base`: `N days` when every value is whole
/// days, else `N days HH:MM:SS` with a fraction where a value has one (per value).
/// With `shared_fraction` (pandas 3), every value gets the fraction of the finest: 6
/// digits, 9 when a nanosecond column has a value with nanoseconds.
fn timedeltas(unit: &str, shared_fraction: bool, cells: &[Cell<'_>]) -> Vec<String> {
    let split: Vec<Option<(i64, i128)>> = cells
        .iter()
        .map(|cell| match cell {
            Cell::Timedelta(count) => day_and_nanos(unit, *count),
            _ => None,
        })
        .collect();
    let even_days = split.iter().flatten().all(|&(_, nanos)| nanos == 0);
    let digits = match fraction_digits(split.iter().flatten().map(|&(_, n)| n)) {
        _ if !shared_fraction => None,
        0 => None,
        9 if unit == "ns" => Some(9),
        _ => Some(6),
    };
    split
        .iter()
        .zip(cells)
        .map(|(parts, cell)| match parts {
            Some((days, _)) if even_days => format!("{days} days"),
            Some((days, nanos)) => timedelta_text(i128::from(*days), *nanos, digits),
            None => generic_plain(cell),
        })
        .collect()
}

/// `Timedelta._repr_base(format='long')`: `1 days 02:03:04`, `-1 days +23:00:00`, the
/// fraction in 6 digits (9 with nanoseconds) when there is one.
pub fn timedelta_long(unit: &str, count: i64) -> String {
    match day_and_nanos(unit, count) {
        Some((days, nanos)) => timedelta_text(i128::from(days), nanos, None),
        None => format!("{count} {unit}"),
    }
}

/// `N days HH:MM:SS`, the fraction at `digits`, or (`None`) at 6 digits (9 with
/// nanoseconds) when the value has one.
fn timedelta_text(days: i128, nanos: i128, digits: Option<usize>) -> String {
    let digits = digits.unwrap_or(match nanos % 1_000_000_000 {
        0 => 0,
        n if n % 1_000 == 0 => 6,
        _ => 9,
    });
    let sign = if days < 0 { "+" } else { "" };
    format!("{days} days {sign}{}", clock_text(nanos, digits))
}

/// `str(Period)` of an ordinal at a frequency: `2024-01` (`M`), `2024-03-01` (`D`),
/// `2024` (`Y`), `2024Q1` (`Q`), `2024-03-01 12:00` (`h`, `min`), with seconds (`s`).
pub fn period_text(freq: &str, ordinal: i64) -> Option<String> {
    let base = freq.trim_start_matches(|c: char| c.is_ascii_digit());
    let base = base.split('-').next().unwrap_or(base);
    let ordinal = i128::from(ordinal);
    let year = |y: i128| format!("{y:04}");
    Some(match base {
        "M" => format!(
            "{}-{:02}",
            year(1970 + ordinal.div_euclid(12)),
            ordinal.rem_euclid(12) + 1
        ),
        "Y" | "A" | "YE" | "AS" => year(1970 + ordinal),
        "Q" => format!(
            "{}Q{}",
            year(1970 + ordinal.div_euclid(4)),
            ordinal.rem_euclid(4) + 1
        ),
        "D" => date_text(i64::try_from(ordinal).ok()?),
        "W" => {
            // pandas numbers weeks ending on Sunday 0, Monday 1, …, Saturday 6.
            const ENDS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
            let day = freq.split('-').nth(1).unwrap_or("SUN");
            let end_day = ENDS.iter().position(|&d| d == day)? as i128;
            let end = (ordinal - 1).checked_mul(7)? + 3 + end_day;
            let start = end - 6;
            let day = |d: i128| Some(date_text(i64::try_from(d).ok()?));
            format!("{}/{}", day(start)?, day(end)?)
        }
        "B" => {
            // Five business days a week: the inverse of pandas' `DtoB_weekday`.
            // Monday to Friday are 1 to 5 in it.
            let (week, day) = ((ordinal + 3).div_euclid(5), (ordinal + 3).rem_euclid(5) + 1);
            date_text(i64::try_from(week.checked_mul(7)? + day - 4).ok()?)
        }
        "ms" | "L" | "us" | "U" | "ns" | "N" => {
            let (per_second, digits) = match base {
                "ms" | "L" => (1_000, 3),
                "us" | "U" => (1_000_000, 6),
                _ => (1_000_000_000, 9),
            };
            let seconds = ordinal.div_euclid(per_second);
            let fraction = ordinal.rem_euclid(per_second);
            let (days, rest) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
            let day = date_text(i64::try_from(days).ok()?);
            let clock = clock_text(rest * 1_000_000_000, 0);
            format!("{day} {clock}.{fraction:0digits$}")
        }
        "h" | "H" => {
            let (days, hours) = (ordinal.div_euclid(24), ordinal.rem_euclid(24));
            format!("{} {hours:02}:00", date_text(i64::try_from(days).ok()?))
        }
        "min" | "T" => {
            let (days, minutes) = (ordinal.div_euclid(1440), ordinal.rem_euclid(1440));
            let day = date_text(i64::try_from(days).ok()?);
            format!("{day} {:02}:{:02}", minutes / 60, minutes % 60)
        }
        "s" | "S" => {
            let (days, seconds) = (ordinal.div_euclid(86_400), ordinal.rem_euclid(86_400));
            let day = date_text(i64::try_from(days).ok()?);
            format!("{day} {}", clock_text(seconds * 1_000_000_000, 0))
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_share_their_decimals_as_pandas_trims_them() {
        let cells = [Cell::Float(1.5), Cell::Float(f64::NAN), Cell::Float(3.25)];
        assert_eq!(floats(&cells), [" 1.50", "NaN", " 3.25"]);
        let big = [Cell::Float(1e7), Cell::Float(2.5)];
        assert_eq!(floats(&big), [" 10000000.0", " 2.5"]);
        let tiny = [Cell::Float(1e-8), Cell::Float(1.0)];
        assert_eq!(floats(&tiny), [" 1.000000e-08", " 1.000000e+00"]);
    }

    #[test]
    fn periods_are_written_at_their_frequency() {
        assert_eq!(period_text("M", 648).as_deref(), Some("2024-01"));
        assert_eq!(period_text("Q-DEC", 216).as_deref(), Some("2024Q1"));
        assert_eq!(period_text("Y-DEC", 54).as_deref(), Some("2024"));
        // What pandas printed for `pd.period_range("2024-01-01", periods=3, freq=f)`.
        assert_eq!(
            period_text("W-SUN", 2819).as_deref(),
            Some("2024-01-01/2024-01-07")
        );
        assert_eq!(period_text("B", 14087).as_deref(), Some("2024-01-01"));
        assert_eq!(period_text("B", 14091).as_deref(), Some("2024-01-05"));
        assert_eq!(period_text("B", 14092).as_deref(), Some("2024-01-08"));
        assert_eq!(
            period_text("ms", 1_704_067_200_002).as_deref(),
            Some("2024-01-01 00:00:00.002")
        );
        assert_eq!(period_text("2M", 650).as_deref(), Some("2024-03"));
        assert_eq!(period_text("W-SUN", i64::MIN), None);
    }

    #[test]
    fn negative_timedeltas_count_days_down_and_time_up() {
        let hour = 3_600_000_000_000;
        let cells = [Cell::Timedelta(-hour), Cell::Timedelta(2 * hour)];
        assert_eq!(
            timedeltas("ns", false, &cells),
            ["-1 days +23:00:00", "0 days 02:00:00"]
        );
    }

    #[test]
    fn pandas_3_writes_every_timedelta_at_the_finest_fraction() {
        let second = 1_000_000_000;
        let cells = [
            Cell::Timedelta(second + second / 2),
            Cell::NaT,
            Cell::Timedelta(-120 * second),
        ];
        assert_eq!(
            timedeltas("ns", true, &cells),
            ["0 days 00:00:01.500000", "NaT", "-1 days +23:58:00.000000"]
        );
        assert_eq!(
            timedeltas("ns", false, &cells),
            ["0 days 00:00:01.500000", "NaT", "-1 days +23:58:00"]
        );
        let nanos = [Cell::Timedelta(1), Cell::Timedelta(second)];
        assert_eq!(
            timedeltas("ns", true, &nanos),
            ["0 days 00:00:00.000000001", "0 days 00:00:01.000000000"]
        );
    }
}
