//! Hostile inputs: each loads or fails cleanly, in bounded time and memory, through
//! `load` and every view (repr, scan).
//!
//! Time bounds are generous (the machine is shared and tests run at opt-level 1); they
//! are there to catch quadratic or exponential work, which would take minutes or hours,
//! not to benchmark.

use std::time::{Duration, Instant};

use picklegraph::render::dis::DisOptions;
use picklegraph::render::repr::repr;
use picklegraph::render::show::ShowOptions;
use picklegraph::scan::{Class, FileScan, Verdict};
use picklegraph::{load, load_with, ErrorKind, LoadOptions, Value};

use crate::common;

/// Runs `f`, failing if it takes longer than `limit`.
fn within<T>(limit: Duration, what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let value = f();
    let elapsed = start.elapsed();
    assert!(
        elapsed < limit,
        "{what} took {elapsed:?}, more than {limit:?}"
    );
    value
}

const SECONDS: fn(u64) -> Duration = Duration::from_secs;

/// Every view, with small budgets: what a fuzzer, or a user pointing the tool at a
/// stranger's file, would run. Output goes nowhere; only time, memory and panics count.
fn every_view(input: &[u8]) {
    let options = LoadOptions::strict();
    let show = ShowOptions::default();
    for result in picklegraph::load_all(input).with_options(options.clone()) {
        match result {
            Ok(pickle) => {
                let _ = repr(&pickle, pickle.root(), 1 << 16);
                for effect in pickle.effects() {
                    let _ = repr(&pickle, effect.value, 1 << 12);
                }
                let _ = picklegraph::scan::scan(&pickle);
                let _ = picklegraph::render::show::show(&pickle, &show, std::io::sink());
                let _ = picklegraph::render::json::write_json(&pickle, None, std::io::sink());
            }
            Err(failure) => {
                let _ = picklegraph::scan::scan(&failure.partial);
                let _ = picklegraph::render::show::show_failure(&failure, &show, std::io::sink());
                let _ =
                    picklegraph::render::json::write_failure_json(&failure, None, std::io::sink());
            }
        }
    }
    let _ = picklegraph::render::dis::dis_all(input, &DisOptions::default(), &mut std::io::sink());
    let scan = FileScan::of(input, &options, false);
    let _ = scan.to_json();
    let _ = scan.write_text(&mut std::io::sink());
}

/// Every view of a big graph, each within `limit`.
fn every_view_within(limit: Duration, what: &str, stream: &[u8]) {
    let pickle = load(stream).unwrap();
    let show = ShowOptions::default();
    within(limit, &format!("{what}: show"), || {
        picklegraph::render::show::show(&pickle, &show, std::io::sink()).unwrap();
    });
    within(limit, &format!("{what}: json"), || {
        picklegraph::render::json::write_json(&pickle, None, std::io::sink()).unwrap();
    });
    within(limit, &format!("{what}: dis"), || {
        picklegraph::render::dis::dis_all(stream, &DisOptions::default(), &mut std::io::sink())
            .unwrap();
    });
    within(limit, &format!("{what}: scan"), || {
        FileScan::of(stream, &LoadOptions::default(), false)
    });
}

fn repeat(unit: &[u8], times: usize) -> Vec<u8> {
    unit.repeat(times)
}

