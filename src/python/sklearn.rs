//! scikit-learn estimators (and the scikit-learn API of xgboost and lightgbm) as their
//! pickles hold them: an instance of the estimator's class whose `BUILD` state is its
//! `__dict__`, the constructor's parameters and the fitted attributes side by side.
//!
//! scikit-learn prints an estimator with only the parameters that differ from their
//! defaults, which picklegraph cannot learn by importing the class. The defaults come from
//! tables written by scikit-learn itself (`tests/fixtures/zoo/sklearn_defaults.py`, run in
//! each version's environment): for every estimator class, the names `get_params()`
//! returns and the repr of each default. A pickle's `_sklearn_version` picks the table.
//!
//! ```
//! use picklegraph::python::sklearn;
//! // LogisticRegression.__new__(LogisticRegression), BUILD {'C': 0.5, '_sklearn_version': '1.9.1'}
//! let data = b"\x80\x02csklearn.linear_model._logistic\nLogisticRegression\n)\x81}(X\x01\x00\
//! \x00\x00CG?\xe0\x00\x00\x00\x00\x00\x00X\x10\x00\x00\x00_sklearn_versionX\x05\x00\x00\x001.9.1ub.";
//! let pickle = picklegraph::load(data)?;
//! let estimator = sklearn::estimator(&pickle, pickle.root()).unwrap();
//! assert_eq!((estimator.name, estimator.version), ("LogisticRegression", Some("1.9.1")));
//! assert_eq!(estimator.defaults.map(|t| t.sklearn.as_str()), Some("1.9.1"));
//! let c = estimator.params.iter().find(|p| p.name == "C").unwrap();
//! assert_eq!(c.default, sklearn::Default::Repr("1.0"));
//! # Ok::<(), picklegraph::Error>(())
//! ```

use std::collections::HashMap;
use std::sync::OnceLock;

use super::view;
use crate::graph::{InertKind, Mutation, Pickle, Value};

/// The tables, one per scikit-learn version, oldest first.
const TABLES: &[&str] = &[
    include_str!("sklearn/defaults-1.2.2.json"),
    include_str!("sklearn/defaults-1.5.2.json"),
    include_str!("sklearn/defaults-1.9.1.json"),
];

/// The most state entries read of one estimator: real ones hold a few dozen.
const MAX_STATE: usize = 1024;

/// The defaults of every estimator class of one scikit-learn version.
#[derive(Debug)]
pub struct Table {
    /// The scikit-learn version that wrote it (`1.9.1`).
    pub sklearn: String,
    /// Every library whose classes it describes, with its version.
    pub libraries: Vec<(String, String)>,
    classes: HashMap<String, Vec<(String, Option<String>)>>,
}

impl Table {
    /// The parameters of `module.name`, sorted, each with its default's repr (`None`
    /// for a parameter without one).
    pub fn class(&self, class: &str) -> Option<&[(String, Option<String>)]> {
        self.classes.get(class).map(Vec::as_slice)
    }

    /// A table from the JSON that the script writes; `None` if it is not one.
    fn parse(text: &str) -> Option<Table> {
        let json: serde_json::Value = serde_json::from_str(text).ok()?;
        let sklearn = json.get("sklearn")?.as_str()?.to_string();
        let libraries = json
            .get("libraries")?
            .as_object()?
            .iter()
            .map(|(name, version)| Some((name.clone(), version.as_str()?.to_string())))
            .collect::<Option<Vec<_>>>()?;
        let mut classes = HashMap::new();
        for (name, params) in json.get("classes")?.as_object()? {
            let params = params
                .as_array()?
                .iter()
                .map(|pair| {
                    let [name, default] = pair.as_array()?.as_slice() else {
                        return None;
                    };
                    Some((
                        name.as_str()?.to_string(),
                        default.as_str().map(str::to_string),
                    ))
                })
                .collect::<Option<Vec<_>>>()?;
            classes.insert(name.clone(), params);
        }
        Some(Table {
            sklearn,
            libraries,
            classes,
        })
    }
}

