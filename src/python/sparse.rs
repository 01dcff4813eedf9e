//! scipy's sparse matrices and arrays as they pickle: an instance of
//! `scipy.sparse._csr.csr_matrix` (or `_array`, `csc`, `coo`, `bsr`) whose state holds
//! `_shape` and the arrays of its format: `data`, `indices`, `indptr` (compressed),
//! `coords` or `row`/`col` (coordinate). [`sparse`] reads the facts scipy's repr prints:
//! format, shape, stored elements and dtype; and whether the arrays agree.

use super::numpy;
use super::view;
use crate::graph::{Pickle, Value};

/// A sparse matrix or array.
#[derive(Debug, Clone, PartialEq)]
pub struct Sparse {
    /// `csr`, `csc`, `coo`, `bsr`.
    pub format: &'static str,
    /// scipy's name of the format: `Compressed Sparse Row`.
    pub format_name: &'static str,
    /// A `sparray` (`csr_array`) rather than a `spmatrix` (`csr_matrix`).
    pub is_array: bool,
    /// The shape.
    pub shape: Vec<u64>,
    /// The element dtype's name (`float64`).
    pub dtype: String,
    /// The stored elements: the length of `data`.
    pub nnz: u64,
    /// How the arrays disagree with each other or with the shape, if they do.
    pub disagreement: Option<String>,
}

/// The formats, by the class name's prefix.
const FORMATS: &[(&str, &str)] = &[
    ("csr", "Compressed Sparse Row"),
    ("csc", "Compressed Sparse Column"),
    ("coo", "COOrdinate"),
    ("bsr", "Block Sparse Row"),
];

/// The sparse matrix or array a value is.
pub fn sparse(pickle: &Pickle<'_>, value: Value) -> Option<Sparse> {
    let (class, state) = super::sklearn::object_state(pickle, value)?;
    let (module, name) = view::global(pickle, class)?;
    if !module.starts_with("scipy.sparse") {
        return None;
    }
    let (prefix, kind) = name.split_once('_')?;
    let is_array = match kind {
        "array" => true,
        "matrix" => false,
        _ => return None,
    };
    let &(format, format_name) = FORMATS.iter().find(|(p, _)| *p == prefix)?;
    let state = view::str_dict_capped(pickle, state, 64)?;
    let shape = view::counts(pickle, view::field(&state, "_shape")?)?;
    let array = |key: &str| {
        let id = view::field(&state, key)?.node()?;
        numpy::array(pickle, id)
    };
    let data = array("data")?;
    let dtype = data.dtype.name();
    let nnz = data.len();
    let disagreement = disagreement(pickle, &state, format, &shape, nnz, &array);
    Some(Sparse {
        format,
        format_name,
        is_array,
        shape,
        dtype,
        nnz,
        disagreement,
    })
}

/// What scipy's checks (`check_format`) would refuse: index arrays of another length than
/// `data`, an `indptr` of another length than the compressed dimension plus one.
fn disagreement<'p>(
    pickle: &'p Pickle<'_>,
    state: &[(&str, Value)],
    format: &str,
    shape: &[u64],
    nnz: u64,
    array: &dyn Fn(&str) -> Option<numpy::Array<'p>>,
) -> Option<String> {
    let len = |key: &str| array(key).map(|a| a.len());
    match format {
        "csr" | "csc" => {
            let major = match (format, shape) {
                ("csr", [rows, _]) => *rows,
                ("csc", [_, cols]) => *cols,
                _ => return Some(format!("shape {shape:?} is not 2-D")),
            };
            let indices = len("indices");
            let indptr = len("indptr");
            if indices != Some(nnz) {
                return Some(format!("indices has {indices:?} items, data {nnz}"));
            }
            if indptr != Some(major.saturating_add(1)) {
                return Some(format!(
                    "indptr has {indptr:?} items, expected {}",
                    major + 1
                ));
            }
            None
        }
        "coo" => {
            let coords = match view::field(state, "coords") {
                Some(coords) => view::tuple(pickle, coords)?
                    .iter()
                    .map(|c| {
                        c.node()
                            .and_then(|id| numpy::array(pickle, id))
                            .map(|a| a.len())
                    })
                    .collect::<Vec<_>>(),
                None => vec![len("row"), len("col")],
            };
            if coords.len() != shape.len() {
                return Some(format!(
                    "{} index arrays for a {}-D shape",
                    coords.len(),
                    shape.len()
                ));
            }
            coords
                .iter()
                .any(|c| *c != Some(nnz))
                .then(|| format!("index arrays of {coords:?} items, data {nnz}"))
        }
        _ => None,
    }
}

impl Sparse {
    /// What scipy 1.14 and later print for it.
    /// ```text
    /// <Compressed Sparse Row sparse matrix of dtype 'float64'
    /// (tab) with 3 stored elements and shape (3, 3)>
    /// ```
    pub fn repr_lines(&self) -> [String; 2] {
        let kind = if self.is_array { "array" } else { "matrix" };
        [
            format!(
                "<{} sparse {kind} of dtype '{}'",
                self.format_name, self.dtype
            ),
            format!(
                "\twith {} stored elements and shape {}>",
                self.nnz,
                numpy::shape_tuple(&self.shape)
            ),
        ]
    }
}
