//! Plain data laid out straight from the graph, without tokens.
//!
//! A container is *plain* when it and every container under it is a list, tuple, set,
//! frozenset or dict that `show` writes in one place only (so none needs a label), that no
//! recognizer claims, and whose other items are scalars, str, bytes and big ints. Records,
//! columns of numbers, JSON-like trees: most of what `show` prints is plain. The walker
//! hands each plain container to the printer as one [`Token::Block`]; this module measures
//! it (a width memoized per node, capped just past the line width) and writes it, flat or
//! broken, deciding each inner group as the printer decides a group from its tokens. So
//! the text is the same byte for byte, and an item costs its text and little more.
//!
//! [`Token::Block`]: super::layout::Token::Block

use std::io::{self, Write};

use super::doc::more_items;
use super::inert::Context;
use super::layout::{text_width, Block, Pen, Style};
use super::leaf::{bigint_text, str_text};
use super::walker::{delimiters, elided, empty, fills};
use super::ShowOptions;
use crate::graph::{Items, Node, NodeId, Pickle, Slot, Value};
use crate::render::elision::{ItemLimit, Split};
use crate::text::scalar::{write_bytes_repr, write_float_repr, StrReprs};

/// What is known of a node's plainness: nothing yet, being checked, plain, or not.
const UNKNOWN: u8 = 0;
const CHECKING: u8 = 1;
const PLAIN: u8 = 2;
const MIXED: u8 = 3;

/// The flat widths measured, by node: each kept one up (0 is not measured, so that the
/// memo starts as zeroed memory, which the system maps lazily) with the depth it was
/// measured at. Two halves of a `u32` when the line width and the depth limit fit in
/// them, as they always do but for options asking otherwise: the memo is written all
/// over as records are measured, and fresh memory costs a page fault per 4 KiB.
enum Widths {
    Narrow(Vec<u32>),
    Wide(Vec<(u32, u32)>),
}

impl Widths {
    fn new(nodes: usize, cap: usize, max_depth: usize) -> Widths {
        match cap < 0xffff && max_depth < 0xfff0 {
            true => Widths::Narrow(vec![0; nodes]),
            false => Widths::Wide(vec![(0, 0); nodes]),
        }
    }

    /// The width of node `index` if it was measured at `depth`.
    #[inline]
    fn get(&self, index: usize, depth: usize) -> Option<usize> {
        let (width, at) = match self {
            Widths::Narrow(widths) => {
                let packed = widths[index];
                (packed & 0xffff, packed >> 16)
            }
            Widths::Wide(widths) => widths[index],
        };
        (width != 0 && at as usize == depth).then(|| width as usize - 1)
    }

    /// Notes `width` (at most the cap) for node `index` measured at `depth`.
    #[inline]
    fn set(&mut self, index: usize, depth: usize, width: usize) {
        match self {
            Widths::Narrow(widths) => widths[index] = (depth as u32) << 16 | (width as u32 + 1),
            Widths::Wide(widths) => widths[index] = (width as u32 + 1, depth as u32),
        }
    }
}
/// Entries of the cache of float texts (a power of two).
const FLOAT_CACHE: usize = 64;

/// How a container is laid out: on one line, one item per line, or filling lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Flat,
    Broken,
    Fill,
}

/// What a value prints as inside a block: a text (left in [`Blocks::text`]), or a
/// container with items to lay out.
enum Piece {
    Text(Style),
    Container(NodeId),
}

/// What an item prints as, found once for both measuring and writing: a text (from a
/// cache, or [`Blocks::text`]) with its width, an int (written straight into the pen), or
/// a container with items to lay out.
enum Item<'t> {
    Text(&'t str, usize, Style),
    Int(i64),
    Container(NodeId),
}

/// A container being measured: its slots shown from `next` to `end`, and the width so
/// far.
struct Measuring<'p> {
    id: NodeId,
    items: Items<'p>,
    depth: usize,
    next: usize,
    end: usize,
    slots: Slots,
    total: usize,
}

/// Where the slots shown of a container are: the first `head` of them, then, past
/// `skip` slots left out, the rest (a dict's entries are two slots each).
#[derive(Debug, Clone, Copy)]
struct Slots {
    head: usize,
    skip: usize,
}

