//! The short forms of recognized nodes, spelled once for skeletons and for `show`:
//! instances as `Cls(args, key=value)`, `functools.partial(int, base=2)`,
//! `collections.OrderedDict([('a', 1)])`, `typing.TypeVar('T', bound=int)`, bound methods
//! as `obj.name`, cells, modules shipped by value, dict views. They come out as the
//! [`Chunk`]s an inert call's spelling is made of (see [`crate::render::inert`]), so each
//! view writes them as it writes a call.

use std::borrow::Cow;

use super::expr::{dotted, quoted, state_attributes};
use crate::graph::{Pickle, Value};
use crate::python::model::{CollectionDef, DescriptorDef, InstanceDef, PartialDef, Recognized};
use crate::python::view;
use crate::render::inert::{Callable, Chunk, Close, Open, Role};

/// What a view knows of the classes shipped by value, which a short form may need.
pub(crate) trait Classes {
    /// The attribute under which `instance`'s class (shipped by value) holds `function`,
    /// if it does: then `types.MethodType(function, instance)` is `instance.name`.
    fn method_name(&mut self, function: Value, instance: Value) -> Option<String>;
    /// Whether the class of `instance` is shipped by value with a `__setstate__` of its
    /// own, so that its state cannot be read as attributes.
    fn custom_setstate(&mut self, instance: &InstanceDef) -> bool;
}

/// The chunks of `what`'s short form; `None` for a recognized node that has none here
/// (a definition, a standard library value, a code object, a module by name), or whose
/// names are not strs.
pub(crate) fn spell<'p>(
    pickle: &'p Pickle<'_>,
    what: &Recognized,
    classes: &mut dyn Classes,
) -> Option<Vec<Chunk<'p>>> {
    let mut chunks = Vec::new();
    let out = &mut chunks;
    match what {
        Recognized::Class(_)
        | Recognized::Function(_)
        | Recognized::SameAs(_)
        | Recognized::StateOf(_)
        | Recognized::Code(_)
        | Recognized::Module { .. }
        | Recognized::Named { .. }
        | Recognized::Value(_) => return None,
        Recognized::Cell(cell) => match cell.contents {
            Some(contents) => out.extend([text("<cell "), Chunk::Value(contents), text(">")]),
            None => out.push(text("<empty cell>")),
        },
        Recognized::DynamicModule { name, vars } => {
            let name = quoted(view::str(pickle, *name)?);
            out.extend([
                text(format!("<module {name} by value: ")),
                Chunk::Value(*vars),
                text(">"),
            ]);
        }
        Recognized::DictView {
            kind,
            ordered,
            source,
        } => {
            let prefix = if *ordered { "odict" } else { "dict" };
            open(out, format!("{prefix}_{kind}"), Callable::View);
            match view::dict(pickle, *source) {
                Some(entries) => pairs(out, entries),
                None => out.push(Chunk::Value(*source)),
            }
            out.push(Chunk::Close(Close::Call));
        }
        Recognized::TypeVar {
            args: [name, bound, constraints, covariant, contravariant, _],
        } => {
            open(out, "typing.TypeVar", Callable::Library);
            out.push(Chunk::Value(*name));
            for item in view::tuple(pickle, *constraints).into_iter().flatten() {
                out.extend([Chunk::Comma, Chunk::Value(item)]);
            }
            if *bound != Value::None {
                keyword(out, "bound", *bound);
            }
            for (flag, key) in [(*covariant, "covariant"), (*contravariant, "contravariant")] {
                if flag == Value::Bool(true) {
                    keyword(out, key, flag);
                }
            }
            out.push(Chunk::Close(Close::Call));
        }
        Recognized::Method { function, instance } => {
            match classes.method_name(*function, *instance) {
                Some(name) => out.extend([Chunk::Value(*instance), text(format!(".{name}"))]),
                None => call(out, "types.MethodType", [*function, *instance]),
            }
        }
        Recognized::Descriptor(descriptor) => match *descriptor {
            DescriptorDef::ClassMethod(f) => call(out, "classmethod", [f]),
            DescriptorDef::StaticMethod(f) => call(out, "staticmethod", [f]),
            DescriptorDef::Property {
                fget,
                fset,
                fdel,
                doc,
            } => call(out, "property", [fget, fset, fdel, doc]),
        },
        Recognized::Instance(instance) => {
            let custom = classes.custom_setstate(instance);
            self::instance(pickle, out, instance, custom);
        }
        Recognized::Attribute { object, name } => {
            let name = view::str(pickle, *name)?;
            out.extend([
                Chunk::Callee(*object, Role::Function),
                text(format!(".{name}")),
            ]);
        }
        Recognized::Partial(partial) => self::partial(pickle, out, partial),
        Recognized::Collection(collection) => self::collection(out, collection),
        Recognized::EnumMember { class, name } => {
            let name = view::str(pickle, *name)?;
            out.extend([Chunk::Value(Value::Node(*class)), text(format!(".{name}"))]);
        }
    }
    Some(chunks)
}

