//! What a pickle ships, as Python-like text: the classes and functions it carries by
//! value written as skeletons (signatures, source locations, names used; no bodies,
//! which travel as bytecode), the globals shipped with them, then the root object and
//! the effects no definition accounts for.
//!
//! ```text
//! # by value: class BaseClass, class SubClass (cloudpickle; module __main__; code of Python 3.11+)
//! # by name: nothing else
//!
//! class BaseClass:                  # module __main__
//!     def func(self): ...           # ex.py:6, uses print
//! class SubClass(BaseClass):        # module __main__
//!     def subfunc(self): ...        # ex.py:11, uses print
//!
//! SubClass()
//! ```
//!
//! The notation, where it is not Python's own:
//! - `Cls(a, b, k=v, x=1)`: an instance made by `Cls.__new__(Cls, a, b, k=v)` (its
//!   `__init__` is not run, as in unpickling), then given the state `{'x': 1}`: a state
//!   that is not a dict of identifiers is chained as `.__setstate__(state)`.
//! - `<cell 5>`, `<empty cell>`, `<module 'math'>`: closure cells and imported modules.
//! - `name#2`: the second of two definitions with one name.
//! - `<lambda> = lambda x, y=2: ...`: a lambda shipped by value.
//! - A node no recognizer knows in full keeps the raw form that would rebuild it:
//!   `module.func(args)`, `Cls.__new__(Cls)`, chained with `.__setstate__(…)`,
//!   `.extend([…])`, `.update({…})`.

pub mod defs;
pub mod expr;
pub(crate) mod forms;

use std::collections::HashMap;
use std::fmt::Write as _;

use self::defs::{class_module, Definer, Plan};
use self::expr::{Reference, Writer};
use crate::graph::{NodeId, Pickle, Value};
use crate::python::model::{Library, Recognized};
use crate::python::{view, Recognition};

/// Default byte budget for the expressions of one rendering.
pub const DEFAULT_MAX_BYTES: usize = 1 << 20;

/// Comments start at this column at most (longer code pushes them further right).
pub const COMMENT_COLUMN: usize = 40;

/// How [`render`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// The expressions stop, with `…`, after about this many bytes in all.
    pub max_bytes: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

/// One line of code with its comment, at a nesting depth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Indentation levels (four spaces each).
    pub depth: usize,
    /// The code.
    pub code: String,
    /// The comment, without `# ` (empty for none).
    pub comment: String,
}

impl Line {
    /// A line at `depth`.
    pub fn new(depth: usize, code: impl Into<String>, comment: impl Into<String>) -> Line {
        Line {
            depth,
            code: code.into(),
            comment: comment.into(),
        }
    }
}

/// The text for a pickle: runs the recognizers, then [`render`]s what they found.
/// ```
/// // copyreg._reconstructor(myclass.Thing, object, None), with state {'size': 3}
/// let pickle = picklegraph::load(b"ccopy_reg\n_reconstructor\n(cmyclass\nThing\nc__builtin__\nobject\nNtR}U\x04sizeK\x03sb.")?;
/// let text = picklegraph::render::skeleton::to_text(&pickle);
/// assert!(text.ends_with("\nmyclass.Thing(size=3)\n"), "{text}");
/// assert!(text.contains("# by name: class myclass.Thing"), "{text}");
/// # Ok::<(), picklegraph::Error>(())
/// ```
pub fn to_text(pickle: &Pickle<'_>) -> String {
    render(pickle, &Recognition::new(pickle), &Options::default())
}

/// The parts of the text, before they are laid out.
#[derive(Debug, Clone, Default)]
pub struct Skeleton {
    /// `# by value: …` and `# by name: …`, with their `# `.
    pub summary: Vec<String>,
    /// The globals shipped with the functions.
    pub globals: Vec<Line>,
    /// The class and function definitions.
    pub definitions: Vec<Line>,
    /// The root, then each effect no definition accounts for.
    pub tail: Vec<Line>,
    /// Whether the expressions ran out of bytes.
    pub cut: bool,
    /// The name each definition goes by (what `show` writes for its node).
    pub names: HashMap<NodeId, String>,
    /// Whether the text names a class (one the pickle makes an instance of) by reference.
    pub names_classes: bool,
}

