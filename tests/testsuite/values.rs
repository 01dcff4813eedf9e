//! The standard library's values are recognized only in the exact shapes CPython's
//! pickle writes: a call with another callee, argument types or ranges that the
//! constructor would refuse keeps its raw form in `repr`, so a hostile pickle cannot
//! pass a call off as a harmless value. Each row is a protocol 2 pickle and its repr.

use picklegraph::load;
use picklegraph::render::repr::to_repr;

/// A piece of a protocol 2 pickle.
enum Op<'a> {
    Int(i32),
    Float(f64),
    Str(&'a str),
    Bytes(&'a [u8]),
    None,
    /// `GLOBAL module name`.
    Global(&'a str, &'a str),
    /// MARK, the items, TUPLE.
    Tuple(Vec<Op<'a>>),
    /// The callee and its argument tuple, then REDUCE.
    Call(Box<Op<'a>>, Vec<Op<'a>>),
    /// EMPTY_DICT, MARK, key-value pairs, SETITEMS.
    Dict(Vec<(Op<'a>, Op<'a>)>),
    /// An object, then a dict of items set on it (SETITEMS).
    SetItems(Box<Op<'a>>, Vec<(Op<'a>, Op<'a>)>),
    /// An object (the class, `EMPTY_TUPLE`, `NEWOBJ`), then `BUILD` with a state.
    NewObjBuild(Box<Op<'a>>, Box<Op<'a>>),
    /// An object, then `BUILD` with a state.
    Build(Box<Op<'a>>, Box<Op<'a>>),
}

fn call<'a>(module: &'a str, name: &'a str, args: Vec<Op<'a>>) -> Op<'a> {
    Op::Call(Box::new(Op::Global(module, name)), args)
}

fn encode(op: &Op<'_>, out: &mut Vec<u8>) {
    match op {
        Op::Int(v) => {
            out.push(b'J');
            out.extend_from_slice(&v.to_le_bytes());
        }
        Op::Float(v) => {
            out.push(b'G');
            out.extend_from_slice(&v.to_be_bytes());
        }
        Op::Str(s) => {
            out.push(b'X');
            out.extend_from_slice(&(s.len() as u32).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        Op::Bytes(b) => {
            // SHORT_BINBYTES is protocol 3, which the reader accepts in any stream.
            out.push(b'C');
            out.push(b.len() as u8);
            out.extend_from_slice(b);
        }
        Op::None => out.push(b'N'),
        Op::Global(module, name) => {
            out.push(b'c');
            out.extend_from_slice(format!("{module}\n{name}\n").as_bytes());
        }
        Op::Tuple(items) => {
            out.push(b'(');
            items.iter().for_each(|item| encode(item, out));
            out.push(b't');
        }
        Op::Call(func, args) => {
            encode(func, out);
            out.push(b'(');
            args.iter().for_each(|arg| encode(arg, out));
            out.extend_from_slice(b"tR");
        }
        Op::Dict(pairs) => {
            out.extend_from_slice(b"}(");
            for (key, value) in pairs {
                encode(key, out);
                encode(value, out);
            }
            out.push(b'u');
        }
        Op::SetItems(object, pairs) => {
            encode(object, out);
            out.push(b'(');
            for (key, value) in pairs {
                encode(key, out);
                encode(value, out);
            }
            out.push(b'u');
        }
        Op::NewObjBuild(class, state) => {
            encode(class, out);
            out.extend_from_slice(b")\x81");
            encode(state, out);
            out.push(b'b');
        }
        Op::Build(object, state) => {
            encode(object, out);
            encode(state, out);
            out.push(b'b');
        }
    }
}

fn repr_of(op: &Op<'_>) -> String {
    let mut bytes = b"\x80\x02".to_vec();
    encode(op, &mut bytes);
    bytes.push(b'.');
    let pickle = load(&bytes).unwrap();
    to_repr(&pickle, pickle.root())
}

const STATE: &[u8] = b"\x07\xe8\x03\x01\x0c\x1e\x05\x01\xe2@";

#[test]
fn exact_shapes_are_written_as_cpython_writes_them() {
    let rows: Vec<(Op<'_>, &str)> = vec![
        (
            call("datetime", "datetime", vec![Op::Bytes(STATE)]),
            "datetime.datetime(2024, 3, 1, 12, 30, 5, 123456)",
        ),
        (
            call(
                "datetime",
                "timedelta",
                vec![Op::Int(0), Op::Int(100_000), Op::Int(-1)],
            ),
            "datetime.timedelta(days=1, seconds=13599, microseconds=999999)",
        ),
        (
            call("datetime", "datetime", vec![Op::Bytes(STATE), Op::None]),
            "datetime.datetime(2024, 3, 1, 12, 30, 5, 123456)",
        ),
        (
            call("fractions", "Fraction", vec![Op::Int(6), Op::Int(-4)]),
            "Fraction(-3, 2)",
        ),
        (
            call("decimal", "Decimal", vec![Op::Str("-00.0100e-3")]),
            "Decimal('-0.0000100')",
        ),
        (
            call("builtins", "slice", vec![Op::Int(5)]),
            "slice(None, 5, None)",
        ),
        (
            call(
                "pathlib",
                "PurePosixPath",
                vec![Op::Str("a"), Op::Str("/b//c/."), Op::Str("d")],
            ),
            "PurePosixPath('/b/c/d')",
        ),
        (
            call("re", "_compile", vec![Op::Str("(?ms)x"), Op::Int(2)]),
            "re.compile('(?ms)x', re.IGNORECASE|re.MULTILINE|re.DOTALL)",
        ),
        (
            call("collections", "deque", vec![Op::Tuple(vec![]), Op::Int(0)]),
            "deque([], maxlen=0)",
        ),
    ];
    for (op, expected) in rows {
        assert_eq!(repr_of(&op), expected);
    }
}

#[test]
fn shapes_the_constructor_would_refuse_keep_their_raw_form() {
    let rows: Vec<(Op<'_>, &str)> = vec![
        // The state must be 10 bytes with a month of 1 to 12.
        (
            call("datetime", "datetime", vec![Op::Bytes(&STATE[..9])]),
            r"datetime.datetime(b'\x07\xe8\x03\x01\x0c\x1e\x05\x01\xe2')",
        ),
        (
            call("datetime", "date", vec![Op::Bytes(b"\x07\xe8\x0d\x01")]),
            r"datetime.date(b'\x07\xe8\r\x01')",
        ),
        // A tzinfo must be an object, not an int.
        (
            call("datetime", "datetime", vec![Op::Bytes(STATE), Op::Int(5)]),
            r"datetime.datetime(b'\x07\xe8\x03\x01\x0c\x1e\x05\x01\xe2@', 5)",
        ),
        // Another module's datetime is not datetime's.
        (
            call("mydatetime", "datetime", vec![Op::Bytes(STATE)]),
            r"mydatetime.datetime(b'\x07\xe8\x03\x01\x0c\x1e\x05\x01\xe2@')",
        ),
        (
            call("builtins", "complex", vec![Op::Str("1"), Op::Float(2.0)]),
            "builtins.complex('1', 2.0)",
        ),
        // `type(x)` is a known class only for the three singletons pickle writes so.
        (
            call("builtins", "type", vec![Op::Int(1)]),
            "builtins.type(1)",
        ),
        // A partial's callable must be callable, its arguments a tuple.
        (
            Op::Build(
                Box::new(call(
                    "functools",
                    "partial",
                    vec![Op::Global("builtins", "len")],
                )),
                Box::new(Op::Tuple(vec![
                    Op::Int(3),
                    Op::Tuple(vec![]),
                    Op::None,
                    Op::None,
                ])),
            ),
            "functools.partial(builtins.len).__setstate__((3, (), None, None))",
        ),
        (
            Op::Build(
                Box::new(call(
                    "functools",
                    "partial",
                    vec![Op::Global("builtins", "len")],
                )),
                Box::new(Op::Tuple(vec![
                    Op::Global("builtins", "len"),
                    Op::Int(3),
                    Op::None,
                    Op::None,
                ])),
            ),
            "functools.partial(builtins.len).__setstate__((builtins.len, 3, None, None))",
        ),
        (
            call("decimal", "Decimal", vec![Op::Str(" 1")]),
            "decimal.Decimal(' 1')",
        ),
        (
            call("fractions", "Fraction", vec![Op::Int(1), Op::Int(0)]),
            "fractions.Fraction(1, 0)",
        ),
        (
            call(
                "builtins",
                "range",
                vec![Op::Int(0), Op::Int(9), Op::Int(0)],
            ),
            "builtins.range(0, 9, 0)",
        ),
        // LOCALE with a str pattern, UNICODE with bytes: ValueError in CPython.
        (
            call("re", "_compile", vec![Op::Str("a"), Op::Int(4)]),
            "re._compile('a', 4)",
        ),
        (
            call("re", "_compile", vec![Op::Bytes(b"a"), Op::Int(32)]),
            "re._compile(b'a', 32)",
        ),
        (
            call("collections", "deque", vec![Op::Tuple(vec![]), Op::Int(-1)]),
            "collections.deque((), -1)",
        ),
        // A timezone's offset must lie strictly within a day.
        (
            call(
                "datetime",
                "timezone",
                vec![call(
                    "datetime",
                    "timedelta",
                    vec![Op::Int(1), Op::Int(0), Op::Int(0)],
                )],
            ),
            "datetime.timezone(datetime.timedelta(days=1))",
        ),
        (
            Op::Call(
                Box::new(call(
                    "builtins",
                    "getattr",
                    vec![Op::Global("zoneinfo", "ZoneInfo"), Op::Str("_unpickle")],
                )),
                vec![Op::Str("UTC"), Op::Int(300)],
            ),
            "builtins.getattr(zoneinfo.ZoneInfo, '_unpickle')('UTC', 300)",
        ),
        (
            Op::Call(
                Box::new(call(
                    "builtins",
                    "getattr",
                    vec![Op::Global("os", "ZoneInfo"), Op::Str("_unpickle")],
                )),
                vec![Op::Str("UTC"), Op::Int(1)],
            ),
            "builtins.getattr(os.ZoneInfo, '_unpickle')('UTC', 1)",
        ),
        (
            Op::NewObjBuild(
                Box::new(Op::Global("uuid", "UUID")),
                Box::new(Op::Dict(vec![(Op::Str("int"), Op::Int(-1))])),
            ),
            "uuid.UUID.__new__(uuid.UUID).__setstate__({'int': -1})",
        ),
        (
            Op::NewObjBuild(
                Box::new(Op::Global("uuid", "UUID")),
                Box::new(Op::Dict(vec![
                    (Op::Str("int"), Op::Int(1)),
                    (Op::Str("is_safe"), Op::Int(7)),
                ])),
            ),
            "uuid.UUID.__new__(uuid.UUID).__setstate__({'int': 1, 'is_safe': 7})",
        ),
        // Two equal keys: the second would replace the first's value in place.
        (
            Op::SetItems(
                Box::new(call("collections", "OrderedDict", vec![])),
                vec![(Op::Int(1), Op::Str("a")), (Op::Float(1.0), Op::Str("b"))],
            ),
            "collections.OrderedDict([(1, 'a'), (1.0, 'b')])",
        ),
        (
            call("pathlib", "PurePosixPath", vec![Op::Bytes(b"/a")]),
            "pathlib.PurePosixPath(b'/a')",
        ),
        (
            call("ipaddress", "IPv4Network", vec![Op::Str("10.0.0.1/8")]),
            "ipaddress.IPv4Network('10.0.0.1/8')",
        ),
        (
            call("ipaddress", "IPv6Address", vec![Op::Str("::0:1")]),
            "ipaddress.IPv6Address('::0:1')",
        ),
        // Not a member: loading fails in CPython; the value's type must match too.
        (
            call("http", "HTTPStatus", vec![Op::Int(999)]),
            "http.HTTPStatus(999)",
        ),
        (
            call("http", "HTTPStatus", vec![Op::Float(404.0)]),
            "http.HTTPStatus(404.0)",
        ),
        (
            call(
                "time",
                "struct_time",
                vec![Op::Tuple(vec![Op::Int(1)]), Op::Dict(vec![])],
            ),
            "time.struct_time((1,), {})",
        ),
    ];
    for (op, expected) in rows {
        assert_eq!(repr_of(&op), expected);
    }
}

#[test]
fn a_call_inside_a_recognized_value_is_still_written_as_a_call() {
    let op = call(
        "datetime",
        "datetime",
        vec![
            Op::Bytes(STATE),
            call("os", "system", vec![Op::Str("echo pwned")]),
        ],
    );
    assert_eq!(
        repr_of(&op),
        "datetime.datetime(2024, 3, 1, 12, 30, 5, 123456, tzinfo=os.system('echo pwned'))"
    );
    let op = call(
        "builtins",
        "slice",
        vec![call("os", "system", vec![Op::Str("ls")])],
    );
    assert_eq!(repr_of(&op), "slice(None, os.system('ls'), None)");
}

/// numpy's own texts (numpy 2.4.6, `repr` and `str` of `np.datetime64(count, unit)`),
/// for each unit: years padded to four characters with the sign, weeks as their date,
/// fractions of seconds to the unit's digits, times before the epoch.
#[test]
fn datetime64_values_read_as_numpy_writes_them() {
    use picklegraph::python::datetime64::{datetime_text, scalar_args};
    let rows: &[(i64, &str, &str)] = &[
        (5, "Y", "1975"),
        (-3000, "Y", "-1030"),
        (9000, "Y", "10970"),
        (-1969, "Y", "0001"),
        (-1970, "Y", "0000"),
        (-1971, "Y", "-001"),
        (25, "M", "1972-02"),
        (-1, "M", "1969-12"),
        (3, "W", "1970-01-22"),
        (-1, "D", "1969-12-31"),
        (5, "h", "1970-01-01T05"),
        (5, "m", "1970-01-01T00:05"),
        (61, "s", "1970-01-01T00:01:01"),
        (1500, "ms", "1970-01-01T00:00:01.500"),
        (-1, "us", "1969-12-31T23:59:59.999999"),
        (1, "ns", "1970-01-01T00:00:00.000000001"),
        (1, "ps", "1970-01-01T00:00:00.000000000001"),
        (1, "fs", "1970-01-01T00:00:00.000000000000001"),
        (1, "as", "1970-01-01T00:00:00.000000000000000001"),
        (
            1_000_000_000_000_000_000,
            "ns",
            "2001-09-09T01:46:40.000000000",
        ),
    ];
    for &(count, unit, expected) in rows {
        assert_eq!(
            datetime_text(unit, 1, count).as_deref(),
            Some(expected),
            "{count} {unit}"
        );
    }
    let unit = |u: &str, n: i64| Some((u.to_string(), n));
    let nat = i64::MIN;
    type Unit = Option<(String, i64)>;
    let scalars: &[(char, Unit, i64, &str)] = &[
        ('M', unit("h", 1), 5, "'1970-01-01T05','h'"),
        ('M', unit("D", 2), 5, "'1970-01-11','2D'"),
        ('M', unit("W", 1), 1, "'1970-01-08'"),
        ('M', unit("s", 10), 3, "'1970-01-01T00:00:30','10s'"),
        ('M', None, nat, "'NaT','generic'"),
        ('M', unit("D", 1), nat, "'NaT','D'"),
        ('m', unit("s", 1), 5, "5,'s'"),
        ('m', unit("h", 2), 5, "5,'2h'"),
        ('m', None, 5, "5"),
        ('m', unit("D", 1), nat, "'NaT','D'"),
        ('m', None, nat, "'NaT'"),
    ];
    for (kind, unit, count, expected) in scalars {
        assert_eq!(
            scalar_args(*kind, unit.as_ref(), *count).as_deref(),
            Some(*expected)
        );
    }
}
