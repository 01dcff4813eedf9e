//! `show`'s hooks for model data: PyTorch state dicts and tensors, numpy arrays, dtypes
//! and scalars, pandas DataFrames and Series. The recognizers of [`crate::python`] tell
//! what the object is; these print it, never its data's bytes.
//!
//! ```text
//! state dict (collections.OrderedDict):
//!   name            dtype    shape    size
//!   encoder.weight  float32  [8, 16]  512 B
//!   encoder.bias    float32  [8]      32 B
//!   2 tensors, 136 parameters, 544 B (1 storage, 544 B)
//! ndarray(float32, (1000, 256), C order, 1000.0 KiB) [0.0, 1.0, 2.0, …]
//! ```

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::doc::Doc;
use super::layout::Style;
use super::Recognizer;
use crate::graph::{Node, NodeId, Pickle};
use crate::python::numpy::{self, ArrayData};
use crate::python::tensor_data::{self, Elements, StorageBytes};
use crate::python::torch;

pub use super::pandas::frame_summary;

/// The recognizers of this module, most specific first.
pub fn recognizers() -> Vec<Box<dyn Recognizer>> {
    let values = TensorValues::default();
    vec![
        Box::new(super::estimators::Estimators),
        Box::new(super::modules::Modules),
        Box::new(super::sparse::SparseMatrices),
        Box::new(super::boosters::Boosters),
        Box::new(StateDict(values.clone())),
        Box::new(Tensor(values)),
        Box::new(NumpyArray),
        Box::new(NumpyDtype),
        Box::new(NumpyScalar),
        Box::new(super::pandas::PandasFrame::default()),
    ]
}

/// The elements of each tensor of the pickle being shown, read from the storages once
/// before `show` writes it, or why they cannot be; shared by the tensor and state dict
/// recognizers.
#[derive(Default, Clone)]
struct TensorValues(Rc<RefCell<HashMap<NodeId, Result<Elements, String>>>>);

impl TensorValues {
    /// Reads the elements of every tensor of `pickle` (a summarized one's first and
    /// last), from `storages`.
    fn read(&self, pickle: &Pickle<'_>, storages: &StorageBytes<'_>) {
        let mut values = self.0.borrow_mut();
        values.clear();
        // Tensors are calls: plain data has none.
        if pickle.inert_count() == 0 {
            return;
        }
        for (index, node) in pickle.nodes().enumerate() {
            if !matches!(node, Node::Inert(_)) {
                continue;
            }
            let id = NodeId::from_index(index);
            if let Some(tensor) = torch::tensor(pickle, id) {
                values.insert(id, tensor_data::elements(&tensor, storages));
            }
        }
    }

    /// The repr of the tensor at `id`, or why it cannot be written.
    fn repr(&self, id: NodeId, tensor: &torch::Tensor<'_>) -> Result<String, String> {
        match self.0.borrow().get(&id) {
            Some(Ok(elements)) => Ok(super::tensor_repr::repr(tensor, elements)),
            Some(Err(why)) => Err(why.clone()),
            None => Err("no storage bytes were given to show".to_string()),
        }
    }
}

