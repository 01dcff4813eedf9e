//! The `show` view: layout, labels for shared nodes, elision, effects, partial state, and
//! snapshots of every fixture group.

use picklegraph::render::elision::ItemLimit;
use picklegraph::render::show::doc::Doc;
use picklegraph::render::show::{show, show_failure, to_text, Recognizer, ShowOptions};
use picklegraph::{load, load_all, LoadOptions, Node, NodeId, Pickle};

use crate::common::{fixture_pickles, fixtures};
use support::{
    deep_list_pickle, fixture_case, fixture_groups, fixture_name, memo_bomb_pickle, within, Counter,
};

/// Helpers for the view tests (show, json, cli).
pub(crate) mod support {
    use std::path::Path;

    use crate::common::fixtures;

    /// The groups of fixtures (`data`, `stdlib`, …), sorted.
    pub(crate) fn fixture_groups() -> Vec<String> {
        let mut groups: Vec<String> = std::fs::read_dir(fixtures())
            .map(|entries| {
                entries
                    .flatten()
                    .filter(|e| e.path().is_dir())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|name| !name.starts_with('.'))
                    .collect()
            })
            .unwrap_or_default();
        groups.sort();
        groups
    }

    /// A fixture's name relative to the fixtures directory (`data/list.p0.pkl`).
    pub(crate) fn fixture_name(path: &Path) -> String {
        path.strip_prefix(fixtures())
            .unwrap_or(path)
            .to_string_lossy()
            .into_owned()
    }

    /// A fixture's case: its name without the protocol and extension (`data/list`).
    pub(crate) fn fixture_case(path: &Path) -> String {
        let name = fixture_name(path);
        let stem = name.strip_suffix(".pkl").unwrap_or(&name);
        match stem.rsplit_once(".p") {
            Some((case, protocol)) if protocol.chars().all(|c| c.is_ascii_digit()) => {
                case.to_string()
            }
            _ => stem.to_string(),
        }
    }

    /// Runs `f` on a thread with a small stack and fails if it takes longer than `seconds`:
    /// proof that a view neither recurses on input depth nor goes exponential.
    pub(crate) fn within<T: Send + 'static>(
        seconds: u64,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> T {
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || {
                let _ = sender.send(f());
            })
            .expect("spawn a thread");
        receiver
            .recv_timeout(std::time::Duration::from_secs(seconds))
            .unwrap_or_else(|_| panic!("did not finish within {seconds} s (or panicked)"))
    }

    /// A writer that only counts what it is given.
    #[derive(Debug, Default)]
    pub(crate) struct Counter {
        /// Bytes written so far.
        pub(crate) bytes: usize,
        /// Newlines written so far.
        pub(crate) lines: usize,
    }

    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.bytes += buf.len();
            self.lines += buf.iter().filter(|&&b| b == b'\n').count();
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// `depth` nested lists, innermost empty: `[[[…]]]` (EMPTY_LIST × depth, APPEND × depth-1).
    pub(crate) fn deep_list_pickle(depth: usize) -> Vec<u8> {
        let mut bytes = b"\x80\x02".to_vec();
        bytes.extend(std::iter::repeat(b']').take(depth));
        bytes.extend(std::iter::repeat(b'a').take(depth - 1));
        bytes.push(b'.');
        bytes
    }

    /// The memo bomb: `levels` lists, each holding the previous level's memoized list twice,
    /// so the tree it stands for has 2^levels leaves.
    pub(crate) fn memo_bomb_pickle(levels: u8) -> Vec<u8> {
        let mut bytes = b"\x80\x02]q\x00".to_vec();
        for level in 1..=levels {
            bytes.extend([
                b'0',
                b'(',
                b'h',
                level - 1,
                b'h',
                level - 1,
                b'l',
                b'q',
                level,
            ]);
        }
        bytes.push(b'.');
        bytes
    }
}

fn shown(bytes: &[u8], width: usize) -> String {
    let pickle = load(bytes).unwrap_or_else(|e| panic!("{e}"));
    to_text(&pickle, &ShowOptions::plain(width))
}

