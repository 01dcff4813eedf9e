//! The graph-to-document step of `show`: an iterator of layout tokens over a top-level
//! [`Doc`] whose values it prints, depth first, on a heap stack of frames, so nesting
//! depth costs no call stack.
//!
//! Each node that is written in more than one place is written once, under a label
//! (`&1 [...]`), and as `*1` everywhere after, cycles included; so the output is linear
//! in the size of the graph, whatever its sharing.

use std::collections::VecDeque;

use super::block::Blocks;
use super::doc::{more_items, Doc, Item};
use super::inert::Context;
use super::layout::{self, Block, Pen, Style, Token};
use super::leaf::{bigint_text, bytes_text, str_text};
use super::ShowOptions;
use crate::graph::{InertKind, Items, Mutation, Node, NodeId, Pickle, Value};
use crate::opcode::Opcode;
use crate::render::elision::{ItemLimit, Split};
use crate::text::quantity::thousands;
use std::borrow::Cow;

use crate::text::scalar::{escape_nonprintable, float_repr, write_int};

/// A node's state in the walk: not yet written, written without a label, or its label.
const UNSEEN: u32 = 0;
const WRITTEN: u32 = u32::MAX;

/// How often `show` writes each node when it starts from `starts`: once per reference
/// from the nodes it reaches, plus once per start, plus once more for the class of a
/// `NEWOBJ` instance that is not a plain global (it is written twice: `X.__new__(X)`).
/// A count above one earns the node a label. Counts stop at 255 (a byte a node: the
/// counts are only ever compared with 0 and 1). A node a recognizer writes as a name
/// ([`super::Recognizer::leaf`]) is not walked into: its parts are not written.
pub(crate) fn show_counts(pickle: &Pickle<'_>, options: &ShowOptions, starts: &[Value]) -> Vec<u8> {
    if starts.len() <= 1 && pickle.inert_count() == 0 && !pickle.arena.may_share() {
        // Plain data in which no container was pushed twice: each node is referenced
        // from one place at most, so none needs a label.
        return vec![1; pickle.nodes().len()];
    }
    let mut counts = vec![0u8; pickle.nodes().len()];
    // Only inert nodes print as names (see `Walker::enter_leaf`), and plain data has
    // none.
    let any_inert = pickle.inert_count() > 0;
    let is_name = |id: NodeId| {
        any_inert
            && matches!(pickle.node(id), Node::Inert(_))
            && options
                .recognizers
                .iter()
                .any(|r| r.leaf(pickle, id).is_some())
    };
    // A node is entered when it is first counted.
    let mut count = |id: NodeId| {
        let first = counts[id.index()] == 0;
        counts[id.index()] = counts[id.index()].saturating_add(1);
        first
    };
    // A container's items are read straight from its slots; an inert node's children
    // through `Node::child`, which walks its operands and mutations.
    let frame = |id: NodeId| (id, pickle.node(id).items(), 0);
    let mut frames: Vec<(NodeId, Option<Items<'_>>, usize)> = Vec::new();
    for start in starts {
        let Some(id) = start.node() else { continue };
        if !count(id) || is_name(id) {
            continue;
        }
        frames.push(frame(id));
        while let Some((node, items, next)) = frames.last_mut() {
            let child = match items {
                Some(items) => items.get(*next),
                None => pickle.node(*node).child(*next),
            };
            let Some(child) = child else {
                frames.pop();
                continue;
            };
            *next += 1;
            let Some(child) = child.node() else { continue };
            if count(child) && !is_name(child) {
                frames.push(frame(child));
            }
        }
    }
    if !any_inert {
        return counts;
    }
    let context = Context {
        pickle,
        counts: &[],
        items: ItemLimit::at_most(0),
    };
    for (index, node) in pickle.nodes().enumerate() {
        let Node::Inert(inert) = node else { continue };
        let InertKind::Instance { class, opcode, .. } = inert.kind else {
            continue;
        };
        let written_twice = matches!(opcode, Opcode::NewObj | Opcode::NewObjEx)
            && context.plain_global(class).is_none();
        if let (true, Some(class)) = (counts[index] > 0 && written_twice, class.node()) {
            counts[class.index()] = counts[class.index()].saturating_add(1);
        }
    }
    counts
}

enum Source<'p> {
    /// A list, tuple, set, frozenset or dict, its tokens computed from a step number so
    /// that a frame costs a few words however long the container.
    Native {
        node: Node<'p>,
        step: usize,
        /// The items shown.
        split: Split,
        /// The items left out are siblings of the first one's shape ([`Walker::folds`]).
        folded: bool,
    },
    /// A flattened document (an inert node, a recognized node, the top level).
    Items(std::vec::IntoIter<Item>),
}

