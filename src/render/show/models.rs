//! Recognizers for model data: PyTorch state dicts and tensors, numpy arrays, dtypes and
//! scalars, pandas DataFrames and Series. Each reads the graph through
//! [`crate::python`] and prints what the object is, never its data's bytes.
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
use super::layout::Style;
use super::Recognizer;
use crate::graph::{Mutation, Node, NodeId, Pickle, Value};
use crate::python::numpy::{self, ArrayData};
use crate::python::{pandas, torch, view};

/// The recognizers of this module, most specific first.
pub fn recognizers() -> Vec<Box<dyn Recognizer>> {
    vec![
        Box::new(StateDict),
        Box::new(Tensor),
        Box::new(NumpyArray),
        Box::new(NumpyDtype),
        Box::new(NumpyScalar),
        Box::new(PandasFrame),
    ]
}

/// A dict or `OrderedDict` of tensors, as a table with totals.
struct StateDict;

impl Recognizer for StateDict {
    fn name(&self) -> &'static str {
        "torch-state-dict"
    }

    /// A state dict's values are tensors, which are calls: plain data holds none.
    fn claims_containers(&self, pickle: &Pickle<'_>) -> bool {
        pickle.inert_count() > 0
    }

    fn recognize(&self, pickle: &Pickle<'_>, id: NodeId) -> Option<Doc> {
        let entries = torch::state_dict(pickle, Value::Node(id))?;
        // nn.Module.state_dict() returns an OrderedDict; a plain dict of tensors (an
        // optimizer's per-parameter state) is headed as what it is.
        let head = match pickle.node(id) {
            Node::Dict(_) => "dict of tensors:".to_string(),
            _ => view::made(pickle, Value::Node(id))
                .and_then(|made| view::global(pickle, made.func))
                .map_or_else(
                    || "state dict:".to_string(),
                    |(m, n)| format!("state dict ({m}.{n}):"),
                ),
        };
        let rows = torch::table(entries.iter().map(|(name, tensor)| (*name, tensor)));
        let mut inner = Vec::new();
        for row in rows {
            inner.extend([Doc::HardLine, Doc::text(row)]);
        }
        // A state dict's `_metadata` (and any other state) is set by BUILD: print it.
        for state in build_states(pickle, id) {
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

fn build_states(pickle: &Pickle<'_>, id: NodeId) -> Vec<Value> {
    match pickle.node(id) {
        Node::Inert(inert) => inert
            .mutations
            .iter()
            .filter_map(|m| match m {
                Mutation::Build(state) => Some(*state),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A tensor or parameter: `Tensor(float32, [384, 1536], storage data/12 at offset 0,
/// 2.2 MiB)`.
struct Tensor;

impl Recognizer for Tensor {
    fn name(&self) -> &'static str {
        "torch-tensor"
    }

    /// It reads calls and instances only.
    fn claims_containers(&self, _: &Pickle<'_>) -> bool {
        false
    }

    fn recognize(&self, pickle: &Pickle<'_>, id: NodeId) -> Option<Doc> {
        let tensor = torch::tensor(pickle, id)?;
        Some(Doc::styled(tensor.to_string(), Style::Name))
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
        let text = Doc::styled(array.to_string(), Style::Name);
        Some(match array.data {
            ArrayData::Objects { list, .. } => {
                Doc::Concat(vec![text, Doc::text(" "), Doc::Value(list)])
            }
            ArrayData::Other(value) => Doc::Concat(vec![text, Doc::text(" "), Doc::Value(value)]),
            _ => text,
        })
    }
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

/// A scalar: `numpy.float64(1.5)`.
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
                Doc::styled("numpy.object_(", Style::Name),
                Doc::Value(object),
                Doc::text(")"),
            ]),
            None => Doc::styled(scalar.to_string(), Style::Name),
        })
    }
}

/// A DataFrame with a line per column, or a Series.
struct PandasFrame;

impl Recognizer for PandasFrame {
    fn name(&self) -> &'static str {
        "pandas-frame"
    }

    /// It reads calls and instances only.
    fn claims_containers(&self, _: &Pickle<'_>) -> bool {
        false
    }

    fn recognize(&self, pickle: &Pickle<'_>, id: NodeId) -> Option<Doc> {
        let frame = pandas::frame(pickle, id)?;
        if frame.kind == "Series" {
            return Some(Doc::styled(frame.to_string(), Style::Name));
        }
        let rows = frame
            .rows
            .map_or_else(|| "?".to_string(), |n| n.to_string());
        let head = format!("DataFrame({rows} rows × {} columns):", frame.columns.len());
        let width = frame
            .columns
            .iter()
            .map(|c| c.name.chars().count())
            .max()
            .unwrap_or(0);
        let mut inner = Vec::new();
        for column in &frame.columns {
            let pad = width - column.name.chars().count() + 2;
            inner.push(Doc::HardLine);
            inner.push(Doc::text(format!(
                "{}{}{}",
                column.name,
                " ".repeat(pad),
                column.dtype
            )));
        }
        Some(Doc::Concat(vec![
            Doc::styled(head, Style::Name),
            Doc::Indent(inner),
        ]))
    }
}
