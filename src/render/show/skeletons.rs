//! The recognizers as a `show` hook: before the root, the skeletons of the classes and
//! functions the pickle ships by value (as [`crate::render::skeleton`] writes them); in the
//! objects, those classes and functions by name, instances as `Cls(args, key=value)`,
//! and the other recognized nodes in their short form; the effects that only fill the
//! definitions in are left out. `picklegraph show --raw` asks no recognizer.

use std::cell::RefCell;

use super::doc::Doc;
use super::inert::{leaf_doc, DocBuilder};
use super::layout::Style;
use super::Recognizer;
use crate::graph::{NodeId, Pickle, Value};
use crate::python::model::{InstanceDef, Recognized};
use crate::python::values::StdValue;
use crate::python::{view, Recognition};
use crate::render::inert::Chunk;
use crate::render::skeleton::expr::dotted;
use crate::render::skeleton::{comment_column, defs, forms, Options, Skeleton};
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

/// The summary lines (wrapped at the width by the walker, as every `# ` comment), the
/// globals and the definitions, each block after a blank line.
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
    // A builtin named by reference is written as Python writes it: `<class 'int'>`.
    if let Some(Recognized::Value(StdValue::Builtin(object))) = what {
        return Some(render_values::builtin_repr(*object));
    }
    if let Some(name) = prepared.skeleton.names.get(&target) {
        return Some(name.clone());
    }
    forms::leaf_text(pickle, what?)
}

fn value(value: Value) -> Doc {
    Doc::Value(value)
}

fn name(text: impl Into<String>) -> Doc {
    Doc::styled(text.into(), Style::Name)
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
    if let Recognized::Value(std_value) = what {
        return std_value_doc(pickle, std_value);
    }
    let chunks = forms::spell(pickle, what, &mut ShowClasses { prepared, pickle })?;
    let mut builder = DocBuilder::new();
    for chunk in chunks {
        if let Some(leaf) = builder.structure(chunk) {
            // A callee is named (`builtins.dict.fromkeys`), not written as its repr.
            builder.push(match leaf {
                Chunk::Callee(value, _) => match pickle.global_name(value) {
                    Some((module, global)) => name(crate::text::scalar::dotted(module, global)),
                    None => leaf_doc(leaf),
                },
                leaf => leaf_doc(leaf),
            });
        }
    }
    Some(builder.finish())
}

/// The classes shipped by value, as the short forms in `show` need them.
struct ShowClasses<'r, 'p, 'a> {
    prepared: &'r Prepared,
    pickle: &'p Pickle<'a>,
}

impl forms::Classes for ShowClasses<'_, '_, '_> {
    fn method_name(&mut self, function: Value, instance: Value) -> Option<String> {
        let Recognized::Instance(instance) = self.prepared.recognition.get(instance.node()?)?
        else {
            return None;
        };
        let class = self.prepared.recognition.class(instance.class.node()?)?;
        let function = function.node()?;
        let members = defs::namespace(self.pickle, class);
        let (key, _) = members.iter().find(|&&(_, v)| v.node() == Some(function))?;
        Some(key.to_string()).filter(|k| view::is_identifier(k))
    }

    fn custom_setstate(&mut self, instance: &InstanceDef) -> bool {
        instance
            .class
            .node()
            .and_then(|id| self.prepared.recognition.class(id))
            .is_some_and(|class| {
                defs::namespace(self.pickle, class)
                    .iter()
                    .any(|(k, _)| *k == "__setstate__")
            })
    }
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
        _ => {
            // Grouped at its brackets, so that a long repr breaks at its commas.
            let parts = render_values::parts(pickle, std_value, usize::MAX)?;
            match super::brackets::grouped(parts.clone()) {
                Some(doc) => doc,
                None => Doc::Concat(
                    parts
                        .into_iter()
                        .map(|part| match part {
                            Part::Text(text) => Doc::text(text),
                            Part::Child(child) => value(child),
                        })
                        .collect(),
                ),
            }
        }
    })
}