impl Skeleton {
    /// The parts for a pickle whose recognizers have run.
    pub fn new(pickle: &Pickle<'_>, recognition: &Recognition, options: &Options) -> Skeleton {
        let plan = defs::plan(pickle, recognition);
        let mut writer = Writer::new(pickle, recognition, &plan.names, options.max_bytes);
        let globals = globals_lines(pickle, recognition, &plan, &mut writer);
        let definitions = definitions(pickle, recognition, &plan, &mut writer);
        let mut tail = vec![Line::new(0, writer.expr(pickle.root()), String::new())];
        for (index, effect) in pickle.effects().iter().enumerate() {
            if !recognition.explains_effect(pickle, index) {
                let note = format!(
                    "effect at byte {} ({}): a call whose result is discarded",
                    effect.offset,
                    effect.opcode.name()
                );
                tail.push(Line::new(0, String::new(), note));
                tail.push(Line::new(0, writer.expr(effect.value), String::new()));
            }
        }
        Skeleton {
            summary: summary(pickle, recognition, &plan, &writer),
            globals,
            definitions,
            tail,
            cut: writer.cut,
            names: plan.names.clone(),
            names_classes: writer
                .references
                .iter()
                .any(|(_, kind)| *kind == Reference::Class),
        }
    }
}

fn definitions<'r, 'p, 'a>(
    pickle: &'p Pickle<'a>,
    recognition: &'r Recognition,
    plan: &'r Plan,
    writer: &mut Writer<'r, 'p, 'a>,
) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut definer = Definer {
        pickle,
        recognition,
        plan,
        writer,
    };
    for &id in &plan.defs {
        if definer.writer.cut {
            break;
        }
        if !plan.owner.contains_key(&id) {
            definer.define(id, 0, &mut lines);
        }
    }
    if plan.omitted > 0 {
        let note = format!(
            "… {} more classes and functions, not written (over the reading budget)",
            plan.omitted
        );
        lines.push(Line::new(0, String::new(), note));
    }
    lines
}

/// The text for a pickle whose recognizers have run.
pub fn render(pickle: &Pickle<'_>, recognition: &Recognition, options: &Options) -> String {
    let skeleton = Skeleton::new(pickle, recognition, options);
    let mut out = String::new();
    for line in &skeleton.summary {
        out.push_str(line);
        out.push('\n');
    }
    for block in [&skeleton.globals, &skeleton.definitions, &skeleton.tail] {
        if !block.is_empty() {
            out.push('\n');
            write_block(&mut out, block);
        }
    }
    if skeleton.cut {
        let _ = writeln!(
            out,
            "# … output cut after about {} bytes of expressions",
            options.max_bytes
        );
    }
    out
}

/// The column comments start at in a block of lines: two spaces after the longest code
/// line shorter than [`COMMENT_COLUMN`].
pub fn comment_column(lines: &[Line]) -> usize {
    lines
        .iter()
        .filter(|line| !line.comment.is_empty() && !line.code.is_empty())
        .map(Line::width)
        .filter(|&w| w < COMMENT_COLUMN)
        .max()
        .map_or(0, |w| w + 2)
}

impl Line {
    /// Columns the indented code takes.
    pub fn width(&self) -> usize {
        self.depth * 4 + self.code.chars().count()
    }

    /// Spaces between the code and a comment starting at `column` (at least two).
    pub fn padding(&self, column: usize) -> usize {
        column.saturating_sub(self.width()).max(2)
    }
}

/// Lines with their comments aligned in one column where the code allows.
fn write_block(out: &mut String, lines: &[Line]) {
    let column = comment_column(lines);
    for line in lines {
        let start = out.len();
        out.push_str(&"    ".repeat(line.depth));
        out.push_str(&line.code);
        if !line.comment.is_empty() {
            if !line.code.is_empty() {
                out.push_str(&" ".repeat(line.padding(column)));
            }
            out.push_str("# ");
            out.push_str(&line.comment);
        }
        let trimmed = out[start..].trim_end().len();
        out.truncate(start + trimmed);
        out.push('\n');
    }
}