impl Slots {
    fn of(split: &Split, dict: bool) -> Slots {
        let per = if dict { 2 } else { 1 };
        Slots {
            head: split.head * per,
            skip: split.more() * per,
        }
    }

    /// The slot of the container that shown slot `slot` is.
    #[inline(always)]
    fn real(self, slot: usize) -> usize {
        if slot < self.head {
            slot
        } else {
            slot + self.skip
        }
    }
}

/// A container being written. Its state is the next slot alone: a dict's keys are the
/// even slots, so what comes before a slot (a break, or a key's `: `) and after it (a
/// comma, or nothing after a key) follows from the slot.
struct Writing<'p> {
    items: Items<'p>,
    /// The depth of the items.
    depth: usize,
    mode: Mode,
    close: &'static str,
    len: usize,
    split: Split,
    slots: Slots,
    dict: bool,
    /// Whether every item takes a comma after it: in a broken container, and in a
    /// one-item tuple.
    comma_always: bool,
    /// The slots shown: every item, or every key and value, of those
    /// [`ShowOptions::items`] shows.
    end: usize,
    /// The next shown slot to write.
    next: usize,
}

impl Writing<'_> {
    /// Whether `slot` is a dict's key.
    fn is_key(&self, slot: usize) -> bool {
        self.dict && slot % 2 == 0
    }

    /// The place among the items shown of the item (entry) shown slot `slot` belongs to.
    fn index(&self, slot: usize) -> usize {
        if self.dict {
            slot / 2
        } else {
            slot
        }
    }

    /// The place in the container of the item (entry) shown slot `slot` belongs to.
    fn real_index(&self, slot: usize) -> usize {
        self.index(self.slots.real(slot))
    }

    /// Writes the comma after item `index`: between items, after a one-item tuple's
    /// item, and after every item of a broken container.
    #[inline(always)]
    fn comma<W: Write>(&self, index: usize, pen: &mut Pen<W>) -> io::Result<()> {
        if self.comma_always || index + 1 < self.len {
            pen.punct(",")?;
        }
        Ok(())
    }

    /// Writes what comes before `slot`: `: ` before a value, else the break before the
    /// item. In a filling container the item's width decides the break; a container
    /// (`width` is `None`) starts a line.
    #[inline(always)]
    fn before<W: Write>(
        &self,
        slot: usize,
        width: Option<usize>,
        pen: &mut Pen<W>,
    ) -> io::Result<()> {
        if self.dict && slot % 2 == 1 {
            return pen.punct(": ");
        }
        let index = self.index(slot);
        match self.mode {
            Mode::Flat if index == 0 => Ok(()),
            Mode::Flat => pen.punct(" "),
            Mode::Broken => pen.newline(),
            Mode::Fill => match width {
                Some(width) if index > 0 && fits(pen, width + 1) => pen.punct(" "),
                _ => pen.newline(),
            },
        }
    }
}

/// The plain containers of one `show`: which nodes are plain, their measured widths,
/// and how to write them.
pub(crate) struct Blocks<'p, 'a> {
    pickle: &'p Pickle<'a>,
    options: &'p ShowOptions,
    plain: Vec<u8>,
    /// Flat width of each container measured (capped at `cap`) and the depth it was
    /// measured at.
    widths: Widths,
    /// One past the line width: any width from here on is too wide to matter.
    cap: usize,
    /// The text of the last [`Piece::Text`].
    text: String,
    /// The stack of [`Blocks::measure`], kept between calls.
    measuring: Vec<Measuring<'p>>,
    /// The stack of [`Blocks::write`], kept between calls.
    writing: Vec<Writing<'p>>,
    /// The texts of recent floats: a broken container's floats are formatted to measure
    /// it, then again to write it, and formatting is the dearest part of a record.
    floats: Vec<(u64, String)>,
    /// The reprs of recent strs, with their widths.
    strs: StrReprs<usize>,
    /// The recognizers that may claim a container, by index.
    claiming: Vec<usize>,
    /// Whether every container is plain, found on the first question: in plain data
    /// (no inert node, no bytearray) where no recognizer claims containers and no node
    /// is referenced twice, nothing can make a container anything else.
    all_plain: Option<bool>,
}

