//! What the soundness check compares: the globals, calls, extension codes and persistent
//! ids that `scan` reports for an input, against one reading of `scan_oracle.py check`
//! (CPython's unpicklers with a recording `find_class`). Shared by the differential test
//! (`soundness.rs`) and the fuzz target `fuzz/fuzz_targets/scan_soundness.rs`, which
//! includes this file by path, so both judge a miss the same way.

use std::collections::HashSet;

use picklegraph::graph::compat::python3_name;
use picklegraph::scan::{FileScan, FindingKind};
use picklegraph::LoadOptions;

/// What the scan of `input` reports: global names, called names (None for a computed
/// callable), whether it has an extension code and a persistent id.
pub struct Reported {
    globals: HashSet<String>,
    calls: HashSet<Option<String>>,
    extension: bool,
    persistent: bool,
}

pub fn reported(input: &[u8]) -> Reported {
    let scan = FileScan::of(input, &LoadOptions::scanning(), false);
    let mut out = Reported {
        globals: HashSet::new(),
        calls: HashSet::new(),
        extension: false,
        persistent: false,
    };
    // `getattr(named_global, 'constant')` is reported as the lookup of the attribute's
    // dotted name, judged by that name: it stands for CPython's call of getattr, and a
    // call of what it returns (a computed callable to the oracle) is reported by that name.
    let lookups: HashSet<&String> = scan
        .findings()
        .filter(|f| f.kind == FindingKind::Global && f.text.starts_with("builtins.getattr("))
        .filter_map(|f| f.name.as_ref())
        .collect();
    if !lookups.is_empty() {
        out.calls.insert(Some("builtins.getattr".to_string()));
    }
    for finding in scan.findings() {
        match finding.kind {
            FindingKind::Global => {
                out.globals.extend(finding.name.clone());
            }
            FindingKind::Call | FindingKind::Instance => {
                if finding
                    .name
                    .as_ref()
                    .is_some_and(|name| lookups.contains(name))
                {
                    out.calls.insert(None);
                }
                out.calls.insert(finding.name.clone());
            }
            FindingKind::Extension => out.extension = true,
            FindingKind::Persistent => out.persistent = true,
            FindingKind::GlobalMutation => {}
        }
    }
    out
}

/// The oracle's readings: repeated loads from an `io.BytesIO` (C, pure Python), from a
/// file the C unpickler can peek into, and one load of each.
pub const READERS: [&str; 5] = ["c_load", "c_peek", "py_load", "c_loads", "py_loads"];

/// Pure builtin constructors the machine folds into native values.
const FOLDED: &[&str] = &[
    "builtins.set",
    "builtins.frozenset",
    "builtins.bytearray",
    "builtins.bytes",
    "_codecs.encode",
];

/// What one reading of the oracle resolved that the scan does not report.
pub fn missed(reading: &serde_json::Value, scan: &Reported) -> Vec<String> {
    let mut missed = Vec::new();
    for global in reading["globals"].as_array().unwrap() {
        let (module, name) = (global[0].as_str().unwrap(), global[1].as_str().unwrap());
        let (m, n) = python3_name(module, name);
        let dotted = format!("{m}.{n}");
        if name.starts_with("marker_ext") {
            // Resolved through an extension code (or named outright by a GLOBAL).
            if !scan.extension && !scan.globals.contains(&dotted) {
                missed.push(format!("extension global {module}.{name}"));
            }
            continue;
        }
        if !scan.globals.contains(&dotted) {
            missed.push(format!("global {module}.{name}"));
        }
    }
    for call in reading["calls"].as_array().unwrap() {
        let name = call.as_array().map(|pair| {
            let (m, n) = python3_name(pair[0].as_str().unwrap(), pair[1].as_str().unwrap());
            format!("{m}.{n}")
        });
        let extension_call = name.as_deref().is_some_and(|n| n.contains(".marker_ext"));
        // The machine folds these into their values (DESIGN.md, invariant 1): the global
        // is reported, the call is not.
        let folded = name.as_deref().is_some_and(|n| FOLDED.contains(&n));
        let found =
            folded || scan.calls.contains(&name) || (extension_call && scan.calls.contains(&None));
        if !found {
            missed.push(format!("call of {name:?}"));
        }
    }
    if reading["persistent"].as_u64().unwrap() > 0 && !scan.persistent {
        missed.push("persistent id".to_string());
    }
    missed
}