#[test]
fn a_million_nested_lists_tuples_and_dicts_go_through_every_view() {
    const DEPTH: usize = 1_000_000;
    // (((...))) through a million open marks: ( ( ( ... ) t t t
    let mut tuples = repeat(b"(", DEPTH);
    tuples.extend(repeat(b"t", DEPTH));
    tuples.push(b'.');
    // {1: {1: {...}}}: every dict and key pushed, then one SETITEM per level.
    let mut dicts = b"}".to_vec();
    dicts.extend(repeat(b"K\x01}", DEPTH - 1));
    dicts.extend(repeat(b"s", DEPTH - 1));
    dicts.push(b'.');
    // [[[...]]]: ] ( per level, then one APPENDS per level.
    let mut lists = repeat(b"](", DEPTH);
    lists.extend(repeat(b"e", DEPTH));
    lists.push(b'.');
    for (name, stream, open, close) in [
        ("lists", &lists, "[", "]"),
        ("tuples", &tuples, "(", ",)"),
        ("dicts", &dicts, "{1: ", "}"),
    ] {
        let pickle = within(SECONDS(20), name, || load(stream).unwrap());
        assert_eq!(pickle.nodes().len(), DEPTH, "{name}");
        let (text, cut) = within(SECONDS(20), name, || repr(&pickle, pickle.root(), 1 << 30));
        assert!(!cut);
        assert!(
            text.starts_with(&open.repeat(3)) && text.ends_with(&close.repeat(3)),
            "{name}"
        );
        assert!(picklegraph::scan::scan(&pickle).is_empty());
        within(SECONDS(10), name, || drop(pickle));
        every_view_within(SECONDS(60), name, stream);
    }
}

#[test]
fn a_million_nested_calls_load_render_scan_and_drop() {
    const DEPTH: usize = 1_000_000;
    // f(f(...f(None)...)) as a pickler writes it: every callable pushed first (BINGET of
    // the memoized global), then the innermost argument, then TUPLE1 REDUCE per level.
    let mut stream = b"\x80\x02c__main__\nf\nq\x000".to_vec(); // memoize f, pop it
    stream.extend(repeat(b"h\x00", DEPTH)); // f f f ... f
    stream.extend(b"N"); // innermost argument
    stream.extend(repeat(b"\x85R", DEPTH)); // (arg,) then f(arg), a million times
    stream.push(b'.');
    let pickle = within(SECONDS(20), "load", || load(&stream).unwrap());
    let (text, cut) = within(SECONDS(20), "repr", || {
        repr(&pickle, pickle.root(), 1 << 30)
    });
    assert!(!cut);
    let depth_of_parens = text.len() - text.trim_end_matches(')').len();
    assert!(
        text.starts_with("__main__.f(__main__.f(")
            && text.trim_end_matches(')').ends_with("f(None")
    );
    assert_eq!(depth_of_parens, DEPTH);
    let findings = within(SECONDS(180), "scan", || picklegraph::scan::scan(&pickle));
    assert_eq!(findings.len(), DEPTH + 1);
    assert!(findings.iter().all(|f| f.text.len() < 1000));
    within(SECONDS(10), "drop", || drop(pickle));
    every_view_within(SECONDS(300), "calls", &stream);
}

#[test]
fn a_memo_bomb_loads_in_linear_time_and_renders_within_its_budget() {
    // l0 = []; l(n+1) = [ln, ln]: forty levels stand for 2^40 leaves.
    let mut stream = b"\x80\x02]q\x00".to_vec();
    for level in 1..=40u8 {
        stream.extend([b'(', b'h', level - 1, b'h', level - 1, b'l', b'q', level]);
    }
    stream.push(b'.');
    let pickle = within(SECONDS(1), "load", || load(&stream).unwrap());
    assert_eq!(pickle.nodes().len(), 41);
    let (text, cut) = within(SECONDS(5), "repr", || repr(&pickle, pickle.root(), 1 << 20));
    assert!(cut && text.len() < (1 << 20) + 16);
    within(SECONDS(5), "views", || every_view(&stream));
}

#[test]
fn a_memo_bomb_of_tuples_used_as_keys_is_compared_in_linear_time() {
    // t(n+1) = (tn, tn) as a dict key twice and a frozenset member: equality of two
    // 2^40-leaf trees must not walk the leaves.
    let mut stream = b"\x80\x02)q\x00".to_vec();
    for level in 1..=40u8 {
        stream.extend([b'h', level - 1, b'h', level - 1, 0x86, b'q', level]);
    }
    stream.extend(b"}h\x28K\x01sh\x28K\x02s"); // {t40: 1} then t40 again: one key
    stream.extend(b"(h\x28h\x27h\x28\x91."); // frozenset({t40, t39, t40})
    let pickle = within(SECONDS(2), "load", || load(&stream).unwrap());
    let picklegraph::Node::FrozenSet(members) = pickle.get(pickle.root()).unwrap() else {
        panic!()
    };
    assert_eq!(members.len(), 2);
    within(SECONDS(5), "views", || every_view(&stream));
}

