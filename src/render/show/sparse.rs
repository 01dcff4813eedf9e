//! scipy sparse matrices in `show`, as scipy (1.14 and later) prints them: format, dtype,
//! stored elements and shape; a line says so when the arrays disagree (scipy would refuse
//! the matrix).
//!
//! ```text
//! <Compressed Sparse Row sparse matrix of dtype 'float64'
//! (tab) with 3 stored elements and shape (3, 3)>
//! ```

use std::borrow::Cow;

use super::doc::Doc;
use super::layout::Style;
use super::Recognizer;
use crate::graph::{NodeId, Pickle, Value};
use crate::python::sparse;

/// The recognizer.
pub struct SparseMatrices;

impl Recognizer for SparseMatrices {
    fn name(&self) -> &'static str {
        "scipy-sparse"
    }

    /// It reads instances only.
    fn claims_containers(&self, _: &Pickle<'_>) -> bool {
        false
    }

    fn recognize(&self, pickle: &Pickle<'_>, id: NodeId) -> Option<Doc> {
        let matrix = sparse::sparse(pickle, Value::Node(id))?;
        let [first, second] = matrix.repr_lines();
        // The tab is scipy's own; the texts hold nothing from the pickle but numbers and
        // a dtype name, which `numpy` has already read as one of its names.
        let mut parts = vec![
            Doc::styled(first, Style::Name),
            Doc::HardLine,
            Doc::Text(Cow::Owned(second), Style::Name),
        ];
        if let Some(problem) = matrix.disagreement {
            parts.extend([
                Doc::HardLine,
                Doc::comment(format!("# arrays disagree: {problem}")),
            ]);
        }
        Some(Doc::Concat(parts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::show::{to_text, ShowOptions};

    fn shown(data: &[u8]) -> String {
        let pickle = crate::load(data).unwrap();
        let mut options = ShowOptions::plain(100);
        options.recognizers.push(Box::new(SparseMatrices));
        options
            .recognizers
            .extend(crate::render::show::default_recognizers());
        to_text(&pickle, &options)
    }

    #[test]
    fn a_csr_matrix_whose_indices_outnumber_its_data_says_so() {
        let data = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/zoo/current/scipy/csr_matrix.pkl"
        ))
        .unwrap();
        assert!(shown(&data).ends_with(
            "\n\n<Compressed Sparse Row sparse matrix of dtype 'float64'\n\twith 3 stored elements and shape (3, 3)>\n"
        ));
        // Claim 2 rows where indptr has 4 items.
        let at = data.windows(2).position(|w| w == b"K\x03").unwrap();
        let mut hostile = data.clone();
        hostile[at + 1] = 2;
        assert!(
            shown(&hostile).contains("# arrays disagree: indptr has Some(4) items, expected 3"),
            "{}",
            shown(&hostile)
        );
    }
}
