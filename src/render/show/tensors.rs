//! `show`'s hooks for PyTorch tensors and state dicts: a state dict as a table with
//! totals, then each tensor as torch's repr writes it with its elements, read from the
//! storages that the container layer found (a checkpoint's records, or the nested
//! checkpoints of `pickle.dumps(tensor)`).
//!
//! ```text
//! state dict (collections.OrderedDict):
//!   name            dtype    shape    size
//!   encoder.weight  float32  [8, 16]  512 B
//!   encoder.bias    float32  [8]      32 B
//!   2 tensors, 136 parameters, 544 B (1 storage, 544 B)
//!   'encoder.weight': tensor([[…]])
//! ```

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::doc::Doc;
use super::layout::text_width;
use super::layout::Style;
use super::tensor_repr::{Fitted, Repr};
use super::Recognizer;
use crate::graph::{Node, NodeId, Pickle};
use crate::python::tensor_data::{self, Elements, StorageBytes};
use crate::python::torch::{self, NestedStorages};
use crate::python::torch_kinds::{self, SparseTensor};

/// The elements of each tensor of the pickle being shown, read from the storages once
/// before `show` writes it, or why they cannot be; shared by the tensor and state dict
/// recognizers.
#[derive(Default, Clone)]
pub(super) struct TensorValues(Rc<RefCell<Read>>);

/// What [`TensorValues::read`] found.
#[derive(Default)]
struct Read {
    elements: HashMap<NodeId, Result<Elements, String>>,
    /// The storages of the pickle's `_load_from_bytes` calls, which make tensors of
    /// calls the graph alone cannot read.
    nested: NestedStorages,
    /// The sparse tensors, and what is wrong with each that torch would refuse.
    sparse: HashMap<NodeId, Option<String>>,
    /// Where each tensor and state dict is written ([`places`]).
    places: HashMap<NodeId, Place>,
    /// The width lines must fit in.
    width: usize,
}

impl TensorValues {
    /// Reads the elements of every tensor of `pickle` (a summarized one's first and
    /// last), from `storages`.
    fn read(&self, pickle: &Pickle<'_>, storages: &StorageBytes<'_>) {
        let mut read = self.0.borrow_mut();
        read.elements.clear();
        read.sparse.clear();
        read.nested = storages.nested().clone();
        // Tensors are calls: plain data has none.
        if pickle.inert_count() == 0 {
            return;
        }
        let nested = Some(storages.nested());
        for (index, node) in pickle.nodes().enumerate() {
            if !matches!(node, Node::Inert(_)) {
                continue;
            }
            let id = NodeId::from_index(index);
            if let Some(tensor) = torch::tensor_in(pickle, id, nested) {
                let elements = tensor_data::elements(&tensor, storages);
                read.elements.insert(id, elements);
            } else if let Some(sparse) = torch_kinds::sparse_tensor(pickle, id, nested) {
                let problem = tensor_data::sparse_problem(&sparse, storages);
                read.sparse.insert(id, problem);
            }
        }
        if !read.elements.is_empty() {
            let read = &mut *read;
            let stops =
                |id: NodeId| read.elements.contains_key(&id) || read.sparse.contains_key(&id);
            read.places = places(pickle, &stops, &read.nested);
        }
    }

    /// Keeps the width lines must fit in.
    fn fit_width(&self, width: usize) {
        self.0.borrow_mut().width = width;
    }

    /// The columns left for a tensor written at `place`: on its first line, and on the
    /// others.
    fn room(&self, place: Place) -> Room {
        let width = self.0.borrow().width;
        let indent = place.indent(width);
        let rest = width.saturating_sub(indent);
        (rest.saturating_sub(place.prefix), rest, place.trailing)
    }

    /// Where node `id` is written.
    fn place(&self, id: NodeId) -> Place {
        self.0.borrow().places.get(&id).copied().unwrap_or_default()
    }