#[test]
fn length_fields_of_2_pow_62_are_refused_before_anything_is_allocated() {
    let huge = (1u64 << 62).to_le_bytes();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("BINBYTES8", [b"\x80\x04\x8e".as_slice(), &huge].concat()),
        ("BINUNICODE8", [b"\x80\x04\x8d".as_slice(), &huge].concat()),
        ("BYTEARRAY8", [b"\x80\x05\x96".as_slice(), &huge].concat()),
        ("FRAME", [b"\x80\x04\x95".as_slice(), &huge].concat()),
        (
            "BINBYTES8",
            [b"\x80\x04\x8e".as_slice(), &u64::MAX.to_le_bytes()].concat(),
        ),
        ("BINUNICODE", b"X\xff\xff\xff\xff".to_vec()),
        ("BINBYTES", b"B\xff\xff\xff\xff".to_vec()),
        ("BINSTRING", b"T\xff\xff\xff\x7f".to_vec()),
        ("LONG4", b"\x8b\xff\xff\xff\x7f".to_vec()),
    ];
    for (opcode, stream) in cases {
        let err = within(Duration::from_millis(500), opcode, || {
            load(&stream).unwrap_err()
        });
        assert!(
            matches!(err.kind(), ErrorKind::Truncated { .. }),
            "{opcode}: {err}"
        );
        assert_eq!(err.opcode().map(|op| op.name()), Some(opcode));
        let scan = FileScan::of(&stream, &LoadOptions::default(), false);
        assert_eq!(scan.verdict(), Verdict::Malformed);
    }
}

#[test]
fn a_long4_of_ten_million_bytes_loads_and_renders_in_linear_time() {
    const LEN: usize = 10_000_000;
    let mut stream = b"\x80\x02\x8b".to_vec();
    stream.extend((LEN as u32).to_le_bytes());
    stream.extend(std::iter::repeat(0x5a).take(LEN - 1));
    stream.push(0x01);
    stream.push(b'.');
    let pickle = within(SECONDS(10), "load", || load(&stream).unwrap());
    let (text, cut) = within(SECONDS(20), "repr", || {
        repr(&pickle, pickle.root(), usize::MAX / 2)
    });
    assert!(!cut);
    assert_eq!(
        text.len(),
        2 + 2 * LEN - 1,
        "a hex literal of every digit byte"
    );
    assert!(text.starts_with("0x15a5a"));
    let (short, cut) = within(
        Duration::from_millis(500),
        "repr with a small budget",
        || repr(&pickle, pickle.root(), 100),
    );
    assert!(cut && short.len() < 200);
    let as_key = [&stream[..stream.len() - 1], b"\x94}h\x00K\x01sh\x00K\x02s."].concat();
    let pickle = within(SECONDS(10), "as a dict key", || load(&as_key).unwrap());
    assert_eq!(repr(&pickle, pickle.root(), 50).0.chars().last(), Some('…'));
}

#[test]
fn a_million_open_marks_fail_or_load_cleanly() {
    let mut marks = repeat(b"(", 1_000_000);
    marks.push(b'.');
    let err = within(SECONDS(5), "load", || load(&marks).unwrap_err());
    assert_eq!(err.offset(), 1_000_000);
    let mut marks_then_value = repeat(b"(", 1_000_000);
    marks_then_value.extend(b"N.");
    within(SECONDS(5), "load", || {
        let _ = load(&marks_then_value);
    });
    within(SECONDS(10), "views", || every_view(&marks));
    let too_many = repeat(b"(", 2 << 20);
    let strict = within(SECONDS(5), "strict load", || {
        load_with(&too_many, &LoadOptions::strict()).unwrap_err()
    });
    assert!(
        matches!(
            strict.kind(),
            ErrorKind::LimitExceeded { limit: "stack", .. }
        ),
        "{strict}"
    );
}

