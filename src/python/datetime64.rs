//! numpy's `datetime64` and `timedelta64` values as numpy writes them: a datetime as
//! its ISO 8601 text at its unit's precision (`'2024-03-01T12:30:05.123456'`, years
//! zero-padded to four digits), a timedelta as its count, `NaT` for the smallest int64.

/// numpy's NaT: the smallest int64.
pub const NAT: i64 = i64::MIN;

/// `numpy.datetime_as_string` of `count` units of `n × unit` after the epoch; `None` for
/// a unit numpy does not have (`generic` included: it has no date).
/// ```
/// use picklegraph::python::datetime64::datetime_text;
/// assert_eq!(datetime_text("us", 1, -1).as_deref(), Some("1969-12-31T23:59:59.999999"));
/// assert_eq!(datetime_text("Y", 1, -1971).as_deref(), Some("-001"));
/// ```
pub fn datetime_text(unit: &str, n: i64, count: i64) -> Option<String> {
    if count == NAT {
        return Some("NaT".to_string());
    }
    let total = i128::from(count) * i128::from(n);
    let (digits, per_second): (usize, i128) = match unit {
        "Y" => return Some(year_text(1970 + total)),
        "M" => {
            let year = 1970 + total.div_euclid(12);
            return Some(format!(
                "{}-{:02}",
                year_text(year),
                total.rem_euclid(12) + 1
            ));
        }
        "W" => return Some(date_text(total * 7)),
        "D" => return Some(date_text(total)),
        "h" => (0, 0),
        "m" => (0, 0),
        "s" => (0, 1),
        "ms" => (3, 1_000),
        "us" => (6, 1_000_000),
        "ns" => (9, 1_000_000_000),
        "ps" => (12, 1_000_000_000_000),
        "fs" => (15, 1_000_000_000_000_000),
        "as" => (18, 1_000_000_000_000_000_000),
        _ => return None,
    };
    let per_day: i128 = match unit {
        "h" => 24,
        "m" => 24 * 60,
        _ => 86_400 * per_second,
    };
    let days = total.div_euclid(per_day);
    let rest = total.rem_euclid(per_day);
    let mut text = date_text(days);
    match unit {
        "h" => text += &format!("T{rest:02}"),
        "m" => text += &format!("T{:02}:{:02}", rest / 60, rest % 60),
        _ => {
            let seconds = rest / per_second;
            text += &format!(
                "T{:02}:{:02}:{:02}",
                seconds / 3600,
                seconds / 60 % 60,
                seconds % 60
            );
            if digits > 0 {
                text += &format!(".{:0digits$}", rest % per_second);
            }
        }
    }
    Some(text)
}

/// A year as numpy writes it: at least four characters, the sign counted (`0001`,
/// `-001`, `10970`).
fn year_text(year: i128) -> String {
    format!("{year:04}")
}

/// The proleptic Gregorian date `days` after 1970-01-01 (H. Hinnant's algorithm).
fn date_text(days: i128) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i128::from(m <= 2);
    format!("{}-{m:02}-{d:02}", year_text(y))
}

/// The arguments of numpy's scalar repr: `'2024-03-01'`, `'1970-01-01T05','h'`,
/// `'NaT','generic'` for a datetime64; `5,'s'`, `5` (generic), `'NaT','D'` for a
/// timedelta64 (numpy 2: a datetime's unit is written when its text does not imply
/// it, a NaT's always).
/// ```
/// use picklegraph::python::datetime64::scalar_args;
/// assert_eq!(scalar_args('M', Some(&("h".to_string(), 1)), 5).as_deref(), Some("'1970-01-01T05','h'"));
/// assert_eq!(scalar_args('m', Some(&("s".to_string(), 1)), 5).as_deref(), Some("5,'s'"));
/// assert_eq!(scalar_args('M', None, i64::MIN).as_deref(), Some("'NaT','generic'"));
/// ```
pub fn scalar_args(kind: char, unit: Option<&(String, i64)>, count: i64) -> Option<String> {
    let unit_text = unit.map(|(unit, n)| match n {
        1 => unit.clone(),
        n => format!("{n}{unit}"),
    });
    let suffix = |text: Option<String>| text.map_or(String::new(), |u| format!(",'{u}'"));
    Some(match kind {
        'M' if count == NAT => format!("'NaT','{}'", unit_text.as_deref().unwrap_or("generic")),
        'M' => {
            let (name, n) = unit?;
            let text = datetime_text(name, *n, count)?;
            let implied = *n == 1 && name != "h";
            format!("'{text}'{}", suffix(unit_text.filter(|_| !implied)))
        }
        _ if count == NAT => format!("'NaT'{}", suffix(unit_text)),
        _ => format!("{count}{}", suffix(unit_text)),
    })
}

/// An element of a `datetime64` or `timedelta64` array as numpy's array repr writes
/// it: a datetime as its quoted text, a timedelta as its count, NaT as `'NaT'`.
pub fn element(kind: char, unit: Option<&(String, i64)>, count: i64) -> Option<String> {
    if count == NAT {
        return Some("'NaT'".to_string());
    }
    match kind {
        'M' => {
            let (name, n) = unit?;
            Some(format!("'{}'", datetime_text(name, *n, count)?))
        }
        _ => Some(count.to_string()),
    }
}
