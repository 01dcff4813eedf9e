//! The definitions of classes and functions shipped by value, as Python-like text:
//! `class Name(Base):` with its members, `def name(signature): ...` with its source
//! location, names used, closure and qualified name in a comment.
//!
//! A function or class found in a class's namespace is written inside that class (the
//! first class that holds it, at most [`MAX_NESTING`] classes deep); any other is
//! written at the top level. Elsewhere they are referred to by the name their
//! definition has (`SubClass`, `Shape.describe`).

use std::collections::HashMap;

use super::expr::{quoted, Writer};
use super::Line;
use crate::graph::{Items, NodeId, Pickle, Value};
use crate::python::code::FunctionKind;
use crate::python::model::{ClassDef, DescriptorDef, FunctionDef, Recognized};
use crate::python::{names, view, Recognition};

/// Classes nest at most this deep in the text; deeper ones are written at the top level.
pub const MAX_NESTING: usize = 8;

/// Which definitions exist, where each is written, and the names they go by.
#[derive(Debug, Default)]
pub struct Plan {
    /// Classes and functions shipped by value, in arena order.
    pub defs: Vec<NodeId>,
    /// The class each nested definition is written in, and its key there.
    pub owner: HashMap<NodeId, (NodeId, String)>,
    /// The name each definition goes by in expressions.
    pub names: HashMap<NodeId, String>,
    /// Classes and functions left out, past [`MAX_PLAN_ENTRIES`].
    pub omitted: usize,
}

/// A class's namespace: its dicts merged in order (a later key replaces an earlier
/// one, in place), then the attributes set one by one.
pub fn namespace<'p>(pickle: &'p Pickle<'_>, class: &ClassDef) -> Vec<(&'p str, Value)> {
    let mut entries: Vec<(&'p str, Value)> = Vec::new();
    let mut index: HashMap<&'p str, usize> = HashMap::new();
    let mut set = |key: &'p str, value: Value| match index.get(key) {
        Some(&i) => entries[i].1 = value,
        None => {
            index.insert(key, entries.len());
            entries.push((key, value));
        }
    };
    for &dict in &class.namespaces {
        for (key, value) in view::str_dict(pickle, dict).unwrap_or_default() {
            set(key, value);
        }
    }
    for &(key, value) in &class.assigned {
        if let Some(key) = view::str(pickle, key) {
            set(key, value);
        }
    }
    entries
}

/// The functions and classes a member value holds: itself, or the functions a
/// `classmethod`, `staticmethod` or `property` wraps.
fn held(recognition: &Recognition, value: Value) -> Vec<NodeId> {
    let Some(id) = value.node() else {
        return Vec::new();
    };
    let (id, what) = recognition.resolve(id);
    match what {
        Some(Recognized::Class(_) | Recognized::Function(_)) => vec![id],
        Some(Recognized::Descriptor(descriptor)) => {
            let parts = match *descriptor {
                DescriptorDef::ClassMethod(f) | DescriptorDef::StaticMethod(f) => vec![f],
                DescriptorDef::Property {
                    fget, fset, fdel, ..
                } => vec![fget, fset, fdel],
            };
            parts
                .into_iter()
                .filter_map(|part| part.node())
                .map(|part| recognition.resolve(part))
                .filter(|(_, what)| matches!(what, Some(Recognized::Function(_))))
                .map(|(part, _)| part)
                .collect()
        }
        _ => Vec::new(),
    }
}

/// At most this many namespace entries are read to plan the definitions: classes past
/// that budget are not written out, so that many classes sharing one huge namespace
/// cannot cost the product of their numbers.
pub const MAX_PLAN_ENTRIES: usize = 1 << 20;

