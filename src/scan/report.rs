//! The scan of a whole file: every pickle in it, what each names and calls, and the
//! verdict, as text for people and JSON for tools.

use std::io::Write;

use super::names::harmless_to_import;
use super::union::{other_readings, OtherReading};
use super::{scan, Class, Finding, FindingKind, Mode};
use crate::error::{Error, ErrorKind};
use crate::limits::LoadOptions;
use crate::{Failure, Pickle};

/// The scan of one pickle of a file.
#[derive(Debug, Clone)]
pub struct PickleScan {
    /// Its position among the file's pickles, from 0.
    pub index: usize,
    /// What it is inside a model file (`data.pkl`, `storage keys`), when the file
    /// holds it among other things.
    pub label: Option<String>,
    /// The byte where it starts.
    pub start: usize,
    /// The byte after its `STOP`, or where loading failed.
    pub end: usize,
    /// The protocol it declared.
    pub protocol: u8,
    /// Its globals, calls and instances; for a malformed pickle, those read before the
    /// error.
    pub findings: Vec<Finding>,
    /// Why loading stopped, for a malformed pickle.
    pub error: Option<Error>,
}

impl PickleScan {
    /// The scan of a pickle that loaded whole.
    pub(crate) fn of_pickle(
        index: usize,
        label: Option<String>,
        pickle: &Pickle<'_>,
    ) -> PickleScan {
        PickleScan {
            index,
            label,
            start: pickle.span().0,
            end: pickle.span().1,
            protocol: pickle.protocol(),
            findings: scan(pickle),
            error: None,
        }
    }

    /// The scan of what a malformed pickle had rebuilt, ending at `end`.
    pub(crate) fn of_failure(
        index: usize,
        label: Option<String>,
        failure: Failure<'_>,
        end: usize,
    ) -> PickleScan {
        PickleScan {
            index,
            label,
            start: failure.partial.span().0,
            end,
            protocol: failure.partial.protocol(),
            findings: scan(&failure.partial),
            error: Some(failure.error),
        }
    }
}

/// What a file's scan concludes, from worst to best.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Something dangerous was found.
    Dangerous,
    /// Nothing dangerous, but something the pickle calls is not on the allow list (or,
    /// for a name only referenced, its module is not known to be harmless to import).
    NotAllowed,
    /// Nothing dangerous was read, but a pickle is malformed: what follows the error
    /// was not read, so the file is not clean.
    Malformed,
    /// Every pickle loaded and nothing dangerous was found.
    Clean,
}

impl Verdict {
    /// The lower-case name used in text and JSON output.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Dangerous => "dangerous",
            Verdict::NotAllowed => "not-allowed",
            Verdict::Malformed => "malformed",
            Verdict::Clean => "clean",
        }
    }
}

/// The scan of every pickle in a file, as repeated `pickle.load` calls would read them.
#[derive(Debug, Clone)]
pub struct FileScan {
    /// What holds the pickles, for a model file (`PyTorch zip checkpoint: …`).
    pub description: Option<String>,
    /// The pickles, in file order; the last one may be malformed.
    pub pickles: Vec<PickleScan>,
    /// How the findings are judged.
    pub mode: Mode,
    /// What CPython's unpicklers find where they read the bytes otherwise than
    /// picklegraph (see [`FileScan::read_as_cpython`]).
    pub other_readings: Vec<OtherReading>,
    /// What reading the file noticed and tolerated (see [`crate::Opened::notes`]).
    pub notes: Vec<String>,
}

/// How many findings of each class a scan holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Safe findings.
    pub safe: usize,
    /// Unknown findings.
    pub unknown: usize,
    /// Dangerous findings.
    pub dangerous: usize,
}

impl Counts {
    /// Counts findings by class.
    pub fn of<'f>(findings: impl IntoIterator<Item = &'f Finding>) -> Counts {
        let mut counts = Counts::default();
        for finding in findings {
            match finding.class {
                Class::Safe => counts.safe += 1,
                Class::Unknown => counts.unknown += 1,
                Class::Dangerous => counts.dangerous += 1,
            }
        }
        counts
    }
}

