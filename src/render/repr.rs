//! Python's `repr()` of a loaded graph.
//!
//! For plain data (None, bool, int, float, str, bytes, bytearray, list, tuple, dict, set,
//! frozenset) the text is byte for byte what CPython's `repr()` gives for the object that
//! was pickled, shared and recursive structures included: a shared object is written out
//! at each place, as Python does, and a container met again inside itself is written
//! `[...]`, `{...}`, `(...)`. The standard library's value types that CPython's pickle
//! writes as calls (`datetime`, `Decimal`, `Fraction`, `UUID`, `complex`, `deque`,
//! `OrderedDict`, paths, `ipaddress` objects, compiled patterns, enum members, struct
//! sequences; see [`crate::python::values`]) are written as CPython's repr writes them,
//! and so are the builtins a pickle names by reference (`<class 'int'>`, `<built-in
//! function len>`, `Ellipsis`) where they stand as values; inside the expression that
//! rebuilds an inert node they keep their names (`copyreg._reconstructor(C,
//! builtins.object, None)`).
//! Every other inert node is written as the Python expression that would rebuild it
//! (`mymod.Registry([('a', 1)])`, `os.system('ls')`), and so is a standard library
//! value whose repr the pickle cannot say exactly (an enum member whose name depends on
//! the platform: `socket.AddressFamily(10)`).
//!
//! The walk runs on a heap stack, so nesting depth costs no call stack; output stops at
//! a byte budget, since repr of a memo bomb is exponential in Python too.

use std::borrow::Cow;
use std::collections::HashMap;

use super::inert::{spell, Chunk, Filling, Options};
use super::values::{parts, recursion_marker, Part};
use crate::graph::{Inert, InertKind, Items, Node, NodeId, Pickle, PyStr, Value};
use crate::python::values;
/// Python's `repr` of a float and of an int, as every view spells them.
pub use crate::text::scalar::{bigint_repr, float_repr};
use crate::text::scalar::{
    dotted, write_bigint_hex_prefix, write_bytearray_repr, write_bytes_repr, write_float_repr,
    write_int, write_str_repr, StrReprs, MAX_DECIMAL_INT_BITS,
};

/// Default output budget of [`repr`]: 256 MiB of text.
pub const DEFAULT_MAX_BYTES: usize = 256 << 20;

/// A piece of a container's text: fixed text or a child to write.
#[derive(Debug, Clone)]
enum Piece {
    Text(Cow<'static, str>),
    Child(Value),
}

struct Frame {
    node: NodeId,
    next: usize,
    /// Pieces of an inert node, computed once on entry.
    pieces: Option<Vec<Piece>>,
    /// Whether the pieces spell the expression that rebuilds the node (not a value's
    /// repr): inside it, a builtin keeps its name (`copyreg._reconstructor(C,
    /// builtins.object, None)`), as an expression needs it.
    expression: bool,
}

/// The repr of `value`, stopping after about `max_bytes` bytes with `…` when the budget
/// runs out. Returns the text and whether it was cut.
/// ```
/// let pickle = picklegraph::load(b"]\x94(h\x00K\x01e.")?; // l = []; l += [l, 1]
/// let (text, cut) = picklegraph::render::repr::repr(&pickle, pickle.root(), 1 << 20);
/// assert_eq!((text.as_str(), cut), ("[[...], 1]", false));
/// # Ok::<(), picklegraph::Error>(())
/// ```
pub fn repr(pickle: &Pickle<'_>, value: Value, max_bytes: usize) -> (String, bool) {
    Renderer::new(pickle).render(value, max_bytes)
}

/// A repr writer for many values of one pickle: its per-node bookkeeping is allocated
/// once, so rendering a short text for each of a million values (as `scan` does for
/// each call) costs what the texts cost, not a million times the size of the graph.
/// ```
/// let pickle = picklegraph::load(b"(K\x01K\x02l.")?; // [1, 2]
/// let mut renderer = picklegraph::render::repr::Renderer::new(&pickle);
/// assert_eq!(renderer.render(pickle.root(), 100), ("[1, 2]".to_string(), false));
/// assert_eq!(renderer.render(pickle.root(), 1), ("[1…".to_string(), true));
/// # Ok::<(), picklegraph::Error>(())
/// ```
pub struct Renderer<'p, 'a> {
    writer: ReprWriter<'p, 'a>,
}

impl<'p, 'a> Renderer<'p, 'a> {
    /// A renderer for values of `pickle`.
    pub fn new(pickle: &'p Pickle<'a>) -> Renderer<'p, 'a> {
        Renderer {
            writer: ReprWriter {
                pickle,
                out: String::new(),
                flushed: 0,
                on_path: vec![false; pickle.nodes().len()],
                frames: Vec::new(),
                expressions: 0,
                base_expressions: 0,
                fillings: HashMap::new(),
                strs: StrReprs::new(),
            },
        }
    }

