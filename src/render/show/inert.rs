//! How inert nodes print in `show`: the spelling of [`crate::render::inert`] (the Python
//! expression that would rebuild the node) as a [`Doc`] whose operands are graph values,
//! each call's arguments a list that breaks over lines when it does not fit, at most
//! the first and last of each shown. A callee that is no plain global is put in parentheses, so
//! that a label on it cannot be read as a label on the call.

use super::doc::{more_items, Doc};
use super::layout::Style;
use crate::graph::{Inert, Node, Pickle, Value};
use crate::render::elision::ItemLimit;
use crate::render::inert::{spell, Callable, Chunk, Open, Options};
use crate::text::scalar::dotted;

/// What an inert node's document needs to know besides the node.
pub(crate) struct Context<'p, 'a> {
    pub pickle: &'p Pickle<'a>,
    /// How often `show` writes each node (see `walker::show_counts`).
    pub counts: &'p [u8],
    /// The items shown of each list of arguments.
    pub items: ItemLimit,
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

    /// Whether a value prints in brackets of its own: a container (a shared one as `&1 [`
    /// … or as the short `*1`).
    fn in_brackets(&self, value: Value) -> bool {
        matches!(
            self.pickle.get(value),
            Some(
                Node::List(_) | Node::Tuple(_) | Node::Dict(_) | Node::Set(_) | Node::FrozenSet(_)
            )
        )
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
    /// arguments laid out as a bracketed list, [`Context::items`] of each list shown.
    pub fn inert_doc(&self, inert: &Inert) -> Doc {
        let options = Options {
            items: self.items,
            whole_args: &|args| self.shared(args),
            missing_buffers: true,
            ..Options::default()
        };
        let mut builder = DocBuilder::new();
        spell(self.pickle, inert, &options, &mut |chunk| {
            let Some(leaf) = builder.structure(chunk) else {
                return;
            };
            builder.push(match leaf {
                Chunk::Callee(value, _) => self.callee(value),
                // In the expression that rebuilds a node, a global argument keeps its
                // name (`copyreg._reconstructor(C, builtins.object, None)`), where a
                // value would print as Python prints it (`<class 'object'>`).
                Chunk::Class(value) | Chunk::Value(value) => match self.plain_global(value) {
                    Some(name) => Doc::styled(name, Style::Name),
                    None if self.in_brackets(value) => {
                        return builder.push_bracketed(Doc::Value(value))
                    }
                    None => Doc::Value(value),
                },
                leaf => leaf_doc(leaf),
            })
        });
        builder.finish()
    }
}

/// The document of a chunk that holds a name or a value, as any spelling writes it; a
/// callee is its value.
pub(crate) fn leaf_doc(chunk: Chunk<'_>) -> Doc {
    match chunk {
        Chunk::Global(module, name) => Doc::styled(dotted(module, name), Style::Name),
        Chunk::Name(name) => Doc::styled(name, Style::Name),
        Chunk::Value(value) | Chunk::Callee(value, _) | Chunk::Class(value) => Doc::Value(value),
        punctuation => Doc::text(punctuation.punctuation().unwrap_or_default()),
    }
}

/// Builds a [`Doc`] from the chunks of a spelling: the calls and bracketed lists in them
/// become lists that break over lines, the rest is text and values in line.
pub(crate) struct DocBuilder {
    /// The calls and lists open, innermost last; the first is the whole sequence.
    open: Vec<List>,
}

impl DocBuilder {
    pub fn new() -> DocBuilder {
        DocBuilder {
            open: vec![List::new(Shape::Sequence)],
        }
    }

