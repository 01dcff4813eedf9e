//! The layers of `docs/layers.md`, kept: every `crate::…` path and every `super::` climb in
//! `src/` is resolved to the top-level module it names, and a module may name only its
//! own layer and those below it.
//!
//! | layer       | modules                                                          | may use            |
//! |-------------|------------------------------------------------------------------|--------------------|
//! | core        | `opcode` `reader` `error` `limits` `text` `graph` `machine` `builtins` `codec` | core         |
//! | recognizers | `python`                                                         | core               |
//! | views       | `render` `stats`                                                 | recognizers, core  |
//! | containers  | `model` `container`                                              | recognizers, core  |
//! | verdicts    | `scan` `convert`                                                 | all of the above   |
//!
//! `lib.rs` is the front door and may name anything; the command line (`src/bin/`) is a
//! crate of its own that the library never includes. Test modules (`#[cfg(test)]`, at
//! the end of a file) may use a higher layer as an oracle (a machine test that compares
//! reprs) and are not read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Layer {
    Core,
    Recognizers,
    Views,
    Containers,
    Verdicts,
    /// `lib.rs`: the crate's front door.
    Root,
}

impl Layer {
    /// The layers a module of this layer may name.
    fn may_use(self, other: Layer) -> bool {
        use Layer::*;
        match self {
            Root => true,
            Core => other == Core,
            Recognizers => matches!(other, Core | Recognizers),
            Views => matches!(other, Core | Recognizers | Views),
            Containers => matches!(other, Core | Recognizers | Containers),
            Verdicts => other != Root,
        }
    }
}

/// The layer of a top-level module of the crate, `None` for a name that is no module.
fn module_layer(module: &str) -> Option<Layer> {
    Some(match module {
        "opcode" | "reader" | "error" | "limits" | "text" | "graph" | "machine" | "builtins"
        | "codec" => Layer::Core,
        "python" => Layer::Recognizers,
        "render" | "stats" => Layer::Views,
        "model" | "container" => Layer::Containers,
        "scan" | "convert" => Layer::Verdicts,
        _ => return None,
    })
}

/// One forbidden use: which file, which line, what it names.
#[derive(Debug, PartialEq, Eq)]
struct Violation {
    file: String,
    line: usize,
    path: String,
    from: Layer,
    to: Layer,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "src/{}:{}: `{}` ({:?} may not use {:?})",
            self.file, self.line, self.path, self.from, self.to
        )
    }
}

/// The module path of a file under `src/`: `python/skeleton/expr.rs` is
/// `[python, skeleton, expr]`, `python/mod.rs` is `[python]`, `lib.rs` is `[]`.
fn module_path(file: &str) -> Vec<String> {
    let mut parts: Vec<String> = file.split('/').map(str::to_string).collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_string());
    }
    parts
}

/// The top-level module of a file, or `None` for `lib.rs`.
fn file_layer(file: &str) -> Option<Layer> {
    match module_path(file).first() {
        None => Some(Layer::Root),
        Some(top) => module_layer(top),
    }
}

/// The names that `lib.rs` re-exports (`pub use graph::{Node, Value}`) with the module
/// each comes from, so that `crate::Node` counts as the graph.
fn root_names(lib: &str) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    for statement in lib.split(';') {
        let statement = statement.trim();
        let Some(rest) = statement.strip_prefix("pub use ") else {
            continue;
        };
        let rest = rest.trim_start_matches("crate::");
        let Some((module, items)) = rest.split_once("::") else {
            continue;
        };
        for item in items
            .trim_matches(|c| c == '{' || c == '}')
            .split(',')
            .map(|item| item.split("::").last().unwrap_or("").trim())
            .map(|item| item.rsplit(" as ").next().unwrap_or(item).trim())
            .filter(|item| !item.is_empty())
        {
            names.insert(item.to_string(), module.to_string());
        }
    }
    names
}

/// The source without comments and without its test module.
fn code_of(text: &str) -> Vec<(usize, String)> {
    let mut lines = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            let next = text.lines().nth(index + 1).unwrap_or("");
            if next.trim_start().starts_with("mod ") {
                break;
            }
        }
        let code = match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        };
        lines.push((index + 1, code.to_string()));
    }
    lines
}

/// The first segment of each path a `{…}` group (or a plain path) starts with.
fn first_segments(rest: &str) -> Vec<String> {
    let rest = rest.trim_start();
    if let Some(group) = rest.strip_prefix('{') {
        let mut depth = 0usize;
        let mut segments = Vec::new();
        let mut start = true;
        for (at, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => start = true,
                c if start && (c.is_alphanumeric() || c == '_') => {
                    start = false;
                    segments.push(identifier(&group[at..]));
                }
                _ => {}
            }
        }
        return segments;
    }
    vec![identifier(rest)]
}

