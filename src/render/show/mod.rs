//! The `show` view: a pickle's objects as indented, Python-like text that fits the width
//! of the terminal.
//!
//! ```text
//! # protocol 4, 6 nodes, 1 global: collections.OrderedDict
//! {'a': &1 [1, 2, 3], 'b': *1, 'c': collections.OrderedDict().update({'x': 1})}
//! ```
//!
//! - A node written in more than one place (a shared object, or a cycle) is written the
//!   first time under a label, `&1 [1, 2, 3]`, and as `*1` everywhere after, so the output
//!   is linear in the size of the graph even for a memo bomb. strs, bytes, big ints, empty
//!   tuples and globals are immutable leaves: they are written out at each place.
//! - Inert nodes are the expressions that would rebuild them: `module.name(args)`,
//!   `Class.__new__(Class, args)`, with what later opcodes did to them chained on:
//!   `.__setstate__(state)`, `.extend([…])`, `.update({…})`.
//! - Effects, the calls whose results the pickle discarded (cloudpickle's
//!   `_class_setstate`), follow the root in stream order.
//! - Long containers break one item per line; `max_depth` and `max_items` elide with a
//!   count (`… 999,990 more items`); long str and bytes show a head and their size.
//!
//! Two steps make the text, kept apart: the walker turns the graph into a stream of layout
//! tokens (labels, elision, [`Recognizer`]s), and [`layout`] fits that stream to the
//! width. Both run on heap stacks, so a million nested lists print in bounded call stack.

mod block;
mod boosters;
pub mod brackets;
mod budget;
pub mod doc;
mod estimators;
mod extra_repr;
mod inert;
pub mod layout;
pub mod leaf;
pub mod literal;
pub mod models;
mod modules;
pub mod pandas;
mod pandas_arrow;
mod pandas_format;
mod pandas_repr;
mod recognize;
pub mod skeletons;
pub mod sklearn_pprint;
mod sparse;
pub mod tensor_repr;
mod tensors;
mod walker;

use std::io::{self, Write};

pub use recognize::{default_recognizers, Recognizer};

use crate::graph::{InertKind, Node, Pickle, Value};
use crate::machine::Failure;
use crate::python::tensor_data::StorageBytes;
use crate::render::elision::ItemLimit;
use crate::text::quantity::thousands;
use doc::Doc;
use layout::{Layout, Printer};

/// Default width when the terminal's is unknown.
pub const DEFAULT_WIDTH: usize = 100;
/// Default [`ShowOptions::max_string`]: a str or bytes longer than this shows a head.
pub const DEFAULT_MAX_STRING: usize = 100;
/// Default [`ShowOptions::max_bytes`]: about what a reader can take in, and what a pager
/// shows in a few screens; `--full` lifts it.
pub const DEFAULT_MAX_BYTES: usize = 64 << 10;

/// Default [`ShowOptions::items`]: a container of more than 60 items shows its first 5
/// and last 5, pandas' rule for rows (numpy's, 1,000 and 3 + 3, suits numbers, not records
/// that take a line each).
pub const DEFAULT_ITEMS: ItemLimit = ItemLimit { max: 60, shown: 10 };

/// How `show` writes: layout, limits and recognizers.
pub struct ShowOptions {
    /// Width, indentation and colour.
    pub layout: Layout,
    /// Containers nested deeper than this print as `[… 3 items]` (the root is at depth 1).
    pub max_depth: usize,
    /// Which items of a long container print: by default, one of more than 60 items
    /// shows its first 5 and its last 5 with `… N more items` between, as pandas does.
    pub items: ItemLimit,
    /// str and bytes longer than this (in code points or bytes) print a head and their size.
    pub max_string: usize,
    /// The output stops at the end of the line where it passes this many bytes, with a
    /// note that says so ([`DEFAULT_MAX_BYTES`] by default, none in [`ShowOptions::plain`]).
    pub max_bytes: usize,
    /// Whether a list of four or more objects of one shape (the trees of a forest) shows
    /// its first and a count of the rest.
    pub fold: bool,
    /// Whether to start with a `# protocol …` summary line.
    pub summary: bool,
    /// Asked, in order, about each node before it prints in the default form.
    pub recognizers: Vec<Box<dyn Recognizer>>,
}