/// Decides where each definition is written and what it is called.
pub fn plan(pickle: &Pickle<'_>, recognition: &Recognition) -> Plan {
    let mut plan = Plan::default();
    let mut work = 0usize;
    for (id, what) in recognition.iter() {
        match what {
            Recognized::Class(class) if work <= MAX_PLAN_ENTRIES => {
                work += class
                    .namespaces
                    .iter()
                    .filter_map(|&d| view::dict(pickle, d))
                    .map(|entries| entries.len())
                    .sum::<usize>();
                plan.defs.push(id);
            }
            Recognized::Function(_) if work <= MAX_PLAN_ENTRIES => plan.defs.push(id),
            Recognized::Class(_) | Recognized::Function(_) => plan.omitted += 1,
            _ => {}
        }
    }
    for &id in &plan.defs {
        let Some(class) = recognition.class(id) else {
            continue;
        };
        for (key, value) in namespace(pickle, class) {
            for member in held(recognition, value) {
                if member != id && !plan.owner.contains_key(&member) {
                    plan.owner.insert(member, (id, key.to_string()));
                }
            }
        }
    }
    plan.owner
        .retain(|member, _| plan.defs.binary_search(member).is_ok());
    for &id in &plan.defs {
        if owner_chain(&plan.owner, id).is_none() {
            plan.owner.remove(&id);
        }
    }
    name_definitions(pickle, recognition, &mut plan);
    plan
}

/// The classes `id` is nested in, innermost first; `None` when the chain loops or is
/// deeper than [`MAX_NESTING`].
fn owner_chain(owner: &HashMap<NodeId, (NodeId, String)>, id: NodeId) -> Option<Vec<NodeId>> {
    let mut chain = Vec::new();
    let mut current = id;
    while let Some((parent, _)) = owner.get(&current) {
        if *parent == id || chain.contains(parent) || chain.len() >= MAX_NESTING {
            return None;
        }
        chain.push(*parent);
        current = *parent;
    }
    Some(chain)
}

fn name_definitions(pickle: &Pickle<'_>, recognition: &Recognition, plan: &mut Plan) {
    let mut taken: HashMap<String, usize> = HashMap::new();
    for &id in &plan.defs {
        if plan.owner.contains_key(&id) {
            continue;
        }
        let base = base_name(pickle, recognition, id);
        let count = taken.entry(base.clone()).or_insert(0);
        *count += 1;
        let name = if *count == 1 {
            base
        } else {
            format!("{base}#{count}")
        };
        plan.names.insert(id, name);
    }
    for &id in &plan.defs {
        let Some(chain) = owner_chain(&plan.owner, id) else {
            continue;
        };
        let Some(top) = chain.last() else { continue };
        let mut name = plan.names.get(top).cloned().unwrap_or_default();
        let mut path: Vec<NodeId> = chain.iter().rev().skip(1).copied().collect();
        path.push(id);
        for step in path {
            if let Some((_, key)) = plan.owner.get(&step) {
                name.push('.');
                name.push_str(key);
            }
        }
        plan.names.insert(id, name);
    }
}

/// A definition's own name: a class's `__name__`, a function's `__name__` (or its code's).
fn base_name(pickle: &Pickle<'_>, recognition: &Recognition, id: NodeId) -> String {
    if let Some(class) = recognition.class(id) {
        return view::str(pickle, class.name).unwrap_or("?").to_string();
    }
    match recognition.function(id) {
        Some(function) => function_name(pickle, function).to_string(),
        None => "?".to_string(),
    }
}

/// A function's `__name__`: the one the pickle sets, or its code's.
pub fn function_name<'p>(pickle: &'p Pickle<'_>, function: &FunctionDef) -> &'p str {
    function
        .name
        .and_then(|n| view::str(pickle, n))
        .unwrap_or_else(|| function.code.name(pickle))
}

/// A function's `__qualname__`: the one the pickle sets, or its code's.
pub fn function_qualname<'p>(pickle: &'p Pickle<'_>, function: &FunctionDef) -> &'p str {
    function
        .qualname
        .and_then(|n| view::str(pickle, n))
        .unwrap_or_else(|| function.code.qualname(pickle))
}

/// A class's `__module__`: from its namespace (the last dict that sets it), or the
/// argument that gave it.
pub fn class_module<'p>(pickle: &'p Pickle<'_>, class: &ClassDef) -> Option<&'p str> {
    let from_namespace = class.namespaces.iter().rev().find_map(|&dict| {
        let entries = view::dict(pickle, dict)?;
        entries
            .iter()
            .rev()
            .find(|&(key, _)| view::str(pickle, key) == Some("__module__"))
            .map(|(_, v)| v)
    });
    from_namespace
        .or(class.module)
        .and_then(|v| view::str(pickle, v))
}

