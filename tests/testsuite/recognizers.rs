//! The recognizers of cloudpickle, dill and the standard library, and the skeleton text
//! written from what they find: over the committed fixtures (snapshots), the seed case
//! in every variant, code objects of every Python layout, and hand-made pickles whose
//! patterns match only in part (which must keep their raw form).

mod code_args;

use picklegraph::python::code::{FunctionKind, Layout};
use picklegraph::python::{Recognition, Recognized};
use picklegraph::render::show::ShowOptions;
use picklegraph::render::skeleton;
use picklegraph::{NodeId, Pickle, Value};

use crate::common;

/// A Python value to pickle by hand.
#[derive(Debug, Clone)]
pub enum Py {
    None,
    Bool(bool),
    Int(i64),
    Str(String),
    Bytes(Vec<u8>),
    Tuple(Vec<Py>),
    List(Vec<Py>),
    Dict(Vec<(Py, Py)>),
    /// `GLOBAL module name`.
    Global(&'static str, &'static str),
    /// `func(*args)` (`REDUCE`).
    Call(Box<Py>, Vec<Py>),
    /// `cls.__new__(cls, *args)` (`NEWOBJ`).
    New(Box<Py>, Vec<Py>),
    /// The object, then `BUILD` with the state.
    Build(Box<Py>, Box<Py>),
    /// The value, memoized under this key.
    Put(u32, Box<Py>),
    /// The value memoized under this key.
    Get(u32),
}

fn s(text: &str) -> Py {
    Py::Str(text.to_string())
}

fn call(func: Py, args: Vec<Py>) -> Py {
    Py::Call(Box::new(func), args)
}

fn put(key: u32, value: Py) -> Py {
    Py::Put(key, Box::new(value))
}

fn build(object: Py, state: Py) -> Py {
    Py::Build(Box::new(object), Box::new(state))
}

/// A cloudpickle reconstructor.
fn cp(name: &'static str) -> Py {
    Py::Global("cloudpickle.cloudpickle", name)
}

/// A dill reconstructor.
fn dl(name: &'static str) -> Py {
    Py::Global("dill._dill", name)
}

fn dict(entries: Vec<(&str, Py)>) -> Py {
    Py::Dict(entries.into_iter().map(|(k, v)| (s(k), v)).collect())
}

fn encode(value: &Py, out: &mut Vec<u8>) {
    match value {
        Py::None => out.push(b'N'),
        Py::Bool(b) => out.push(if *b { 0x88 } else { 0x89 }),
        Py::Int(i) => match i32::try_from(*i) {
            Ok(small) => {
                out.push(b'J');
                out.extend(small.to_le_bytes());
            }
            Err(_) => {
                out.extend([0x8a, 8]);
                out.extend(i.to_le_bytes());
            }
        },
        Py::Str(text) => {
            out.push(b'X');
            out.extend((text.len() as u32).to_le_bytes());
            out.extend(text.as_bytes());
        }
        Py::Bytes(bytes) => {
            out.push(b'B');
            out.extend((bytes.len() as u32).to_le_bytes());
            out.extend(bytes);
        }
        Py::Tuple(items) | Py::List(items) => {
            out.push(b'(');
            items.iter().for_each(|item| encode(item, out));
            out.push(if matches!(value, Py::Tuple(_)) {
                b't'
            } else {
                b'l'
            });
        }
        Py::Dict(entries) => {
            out.push(b'(');
            for (key, value) in entries {
                encode(key, out);
                encode(value, out);
            }
            out.push(b'd');
        }
        Py::Global(module, name) => out.extend(format!("c{module}\n{name}\n").bytes()),
        Py::Call(func, args) => {
            encode(func, out);
            encode(&Py::Tuple(args.clone()), out);
            out.push(b'R');
        }
        Py::New(class, args) => {
            encode(class, out);
            encode(&Py::Tuple(args.clone()), out);
            out.push(0x81);
        }
        Py::Build(object, state) => {
            encode(object, out);
            encode(state, out);
            out.push(b'b');
        }
        Py::Put(key, value) => {
            encode(value, out);
            out.push(b'r');
            out.extend(key.to_le_bytes());
        }
        Py::Get(key) => {
            out.push(b'j');
            out.extend(key.to_le_bytes());
        }
    }
}

/// A protocol 4 pickle: the root, then each effect written and popped (so an effect
/// can refer to what the root memoized).
fn pickle(effects: &[Py], root: &Py) -> Vec<u8> {
    let mut out = vec![0x80, 4];
    encode(root, &mut out);
    for effect in effects {
        encode(effect, &mut out);
        out.push(b'0');
    }
    out.push(b'.');
    out
}

fn load(bytes: &[u8]) -> Pickle<'_> {
    picklegraph::load(bytes).expect("a well-formed pickle")
}

