//! The recognizers as a `show` hook: before the root, the skeletons of the classes and
//! functions the pickle ships by value (as [`crate::render::skeleton`] writes them); in the
//! objects, those classes and functions by name, instances as `Cls(args, key=value)`,
//! and the other recognized nodes in their short form; the effects that only fill the
//! definitions in are left out. `picklegraph show --raw` asks no recognizer.

use std::cell::RefCell;

use super::doc::Doc;
use super::layout::Style;
use super::Recognizer;
use crate::graph::{NodeId, Pickle, Value};
use crate::python::model::{CollectionDef, DescriptorDef, InstanceDef, PartialDef, Recognized};
use crate::python::values::StdValue;
use crate::python::{view, Recognition};
use crate::render::skeleton::expr::{dotted, quoted, state_attributes};
use crate::render::skeleton::{comment_column, defs, Options, Skeleton};
use crate::render::values::{self as render_values, Part};

/// The recognizers of cloudpickle, dill and the standard library, for `show`.
///
/// ```
/// use picklegraph::render::show::{ShowOptions, to_text};
/// // copyreg._reconstructor(myclass.Thing, object, None), with state {'size': 3}
/// let pickle = picklegraph::load(b"ccopy_reg\n_reconstructor\n(cmyclass\nThing\nc__builtin__\nobject\nNtR}U\x04sizeK\x03sb.")?;
/// let mut options = ShowOptions::plain(80);
/// options.recognizers.push(Box::new(picklegraph::render::show::skeletons::Skeletons::default()));
/// let text = to_text(&pickle, &options);
/// assert!(text.ends_with("\nmyclass.Thing(size=3)\n"), "{text}");
/// # Ok::<(), picklegraph::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct Skeletons {
    prepared: RefCell<Option<Prepared>>,
}

/// What the recognizers found in the pickle being shown.
#[derive(Debug)]
struct Prepared {
    key: Key,
    recognition: Recognition,
    skeleton: Skeleton,
}

/// Which pickle a [`Prepared`] belongs to, for calls made without [`Recognizer::prepare`].
type Key = (usize, usize, (usize, usize), usize);

fn key(pickle: &Pickle<'_>) -> Key {
    // Where the arena keeps its nodes: the graph's identity while it lives.
    let nodes = pickle.arena.address();
    (
        nodes,
        pickle.node_count(),
        pickle.span(),
        pickle.effects().len(),
    )
}

impl Skeletons {
    fn with<R>(&self, pickle: &Pickle<'_>, f: impl FnOnce(&Prepared, &Pickle<'_>) -> R) -> R {
        let stale = self.prepared.borrow().as_ref().map(|p| p.key) != Some(key(pickle));
        if stale {
            self.prepare(pickle);
        }
        let prepared = self.prepared.borrow();
        let prepared = prepared.as_ref().expect("prepared just above");
        f(prepared, pickle)
    }
}

impl Recognizer for Skeletons {
    fn name(&self) -> &'static str {
        "python"
    }

    fn prepare(&self, pickle: &Pickle<'_>) {
        let recognition = Recognition::new(pickle);
        // Plain data defines and names nothing: the skeleton would only write the root's
        // text (up to a megabyte of it) to find no names in it.
        let plain = pickle.inert_count() == 0;
        let skeleton = match plain {
            true => Skeleton::default(),
            false => Skeleton::new(pickle, &recognition, &Options::default()),
        };
        *self.prepared.borrow_mut() = Some(Prepared {
            key: key(pickle),
            recognition,
            skeleton,
        });
    }

    /// Only what the pickle's recognition found is ever claimed: a pickle in which it
    /// found nothing (plain data) has no container to claim.
    fn claims_containers(&self, _: &Pickle<'_>) -> bool {
        self.prepared
            .borrow()
            .as_ref()
            .map_or(true, |prepared| !prepared.recognition.is_empty())
    }

    fn preamble(&self, pickle: &Pickle<'_>) -> Option<Doc> {
        self.with(pickle, |prepared, _| {
            let skeleton = &prepared.skeleton;
            // Plain data needs no preamble: only code shipped, or classes named.
            let worth = !skeleton.definitions.is_empty()
                || !skeleton.globals.is_empty()
                || skeleton.names_classes;
            worth.then(|| preamble(skeleton))
        })
    }

    fn leaf(&self, pickle: &Pickle<'_>, id: NodeId) -> Option<String> {
        self.with(pickle, |prepared, pickle| leaf(prepared, pickle, id))
    }

    fn recognize(&self, pickle: &Pickle<'_>, id: NodeId) -> Option<Doc> {
        self.with(pickle, |prepared, pickle| recognize(prepared, pickle, id))
    }

    fn explains_effect(&self, pickle: &Pickle<'_>, index: usize) -> bool {
        self.with(pickle, |prepared, pickle| {
            prepared.recognition.explains_effect(pickle, index)
        })
    }
}