/// Writes definitions.
pub struct Definer<'x, 'r, 'p, 'a> {
    /// The pickle.
    pub pickle: &'p Pickle<'a>,
    /// What the recognizers found in it.
    pub recognition: &'r Recognition,
    /// Where each definition goes.
    pub plan: &'r Plan,
    /// The expression writer (and its budget) the definitions share.
    pub writer: &'x mut Writer<'r, 'p, 'a>,
}

impl Definer<'_, '_, '_, '_> {
    /// The lines of the definition of `id`, written at `depth` levels of nesting.
    pub fn define(&mut self, id: NodeId, depth: usize, lines: &mut Vec<Line>) {
        if let Some(class) = self.recognition.class(id) {
            self.class(id, class, depth, lines);
        } else if let Some(function) = self.recognition.function(id) {
            let name = self.plan.names.get(&id).cloned().unwrap_or_default();
            self.function(function, &name, None, &[], depth, lines);
        }
    }

    fn class(&mut self, id: NodeId, class: &ClassDef, depth: usize, lines: &mut Vec<Line>) {
        let pickle = self.pickle;
        let name = match self.plan.owner.get(&id) {
            Some((_, key)) => key.clone(),
            None => self.plan.names.get(&id).cloned().unwrap_or_default(),
        };
        let members = namespace(pickle, class);
        let mut header = format!("class {name}");
        let arguments = self.class_arguments(class);
        if !arguments.is_empty() {
            header.push_str(&format!("({arguments})"));
        }
        header.push(':');
        let mut comment = Vec::new();
        if let Some(module) = class_module(pickle, class) {
            comment.push(format!("module {module}"));
        }
        let own_name = view::str(pickle, class.name).unwrap_or_default();
        if let Some(qualname) = class
            .qualname
            .and_then(|q| view::str(pickle, q))
            .filter(|q| *q != own_name)
        {
            comment.push(format!("qualname {qualname}"));
        }
        lines.push(Line::new(depth, header, comment.join(", ")));
        let body_start = lines.len();
        if let Some(doc) = members
            .iter()
            .find(|(k, _)| *k == "__doc__")
            .map(|&(_, v)| v)
        {
            if let Some(text) = view::str(pickle, doc) {
                lines.push(Line::new(depth + 1, docstring(text), String::new()));
            }
        }
        if let Some(enum_members) = class.enum_members {
            for (key, value) in view::str_dict(pickle, enum_members).unwrap_or_default() {
                let value = self.writer.expr(value);
                lines.push(Line::new(
                    depth + 1,
                    format!("{key} = {value}"),
                    String::new(),
                ));
            }
        }
        self.members(id, &members, depth + 1, lines);
        if lines.len() == body_start {
            if let Some(line) = lines.last_mut() {
                line.code.push_str(" ...");
            }
        }
    }

    /// `Base, Other, metaclass=Meta`: the bases (without a lone `object`), and the
    /// metaclass unless it is `type`.
    fn class_arguments(&mut self, class: &ClassDef) -> String {
        let pickle = self.pickle;
        let bases = view::tuple(pickle, class.bases).map_or_else(Vec::new, |items| items.to_vec());
        let mut parts: Vec<String> = Vec::new();
        let lone_object =
            matches!(bases[..], [base] if names::names(pickle, base, "builtins", "object"));
        if !lone_object {
            parts.extend(bases.iter().map(|&base| self.writer.expr(base)));
        }
        if let Some(metaclass) = class.metaclass {
            if !names::names(pickle, metaclass, "builtins", "type") {
                parts.push(format!("metaclass={}", self.writer.expr(metaclass)));
            }
        }
        parts.join(", ")
    }

