//! The `json` view: every fixture's document rebuilds the same graph, shared nodes still
//! shared; scalars JSON cannot hold are tagged; large and hostile graphs stay linear.

use picklegraph::render::json::{to_json, write_failure_json, write_json};
use picklegraph::render::repr::bigint_repr;
use picklegraph::{load, load_all, Inert, InertKind, Mutation, Node, Pickle, Value};
use serde_json::Value as Json;

use crate::common::{fixture_pickles, repo};
use crate::show::support::{deep_list_pickle, fixture_name, memo_bomb_pickle, within, Counter};

/// How often each node is referred to: by any node, and by the `starts`.
fn counts(pickle: &Pickle<'_>, starts: &[Value]) -> Vec<u32> {
    let mut counts = vec![0u32; pickle.nodes().len()];
    let children = pickle
        .nodes()
        .flat_map(|n| (0..n.child_count()).filter_map(move |i| n.child(i)));
    for value in starts.iter().copied().chain(children) {
        if let Some(id) = value.node() {
            counts[id.index()] += 1;
        }
    }
    counts
}

/// Checks a document against the graph it was written from, node by node and child by
/// child, and returns how many nodes the document holds (table entries plus inline ones).
struct Checker<'p, 'a> {
    pickle: &'p Pickle<'a>,
    inline: Vec<bool>,
    ids: Vec<Option<u64>>,
    inline_seen: usize,
}

impl<'p, 'a> Checker<'p, 'a> {
    fn new(pickle: &'p Pickle<'a>, starts: &[Value]) -> Checker<'p, 'a> {
        let counts = counts(pickle, starts);
        let inline: Vec<bool> = pickle
            .nodes()
            .zip(&counts)
            .map(|(node, &count)| {
                count == 1 && matches!(node, Node::Str(_) | Node::Bytes(_) | Node::BigInt(_))
            })
            .collect();
        let mut next = 0;
        let ids = inline
            .iter()
            .map(|&inline| {
                (!inline).then(|| {
                    next += 1;
                    next - 1
                })
            })
            .collect();
        Checker {
            pickle,
            inline,
            ids,
            inline_seen: 0,
        }
    }

    fn value(&mut self, json: &Json, value: Value, at: &str) {
        match value {
            Value::None => assert_eq!(json, &Json::Null, "{at}"),
            Value::Bool(b) => assert_eq!(json, &Json::Bool(b), "{at}"),
            Value::Int(v) if v.unsigned_abs() <= 1 << 53 => {
                assert_eq!(json.as_i64(), Some(v), "{at}: {json}")
            }
            Value::Int(v) => assert_eq!(json["int"], Json::String(v.to_string()), "{at}"),
            Value::Float(v) if v.is_finite() => {
                assert_eq!(
                    json.as_f64().map(f64::to_bits),
                    Some(v.to_bits()),
                    "{at}: {json}"
                );
                assert!(json.is_f64(), "{at}: a float stays a float: {json}");
            }
            Value::Float(v) => assert_eq!(
                json["float"],
                Json::String(picklegraph::render::repr::float_repr(v)),
                "{at}"
            ),
            Value::Node(id) if self.inline[id.index()] => {
                self.inline_seen += 1;
                assert!(
                    json.get("ref").is_none(),
                    "{at}: inline expected, got {json}"
                );
                self.leaf(json, &self.pickle.node(id), at);
            }
            Value::Node(id) => {
                assert_eq!(json["ref"].as_u64(), self.ids[id.index()], "{at}: {json}")
            }
        }
    }

