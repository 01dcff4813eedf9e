//! The scan of a whole file: every pickle in it, what each names and calls, and the
//! verdict, as text for people and JSON for tools.

use super::names::harmless_to_import;
use super::policy::{Action, Policy, Rule};
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
    /// What it is inside a model file (`data.pkl`, `legacy: storage keys`), when the file
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
    /// Whether these are bytes after the last `STOP` that do not form a pickle
    /// ([`crate::Problem::Trailing`]): `pickle.loads` ignores them, so their `error` does
    /// not make the file malformed; a loop of `pickle.load` calls would run their opcodes
    /// up to it, so their findings count as any pickle's.
    pub trailing: bool,
    /// Whether its `STOP` came inside a frame with bytes left after it
    /// ([`Pickle::stopped_inside_frame`]): some of CPython's unpicklers then start the
    /// next pickle elsewhere than picklegraph does.
    pub stopped_inside_frame: bool,
}

impl PickleScan {
    /// The scan of a pickle that loaded whole.
    pub(crate) fn of_pickle(
        index: usize,
        label: Option<String>,
        pickle: &Pickle<'_>,
    ) -> PickleScan {
        PickleScan::of_pickle_in(index, label, pickle, super::Context::Pickle)
    }

    /// [`PickleScan::of_pickle`], for a pickle found in `context`.
    pub(crate) fn of_pickle_in(
        index: usize,
        label: Option<String>,
        pickle: &Pickle<'_>,
        context: super::Context,
    ) -> PickleScan {
        PickleScan {
            index,
            label,
            start: pickle.span().0,
            end: pickle.span().1,
            protocol: pickle.protocol(),
            findings: super::scan_in(pickle, context),
            error: None,
            trailing: false,
            stopped_inside_frame: pickle.stopped_inside_frame(),
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
            trailing: false,
            stopped_inside_frame: false,
        }
    }
}

