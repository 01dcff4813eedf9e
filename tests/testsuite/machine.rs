//! The machine's semantics: identity, effects, folding, key merging, encodings, streams.

use picklegraph::graph::walk::reference_counts;
use picklegraph::render::repr::to_repr;
use picklegraph::{
    load, load_all, load_with, InertKind, LoadOptions, Mutation, Node, Opcode, StringEncoding,
    Value,
};

fn repr_of(bytes: &[u8]) -> String {
    let pickle = load(bytes).unwrap_or_else(|e| panic!("{e}"));
    to_repr(&pickle, pickle.root())
}

#[test]
fn memo_get_returns_the_same_node() {
    // l = []; [l, l]  via BINPUT/BINGET
    let pickle = load(b"(]q\x00h\x00l.").unwrap();
    let Some(Node::List(items)) = pickle.get(pickle.root()) else {
        panic!("root is a list")
    };
    assert_eq!(items.len(), 2);
    assert_eq!(items.get(0), items.get(1));
    let first = items.get(0).and_then(|item| item.node()).expect("a node");
    let counts = reference_counts(&pickle);
    assert_eq!(counts[first.index()], 2);
}

#[test]
fn a_list_may_contain_itself() {
    assert_eq!(repr_of(b"]q\x00h\x00a."), "[[...]]");
    assert_eq!(repr_of(b"}q\x00X\x01\x00\x00\x00kh\x00s."), "{'k': {...}}");
}

#[test]
fn discarded_calls_are_kept_as_effects_in_stream_order() {
    // f(1); POP; g(); POP_MARK-discarded; root None
    let stream = b"cm\nf\nK\x01\x85R0(cm\ng\n)R1N.";
    let pickle = load(stream).unwrap();
    assert_eq!(pickle.root(), Value::None);
    let effects: Vec<_> = pickle
        .effects()
        .iter()
        .map(|e| (to_repr(&pickle, e.value), e.opcode))
        .collect();
    assert_eq!(
        effects,
        [
            ("m.f(1)".to_string(), Opcode::Pop),
            ("m.g()".to_string(), Opcode::PopMark)
        ]
    );
}

#[test]
fn objects_left_on_the_stack_at_stop_are_effects() {
    let pickle = load(b"cos\nsystem\nX\x02\x00\x00\x00ls\x85RK\x01.").unwrap();
    assert_eq!(pickle.root(), Value::Int(1));
    assert_eq!(pickle.effects().len(), 1);
    assert_eq!(
        to_repr(&pickle, pickle.effects()[0].value),
        "os.system('ls')"
    );
}

#[test]
fn globals_and_calls_stay_inert() {
    let pickle = load(b"\x80\x04\x8c\x02os\x8c\x06system\x93\x8c\x02ls\x85R.").unwrap();
    let Some(Node::Inert(call)) = pickle.get(pickle.root()) else {
        panic!("root is inert")
    };
    let InertKind::Call { func, .. } = call.kind else {
        panic!("a call")
    };
    assert_eq!(pickle.global_name(func), Some(("os", "system")));
    assert_eq!(call.offset, 20);
}

#[test]
fn build_and_items_on_inert_nodes_are_recorded() {
    // collections.OrderedDict() then SETITEMS, then BUILD
    let stream = b"ccollections\nOrderedDict\n)R(X\x01\x00\x00\x00aK\x01u}b.";
    let pickle = load(stream).unwrap();
    let Some(Node::Inert(inert)) = pickle.get(pickle.root()) else {
        panic!("inert")
    };
    assert!(matches!(inert.mutations[0], Mutation::SetItems(ref pairs) if pairs.len() == 1));
    assert!(matches!(inert.mutations[1], Mutation::Build(_)));
}

#[test]
fn mapping_calls_render_as_python_expressions() {
    let stream = b"cmymod\nRegistry\n)R(X\x01\x00\x00\x00aK\x01u.";
    assert_eq!(repr_of(stream), "mymod.Registry([('a', 1)])");
    // An OrderedDict is a value of the standard library: written as CPython writes it.
    let stream = b"ccollections\nOrderedDict\n)R(X\x01\x00\x00\x00aK\x01u.";
    assert_eq!(repr_of(stream), "OrderedDict([('a', 1)])");
}

