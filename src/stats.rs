//! `stats`: what takes the space in a loaded pickle — objects and bytes by kind, the
//! largest payloads with their path from the root, the globals named, the memo size and
//! the deepest nesting.
//!
//! Everything is computed in time linear in the graph (nodes plus slots), and the walk
//! runs on a heap stack, so a memo bomb (a list holding the same list twice, forty levels
//! deep: 2^40 paths) or a million nested lists cost no more than their node count.

use std::collections::BTreeMap;

use crate::graph::{InertKind, Mutation, Node, NodeId, Pickle, Value};

/// How many of the largest payloads [`stats`] reports by default.
pub const DEFAULT_LARGEST: usize = 10;

/// A summary of one loaded pickle (see [`stats`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Stats {
    /// Objects by kind. Inline scalars (`None`, `bool`, `int`, `float`) are counted once
    /// per slot that holds them (and once as the root); arena nodes once each, by Python
    /// type (`int` for a big int, `str`, `list`, …) or inert kind (`global`, `call`,
    /// `instance`, `persistent`, `extension`, `buffer`, `readonly`).
    pub kinds: BTreeMap<&'static str, u64>,
    /// Bytes by kind: `strings` (UTF-8 payloads), `bytes` (bytes and bytearray payloads),
    /// `numbers` (8 per inline int or float, the magnitude of big ints), `containers`
    /// (container and inert slots, at the graph's 16 bytes per slot).
    pub bytes: BTreeMap<&'static str, u64>,
    /// The largest str, bytes and bytearray payloads, largest first.
    pub largest: Vec<Payload>,
    /// Each global's `module.name` (Python 3 spelling) with how many slots refer to it.
    pub globals: BTreeMap<String, Global>,
    /// Nodes in the arena.
    pub nodes: u64,
    /// Entries the memo held at the end.
    pub memo_len: u64,
    /// The longest chain of containers (and inert nodes) from the root or an effect: `1`
    /// for `[1, 2]`, `2` for `[[1]]`, `0` for a scalar or a str.
    pub max_depth: u64,
    /// Discarded calls kept as effects.
    pub effects: u64,
}

/// A large payload and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    /// Its size in bytes (UTF-8 for a str).
    pub len: u64,
    /// `str`, `bytes` or `bytearray`.
    pub kind: &'static str,
    /// The node.
    pub node: NodeId,
    /// How to reach it from the root, e.g. `root[3]['weights']`, or from an effect
    /// (`effects[0].args[1]`); `None` when nothing reaches it (a value the pickle dropped).
    pub path: Option<String>,
}

/// A global reference and its uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Global {
    /// How many global nodes name it (a memoized global is named once).
    pub nodes: u64,
    /// How many slots (call functions, instance classes, items…) refer to those nodes.
    pub references: u64,
}

/// Summarizes a pickle, keeping the `largest` biggest payloads.
/// ```
/// let pickle = picklegraph::load(b"\x80\x05]\x94(X\x03\x00\x00\x00abc\x94K\x01e.")?;
/// let stats = picklegraph::stats::stats(&pickle, 10);
/// assert_eq!(stats.kinds["list"], 1);
/// assert_eq!(stats.kinds["int"], 1);
/// assert_eq!(stats.largest[0].path.as_deref(), Some("root[0]"));
/// assert_eq!(stats.max_depth, 1);
/// # Ok::<(), picklegraph::Error>(())
/// ```
pub fn stats(pickle: &Pickle<'_>, largest: usize) -> Stats {
    let mut counter = Counter::new(pickle);
    counter.value(pickle.root());
    for (index, node) in pickle.nodes().enumerate() {
        counter.node(NodeId::from_index(index), &node);
    }
    let mut stats = counter.finish();
    stats.nodes = pickle.nodes().len() as u64;
    stats.memo_len = pickle.memo_len() as u64;
    stats.effects = pickle.effects().len() as u64;
    stats.largest = largest_payloads(pickle, largest);
    let (max_depth, paths) = walk_depth_and_paths(pickle, &stats.largest);
    stats.max_depth = max_depth;
    for (payload, path) in stats.largest.iter_mut().zip(paths) {
        payload.path = path;
    }
    stats
}

