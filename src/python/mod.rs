//! Knowledge of Python itself: how Python 3 reads Python 2 names, the recognizers that
//! describe what cloudpickle, dill and the standard library's machinery ship, and what
//! numpy, pandas and PyTorch objects look like once pickled ([`numpy`], [`pandas`],
//! [`torch`]).
//!
//! Recognizers read the graph and never change it. [`Recognition::new`] runs them all
//! once over a pickle and keeps a description of each node whose whole pattern they
//! know: a class or function shipped by value (with its code object, signature and
//! source location), a cell, a module import, an instance made by `NEWOBJ`, a
//! `functools.partial`, … A pattern that matches only in part is not described, so the
//! node keeps its raw form. The views (`crate::render`) print what they found.
//!
//! ```
//! use picklegraph::python::{Recognition, Recognized};
//! // cloudpickle.cloudpickle.subimport('math')
//! let pickle = picklegraph::load(b"ccloudpickle.cloudpickle\nsubimport\nX\x04\x00\x00\x00math\x85R.")?;
//! let recognition = Recognition::new(&pickle);
//! let root = pickle.root().node().unwrap();
//! assert!(matches!(recognition.get(root), Some(Recognized::Module { .. })));
//! # Ok::<(), picklegraph::Error>(())
//! ```

pub mod arrow;
pub mod boosters;
mod cloudpickle;
pub mod code;
pub mod datetime64;
mod dill;
mod function;
pub mod model;
pub mod names;
pub mod nn;
pub mod numpy;
pub mod pandas;
pub mod pandas_era;
pub mod pandas_values;
pub mod pandas_zone;
mod recognize;
pub mod sklearn;
pub mod sparse;
mod stdlib;
pub mod tensor_data;
pub mod torch;
pub mod torch_kinds;
pub mod values;
pub mod view;

use std::collections::HashMap;

pub use model::{
    CellDef, ClassDef, CollectionDef, DescriptorDef, FunctionDef, InstanceDef, Library, PartialDef,
    Recognized,
};

use crate::graph::{NodeId, Pickle};

/// What the recognizers found in one pickle: a description for each node whose pattern
/// they know, and which of the pickle's effects those descriptions account for.
#[derive(Debug, Clone, Default)]
pub struct Recognition {
    found: HashMap<NodeId, Recognized>,
}

impl Recognition {
    /// Runs every recognizer over `pickle`, in time linear in its size.
    pub fn new(pickle: &Pickle<'_>) -> Recognition {
        Recognition {
            found: recognize::recognize_all(pickle),
        }
    }

    /// The description of a node, if a recognizer knows its pattern.
    pub fn get(&self, id: NodeId) -> Option<&Recognized> {
        self.found.get(&id)
    }

    /// The node a description stands for, following [`Recognized::SameAs`].
    pub fn resolve(&self, id: NodeId) -> (NodeId, Option<&Recognized>) {
        match self.found.get(&id) {
            Some(Recognized::SameAs(target)) => (*target, self.found.get(target)),
            other => (id, other),
        }
    }

    /// The class shipped by value at a node (or under a second name for one).
    pub fn class(&self, id: NodeId) -> Option<&ClassDef> {
        match self.resolve(id).1? {
            Recognized::Class(class) => Some(class),
            _ => None,
        }
    }

    /// The function shipped by value at a node (or under a second name for one).
    pub fn function(&self, id: NodeId) -> Option<&FunctionDef> {
        match self.resolve(id).1? {
            Recognized::Function(function) => Some(function),
            _ => None,
        }
    }

    /// Whether the effect at `index` is accounted for by a description (a class's
    /// `_class_setstate`, a cell's `cell_set`, …).
    pub fn explains_effect(&self, pickle: &Pickle<'_>, index: usize) -> bool {
        let Some(effect) = pickle.effects().get(index) else {
            return false;
        };
        effect
            .value
            .node()
            .is_some_and(|id| matches!(self.found.get(&id), Some(Recognized::StateOf(_))))
    }

    /// Every described node, in arena order.
    pub fn iter(&self) -> impl Iterator<Item = (NodeId, &Recognized)> {
        let mut ids: Vec<NodeId> = self.found.keys().copied().collect();
        ids.sort_unstable();
        ids.into_iter().map(|id| (id, &self.found[&id]))
    }

    /// How many nodes are described.
    pub fn len(&self) -> usize {
        self.found.len()
    }

    /// Whether no node is described.
    pub fn is_empty(&self) -> bool {
        self.found.is_empty()
    }
}