/// Whether `pickles`, read from bytes of `len`, loaded whole one right after another from
/// the first byte to the last, none stopping inside a frame with bytes left (see
/// [`FileScan::read_as_cpython`] for why every unpickler then reads them alike).
fn read_alike<'p>(pickles: impl IntoIterator<Item = &'p PickleScan>, len: usize) -> bool {
    let mut at = 0;
    let mut any = false;
    for pickle in pickles {
        if pickle.error.is_some()
            || pickle.trailing
            || pickle.stopped_inside_frame
            || pickle.start != at
            || pickle.end <= pickle.start
        {
            return false;
        }
        at = pickle.end;
        any = true;
    }
    any && at == len
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
    /// The file is no pickle and holds none (text, an image, a zip of other things): by
    /// the rule of [`crate::container`]'s sniffing, nothing in it could run as a pickle,
    /// so a scan of a folder counts it apart and does not fail on it.
    NotAPickle,
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
            Verdict::NotAPickle => "not-a-pickle",
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
    /// The user's policy, on top of the built-in lists (see [`FileScan::with_policy`]).
    pub policy: Policy,
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
    /// // Bytes after the last STOP that are no pickle: listed, and not malformed.
    /// let scan = FileScan::of(b"K\x01.))", &Default::default(), false);
    /// assert!(scan.pickles[1].trailing);
    /// assert_eq!(scan.verdict(), Verdict::Clean);
    /// // What they would import before their error still counts.
    /// let scan = FileScan::of(b"K\x01.cos\nsystem\n", &Default::default(), false);
    /// assert_eq!(scan.verdict(), Verdict::Dangerous);
    /// ```
    pub fn of(input: &[u8], options: &LoadOptions, strict: bool) -> FileScan {
        let loads = crate::load_all(input)
            .with_options(options.clone())
            .map(|result| (None, result));
        let mut scan = FileScan::of_loads(None, loads, strict);
        // After a pickle, bytes that are none: pickle.loads ignores them.
        if let [_, .., last] = &mut scan.pickles[..] {
            if last
                .error
                .as_ref()
                .is_some_and(|e| e.kind().is_not_a_pickle())
            {
                last.trailing = true;
                last.end = input.len();
            }
        }
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
        if self.read_as_every_unpickler_reads(input) {
            self.other_readings = Vec::new();
            return;
        }
        let found: Vec<Finding> = self
            .pickles
            .iter()
            .flat_map(|p| p.findings.iter().cloned())
            .collect();
        let failed = self.pickles.iter().any(|p| p.error.is_some());
        self.other_readings = other_readings(input, &found, options, failed);
    }

    /// Whether picklegraph's reading of `input` is already each of CPython's unpicklers'
    /// ([`super::readings`]), so that walking the bytes again as each of them reads them
    /// cannot find anything more: every pickle loaded whole, one right after another from
    /// the input's first byte to its last, and none stopped inside a frame with bytes left.
    ///
    /// Why that suffices: the machine's reader refuses what `pickle.py` refuses (a read or
    /// a line that runs past a frame's end, a frame that starts inside one not used up, a
    /// frame longer than the bytes that follow, a last line without its newline), and each
    /// place where an unpickler reads otherwise ([`super::readings::Divergence`]) is one of
    /// those, where the load would have failed, or a `STOP` inside a frame with bytes left.
    /// With none of them, each unpickler reads the same opcodes with the same arguments
    /// from the same pickle starts. The fuzz target `scan_readings` asserts it on every
    /// input it makes.
    fn read_as_every_unpickler_reads(&self, input: &[u8]) -> bool {
        read_alike(self.pickles.iter(), input.len())
    }

    /// [`FileScan::read_as_cpython`] for one run of pickles inside a container (a
    /// decompressed stream, a zip member), which `pickles` (indices into
    /// [`FileScan::pickles`]) were read from: what CPython's unpicklers find there that
    /// picklegraph's reading does not is added to [`FileScan::other_readings`], its
    /// offsets in `stream`, its reason naming `label`.
    pub(crate) fn read_part_as_cpython(
        &mut self,
        stream: &[u8],
        pickles: &[usize],
        label: Option<&str>,
        options: &LoadOptions,
    ) {
        let part: Vec<&PickleScan> = pickles
            .iter()
            .filter_map(|&i| self.pickles.get(i))
            .collect();
        let not_a_pickle = part.iter().any(|p| {
            matches!(
                p.error.as_ref().map(Error::kind),
                Some(ErrorKind::NotAPickle(_))
            )
        });
        if part.is_empty() || not_a_pickle || read_alike(part.iter().copied(), stream.len()) {
            return;
        }
        let found: Vec<Finding> = part
            .iter()
            .flat_map(|p| p.findings.iter().cloned())
            .collect();
        let failed = part.iter().any(|p| p.error.is_some());
        let mut others = other_readings(stream, &found, options, failed);
        if let Some(label) = label {
            for finding in others.iter_mut().flat_map(|o| o.findings.iter_mut()) {
                finding.reason = format!("{}, in {label}", finding.reason);
            }
        }
        self.other_readings.extend(others);
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
                trailing: false,
                stopped_inside_frame: false,
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
            policy: Policy::new(),
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

    /// The same scan judged with a user's policy on top of the built-in lists.
    pub fn with_policy(mut self, policy: Policy) -> FileScan {
        self.policy = policy;
        self
    }

    /// The policy line that decides a finding, if one does ([`Policy::rule_for`]).
    pub fn rule_for(&self, finding: &Finding) -> Option<&Rule> {
        self.policy.rule_for(finding)
    }

    /// What a finding makes of the file in this scan's mode and policy: `Dangerous`,
    /// `NotAllowed`, or `None` when it passes. A policy line that matches decides: `deny`
    /// is dangerous, `allow` passes.
    pub fn judge(&self, finding: &Finding) -> Option<Verdict> {
        if let Some(rule) = self.policy.rule_for(finding) {
            return match rule.action {
                Action::Deny => Some(Verdict::Dangerous),
                Action::Allow => None,
            };
        }
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

    /// Whether no part of the file is a pickle (see [`Verdict::NotAPickle`]).
    fn is_not_a_pickle(&self) -> bool {
        !self.pickles.is_empty()
            && self.other_readings.is_empty()
            && self.pickles.iter().all(|p| {
                matches!(
                    p.error.as_ref().map(Error::kind),
                    Some(ErrorKind::NotAPickle(_))
                )
            })
    }

    /// Whether a finding fails the file in this scan's mode.
    pub fn alarms(&self, finding: &Finding) -> bool {
        self.judge(finding).is_some()
    }

    /// The verdict: dangerous beats not allowed beats malformed beats not a pickle beats
    /// clean. A file is not a pickle when every part of it is not one.
    pub fn verdict(&self) -> Verdict {
        if self
            .findings()
            .any(|f| self.judge(f) == Some(Verdict::Dangerous))
        {
            Verdict::Dangerous
        } else if self.findings().any(|f| self.alarms(f)) {
            Verdict::NotAllowed
        } else if self.is_not_a_pickle() {
            Verdict::NotAPickle
        } else if self
            .pickles
            .iter()
            .any(|p| p.error.is_some() && !p.trailing)
        {
            Verdict::Malformed
        } else {
            Verdict::Clean
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
                    "trailing": pickle.trailing,
                    "error": pickle.error.as_ref().map(|e| serde_json::json!({
                        "offset": e.offset(),
                        "opcode": e.opcode().map(|op| op.name()),
                        "message": e.kind().to_string(),
                    })),
                    "findings": pickle.findings.iter().map(|f| self.finding_json(f)).collect::<Vec<_>>(),
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
            "policy": self.policy.rules().iter().map(ToString::to_string).collect::<Vec<_>>(),
            "weights_only": {
                "refused": self.weights_only_refused(),
                "zip_checkpoint": self.is_zip_checkpoint(),
                "torch": super::weights_only::TORCH_VERSION,
            },
            "groups": self.groups_json(),
            "suggested_policy": (self.verdict() == Verdict::NotAllowed).then(|| {
                let suggestion = self.suggestion();
                serde_json::json!({
                    "allow_names": suggestion.names,
                    "allow_modules": suggestion.modules.iter().map(|m| format!("{m}.*")).collect::<Vec<_>>(),
                    "unnamed": suggestion.unnamed,
                })
            }),
            "pickles": pickles,
            "other_readings": self.other_readings.iter().map(|other| serde_json::json!({
                "unpickler": other.unpickler.name(),
                "divergences": other.divergences.iter().map(|d| serde_json::json!({
                    "offset": d.offset,
                    "what": d.what,
                })).collect::<Vec<_>>(),
                "findings": other.findings.iter().map(|f| self.finding_json(f)).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })
    }

    fn finding_json(&self, finding: &Finding) -> serde_json::Value {
        serde_json::json!({
            "offset": finding.offset,
            "kind": finding.kind.name(),
            "class": finding.class.name(),
            "name": finding.name,
            "module": finding.module,
            "text": finding.text,
            "reason": finding.reason,
            "judged": self.judge(finding).map(Verdict::name),
            "policy": self.rule_for(finding).map(ToString::to_string),
        })
    }
}
