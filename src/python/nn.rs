//! PyTorch `nn.Module`s as `torch.save(model)` pickles them: an instance of the module's
//! class whose state is its `__dict__`, with the children in `_modules`, the parameters
//! in `_parameters`, the buffers in `_buffers`, a dozen hook dicts (empty in nearly every
//! file) and the attributes its `extra_repr` prints (`in_features`, `p`, `eps`, …).
//!
//! [`module`] reads one such node; the tree is read a level at a time by the view.

use super::torch::{self, NestedStorages, Tensor};
use super::view;
use crate::graph::{NodeId, Pickle, Value};

/// The most state entries read of one module: torch's own hold about twenty.
const MAX_STATE: usize = 1024;

/// A module read from its pickled state.
#[derive(Debug, Clone)]
pub struct Module<'p> {
    /// The class's module (`torch.nn.modules.linear`).
    pub module: &'p str,
    /// The class's name (`Linear`), which `print(model)` writes.
    pub name: &'p str,
    /// The whole state, in order.
    pub state: Vec<(&'p str, Value)>,
    /// The children, `_modules`, in order (a child may be `None`).
    pub children: Vec<(&'p str, Value)>,
    /// The parameters, `_parameters`, in order: each a tensor, or `None` (a `bias`
    /// turned off).
    pub parameters: Vec<(&'p str, Value)>,
}

impl<'p> Module<'p> {
    /// An attribute of the state.
    pub fn attribute(&self, name: &str) -> Option<Value> {
        view::field(&self.state, name)
    }

    /// Whether the parameter `name` is there and not `None` (`bias=True`).
    pub fn has_parameter(&self, name: &str) -> bool {
        view::field(&self.parameters, name).is_some_and(|v| v != Value::None)
    }

    /// The parameters that are tensors, with their nodes; `nested` holds the storages
    /// of a module pickled with `pickle.dumps` (`_load_from_bytes` calls), which the
    /// container layer reads (`crate::model::storage_bytes`).
    pub fn tensors(
        &self,
        pickle: &'p Pickle<'_>,
        nested: Option<&'p NestedStorages>,
    ) -> Vec<(NodeId, Tensor<'p>)> {
        self.parameters
            .iter()
            .filter_map(|&(_, value)| {
                let id = value.node()?;
                Some((id, torch::tensor_in(pickle, id, nested)?))
            })
            .collect()
    }
}

/// The module a value is: an object whose state is a str-keyed dict with `_modules`
/// and `_parameters` mappings of str keys.
pub fn module<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<Module<'p>> {
    let (class, state) = super::sklearn::object_state(pickle, value)?;
    let (module, name) = view::global(pickle, class).or_else(|| legacy_class(pickle, class))?;
    let state = view::str_dict_capped(pickle, state, MAX_STATE)?;
    let children = str_mapping(pickle, view::field(&state, "_modules")?)?;
    let parameters = str_mapping(pickle, view::field(&state, "_parameters")?)?;
    Some(Module {
        module,
        name,
        state,
        children,
        parameters,
    })
}

/// The class of a legacy `torch.save` file: a persistent id `('module', cls, source
/// file, source)` that the loader answers with `cls` (after comparing the source).
fn legacy_class<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<(&'p str, &'p str)> {
    let pid = match view::inert(pickle, value)?.kind {
        crate::graph::InertKind::Persistent { pid } => pid,
        _ => return None,
    };
    let items = view::tuple(pickle, pid)?;
    if items.len() != 4 || view::str(pickle, items.first()?)? != "module" {
        return None;
    }
    view::global(pickle, items.get(1)?)
}

/// The entries of a dict or `OrderedDict` whose keys are all strs.
fn str_mapping<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<Vec<(&'p str, Value)>> {
    view::mapping_items(pickle, value)?
        .into_iter()
        .map(|(key, value)| Some((view::str(pickle, key)?, value)))
        .collect()
}