struct Frame<'p> {
    source: Source<'p>,
    /// Nesting of the values this frame writes (the top level's values are at depth 1).
    depth: usize,
}

/// The token stream of a document over a pickle's graph.
pub(crate) struct Walker<'p, 'a> {
    pickle: &'p Pickle<'a>,
    options: &'p ShowOptions,
    counts: Vec<u8>,
    state: Vec<u32>,
    next_label: u32,
    frames: Vec<Frame<'p>>,
    pending: VecDeque<Token>,
    blocks: Blocks<'p, 'a>,
    /// Whether plain containers go out as blocks (off only to test blocks against tokens).
    use_blocks: bool,
}

impl<'p, 'a> Walker<'p, 'a> {
    /// A walker over `top`, whose values are the `starts` the counts were made from;
    /// with `use_blocks`, plain containers go to the printer as [`Token::Block`]s.
    pub fn new(
        pickle: &'p Pickle<'a>,
        options: &'p ShowOptions,
        top: Doc,
        counts: Vec<u8>,
        use_blocks: bool,
    ) -> Walker<'p, 'a> {
        Walker {
            pickle,
            options,
            state: vec![UNSEEN; counts.len()],
            counts,
            next_label: 1,
            frames: vec![Frame {
                source: Source::Items(wrap_comments(top.flatten(), options).into_iter()),
                depth: 0,
            }],
            pending: VecDeque::new(),
            blocks: Blocks::new(pickle, options),
            use_blocks,
        }
    }

    fn text(&mut self, text: impl Into<std::borrow::Cow<'static, str>>, style: Style) {
        self.pending.push_back(Token::Text(text.into(), style));
    }

    /// Starts writing `value` at nesting `depth`: scalars and leaves at once, a node as a
    /// new frame (or as `*N` when it was written before).
    fn enter(&mut self, value: Value, depth: usize) {
        let id = match value {
            Value::None => return self.text("None", Style::Constant),
            Value::Bool(true) => return self.text("True", Style::Constant),
            Value::Bool(false) => return self.text("False", Style::Constant),
            Value::Int(v) => {
                let mut text = String::with_capacity(20);
                write_int(&mut text, v);
                return self.text(text, Style::Number);
            }
            Value::Float(v) => return self.text(float_repr(v), Style::Number),
            Value::Node(id) => id,
        };
        if self.enter_leaf(id) {
            return;
        }
        match self.state[id.index()] {
            UNSEEN | WRITTEN => {}
            label => return self.text(format!("*{label}"), Style::Label),
        }
        if depth > self.options.max_depth {
            // A bytearray is a leaf with an identity: written out at any depth, as
            // bytes are (it has no items to count).
            let node = self.pickle.node(id);
            if !matches!(node, Node::ByteArray(_)) {
                let elided = elided(&self.context(), &node);
                return self.text(elided, Style::Comment);
            }
        }
        if self.counts[id.index()] > 1 {
            let label = self.next_label;
            self.next_label += 1;
            self.state[id.index()] = label;
            self.text(format!("&{label} "), Style::Label);
        } else {
            self.state[id.index()] = WRITTEN;
        }
        self.enter_node(id, depth);
    }

