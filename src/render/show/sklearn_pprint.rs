//! scikit-learn's repr of an estimator, laid out as its pretty printer lays it out
//! (`sklearn.utils._pprint._EstimatorPrettyPrinter` over `pprint.PrettyPrinter`, as
//! `BaseEstimator.__repr__` configures it: width 80, compact, indented at the class
//! name, at most 30 items of a sequence, and about 700 non-blank characters in all).
//!
//! The printer works on [`Pretty`] values: the estimators, containers and atoms that a
//! repr is made of, built from the graph by `show`'s estimator recognizer. This file knows
//! nothing of pickles. Strings too long for a line are not split into parts as
//! `pprint` splits them.
//!
//! ```text
//! Pipeline(steps=[('scaler', StandardScaler()),
//!                 ('clf', LogisticRegression(C=0.5))])
//! ```

/// `pprint`'s width, which `BaseEstimator.__repr__` keeps.
pub const WIDTH: usize = 80;
/// `N_MAX_ELEMENTS_TO_SHOW`: items of a sequence (or parameters) shown before `...`.
const MAX_ELEMENTS: usize = 30;
/// `N_CHAR_MAX`: non-blank characters over which the middle of the repr is cut.
const MAX_CHARS: usize = 700;

/// A value as the printer sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Pretty {
    /// Anything printed by its repr alone (numbers, strs, `None`, other objects).
    Atom(String),
    /// A list.
    List(Vec<Pretty>),
    /// A tuple.
    Tuple(Vec<Pretty>),
    /// A dict, its items already sorted as `pprint` sorts them.
    Dict(Vec<(Pretty, Pretty)>),
    /// An estimator: its class name and the parameters shown, sorted by name.
    Estimator {
        /// The class's name, without its module.
        name: String,
        /// The parameters that differ from their defaults.
        params: Vec<(String, Pretty)>,
    },
}

impl Pretty {
    /// The value on one line (`_safe_repr`).
    /// ```
    /// use picklegraph::render::show::sklearn_pprint::Pretty;
    /// let value = Pretty::Tuple(vec![Pretty::Atom("1".into())]);
    /// assert_eq!(value.one_line(), "(1,)");
    /// ```
    pub fn one_line(&self) -> String {
        let mut out = String::new();
        self.write_one_line(&mut out);
        out
    }

    fn write_one_line(&self, out: &mut String) {
        match self {
            Pretty::Atom(text) => out.push_str(text),
            Pretty::List(items) => {
                out.push('[');
                join(out, items, |out, item| item.write_one_line(out));
                out.push(']');
            }
            Pretty::Tuple(items) => {
                out.push('(');
                join(out, items, |out, item| item.write_one_line(out));
                out.push_str(if items.len() == 1 { ",)" } else { ")" });
            }
            Pretty::Dict(items) => {
                out.push('{');
                join(out, items, |out, (key, value)| {
                    key.write_one_line(out);
                    out.push_str(": ");
                    value.write_one_line(out);
                });
                out.push('}');
            }
            Pretty::Estimator { name, params } => {
                out.push_str(name);
                out.push('(');
                join(out, params, |out, (key, value)| {
                    out.push_str(key);
                    out.push('=');
                    value.write_one_line(out);
                });
                out.push(')');
            }
        }
    }
}

/// Writes `items` separated by `, `.
fn join<T>(out: &mut String, items: &[T], mut write: impl FnMut(&mut String, &T)) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write(out, item);
    }
}

fn chars(text: &str) -> isize {
    text.chars().count() as isize
}

/// The estimator's repr as `BaseEstimator.__repr__` returns it.
/// ```
/// use picklegraph::render::show::sklearn_pprint::{repr, Pretty};
/// let scaler = Pretty::Estimator { name: "StandardScaler".into(), params: vec![] };
/// assert_eq!(repr(&scaler), "StandardScaler()");
/// ```
pub fn repr(value: &Pretty) -> String {
    repr_at(value, WIDTH)
}

/// The repr as `BaseEstimator.__repr__` would write it with `pprint`'s width `width`
/// (at most 80, scikit-learn's): how `show` fits an estimator into a narrower line.
/// ```
/// use picklegraph::render::show::sklearn_pprint::{repr_at, Pretty};
/// let param = |v: &str| Pretty::Atom(v.to_string());
/// let model = Pretty::Estimator {
///     name: "LogisticRegression".into(),
///     params: vec![("C".into(), param("0.5")), ("max_iter".into(), param("1000"))],
/// };
/// assert_eq!(repr_at(&model, 80), "LogisticRegression(C=0.5, max_iter=1000)");
/// assert_eq!(repr_at(&model, 30), "LogisticRegression(C=0.5,\n                   max_iter=1000)");
/// ```
pub fn repr_at(value: &Pretty, width: usize) -> String {
    let mut printer = Printer {
        out: String::new(),
        width: width.min(WIDTH) as isize,
    };
    printer.format(value, 0, 0);
    ellipsize(printer.out)
}

