//! CPython as the oracle: picklegraph's repr of a pickle must be byte for byte CPython's
//! repr of the object it unpickles to, for random values at every protocol and for every
//! committed fixture that has a `.repr`.

use std::process::Command;

use picklegraph::render::repr::to_repr;
use picklegraph::{load, load_with, LoadOptions, StringEncoding};

use crate::common::{fixture_pickles, repo};

/// Seeds and counts of the random runs: 2,000 values × 6 protocols each.
const RUNS: &[(u64, usize)] = &[(20261125, 2000), (7, 400)];

struct Record {
    protocol: u8,
    case: u32,
    pickle: Vec<u8>,
    repr: String,
}

fn be_u32(bytes: &[u8], at: usize) -> usize {
    u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize
}

/// Parses `random_values.py`'s output (its docstring gives the layout).
fn parse_records(mut bytes: &[u8]) -> Vec<Record> {
    let mut records = Vec::new();
    while !bytes.is_empty() {
        assert_eq!(&bytes[..4], b"REC ", "record magic");
        let protocol = bytes[4];
        let case = be_u32(bytes, 5) as u32;
        let pickle_len = be_u32(bytes, 9);
        let pickle = bytes[13..13 + pickle_len].to_vec();
        let repr_at = 13 + pickle_len;
        let repr_len = be_u32(bytes, repr_at);
        let repr = String::from_utf8(bytes[repr_at + 4..repr_at + 4 + repr_len].to_vec()).unwrap();
        records.push(Record {
            protocol,
            case,
            pickle,
            repr,
        });
        bytes = &bytes[repr_at + 4 + repr_len..];
    }
    records
}

