//! Helpers shared by the test modules.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The repository's top directory.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The bytes a hex string spells (`"8004"` is `[0x80, 0x04]`): how CPython's answers
/// reach the tests.
pub fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex digits"))
        .collect()
}

/// What `python3 -c script` writes on standard output; the test fails, with Python's
/// error, when the script does.
pub fn python3_stdout(script: &str) -> Vec<u8> {
    let output = std::process::Command::new("python3")
        .args(["-c", script])
        .output()
        .expect("python3 is on every machine; the differential tests need it");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// The fixtures directory.
pub fn fixtures() -> PathBuf {
    repo().join("tests/fixtures")
}

/// Every file under `dir` (recursively) whose name ends with `suffix`, sorted.
pub fn files_with_suffix(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if !path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                {
                    pending.push(path);
                }
            } else if path.to_string_lossy().ends_with(suffix) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Every committed fixture pickle of `generate.py`'s groups: the zoo (`zoo/`), written
/// by real libraries and without CPython's answers beside each file, is tested apart.
pub fn fixture_pickles() -> Vec<PathBuf> {
    let zoo = fixtures().join("zoo");
    files_with_suffix(&fixtures(), ".pkl")
        .into_iter()
        .filter(|path| !path.starts_with(&zoo))
        .collect()
}