    /// A renderer for the parts of an expression (the arguments of a call that a
    /// report spells): a builtin keeps its name (`builtins.object`) where a value's
    /// repr would write `<class 'object'>`.
    pub fn in_expression(mut self) -> Renderer<'p, 'a> {
        self.writer.base_expressions = 1;
        self.writer.expressions = 1;
        self
    }

    /// The repr of `value`, cut with `…` after about `max_bytes` bytes, as [`repr`].
    pub fn render(&mut self, value: Value, max_bytes: usize) -> (String, bool) {
        // With no sink there is nothing to fail: only `Ok(true)` is not cut.
        let cut = !matches!(self.writer.write(value, max_bytes, None), Ok(true));
        self.finish(cut)
    }

    /// [`Renderer::render`] streamed to `sink` in pieces of about 64 KiB as it is
    /// written, so a repr of hundreds of megabytes (a memo bomb's) neither waits to
    /// start nor sits in memory. Returns whether it was cut.
    ///
    /// # Errors
    /// What writing to `sink` returns.
    /// ```
    /// let pickle = picklegraph::load(b"(K\x01K\x02l.")?; // [1, 2]
    /// let mut out = Vec::new();
    /// let cut = picklegraph::render::repr::Renderer::new(&pickle).render_to(pickle.root(), 4, &mut out)?;
    /// assert_eq!((out.as_slice(), cut), ("[1, 2…".as_bytes(), true));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn render_to(
        &mut self,
        value: Value,
        max_bytes: usize,
        sink: &mut dyn std::io::Write,
    ) -> std::io::Result<bool> {
        let written = self.writer.write(value, max_bytes, Some(&mut *sink));
        let cut = match written {
            Ok(fitted) => !fitted,
            Err(err) => {
                self.finish(true);
                return Err(err);
            }
        };
        let (rest, cut) = self.finish(cut);
        sink.write_all(rest.as_bytes())?;
        Ok(cut)
    }

    /// Closes what a cut left open and takes what is still unwritten, with `…` if cut.
    fn finish(&mut self, cut: bool) -> (String, bool) {
        let writer = &mut self.writer;
        // A cut leaves frames open: close them so the next value starts clean.
        for frame in writer.frames.drain(..) {
            writer.on_path[frame.node.index()] = false;
        }
        writer.expressions = writer.base_expressions;
        writer.flushed = 0;
        let mut out = std::mem::take(&mut writer.out);
        if cut {
            out.push('…');
        }
        (out, cut)
    }
}

/// The full repr of `value` (up to [`DEFAULT_MAX_BYTES`]).
pub fn to_repr(pickle: &Pickle<'_>, value: Value) -> String {
    repr(pickle, value, DEFAULT_MAX_BYTES).0
}

struct ReprWriter<'p, 'a> {
    pickle: &'p Pickle<'a>,
    out: String,
    /// Bytes of this value already handed to a sink, counted against the budget.
    flushed: usize,
    on_path: Vec<bool>,
    frames: Vec<Frame>,
    /// How many of the frames are expressions (see [`Frame::expression`]).
    expressions: usize,
    /// What `expressions` counts with no frame open (see [`Renderer::in_expression`]).
    base_expressions: usize,
    /// The filling of inert nodes with many mutations, computed once per node.
    fillings: HashMap<NodeId, Filling>,
    /// The reprs of recent short strs, with the length of each str in bytes.
    strs: StrReprs<usize>,
}