impl std::fmt::Debug for ShowOptions {
    /// The options, with each recognizer by its name.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<_> = self.recognizers.iter().map(|r| r.name()).collect();
        f.debug_struct("ShowOptions")
            .field("layout", &self.layout)
            .field("max_depth", &self.max_depth)
            .field("items", &self.items)
            .field("max_string", &self.max_string)
            .field("max_bytes", &self.max_bytes)
            .field("fold", &self.fold)
            .field("summary", &self.summary)
            .field("recognizers", &names)
            .finish()
    }
}

impl ShowOptions {
    /// No limits, no colour, no summary, no recognizers: the plain graph in `width` columns.
    pub fn plain(width: usize) -> ShowOptions {
        ShowOptions {
            layout: Layout::new(width),
            max_depth: usize::MAX,
            items: ItemLimit::ALL,
            max_string: DEFAULT_MAX_STRING,
            max_bytes: usize::MAX,
            fold: false,
            summary: false,
            recognizers: Vec::new(),
        }
    }
}

/// The limits a user chooses, as the command line and the Python package take them; see
/// [`ShowOptions::limited`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `--depth`: containers nested deeper are elided.
    pub depth: Option<usize>,
    /// `--max-items`: items shown of each container, the first and the last halves
    /// (by default [`DEFAULT_ITEMS`]).
    pub max_items: Option<usize>,
    /// `--max-bytes`: bytes of output.
    pub max_bytes: Option<usize>,
    /// `--max-string`: code points or bytes of a str or bytes.
    pub max_string: usize,
    /// `--full`: no limit at all.
    pub full: bool,
}

impl Default for Limits {
    /// None chosen: `show`'s defaults.
    fn default() -> Limits {
        Limits {
            depth: None,
            max_items: None,
            max_bytes: None,
            max_string: DEFAULT_MAX_STRING,
            full: false,
        }
    }
}

impl ShowOptions {
    /// These options under the user's `limits`. With none chosen, long containers show
    /// their ends ([`DEFAULT_ITEMS`]), the output is bounded ([`DEFAULT_MAX_BYTES`]) and
    /// lists of objects of one shape are folded; a user who
    /// chooses `depth` or `max_items` gets what they asked and no byte budget unless they
    /// give one too; `full` lifts every limit.
    /// ```
    /// use picklegraph::render::show::{Limits, ShowOptions, DEFAULT_MAX_BYTES};
    /// let options = ShowOptions::plain(80).limited(&Limits::default());
    /// assert_eq!((options.max_bytes, options.fold), (DEFAULT_MAX_BYTES, true));
    /// assert_eq!(options.items, picklegraph::render::show::DEFAULT_ITEMS);
    /// let full = ShowOptions::plain(80).limited(&Limits { full: true, ..Limits::default() });
    /// assert_eq!((full.max_bytes, full.max_string, full.fold), (usize::MAX, usize::MAX, false));
    /// ```
    pub fn limited(mut self, limits: &Limits) -> ShowOptions {
        let chosen = limits.depth.is_some() || limits.max_items.is_some();
        self.max_depth = limits.depth.unwrap_or(usize::MAX);
        self.items = match (limits.max_items, limits.full) {
            (Some(n), _) => ItemLimit::at_most(n),
            (None, true) => ItemLimit::ALL,
            (None, false) => DEFAULT_ITEMS,
        };
        self.max_string = limits.max_string;
        self.max_bytes = match limits.max_bytes {
            Some(bytes) => bytes,
            None if limits.full || chosen => usize::MAX,
            None => DEFAULT_MAX_BYTES,
        };
        self.fold = !limits.full && limits.max_items.is_none();
        if limits.full {
            self.max_string = usize::MAX;
        }
        self
    }
}

impl Default for ShowOptions {
    /// [`DEFAULT_WIDTH`] columns, a summary line, the [`default_recognizers`], long
    /// containers shown by their ends ([`DEFAULT_ITEMS`]) and the output bounded to
    /// [`DEFAULT_MAX_BYTES`].
    fn default() -> ShowOptions {
        ShowOptions {
            summary: true,
            max_bytes: DEFAULT_MAX_BYTES,
            items: DEFAULT_ITEMS,
            fold: true,
            recognizers: default_recognizers(),
            ..ShowOptions::plain(DEFAULT_WIDTH)
        }
    }
}

