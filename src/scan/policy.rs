//! A user's policy: names and modules to allow or deny on top of the built-in lists.
//!
//! A pattern is a dotted name as the scan reports it (`mypkg.models.Model`, Python 2
//! spellings mapped as Python 3 maps them), or a module and everything in it and its
//! submodules (`mypkg.*`). Precedence, most specific first: an exact name beats a module,
//! a longer module beats a shorter one, and at the same place `deny` beats `allow`.
//!
//! An `allow` line turns "not on the allow list" into a pass. A module line never lets
//! through a name the deny tables call dangerous (a `mypkg.*` does not vouch for
//! `mypkg.Model.__init__.__globals__`); an exact name does, since whoever wrote it named
//! that very global. A `deny` line makes any finding with that name dangerous, even one
//! the built-in lists call safe.
//!
//! A policy file is TOML with two optional arrays of patterns:
//!
//! ```toml
//! allow = ["mypkg.models.Model", "mypkg.layers.*"]
//! deny = ["numpy.load", "pandas.io.*"]
//! ```

use serde::Deserialize;

use super::{Class, Finding};

/// What a policy line does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// Let the name through.
    Allow,
    /// Refuse the name: the file is dangerous.
    Deny,
}

impl Action {
    /// The TOML key of the action: `allow` or `deny`.
    pub fn name(self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Deny => "deny",
        }
    }
}

/// What a policy line matches.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Pattern {
    /// Exactly this dotted name (`mypkg.Model`).
    Name(String),
    /// Every name in this module and its submodules (`mypkg` for `mypkg.*`).
    Module(String),
}

impl Pattern {
    /// Parses `module.name` or `module.*`.
    /// ```
    /// use picklegraph::scan::policy::Pattern;
    /// assert_eq!(Pattern::parse("mypkg.*"), Ok(Pattern::Module("mypkg".into())));
    /// assert_eq!(Pattern::parse("mypkg.Model"), Ok(Pattern::Name("mypkg.Model".into())));
    /// assert!(Pattern::parse("*").is_err());
    /// ```
    ///
    /// # Errors
    /// A pattern that is empty, has an empty component (`a..b`, `.a`), white space or
    /// control characters, a `*` anywhere but as the whole last component, or a single
    /// component (a global is always `module.name`; a module is `module.*`).
    pub fn parse(text: &str) -> Result<Pattern, String> {
        if text == "*" {
            return Err(
                "\"*\" would allow or deny every name: write a module as `module.*` (--deny-only judges by the deny list alone)"
                    .to_string(),
            );
        }
        let (body, module) = match text.strip_suffix(".*") {
            Some(body) => (body, true),
            None => (text, false),
        };
        if body.is_empty() {
            return Err(format!(
                "{text:?} names nothing: write a module as `module.*`, a global as `module.name`"
            ));
        }
        if let Some(bad) = body
            .chars()
            .find(|c| c.is_whitespace() || c.is_control() || *c == '*')
        {
            return Err(format!(
                "{text:?} holds {bad:?}: `*` may only be the whole last component (`module.*`)"
            ));
        }
        if body.split('.').any(str::is_empty) {
            return Err(format!("{text:?} has an empty dotted component"));
        }
        if module {
            return Ok(Pattern::Module(body.to_string()));
        }
        if !body.contains('.') {
            return Err(format!(
                "{text:?} is a single name: a global is `module.name`; for a whole module write `{text}.*`"
            ));
        }
        Ok(Pattern::Name(body.to_string()))
    }

    /// Whether the pattern matches a global named `name`, in `module`.
    fn matches(&self, module: Option<&str>, name: &str) -> bool {
        match self {
            Pattern::Name(pattern) => pattern == name,
            Pattern::Module(pattern) => {
                // Without the module (never the case for a named finding), the dotted name's
                // prefix stands in for it.
                let module = module.unwrap_or(name);
                module
                    .strip_prefix(pattern.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
            }
        }
    }

    /// How specific the pattern is: an exact name above every module, a longer module
    /// above a shorter one.
    fn specificity(&self) -> (bool, usize) {
        match self {
            Pattern::Name(name) => (true, name.len()),
            Pattern::Module(module) => (false, module.len()),
        }
    }
}

impl std::fmt::Display for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Pattern::Name(name) => f.write_str(name),
            Pattern::Module(module) => write!(f, "{module}.*"),
        }
    }
}