/// The summary lines, the globals and the definitions, each block after a blank line.
fn preamble(skeleton: &Skeleton) -> Doc {
    let mut parts = Vec::new();
    for line in &skeleton.summary {
        parts.extend([Doc::comment(line.clone()), Doc::HardLine]);
    }
    for block in [&skeleton.globals, &skeleton.definitions] {
        if block.is_empty() {
            continue;
        }
        parts.push(Doc::HardLine);
        let column = comment_column(block);
        for line in block {
            parts.push(Doc::text(format!(
                "{}{}",
                "    ".repeat(line.depth),
                line.code
            )));
            if !line.comment.is_empty() {
                let pad = if line.code.is_empty() {
                    0
                } else {
                    line.padding(column)
                };
                parts.push(Doc::comment(format!(
                    "{}# {}",
                    " ".repeat(pad),
                    line.comment
                )));
            }
            parts.push(Doc::HardLine);
        }
    }
    parts.push(Doc::HardLine);
    Doc::Concat(parts)
}

/// Text written in place of a node at each reference, without a label: the names of
/// definitions, and recognized nodes that hold no other value.
fn leaf(prepared: &Prepared, pickle: &Pickle<'_>, id: NodeId) -> Option<String> {
    let (target, what) = prepared.recognition.resolve(id);
    if let Some(name) = prepared.skeleton.names.get(&target) {
        return Some(name.clone());
    }
    match what? {
        Recognized::Code(code) => Some(format!(
            "<code object {}, file {}, line {}>",
            code.name(pickle),
            quoted(code.filename(pickle)),
            code.firstlineno
        )),
        Recognized::Module { name } => {
            Some(format!("<module {}>", quoted(view::str(pickle, *name)?)))
        }
        Recognized::Named { module, name } => Some(dotted(module, view::str(pickle, *name)?)),
        _ => None,
    }
}

fn value(value: Value) -> Doc {
    Doc::Value(value)
}

fn name(text: impl Into<String>) -> Doc {
    Doc::styled(text.into(), Style::Name)
}

/// A keyword argument: `key=value`.
fn keyword(key: &str, value: Value) -> Doc {
    Doc::Concat(vec![Doc::text(format!("{key}=")), Doc::Value(value)])
}

/// `(key, value)`.
fn pair(key: Value, value: Value) -> Doc {
    Doc::Concat(vec![
        Doc::text("("),
        Doc::Value(key),
        Doc::text(", "),
        Doc::Value(value),
        Doc::text(")"),
    ])
}