    /// Writes a node that has no children to print and no identity worth a label: str,
    /// bytes, big ints, empty tuples and frozensets, and globals named by strs.
    fn enter_leaf(&mut self, id: NodeId) -> bool {
        let max = self.options.max_string;
        let (text, style) = match self.pickle.node(id) {
            Node::Str(text) => (str_text(&text, max), Style::Str),
            Node::Bytes(bytes) => {
                let mut text = bytes_text(bytes, max);
                if let Some(mark) = self.pickle.undecodable(id) {
                    text.push_str(&super::leaf::undecoded_note(mark));
                }
                (text, Style::Str)
            }
            Node::BigInt(value) => (bigint_text(value, max), Style::Number),
            Node::Tuple(items) if items.is_empty() => ("()".to_string(), Style::Plain),
            Node::FrozenSet(items) if items.is_empty() => ("frozenset()".to_string(), Style::Plain),
            Node::Inert(_) => {
                let pickle = self.pickle;
                let recognized = self
                    .options
                    .recognizers
                    .iter()
                    .find_map(|r| r.leaf(pickle, id));
                match recognized.or_else(|| self.context().plain_global(Value::Node(id))) {
                    // A recognizer's name may come from the pickle: escaped, so that a
                    // line break in it cannot break the layout or reach a terminal.
                    Some(name) => match escape_nonprintable(&name) {
                        Cow::Borrowed(_) => (name, Style::Name),
                        Cow::Owned(escaped) => (escaped, Style::Name),
                    },
                    None => return false,
                }
            }
            _ => return false,
        };
        self.text(text, style);
        true
    }

    fn context(&self) -> Context<'_, 'a> {
        Context {
            pickle: self.pickle,
            counts: &self.counts,
            items: self.options.items,
        }
    }

    fn enter_node(&mut self, id: NodeId, depth: usize) {
        if self.use_blocks {
            if let Some(block) = self.blocks.block(id, depth, &self.counts) {
                return self.pending.push_back(Token::Block(block));
            }
        }
        let pickle = self.pickle;
        for recognizer in &self.options.recognizers {
            if let Some(doc) = recognizer.recognize(pickle, id) {
                return self.push_doc(doc, depth);
            }
        }
        match pickle.node(id) {
            Node::ByteArray(bytes) => {
                let text = format!("bytearray({})", bytes_text(bytes, self.options.max_string));
                self.text(text, Style::Str);
            }
            Node::Inert(inert) => {
                let doc = self.context().inert_doc(inert);
                self.push_doc(doc, depth);
            }
            node if node.child_count() == 0 => self.text(empty(&node), Style::Plain),
            node => {
                let len = delimiters(&node).2;
                let (split, folded) = match self.folds(&node) {
                    true => (Split::first(len, 1), true),
                    false => (self.options.items.split(len), false),
                };
                self.frames.push(Frame {
                    source: Source::Native {
                        node,
                        step: 0,
                        split,
                        folded,
                    },
                    depth,
                })
            }
        }
    }

    /// Whether a list or tuple is shown as its first item and a count of the rest: with
    /// [`ShowOptions::fold`], when it holds at least [`FOLD_AT`] objects of one shape
    /// (the 100 trees of a random forest), which would otherwise fill screens alike.
    fn folds(&self, node: &Node<'_>) -> bool {
        let (Node::List(items) | Node::Tuple(items)) = node else {
            return false;
        };
        if !self.options.fold || items.len() < FOLD_AT || self.options.items.shown < 2 {
            return false;
        }
        let mut items = items.iter();
        let Some(first) = items.next().and_then(|v| shape(self.pickle, v)) else {
            return false;
        };
        items.all(|item| shape(self.pickle, item).as_ref() == Some(&first))
    }

