//! The standard library's value types, as CPython 3.11's `pickle` writes them: which
//! value a call node rebuilds, read from the call's exact shape.
//!
//! Each recognizer checks the callee's full name and every argument's type and range
//! the way the type's constructor (or `__setstate__`) would, and answers `None` for
//! anything else, so a call that would run something else, or fail, keeps its raw form:
//! a hostile pickle cannot make a call look like a harmless value. What is recognized
//! is data ([`StdValue`]); `render::values` writes it as Python's `repr()`.
//!
//! ```
//! use picklegraph::python::values::{recognize, StdValue};
//! // builtins.complex(1.5, -2.0), protocol 2
//! let pickle = picklegraph::load(b"\x80\x02c__builtin__\ncomplex\nG?\xf8\0\0\0\0\0\0G\xc0\0\0\0\0\0\0\0\x86R.")?;
//! let root = pickle.root().node().unwrap();
//! assert_eq!(recognize(&pickle, root), Some(StdValue::Complex { real: 1.5, imag: -2.0 }));
//! # Ok::<(), picklegraph::Error>(())
//! ```

mod builtin_objects;
mod collections;
mod datetime;
mod enums;
#[rustfmt::skip]
mod enum_table;
mod net;
mod numbers;
mod paths;
mod pattern;

pub(crate) use builtin_objects::is_builtin_class;
pub use builtin_objects::BuiltinObject;
pub use collections::Counter;
pub use datetime::{Date, Time, TimeDelta};
pub use enums::{EnumClass, EnumKind, EnumValue, MemberRepr, StructSeqType};
pub use net::{compressed, IpValue};
pub use numbers::{DecimalKind, DecimalValue};
pub use paths::PathValue;
pub use pattern::KNOWN_FLAGS as KNOWN_REGEX_FLAGS;

use num_bigint::BigInt;

use super::view::{self, CallView};
use crate::graph::{InertKind, Mutation, NodeId, Pickle, Value};

/// A value of the standard library that a call node rebuilds.
#[derive(Debug, Clone, PartialEq)]
pub enum StdValue {
    /// `datetime.date`.
    Date(Date),
    /// `datetime.time`, with its `tzinfo` (a node) when it has one.
    Time(Time, Option<Value>),
    /// `datetime.datetime`, with its `tzinfo` when it has one.
    DateTime(Date, Time, Option<Value>),
    /// `datetime.timedelta`, normalized as its constructor normalizes it.
    TimeDelta(TimeDelta),
    /// `datetime.timezone(offset[, name])`; `timezone.utc` when the offset is zero and
    /// there is no name (the constructor then returns the singleton).
    TimeZone {
        /// The offset (a `timedelta` node).
        offset: Value,
        /// Whether this is `datetime.timezone.utc`.
        utc: bool,
        /// The name (a str), when given.
        name: Option<Value>,
    },
    /// `zoneinfo.ZoneInfo(key)`, pickled as `getattr(ZoneInfo, '_unpickle')(key, 1)`.
    ZoneInfo {
        /// The key (a str).
        key: Value,
    },
    /// `decimal.Decimal(text)`, parsed.
    Decimal(DecimalValue),
    /// `fractions.Fraction(numerator, denominator)`, in lowest terms.
    Fraction {
        /// The numerator, with the sign.
        numerator: BigInt,
        /// The denominator, positive.
        denominator: BigInt,
    },
    /// `uuid.UUID`, by its 128-bit value.
    Uuid(u128),
    /// `complex(real, imag)`.
    Complex {
        /// The real part.
        real: f64,
        /// The imaginary part.
        imag: f64,
    },
    /// `range(start, stop, step)`, of ints.
    Range {
        /// The start.
        start: Value,
        /// The stop.
        stop: Value,
        /// The step, when it is not 1.
        step: Option<Value>,
    },
    /// `slice(start, stop, step)`, of any values.
    Slice {
        /// The start.
        start: Value,
        /// The stop.
        stop: Value,
        /// The step.
        step: Value,
    },
    /// A `pathlib` path.
    Path(PathValue),
    /// An `ipaddress` address, network or interface.
    Ip(IpValue),
    /// `re.compile(pattern, flags)`, with the flags the compiled pattern has.
    Pattern {
        /// The pattern (a str or bytes).
        pattern: Value,
        /// `Pattern.flags`.
        flags: u32,
    },
    /// A member of one of the standard library's enums.
    EnumMember {
        /// The enum.
        class: &'static EnumClass,
        /// The member's name.
        name: &'static str,
        /// The member's value.
        value: EnumValue,
    },
    /// A value of `re.RegexFlag`, written by its members' names.
    RegexFlag(u32),
    /// A value of a standard library enum that the pickle names, but whose member's
    /// name depends on the platform that loads it (`socket.AddressFamily(10)`) or is
    /// not one of its members: `show` says so, `repr` writes the call.
    UnnamedEnumMember {
        /// The enum.
        class: &'static EnumClass,
        /// The value given.
        value: Value,
    },
    /// A struct sequence (`time.struct_time`, `os.stat_result`): its visible fields.
    StructSeq {
        /// The type and its field names.
        kind: &'static StructSeqType,
        /// The values of the visible fields.
        values: Vec<Value>,
    },
    /// `collections.OrderedDict`, filled by `SETITEMS`.
    OrderedDict(Vec<(Value, Value)>),
    /// `collections.defaultdict(factory)`, filled by `SETITEMS`.
    DefaultDict {
        /// The default factory; `None` for none.
        factory: Option<Value>,
        /// The items.
        items: Vec<(Value, Value)>,
    },
    /// `collections.Counter(counts)`.
    Counter(Counter),
    /// `collections.deque(iterable, maxlen)` filled by `APPENDS`: the items it keeps.
    Deque {
        /// The items (the last `maxlen` of those appended).
        items: Vec<Value>,
        /// The maximum length.
        maxlen: Option<u64>,
    },
    /// A builtin class, function or constant, or a class of a value module, named by
    /// reference (`<class 'int'>`, `Ellipsis`), or `type(None)`.
    Builtin(BuiltinObject),
    /// `functools.partial(func)` with its `BUILD` state `(func, args, keywords,
    /// namespace)`: the repr writes the state's callable, arguments and keywords.
    Partial {
        /// The callable (an inert node).
        func: Value,
        /// The positional arguments.
        args: Vec<Value>,
        /// The keyword arguments (str keys), in order.
        keywords: Vec<(Value, Value)>,
    },
}