#[test]
fn a_big_string_shared_as_a_key_a_million_times_is_hashed_once() {
    // One 4 MB str, memoized, then a million references added to a set: hashing the
    // payload at each ADDITEMS would cost 4 TB of work.
    const TIMES: usize = 1_000_000;
    let payload = vec![b'a'; 4 << 20];
    let mut stream = b"\x80\x04X".to_vec();
    stream.extend((payload.len() as u32).to_le_bytes());
    stream.extend(&payload);
    // Sixteen other members first, so the set is searched through its hash index.
    stream.extend(b"\x940\x8f(");
    for member in 0..16u8 {
        stream.extend([b'K', member]);
    }
    stream.extend(repeat(b"h\x00", TIMES));
    stream.extend(b"\x90.");
    let pickle = within(SECONDS(10), "load", || load(&stream).unwrap());
    let Some(picklegraph::Node::Set(members)) = pickle.get(pickle.root()) else {
        panic!()
    };
    assert_eq!(members.len(), 17);
}

#[test]
fn equal_strings_in_distinct_nodes_are_compared_once_each() {
    // Sixteen equal 1 MB strs in distinct nodes, then each added a hundred thousand
    // times: comparing payloads at every insertion would cost 1.6 TB of work.
    let payload = vec![b'b'; 1 << 20];
    let mut stream = b"\x80\x04".to_vec();
    for key in 0..16u8 {
        stream.push(b'X');
        stream.extend((payload.len() as u32).to_le_bytes());
        stream.extend(&payload);
        stream.extend([b'q', key, b'0']);
    }
    stream.extend(b"\x8f");
    for _ in 0..100_000 {
        stream.push(b'(');
        for key in 0..16u8 {
            stream.extend([b'h', key]);
        }
        stream.push(0x90);
    }
    stream.push(b'.');
    let pickle = within(SECONDS(10), "load", || load(&stream).unwrap());
    let Some(picklegraph::Node::Set(members)) = pickle.get(pickle.root()) else {
        panic!()
    };
    assert_eq!(members.len(), 1);
}

#[test]
fn two_big_equal_frozensets_compare_in_linear_time() {
    // Two frozensets of the same 200,000 ints, then a set of both: one member.
    const LEN: u32 = 200_000;
    let mut stream = b"\x80\x04\x8f(".to_vec();
    for _ in 0..2 {
        stream.push(b'(');
        for i in 0..LEN {
            stream.push(b'J');
            stream.extend(i.to_le_bytes());
        }
        stream.push(0x91);
    }
    stream.extend(b"\x90.");
    let pickle = within(SECONDS(10), "load", || load(&stream).unwrap());
    let Some(picklegraph::Node::Set(members)) = pickle.get(pickle.root()) else {
        panic!()
    };
    assert_eq!(members.len(), 1);
}

#[test]
fn a_dict_of_a_hundred_thousand_nan_keys_loads_in_linear_time() {
    // NaN equals nothing, so each is a new key; all share one hash.
    let mut stream = b"\x80\x04}(".to_vec();
    for _ in 0..100_000 {
        stream.extend(b"G\x7f\xf8\x00\x00\x00\x00\x00\x00N");
    }
    stream.extend(b"u.");
    let pickle = within(SECONDS(10), "load", || load(&stream).unwrap());
    let Some(picklegraph::Node::Dict(entries)) = pickle.get(pickle.root()) else {
        panic!()
    };
    assert_eq!(entries.len(), 100_000);
}

#[test]
fn setting_the_last_key_of_a_big_dict_again_and_again_is_fast() {
    // A dict of 300,000 keys, then its last key set 300,000 more times.
    const LEN: u32 = 300_000;
    let mut stream = b"\x80\x04}(".to_vec();
    for i in 0..LEN {
        stream.push(b'J');
        stream.extend(i.to_le_bytes());
        stream.push(b'N');
    }
    stream.push(b'u');
    for _ in 0..LEN {
        stream.push(b'J');
        stream.extend((LEN - 1).to_le_bytes());
        stream.extend(b"\x88s");
    }
    stream.push(b'.');
    let pickle = within(SECONDS(10), "load", || load(&stream).unwrap());
    let Some(picklegraph::Node::Dict(entries)) = pickle.get(pickle.root()) else {
        panic!()
    };
    assert_eq!(entries.len(), LEN as usize);
    assert_eq!(entries.get(LEN as usize - 1).unwrap().1, Value::Bool(true));
}

