//! How inert nodes print: the Python expression that would rebuild them, as a [`Doc`]
//! whose operands are graph values. Calls print as `module.name(args)`, instances as
//! `Class(args)` (`INST`, `OBJ`) or `Class.__new__(Class, args)` (`NEWOBJ`), and what
//! later opcodes did to the object as chained calls: `.__setstate__(state)`,
//! `.extend([…])`, `.update({…})`.

use super::doc::Doc;
use super::layout::Style;
use crate::graph::{Inert, InertKind, Mutation, Node, Pickle, Value};
use crate::opcode::Opcode;
use crate::text::scalar::dotted;

/// What an inert node's document needs to know besides the node.
pub(crate) struct Context<'p, 'a> {
    pub pickle: &'p Pickle<'a>,
    /// How often `show` writes each node (see `walker::show_counts`).
    pub counts: &'p [u8],
    pub max_items: usize,
}

impl Context<'_, '_> {
    /// The dotted name of a global that prints as its name alone (no mutations).
    pub fn plain_global(&self, value: Value) -> Option<String> {
        match self.pickle.get(value)? {
            Node::Inert(inert) if inert.mutations.is_empty() => {
                let (module, name) = self.pickle.global_name(value)?;
                Some(dotted(module, name))
            }
            _ => None,
        }
    }

    fn shared(&self, value: Value) -> bool {
        value.node().is_some_and(|id| self.counts[id.index()] > 1)
    }

    /// A callee: a global's name, or any other value in parentheses so that a label on
    /// it cannot be read as a label on the call.
    fn callee(&self, value: Value) -> Doc {
        match self.plain_global(value) {
            Some(name) => Doc::styled(name, Style::Name),
            None => Doc::Concat(vec![Doc::text("("), Doc::Value(value), Doc::text(")")]),
        }
    }

    /// The arguments of a call: a tuple's items (unless the tuple is shared, when
    /// splitting it would hide the sharing), else `*args`.
    fn args(&self, args: Value) -> (Vec<Doc>, usize) {
        match self.pickle.get(args) {
            Some(Node::Tuple(items)) if !self.shared(args) => self.values(items.iter()),
            _ => (vec![Doc::Concat(vec![Doc::text("*"), Doc::Value(args)])], 0),
        }
    }

    /// Docs of the first `max_items` values, and how many were left out.
    fn values(&self, values: impl ExactSizeIterator<Item = Value>) -> (Vec<Doc>, usize) {
        let len = values.len();
        let shown = len.min(self.max_items);
        (values.take(shown).map(Doc::Value).collect(), len - shown)
    }

    fn pairs(&self, pairs: &[(Value, Value)]) -> (Vec<Doc>, usize) {
        let shown = pairs.len().min(self.max_items);
        let docs = pairs[..shown]
            .iter()
            .map(|&(key, value)| {
                Doc::Concat(vec![Doc::Value(key), Doc::text(": "), Doc::Value(value)])
            })
            .collect();
        (docs, pairs.len() - shown)
    }

    /// The document of an inert node.
    pub fn inert_doc(&self, inert: &Inert) -> Doc {
        let mut parts = vec![self.head(&inert.kind)];
        for mutation in &inert.mutations {
            parts.push(self.mutation(mutation));
        }
        Doc::Concat(parts)
    }

    fn head(&self, kind: &InertKind) -> Doc {
        match kind {
            InertKind::Global { module, name, .. } => self.global(*module, *name),
            InertKind::Call { func, args } => {
                let (args, more) = self.args(*args);
                Doc::call(self.callee(*func), args, more)
            }
            InertKind::Instance {
                class,
                args,
                kwargs,
                opcode,
            } => self.instance(*class, *args, *kwargs, *opcode),
            InertKind::Persistent { pid } => Doc::call(
                Doc::styled("persistent_load", Style::Name),
                vec![Doc::Value(*pid)],
                0,
            ),
            InertKind::Extension { code } => {
                Doc::styled(format!("copyreg.extension({code})"), Style::Name)
            }
            InertKind::Buffer { index, readonly } => Doc::styled(
                format!(
                    "pickle.PickleBuffer({}){}",
                    // Said in place: without its buffer the object is only a placeholder.
                    match self.pickle.buffer(*index) {
                        Some(_) => format!("buffers[{index}]"),
                        None => format!("<out-of-band buffer {index}, not given>"),
                    },
                    if *readonly { ".toreadonly()" } else { "" }
                ),
                Style::Name,
            ),
            InertKind::ReadOnly { target } => Doc::Concat(vec![
                Doc::call(
                    Doc::styled("memoryview", Style::Name),
                    vec![Doc::Value(*target)],
                    0,
                ),
                Doc::text(".toreadonly()"),
            ]),
        }
    }

    /// A global whose module and name are strs prints as `module.name`; any other is
    /// the lookup spelled out.
    fn global(&self, module: Value, name: Value) -> Doc {
        let global = self.pickle.as_str(module).zip(self.pickle.as_str(name));
        match global {
            Some((module, name)) => {
                let (module, name) = crate::graph::compat::python3_name(module, name);
                Doc::styled(dotted(module, name), Style::Name)
            }
            None => Doc::Concat(vec![
                Doc::text("getattr("),
                Doc::call(
                    Doc::styled("__import__", Style::Name),
                    vec![Doc::Value(module)],
                    0,
                ),
                Doc::text(", "),
                Doc::Value(name),
                Doc::text(")"),
            ]),
        }
    }

    fn instance(&self, class: Value, args: Value, kwargs: Option<Value>, opcode: Opcode) -> Doc {
        let (mut docs, more) = self.args(args);
        if let Some(kwargs) = kwargs {
            docs.push(Doc::Concat(vec![Doc::text("**"), Doc::Value(kwargs)]));
        }
        if !matches!(opcode, Opcode::NewObj | Opcode::NewObjEx) {
            return Doc::call(self.callee(class), docs, more);
        }
        let class_again = match self.plain_global(class) {
            Some(name) => Doc::styled(name, Style::Name),
            None => Doc::Value(class),
        };
        docs.insert(0, class_again);
        Doc::call(
            Doc::Concat(vec![self.callee(class), Doc::text(".__new__")]),
            docs,
            more,
        )
    }

    fn mutation(&self, mutation: &Mutation) -> Doc {
        let (method, arg) = match mutation {
            Mutation::Build(state) => (".__setstate__", Doc::Value(*state)),
            Mutation::Append(items) => {
                let (docs, more) = self.values(items.iter().copied());
                (".extend", Doc::bracketed("[", docs, more, "]"))
            }
            Mutation::SetItems(pairs) => {
                let (docs, more) = self.pairs(pairs);
                (".update", Doc::bracketed("{", docs, more, "}"))
            }
            Mutation::AddItems(items) => {
                let (docs, more) = self.values(items.iter().copied());
                (".update", Doc::bracketed("{", docs, more, "}"))
            }
        };
        Doc::call(Doc::text(method), vec![arg], 0)
    }
}
