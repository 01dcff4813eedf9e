//! The standard library's values ([`StdValue`]) as CPython 3.11's `repr()` writes them:
//! `datetime.datetime(2024, 3, 1, 12, 30, 5, 123456)`, `Decimal('-0E+3')`,
//! `(1.5-2j)`, `deque([1, 2, 3], maxlen=5)`, `<HTTPStatus.NOT_FOUND: 404>`.
//!
//! The text is a list of [`Part`]s: fixed text, and the values inside (a datetime's
//! `tzinfo`, a deque's items), which `repr` and `show` each write their own way.

use std::borrow::Cow;

use crate::graph::{Node, Pickle, PyStr, Value};
use crate::python::values::{
    BuiltinObject, Date, DecimalValue, EnumKind, EnumValue, IpValue, MemberRepr, PathValue,
    StdValue, Time, TimeDelta,
};
use crate::python::values::{DecimalKind, KNOWN_REGEX_FLAGS};
use crate::text::scalar::{write_bytes_repr, write_float_repr, write_str_repr};

/// A piece of a value's repr.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// Text written as it is.
    Text(Cow<'static, str>),
    /// A value inside, written as its own repr.
    Child(Value),
}

/// What a value's repr writes when the value is met inside itself (`Py_ReprEnter`):
/// `[...]` for a deque, `...` for the rest (only containers can be).
pub fn recursion_marker(value: &StdValue) -> &'static str {
    match value {
        StdValue::Deque { .. } => "[...]",
        _ => "...",
    }
}

/// The parts of `value`'s repr, in at most about `max` parts (the rest could not be
/// written within a budget that small); `None` when CPython's repr cannot be known
/// from the pickle (an enum member whose name depends on the platform).
/// ```
/// use picklegraph::render::values::{parts, Part};
/// // builtins.complex(0.0, -0.0)
/// let pickle = picklegraph::load(b"\x80\x02c__builtin__\ncomplex\nG\0\0\0\0\0\0\0\0G\x80\0\0\0\0\0\0\0\x86R.")?;
/// let value = picklegraph::python::values::recognize(&pickle, pickle.root().node().unwrap()).unwrap();
/// assert_eq!(parts(&pickle, &value, 100), Some(vec![Part::Text("-0j".into())]));
/// # Ok::<(), picklegraph::Error>(())
/// ```
pub fn parts(pickle: &Pickle<'_>, value: &StdValue, max: usize) -> Option<Vec<Part>> {
    let mut out = Parts {
        parts: Vec::new(),
        max,
    };
    match value {
        StdValue::Date(date) => out.text(format!("datetime.date({})", date_fields(date))),
        StdValue::Time(time, tzinfo) => {
            // `time_repr` writes the tzinfo before the fold, `datetime_repr` after.
            out.text(format!("datetime.time({}", time_fields(time)));
            if let Some(tzinfo) = tzinfo {
                out.text(", tzinfo=");
                out.child(*tzinfo);
            }
            out.fold_and_tzinfo(time.fold, None);
        }
        StdValue::DateTime(date, time, tzinfo) => {
            out.text(format!(
                "datetime.datetime({}, {}",
                date_fields(date),
                time_fields(time)
            ));
            out.fold_and_tzinfo(time.fold, *tzinfo);
        }
        StdValue::TimeDelta(delta) => out.text(timedelta(delta)),
        StdValue::TimeZone { utc: true, .. } => out.text("datetime.timezone.utc"),
        StdValue::TimeZone { offset, name, .. } => {
            out.text("datetime.timezone(");
            out.child(*offset);
            if let Some(name) = name {
                out.text(", ");
                out.child(*name);
            }
            out.text(")");
        }
        StdValue::ZoneInfo { key } => {
            out.text("zoneinfo.ZoneInfo(key=");
            out.child(*key);
            out.text(")");
        }
        StdValue::Decimal(decimal) => out.text(format!("Decimal('{}')", decimal_text(decimal))),
        StdValue::Fraction {
            numerator,
            denominator,
        } => out.text(format!("Fraction({numerator}, {denominator})")),
        StdValue::Uuid(value) => out.text(format!("UUID('{}')", uuid_text(*value))),
        StdValue::Complex { real, imag } => out.text(complex(*real, *imag)),
        StdValue::Range { start, stop, step } => {
            out.text("range(");
            out.child(*start);
            out.text(", ");
            out.child(*stop);
            if let Some(step) = step {
                out.text(", ");
                out.child(*step);
            }
            out.text(")");
        }
        StdValue::Slice { start, stop, step } => {
            out.text("slice(");
            out.child(*start);
            out.text(", ");
            out.child(*stop);
            out.text(", ");
            out.child(*step);
            out.text(")");
        }
        StdValue::Path(path) => out.text(path_repr(path)),
        StdValue::Ip(ip) => out.text(ip_repr(ip)),
        StdValue::Pattern { pattern, flags } => out.text(pattern_repr(pickle, *pattern, *flags)?),
        StdValue::EnumMember { class, name, value } => out.text(match class.repr {
            MemberRepr::NameAndValue => {
                format!("<{}.{name}: {}>", class.name, enum_value(*value))
            }
            MemberRepr::Name => format!("<{}.{name}>", class.name),
        }),
        StdValue::RegexFlag(flags) => out.text(regex_flag(*flags)),
        StdValue::UnnamedEnumMember { .. } => return None,
        StdValue::StructSeq { kind, values } => {
            out.text(format!("{}(", kind.type_name));
            for (i, (field, &value)) in kind.fields.iter().zip(values).enumerate() {
                let comma = if i > 0 { ", " } else { "" };
                out.text(format!("{comma}{field}="));
                out.child(value);
            }
            out.text(")");
        }
        StdValue::OrderedDict(items) if items.is_empty() => out.text("OrderedDict()"),
        StdValue::OrderedDict(items) => {
            out.text("OrderedDict([");
            out.pairs(items, "(", ", ", ")");
            out.text("])");
        }
        StdValue::DefaultDict { factory, items } => {
            out.text("defaultdict(");
            match factory.map(|f| class_repr(pickle, f)) {
                None => out.text("None"),
                Some(Some(text)) => out.text(text),
                Some(None) => return None,
            }
            out.text(", {");
            out.pairs(items, "", ": ", "");
            out.text("})");
        }
        StdValue::Counter(counter) if counter.items.is_empty() => out.text("Counter()"),
        StdValue::Counter(counter) => {
            out.text("Counter({");
            out.pairs(&counter.items, "", ": ", "");
            out.text("})");
        }
        StdValue::Deque { items, maxlen } => {
            out.text("deque([");
            out.list(items);
            match maxlen {
                Some(max) => out.text(format!("], maxlen={max})")),
                None => out.text("])"),
            }
        }
        StdValue::Builtin(object) => out.text(builtin_repr(*object)),
        StdValue::Partial {
            func,
            args,
            keywords,
        } => {
            // `partial_repr`: the type's name, the callable, then `, arg` and `, key=value`.
            out.text("functools.partial(");
            out.child(*func);
            for &arg in args {
                if out.parts.len() >= out.max {
                    break;
                }
                out.text(", ");
                out.child(arg);
            }
            for &(key, value) in keywords {
                if out.parts.len() >= out.max {
                    break;
                }
                let key = pickle.as_str(key)?;
                out.text(format!(", {key}="));
                out.child(value);
            }
            out.text(")");
        }
    }
    Some(out.parts)
}