/// Where a policy line was written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Origin {
    /// Added by a method call: a command-line argument (`--allow`), a keyword argument.
    Given,
    /// A line of a policy file, from 1.
    Line(usize),
}

/// One line of a policy: an action on a pattern, and where it was written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rule {
    /// Allow or deny.
    pub action: Action,
    /// What it matches.
    pub pattern: Pattern,
    /// Where it was written.
    pub origin: Origin,
}

impl std::fmt::Display for Rule {
    /// The rule as a policy file line, with where it was written:
    /// `allow = ["mypkg.*"] (policy line 3)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} = [\"{}\"]", self.action.name(), self.pattern)?;
        match self.origin {
            Origin::Given => write!(f, " (given as --{} {})", self.action.name(), self.pattern),
            Origin::Line(line) => write!(f, " (policy line {line})"),
        }
    }
}

/// A policy that a file or an argument could not give, with the line at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", .line.map(|l| format!("line {l}: ")).unwrap_or_default())]
pub struct PolicyError {
    /// The policy file's line at fault, from 1, when the policy came from a file.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

/// Names and modules to allow or deny on top of the built-in lists.
/// ```
/// use picklegraph::scan::{policy::Policy, scan_file, Verdict};
/// let input = b"cmypkg.models\nModel\n)\x81."; // mypkg.models.Model.__new__(Model)
/// assert_eq!(scan_file(input, false).verdict(), Verdict::NotAllowed);
/// let mut policy = Policy::new();
/// policy.allow("mypkg.*")?;
/// assert_eq!(scan_file(input, false).with_policy(policy).verdict(), Verdict::Clean);
/// let denied = Policy::from_toml("deny = [\"mypkg.models.Model\"]")?;
/// assert_eq!(scan_file(input, false).with_policy(denied).verdict(), Verdict::Dangerous);
/// # Ok::<(), picklegraph::scan::policy::PolicyError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    rules: Vec<Rule>,
}

/// The policy file as TOML writes it; unknown keys are errors, so a typo (`alow`) is not
/// a policy silently ignored.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    allow: Vec<toml::Spanned<String>>,
    #[serde(default)]
    deny: Vec<toml::Spanned<String>>,
}

impl Policy {
    /// An empty policy: the built-in lists alone.
    pub fn new() -> Policy {
        Policy::default()
    }

    /// Parses a policy file: `allow = [...]` and `deny = [...]`, arrays of patterns.
    /// ```
    /// use picklegraph::scan::policy::Policy;
    /// let policy = Policy::from_toml("# mine\nallow = [\"mypkg.*\"]\n")?;
    /// assert_eq!(policy.rules()[0].to_string(), "allow = [\"mypkg.*\"] (policy line 2)");
    /// let error = Policy::from_toml("allow = [\"mypkg.*\"]\ndeny = [\"*\"]\n").unwrap_err();
    /// assert_eq!(error.line, Some(2));
    /// # Ok::<(), picklegraph::scan::policy::PolicyError>(())
    /// ```
    ///
    /// # Errors
    /// Text that is not TOML, a key other than `allow` and `deny`, a value that is not an
    /// array of strings, or a pattern [`Pattern::parse`] refuses; each with its line.
    pub fn from_toml(text: &str) -> Result<Policy, PolicyError> {
        let file: PolicyFile = toml::from_str(text).map_err(|error| PolicyError {
            line: error.span().map(|span| line_of(text, span.start)),
            message: error.message().trim_end().to_string(),
        })?;
        let mut policy = Policy::new();
        for (action, patterns) in [(Action::Allow, file.allow), (Action::Deny, file.deny)] {
            for pattern in patterns {
                let line = line_of(text, pattern.span().start);
                let parsed = Pattern::parse(pattern.get_ref()).map_err(|message| PolicyError {
                    line: Some(line),
                    message,
                })?;
                policy.rules.push(Rule {
                    action,
                    pattern: parsed,
                    origin: Origin::Line(line),
                });
            }
        }
        Ok(policy)
    }

