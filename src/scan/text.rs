//! The scan as text for people: by default what is not safe, grouped by name with a
//! count and the first offsets; with `--verbose`, every finding.
//!
//! A fitted 100-tree random forest holds some 700 safe findings and nothing else: its
//! default report is a header, a line that says how many safe findings were left out,
//! and the verdict.

use std::io::Write;

use super::policy::{Action, Rule};
use super::report::{FileScan, Verdict};
use super::{Class, Counts, Finding, FindingKind};
use crate::error::{Error, ErrorKind};

/// Offsets written for a group before the rest are elided.
const GROUP_OFFSETS: usize = 3;

/// How much of the scan the text lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Detail {
    /// What is not safe (or that the policy decides), grouped by name with a count and
    /// the first offsets.
    #[default]
    Grouped,
    /// Every finding, one per line, in stream order.
    Verbose,
}

/// What the text calls a finding, and why.
struct Judged<'s> {
    label: &'static str,
    verdict: Option<Verdict>,
    rule: Option<&'s Rule>,
}

/// One line of the grouped view: findings of one name (or, for a finding without a name,
/// of one text) that are judged alike.
struct Group<'f> {
    label: &'static str,
    key: &'f str,
    /// The finding shown: the first call or instance, whose text has the arguments, or
    /// else the first finding.
    shown: &'f Finding,
    offsets: Vec<u64>,
    count: usize,
}

/// What a scan would let through if the user trusted what is not on the allow list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Suggestion {
    /// Names not on the allow list, in the order first found: `allow = [...]` of them
    /// lets the file through.
    pub names: Vec<String>,
    /// Their modules: `allow = ["module.*", ...]` lets the file through too.
    pub modules: Vec<String>,
    /// Findings off the allow list that have no name a policy could match (a persistent
    /// id, an extension code).
    pub unnamed: usize,
}

impl FileScan {
    /// Writes the scan for people, as [`Detail::Grouped`] does: what is not safe, grouped
    /// by name with a count and the first offsets, each group's reason, each load error,
    /// the policy line that would let a refused file through, and the verdict.
    ///
    /// # Errors
    /// What writing to `out` returns.
    pub fn write_text(&self, out: &mut dyn Write) -> std::io::Result<()> {
        self.write_text_with(out, Detail::Grouped)
    }