    fn members(
        &mut self,
        id: NodeId,
        members: &[(&str, Value)],
        depth: usize,
        lines: &mut Vec<Line>,
    ) {
        let pickle = self.pickle;
        let annotations = members
            .iter()
            .find(|(k, _)| *k == "__annotations__")
            .and_then(|&(_, v)| view::str_dict(pickle, v))
            .filter(|entries| entries.iter().all(|(k, _)| view::is_identifier(k)));
        let mut annotated: Vec<&str> = Vec::new();
        for &(key, annotation) in annotations.iter().flatten() {
            let annotation = self.writer.expr(annotation);
            let value = members.iter().find(|(k, _)| *k == key).map(|&(_, v)| v);
            let code = match value {
                Some(value) if held(self.recognition, value).is_empty() => {
                    annotated.push(key);
                    format!("{key}: {annotation} = {}", self.writer.expr(value))
                }
                _ => format!("{key}: {annotation}"),
            };
            lines.push(Line::new(depth, code, String::new()));
        }
        for &(key, value) in members {
            if self.writer.cut {
                break;
            }
            let skip = matches!(
                key,
                "__module__" | "__qualname__" | "__doc__" | "__dict__" | "__weakref__"
            ) || (key == "__annotations__" && annotations.is_some())
                || (key == "__slotnames__"
                    && view::list(pickle, value).is_some_and(|items| items.is_empty()))
                || annotated.contains(&key);
            if !skip {
                self.member(id, key, value, depth, lines);
            }
        }
    }

    fn owned_by(&self, member: NodeId, class: NodeId, key: &str) -> bool {
        self.plan
            .owner
            .get(&member)
            .is_some_and(|(owner, k)| *owner == class && k == key)
    }

    fn member(
        &mut self,
        class: NodeId,
        key: &str,
        value: Value,
        depth: usize,
        lines: &mut Vec<Line>,
    ) {
        let recognition = self.recognition;
        let resolved = value.node().map(|id| recognition.resolve(id));
        match resolved {
            Some((member, Some(Recognized::Class(_)))) if self.owned_by(member, class, key) => {
                return self.define(member, depth, lines);
            }
            Some((member, Some(Recognized::Function(function))))
                if self.owned_by(member, class, key) =>
            {
                return self.function(function, key, Some(class), &[], depth, lines);
            }
            Some((_, Some(Recognized::Descriptor(descriptor))))
                if self.descriptor(class, key, descriptor, depth, lines) =>
            {
                return;
            }
            _ => {}
        }
        let value = self.writer.expr(value);
        let code = match view::is_identifier(key) {
            true => format!("{key} = {value}"),
            false => format!("vars()[{}] = {value}", quoted(key)),
        };
        lines.push(Line::new(depth, code, String::new()));
    }

    /// `@classmethod`, `@staticmethod` or `@property` definitions, when every function
    /// the descriptor wraps is written here; `false` otherwise.
    fn descriptor(
        &mut self,
        class: NodeId,
        key: &str,
        descriptor: &DescriptorDef,
        depth: usize,
        lines: &mut Vec<Line>,
    ) -> bool {
        let recognition = self.recognition;
        let owned = |value: Value| -> Option<Option<&FunctionDef>> {
            if value == Value::None {
                return Some(None);
            }
            let (id, _) = recognition.resolve(value.node()?);
            let function = recognition.function(id)?;
            self.owned_by(id, class, key).then_some(Some(function))
        };
        match *descriptor {
            DescriptorDef::ClassMethod(f) | DescriptorDef::StaticMethod(f) => {
                let Some(Some(function)) = owned(f) else {
                    return false;
                };
                let decorator = match descriptor {
                    DescriptorDef::ClassMethod(_) => "@classmethod",
                    _ => "@staticmethod",
                };
                self.function(
                    function,
                    key,
                    Some(class),
                    &[decorator.to_string()],
                    depth,
                    lines,
                );
            }
            DescriptorDef::Property {
                fget,
                fset,
                fdel,
                doc,
            } => {
                let (Some(get), Some(set), Some(del)) = (owned(fget), owned(fset), owned(fdel))
                else {
                    return false;
                };
                if get.is_none() || doc != Value::None {
                    return false;
                }
                let parts = [
                    (get, "@property".to_string()),
                    (set, format!("@{key}.setter")),
                    (del, format!("@{key}.deleter")),
                ];
                for (function, decorator) in parts {
                    if let Some(function) = function {
                        self.function(function, key, Some(class), &[decorator], depth, lines);
                    }
                }
            }
        }
        true
    }