    /// The storages of the pickle's `_load_from_bytes` calls.
    fn nested(&self) -> std::cell::Ref<'_, NestedStorages> {
        std::cell::Ref::map(self.0.borrow(), |read| &read.nested)
    }

    /// The repr of the tensor at `id`, laid out to fit `room` ([`Repr::fitted`]), or
    /// why it cannot be written.
    fn repr(&self, id: NodeId, tensor: &torch::Tensor<'_>, room: Room) -> Result<Fitted, String> {
        let read = self.0.borrow();
        let parts = |node: NodeId| read.elements.get(&node)?.as_ref().ok().cloned();
        match read.elements.get(&id) {
            Some(Ok(elements)) => Ok(
                Repr::with_parts(tensor, elements, &parts).fitted_before(room.0, room.1, room.2)
            ),
            Some(Err(why)) => Err(why.clone()),
            None => Err("no storage bytes were given to show".to_string()),
        }
    }

    /// The repr of the sparse tensor at `id`, laid out to fit `room`, or why it cannot
    /// be written.
    fn sparse_repr(
        &self,
        id: NodeId,
        sparse: &SparseTensor<'_>,
        room: Room,
    ) -> Result<Fitted, String> {
        let read = self.0.borrow();
        if let Some(Some(problem)) = read.sparse.get(&id) {
            return Err(problem.clone());
        }
        let parts = |node: NodeId| read.elements.get(&node)?.as_ref().ok().cloned();
        for part in &sparse.parts {
            if let Some(Err(why)) = read.elements.get(&part.node) {
                return Err(format!("its {}: {why}", part.name));
            }
        }
        Ok(Repr::sparse(sparse, &parts)?.fitted_before(room.0, room.1, room.2))
    }
}

/// A dict or `OrderedDict` of tensors, as a table with totals, then each tensor's repr.
pub(super) struct StateDict(pub(super) TensorValues);

impl Recognizer for StateDict {
    fn name(&self) -> &'static str {
        "torch-state-dict"
    }

    /// A state dict's values are tensors, which are calls: plain data holds none.
    fn claims_containers(&self, pickle: &Pickle<'_>) -> bool {
        pickle.inert_count() > 0
    }

    fn prepare_storages(&self, pickle: &Pickle<'_>, storages: &StorageBytes<'_>) {
        self.0.read(pickle, storages);
    }

    fn fit_width(&self, width: usize) {
        self.0.fit_width(width);
    }

    fn recognize(&self, pickle: &Pickle<'_>, id: NodeId) -> Option<Doc> {
        let nested = self.0.nested();
        let state_dict = torch::state_dict_at_in(pickle, id, Some(&nested))?;
        let head = match (state_dict.plain_dict, state_dict.class) {
            (true, _) => "dict of tensors:".to_string(),
            (false, Some((m, n))) => format!("state dict ({m}.{n}):"),
            (false, None) => "state dict:".to_string(),
        };
        let entries = &state_dict.entries;
        let place = self.0.place(id);
        let (_, room, _) = self.0.room(Place {
            level: place.level + 1,
            ..Place::default()
        });
        let rows = table(entries, room);
        let mut inner = Vec::new();
        for row in rows {
            inner.extend([Doc::HardLine, Doc::text(row)]);
        }
        self.values(pickle, id, &nested, &mut inner);
        // A state dict's `_metadata` (and any other state) is set by BUILD: print it.
        for state in state_dict.states {
            inner.extend([
                Doc::HardLine,
                Doc::styled(".__setstate__", Style::Name),
                Doc::text("("),
                Doc::Value(state),
                Doc::text(")"),
            ]);
        }
        Some(Doc::Concat(vec![Doc::comment(head), Doc::Indent(inner)]))
    }
}