#[test]
fn pure_builtins_fold_into_native_nodes() {
    // Python 3's pickler at protocol 0–2 writes these REDUCE forms.
    let set = b"c__builtin__\nset\n((lK\x01aK\x02aK\x01atR.";
    assert_eq!(repr_of(set), "{1, 2}");
    let frozen = b"c__builtin__\nfrozenset\n(]tR.";
    assert_eq!(repr_of(frozen), "frozenset()");
    let bytes = b"c_codecs\nencode\n(X\x03\x00\x00\x00\xc3\xbfaX\x06\x00\x00\x00latin1tR.";
    assert_eq!(repr_of(bytes), "b'\\xffa'");
    let bytearray = b"c__builtin__\nbytearray\n(X\x01\x00\x00\x00aX\x07\x00\x00\x00latin-1tR.";
    assert_eq!(repr_of(bytearray), "bytearray(b'a')");
    let empty_bytes = b"c__builtin__\nbytes\n)R.";
    assert_eq!(repr_of(empty_bytes), "b''");
}

#[test]
fn calls_with_other_shapes_stay_calls() {
    let not_latin1 = b"c_codecs\nencode\n(X\x01\x00\x00\x00aX\x05\x00\x00\x00utf-8tR.";
    assert_eq!(repr_of(not_latin1), "_codecs.encode('a', 'utf-8')");
    let set_of_int = b"c__builtin__\nset\n(K\x01tR.";
    assert_eq!(repr_of(set_of_int), "builtins.set(1)");
}

#[test]
fn equal_keys_merge_as_python_merges_them() {
    // {1: 'a', 1.0: 'b', True: 'c'} == {1: 'c'}
    let stream = b"}(K\x01X\x01\x00\x00\x00aG?\xf0\x00\x00\x00\x00\x00\x00X\x01\x00\x00\x00b\x88X\x01\x00\x00\x00cu.";
    assert_eq!(repr_of(stream), "{1: 'c'}");
    // Equal strs in distinct nodes, and equal tuples.
    let strs =
        b"}(X\x01\x00\x00\x00kK\x01X\x01\x00\x00\x00kK\x02K\x01K\x02\x86K\x03K\x01K\x02\x86K\x04u.";
    assert_eq!(repr_of(strs), "{'k': 2, (1, 2): 4}");
}

#[test]
fn large_dicts_merge_keys_through_their_index() {
    let mut stream = b"}(".to_vec();
    for round in 0..2 {
        for i in 0..100u8 {
            stream.extend_from_slice(&[b'K', i, b'K', round]);
        }
    }
    stream.extend_from_slice(b"u.");
    let pickle = load(&stream).unwrap();
    let Some(Node::Dict(entries)) = pickle.get(pickle.root()) else {
        panic!("dict")
    };
    assert_eq!(entries.len(), 100);
    assert!(entries.iter().all(|(_, v)| v == Value::Int(1)));
}

#[test]
fn unhashable_keys_are_refused_as_python_refuses_them() {
    let err = load(b"}]K\x01s.").unwrap_err();
    assert_eq!(
        err.to_string(),
        "offset 4 (SETITEM): unhashable type: 'list'"
    );
}

#[test]
fn set_members_merge() {
    assert_eq!(
        repr_of(b"\x8f(K\x01G?\xf0\x00\x00\x00\x00\x00\x00\x88K\x02\x90."),
        "{1, 2}"
    );
}

#[test]
fn python2_strings_decode_as_the_options_say() {
    let stream = b"U\x03caf.";
    assert_eq!(repr_of(stream), "'caf'");
    let latin = b"U\x02\xe9a.";
    assert!(load(latin).is_err());
    let options = |encoding| LoadOptions::default().with_string_encoding(encoding);
    let as_latin1 = load_with(latin, &options(StringEncoding::Latin1)).unwrap();
    assert_eq!(to_repr(&as_latin1, as_latin1.root()), "'éa'");
    let as_bytes = load_with(latin, &options(StringEncoding::Bytes)).unwrap();
    assert_eq!(to_repr(&as_bytes, as_bytes.root()), "b'\\xe9a'");
    let quoted = b"S'a\\'b\\x41'\n.";
    assert_eq!(repr_of(quoted), "\"a'bA\"");
}

