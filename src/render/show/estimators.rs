//! scikit-learn estimators in `show`: scikit-learn's own repr (class names, the
//! parameters that differ from their defaults, its line breaks), then what fitting left
//! in them, one attribute a line, each summarized (`coef_: ndarray float64 (1, 4)`; a
//! forest's trees folded by `show` to the first and a count), nested estimators under
//! their names.
//!
//! ```text
//! Pipeline(steps=[('scaler', StandardScaler()),
//!                 ('clf', LogisticRegression(C=0.5))])
//!   # scikit-learn 1.9.1
//!   scaler: StandardScaler
//!     n_features_in_=4
//!     mean_: ndarray float64 (4,) [-0.035, …]
//! ```

use std::rc::Rc;

use super::doc::Doc;
use super::sklearn_pprint::{self, Pretty};
use super::Recognizer;
use crate::graph::{Node, NodeId, Pickle, Value};
use crate::python::numpy::{self, ArrayData};
use crate::python::sklearn::{self, Default, Estimator};
use crate::python::view;
use crate::render::repr::Renderer;

/// Containers nested deeper than this in a parameter print as `...`, as a depth-limited
/// `pprint` does: real parameters nest a few levels, hostile ones any number.
const MAX_DEPTH: usize = 16;
/// Values read into one repr at most; the rest print as `...`.
const MAX_VALUES: usize = 5_000;
/// A parameter's value whose repr is longer than this prints by its class alone.
const ATOM_BYTES: usize = 200;
/// Nested estimators whose fitted attributes are listed, at most.
const MAX_SECTIONS: usize = 32;
/// Attributes listed per estimator, at most.
const MAX_ATTRIBUTES: usize = 64;
/// A container with at most this many items is printed whole among the fitted
/// attributes; a longer one by its size.
const SMALL: usize = 8;
/// Array values shown after a fitted array's header.
const ARRAY_VALUES: usize = 4;

/// The recognizer.
#[derive(Default)]
pub struct Estimators {
    /// `show`'s width, when narrower than scikit-learn's 80 (0: not told).
    width: std::cell::Cell<usize>,
    /// What names the definitions a pickle ships (the skeletons): a parameter that is a
    /// function sent by value prints as the name `show` gives it above
    /// (`FunctionTransformer(func=<lambda>)`), where its repr would be its whole code.
    names: Option<Rc<dyn Recognizer>>,
}

impl Estimators {
    /// Estimators whose parameters are named by `names` where it knows them.
    pub fn naming_with(names: Rc<dyn Recognizer>) -> Estimators {
        Estimators {
            names: Some(names),
            ..Estimators::default()
        }
    }
}

impl Recognizer for Estimators {
    fn name(&self) -> &'static str {
        "sklearn-estimator"
    }

    /// It reads instances only.
    fn claims_containers(&self, _: &Pickle<'_>) -> bool {
        false
    }

    /// Narrower than 80 columns, the repr is laid out as scikit-learn would lay it out
    /// at that width.
    fn fit_width(&self, width: usize) {
        self.width.set(width);
    }

    fn recognize(&self, pickle: &Pickle<'_>, id: NodeId) -> Option<Doc> {
        let estimator = sklearn::estimator(pickle, Value::Node(id))?;
        let mut builder = Builder::new(pickle, self.names.as_deref());
        builder.path.push(id);
        let pretty = builder.estimator(&estimator, "", 0);
        let text = match self.width.get() {
            0 => sklearn_pprint::repr(&pretty),
            width => sklearn_pprint::repr_at(&pretty, width),
        };
        // scikit-learn breaks its repr at 79 columns from the left margin; one written on a
        // line of its own is grouped at its brackets, so that where `show` indents it (a
        // forest's trees) it breaks at its commas rather than pass the width.
        let repr = match text.contains('\n') {
            true => Doc::lines(text.lines().map(str::to_string).collect::<Vec<_>>()),
            false => super::brackets::text(text),
        };
        let mut parts = vec![repr];
        let mut below = vec![Doc::HardLine, Doc::comment(origin(&estimator))];
        below.extend(fitted(pickle, &mut builder, &estimator));
        // Sections found while listing sections are listed too, up to the bound.
        let mut next = 0;
        while let Some((label, nested)) = builder.sections.get(next).cloned() {
            next += 1;
            let Some(nested) = sklearn::estimator(pickle, nested) else {
                continue;
            };
            let inner = fitted(pickle, &mut builder, &nested);
            if inner.is_empty() {
                continue;
            }
            below.extend([
                Doc::HardLine,
                Doc::text(format!("{label}: {}", nested.name)),
            ]);
            below.push(Doc::Indent(inner));
        }
        parts.push(Doc::Indent(below));
        Some(Doc::Concat(parts))
    }
}