/// The text of a recognized node that holds no other value and is written whole where
/// it is met: a code object, a module imported by name, a name (`Named`); `None` for any
/// other, or one whose names are not strs.
pub(crate) fn leaf_text(pickle: &Pickle<'_>, what: &Recognized) -> Option<String> {
    Some(match what {
        Recognized::Code(code) => format!(
            "<code object {}, file {}, line {}>",
            code.name(pickle),
            quoted(code.filename(pickle)),
            code.firstlineno
        ),
        Recognized::Module { name } => format!("<module {}>", quoted(view::str(pickle, *name)?)),
        Recognized::Named { module, name } => dotted(module, view::str(pickle, *name)?),
        _ => return None,
    })
}

fn text<'p>(text: impl Into<Cow<'static, str>>) -> Chunk<'p> {
    Chunk::Text(text.into())
}

/// Opens a call of a callable the pickle names through the recognizer: `typing.TypeVar(`.
fn open(out: &mut Vec<Chunk<'_>>, name: impl Into<Cow<'static, str>>, callable: Callable) {
    out.push(Chunk::OpenNamed(name.into(), callable));
}

/// `name(value, …)` for a builtin.
fn call<'p>(out: &mut Vec<Chunk<'p>>, name: &'static str, args: impl IntoIterator<Item = Value>) {
    open(out, name, Callable::Builtin);
    for (i, arg) in args.into_iter().enumerate() {
        if i > 0 {
            out.push(Chunk::Comma);
        }
        out.push(Chunk::Value(arg));
    }
    out.push(Chunk::Close(Close::Call));
}

/// `, key=value` after the first argument.
fn keyword<'p>(out: &mut Vec<Chunk<'p>>, key: &'p str, value: Value) {
    out.extend([Chunk::Comma, Chunk::Keyword(key), Chunk::Value(value)]);
}

/// Items separated by commas, the first without one.
fn items<'p>(out: &mut Vec<Chunk<'p>>, items: impl IntoIterator<Item = Value>) {
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(Chunk::Comma);
        }
        out.push(Chunk::Value(item));
    }
}

/// `[(key, value), …]`: a mapping's items as a list of pairs.
fn pairs<'p>(out: &mut Vec<Chunk<'p>>, entries: impl IntoIterator<Item = (Value, Value)>) {
    out.push(Chunk::OpenBrackets("[", "]"));
    for (i, (key, value)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(Chunk::Comma);
        }
        // A pair stays on one line, whatever the layout.
        out.extend([
            text("("),
            Chunk::Value(key),
            text(", "),
            Chunk::Value(value),
            text(")"),
        ]);
    }
    out.push(Chunk::CloseBrackets("]"));
}

