//! PyTorch modules in `show`: the tree `print(model)` prints (`(fc1): Linear(in_features=4,
//! out_features=8, bias=True)`, repeated layers of a `ModuleList` as `(0-1): 2 x …`),
//! with the `extra_repr` of torch's common layers read from the pickled attributes
//! ([`super::extra_repr`]) and `Name()` for the others; hook dicts and training flags are not printed. A footer
//! counts the parameters, in all and per top-level child.
//!
//! ```text
//! TinyMLP(
//!   (hidden): Linear(in_features=4, out_features=8, bias=True)
//! )
//! # 58 parameters (float32): hidden 40, out 18
//! ```

use std::cell::RefCell;
use std::collections::HashSet;

use super::doc::Doc;
use super::Recognizer;
use crate::graph::{NodeId, Pickle, Value};
use crate::python::nn::{self, Module};
use crate::python::tensor_data::StorageBytes;
use crate::python::torch::NestedStorages;
use crate::render::repr::Renderer;
use crate::text::quantity::thousands;

/// Modules nested deeper than this print as `…`: real models nest a dozen levels.
const MAX_DEPTH: usize = 64;
/// Modules printed in one tree at most; the rest print as `…`.
const MAX_MODULES: usize = 20_000;

/// The recognizer. It keeps the storages of the pickle's `_load_from_bytes` calls: a
/// whole module pickled with `pickle.dumps` holds its parameters' storages nested in
/// bytes, and its parameter counts need them.
#[derive(Default)]
pub struct Modules(RefCell<NestedStorages>);

impl Recognizer for Modules {
    fn name(&self) -> &'static str {
        "torch-module"
    }

    /// It reads instances only.
    fn claims_containers(&self, _: &Pickle<'_>) -> bool {
        false
    }

    fn prepare_storages(&self, _: &Pickle<'_>, storages: &StorageBytes<'_>) {
        *self.0.borrow_mut() = storages.nested().clone();
    }

    fn recognize(&self, pickle: &Pickle<'_>, id: NodeId) -> Option<Doc> {
        let root = nn::module(pickle, Value::Node(id))?;
        let nested = self.0.borrow();
        let mut printer = TreePrinter {
            pickle,
            renderer: Renderer::new(pickle),
            path: vec![id],
            printed: 0,
        };
        let text = printer.repr(&root, 0);
        let mut parts = Vec::new();
        for (index, line) in text.lines().enumerate() {
            if index > 0 {
                parts.push(Doc::HardLine);
            }
            parts.push(tree_line(line));
        }
        parts.extend([Doc::HardLine, Doc::comment(footer(pickle, &root, &nested))]);
        Some(Doc::Concat(parts))
    }
}

/// A line of the tree, as `print(model)` writes it when it fits; a layer whose arguments
/// do not fit the width breaks at its commas, its arguments indented one step past the
/// line's own indentation.
fn tree_line(line: &str) -> Doc {
    let code = line.trim_start();
    let spaces = line.len() - code.len();
    let mut doc = super::brackets::text(code.to_string());
    for _ in 0..spaces / 2 {
        doc = Doc::Indent(vec![doc]);
    }
    Doc::Concat(vec![Doc::text(" ".repeat(spaces)), doc])
}

struct TreePrinter<'p, 'a> {
    pickle: &'p Pickle<'a>,
    renderer: Renderer<'p, 'a>,
    path: Vec<NodeId>,
    printed: usize,
}

impl TreePrinter<'_, '_> {
    /// `Module.__repr__`: the name, the extra repr, each child indented under it.
    fn repr(&mut self, module: &Module<'_>, depth: usize) -> String {
        self.printed += 1;
        let extra = self.extra_repr(module);
        let extra_lines: Vec<&str> = match extra.is_empty() {
            true => Vec::new(),
            false => extra.split('\n').collect(),
        };
        let children = self.children(module, depth);
        let mut lines: Vec<String> = extra_lines.iter().map(|l| l.to_string()).collect();
        lines.extend(children.iter().cloned());
        let mut out = format!("{}(", module.name);
        if !lines.is_empty() {
            if extra_lines.len() == 1 && children.is_empty() {
                out.push_str(extra_lines[0]);
            } else {
                out.push_str("\n  ");
                out.push_str(&lines.join("\n  "));
                out.push('\n');
            }
        }
        out.push(')');
        out
    }

    /// The children's lines: `(name): repr`, indented; a `ModuleList`'s runs of equal
    /// children folded as torch folds them, `(0-1): 2 x repr`.
    fn children(&mut self, module: &Module<'_>, depth: usize) -> Vec<String> {
        let reprs: Vec<(&str, String)> = module
            .children
            .iter()
            .map(|&(name, value)| (name, self.child(value, depth + 1)))
            .collect();
        if module.name != "ModuleList" {
            return reprs
                .into_iter()
                .map(|(name, text)| add_indent(&format!("({name}): {text}"), 2))
                .collect();
        }
        let mut runs: Vec<(usize, usize, String)> = Vec::new();
        for (i, (_, text)) in reprs.into_iter().enumerate() {
            match runs.last_mut() {
                Some((_, end, last)) if *last == text => *end = i,
                _ => runs.push((i, i, text)),
            }
        }
        runs.into_iter()
            .map(|(start, end, text)| {
                let line = match start == end {
                    true => format!("({start}): {text}"),
                    false => format!("({start}-{end}): {} x {text}", end - start + 1),
                };
                add_indent(&line, 2)
            })
            .collect()
    }

