//! The scan's soundness at length, differential against CPython: every global that either
//! of CPython's unpicklers resolves, and every call either makes, on the fuzzer's input,
//! is reported by `scan`. The same judgement as `cargo test`'s `soundness` test (the file
//! `tests/testsuite/soundness_check.rs` is included by path), on inputs the fuzzer grows
//! instead of a seeded generator's mutants.
//!
//! One `python3 tests/testsuite/scan_oracle.py check` process runs beside the fuzzer and
//! reads the inputs one at a time; its `find_class` records and returns an inert stand-in,
//! so nothing the input names is imported. Run it (stable Rust, see fuzz/README.md):
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run -s none scan_soundness corpus/soundness`.

#![no_main]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Mutex;

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/testsuite/soundness_check.rs"]
mod soundness_check;

/// The oracle process and its pipes, started on the first input.
struct Oracle {
    _child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Oracle {
    fn start() -> Oracle {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/testsuite/scan_oracle.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg("check")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs");
        Oracle {
            stdin: child.stdin.take().unwrap(),
            stdout: BufReader::new(child.stdout.take().unwrap()),
            _child: child,
        }
    }

    /// CPython's readings of `input`, one JSON object (see `scan_oracle.py`).
    fn ask(&mut self, input: &[u8]) -> serde_json::Value {
        self.stdin
            .write_all(&(input.len() as u32).to_le_bytes())
            .unwrap();
        self.stdin.write_all(input).unwrap();
        self.stdin.flush().unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        assert!(!line.is_empty(), "the oracle stopped");
        serde_json::from_str(&line).unwrap()
    }
}

static ORACLE: Mutex<Option<Oracle>> = Mutex::new(None);

fuzz_target!(|input: &[u8]| {
    if input.len() > 1 << 16 {
        return;
    }
    let result = ORACLE
        .lock()
        .unwrap()
        .get_or_insert_with(Oracle::start)
        .ask(input);
    if result.get("timeout").is_some() {
        return;
    }
    let scan = soundness_check::reported(input);
    for reader in soundness_check::READERS {
        let missed = soundness_check::missed(&result[reader], &scan);
        assert!(missed.is_empty(), "{reader} resolves what the scan misses: {missed:?}");
    }
});