struct Printer {
    out: String,
    width: isize,
}

/// An item of a parameter list or a dict: its key as written, and its value.
struct Entry<'v> {
    key: String,
    value: &'v Pretty,
}

impl Printer {
    /// `PrettyPrinter._format`: the one-line repr if it fits, else the type's layout.
    fn format(&mut self, value: &Pretty, indent: isize, allowance: isize) {
        let rep = value.one_line();
        if chars(&rep) <= self.width - indent - allowance {
            self.out.push_str(&rep);
            return;
        }
        match value {
            Pretty::Atom(_) => self.out.push_str(&rep),
            Pretty::List(items) => {
                self.out.push('[');
                self.format_items(items, indent, allowance + 1);
                self.out.push(']');
            }
            Pretty::Tuple(items) => {
                let end = if items.len() == 1 { ",)" } else { ")" };
                self.out.push('(');
                self.format_items(items, indent, allowance + chars(end));
                self.out.push_str(end);
            }
            Pretty::Dict(items) => {
                self.out.push('{');
                let entries: Vec<Entry<'_>> = items
                    .iter()
                    .map(|(key, value)| Entry {
                        key: key.one_line(),
                        value,
                    })
                    .collect();
                self.format_entries(&entries, indent, allowance + 1, ": ");
                self.out.push('}');
            }
            Pretty::Estimator { name, params } => {
                self.out.push_str(name);
                self.out.push('(');
                let entries: Vec<Entry<'_>> = params
                    .iter()
                    .map(|(key, value)| Entry {
                        key: key.clone(),
                        value,
                    })
                    .collect();
                self.format_entries(&entries, indent + chars(name), allowance + 1, "=");
                self.out.push(')');
            }
        }
    }

    /// `_format_items` of a list or tuple: as many items on a line as fit (compact),
    /// an item too long for any line laid out on lines of its own; `...` after 30.
    fn format_items(&mut self, items: &[Pretty], indent: isize, allowance: isize) {
        let indent = indent + 1;
        let mut line = Line::new(self.width - indent + 1);
        for (i, item) in items.iter().enumerate() {
            if i == MAX_ELEMENTS {
                self.out.push_str(", ...");
                break;
            }
            let last = i + 1 == items.len();
            line.last(last, allowance);
            let rep = item.one_line();
            if !self.compact(&mut line, &rep, indent) {
                self.out.push_str(&line.take_delimiter(indent));
                self.format(item, indent, if last { allowance } else { 1 });
            }
        }
    }

    /// `_format_params_or_dict_items`: the same for `key=value` or `key: value` pairs.
    fn format_entries(
        &mut self,
        entries: &[Entry<'_>],
        indent: isize,
        allowance: isize,
        middle: &str,
    ) {
        let indent = indent + 1;
        let mut line = Line::new(self.width - indent + 1);
        for (i, entry) in entries.iter().enumerate() {
            if i == MAX_ELEMENTS {
                self.out.push_str(", ...");
                break;
            }
            let last = i + 1 == entries.len();
            line.last(last, allowance);
            let rep = format!("{}{middle}{}", entry.key, entry.value.one_line());
            if !self.compact(&mut line, &rep, indent) {
                self.out.push_str(&line.take_delimiter(indent));
                // `_pprint_key_val_tuple`: the value indented past its key.
                self.out.push_str(&entry.key);
                self.out.push_str(middle);
                let at = indent + chars(&entry.key) + chars(middle);
                self.format(entry.value, at, if last { allowance } else { 1 });
            }
        }
    }

    /// Writes `rep` on the current line, or on a new one, if it fits either; says
    /// whether it did.
    fn compact(&mut self, line: &mut Line, rep: &str, indent: isize) -> bool {
        let w = chars(rep) + 2;
        if line.width < w {
            line.width = line.max_width;
            if line.delimiter != Delimiter::None {
                line.delimiter = Delimiter::NewLine;
            }
        }
        if line.width < w {
            return false;
        }
        line.width -= w;
        self.out.push_str(&line.delimiter.text(indent));
        line.delimiter = Delimiter::Comma;
        self.out.push_str(rep);
        true
    }
}

/// The delimiter before the next item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Delimiter {
    None,
    Comma,
    NewLine,
}