/// Every kind [`Stats::kinds`] may count, in the order of the counters.
const KINDS: [&str; 19] = [
    "None",
    "bool",
    "int",
    "float",
    "str",
    "bytes",
    "bytearray",
    "list",
    "tuple",
    "dict",
    "set",
    "frozenset",
    "global",
    "call",
    "instance",
    "persistent",
    "extension",
    "buffer",
    "readonly",
];
/// Every kind [`Stats::bytes`] may count.
const BYTE_KINDS: [&str; 4] = ["strings", "bytes", "numbers", "containers"];
const STRINGS: usize = 0;
const BYTES: usize = 1;
const NUMBERS: usize = 2;
const CONTAINERS: usize = 3;

/// Counts in plain arrays (one slot per kind) while scanning every node and slot once;
/// a map lookup per slot made the scan of two million ints cost more than their load.
struct Counter<'p, 'a> {
    pickle: &'p Pickle<'a>,
    kinds: [u64; KINDS.len()],
    bytes: [u64; BYTE_KINDS.len()],
    /// One bit per node: is it a global? Slots refer to globals far less often than
    /// to anything else, and this answers without touching the node.
    is_global: Vec<u64>,
    /// Per global node, its entry's name and reference count.
    globals: std::collections::HashMap<NodeId, u64>,
}

impl<'p, 'a> Counter<'p, 'a> {
    fn new(pickle: &'p Pickle<'a>) -> Counter<'p, 'a> {
        let mut is_global = vec![0u64; pickle.nodes().len().div_ceil(64)];
        for (index, node) in pickle.nodes().enumerate() {
            if matches!(node, Node::Inert(inert) if matches!(inert.kind, InertKind::Global { .. }))
            {
                is_global[index / 64] |= 1 << (index % 64);
            }
        }
        Counter {
            pickle,
            kinds: [0; KINDS.len()],
            bytes: [0; BYTE_KINDS.len()],
            is_global,
            globals: Default::default(),
        }
    }

    /// Counts an inline scalar, or a reference to a global.
    fn value(&mut self, value: Value) {
        let index = match value {
            Value::None => 0,
            Value::Bool(_) => 1,
            Value::Int(_) => 2,
            Value::Float(_) => 3,
            Value::Node(id) => {
                if self.is_global[id.index() / 64] & (1 << (id.index() % 64)) != 0 {
                    *self.globals.entry(id).or_insert(0) += 1;
                }
                return;
            }
        };
        self.kinds[index] += 1;
        if index >= 2 {
            self.bytes[NUMBERS] += 8;
        }
    }

    fn slots(&mut self, values: impl Iterator<Item = Value>, len: usize) {
        self.bytes[CONTAINERS] += (len * std::mem::size_of::<Value>()) as u64;
        for value in values {
            self.value(value);
        }
    }

    fn node(&mut self, id: NodeId, node: &Node<'_>) {
        self.kinds[kind_index(node)] += 1;
        match node {
            Node::Str(text) => self.bytes[STRINGS] += text.as_bytes().len() as u64,
            Node::Bytes(bytes) | Node::ByteArray(bytes) => self.bytes[BYTES] += bytes.len() as u64,
            Node::BigInt(value) => self.bytes[NUMBERS] += value.bits().div_ceil(8),
            Node::List(items) | Node::Tuple(items) | Node::Set(items) | Node::FrozenSet(items) => {
                self.slots(items.iter(), items.len());
            }
            Node::Dict(entries) => {
                self.slots(
                    entries.iter().flat_map(|(key, value)| [key, value]),
                    entries.len() * 2,
                );
            }
            Node::Inert(_) => {
                self.globals.entry(id).or_insert(0);
                let count = node.child_count();
                self.slots((0..count).filter_map(|i| node.child(i)), count);
            }
        }
    }