    fn leaf(&mut self, json: &Json, node: &Node<'_>, at: &str) {
        match node {
            Node::Str(text) => match text.as_str() {
                Some(text) => assert_eq!(json.as_str(), Some(text), "{at}"),
                None => assert_eq!(
                    json["str_surrogatepass"].as_str().map(crate::common::unhex),
                    Some(text.as_bytes().to_vec()),
                    "{at}"
                ),
            },
            Node::Bytes(bytes) | Node::ByteArray(bytes) => {
                assert_eq!(
                    json["bytes"].as_str().map(unbase64),
                    Some(bytes.to_vec()),
                    "{at}"
                )
            }
            Node::BigInt(v) => {
                assert_eq!(json["int"].as_str(), Some(bigint_repr(v).as_str()), "{at}")
            }
            other => panic!("{at}: not a leaf: {other:?}"),
        }
    }

    fn values(&mut self, json: &Json, values: &[Value], at: &str) {
        let items = json
            .as_array()
            .unwrap_or_else(|| panic!("{at}: not an array: {json}"));
        assert_eq!(items.len(), values.len(), "{at}");
        for (item, &value) in items.iter().zip(values) {
            self.value(item, value, at);
        }
    }

    fn pairs(&mut self, json: &Json, pairs: &[(Value, Value)], at: &str) {
        let items = json
            .as_array()
            .unwrap_or_else(|| panic!("{at}: not an array: {json}"));
        assert_eq!(items.len(), pairs.len(), "{at}");
        for (item, &(key, value)) in items.iter().zip(pairs) {
            self.value(&item[0], key, at);
            self.value(&item[1], value, at);
        }
    }

    /// Checks the table, and that it and the inline values add up to the arena.
    fn table(&mut self, doc: &Json) {
        let entries = doc["nodes"].as_array().expect("a node table");
        let mut table = entries.iter();
        for (index, node) in self.pickle.nodes().enumerate() {
            let Some(id) = self.ids[index] else { continue };
            let entry = table.next().expect("an entry per node not written inline");
            assert_eq!(entry["id"].as_u64(), Some(id));
            self.node(entry, &node, &format!("node {index}"));
        }
        assert!(table.next().is_none(), "more entries than nodes");
        let inline = self.inline.iter().filter(|&&i| i).count();
        assert_eq!(self.inline_seen, inline, "every inline node written once");
        assert_eq!(entries.len() + self.inline_seen, self.pickle.nodes().len());
    }

    fn node(&mut self, entry: &Json, node: &Node<'_>, at: &str) {
        match node {
            Node::List(items) | Node::Tuple(items) | Node::Set(items) | Node::FrozenSet(items) => {
                assert_eq!(entry["type"].as_str(), node.type_name(), "{at}");
                self.values(&entry["items"], &items.to_vec(), at);
            }
            Node::Dict(pairs) => self.pairs(&entry["items"], &pairs.to_vec(), at),
            Node::Inert(inert) => self.inert(entry, inert, at),
            leaf => {
                assert_eq!(entry["type"].as_str(), leaf.type_name(), "{at}");
                self.leaf(&entry["value"], leaf, at);
            }
        }
    }

    fn inert(&mut self, entry: &Json, inert: &Inert, at: &str) {
        let (kind, fields): (&str, Vec<(&str, Value)>) = match &inert.kind {
            InertKind::Global { module, name, .. } => {
                ("global", vec![("module", *module), ("name", *name)])
            }
            InertKind::Call { func, args } => ("call", vec![("func", *func), ("args", *args)]),
            InertKind::Instance {
                class,
                args,
                kwargs,
                ..
            } => {
                let mut fields = vec![("class", *class), ("args", *args)];
                fields.extend(kwargs.map(|k| ("kwargs", k)));
                ("instance", fields)
            }
            InertKind::Persistent { pid } => ("persistent", vec![("pid", *pid)]),
            InertKind::ReadOnly { target } => ("readonly", vec![("target", *target)]),
            InertKind::Extension { code } => {
                assert_eq!(entry["code"].as_i64(), Some(i64::from(*code)), "{at}");
                ("extension", vec![])
            }
            InertKind::Buffer { index, readonly } => {
                assert_eq!(
                    (entry["index"].as_u64(), entry["readonly"].as_bool()),
                    (Some(*index), Some(*readonly)),
                    "{at}"
                );
                ("buffer", vec![])
            }
        };
        assert_eq!(entry["type"].as_str(), Some(kind), "{at}");
        assert_eq!(entry["offset"].as_u64(), Some(inert.offset), "{at}");
        for (name, value) in fields {
            self.value(&entry[name], value, &format!("{at}.{name}"));
        }
        let mutations = entry["mutations"].as_array().expect("mutations");
        assert_eq!(mutations.len(), inert.mutations.len(), "{at}");
        for (json, mutation) in mutations.iter().zip(&inert.mutations) {
            assert_eq!(json["op"].as_str(), Some(mutation.name()), "{at}");
            match mutation {
                Mutation::Build(state) => self.value(&json["state"], *state, at),
                Mutation::Append(items) | Mutation::AddItems(items) => {
                    self.values(&json["items"], items, at)
                }
                Mutation::SetItems(pairs) => self.pairs(&json["items"], pairs, at),
            }
        }
    }