/// Strs of at most this many bytes have their reprs cached.
const CACHED_STR: usize = 64;

impl ReprWriter<'_, '_> {
    /// Writes `value`, handing the text to `sink` in pieces when there is one; false
    /// when the budget ran out.
    fn write(
        &mut self,
        value: Value,
        max_bytes: usize,
        mut sink: Option<&mut dyn std::io::Write>,
    ) -> std::io::Result<bool> {
        let pickle = self.pickle;
        self.enter(value, self.room(max_bytes));
        while let Some(frame) = self.frames.last() {
            let shape = match frame.pieces {
                Some(_) => None,
                None => Shape::of(&pickle.node(frame.node)),
            };
            let depth = self.frames.len();
            let fitted = match shape {
                Some(shape) => self.write_shape(&shape, depth, max_bytes, &mut sink)?,
                None => self.write_pieces(depth, max_bytes, &mut sink)?,
            };
            if !fitted {
                return Ok(false);
            }
        }
        Ok(self.flushed + self.out.len() <= max_bytes)
    }

    /// How many more bytes the budget allows.
    fn room(&self, max_bytes: usize) -> usize {
        max_bytes
            .saturating_add(1)
            .saturating_sub(self.flushed + self.out.len())
    }

    /// Starts the next piece of the frame on top: its index, or `None` when the budget
    /// has run out (checked before every piece, so a cut falls where it always did).
    fn next_piece(&mut self, max_bytes: usize) -> Option<usize> {
        if self.flushed + self.out.len() > max_bytes {
            return None;
        }
        let frame = self.frames.last_mut().expect("the frame being written");
        frame.next += 1;
        Some(frame.next - 1)
    }

    /// Closes the frame on top, written to its end.
    fn close_frame(&mut self) {
        let frame = self.frames.pop().expect("the frame being written");
        self.on_path[frame.node.index()] = false;
        self.expressions -= usize::from(frame.expression);
    }

    /// Hands the text to `sink` once there is a piece's worth of it.
    fn flush_full(&mut self, sink: &mut Option<&mut dyn std::io::Write>) -> std::io::Result<()> {
        const PIECE: usize = 1 << 16;
        if let Some(sink) = sink.as_deref_mut().filter(|_| self.out.len() >= PIECE) {
            sink.write_all(self.out.as_bytes())?;
            self.flushed += self.out.len();
            self.out.clear();
        }
        Ok(())
    }

    /// Writes the pieces of the inert node on top of the frames, computed on entry, until
    /// one opens a frame of its own or the frame is closed; false when the budget ran out.
    fn write_pieces(
        &mut self,
        depth: usize,
        max_bytes: usize,
        sink: &mut Option<&mut dyn std::io::Write>,
    ) -> std::io::Result<bool> {
        while self.frames.len() == depth {
            let Some(index) = self.next_piece(max_bytes) else {
                return Ok(false);
            };
            let frame = self.frames.last().expect("the frame being written");
            let piece = frame
                .pieces
                .as_ref()
                .and_then(|pieces| pieces.get(index).cloned());
            match piece {
                Some(Piece::Text(text)) => self.out.push_str(&text),
                Some(Piece::Child(child)) => self.enter(child, self.room(max_bytes)),
                None => self.close_frame(),
            }
            self.flush_full(sink)?;
        }
        Ok(true)
    }

    /// Writes the pieces of the native container on top of the frames, the `shape` of
    /// its node, until one of them opens a frame of its own or the container is closed.
    /// Its node is viewed once per visit, not once per piece; false when the budget ran
    /// out.
    fn write_shape(
        &mut self,
        shape: &Shape<'_>,
        depth: usize,
        max_bytes: usize,
        sink: &mut Option<&mut dyn std::io::Write>,
    ) -> std::io::Result<bool> {
        let last = (2 * shape.items.len()).saturating_sub(1);
        while self.frames.len() == depth {
            let Some(index) = self.next_piece(max_bytes) else {
                return Ok(false);
            };
            match index.checked_sub(1) {
                None => self.out.push_str(shape.open),
                Some(j) if j < last && j % 2 == 0 => {
                    let child = shape.items.get(j / 2).expect("an item of the container");
                    self.enter(child, self.room(max_bytes));
                }
                Some(j) if j < last => {
                    // Punctuation byte by byte: a call to copy two bytes costs more.
                    let colon = shape.dict && j % 4 == 1;
                    self.out.push(if colon { ':' } else { ',' });
                    self.out.push(' ');
                }
                Some(j) if j == last => self.out.push_str(shape.close),
                Some(_) => self.close_frame(),
            }
            self.flush_full(sink)?;
        }
        Ok(true)
    }

