//! Every kind of load error, with its offset and opcode, compared exactly.

use picklegraph::{load, load_with, ErrorKind, LoadOptions, Opcode};

fn malformed(what: &'static str, detail: &str) -> ErrorKind {
    ErrorKind::MalformedText {
        what,
        detail: detail.to_string(),
    }
}

#[test]
fn each_malformed_input_fails_with_offset_opcode_and_kind() {
    let rows: Vec<(&[u8], u64, Option<Opcode>, ErrorKind)> = vec![
        (b"", 0, None, ErrorKind::Empty),
        (
            b"K",
            0,
            Some(Opcode::BinInt1),
            ErrorKind::Truncated { needed: 1 },
        ),
        (b"K\x01", 2, None, ErrorKind::Truncated { needed: 1 }),
        (
            b"X\xff\xff\xff\xffab",
            0,
            Some(Opcode::BinUnicode),
            ErrorKind::Truncated {
                needed: 0xffff_fffd,
            },
        ),
        (
            b"\x8e\xff\xff\xff\xff\xff\xff\xff\x3f",
            0,
            Some(Opcode::BinBytes8),
            ErrorKind::Truncated {
                needed: (1 << 62) - 1,
            },
        ),
        (b"\xff", 0, None, ErrorKind::UnknownOpcode(0xff)),
        (b"N\x00.", 1, None, ErrorKind::UnknownOpcode(0)),
        (
            b"\x80\x06N.",
            0,
            Some(Opcode::Proto),
            ErrorKind::UnsupportedProtocol(6),
        ),
        (b"R.", 0, Some(Opcode::Reduce), ErrorKind::StackUnderflow),
        (b".", 0, Some(Opcode::Stop), ErrorKind::StackUnderflow),
        (b"N(.", 2, Some(Opcode::Stop), ErrorKind::StackUnderflow),
        (b"N(a", 2, Some(Opcode::Append), ErrorKind::StackUnderflow),
        (b"Nt.", 1, Some(Opcode::Tuple), ErrorKind::MissingMark),
        (b"]Ne.", 2, Some(Opcode::Appends), ErrorKind::MissingMark),
        (
            b"h\x05.",
            0,
            Some(Opcode::BinGet),
            ErrorKind::MissingMemo(5),
        ),
        (b"g7\n.", 0, Some(Opcode::Get), ErrorKind::MissingMemo(7)),
        (b"Np-1\n.", 1, Some(Opcode::Put), ErrorKind::NegativePut),
        (
            b"T\xff\xff\xff\xff.",
            0,
            Some(Opcode::BinString),
            ErrorKind::NegativeLength(-1),
        ),
        (
            b"\x8b\xfe\xff\xff\xff.",
            0,
            Some(Opcode::Long4),
            ErrorKind::NegativeLength(-2),
        ),
        (
            b"I12x\n.",
            0,
            Some(Opcode::Int),
            malformed("INT", "invalid literal for int() with base 0: b'12x'"),
        ),
        (
            b"Fabc\n.",
            0,
            Some(Opcode::Float),
            malformed("FLOAT", "could not convert string to float: b'abc'"),
        ),
        (
            b"Sabc\n.",
            0,
            Some(Opcode::String),
            malformed("STRING", "the STRING opcode argument must be quoted"),
        ),
        (
            b"S'a\\x4'\n.",
            0,
            Some(Opcode::String),
            malformed("STRING", "invalid \\x escape at position 1"),
        ),
        (
            b"V\\u12\n.",
            0,
            Some(Opcode::Unicode),
            malformed(
                "UNICODE",
                "can't decode bytes in position 0: truncated \\uXXXX escape",
            ),
        ),
        (
            b"X\x02\x00\x00\x00\xc3(.",
            0,
            Some(Opcode::BinUnicode),
            ErrorKind::InvalidUtf8 { position: 0 },
        ),
        (
            b"U\x01\xe9.",
            0,
            Some(Opcode::ShortBinString),
            ErrorKind::Undecodable8Bit {
                encoding: "ascii",
                position: 0,
            },
        ),
        (
            b"\x95\x02\x00\x00\x00\x00\x00\x00\x00J\x00\x00\x00\x00.",
            9,
            Some(Opcode::BinInt),
            ErrorKind::FrameOverrun,
        ),
        (
            b"\x95\x0a\x00\x00\x00\x00\x00\x00\x00\x95\x00\x00\x00\x00\x00\x00\x00\x00N.",
            9,
            Some(Opcode::Frame),
            ErrorKind::FrameInsideFrame,
        ),
        (
            b"\x95\x10\x00\x00\x00\x00\x00\x00\x00N.",
            0,
            Some(Opcode::Frame),
            ErrorKind::Truncated { needed: 14 },
        ),
        (
            b"\x84\x00\x00\x00\x00.",
            0,
            Some(Opcode::Ext4),
            ErrorKind::BadExtensionCode,
        ),
        (
            b"\x8f]\x85\x90.",
            3,
            Some(Opcode::AddItems),
            ErrorKind::MissingMark,
        ),
        (
            b"(]\x91.",
            2,
            Some(Opcode::FrozenSet),
            ErrorKind::Unhashable("list"),
        ),
        (
            b")K\x01a.",
            3,
            Some(Opcode::Append),
            ErrorKind::WrongType {
                operation: "APPEND",
                type_name: "tuple",
                detail: "it has no append or extend",
            },
        ),
        (
            b"]K\x01K\x02s.",
            5,
            Some(Opcode::SetItem),
            ErrorKind::WrongType {
                operation: "SETITEM",
                type_name: "list",
                detail: "it does not support item assignment",
            },
        ),
        (
            b"]}(K\x01K\x02ub.",
            8,
            Some(Opcode::Build),
            ErrorKind::WrongType {
                operation: "BUILD",
                type_name: "list",
                detail: "it has no __dict__ to set state on",
            },
        ),
        (
            b"(K\x01d.",
            3,
            Some(Opcode::Dict),
            ErrorKind::WrongType {
                operation: "DICT",
                type_name: "dict",
                detail: "odd number of items",
            },
        ),
        (
            b"cos\n\xff\n.",
            0,
            Some(Opcode::Global),
            ErrorKind::InvalidUtf8 { position: 0 },
        ),
        (
            b"r\x00\x00\x00\x00.",
            0,
            Some(Opcode::LongBinPut),
            ErrorKind::StackUnderflow,
        ),
    ];
    let mut failures = Vec::new();
    for (input, offset, opcode, kind) in rows {
        let err = load(input).expect_err("malformed input must fail");
        if (err.offset(), err.opcode(), err.kind()) != (offset, opcode, &kind) {
            failures.push(format!(
                "{input:?}: got {err} / {:?}, expected offset {offset} {opcode:?} {kind:?}",
                err.kind()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn error_messages_say_where_and_what() {
    let err = load(b"\x80\x04N\x8c\x05abR.").unwrap_err();
    assert_eq!(
        err.to_string(),
        "offset 3 (SHORT_BINUNICODE): pickle data was truncated (needed 1 more bytes)"
    );
    let err = load(b"\x80\x04NR.").unwrap_err();
    assert_eq!(
        err.to_string(),
        "offset 3 (REDUCE): unpickling stack underflow"
    );
    let err = load(b"\x01").unwrap_err();
    assert_eq!(
        err.to_string(),
        "offset 0 (no opcode): invalid load key 0x01"
    );
}

#[test]
fn limits_are_refused_with_the_limit_named() {
    let options = LoadOptions::default().with_max_nodes(3);
    let err = load_with(b"]]]]].", &options).unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::LimitExceeded {
            limit: "node",
            max: 3
        }
    );
    assert_eq!(err.offset(), 3);
    let options = LoadOptions::default().with_max_stack(10);
    let err = load_with(&[b'('; 100], &options).unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::LimitExceeded {
            limit: "stack",
            max: 10
        }
    );
    let options = LoadOptions::default().with_max_memo_key(100);
    let err = load_with(b"Nr\xff\x00\x00\x00.", &options).unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::LimitExceeded {
            limit: "memo key",
            max: 100
        }
    );
    let mut long_text = b"I".to_vec();
    long_text.extend(std::iter::repeat(b'9').take(4301));
    long_text.extend_from_slice(b"\n.");
    let err = load(&long_text).unwrap_err();
    assert!(
        err.to_string().contains("Exceeds the limit (4300 digits)"),
        "{err}"
    );
}

#[test]
fn newobj_operands_of_certain_wrong_type_are_refused() {
    let err = load(b"cbuiltins\nint\nN\x81.").unwrap_err();
    assert_eq!(
        err.to_string(),
        "offset 15 (NEWOBJ): NEWOBJ args argument must be a tuple, not NoneType"
    );
    let err = load(b"cbuiltins\nint\n)N\x92.").unwrap_err();
    assert_eq!(
        err.to_string(),
        "offset 16 (NEWOBJ_EX): NEWOBJ_EX kwargs argument must be a dict, not NoneType"
    );
    let err = load(b"K\x01)\x81.").unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::BadOperand {
            operation: "NEWOBJ",
            expected: "class argument must be a type",
            found: "int"
        }
    );
}

/// Loads `run` (a pickle a fast path takes) and `detour` (the same objects through the
/// dispatch loop) under `options`: both fail with the same error at the same opcode,
/// the detour's at `detour_offset` of the run's offset, or both load the same objects
/// with as many memo entries. True when both failed.
fn fail_alike(
    run: &[u8],
    detour: &[u8],
    options: &LoadOptions,
    detour_offset: impl Fn(u64) -> u64,
    what: &dyn std::fmt::Debug,
) -> bool {
    match (load_with(run, options), load_with(detour, options)) {
        (Err(a), Err(b)) => {
            assert_eq!(a.kind(), b.kind(), "{what:?} {options:?}");
            assert_eq!(a.opcode(), b.opcode(), "{what:?} {options:?}");
            assert_eq!(
                detour_offset(a.offset()),
                b.offset(),
                "{what:?} {options:?}"
            );
            true
        }
        (Ok(a), Ok(b)) => {
            let repr = |p: &picklegraph::Pickle<'_>| {
                picklegraph::render::repr::repr(p, p.root(), usize::MAX).0
            };
            assert_eq!(repr(&a), repr(&b), "{what:?} {options:?}");
            assert_eq!(a.memo_len(), b.memo_len(), "{what:?} {options:?}");
            false
        }
        (a, b) => panic!("{what:?} {options:?}: {:?} against {:?}", a.err(), b.err()),
    }
}

