//! `scan --weights-only` against torch's own answers: `tests/fixtures/zoo/weights_only.json`
//! holds, for every zip checkpoint of the fixtures, what
//! `torch.serialization.get_unsafe_globals_in_checkpoint` returned (written by
//! `tests/fixtures/zoo/weights_only.py` in the zoo's torch venv), and torch's allow list.

use std::collections::BTreeSet;

use assert_cmd::Command;
use sha2::Digest;

use crate::common;

fn sidecar() -> serde_json::Value {
    let path = common::fixtures().join("zoo/weights_only.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn picklegraph() -> Command {
    Command::cargo_bin("picklegraph").unwrap()
}

#[test]
fn the_allow_list_is_torchs() {
    let recorded: BTreeSet<String> = sidecar()["allowed_globals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|name| name.as_str().unwrap().to_string())
        .collect();
    let ours = picklegraph::scan::weights_only::allowed_globals();
    assert_eq!(
        ours.difference(&recorded).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "allowed here, not by torch"
    );
    assert_eq!(
        recorded.difference(ours).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "allowed by torch, not here"
    );
    assert_eq!(
        sidecar()["torch"],
        picklegraph::scan::weights_only::TORCH_VERSION
    );
}

#[test]
fn weights_only_lists_what_torch_lists_on_every_zip_checkpoint() {
    let sidecar = sidecar();
    let files = sidecar["files"].as_object().unwrap();
    assert!(files.len() >= 15, "{} checkpoints", files.len());
    let mut compared = 0;
    for (path, entry) in files {
        let file = common::fixtures().join(path);
        let bytes = std::fs::read(&file).unwrap();
        assert_eq!(
            format!("{:x}", sha2::Sha256::digest(&bytes)),
            entry["sha256"].as_str().unwrap(),
            "{path} changed since weights_only.json was written: run tests/fixtures/zoo/weights_only.py"
        );
        let output = picklegraph()
            .args(["scan", "--weights-only"])
            .arg(&file)
            .output()
            .unwrap();
        let stdout = String::from_utf8(output.stdout).unwrap();
        let listed: Vec<&str> = stdout.lines().filter(|l| !l.starts_with('#')).collect();
        let Some(expected) = entry["unsafe_globals"].as_array() else {
            // torch refuses TorchScript archives; picklegraph lists their data.pkl's globals.
            assert!(
                entry["error"].as_str().unwrap().contains("torchscript"),
                "{path}"
            );
            continue;
        };
        let expected: Vec<&str> = expected.iter().map(|n| n.as_str().unwrap()).collect();
        assert_eq!(listed, expected, "{path}:\n{stdout}");
        let code = if expected.is_empty() { 0 } else { 4 };
        assert_eq!(output.status.code(), Some(code), "{path}:\n{stdout}");
        compared += 1;
    }
    assert!(compared >= 14, "{compared} compared");
}

#[test]
fn weights_only_reads_every_pickle_of_a_file_that_is_not_a_zip() {
    let file = common::fixtures().join("zoo/torch/torch/mlp_module_legacy.pt");
    let output = picklegraph()
        .args(["scan", "--weights-only"])
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(4), "{stdout}");
    assert!(stdout.starts_with("# not a zip checkpoint"), "{stdout}");
    // The zip checkpoint of the same module lists the same classes.
    let listed: Vec<&str> = stdout.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        listed,
        [
            "models.TinyMLP",
            "torch.nn.modules.activation.ReLU",
            "torch.nn.modules.linear.Linear"
        ]
    );
}

#[test]
fn allowed_names_are_not_listed_as_add_safe_globals_would_have_them() {
    let file = common::fixtures().join("zoo/torch/torch/mlp_module.pt");
    let output = picklegraph()
        .args([
            "scan",
            "--weights-only",
            "--allow",
            "models.TinyMLP",
            "--allow",
            "torch.nn.modules.*",
        ])
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.ends_with("would refuse 0 globals (allow list of torch 2.15.0)\n"),
        "{stdout}"
    );
}

#[test]
fn python2_names_are_mapped_with_torchs_tables() {
    use picklegraph::scan::weights_only::torch_name;
    // `_compat_pickle` maps `exceptions` and `copy_reg._reconstructor`'s module; torch maps
    // only its own short list.
    assert_eq!(
        torch_name("exceptions", "ValueError"),
        "exceptions.ValueError"
    );
    assert_eq!(
        torch_name("exceptions", "StandardError"),
        "builtins.Exception"
    );
    assert_eq!(
        torch_name("copy_reg", "_reconstructor"),
        "copyreg._reconstructor"
    );
    let scan = picklegraph::scan::scan_file(b"c__builtin__\nset\n(]tR.", false);
    assert!(scan.weights_only_refused().is_empty());
    let scan = picklegraph::scan::scan_file(b"ccopy_reg\n_reconstructor\n.", false);
    assert_eq!(scan.weights_only_refused(), ["copyreg._reconstructor"]);
}

#[test]
fn on_other_torch_files_weights_only_agrees_with_what_torch_load_does() {
    // get_unsafe_globals_in_checkpoint refuses files that are not zips; for those the
    // sidecar records torch.load(weights_only=True): a file it loads has nothing listed,
    // and the global it refuses first is listed.
    let sidecar = sidecar();
    let loads = sidecar["loads"].as_object().unwrap();
    assert!(loads.len() >= 10, "{} files", loads.len());
    let (mut loaded, mut refused) = (0, 0);
    for (path, entry) in loads {
        let file = common::fixtures().join(path);
        let bytes = std::fs::read(&file).unwrap();
        assert_eq!(
            format!("{:x}", sha2::Sha256::digest(&bytes)),
            entry["sha256"].as_str().unwrap(),
            "{path} changed since weights_only.json was written: run tests/fixtures/zoo/weights_only.py"
        );
        let listed = picklegraph::scan::scan_file(&bytes, false).weights_only_refused();
        if entry["loaded"] == true {
            assert_eq!(listed, Vec::<String>::new(), "{path}: torch loads it");
            loaded += 1;
        } else if let Some(name) = entry["refused_global"].as_str() {
            assert!(
                listed.iter().any(|l| l == name),
                "{path}: torch refuses {name}; listed {listed:?}"
            );
            refused += 1;
        } else {
            // Any other refusal is of an opcode the weights-only unpickler does not
            // implement (protocol 4's STACK_GLOBAL, FRAME, …): not a global to list.
            assert!(
                entry["error"]
                    .as_str()
                    .unwrap()
                    .contains("Unsupported operand"),
                "{path}: {entry}"
            );
        }
    }
    assert!(
        loaded >= 5 && refused >= 3,
        "{loaded} loaded, {refused} refused"
    );
}

#[test]
fn json_carries_the_weights_only_list_and_the_flag_sets_the_exit_status() {
    let file = common::fixtures().join("zoo/torch/torch/sequential_module.pt");
    let output = picklegraph()
        .args(["scan", "--json", "--weights-only"])
        .arg(&file)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        json["weights_only"]["refused"],
        serde_json::json!([
            "torch.nn.modules.activation.Tanh",
            "torch.nn.modules.container.Sequential",
            "torch.nn.modules.linear.Linear"
        ])
    );
    assert_eq!(json["weights_only"]["zip_checkpoint"], true);
    assert_eq!(output.status.code(), Some(4));
    // Without the flag, the exit status is the scan's: these classes are on the allow list.
    let output = picklegraph()
        .args(["scan", "--json"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
}