/// The repr of a builtin object named by reference: `<class 'int'>`,
/// `<class 'collections.deque'>`, `<built-in function len>`, `Ellipsis`.
pub fn builtin_repr(object: BuiltinObject) -> String {
    match object {
        BuiltinObject::Class("builtins", name) => format!("<class '{name}'>"),
        BuiltinObject::Class(module, name) => format!("<class '{module}.{name}'>"),
        BuiltinObject::EnumClass(name, EnumKind::Enum) => format!("<enum '{name}'>"),
        BuiltinObject::EnumClass(name, EnumKind::Flag) => format!("<flag '{name}'>"),
        BuiltinObject::Function(name) => format!("<built-in function {name}>"),
        BuiltinObject::Constant(name) => name.to_string(),
    }
}

/// Parts being collected, up to about `max`.
struct Parts {
    parts: Vec<Part>,
    max: usize,
}

impl Parts {
    fn text(&mut self, text: impl Into<Cow<'static, str>>) {
        self.parts.push(Part::Text(text.into()));
    }

    fn child(&mut self, value: Value) {
        self.parts.push(Part::Child(value));
    }

    fn fold_and_tzinfo(&mut self, fold: u8, tzinfo: Option<Value>) {
        if fold != 0 {
            self.text(format!(", fold={fold}"));
        }
        if let Some(tzinfo) = tzinfo {
            self.text(", tzinfo=");
            self.child(tzinfo);
        }
        self.text(")");
    }

    fn list(&mut self, items: &[Value]) {
        for (i, &item) in items.iter().enumerate() {
            if self.parts.len() >= self.max {
                return;
            }
            if i > 0 {
                self.text(", ");
            }
            self.child(item);
        }
    }