/// A dict or `OrderedDict` of tensors, as a table with totals, then each tensor's repr.
struct StateDict(TensorValues);

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

    fn recognize(&self, pickle: &Pickle<'_>, id: NodeId) -> Option<Doc> {
        let state_dict = torch::state_dict_at(pickle, id)?;
        let head = match (state_dict.plain_dict, state_dict.class) {
            (true, _) => "dict of tensors:".to_string(),
            (false, Some((m, n))) => format!("state dict ({m}.{n}):"),
            (false, None) => "state dict:".to_string(),
        };
        let entries = &state_dict.entries;
        let rows = torch::table(entries.iter().map(|(name, tensor)| (*name, tensor)));
        let mut inner = Vec::new();
        for row in rows {
            inner.extend([Doc::HardLine, Doc::text(row)]);
        }
        self.values(pickle, id, &mut inner);
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

impl StateDict {
    /// Each tensor's repr under its key, as the dict's repr writes it (`'bias':
    /// tensor([0.1000, 0.2000])`); when no tensor's elements can be read, one line that
    /// says why.
    fn values(&self, pickle: &Pickle<'_>, id: NodeId, inner: &mut Vec<Doc>) {
        let Some(items) = crate::python::view::mapping_items(pickle, crate::Value::Node(id)) else {
            return;
        };
        let mut reprs = Vec::new();
        let mut why = None;
        for (key, value) in items {
            let (Some(name), Some(node)) = (crate::python::view::str(pickle, key), value.node())
            else {
                continue;
            };
            let Some(tensor) = torch::tensor(pickle, node) else {
                continue;
            };
            let repr = self.0.repr(node, &tensor);
            if let Err(reason) = &repr {
                why.get_or_insert(reason.clone());
            }
            reprs.push((name, repr));
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
        for (name, repr) in reprs {
            let mut key = String::new();
            crate::text::scalar::write_str_repr(&mut key, &crate::PyStr::from_text(name));
            inner.push(Doc::HardLine);
            match repr {
                Ok(text) => {
                    let text = format!("{key}: {text}");
                    inner.push(Doc::lines(
                        text.split('\n').map(str::to_string).collect::<Vec<_>>(),
                    ));
                }
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
struct Tensor(TensorValues);

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

    fn recognize(&self, pickle: &Pickle<'_>, id: NodeId) -> Option<Doc> {
        let tensor = torch::tensor(pickle, id)?;
        Some(match self.0.repr(id, &tensor) {
            Ok(text) => Doc::lines(text.split('\n').map(str::to_string).collect::<Vec<_>>()),
            Err(why) => Doc::Concat(vec![
                Doc::styled(tensor.to_string(), Style::Name),
                Doc::comment(format!(" # values not shown: {why}")),
            ]),
        })
    }
}

/// An ndarray, with its first values; an object array's items printed by `show`.
struct NumpyArray;

impl Recognizer for NumpyArray {
    fn name(&self) -> &'static str {
        "numpy-array"
    }

    /// It reads calls and instances only.
    fn claims_containers(&self, _: &Pickle<'_>) -> bool {
        false
    }

    fn recognize(&self, pickle: &Pickle<'_>, id: NodeId) -> Option<Doc> {
        let array = numpy::array(pickle, id)?;
        let text = array_doc(&array);
        Some(match array.data {
            ArrayData::Objects { list, .. } => {
                Doc::Concat(vec![text, Doc::text(" "), Doc::Value(list)])
            }
            ArrayData::Other(value) => Doc::Concat(vec![text, Doc::text(" "), Doc::Value(value)]),
            _ => text,
        })
    }
}

/// An array as its `Display` writes it on one line, but in parts the layout can break to
/// fit the width: the header as a call (a structured dtype's fields as a list), the first
/// values filling lines.
fn array_doc(array: &numpy::Array<'_>) -> Doc {
    let dtype = match array.dtype.fields.is_empty() {
        true => Doc::text(array.dtype.name()),
        false => Doc::bracketed(
            "[",
            array
                .dtype
                .field_names()
                .into_iter()
                .map(Doc::text)
                .collect(),
            0,
            "]",
        ),
    };
    let head = Doc::call(
        Doc::styled(array.class_name().to_string(), Style::Name),
        vec![
            dtype,
            Doc::text(numpy::shape_tuple(&array.shape)),
            Doc::text(array.order_text()),
            Doc::text(crate::python::torch::human_size(array.nbytes())),
        ],
        0,
    );
    if let Some(note) = array.data_note() {
        return Doc::Concat(vec![head, Doc::text(format!(" {note}"))]);
    }
    let Some(values) = array.first_values(numpy::SHOWN_VALUES) else {
        return head;
    };
    let more = (values.len() as u64) < array.len();
    let values = values
        .into_iter()
        .map(|value| Doc::styled(value, Style::Number))
        .collect();
    filled_list(head, values, more, true)
}

/// `head [v1, v2, …]`: the values fill lines, with `…` after them when there are more;
/// `trailing_comma` puts a comma after the last value when the list breaks.
pub(super) fn filled_list(head: Doc, values: Vec<Doc>, more: bool, trailing_comma: bool) -> Doc {
    let count = values.len();
    let mut inner = Vec::with_capacity(3 * count + 2);
    for (i, value) in values.into_iter().enumerate() {
        inner.push(if i == 0 { Doc::SoftLine } else { Doc::Line });
        inner.push(value);
        match (i + 1 < count || more, trailing_comma) {
            (true, _) => inner.push(Doc::text(",")),
            (false, true) => inner.push(Doc::IfBreak(",")),
            (false, false) => {}
        }
    }
    if more {
        inner.extend([Doc::Line, Doc::comment("…")]);
    }
    Doc::Concat(vec![
        head,
        Doc::text(" "),
        Doc::Fill(vec![
            Doc::text("["),
            Doc::Indent(inner),
            Doc::SoftLine,
            Doc::text("]"),
        ]),
    ])
}

/// A dtype: `dtype('float32')`.
struct NumpyDtype;

impl Recognizer for NumpyDtype {
    fn name(&self) -> &'static str {
        "numpy-dtype"
    }

    /// It reads calls and instances only.
    fn claims_containers(&self, _: &Pickle<'_>) -> bool {
        false
    }

    fn recognize(&self, pickle: &Pickle<'_>, id: NodeId) -> Option<Doc> {
        let dtype = numpy::dtype(pickle, id)?;
        Some(Doc::styled(format!("numpy.{dtype}"), Style::Name))
    }
}

/// A scalar, as the numpy that wrote it prints it: `np.float64(1.5)` (numpy 2), `1.5`
/// (numpy 1).
struct NumpyScalar;

impl Recognizer for NumpyScalar {
    fn name(&self) -> &'static str {
        "numpy-scalar"
    }

    /// It reads calls and instances only.
    fn claims_containers(&self, _: &Pickle<'_>) -> bool {
        false
    }

    fn recognize(&self, pickle: &Pickle<'_>, id: NodeId) -> Option<Doc> {
        let scalar = numpy::scalar(pickle, id)?;
        Some(match scalar.object {
            Some(object) => Doc::Concat(vec![
                Doc::styled(
                    match scalar.numpy2 {
                        true => "np.object_(",
                        false => "numpy.object_(",
                    },
                    Style::Name,
                ),
                Doc::Value(object),
                Doc::text(")"),
            ]),
            None => Doc::styled(scalar.library_repr(), Style::Name),
        })
    }
}