impl<'p, 'a> Blocks<'p, 'a> {
    pub fn new(pickle: &'p Pickle<'a>, options: &'p ShowOptions) -> Blocks<'p, 'a> {
        let nodes = pickle.node_count();
        // Kept below u32::MAX, so that a width and one fit the memo.
        let cap = options.layout.width.saturating_add(1).min(1 << 31);
        Blocks {
            pickle,
            options,
            plain: vec![UNKNOWN; nodes],
            widths: Widths::new(nodes, cap, options.max_depth),
            cap,
            text: String::new(),
            measuring: Vec::new(),
            writing: Vec::new(),
            floats: vec![(u64::MAX, String::new()); FLOAT_CACHE],
            strs: StrReprs::new(),
            claiming: (options.recognizers.iter().enumerate())
                .filter(|(_, r)| r.claims_containers(pickle))
                .map(|(index, _)| index)
                .collect(),
            all_plain: None,
        }
    }

    /// The block for node `id` at `depth` when it is a plain container with items.
    pub fn block(&mut self, id: NodeId, depth: usize, counts: &[u8]) -> Option<Block> {
        let plain = self.is_plain(id, counts) && self.pickle.node(id).child_count() > 0;
        plain.then_some(Block {
            key: id.index(),
            depth,
        })
    }

    /// Whether the node is plain (see the module's doc). Each node is explored once: a
    /// memo holds the answer, and a node met again while its own check runs (a cycle the
    /// counts did not see) is not plain.
    fn is_plain(&mut self, id: NodeId, counts: &[u8]) -> bool {
        let pickle = self.pickle;
        let all_plain = *self.all_plain.get_or_insert_with(|| {
            // A cycle needs a node referenced twice, so there is none to meet either.
            self.claiming.is_empty()
                && pickle.inert_count() == 0
                && !pickle.arena.has_bytearray()
                && counts.iter().all(|&count| count <= 1)
        });
        if all_plain {
            return pickle.node(id).items().is_some();
        }
        match self.plain[id.index()] {
            PLAIN => return true,
            UNKNOWN => {}
            _ => return false,
        }
        if !self.plain_itself(id, counts) {
            self.plain[id.index()] = MIXED;
            return false;
        }
        self.plain[id.index()] = CHECKING;
        let mut stack: Vec<(NodeId, Items<'p>, usize)> =
            vec![(id, self.pickle.node(id).items().unwrap_or_default(), 0)];
        while let Some((node, slots, next)) = stack.last_mut() {
            let Some(child) = slots.get(*next) else {
                self.plain[node.index()] = PLAIN;
                stack.pop();
                continue;
            };
            *next += 1;
            let Some(child) = child.node() else { continue };
            let node = self.pickle.node(child);
            if is_leaf(&node) {
                continue;
            }
            let plain = match self.plain[child.index()] {
                PLAIN => continue,
                UNKNOWN => self.plain_itself(child, counts),
                _ => false,
            };
            if !plain {
                self.plain[child.index()] = MIXED;
                for (node, _, _) in stack {
                    self.plain[node.index()] = MIXED;
                }
                return false;
            }
            self.plain[child.index()] = CHECKING;
            stack.push((child, node.items().unwrap_or_default(), 0));
        }
        true
    }

    /// Whether the node, not looking at its items, may be part of a block.
    fn plain_itself(&self, id: NodeId, counts: &[u8]) -> bool {
        self.pickle.node(id).items().is_some()
            && counts.get(id.index()).is_some_and(|&count| count <= 1)
            && self.claiming.iter().all(|&r| {
                self.options.recognizers[r]
                    .recognize(self.pickle, id)
                    .is_none()
            })
    }

    /// What node `id`, at `depth`, prints as when [`Blocks::item`] has not settled it
    /// (a str longer than `max_string`, bytes, a big int, an empty or elided container,
    /// an inert node); a text is left in
    /// `self.text`. As the walker writes it: leaves whatever the depth, then containers
    /// elided below the depth limit, then empty ones.
    fn piece(&mut self, id: NodeId, depth: usize) -> Piece {
        self.text.clear();
        let max = self.options.max_string;
        let node = self.pickle.node(id);
        match &node {
            Node::Str(text) => {
                self.text.push_str(&str_text(text, max));
                return Piece::Text(Style::Str);
            }
            Node::Bytes(bytes) => {
                if bytes.len() <= max {
                    write_bytes_repr(&mut self.text, bytes);
                } else {
                    self.text.push_str(&super::leaf::bytes_text(bytes, max));
                }
                if let Some(mark) = self.pickle.undecodable(id) {
                    self.text.push_str(&super::leaf::undecoded_note(mark));
                }
                return Piece::Text(Style::Str);
            }
            Node::BigInt(value) => {
                self.text.push_str(&bigint_text(value, max));
                return Piece::Text(Style::Number);
            }
            Node::Tuple(items) if items.is_empty() => {
                self.text.push_str("()");
                return Piece::Text(Style::Plain);
            }
            Node::FrozenSet(items) if items.is_empty() => {
                self.text.push_str("frozenset()");
                return Piece::Text(Style::Plain);
            }
            _ => {}
        }
        if depth > self.options.max_depth {
            let context = Context {
                pickle: self.pickle,
                counts: &[],
                items: ItemLimit::at_most(0),
            };
            self.text.push_str(&elided(&context, &node));
            return Piece::Text(Style::Comment);
        }
        if node.child_count() == 0 {
            self.text.push_str(empty(&node));
            return Piece::Text(Style::Plain);
        }
        Piece::Container(id)
    }

    /// What `value`, at `depth`, prints as, as [`Blocks::piece`] would give it, but
    /// straight from the caches where it can: a short str's repr and width, a float's
    /// text, an int to write in place.
    #[inline(always)]
    fn item(&mut self, value: Value, depth: usize) -> Item<'_> {
        match value {
            Value::Int(v) => Item::Int(v),
            Value::Float(v) => {
                let text = float_text(&mut self.floats, v);
                Item::Text(text, text.len(), Style::Number)
            }
            Value::Node(id) => self.node_item(id, depth),
            Value::None | Value::Bool(_) => {
                let text = constant(value).unwrap_or_default();
                Item::Text(text, text.len(), Style::Constant)
            }
        }
    }