fn read(relative: &str) -> Vec<u8> {
    let path = common::fixtures().join(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The descriptions the recognizers give, with their nodes.
fn recognized(recognition: &Recognition) -> Vec<(NodeId, &Recognized)> {
    recognition.iter().collect()
}

fn count_classes_and_functions(recognition: &Recognition) -> usize {
    recognized(recognition)
        .iter()
        .filter(|(_, what)| matches!(what, Recognized::Class(_) | Recognized::Function(_)))
        .count()
}

// ---------------------------------------------------------------- the seed case

const SEED_MAIN: &[&str] = &[
    "cloudpickle2/seed_main.p2.pkl",
    "cloudpickle2/seed_main.p4.pkl",
    "cloudpickle2/seed_main.p5.pkl",
    "cloudpickle3/seed_main.p2.pkl",
    "cloudpickle3/seed_main.p4.pkl",
    "cloudpickle3/seed_main.p5.pkl",
    "dill/seed_main.p2.pkl",
    "dill/seed_main.p4.pkl",
    "dill/seed_main.p5.pkl",
];

const SEED_IMPORTED: &[&str] = &[
    "cloudpickle2/seed_imported.p2.pkl",
    "cloudpickle2/seed_imported.p4.pkl",
    "cloudpickle2/seed_imported.p5.pkl",
    "cloudpickle3/seed_imported.p2.pkl",
    "cloudpickle3/seed_imported.p4.pkl",
    "cloudpickle3/seed_imported.p5.pkl",
    "dill/seed_imported.p2.pkl",
    "dill/seed_imported.p4.pkl",
    "dill/seed_imported.p5.pkl",
    "dill/seed_main_byref.p4.pkl",
];

/// The class of that name among the recognized classes.
fn class_named<'r>(
    pickle: &Pickle<'_>,
    recognition: &'r Recognition,
    name: &str,
) -> (NodeId, &'r picklegraph::python::ClassDef) {
    recognized(recognition)
        .into_iter()
        .find_map(|(id, what)| match what {
            Recognized::Class(class) if pickle.as_str(class.name) == Some(name) => {
                Some((id, &**class))
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no class {name}"))
}

/// The function held under `key` in a class's namespace.
fn method<'r>(
    pickle: &Pickle<'_>,
    recognition: &'r Recognition,
    class: &picklegraph::python::ClassDef,
    key: &str,
) -> &'r picklegraph::python::FunctionDef {
    let members = skeleton::defs::namespace(pickle, class);
    let value = members
        .iter()
        .find(|(k, _)| *k == key)
        .unwrap_or_else(|| panic!("no member {key}"))
        .1;
    recognition
        .function(value.node().expect("a node"))
        .unwrap_or_else(|| panic!("{key} is not a function"))
}

#[test]
fn seed_main_ships_both_classes_the_base_relation_and_both_methods_with_their_lines() {
    for relative in SEED_MAIN {
        let bytes = read(relative);
        let pickle = load(&bytes);
        let recognition = Recognition::new(&pickle);
        let (base_id, base) = class_named(&pickle, &recognition, "BaseClass");
        let (sub_id, sub) = class_named(&pickle, &recognition, "SubClass");
        let bases = match pickle.get(sub.bases) {
            Some(picklegraph::Node::Tuple(items)) => items.to_vec(),
            other => panic!("{relative}: bases {other:?}"),
        };
        assert_eq!(
            bases,
            [Value::Node(base_id)],
            "{relative}: SubClass's base is BaseClass"
        );
        let func = method(&pickle, &recognition, base, "func");
        let subfunc = method(&pickle, &recognition, sub, "subfunc");
        assert_eq!(
            (func.code.firstlineno, subfunc.code.firstlineno),
            (6, 11),
            "{relative}"
        );
        assert_eq!(func.code.qualname(&pickle), "BaseClass.func", "{relative}");
        assert_eq!(
            subfunc.code.parameters(&pickle).text(&[], &[]),
            "self",
            "{relative}"
        );
        let root = match recognition.get(pickle.root().node().expect("a node")) {
            Some(Recognized::Instance(instance)) => instance.class,
            other => panic!("{relative}: root {other:?}"),
        };
        assert_eq!(
            root,
            Value::Node(sub_id),
            "{relative}: the root is a SubClass"
        );

        let text = skeleton::to_text(&pickle);
        for line in [
            "# by value: class BaseClass, class SubClass (",
            "\nclass BaseClass:",
            "\n    def func(self): ...",
            ":6, uses print\n",
            "\nclass SubClass(BaseClass):",
            "\n    def subfunc(self): ...",
            ":11, uses print\n",
            "\nSubClass()\n",
        ] {
            assert!(
                text.contains(line),
                "{relative}: {line:?} missing from\n{text}"
            );
        }
    }
}

#[test]
fn seed_imported_ships_no_code_only_the_class_name() {
    for relative in SEED_IMPORTED {
        let bytes = read(relative);
        let pickle = load(&bytes);
        let recognition = Recognition::new(&pickle);
        assert_eq!(
            count_classes_and_functions(&recognition),
            0,
            "{relative}: nothing by value"
        );
        let class = match recognition.get(pickle.root().node().expect("a node")) {
            Some(Recognized::Instance(instance)) => instance.class,
            other => panic!("{relative}: root {other:?}"),
        };
        let module = if relative.contains("byref") {
            "__main__"
        } else {
            "myclass"
        };
        assert_eq!(
            pickle.global_name(class),
            Some((module, "SubClass")),
            "{relative}"
        );
        let text = skeleton::to_text(&pickle);
        let expected = format!(
            "# by value: nothing: no class or function code is shipped\n\
             # by name: class {module}.SubClass (only names travel: the code must be importable where the pickle is loaded)\n\
             \n\
             {module}.SubClass()\n"
        );
        assert_eq!(text, expected, "{relative}");
    }
}

// ---------------------------------------------------------------- snapshots

/// What `picklegraph show` prints for each fixture of a group (its default options:
/// 100 columns, the summary line, the recognizers), as snapshots.
fn snapshot_group(group: &str) {
    let dir = common::fixtures().join(group);
    let files = common::files_with_suffix(&dir, ".pkl");
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());
    let options = ShowOptions::default();
    for path in files {
        let bytes = std::fs::read(&path).expect("readable fixture");
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("a file name")
            .trim_end_matches(".pkl");
        let text = match picklegraph::load(&bytes) {
            Ok(pickle) => picklegraph::render::show::to_text(&pickle, &options),
            Err(error) => format!("error: {error}\n"),
        };
        insta::assert_snapshot!(format!("show_{group}__{name}"), text);
    }
}

#[test]
fn show_recognizes_the_cloudpickle2_fixtures() {
    snapshot_group("cloudpickle2");
}

#[test]
fn show_recognizes_the_cloudpickle3_fixtures() {
    snapshot_group("cloudpickle3");
}

#[test]
fn show_recognizes_the_dill_fixtures() {
    snapshot_group("dill");
}

#[test]
fn show_recognizes_the_stdlib_fixtures() {
    snapshot_group("stdlib");
}

/// `show` writes the standard library's values as their reprs (`values/`), and says
/// what it knows of an enum member whose name the pickle does not give; the protocols
/// of one case that show the same text share one entry of the snapshot.
#[test]
fn show_writes_standard_library_values_as_python_prints_them() {
    let options = ShowOptions::default();
    let mut entries: Vec<(String, Vec<String>, String)> = Vec::new();
    let dir = common::fixtures().join("values");
    for path in common::files_with_suffix(&dir, ".pkl") {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let case = name.split('.').next().unwrap().to_string();
        let bytes = std::fs::read(&path).unwrap();
        let pickle = picklegraph::load(&bytes).unwrap();
        // The summary line names the protocol; the rest is what is compared.
        let text = picklegraph::render::show::to_text(&pickle, &options);
        let text = text.lines().skip(1).collect::<Vec<_>>().join("\n");
        match entries
            .iter_mut()
            .find(|(c, _, t)| *c == case && *t == text)
        {
            Some((_, names, _)) => names.push(name),
            None => entries.push((case, vec![name], text)),
        }
    }
    assert!(entries.len() >= 31, "a case per value type");
    let text = entries
        .iter()
        .map(|(_, names, text)| format!("==> {} <==\n{text}\n", names.join(" ")))
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!("show_values", text);
}

#[test]
fn show_says_what_it_knows_of_an_enum_member_the_pickle_does_not_name() {
    // socket.AddressFamily(10): AF_INET6 on Linux, another member elsewhere.
    let pickle = picklegraph::load(b"\x80\x02csocket\nAddressFamily\nK\n\x85R.").unwrap();
    let text = picklegraph::render::show::to_text(&pickle, &ShowOptions::default());
    assert!(
        text.contains("\nsocket.AddressFamily(10)  # the member's name is not in the pickle: it depends on the platform\n"),
        "{text}"
    );
    let (repr, _) = picklegraph::render::repr::repr(&pickle, pickle.root(), 1000);
    assert_eq!(
        repr, "socket.AddressFamily(10)",
        "repr writes the call, not a guess"
    );
}

// ---------------------------------------------------------------- code objects

fn code_type(args: Vec<Py>) -> Py {
    call(call(cp("_builtin_type"), vec![s("CodeType")]), args)
}

#[test]
fn code_objects_of_every_python_layout_give_name_signature_flags_and_names() {
    type Args = fn() -> Vec<Py>;
    let cases: [(Args, Layout, &str); 7] = [
        (code_args::python27, Layout::Python2, "a, b, *args, **kw"),
        (
            code_args::python37,
            Layout::Python30,
            "a, b, *args, d, e, **kw",
        ),
        (
            code_args::python38,
            Layout::Python38,
            "p, /, a, b, *args, d, e, **kw",
        ),
        (
            code_args::python310,
            Layout::Python38,
            "p, /, a, b, *args, d, e, **kw",
        ),
        (
            code_args::python311,
            Layout::Python311,
            "p, /, a, b, *args, d, e, **kw",
        ),
        (
            code_args::python312,
            Layout::Python311,
            "p, /, a, b, *args, d, e, **kw",
        ),
        (
            code_args::python313,
            Layout::Python311,
            "p, /, a, b, *args, d, e, **kw",
        ),
    ];
    for (args, layout, parameters) in cases {
        let bytes = pickle(&[], &code_type(args()));
        let pickle = load(&bytes);
        let recognition = Recognition::new(&pickle);
        let Some(Recognized::Code(code)) = recognition.get(pickle.root().node().expect("a node"))
        else {
            panic!("{layout:?}: not recognized as code");
        };
        assert_eq!(code.layout, layout);
        assert_eq!(code.name(&pickle), "f", "{layout:?}");
        assert_eq!(code.filename(&pickle), "mod.py", "{layout:?}");
        assert_eq!(code.firstlineno, 2, "{layout:?}");
        assert_eq!(
            code.parameters(&pickle).text(&[], &[]),
            parameters,
            "{layout:?}"
        );
        assert_eq!(code.kind(), FunctionKind::Generator, "{layout:?}");
        assert_eq!(code.names(&pickle), ["G"], "{layout:?}");
        let doc = code.docstring(&pickle).and_then(|d| pickle.as_str(d));
        assert_eq!(doc, Some("Doc of f."), "{layout:?}");
    }
}

#[test]
fn defaults_and_keyword_defaults_fill_the_signature() {
    let code = code_type(code_args::python311());
    let function = call(
        cp("_make_function"),
        vec![
            code,
            dict(vec![("__name__", s("mod"))]),
            s("f"),
            Py::Tuple(vec![Py::Int(1)]),
            Py::None,
        ],
    );
    let state = Py::Tuple(vec![
        dict(vec![]),
        dict(vec![
            ("__kwdefaults__", dict(vec![("e", Py::Int(3))])),
            ("__globals__", dict(vec![("G", Py::Int(7))])),
            ("__closure__", Py::None),
            ("_cloudpickle_submodules", Py::List(vec![])),
        ]),
    ]);
    let setstate = call(cp("_function_setstate"), vec![Py::Get(0), state]);
    let bytes = pickle(&[setstate], &put(0, function));
    let text = skeleton::to_text(&load(&bytes));
    assert!(text.contains("\nG = 7  # global of f\n"), "{text}");
    assert!(
        text.contains(
            "\ndef f(p, /, a, b=1, *args, d, e=3, **kw):  # mod.py:2, generator, uses G\n"
        ),
        "{text}"
    );
    assert!(text.contains("\n    \"\"\"Doc of f.\"\"\"\n"), "{text}");
}

#[test]
fn a_docstring_is_claimed_only_where_the_layout_makes_it_certain() {
    // An 18-argument code whose bytecode does not start as 3.11 to 3.13 start it could
    // be 3.14's, where a str first constant is not a docstring without the flag.
    let mut args = code_args::python311();
    args[6] = Py::Bytes(vec![0x80, 0x00, 0x53, 0x00]);
    let bytes = pickle(&[], &code_type(args.clone()));
    let pickle_314 = load(&bytes);
    let recognition = Recognition::new(&pickle_314);
    let Some(Recognized::Code(code)) = recognition.get(pickle_314.root().node().expect("a node"))
    else {
        panic!("not recognized as code");
    };
    assert_eq!(code.docstring(&pickle_314), None);
    // With CO_HAS_DOCSTRING set, it is one.
    if let Py::Int(flags) = &mut args[5] {
        *flags |= 0x0400_0000;
    }
    let bytes = pickle(&[], &code_type(args));
    let flagged = load(&bytes);
    let recognition = Recognition::new(&flagged);
    let Some(Recognized::Code(code)) = recognition.get(flagged.root().node().expect("a node"))
    else {
        panic!("not recognized as code");
    };
    assert!(code.docstring(&flagged).is_some());
}

// ---------------------------------------------------------------- partial patterns

/// Hand-made pickles whose pattern matches only in part: none may be described as the
/// whole pattern, and the text must keep the raw call.
#[test]
fn a_pattern_that_matches_only_in_part_keeps_its_raw_form() {
    let good_code = || code_type(code_args::python311());
    let class_args = || {
        vec![
            Py::Global("builtins", "type"),
            s("C"),
            Py::Tuple(vec![]),
            dict(vec![]),
            s("id"),
            Py::None,
        ]
    };
    let mut bad_code_args = code_args::python311();
    bad_code_args[0] = s("2");
    let mut short_code_args = code_args::python311();
    short_code_args.pop();
    let function = |code: Py| {
        call(
            cp("_make_function"),
            vec![code, dict(vec![]), s("f"), Py::None, Py::None],
        )
    };
    let slots_without_globals = dict(vec![
        ("__closure__", Py::None),
        ("_cloudpickle_submodules", Py::List(vec![])),
    ]);
    let cases: Vec<(&str, Vec<Py>, Py, &str)> = vec![
        (
            "a skeleton class with five arguments",
            vec![],
            call(cp("_make_skeleton_class"), class_args()[..5].to_vec()),
            "cloudpickle.cloudpickle._make_skeleton_class(type, 'C', (), {}, 'id')",
        ),
        (
            "a class state that is not a pair",
            vec![call(
                cp("_class_setstate"),
                vec![Py::Get(0), dict(vec![("x", Py::Int(1))])],
            )],
            put(0, call(cp("_make_skeleton_class"), class_args())),
            "cloudpickle.cloudpickle._class_setstate(",
        ),
        (
            "a class whose bases are not a tuple",
            vec![],
            call(cp("_make_skeleton_class"), {
                let mut args = class_args();
                args[2] = Py::List(vec![]);
                args
            }),
            "cloudpickle.cloudpickle._make_skeleton_class(type, 'C', [], {}, 'id', None)",
        ),
        (
            "a code object whose argcount is a str",
            vec![],
            function(code_type(bad_code_args)),
            "types.CodeType('2', ",
        ),
        (
            "a code object with 17 arguments of 3.11's types",
            vec![],
            function(code_type(short_code_args)),
            "types.CodeType(3, 1, 2,",
        ),
        (
            "a function state without __globals__",
            vec![call(
                cp("_function_setstate"),
                vec![
                    Py::Get(0),
                    Py::Tuple(vec![dict(vec![]), slots_without_globals]),
                ],
            )],
            put(0, function(good_code())),
            "cloudpickle.cloudpickle._make_function(",
        ),
        (
            "a dill function whose state replaces its code",
            vec![],
            build(
                call(
                    dl("_create_function"),
                    vec![good_code(), dict(vec![]), s("f")],
                ),
                Py::Tuple(vec![Py::None, dict(vec![("__code__", Py::None)])]),
            ),
            "dill._dill._create_function(",
        ),
        (
            "a dill class with a qualname that is not a str",
            vec![call(
                Py::Global("builtins", "setattr"),
                vec![Py::Get(0), s("__qualname__"), Py::Int(5)],
            )],
            put(
                0,
                call(
                    dl("_create_type"),
                    vec![
                        call(dl("_load_type"), vec![s("type")]),
                        s("C"),
                        Py::Tuple(vec![]),
                        dict(vec![]),
                    ],
                ),
            ),
            "dill._dill._create_type(type, 'C', (), {})",
        ),
        (
            "a partial whose state has three items",
            vec![],
            build(
                call(
                    Py::Global("functools", "partial"),
                    vec![Py::Global("builtins", "int")],
                ),
                Py::Tuple(vec![
                    Py::Global("builtins", "int"),
                    Py::Tuple(vec![]),
                    dict(vec![]),
                ]),
            ),
            "functools.partial(int).__setstate__((int, (), {}))",
        ),
        (
            "a reconstructor with a base other than object",
            vec![],
            call(
                Py::Global("copyreg", "_reconstructor"),
                vec![
                    Py::Global("m", "C"),
                    Py::Global("builtins", "tuple"),
                    Py::Tuple(vec![]),
                ],
            ),
            "copyreg._reconstructor(m.C, tuple, ())",
        ),
        (
            "an enum member whose value is not a member's",
            vec![],
            call(
                call(
                    cp("_make_skeleton_enum"),
                    vec![
                        Py::Tuple(vec![Py::Global("enum", "Enum")]),
                        s("Color"),
                        s("Color"),
                        dict(vec![("RED", Py::Int(1))]),
                        s("m"),
                        Py::None,
                        Py::None,
                    ],
                ),
                vec![Py::Int(2)],
            ),
            "(2)",
        ),
        (
            "a function whose closure has a cell its code has no free variable for",
            vec![],
            call(
                cp("_make_function"),
                vec![
                    good_code(),
                    dict(vec![]),
                    s("f"),
                    Py::None,
                    Py::Tuple(vec![call(cp("_make_empty_cell"), vec![])]),
                ],
            ),
            "cloudpickle.cloudpickle._make_function(",
        ),
        (
            "a subimport of a name that is not a str",
            vec![],
            call(cp("subimport"), vec![Py::Int(3)]),
            "cloudpickle.cloudpickle.subimport(3)",
        ),
        (
            "a getattr of a name that is not an identifier",
            vec![],
            call(
                Py::Global("builtins", "getattr"),
                vec![Py::Global("m", "C"), s("not a name")],
            ),
            "getattr(m.C, 'not a name')",
        ),
    ];
    for (what, effects, root, raw) in cases {
        let bytes = pickle(&effects, &root);
        let pickle = load(&bytes);
        let recognition = Recognition::new(&pickle);
        let root_id = pickle.root().node().expect("a node");
        let described = recognition.get(root_id);
        let whole = matches!(
            described,
            Some(
                Recognized::Class(_)
                    | Recognized::Function(_)
                    | Recognized::Partial(_)
                    | Recognized::Instance(_)
                    | Recognized::EnumMember { .. }
                    | Recognized::Module { .. }
                    | Recognized::Attribute { .. }
            )
        );
        assert!(!whole, "{what}: described as {described:?}");
        let text = skeleton::to_text(&pickle);
        assert!(text.contains(raw), "{what}: {raw:?} missing from\n{text}");
        if !what.starts_with("an enum") {
            assert!(
                text.contains("# by value: nothing"),
                "{what}: claims something by value:\n{text}"
            );
        }
    }
}

// ---------------------------------------------------------------- bounds

#[test]
fn classes_nested_deeper_than_the_limit_are_written_at_the_top_level() {
    // C0 holds C1 in its namespace, which holds C2, …: 10,000 classes deep.
    let depth = 10_000;
    let mut out = vec![0x80, 4];
    for level in 0..depth {
        // _make_skeleton_class(type, 'C<level>', (), {'inner': <previous class>}, None, None)
        encode(&cp("_make_skeleton_class"), &mut out);
        out.push(b'(');
        encode(&Py::Global("builtins", "type"), &mut out);
        encode(&s(&format!("C{level}")), &mut out);
        encode(&Py::Tuple(vec![]), &mut out);
        out.push(b'(');
        if level > 0 {
            encode(&s("inner"), &mut out);
            // The previous class is the value under the stack top: swap it in via the memo.
            encode(&Py::Get(level - 1), &mut out);
        }
        out.extend([b'd']);
        encode(&Py::None, &mut out);
        encode(&Py::None, &mut out);
        out.extend([b't', b'R', b'r']);
        out.extend(level.to_le_bytes());
        out.push(b'0');
    }
    encode(&Py::Get(depth - 1), &mut out);
    out.push(b'.');
    let pickle = load(&out);
    let text = skeleton::to_text(&pickle);
    let deepest_indent = text
        .lines()
        .map(|line| line.len() - line.trim_start().len())
        .max()
        .unwrap_or(0);
    assert!(
        deepest_indent <= 4 * (skeleton::defs::MAX_NESTING + 1),
        "indent {deepest_indent}"
    );
    assert!(
        text.contains(&format!("class C{}:", depth - 1)),
        "the outermost class is defined"
    );
}

#[test]
fn a_memo_bomb_stops_at_the_byte_budget() {
    // Each list holds the previous one twice: 2^40 leaves written out in full.
    let mut out = vec![0x80, 4, b']', b'r'];
    out.extend(0u32.to_le_bytes());
    for level in 1..=40u32 {
        out.push(b'(');
        encode(&Py::Get(level - 1), &mut out);
        encode(&Py::Get(level - 1), &mut out);
        out.extend([b'l', b'r']);
        out.extend(level.to_le_bytes());
    }
    out.push(b'.');
    let pickle = load(&out);
    let recognition = Recognition::new(&pickle);
    let text = skeleton::render(
        &pickle,
        &recognition,
        &skeleton::Options { max_bytes: 10_000 },
    );
    assert!(text.len() < 20_000, "{} bytes", text.len());
    assert!(
        text.ends_with("# … output cut after about 10000 bytes of expressions\n"),
        "{}",
        &text[text.len() - 200..]
    );
}

#[test]
fn every_fixture_renders_as_text_and_in_show() {
    for path in common::fixture_pickles() {
        let bytes = std::fs::read(&path).expect("readable fixture");
        for pickle in picklegraph::load_all(&bytes).map_while(Result::ok) {
            let text = skeleton::to_text(&pickle);
            assert!(text.starts_with("# by value: "), "{}", path.display());
            let shown = picklegraph::render::show::to_text(&pickle, &ShowOptions::default());
            assert!(shown.starts_with("# "), "{}", path.display());
        }
    }
}

// ---------------------------------------------------------------- notation

fn root_text(root: &Py) -> String {
    let bytes = pickle(&[], root);
    let text = skeleton::to_text(&load(&bytes));
    text.lines().last().unwrap_or_default().to_string()
}

#[test]
fn instances_show_new_arguments_then_state_attributes() {
    let class = Py::Global("m", "C");
    let new = |args: Vec<Py>| Py::New(Box::new(class.clone()), args);
    assert_eq!(root_text(&new(vec![Py::Int(1)])), "m.C(1)");
    assert_eq!(
        root_text(&build(new(vec![]), dict(vec![("x", Py::Int(1))]))),
        "m.C(x=1)"
    );
    // A (dict, slots) state sets both.
    let pair = Py::Tuple(vec![
        Py::None,
        dict(vec![("a", Py::Int(1)), ("b", Py::Int(2))]),
    ]);
    assert_eq!(root_text(&build(new(vec![]), pair)), "m.C(a=1, b=2)");
    // Keys that are not identifiers, or a state of another shape, are left to __setstate__.
    let odd = dict(vec![("not a name", Py::Int(1))]);
    assert_eq!(
        root_text(&build(new(vec![]), odd)),
        "m.C().__setstate__({'not a name': 1})"
    );
    let tuple = Py::Tuple(vec![s("v"), Py::Int(1)]);
    assert_eq!(
        root_text(&build(new(vec![]), tuple)),
        "m.C().__setstate__(('v', 1))"
    );
}

#[test]
fn a_class_with_its_own_setstate_keeps_the_state_as_given() {
    // _make_skeleton_class(type, 'C', (), {'__setstate__': None}, None, None), an instance with a dict state.
    let class = call(
        cp("_make_skeleton_class"),
        vec![
            Py::Global("builtins", "type"),
            s("C"),
            Py::Tuple(vec![]),
            dict(vec![("__setstate__", Py::None)]),
            Py::None,
            Py::None,
        ],
    );
    let instance = build(
        Py::New(Box::new(class), vec![]),
        dict(vec![("x", Py::Int(1))]),
    );
    assert_eq!(root_text(&instance), "C().__setstate__({'x': 1})");
}

#[test]
fn a_typevar_shows_its_variance() {
    let typevar = call(
        cp("_make_typevar"),
        vec![
            s("T"),
            Py::None,
            Py::Tuple(vec![]),
            Py::Bool(true),
            Py::Bool(false),
            Py::None,
        ],
    );
    assert_eq!(root_text(&typevar), "typing.TypeVar('T', covariant=True)");
}

// ---------------------------------------------------------------- cloudpickle 1.x

/// Pickles written by cloudpickle 1.6 and 1.4 (Python 3.7) and 1.2 (Python 2.7), by
/// `recognizers/cloudpickle1.py`: `_builtin_type('LambdaType')(…)` functions, and
/// `_make_skel_func`/`_fill_function`/`_rehydrate_skeleton_class`.
fn cloudpickle1(name: &str) -> (Vec<u8>, picklegraph::LoadOptions) {
    let path = common::repo()
        .join("tests/testsuite/recognizers/cloudpickle1")
        .join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut options = picklegraph::LoadOptions::default();
    if name.contains("py27") {
        // Python 2's str bytecode: what `pickle.loads(data, encoding='latin1')` reads.
        options = options.with_string_encoding(picklegraph::StringEncoding::Latin1);
    }
    (bytes, options)
}

#[test]
fn cloudpickle_1x_ships_the_seed_classes_with_their_methods() {
    for (tag, python) in [
        ("cp16_py37", "Python 3.0-3.7"),
        ("cp14_py37", "Python 3.0-3.7"),
        ("cp12_py27", "Python 2"),
    ] {
        let (bytes, options) = cloudpickle1(&format!("{tag}_seed_main.pkl"));
        let pickle = picklegraph::load_with(&bytes, &options).expect("loads");
        let recognition = Recognition::new(&pickle);
        let (base_id, _) = class_named(&pickle, &recognition, "BaseClass");
        let (_, sub) = class_named(&pickle, &recognition, "SubClass");
        let bases = match pickle.get(sub.bases) {
            Some(picklegraph::Node::Tuple(items)) => items.to_vec(),
            other => panic!("{tag}: bases {other:?}"),
        };
        // cloudpickle 1.4's base is `_rehydrate_skeleton_class(BaseClass, …)`: the same class.
        let bases: Vec<NodeId> = bases
            .iter()
            .map(|b| recognition.resolve(b.node().expect("a node")).0)
            .collect();
        assert_eq!(bases, [base_id], "{tag}");
        let text = skeleton::render(&pickle, &recognition, &skeleton::Options::default());
        for line in [
            "def func(self): ...     # ex.py:3",
            "def subfunc(self): ...  # ex.py:8",
            "\nSubClass()\n",
        ] {
            assert!(text.contains(line), "{tag}: {line:?} missing from\n{text}");
        }
        assert!(
            text.contains(&format!("code of {python})")),
            "{tag}:\n{text}"
        );
        insta::assert_snapshot!(format!("cloudpickle1__{tag}_seed_main"), text);
    }
}

#[test]
fn cloudpickle_1x_ships_closures_and_globals() {
    for tag in ["cp16_py37", "cp14_py37", "cp12_py27"] {
        let (bytes, options) = cloudpickle1(&format!("{tag}_closure.pkl"));
        let pickle = picklegraph::load_with(&bytes, &options).expect("loads");
        let text = skeleton::render(
            &pickle,
            &Recognition::new(&pickle),
            &skeleton::Options::default(),
        );
        assert!(
            text.contains("def add(x, y=1): ...  # ex.py:3, closure n=5"),
            "{tag}:\n{text}"
        );
        insta::assert_snapshot!(format!("cloudpickle1__{tag}_closure"), text);

        let (bytes, options) = cloudpickle1(&format!("{tag}_function_globals.pkl"));
        let pickle = picklegraph::load_with(&bytes, &options).expect("loads");
        let text = skeleton::render(
            &pickle,
            &Recognition::new(&pickle),
            &skeleton::Options::default(),
        );
        for line in [
            "SCALE = 10",
            "import math",
            "def area(r): ...  # ex.py:7, uses SCALE, math, pi",
        ] {
            assert!(text.contains(line), "{tag}: {line:?} missing from\n{text}");
        }
        insta::assert_snapshot!(format!("cloudpickle1__{tag}_function_globals"), text);
    }
}

#[test]
fn many_classes_sharing_one_huge_namespace_are_read_within_a_budget() {
    // 3,000 classes, each _make_skeleton_class(type, 'C', (), namespace, None, None) with
    // the same 3,000-entry namespace: reading each in full would cost their product.
    let (classes, entries) = (3_000u32, 3_000usize);
    let namespace = Py::Dict(
        (0..entries)
            .map(|i| (s(&format!("a{i}")), Py::Int(i as i64)))
            .collect(),
    );
    let mut items = vec![put(0, namespace)];
    for _ in 0..classes {
        items.push(call(
            cp("_make_skeleton_class"),
            vec![
                Py::Global("builtins", "type"),
                s("C"),
                Py::Tuple(vec![]),
                Py::Get(0),
                Py::None,
                Py::None,
            ],
        ));
    }
    let bytes = pickle(&[], &Py::List(items));
    let pickle = load(&bytes);
    let recognition = Recognition::new(&pickle);
    assert_eq!(count_classes_and_functions(&recognition), classes as usize);
    let text = skeleton::to_text(&pickle);
    assert!(
        text.contains("more classes and functions, not written (over the reading budget)"),
        "{}",
        &text[..500]
    );
}

// ---------------------------------------------------------------- the command

fn picklegraph_show(args: &[&str]) -> String {
    let output = assert_cmd::Command::cargo_bin("picklegraph")
        .expect("the binary")
        .current_dir(common::repo())
        .env_remove("COLUMNS")
        .env_remove("NO_COLOR")
        .arg("show")
        .args(args)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).expect("UTF-8")
}