/// What the standard library's value at node `id` is, when the node is a call or an
/// instance of one of the shapes CPython 3.11's `pickle` writes for it (see the module
/// docs); `None` for anything else.
pub fn recognize(pickle: &Pickle<'_>, id: NodeId) -> Option<StdValue> {
    let value = Value::Node(id);
    if let Some(inert) = view::inert(pickle, value) {
        if let InertKind::Global { .. } = inert.kind {
            let (module, name) = pickle.global_name(value)?;
            return match inert.mutations.is_empty() {
                true => builtin_objects::named(module, name)
                    .or_else(|| {
                        let (name, kind) = enums::enum_class_kind(module, name)?;
                        Some(BuiltinObject::EnumClass(name, kind))
                    })
                    .map(StdValue::Builtin),
                false => None,
            };
        }
    }
    if let Some(instance) = view::instance(pickle, value) {
        return instance_value(pickle, &instance);
    }
    let call = view::call(pickle, value)?;
    if let Some(found) = zoneinfo(pickle, &call) {
        return Some(found);
    }
    let (module, name) = view::global(pickle, call.func)?;
    match module {
        "collections" => return collections::recognize(pickle, name, &call),
        "copyreg" => return reconstructed(pickle, name, &call),
        "functools" if name == "partial" => return partial(pickle, &call),
        _ => {}
    }
    if !call.mutations.is_empty() {
        return None;
    }
    match (module, name) {
        ("datetime", _) => datetime::recognize(pickle, name, &call.args),
        ("builtins", "type") => {
            builtin_objects::type_of(pickle, &call.args.to_vec()).map(StdValue::Builtin)
        }
        ("builtins", "complex") => numbers::complex(pickle, &call.args),
        ("builtins", "range") => numbers::range(pickle, &call.args),
        ("builtins", "slice") => numbers::slice(&call.args),
        ("decimal" | "_pydecimal", "Decimal") => numbers::decimal(pickle, &call.args),
        ("fractions", "Fraction") => numbers::fraction(pickle, &call.args),
        ("pathlib", _) => paths::recognize(pickle, name, &call.args),
        ("ipaddress", _) => net::recognize(pickle, name, &call.args),
        ("re", "_compile") => pattern::compiled(pickle, &call.args),
        ("re", "RegexFlag") => pattern::flag(&call.args),
        _ => enums::recognize(pickle, module, name, &call.args),
    }
}

