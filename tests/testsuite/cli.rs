//! The command line: files, stdin, headers, several pickles per file, exit codes, error
//! messages, help, colour and width, the README's example, and `repr` of the fixtures.

use assert_cmd::Command;
use predicates::prelude::*;

use crate::common::{fixture_pickles, repo};
use crate::show::support::{deep_list_pickle, fixture_name, memo_bomb_pickle};

/// `[1, 2]` memoized, then `REDUCE` with one item on the stack.
const MALFORMED: &[u8] = b"(K\x01K\x02l\x94R";

fn picklegraph() -> Command {
    let mut command = Command::cargo_bin("picklegraph").expect("the binary is built");
    command
        .current_dir(repo())
        .env_remove("COLUMNS")
        .env_remove("NO_COLOR");
    command
}

fn temp_file(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut file, bytes).unwrap();
    file
}

fn stdout_of(command: &mut Command) -> String {
    let output = command.output().unwrap();
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn show_prints_the_graph_and_exits_0() {
    picklegraph()
        .args(["show", "--raw", "examples/seed_imported.pkl"])
        .assert()
        .success()
        .stdout("# protocol 5, 5 nodes, 1 global: myclass.SubClass\nmyclass.SubClass.__new__(myclass.SubClass)\n");
}

#[test]
fn the_readme_shows_what_show_prints_on_the_seed_example() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let section = readme
        .split("`picklegraph show examples/seed_main.pkl` prints, in full:\n\n```text\n")
        .nth(1);
    let block = section
        .and_then(|s| s.split("```").next())
        .expect("README has the show example");
    picklegraph()
        .args(["show", "examples/seed_main.pkl"])
        .assert()
        .success()
        .stdout(block.to_string());
}

#[test]
fn a_malformed_pickle_exits_1_after_the_state_it_had_built() {
    let file = temp_file(MALFORMED);
    let name = file.path().to_string_lossy().into_owned();
    picklegraph()
        .args(["show", &name])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "stack[0] = &1 [1, 2]\nmemo[0] = *1\n",
        ))
        .stderr(format!(
            "{name}: offset 7 (REDUCE): unpickling stack underflow\n"
        ));
}

#[test]
fn every_view_reports_a_malformed_pickle_with_exit_1() {
    for view in ["show", "json", "repr"] {
        picklegraph()
            .arg(view)
            .write_stdin(MALFORMED)
            .assert()
            .code(1)
            .stderr("<stdin>: offset 7 (REDUCE): unpickling stack underflow\n");
    }
}

#[test]
fn an_empty_input_is_not_a_pickle() {
    picklegraph()
        .args(["show", "-"])
        .write_stdin("")
        .assert()
        .code(1)
        .stderr("<stdin>: not a pickle: an empty file\n");
}

#[test]
fn a_missing_file_or_a_bad_flag_exits_2() {
    picklegraph()
        .args(["show", "no/such/file.pkl"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "picklegraph: no/such/file.pkl: ",
        ));
    picklegraph()
        .args(["show", "--no-such-flag"])
        .assert()
        .code(2);
    picklegraph()
        .args(["show", "--width", "wide"])
        .assert()
        .code(2);
    picklegraph().assert().code(2);
}

