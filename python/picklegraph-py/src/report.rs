//! A file's scan as the package's `Report` reads it: the library's [`FileScan`] kept
//! whole, its verdict and findings read at once, its JSON document and SARIF log
//! rendered only when asked for. Building the document (groups, suggested policy,
//! weights-only list) on every call cost most of a small file's scan, though most
//! callers read only the verdict and the findings.

use picklegraph::scan::sarif::SarifLog;
use picklegraph::scan::{FileScan, Mode, Policy, Verdict};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

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

/// One finding as the package's `Finding` takes it: name, offset, kind, class, reason,
/// text, the pickle's label and index, and whether the scan lets it pass.
type FindingRow = (
    Option<String>,
    u64,
    &'static str,
    &'static str,
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
    fn findings(&self) -> Vec<FindingRow> {
        self.scan
            .pickles
            .iter()
            .flat_map(|pickle| pickle.findings.iter().map(move |f| (pickle, f)))
            .map(|(pickle, finding)| {
                (
                    finding.name.clone(),
                    finding.offset,
                    finding.kind.name(),
                    finding.class.name(),
                    finding.reason.clone(),
                    finding.text.clone(),
                    pickle.label.clone(),
                    pickle.index,
                    !self.scan.alarms(finding),
                )
            })
            .collect()
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
