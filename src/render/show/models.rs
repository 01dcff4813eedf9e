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

use super::doc::Doc;
use std::rc::Rc;

use super::layout::Style;
use super::Recognizer;
use crate::graph::{NodeId, Pickle};
use crate::python::numpy::{self, ArrayData};

pub use super::pandas::frame_summary;

/// The recognizers of this module, most specific first. `names`, when given, names what
/// the pickle defines (the skeletons' [`Recognizer::leaf`]), for the estimators' parameters.
pub fn recognizers(names: Option<Rc<dyn Recognizer>>) -> Vec<Box<dyn Recognizer>> {
    let values = super::tensors::TensorValues::default();
    let estimators = match names {
        Some(names) => super::estimators::Estimators::naming_with(names),
        None => super::estimators::Estimators::default(),
    };
    vec![
        Box::new(estimators),
        Box::new(super::modules::Modules::default()),
        Box::new(super::sparse::SparseMatrices),
        Box::new(super::boosters::Boosters),
        Box::new(super::tensors::StateDict(values.clone())),
        Box::new(super::tensors::Tensor(values)),
        Box::new(NumpyArray),
        Box::new(NumpyDtype),
        Box::new(NumpyScalar),
        Box::new(super::pandas::PandasFrame::default()),
    ]
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