/// Both texts around the first place they differ.
fn first_difference(expected: &str, ours: &str) -> String {
    let at = expected
        .bytes()
        .zip(ours.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    let start = at.saturating_sub(60);
    let window = |text: &str| {
        String::from_utf8_lossy(&text.as_bytes()[start.min(text.len())..(at + 60).min(text.len())])
            .into_owned()
    };
    format!(
        "  at byte {at}\n  cpython: …{}…\n  ours:    …{}…",
        window(expected),
        window(ours)
    )
}

fn cpython_records(seed: u64, count: usize) -> Vec<Record> {
    let output = Command::new("python3")
        .arg(repo().join("tests/differential/random_values.py"))
        .args(["--seed", &seed.to_string(), "--count", &count.to_string()])
        .output()
        .expect("python3 is on every machine; the differential test needs it");
    assert!(
        output.status.success(),
        "random_values.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    parse_records(&output.stdout)
}

#[test]
fn random_values_repr_exactly_as_cpython_at_every_protocol() {
    let mut compared = 0;
    let mut mismatches = Vec::new();
    for &(seed, count) in RUNS {
        let records = cpython_records(seed, count);
        assert_eq!(records.len(), count * 6, "six protocols per value");
        for record in records {
            compared += 1;
            let ours = match load(&record.pickle) {
                Ok(pickle) => to_repr(&pickle, pickle.root()),
                Err(err) => format!("<error: {err}>"),
            };
            if ours != record.repr {
                mismatches.push(format!(
                    "seed {seed} case {} protocol {}:\n{}",
                    record.case,
                    record.protocol,
                    first_difference(&record.repr, &ours)
                ));
            }
        }
    }
    assert!(
        compared >= 12_000,
        "at least 2,000 values × 6 protocols, got {compared}"
    );
    assert!(
        mismatches.is_empty(),
        "{} of {compared} differ:\n{}",
        mismatches.len(),
        mismatches[..mismatches.len().min(10)].join("\n")
    );
}

fn holds_inert(pickle: &picklegraph::Pickle<'_>) -> bool {
    let mut inert = false;
    picklegraph::graph::walk::walk(pickle, [pickle.root()], |event| {
        if let picklegraph::graph::walk::Event::Enter(id) = event {
            inert |= matches!(pickle.node(id), picklegraph::Node::Inert(_));
        }
    });
    inert
}

/// The `.repr` files beside a fixture and the decoding each was made with.
fn expected_reprs(pickle: &std::path::Path) -> Vec<(StringEncoding, std::path::PathBuf)> {
    let stem = pickle
        .to_string_lossy()
        .trim_end_matches(".pkl")
        .to_string();
    [
        (StringEncoding::Ascii, "repr"),
        (StringEncoding::Latin1, "latin1.repr"),
        (StringEncoding::Cp1252, "cp1252.repr"),
        (StringEncoding::Bytes, "bytes.repr"),
    ]
    .into_iter()
    .map(|(encoding, suffix)| {
        (
            encoding,
            std::path::PathBuf::from(format!("{stem}.{suffix}")),
        )
    })
    .filter(|(_, path)| path.exists())
    .collect()
}

#[test]
fn fixtures_repr_exactly_as_cpython() {
    let mut compared = 0;
    let mut mismatches = Vec::new();
    // CPython's canned pickles hold instances of its test classes: see pickletester.rs.
    for path in fixture_pickles()
        .into_iter()
        .filter(|p| !p.to_string_lossy().contains("/pickletester/"))
    {
        let bytes = std::fs::read(&path).unwrap();
        for (encoding, repr_path) in expected_reprs(&path) {
            let expected = std::fs::read_to_string(&repr_path).unwrap();
            // generate.py writes reprs with CPython's int digit limit lifted.
            let options = LoadOptions::default()
                .with_string_encoding(encoding)
                .with_max_int_digits(usize::MAX);
            let ours = match load_with(&bytes, &options) {
                // CPython's repr of an object picklegraph keeps inert (a datetime, a
                // Namespace) is that class's own: only plain data is compared.
                Ok(pickle) if holds_inert(&pickle) => continue,
                Ok(pickle) => to_repr(&pickle, pickle.root()),
                Err(err) => format!("<error: {err}>"),
            };
            compared += 1;
            if ours != expected.trim_end_matches('\n') {
                mismatches.push(format!(
                    "{}:\n{}",
                    repr_path.display(),
                    first_difference(&expected, &ours)
                ));
            }
        }
    }
    assert!(compared > 0, "fixtures with .repr files exist");
    assert!(
        mismatches.is_empty(),
        "{} of {compared} differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// Only decoding failures must be ours too: CPython also fails on imports picklegraph
/// never makes.
#[test]
fn fixtures_that_cpython_cannot_decode_fail_here_too() {
    let mut checked = 0;
    for path in fixture_pickles() {
        let stem = path.to_string_lossy().trim_end_matches(".pkl").to_string();
        for (encoding, suffix) in [
            (StringEncoding::Ascii, "repr.err"),
            (StringEncoding::Latin1, "latin1.repr.err"),
            (StringEncoding::Cp1252, "cp1252.repr.err"),
        ] {
            let Ok(message) = std::fs::read_to_string(format!("{stem}.{suffix}")) else {
                continue;
            };
            if !message.starts_with("UnicodeDecodeError") {
                continue;
            }
            checked += 1;
            let bytes = std::fs::read(&path).unwrap();
            let options = LoadOptions::default().with_string_encoding(encoding);
            assert!(
                load_with(&bytes, &options).is_err(),
                "{} loads, but CPython fails: {message}",
                path.display()
            );
        }
    }
    assert!(
        checked > 0,
        "the py2 fixtures include undecodable 8-bit strings"
    );
}

/// Floats that CPython's repr writes, as `bits repr` lines: random bit patterns, the
/// halfway cases where two shortest texts are equally near (quarters and halves of big
/// odd integers, big integers), and everyday values.
const FLOAT_CASES: &str = r#"
import random, struct, sys
rng = random.Random(20261126)
values = []
for _ in range(20000):
    x = struct.unpack('<d', rng.getrandbits(64).to_bytes(8, 'little'))[0]
    if x == x and abs(x) != float('inf'):
        values.append(x)
for _ in range(20000):
    values.append(rng.randrange(2**49, 2**53) / 2 ** rng.randrange(1, 4))
for _ in range(10000):
    values.append(float(rng.randrange(2**53, 2**62)))
for _ in range(10000):
    values.append(rng.random() * 10 ** rng.randrange(-30, 30))
values += [819072628586090.25, 5e-324, 1.7976931348623157e308, 1e16, 1e-4, 0.1, -0.0]
out = sys.stdout
for x in values:
    out.write('%016x %r\n' % (struct.unpack('<Q', struct.pack('<d', x))[0], x))
"#;

#[test]
fn floats_are_written_as_cpython_writes_them_ties_included() {
    let output = Command::new("python3")
        .args(["-c", FLOAT_CASES])
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    let mut mismatches = Vec::new();
    let mut count = 0;
    for line in text.lines() {
        let (bits, expected) = line.split_once(' ').unwrap();
        let value = f64::from_bits(u64::from_str_radix(bits, 16).unwrap());
        let ours = picklegraph::render::repr::float_repr(value);
        count += 1;
        if ours != expected {
            mismatches.push(format!("{bits}: CPython {expected}, picklegraph {ours}"));
        }
    }
    assert!(count > 50_000, "only {count} floats");
    assert!(
        mismatches.is_empty(),
        "{} of {count} differ, e.g.\n{}",
        mismatches.len(),
        mismatches[..mismatches.len().min(10)].join("\n")
    );
}

/// `repr` caches the reprs of short strs by node: strs whose nodes fall on the same
/// entry, strs met again through the memo, and long strs are each written as themselves.
#[test]
fn repr_writes_every_str_as_itself_however_often_it_is_met() {
    let mut stream = b"\x80\x04(".to_vec();
    let mut expected = Vec::new();
    for i in 0..600u32 {
        let text = format!("k{i}é'\"");
        stream.push(0x8c);
        stream.push(text.len() as u8);
        stream.extend_from_slice(text.as_bytes());
        stream.push(0x94);
        expected.push(format!("{text:?}").replace("\\\"", "\""));
    }
    // Each str again, from the memo, last first; then one longer than the cache takes.
    for i in (0..600u32).rev() {
        stream.push(b'j');
        stream.extend_from_slice(&i.to_le_bytes());
        expected.push(expected[i as usize].clone());
    }
    let long = "x".repeat(100);
    stream.extend_from_slice(b"X\x64\x00\x00\x00");
    stream.extend_from_slice(long.as_bytes());
    expected.push(format!("'{long}'"));
    stream.extend_from_slice(b"l.");
    // Python writes a str holding both quotes between single quotes, the single one
    // escaped.
    let expected: Vec<String> = expected
        .iter()
        .map(|text| match text.starts_with('"') && text.contains('\'') {
            true => format!("'{}'", text[1..text.len() - 1].replace('\'', "\\'")),
            false => text.clone(),
        })
        .collect();
    let pickle = load(&stream).unwrap();
    assert_eq!(
        to_repr(&pickle, pickle.root()),
        format!("[{}]", expected.join(", "))
    );
}

/// The standard library's values (`tests/fixtures/values/`: datetimes, Decimals,
/// deques, paths, patterns, enum members, …): picklegraph's repr is CPython's, byte for
/// byte, for every one at every protocol. None is skipped.
#[test]
fn standard_library_values_repr_exactly_as_cpython() {
    let mut compared = 0;
    let mut mismatches = Vec::new();
    for path in fixture_pickles()
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("/fixtures/values/"))
    {
        let stem = path.to_string_lossy().trim_end_matches(".pkl").to_string();
        let expected = std::fs::read_to_string(format!("{stem}.repr"))
            .unwrap_or_else(|_| panic!("{stem}.repr: every value has CPython's repr"));
        let bytes = std::fs::read(&path).unwrap();
        let ours = match load(&bytes) {
            Ok(pickle) => to_repr(&pickle, pickle.root()),
            Err(err) => format!("<error: {err}>"),
        };
        compared += 1;
        if ours != expected {
            mismatches.push(format!(
                "{}:\n{}",
                path.display(),
                first_difference(&expected, &ours)
            ));
        }
    }
    assert!(
        compared >= 31 * 6,
        "31 cases at six protocols, got {compared}"
    );
    assert!(
        mismatches.is_empty(),
        "{} of {compared} differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// Random values of each standard library type (`stdlib_values.py`: timedeltas of
/// every size, timezones with seconds and microseconds, Decimal spellings, Fractions
/// to reduce, complex parts that are -0, inf or nan, IPv6 zero runs, re flags, Counter
/// orders, builtins named by reference, partials of them), at every protocol:
/// picklegraph's repr is CPython's.
#[test]
fn random_standard_library_values_repr_exactly_as_cpython() {
    let output = Command::new("python3")
        .arg(repo().join("tests/differential/stdlib_values.py"))
        .args(["--seed", "20261207", "--count", "150"])
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "stdlib_values.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut compared = 0;
    let mut mismatches = Vec::new();
    for line in String::from_utf8(output.stdout).unwrap().lines() {
        let record: (String, u8, String, String) = serde_json::from_str(line).unwrap();
        let (kind, protocol, hex, expected) = record;
        let bytes: Vec<u8> = crate::common::unhex(&hex);
        let ours = match load(&bytes) {
            Ok(pickle) => to_repr(&pickle, pickle.root()),
            Err(err) => format!("<error: {err}>"),
        };
        compared += 1;
        if ours != expected {
            mismatches.push(format!(
                "{kind} protocol {protocol}: CPython {expected}\n  ours {ours}"
            ));
        }
    }
    assert!(compared >= 150 * 18 * 6, "only {compared} records");
    assert!(
        mismatches.is_empty(),
        "{} of {compared} differ, e.g.\n{}",
        mismatches.len(),
        mismatches[..mismatches.len().min(10)].join("\n")
    );
}

/// The table of the standard library's enum members is what CPython 3.11 gives:
/// `tools/gen_stdlib_enums.py` makes it from CPython's own enums.
#[test]
fn the_standard_library_enum_table_is_made_from_cpython() {
    let output = Command::new("python3")
        .arg(repo().join("tools/gen_stdlib_enums.py"))
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let committed =
        std::fs::read_to_string(repo().join("src/python/values/enum_table.rs")).unwrap();
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        committed,
        "run: python3 tools/gen_stdlib_enums.py > src/python/values/enum_table.rs"
    );
}

/// An enum class named by reference reprs as CPython writes it: `<enum 'SafeUUID'>`,
/// `<flag 'RegexFlag'>` (the table records which are flags).
#[test]
fn standard_library_enum_classes_repr_as_cpython_writes_them() {
    let script = "import http, pickle, re, ssl, uuid, inspect\n\
        for cls in [uuid.SafeUUID, re.RegexFlag, http.HTTPStatus, ssl.Options, ssl.VerifyMode, inspect._ParameterKind]:\n\
        \x20   for protocol in range(6):\n\
        \x20       print(pickle.dumps(cls, protocol).hex(), repr(cls))";
    let text = String::from_utf8(crate::common::python3_stdout(script)).unwrap();
    let mut compared = 0;
    for line in text.lines() {
        let (hex, expected) = line.split_once(' ').unwrap();
        let bytes: Vec<u8> = crate::common::unhex(hex);
        let pickle = load(&bytes).unwrap();
        assert_eq!(to_repr(&pickle, pickle.root()), expected, "{hex}");
        compared += 1;
    }
    assert_eq!(compared, 36);
}