impl FileScan {
    /// Loads and scans every pickle in `input`, stopping at the first malformed one
    /// (whose findings up to the error are kept). An empty input is malformed: there is
    /// no pickle to vouch for.
    /// ```
    /// use picklegraph::scan::{FileScan, Verdict};
    /// let input = b"K\x01.cos\nsystem\n."; // 1, then the global os.system
    /// let scan = FileScan::of(input, &picklegraph::LoadOptions::default(), false);
    /// assert_eq!(scan.pickles.len(), 2);
    /// assert_eq!(scan.verdict(), Verdict::Dangerous);
    /// assert_eq!(FileScan::of(b"K\x01", &Default::default(), false).verdict(), Verdict::Malformed);
    /// ```
    pub fn of(input: &[u8], options: &LoadOptions, strict: bool) -> FileScan {
        let loads = crate::load_all(input)
            .with_options(options.clone())
            .map(|result| (None, result));
        let mut scan = FileScan::of_loads(None, loads, strict);
        scan.read_as_cpython(input, options);
        scan
    }

    /// Adds what CPython's unpicklers find in `input`, the stream of pickles this scan
    /// read, where they read its bytes otherwise than picklegraph (short or crossed
    /// frames, a last line without its newline, a `STOP` inside a frame): the scan then
    /// reports the union of the readings.
    /// ```
    /// use picklegraph::scan::FileScan;
    /// // FRAME claims 100 bytes, 6 follow: the C unpickler refuses, pickle._Unpickler
    /// // reads GLOBAL 'os system'.
    /// let input = b"\x80\x04\x95\x64\x00\x00\x00\x00\x00\x00\x00cos\nsystem\n.";
    /// let scan = FileScan::of(input, &Default::default(), false);
    /// assert_eq!(scan.other_readings[0].findings[0].name.as_deref(), Some("os.system"));
    /// assert_eq!(scan.verdict(), picklegraph::scan::Verdict::Dangerous);
    /// ```
    pub fn read_as_cpython(&mut self, input: &[u8], options: &LoadOptions) {
        let found: Vec<Finding> = self
            .pickles
            .iter()
            .flat_map(|p| p.findings.iter().cloned())
            .collect();
        let failed = self.pickles.iter().any(|p| p.error.is_some());
        self.other_readings = other_readings(input, &found, options, failed);
    }