#[test]
fn protocol_0_text_forms_follow_python() {
    assert_eq!(repr_of(b"I01\n."), "True");
    assert_eq!(repr_of(b"I00\n."), "False");
    assert_eq!(repr_of(b"I-12\n."), "-12");
    assert_eq!(
        repr_of(b"L123456789012345678901234567890L\n."),
        "123456789012345678901234567890"
    );
    assert_eq!(repr_of(b"F1e16\n."), "1e+16");
    assert_eq!(repr_of(b"Fnan\n."), "nan");
    assert_eq!(repr_of(b"Vcaf\\u00e9\\ud800\n."), "'café\\ud800'");
    assert_eq!(repr_of(b"(lp5\ng5\na."), "[[...]]");
}

#[test]
fn binunicode_accepts_encoded_surrogates() {
    assert_eq!(repr_of(b"X\x03\x00\x00\x00\xed\xa0\x80."), "'\\ud800'");
}

#[test]
fn string_payloads_are_borrowed_from_the_input() {
    let input = b"\x80\x05\x8c\x05hello\x94C\x03abc\x86.".to_vec();
    let pickle = load(&input).unwrap();
    let within = |bytes: &[u8]| input.as_ptr_range().contains(&bytes.as_ptr());
    let mut payloads = 0;
    for (index, node) in pickle.nodes().enumerate() {
        let bytes = match &node {
            Node::Str(text) => text.as_bytes(),
            Node::Bytes(bytes) => bytes,
            _ => continue,
        };
        let id = picklegraph::NodeId::from_index(index);
        assert!(pickle.borrows_input(id) && within(bytes), "{node:?}");
        payloads += 1;
    }
    assert_eq!(payloads, 2);
    // A payload that had to be decoded is not borrowed.
    let pickle = load(b"Vh\\u00e9\n.").unwrap();
    assert!(!pickle.borrows_input(pickle.root().node().unwrap()));
}

#[test]
fn several_pickles_in_one_stream_load_in_turn() {
    let stream = b"\x80\x04K\x01.\x80\x02]q\x00.N.";
    let reprs: Vec<String> = load_all(stream).map(|p| p.unwrap().to_string()).collect();
    assert_eq!(reprs, ["1", "[]", "None"]);
}

#[test]
fn memoize_counts_entries_as_cpython_does() {
    // PUT 5 then MEMOIZE stores under key 1 (the memo's size), not 6.
    let stream = b"K\x07p5\n0K\x08\x940h\x01h\x05\x86.";
    assert_eq!(repr_of(stream), "(8, 7)");
}

#[test]
fn pop_on_an_empty_mark_removes_the_mark() {
    assert_eq!(repr_of(b"K\x01(0."), "1");
}

#[test]
fn out_of_band_buffers_and_persistent_ids_are_inert() {
    assert_eq!(
        repr_of(b"\x80\x05\x97\x98."),
        "pickle.PickleBuffer(buffers[0]).toreadonly()"
    );
    assert_eq!(repr_of(b"Pabc\n."), "persistent_load('abc')");
    assert_eq!(repr_of(b"K\x01Q."), "persistent_load(1)");
    assert_eq!(repr_of(b"\x82\x05."), "copyreg.extension(5)");
}

#[test]
fn instances_record_class_arguments_and_state() {
    let stream = b"\x80\x02cm\nC\nK\x01\x85\x81}X\x01\x00\x00\x00xK\x02sb.";
    assert_eq!(
        repr_of(stream),
        "m.C.__new__(m.C, 1).__setstate__({'x': 2})"
    );
    assert_eq!(repr_of(b"(K\x01im\nC\n."), "m.C(1)");
    assert_eq!(repr_of(b"(cm\nC\nK\x01o."), "m.C(1)");
}

#[test]
fn a_million_nested_lists_load_render_and_drop() {
    const DEPTH: usize = 1_000_000;
    // ]( ]( ... then APPENDS closing each level: [[[...]]]
    let mut stream = Vec::with_capacity(DEPTH * 3 + 2);
    for _ in 0..DEPTH {
        stream.extend_from_slice(b"](");
    }
    stream.resize(stream.len() + DEPTH, b'e');
    stream.push(b'.');
    let pickle = load(&stream).unwrap();
    assert_eq!(pickle.nodes().len(), DEPTH);
    let (text, cut) = picklegraph::render::repr::repr(&pickle, pickle.root(), 4 * DEPTH);
    assert!(!cut);
    assert_eq!(text.len(), 2 * DEPTH);
    assert!(text.starts_with("[[[") && text.ends_with("]]]"));
    drop(pickle);
}