    /// Writes the scan for people with the given detail.
    /// ```
    /// use picklegraph::scan::{scan_file, text::Detail};
    /// // os.system('ls'): the global, then its call.
    /// let scan = scan_file(b"cos\nsystem\n(S'ls'\ntR.", false);
    /// let mut grouped = Vec::new();
    /// scan.write_text_with(&mut grouped, Detail::Grouped).unwrap();
    /// let grouped = String::from_utf8(grouped).unwrap();
    /// assert!(grouped.contains("  dangerous    2× os.system, offsets 0, 19: os.system('ls')\n"));
    /// let mut verbose = Vec::new();
    /// scan.write_text_with(&mut verbose, Detail::Verbose).unwrap();
    /// assert!(String::from_utf8(verbose).unwrap().contains("  dangerous  offset 19: os.system('ls')\n"));
    /// ```
    ///
    /// # Errors
    /// What writing to `out` returns.
    pub fn write_text_with(&self, out: &mut dyn Write, detail: Detail) -> std::io::Result<()> {
        if let Some(description) = &self.description {
            writeln!(out, "# {description}")?;
        }
        for note in &self.notes {
            writeln!(out, "# note: {note}")?;
        }
        let mut left_out = 0;
        for pickle in &self.pickles {
            if let Some(label) = &pickle.label {
                writeln!(out, "# {label}")?;
            }
            if let Some(ErrorKind::NotAPickle(what)) = pickle.error.as_ref().map(Error::kind) {
                writeln!(out, "not a pickle: {what}")?;
                continue;
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
            if pickle.trailing {
                writeln!(
                    out,
                    "{} (bytes {}..{}): {} dangerous, {} unknown, {} safe",
                    crate::error::trailing_note(pickle.end - pickle.start),
                    pickle.start,
                    pickle.end,
                    counts.dangerous,
                    counts.unknown,
                    counts.safe
                )?;
            } else {
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
            }
            left_out += self.write_findings(out, &pickle.findings, detail)?;
            match (&pickle.error, pickle.trailing) {
                (Some(error), true) => {
                    writeln!(out, "  trailing   read as a pickle: {error}")?;
                    writeln!(out, "  {:<9}  why: not malformed, as pickle.loads stops at the STOP before them; a loop of pickle.load calls would run what comes before the error, so its findings count", "")?;
                }
                (Some(error), false) => {
                    writeln!(out, "  malformed  {error}")?;
                    writeln!(out, "  {:<9}  why: {}", "", why_malformed(error))?;
                }
                (None, _) => {}
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
            left_out += self.write_findings(out, &other.findings, detail)?;
        }
        if left_out > 0 {
            let plural = if left_out == 1 { "" } else { "s" };
            writeln!(
                out,
                "# {left_out} safe finding{plural} not listed (--verbose lists every finding)"
            )?;
        }
        if self.verdict() == Verdict::NotAllowed {
            self.write_suggestion(out)?;
        }
        writeln!(out, "{}", self.summary())
    }

    /// Writes findings as `detail` asks; returns how many safe ones it left out.
    fn write_findings(
        &self,
        out: &mut dyn Write,
        findings: &[Finding],
        detail: Detail,
    ) -> std::io::Result<usize> {
        if detail == Detail::Verbose {
            for finding in findings {
                let judged = self.judged(finding);
                writeln!(
                    out,
                    "  {:<9}  offset {}: {}",
                    judged.label, finding.offset, finding.text
                )?;
                if let Some(why) = why(finding, &judged) {
                    writeln!(out, "  {:<9}  why: {why}", "")?;
                }
            }
            return Ok(0);
        }
        let (groups, left_out) = self.groups(findings);
        for group in groups {
            let judged = self.judged(group.shown);
            let mut offsets: Vec<String> = group.offsets.iter().map(u64::to_string).collect();
            if group.count > GROUP_OFFSETS {
                offsets.push("…".to_string());
            }
            if group.count == 1 {
                write!(out, "  {:<11}  offset {}", group.label, offsets[0])?;
            } else {
                write!(
                    out,
                    "  {:<11}  {}× {}, offsets {}",
                    group.label,
                    group.count,
                    group.key,
                    offsets.join(", ")
                )?;
            }
            writeln!(out, ": {}", group.shown.text)?;
            if let Some(why) = why(group.shown, &judged) {
                writeln!(out, "  {:<11}  why: {why}", "")?;
            }
        }
        Ok(left_out)
    }

    /// The groups of `findings` that are not safe or that a policy line decides, in the
    /// order of their first finding; and how many findings were left out.
    fn groups<'f>(
        &self,
        findings: impl IntoIterator<Item = &'f Finding>,
    ) -> (Vec<Group<'f>>, usize) {
        let mut groups: Vec<Group<'f>> = Vec::new();
        let mut index: std::collections::HashMap<(&'static str, &'f str), usize> =
            Default::default();
        let mut left_out = 0;
        for finding in findings {
            let judged = self.judged(finding);
            if finding.class == Class::Safe && judged.rule.is_none() {
                left_out += 1;
                continue;
            }
            let key = finding.name.as_deref().unwrap_or(&finding.text);
            let slot = *index.entry((judged.label, key)).or_insert_with(|| {
                groups.push(Group {
                    label: judged.label,
                    key,
                    shown: finding,
                    offsets: Vec::new(),
                    count: 0,
                });
                groups.len() - 1
            });
            let group = &mut groups[slot];
            group.count += 1;
            if group.offsets.len() < GROUP_OFFSETS {
                group.offsets.push(finding.offset);
            }
            let calls = |f: &Finding| matches!(f.kind, FindingKind::Call | FindingKind::Instance);
            if calls(finding) && !calls(group.shown) {
                group.shown = finding;
            }
        }
        (groups, left_out)
    }

    /// The grouped view for JSON: every group of the file that is not safe (or that a
    /// policy line decides), `{label, name, count, offsets, text, reason}`.
    pub(super) fn groups_json(&self) -> Vec<serde_json::Value> {
        let (groups, _) = self.groups(self.findings());
        groups
            .iter()
            .map(|group| {
                let judged = self.judged(group.shown);
                serde_json::json!({
                    "label": group.label,
                    "name": group.key,
                    "count": group.count,
                    "offsets": group.offsets,
                    "text": group.shown.text,
                    "reason": why(group.shown, &judged).unwrap_or_else(|| group.shown.reason.clone()),
                })
            })
            .collect()
    }

    fn judged(&self, finding: &Finding) -> Judged<'_> {
        let verdict = self.judge(finding);
        let rule = self.rule_for(finding);
        let label = match (rule.map(|r| r.action), verdict) {
            (Some(Action::Deny), _) => "denied",
            (Some(Action::Allow), _) if finding.class != Class::Safe => "allowed",
            (_, Some(Verdict::NotAllowed)) => "not-allowed",
            _ => finding.class.name(),
        };
        Judged {
            label,
            verdict,
            rule,
        }
    }