/// Every table, oldest version first, parsed on first use.
pub fn tables() -> &'static [Table] {
    static TABLES_PARSED: OnceLock<Vec<Table>> = OnceLock::new();
    TABLES_PARSED.get_or_init(|| TABLES.iter().filter_map(|t| Table::parse(t)).collect())
}

/// `(major, minor, patch)` of a version such as `1.5.2` or `1.6.dev0`.
fn version_key(version: &str) -> (u32, u32, u32) {
    let mut parts = version
        .split('.')
        .map(|p| p.parse::<u32>().unwrap_or(0))
        .chain(std::iter::repeat(0));
    let mut next = || parts.next().unwrap_or(0);
    (next(), next(), next())
}

/// The table for a class pickled by scikit-learn `version`: that version's, else the
/// newest older one that knows the class, else the oldest newer one; the newest for a
/// pickle without a version (xgboost and lightgbm write none).
fn table_for(class: &str, version: Option<&str>) -> Option<&'static Table> {
    let knowing = || tables().iter().filter(|t| t.class(class).is_some());
    let Some(version) = version else {
        return knowing().next_back();
    };
    let wanted = version_key(version);
    knowing()
        .rfind(|t| version_key(&t.sklearn) <= wanted)
        .or_else(|| knowing().next())
}

/// What a parameter's default is known to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Default {
    /// The repr of the default, as scikit-learn's printer writes it on one line.
    Repr(&'static str),
    /// The parameter has none (or is not in `__init__`'s signature): always shown.
    Required,
    /// The class is in no table: the default is not known.
    Unknown,
}

/// One constructor parameter and its value in the pickle.
#[derive(Debug, Clone, PartialEq)]
pub struct Param<'p> {
    /// Its name.
    pub name: &'p str,
    /// Its value.
    pub value: Value,
    /// Its default.
    pub default: Default,
}

/// An estimator read from its pickled state.
#[derive(Debug, Clone)]
pub struct Estimator<'p> {
    /// The class's module (`sklearn.linear_model._logistic`).
    pub module: &'p str,
    /// The class's name (`LogisticRegression`).
    pub name: &'p str,
    /// The scikit-learn version that pickled it (`_sklearn_version`).
    pub version: Option<&'p str>,
    /// The table its defaults come from, if one knows the class.
    pub defaults: Option<&'static Table>,
    /// Its parameters, sorted by name as `get_params` sorts them for the repr.
    pub params: Vec<Param<'p>>,
    /// The rest of its state: fitted attributes (`coef_`) and private ones, in order.
    pub fitted: Vec<(&'p str, Value)>,
}

impl Estimator<'_> {
    /// Whether it has been fitted: scikit-learn's `check_is_fitted` looks for an
    /// attribute that ends with `_` and does not start with `__`.
    pub fn is_fitted(&self) -> bool {
        self.fitted
            .iter()
            .any(|(name, _)| name.ends_with('_') && !name.starts_with("__"))
    }
}

/// The class and `BUILD` state of an object made without calling its class: an
/// instance node, or `copyreg.__newobj__` / `_reconstructor(cls, object, None)`.
pub fn object_state(pickle: &Pickle<'_>, value: Value) -> Option<(Value, Value)> {
    let inert = view::inert(pickle, value)?;
    let state = match inert.mutations.as_slice() {
        [Mutation::Build(state)] => *state,
        _ => return None,
    };
    let class = match inert.kind {
        InertKind::Instance { class, .. } => class,
        InertKind::Call { .. } => {
            let call = view::call(pickle, value)?;
            let (module, name) = view::global(pickle, call.func)?;
            match (module, name) {
                ("copyreg", "__newobj__") => call.args.first()?,
                ("copyreg", "_reconstructor") => {
                    let [class, base, Value::None] = call.args.array()? else {
                        return None;
                    };
                    view::is_global(pickle, base, "builtins", "object").then_some(class)?
                }
                _ => return None,
            }
        }
        _ => return None,
    };
    Some((class, state))
}

