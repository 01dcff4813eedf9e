//! Text files that read as a few pickle opcodes before they fail are "not a pickle",
//! never dangerous or not allowed (`scan::text_file`'s rule), checked against CPython:
//! each shape is read by both of its unpicklers with a recording `find_class`
//! (`scan_oracle.py check`), and no module either asks for could be imported. The
//! counter-cases, protocol 0 pickles cut short that import or call before they fail,
//! stay pickles and keep their findings.

use picklegraph::scan::{scan_file, Verdict};

use crate::soundness::{run_oracle, run_oracle_mode};
use crate::soundness_check::{missed, reported, READERS};

/// Real shapes whose first bytes are opcodes, and where the load fails.
const TEXT: &[(&str, &[u8])] = &[
    (
        "YAML",
        b"chat_template: \"{% for m in messages %}{{ m.content }}{% endfor %}\"\nbos_token: \"<s>\"\n",
    ),
    (
        "YAML, a key that is an identifier",
        b"base_model: meta-llama/Llama-2-7b-hf\nlicense: llama2\ntags:\n- text-generation\n",
    ),
    (
        "Markdown",
        b"Notes on building\n=================\n\nRun `make` and then `make install`.\n",
    ),
    (
        "Python source",
        b"import os\nimport subprocess\n\nprint(os.getcwd())\nsubprocess.run(['ls'])\n",
    ),
    (
        "license text",
        b"This package was debianized by a maintainer.\n\nCopyright: 2001 The Authors\nLicense: GPL-2+\n",
    ),
    (
        "CSV",
        b"id,name,score\n1,alice,3.5\n2,bob,4.25\n",
    ),
    (
        "SVG",
        b"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"16\" height=\"16\"><path d=\"M0 0h16v16H0z\"/></svg>\n",
    ),
    (
        "text read as a persistent id",
        b"Please read the README file for details.\nThen run the tests.\n",
    ),
    ("a GIF image", b"GIF89a\x10\x00\x10\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04"),
    // What a library printed, saved beside its pickle: a PERSID line, then the end.
    // Both unpicklers refuse the PERSID with no persistent_load; with one, it receives
    // the line and the load ends at the end of the input.
    ("scikit-learn's repr", b"PCA(n_components=2)\n"),
    ("pathlib's repr", b"PosixPath('data/train.csv')\n"),
    ("a repr without its newline", b"PurePosixPath('/srv/models/model.pkl')"),
    ("Python source, a class", b"class Foo:\n    pass\n"),
    // pickle._Unpickler reads `lass Foo` (the last character dropped) and imports nothing.
    ("one line of Python, no newline", b"class Foo:"),
    // pickle._Unpickler calls find_class before it looks for INST's mark.
    ("a line read as INST", b"if x:\n    y()\n"),
];

/// Protocol 0 pickles that import or call before they fail, and one that only holds
/// data, cut short: pickles, never "not a pickle".
const PICKLES: &[(&str, &[u8], Verdict)] = &[
    (
        "os.system called, no STOP",
        b"cos\nsystem\n(S'ls'\ntR",
        Verdict::Dangerous,
    ),
    (
        "os.system named, cut before the call",
        b"cos\nsystem\n(S'ls'\nt",
        Verdict::Dangerous,
    ),
    (
        "exec called, then text",
        b"cbuiltins\nexec\n(S'import os'\ntRThis is not a pickle any more\n",
        Verdict::Dangerous,
    ),
    (
        // CPython fails at APPEND on None; the name-only reading goes on (an unpickler
        // given objects that behave otherwise might), so the scan keeps the call.
        "a failed APPEND, then a call read past the error",
        b"Na(cos\nsystem\n(S'ls'\ntR.",
        Verdict::Dangerous,
    ),
    ("a list cut short", b"(lp0\nI1\naI2\na", Verdict::Malformed),
    // importlib imports a dotted name's parents first: `wave` runs, then the import fails.
    (
        "a module whose parent can be imported",
        b"cwave.x y\nfoo\n",
        Verdict::Malformed,
    ),
    // The import comes before the attribute lookup: `colorsys` runs.
    (
        "a global whose name is no identifier",
        b"ccolorsys\nnot a name\n",
        Verdict::Malformed,
    ),
    // A top-level `.name` is found by its last part: `colorsys` runs, as `.colorsys`.
    (
        "a module with a leading dot",
        b"c.colorsys\nx\n",
        Verdict::NotAllowed,
    ),
    // pickle._Unpickler reads a missing second line as '' and imports `csv`.
    ("one line read as GLOBAL", b"ccsv\n", Verdict::Malformed),
    // ... and a last line without its newline less its last character: `cs`.
    (
        "one line read as GLOBAL, no newline",
        b"ccsv",
        Verdict::NotAllowed,
    ),
    // pickle._Unpickler imports `os` for INST before it finds no mark.
    ("INST without a mark", b"ios\nsystem\n", Verdict::Dangerous),
];

/// The modules CPython's unpicklers reached, loading `inputs` with their own `find_class`
/// (`scan_oracle.py imports`): what ran, or was already imported, for each input.
fn reached(inputs: &[Vec<u8>]) -> Vec<Vec<String>> {
    run_oracle_mode("imports", inputs)
        .iter()
        .map(|result| {
            result["reached"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_str().unwrap().to_string())
                .collect()
        })
        .collect()
}

#[test]
fn text_that_fails_as_a_pickle_is_not_a_pickle_and_cpython_imports_nothing_from_it() {
    let inputs: Vec<Vec<u8>> = TEXT.iter().map(|(_, bytes)| bytes.to_vec()).collect();
    let results = run_oracle(&inputs);
    for (((what, bytes), result), reached) in TEXT.iter().zip(&results).zip(reached(&inputs)) {
        for reader in READERS {
            assert!(result[reader].is_object(), "{what}: {reader} {result}");
            assert_eq!(result[reader]["calls"], serde_json::json!([]), "{what}");
        }
        assert!(reached.is_empty(), "{what}: CPython reaches {reached:?}");
        let scan = scan_file(bytes, false);
        assert_eq!(scan.verdict(), Verdict::NotAPickle, "{what}: {scan:?}");
        assert_eq!(scan.findings().count(), 0, "{what}");
    }
}

#[test]
fn a_protocol_0_pickle_cut_short_stays_a_pickle_with_its_findings() {
    let inputs: Vec<Vec<u8>> = PICKLES.iter().map(|(_, bytes, _)| bytes.to_vec()).collect();
    let results = run_oracle(&inputs);
    for ((what, bytes, verdict), result) in PICKLES.iter().zip(&results) {
        let scan = scan_file(bytes, false);
        assert_eq!(scan.verdict(), *verdict, "{what}: {scan:?}");
        let reported = reported(bytes);
        for reader in READERS {
            let missed = missed(&result[reader], &reported);
            assert!(missed.is_empty(), "{what}: {reader} {missed:?}");
        }
    }
}

#[test]
fn scan_of_a_folder_of_text_counts_it_as_not_a_pickle() {
    let dir = tempfile::tempdir().unwrap();
    for (i, (_, bytes)) in TEXT.iter().enumerate() {
        std::fs::write(dir.path().join(format!("file{i}")), bytes).unwrap();
    }
    let output = assert_cmd::Command::cargo_bin("picklegraph")
        .unwrap()
        .args(["scan", "-j", "1"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "0 dangerous, 0 not allowed, 0 malformed, 0 clean, {} not a pickle, 0 unreadable",
            TEXT.len()
        )),
        "{stdout}"
    );
}
