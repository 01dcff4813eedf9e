//! The direct build (`load_into`) against the graph's load on the same bytes: wherever the
//! graph loads plain data, the direct build makes the same values (shared objects, cycles,
//! merged dict keys and set members, in order) or stops at a global it leaves to the
//! graph; wherever the direct build makes a value, the graph loads one; a malformed
//! input is refused by both. A builder of `Rc` objects here stands for the Python one,
//! with Python's equality of keys.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::vec::Drain;

use num_bigint::BigInt;
use num_traits::FromPrimitive;
use picklegraph::{load_into, Build, BuildError, LoadOptions, Node, NodeId, Pickle, PyStr, Value};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

use super::properties::{model, shared_lists, Writer};

#[derive(Debug)]
enum Obj {
    None,
    Bool(bool),
    Int(i64),
    Big(BigInt),
    Float(f64),
    Str(Vec<u8>),
    Bytes(Vec<u8>),
    ByteArray(Vec<u8>),
    List(RefCell<Vec<O>>),
    Tuple(Vec<O>),
    Dict(RefCell<Vec<(O, O)>>),
    Set(RefCell<Vec<O>>),
    FrozenSet(Vec<O>),
}

type O = Rc<Obj>;

/// A key or member that Python cannot hash.
#[derive(Debug)]
struct Unhashable;

/// What Python's `==` between keys looks at (identity first, as dicts compare).
#[derive(Debug)]
enum Key {
    None,
    Int(BigInt),
    Float(u64),
    Nan,
    Str(Vec<u8>),
    Bytes(Vec<u8>),
    Tuple(Vec<Key>),
    FrozenSet(Vec<Key>),
}

fn key(object: &O) -> Result<Key, Unhashable> {
    Ok(match &**object {
        Obj::None => Key::None,
        Obj::Bool(b) => Key::Int(BigInt::from(u8::from(*b))),
        Obj::Int(v) => Key::Int(BigInt::from(*v)),
        Obj::Big(v) => Key::Int(v.clone()),
        Obj::Float(f) if f.is_nan() => Key::Nan,
        Obj::Float(f) if f.fract() == 0.0 => Key::Int(BigInt::from_f64(*f).ok_or(Unhashable)?),
        Obj::Float(f) => Key::Float(f.to_bits()),
        Obj::Str(text) => Key::Str(text.clone()),
        Obj::Bytes(bytes) => Key::Bytes(bytes.clone()),
        Obj::Tuple(items) => Key::Tuple(items.iter().map(key).collect::<Result<_, _>>()?),
        Obj::FrozenSet(items) => Key::FrozenSet(items.iter().map(key).collect::<Result<_, _>>()?),
        Obj::List(_) | Obj::Dict(_) | Obj::Set(_) | Obj::ByteArray(_) => return Err(Unhashable),
    })
}

fn same_key(a: &Key, b: &Key) -> bool {
    match (a, b) {
        (Key::None, Key::None) => true,
        (Key::Int(a), Key::Int(b)) => a == b,
        (Key::Float(a), Key::Float(b)) => f64::from_bits(*a) == f64::from_bits(*b),
        // CPython finds a NaN key that is the very same object (a memo get of it) and
        // merges it, and so does the Python builder; the graph keeps floats inline, with
        // no identity, so to it a NaN equals nothing: `{nan: 1, nan: 2}` where
        // `pickle.loads` gives `{nan: 2}`. This builder follows the graph there, as the
        // one known difference.
        (Key::Nan, Key::Nan) => false,
        (Key::Str(a), Key::Str(b)) | (Key::Bytes(a), Key::Bytes(b)) => a == b,
        (Key::Tuple(a), Key::Tuple(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same_key(a, b))
        }
        (Key::FrozenSet(a), Key::FrozenSet(b)) => {
            a.len() == b.len() && a.iter().all(|a| b.iter().any(|b| same_key(a, b)))
        }
        _ => false,
    }
}

/// Adds `item` to a set's members unless an equal one is there.
fn add_member(members: &mut Vec<O>, item: O) -> Result<(), Unhashable> {
    let wanted = key(&item)?;
    for member in members.iter() {
        if same_key(&key(member)?, &wanted) {
            return Ok(());
        }
    }
    members.push(item);
    Ok(())
}

struct Objects;

impl Build for Objects {
    type Object = O;
    type Error = Unhashable;