/// `# by value: …` and `# by name: …`.
fn summary(
    pickle: &Pickle<'_>,
    recognition: &Recognition,
    plan: &Plan,
    writer: &Writer<'_, '_, '_>,
) -> Vec<String> {
    let mut shipped = Vec::new();
    let mut libraries: Vec<Library> = Vec::new();
    let mut modules: Vec<String> = Vec::new();
    // Distinct modules in order; the set keeps a payload of many distinct modules linear.
    let mut seen_modules: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut pythons: Vec<&str> = Vec::new();
    let mut add = |list: &mut Vec<String>, item: Option<&str>| {
        if let Some(item) = item.filter(|&i| seen_modules.insert(i.to_string())) {
            list.push(item.to_string());
        }
    };
    for &id in &plan.defs {
        let name = plan.names.get(&id).cloned().unwrap_or_default();
        if let Some(class) = recognition.class(id) {
            shipped.push(format!("class {name}"));
            libraries.push(class.library);
            add(&mut modules, class_module(pickle, class));
        } else if let Some(function) = recognition.function(id) {
            if !plan.owner.contains_key(&id) {
                shipped.push(format!("function {name}"));
            }
            libraries.push(function.library);
            add(
                &mut modules,
                function.module.and_then(|m| view::str(pickle, m)),
            );
            let python = function.code.layout.pythons();
            if !pythons.contains(&python) {
                pythons.push(python);
            }
        }
    }
    libraries.sort_unstable();
    libraries.dedup();
    let by_value = if shipped.is_empty() {
        "# by value: nothing: no class or function code is shipped".to_string()
    } else {
        let mut details: Vec<String> = vec![libraries
            .iter()
            .map(|l| l.name())
            .collect::<Vec<_>>()
            .join(", ")];
        if !modules.is_empty() {
            details.push(format!("module {}", modules.join(", ")));
        }
        if !pythons.is_empty() {
            details.push(format!("code of {}", pythons.join(", ")));
        }
        format!(
            "# by value: {} ({})",
            shipped.join(", "),
            details.join("; ")
        )
    };
    vec![by_value, by_name(writer, shipped.is_empty())]
}

fn by_name(writer: &Writer<'_, '_, '_>, nothing_by_value: bool) -> String {
    let mut classes = Vec::new();
    let mut others = Vec::new();
    for (name, kind) in &writer.references {
        match kind {
            Reference::Class => classes.push(format!("class {name}")),
            Reference::Module => others.push(format!("module {name}")),
            Reference::Other => others.push(name.clone()),
        }
    }
    let has_classes = !classes.is_empty();
    classes.extend(others);
    if classes.is_empty() {
        return "# by name: nothing else".to_string();
    }
    let mut line = format!("# by name: {}", classes.join(", "));
    if has_classes && nothing_by_value {
        line.push_str(
            " (only names travel: the code must be importable where the pickle is loaded)",
        );
    }
    line
}

/// At most this many functions are named in a global's comment (then `…`).
const MAX_USERS: usize = 8;

/// Names of the functions that use something, the first [`MAX_USERS`] of them.
#[derive(Debug, Clone, Default)]
struct Users {
    names: Vec<String>,
    more: bool,
}

impl Users {
    fn add(&mut self, name: &str) {
        if self.names.iter().any(|n| n == name) {
            return;
        }
        if self.names.len() < MAX_USERS {
            self.names.push(name.to_string());
        } else {
            self.more = true;
        }
    }

    fn merge(&mut self, other: &Users) {
        other.names.iter().for_each(|name| self.add(name));
        self.more |= other.more;
    }

    fn text(&self) -> String {
        let mut text = self.names.join(", ");
        if self.more {
            text.push_str(", …");
        }
        text
    }
}