/// The estimator a value is: an instance whose state is a str-keyed dict holding
/// `_sklearn_version` (any subclass of `BaseEstimator`, a user's too), or of a class a
/// table knows (xgboost's and lightgbm's estimators).
pub fn estimator<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<Estimator<'p>> {
    let (class, state) = object_state(pickle, value)?;
    let (module, name) = view::global(pickle, class)?;
    let state = view::str_dict_capped(pickle, state, MAX_STATE)?;
    let version = view::field(&state, "_sklearn_version").and_then(|v| view::str(pickle, v));
    let class_name = format!("{module}.{name}");
    let defaults = table_for(&class_name, version);
    let known = defaults.and_then(|table| table.class(&class_name));
    // scikit-learn's `BaseEstimator` pickles its version; xgboost's and lightgbm's
    // estimators do not, but their tables know them (and not their `Booster`s).
    if version.is_none() && known.is_none() {
        return None;
    }
    let mut params = Vec::new();
    let mut fitted = Vec::new();
    let mut param_names: Vec<&str> = Vec::new();
    if let Some(known) = known {
        for (param, default) in known {
            let Some(value) = view::field(&state, param) else {
                continue;
            };
            let name = state.iter().find(|(k, _)| k == param).map(|(k, _)| *k)?;
            param_names.push(name);
            let default = default.as_deref().map_or(Default::Required, Default::Repr);
            params.push(Param {
                name,
                value,
                default,
            });
        }
        // lightgbm's `get_params` adds the keyword arguments it kept apart.
        if module.starts_with("lightgbm.") {
            extra_params(pickle, &state, &mut params);
        }
    }
    for &(key, value) in &state {
        if key == "_sklearn_version" || param_names.contains(&key) {
            continue;
        }
        // Without a table, public names that are not fitted are taken as parameters.
        if known.is_none() && !key.starts_with('_') && !key.ends_with('_') {
            params.push(Param {
                name: key,
                value,
                default: Default::Unknown,
            });
            continue;
        }
        fitted.push((key, value));
    }
    params.sort_by(|a, b| a.name.cmp(b.name));
    Some(Estimator {
        module,
        name,
        version,
        defaults: known.and(defaults),
        params,
        fitted,
    })
}

/// The entries of lightgbm's `_other_params`, which its `get_params` returns beside the
/// signature's (`verbose=-1`): shown always, as keywords outside the signature are.
fn extra_params<'p>(
    pickle: &'p Pickle<'_>,
    state: &[(&'p str, Value)],
    params: &mut Vec<Param<'p>>,
) {
    let Some(other) = view::field(state, "_other_params") else {
        return;
    };
    let Some(entries) = view::str_dict_capped(pickle, other, MAX_STATE) else {
        return;
    };
    for (name, value) in entries {
        if params.iter().all(|p| p.name != name) {
            params.push(Param {
                name,
                value,
                default: Default::Required,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_parses_and_names_its_version() {
        let versions: Vec<&str> = tables().iter().map(|t| t.sklearn.as_str()).collect();
        assert_eq!(versions, ["1.2.2", "1.5.2", "1.9.1"]);
        assert!(tables().iter().all(|t| t.classes.len() > 150));
    }

    #[test]
    fn the_table_follows_the_pickles_version() {
        let class = "sklearn.linear_model._logistic.LogisticRegression";
        let penalty = |version| {
            table_for(class, version)
                .and_then(|t| t.class(class))
                .and_then(|params| params.iter().find(|(n, _)| n == "penalty"))
                .and_then(|(_, d)| d.clone())
        };
        // The default of `penalty` changed between 1.5 and 1.9.
        assert_eq!(penalty(Some("1.5.2")).as_deref(), Some("'l2'"));
        assert_eq!(penalty(Some("1.9.1")).as_deref(), Some("'deprecated'"));
        assert_eq!(penalty(Some("1.7.0")).as_deref(), Some("'l2'"));
        assert_eq!(penalty(Some("0.24.2")).as_deref(), Some("'l2'"));
        assert_eq!(penalty(None).as_deref(), Some("'deprecated'"));
    }

    #[test]
    fn versions_compare_by_number() {
        assert!(version_key("1.10.0") > version_key("1.9.1"));
        assert_eq!(version_key("1.6.dev0"), (1, 6, 0));
    }
}