fn recognize(prepared: &Prepared, pickle: &Pickle<'_>, id: NodeId) -> Option<Doc> {
    let what = prepared.recognition.get(id)?;
    Some(match what {
        Recognized::Class(_)
        | Recognized::Function(_)
        | Recognized::SameAs(_)
        | Recognized::StateOf(_)
        | Recognized::Code(_)
        | Recognized::Module { .. }
        | Recognized::Named { .. } => return None,
        Recognized::Cell(cell) => match cell.contents {
            Some(contents) => {
                Doc::Concat(vec![Doc::text("<cell "), value(contents), Doc::text(">")])
            }
            None => Doc::text("<empty cell>"),
        },
        Recognized::DynamicModule { name, vars } => Doc::Concat(vec![
            Doc::text(format!(
                "<module {} by value: ",
                quoted(view::str(pickle, *name)?)
            )),
            value(*vars),
            Doc::text(">"),
        ]),
        Recognized::DictView {
            kind,
            ordered,
            source,
        } => {
            let prefix = if *ordered { "odict" } else { "dict" };
            let contents = match view::dict(pickle, *source) {
                Some(entries) => Doc::bracketed(
                    "[",
                    entries.iter().map(|(k, v)| pair(k, v)).collect(),
                    0,
                    "]",
                ),
                None => value(*source),
            };
            Doc::call(Doc::text(format!("{prefix}_{kind}")), vec![contents], 0)
        }
        Recognized::TypeVar {
            args: [name_value, bound, constraints, covariant, contravariant, _],
        } => {
            let mut args = vec![value(*name_value)];
            args.extend(
                view::tuple(pickle, *constraints)
                    .into_iter()
                    .flatten()
                    .map(value),
            );
            if *bound != Value::None {
                args.push(keyword("bound", *bound));
            }
            for (flag, key) in [(*covariant, "covariant"), (*contravariant, "contravariant")] {
                if flag == Value::Bool(true) {
                    args.push(keyword(key, flag));
                }
            }
            Doc::call(name("typing.TypeVar"), args, 0)
        }
        Recognized::Method { function, instance } => {
            match method_name(prepared, pickle, *function, *instance) {
                Some(method) => {
                    Doc::Concat(vec![value(*instance), Doc::text(format!(".{method}"))])
                }
                None => Doc::call(
                    name("types.MethodType"),
                    vec![value(*function), value(*instance)],
                    0,
                ),
            }
        }
        Recognized::Descriptor(descriptor) => match *descriptor {
            DescriptorDef::ClassMethod(f) => Doc::call(name("classmethod"), vec![value(f)], 0),
            DescriptorDef::StaticMethod(f) => Doc::call(name("staticmethod"), vec![value(f)], 0),
            DescriptorDef::Property {
                fget,
                fset,
                fdel,
                doc,
            } => Doc::call(
                name("property"),
                [fget, fset, fdel, doc].into_iter().map(value).collect(),
                0,
            ),
        },
        Recognized::Instance(instance) => instance_doc(prepared, pickle, instance),
        Recognized::Attribute {
            object,
            name: attribute,
        } => Doc::Concat(vec![
            value(*object),
            Doc::text(format!(".{}", view::str(pickle, *attribute)?)),
        ]),
        Recognized::Partial(partial) => partial_doc(pickle, partial),
        Recognized::Collection(collection) => collection_doc(collection),
        Recognized::EnumMember {
            class,
            name: member,
        } => Doc::Concat(vec![
            value(Value::Node(*class)),
            Doc::text(format!(".{}", view::str(pickle, *member)?)),
        ]),
        Recognized::Value(std_value) => std_value_doc(pickle, std_value)?,
    })
}

/// A standard library value as its repr writes it (see [`crate::render::values`]);
/// containers as brackets that break and elide like any other, and an enum member the
/// pickle does not name as its call, with what is known of it.
fn std_value_doc(pickle: &Pickle<'_>, std_value: &StdValue) -> Option<Doc> {
    let pairs = |items: &[(Value, Value)], tuple: bool| -> Vec<Doc> {
        items
            .iter()
            .map(|&(k, v)| match tuple {
                true => pair(k, v),
                false => Doc::Concat(vec![value(k), Doc::text(": "), value(v)]),
            })
            .collect()
    };
    let dict = |items: &[(Value, Value)]| Doc::bracketed("{", pairs(items, false), 0, "}");
    Some(match std_value {
        StdValue::OrderedDict(items) if !items.is_empty() => Doc::call(
            name("OrderedDict"),
            vec![Doc::bracketed("[", pairs(items, true), 0, "]")],
            0,
        ),
        StdValue::Counter(counter) if !counter.items.is_empty() => {
            Doc::call(name("Counter"), vec![dict(&counter.items)], 0)
        }
        StdValue::DefaultDict { factory, items } => {
            let factory = match factory {
                Some(factory) => {
                    render_values::class_repr(pickle, *factory).map_or(value(*factory), Doc::text)
                }
                None => Doc::text("None"),
            };
            Doc::call(name("defaultdict"), vec![factory, dict(items)], 0)
        }
        StdValue::Deque { items, maxlen } => {
            let mut args = vec![Doc::bracketed(
                "[",
                items.iter().map(|&v| value(v)).collect(),
                0,
                "]",
            )];
            if let Some(maxlen) = maxlen {
                args.push(Doc::text(format!("maxlen={maxlen}")));
            }
            Doc::call(name("deque"), args, 0)
        }
        StdValue::UnnamedEnumMember {
            class,
            value: given,
        } => Doc::Concat(vec![
            Doc::call(
                name(dotted(class.module, class.name)),
                vec![value(*given)],
                0,
            ),
            Doc::comment(match class.complete {
                true => format!("  # no member of {} has this value", class.name),
                false => "  # the member's name is not in the pickle: it depends on the platform"
                    .to_string(),
            }),
        ]),
        _ => Doc::Concat(
            render_values::parts(pickle, std_value, usize::MAX)?
                .into_iter()
                .map(|part| match part {
                    Part::Text(text) => Doc::text(text),
                    Part::Child(child) => value(child),
                })
                .collect(),
        ),
    })
}

