//! `stats`: counts, bytes, largest payloads and their paths, globals, depth, and the CLI.

use assert_cmd::Command;
use picklegraph::stats::stats;

/// `{'weights': b'\0' * 100, 'names': ['ab', 'cd'], 'n': 1, 'x': 1.5}` as CPython 3.11
/// writes it at protocol 5, without the FRAME.
fn record_pickle() -> Vec<u8> {
    let mut bytes = b"\x80\x05}\x94(\x8c\x07weights\x94Cd".to_vec();
    bytes.extend([0u8; 100]);
    bytes.extend_from_slice(b"\x94\x8c\x05names\x94]\x94(\x8c\x02ab\x94\x8c\x02cd\x94e\x8c\x01n\x94K\x01\x8c\x01x\x94G?\xf8\x00\x00\x00\x00\x00\x00u.");
    bytes
}

/// `depth` lists, each holding the next: EMPTY_LIST `depth` times, then APPEND.
fn nested_lists(depth: usize) -> Vec<u8> {
    let mut bytes = b"\x80\x02".to_vec();
    bytes.extend(std::iter::repeat(b']').take(depth));
    bytes.extend(std::iter::repeat(b'a').take(depth - 1));
    bytes.push(b'.');
    bytes
}

/// `levels` lists, each holding the list before it twice (by memo reference).
fn memo_bomb(levels: u32) -> Vec<u8> {
    let mut bytes = b"\x80\x04]\x94".to_vec(); // the innermost list is memo 0
    for level in 0..levels {
        bytes.extend_from_slice(b"](j");
        bytes.extend_from_slice(&level.to_le_bytes());
        bytes.push(b'j');
        bytes.extend_from_slice(&level.to_le_bytes());
        bytes.extend_from_slice(b"e\x94"); // APPENDS, MEMOIZE as memo level + 1
    }
    bytes.push(b'.');
    bytes
}

#[test]
fn kinds_and_bytes_count_every_object_once() {
    let bytes = record_pickle();
    let pickle = picklegraph::load(&bytes).unwrap();
    let summary = stats(&pickle, 10);
    let kinds: Vec<(&str, u64)> = summary.kinds.iter().map(|(&k, &n)| (k, n)).collect();
    assert_eq!(
        kinds,
        [
            ("bytes", 1),
            ("dict", 1),
            ("float", 1),
            ("int", 1),
            ("list", 1),
            ("str", 6)
        ]
    );
    assert_eq!(summary.bytes["strings"], 7 + 5 + 2 + 2 + 1 + 1);
    assert_eq!(summary.bytes["bytes"], 100);
    assert_eq!(summary.bytes["numbers"], 16);
    assert_eq!(summary.memo_len, 9);
    assert_eq!(summary.max_depth, 2);
}

#[test]
fn largest_payloads_come_with_their_path_from_the_root() {
    let bytes = record_pickle();
    let pickle = picklegraph::load(&bytes).unwrap();
    let summary = stats(&pickle, 3);
    let largest: Vec<(u64, &str, Option<&str>)> = summary
        .largest
        .iter()
        .map(|p| (p.len, p.kind, p.path.as_deref()))
        .collect();
    assert_eq!(
        largest,
        [
            (100, "bytes", Some("root['weights']")),
            (7, "str", Some("root.keys()[0]")),
            (5, "str", Some("root.keys()[1]")),
        ]
    );
}

#[test]
fn a_memo_bomb_is_summarized_in_linear_time() {
    let bytes = memo_bomb(60); // 2^60 paths from the root to the innermost list
    let pickle = picklegraph::load(&bytes).unwrap();
    let summary = stats(&pickle, 10);
    assert_eq!(summary.kinds["list"], 61);
    assert_eq!(summary.max_depth, 61);
    assert_eq!(summary.bytes["containers"], 60 * 2 * 16);
}

#[test]
fn deep_nesting_is_measured_without_recursion() {
    let bytes = nested_lists(200_000);
    let pickle = picklegraph::load(&bytes).unwrap();
    assert_eq!(stats(&pickle, 1).max_depth, 200_000);
}

#[test]
fn globals_are_named_with_their_nodes_and_references() {
    // c__builtin__\nset\n then REDUCE twice on the memoized global: two calls, one global.
    let bytes = b"c__builtin__\nset\np0\n(]tRg0\n(]tR\x86.";
    let pickle = picklegraph::load(bytes).unwrap();
    let summary = stats(&pickle, 1);
    let set = summary.globals["builtins.set"];
    assert_eq!(
        (set.nodes, set.references),
        (1, 0),
        "folded set() calls keep no reference"
    );
    let bytes = b"cos\nsystem\np0\n(S'ls'\ntRg0\n(S'id'\ntR\x86.";
    let pickle = picklegraph::load(bytes).unwrap();
    let summary = stats(&pickle, 1);
    let system = summary.globals["os.system"];
    assert_eq!((system.nodes, system.references), (1, 2));
    assert_eq!(summary.kinds["call"], 2);
}

#[test]
fn a_payload_nothing_reaches_has_no_path() {
    // SHORT_BINBYTES b'xyz', POP, then None as the root.
    let pickle = picklegraph::load(b"\x80\x03C\x03xyz0N.").unwrap();
    let summary = stats(&pickle, 1);
    assert_eq!(summary.largest[0].path, None);
    assert_eq!(summary.max_depth, 0);
}

fn write_temp(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut file, bytes).unwrap();
    file
}

#[test]
fn cli_stats_prints_the_summary_and_the_load_time() {
    let file = write_temp(&record_pickle());
    let output = Command::cargo_bin("picklegraph")
        .unwrap()
        .arg("stats")
        .arg(file.path())
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    for expected in [
        "load time",
        "memo         9 entries",
        "max depth    2",
        "largest payloads:",
        "root['weights']",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
}

#[test]
fn cli_stats_json_is_one_object_per_pickle() {
    let mut bytes = record_pickle();
    bytes.extend_from_slice(b"K\x07.");
    let file = write_temp(&bytes);
    let output = Command::cargo_bin("picklegraph")
        .unwrap()
        .args(["stats", "--json"])
        .arg(file.path())
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let reports: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[0]["largest"][0]["path"], "root['weights']");
    assert_eq!(reports[0]["kinds"]["str"], 6);
    assert!(reports[0]["load_seconds"].as_f64().unwrap() >= 0.0);
    assert_eq!(reports[1]["kinds"]["int"], 1);
    assert_eq!(reports[1]["max_depth"], 0);
}

#[test]
fn cli_stats_reports_a_malformed_pickle_with_exit_1() {
    let file = write_temp(b"\x80\x05R.");
    let output = Command::cargo_bin("picklegraph")
        .unwrap()
        .arg("stats")
        .arg(file.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("offset 2 (REDUCE)"));
}