    /// [`Blocks::item`] of item `index` of `items` (`None` past the end), read from its
    /// slot: a node or an int is told by the slot's tag alone, where unpacking a value
    /// first and matching on it again cost a tenth of `show`'s instructions on records.
    #[inline(always)]
    fn slot_item(&mut self, items: Items<'_>, index: usize, depth: usize) -> Item<'_> {
        let slot = items.slots.get(index).copied().unwrap_or(Slot::NONE);
        if let Some(id) = slot.node_id() {
            return self.node_item(id, depth);
        }
        if let Some(v) = slot.narrow_int() {
            return Item::Int(v);
        }
        self.item(slot.unpack(items.wides), depth)
    }

    /// [`Blocks::item`] of node `id`.
    #[inline(always)]
    fn node_item(&mut self, id: NodeId, depth: usize) -> Item<'_> {
        // Only short strs enter the cache, so a hit is one.
        if let Some(width) = self.strs.cached(id) {
            return Item::Text(self.strs.repr(id), width, Style::Str);
        }
        let shown = depth <= self.options.max_depth;
        match self.pickle.node(id) {
            Node::Str(text) if text.as_bytes().len() <= self.options.max_string => {
                let (repr, width) = self.strs.get(id, &text, text_width);
                return Item::Text(repr, width, Style::Str);
            }
            Node::List(items) | Node::Tuple(items) | Node::Set(items) | Node::FrozenSet(items)
                if shown && !items.is_empty() =>
            {
                return Item::Container(id)
            }
            Node::Dict(entries) if shown && !entries.is_empty() => return Item::Container(id),
            _ => {}
        }
        match self.piece(id, depth) {
            Piece::Text(style) => Item::Text(&self.text, text_width(&self.text), style),
            Piece::Container(id) => Item::Container(id),
        }
    }

    /// The memoized width of container `id` at `depth`, if measured.
    fn memo(&self, id: NodeId, depth: usize) -> Option<usize> {
        self.widths.get(id.index(), depth)
    }