    /// Allows a name (`mypkg.Model`) or a module (`mypkg.*`).
    ///
    /// # Errors
    /// A pattern [`Pattern::parse`] refuses.
    pub fn allow(&mut self, pattern: &str) -> Result<&mut Policy, PolicyError> {
        self.add(Action::Allow, pattern)
    }

    /// Denies a name (`numpy.load`) or a module (`pandas.io.*`).
    ///
    /// # Errors
    /// A pattern [`Pattern::parse`] refuses.
    pub fn deny(&mut self, pattern: &str) -> Result<&mut Policy, PolicyError> {
        self.add(Action::Deny, pattern)
    }

    fn add(&mut self, action: Action, pattern: &str) -> Result<&mut Policy, PolicyError> {
        let pattern = Pattern::parse(pattern).map_err(|message| PolicyError {
            line: None,
            message,
        })?;
        self.rules.push(Rule {
            action,
            pattern,
            origin: Origin::Given,
        });
        Ok(self)
    }

    /// Adds every rule of `other`.
    pub fn extend(&mut self, other: Policy) {
        self.rules.extend(other.rules);
    }

    /// Its rules, in the order given.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Whether it has no rule.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rule that decides a finding, if any: the most specific that matches its name
    /// and may apply to its class (a module line never allows a dangerous name).
    /// ```
    /// use picklegraph::scan::policy::{Action, Policy};
    /// let policy = Policy::from_toml("allow = [\"mypkg.*\", \"mypkg.bad.Thing\"]\ndeny = [\"mypkg.bad.*\"]")?;
    /// let scan = picklegraph::scan::scan_file(b"cmypkg.bad\nOther\n.", false);
    /// assert_eq!(policy.rule_for(&scan.pickles[0].findings[0]).unwrap().action, Action::Deny);
    /// let scan = picklegraph::scan::scan_file(b"cmypkg.bad\nThing\n.", false);
    /// assert_eq!(policy.rule_for(&scan.pickles[0].findings[0]).unwrap().action, Action::Allow);
    /// # Ok::<(), picklegraph::scan::policy::PolicyError>(())
    /// ```
    pub fn rule_for(&self, finding: &Finding) -> Option<&Rule> {
        let name = finding.name.as_deref()?;
        self.rule_for_name(finding.module.as_deref(), name, finding.class)
    }

    /// The rule that decides the dotted `name` in `module`, classed `class` by the
    /// built-in lists.
    fn rule_for_name(&self, module: Option<&str>, name: &str, class: Class) -> Option<&Rule> {
        self.rules
            .iter()
            .filter(|rule| rule.pattern.matches(module, name))
            .filter(|rule| {
                rule.action == Action::Deny
                    || class != Class::Dangerous
                    || matches!(rule.pattern, Pattern::Name(_))
            })
            .max_by_key(|rule| (rule.pattern.specificity(), rule.action))
    }

    /// What this policy, over the built-in lists, says of the global `module.name` (as a
    /// pickle spells it, Python 2 names mapped as the scan maps them) by its name alone:
    /// what a loader's `find_class` may hand out, in agreement with a strict scan. A
    /// matching line decides; else the name is allowed when the built-in lists call it
    /// safe, and judged by its arguments when the scan passes it only for them
    /// ([`JUDGED_BY_ARGUMENTS`]).
    /// ```
    /// use picklegraph::scan::policy::{NameVerdict, Policy};
    /// let policy = Policy::from_toml("allow = [\"mypkg.*\"]\ndeny = [\"collections.Counter\"]")?;
    /// assert_eq!(policy.judge_name("collections", "OrderedDict"), NameVerdict::Allowed);
    /// assert_eq!(policy.judge_name("collections", "Counter"), NameVerdict::Refused);
    /// assert_eq!(policy.judge_name("mypkg.models", "Model"), NameVerdict::Allowed);
    /// assert_eq!(policy.judge_name("posix", "system"), NameVerdict::Refused);
    /// assert_eq!(policy.judge_name("__builtin__", "getattr"), NameVerdict::ByArguments);
    /// # Ok::<(), picklegraph::scan::policy::PolicyError>(())
    /// ```
    pub fn judge_name(&self, module: &str, name: &str) -> NameVerdict {
        let (class, _) = super::names::classify_global(module, name);
        let (module, name) = crate::graph::compat::python3_name(module, name);
        let dotted = format!("{module}.{name}");
        match self
            .rule_for_name(Some(module), &dotted, class)
            .map(|rule| rule.action)
        {
            Some(Action::Allow) => NameVerdict::Allowed,
            Some(Action::Deny) => NameVerdict::Refused,
            None if class == Class::Safe => NameVerdict::Allowed,
            None if ArgumentCheck::of_python3(module, name).is_some() => NameVerdict::ByArguments,
            None => NameVerdict::Refused,
        }
    }
}