/// `SCALE = 10`, `import math`: the globals shipped with the functions, each once, with
/// the functions it belongs to. Each globals dict is read once, however many functions
/// share it.
fn globals_lines(
    pickle: &Pickle<'_>,
    recognition: &Recognition,
    plan: &Plan,
    writer: &mut Writer<'_, '_, '_>,
) -> Vec<Line> {
    // The globals dicts (and module references, and submodule lists), each with its users.
    let mut sources: Vec<(Value, Users)> = Vec::new();
    let mut index: HashMap<((u8, u64), String), usize> = HashMap::new();
    for &id in &plan.defs {
        let Some(function) = recognition.function(id) else {
            continue;
        };
        let user = plan.names.get(&id).cloned().unwrap_or_default();
        for source in function.globals.iter().chain(function.submodules.iter()) {
            // A namespace named by a global (dill's `__builtin__.__main__`) is one
            // namespace however many GLOBAL opcodes name it.
            let key = match view::global(pickle, *source) {
                Some((module, name)) => ((5, 0), format!("{module}.{name}")),
                None => (source.identity(), String::new()),
            };
            let slot = *index.entry(key).or_insert_with(|| {
                sources.push((*source, Users::default()));
                sources.len() - 1
            });
            sources[slot].1.add(&user);
        }
    }
    let mut lines = Vec::new();
    let mut globals: Vec<(String, Value, Users)> = Vec::new();
    let mut seen: HashMap<(String, (u8, u64)), usize> = HashMap::new();
    for (source, users) in &sources {
        if let Some((module, name)) = view::global(pickle, *source) {
            let namespace = match (module, name) {
                // dill's unpickler reads `__builtin__.__main__` as `__main__.__dict__`.
                ("builtins", "__main__") => {
                    "those of the module __main__ where the pickle is loaded".to_string()
                }
                _ => format!("the namespace {module}.{name} where the pickle is loaded"),
            };
            lines.push(Line::new(
                0,
                String::new(),
                format!("globals of {}: {namespace}", users.text()),
            ));
            continue;
        }
        let entries: Vec<(String, Value)> = match view::list(pickle, *source) {
            Some(modules) => modules.iter().map(|m| (String::new(), m)).collect(),
            None => view::str_dict(pickle, *source)
                .unwrap_or_default()
                .into_iter()
                .filter(|&(key, value)| {
                    !matches!(key, "__package__" | "__name__" | "__builtins__")
                        && !is_itself(plan, recognition, key, value)
                })
                .map(|(key, value)| (key.to_string(), value))
                .collect(),
        };
        for (key, value) in entries {
            match seen.get(&(key.clone(), value.identity())) {
                Some(&at) => globals[at].2.merge(users),
                None => {
                    seen.insert((key.clone(), value.identity()), globals.len());
                    globals.push((key, value, users.clone()));
                }
            }
        }
    }
    for (key, value, users) in globals {
        if writer.cut {
            break;
        }
        let comment = format!("global of {}", users.text());
        let module = module_name(pickle, recognition, value);
        if let Some(module) = module {
            writer.reference(module.to_string(), Reference::Module);
        }
        let code = match (key.as_str(), module) {
            ("", Some(module)) => format!("import {module}"),
            (key, Some(module)) if module == key || module.split('.').next() == Some(key) => {
                format!("import {module}")
            }
            (key, Some(module)) => format!("import {module} as {key}"),
            (key, None) => format!("{key} = {}", writer.expr(value)),
        };
        lines.push(Line::new(0, code, comment));
    }
    lines
}

/// The name of a module imported by name (`subimport`, `_import_module`).
fn module_name<'p>(
    pickle: &'p Pickle<'_>,
    recognition: &Recognition,
    value: Value,
) -> Option<&'p str> {
    match recognition.get(value.node()?)? {
        Recognized::Module { name } => view::str(pickle, *name),
        _ => None,
    }
}

/// Whether a global is a definition of this text under its own name (a recursive
/// function's reference to itself).
fn is_itself(plan: &Plan, recognition: &Recognition, key: &str, value: Value) -> bool {
    value
        .node()
        .map(|id| recognition.resolve(id).0)
        .and_then(|id: NodeId| plan.names.get(&id))
        .is_some_and(|name| name == key)
}