    fn none(&mut self) -> Result<O, Unhashable> {
        Ok(Rc::new(Obj::None))
    }
    fn bool(&mut self, value: bool) -> Result<O, Unhashable> {
        Ok(Rc::new(Obj::Bool(value)))
    }
    fn int(&mut self, value: i64) -> Result<O, Unhashable> {
        Ok(Rc::new(Obj::Int(value)))
    }
    fn big_int(&mut self, value: &BigInt) -> Result<O, Unhashable> {
        Ok(Rc::new(Obj::Big(value.clone())))
    }
    fn float(&mut self, value: f64) -> Result<O, Unhashable> {
        Ok(Rc::new(Obj::Float(value)))
    }
    fn str(&mut self, utf8: &[u8]) -> Result<Option<O>, Unhashable> {
        let valid = PyStr::from_utf8_surrogatepass(utf8).is_ok();
        Ok(valid.then(|| Rc::new(Obj::Str(utf8.to_vec()))))
    }
    fn bytes(&mut self, bytes: &[u8]) -> Result<O, Unhashable> {
        Ok(Rc::new(Obj::Bytes(bytes.to_vec())))
    }
    fn byte_array(&mut self, bytes: &[u8]) -> Result<O, Unhashable> {
        Ok(Rc::new(Obj::ByteArray(bytes.to_vec())))
    }
    fn list(&mut self, items: Drain<'_, O>) -> Result<O, Unhashable> {
        Ok(Rc::new(Obj::List(RefCell::new(items.collect()))))
    }
    fn tuple(&mut self, items: Drain<'_, O>) -> Result<O, Unhashable> {
        Ok(Rc::new(Obj::Tuple(items.collect())))
    }
    fn dict(&mut self) -> Result<O, Unhashable> {
        Ok(Rc::new(Obj::Dict(RefCell::new(Vec::new()))))
    }
    fn set(&mut self) -> Result<O, Unhashable> {
        Ok(Rc::new(Obj::Set(RefCell::new(Vec::new()))))
    }
    fn frozen_set(&mut self, items: Drain<'_, O>) -> Result<O, Unhashable> {
        let mut members = Vec::new();
        for item in items {
            add_member(&mut members, item)?;
        }
        Ok(Rc::new(Obj::FrozenSet(members)))
    }
    fn append(&mut self, list: &O, items: Drain<'_, O>) -> Result<bool, Unhashable> {
        let Obj::List(list) = &**list else {
            return Ok(false);
        };
        list.borrow_mut().extend(items);
        Ok(true)
    }
    fn set_items(&mut self, dict: &O, mut items: Drain<'_, O>) -> Result<bool, Unhashable> {
        let Obj::Dict(entries) = &**dict else {
            return Ok(false);
        };
        while let (Some(k), Some(v)) = (items.next(), items.next()) {
            let wanted = key(&k)?;
            let mut entries = entries.borrow_mut();
            let mut found = None;
            for (index, (old, _)) in entries.iter().enumerate() {
                if same_key(&key(old)?, &wanted) {
                    found = Some(index);
                    break;
                }
            }
            match found {
                Some(index) => entries[index].1 = v,
                None => entries.push((k, v)),
            }
        }
        Ok(true)
    }
    fn add_items(&mut self, set: &O, items: Drain<'_, O>) -> Result<bool, Unhashable> {
        let Obj::Set(members) = &**set else {
            return Ok(false);
        };
        for item in items {
            add_member(&mut members.borrow_mut(), item)?;
        }
        Ok(true)
    }
}