/// `# scikit-learn 1.9.1`, and where the defaults come from when not from that version.
fn origin(estimator: &Estimator<'_>) -> String {
    let version = estimator.version.map(|v| format!("scikit-learn {v}"));
    let defaults = match estimator.defaults {
        None => Some(format!(
            "defaults of {}.{} unknown: every parameter shown",
            estimator.module, estimator.name
        )),
        Some(table) if Some(table.sklearn.as_str()) != estimator.version => Some(format!(
            "defaults of {}",
            table
                .libraries
                .iter()
                .map(|(name, version)| format!("{name} {version}"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Some(_) => None,
    };
    let parts: Vec<String> = [version, defaults].into_iter().flatten().collect();
    match parts.is_empty() {
        true => format!("# {}.{}", estimator.module, estimator.name),
        false => format!("# {}", parts.join("; ")),
    }
}

/// Turns graph values into the printer's [`Pretty`] values.
struct Builder<'p, 'a> {
    pickle: &'p Pickle<'a>,
    renderer: Renderer<'p, 'a>,
    /// What names the pickle's definitions, if anything.
    names: Option<&'p dyn Recognizer>,
    /// The nodes being read, to print a cycle as Python's `pprint` does.
    path: Vec<NodeId>,
    /// Values read so far.
    values: usize,
    /// Nested estimators whose fitted attributes follow the repr, with their labels.
    sections: Vec<(String, Value)>,
}

impl<'p, 'a> Builder<'p, 'a> {
    fn new(pickle: &'p Pickle<'a>, names: Option<&'p dyn Recognizer>) -> Builder<'p, 'a> {
        Builder {
            pickle,
            renderer: Renderer::new(pickle),
            names,
            path: Vec::new(),
            values: 0,
            sections: Vec::new(),
        }
    }

    /// An estimator with the parameters `_changed_params` keeps: those without a
    /// known default, and those whose repr differs from the default's.
    fn estimator(&mut self, estimator: &Estimator<'_>, label: &str, depth: usize) -> Pretty {
        let mut params = Vec::new();
        for param in &estimator.params {
            let child = match label.is_empty() {
                true => param.name.to_string(),
                false => format!("{label}.{}", param.name),
            };
            let value = self.value(param.value, &child, depth + 1);
            let changed = match param.default {
                Default::Repr(default) => value.one_line() != default,
                Default::Required | Default::Unknown => true,
            };
            if changed {
                params.push((param.name.to_string(), value));
            }
        }
        Pretty::Estimator {
            name: estimator.name.to_string(),
            params,
        }
    }

    fn value(&mut self, value: Value, label: &str, depth: usize) -> Pretty {
        self.values += 1;
        if depth > MAX_DEPTH || self.values > MAX_VALUES {
            return Pretty::Atom("...".to_string());
        }
        let Some(id) = value.node() else {
            return self.atom(value);
        };
        if self.path.contains(&id) {
            return Pretty::Atom("<Recursion>".to_string());
        }
        self.path.push(id);
        let pretty = self.node(id, label, depth);
        self.path.pop();
        pretty
    }

    fn node(&mut self, id: NodeId, label: &str, depth: usize) -> Pretty {
        let value = Value::Node(id);
        match self.pickle.node(id) {
            Node::List(items) => {
                let items = items.to_vec();
                Pretty::List(self.items(&items, label, depth))
            }
            Node::Tuple(items) => {
                let items = items.to_vec();
                Pretty::Tuple(self.items(&items, label, depth))
            }
            Node::Dict(entries) => {
                let mut entries = entries.to_vec();
                self.sort_keys(&mut entries);
                let items = entries
                    .into_iter()
                    .map(|(k, v)| {
                        let key = self.value(k, label, depth + 1);
                        let child = format!("{label}[{}]", key.one_line());
                        (key, self.value(v, &child, depth + 1))
                    })
                    .collect();
                Pretty::Dict(items)
            }
            Node::Inert(_) => match sklearn::estimator(self.pickle, value) {
                Some(estimator) => {
                    self.section(&estimator, label, value);
                    self.estimator(&estimator, label, depth)
                }
                None => self.atom(value),
            },
            _ => self.atom(value),
        }
    }

    /// The items of a list or tuple; a `(name, estimator, …)` tuple names what it holds
    /// (a pipeline's steps, a column transformer's transformers).
    fn items(&mut self, items: &[Value], label: &str, depth: usize) -> Vec<Pretty> {
        let name = match items {
            [first, ..] => view::str(self.pickle, *first).map(str::to_string),
            _ => None,
        };
        items
            .iter()
            .enumerate()
            .map(|(i, &item)| {
                let child = match &name {
                    Some(name) => name.clone(),
                    None => format!("{label}[{i}]"),
                };
                self.value(item, &child, depth + 1)
            })
            .collect()
    }

    /// `pprint` sorts a dict's items by key; strs and ints are sorted here, other keys
    /// keep their order.
    fn sort_keys(&self, entries: &mut [(Value, Value)]) {
        let pickle = self.pickle;
        if entries.iter().all(|(k, _)| view::str(pickle, *k).is_some()) {
            entries.sort_by(|a, b| view::str(pickle, a.0).cmp(&view::str(pickle, b.0)));
        } else if entries.iter().all(|(k, _)| view::int(*k).is_some()) {
            entries.sort_by_key(|(k, _)| view::int(*k));
        }
    }

    /// Lists a fitted estimator's attributes after the repr, once, under `label`.
    fn section(&mut self, estimator: &Estimator<'_>, label: &str, value: Value) {
        let listed = self.sections.iter().any(|(_, v)| *v == value)
            || self.path.first() == value.node().as_ref();
        if estimator.is_fitted() && !listed && self.sections.len() < MAX_SECTIONS {
            self.sections.push((label.to_string(), value));
        }
    }

    /// A value printed by its repr: a class as Python writes one (`<class
    /// 'numpy.float64'>`, a default of `OneHotEncoder`), an array by its summary, a
    /// definition the pickle ships by the name `show` gives it, another object by its
    /// rebuilding expression or, when that is long, its class (`module.Class(…)`).
    fn atom(&mut self, value: Value) -> Pretty {
        let pickle = self.pickle;
        if let Some((module, name)) = view::global(pickle, value) {
            return Pretty::Atom(format!("<class '{module}.{name}'>"));
        }
        if let Some(array) = value.node().and_then(|id| numpy::array(pickle, id)) {
            return Pretty::Atom(array_summary(pickle, &array));
        }
        if let Some(scalar) = value.node().and_then(|id| numpy::scalar(pickle, id)) {
            if scalar.object.is_none() {
                return Pretty::Atom(scalar.to_string());
            }
        }
        let named = (self.names.zip(value.node())).and_then(|(names, id)| names.leaf(pickle, id));
        if let Some(name) = named {
            return Pretty::Atom(name);
        }
        let (text, cut) = self.renderer.render(value, ATOM_BYTES);
        match cut {
            true => Pretty::Atom(class_only(pickle, value).unwrap_or(text)),
            false => Pretty::Atom(text),
        }
    }
}

/// The fitted (and private) attributes of an estimator, a line each.
fn fitted(
    pickle: &Pickle<'_>,
    builder: &mut Builder<'_, '_>,
    estimator: &Estimator<'_>,
) -> Vec<Doc> {
    let mut docs = Vec::new();
    for (i, &(name, value)) in estimator.fitted.iter().enumerate() {
        if i == MAX_ATTRIBUTES {
            docs.extend([
                Doc::HardLine,
                Doc::comment(super::doc::more_items(estimator.fitted.len() - i)),
            ]);
            break;
        }
        docs.push(Doc::HardLine);
        docs.push(attribute(pickle, builder, name, value));
    }
    docs
}

/// One attribute: `name=repr` for a scalar, `name: summary` for an array, an estimator or
/// a list of them, the value as `show` prints it for anything else small.
fn attribute(pickle: &Pickle<'_>, builder: &mut Builder<'_, '_>, name: &str, value: Value) -> Doc {
    let Some(id) = value.node() else {
        return Doc::text(format!("{name}={}", builder.renderer.render(value, 200).0));
    };
    // An estimator, or a list of them (a forest's trees), is printed by `show`, which
    // labels one shared (a forest's `estimator` and `estimator_`) and folds a list of one
    // shape to its first item and a count.
    if sklearn::estimator(pickle, value).is_some() {
        return Doc::Concat(vec![Doc::text(format!("{name}=")), Doc::Value(value)]);
    }
    if let Some(array) = numpy::array(pickle, id) {
        return array_doc(name, builder, &array);
    }
    if let Some(scalar) = numpy::scalar(pickle, id) {
        if scalar.object.is_none() {
            return Doc::text(format!("{name}={scalar}"));
        }
    }
    match pickle.node(id) {
        Node::Str(_) | Node::Bytes(_) | Node::BigInt(_) => {
            Doc::text(format!("{name}={}", builder.renderer.render(value, 200).0))
        }
        Node::List(items) | Node::Tuple(items) => {
            let items = items.to_vec();
            if items
                .iter()
                .any(|&item| sklearn::estimator(pickle, item).is_some())
            {
                return Doc::Concat(vec![Doc::text(format!("{name}=")), Doc::Value(value)]);
            }
            sized(builder, name, value, items.len())
        }
        Node::Dict(entries) => sized(builder, name, value, entries.len()),
        // Private state (a random generator, a loss object) by its class alone; a
        // booster, which `show` summarizes, in full.
        Node::Inert(_) if name.starts_with('_') && !name.ends_with("Booster") => {
            match class_only(pickle, value) {
                Some(class) => Doc::text(format!("{name}: {class}")),
                None => Doc::text(format!("{name}: …")),
            }
        }
        _ => Doc::Concat(vec![Doc::text(format!("{name}=")), Doc::Value(value)]),
    }
}

/// An object by its class alone, `module.Class(…)`: private state, or a parameter whose
/// rebuilding expression is too long to be read in a repr.
fn class_only(pickle: &Pickle<'_>, value: Value) -> Option<String> {
    if !matches!(pickle.get(value), Some(Node::Inert(_))) {
        return None;
    }
    let (module, class) = sklearn::object_state(pickle, value)
        .and_then(|(class, _)| view::global(pickle, class))
        .or_else(|| view::call(pickle, value).and_then(|c| view::global(pickle, c.func)))?;
    Some(format!("{module}.{class}(…)"))
}

/// A small container as the repr prints it (estimators as scikit-learn writes them,
/// arrays by their summary), a large one by its size.
fn sized(builder: &mut Builder<'_, '_>, name: &str, value: Value, len: usize) -> Doc {
    match len <= SMALL {
        true => {
            let pretty = builder.value(value, name, 0);
            super::brackets::text(format!("{name}={}", pretty.one_line()))
        }
        false => Doc::text(format!(
            "{name}: {} items",
            crate::text::quantity::thousands(len as u64)
        )),
    }
}

/// `name: ndarray float64 (1, 4) [0.22, 0.26, …]`, its values filling lines.
fn array_doc(name: &str, builder: &mut Builder<'_, '_>, array: &numpy::Array<'_>) -> Doc {
    let pickle = builder.pickle;
    let head = Doc::text(format!("{name}: {}", array_head(pickle, array)));
    let values = match &array.data {
        ArrayData::Objects { items, .. } => items
            .iter()
            .take(ARRAY_VALUES)
            .map(|item| view::str(pickle, item).map(|_| builder.renderer.render(item, 100).0))
            .collect::<Option<Vec<_>>>(),
        _ => array.first_values(ARRAY_VALUES),
    };
    let Some(values) = values.filter(|v| !v.is_empty()) else {
        return head;
    };
    let more = (values.len() as u64) < array.len();
    let values = values.into_iter().map(Doc::text).collect();
    super::models::filled_list(head, values, more, false)
}

/// `ndarray float64 (1, 4)`, or for an object array of estimators (gradient boosting's
/// trees) `ndarray object (10, 1) of 10 × DecisionTreeRegressor`.
fn array_head(pickle: &Pickle<'_>, array: &numpy::Array<'_>) -> String {
    let head = format!(
        "{} {} {}",
        array.class_name(),
        array.dtype.name(),
        numpy::shape_tuple(&array.shape)
    );
    let ArrayData::Objects { items, .. } = &array.data else {
        return head;
    };
    let mut names: Vec<&str> = Vec::new();
    for item in items.iter() {
        let Some((_, name)) =
            sklearn::object_state(pickle, item).and_then(|(class, _)| view::global(pickle, class))
        else {
            return head;
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    match names.as_slice() {
        [one] => format!("{head} of {} × {one}", items.len()),
        _ => head,
    }
}

/// An array on one line, as a parameter's value: `ndarray float64 (4,)`.
fn array_summary(pickle: &Pickle<'_>, array: &numpy::Array<'_>) -> String {
    array_head(pickle, array)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::show::{to_text, ShowOptions};

    fn shown(data: &[u8]) -> String {
        let pickle = crate::load(data).unwrap();
        let mut options = ShowOptions::plain(100);
        options.recognizers.push(Box::new(Estimators::default()));
        to_text(&pickle, &options)
    }

    #[test]
    fn an_estimator_that_holds_itself_prints_the_cycle_once() {
        // A class of an unknown module whose parameters refer to the estimator itself.
        let data = b"\x80\x02csklearn.fake\nWrapper\n)\x81q\x00}(X\t\x00\x00\x00estimatorh\x00\
X\x05\x00\x00\x00items](h\x00K\x01eX\x10\x00\x00\x00_sklearn_versionX\x05\x00\x00\x001.9.1ub.";
        assert_eq!(
            shown(data),
            "&1 Wrapper(estimator=<Recursion>, items=[<Recursion>, 1])\n  \
# scikit-learn 1.9.1; defaults of sklearn.fake.Wrapper unknown: every parameter shown\n"
        );
    }

    #[test]
    fn a_state_with_keys_that_are_not_strs_is_no_estimator() {
        // Wrapper.__new__(Wrapper), BUILD {1: 2, '_sklearn_version': '1.9.1'}
        let data = b"\x80\x02csklearn.fake\nWrapper\n)\x81}(K\x01K\x02X\x10\x00\x00\x00\
_sklearn_versionX\x05\x00\x00\x001.9.1ub.";
        assert!(
            shown(data).starts_with("sklearn.fake.Wrapper"),
            "{}",
            shown(data)
        );
    }
}