/// Writes `pickle` as `show` prints it: the summary line, the root, then the effects.
///
/// # Errors
/// The first error writing to `out`.
/// ```
/// let pickle = picklegraph::load(b"]\x94(h\x00h\x00e.")?; // l = []; l += [l, l]
/// let mut out = Vec::new();
/// picklegraph::render::show::show(&pickle, &picklegraph::render::show::ShowOptions::plain(80), &mut out)?;
/// assert_eq!(String::from_utf8(out).unwrap(), "&1 [*1, *1]\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn show(pickle: &Pickle<'_>, options: &ShowOptions, out: impl Write) -> io::Result<()> {
    let storages = StorageBytes::absent("no storage bytes were given to show");
    show_with(pickle, options, &storages, out, true, &mut { usize::MAX })
}

/// [`show`] within what is `left` of a byte budget that several pickles share (a file's,
/// so that a stream of a thousand pickles is bounded as one pickle is): writes no more
/// than about `left` bytes (nor [`ShowOptions::max_bytes`]), and takes what it wrote from
/// `left`, which is 0 once the budget is spent.
///
/// # Errors
/// The first error writing to `out`.
/// ```
/// use picklegraph::render::show::{show_within, ShowOptions};
/// let pickle = picklegraph::load(b"(K\x01K\x02l.")?; // [1, 2]
/// let mut left = 100;
/// let mut out = Vec::new();
/// show_within(&pickle, &ShowOptions::plain(80), &mut left, &mut out)?;
/// assert_eq!((out.as_slice(), left), (&b"[1, 2]\n"[..], 93));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn show_within(
    pickle: &Pickle<'_>,
    options: &ShowOptions,
    left: &mut usize,
    out: impl Write,
) -> io::Result<()> {
    let storages = StorageBytes::absent("no storage bytes were given to show");
    show_with(pickle, options, &storages, out, true, left)
}

/// [`show_within`], with the bytes of the storages the pickle's tensors view, so that
/// each tensor shows its elements as torch's repr does (`crate::model::storage_bytes`
/// finds them in a checkpoint).
///
/// # Errors
/// The first error writing to `out`.
pub fn show_with_storages(
    pickle: &Pickle<'_>,
    options: &ShowOptions,
    storages: &StorageBytes<'_>,
    left: &mut usize,
    out: impl Write,
) -> io::Result<()> {
    show_with(pickle, options, storages, out, true, left)
}

/// [`show`] with every container written through layout tokens, none as a block of plain
/// data: the slower reference the property tests hold the blocks to.
///
/// # Errors
/// The first error writing to `out`.
#[doc(hidden)]
pub fn show_without_blocks(
    pickle: &Pickle<'_>,
    options: &ShowOptions,
    out: impl Write,
) -> io::Result<()> {
    let storages = StorageBytes::absent("no storage bytes were given to show");
    show_with(pickle, options, &storages, out, false, &mut { usize::MAX })
}

fn show_with(
    pickle: &Pickle<'_>,
    options: &ShowOptions,
    storages: &StorageBytes<'_>,
    out: impl Write,
    blocks: bool,
    left: &mut usize,
) -> io::Result<()> {
    prepare(pickle, options, storages);
    let mut parts = Vec::new();
    if options.summary {
        let heading = match pickle.span().0 {
            0 => String::new(),
            start => format!("pickle at byte {start}: "),
        };
        let line = summary(pickle, &heading, options.layout.width);
        parts.extend([Doc::comment(line), Doc::HardLine]);
    }
    parts.extend(
        options
            .recognizers
            .iter()
            .filter_map(|r| r.preamble(pickle)),
    );
    parts.push(Doc::Value(pickle.root()));
    parts.push(Doc::HardLine);
    let mut starts = vec![pickle.root()];
    push_effects(pickle, options, &mut parts, &mut starts);
    write(
        pickle,
        options,
        Doc::Concat(parts),
        &starts,
        out,
        blocks,
        left,
    )
}

/// Tells every recognizer the pickle, its storages and the width, before `show` writes.
fn prepare(pickle: &Pickle<'_>, options: &ShowOptions, storages: &StorageBytes<'_>) {
    for recognizer in &options.recognizers {
        recognizer.prepare(pickle);
        recognizer.prepare_storages(pickle, storages);
        recognizer.fit_width(options.layout.width);
    }
}

