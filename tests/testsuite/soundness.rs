//! The scan's soundness, differential against CPython: on mutated pickles whose globals
//! are harmless markers, every global that either of CPython's unpicklers resolves, and
//! every call either makes, is reported by `scan`.
//!
//! `scan_oracle.py bases` writes real pickles of marker objects (every protocol, frames,
//! memo, extension codes, persistent ids, INST/OBJ/PERSID by hand); this test mutates them
//! with a seeded generator (frames cut, stretched, moved or crossed, a GLOBAL's last
//! newline dropped at the end, memo keys redefined, bytes after STOP, extension codes and
//! persistent ids inserted, pickles spliced, bytes flipped) and `scan_oracle.py check`
//! runs each mutant through `pickle.Unpickler` and `pickle._Unpickler` (repeated `load`
//! calls, and one `load`) in one python3 process, with a `find_class` that records and
//! returns an inert stand-in. `PICKLEGRAPH_SOUNDNESS_CASES` sets the number of mutants
//! (3000 by default) and `PICKLEGRAPH_SOUNDNESS_SEED` the seed.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::common;
use crate::soundness_check::{missed, reported, READERS};

/// splitmix64: a small seeded generator, so a failure is reproduced by its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn pick<'t, T>(&mut self, items: &'t [T]) -> Option<&'t T> {
        (!items.is_empty()).then(|| &items[self.below(items.len())])
    }
}

/// A base pickle and its opcodes as `(name, start, end)`.
struct Base {
    bytes: Vec<u8>,
    ops: Vec<(String, usize, usize)>,
}

fn oracle() -> std::path::PathBuf {
    common::repo().join("tests/testsuite/scan_oracle.py")
}

fn bases() -> Vec<Base> {
    let out = Command::new("python3")
        .arg(oracle())
        .arg("bases")
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let (hex, ops) = line.split_once(' ').unwrap();
            let bytes = crate::common::unhex(hex);
            let ops = ops
                .split(',')
                .map(|op| {
                    let mut parts = op.split(':');
                    let name = parts.next().unwrap().to_string();
                    let start = parts.next().unwrap().parse().unwrap();
                    let end = parts.next().unwrap().parse().unwrap();
                    (name, start, end)
                })
                .collect();
            Base { bytes, ops }
        })
        .filter(|base: &Base| base.bytes.len() < 100_000)
        .collect()
}

const INSERTS: &[&[u8]] = &[
    b"\x82\x01",                             // EXT1 1
    b"\x83\x2c\x01",                         // EXT2 300
    b"\x84\x70\x11\x01\x00",                 // EXT4 70000
    b"\x82\x01)R",                           // EXT1 1, called
    b"Ppid:inserted\n",                      // PERSID
    b"\x8c\x03pidQ",                         // BINPERSID of a str
    b"cmarker_mod\nmarker_9\n",              // GLOBAL
    b"cmarker_mod\nmarker_9\n)R0",           // a call, popped
    b"\x8c\nmarker_mod\x8c\x08marker_8\x93", // STACK_GLOBAL
    b"q\x00",                                // BINPUT 0: redefines a key
    b"r\x01\x00\x00\x00",                    // LONG_BINPUT 1
    b"p0\n",                                 // PUT 0
    b"h\x00",                                // BINGET 0
    b"0",                                    // POP
    b"(",                                    // MARK
    b".",                                    // STOP
    b"\x80\x04",                             // PROTO 4
];

/// A FRAME opcode claiming `len` bytes.
fn frame(len: u64) -> Vec<u8> {
    let mut out = vec![0x95];
    out.extend(len.to_le_bytes());
    out
}

