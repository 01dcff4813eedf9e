//! The pass that runs every recognizer over a graph and keeps what they find.
//!
//! Each node is looked at once, in arena order, by the cloudpickle, dill and standard
//! library recognizers; a recognizer reads only the node and the few values its pattern
//! names (a call's arguments, the calls made on the node's result), so the pass takes
//! time linear in the graph. A recognizer that finds its library's callee but not the
//! rest of the pattern answers nothing, and the node keeps its raw form.

use std::cell::RefCell;
use std::collections::HashMap;

use super::model::Recognized;
use super::view;
use super::{cloudpickle, dill, stdlib};
use crate::graph::{InertKind, Node, NodeId, Pickle, Value};

/// What a recognizer found at a node: its description, and the other nodes the
/// description accounts for (a class's `_class_setstate(cls, state)` call, say).
#[derive(Debug)]
pub(crate) struct Found {
    pub what: Recognized,
    /// Calls whose whole effect the description shows.
    pub state_calls: Vec<NodeId>,
    /// Calls that return the recognized object itself (cloudpickle 1.x's
    /// `_rehydrate_skeleton_class(cls, …)`).
    pub aliases: Vec<NodeId>,
}

impl Found {
    pub fn new(what: Recognized) -> Found {
        Found {
            what,
            state_calls: Vec::new(),
            aliases: Vec::new(),
        }
    }
}

/// The graph, with indexes the recognizers share.
pub(crate) struct Context<'p, 'a> {
    pub pickle: &'p Pickle<'a>,
    /// For each node, the call nodes whose first argument it is, in arena order.
    callers: HashMap<NodeId, Vec<NodeId>>,
    /// For each call node the pickle discarded, its index among the effects.
    effect_of: HashMap<NodeId, usize>,
    /// Whether a dict's keys (or a tuple's items) are all strs, for nodes already asked
    /// about: many patterns may share one big container, and each is checked once.
    all_str: RefCell<HashMap<NodeId, bool>>,
}

impl<'p, 'a> Context<'p, 'a> {
    pub fn new(pickle: &'p Pickle<'a>) -> Context<'p, 'a> {
        let mut callers: HashMap<NodeId, Vec<NodeId>> = HashMap::new();
        for (index, node) in pickle.nodes().enumerate() {
            let Node::Inert(inert) = node else { continue };
            let InertKind::Call { args, .. } = inert.kind else {
                continue;
            };
            if let Some(Value::Node(first)) =
                view::tuple(pickle, args).and_then(|items| items.first())
            {
                callers
                    .entry(first)
                    .or_default()
                    .push(NodeId::from_index(index));
            }
        }
        let effect_of = pickle
            .effects()
            .iter()
            .enumerate()
            .filter_map(|(index, effect)| Some((effect.value.node()?, index)))
            .collect();
        Context {
            pickle,
            callers,
            effect_of,
            all_str: RefCell::new(HashMap::new()),
        }
    }

    /// Whether a value is a dict whose keys are all strs (checked once per node).
    pub fn is_str_dict(&self, value: Value) -> bool {
        view::dict(self.pickle, value).is_some() && self.all_str(value)
    }

    /// Whether a value is `None` or a dict whose keys are all strs.
    pub fn is_str_dict_or_none(&self, value: Value) -> bool {
        value == Value::None || self.is_str_dict(value)
    }

    /// Whether a value is a tuple of strs (checked once per node).
    pub fn is_str_tuple(&self, value: Value) -> bool {
        view::tuple(self.pickle, value).is_some() && self.all_str(value)
    }

    /// `Some(())` when `ok`: for `?` in recognizers.
    pub fn check(ok: bool) -> Option<()> {
        ok.then_some(())
    }

    fn all_str(&self, value: Value) -> bool {
        let Some(id) = value.node() else { return false };
        if let Some(&known) = self.all_str.borrow().get(&id) {
            return known;
        }
        let pickle = self.pickle;
        let known = match pickle.node(id) {
            Node::Dict(entries) => entries
                .iter()
                .all(|(key, _)| view::str(pickle, key).is_some()),
            Node::Tuple(items) => items.iter().all(|item| view::str(pickle, item).is_some()),
            _ => false,
        };
        self.all_str.borrow_mut().insert(id, known);
        known
    }

    /// The calls made with `id` as first argument, in arena order.
    pub fn calls_on(&self, id: NodeId) -> &[NodeId] {
        self.callers.get(&id).map_or(&[], Vec::as_slice)
    }

    /// The effect index of a discarded call.
    pub fn effect_index(&self, call: NodeId) -> Option<usize> {
        self.effect_of.get(&call).copied()
    }

    /// The effect indexes among `calls`, in order.
    pub fn effects_among(&self, calls: &[NodeId]) -> Vec<usize> {
        let mut effects: Vec<usize> = calls
            .iter()
            .filter_map(|&call| self.effect_index(call))
            .collect();
        effects.sort_unstable();
        effects
    }
}

/// The description of every node a recognizer knows (a map: most nodes have none).
pub(crate) fn recognize_all(pickle: &Pickle<'_>) -> HashMap<NodeId, Recognized> {
    let mut found: HashMap<NodeId, Recognized> = HashMap::new();
    if pickle.inert_count() == 0 {
        // Every pattern known is a call or an instance: plain data has none.
        return found;
    }
    let context = Context::new(pickle);
    let mut explained: Vec<(NodeId, Recognized)> = Vec::new();
    for (index, node) in pickle.nodes().enumerate() {
        if !matches!(node, Node::Inert(_)) {
            continue;
        }
        let id = NodeId::from_index(index);
        let Some(hit) = recognize_node(&context, id) else {
            continue;
        };
        explained.extend(
            hit.state_calls
                .iter()
                .map(|&call| (call, Recognized::StateOf(id))),
        );
        explained.extend(
            hit.aliases
                .iter()
                .map(|&call| (call, Recognized::SameAs(id))),
        );
        found.insert(id, hit.what);
    }
    for (call, what) in explained {
        found.entry(call).or_insert(what);
    }
    found
}

fn recognize_node(context: &Context<'_, '_>, id: NodeId) -> Option<Found> {
    cloudpickle::recognize(context, id)
        .or_else(|| dill::recognize(context, id))
        .or_else(|| stdlib::recognize(context, id))
}
