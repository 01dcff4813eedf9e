//! `scan`'s user policy (`--allow`, `--deny`, `--policy FILE`) and what the text says:
//! grouped by default, every finding with `--verbose`, every entry in JSON.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

use crate::common;

fn picklegraph() -> Command {
    Command::cargo_bin("picklegraph").unwrap()
}

/// `mypkg.models.Model.__new__(Model)` with a dict state, then `mypkg.helpers.build()`,
/// popped: two names of an in-house package, neither on the allow list.
const IN_HOUSE: &[u8] = b"\x80\x02cmypkg.models\nModel\nq\x00)\x81q\x01}q\x02X\x01\x00\x00\x00aK\x01sbcmypkg.helpers\nbuild\n)R0.";

fn temp_file(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut file, bytes).unwrap();
    file
}

/// Runs `picklegraph` with `args`; returns the exit code, stdout and stderr.
fn run(args: &[&str]) -> (i32, String, String) {
    let output = picklegraph().args(args).output().unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn path_of(file: &tempfile::NamedTempFile) -> &str {
    file.path().to_str().unwrap()
}

fn zoo(path: &str) -> PathBuf {
    common::fixtures().join("zoo").join(path)
}

fn text(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn a_refused_file_names_the_policy_lines_that_let_it_through_and_they_do() {
    let pickle = temp_file(IN_HOUSE);
    let (code, stdout, _) = run(&["scan", path_of(&pickle)]);
    assert_eq!(code, 4, "{stdout}");
    let by_name = "allow = [\"mypkg.models.Model\", \"mypkg.helpers.build\"]";
    let by_module = "allow = [\"mypkg.models.*\", \"mypkg.helpers.*\"]";
    assert!(stdout.contains(&format!("#   {by_name}\n")), "{stdout}");
    assert!(
        stdout.contains(&format!("#   or by module: {by_module}\n")),
        "{stdout}"
    );
    for line in [by_name, by_module] {
        let policy = temp_file(line.as_bytes());
        let (code, stdout, stderr) = run(&["scan", "--policy", path_of(&policy), path_of(&pickle)]);
        assert_eq!(code, 0, "{line}: {stdout}{stderr}");
        assert!(stdout.contains("  allowed      2× mypkg.models.Model, offsets 2, 25: mypkg.models.Model.__new__(mypkg.models.Model)\n"), "{stdout}");
        assert!(stdout.contains("(policy line 1)"), "{stdout}");
    }
}

#[test]
fn allow_takes_a_name_or_a_module_and_is_repeatable() {
    let pickle = temp_file(IN_HOUSE);
    let path = path_of(&pickle);
    let code = |args: &[&str]| run(&[&["scan"], args, &[path]].concat()).0;
    assert_eq!(code(&["--allow", "mypkg.*"]), 0);
    assert_eq!(code(&["--allow", "mypkg.models.Model"]), 4);
    assert_eq!(
        code(&[
            "--allow",
            "mypkg.models.Model",
            "--allow",
            "mypkg.helpers.build"
        ]),
        0
    );
    // A module is itself and its submodules, not a module whose name starts alike.
    assert_eq!(code(&["--allow", "mypkg.models.*"]), 4);
    assert_eq!(code(&["--allow", "mypk.*"]), 4);
    // The most specific line wins: the module is allowed, one name in it denied.
    assert_eq!(
        code(&["--allow", "mypkg.*", "--deny", "mypkg.helpers.build"]),
        3
    );
}

#[test]
fn a_module_line_never_lets_a_dangerous_name_through_an_exact_name_does() {
    let pickle = temp_file(b"cos\nsystem\n(S'ls'\ntR.");
    let path = path_of(&pickle);
    assert_eq!(run(&["scan", "--allow", "os.*", path]).0, 3);
    let (code, stdout, _) = run(&["scan", "--allow", "os.system", path]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("allowed by allow = [\"os.system\"] (given as --allow os.system); calls os.system; os: "), "{stdout}");
}

#[test]
fn deny_refuses_names_the_built_in_lists_call_safe() {
    let file = zoo("current/numpy/array_float64.pkl");
    assert_eq!(run(&["scan", text(&file)]).0, 0);
    let policy = temp_file(b"# no numpy here\ndeny = [\"numpy.*\"]\n");
    let (code, stdout, _) = run(&["scan", "--policy", path_of(&policy), text(&file)]);
    assert_eq!(code, 3, "{stdout}");
    assert!(
        stdout.contains("why: denied by deny = [\"numpy.*\"] (policy line 2); "),
        "{stdout}"
    );
    assert!(
        stdout.contains("verdict: denied by the policy, do not load this file"),
        "{stdout}"
    );
}

#[test]
fn a_malformed_policy_is_a_usage_error_naming_its_line() {
    let pickle = temp_file(IN_HOUSE);
    let cases: &[(&[u8], &str)] = &[
        (
            b"allow = [\"mypkg.*\"]\n\nalow = [\"x.*\"]\n",
            "line 3: unknown field `alow`",
        ),
        (
            b"allow = [\n  \"mypkg.*\",\n  \"mypkg\",\n]\n",
            "line 3: \"mypkg\" is a single name",
        ),
        (b"allow = [\"mypkg.*\"\n", "line 1: "),
        (b"deny = \"os.*\"\n", "line 1: invalid type"),
    ];
    for (policy, message) in cases {
        let policy = temp_file(policy);
        let (code, stdout, stderr) = run(&["scan", "--policy", path_of(&policy), path_of(&pickle)]);
        assert_eq!(code, 2, "{stderr}");
        assert!(stdout.is_empty());
        assert!(
            stderr.starts_with(&format!("picklegraph: {}: {message}", path_of(&policy))),
            "{stderr}"
        );
    }
    let (code, _, stderr) = run(&["scan", "--policy", "/no/such/policy.toml", path_of(&pickle)]);
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with("picklegraph: /no/such/policy.toml: "),
        "{stderr}"
    );
    let (code, _, stderr) = run(&["scan", "--allow", "mypkg", path_of(&pickle)]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--allow mypkg: \"mypkg\" is a single name"),
        "{stderr}"
    );
}