/// Whether `built` is the graph's `value`: equal scalars, containers of the same kind
/// with the same items in order, and one object for each node (sharing and cycles).
fn same(pickle: &Pickle<'_>, built: &O, value: Value) -> Result<(), String> {
    let mut objects: HashMap<*const Obj, NodeId> = HashMap::new();
    let mut nodes: HashMap<NodeId, *const Obj> = HashMap::new();
    let mut work = vec![(built.clone(), value)];
    while let Some((object, value)) = work.pop() {
        let differ = || format!("{object:?} is not {value:?}");
        let id = match (&*object, value) {
            (Obj::None, Value::None) => continue,
            (Obj::Bool(a), Value::Bool(b)) if *a == b => continue,
            (Obj::Int(a), Value::Int(b)) if *a == b => continue,
            (Obj::Float(a), Value::Float(b)) if a.to_bits() == b.to_bits() => continue,
            (_, Value::Node(id)) => id,
            _ => return Err(differ()),
        };
        let pointer = Rc::as_ptr(&object);
        match (objects.get(&pointer), nodes.get(&id)) {
            (Some(&seen), _) if seen == id => continue,
            (None, None) => {
                objects.insert(pointer, id);
                nodes.insert(id, pointer);
            }
            _ => return Err(format!("{value:?} shared as the graph does not share it")),
        }
        let pairs = |items: &[O], graph: Vec<Value>| {
            (items.len() == graph.len())
                .then(|| items.iter().cloned().zip(graph).collect::<Vec<_>>())
        };
        let children = match (&*object, pickle.node(id)) {
            (Obj::Big(a), Node::BigInt(b)) if a == b => Some(Vec::new()),
            (Obj::Str(a), Node::Str(b)) if a[..] == *b.as_bytes() => Some(Vec::new()),
            (Obj::Bytes(a), Node::Bytes(b)) | (Obj::ByteArray(a), Node::ByteArray(b))
                if a[..] == *b =>
            {
                Some(Vec::new())
            }
            (Obj::List(a), Node::List(b)) | (Obj::Set(a), Node::Set(b)) => {
                pairs(&a.borrow(), b.to_vec())
            }
            (Obj::Tuple(a), Node::Tuple(b)) | (Obj::FrozenSet(a), Node::FrozenSet(b)) => {
                pairs(a, b.to_vec())
            }
            (Obj::Dict(a), Node::Dict(b)) => {
                let flat: Vec<O> = (a.borrow().iter())
                    .flat_map(|(k, v)| [k.clone(), v.clone()])
                    .collect();
                let graph: Vec<Value> = b.iter().flat_map(|(k, v)| [k, v]).collect();
                pairs(&flat, graph)
            }
            _ => None,
        };
        work.extend(children.ok_or_else(differ)?);
    }
    Ok(())
}

/// The two loads of `input` agree (see the module documentation).
fn agree(input: &[u8]) -> Result<(), TestCaseError> {
    let graph = picklegraph::load(input);
    match load_into(input, &LoadOptions::default(), &mut Objects) {
        Ok(built) => {
            let pickle = graph.map_err(|e| {
                TestCaseError::fail(format!("the graph refuses what was built: {e}"))
            })?;
            prop_assert_eq!(built.end, pickle.span().1);
            same(&pickle, &built.root, pickle.root()).map_err(TestCaseError::fail)?;
        }
        Err(BuildError::Build(Unhashable)) => {
            let error = graph.err().map(|e| e.kind().clone());
            prop_assert!(
                matches!(error, Some(picklegraph::ErrorKind::Unhashable(_))),
                "the graph gives {:?} for an unhashable key",
                error
            );
        }
        Err(BuildError::Load(error)) => prop_assert!(
            graph.is_err(),
            "the graph loads what the direct build refuses: {}",
            error
        ),
        Err(BuildError::NotPlain { .. }) => {}
    }
    Ok(())
}

/// Scalars, each pushing one value: ints, floats (NaN too) and bools that compare equal
/// as keys (1, 1.0, True), strs, bytes, bytearrays, Python 2 strings, big ints, and
/// memo gets (of keys that may not be there, or hold the container being filled).
const SCALARS: &[&[u8]] = &[
    b"K\x01",
    b"K\x02",
    b"G?\xf0\x00\x00\x00\x00\x00\x00",
    b"G\x7f\xf8\x00\x00\x00\x00\x00\x00",
    b"\x88",
    b"\x89",
    b"N",
    b"\x8c\x01a",
    b"\x8c\x01b",
    b"C\x01a",
    b"\x96\x01\x00\x00\x00\x00\x00\x00\x00b",
    b"I01\n",
    b"L1L\n",
    b"\x8a\x01\x01",
    b"\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01",
    b"S'a'\n",
    b"Vb\n",
    b"F1.0\n",
    b"h\x00",
    b"h\x01",
    b"h\x02",
    b"g3\n",
    b"j\x00\x00\x00\x00",
];

