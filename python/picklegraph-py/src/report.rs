//! A file's scan as the package's `Report` reads it: the library's [`FileScan`] kept
//! whole, its verdict and findings read at once, its JSON document and SARIF log
//! rendered only when asked for. Building the document (groups, suggested policy,
//! weights-only list) on every call cost most of a small file's scan, though most
//! callers read only the verdict and the findings.

use picklegraph::scan::sarif::SarifLog;
use picklegraph::scan::{FileScan, Mode, Policy, Verdict};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyType};

/// How a scan judges, as `scan` and `convert` take it from the package in one tuple
/// `(strict, allow, deny, policy, deny_only)`: the command's `--strict`, `--allow`,
/// `--deny`, `--policy` (the TOML text) and `--deny-only`.
#[derive(FromPyObject)]
pub struct Judging(bool, Vec<String>, Vec<String>, Option<String>, bool);

impl Judging {
    /// The scan mode of `strict` and `deny_only`.
    pub fn mode(&self) -> Mode {
        match (self.0, self.4) {
            (true, _) => Mode::Strict,
            (false, true) => Mode::DenyOnly,
            (false, false) => Mode::AllowList,
        }
    }

    /// The user's [`Policy`], as the command builds it: the TOML text, then each allow
    /// and deny pattern.
    pub fn policy(&self) -> PyResult<Policy> {
        user_policy(self.3.as_deref(), &self.1, &self.2)
    }
}

/// The user's [`Policy`] from the TOML text of `--policy`, then `--allow` and `--deny`.
pub fn user_policy(policy: Option<&str>, allow: &[String], deny: &[String]) -> PyResult<Policy> {
    let mut user = match policy {
        Some(text) => Policy::from_toml(text)
            .map_err(|err| PyValueError::new_err(format!("policy: {err}")))?,
        None => Policy::new(),
    };
    for pattern in allow {
        user.allow(pattern)
            .map_err(|err| PyValueError::new_err(format!("allow: {err}")))?;
    }
    for pattern in deny {
        user.deny(pattern)
            .map_err(|err| PyValueError::new_err(format!("deny: {err}")))?;
    }
    Ok(user)
}

/// One global, call or instance a pickle would make, classed by the scanner.
// The package's `picklegraph.Finding`, native and read from its report on access, so that
// `report.findings` costs one small object per finding: a Python class filled from a
// tuple of nine fields per finding cost a quarter of a scan of the zoo's small files
// (10 ms of 49 for 8,694 findings), where the command pays nothing.
#[pyclass(frozen, module = "picklegraph", name = "Finding")]
pub struct Finding(Held);

/// Where a [`Finding`]'s fields are.
enum Held {
    /// Finding `index` of pickle `pickle` of a report's scan.
    InReport {
        report: Py<ScanReport>,
        pickle: usize,
        index: usize,
    },
    /// The fields given to `Finding(...)` (a finding unpickled).
    Given(Box<Fields>),
}

/// A finding's fields, as `Finding(...)` takes them.
struct Fields {
    name: Option<String>,
    offset: u64,
    kind: String,
    class: String,
    reason: String,
    text: String,
    label: Option<String>,
    pickle: usize,
    allowed: bool,
}

/// A finding's fields but `allowed`, borrowed.
struct View<'a> {
    name: Option<&'a str>,
    offset: u64,
    kind: &'a str,
    class: &'a str,
    reason: &'a str,
    text: &'a str,
    label: Option<&'a str>,
    pickle: usize,
}

impl Finding {
    /// Its fields, read from the report or as given.
    fn view(&self) -> View<'_> {
        match &self.0 {
            Held::InReport {
                report,
                pickle,
                index,
            } => {
                let pickle = &report.get().scan.pickles[*pickle];
                let finding = &pickle.findings[*index];
                View {
                    name: finding.name.as_deref(),
                    offset: finding.offset,
                    kind: finding.kind.name(),
                    class: finding.class.name(),
                    reason: &finding.reason,
                    text: &finding.text,
                    label: pickle.label.as_deref(),
                    pickle: pickle.index,
                }
            }
            Held::Given(fields) => View {
                name: fields.name.as_deref(),
                offset: fields.offset,
                kind: &fields.kind,
                class: &fields.class,
                reason: &fields.reason,
                text: &fields.text,
                label: fields.label.as_deref(),
                pickle: fields.pickle,
            },
        }
    }
}