    /// `open key between value close`, comma-separated.
    fn pairs(
        &mut self,
        items: &[(Value, Value)],
        open: &'static str,
        between: &'static str,
        close: &'static str,
    ) {
        for (i, &(key, value)) in items.iter().enumerate() {
            if self.parts.len() >= self.max {
                return;
            }
            self.text(if i > 0 { ", " } else { "" });
            if !open.is_empty() {
                self.text(open);
            }
            self.child(key);
            self.text(between);
            self.child(value);
            if !close.is_empty() {
                self.text(close);
            }
        }
    }
}

fn date_fields(date: &Date) -> String {
    format!("{}, {}, {}", date.year, date.month, date.day)
}

/// `h, m`, then the second if it or the microsecond is set, then the microsecond.
fn time_fields(time: &Time) -> String {
    let mut text = format!("{}, {}", time.hour, time.minute);
    if time.second != 0 || time.microsecond != 0 {
        text += &format!(", {}", time.second);
    }
    if time.microsecond != 0 {
        text += &format!(", {}", time.microsecond);
    }
    text
}

/// `datetime.timedelta(days=-1, seconds=5)`: the fields that are not zero, or `0`.
fn timedelta(delta: &TimeDelta) -> String {
    let fields: Vec<String> = [
        ("days", delta.days),
        ("seconds", delta.seconds),
        ("microseconds", delta.microseconds),
    ]
    .iter()
    .filter(|(_, v)| *v != 0)
    .map(|(k, v)| format!("{k}={v}"))
    .collect();
    match fields.is_empty() {
        true => "datetime.timedelta(0)".to_string(),
        false => format!("datetime.timedelta({})", fields.join(", ")),
    }
}

/// `str(Decimal)`: the specification's to-scientific-string.
fn decimal_text(decimal: &DecimalValue) -> String {
    let sign = if decimal.negative { "-" } else { "" };
    let body = match &decimal.kind {
        DecimalKind::Infinity => "Infinity".to_string(),
        DecimalKind::NaN(payload) => format!("NaN{payload}"),
        DecimalKind::SignalingNaN(payload) => format!("sNaN{payload}"),
        DecimalKind::Finite {
            coefficient,
            exponent,
        } => scientific(coefficient, *exponent),
    };
    format!("{sign}{body}")
}

fn scientific(digits: &str, exponent: i64) -> String {
    let len = digits.len() as i64;
    let adjusted = exponent + len - 1;
    if exponent <= 0 && adjusted >= -6 {
        if exponent == 0 {
            return digits.to_string();
        }
        let point = len + exponent;
        return match point > 0 {
            true => format!(
                "{}.{}",
                &digits[..point as usize],
                &digits[point as usize..]
            ),
            false => format!("0.{}{digits}", "0".repeat((-point) as usize)),
        };
    }
    let (first, rest) = digits.split_at(1);
    let fraction = if rest.is_empty() {
        String::new()
    } else {
        format!(".{rest}")
    };
    let sign = if adjusted >= 0 { "+" } else { "" };
    format!("{first}{fraction}E{sign}{adjusted}")
}

