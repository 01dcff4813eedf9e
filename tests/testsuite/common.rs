//! Helpers shared by the test modules.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The repository's top directory.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
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