    /// Writes a scalar at once, or opens a frame for a node.
    /// `room` is how many more bytes the budget allows: a scalar longer than that is
    /// written only in part, so a huge shared string costs the budget, not its size.
    fn enter(&mut self, value: Value, room: usize) {
        let id = match value {
            Value::None => return self.out.push_str("None"),
            Value::Bool(true) => return self.out.push_str("True"),
            Value::Bool(false) => return self.out.push_str("False"),
            Value::Int(v) => return write_int(&mut self.out, v),
            Value::Float(v) => return write_float_repr(&mut self.out, v),
            Value::Node(id) => id,
        };
        // A str met again (a record's key) is written from the cache without a look at
        // its node.
        if let Some(len) = self.strs.cached(id).filter(|&len| len <= room) {
            debug_assert!(len <= CACHED_STR);
            return self.out.push_str(self.strs.repr(id));
        }
        let node = &self.pickle.node(id);
        if let Node::Str(text) = node {
            let len = text.as_bytes().len();
            if len <= CACHED_STR && len <= room {
                // Written whole, as `write_scalar_within` would.
                let (repr, _) = self.strs.get(id, text, |_| len);
                return self.out.push_str(repr);
            }
        }
        if write_scalar_within(&mut self.out, node, room) {
            return;
        }
        if self.on_path[id.index()] {
            // What CPython's Py_ReprEnter guard writes for an object inside itself.
            return self.out.push_str(match node {
                Node::List(_) => "[...]",
                Node::Dict(_) => "{...}",
                Node::Tuple(_) => "(...)",
                Node::Set(_) => "set(...)",
                Node::FrozenSet(_) => "frozenset(...)",
                _ => values::recognize(self.pickle, id)
                    .map_or("...", |value| recursion_marker(&value)),
            });
        }
        self.on_path[id.index()] = true;
        let mut expression = false;
        let pieces = match node {
            // Each piece writes at least one byte, so no more than `room` of them can be
            // reached before the budget runs out: a call with a million arguments costs
            // the budget, not a million pieces, when it is shown in a short text.
            Node::Inert(inert) => {
                let max = room.saturating_add(1);
                let named_in_expression =
                    self.expressions > 0 && matches!(inert.kind, InertKind::Global { .. });
                let value = match named_in_expression {
                    true => None,
                    false => value_pieces(self.pickle, id, max),
                };
                Some(match value {
                    Some(pieces) => pieces,
                    None => {
                        expression = true;
                        let filling = self.filling(id, inert);
                        inert_pieces(self.pickle, inert, filling, max)
                    }
                })
            }
            _ => None,
        };
        self.expressions += usize::from(expression);
        self.frames.push(Frame {
            node: id,
            next: 0,
            pieces,
            expression,
        });
    }
}

/// Writes a str, bytes, bytearray or big int node, whole if its repr can fit in `room`
/// bytes, else only its first `room` characters (without the closing quote, since the
/// text will be cut there); false for any other node.
fn write_scalar_within(out: &mut String, node: &Node<'_>, room: usize) -> bool {
    match node {
        Node::Str(text) if text.as_bytes().len() > room => {
            write_str_repr(out, &PyStr::from_code_points(text.code_points().take(room)));
            out.pop();
        }
        Node::Bytes(bytes) | Node::ByteArray(bytes) if bytes.len() > room => {
            let closing = if matches!(node, Node::Bytes(_)) { 1 } else { 2 };
            if matches!(node, Node::Bytes(_)) {
                write_bytes_repr(out, &bytes[..room]);
            } else {
                write_bytearray_repr(out, &bytes[..room]);
            }
            out.truncate(out.len() - closing);
        }
        Node::BigInt(v) if v.bits() > MAX_DECIMAL_INT_BITS && v.bits() / 4 > room as u64 => {
            write_bigint_hex_prefix(out, v, room);
        }
        Node::BigInt(v) => out.push_str(&bigint_repr(v)),
        Node::Str(text) => write_str_repr(out, text),
        Node::Bytes(bytes) => write_bytes_repr(out, bytes),
        Node::ByteArray(bytes) => write_bytearray_repr(out, bytes),
        _ => return false,
    }
    true
}