    fn effects(&mut self, doc: &Json) {
        let effects = doc["effects"].as_array().expect("effects");
        assert_eq!(effects.len(), self.pickle.effects().len());
        for (json, effect) in effects.iter().zip(self.pickle.effects()) {
            self.value(&json["value"], effect.value, "effect");
            assert_eq!(json["offset"].as_u64(), Some(effect.offset));
            assert_eq!(json["opcode"].as_str(), Some(effect.opcode.name()));
        }
    }
}

fn unbase64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let digits: Vec<u32> = text
        .bytes()
        .filter(|&b| b != b'=')
        .map(|b| ALPHABET.iter().position(|&a| a == b).expect("base64 digit") as u32)
        .collect();
    let mut out = Vec::new();
    for group in digits.chunks(4) {
        let bits = group
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, d)| acc | d << (18 - 6 * i));
        out.extend(&bits.to_be_bytes()[1..group.len()]);
    }
    out
}

/// Parses a stream of documents, one per pickle.
fn documents(text: &str) -> Vec<Json> {
    serde_json::Deserializer::from_str(text)
        .into_iter::<Json>()
        .map(|d| d.expect("valid JSON"))
        .collect()
}

fn check_file(path: &std::path::Path) {
    let bytes = std::fs::read(path).unwrap();
    let name = fixture_name(path);
    for result in load_all(&bytes) {
        let mut out = Vec::new();
        match &result {
            Ok(pickle) => write_json(pickle, Some(&name), &mut out).unwrap(),
            Err(failure) => write_failure_json(failure, Some(&name), &mut out).unwrap(),
        }
        let docs = documents(std::str::from_utf8(&out).expect("UTF-8"));
        assert_eq!(docs.len(), 1, "{name}");
        let doc = &docs[0];
        assert_eq!(doc["file"].as_str(), Some(name.as_str()));
        match &result {
            Ok(pickle) => {
                let mut starts = vec![pickle.root()];
                starts.extend(pickle.effects().iter().map(|e| e.value));
                let mut checker = Checker::new(pickle, &starts);
                checker.value(&doc["root"], pickle.root(), "root");
                checker.effects(doc);
                checker.table(doc);
            }
            Err(failure) => {
                let pickle = &failure.partial;
                let mut starts = failure.stack.clone();
                starts.extend(failure.memo.iter().map(|m| m.1));
                starts.extend(pickle.effects().iter().map(|e| e.value));
                let mut checker = Checker::new(pickle, &starts);
                assert_eq!(
                    doc["error"]["offset"].as_u64(),
                    Some(failure.error.offset()),
                    "{name}"
                );
                checker.values(&doc["stack"], &failure.stack, "stack");
                let memo = doc["memo"].as_array().expect("memo");
                for (json, &(key, value)) in memo.iter().zip(&failure.memo) {
                    assert_eq!(json[0].as_u64(), Some(key));
                    checker.value(&json[1], value, "memo");
                }
                checker.effects(doc);
                checker.table(doc);
            }
        }
    }
}