/// `Cls(args, key=value)`, or `Cls(args).__setstate__(state)` (see
/// [`state_attributes`]).
fn instance_doc(prepared: &Prepared, pickle: &Pickle<'_>, instance: &InstanceDef) -> Doc {
    let mut args: Vec<Doc> = instance.args.iter().map(|&a| value(a)).collect();
    let kwargs = instance
        .kwargs
        .and_then(|k| view::str_dict(pickle, k))
        .unwrap_or_default();
    if kwargs.iter().all(|(k, _)| view::is_identifier(k)) {
        args.extend(kwargs.iter().map(|&(k, v)| keyword(k, v)));
    } else if let Some(kwargs) = instance.kwargs {
        args.push(Doc::Concat(vec![Doc::text("**"), value(kwargs)]));
    }
    let custom = instance
        .class
        .node()
        .and_then(|id| prepared.recognition.class(id))
        .is_some_and(|class| {
            defs::namespace(pickle, class)
                .iter()
                .any(|(k, _)| *k == "__setstate__")
        });
    let attributes = instance
        .state
        .and_then(|state| state_attributes(pickle, state, &kwargs, custom));
    args.extend(attributes.iter().flatten().map(|&(k, v)| keyword(k, v)));
    let call = Doc::call(value(instance.class), args, 0);
    match (instance.state, attributes) {
        (Some(state), None) => Doc::Concat(vec![
            call,
            Doc::text(".__setstate__("),
            value(state),
            Doc::text(")"),
        ]),
        _ => call,
    }
}

/// The key under which `instance`'s class (shipped by value) holds `function`.
fn method_name(
    prepared: &Prepared,
    pickle: &Pickle<'_>,
    function: Value,
    instance: Value,
) -> Option<String> {
    let Recognized::Instance(instance) = prepared.recognition.get(instance.node()?)? else {
        return None;
    };
    let class = prepared.recognition.class(instance.class.node()?)?;
    let function = function.node()?;
    let members = defs::namespace(pickle, class);
    let (key, _) = members.iter().find(|&&(_, v)| v.node() == Some(function))?;
    Some(key.to_string()).filter(|k| view::is_identifier(k))
}

fn partial_doc(pickle: &Pickle<'_>, partial: &PartialDef) -> Doc {
    let mut args = vec![value(partial.func)];
    args.extend(
        view::tuple_or_none(pickle, partial.args)
            .unwrap_or_default()
            .into_iter()
            .map(value),
    );
    let keywords = view::str_dict_or_none(pickle, partial.keywords).unwrap_or_default();
    if keywords.iter().all(|(k, _)| view::is_identifier(k)) {
        args.extend(keywords.iter().map(|&(k, v)| keyword(k, v)));
    } else {
        args.push(Doc::Concat(vec![Doc::text("**"), value(partial.keywords)]));
    }
    let call = Doc::call(name("functools.partial"), args, 0);
    if view::dict(pickle, partial.namespace).is_some_and(|d| !d.is_empty()) {
        return Doc::Concat(vec![
            call,
            Doc::text(".__dict__.update("),
            value(partial.namespace),
            Doc::text(")"),
        ]);
    }
    call
}

fn collection_doc(collection: &CollectionDef) -> Doc {
    let dict = |items: &[(Value, Value)]| {
        let entries = items
            .iter()
            .map(|&(k, v)| Doc::Concat(vec![value(k), Doc::text(": "), value(v)]))
            .collect();
        Doc::bracketed("{", entries, 0, "}")
    };
    match collection {
        CollectionDef::OrderedDict(items) => {
            let pairs = Doc::bracketed(
                "[",
                items.iter().map(|&(k, v)| pair(k, v)).collect(),
                0,
                "]",
            );
            Doc::call(name("collections.OrderedDict"), vec![pairs], 0)
        }
        CollectionDef::DefaultDict { factory, items } => Doc::call(
            name("collections.defaultdict"),
            vec![value(*factory), dict(items)],
            0,
        ),
        CollectionDef::Counter(counts) => {
            Doc::call(name("collections.Counter"), vec![value(*counts)], 0)
        }
        CollectionDef::Deque { items, maxlen } => {
            let mut args = vec![Doc::bracketed(
                "[",
                items.iter().map(|&v| value(v)).collect(),
                0,
                "]",
            )];
            if *maxlen != Value::None {
                args.push(keyword("maxlen", *maxlen));
            }
            Doc::call(name("collections.deque"), args, 0)
        }
    }
}
