//! The standard library's own pickling machinery, as `pickle.dumps` writes it:
//!
//! - instances: `NEWOBJ`/`NEWOBJ_EX`/`INST`/`OBJ` nodes, `copyreg.__newobj__(cls, *args)`,
//!   `copyreg.__newobj_ex__(cls, args, kwargs)`, `copyreg._reconstructor(cls, object,
//!   None)` (protocols 0 and 1), each with an optional `BUILD` state: how dataclass,
//!   namedtuple and plain instances travel;
//! - `getattr(obj, 'name')`: methods and nested classes by reference;
//! - `functools.partial(func)` with its `BUILD` state `(func, args, keywords, dict)`;
//! - `OrderedDict`, `defaultdict`, `Counter`, `deque`;
//! - `types.CodeType(…)` (and dill's `_create_code`), `types.MethodType(f, obj)`,
//!   `classmethod(f)`, `staticmethod(f)`, `property(fget, fset, fdel, doc)`;
//! - members of enums shipped by value: `Color(2)`;
//! - the standard library's value types (see [`super::values`]).

use super::code::code_at;
use super::model::{CollectionDef, DescriptorDef, InstanceDef, PartialDef, Recognized};
use super::names::{cloudpickle_helper, resolve};
use super::recognize::{Context, Found};
use super::view::{self, CallView};
use crate::graph::{Mutation, NodeId, Pickle, Value};

/// Recognizes a node built by the standard library's machinery.
pub(crate) fn recognize(context: &Context<'_, '_>, id: NodeId) -> Option<Found> {
    let pickle = context.pickle;
    match super::values::recognize(pickle, id) {
        // `show` lays a partial out as its own recognizer does (its namespace included).
        Some(super::values::StdValue::Partial { .. }) | None => {}
        Some(value) => return Some(Found::new(Recognized::Value(value))),
    }
    let value = Value::Node(id);
    if let Some(instance) = view::instance(pickle, value) {
        return new_instance(context, &instance);
    }
    if let Some(code) = code_at(context, value) {
        return Some(Found::new(Recognized::Code(Box::new(code))));
    }
    let call = view::call(pickle, value)?;
    if let Some(found) = collection(pickle, &call) {
        return Some(found);
    }
    if let Some(found) = enum_member(pickle, &call) {
        return Some(found);
    }
    let found = match resolve(pickle, call.func)? {
        ("copyreg", "__newobj__" | "__newobj_ex__" | "_reconstructor") => copyreg(context, &call),
        ("functools", "partial") => partial(context, &call),
        _ if !call.mutations.is_empty() => None,
        ("builtins", "getattr") => attribute(pickle, &call),
        ("types", "MethodType") => call
            .args
            .array()
            .map(|[function, instance]| Recognized::Method { function, instance }),
        ("builtins", "classmethod" | "staticmethod" | "property") => descriptor(pickle, &call),
        _ => None,
    };
    found.map(Found::new)
}

/// The `BUILD` state of an instance: none, or exactly one `BUILD`.
fn build_state(mutations: &[Mutation]) -> Option<Option<Value>> {
    match mutations {
        [] => Some(None),
        [Mutation::Build(state)] => Some(Some(*state)),
        _ => None,
    }
}

fn new_instance(context: &Context<'_, '_>, instance: &CallView<'_>) -> Option<Found> {
    if let Some(kwargs) = instance.kwargs {
        Context::check(context.is_str_dict(kwargs))?;
    }
    let state = build_state(instance.mutations)?;
    Some(Found::new(Recognized::Instance(InstanceDef {
        class: instance.func,
        args: instance.args.to_vec(),
        kwargs: instance.kwargs,
        state,
    })))
}

/// `copyreg.__newobj__(cls, *args)`, `copyreg.__newobj_ex__(cls, args, kwargs)`, and
/// `copyreg._reconstructor(cls, object, None)`, which is `object.__new__(cls)`.
fn copyreg(context: &Context<'_, '_>, call: &CallView<'_>) -> Option<Recognized> {
    let pickle = context.pickle;
    let state = build_state(call.mutations)?;
    let (class, args, kwargs) = match resolve(pickle, call.func)?.1 {
        "__newobj__" => (call.args.first()?, call.args.iter().skip(1).collect(), None),
        "__newobj_ex__" => match call.args.array() {
            Some([class, args, kwargs]) => {
                Context::check(context.is_str_dict(kwargs))?;
                (class, view::tuple(pickle, args)?.to_vec(), Some(kwargs))
            }
            _ => return None,
        },
        _ => match call.args.array() {
            Some([class, base, Value::None])
                if view::is_global(pickle, base, "builtins", "object") =>
            {
                (class, Vec::new(), None)
            }
            _ => return None,
        },
    };
    Some(Recognized::Instance(InstanceDef {
        class,
        args,
        kwargs,
        state,
    }))
}