#[test]
fn show_writes_the_seed_as_class_skeletons_or_as_a_reference() {
    let main = picklegraph_show(&["examples/seed_main.pkl"]);
    let expected = "\
# by value: class BaseClass, class SubClass (cloudpickle; module __main__; code of Python 3.11+)
# by name: nothing else

class BaseClass:            # module __main__
    def func(self): ...     # ex.py:6, uses print
class SubClass(BaseClass):
    def subfunc(self): ...  # ex.py:11, uses print

SubClass()
";
    assert!(main.ends_with(expected), "{main}");
    let imported = picklegraph_show(&["--no-summary", "examples/seed_imported.pkl"]);
    let expected = "\
# by value: nothing: no class or function code is shipped
# by name: class myclass.SubClass
#   (only names travel: the code must be importable where the pickle is loaded)

myclass.SubClass()
";
    assert_eq!(imported, expected);
}

#[test]
fn show_raw_recognizes_nothing_as_the_readme_shows() {
    let readme = std::fs::read_to_string(common::repo().join("README.md")).expect("README");
    let block = readme
        .split("`picklegraph show --raw examples/seed_main.pkl` prints the objects as the pickle builds\nthem, recognizing nothing:\n\n```text\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("README has the --raw example");
    assert_eq!(
        picklegraph_show(&["--raw", "examples/seed_main.pkl"]),
        block
    );
}
