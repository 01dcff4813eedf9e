//! The time zone of a tz-aware pandas column or `Timestamp`, as pandas names it and as its
//! offsets are found: a zone of the IANA database by its key (`zoneinfo.ZoneInfo`, pytz's
//! named zones), or a fixed offset (`datetime.timezone(timedelta(hours=5, minutes=30))`,
//! pytz's `FixedOffset(-90)`), whose offset is in the pickle and whose name is what
//! `str(tz)` gives (`UTC+05:30`, the name given to the timezone, `pytz.FixedOffset(-90)`),
//! and dateutil's zones: `tzutc()`, `tzfile('/usr/share/zoneinfo/Europe/Paris')` (looked up
//! by the key its path ends in), and `tzlocal()`, the zone of whichever machine loads the
//! pickle, which the pickle cannot name: its offsets are the writer's, said in a note.
//!
//! ```
//! use picklegraph::python::pandas_zone::{zone, Zone};
//! // datetime.timezone(datetime.timedelta(0, 19800, 0)), as pickle writes it.
//! let bytes = b"\x80\x04cdatetime\ntimezone\ncdatetime\ntimedelta\nK\x00M\x58\x4dK\x00\x87R\x85R.";
//! let pickle = picklegraph::load(bytes)?;
//! let found = zone(&pickle, pickle.root());
//! assert_eq!(found, Zone::fixed("UTC+05:30".to_string(), 19_800));
//! # Ok::<(), picklegraph::Error>(())
//! ```

use super::values::{self, StdValue};
use super::view;
use crate::graph::{Pickle, Value};

/// A time zone: what pandas prints for it, and how its offsets are found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    /// `str(tz)`: `Europe/Paris`, `UTC`, `UTC+05:30`, `CET`, `pytz.FixedOffset(-90)`,
    /// `tzutc()`, `tzfile('/usr/share/zoneinfo/Europe/Paris')`, or `?` for a zone this
    /// reader does not know.
    pub name: String,
    /// The offset east of UTC in seconds, when the zone has one offset at every instant;
    /// `None` for a zone looked up in the IANA database.
    pub fixed: Option<i32>,
    /// The IANA key its offsets are looked up by, when not fixed: the name itself, or
    /// the key a dateutil `tzfile`'s path ends in.
    pub key: Option<String>,
    /// What a reader should know about the offsets shown: `tzlocal()` is the zone of the
    /// machine that loads the pickle, not one the pickle names.
    pub note: Option<String>,
}

impl Zone {
    /// A zone of the IANA database, by its key.
    pub fn named(name: &str) -> Zone {
        let fixed = (name == "UTC").then_some(0);
        Zone {
            name: name.to_string(),
            fixed,
            key: fixed.is_none().then(|| name.to_string()),
            note: None,
        }
    }

    /// A zone at one offset, `seconds` east of UTC, printed as `name`.
    pub fn fixed(name: String, seconds: i32) -> Zone {
        Zone {
            name,
            fixed: Some(seconds),
            key: None,
            note: None,
        }
    }
}

/// The zone a tz value rebuilds: zoneinfo's and pytz's key, `datetime.timezone` at its
/// offset (named as CPython names it), pytz's `FixedOffset(minutes)` and `_UTC`,
/// dateutil's `tzutc()`, `tzfile` and `tzlocal()`.
pub fn zone(pickle: &Pickle<'_>, tz: Value) -> Zone {
    let unknown = || Zone::named("?");
    if let Some(found) = tz.node().and_then(|id| fixed_timezone(pickle, id)) {
        return found;
    }
    let Some(made) = view::made(pickle, tz) else {
        return unknown();
    };
    let global = view::global(pickle, made.func);
    if let Some(found) = dateutil_zone(pickle, global, &made) {
        return found;
    }
    let first = made.args.first();
    if let Some(key) = first.and_then(|k| view::str(pickle, k)) {
        return Zone::named(key);
    }
    match global {
        Some(("pytz", "_UTC")) => Zone::named("UTC"),
        Some(("pytz", "FixedOffset")) => match first.and_then(view::int) {
            // pytz refuses offsets of a day or more; its name keeps the minutes given.
            Some(minutes) if minutes.abs() < 1440 => {
                Zone::fixed(format!("pytz.FixedOffset({minutes})"), minutes as i32 * 60)
            }
            _ => unknown(),
        },
        _ => unknown(),
    }
}

/// dateutil's zones. `tzutc()` (a `NEWOBJ` or a call without arguments); a `tzfile`,
/// `tzfile(None, path)` with its transitions as state (dateutil 2), or
/// `_tzfile._unpickle(tzfile, key, path, …)` (dateutil 4), printed as
/// `tzfile('/usr/share/zoneinfo/Europe/Paris')` and looked up by the key its path ends
/// in; `tzlocal()` with the writer's offsets as state.
fn dateutil_zone(
    pickle: &Pickle<'_>,
    global: Option<(&str, &str)>,
    made: &view::CallView<'_>,
) -> Option<Zone> {
    let (module, name) = global?;
    if !module.starts_with("dateutil.tz") {
        return None;
    }
    let class = match name {
        "_unpickle" => pickle.global_name(made.args.first()?)?.1,
        class => class,
    };
    match class {
        "tzutc" => Some(Zone::fixed("tzutc()".to_string(), 0)),
        "tzfile" => {
            let path = made
                .args
                .iter()
                .rev()
                .find_map(|arg| view::str(pickle, arg))?;
            let mut path_repr = String::new();
            crate::text::scalar::write_str_repr(&mut path_repr, &crate::PyStr::from_text(path));
            let key = path.rsplit_once("zoneinfo/").map_or(path, |(_, key)| key);
            Some(Zone {
                name: format!("tzfile({path_repr})"),
                fixed: None,
                key: Some(key.to_string()),
                note: None,
            })
        }
        "tzlocal" => Some(local_zone(pickle, made)),
        _ => None,
    }
}