    /// Takes in a chunk that opens, separates or closes: gives back any other (a name, a
    /// value), for the caller to [`DocBuilder::push`] as it writes it.
    pub fn structure<'p>(&mut self, chunk: Chunk<'p>) -> Option<Chunk<'p>> {
        let list = self.open.last_mut().expect("the whole sequence stays open");
        match chunk {
            Chunk::Open(open) => {
                if !open.prefix().is_empty() {
                    list.current.push(Doc::text(open.prefix()));
                }
                match open {
                    Open::Persistent | Open::MemoryView | Open::Lookup => {
                        list.current.push(Doc::styled(open.callee(), Style::Name))
                    }
                    _ if !open.callee().is_empty() => list.current.push(Doc::text(open.callee())),
                    _ => {}
                }
                self.open.push(List::new(Shape::Call(open.brackets())));
            }
            Chunk::OpenNamed(name, callable) => {
                list.current.push(match callable {
                    Callable::Builtin | Callable::Library => Doc::styled(name, Style::Name),
                    Callable::View | Callable::Method => Doc::text(name),
                });
                self.open.push(List::new(Shape::Call(None)));
            }
            Chunk::OpenBrackets(open, close) => {
                self.open.push(List::new(Shape::Brackets(open, close)));
            }
            Chunk::Close(_) | Chunk::CloseBrackets(_) => {
                let closed = self.open.pop().expect("a list to close");
                let call = matches!(closed.shape, Shape::Call(_));
                let doc = closed.into_doc();
                let outer = self.open.last_mut().expect("the whole sequence stays open");
                outer.hugs &= !call;
                outer.current.push(doc);
                if let Chunk::Close(close) = chunk {
                    if !close.after().is_empty() {
                        outer.current.push(Doc::text(close.after()));
                    }
                }
            }
            Chunk::Comma => list.end_item(),
            Chunk::Kwargs => {
                list.end_item();
                list.current.push(Doc::text("**"));
            }
            Chunk::More(count) => {
                list.end_item();
                list.more = (list.items.len(), count);
            }
            Chunk::Keyword(key) => list.current.push(Doc::text(format!("{key}="))),
            leaf @ (Chunk::Global(..)
            | Chunk::Name(_)
            | Chunk::Value(_)
            | Chunk::Callee(..)
            | Chunk::Class(_)) => return Some(leaf),
            punctuation => list
                .current
                .push(Doc::text(punctuation.punctuation().unwrap_or_default())),
        }
        None
    }

    /// Writes the document of a name or a value where the spelling has reached: a call
    /// whose only argument it is does not hug it (see [`DocBuilder::push_bracketed`]).
    pub fn push(&mut self, doc: Doc) {
        let list = self.open.last_mut().expect("the whole sequence stays open");
        list.hugs = false;
        list.current.push(doc);
    }

    /// Writes a value that prints in brackets of its own (a list, a dict): a call whose
    /// only argument it is hugs it, `f({` … `})`. Any other argument, a name or a call,
    /// goes on a line of its own when the call does not fit, or a chain of calls hugging
    /// each other (`f(g(h(…)))`) would be one line however long.
    pub fn push_bracketed(&mut self, doc: Doc) {
        let list = self.open.last_mut().expect("the whole sequence stays open");
        list.current.push(doc);
    }

    /// The document, once every call and list spelled is closed.
    pub fn finish(mut self) -> Doc {
        debug_assert_eq!(self.open.len(), 1, "every call spelled is closed");
        Doc::Concat(self.open.swap_remove(0).current)
    }
}

/// What an open [`List`] is.
enum Shape {
    /// The whole spelling.
    Sequence,
    /// A call's arguments, in brackets inside the parentheses for `.extend([…])`.
    Call(Option<(&'static str, &'static str)>),
    /// A bracketed list inside a call: `[…]`, `{…}`.
    Brackets(&'static str, &'static str),
}

/// A call or list being read from the chunks of a spelling: its items so far.
struct List {
    shape: Shape,
    items: Vec<Doc>,
    /// The parts of the item being read.
    current: Vec<Doc>,
    /// Where items were left out, and how many.
    more: (usize, usize),
    /// Whether a single item would hug the call's parentheses: nothing in it but
    /// brackets (and a keyword).
    hugs: bool,
}

impl List {
    fn new(shape: Shape) -> List {
        List {
            shape,
            items: Vec::new(),
            current: Vec::new(),
            more: (0, 0),
            hugs: true,
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

    /// The items in their brackets; a call's single argument in brackets hugs its
    /// parentheses (`f({` … `})`).
    fn into_doc(mut self) -> Doc {
        if let Shape::Sequence = self.shape {
            return Doc::Concat(self.current);
        }
        self.end_item();
        // A count of items left out between shown ones is an item of its own; one at
        // the end is the list's last line.
        let (at, mut more) = self.more;
        if more > 0 && at < self.items.len() {
            self.items.insert(at, Doc::comment(more_items(more)));
            more = 0;
        }
        match self.shape {
            Shape::Call(Some((open, close))) => {
                let list = Doc::bracketed(open, self.items, more, close);
                Doc::Concat(vec![Doc::text("("), list, Doc::text(")")])
            }
            Shape::Brackets(open, close) => Doc::bracketed(open, self.items, more, close),
            Shape::Call(None) | Shape::Sequence if !self.hugs => {
                Doc::bracketed("(", self.items, more, ")")
            }
            Shape::Call(None) | Shape::Sequence => {
                Doc::call(Doc::Concat(Vec::new()), self.items, more)
            }
        }
    }
}
