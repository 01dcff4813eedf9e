//! CPython's own canned pickles (`test/pickletester.py`'s DATA0 … DATA6) and the
//! malformed inputs its unpickling tests feed, extracted by `generate.py`.

use picklegraph::render::repr::to_repr;
use picklegraph::{load, load_with, LoadOptions};

use crate::common::fixtures;

/// CPython's reprs of the two non-data classes in DATA0–DATA4, written as picklegraph
/// writes their inert forms, so the rest of the text is compared byte for byte.
fn as_cpython_writes_it(ours: &str) -> String {
    let mut text = ours.replace("builtins.complex(3.0, 0.0)", "(3+0j)");
    for state in ["{'foo': 1, 'bar': 2}", "{'bar': 2, 'foo': 1}"] {
        for inert in [
            format!(
                "copyreg._reconstructor(__main__.C, builtins.object, None).__setstate__({state})"
            ),
            format!("__main__.C.__new__(__main__.C).__setstate__({state})"),
        ] {
            text = text.replace(&inert, &format!("<__main__.C {state}>"));
        }
    }
    text
}

#[test]
fn canned_data_pickles_render_as_cpython_renders_them() {
    let dir = fixtures().join("pickletester");
    let mut compared = 0;
    for name in [
        "DATA0.p0",
        "DATA1.p1",
        "DATA2.p2",
        "DATA3.p3",
        "DATA4.p4",
        "DATA_SET.p2",
        "DATA_SET2.p2",
    ] {
        let bytes = std::fs::read(dir.join(format!("{name}.pkl"))).unwrap();
        let expected = std::fs::read_to_string(dir.join(format!("{name}.repr"))).unwrap();
        let pickle = load(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            as_cpython_writes_it(&to_repr(&pickle, pickle.root())),
            expected.trim_end_matches('\n'),
            "{name}"
        );
        compared += 1;
    }
    assert_eq!(compared, 7);
}

#[test]
fn every_canned_pickle_loads() {
    let dir = fixtures().join("pickletester");
    for path in crate::common::files_with_suffix(&dir, ".pkl") {
        let bytes = std::fs::read(&path).unwrap();
        load(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

/// Exceptions that say the stream itself is malformed, as opposed to an import or a
/// call failing (which picklegraph never makes).
fn is_stream_error(result: &str) -> bool {
    [
        "UnpicklingError",
        "EOFError",
        "ValueError",
        "error:",
        "IndexError",
        "KeyError",
        "OverflowError",
        "UnicodeDecodeError",
    ]
    .iter()
    .any(|kind| result.starts_with(&format!("err: {kind}")))
}

#[test]
fn inputs_cpython_rejects_as_malformed_are_rejected() {
    let table = std::fs::read_to_string(fixtures().join("pickletester/bad_inputs.tsv")).unwrap();
    let mut rejected = 0;
    let mut wrong = Vec::new();
    for line in table.lines().skip(1) {
        let fields: Vec<&str> = line.split('\t').collect();
        let [method, hex, c_result, _py_result] = fields[..] else {
            panic!("bad row {line}")
        };
        let bytes = crate::common::unhex(hex);
        // CPython's limit on decimal digits applies; the C unpickler is the reference.
        let outcome = load_with(&bytes, &LoadOptions::default());
        // Whether a global is a type is only known by importing it, which picklegraph never
        // does; the C unpickler's MemoryError for a 2^32-1 memo key is its array memo's
        // limit, not a malformed stream (pickle.py loads those).
        if c_result.contains("class argument must be a type, not builtin_function")
            || c_result.contains("MemoryError")
        {
            continue;
        }
        if is_stream_error(c_result) {
            rejected += 1;
            if let Ok(pickle) = outcome {
                wrong.push(format!(
                    "{method} {hex}: CPython says {c_result}, we load {pickle}"
                ));
            }
        } else if c_result.starts_with("ok") {
            if let Err(err) = outcome {
                wrong.push(format!(
                    "{method} {hex}: CPython loads it ({c_result}), we fail: {err}"
                ));
            }
        }
    }
    assert!(rejected > 150, "most rows are malformed inputs: {rejected}");
    assert!(
        wrong.is_empty(),
        "{} rows disagree:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