/// `tzlocal()`: the zone of the machine that loads it. Its state holds the writer's
/// standard and daylight offsets; when the writer's zone had no daylight saving, its
/// values are shown at that one offset, and a note says whose it is.
fn local_zone(pickle: &Pickle<'_>, made: &view::CallView<'_>) -> Zone {
    let state = made.state();
    let field = |key| state.and_then(|state| view::dict_field(pickle, state, key));
    let seconds = |key| {
        let StdValue::TimeDelta(delta) = values::recognize(pickle, field(key)?.node()?)? else {
            return None;
        };
        i32::try_from(delta.days * 86_400 + delta.seconds).ok()
    };
    let fixed = match field("_hasdst") {
        Some(Value::Bool(false)) => seconds("_std_offset"),
        _ => None,
    };
    let note = match fixed {
        Some(offset) => format!(
            "tzlocal() is the zone of the machine that loads the pickle: shown at the \
             writer's offset, {}",
            offset_name(offset, 0)
        ),
        None => "tzlocal() is the zone of the machine that loads the pickle, with daylight \
                 saving where it was written: its local times are not shown"
            .to_string(),
    };
    Zone {
        name: "tzlocal()".to_string(),
        fixed,
        key: None,
        note: Some(note),
    }
}

/// `datetime.timezone(offset[, name])`.
fn fixed_timezone(pickle: &Pickle<'_>, id: crate::graph::NodeId) -> Option<Zone> {
    let StdValue::TimeZone { offset, name, .. } = values::recognize(pickle, id)? else {
        return None;
    };
    let StdValue::TimeDelta(delta) = values::recognize(pickle, offset.node()?)? else {
        return None;
    };
    // The constructor allows strictly less than a day either way: this fits an i32.
    let seconds = i32::try_from(delta.days * 86_400 + delta.seconds).ok()?;
    let name = match name.and_then(|n| view::str(pickle, n)) {
        Some(name) => name.to_string(),
        None => offset_name(seconds, delta.microseconds),
    };
    Some(Zone::fixed(name, seconds))
}

/// CPython's name of an unnamed `timezone`: `UTC`, `UTC+05:30`, `UTC-03:30`, with
/// seconds and microseconds only when there are some.
fn offset_name(seconds: i32, microseconds: i64) -> String {
    if seconds == 0 && microseconds == 0 {
        return "UTC".to_string();
    }
    let total = i64::from(seconds) * 1_000_000 + microseconds;
    let sign = if total < 0 { '-' } else { '+' };
    let total = total.abs();
    let (whole, micros) = (total / 1_000_000, total % 1_000_000);
    let (hours, minutes, secs) = (whole / 3600, whole / 60 % 60, whole % 60);
    let mut name = format!("UTC{sign}{hours:02}:{minutes:02}");
    if micros != 0 {
        name += &format!(":{secs:02}.{micros:06}");
    } else if secs != 0 {
        name += &format!(":{secs:02}");
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unnamed_offsets_are_named_as_cpython_names_them() {
        assert_eq!(offset_name(0, 0), "UTC");
        assert_eq!(offset_name(19_800, 0), "UTC+05:30");
        assert_eq!(offset_name(-12_600, 0), "UTC-03:30");
        assert_eq!(offset_name(-86_399, 0), "UTC-23:59:59");
        assert_eq!(offset_name(3_600, 5), "UTC+01:00:00.000005");
    }

    #[test]
    fn a_fixed_offset_of_a_day_or_more_is_unknown() {
        // pytz.FixedOffset(1440): pytz itself refuses it.
        let bytes = b"\x80\x02cpytz\nFixedOffset\nM\xa0\x05\x85R.";
        let pickle = crate::load(bytes).unwrap();
        assert_eq!(zone(&pickle, pickle.root()).name, "?");
        let bytes = b"\x80\x02cpytz\nFixedOffset\nJ\x9c\xff\xff\xff\x85R.";
        let pickle = crate::load(bytes).unwrap();
        assert_eq!(
            zone(&pickle, pickle.root()),
            Zone::fixed("pytz.FixedOffset(-100)".to_string(), -6_000)
        );
    }

    #[test]
    fn a_timezone_whose_offset_is_a_day_or_more_is_not_fixed() {
        // datetime.timezone(timedelta(1, 0, 0)): CPython refuses it.
        let bytes =
            b"\x80\x04cdatetime\ntimezone\ncdatetime\ntimedelta\nK\x01K\x00K\x00\x87R\x85R.";
        let pickle = crate::load(bytes).unwrap();
        assert_eq!(zone(&pickle, pickle.root()).fixed, None);
    }
}