/// Lines of `picklegraph scan` with `extra` arguments.
fn lines_of_scan(file: &Path, extra: &[&str]) -> usize {
    let (_, stdout, _) = run(&[&["scan"], extra, &[text(file)]].concat());
    stdout.lines().count()
}

#[test]
fn a_random_forest_is_a_few_lines_and_verbose_lists_every_finding() {
    for stack in ["current", "old", "pandas1"] {
        let file = zoo(&format!("{stack}/sklearn/random_forest.pkl"));
        let (code, stdout, _) = run(&["scan", "--json", text(&file)]);
        assert_eq!(code, 0);
        let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let findings = json["pickles"][0]["findings"].as_array().unwrap().len();
        assert!(findings > 80, "{findings}");
        // The header, the count of safe findings left out, the verdict.
        assert_eq!(lines_of_scan(&file, &[]), 3, "{stack}");
        // The header, a line per finding, the verdict.
        assert_eq!(
            lines_of_scan(&file, &["--verbose"]),
            findings + 2,
            "{stack}"
        );
    }
}

#[test]
fn the_grouped_view_counts_and_keeps_the_first_offsets() {
    // Five references to mypkg.A, each instantiated: ten findings in one group.
    let mut stream = b"\x80\x02(".to_vec();
    for _ in 0..5 {
        stream.extend_from_slice(b"cmypkg\nA\n)\x81");
    }
    stream.extend_from_slice(b"l.");
    let pickle = temp_file(&stream);
    let (code, stdout, _) = run(&["scan", path_of(&pickle)]);
    assert_eq!(code, 4);
    let groups: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("  not-allowed"))
        .collect();
    assert_eq!(
        groups,
        ["  not-allowed  10× mypkg.A, offsets 3, 13, 14, …: mypkg.A.__new__(mypkg.A)"]
    );
}

#[test]
fn json_keeps_every_finding_and_adds_the_groups_and_the_policy() {
    let pickle = temp_file(IN_HOUSE);
    let (code, stdout, _) = run(&[
        "scan",
        "--json",
        "--allow",
        "mypkg.models.*",
        path_of(&pickle),
    ]);
    assert_eq!(code, 4);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let findings = json["pickles"][0]["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 4);
    assert_eq!(findings[0]["module"], "mypkg.models");
    assert_eq!(findings[0]["judged"], serde_json::Value::Null);
    assert_eq!(
        findings[0]["policy"],
        "allow = [\"mypkg.models.*\"] (given as --allow mypkg.models.*)"
    );
    assert_eq!(findings[2]["judged"], "not-allowed");
    assert_eq!(
        json["policy"][0],
        "allow = [\"mypkg.models.*\"] (given as --allow mypkg.models.*)"
    );
    let groups = json["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0]["label"], "allowed");
    assert_eq!(groups[0]["count"], 2);
    assert_eq!(groups[1]["name"], "mypkg.helpers.build");
    assert_eq!(groups[1]["offsets"], serde_json::json!([41, 63]));
    assert_eq!(
        json["suggested_policy"]["allow_names"],
        serde_json::json!(["mypkg.helpers.build"])
    );
    assert_eq!(
        json["suggested_policy"]["allow_modules"],
        serde_json::json!(["mypkg.helpers.*"])
    );
}