    /// The names and modules an `allow` line would need to let this file through, when
    /// it is refused only for what is not on the allow list.
    /// ```
    /// let scan = picklegraph::scan::scan_file(b"cmypkg.models\nModel\n)\x81.", false);
    /// let suggestion = scan.suggestion();
    /// assert_eq!(suggestion.names, ["mypkg.models.Model"]);
    /// assert_eq!(suggestion.modules, ["mypkg.models"]);
    /// ```
    pub fn suggestion(&self) -> Suggestion {
        let mut suggestion = Suggestion::default();
        for finding in self.findings() {
            if self.judge(finding) != Some(Verdict::NotAllowed) {
                continue;
            }
            let Some(name) = &finding.name else {
                suggestion.unnamed += 1;
                continue;
            };
            if !suggestion.names.contains(name) {
                suggestion.names.push(name.clone());
            }
            let module = finding.module.clone().unwrap_or_else(|| name.clone());
            if !suggestion.modules.contains(&module) {
                suggestion.modules.push(module);
            }
        }
        suggestion
    }

    fn write_suggestion(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let suggestion = self.suggestion();
        if !suggestion.names.is_empty() {
            let quoted = |items: &[String], suffix: &str| {
                items
                    .iter()
                    .map(|item| format!("\"{item}{suffix}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            writeln!(
                out,
                "# if you trust them, a policy line lets it through (--policy FILE, or --allow NAME each):"
            )?;
            writeln!(out, "#   allow = [{}]", quoted(&suggestion.names, ""))?;
            writeln!(
                out,
                "#   or by module: allow = [{}]",
                quoted(&suggestion.modules, ".*")
            )?;
        }
        if suggestion.unnamed > 0 {
            writeln!(
                out,
                "# {} finding{} off the allow list {} no name a policy can allow (a persistent id, an extension code)",
                suggestion.unnamed,
                if suggestion.unnamed == 1 { "" } else { "s" },
                if suggestion.unnamed == 1 { "has" } else { "have" },
            )?;
        }
        Ok(())
    }

    /// The last line of the text output.
    fn summary(&self) -> String {
        let counts = self.counts();
        let pickles = self.pickles.iter().filter(|p| !p.trailing).count();
        let plural = if pickles == 1 { "" } else { "s" };
        let tally = format!(
            "{} dangerous, {} unknown, {} safe in {pickles} pickle{plural}",
            counts.dangerous, counts.unknown, counts.safe
        );
        match self.verdict() {
            Verdict::Dangerous if counts.dangerous == 0 => {
                format!("verdict: denied by the policy, do not load this file: {tally}")
            }
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
            Verdict::NotAPickle => {
                "verdict: not a pickle, nothing in it could run as one".to_string()
            }
            Verdict::Clean => format!("verdict: nothing dangerous: {tally}"),
        }
    }
}

/// Why a finding is where it is, for every finding that is not plainly safe.
fn why(finding: &Finding, judged: &Judged<'_>) -> Option<String> {
    if let Some(rule) = judged.rule {
        if rule.action == Action::Deny || finding.class != Class::Safe {
            let verb = match rule.action {
                Action::Deny => "denied",
                Action::Allow => "allowed",
            };
            return Some(format!("{verb} by {rule}; {}", finding.reason));
        }
    }
    match judged.verdict {
        Some(Verdict::NotAllowed) => Some(format!("not on the allow list; {}", finding.reason)),
        _ if finding.class != Class::Safe => Some(finding.reason.clone()),
        _ => None,
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