/// One mutation of `bytes`, whose opcodes are `ops` when `ops` is given.
fn mutate(
    rng: &mut Rng,
    bytes: &mut Vec<u8>,
    ops: Option<&[(String, usize, usize)]>,
    bases: &[Base],
) {
    let boundaries: Vec<usize> = match ops {
        Some(ops) => ops.iter().map(|op| op.1).chain([bytes.len()]).collect(),
        None => (0..=bytes.len()).collect(),
    };
    let of_kind = |names: &[&str]| -> Vec<(usize, usize)> {
        ops.unwrap_or_default()
            .iter()
            .filter(|op| names.contains(&op.0.as_str()))
            .map(|op| (op.1, op.2))
            .collect()
    };
    match rng.below(12) {
        0 => bytes.truncate(rng.below(bytes.len() + 1)),
        1 => {
            // A GLOBAL (or INST) at the end, without its last newline.
            if let Some(&(_, end)) = rng.pick(&of_kind(&["GLOBAL", "INST"])) {
                bytes.truncate(end - 1);
            }
        }
        2 => {
            // A frame's length changed: short, long, far too long.
            if let Some(&(start, _)) = rng.pick(&of_kind(&["FRAME"])) {
                let old = u64::from_le_bytes(bytes[start + 1..start + 9].try_into().unwrap());
                let new = match rng.below(4) {
                    0 => old.saturating_sub(1 + rng.below(20) as u64),
                    1 => old + 1 + rng.below(20) as u64,
                    2 => old + 1 + rng.below(100_000) as u64,
                    _ => rng.below(old as usize + 2) as u64,
                };
                bytes[start + 1..start + 9].copy_from_slice(&new.to_le_bytes());
            }
        }
        3 => {
            // A new frame at an opcode boundary, of any length up to past the end.
            let at = *rng.pick(&boundaries).unwrap();
            let len = rng.below(bytes.len() - at + 8) as u64;
            bytes.splice(at..at, frame(len));
        }
        4 => {
            // A frame taken out.
            if let Some(&(start, end)) = rng.pick(&of_kind(&["FRAME"])) {
                bytes.drain(start..end);
            }
        }
        5 => {
            // A memo key redefined.
            if let Some(&(start, end)) = rng.pick(&of_kind(&["BINPUT", "LONG_BINPUT"])) {
                let key = rng.below(4) as u8;
                bytes[start + 1] = key;
                if end - start == 5 {
                    bytes[start + 2..end].fill(0);
                }
            }
        }
        6 => {
            // Bytes after STOP: another pickle, or a few opcodes.
            if rng.below(2) == 0 {
                let other = &rng.pick(bases).unwrap().bytes;
                bytes.extend_from_slice(other);
            } else {
                let insert = *rng.pick(INSERTS).unwrap();
                bytes.extend_from_slice(insert);
                bytes.push(b'.');
            }
        }
        7 | 8 => {
            let at = *rng.pick(&boundaries).unwrap();
            let insert = *rng.pick(INSERTS).unwrap();
            bytes.splice(at..at, insert.iter().copied());
        }
        9 => {
            // Two pickles spliced at opcode boundaries.
            let other = rng.pick(bases).unwrap();
            let at = *rng.pick(&boundaries).unwrap();
            let from = rng.pick(&other.ops).map_or(0, |op| op.1);
            bytes.truncate(at);
            bytes.extend_from_slice(&other.bytes[from..]);
        }
        10 => {
            if !bytes.is_empty() {
                let at = rng.below(bytes.len());
                bytes[at] = rng.next() as u8;
            }
        }
        _ => {
            let copy = bytes.clone();
            bytes.extend_from_slice(&copy);
        }
    }
}

/// Runs the mutants through CPython's unpicklers in one process; one JSON value each.
pub(crate) fn run_oracle(inputs: &[Vec<u8>]) -> Vec<serde_json::Value> {
    run_oracle_mode("check", inputs)
}