/// Writes what a malformed pickle had rebuilt when the error struck: the stack, bottom
/// first, and the memo, as `stack[0] = …` and `memo[3] = …`, then the effects read so far.
/// A view CPython cannot give: its unpickler throws all of it away.
///
/// # Errors
/// The first error writing to `out`.
/// ```
/// let failure = picklegraph::load_at(b"(K\x01K\x02l\x94K\x03K\x04", 0, &Default::default()).unwrap_err();
/// let mut out = Vec::new();
/// picklegraph::render::show::show_failure(&failure, &picklegraph::render::show::ShowOptions::plain(80), &mut out)?;
/// let text = String::from_utf8(out).unwrap();
/// assert!(text.contains("stack[0] = &1 [1, 2]\nstack[1] = 3\nstack[2] = 4\nmemo[0] = *1\n"), "{text}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn show_failure(
    failure: &Failure<'_>,
    options: &ShowOptions,
    out: impl Write,
) -> io::Result<()> {
    show_failure_within(failure, options, &mut { usize::MAX }, out)
}

/// [`show_failure`] within what is `left` of a byte budget, as [`show_within`].
///
/// # Errors
/// The first error writing to `out`.
pub fn show_failure_within(
    failure: &Failure<'_>,
    options: &ShowOptions,
    left: &mut usize,
    out: impl Write,
) -> io::Result<()> {
    let pickle = &failure.partial;
    let storages = StorageBytes::absent("the pickle is malformed");
    prepare(pickle, options, &storages);
    let width = options.layout.width;
    let heading = format!(
        "# malformed pickle: what had been rebuilt when the error struck, at {}",
        failure.error
    );
    let mut parts = vec![Doc::comment(heading), Doc::HardLine];
    if options.summary {
        let line = summary(pickle, "partial: ", width);
        parts.extend([Doc::comment(line), Doc::HardLine]);
    }
    let mut starts = Vec::new();
    if failure.stack.is_empty() && failure.memo.is_empty() {
        parts.push(Doc::comment("# the stack and the memo were empty"));
        parts.push(Doc::HardLine);
    }
    let stack = failure
        .stack
        .iter()
        .enumerate()
        .map(|(i, &v)| (format!("stack[{i}] = "), v));
    let memo = failure
        .memo
        .iter()
        .map(|&(key, v)| (format!("memo[{key}] = "), v));
    for (name, value) in stack.chain(memo) {
        parts.extend([Doc::text(name), Doc::Value(value), Doc::HardLine]);
        starts.push(value);
    }
    push_effects(pickle, options, &mut parts, &mut starts);
    write(
        pickle,
        options,
        Doc::Concat(parts),
        &starts,
        out,
        true,
        left,
    )
}

/// The text [`show`] writes, as a string.
pub fn to_text(pickle: &Pickle<'_>, options: &ShowOptions) -> String {
    let mut out = Vec::new();
    let written = show(pickle, options, &mut out);
    debug_assert!(written.is_ok(), "writing to a Vec cannot fail");
    String::from_utf8_lossy(&out).into_owned()
}

/// The effects, in stream order, but for those a recognizer shows in its preamble.
fn push_effects(
    pickle: &Pickle<'_>,
    options: &ShowOptions,
    parts: &mut Vec<Doc>,
    starts: &mut Vec<Value>,
) {
    let explained = |index: usize| {
        options
            .recognizers
            .iter()
            .any(|r| r.explains_effect(pickle, index))
    };
    let effects: Vec<_> = pickle
        .effects()
        .iter()
        .enumerate()
        .filter(|&(index, _)| !explained(index))
        .map(|(_, effect)| effect)
        .collect();
    if effects.is_empty() {
        return;
    }
    let count = thousands(effects.len() as u64);
    let plural = if effects.len() == 1 { "" } else { "s" };
    let hidden = pickle.effects().len() - effects.len();
    let others = match hidden {
        0 => String::new(),
        _ => format!(
            " (and {} shown in the definitions above)",
            thousands(hidden as u64)
        ),
    };
    let heading = format!(
        "# {count} effect{plural}: call{plural} whose result the pickle discarded, in stream order{others}"
    );
    parts.extend([Doc::comment(heading), Doc::HardLine]);
    for effect in effects {
        let comment = format!("# at byte {} ({})", effect.offset, effect.opcode.name());
        parts.extend([
            Doc::comment(comment),
            Doc::HardLine,
            Doc::Value(effect.value),
            Doc::HardLine,
        ]);
        starts.push(effect.value);
    }
}