/// Allocation limits from 0 to `max` bytes, `step` apart.
fn alloc_limits(max: u64, step: usize) -> impl Iterator<Item = LoadOptions> {
    (0..max)
        .step_by(step)
        .map(|bytes| LoadOptions::default().with_max_alloc_bytes(bytes))
}

/// A list, tuple or dict of strs, numbers and memo gets right after its `MARK` is loaded
/// by a run that skips the dispatch loop, and so are the items after a container
/// inside it (an empty list, dict or tuple first); the same items after a `NONE` and a
/// `POP` go through the loop one opcode at a time. Under every limit, and with a bad
/// str or a missing memo key anywhere, both fail at the same opcode (two bytes later
/// in the second, past the detour) with the same error, or both load the same objects.
#[test]
fn a_run_of_strs_fails_where_the_loop_would() {
    fn str_item(text: &[u8]) -> Vec<u8> {
        let mut out = vec![0x8c, text.len() as u8];
        out.extend_from_slice(text);
        out.push(0x94);
        out
    }
    fn container(
        items: &[Vec<u8>],
        (open, close): (&[u8], &[u8]),
        (head, tail): (&[u8], &[u8]),
        detour: bool,
    ) -> Vec<u8> {
        let mut out = b"\x80\x05".to_vec();
        out.extend_from_slice(open);
        out.extend_from_slice(head);
        if detour {
            out.extend_from_slice(b"N0");
        }
        out.extend_from_slice(tail);
        for item in items {
            out.extend_from_slice(item);
        }
        out.extend_from_slice(close);
        out.push(b'.');
        out
    }
    let int = b"K\x07".to_vec();
    let strs: Vec<&[u8]> = vec![
        b"a",
        "\u{e9}".as_bytes(),
        b"",
        b"xyz",
        "\u{1f600}".as_bytes(),
    ];
    let all_strs: Vec<Vec<u8>> = strs.iter().map(|s| str_item(s)).collect();
    // Memo key 0 is the first str memoized (or the container before the items); key 9
    // is never there.
    let mixed: Vec<Vec<u8>> = vec![
        int.clone(),
        str_item(strs[0]),
        b"h\x00".to_vec(),
        int.clone(),
        str_item(strs[1]),
        str_item(strs[4]),
        b"h\x01".to_vec(),
        int.clone(),
    ];
    let mut inputs = vec![all_strs.clone(), mixed.clone()];
    for good in [all_strs, mixed] {
        let bads: Vec<Vec<u8>> = [&b"\xff"[..], b"\xed\xa0", b"\xc3"]
            .iter()
            .map(|bad| str_item(bad))
            .chain([b"h\x09".to_vec()])
            .collect();
        for bad in bads {
            for at in 0..good.len() {
                let mut items = good.clone();
                items[at] = bad.clone();
                inputs.push(items);
            }
        }
    }
    let mut limits = vec![LoadOptions::default()];
    for n in 0..8 {
        limits.push(LoadOptions::default().with_max_nodes(n));
        limits.push(LoadOptions::default().with_max_memo_key(n as u64));
    }
    limits.extend(alloc_limits(2_000, 8));
    let (mut failed, mut loaded) = (0, 0);
    // The container the items are in: a list (whose run is packed for its `APPENDS`),
    // a tuple or a dict (whose run goes onto the stack).
    let containers: [(&[u8], &[u8]); 3] = [(b"](", b"e"), (b"(", b"t"), (b"}(", b"u")];
    // What stands before the items: nothing (the run after the `MARK`), or a container
    // the run resumes after (its `APPENDS`, its `SETITEMS`, a tuple's `MEMOIZE`), in
    // two parts with the detour between them.
    let befores: [(&[u8], &[u8]); 4] = [
        (b"", b""),
        (b"](e", b""),
        (b"}(u", b""),
        (b"(K\x01t", b"\x94"),
    ];
    for items in &inputs {
        for (kind, before) in containers.iter().flat_map(|&c| befores.map(|b| (c, b))) {
            let run = container(items, kind, before, false);
            let detour = container(items, kind, before, true);
            // The items start after the protocol, the container's opening and what
            // stands before them.
            let start = (2 + kind.0.len() + before.0.len()) as u64;
            let detour_offset = |offset: u64| if offset >= start { offset + 2 } else { offset };
            for options in &limits {
                match fail_alike(&run, &detour, options, detour_offset, items) {
                    true => failed += 1,
                    false => loaded += 1,
                }
            }
        }
    }
    assert!(failed > 0 && loaded > 0, "{failed} failed, {loaded} loaded");
}