    fn push_doc(&mut self, doc: Doc, depth: usize) {
        self.frames.push(Frame {
            source: Source::Items(wrap_comments(doc.flatten(), self.options).into_iter()),
            depth,
        });
    }
}

impl Iterator for Walker<'_, '_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        loop {
            if let Some(token) = self.pending.pop_front() {
                return Some(token);
            }
            let frame = self.frames.last_mut()?;
            let depth = frame.depth;
            let item = match &mut frame.source {
                Source::Items(items) => items.next(),
                Source::Native {
                    node,
                    step,
                    split,
                    folded,
                } => {
                    *step += 1;
                    native_item(self.pickle, node, *step - 1, split, *folded)
                }
            };
            match item {
                Some(Item::Token(token)) => return Some(token),
                Some(Item::Value(value)) => self.enter(value, depth + 1),
                None => {
                    self.frames.pop();
                }
            }
        }
    }
}

impl layout::Source for Walker<'_, '_> {
    fn block_width(&mut self, block: Block, room: usize) -> Option<usize> {
        let width = self
            .blocks
            .measure(NodeId::from_index(block.key), block.depth);
        (width <= room).then_some(width)
    }

    fn block_head(&mut self, block: Block) -> usize {
        self.blocks.head(NodeId::from_index(block.key))
    }

    fn write_block<W: std::io::Write>(
        &mut self,
        block: Block,
        flat: bool,
        pen: &mut Pen<W>,
    ) -> std::io::Result<()> {
        self.blocks.write(block, flat, pen)
    }
}

/// The items of a container with at least one item, by step: `[`, then per item shown a
/// break, the item (a dict's key, `: `, value) and a comma, with a break, the count of the
/// items left out and a comma where they were, then `]`.
fn native_item(
    pickle: &Pickle<'_>,
    node: &Node<'_>,
    step: usize,
    split: &Split,
    folded: bool,
) -> Option<Item> {
    let (open, close, len) = delimiters(node);
    let per_entry = if matches!(node, Node::Dict(_)) { 5 } else { 3 };
    let more = split.more();
    // Steps: 3 to open, the head's entries, the count (with a comma when the tail
    // follows), the tail's entries, 4 to close.
    let head_end = 3 + split.head * per_entry;
    let count_end = head_end
        + match (more, split.tail) {
            (0, _) => 0,
            (_, 0) => 2,
            _ => 3,
        };
    let entries_end = count_end + split.tail * per_entry;
    let entry = |shown: usize, part: usize| {
        let index = split.index(shown);
        let comma = index + 1 < len || matches!(node, Node::Tuple(_)) && len == 1;
        Some(entry_item(node, shown, index, part, comma))
    };
    let token = match step {
        0 if fills(pickle, node) => Token::BeginFill,
        0 => Token::Begin,
        1 => Token::text(open),
        2 => Token::Indent,
        _ if step < head_end => return entry((step - 3) / per_entry, (step - 3) % per_entry),
        _ if step < count_end => match step - head_end {
            0 => break_before(split.head),
            1 if folded => Token::Text(
                format!("… {} more of the same shape", thousands(more as u64)).into(),
                Style::Comment,
            ),
            1 => Token::Text(more_items(more).into(), Style::Comment),
            _ => Token::text(","),
        },
        _ if step < entries_end => {
            let offset = step - count_end;
            return entry(split.head + offset / per_entry, offset % per_entry);
        }
        _ => match step - entries_end {
            0 => Token::Dedent,
            1 => Token::SoftLine,
            2 => Token::text(close),
            3 => Token::End,
            _ => return None,
        },
    };
    Some(Item::Token(token))
}