/// The table of a state dict's tensors ([`torch::table`]) when it fits in `room`
/// columns; else each name on a line of its own, its dtype, shape and size aligned under
/// it one step in, and the totals line cut before its storages.
fn table(entries: &[(&str, torch::Tensor<'_>)], room: usize) -> Vec<String> {
    let rows = torch::table(entries.iter().map(|(name, tensor)| (*name, tensor)));
    if rows.iter().all(|row| text_width(row) <= room) {
        return rows;
    }
    let mut cells = vec![["dtype".to_string(), "shape".to_string(), "size".to_string()]];
    for (_, tensor) in entries {
        cells.push([
            tensor.dtype.name.to_string(),
            torch::shape_list(&tensor.shape),
            torch::human_size(tensor.nbytes()),
        ]);
    }
    let mut widths = [0usize; 3];
    for row in &cells {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(text_width(cell));
        }
    }
    let names = std::iter::once("name").chain(entries.iter().map(|(name, _)| *name));
    let mut lines = Vec::new();
    for (name, row) in names.zip(&cells) {
        lines.push(name.to_string());
        let mut line = "    ".to_string();
        for (cell, width) in row.iter().zip(widths) {
            line.push_str(&format!("{cell:<width$}  "));
        }
        lines.push(line.trim_end().to_string());
    }
    let totals = torch::totals_line(&torch::totals(entries.iter().map(|(_, t)| t)));
    match totals.split_once(" (") {
        Some((tensors, storages)) if text_width(&totals) > room => {
            lines.extend([tensors.to_string(), format!("({storages}")]);
        }
        _ => lines.push(totals),
    }
    lines
}

impl StateDict {
    /// Each tensor's repr under its key, as the dict's repr writes it (`'bias':
    /// tensor([0.1000, 0.2000])`); when no tensor's elements can be read, one line that
    /// says why.
    fn values(
        &self,
        pickle: &Pickle<'_>,
        id: NodeId,
        nested: &NestedStorages,
        inner: &mut Vec<Doc>,
    ) {
        let Some(items) = crate::python::view::mapping_items(pickle, crate::Value::Node(id)) else {
            return;
        };
        let mut reprs = Vec::new();
        let mut why = None;
        // The entries are one level in from the state dict.
        let place = self.0.place(id);
        let entry = Place {
            level: place.level + 1,
            ..Place::default()
        };
        for (key, value) in items {
            let (Some(name), Some(node)) = (crate::python::view::str(pickle, key), value.node())
            else {
                continue;
            };
            let Some(tensor) = torch::tensor_in(pickle, node, Some(nested)) else {
                continue;
            };
            let mut key = String::new();
            crate::text::scalar::write_str_repr(&mut key, &crate::PyStr::from_text(name));
            let room = self.0.room(Place {
                prefix: text_width(&key) + 2,
                ..entry
            });
            let mut repr = self.0.repr(node, &tensor, room);
            if let Ok(after) = &repr {
                // Under the key, one level in, when that gives it wider lines.
                let (_, under, _) = self.0.room(Place {
                    level: entry.level + 1,
                    ..Place::default()
                });
                if let Ok(below) = self.0.repr(node, &tensor, (under, under, 0)) {
                    let wider = below.linewidth > after.linewidth;
                    if (wider && below.fits) || !after.fits {
                        repr = Ok(Fitted {
                            text: format!("\n{}", below.text),
                            ..below
                        });
                    }
                }
            }
            if let Err(reason) = &repr {
                why.get_or_insert(reason.clone());
            }
            reprs.push((key, repr));
        }
        if reprs.iter().all(|(_, repr)| repr.is_err()) {
            if let Some(why) = why {
                inner.extend([
                    Doc::HardLine,
                    Doc::comment(format!("# values not shown: {why}")),
                ]);
            }
            return;
        }
        for (key, repr) in reprs {
            inner.push(Doc::HardLine);
            match repr {
                Ok(Fitted { text, .. }) => match text.strip_prefix('\n') {
                    Some(under) => inner.extend([
                        Doc::text(format!("{key}:")),
                        Doc::Indent(vec![Doc::HardLine, lines(under)]),
                    ]),
                    None => inner.push(lines(&format!("{key}: {text}"))),
                },
                Err(why) => inner.extend([
                    Doc::text(format!("{key}: ")),
                    Doc::comment(format!("# values not shown: {why}")),
                ]),
            }
        }
    }
}

/// A tensor or parameter, as torch's repr writes it with its elements (`tensor([[0., 1.],
/// [2., 3.]])`); when they cannot be read, `Tensor(float32, [384, 1536], storage data/12
/// at offset 0, 2.2 MiB)` and why.
pub(super) struct Tensor(pub(super) TensorValues);

impl Recognizer for Tensor {
    fn name(&self) -> &'static str {
        "torch-tensor"
    }

    /// It reads calls and instances only.
    fn claims_containers(&self, _: &Pickle<'_>) -> bool {
        false
    }

    fn prepare_storages(&self, pickle: &Pickle<'_>, storages: &StorageBytes<'_>) {
        self.0.read(pickle, storages);
    }

    fn fit_width(&self, width: usize) {
        self.0.fit_width(width);
    }

    fn recognize(&self, pickle: &Pickle<'_>, id: NodeId) -> Option<Doc> {
        let nested = self.0.nested();
        let Some(tensor) = torch::tensor_in(pickle, id, Some(&nested)) else {
            if let Some(sparse) = torch_kinds::sparse_tensor(pickle, id, Some(&nested)) {
                return Some(self.sparse(id, &sparse));
            }
            return unread_nested_load(pickle, id, &nested);
        };
        let room = self.0.room(self.0.place(id));
        Some(match self.0.repr(id, &tensor, room) {
            Ok(fitted) => lines(&fitted.text),
            Err(why) => Doc::Concat(vec![
                Doc::styled(tensor.to_string(), Style::Name),
                Doc::comment(format!(" # values not shown: {why}")),
            ]),
        })
    }
}