/// The globals a strict scan passes only for the arguments of each of their uses, never
/// by name alone, each with its check: `getattr` of a named global and a constant
/// attribute name (judged as the attribute's dotted name), `type` of `None`, `...` or
/// `NotImplemented`, and `torch.storage._load_from_bytes` of constant bytes (judged by
/// the nested checkpoint they hold). A loader hands each out as a guard that checks its
/// arguments again. The one table: the scan's classifier, [`Policy::judge_name`] and the
/// Python package's guards (through its bindings) all read it.
pub const JUDGED_BY_ARGUMENTS: &[(&str, &str, ArgumentCheck)] = &[
    ("builtins", "getattr", ArgumentCheck::ConstantGetattr),
    ("builtins", "type", ArgumentCheck::TypeOfConstant),
    (
        "torch.storage",
        "_load_from_bytes",
        ArgumentCheck::NestedLoad,
    ),
];

/// How the scan judges a use of a global of [`JUDGED_BY_ARGUMENTS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArgumentCheck {
    /// `getattr(a named global, 'attribute')`, the attribute no dunder: the lookup of the
    /// attribute's dotted name (`zoneinfo.ZoneInfo._unpickle`), judged by that name.
    ConstantGetattr,
    /// `type(None)`, `type(...)` or `type(NotImplemented)`, as `pickle` saves those three
    /// types: a builtin type, nothing run.
    TypeOfConstant,
    /// `torch.storage._load_from_bytes(b'…')`: the nested checkpoint, opened and scanned.
    NestedLoad,
}

impl ArgumentCheck {
    /// The check of the global `module.name` as a pickle spells it (Python 2 names mapped
    /// as the scan maps them), when the scan judges it by its arguments.
    /// ```
    /// use picklegraph::scan::policy::ArgumentCheck;
    /// assert_eq!(ArgumentCheck::of("__builtin__", "getattr"), Some(ArgumentCheck::ConstantGetattr));
    /// assert_eq!(ArgumentCheck::of("os", "system"), None);
    /// ```
    pub fn of(module: &str, name: &str) -> Option<ArgumentCheck> {
        let (module, name) = crate::graph::compat::python3_name(module, name);
        ArgumentCheck::of_python3(module, name)
    }

    fn of_python3(module: &str, name: &str) -> Option<ArgumentCheck> {
        JUDGED_BY_ARGUMENTS
            .iter()
            .find(|(m, n, _)| *m == module && *n == name)
            .map(|&(_, _, check)| check)
    }

    /// How the Python package names the check (its guards are keyed by it).
    /// ```
    /// assert_eq!(picklegraph::scan::policy::ArgumentCheck::NestedLoad.name(), "load_from_bytes");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            ArgumentCheck::ConstantGetattr => "getattr",
            ArgumentCheck::TypeOfConstant => "type",
            ArgumentCheck::NestedLoad => "load_from_bytes",
        }
    }
}

/// What a policy says of a global by its name: [`Policy::judge_name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameVerdict {
    /// The name may be handed out.
    Allowed,
    /// The name is refused: not on the allow list, or denied.
    Refused,
    /// The name passes only for the arguments it is called with
    /// ([`JUDGED_BY_ARGUMENTS`]).
    ByArguments,
}

