//! The `collections` module's types, as their reducers write them: `OrderedDict()` and
//! `defaultdict(factory)` (or `defaultdict()` for a `None` factory) filled by
//! `SETITEMS`, `Counter(dict)`, `deque()` or `deque((), maxlen)` filled by `APPENDS`.

use std::cmp::Ordering;

use super::StdValue;
use crate::graph::{Mutation, Node, Pickle, Value};
use crate::python::view::{self, CallView};

/// A `Counter`'s items in the order its repr lists them (`most_common()`'s: by count,
/// largest first, ties in insertion order), or in insertion order when its counts do
/// not compare.
#[derive(Debug, Clone, PartialEq)]
pub struct Counter {
    /// The items, in the repr's order.
    pub items: Vec<(Value, Value)>,
}

pub(super) fn recognize(pickle: &Pickle<'_>, name: &str, call: &CallView<'_>) -> Option<StdValue> {
    let args = call.args.to_vec();
    match (name, args.as_slice()) {
        ("OrderedDict", []) => Some(StdValue::OrderedDict(set_items(pickle, call)?)),
        ("defaultdict", []) => Some(StdValue::DefaultDict {
            factory: None,
            items: set_items(pickle, call)?,
        }),
        // The factory must be callable or None: only something the pickle makes can be
        // callable.
        ("defaultdict", &[factory]) => Some(StdValue::DefaultDict {
            factory: match factory {
                Value::None => None,
                _ => Some(Some(factory).filter(|&f| view::inert(pickle, f).is_some())?),
            },
            items: set_items(pickle, call)?,
        }),
        ("Counter", &[counts]) if call.mutations.is_empty() => {
            let entries = view::dict(pickle, counts)?;
            Some(StdValue::Counter(Counter {
                items: most_common(entries.to_vec())?,
            }))
        }
        ("deque", []) => deque(call, None),
        ("deque", &[iterable, maxlen]) if view::tuple(pickle, iterable)?.is_empty() => match maxlen
        {
            Value::None => deque(call, None),
            Value::Int(n) => deque(call, Some(u64::try_from(n).ok()?)),
            _ => None,
        },
        _ => None,
    }
}

/// The pairs `SETITEMS` stored, when they are the only mutations and no two keys are
/// equal (a later equal key would replace an earlier one's value in place; CPython
/// never writes that, so it is not modelled).
fn set_items(pickle: &Pickle<'_>, call: &CallView<'_>) -> Option<Vec<(Value, Value)>> {
    let mut items = Vec::new();
    for mutation in call.mutations {
        let Mutation::SetItems(pairs) = mutation else {
            return None;
        };
        items.extend_from_slice(pairs);
    }
    let mut keys: Vec<KeyOf> = items.iter().map(|&(k, _)| key_of(pickle, k)).collect();
    let count = keys.len();
    keys.sort_unstable();
    keys.dedup();
    (keys.len() == count).then_some(items)
}

/// A key as `==` compares it, for the scalars, strs and bytes that keys mostly are;
/// any other object by identity.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum KeyOf {
    None,
    Number(i64),
    Float(u64),
    Text(String),
    Bytes(Vec<u8>),
    Node(u32),
}

fn key_of(pickle: &Pickle<'_>, key: Value) -> KeyOf {
    match key {
        Value::None => KeyOf::None,
        Value::Bool(b) => KeyOf::Number(i64::from(b)),
        Value::Int(v) => KeyOf::Number(v),
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e18 => KeyOf::Number(f as i64),
        Value::Float(f) => KeyOf::Float(f.to_bits()),
        Value::Node(id) => match pickle.node(id) {
            Node::Str(text) => KeyOf::Text(text.to_string_lossy().into_owned()),
            Node::Bytes(bytes) => KeyOf::Bytes(bytes.to_vec()),
            _ => KeyOf::Node(id.index() as u32),
        },
    }
}

/// `deque(…, maxlen)` then `APPENDS`: with a maximum length, each append past it drops
/// the leftmost item.
fn deque(call: &CallView<'_>, maxlen: Option<u64>) -> Option<StdValue> {
    let mut items = Vec::new();
    for mutation in call.mutations {
        let Mutation::Append(more) = mutation else {
            return None;
        };
        items.extend_from_slice(more);
    }
    if let Some(max) = maxlen {
        let keep = usize::try_from(max).unwrap_or(usize::MAX).min(items.len());
        items.drain(..items.len() - keep);
    }
    Some(StdValue::Deque { items, maxlen })
}

/// `dict(self.most_common())`'s order: a stable sort by count, largest first, when
/// every count is a number and none is a NaN (a NaN makes the order depend on the sort's
/// steps); `None` when the counts do not compare as plain numbers, where Python's order
/// would depend on which pairs its sort compares.
fn most_common(mut items: Vec<(Value, Value)>) -> Option<Vec<(Value, Value)>> {
    let mut counts = Vec::with_capacity(items.len());
    for &(_, count) in &items {
        counts.push(match count {
            Value::Bool(b) => f64::from(u8::from(b)),
            Value::Int(v) if v.unsigned_abs() <= 1 << 53 => v as f64,
            Value::Float(f) if !f.is_nan() => f,
            _ => return None,
        });
    }
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&a, &b| counts[b].partial_cmp(&counts[a]).unwrap_or(Ordering::Equal));
    let sorted = order.iter().map(|&i| items[i]).collect();
    items.clear();
    Some(sorted)
}
