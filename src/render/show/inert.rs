//! How inert nodes print in `show`: the spelling of [`crate::render::inert`] (the Python
//! expression that would rebuild the node) as a [`Doc`] whose operands are graph values,
//! each call's arguments a list that breaks over lines when it does not fit, at most
//! `max_items` of each shown. A callee that is no plain global is put in parentheses, so
//! that a label on it cannot be read as a label on the call.

use super::doc::Doc;
use super::layout::Style;
use crate::graph::{Inert, Node, Pickle, Value};
use crate::render::inert::{spell, Chunk, Open, Options};
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

    /// The document of an inert node, spelled by [`crate::render::inert`]: each call's
    /// arguments laid out as a bracketed list, `max_items` of each list shown.
    pub fn inert_doc(&self, inert: &Inert) -> Doc {
        let options = Options {
            max_items: self.max_items,
            whole_args: &|args| self.shared(args),
            missing_buffers: true,
            ..Options::default()
        };
        let mut calls = vec![Call::new(None)];
        spell(self.pickle, inert, &options, &mut |chunk| {
            let call = calls.last_mut().expect("the outermost sequence stays");
            match chunk {
                Chunk::Global(module, name) => call
                    .current
                    .push(Doc::styled(dotted(module, name), Style::Name)),
                Chunk::Name(name) => call.current.push(Doc::styled(name, Style::Name)),
                Chunk::Value(value) => call.current.push(Doc::Value(value)),
                Chunk::Callee(value, _) => call.current.push(self.callee(value)),
                Chunk::Class(value) => call.current.push(match self.plain_global(value) {
                    Some(name) => Doc::styled(name, Style::Name),
                    None => Doc::Value(value),
                }),
                Chunk::Open(open) => {
                    if !open.prefix().is_empty() {
                        call.current.push(Doc::text(open.prefix()));
                    }
                    match open {
                        Open::Persistent | Open::MemoryView | Open::Lookup => {
                            call.current.push(Doc::styled(open.callee(), Style::Name))
                        }
                        _ if !open.callee().is_empty() => {
                            call.current.push(Doc::text(open.callee()))
                        }
                        _ => {}
                    }
                    calls.push(Call::new(Some(open)));
                }
                Chunk::Close(close) => {
                    let doc = calls.pop().expect("a call to close").into_doc();
                    let outer = calls.last_mut().expect("the outermost sequence stays");
                    outer.current.push(doc);
                    if !close.after().is_empty() {
                        outer.current.push(Doc::text(close.after()));
                    }
                }
                Chunk::Comma => call.end_item(),
                Chunk::Kwargs => {
                    call.end_item();
                    call.current.push(Doc::text("**"));
                }
                Chunk::More(count) => call.more = count,
                punctuation => call
                    .current
                    .push(Doc::text(punctuation.punctuation().unwrap_or_default())),
            }
        });
        debug_assert_eq!(calls.len(), 1, "every call spelled is closed");
        Doc::Concat(calls.swap_remove(0).current)
    }
}

/// A call being read from the chunks of a spelling: its arguments so far.
struct Call {
    /// How it opened; `None` for the outermost sequence.
    open: Option<Open>,
    items: Vec<Doc>,
    /// The parts of the argument being read.
    current: Vec<Doc>,
    more: usize,
}

impl Call {
    fn new(open: Option<Open>) -> Call {
        Call {
            open,
            items: Vec::new(),
            current: Vec::new(),
            more: 0,
        }
    }

    fn end_item(&mut self) {
        let mut parts = std::mem::take(&mut self.current);
        match parts.len() {
            0 => {}
            1 => self.items.extend(parts.pop()),
            _ => self.items.push(Doc::Concat(parts)),
        }
    }

    /// The arguments in parentheses; a single one hugs them (`f({` … `})`).
    fn into_doc(mut self) -> Doc {
        self.end_item();
        if let Some((open, close)) = self.open.and_then(Open::brackets) {
            let list = Doc::bracketed(open, self.items, self.more, close);
            return Doc::Concat(vec![Doc::text("("), list, Doc::text(")")]);
        }
        Doc::call(Doc::Concat(Vec::new()), self.items, self.more)
    }
}