    /// A child's repr: a module, `None`, or what `repr` makes of anything else.
    fn child(&mut self, value: Value, depth: usize) -> String {
        let Some(id) = value.node() else {
            return self.renderer.render(value, 200).0;
        };
        if depth > MAX_DEPTH || self.printed >= MAX_MODULES || self.path.contains(&id) {
            return "…".to_string();
        }
        let Some(child) = nn::module(self.pickle, value) else {
            return self.renderer.render(value, 200).0;
        };
        self.path.push(id);
        let text = self.repr(&child, depth);
        self.path.pop();
        text
    }

    /// The layer's `extra_repr`, as [`super::extra_repr`] knows it.
    fn extra_repr(&mut self, module: &Module<'_>) -> String {
        super::extra_repr::ExtraRepr::new(self.pickle, &mut self.renderer, module).text()
    }
}

/// torch's `_addindent`: every line after the first indented by `spaces`, blank ones
/// left empty.
fn add_indent(text: &str, spaces: usize) -> String {
    let mut lines = text.split('\n');
    let mut out = lines.next().unwrap_or_default().to_string();
    for line in lines {
        out.push('\n');
        if !line.trim().is_empty() {
            out.push_str(&" ".repeat(spaces));
            out.push_str(line);
        }
    }
    out
}

/// `# 58 parameters (float32, 232 B): hidden 40, out 18`: every parameter tensor of the
/// tree once (a shared one is counted once), and those of each top-level child.
fn footer<'p>(pickle: &'p Pickle<'_>, root: &Module<'p>, nested: &'p NestedStorages) -> String {
    let mut seen = HashSet::new();
    let mut dtypes: Vec<&str> = Vec::new();
    let (total, bytes) = count(pickle, root, nested, &mut seen, &mut dtypes);
    let mut text = format!("# {} parameters", thousands(total));
    if !dtypes.is_empty() {
        let size = crate::python::torch::human_size(bytes);
        text.push_str(&format!(" ({}, {size})", dtypes.join(", ")));
    }
    let mut per_child = Vec::new();
    let mut seen_children = HashSet::new();
    for &(name, value) in root.children.iter().take(32) {
        if let Some(child) = nn::module(pickle, value) {
            let (n, _) = count(pickle, &child, nested, &mut seen_children, &mut Vec::new());
            per_child.push(format!("{name} {}", thousands(n)));
        }
    }
    if !per_child.is_empty() {
        text.push_str(": ");
        text.push_str(&per_child.join(", "));
        if root.children.len() > 32 {
            text.push_str(", …");
        }
    }
    text
}

/// The elements and bytes of the parameters under a module not yet in `seen`, walked
/// with a heap stack (a hostile tree may nest without end).
fn count<'p>(
    pickle: &'p Pickle<'_>,
    root: &Module<'p>,
    nested: &'p NestedStorages,
    seen: &mut HashSet<NodeId>,
    dtypes: &mut Vec<&'static str>,
) -> (u64, u64) {
    let mut total = 0u64;
    let mut bytes = 0u64;
    let mut visited: HashSet<NodeId> = HashSet::new();
    let mut stack: Vec<Module<'p>> = vec![root.clone()];
    while let Some(module) = stack.pop() {
        for (id, tensor) in module.tensors(pickle, Some(nested)) {
            if seen.insert(id) {
                total = total.saturating_add(tensor.numel());
                bytes = bytes.saturating_add(tensor.nbytes());
                if !dtypes.contains(&tensor.dtype.name) {
                    dtypes.push(tensor.dtype.name);
                }
            }
        }
        for &(_, value) in &module.children {
            let Some(id) = value.node() else { continue };
            if visited.len() < MAX_MODULES && visited.insert(id) {
                if let Some(child) = nn::module(pickle, value) {
                    stack.push(child);
                }
            }
        }
    }
    (total, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::show::{to_text, ShowOptions};

    #[test]
    fn a_module_that_holds_itself_prints_the_cycle_as_an_ellipsis() {
        // Loop.__new__(Loop), BUILD {'_parameters': {'w': None},
        //                            '_modules': {'me': <itself>, 'none': None}}
        let data = b"\x80\x02ctorch.nn.fake\nLoop\n)\x81q\x00}(X\x0b\x00\x00\x00_parameters}\
X\x01\x00\x00\x00wNsX\x08\x00\x00\x00_modules}(X\x02\x00\x00\x00meh\x00X\x04\x00\x00\x00noneNuub.";
        let pickle = crate::load(data).unwrap();
        let mut options = ShowOptions::plain(100);
        options.recognizers.push(Box::new(Modules::default()));
        assert_eq!(
            to_text(&pickle, &options),
            "&1 Loop(\n  (me): …\n  (none): None\n)\n# 0 parameters: me 0\n"
        );
    }
}