/// Nodes with more mutations than this have their filling cached.
const FILLING_CACHE_MIN: usize = 64;

impl ReprWriter<'_, '_> {
    /// The filling of an inert node: computed each time for a few mutations, and once per
    /// node for many, so a node with a million `SETITEMS` shown a million times in short
    /// texts costs the texts.
    fn filling(&mut self, id: NodeId, inert: &Inert) -> Filling {
        let compute = || Filling::of(inert);
        if inert.mutations.len() < FILLING_CACHE_MIN {
            return compute();
        }
        *self.fillings.entry(id).or_insert_with(compute)
    }
}

/// A native container's repr: its items between `open` and `close`, separated by `, `
/// (and `: ` between a dict's key and its value). An empty set or frozenset is all
/// `open` (`set()`), and a one-item tuple closes with `,)`.
struct Shape<'p> {
    open: &'static str,
    close: &'static str,
    /// The items; a dict's keys and values alternating.
    items: Items<'p>,
    dict: bool,
}

impl<'p> Shape<'p> {
    fn of(node: &Node<'p>) -> Option<Shape<'p>> {
        let (open, close, items, dict) = match *node {
            Node::List(items) => ("[", "]", items, false),
            Node::Tuple(items) if items.len() == 1 => ("(", ",)", items, false),
            Node::Tuple(items) => ("(", ")", items, false),
            Node::Dict(entries) => ("{", "}", entries.flat(), true),
            Node::Set(items) if items.is_empty() => ("set()", "", items, false),
            Node::Set(items) => ("{", "}", items, false),
            Node::FrozenSet(items) if items.is_empty() => ("frozenset()", "", items, false),
            Node::FrozenSet(items) => ("frozenset({", "})", items, false),
            _ => return None,
        };
        Some(Shape {
            open,
            close,
            items,
            dict,
        })
    }
}

/// The pieces of CPython's repr of a standard library value (see [`crate::render::values`]).
fn value_pieces(pickle: &Pickle<'_>, id: NodeId, max: usize) -> Option<Vec<Piece>> {
    let value = values::recognize(pickle, id)?;
    let parts = parts(pickle, &value, max)?;
    Some(
        parts
            .into_iter()
            .map(|part| match part {
                Part::Text(text) => Piece::Text(text),
                Part::Child(child) => Piece::Child(child),
            })
            .collect(),
    )
}

/// The Python expression that would rebuild an inert node (see [`super::inert`]), in at
/// most about `max` pieces (the rest could never be written within the budget).
fn inert_pieces<'p>(
    pickle: &'p Pickle<'_>,
    inert: &'p Inert,
    filling: Filling,
    max: usize,
) -> Vec<Piece> {
    let options = Options {
        max_chunks: max,
        fold_filling: Some(filling),
        ..Options::default()
    };
    let mut pieces = Vec::new();
    spell(pickle, inert, &options, &mut |chunk| {
        pieces.push(match chunk {
            Chunk::Global(module, name) => Piece::Text(dotted(module, name).into()),
            Chunk::Name(name) => Piece::Text(name),
            Chunk::Value(value) => Piece::Child(value),
            // Any global by its name, as the expression to rebuild the call needs it.
            Chunk::Callee(value, _) | Chunk::Class(value) => match pickle.global_name(value) {
                Some((module, name)) => Piece::Text(dotted(module, name).into()),
                None => Piece::Child(value),
            },
            punctuation => Piece::Text(punctuation.punctuation().unwrap_or_default()),
        })
    });
    pieces
}

impl std::fmt::Display for Pickle<'_> {
    /// The root's repr (see [`repr`]).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&to_repr(self, self.root()))
    }
}