/// The line, from 1, of byte `offset` of `text`.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::FindingKind;

    fn finding(module: &str, name: &str, class: Class) -> Finding {
        Finding {
            offset: 0,
            kind: FindingKind::Call,
            class,
            name: Some(format!("{module}.{name}")),
            module: Some(module.to_string()),
            spelled: None,
            text: String::new(),
            reason: String::new(),
        }
    }

    #[test]
    fn a_module_pattern_covers_submodules_but_not_lookalike_modules() {
        let mut policy = Policy::new();
        policy.allow("mypkg.*").unwrap();
        let unknown = Class::Unknown;
        assert!(policy.rule_for(&finding("mypkg", "A", unknown)).is_some());
        assert!(policy
            .rule_for(&finding("mypkg.sub", "A", unknown))
            .is_some());
        assert!(policy.rule_for(&finding("mypkgx", "A", unknown)).is_none());
        assert!(policy
            .rule_for(&finding("other", "mypkg", unknown))
            .is_none());
    }

    #[test]
    fn a_module_pattern_matches_the_module_not_a_dotted_name_inside_it() {
        // `collections.OrderedDict.*` is a module pattern for a module that does not exist:
        // it does not vouch for the attribute path `OrderedDict.fromkeys`.
        let mut policy = Policy::new();
        policy.allow("collections.OrderedDict.*").unwrap();
        let fromkeys = finding("collections", "OrderedDict.fromkeys", Class::Unknown);
        assert!(policy.rule_for(&fromkeys).is_none());
    }

    #[test]
    fn only_an_exact_name_lets_a_dangerous_name_through() {
        let mut policy = Policy::new();
        policy.allow("os.*").unwrap();
        let system = finding("os", "system", Class::Dangerous);
        assert!(policy.rule_for(&system).is_none());
        policy.allow("os.system").unwrap();
        assert_eq!(policy.rule_for(&system).unwrap().action, Action::Allow);
    }

    #[test]
    fn the_most_specific_rule_wins_and_deny_wins_a_tie() {
        let policy = Policy::from_toml(
            "allow = [\"a.*\", \"a.b.C\", \"a.b.D\"]\ndeny = [\"a.b.*\", \"a.b.D\"]\n",
        )
        .unwrap();
        let decide = |module, name| policy.rule_for(&finding(module, name, Class::Unknown));
        assert_eq!(decide("a", "X").unwrap().action, Action::Allow);
        assert_eq!(decide("a.b", "X").unwrap().action, Action::Deny);
        assert_eq!(decide("a.b", "C").unwrap().action, Action::Allow);
        assert_eq!(decide("a.b", "D").unwrap().action, Action::Deny);
        assert_eq!(decide("a.b", "D").unwrap().origin, Origin::Line(2));
    }

    #[test]
    fn a_finding_without_a_name_is_never_matched() {
        let mut policy = Policy::new();
        policy.allow("a.*").unwrap();
        let mut nameless = finding("a", "b", Class::Unknown);
        nameless.name = None;
        assert!(policy.rule_for(&nameless).is_none());
    }

    #[test]
    fn malformed_policy_files_name_their_line() {
        let cases: &[(&str, usize, &str)] = &[
            (
                "allow = [\"a.*\"]\nalow = [\"b.*\"]\n",
                2,
                "unknown field `alow`",
            ),
            ("allow = \"a.*\"\n", 1, "invalid type"),
            ("\n\nallow = [\"a.*\", 3]\n", 3, "invalid type"),
            ("allow = [\"a.*\"\n", 1, ""),
            ("allow = [\n  \"a.*\",\n  \"b\",\n]\n", 3, "single name"),
            ("deny = [\"a..b\"]", 1, "empty dotted component"),
            ("deny = [\"a.*.b\"]", 1, "`*` may only be"),
            ("deny = [\"a b.c\"]", 1, "holds ' '"),
            ("allow = [\"*\"]", 1, "every name"),
            ("allow = [\".*\"]", 1, "names nothing"),
        ];
        for (text, line, message) in cases {
            let error = Policy::from_toml(text).unwrap_err();
            assert_eq!(error.line, Some(*line), "{text:?}: {error}");
            assert!(error.message.contains(message), "{text:?}: {error}");
            assert!(error.to_string().starts_with(&format!("line {line}: ")));
        }
    }

    #[test]
    fn an_empty_file_is_an_empty_policy() {
        assert!(Policy::from_toml("").unwrap().is_empty());
        assert!(Policy::from_toml("# nothing\n").unwrap().is_empty());
    }
}