/// A document's items with each `# …` comment wider than the line cut into lines
/// ([`super::doc::wrap_comment`]): a recognizer's footer (`# 521 parameters …: conv1d 8,
/// …`) fits the width as the summary lines do. A comment after code on its line (`<lambda>
/// = lambda x: ...  # closure …`) that would pass the width goes on lines of its own
/// above the code, at the code's indentation, as Python comments go.
fn wrap_comments(items: Vec<Item>, options: &ShowOptions) -> Vec<Item> {
    use super::layout::text_width;
    let width = options.layout.width;
    let trailing = |text: &str| text.starts_with(' ') && text.trim_start().starts_with("# ");
    let wide = |item: &Item| {
        matches!(item, Item::Token(Token::Text(text, Style::Comment))
            if (text.starts_with("# ") && text_width(text) > width) || trailing(text))
    };
    if !items.iter().any(wide) {
        return items;
    }
    let comment_lines = |text: &str, indent: usize| -> Vec<Item> {
        let mut lines = Vec::new();
        for (i, line) in super::doc::wrap_comment(text, width.saturating_sub(indent))
            .into_iter()
            .enumerate()
        {
            if i > 0 {
                lines.push(Item::Token(Token::HardLine));
            }
            if indent > 0 {
                lines.push(Item::Token(Token::text(" ".repeat(indent))));
            }
            lines.push(Item::Token(Token::Text(line.into(), Style::Comment)));
        }
        lines
    };
    let mut out = Vec::with_capacity(items.len() + 8);
    // Where the current line starts in `out`, and its columns when only texts are on it.
    let mut line_start = 0;
    let mut column = Some(0);
    for item in items {
        match item {
            Item::Token(Token::Text(text, Style::Comment))
                if text.starts_with("# ") && text_width(&text) > width =>
            {
                out.extend(comment_lines(&text, 0));
                column = None;
            }
            Item::Token(Token::Text(text, Style::Comment))
                if trailing(&text)
                    && column.is_some_and(|column| column + text_width(&text) > width) =>
            {
                let indent = match out.get(line_start) {
                    Some(Item::Token(Token::Text(code, _))) => code.len() - code.trim_start().len(),
                    _ => 0,
                };
                let mut above = comment_lines(text.trim_start(), indent);
                above.push(Item::Token(Token::HardLine));
                out.splice(line_start..line_start, above);
            }
            Item::Token(Token::HardLine) => {
                out.push(item);
                line_start = out.len();
                column = Some(0);
            }
            Item::Token(Token::Text(ref text, _)) => {
                column = column.map(|column| column + text_width(text));
                out.push(item);
            }
            item => {
                column = None;
                out.push(item);
            }
        }
    }
    out
}

/// The fewest objects of one shape in a list that [`Walker::folds`] folds.
const FOLD_AT: usize = 4;

/// An object's shape: the global that builds it, and the names of the attributes its
/// `BUILD` state sets (a dict's str keys, or a `(dict, slots)` pair's). Two fitted trees
/// of a forest share it, whatever their values. `None` for anything but such an object,
/// and for one that `BUILD` gives no named attribute.
fn shape<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<((&'p str, &'p str), Vec<&'p str>)> {
    let Node::Inert(inert) = pickle.get(value)? else {
        return None;
    };
    let callee = match inert.kind {
        InertKind::Instance { class, .. } => class,
        InertKind::Call { func, .. } => func,
        _ => return None,
    };
    let name = pickle.global_name(callee)?;
    let mut keys = Vec::new();
    for mutation in &inert.mutations {
        if let Mutation::Build(state) = mutation {
            let state = match pickle.get(*state) {
                Some(Node::Tuple(pair)) if pair.len() == 2 => pair.get(0)?,
                _ => *state,
            };
            if let Some(Node::Dict(entries)) = pickle.get(state) {
                keys.extend(entries.iter().filter_map(|(key, _)| pickle.as_str(key)));
            }
        }
    }
    // Without attributes set by BUILD, the callee's arguments tell objects apart (numpy
    // scalars of four dtypes share `scalar`): not a shape to fold.
    (!keys.is_empty()).then_some((name, keys))
}