    /// The flat width of plain container `id` at `depth`, capped at one past the line
    /// width. A container's width is its items' and its punctuation's; measuring stops
    /// as soon as it passes the cap, so each node is measured once and no further than
    /// a line's worth of items.
    pub fn measure(&mut self, id: NodeId, depth: usize) -> usize {
        if let Some(width) = self.memo(id, depth) {
            return width;
        }
        let mut stack = std::mem::take(&mut self.measuring);
        stack.clear();
        stack.push(self.measuring(id, depth));
        let cap = self.cap;
        let width = loop {
            let Some(top) = stack.last_mut() else {
                break cap;
            };
            // The container's items in one run, kept in registers, until one is a
            // container not yet measured.
            let depth = top.depth + 1;
            let (mut total, mut next) = (top.total, top.next);
            let inner = loop {
                if !(total < cap && next < top.end) {
                    break None;
                }
                next += 1;
                let slot = top.slots.real(next - 1);
                total += match self.slot_item(top.items, slot, depth) {
                    Item::Text(_, width, _) => width.min(cap),
                    Item::Int(v) => int_width(v),
                    Item::Container(child) => match self.memo(child, depth) {
                        Some(width) => width,
                        None => break Some(child),
                    },
                };
            };
            (top.total, top.next) = (total, next);
            if let Some(child) = inner {
                let child = self.measuring(child, depth);
                stack.push(child);
                continue;
            }
            let width = total.min(cap);
            self.widths.set(top.id.index(), top.depth, width);
            stack.pop();
            match stack.last_mut() {
                Some(parent) => parent.total += width,
                None => break width,
            }
        };
        self.measuring = stack;
        width
    }