/// `Cls(args, key=value…)`: the arguments `__new__` gets, then the keyword arguments
/// and the attributes a dict state sets; a state of any other shape (or one whose keys
/// clash or are not identifiers, or a class with its own `__setstate__`) is chained as
/// `.__setstate__(state)`.
fn instance<'p>(
    pickle: &'p Pickle<'_>,
    out: &mut Vec<Chunk<'p>>,
    instance: &InstanceDef,
    custom_setstate: bool,
) {
    out.push(Chunk::Callee(instance.class, Role::Class));
    out.push(Chunk::Open(Open::Call));
    let mut first = true;
    let mut separator = |out: &mut Vec<Chunk<'p>>| {
        if !std::mem::take(&mut first) {
            out.push(Chunk::Comma);
        }
    };
    for &arg in &instance.args {
        separator(out);
        out.push(Chunk::Value(arg));
    }
    let kwargs = instance
        .kwargs
        .and_then(|k| view::str_dict(pickle, k))
        .unwrap_or_default();
    let attributes = instance
        .state
        .and_then(|state| state_attributes(pickle, state, &kwargs, custom_setstate));
    if kwargs.iter().all(|(k, _)| view::is_identifier(k)) {
        for &(key, value) in &kwargs {
            separator(out);
            out.extend([Chunk::Keyword(key), Chunk::Value(value)]);
        }
    } else if let Some(kwargs) = instance.kwargs {
        separator(out);
        out.extend([text("**"), Chunk::Value(kwargs)]);
    }
    for &(key, value) in attributes.iter().flatten() {
        separator(out);
        out.extend([Chunk::Keyword(key), Chunk::Value(value)]);
    }
    out.push(Chunk::Close(Close::Call));
    if let (Some(state), None) = (instance.state, &attributes) {
        out.extend([
            Chunk::Open(Open::SetState),
            Chunk::Value(state),
            Chunk::Close(Close::Call),
        ]);
    }
}

fn partial<'p>(pickle: &'p Pickle<'_>, out: &mut Vec<Chunk<'p>>, partial: &PartialDef) {
    open(out, "functools.partial", Callable::Library);
    out.push(Chunk::Value(partial.func));
    for arg in view::tuple_or_none(pickle, partial.args).unwrap_or_default() {
        out.extend([Chunk::Comma, Chunk::Value(arg)]);
    }
    let keywords = view::str_dict_or_none(pickle, partial.keywords).unwrap_or_default();
    if keywords.iter().all(|(k, _)| view::is_identifier(k)) {
        for (key, value) in keywords {
            keyword(out, key, value);
        }
    } else {
        out.extend([Chunk::Comma, text("**"), Chunk::Value(partial.keywords)]);
    }
    out.push(Chunk::Close(Close::Call));
    if view::dict(pickle, partial.namespace).is_some_and(|d| !d.is_empty()) {
        out.extend([
            Chunk::OpenNamed(".__dict__.update".into(), Callable::Method),
            Chunk::Value(partial.namespace),
            Chunk::Close(Close::Call),
        ]);
    }
}

fn collection(out: &mut Vec<Chunk<'_>>, collection: &CollectionDef) {
    match collection {
        CollectionDef::OrderedDict(entries) => {
            open(out, "collections.OrderedDict", Callable::Library);
            pairs(out, entries.iter().copied());
        }
        CollectionDef::DefaultDict { factory, items } => {
            open(out, "collections.defaultdict", Callable::Library);
            out.extend([
                Chunk::Callee(*factory, Role::Function),
                Chunk::Comma,
                Chunk::OpenBrackets("{", "}"),
            ]);
            for (i, &(key, value)) in items.iter().enumerate() {
                if i > 0 {
                    out.push(Chunk::Comma);
                }
                out.extend([Chunk::Value(key), Chunk::Colon, Chunk::Value(value)]);
            }
            out.push(Chunk::CloseBrackets("]"));
        }
        CollectionDef::Counter(counts) => {
            open(out, "collections.Counter", Callable::Library);
            out.push(Chunk::Value(*counts));
        }
        CollectionDef::Deque {
            items: members,
            maxlen,
        } => {
            open(out, "collections.deque", Callable::Library);
            out.push(Chunk::OpenBrackets("[", "]"));
            items(out, members.iter().copied());
            out.push(Chunk::CloseBrackets("]"));
            if *maxlen != Value::None {
                keyword(out, "maxlen", *maxlen);
            }
        }
    }
    out.push(Chunk::Close(Close::Call));
}