#[test]
fn the_opcode_table_matches_pickletools() {
    let script = "import pickletools\nfor o in pickletools.opcodes:\n    print(ord(o.code), o.name, o.arg.name if o.arg else '', o.proto, ','.join(s.name for s in o.stack_before), ','.join(s.name for s in o.stack_after))";
    let output = std::process::Command::new("python3")
        .args(["-c", script])
        .output()
        .expect("python3 is on every machine");
    assert!(output.status.success());
    let theirs = String::from_utf8(output.stdout).unwrap();
    let ours: String = Opcode::ALL
        .iter()
        .map(|op| {
            let names = |items: &[picklegraph::StackItem]| {
                items
                    .iter()
                    .map(|s| s.pickletools_name())
                    .collect::<Vec<_>>()
                    .join(",")
            };
            format!(
                "{} {} {} {} {} {}\n",
                op.byte(),
                op.name(),
                op.arg().pickletools_name(),
                op.protocol(),
                names(op.stack_before()),
                names(op.stack_after())
            )
        })
        .collect();
    assert_eq!(ours, theirs);
}

#[test]
fn runs_of_scalar_opcodes_after_a_mark_read_as_the_loop_reads_them() {
    // BININT1, BININT2, BININT (negative), LONG1 of 0, 1, 8 bytes and of 9 bytes (a big
    // int, which ends the run), then the run resumes after the next opcode.
    let mut body = b"\x80\x02](K\x07M\x34\x12J\xfe\xff\xff\xff\x8a\x00\x8a\x01\x80".to_vec();
    body.extend(b"\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x7f");
    body.extend(b"\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01K\x01e.");
    assert_eq!(
        repr_of(&body),
        "[7, 4660, -2, 0, -128, 9223372036854775807, 18446744073709551616, 1]"
    );
    // Floats, None and bools, and a run cut by an opcode it does not read (a str).
    let floats = b"\x80\x02(G?\xf8\x00\x00\x00\x00\x00\x00N\x88\x89X\x01\x00\x00\x00aK\x05t.";
    assert_eq!(repr_of(floats), "(1.5, None, True, False, 'a', 5)");
    // A run cut short by the input's end fails where the loop fails, at the opcode.
    let error = load(b"\x80\x02](K\x07M\x34").unwrap_err();
    assert_eq!(error.offset(), 6, "{error}");
    assert!(
        error.to_string().starts_with("offset 6 (BININT2)"),
        "{error}"
    );
    // A run does not read across a frame's end: the frame's last opcode is read, and the
    // opcodes after the frame are read outside it.
    let mut framed = b"\x80\x04\x95\x08\x00\x00\x00\x00\x00\x00\x00](K\x01K\x02K\x03".to_vec();
    framed.extend(b"K\x04e.");
    assert_eq!(repr_of(&framed), "[1, 2, 3, 4]");
    // An opcode whose argument runs past a used-up frame is read as CPython reads it.
    let mut split = b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00](K\x01M".to_vec();
    split.extend(b"\x02\x00e.");
    assert_eq!(repr_of(&split), "[1, 2]");
}