#[pymethods]
impl Finding {
    #[new]
    #[pyo3(signature = (name, offset, kind, class_, reason, text, label, pickle, allowed))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        name: Option<String>,
        offset: u64,
        kind: String,
        class_: String,
        reason: String,
        text: String,
        label: Option<String>,
        pickle: usize,
        allowed: bool,
    ) -> Finding {
        Finding(Held::Given(Box::new(Fields {
            name,
            offset,
            kind,
            class: class_,
            reason,
            text,
            label,
            pickle,
            allowed,
        })))
    }

    /// The dotted name of the global involved (`os.system`), when there is one.
    #[getter]
    fn name(&self) -> Option<&str> {
        self.view().name
    }

    /// The byte offset of the opcode that made it, in its pickle's bytes.
    #[getter]
    fn offset(&self) -> u64 {
        self.view().offset
    }

    /// `global`, `call`, `instance`, `global-mutation`, `persistent`, `extension`.
    #[getter]
    fn kind(&self) -> &str {
        self.view().kind
    }

    /// The scanner's class (`safe`, `unknown`, `dangerous`, ...).
    #[getter]
    fn class_(&self) -> &str {
        self.view().class
    }

    /// Why it is in its class.
    #[getter]
    fn reason(&self) -> &str {
        self.view().reason
    }

    /// The call as Python would spell it, arguments shortened: `os.system('ls')`.
    #[getter]
    fn text(&self) -> &str {
        self.view().text
    }

    /// The pickle's label inside a model file (`data.pkl`), None for a plain file.
    #[getter]
    fn label(&self) -> Option<&str> {
        self.view().label
    }

    /// Which pickle of the file, from 0.
    #[getter]
    fn pickle(&self) -> usize {
        self.view().pickle
    }

    /// Whether the scan lets it pass (the library does not count it against the file).
    #[getter]
    fn allowed(&self) -> bool {
        match &self.0 {
            Held::InReport {
                report,
                pickle,
                index,
            } => {
                let scan = &report.get().scan;
                !scan.alarms(&scan.pickles[*pickle].findings[*index])
            }
            Held::Given(fields) => fields.allowed,
        }
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let view = self.view();
        Ok(format!(
            "Finding(name={}, offset={}, kind={}, class_={}, reason={})",
            view.name.into_pyobject(py)?.repr()?,
            view.offset,
            view.kind.into_pyobject(py)?.repr()?,
            view.class.into_pyobject(py)?.repr()?,
            view.reason.into_pyobject(py)?.repr()?,
        ))
    }

    /// Pickled as the call that makes it again.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> (Bound<'py, PyType>, FindingArgs) {
        let finding = slf.get();
        let view = finding.view();
        let args = (
            view.name.map(str::to_string),
            view.offset,
            view.kind.to_string(),
            view.class.to_string(),
            view.reason.to_string(),
            view.text.to_string(),
            view.label.map(str::to_string),
            view.pickle,
            finding.allowed(),
        );
        (slf.get_type(), args)
    }
}

/// The arguments of `Finding(...)`, in order.
type FindingArgs = (
    Option<String>,
    u64,
    String,
    String,
    String,
    String,
    Option<String>,
    usize,
    bool,
);

/// A file's scan, judged, and the name its SARIF log gives the file.
#[pyclass(frozen, module = "picklegraph._native")]
pub struct ScanReport {
    scan: FileScan,
    name: String,
}

impl ScanReport {
    pub fn new(scan: FileScan, name: String) -> ScanReport {
        ScanReport { scan, name }
    }
}

#[pymethods]
impl ScanReport {
    /// The verdict's name (`clean`, `dangerous`, `not-allowed`, …).
    fn verdict(&self) -> &'static str {
        self.scan.verdict().name()
    }

    /// Whether the file passes: its verdict is the library's clean one.
    fn passed(&self) -> bool {
        self.scan.verdict() == Verdict::Clean
    }

    /// What holds the pickles, for a model file.
    fn format(&self) -> Option<String> {
        self.scan.description.clone()
    }

    /// How many findings are dangerous, unknown and safe.
    fn counts(&self) -> (usize, usize, usize) {
        let counts = self.scan.counts();
        (counts.dangerous, counts.unknown, counts.safe)
    }

    /// Every finding of every pickle, in file order.
    fn findings<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyList>> {
        let py = slf.py();
        let report = slf.get();
        let list = PyList::empty(py);
        for (pickle, scan) in report.scan.pickles.iter().enumerate() {
            for index in 0..scan.findings.len() {
                let held = Held::InReport {
                    report: slf.clone().unbind(),
                    pickle,
                    index,
                };
                list.append(Finding(held))?;
            }
        }
        Ok(list)
    }

    /// The JSON the command prints with `scan --json` (less `file`).
    fn to_json(&self) -> String {
        self.scan.to_json().to_string()
    }

    /// The SARIF 2.1.0 log of this one file, as `scan --format sarif` writes it.
    fn to_sarif(&self) -> String {
        let mut sarif = SarifLog::new();
        sarif.add_scan(&self.name, &self.scan);
        format!("{:#}", sarif.to_json())
    }
}
