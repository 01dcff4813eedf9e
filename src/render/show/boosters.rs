//! xgboost and lightgbm boosters in `show`: a line of what their model says.
//!
//! ```text
//! xgboost.core.Booster(5 trees, 4 features, objective binary:logistic; UBJSON model, 7.6 KiB)
//! ```

use super::doc::Doc;
use super::Recognizer;
use crate::graph::{NodeId, Pickle, Value};
use crate::python::boosters;
use crate::text::quantity::thousands;

/// The recognizer.
pub struct Boosters;

impl Recognizer for Boosters {
    fn name(&self) -> &'static str {
        "booster"
    }

    /// It reads instances only.
    fn claims_containers(&self, _: &Pickle<'_>) -> bool {
        false
    }

    fn recognize(&self, pickle: &Pickle<'_>, id: NodeId) -> Option<Doc> {
        let booster = boosters::booster(pickle, Value::Node(id))?;
        let class = match booster.library {
            "xgboost" => "xgboost.core.Booster",
            _ => "lightgbm.basic.Booster",
        };
        let mut facts = Vec::new();
        if let Some(trees) = booster.trees {
            facts.push(format!("{} trees", thousands(trees)));
        }
        if let Some(features) = booster.features {
            facts.push(format!("{} features", thousands(features)));
        }
        if let Some(objective) = &booster.objective {
            facts.push(format!("objective {objective}"));
        }
        let size = crate::python::torch::human_size(booster.bytes as u64);
        let mut text = format!(
            "{class}({}; {} model, {size})",
            facts.join(", "),
            booster.format
        );
        if let Some(problem) = &booster.problem {
            text.push_str(&format!("  # model unreadable: {problem}"));
        }
        // Broken at its commas when it does not fit the line.
        Some(super::brackets::text(text))
    }
}