    /// `def name(signature): ...` with its comment (and its docstring, if it has one).
    fn function(
        &mut self,
        function: &FunctionDef,
        name: &str,
        class: Option<NodeId>,
        decorators: &[String],
        depth: usize,
        lines: &mut Vec<Line>,
    ) {
        let pickle = self.pickle;
        for decorator in decorators {
            lines.push(Line::new(depth, decorator.clone(), String::new()));
        }
        let (signature, ret) = self.signature(function);
        let ret = ret.map(|r| format!(" -> {r}")).unwrap_or_default();
        let keyword = match function.code.kind() {
            FunctionKind::Coroutine | FunctionKind::AsyncGenerator => "async def",
            FunctionKind::Plain | FunctionKind::Generator => "def",
        };
        let doc = match function.doc {
            Some(doc) => view::str(pickle, doc),
            None => function
                .code
                .docstring(pickle)
                .and_then(|d| view::str(pickle, d)),
        };
        let comment = self.function_comment(function, name, class);
        let code = if view::is_identifier(name) {
            format!(
                "{keyword} {name}({signature}){ret}:{}",
                if doc.is_some() { "" } else { " ..." }
            )
        } else {
            format!("{name} = lambda {signature}: ...")
        };
        lines.push(Line::new(depth, code, comment));
        if let Some(doc) = doc.filter(|_| view::is_identifier(name)) {
            lines.push(Line::new(depth + 1, docstring(doc), String::new()));
        }
    }