/// `zoneinfo.ZoneInfo._unpickle(key, from_cache)`: `ZoneInfo(key)` when `from_cache`,
/// else `ZoneInfo.no_cache(key)`; both print the same.
fn zoneinfo(pickle: &Pickle<'_>, call: &CallView<'_>) -> Option<StdValue> {
    let getattr = view::call(pickle, call.func)?;
    let [class, attribute] = getattr.args.array()?;
    if !view::is_global(pickle, getattr.func, "builtins", "getattr")
        || !getattr.mutations.is_empty()
        || !view::is_global(pickle, class, "zoneinfo", "ZoneInfo")
        || view::str(pickle, attribute)? != "_unpickle"
        || !call.mutations.is_empty()
    {
        return None;
    }
    let [key, from_cache] = call.args.array()?;
    view::str(pickle, key)?;
    // The C type reads `from_cache` as an unsigned char.
    match from_cache {
        Value::Bool(_) => {}
        Value::Int(v) if (0..=255).contains(&v) => {}
        _ => return None,
    }
    Some(StdValue::ZoneInfo { key })
}

/// An instance made by `NEWOBJ` (`UUID.__new__(UUID)` then `BUILD`).
fn instance_value(pickle: &Pickle<'_>, instance: &CallView<'_>) -> Option<StdValue> {
    if instance.kwargs.is_some() || !instance.args.is_empty() {
        return None;
    }
    match view::global(pickle, instance.func)? {
        ("uuid", "UUID") => numbers::uuid(pickle, instance.mutations),
        _ => None,
    }
}

/// `copyreg._reconstructor(uuid.UUID, object, None)` (protocols 0 and 1) and
/// `copyreg.__newobj__(uuid.UUID)`, then `BUILD`.
fn reconstructed(pickle: &Pickle<'_>, name: &str, call: &CallView<'_>) -> Option<StdValue> {
    let class = match (name, call.args.len()) {
        ("_reconstructor", 3) => {
            let [class, base, state] = call.args.array()?;
            if !view::is_global(pickle, base, "builtins", "object") || state != Value::None {
                return None;
            }
            class
        }
        ("__newobj__", 1) => call.args.first()?,
        _ => return None,
    };
    if !view::is_global(pickle, class, "uuid", "UUID") {
        return None;
    }
    numbers::uuid(pickle, call.mutations)
}

/// `functools.partial(func)` and its `BUILD` state, as `partial.__setstate__` reads it:
/// the one argument, and the state's callable, arguments (a tuple), keywords and
/// namespace. `state` is `None` for a partial without `BUILD`, which binds nothing. Both
/// this module's repr and the skeletons' layout start from these parts.
pub(crate) struct PartialParts {
    /// The argument of `partial(func)`.
    pub func: Value,
    /// `(func, args, keywords, namespace)` from the `BUILD`; `args` is a tuple.
    pub state: Option<[Value; 4]>,
}

/// The parts of a `functools.partial(func)` call: one argument, and no mutation or one
/// `BUILD` of a 4-tuple whose second item is a tuple.
pub(crate) fn partial_parts(pickle: &Pickle<'_>, call: &CallView<'_>) -> Option<PartialParts> {
    let [func] = call.args.array()?;
    let state = match call.mutations {
        [] => None,
        [Mutation::Build(state)] => {
            let state: [Value; 4] = view::tuple(pickle, *state)?.array()?;
            view::tuple(pickle, state[1])?;
            Some(state)
        }
        _ => return None,
    };
    Some(PartialParts { func, state })
}

/// `functools.partial(func)` and its `BUILD` state, checked as `partial.__setstate__`
/// checks it: a 4-tuple of a callable (only something the pickle makes can be one), a
/// tuple of arguments, a dict of keywords or `None`, and a namespace. Keywords with keys
/// that are not strs are left to the raw form.
fn partial(pickle: &Pickle<'_>, call: &CallView<'_>) -> Option<StdValue> {
    let parts = partial_parts(pickle, call)?;
    view::inert(pickle, parts.func)?;
    let [func, args, keywords, namespace] = parts.state?;
    view::inert(pickle, func)?;
    let args = view::tuple(pickle, args)?.to_vec();
    let keywords = match keywords {
        Value::None => Vec::new(),
        _ => {
            let entries = view::dict(pickle, keywords)?.to_vec();
            for (key, _) in &entries {
                view::str(pickle, *key)?;
            }
            entries
        }
    };
    if namespace != Value::None {
        view::dict(pickle, namespace)?;
    }
    Some(StdValue::Partial {
        func,
        args,
        keywords,
    })
}