/// Opcodes that push one value: a scalar, or a container of such values in one of the
/// ways picklers write it, maybe memoized, maybe duplicated or popped around.
fn one_value() -> impl Strategy<Value = Vec<u8>> {
    let scalar = proptest::sample::select(SCALARS).prop_map(<[u8]>::to_vec);
    scalar.prop_recursive(4, 48, 5, |inner| {
        let items = proptest::collection::vec(inner.clone(), 0..5);
        let pairs = proptest::collection::vec((inner.clone(), inner.clone()), 0..4);
        let joined = |parts: Vec<Vec<u8>>| parts.concat();
        prop_oneof![
            // Lists: EMPTY_LIST, MEMOIZE, MARK … APPENDS; or APPEND after each; or LIST.
            items
                .clone()
                .prop_map(move |v| [b"]\x94(".to_vec(), joined(v), b"e".to_vec()].concat()),
            items.clone().prop_map(|v| {
                let mut out = b"]".to_vec();
                for item in v {
                    out.extend(item);
                    out.push(b'a');
                }
                out
            }),
            items
                .clone()
                .prop_map(move |v| [b"(".to_vec(), joined(v), b"l".to_vec()].concat()),
            // Tuples: MARK … TUPLE, TUPLE1-3, EMPTY_TUPLE.
            items
                .clone()
                .prop_map(move |v| [b"(".to_vec(), joined(v), b"t".to_vec()].concat()),
            proptest::collection::vec(inner.clone(), 1..4).prop_map(|v| {
                let op = [0x85u8, 0x86, 0x87][v.len() - 1];
                [v.concat(), vec![op]].concat()
            }),
            Just(b")".to_vec()),
            // Dicts: SETITEMS, SETITEM after each pair, DICT.
            pairs.clone().prop_map(|v| {
                let flat: Vec<u8> = v.into_iter().flat_map(|(k, x)| [k, x].concat()).collect();
                [b"}\x94(".to_vec(), flat, b"u".to_vec()].concat()
            }),
            pairs.clone().prop_map(|v| {
                let mut out = b"}".to_vec();
                for (k, x) in v {
                    out.extend(k);
                    out.extend(x);
                    out.push(b's');
                }
                out
            }),
            pairs.prop_map(|v| {
                let flat: Vec<u8> = v.into_iter().flat_map(|(k, x)| [k, x].concat()).collect();
                [b"(".to_vec(), flat, b"d".to_vec()].concat()
            }),
            // Sets and frozensets.
            items
                .clone()
                .prop_map(move |v| [b"\x8f\x94(".to_vec(), joined(v), b"\x90".to_vec()].concat()),
            items.prop_map(move |v| [b"(".to_vec(), joined(v), b"\x91".to_vec()].concat()),
            // A value memoized, duplicated into a pair, or pushed and popped before another.
            inner.clone().prop_map(|v| [v, b"\x94".to_vec()].concat()),
            inner.clone().prop_map(|v| [v, b"2\x86".to_vec()].concat()),
            (inner.clone(), inner).prop_map(|(a, b)| [a, b"0".to_vec(), b].concat()),
        ]
    })
}

fn plain_opcodes() -> impl Strategy<Value = Vec<u8>> {
    one_value().prop_map(|value| [b"\x80\x04".to_vec(), value, b".".to_vec()].concat())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2048,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/direct.txt"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_plain_opcodes_build_as_the_graph_loads(input in plain_opcodes()) {
        agree(&input)?;
    }

    #[test]
    fn arbitrary_bytes_build_as_the_graph_loads(input in proptest::collection::vec(any::<u8>(), 0..256)) {
        agree(&input)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/direct.txt"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn written_and_mutated_values_build_as_the_graph_loads(value in model(), shared in shared_lists(), protocol in 0u8..=5, flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..3)) {
        let mut bytes = Writer::pickle(&value, &shared, protocol);
        agree(&bytes)?;
        for (index, byte) in flips {
            let i = index.index(bytes.len());
            bytes[i] = byte;
        }
        agree(&bytes)?;
    }
}

#[test]
fn a_list_that_holds_itself_is_one_object() {
    let built = load_into(
        b"\x80\x02]q\x00h\x00a.",
        &LoadOptions::default(),
        &mut Objects,
    )
    .expect("plain data");
    let Obj::List(items) = &*built.root else {
        panic!("not a list: {:?}", built.root)
    };
    assert!(Rc::ptr_eq(&items.borrow()[0], &built.root));
    assert_eq!(built.end, 9);
}

#[test]
fn a_global_is_left_to_the_graph_at_its_offset() {
    let built = load_into(
        b"\x80\x02]cos\nsystem\n.",
        &LoadOptions::default(),
        &mut Objects,
    );
    assert!(matches!(
        built,
        Err(BuildError::NotPlain {
            offset: 3,
            opcode: picklegraph::Opcode::Global
        })
    ));
}

#[test]
fn a_memoized_nan_key_is_one_key_to_the_graph_only_as_separate_nans() {
    // {nan: 1, nan: 2} with both keys the same memoized float: the graph keeps two
    // entries (see `same_key`), and the direct build agrees with it under this builder.
    let data = b"\x80\x02}(G\x7f\xf8\x00\x00\x00\x00\x00\x00q\x00K\x01h\x00K\x02u.";
    agree(data).expect("the two loads agree");
    let pickle = picklegraph::load(data).expect("plain data");
    let Node::Dict(entries) = pickle.node(pickle.root().node().expect("a dict")) else {
        panic!("not a dict")
    };
    assert_eq!(entries.len(), 2);
}