#[test]
fn a_million_calls_sharing_one_huge_argument_scan_in_linear_time() {
    // c = f(0, 1, ..., 299999); then g(c) a million times, discarded: each finding's
    // text must cost its budget, not the size of c.
    const ARGS: u32 = 300_000;
    const CALLS: usize = 1_000_000;
    let mut stream = b"\x80\x04c__main__\nf\n(".to_vec();
    for i in 0..ARGS {
        stream.push(b'J');
        stream.extend(i.to_le_bytes());
    }
    stream.extend(b"tR\x94c__main__\ng\n\x94");
    for _ in 0..CALLS {
        stream.extend(b"h\x01h\x00\x85R0");
    }
    stream.extend(b"N.");
    let pickle = within(SECONDS(20), "load", || load(&stream).unwrap());
    let findings = within(SECONDS(180), "scan", || picklegraph::scan::scan(&pickle));
    assert_eq!(findings.len(), 2 + 1 + CALLS);
    assert!(
        findings.iter().all(|f| f.text.len() < 1000),
        "{}",
        findings[1].text.len()
    );
    let (text, cut) = within(SECONDS(5), "repr of an effect", || {
        repr(&pickle, pickle.effects()[0].value, 100)
    });
    assert!(cut && text.starts_with("__main__.g(__main__.f(0, 1, 2"));
}

#[test]
fn every_truncation_of_every_fixture_fails_cleanly_and_never_scans_clean() {
    let fixtures = common::fixture_pickles();
    assert!(
        !fixtures.is_empty(),
        "no fixtures under {}",
        common::fixtures().display()
    );
    let options = LoadOptions::default();
    for path in fixtures {
        let bytes = std::fs::read(&path).unwrap();
        for len in 0..bytes.len() {
            let prefix = &bytes[..len];
            every_view(prefix);
            let scan = FileScan::of(prefix, &options, false);
            assert_ne!(
                scan.verdict(),
                Verdict::Clean,
                "{} cut to {len} bytes scans clean",
                path.display()
            );
        }
    }
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_mutations_of_every_fixture_load_or_fail_cleanly() {
    const MUTANTS: usize = 64;
    let fixtures = common::fixture_pickles();
    assert!(!fixtures.is_empty());
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for path in fixtures {
        let bytes = std::fs::read(&path).unwrap();
        if bytes.is_empty() {
            continue;
        }
        for _ in 0..MUTANTS {
            let mut mutant = bytes.clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(mutant.len());
                match rng.below(4) {
                    0 => mutant[at] = rng.next() as u8,
                    1 => mutant[at] ^= 1 << rng.below(8),
                    2 => {
                        mutant.remove(at);
                        if mutant.is_empty() {
                            mutant.push(b'.');
                        }
                    }
                    _ => mutant.insert(at, rng.next() as u8),
                }
            }
            every_view(&mutant);
        }
    }
}