/// Writes the document within `options.max_bytes` and what is `left` of a shared budget,
/// taking from `left` what it wrote.
fn write(
    pickle: &Pickle<'_>,
    options: &ShowOptions,
    top: Doc,
    starts: &[Value],
    out: impl Write,
    blocks: bool,
    left: &mut usize,
) -> io::Result<()> {
    let counts = walker::show_counts(pickle, options, starts);
    let tokens = walker::Walker::new(pickle, options, top, counts, blocks);
    let budget = options.max_bytes.min(*left);
    if budget == usize::MAX {
        return Printer::new(out, options.layout).print_source(tokens);
    }
    let mut capped = budget::Capped::new(out, budget);
    let printed = Printer::new(&mut capped, options.layout).print_source(tokens);
    *left = left.saturating_sub(budget - capped.left());
    if matches!(&printed, Err(error) if budget::is_spent(error)) {
        *left = 0;
        // The limit the user knows: the whole output's, which a shared budget is part of.
        let limit = match options.max_bytes {
            usize::MAX => budget,
            limit => limit,
        };
        let note = stopped_note(limit, options.layout.width);
        return writeln!(capped.into_inner(), "{note}");
    }
    printed
}

/// The note that ends the `show` of a file whose byte budget of `budget` bytes was spent
/// before its last pickle, wrapped at `width` as every comment is.
/// ```
/// use picklegraph::render::show::others_not_shown_note;
/// assert!(others_not_shown_note(64 << 10, 40).lines().all(|line| line.chars().count() <= 40));
/// ```
pub fn others_not_shown_note(budget: usize, width: usize) -> String {
    let note = format!(
        "# … the file's other pickles are not shown: its output is past {}; --full shows everything",
        crate::text::quantity::size(budget as u64)
    );
    doc::wrap_comment(&note, width).join("\n")
}

/// The note that ends a `show` whose byte budget of `budget` bytes is spent, wrapped at
/// `width`.
pub fn stopped_note(budget: usize, width: usize) -> String {
    let note = format!(
        "# … show stops here, past {}: --full shows everything, --max-items and --depth choose what",
        crate::text::quantity::size(budget as u64)
    );
    doc::wrap_comment(&note, width).join("\n")
}

/// `# protocol 4, 123 nodes, 2 effects, 5 globals: myclass.SubClass, …`, the globals in
/// the order the pickle names them, as many as fit in `width`.
fn summary(pickle: &Pickle<'_>, heading: &str, width: usize) -> String {
    // Distinct names in order; the set keeps a pickle of a million distinct globals
    // linear (a list search made it quadratic: minutes for a 3 MB file).
    let mut names: Vec<String> = Vec::new();
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    // Globals are inert nodes: plain data, which has none, is not read node by node (a
    // view of each node, 3% of `show` on a table of records).
    let inert_nodes = pickle
        .nodes()
        .enumerate()
        .take_while(|_| pickle.inert_count() > 0);
    for (index, node) in inert_nodes {
        let Node::Inert(inert) = node else { continue };
        if !matches!(inert.kind, InertKind::Global { .. }) {
            continue;
        }
        let name = match pickle.global_name(Value::Node(crate::NodeId::from_index(index))) {
            Some((module, name)) => crate::text::scalar::dotted(module, name),
            None => "<computed>".to_string(),
        };
        if seen.insert(name.clone()) {
            names.push(name);
        }
    }
    let mut line = format!(
        "# {heading}protocol {}, {} nodes",
        pickle.protocol(),
        thousands(pickle.nodes().len() as u64)
    );
    let effects = pickle.effects().len();
    if effects > 0 {
        line.push_str(&format!(
            ", {} effect{}",
            thousands(effects as u64),
            if effects == 1 { "" } else { "s" }
        ));
    }
    if names.is_empty() {
        return line;
    }
    line.push_str(&format!(
        ", {} global{}:",
        thousands(names.len() as u64),
        if names.len() == 1 { "" } else { "s" }
    ));
    let more = |count: usize| format!(", … ({count} more)");
    let mut shown = 0;
    for name in &names {
        let separator = if shown == 0 { " " } else { ", " };
        let left = names.len() - shown - 1;
        let reserve = if left > 0 {
            more(left).chars().count()
        } else {
            0
        };
        if shown > 0
            && line.chars().count() + separator.len() + name.chars().count() + reserve > width
        {
            break;
        }
        line.push_str(separator);
        line.push_str(name);
        shown += 1;
    }
    if shown < names.len() {
        let rest = more(names.len() - shown);
        // The first name is written even when it leaves no room for the count of the
        // others: then a bare `…` says there are more (the line gave their number).
        match line.chars().count() + rest.chars().count() > width {
            true => line.push_str(", …"),
            false => line.push_str(&rest),
        }
    }
    line
}