#[test]
fn a_folder_given_to_a_view_is_a_usage_error_that_says_so() {
    let folder = tempfile::tempdir().unwrap();
    let name = folder.path().to_str().unwrap();
    // scan walks a folder (tests/testsuite/scan_dir.rs); the views read files.
    for view in ["show", "repr", "dis", "json", "stats"] {
        picklegraph()
            .args([view, name])
            .assert()
            .code(2)
            .stdout("")
            .stderr(format!(
                "picklegraph: {name}: is a folder; picklegraph reads pickle files (give the files inside it)\n"
            ));
    }
    picklegraph()
        .args(["show", "--buffer", name, "examples/seed_imported.pkl"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is a folder"));
}

#[test]
fn standard_input_is_read_without_a_file_or_with_a_dash() {
    let bytes = std::fs::read(repo().join("examples/seed_imported.pkl")).unwrap();
    for args in [&["show", "--raw"][..], &["show", "--raw", "-"][..]] {
        picklegraph()
            .args(args)
            .write_stdin(bytes.clone())
            .assert()
            .success()
            .stdout(predicate::str::ends_with(
                "myclass.SubClass.__new__(myclass.SubClass)\n",
            ));
    }
}

#[test]
fn several_files_each_get_a_header_and_the_worst_exit_status() {
    let malformed = temp_file(MALFORMED);
    let name = malformed.path().to_string_lossy().into_owned();
    let output = picklegraph()
        .args([
            "show",
            "--raw",
            "--no-summary",
            "examples/seed_imported.pkl",
            &name,
            "examples/seed_imported.pkl",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8(output.stdout).unwrap();
    let expected_start =
        "==> examples/seed_imported.pkl <==\nmyclass.SubClass.__new__(myclass.SubClass)\n\n";
    assert!(text.starts_with(expected_start), "{text}");
    assert!(
        text.contains(&format!("\n==> {name} <==\n# malformed pickle")),
        "{text}"
    );
    assert!(
        text.ends_with(
            "==> examples/seed_imported.pkl <==\nmyclass.SubClass.__new__(myclass.SubClass)\n"
        ),
        "{text}"
    );
}

#[test]
fn several_pickles_in_one_file_are_each_shown() {
    let file = temp_file(b"\x80\x04K\x01.\x80\x04]\x94(K\x02h\x00e.");
    let text = stdout_of(picklegraph().args(["show", &file.path().to_string_lossy()]));
    assert_eq!(
        text,
        "# protocol 4, 0 nodes\n1\n\n# pickle at byte 5: protocol 4, 1 nodes\n&1 [2, *1]\n"
    );
    let text = stdout_of(picklegraph().args(["repr", &file.path().to_string_lossy()]));
    assert_eq!(text, "1\n[2, [...]]\n");
}

#[test]
fn json_of_several_files_is_a_stream_of_documents_that_name_their_file() {
    let text = stdout_of(picklegraph().args([
        "json",
        "examples/seed_main.pkl",
        "examples/seed_imported.pkl",
    ]));
    let files: Vec<String> = serde_json::Deserializer::from_str(&text)
        .into_iter::<serde_json::Value>()
        .map(|doc| doc.unwrap()["file"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        files,
        ["examples/seed_main.pkl", "examples/seed_imported.pkl"]
    );
}

#[test]
fn json_of_a_malformed_pickle_is_a_document_with_the_error() {
    let output = picklegraph()
        .arg("json")
        .write_stdin(MALFORMED)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(doc["error"]["opcode"], "REDUCE");
    assert_eq!(doc["stack"], serde_json::json!([{"ref": 0}]));
}

#[test]
fn help_shows_examples_and_version_the_version() {
    picklegraph().arg("--help").assert().success().stdout(
        predicate::str::contains("Examples:")
            .and(predicate::str::contains("picklegraph show payload.pkl")),
    );
    picklegraph()
        .args(["show", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--max-items").and(predicate::str::contains("--raw")));
    picklegraph()
        .arg("--version")
        .assert()
        .success()
        .stdout(format!("picklegraph {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn colour_only_when_asked_or_on_a_terminal_without_no_color() {
    let piped = stdout_of(picklegraph().args(["show", "examples/seed_imported.pkl"]));
    assert!(!piped.contains('\x1b'), "{piped}");
    let forced =
        stdout_of(picklegraph().args(["show", "--color", "always", "examples/seed_imported.pkl"]));
    assert!(
        forced.contains("\x1b[33mmyclass.SubClass\x1b[0m"),
        "{forced}"
    );
    let never = stdout_of(
        picklegraph()
            .args(["show", "--color", "never", "examples/seed_imported.pkl"])
            .env("NO_COLOR", "1"),
    );
    assert!(!never.contains('\x1b'));
}

#[test]
fn width_comes_from_the_flag_then_columns() {
    let pickle = b"(X\x05\x00\x00\x00alphaX\x04\x00\x00\x00betal.";
    let narrow = "[\n  'alpha',\n  'beta',\n]\n";
    let flag = stdout_of(
        picklegraph()
            .args(["show", "--no-summary", "--width", "10"])
            .write_stdin(&pickle[..]),
    );
    assert_eq!(flag, narrow);
    let columns = stdout_of(
        picklegraph()
            .args(["show", "--no-summary"])
            .env("COLUMNS", "10")
            .write_stdin(&pickle[..]),
    );
    assert_eq!(columns, narrow);
    let wide = stdout_of(
        picklegraph()
            .args(["show", "--no-summary"])
            .write_stdin(&pickle[..]),
    );
    assert_eq!(wide, "['alpha', 'beta']\n");
}

#[test]
fn depth_and_max_items_flags_elide() {
    let pickle = b"(K\x01(K\x02K\x03K\x04ll.";
    let text = stdout_of(
        picklegraph()
            .args(["show", "--no-summary", "--depth", "1"])
            .write_stdin(&pickle[..]),
    );
    assert_eq!(text, "[1, [… 3 items]]\n");
    let text = stdout_of(
        picklegraph()
            .args(["show", "--no-summary", "--max-items", "1"])
            .write_stdin(&pickle[..]),
    );
    assert_eq!(text, "[1, … 1 more item]\n");
}

#[test]
fn the_byte_budget_of_show_is_the_files_whatever_its_number_of_pickles() {
    // 3,000 pickles of `['a 30-character string …', …]` (12 strs each, one a line): about
    // 1.5 MB of text in full.
    let mut stream = Vec::new();
    for i in 0..3_000 {
        stream.extend(b"\x80\x04](");
        for j in 0..12 {
            let text = format!("{i:06}-{j:023}");
            stream.extend([0x8c, text.len() as u8]);
            stream.extend(text.as_bytes());
        }
        stream.extend(b"e.");
    }
    let file = temp_file(&stream);
    let name = file.path().to_string_lossy().into_owned();
    let bounded = stdout_of(picklegraph().args(["show", "--width", "100", &name]));
    let limit = picklegraph::render::show::DEFAULT_MAX_BYTES;
    assert!(
        bounded.len() > limit && bounded.len() < limit + 1024,
        "{}",
        bounded.len()
    );
    let last = bounded.lines().last().unwrap();
    assert_eq!(
        last,
        "# … the file's other pickles are not shown: its output is past 64.0 KiB; --full shows everything"
    );
    let full = stdout_of(picklegraph().args(["show", "--full", &name]));
    assert_eq!(
        full.matches("\n# pickle at byte ").count(),
        2_999,
        "every pickle shown"
    );
    assert!(full.starts_with(&bounded[..limit]));
}

#[test]
fn comment_lines_are_wrapped_at_the_width() {
    // A cloudpickle-like preamble is long: the classes named, each a dotted name.
    // pickle.dumps([C() for C in classes]) where the classes live in long-named modules.
    let mut stream = b"\x80\x04](".to_vec();
    for i in 0..6 {
        let module = format!("package.subpackage_{i}.module_with_a_long_name");
        stream.extend([0x8c, module.len() as u8]);
        stream.extend(module.as_bytes());
        stream.extend(b"\x8c\x05Klass\x93)\x81");
    }
    stream.extend(b"e.");
    let text = stdout_of(
        picklegraph()
            .args(["show", "--width", "60"])
            .write_stdin(stream),
    );
    for line in text.lines() {
        assert!(line.chars().count() <= 60, "{line}\n{text}");
    }
    let by_name: Vec<&str> = text
        .lines()
        .skip_while(|line| !line.starts_with("# by name: "))
        .take_while(|line| line.starts_with('#'))
        .collect();
    assert!(by_name.len() > 2, "{text}");
    assert!(
        by_name[1..].iter().all(|line| line.starts_with("#   ")),
        "{text}"
    );
}

#[test]
fn a_million_nested_lists_go_through_every_view_in_bounded_time() {
    let file = temp_file(&deep_list_pickle(1_000_000));
    let name = file.path().to_string_lossy().into_owned();
    for view in ["show", "json", "repr"] {
        let started = std::time::Instant::now();
        let output = picklegraph().args([view, &name]).output().unwrap();
        assert!(
            output.status.success(),
            "{view}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        if view == "show" {
            // Bounded by default: the end of the line past 64 KiB, and a note.
            assert!(output.stdout.len() < 80_000, "{view}");
            let text = String::from_utf8_lossy(&output.stdout);
            assert!(
                text.trim_end()
                    .ends_with("--full shows everything, --max-items and --depth choose what"),
                "{text}"
            );
        } else {
            assert!(output.stdout.len() > 2_000_000, "{view}");
        }
        assert!(
            started.elapsed().as_secs() < 60,
            "{view} took {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn the_memo_bomb_is_linear_in_show_and_json_and_repr_stops_at_its_budget() {
    let file = temp_file(&memo_bomb_pickle(40));
    let name = file.path().to_string_lossy().into_owned();
    for view in ["show", "json"] {
        let output = picklegraph()
            .args([view, &name])
            .timeout(std::time::Duration::from_secs(30))
            .output()
            .unwrap();
        assert!(
            output.status.success() && output.stdout.len() < 5000,
            "{view}: {} bytes",
            output.stdout.len()
        );
    }
    let output = picklegraph()
        .args(["repr", "--max-bytes", "100000", &name])
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success());
    assert!(
        (100_000..100_100).contains(&text.len()) && text.ends_with("…\n"),
        "{} bytes",
        text.len()
    );
}

/// `repr` of every fixture Python gives no repr for (inert nodes, failures): one snapshot
/// per group, through the command, headers and all.
#[test]
fn repr_of_fixtures_without_a_python_repr_matches_its_snapshot() {
    let mut groups: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for path in fixture_pickles() {
        let repr = path.with_extension("repr");
        if repr.exists() {
            continue;
        }
        let name = fixture_name(&path);
        let group = name.split('/').next().unwrap_or_default().to_string();
        groups
            .entry(group)
            .or_default()
            .push(format!("tests/fixtures/{name}"));
    }
    assert!(groups.len() >= 3, "fixtures missing");
    for (group, files) in groups {
        let output = picklegraph().arg("repr").args(&files).output().unwrap();
        let text = String::from_utf8(output.stdout).unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        insta::assert_snapshot!(
            format!("repr_{group}"),
            format!("{text}\n--- stderr ---\n{stderr}")
        );
    }
}

#[test]
fn a_malformed_pickle_spans_from_its_start_to_the_error_in_json_and_scan() {
    // MALFORMED starts at 0 and fails at its REDUCE, offset 7.
    let file = temp_file(MALFORMED);
    let name = file.path().to_string_lossy().to_string();
    let text = stdout_of(picklegraph().args(["json", &name]));
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["span"], serde_json::json!([0, 7]));
    assert_eq!(doc["error"]["offset"], 7);
    let text = stdout_of(picklegraph().args(["scan", &name]));
    assert!(text.contains("pickle 0 at bytes 0..7 "), "{text}");
    let text = stdout_of(picklegraph().args(["scan", "--json", &name]));
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["pickles"][0]["start"], 0, "{doc}");
    assert_eq!(doc["pickles"][0]["end"], 7, "{doc}");
}