fn identifier(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// Every use in `file` that its layer forbids. `roots` are `lib.rs`'s re-exports.
fn check_file(file: &str, text: &str, roots: &BTreeMap<String, String>) -> Vec<Violation> {
    let Some(from) = file_layer(file) else {
        return Vec::new();
    };
    let here = module_path(file);
    let mut found = Vec::new();
    for (line, code) in code_of(text) {
        let mut modules: Vec<(String, String)> = Vec::new();
        for (at, _) in code.match_indices("crate::") {
            let before = code[..at].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let rest = &code[at + "crate::".len()..];
            for segment in first_segments(rest) {
                modules.push((segment.clone(), format!("crate::{segment}")));
            }
        }
        for (at, _) in code.match_indices("super::") {
            let before = code[..at].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let mut rest = &code[at..];
            let mut climbs = 0;
            while let Some(after) = rest.strip_prefix("super::") {
                climbs += 1;
                rest = after;
            }
            // `super` is the parent of the file's module: one segment fewer each time.
            let kept = here.len().saturating_sub(climbs);
            let base = &here[..kept];
            for segment in first_segments(rest) {
                let top = base.first().cloned().unwrap_or_else(|| segment.clone());
                let shown = format!("{}{}", "super::".repeat(climbs), segment);
                modules.push((top, shown));
            }
        }
        for (name, shown) in modules {
            let module = roots.get(&name).cloned().unwrap_or(name);
            let Some(to) = module_layer(&module) else {
                continue;
            };
            if !from.may_use(to) {
                found.push(Violation {
                    file: file.to_string(),
                    line,
                    path: shown,
                    from,
                    to,
                });
            }
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every library file, as `(path under src/, text)`; the command line is left out.
fn library_sources() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path
                .strip_prefix(&src)
                .expect("under src/")
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&path).expect("a readable source file");
            (name, text)
        })
        .filter(|(name, _)| !name.starts_with("bin/"))
        .collect()
}

fn violations(files: &[(String, String)]) -> Vec<Violation> {
    let lib = files
        .iter()
        .find(|(name, _)| name == "lib.rs")
        .map_or("", |(_, text)| text.as_str());
    let roots = root_names(lib);
    files
        .iter()
        .flat_map(|(name, text)| check_file(name, text, &roots))
        .collect()
}

#[test]
fn every_module_uses_only_its_own_layer_and_those_below() {
    let files = library_sources();
    assert!(
        files.len() > 40,
        "found only {} files under src/",
        files.len()
    );
    let found: Vec<String> = violations(&files).iter().map(|v| v.to_string()).collect();
    assert!(
        found.is_empty(),
        "imports across the layers:\n{}",
        found.join("\n")
    );
}

#[test]
fn every_library_module_has_a_layer() {
    let unknown: Vec<String> = library_sources()
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| file_layer(name).is_none())
        .collect();
    assert!(
        unknown.is_empty(),
        "give these a layer in tests/testsuite/layers.rs and docs/layers.md: {unknown:?}"
    );
}

#[test]
fn the_library_never_includes_the_command_line() {
    for (name, text) in library_sources() {
        for (line, code) in code_of(&text) {
            let includes_bin =
                (code.contains("#[path") || code.contains("include!")) && code.contains("bin/");
            assert!(!includes_bin, "src/{name}:{line} includes the command line");
            assert!(
                !code.contains("picklegraph_cli"),
                "src/{name}:{line} names the command line"
            );
        }
    }
}

fn one(file: &str, text: &str) -> Vec<String> {
    let files = vec![
        (
            "lib.rs".to_string(),
            "pub use graph::{Node, Value};\npub use scan::scan_bytes;\n".to_string(),
        ),
        (file.to_string(), text.to_string()),
    ];
    violations(&files).iter().map(|v| v.to_string()).collect()
}

#[test]
fn a_forbidden_import_is_reported_with_its_file_and_line() {
    assert_eq!(
        one(
            "graph/mod.rs",
            "use crate::graph::Node;\nuse crate::python::view;\n"
        ),
        ["src/graph/mod.rs:2: `crate::python` (Core may not use Recognizers)"]
    );
    assert_eq!(
        one(
            "python/numpy.rs",
            "    let x = crate::render::repr::repr(p, v, 9);"
        ),
        ["src/python/numpy.rs:1: `crate::render` (Recognizers may not use Views)"]
    );
    assert_eq!(
        one("machine/mod.rs", "use crate::{graph::Node, scan::Verdict};"),
        ["src/machine/mod.rs:1: `crate::scan` (Core may not use Verdicts)"]
    );
    // A re-export of lib.rs counts as the module it comes from.
    assert_eq!(
        one("text/mod.rs", "let r = crate::scan_bytes(b);"),
        ["src/text/mod.rs:1: `crate::scan_bytes` (Core may not use Verdicts)"]
    );
    assert!(one(
        "render/repr.rs",
        "use crate::python::view;\nuse crate::Node;"
    )
    .is_empty());
}

#[test]
fn a_super_climb_is_resolved_before_it_is_judged() {
    // python/skeleton/expr.rs: super is python::skeleton, super::super is python.
    assert_eq!(
        one("python/skeleton/expr.rs", "use super::super::super::render::show;"),
        ["src/python/skeleton/expr.rs:1: `super::super::super::render` (Recognizers may not use Views)"]
    );
    assert!(one("python/skeleton/expr.rs", "use super::super::view;").is_empty());
    // In a mod.rs, super is the folder above: python/mod.rs's super is the crate.
    assert_eq!(
        one("python/mod.rs", "use super::render::repr;"),
        ["src/python/mod.rs:1: `super::render` (Recognizers may not use Views)"]
    );
    assert!(one("render/show/mod.rs", "use super::repr;").is_empty());
}

#[test]
fn comments_and_test_modules_are_not_imports() {
    let text = "/// See [`crate::render::show`].\nfn f() {}\n#[cfg(test)]\nmod tests {\n    use crate::render::repr::to_repr;\n}\n";
    assert!(one("machine/keys.rs", text).is_empty());
}