    /// The parameter list with defaults and annotations, and the return annotation.
    fn signature(&mut self, function: &FunctionDef) -> (String, Option<String>) {
        let pickle = self.pickle;
        let parameters = function.code.parameters(pickle);
        let defaults: Vec<String> = function
            .defaults
            .and_then(|d| view::tuple(pickle, d))
            .into_iter()
            .flatten()
            .map(|v| self.writer.expr(v))
            .collect();
        let kwdefaults: Vec<(&str, String)> = function
            .kwdefaults
            .and_then(|d| view::str_dict(pickle, d))
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, self.writer.expr(v)))
            .collect();
        let annotations = function
            .annotations
            .and_then(|a| view::str_dict(pickle, a))
            .unwrap_or_default();
        let writer = &mut *self.writer;
        let mut annotation = |name: &str| view::field(&annotations, name).map(|v| writer.expr(v));
        let text = parameters.render(&defaults, &kwdefaults, &mut annotation);
        let ret = view::field(&annotations, "return").map(|v| self.writer.expr(v));
        (text, ret)
    }

    /// `ex.py:6, generator, uses print, closure n=5, qualname make_adder.<locals>.add`.
    fn function_comment(
        &mut self,
        function: &FunctionDef,
        name: &str,
        class: Option<NodeId>,
    ) -> String {
        let pickle = self.pickle;
        let code = &function.code;
        let mut parts = vec![format!("{}:{}", code.filename(pickle), code.firstlineno)];
        match code.kind() {
            FunctionKind::Plain => {}
            FunctionKind::Generator => parts.push("generator".into()),
            FunctionKind::Coroutine => parts.push("coroutine".into()),
            FunctionKind::AsyncGenerator => parts.push("async generator".into()),
        }
        let used = code.names(pickle);
        if !used.is_empty() {
            parts.push(format!("uses {}", used.join(", ")));
        }
        if let Some(closure) = self.closure_text(function) {
            parts.push(closure);
        }
        let own_name = function_name(pickle, function);
        if class.is_some() && own_name != name {
            parts.push(format!("__name__ {own_name}"));
        }
        // Python 2's functions and code, and 3.0 to 3.10's code, have no qualified name.
        let code_qualname = code.qualname.and_then(|q| view::str(pickle, q));
        if let Some(qualname) = function
            .qualname
            .and_then(|q| view::str(pickle, q))
            .or(code_qualname)
        {
            let expected = match class.and_then(|c| self.recognition.class(c)) {
                Some(owner) => {
                    let owner = owner
                        .qualname
                        .or(Some(owner.name))
                        .and_then(|q| view::str(pickle, q));
                    format!("{}.{own_name}", owner.unwrap_or_default())
                }
                None => own_name.to_string(),
            };
            if qualname != expected {
                parts.push(format!("qualname {qualname}"));
            }
            if code_qualname.is_some_and(|c| c != qualname) {
                parts.push(format!("code {}", code_qualname.unwrap_or_default()));
            }
        }
        for constant in code.consts(pickle) {
            if let Some(Recognized::Code(inner)) =
                constant.node().and_then(|id| self.recognition.get(id))
            {
                parts.push(format!(
                    "inner code {} at line {}",
                    inner.name(pickle),
                    inner.firstlineno
                ));
            }
        }
        parts.extend(self.attribute_texts(function));
        parts.join(", ")
    }

    /// `closure n=5, m=<empty>`: each free variable with what its cell holds.
    fn closure_text(&mut self, function: &FunctionDef) -> Option<String> {
        let pickle = self.pickle;
        let freevars = function.code.freevars(pickle);
        if freevars.is_empty() {
            return None;
        }
        let cells = function.closure.and_then(|c| view::tuple(pickle, c));
        let later = function.closure_values.and_then(|c| view::tuple(pickle, c));
        let raw = function
            .closure_contents
            .and_then(|c| view::sequence(pickle, c));
        let item = |items: Option<Items<'_>>, i: usize| items.and_then(|items| items.get(i));
        let mut parts = Vec::new();
        for (i, name) in freevars.iter().enumerate() {
            let contents = match (item(later, i), item(raw, i), item(cells, i)) {
                (Some(cell), _, _) | (None, None, Some(cell)) => self.cell_contents(cell),
                (None, Some(value), _) if is_empty_cell_marker(pickle, value) => Ok(None),
                (None, Some(value), _) => Ok(Some(value)),
                (None, None, None) => Err("?".to_string()),
            };
            let text = match contents {
                Ok(Some(value)) => self.writer.expr(value),
                Ok(None) => "<empty>".to_string(),
                Err(raw) => raw,
            };
            parts.push(format!("{name}={text}"));
        }
        Some(format!("closure {}", parts.join(", ")))
    }

    /// What a cell holds (`Ok(None)` when empty); a cell that is not recognized is
    /// written as it is, in `Err`.
    fn cell_contents(&mut self, cell: Value) -> Result<Option<Value>, String> {
        match cell.node().and_then(|id| self.recognition.get(id)) {
            Some(Recognized::Cell(cell)) => Ok(cell.contents),
            _ => Err(self.writer.expr(cell)),
        }
    }

    /// `module m`, `__dict__ {…}`, `sets key=value`: what else the pickle gives the function.
    fn attribute_texts(&mut self, function: &FunctionDef) -> Vec<String> {
        let pickle = self.pickle;
        let mut parts = Vec::new();
        for &dict in &function.dict {
            if view::dict(pickle, dict).is_some_and(|d| !d.is_empty()) {
                parts.push(format!("__dict__ {}", self.writer.expr(dict)));
            }
        }
        const KNOWN: &[&str] = &[
            "__name__",
            "__qualname__",
            "__module__",
            "__doc__",
            "__defaults__",
            "__kwdefaults__",
            "__annotations__",
            "__globals__",
            "__closure__",
            "_cloudpickle_submodules",
        ];
        for &dict in &function.extra {
            for (key, value) in view::str_dict(pickle, dict).unwrap_or_default() {
                if !KNOWN.contains(&key) {
                    // A name that is not an identifier (a hostile one may hold a line
                    // break or a terminal escape) is written as its repr.
                    let name = match view::is_identifier(key) {
                        true => key.to_string(),
                        false => quoted(key),
                    };
                    parts.push(format!("sets {name}={}", self.writer.expr(value)));
                }
            }
        }
        parts
    }
}

/// cloudpickle before 1.5 marks an empty cell with its `_empty_cell_value` (pickled as
/// the global of that name).
fn is_empty_cell_marker(pickle: &Pickle<'_>, value: Value) -> bool {
    names::cloudpickle_helper(pickle, value) == Some("_empty_cell_value")
}

/// A docstring as written in source: triple-quoted when that reads back the same, else
/// its repr.
fn docstring(text: &str) -> String {
    let plain = !text.contains("\"\"\"")
        && !text.contains('\\')
        && !text.ends_with('"')
        && !text.contains('\n')
        && text.chars().all(|c| !c.is_control())
        && text.chars().count() <= super::expr::MAX_LEAF_CHARS;
    if plain {
        format!("\"\"\"{text}\"\"\"")
    } else {
        let mut out = String::new();
        super::expr::write_str_leaf(&mut out, &crate::graph::PyStr::from_text(text));
        out
    }
}