/// `show` of every pickle in a file with the plain options, partial state on failure.
fn show_file(path: &std::path::Path, options: &ShowOptions) -> String {
    let bytes = std::fs::read(path).unwrap();
    let mut out = Vec::new();
    for result in load_all(&bytes) {
        match result {
            Ok(pickle) => show(&pickle, options, &mut out).unwrap(),
            Err(failure) => show_failure(&failure, options, &mut out).unwrap(),
        }
    }
    String::from_utf8(out).unwrap()
}

/// Every fixture of a group, shown without the summary line; protocols of one case that
/// show the same text share one entry.
fn group_text(group: &str, options: &ShowOptions) -> String {
    let mut entries: Vec<(String, Vec<String>, String)> = Vec::new();
    for path in fixture_pickles() {
        if !fixture_name(&path).starts_with(&format!("{group}/")) {
            continue;
        }
        let text = show_file(&path, options);
        let (case, name) = (fixture_case(&path), fixture_name(&path));
        match entries
            .iter_mut()
            .find(|(c, _, t)| *c == case && *t == text)
        {
            Some((_, names, _)) => names.push(name),
            None => entries.push((case, vec![name], text)),
        }
    }
    entries
        .iter()
        .map(|(_, names, text)| format!("==> {} <==\n{text}", names.join(" ")))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_fixture_group_shows_as_its_snapshot() {
    let options = ShowOptions::plain(100);
    let groups = fixture_groups();
    assert!(
        groups.len() >= 5,
        "fixtures missing under {}",
        fixtures().display()
    );
    for group in groups {
        let text = group_text(&group, &options);
        if text.is_empty() {
            continue;
        }
        insta::assert_snapshot!(format!("show_{group}"), text);
    }
}

#[test]
fn the_seed_example_shows_its_classes_and_effects() {
    let path = crate::common::repo().join("examples/seed_main.pkl");
    let raw = ShowOptions {
        recognizers: Vec::new(),
        ..ShowOptions::default()
    };
    insta::assert_snapshot!("show_seed_main", show_file(&path, &raw));
}

#[test]
fn a_shared_list_is_written_once_under_a_label() {
    // l = [1]; [l, l]
    assert_eq!(shown(b"(]q\x00K\x01ah\x00l.", 80), "[&1 [1], *1]\n");
}

#[test]
fn every_way_of_sharing_a_node_labels_it() {
    // DUP of a list, a bytearray and a tuple holding a list.
    assert_eq!(shown(b"(]2l.", 80), "[&1 [], *1]\n");
    assert_eq!(
        shown(b"\x80\x05(\x96\x01\x00\x00\x00\x00\x00\x00\x00x2l.", 80),
        "[&1 bytearray(b'x'), *1]\n"
    );
    assert_eq!(shown(b"(]\x852l.", 80), "[&1 ([],), *1]\n");
    // Memo gets of a dict and of a set, after strs were fetched from the memo too.
    assert_eq!(
        shown(b"\x80\x04(X\x01\x00\x00\x00a\x94h\x00}\x94h\x01l.", 80),
        "['a', 'a', &1 {}, *1]\n"
    );
    assert_eq!(
        shown(b"\x80\x04(\x8f\x94(K\x01\x90h\x00l.", 80),
        "[&1 {1}, *1]\n"
    );
    // A str fetched twice is a leaf, written at each place.
    assert_eq!(
        shown(b"\x80\x04(X\x01\x00\x00\x00a\x94h\x00h\x00l.", 80),
        "['a', 'a', 'a']\n"
    );
}

#[test]
fn a_cycle_refers_to_the_label_being_defined() {
    assert_eq!(shown(b"]q\x00h\x00a.", 80), "&1 [*1]\n");
    assert_eq!(
        shown(b"}q\x00X\x01\x00\x00\x00kh\x00s.", 80),
        "&1 {'k': *1}\n"
    );
}

#[test]
fn shared_strs_are_written_at_each_place() {
    // s = 'abc'; [s, s]: immutable leaves are not labelled
    assert_eq!(
        shown(b"(X\x03\x00\x00\x00abcq\x00h\x00l.", 80),
        "['abc', 'abc']\n"
    );
}

#[test]
fn short_containers_fit_on_one_line_and_long_ones_break_one_item_per_line() {
    let pickle = b"(X\x05\x00\x00\x00alphaX\x04\x00\x00\x00betaX\x05\x00\x00\x00gammal.";
    assert_eq!(shown(pickle, 80), "['alpha', 'beta', 'gamma']\n");
    assert_eq!(
        shown(pickle, 12),
        "[\n  'alpha',\n  'beta',\n  'gamma',\n]\n"
    );
}

#[test]
fn numbers_that_do_not_fit_fill_lines() {
    let mut pickle = b"(".to_vec();
    for i in 0..30u8 {
        pickle.extend([b'K', i]);
    }
    pickle.extend(b"l.");
    let text = shown(&pickle, 40);
    assert!(
        text.starts_with("[\n  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,\n  12,"),
        "{text}"
    );
    assert!(
        text.lines().all(|line| line.chars().count() <= 40),
        "{text}"
    );
}

#[test]
fn one_item_tuples_keep_their_comma() {
    assert_eq!(shown(b"K\x01\x85.", 80), "(1,)\n");
    assert_eq!(shown(b"(K\x01K\x02K\x03t.", 80), "(1, 2, 3)\n");
}

#[test]
fn inert_calls_print_as_module_name_with_arguments() {
    assert_eq!(
        shown(b"cos\nsystem\nX\x02\x00\x00\x00ls\x85R.", 80),
        "os.system('ls')\n"
    );
}

/// A call's only argument hugs its parentheses when it is in brackets (`f({` … `})`),
/// never when it is a name or a call: a chain of calls hugging each other could not break.
#[test]
fn a_call_whose_only_argument_is_a_call_breaks_before_it() {
    // outer.module.long_function_name(middle.module.other_function(inner.module.Klass))
    let pickle = b"couter.module\nlong_function_name\n(cmiddle.module\nother_function\n\
(cinner.module\nKlass\ntRtR.";
    let flat =
        "outer.module.long_function_name(middle.module.other_function(inner.module.Klass))\n";
    assert_eq!(shown(pickle, 100), flat);
    assert_eq!(
        shown(pickle, 40),
        "outer.module.long_function_name(\n  middle.module.other_function(\n    \
inner.module.Klass,\n  ),\n)\n"
    );
    // From the width of the longest part that cannot break, `outer…long_function_name(`.
    for width in 32..100 {
        let text = shown(pickle, width);
        let over: Vec<&str> = text.lines().filter(|l| l.len() > width).collect();
        assert!(over.is_empty(), "width {width}:\n{text}");
    }
}

#[test]
fn instances_show_class_arguments_and_state() {
    // NEWOBJ of m.C with (1,), then BUILD {'a': 2}
    let pickle = b"\x80\x02cm\nC\nK\x01\x85\x81}X\x01\x00\x00\x00aK\x02sb.";
    assert_eq!(
        shown(pickle, 80),
        "m.C.__new__(m.C, 1).__setstate__({'a': 2})\n"
    );
    let text = shown(pickle, 20);
    assert_eq!(
        text,
        "m.C.__new__(\n  m.C,\n  1,\n).__setstate__({\n  'a': 2,\n})\n"
    );
}

#[test]
fn effects_follow_the_root_in_stream_order() {
    let pickle = load(b"cm\nf\nK\x01\x85R0(cm\ng\n)R1N.").unwrap();
    let text = to_text(&pickle, &ShowOptions::plain(80));
    let expected = "None\n\
        # 2 effects: calls whose result the pickle discarded, in stream order\n\
        # at byte 9 (POP)\nm.f(1)\n# at byte 18 (POP_MARK)\nm.g()\n";
    assert_eq!(text, expected);
}

#[test]
fn the_summary_line_names_protocol_nodes_effects_and_globals() {
    let path = crate::common::repo().join("examples/seed_main.pkl");
    let text = show_file(&path, &ShowOptions::default());
    let first = text.lines().next().unwrap();
    assert!(first.starts_with("# protocol 5, 104 nodes, 4 effects, 7 globals: cloudpickle.cloudpickle._make_skeleton_class"), "{first}");
}

#[test]
fn depth_and_item_limits_elide_with_a_count() {
    let mut options = ShowOptions::plain(80);
    options.max_depth = 1;
    let pickle = load(b"(K\x01(K\x02K\x03ll.").unwrap();
    assert_eq!(to_text(&pickle, &options), "[1, [… 2 items]]\n");
    let pickle = load(b"(cm\nf\nK\x01\x85Rl.").unwrap();
    assert_eq!(to_text(&pickle, &options), "[m.f(…)]\n");
    // A bytearray has no items to count: below the limit it is written out, as bytes are.
    // pickle.dumps([bytearray(b'ab'), [1, 2]], protocol=5)
    let pickle = load(b"\x80\x05\x95\x19\x00\x00\x00\x00\x00\x00\x00]\x94(\x96\x02\x00\x00\x00\x00\x00\x00\x00ab\x94]\x94(K\x01K\x02ee.").unwrap();
    assert_eq!(
        to_text(&pickle, &options),
        "[bytearray(b'ab'), [… 2 items]]\n"
    );

    // pickle.dumps(list(range(1_000_000)), protocol=1), less its MARK-splitting.
    let mut million = b"(".to_vec();
    for i in 0..1_000_000u32 {
        million.push(b'J');
        million.extend(i.to_le_bytes());
    }
    million.extend(b"l.");
    let pickle = load(&million).unwrap();
    let mut options = ShowOptions::plain(200);
    options.items = ItemLimit::at_most(10);
    assert_eq!(
        to_text(&pickle, &options),
        "[0, 1, 2, 3, 4, … 999,990 more items, 999995, 999996, 999997, 999998, 999999]\n"
    );
    // An odd count shows one more of the first; none shown leaves the count alone.
    options.items = ItemLimit::at_most(3);
    assert_eq!(
        to_text(&pickle, &options),
        "[0, 1, … 999,997 more items, 999999]\n"
    );
    options.items = ItemLimit::at_most(0);
    assert_eq!(to_text(&pickle, &options), "[… 1,000,000 more items]\n");
}

#[test]
fn by_default_a_long_container_shows_its_first_five_and_last_five_items() {
    // pickle.dumps({i: f'{i:02}' for i in range(61)}, protocol=2), less its MARK-splitting
    let mut dict = b"\x80\x02}(".to_vec();
    for i in 0..61u8 {
        dict.extend([b'K', i, b'X', 2, 0, 0, 0]);
        dict.extend(format!("{i:02}").as_bytes());
    }
    dict.extend(b"u.");
    let options = ShowOptions {
        summary: false,
        ..ShowOptions::default()
    };
    let text = to_text(&load(&dict).unwrap(), &options);
    let entries: Vec<String> = (0..5)
        .map(|i| format!("{i}: '{i:02}'"))
        .chain(["… 51 more items".to_string()])
        .chain((56..61).map(|i| format!("{i}: '{i}'")))
        .collect();
    assert_eq!(text, format!("{{\n  {},\n}}\n", entries.join(",\n  ")));
    // Sixty items are all shown.
    let mut sixty = b"\x80\x02](".to_vec();
    for i in 0..60u8 {
        sixty.extend([b'K', i]);
    }
    sixty.extend(b"e.");
    let text = to_text(&load(&sixty).unwrap(), &options);
    assert!(
        text.contains(" 58, 59,\n]") && !text.contains("more"),
        "{text}"
    );
}

#[test]
fn large_bytes_and_strs_show_a_head_and_their_size() {
    let mut pickle = b"\x80\x03(B\x00\x00\x04\x00".to_vec();
    pickle.extend(std::iter::repeat(0u8).take(1 << 18));
    pickle.extend(b"X\xe8\x03\x00\x00");
    pickle.extend(std::iter::repeat(b'a').take(1000));
    pickle.extend(b"l.");
    let mut options = ShowOptions::plain(200);
    options.max_string = 2;
    let text = to_text(&load(&pickle).unwrap(), &options);
    assert_eq!(text, "[b'\\x00\\x00…' (256.0 KiB), 'aa…' (1,000 chars)]\n");
}

#[test]
fn a_malformed_pickle_shows_the_stack_and_memo_it_had_built() {
    // [1, 2] memoized, then REDUCE with one item on the stack: underflow.
    let failure =
        picklegraph::load_at(b"(K\x01K\x02l\x94R", 0, &LoadOptions::default()).unwrap_err();
    let mut out = Vec::new();
    show_failure(&failure, &ShowOptions::plain(80), &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(
        text,
        "# malformed pickle: what had been rebuilt when the error struck,\n\
         #   at offset 7 (REDUCE): unpickling stack underflow\nstack[0] = &1 [1, 2]\nmemo[0] = *1\n"
    );
}

#[test]
fn a_million_nested_lists_show_in_bounded_stack_and_linear_output() {
    let counted = within(120, || {
        let bytes = deep_list_pickle(1_000_000);
        let pickle = load(&bytes).unwrap();
        let mut counter = Counter::default();
        show(&pickle, &ShowOptions::plain(100), &mut counter).unwrap();
        counter
    });
    // Two lines per list but the innermost few, which fit on one line; indentation
    // stops growing at 50 columns.
    assert!(
        (1_999_900..=2_000_000).contains(&counted.lines),
        "{} lines",
        counted.lines
    );
    assert!(counted.bytes < 2_000_000 * 54, "{} bytes", counted.bytes);
}

#[test]
fn the_memo_bomb_shows_in_linear_time_thanks_to_labels() {
    let text = within(30, || shown(&memo_bomb_pickle(40), 100));
    // 2^40 lists in the tree it stands for; 41 labels and about 4 KB here.
    assert!(text.len() < 5000, "{} bytes", text.len());
    assert!(text.starts_with("[\n  &1 [\n    &2 [\n"), "{text}");
    assert!(
        text.contains("&38 [&39 [&40 [], *40], *39], *38]"),
        "{text}"
    );
}

/// Prints every dict as its size, and every list through a document that holds its
/// first item as a graph value.
struct Sizes;

impl Recognizer for Sizes {
    fn name(&self) -> &'static str {
        "sizes"
    }

    fn recognize(&self, pickle: &Pickle<'_>, id: NodeId) -> Option<Doc> {
        match pickle.node(id) {
            Node::Dict(entries) => Some(Doc::comment(format!("<dict of {}>", entries.len()))),
            Node::List(items) => Some(Doc::call(
                Doc::text("first"),
                vec![Doc::Value(items.first()?)],
                0,
            )),
            _ => None,
        }
    }
}

#[test]
fn a_recognizer_replaces_a_node_and_its_values_are_still_labelled() {
    // d = {}; [[d], d]
    let pickle = load(b"(]}q\x00ah\x00l.").unwrap();
    let mut options = ShowOptions::plain(80);
    assert_eq!(to_text(&pickle, &options), "[[&1 {}], *1]\n");
    options.recognizers.push(Box::new(Sizes));
    assert_eq!(to_text(&pickle, &options), "first(first(&1 <dict of 0>))\n");
}

#[test]
fn the_default_options_stop_after_about_64_kib_and_say_so() {
    // [[f'{i:04}-{j:025}' for j in range(60)] for i in range(60)]: 60 lists of 60 strs,
    // each shown whole (60 items are not summarized), about 137 KB of text in full.
    let mut stream = b"\x80\x04](".to_vec();
    for i in 0..60 {
        stream.extend(b"](");
        for j in 0..60 {
            let text = format!("{i:04}-{j:025}");
            stream.extend([0x8c, text.len() as u8]);
            stream.extend(text.as_bytes());
        }
        stream.push(b'e');
    }
    stream.extend(b"e.");
    let pickle = load(&stream).unwrap();
    let bounded = to_text(&pickle, &ShowOptions::default());
    let limit = picklegraph::render::show::DEFAULT_MAX_BYTES;
    assert!(
        bounded.len() > limit && bounded.len() < limit + 1024,
        "{}",
        bounded.len()
    );
    let last = bounded.lines().last().unwrap();
    assert!(
        last.starts_with("# … show stops here, past 64.0 KiB: "),
        "{last}"
    );
    // Every line before the note is whole: the last str is followed by its comma.
    let before = bounded.lines().rev().nth(1).unwrap();
    assert!(before.ends_with("',"), "{before}");
    let unbounded = ShowOptions {
        max_bytes: usize::MAX,
        ..ShowOptions::default()
    };
    let full = to_text(&pickle, &unbounded);
    assert!(full.len() > 130_000, "{}", full.len());
    assert!(full.starts_with(&bounded[..limit]));
}

#[test]
fn elided_containers_written_as_blocks_read_as_written_through_tokens() {
    // [(1,), [(2,), ('abc', 'def')], {'k': (3,)}, (4, 5, 6, 7)] at protocol 2: one-item
    // tuples (whose comma only follows a shown item) and longer containers.
    let data = b"\x80\x02]q\x00(K\x01\x85q\x01]q\x02(K\x02\x85q\x03X\x03\x00\x00\x00abcq\x04X\x03\x00\x00\x00defq\x05\x86q\x06e}q\x07X\x01\x00\x00\x00kq\x08K\x03\x85q\ts(K\x04K\x05K\x06K\x07tq\ne.";
    // And (1,) alone: elided whole, `(… 1 more item)` takes 15 columns, no comma.
    for data in [&data[..], b"\x80\x02K\x01\x85."] {
        let pickle = load(data).unwrap();
        blocks_read_as_tokens(&pickle);
    }
}

fn blocks_read_as_tokens(pickle: &Pickle<'_>) {
    use picklegraph::render::show::show_without_blocks;
    for (max, shown) in (0..4).flat_map(|max| (0..4).map(move |shown| (max, shown))) {
        for width in 1..50 {
            let mut options = ShowOptions::plain(width);
            options.items = ItemLimit { max, shown };
            let (mut blocks, mut tokens) = (Vec::new(), Vec::new());
            show(pickle, &options, &mut blocks).unwrap();
            show_without_blocks(pickle, &options, &mut tokens).unwrap();
            assert_eq!(
                String::from_utf8_lossy(&blocks),
                String::from_utf8_lossy(&tokens),
                "max {max}, shown {shown}, width {width}"
            );
        }
    }
}

/// A str or bytes too long for its line is cut into adjacent literals, one a line, as
/// `pprint` cuts them: no line passes the width, and Python reads the text back as the
/// very value the pickle holds (`ast.literal_eval` of the output, compared by CPython).
#[test]
fn long_literals_are_cut_into_lines_that_python_reads_back_as_the_value() {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let make = r#"
import pickle, sys
words = 'the quick brown fox jumps over the lazy dog '
value = {
    'prose': words * 6,
    'escapes': ''.join(map(chr, range(0, 300))),
    'bytes': bytes(range(256)),
    'nested': [words * 3, {'key ' * 30: b'\x00\xff' * 80, 'n': 1}, (words * 2,)],
    'wide': '\U0001f600 \U0001d11e ' * 40,
    'lines': 'line one\nline two\r\n\tindented\n' * 8,
    'quotes': 'it\'s "quoted" ' * 12,
    'bytearray': bytearray(b'\x01 abc ' * 40),
}
sys.stdout.buffer.write(pickle.dumps(value, protocol=4))
"#;
    let data = crate::common::python3_stdout(make);
    let pickle = load(&data).expect("loads");
    for width in [40, 57, 80, 100] {
        for blocks in [true, false] {
            let mut options = ShowOptions::plain(width);
            options.max_string = usize::MAX;
            let text = match blocks {
                true => to_text(&pickle, &options),
                false => {
                    let mut out = Vec::new();
                    picklegraph::render::show::show_without_blocks(&pickle, &options, &mut out)
                        .expect("writes to memory");
                    String::from_utf8(out).expect("UTF-8")
                }
            };
            for line in text.lines() {
                assert!(
                    line.chars().count() <= width,
                    "over {width}: {line:?}\n{text}"
                );
            }
            // CPython evaluates the text (bytearray is a call, given to eval by name)
            // and compares it with the value it pickled.
            let check = "import ast, pickle, sys\n\
                size, rest = sys.stdin.buffer.read().split(b' ', 1)\n\
                data, text = rest[:int(size)], rest[int(size):]\n\
                value = eval(compile(ast.parse(text.decode(), mode='eval'), '<show>', 'eval'),\n\
                    {'__builtins__': {'bytearray': bytearray}})\n\
                print(value == pickle.loads(data))";
            let mut python = Command::new("python3")
                .args(["-c", check])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("python3 runs");
            let mut stdin = python.stdin.take().expect("stdin");
            stdin
                .write_all(format!("{} ", data.len()).as_bytes())
                .expect("writes");
            stdin.write_all(&data).expect("writes");
            stdin.write_all(text.as_bytes()).expect("writes");
            drop(stdin);
            let result = python.wait_with_output().expect("python3 runs");
            assert_eq!(
                String::from_utf8_lossy(&result.stdout).trim(),
                "True",
                "width {width}, blocks {blocks}: {}\n{text}",
                String::from_utf8_lossy(&result.stderr)
            );
        }
    }
}