/// Protocol 0's list items (`I...\n` or `L...L\n`, then `APPEND`) after the first are
/// taken by a loop of their own; with a `NONE` and a `POP` after each `APPEND`, they go
/// through the dispatch loop one opcode at a time. Under every limit, and with a bad or
/// big item anywhere, both fail at the same opcode of the same item with the same
/// error, or both load the same list.
#[test]
fn protocol_0_items_fail_where_the_loop_would() {
    let good: Vec<&[u8]> = vec![
        b"I5\n",
        b"L-123L\n",
        b"I01\n",
        b"L9223372036854775807L\n",
        b"I00\n",
        b"I-140737488355329\n",
        b"L7L\n",
    ];
    let bad: Vec<&[u8]> = vec![
        b"I12x\n",
        b"L18446744073709551616L\n",
        b"I1234567\n",
        b"L\n",
        b"I 42\n",
    ];
    let mut lists: Vec<Vec<&[u8]>> = vec![good.clone()];
    for at in 0..good.len() {
        for &item in &bad {
            let mut items = good.clone();
            items[at] = item;
            lists.push(items);
        }
    }
    // What stands before the items: nothing, or a list inside the list (which then is
    // not the last container and must move to grow).
    let befores: [&[u8]; 2] = [b"", b"(lp1\nI1\naa"];
    // Each item's end in the run's bytes, to map an offset there to the detour's.
    let encode = |items: &[&[u8]], before: &[u8], detour: bool| {
        let mut out = b"(lp0\n".to_vec();
        out.extend_from_slice(before);
        let mut ends = Vec::new();
        for item in items {
            out.extend_from_slice(item);
            out.push(b'a');
            ends.push(out.len() as u64);
            if detour {
                out.extend_from_slice(b"N0");
            }
        }
        out.push(b'.');
        (out, ends)
    };
    let mut limits = vec![LoadOptions::default()];
    for n in 1..6 {
        limits.push(LoadOptions::default().with_max_stack(n));
        limits.push(LoadOptions::default().with_max_int_digits(n * 3));
    }
    limits.extend(alloc_limits(400, 4));
    let (mut failed, mut loaded) = (0, 0);
    for items in &lists {
        for before in befores {
            let (run, ends) = encode(items, before, false);
            let (detour, _) = encode(items, before, true);
            // Two bytes more in the detour for each item before the offset.
            let detour_offset =
                |offset: u64| offset + 2 * ends.iter().filter(|&&end| end <= offset).count() as u64;
            for options in &limits {
                match fail_alike(&run, &detour, options, detour_offset, items) {
                    true => failed += 1,
                    false => loaded += 1,
                }
            }
        }
    }
    assert!(failed > 0 && loaded > 0, "{failed} failed, {loaded} loaded");
}