fn uuid_text(value: u128) -> String {
    let hex = format!("{value:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// `repr(float)` without the `.0` an integral value takes: the form complex's repr
/// gives each part (`PyOS_double_to_string(x, 'r', 0, flags, NULL)` without
/// `Py_DTSF_ADD_DOT_0`).
fn complex_part(value: f64) -> String {
    let mut text = String::new();
    write_float_repr(&mut text, value);
    match text.strip_suffix(".0") {
        Some(integral) if !text.contains('e') => integral.to_string(),
        _ => text,
    }
}

/// `repr(complex)`: `1.5j` for a +0 real part, else `(1.5-2j)`, the imaginary part with
/// its sign (`+nan`, whatever the NaN's sign).
fn complex(real: f64, imag: f64) -> String {
    if real == 0.0 && real.is_sign_positive() {
        return format!("{}j", complex_part(imag));
    }
    let imag_text = complex_part(imag);
    let sign = if imag.is_nan() || !imag.is_sign_negative() {
        "+"
    } else {
        ""
    };
    format!("({}{sign}{imag_text}j)", complex_part(real))
}

/// `PosixPath('/a/b')`: the class's name and `as_posix()`.
fn path_repr(path: &PathValue) -> String {
    let text = match path.windows {
        true => path.text.replace('\\', "/"),
        false => path.text.clone(),
    };
    let mut out = format!("{}(", path.class);
    write_str_repr(&mut out, &PyStr::from_text(&text));
    out.push(')');
    out
}

fn ip_repr(ip: &IpValue) -> String {
    let with_scope = |text: String, scope: &Option<String>| match scope {
        Some(scope) => format!("{text}%{scope}"),
        None => text,
    };
    let (class, text) = match ip {
        IpValue::V4Address(address) => ("IPv4Address", address.to_string()),
        IpValue::V6Address(address, scope) => (
            "IPv6Address",
            with_scope(crate::python::values::compressed(*address), scope),
        ),
        IpValue::V4Prefixed {
            interface,
            address,
            prefix,
        } => (
            if *interface {
                "IPv4Interface"
            } else {
                "IPv4Network"
            },
            format!("{address}/{prefix}"),
        ),
        IpValue::V6Prefixed {
            interface,
            address,
            scope,
            prefix,
        } => (
            if *interface {
                "IPv6Interface"
            } else {
                "IPv6Network"
            },
            format!(
                "{}/{prefix}",
                with_scope(crate::python::values::compressed(*address), scope)
            ),
        ),
    };
    let mut out = format!("{class}(");
    write_str_repr(&mut out, &PyStr::from_text(&text));
    out.push(')');
    out
}

/// `_sre`'s flag names, in the order its repr writes them.
const SRE_FLAGS: [(&str, u32); 9] = [
    ("re.TEMPLATE", 1),
    ("re.IGNORECASE", 2),
    ("re.LOCALE", 4),
    ("re.MULTILINE", 8),
    ("re.DOTALL", 16),
    ("re.UNICODE", 32),
    ("re.VERBOSE", 64),
    ("re.DEBUG", 128),
    ("re.ASCII", 256),
];

/// `re.compile('a+', re.IGNORECASE)`: the pattern's repr cut to 200 characters
/// (`%.200R`), then the flags, `re.UNICODE` left out for a str pattern whose only
/// encoding flag it is.
fn pattern_repr(pickle: &Pickle<'_>, pattern: Value, flags: u32) -> Option<String> {
    let mut text = String::new();
    let is_str = match pickle.get(pattern)? {
        Node::Str(s) => {
            write_str_repr(&mut text, &s);
            true
        }
        Node::Bytes(b) => {
            write_bytes_repr(&mut text, b);
            false
        }
        _ => return None,
    };
    if let Some((cut, _)) = text.char_indices().nth(200) {
        text.truncate(cut);
    }
    let mut flags = flags;
    if is_str && flags & (4 | 32 | 256) == 32 {
        flags &= !32;
    }
    let names: Vec<&str> = SRE_FLAGS
        .iter()
        .filter(|(_, bit)| flags & bit != 0)
        .map(|(name, _)| *name)
        .collect();
    Some(match names.is_empty() {
        true => format!("re.compile({text})"),
        false => format!("re.compile({text}, {})", names.join("|")),
    })
}

/// `re.RegexFlag`'s members in definition order, as its repr (`global_flag_repr`)
/// names a value's bits.
const REGEX_FLAGS: [(&str, u32); 9] = [
    ("re.ASCII", 256),
    ("re.IGNORECASE", 2),
    ("re.LOCALE", 4),
    ("re.UNICODE", 32),
    ("re.MULTILINE", 8),
    ("re.DOTALL", 16),
    ("re.VERBOSE", 64),
    ("re.TEMPLATE", 1),
    ("re.DEBUG", 128),
];

fn regex_flag(value: u32) -> String {
    debug_assert_eq!(
        value & !KNOWN_REGEX_FLAGS,
        0,
        "recognized with known bits only"
    );
    if value == 0 {
        return "re.NOFLAG".to_string();
    }
    REGEX_FLAGS
        .iter()
        .filter(|(_, bit)| value & bit != 0)
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join("|")
}

fn enum_value(value: EnumValue) -> String {
    match value {
        EnumValue::None => "None".to_string(),
        EnumValue::Int(v) => v.to_string(),
        EnumValue::Str(s) => {
            let mut out = String::new();
            write_str_repr(&mut out, &PyStr::from_text(s));
            out
        }
    }
}

/// A `defaultdict`'s factory as its repr writes it, when it is a builtin class or
/// function or a class of a value module (`<class 'list'>`, `<built-in function len>`);
/// `None` for any other global, whose repr (a function's address, whether it is a class
/// at all) the pickle does not say.
/// ```
/// let pickle = picklegraph::load(b"c__builtin__\nlist\n.")?;
/// let text = picklegraph::render::values::class_repr(&pickle, pickle.root());
/// assert_eq!(text.as_deref(), Some("<class 'list'>"));
/// # Ok::<(), picklegraph::Error>(())
/// ```
pub fn class_repr(pickle: &Pickle<'_>, factory: Value) -> Option<String> {
    match crate::python::values::recognize(pickle, factory.node()?)? {
        // A constant is no factory: `defaultdict(Ellipsis)` raises.
        StdValue::Builtin(BuiltinObject::Constant(_)) => None,
        StdValue::Builtin(object) => Some(builtin_repr(object)),
        _ => None,
    }
}