#[test]
fn every_fixture_rebuilds_the_same_graph_from_its_json() {
    let paths = fixture_pickles();
    assert!(paths.len() > 100, "fixtures missing");
    for path in paths {
        check_file(&path);
    }
}

#[test]
fn the_seed_example_as_json_matches_its_snapshot() {
    let path = repo().join("examples/seed_main.pkl");
    let bytes = std::fs::read(&path).unwrap();
    insta::assert_snapshot!(
        "json_seed_main",
        to_json(&load(&bytes).unwrap(), Some("examples/seed_main.pkl"))
    );
}

#[test]
fn shared_nodes_and_cycles_refer_to_each_other_by_id() {
    // l = []; l.append(l); [l, l]
    let doc: Json =
        serde_json::from_str(&to_json(&load(b"(]q\x00h\x00ah\x00l.").unwrap(), None)).unwrap();
    assert_eq!(doc["root"], serde_json::json!({"ref": 1}));
    assert_eq!(doc["nodes"][0]["items"], serde_json::json!([{"ref": 0}]));
    assert_eq!(
        doc["nodes"][1]["items"],
        serde_json::json!([{"ref": 0}, {"ref": 0}])
    );
}

#[test]
fn scalars_json_cannot_hold_are_tagged() {
    // [2**60, nan, -inf, 1.0, 'a\ud800', b'\x00\xff', 2**70]
    let pickle = b"\x80\x02(\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x10G\x7f\xf8\x00\x00\x00\x00\x00\x00\
        G\xff\xf0\x00\x00\x00\x00\x00\x00G?\xf0\x00\x00\x00\x00\x00\x00X\x04\x00\x00\x00a\xed\xa0\x80\
        C\x02\x00\xff\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x40l.";
    let pickle = load(pickle).unwrap_or_else(|e| panic!("{e}"));
    let doc: Json = serde_json::from_str(&to_json(&pickle, None)).unwrap();
    assert_eq!(
        doc["nodes"][0]["items"],
        serde_json::json!([
            {"int": "1152921504606846976"},
            {"float": "nan"},
            {"float": "-inf"},
            1.0,
            {"str_surrogatepass": "61eda080"},
            {"bytes": "AP8="},
            {"int": "1180591620717411303424"}
        ])
    );
    assert!(
        to_json(&pickle, None).contains(",1.0,"),
        "a float is written with its point"
    );
}

#[test]
fn a_malformed_pickle_writes_its_error_stack_and_memo() {
    let failure = picklegraph::load_at(b"(K\x01K\x02l\x94R", 0, &Default::default()).unwrap_err();
    let mut out = Vec::new();
    write_failure_json(&failure, None, &mut out).unwrap();
    let doc: Json = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        doc["error"],
        serde_json::json!({"offset": 7, "opcode": "REDUCE", "message": "unpickling stack underflow"})
    );
    assert_eq!(doc["root"], Json::Null);
    assert_eq!(doc["stack"], serde_json::json!([{"ref": 0}]));
    assert_eq!(doc["memo"], serde_json::json!([[0, {"ref": 0}]]));
}

#[test]
fn a_million_nested_lists_write_in_bounded_stack_and_linear_output() {
    let counted = within(120, || {
        let bytes = deep_list_pickle(1_000_000);
        let pickle = load(&bytes).unwrap();
        let mut counter = Counter::default();
        write_json(&pickle, None, &mut counter).unwrap();
        counter
    });
    assert!(
        counted.lines > 1_000_000 && counted.bytes < 60_000_000,
        "{counted:?}"
    );
}

#[test]
fn the_memo_bomb_writes_linear_json() {
    let text = within(30, || {
        let bytes = memo_bomb_pickle(40);
        to_json(&load(&bytes).unwrap(), None)
    });
    assert!(text.len() < 3000, "{} bytes", text.len());
    let doc: Json = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["nodes"].as_array().map(Vec::len), Some(41));
}