impl Delimiter {
    fn text(self, indent: isize) -> String {
        match self {
            Delimiter::None => String::new(),
            Delimiter::Comma => ", ".to_string(),
            Delimiter::NewLine => format!(",\n{}", " ".repeat(indent.max(0) as usize)),
        }
    }
}

/// The room left on the current line of a compact layout.
struct Line {
    width: isize,
    max_width: isize,
    delimiter: Delimiter,
}

impl Line {
    fn new(width: isize) -> Line {
        Line {
            width,
            max_width: width,
            delimiter: Delimiter::None,
        }
    }

    /// The last item leaves room for what closes its parents.
    fn last(&mut self, last: bool, allowance: isize) {
        if last {
            self.max_width -= allowance;
            self.width -= allowance;
        }
    }

    /// The delimiter before an item laid out over lines; the next one starts a line.
    fn take_delimiter(&mut self, indent: isize) -> String {
        let text = self.delimiter.text(indent);
        self.delimiter = Delimiter::NewLine;
        text
    }
}

/// `BaseEstimator.__repr__`'s cut: over 700 non-blank characters, the middle is
/// replaced by `...`, keeping about 350 on each side (and the right side from the start
/// of a line when the two sides are on different lines).
fn ellipsize(repr: String) -> String {
    let nonblank = repr.chars().filter(|c| !c.is_whitespace()).count();
    if nonblank <= MAX_CHARS {
        return repr;
    }
    let keep = MAX_CHARS / 2;
    let chars: Vec<char> = repr.chars().collect();
    let Some(left) = after_nonblank(chars.iter().copied(), keep) else {
        return repr;
    };
    let Some(mut right) = after_nonblank(chars.iter().rev().copied(), keep) else {
        return repr;
    };
    if chars.len() < left + right {
        return repr;
    }
    if chars[left..chars.len() - right].contains(&'\n') {
        // On to the line break before the right side, included.
        let rest = &chars[..chars.len() - right];
        match rest.iter().rev().position(|&c| c == '\n') {
            Some(at) => right += at + 1,
            None => return repr,
        }
    }
    if left + 3 >= chars.len().saturating_sub(right) {
        return repr;
    }
    let mut out: String = chars[..left].iter().collect();
    out.push_str("...");
    out.extend(&chars[chars.len() - right..]);
    out
}

/// How many characters `^(\s*\S){count}` matches: up to the `count`-th non-blank one.
fn after_nonblank(chars: impl Iterator<Item = char>, count: usize) -> Option<usize> {
    let mut seen = 0;
    for (i, c) in chars.enumerate() {
        if !c.is_whitespace() {
            seen += 1;
            if seen == count {
                return Some(i + 1);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn atom(text: &str) -> Pretty {
        Pretty::Atom(text.to_string())
    }

    fn estimator(name: &str, params: Vec<(&str, Pretty)>) -> Pretty {
        Pretty::Estimator {
            name: name.to_string(),
            params: params
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        }
    }

    #[test]
    fn a_pipeline_breaks_its_steps_as_scikit_learn_does() {
        let steps = Pretty::List(vec![
            Pretty::Tuple(vec![atom("'scaler'"), estimator("StandardScaler", vec![])]),
            Pretty::Tuple(vec![
                atom("'clf'"),
                estimator("LogisticRegression", vec![("C", atom("0.5"))]),
            ]),
        ]);
        let pipeline = estimator("Pipeline", vec![("steps", steps)]);
        assert_eq!(
            repr(&pipeline),
            "Pipeline(steps=[('scaler', StandardScaler()),\n                ('clf', LogisticRegression(C=0.5))])"
        );
    }

    #[test]
    fn more_than_thirty_parameters_end_in_an_ellipsis() {
        let params = (0..40)
            .map(|i| (format!("p{i:02}"), atom("None")))
            .collect();
        let text = repr(&Pretty::Estimator {
            name: "Many".into(),
            params,
        });
        assert!(text.ends_with("p29=None, ...)"), "{text}");
        assert!(text.lines().all(|line| line.chars().count() <= WIDTH));
    }

    #[test]
    fn a_repr_over_700_non_blank_characters_loses_its_middle() {
        let long = format!("'{}'", "x".repeat(800));
        let text = repr(&estimator("E", vec![("a", atom(&long))]));
        assert_eq!(text.chars().filter(|c| !c.is_whitespace()).count(), 703);
        assert!(text.starts_with("E(a='xxx") && text.contains("...") && text.ends_with("xx')"));
    }
}