    /// Every finding: those of picklegraph's reading, then those only CPython's
    /// unpicklers' readings have.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.pickles
            .iter()
            .flat_map(|p| &p.findings)
            .chain(self.other_readings.iter().flat_map(|r| &r.findings))
    }

    /// Scans pickles loaded elsewhere (those of a model file, found by
    /// [`crate::model`]), each with its label, in the order given; the scan stops
    /// after the first failure, as [`FileScan::of`] does. None at all is malformed.
    /// ```
    /// use picklegraph::scan::{FileScan, Verdict};
    /// let loads = picklegraph::load_all(b"cos\nsystem\n.").map(|p| (Some("data.pkl".into()), p));
    /// let scan = FileScan::of_loads(Some("a model".into()), loads, false);
    /// assert_eq!(scan.pickles[0].label.as_deref(), Some("data.pkl"));
    /// assert_eq!(scan.verdict(), Verdict::Dangerous);
    /// ```
    pub fn of_loads<'a>(
        description: Option<String>,
        loads: impl IntoIterator<Item = (Option<String>, Result<Pickle<'a>, Box<Failure<'a>>>)>,
        strict: bool,
    ) -> FileScan {
        let mut pickles = Vec::new();
        for (index, (label, result)) in loads.into_iter().enumerate() {
            let scanned = match result {
                Ok(pickle) => PickleScan::of_pickle(index, label, &pickle),
                Err(failure) => {
                    let end = failure.partial.span().1;
                    PickleScan::of_failure(index, label, *failure, end)
                }
            };
            let failed = scanned.error.is_some();
            pickles.push(scanned);
            if failed {
                break;
            }
        }
        if pickles.is_empty() {
            pickles.push(PickleScan {
                index: 0,
                label: None,
                start: 0,
                end: 0,
                protocol: 0,
                findings: Vec::new(),
                error: Some(Error::new(0, None, ErrorKind::Empty)),
            });
        }
        FileScan {
            description,
            pickles,
            mode: if strict {
                Mode::Strict
            } else {
                Mode::AllowList
            },
            other_readings: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// How many findings of each class the file holds.
    pub fn counts(&self) -> Counts {
        Counts::of(self.findings())
    }

    /// The same scan judged in another mode.
    pub fn with_mode(mut self, mode: Mode) -> FileScan {
        self.mode = mode;
        self
    }

    /// What a finding makes of the file in this scan's mode: `Dangerous`, `NotAllowed`,
    /// or `None` when it passes.
    pub fn judge(&self, finding: &Finding) -> Option<Verdict> {
        match (finding.class, self.mode) {
            (Class::Dangerous, _) => Some(Verdict::Dangerous),
            (Class::Safe, _) | (Class::Unknown, Mode::DenyOnly) => None,
            (Class::Unknown, Mode::Strict) => Some(Verdict::NotAllowed),
            (Class::Unknown, Mode::AllowList) => {
                let referenced_only = finding.kind == FindingKind::Global;
                let module = finding
                    .name
                    .as_deref()
                    .map(|n| n.split('.').next().unwrap_or(n));
                if referenced_only && module.is_some_and(harmless_to_import) {
                    None
                } else {
                    Some(Verdict::NotAllowed)
                }
            }
        }
    }

    /// Whether a finding fails the file in this scan's mode.
    pub fn alarms(&self, finding: &Finding) -> bool {
        self.judge(finding).is_some()
    }

    /// The verdict: dangerous beats not allowed beats malformed beats clean.
    pub fn verdict(&self) -> Verdict {
        if self
            .findings()
            .any(|f| self.judge(f) == Some(Verdict::Dangerous))
        {
            Verdict::Dangerous
        } else if self.findings().any(|f| self.alarms(f)) {
            Verdict::NotAllowed
        } else if self.pickles.iter().any(|p| p.error.is_some()) {
            Verdict::Malformed
        } else {
            Verdict::Clean
        }
    }

    /// Writes the scan for people: each finding with its class, offset and text, the
    /// reason for every one that is not safe, each load error, and the verdict.
    ///
    /// # Errors
    /// What writing to `out` returns.
    pub fn write_text(&self, out: &mut dyn Write) -> std::io::Result<()> {
        if let Some(description) = &self.description {
            writeln!(out, "# {description}")?;
        }
        for note in &self.notes {
            writeln!(out, "# note: {note}")?;
        }
        for pickle in &self.pickles {
            if let Some(label) = &pickle.label {
                writeln!(out, "# {label}")?;
            }
            if let Some(ErrorKind::Unopened(why)) = pickle.error.as_ref().map(Error::kind) {
                writeln!(out, "part {} not read: {why}", pickle.index)?;
                writeln!(
                    out,
                    "  {:<9}  why: what it holds was not read, so the file is not clean",
                    ""
                )?;
                continue;
            }
            let counts = Counts::of(&pickle.findings);
            writeln!(
                out,
                "pickle {} at bytes {}..{} (protocol {}): {} dangerous, {} unknown, {} safe",
                pickle.index,
                pickle.start,
                pickle.end,
                pickle.protocol,
                counts.dangerous,
                counts.unknown,
                counts.safe
            )?;
            for finding in &pickle.findings {
                write_finding(out, finding, self.judge(finding))?;
            }
            if let Some(error) = &pickle.error {
                writeln!(out, "  malformed  {error}")?;
                writeln!(out, "  {:<9}  why: {}", "", why_malformed(error))?;
            }
        }
        for other in &self.other_readings {
            if other.divergences.is_empty() {
                writeln!(
                    out,
                    "# {}, read by name only past the load error; the scan reports the union:",
                    other.unpickler.name()
                )?;
            } else {
                writeln!(
                    out,
                    "# {} reads these bytes otherwise than picklegraph; the scan reports the union:",
                    other.unpickler.name()
                )?;
            }
            for divergence in &other.divergences {
                writeln!(out, "  offset {}: {}", divergence.offset, divergence.what)?;
            }
            for finding in &other.findings {
                write_finding(out, finding, self.judge(finding))?;
            }
        }
        writeln!(out, "{}", self.summary())
    }

    /// The last line of the text output.
    fn summary(&self) -> String {
        let counts = self.counts();
        let pickles = self.pickles.len();
        let plural = if pickles == 1 { "" } else { "s" };
        let tally = format!(
            "{} dangerous, {} unknown, {} safe in {pickles} pickle{plural}",
            counts.dangerous, counts.unknown, counts.safe
        );
        match self.verdict() {
            Verdict::Dangerous => format!("verdict: dangerous, do not load this file: {tally}"),
            Verdict::NotAllowed => {
                let refused = self
                    .findings()
                    .filter(|f| self.judge(f) == Some(Verdict::NotAllowed))
                    .count();
                format!("verdict: not on the allow list ({refused} finding{} not on it; --deny-only judges by the deny list alone): {tally}", if refused == 1 { "" } else { "s" })
            }
            Verdict::Malformed => {
                format!("verdict: malformed, nothing dangerous before the error: {tally}")
            }
            Verdict::Clean => format!("verdict: nothing dangerous: {tally}"),
        }
    }

    /// The scan as JSON: `{verdict, strict, format, counts, pickles: [{index, label, start, end,
    /// protocol, error, findings: [{offset, kind, class, name, text, reason}]}]}`.
    /// ```
    /// let scan = picklegraph::scan::FileScan::of(b"cos\nsystem\n.", &Default::default(), false);
    /// let json = scan.to_json();
    /// assert_eq!(json["verdict"], "dangerous");
    /// assert_eq!(json["pickles"][0]["findings"][0]["name"], "os.system");
    /// ```
    pub fn to_json(&self) -> serde_json::Value {
        let counts = self.counts();
        let pickles: Vec<serde_json::Value> = self
            .pickles
            .iter()
            .map(|pickle| {
                serde_json::json!({
                    "index": pickle.index,
                    "label": pickle.label,
                    "start": pickle.start,
                    "end": pickle.end,
                    "protocol": pickle.protocol,
                    "error": pickle.error.as_ref().map(|e| serde_json::json!({
                        "offset": e.offset(),
                        "opcode": e.opcode().map(|op| op.name()),
                        "message": e.kind().to_string(),
                    })),
                    "findings": pickle.findings.iter().map(finding_json).collect::<Vec<_>>(),
                })
            })
            .collect();
        serde_json::json!({
            "verdict": self.verdict().name(),
            "strict": self.mode == Mode::Strict,
            "mode": self.mode.name(),
            "format": self.description,
            "notes": self.notes,
            "counts": {"dangerous": counts.dangerous, "unknown": counts.unknown, "safe": counts.safe},
            "pickles": pickles,
            "other_readings": self.other_readings.iter().map(|other| serde_json::json!({
                "unpickler": other.unpickler.name(),
                "divergences": other.divergences.iter().map(|d| serde_json::json!({
                    "offset": d.offset,
                    "what": d.what,
                })).collect::<Vec<_>>(),
                "findings": other.findings.iter().map(finding_json).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })
    }
}

/// Why a load error makes the file malformed, for the text report.
fn why_malformed(error: &Error) -> &'static str {
    match error.kind() {
        // Both of CPython's unpicklers check the operands before they import anything.
        ErrorKind::BadOperand {
            operation: "STACK_GLOBAL",
            ..
        } => "CPython's unpicklers refuse this STACK_GLOBAL before importing anything, so nothing was imported; what follows was not read, so the file is not clean",
        _ => "loading stops here; what follows was not read, so the file is not clean",
    }
}

fn write_finding(
    out: &mut dyn Write,
    finding: &Finding,
    judged: Option<Verdict>,
) -> std::io::Result<()> {
    let label = match judged {
        Some(Verdict::NotAllowed) => "not-allowed",
        _ => finding.class.name(),
    };
    writeln!(
        out,
        "  {label:<9}  offset {}: {}",
        finding.offset, finding.text
    )?;
    match judged {
        Some(Verdict::NotAllowed) => writeln!(
            out,
            "  {:<9}  why: not on the allow list; {}",
            "", finding.reason
        )?,
        _ if finding.class != Class::Safe => writeln!(out, "  {:<9}  why: {}", "", finding.reason)?,
        _ => {}
    }
    Ok(())
}

fn finding_json(finding: &Finding) -> serde_json::Value {
    serde_json::json!({
        "offset": finding.offset,
        "kind": finding.kind.name(),
        "class": finding.class.name(),
        "name": finding.name,
        "text": finding.text,
        "reason": finding.reason,
    })
}