/// Longest str or bytes payload that still counts as a short item for [`fills`].
const SHORT_LEAF: usize = 16;

/// Whether a list, tuple or set holds only short items (numbers, bools, None, short str
/// and bytes, ints up to 128 bits): such items are alike, so when they do not fit on one line they fill
/// lines rather than take one each.
pub(super) fn fills(pickle: &Pickle<'_>, node: &Node<'_>) -> bool {
    let short = |item: Value| match item.node().map(|id| pickle.node(id)) {
        None => true,
        Some(Node::Str(text)) => text.as_bytes().len() <= SHORT_LEAF,
        Some(Node::Bytes(bytes)) => bytes.len() <= SHORT_LEAF,
        Some(Node::BigInt(value)) => value.bits() <= 128,
        Some(_) => false,
    };
    match node {
        Node::List(items) | Node::Tuple(items) | Node::Set(items) | Node::FrozenSet(items) => {
            items.iter().all(short)
        }
        _ => false,
    }
}

fn break_before(index: usize) -> Token {
    if index == 0 {
        Token::SoftLine
    } else {
        Token::Line
    }
}

/// Part `part` of the entry shown `shown`-th, at `index` in the container: break, item,
/// comma (or break, key, `: `, value, comma).
fn entry_item(node: &Node<'_>, shown: usize, index: usize, part: usize, comma: bool) -> Item {
    let last = |comma: bool| {
        Item::Token(if comma {
            Token::text(",")
        } else {
            Token::IfBreak(",")
        })
    };
    match node {
        Node::Dict(entries) => match part {
            0 => Item::Token(break_before(shown)),
            1 => Item::Value(entries.get(index).map_or(Value::None, |entry| entry.0)),
            2 => Item::Token(Token::text(": ")),
            3 => Item::Value(entries.get(index).map_or(Value::None, |entry| entry.1)),
            _ => last(comma),
        },
        _ => match part {
            0 => Item::Token(break_before(shown)),
            1 => Item::Value(node.child(index).unwrap_or(Value::None)),
            _ => last(comma),
        },
    }
}

pub(super) fn delimiters(node: &Node<'_>) -> (&'static str, &'static str, usize) {
    match node {
        Node::List(items) => ("[", "]", items.len()),
        Node::Tuple(items) => ("(", ")", items.len()),
        Node::Set(items) => ("{", "}", items.len()),
        Node::FrozenSet(items) => ("frozenset({", "})", items.len()),
        Node::Dict(entries) => ("{", "}", entries.len()),
        _ => ("", "", 0),
    }
}

/// An empty container.
pub(super) fn empty(node: &Node<'_>) -> &'static str {
    match node {
        Node::List(_) => "[]",
        Node::Tuple(_) => "()",
        Node::Set(_) => "set()",
        Node::FrozenSet(_) => "frozenset()",
        _ => "{}",
    }
}

/// A node below the depth limit: its brackets and how many items it holds, or for an
/// inert node its callee or class when that is a global (`collections.OrderedDict(…)`).
pub(super) fn elided(context: &Context<'_, '_>, node: &Node<'_>) -> String {
    let (open, close, len) = delimiters(node);
    match node {
        Node::Inert(inert) => match inert.kind {
            InertKind::Call { func, .. } => {
                context.plain_global(func).map(|name| format!("{name}(…)"))
            }
            InertKind::Instance { class, opcode, .. } => {
                context.plain_global(class).map(|name| match opcode {
                    Opcode::NewObj | Opcode::NewObjEx => format!("{name}.__new__(…)"),
                    _ => format!("{name}(…)"),
                })
            }
            _ => None,
        }
        .unwrap_or_else(|| "…".to_string()),
        _ if len == 0 => empty(node).to_string(),
        _ => format!(
            "{open}… {} item{}{close}",
            crate::text::quantity::thousands(len as u64),
            if len == 1 { "" } else { "s" }
        ),
    }
}