#[test]
fn the_classic_malicious_pickle_is_shown_flagged_and_never_run() {
    let marker = std::env::temp_dir().join(format!("picklegraph-was-run-{}", std::process::id()));
    let _ = std::fs::remove_file(&marker);
    let command = format!("touch {}", marker.display());
    // cos\nsystem\n(S'touch …'\ntR.  — os.system via REDUCE, protocol 0.
    let stream = [
        b"cos\nsystem\n(S'".as_slice(),
        command.as_bytes(),
        b"'\ntR.",
    ]
    .concat();
    let pickle = load(&stream).unwrap();
    assert_eq!(
        repr(&pickle, pickle.root(), 1 << 10).0,
        format!("os.system('{command}')")
    );
    let scan = FileScan::of(&stream, &LoadOptions::default(), false);
    assert_eq!(scan.verdict(), Verdict::Dangerous);
    let call = &scan.pickles[0].findings[1];
    assert_eq!(
        (call.offset, call.class),
        (stream.len() as u64 - 2, Class::Dangerous)
    );
    assert_eq!(call.text, format!("os.system('{command}')"));
    let mut text = Vec::new();
    scan.write_text(&mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    let group = format!(
        "  dangerous    2× os.system, offsets 0, {}: os.system('{command}')\n",
        stream.len() - 2
    );
    assert!(text.contains(&group), "{text}");
    assert!(
        text.contains("why: calls os.system; os: spawns processes"),
        "{text}"
    );
    assert!(!marker.exists(), "the pickle ran");
}

#[test]
fn fuzz_regressions_load_and_render_cleanly() {
    // Each file is an input that once crashed, hung or exhausted memory in some view.
    let dir = common::repo().join("tests/testsuite/fuzz_regressions");
    let inputs = common::files_with_suffix(&dir, "");
    assert!(!inputs.is_empty(), "no regressions under {}", dir.display());
    for path in inputs {
        let input = std::fs::read(&path).unwrap();
        within(SECONDS(10), &path.display().to_string(), || {
            every_view(&input)
        });
    }
}

#[test]
fn two_hundred_thousand_distinct_globals_go_through_every_view_in_linear_time() {
    // Each GLOBAL names a module of its own and is popped: show's summary line once
    // searched a list of the names seen, which made this 2.6 MB file take minutes.
    const COUNT: usize = 200_000;
    let mut stream = b"(".to_vec();
    for i in 0..COUNT {
        stream.extend_from_slice(format!("cmod{i}\nname{i}\n0").as_bytes());
    }
    stream.extend_from_slice(b"l.");
    let pickle = load(&stream).unwrap();
    let mut text = Vec::new();
    within(SECONDS(20), "show", || {
        picklegraph::render::show::show(&pickle, &ShowOptions::default(), &mut text).unwrap()
    });
    let first = String::from_utf8_lossy(&text)
        .lines()
        .next()
        .unwrap_or("")
        .to_string();
    assert!(first.contains("200,000 globals: mod0.name0"), "{first}");
    every_view_within(SECONDS(60), "distinct globals", &stream);
}

#[test]
fn a_hundred_thousand_mutations_of_one_instance_go_through_every_view_in_linear_time() {
    // `Foo()` then SETITEM and APPEND alternating, each a mutation of its own: the walks
    // once looked each child up by scanning the mutations before it (45 s of `stats`).
    let mut stream = b"\x80\x02c__main__\nFoo\n)\x81".to_vec();
    for _ in 0..50_000 {
        stream.extend_from_slice(b"K\x01K\x02sK\x03a");
    }
    stream.push(b'.');
    let pickle = load(&stream).unwrap();
    let root = pickle.root().node().unwrap();
    assert_eq!(pickle.node(root).child_count(), 2 + 150_000);
    assert_eq!(
        pickle.node(root).child(2 + 149_999),
        Some(picklegraph::Value::Int(3))
    );
    assert_eq!(pickle.node(root).child(2 + 150_000), None);
    within(SECONDS(20), "stats", || {
        picklegraph::stats::stats(&pickle, 10)
    });
    every_view_within(SECONDS(60), "mutations", &stream);
}

#[test]
fn names_with_line_breaks_and_escapes_are_escaped_in_repr_and_show() {
    // STACK_GLOBAL of 'types' and 'a\nb\x1b[2J': a name no module has, which a terminal
    // would obey and which once broke show's layout (a fuzzer find).
    let stream = b"\x80\x04\x8c\x05types\x8c\x07a\nb\x1b[2J\x93\x85.";
    let pickle = load(stream).unwrap();
    let text = repr(&pickle, pickle.root(), 1 << 16).0;
    assert_eq!(text, "(types.a\\nb\\x1b[2J,)");
    let mut shown = Vec::new();
    picklegraph::render::show::show(&pickle, &ShowOptions::default(), &mut shown).unwrap();
    let shown = String::from_utf8(shown).unwrap();
    assert!(!shown.contains('\u{1b}'), "{shown:?}");
    assert!(shown.contains("types.a\\nb\\x1b[2J"), "{shown}");
}
