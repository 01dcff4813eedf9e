//! `scan DIR` and `scan --format json|sarif` for CI and model hubs: every file under a
//! folder judged by its content, one JSON document per file whatever happens to it, one
//! SARIF log per run, and the most severe exit status of all files.

use std::path::Path;

use assert_cmd::Command;

const DANGEROUS: &[u8] = b"cos\nsystem\n(S'id'\ntR.";
const CLEAN: &[u8] = b"\x80\x04K\x01.";
const NOT_ALLOWED: &[u8] = b"cfixmod\nPoint\n)R.";
const MALFORMED: &[u8] = b"K\x01";
const CHAT_TEMPLATE: &[u8] = b"chat_template: \"{% for m in messages %}{{ m.content }}{% endfor %}\"\nmodel_max_length: 2048\n";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10";

fn picklegraph() -> Command {
    let mut command = Command::cargo_bin("picklegraph").expect("the binary is built");
    command.env_remove("COLUMNS");
    command
}

/// A folder holding `files` (relative path, bytes).
fn folder(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    dir
}

fn run(args: &[&str], dir: &Path) -> (i32, String, String) {
    let output = picklegraph().args(args).current_dir(dir).output().unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn documents(text: &str) -> Vec<serde_json::Value> {
    serde_json::Deserializer::from_str(text)
        .into_iter()
        .map(Result::unwrap)
        .collect()
}

/// The summary line without its time, which varies.
fn summary(text: &str) -> String {
    let line = text
        .lines()
        .rev()
        .find(|line| line.contains("scanned "))
        .unwrap_or_else(|| panic!("no summary in {text}"));
    let (counts, tally) = line.split_once(" in ").unwrap();
    let (_, verdicts) = tally.split_once(": ").unwrap();
    format!("{counts}: {verdicts}")
}

#[test]
fn a_folder_is_walked_and_every_file_judged_by_its_content() {
    // Names say nothing: the pickle is a .txt, the text a .pkl; .git is not walked.
    let dir = folder(&[
        ("hub/notes.txt", DANGEROUS),
        ("hub/weights.pkl", CHAT_TEMPLATE),
        ("hub/sub/model.bin", CLEAN),
        ("hub/sub/icon.png", PNG),
        ("hub/.git/objects/payload", DANGEROUS),
    ]);
    let (code, stdout, _) = run(&["scan", "hub"], dir.path());
    assert_eq!(code, 3, "{stdout}");
    let headers: Vec<&str> = stdout.lines().filter(|l| l.starts_with("==> ")).collect();
    assert_eq!(
        headers,
        [
            "==> hub/notes.txt <==",
            "==> hub/sub/icon.png <==",
            "==> hub/sub/model.bin <==",
            "==> hub/weights.pkl <==",
        ]
    );
    assert_eq!(
        summary(&stdout),
        format!(
            "scanned 4 files ({} bytes): 1 dangerous, 0 not allowed, 0 malformed, 1 clean, 2 not a pickle, 0 unreadable",
            DANGEROUS.len() + CHAT_TEMPLATE.len() + CLEAN.len() + PNG.len()
        )
    );
}

#[test]
fn a_yaml_file_starting_chat_template_is_not_a_pickle_never_dangerous() {
    // `c` is GLOBAL: the text reads as GLOBAL 'hat_template: "{% …' — a module no import
    // can find, so nothing could run.
    let dir = folder(&[("tokenizer_config.yaml", CHAT_TEMPLATE)]);
    let (code, stdout, _) = run(&["scan", "--json", "tokenizer_config.yaml"], dir.path());
    assert_eq!(code, 0, "{stdout}");
    let doc = &documents(&stdout)[0];
    assert_eq!(doc["verdict"], "not-a-pickle");
    assert_eq!(doc["counts"]["dangerous"], 0);
    let (code, stdout, _) = run(&["scan", "tokenizer_config.yaml"], dir.path());
    assert_eq!(code, 0);
    assert!(
        stdout.ends_with("verdict: not a pickle, nothing in it could run as one\n"),
        "{stdout}"
    );
}

#[test]
fn json_writes_one_document_per_file_whatever_happens_to_it() {
    let dir = folder(&[
        ("d/a_dangerous.pkl", DANGEROUS),
        ("d/b_empty", b""),
        ("d/c_text.md", b"# a model card\n"),
        ("d/d_unsupported.7z", b"7z\xbc\xaf\x27\x1c\x00\x04"),
        ("d/e_short.pkl", MALFORMED),
    ]);
    let (code, stdout, stderr) = run(
        &["scan", "--format", "json", "d", "missing.pkl"],
        dir.path(),
    );
    assert_eq!(code, 3, "a missing file never hides a dangerous one");
    let docs = documents(&stdout);
    let got: Vec<(&str, &str)> = docs
        .iter()
        .map(|d| (d["file"].as_str().unwrap(), d["verdict"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            ("d/a_dangerous.pkl", "dangerous"),
            ("d/b_empty", "not-a-pickle"),
            ("d/c_text.md", "not-a-pickle"),
            ("d/d_unsupported.7z", "malformed"),
            ("d/e_short.pkl", "malformed"),
            ("missing.pkl", "error"),
        ]
    );
    assert_eq!(
        docs[3]["pickles"][0]["error"]["message"],
        "7z: not supported"
    );
    assert!(
        docs[5]["error"].as_str().unwrap().contains("No such file"),
        "{}",
        docs[5]
    );
    assert!(stderr.contains("missing.pkl: No such file"), "{stderr}");
    assert!(
        summary(&stderr).ends_with(
            "1 dangerous, 0 not allowed, 2 malformed, 0 clean, 2 not a pickle, 1 unreadable"
        ),
        "{stderr}"
    );
    // --json is the same.
    let (_, again, _) = run(&["scan", "--json", "d", "missing.pkl"], dir.path());
    assert_eq!(again, stdout);
}

#[test]
fn the_exit_status_is_the_most_severe_of_all_files() {
    let dir = folder(&[
        ("dangerous.pkl", DANGEROUS),
        ("not_allowed.pkl", NOT_ALLOWED),
        ("malformed.pkl", MALFORMED),
        ("clean.pkl", CLEAN),
        ("text.yaml", CHAT_TEMPLATE),
    ]);
    // 0 ok, 1 malformed, 2 unreadable, 3 dangerous, 4 not on the allow list; a file
    // that cannot be read ranks above malformed and below both verdicts on content.
    let cases: &[(&[&str], i32)] = &[
        (&["clean.pkl", "text.yaml"], 0),
        (&["clean.pkl", "malformed.pkl"], 1),
        (&["malformed.pkl", "missing"], 2),
        (&["missing", "dangerous.pkl"], 3),
        (&["dangerous.pkl", "missing"], 3),
        (&["not_allowed.pkl", "missing"], 4),
        (&["not_allowed.pkl", "dangerous.pkl", "malformed.pkl"], 3),
        (&["."], 3),
    ];
    for (files, expected) in cases {
        for format in ["text", "json", "sarif"] {
            let mut args = vec!["scan", "--format", format];
            args.extend(*files);
            let (code, stdout, _) = run(&args, dir.path());
            assert_eq!(code, *expected, "{args:?}: {stdout}");
        }
    }
}

#[test]
fn files_scanned_on_every_core_print_as_one_at_a_time_would() {
    let mut files: Vec<(String, &[u8])> = Vec::new();
    let kinds: [&[u8]; 6] = [DANGEROUS, CLEAN, NOT_ALLOWED, MALFORMED, CHAT_TEMPLATE, PNG];
    for i in 0..120 {
        files.push((
            format!("many/{:02}/{i:03}.bin", i % 7),
            kinds[i % kinds.len()],
        ));
    }
    let named: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), *b)).collect();
    let dir = folder(&named);
    for format in ["text", "json", "sarif"] {
        let one = run(&["scan", "--format", format, "-j", "1", "many"], dir.path());
        let four = run(&["scan", "--format", format, "-j", "4", "many"], dir.path());
        assert_eq!(one.0, 3);
        assert_eq!(four.0, 3);
        let without_time = |text: &str| {
            text.lines()
                .filter(|l| !l.starts_with("scanned "))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(without_time(&one.1), without_time(&four.1), "{format}");
        assert_eq!(
            summary(&format!("{}{}", one.1, one.2)),
            summary(&format!("{}{}", four.1, four.2))
        );
    }
}