    /// A container to measure: its punctuation counted, its items to go.
    fn measuring(&self, id: NodeId, depth: usize) -> Measuring<'p> {
        let node = self.pickle.node(id);
        let (open, close, len) = delimiters(&node);
        let split = self.options.items.split(len);
        let (shown, more) = (split.shown(), split.more());
        let dict = matches!(node, Node::Dict(_));
        // The items shown and the count of the rest, each but the last followed by `, `.
        let elements = shown + usize::from(more > 0);
        // A one-item tuple's comma, when its item is shown.
        let lone = usize::from(matches!(node, Node::Tuple(_)) && len == 1 && more == 0);
        let commas = elements.saturating_sub(1) + lone;
        let spaces = elements.saturating_sub(1);
        let colons = if dict { 2 * shown } else { 0 };
        let rest = match more {
            0 => 0,
            _ => text_width(&more_items(more)),
        };
        Measuring {
            id,
            items: node.items().unwrap_or_default(),
            depth,
            next: 0,
            end: if dict { 2 * shown } else { shown },
            slots: Slots::of(&split, dict),
            total: open.len() + close.len() + commas + spaces + colons + rest,
        }
    }

    /// The columns of a plain container's opening bracket.
    pub fn head(&self, id: NodeId) -> usize {
        text_width(delimiters(&self.pickle.node(id)).0)
    }

    /// Writes the block: flat, or broken with its inner containers decided in place
    /// (flat when they fit with the text that follows them up to the next break, as the
    /// printer decides a group). One loop runs over every container's slots: a text is
    /// written where it is met, a container is opened on top of the stack, and its
    /// parent's comma follows when it closes.
    pub fn write<W: Write>(
        &mut self,
        block: Block,
        flat: bool,
        pen: &mut Pen<W>,
    ) -> io::Result<()> {
        let id = NodeId::from_index(block.key);
        let mut stack = std::mem::take(&mut self.writing);
        stack.clear();
        stack.push(self.open(id, block.depth, flat, pen)?);
        'containers: while let Some(top) = stack.last_mut() {
            while top.next < top.end {
                let slot = top.next;
                top.next += 1;
                if slot == top.slots.head && top.slots.skip > 0 {
                    // The count of the items left out, between the first and the last.
                    let text = more_items(top.split.more());
                    let width = text_width(&text);
                    top.before(slot, Some(width), pen)?;
                    pen.write_text(&text, width, Style::Comment)?;
                    pen.punct(",")?;
                }
                let depth = top.depth;
                let real = top.slots.real(slot);
                let id = match self.slot_item(top.items, real, depth) {
                    Item::Text(text, width, style) => {
                        top.before(slot, Some(width), pen)?;
                        if style == Style::Str && top.mode != Mode::Flat && !pen.fits_literal(width)
                        {
                            // A literal near the end of its line may be cut (the printer
                            // decides a token's alike): rare enough to copy.
                            let text = text.to_owned();
                            let trailing = match top.is_key(slot) {
                                true => self.key_trailing(top.items, real + 1, depth),
                                false => 1,
                            };
                            pen.write_literal(&text, width, style, trailing)?;
                        } else {
                            pen.write_text(text, width, style)?;
                        }
                        None
                    }
                    Item::Int(v) => {
                        let width = int_width(v);
                        top.before(slot, Some(width), pen)?;
                        pen.write_int(v, width)?;
                        None
                    }
                    Item::Container(id) => Some(id),
                };
                let Some(id) = id else {
                    if !top.is_key(slot) {
                        top.comma(top.real_index(slot), pen)?;
                    }
                    continue;
                };
                top.before(slot, None, pen)?;
                // A dict's key is followed by `: ` and the head of its value.
                let trailing = match top.is_key(slot) {
                    true => {
                        let value = top.items.get(real + 1).unwrap_or(Value::None);
                        2 + self.head_of(value, depth)
                    }
                    false => 1,
                };
                let mode = top.mode;
                let inner = self.open_item(id, depth, mode, trailing, pen)?;
                stack.push(inner);
                continue 'containers;
            }
            self.close(top, pen)?;
            stack.pop();
            if let Some(parent) = stack.last() {
                let slot = parent.next - 1;
                if !parent.is_key(slot) {
                    parent.comma(parent.real_index(slot), pen)?;
                }
            }
        }
        self.writing = stack;
        Ok(())
    }

    /// Opens a container that is an item. In a broken container it is flat when it fits
    /// with the `trailing` columns after it.
    fn open_item<W: Write>(
        &mut self,
        id: NodeId,
        depth: usize,
        mode: Mode,
        trailing: usize,
        pen: &mut Pen<W>,
    ) -> io::Result<Writing<'p>> {
        let flat = mode == Mode::Flat || {
            let room = pen.layout().width.saturating_sub(pen.column());
            self.measure(id, depth) + trailing <= room
        };
        self.open(id, depth, flat, pen)
    }

    /// The columns of `value` up to its first break: a text and the comma after it, or
    /// a container's opening bracket.
    fn head_of(&mut self, value: Value, depth: usize) -> usize {
        match self.item(value, depth) {
            Item::Text(_, width, _) => width + 1,
            Item::Int(v) => int_width(v) + 1,
            Item::Container(id) => self.head(id),
        }
    }

    /// The columns after a dict's key on its line, as the printer measures what follows
    /// a literal: `: ` and the head of the value at `index`, up to a literal.
    fn key_trailing(&mut self, items: Items<'_>, index: usize, depth: usize) -> usize {
        let value = items.get(index).unwrap_or(Value::None);
        2 + match self.item(value, depth) {
            Item::Text(_, _, Style::Str) => 0,
            _ => self.head_of(value, depth),
        }
    }

    /// Writes a container's opening bracket and starts its items, which are at
    /// `depth + 1`: on one line, or when it does not fit, filling lines or one item each.
    fn open<W: Write>(
        &self,
        id: NodeId,
        depth: usize,
        flat: bool,
        pen: &mut Pen<W>,
    ) -> io::Result<Writing<'p>> {
        let node = self.pickle.node(id);
        let mode = match flat {
            true => Mode::Flat,
            false if fills(self.pickle, &node) => Mode::Fill,
            false => Mode::Broken,
        };
        let (open, close, len) = delimiters(&node);
        pen.punct(open)?;
        pen.indent();
        let split = self.options.items.split(len);
        let shown = split.shown();
        let dict = matches!(node, Node::Dict(_));
        let lone_comma = matches!(node, Node::Tuple(_)) && len == 1;
        Ok(Writing {
            depth: depth + 1,
            mode,
            close,
            len,
            split,
            slots: Slots::of(&split, dict),
            dict,
            comma_always: lone_comma || mode != Mode::Flat,
            end: if dict { 2 * shown } else { shown },
            next: 0,
            items: node.items().unwrap_or_default(),
        })
    }

    /// Writes the count of items left out when no last items follow it, and the
    /// closing bracket.
    fn close<W: Write>(&self, top: &Writing<'_>, pen: &mut Pen<W>) -> io::Result<()> {
        let more = top.split.more();
        if more > 0 && top.split.tail == 0 {
            let text = more_items(more);
            let width = text_width(&text);
            match (top.mode, top.split.head) {
                (Mode::Flat, 0) => {}
                (Mode::Flat, _) => pen.punct(" ")?,
                (Mode::Fill, shown) if shown > 0 && fits(pen, width) => pen.punct(" ")?,
                _ => pen.newline()?,
            }
            pen.write_text(&text, width, Style::Comment)?;
        }
        pen.dedent();
        if top.mode != Mode::Flat {
            pen.newline()?;
        }
        pen.punct(top.close)
    }
}