/// The numbers after a `MARK` are packed as they are read and, when `APPENDS` follows,
/// handed to it packed: these hold that path to what the stack would have given.
#[test]
fn a_run_of_numbers_reaches_appends_exactly() {
    // Every kind of number the run reads, wide ones included: a LONG1 past 48 bits and
    // a NaN whose bits fall where slots keep their tags.
    let nan_bits: u64 = 0xFFF9_0000_0000_0001;
    let mut list = b"](K\x01M\xff\xffJ\x00\x00\x00\x80\x8a\x08".to_vec();
    list.extend_from_slice(&(1i64 << 62).to_le_bytes());
    list.push(b'G');
    list.extend_from_slice(&nan_bits.to_be_bytes());
    list.extend_from_slice(b"N\x88\x89e.");
    let pickle = load(&list).unwrap();
    assert_eq!(
        to_repr(&pickle, pickle.root()),
        "[1, 65535, -2147483648, 4611686018427387904, nan, None, True, False]"
    );
    let Some(Node::List(items)) = pickle.get(pickle.root()) else {
        panic!("a list")
    };
    match items.get(4) {
        Some(Value::Float(f)) => assert_eq!(f.to_bits(), nan_bits),
        other => panic!("{other:?}"),
    }

    // On an instance the run becomes the recorded mutation, as values.
    let pickle = load(b"cm\nC\n)\x81(K\x01G?\xf8\x00\x00\x00\x00\x00\x00e.").unwrap();
    let Some(Node::Inert(inert)) = pickle.get(pickle.root()) else {
        panic!("an inert instance")
    };
    assert_eq!(
        inert.mutations,
        [Mutation::Append(vec![Value::Int(1), Value::Float(1.5)])]
    );

    // A run that is not followed by APPENDS stays on the stack for what follows, wide
    // values included, after a list that holds wide values of its own.
    assert_eq!(repr_of(b"(K\x01K\x02t."), "(1, 2)");
    let mut tuple = list[..list.len() - 1].to_vec();
    tuple.extend_from_slice(b"(\x8a\x08");
    tuple.extend_from_slice(&(-(1i64 << 62)).to_le_bytes());
    tuple.push(b'G');
    tuple.extend_from_slice(&(nan_bits + 1).to_be_bytes());
    tuple.extend_from_slice(b"\x8a\x08");
    tuple.extend_from_slice(&(3i64 << 60).to_le_bytes());
    tuple.extend_from_slice(b"t\x86.");
    let pickle = load(&tuple).unwrap();
    assert_eq!(
        to_repr(&pickle, pickle.root()),
        "([1, 65535, -2147483648, 4611686018427387904, nan, None, True, False], \
         (-4611686018427387904, nan, 3458764513820540928))"
    );
    let Some(Node::Tuple(pair)) = pickle.get(pickle.root()) else {
        panic!("a tuple")
    };
    let inner = pair.get(1).and_then(|v| pickle.get(v));
    let Some(Node::Tuple(inner)) = inner else {
        panic!("a tuple")
    };
    match inner.get(1) {
        Some(Value::Float(f)) => assert_eq!(f.to_bits(), nan_bits + 1),
        other => panic!("{other:?}"),
    }
    assert_eq!(repr_of(b"](K\x01K\x02K\x03e(K\x04K\x05l."), "[4, 5]");

    // A column of floats, wide ones among them, then other numbers after it.
    let mut column = b"](G".to_vec();
    column.extend_from_slice(&nan_bits.to_be_bytes());
    column.push(b'G');
    column.extend_from_slice(&(-0.25f64).to_be_bytes());
    column.extend_from_slice(b"K\x03e.");
    let pickle = load(&column).unwrap();
    assert_eq!(to_repr(&pickle, pickle.root()), "[nan, -0.25, 3]");
    let Some(Node::List(items)) = pickle.get(pickle.root()) else {
        panic!("a list")
    };
    match items.get(0) {
        Some(Value::Float(f)) => assert_eq!(f.to_bits(), nan_bits),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_run_of_numbers_fails_at_the_opcode_that_fails() {
    // APPENDS on a dict: the run's items leave the stack with the mark, as in CPython.
    let failure = picklegraph::load_at(b"}(K\x01K\x02e.", 0, &LoadOptions::default()).unwrap_err();
    assert_eq!(failure.error.offset(), 6);
    assert_eq!(failure.error.opcode(), Some(Opcode::Appends));
    assert_eq!(failure.stack.len(), 1, "{:?}", failure.stack);

    // Past the allocation limit, APPENDS fails at its own offset.
    let options = LoadOptions::default().with_max_alloc_bytes(100);
    let mut input = b"](".to_vec();
    input.extend(std::iter::repeat(*b"K\x07").take(20).flatten());
    input.extend_from_slice(b"e.");
    let failure = picklegraph::load_at(&input, 0, &options).unwrap_err();
    assert_eq!(failure.error.opcode(), Some(Opcode::Appends));
    assert_eq!(failure.error.offset(), 42);
    assert!(
        matches!(
            failure.error.kind(),
            picklegraph::ErrorKind::LimitExceeded {
                limit: "allocation",
                ..
            }
        ),
        "{}",
        failure.error
    );

    // A run longer than the stack's room stops where the stack is full; the next number
    // fails there, and the failure shows the stack as it stood.
    let options = LoadOptions::default().with_max_stack(4);
    let failure = picklegraph::load_at(b"](K\x01K\x02K\x03e.", 0, &options).unwrap_err();
    assert_eq!(failure.error.offset(), 6);
    assert_eq!(failure.error.opcode(), Some(Opcode::BinInt1));
    assert_eq!(failure.stack.len(), 3, "{:?}", failure.stack);
    assert_eq!(&failure.stack[1..], [Value::Int(1), Value::Int(2)]);

    // So does a column of ints long enough for the loop of its own (sizes mixed).
    let ints = b"](J\x01\x00\x00\x00\x8a\x02\xff\x7fK\x03J\x04\x00\x00\x00K\x05e.";
    let failure = picklegraph::load_at(ints, 0, &options).unwrap_err();
    assert_eq!(failure.error.offset(), 11);
    assert_eq!(failure.error.opcode(), Some(Opcode::BinInt1));
    assert_eq!(&failure.stack[1..], [Value::Int(1), Value::Int(32767)]);
    assert_eq!(repr_of(ints), "[1, 32767, 3, 4, 5]");

    // A column of floats (which a loop of its own reads) stops at the same place.
    let mut floats = b"](".to_vec();
    for x in [1.5f64, 2.5, 3.5] {
        floats.push(b'G');
        floats.extend_from_slice(&x.to_be_bytes());
    }
    floats.extend_from_slice(b"e.");
    let failure = picklegraph::load_at(&floats, 0, &options).unwrap_err();
    assert_eq!(failure.error.offset(), 20);
    assert_eq!(failure.error.opcode(), Some(Opcode::BinFloat));
    assert_eq!(&failure.stack[1..], [Value::Float(1.5), Value::Float(2.5)]);
    // Cut short, it fails at the float cut, as the loop does.
    let failure = picklegraph::load_at(&floats[..25], 0, &LoadOptions::default()).unwrap_err();
    assert_eq!(failure.error.offset(), 20);
    assert_eq!(failure.error.opcode(), Some(Opcode::BinFloat));

    // The same run, with room: the failure at STOP's absence shows the list holding it.
    let failure = picklegraph::load_at(b"](K\x01K\x02e", 0, &LoadOptions::default()).unwrap_err();
    assert_eq!(failure.stack.len(), 1, "{:?}", failure.stack);
}

/// A record whose keys are the previous record's key values takes them as they are (see
/// `Keys::fill_small`); what CPython gives for each of these is in the comments.
#[test]
fn records_with_the_keys_of_the_record_before_merge_as_python_merges() {
    // The second dict has the first one's key nodes, then a SETITEM of one of them:
    // [{'a': 1, 'b': 2}, {'a': 9, 'b': 4}]
    let stream = b"\x80\x02]q\x10(}(X\x01\x00\x00\x00aq\x00K\x01X\x01\x00\x00\x00bq\x01K\x02u}(h\x00K\x03h\x01K\x04uh\x00K\tse.";
    assert_eq!(repr_of(stream), "[{'a': 1, 'b': 2}, {'a': 9, 'b': 4}]");
    // Keys equal as values keep their own form; keys equal only as Python keys are
    // merged afresh: [{0.0: 'x', 1: 'y'}, {-0.0: 'z', 1: 'w'}, {0: 'v', True: 't'}]
    let stream = b"\x80\x02](}(G\x00\x00\x00\x00\x00\x00\x00\x00U\x01xK\x01U\x01yu}(G\x80\x00\x00\x00\x00\x00\x00\x00U\x01zK\x01U\x01wu}(K\x00U\x01vI01\nU\x01tue.";
    assert_eq!(
        repr_of(stream),
        "[{0.0: 'x', 1: 'y'}, {-0.0: 'z', 1: 'w'}, {0: 'v', True: 't'}]"
    );
    // The same first key and as many keys, then another: [{'a': 1, 'b': 2}, {'a': 4}]
    let stream = b"\x80\x02](}(X\x01\x00\x00\x00aq\x00K\x01X\x01\x00\x00\x00bq\x01K\x02u}(h\x00K\x03h\x00K\x04ue.";
    assert_eq!(repr_of(stream), "[{'a': 1, 'b': 2}, {'a': 4}]");
    // A record after one that merged a key is merged itself: [{'a': 2}, {'a': 4}]
    let stream = b"\x80\x02](}(X\x01\x00\x00\x00aq\x00K\x01h\x00K\x02u}(h\x00K\x03h\x00K\x04ue.";
    assert_eq!(repr_of(stream), "[{'a': 2}, {'a': 4}]");
}