    fn finish(self) -> Stats {
        let nonzero = |names: &[&'static str], counts: &[u64]| -> BTreeMap<&'static str, u64> {
            names
                .iter()
                .zip(counts)
                .filter(|(_, &n)| n > 0)
                .map(|(&k, &n)| (k, n))
                .collect()
        };
        let mut globals: BTreeMap<String, Global> = BTreeMap::new();
        for (&id, &references) in &self.globals {
            if self.is_global[id.index() / 64] & (1 << (id.index() % 64)) == 0 {
                continue;
            }
            let entry = globals.entry(global_key(self.pickle, id)).or_default();
            entry.nodes += 1;
            entry.references += references;
        }
        Stats {
            kinds: nonzero(&KINDS, &self.kinds),
            bytes: nonzero(&BYTE_KINDS, &self.bytes),
            globals,
            ..Stats::default()
        }
    }
}

fn global_key(pickle: &Pickle<'_>, id: NodeId) -> String {
    match pickle.global_name(Value::Node(id)) {
        Some((module, name)) => format!("{module}.{name}"),
        None => "<global with non-str operands>".to_string(),
    }
}

/// The kind name [`Stats::kinds`] counts a node under.
/// ```
/// let pickle = picklegraph::load(b"cos\nsystem\n.")?;
/// let root = pickle.get(pickle.root()).unwrap();
/// assert_eq!(picklegraph::stats::node_kind(&root), "global");
/// # Ok::<(), picklegraph::Error>(())
/// ```
pub fn node_kind(node: &Node<'_>) -> &'static str {
    KINDS[kind_index(node)]
}

fn kind_index(node: &Node<'_>) -> usize {
    match node {
        Node::BigInt(_) => 2,
        Node::Str(_) => 4,
        Node::Bytes(_) => 5,
        Node::ByteArray(_) => 6,
        Node::List(_) => 7,
        Node::Tuple(_) => 8,
        Node::Dict(_) => 9,
        Node::Set(_) => 10,
        Node::FrozenSet(_) => 11,
        Node::Inert(inert) => match inert.kind {
            InertKind::Global { .. } => 12,
            InertKind::Call { .. } => 13,
            InertKind::Instance { .. } => 14,
            InertKind::Persistent { .. } => 15,
            InertKind::Extension { .. } => 16,
            InertKind::Buffer { .. } => 17,
            InertKind::ReadOnly { .. } => 18,
        },
    }
}

/// The `keep` largest payloads, largest first (ties by node order), without paths.
fn largest_payloads(pickle: &Pickle<'_>, keep: usize) -> Vec<Payload> {
    let mut top: Vec<Payload> = Vec::with_capacity(keep + 1);
    if keep == 0 {
        return top;
    }
    for (index, node) in pickle.nodes().enumerate() {
        let (len, kind) = match node {
            Node::Str(text) => (text.as_bytes().len(), "str"),
            Node::Bytes(bytes) => (bytes.len(), "bytes"),
            Node::ByteArray(bytes) => (bytes.len(), "bytearray"),
            _ => continue,
        };
        let len = len as u64;
        if top.len() == keep && top[keep - 1].len >= len {
            continue;
        }
        let at = top.partition_point(|p| p.len >= len);
        let node = NodeId::from_index(index);
        top.insert(
            at,
            Payload {
                len,
                kind,
                node,
                path: None,
            },
        );
        top.truncate(keep);
    }
    top
}

/// Heights: not yet reached, and on the walk's stack (a cycle back to it adds nothing).
const UNSEEN: u32 = u32::MAX;
const OPEN: u32 = u32::MAX - 1;

struct Frame {
    node: NodeId,
    next_child: usize,
    height: u32,
}

/// One depth-first walk from the root and the effects: the longest container chain
/// (each node's height computed once, so shared subgraphs cost nothing more) and the
/// first path that reaches each wanted payload.
fn walk_depth_and_paths(pickle: &Pickle<'_>, wanted: &[Payload]) -> (u64, Vec<Option<String>>) {
    let mut heights = vec![UNSEEN; pickle.nodes().len()];
    let mut paths = vec![None; wanted.len()];
    let mut frames: Vec<Frame> = Vec::new();
    let mut max_depth = 0;
    let starts = std::iter::once(pickle.root()).chain(pickle.effects().iter().map(|e| e.value));
    for (start_index, start) in starts.enumerate() {
        let Some(id) = start.node() else { continue };
        let origin = if start_index == 0 {
            "root".to_string()
        } else {
            format!("effects[{}]", start_index - 1)
        };
        if heights[id.index()] == UNSEEN {
            note_path(pickle, wanted, &mut paths, id, &origin, &frames);
            frames.push(enter(pickle, &mut heights, id));
            max_depth = max_depth.max(run_frames(
                pickle,
                wanted,
                &mut paths,
                &origin,
                &mut frames,
                &mut heights,
            ));
        }
        max_depth = max_depth.max(heights[id.index()]);
    }
    (u64::from(max_depth), paths)
}

fn enter(pickle: &Pickle<'_>, heights: &mut [u32], id: NodeId) -> Frame {
    heights[id.index()] = OPEN;
    let level = u32::from(pickle.node(id).child_count() > 0 || is_container(&pickle.node(id)));
    Frame {
        node: id,
        next_child: 0,
        height: level,
    }
}

fn is_container(node: &Node<'_>) -> bool {
    !matches!(
        node,
        Node::BigInt(_) | Node::Str(_) | Node::Bytes(_) | Node::ByteArray(_)
    )
}

/// Runs the walk until `frames` is empty; returns the height of the first frame.
fn run_frames(
    pickle: &Pickle<'_>,
    wanted: &[Payload],
    paths: &mut [Option<String>],
    origin: &str,
    frames: &mut Vec<Frame>,
    heights: &mut [u32],
) -> u32 {
    let mut last = 0;
    while let Some(frame) = frames.last_mut() {
        let Some(child) = pickle.node(frame.node).child(frame.next_child) else {
            let done = frames.pop().expect("a frame is open");
            heights[done.node.index()] = done.height;
            last = done.height;
            if let Some(parent) = frames.last_mut() {
                parent.height = parent.height.max(done.height + 1);
            }
            continue;
        };
        frame.next_child += 1;
        let Some(child) = child.node() else { continue };
        match heights[child.index()] {
            UNSEEN => {
                note_path(pickle, wanted, paths, child, origin, frames);
                frames.push(enter(pickle, heights, child));
            }
            OPEN => {}
            height => frame.height = frame.height.max(height + 1),
        }
    }
    last
}

/// Records the path to `id` if it is a wanted payload not yet reached.
fn note_path(
    pickle: &Pickle<'_>,
    wanted: &[Payload],
    paths: &mut [Option<String>],
    id: NodeId,
    origin: &str,
    frames: &[Frame],
) {
    if !matches!(
        pickle.node(id),
        Node::Str(_) | Node::Bytes(_) | Node::ByteArray(_)
    ) {
        return;
    }
    let Some(slot) = wanted.iter().position(|p| p.node == id) else {
        return;
    };
    let mut path = origin.to_string();
    for frame in frames {
        path.push_str(&step_label(pickle, frame.node, frame.next_child - 1));
    }
    paths[slot] = Some(path);
}

/// How child `index` of `parent` is spelled in a path: `[3]`, `['weights']`, `.args`.
pub fn step_label(pickle: &Pickle<'_>, parent: NodeId, index: usize) -> String {
    match pickle.node(parent) {
        Node::List(_) | Node::Tuple(_) => format!("[{index}]"),
        Node::Dict(entries) if index % 2 == 1 => {
            format!(
                "[{}]",
                key_label(
                    pickle,
                    entries.get(index / 2).map_or(Value::None, |entry| entry.0)
                )
            )
        }
        Node::Dict(_) => format!(".keys()[{}]", index / 2),
        Node::Set(_) | Node::FrozenSet(_) => format!("{{{index}}}"),
        Node::Inert(inert) => {
            let heads = inert.head_values().len();
            if index < heads {
                return format!(".{}", head_label(&inert.kind, index));
            }
            mutation_label(pickle, &inert.mutations, index - heads)
        }
        Node::BigInt(_) | Node::Str(_) | Node::Bytes(_) | Node::ByteArray(_) => String::new(),
    }
}

fn head_label(kind: &InertKind, index: usize) -> &'static str {
    let names: &[&'static str] = match kind {
        InertKind::Global { .. } => &["module", "name"],
        InertKind::Call { .. } => &["func", "args"],
        InertKind::Instance { .. } => &["cls", "args", "kwargs"],
        InertKind::Persistent { .. } => &["pid"],
        InertKind::ReadOnly { .. } => &["obj"],
        InertKind::Extension { .. } | InertKind::Buffer { .. } => &[],
    };
    names.get(index).copied().unwrap_or("?")
}

fn mutation_label(pickle: &Pickle<'_>, mutations: &[Mutation], mut index: usize) -> String {
    let mut appended = 0;
    for mutation in mutations {
        let len = match mutation {
            Mutation::Build(_) => 1,
            Mutation::Append(items) | Mutation::AddItems(items) => items.len(),
            Mutation::SetItems(pairs) => pairs.len() * 2,
        };
        if index < len {
            return match mutation {
                Mutation::Build(_) => ".__setstate__".to_string(),
                Mutation::Append(_) => format!(".append[{}]", appended + index),
                Mutation::AddItems(_) => format!(".add[{index}]"),
                Mutation::SetItems(pairs) if index % 2 == 1 => {
                    format!("[{}]", key_label(pickle, pairs[index / 2].0))
                }
                Mutation::SetItems(_) => ".setitem_key".to_string(),
            };
        }
        if let Mutation::Append(items) = mutation {
            appended += items.len();
        }
        index -= len;
    }
    String::new()
}

/// A dict key as Python would print it, when it is a scalar, a str or bytes (cut after
/// 40 characters); other keys by their kind (`<tuple>`). A full repr would need a walk of
/// its own for each step of each path.
fn key_label(pickle: &Pickle<'_>, key: Value) -> String {
    use crate::text::scalar::{bytes_repr, float_repr, write_str_repr};
    const MAX_CHARS: usize = 40;
    match key {
        Value::None => "None".to_string(),
        Value::Bool(b) => if b { "True" } else { "False" }.to_string(),
        Value::Int(v) => v.to_string(),
        Value::Float(f) => float_repr(f),
        Value::Node(id) => match pickle.node(id) {
            Node::Str(text) => {
                let mut out = String::new();
                if text.char_count() > MAX_CHARS {
                    write_str_repr(
                        &mut out,
                        &crate::PyStr::from_code_points(text.code_points().take(MAX_CHARS)),
                    );
                    out.push('…');
                } else {
                    write_str_repr(&mut out, &text);
                }
                out
            }
            Node::Bytes(bytes) if bytes.len() > MAX_CHARS => {
                format!("{}…", bytes_repr(&bytes[..MAX_CHARS]))
            }
            Node::Bytes(bytes) => bytes_repr(bytes),
            other => format!("<{}>", node_kind(&other)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cycle_does_not_add_to_the_depth() {
        let pickle = crate::load(b"]\x94(h\x00h\x00e.").unwrap(); // l = [l, l]
        assert_eq!(stats(&pickle, 1).max_depth, 1);
    }
}