/// The repr of a float, from a small cache by its bits: a broken container's floats are
/// formatted to measure it, then again to write it.
fn float_text(cache: &mut [(u64, String)], value: f64) -> &str {
    let bits = value.to_bits();
    let slot = (bits ^ bits >> 29 ^ bits >> 47) as usize % cache.len();
    let (cached, text) = &mut cache[slot];
    if *cached != bits {
        text.clear();
        write_float_repr(text, value);
        *cached = bits;
    }
    text
}

/// The text of a value that is a constant (`None`, `True`, `False`).
fn constant(value: Value) -> Option<&'static str> {
    match value {
        Value::None => Some("None"),
        Value::Bool(true) => Some("True"),
        Value::Bool(false) => Some("False"),
        _ => None,
    }
}

/// The columns of an int's decimal text, without writing it: the number of bits gives
/// the number of digits within one, and a power of ten settles which (no division, no
/// call).
#[inline]
fn int_width(value: i64) -> usize {
    const POWERS: [u64; 20] = {
        let mut powers = [1u64; 20];
        let mut i = 1;
        while i < 20 {
            powers[i] = powers[i - 1] * 10;
            i += 1;
        }
        powers
    };
    let magnitude = value.unsigned_abs();
    let bits = 64 - (magnitude | 1).leading_zeros() as usize;
    // 1233 / 4096 is just above log10(2): `guess` is the digits of 2^bits, less one.
    let guess = (bits * 1233) >> 12;
    let digits = (guess + usize::from(magnitude >= POWERS[guess])).max(1);
    usize::from(value < 0) + digits
}

/// Whether `width` columns fit after a space on the pen's line: a filling group's test.
fn fits<W: Write>(pen: &Pen<W>, width: usize) -> bool {
    width <= pen.layout().width.saturating_sub(pen.column() + 1)
}

/// Whether a node prints as a leaf wherever it is: str, bytes, big ints, empty tuples and
/// frozensets (the walker's leaves, less the inert ones).
fn is_leaf(node: &Node<'_>) -> bool {
    match node {
        Node::Str(_) | Node::Bytes(_) | Node::BigInt(_) => true,
        Node::Tuple(items) | Node::FrozenSet(items) => items.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_of_the_width_memo_answer_alike() {
        for (cap, max_depth) in [(101, 40), (0xffff, 40), (101, 0xfff0)] {
            let mut widths = Widths::new(4, cap, max_depth);
            let narrow = matches!(widths, Widths::Narrow(_));
            assert_eq!(narrow, cap == 101 && max_depth == 40);
            assert_eq!(widths.get(1, 0), None, "nothing measured yet");
            let (width, depth) = (cap - 1, max_depth + 1);
            widths.set(1, depth, width);
            widths.set(2, 0, 0);
            assert_eq!(widths.get(1, depth), Some(width));
            assert_eq!(widths.get(1, depth - 1), None, "measured at another depth");
            assert_eq!(widths.get(2, 0), Some(0));
            assert_eq!(widths.get(3, 0), None);
        }
    }

    #[test]
    fn int_widths_are_the_lengths_of_their_text() {
        let edges = [
            0,
            1,
            9,
            10,
            99,
            100,
            -1,
            -9,
            -10,
            i64::MAX,
            i64::MIN,
            i64::MIN + 1,
        ];
        let powers = (0..19).flat_map(|p| {
            let power = 10i64.pow(p);
            [power - 1, power, power + 1, -power, 1 - power]
        });
        for value in edges.into_iter().chain(powers) {
            assert_eq!(int_width(value), value.to_string().len(), "{value}");
        }
    }
}