#[test]
fn sarif_is_one_log_for_the_run_with_a_rule_per_kind_and_a_result_per_name() {
    let dir = folder(&[
        ("models/a b.pkl", DANGEROUS),
        ("models/clean.pkl", CLEAN),
        ("models/in_house.pkl", NOT_ALLOWED),
        ("models/short.pkl", MALFORMED),
        ("models/tokenizer.yaml", CHAT_TEMPLATE),
    ]);
    let (code, stdout, _) = run(
        &["scan", "--format", "sarif", "./models", "gone.pkl"],
        dir.path(),
    );
    assert_eq!(code, 3);
    let log: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(log["runs"].as_array().unwrap().len(), 1);
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "picklegraph");
    let got: Vec<(String, String, String)> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap().to_string(),
                r["level"].as_str().unwrap().to_string(),
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    let row =
        |rule: &str, level: &str, uri: &str| (rule.to_string(), level.to_string(), uri.to_string());
    assert_eq!(
        got,
        [
            row("dangerous-global", "error", "models/a%20b.pkl"),
            row("dangerous-call", "error", "models/a%20b.pkl"),
            // An in-house module is not known to be harmless to import, and its call is
            // on no allow list.
            row("not-allowed-global", "warning", "models/in_house.pkl"),
            row("not-allowed-call", "warning", "models/in_house.pkl"),
            row("malformed-pickle", "warning", "models/short.pkl"),
        ]
    );
    let invocation = &run["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    assert!(
        invocation["toolExecutionNotifications"][0]["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("gone.pkl: ")
    );
    // Every rule has what code scanning shows and sorts by.
    for rule in run["tool"]["driver"]["rules"].as_array().unwrap() {
        assert!(rule["shortDescription"]["text"].is_string(), "{rule}");
        let severity: f64 = rule["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.0..=10.0).contains(&severity));
    }
}

#[test]
fn format_and_json_cannot_both_be_given() {
    let dir = folder(&[("a.pkl", CLEAN)]);
    let (code, _, stderr) = run(
        &["scan", "--json", "--format", "sarif", "a.pkl"],
        dir.path(),
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot be used with"), "{stderr}");
}