impl Tensor {
    /// A sparse tensor as torch's repr writes it; when it cannot be,
    /// `SparseTensor(sparse_coo, float32, [3, 4], nnz=3)` and why.
    fn sparse(&self, id: NodeId, sparse: &SparseTensor<'_>) -> Doc {
        let room = self.0.room(self.0.place(id));
        match self.0.sparse_repr(id, sparse, room) {
            Ok(fitted) => lines(&fitted.text),
            Err(why) => {
                let layout = sparse.layout.name().trim_start_matches("torch.");
                let what = format!(
                    "SparseTensor({layout}, {}, {}, nnz={})",
                    sparse.values().dtype.name,
                    torch::shape_list(&sparse.size),
                    sparse.nnz()
                );
                Doc::Concat(vec![
                    Doc::styled(what, Style::Name),
                    Doc::comment(format!(" # values not shown: {why}")),
                ])
            }
        }
    }
}

/// A `_load_from_bytes(b'…')` call whose nested checkpoint did not open: the call as
/// the pickle holds it, and why.
fn unread_nested_load(pickle: &Pickle<'_>, id: NodeId, nested: &NestedStorages) -> Option<Doc> {
    let Err(why) = nested.get(id)? else {
        return None;
    };
    let call = crate::python::view::call(pickle, crate::Value::Node(id))?;
    let [bytes] = call.args.array()?;
    Some(Doc::Concat(vec![
        Doc::call(
            Doc::styled("torch.storage._load_from_bytes", Style::Name),
            vec![Doc::Value(bytes)],
            0,
        ),
        Doc::comment(format!(" # not read: {why}")),
    ]))
}

/// Lines of text, each at the current indentation.
fn lines(text: &str) -> Doc {
    Doc::lines(text.split('\n').map(str::to_string).collect::<Vec<_>>())
}

/// Where `show` writes a node: its level of indentation (the lines after its first
/// start there), and the columns before it on its first line (a dict key).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Place {
    level: usize,
    prefix: usize,
    /// The columns written after its last line: the comma after a container's item.
    trailing: usize,
}

/// The columns for a tensor: on its first line, on the others, and those kept free
/// after its last.
type Room = (usize, usize, usize);

impl Place {
    /// The columns of indentation of the level at `width`, as the layout gives them:
    /// two a level, capped at half the width ([`super::layout::Layout::new`]).
    fn indent(self, width: usize) -> usize {
        self.level.saturating_mul(2).min((width / 2).max(8))
    }
}

/// Where each tensor of `tensors` and each state dict is written, found by a walk from
/// the root that follows `show`'s nesting: a container's items one level in, a dict's
/// values after their keys; a call's operands at its own level (its arguments' tuple
/// adds the level). The walk is a heap queue over each node once, and stops at the
/// tensors and state dicts, whose insides their recognizers lay out. A node shown only
/// among the effects is not reached: it is taken to be at the top level.
fn places(
    pickle: &Pickle<'_>,
    tensors: &dyn Fn(NodeId) -> bool,
    nested: &NestedStorages,
) -> HashMap<NodeId, Place> {
    let mut places = HashMap::new();
    let mut seen = vec![false; pickle.node_count()];
    let mut queue = std::collections::VecDeque::from([(pickle.root(), Place::default())]);
    while let Some((value, place)) = queue.pop_front() {
        let Some(id) = value.node() else { continue };
        if std::mem::replace(&mut seen[id.index()], true) {
            continue;
        }
        if tensors(id) || torch::state_dict_at_in(pickle, id, Some(nested)).is_some() {
            places.insert(id, place);
            continue;
        }
        let inner = Place {
            level: place.level + 1,
            prefix: 0,
            trailing: 1,
        };
        match pickle.node(id) {
            Node::Dict(entries) => {
                for (key, item) in entries.iter() {
                    let prefix = key_width(pickle, key) + 2;
                    queue.push_back((item, Place { prefix, ..inner }));
                }
            }
            Node::List(items) | Node::Tuple(items) | Node::Set(items) | Node::FrozenSet(items) => {
                queue.extend(items.iter().map(|item| (item, inner)));
            }
            node => {
                let operand = Place {
                    level: place.level,
                    ..Place::default()
                };
                queue.extend(
                    (0..node.child_count())
                        .filter_map(|i| node.child(i))
                        .map(|c| (c, operand)),
                );
            }
        }
    }
    places
}

/// The columns a dict key takes: a str's or an int's repr; 0 for what is not measured.
fn key_width(pickle: &Pickle<'_>, key: crate::Value) -> usize {
    match key {
        crate::Value::Int(i) => i.to_string().len(),
        _ => pickle.as_str(key).map_or(0, |text| {
            let mut repr = String::new();
            crate::text::scalar::write_str_repr(&mut repr, &crate::PyStr::from_text(text));
            text_width(&repr)
        }),
    }
}