/// Runs `inputs` through `scan_oracle.py <mode>` in one process; one JSON value each.
pub(crate) fn run_oracle_mode(mode: &str, inputs: &[Vec<u8>]) -> Vec<serde_json::Value> {
    let mut child = Command::new("python3")
        .arg(oracle())
        .arg(mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        // CPython prints "Exception ignored" notes for some mutants' buffers.
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 runs");
    let mut stdin = child.stdin.take().unwrap();
    let payload: Vec<u8> = inputs
        .iter()
        .flat_map(|input| {
            (input.len() as u32)
                .to_le_bytes()
                .into_iter()
                .chain(input.iter().copied())
        })
        .collect();
    let writer = std::thread::spawn(move || {
        stdin.write_all(&payload).unwrap();
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn scan_reports_every_global_and_call_of_both_cpython_unpicklers() {
    let cases: usize = std::env::var("PICKLEGRAPH_SOUNDNESS_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    let seed: u64 = std::env::var("PICKLEGRAPH_SOUNDNESS_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(22);
    let bases = bases();
    assert!(bases.len() > 30, "the oracle wrote {} bases", bases.len());
    let mut rng = Rng(seed);
    let mut inputs: Vec<Vec<u8>> = bases.iter().map(|b| b.bytes.clone()).collect();
    while inputs.len() < cases {
        let base = rng.pick(&bases).unwrap();
        let mut bytes = base.bytes.clone();
        mutate(&mut rng, &mut bytes, Some(&base.ops), &bases);
        for _ in 0..rng.below(3) {
            mutate(&mut rng, &mut bytes, None, &bases);
        }
        inputs.push(bytes);
    }
    let results = run_oracle(&inputs);
    assert_eq!(results.len(), inputs.len());
    let mut failures = Vec::new();
    let mut resolved = 0;
    for (input, result) in inputs.iter().zip(&results) {
        if result.get("timeout").is_some() {
            continue;
        }
        let scan = reported(input);
        for reader in READERS {
            resolved += result[reader]["globals"].as_array().unwrap().len();
            let missed = missed(&result[reader], &scan);
            if !missed.is_empty() {
                failures.push(format!("{reader} {}: {missed:?}", hex(input)));
            }
        }
    }
    assert!(resolved > cases, "CPython resolved only {resolved} globals");
    assert!(
        failures.is_empty(),
        "{} of {} inputs (seed {seed}) have globals or calls the scan misses:\n{}",
        failures.len(),
        inputs.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The scan walks the bytes again as each of CPython's unpicklers reads them only when
/// picklegraph's own load failed, or a pickle stopped inside a frame with bytes left
/// (`FileScan::read_as_cpython`): on every other stream no unpickler may read otherwise.
/// Checked here on many more mutants than the oracle can run, with no python3 in the loop.
#[test]
fn a_stream_loaded_whole_is_read_alike_by_every_unpickler() {
    use picklegraph::scan::readings::{walk, Unpickler};
    let bases = bases();
    let mut rng = Rng(23);
    let options = picklegraph::LoadOptions::scanning();
    let (mut whole, mut stopped_inside_frame, mut diverging) = (0, 0, 0);
    for _ in 0..30_000 {
        let base = rng.pick(&bases).unwrap();
        let mut bytes = base.bytes.clone();
        mutate(&mut rng, &mut bytes, Some(&base.ops), &bases);
        for _ in 0..rng.below(3) {
            mutate(&mut rng, &mut bytes, None, &bases);
        }
        let mut at = 0;
        let mut read_alike = true;
        while at < bytes.len() {
            match picklegraph::load_at(&bytes, at, &options) {
                Ok(pickle) => {
                    at = pickle.span().1;
                    if pickle.stopped_inside_frame() {
                        stopped_inside_frame += 1;
                        read_alike = false;
                    }
                }
                Err(_) => {
                    read_alike = false;
                    break;
                }
            }
        }
        let divergences: Vec<_> = Unpickler::ALL
            .iter()
            .map(|&unpickler| (unpickler, walk(&bytes, unpickler, false).divergences))
            .filter(|(_, divergences)| !divergences.is_empty())
            .collect();
        if !divergences.is_empty() {
            diverging += 1;
        }
        if read_alike {
            whole += 1;
            assert!(
                divergences.is_empty(),
                "{}: loaded whole, yet {divergences:?}",
                hex(&bytes)
            );
        }
    }
    // Both sides of the rule are exercised.
    assert!(whole > 3000, "only {whole} mutants loaded whole");
    assert!(
        stopped_inside_frame > 100,
        "only {stopped_inside_frame} stopped inside a frame"
    );
    assert!(diverging > 1000, "only {diverging} mutants read otherwise");
}
