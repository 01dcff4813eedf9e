//! `datetime`'s types. `date`, `time` and `datetime` pickle as their packed state
//! (`datetime.datetime(b'\x07\xe8\x03…')`, as `_datetimemodule.c`'s `__reduce_ex__`
//! writes it; from protocol 4 the fold is the high bit of the month or hour byte);
//! `timedelta` as `timedelta(days, seconds, microseconds)` and `timezone` as
//! `timezone(offset[, name])`.

use super::StdValue;
use crate::graph::{Items, Node, Pickle, Value};
use crate::python::view;

/// A date's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date {
    /// The year.
    pub year: u16,
    /// The month, 1 to 12.
    pub month: u8,
    /// The day, as the state gives it.
    pub day: u8,
}

/// A time's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Time {
    /// The hour.
    pub hour: u8,
    /// The minute.
    pub minute: u8,
    /// The second.
    pub second: u8,
    /// The microsecond.
    pub microsecond: u32,
    /// The fold (0 or 1).
    pub fold: u8,
}

/// A timedelta, normalized: `0 <= seconds < 86400`, `0 <= microseconds < 1000000`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeDelta {
    /// The days.
    pub days: i64,
    /// The seconds.
    pub seconds: i64,
    /// The microseconds.
    pub microseconds: i64,
}

/// `timedelta.max.days`: a larger timedelta overflows.
const MAX_DAYS: i64 = 999_999_999;

impl TimeDelta {
    /// `timedelta(days, seconds, microseconds)` of ints, normalized as the constructor
    /// does; `None` when it overflows.
    pub fn new(days: i64, seconds: i64, microseconds: i64) -> Option<TimeDelta> {
        let total = i128::from(days) * 86_400_000_000
            + i128::from(seconds) * 1_000_000
            + i128::from(microseconds);
        let days = total.div_euclid(86_400_000_000);
        let rest = total.rem_euclid(86_400_000_000);
        let days = i64::try_from(days).ok().filter(|d| d.abs() <= MAX_DAYS)?;
        Some(TimeDelta {
            days,
            seconds: (rest / 1_000_000) as i64,
            microseconds: (rest % 1_000_000) as i64,
        })
    }

    /// Whether the delta is zero.
    pub fn is_zero(self) -> bool {
        self == TimeDelta::new(0, 0, 0).expect("zero")
    }
}

pub(super) fn recognize(pickle: &Pickle<'_>, name: &str, args: &Items<'_>) -> Option<StdValue> {
    match name {
        "date" => {
            let [state] = args.array()?;
            let state = state_bytes(pickle, state, 4)?;
            Some(StdValue::Date(date(&state)?))
        }
        "time" => {
            let (state, tzinfo) = state_and_tzinfo(pickle, args, 6)?;
            Some(StdValue::Time(time(&state)?, tzinfo))
        }
        "datetime" => {
            let (state, tzinfo) = state_and_tzinfo(pickle, args, 10)?;
            let mut date_state = [0; 4];
            date_state.copy_from_slice(&state[..4]);
            let fold = date_state[2] >> 7;
            date_state[2] &= 0x7F;
            let mut time_state = [0; 6];
            time_state.copy_from_slice(&state[4..]);
            let mut time = time(&time_state)?;
            // A datetime keeps its fold in the month's high bit, not the hour's.
            if time.fold != 0 {
                return None;
            }
            time.fold = fold;
            Some(StdValue::DateTime(date(&date_state)?, time, tzinfo))
        }
        "timedelta" => timedelta(args).map(StdValue::TimeDelta),
        "timezone" => timezone(pickle, args),
        _ => None,
    }
}

/// The packed state: bytes, or (from a Python 2 pickle read as text) a str of code
/// points below 256, which the C type encodes as Latin-1.
fn state_bytes(pickle: &Pickle<'_>, value: Value, len: usize) -> Option<Vec<u8>> {
    let bytes = match pickle.get(value)? {
        Node::Bytes(bytes) => bytes.to_vec(),
        Node::Str(text) => text
            .code_points()
            .map(|cp| u8::try_from(cp).ok())
            .collect::<Option<Vec<u8>>>()?,
        _ => return None,
    };
    (bytes.len() == len).then_some(bytes)
}

/// `(state)` or `(state, tzinfo)`: the C constructor takes the tzinfo when it is `None`
/// or a `tzinfo` instance, which only an object the pickle makes can be.
fn state_and_tzinfo(
    pickle: &Pickle<'_>,
    args: &Items<'_>,
    len: usize,
) -> Option<(Vec<u8>, Option<Value>)> {
    let (state, tzinfo) = match args.len() {
        1 => (args.first()?, None),
        2 => {
            let tzinfo = args.get(1)?;
            match tzinfo {
                Value::None => (args.first()?, None),
                _ if view::inert(pickle, tzinfo).is_some() => (args.first()?, Some(tzinfo)),
                _ => return None,
            }
        }
        _ => return None,
    };
    Some((state_bytes(pickle, state, len)?, tzinfo))
}

/// The C type's check of a date state: only the month is checked (`MONTH_IS_SANE`).
fn date(state: &[u8]) -> Option<Date> {
    let month = state[2];
    (1..=12).contains(&month).then_some(Date {
        year: u16::from_be_bytes([state[0], state[1]]),
        month,
        day: state[3],
    })
}

/// The C type's check of a time state: only the hour is checked.
fn time(state: &[u8]) -> Option<Time> {
    let hour = state[0] & 0x7F;
    (hour < 24).then_some(Time {
        hour,
        minute: state[1],
        second: state[2],
        microsecond: u32::from_be_bytes([0, state[3], state[4], state[5]]),
        fold: state[0] >> 7,
    })
}

/// `timedelta(days, seconds, microseconds)` of ints (all three are written).
fn timedelta(args: &Items<'_>) -> Option<TimeDelta> {
    let [days, seconds, microseconds] = args.array()?;
    TimeDelta::new(
        view::int(days)?,
        view::int(seconds)?,
        view::int(microseconds)?,
    )
}

/// `timezone(offset)` or `timezone(offset, name)`: the offset a timedelta strictly
/// between -24 and 24 hours, the name a str.
fn timezone(pickle: &Pickle<'_>, args: &Items<'_>) -> Option<StdValue> {
    let (offset, name) = match args.len() {
        1 => (args.first()?, None),
        2 => (args.first()?, Some(args.get(1)?)),
        _ => return None,
    };
    if let Some(name) = name {
        view::str(pickle, name)?;
    }
    let delta = match super::recognize(pickle, offset.node()?)? {
        StdValue::TimeDelta(delta) => delta,
        _ => return None,
    };
    let in_range = match delta.days {
        -1 => delta.seconds > 0 || delta.microseconds > 0,
        0 => true,
        _ => false,
    };
    in_range.then_some(StdValue::TimeZone {
        offset,
        utc: name.is_none() && delta.is_zero(),
        name,
    })
}