/// `getattr(obj, 'name')` with an identifier: `obj.name`.
fn attribute(pickle: &Pickle<'_>, call: &CallView<'_>) -> Option<Recognized> {
    let [object, name] = call.args.array()?;
    view::is_identifier(view::str(pickle, name)?).then_some(Recognized::Attribute { object, name })
}

/// `functools.partial(func)`, then `BUILD` with `(func, args, keywords, dict)` (see
/// [`super::values::partial_parts`]), keywords and namespace each a dict of str keys or
/// `None`. Without the state the partial binds nothing.
fn partial(context: &Context<'_, '_>, call: &CallView<'_>) -> Option<Recognized> {
    let parts = super::values::partial_parts(context.pickle, call)?;
    let Some([func, args, keywords, namespace]) = parts.state else {
        return Some(Recognized::Partial(PartialDef {
            func: parts.func,
            args: Value::None,
            keywords: Value::None,
            namespace: Value::None,
        }));
    };
    Context::check(context.is_str_dict_or_none(keywords))?;
    Context::check(context.is_str_dict_or_none(namespace))?;
    Some(Recognized::Partial(PartialDef {
        func,
        args,
        keywords,
        namespace,
    }))
}

fn descriptor(pickle: &Pickle<'_>, call: &CallView<'_>) -> Option<Recognized> {
    let kind = resolve(pickle, call.func)?.1;
    Some(Recognized::Descriptor(
        match (kind, &call.args.to_vec()[..]) {
            ("classmethod", &[function]) => DescriptorDef::ClassMethod(function),
            ("staticmethod", &[function]) => DescriptorDef::StaticMethod(function),
            ("property", &[fget, fset, fdel, doc]) => DescriptorDef::Property {
                fget,
                fset,
                fdel,
                doc,
            },
            _ => return None,
        },
    ))
}

/// `OrderedDict()` and `defaultdict(factory)` filled by `SETITEMS`, `Counter(dict)`,
/// `deque(iterable, maxlen)` filled by `APPENDS`.
fn collection(pickle: &Pickle<'_>, call: &CallView<'_>) -> Option<Found> {
    let (module, name) = view::global(pickle, call.func)?;
    if module != "collections" {
        return None;
    }
    let items = || -> Option<Vec<(Value, Value)>> {
        let mut items = Vec::new();
        for mutation in call.mutations {
            let Mutation::SetItems(pairs) = mutation else {
                return None;
            };
            items.extend_from_slice(pairs);
        }
        Some(items)
    };
    let what = match (name, &call.args.to_vec()[..]) {
        ("OrderedDict", []) => CollectionDef::OrderedDict(items()?),
        ("defaultdict", &[factory]) => CollectionDef::DefaultDict {
            factory,
            items: items()?,
        },
        ("Counter", &[counts]) if call.mutations.is_empty() => {
            view::dict(pickle, counts)?;
            CollectionDef::Counter(counts)
        }
        ("deque", &[iterable, maxlen])
            if view::tuple(pickle, iterable).is_some_and(|items| items.is_empty()) =>
        {
            if !matches!(maxlen, Value::None | Value::Int(_)) {
                return None;
            }
            let mut items = Vec::new();
            for mutation in call.mutations {
                let Mutation::Append(more) = mutation else {
                    return None;
                };
                items.extend_from_slice(more);
            }
            CollectionDef::Deque { items, maxlen }
        }
        _ => return None,
    };
    Some(Found::new(Recognized::Collection(what)))
}

/// `Color(2)` where `Color` is an enum cloudpickle ships by value and `2` the value of
/// one of the members it lists: that member (the first, as `Enum` looks values up).
fn enum_member(pickle: &Pickle<'_>, call: &CallView<'_>) -> Option<Found> {
    let [value] = call.args.array()?;
    let class = view::call(pickle, call.func)?;
    if cloudpickle_helper(pickle, class.func) != Some("_make_skeleton_enum")
        || !call.mutations.is_empty()
    {
        return None;
    }
    let members = view::dict(pickle, class.args.get(3)?)?;
    let (name, _) = members
        .iter()
        .find(|&(_, member)| same_scalar(pickle, member, value))?;
    view::str(pickle, name)?;
    Some(Found::new(Recognized::EnumMember {
        class: call.func.node()?,
        name,
    }))
}

/// Whether two values are equal as Python compares None, bools, ints, floats and strs
/// (what enum values mostly are); `False` for anything else.
fn same_scalar(pickle: &Pickle<'_>, a: Value, b: Value) -> bool {
    let number = |v: Value| match v {
        Value::Bool(b) => Some(f64::from(u8::from(b))),
        Value::Int(i) if i.unsigned_abs() < 1 << 53 => Some(i as f64),
        Value::Float(f) => Some(f),
        _ => None,
    };
    match (a, b) {
        (Value::None, _) | (_, Value::None) => a == b,
        (Value::Int(x), Value::Int(y)) => x == y,
        _ => match (number(a), number(b)) {
            (Some(x), Some(y)) => x == y,
            (None, None) => {
                view::str(pickle, a).is_some_and(|text| view::str(pickle, b) == Some(text))
            }
            _ => false,
        },
    }
}
