//! Scans as one SARIF 2.1.0 log, the format GitHub code scanning and other CI dashboards
//! read: a rule per kind of finding, a result per name that fails a file (grouped, so a
//! forest of a hundred trees is one result, not a thousand), each located in its file.
//!
//! SARIF locates results by line; a pickle has byte offsets. Every result therefore sits
//! on line 1 of its file (GitHub code scanning needs a `startLine` to show an alert) and
//! carries its byte offsets in its message and in `properties.offsets`. A file that could
//! not be read at all is no result but a tool execution notification, as SARIF §3.58
//! describes it, and the run is then not "successful".
//!
//! ```
//! use picklegraph::scan::{scan_file, sarif::SarifLog};
//! let mut log = SarifLog::new();
//! log.add_scan("models/payload.pkl", &scan_file(b"cos\nsystem\n(S'ls'\ntR.", false));
//! log.add_unreadable("models/gone.pkl", "No such file or directory");
//! let sarif = log.to_json();
//! assert_eq!(sarif["version"], "2.1.0");
//! // The global os.system, then its call.
//! let result = &sarif["runs"][0]["results"][1];
//! assert_eq!(result["ruleId"], "dangerous-call");
//! assert_eq!(result["level"], "error");
//! assert_eq!(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "models/payload.pkl");
//! ```

use serde_json::{json, Value};

use super::report::{FileScan, Verdict};
use super::{Finding, FindingKind};
use crate::error::ErrorKind;

/// The schema that a SARIF 2.1.0 log names (OASIS's, errata 01).
pub const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// Most results a log holds: GitHub code scanning refuses a run of more than 25,000.
/// Past it, further results are dropped and a notification says how many.
pub const MAX_RESULTS: usize = 25_000;

/// How many offsets a grouped result lists.
const OFFSETS_SHOWN: usize = 5;

/// One rule: what kind of problem a result reports.
struct Rule {
    id: &'static str,
    level: &'static str,
    /// GitHub's `security-severity`, 0 to 10: 9 and above is critical.
    severity: &'static str,
    short: &'static str,
    full: &'static str,
}

/// Every rule a log can name, in a fixed order (a result's `ruleIndex` points here).
const RULES: &[Rule] = &[
    Rule { id: "dangerous-call", level: "error", severity: "9.8", short: "A pickle calls something that can run code", full: "Loading this pickle calls a function known to run code or touch the system (os.system, builtins.eval, subprocess, ...). Do not load the file." },
    Rule { id: "dangerous-instance", level: "error", severity: "9.8", short: "A pickle builds an instance of a dangerous class", full: "Loading this pickle instantiates a class known to run code or touch the system. Do not load the file." },
    Rule { id: "dangerous-global", level: "error", severity: "9.0", short: "A pickle imports a dangerous name", full: "Loading this pickle imports a name known to run code or touch the system, or a module whose import does. Do not load the file." },
    Rule { id: "dangerous-global-mutation", level: "error", severity: "9.0", short: "A pickle changes a module or class while loading", full: "BUILD, APPENDS, SETITEMS or ADDITEMS applied to a global changes a module or class in the loading process: only an attack does this." },
    Rule { id: "dangerous-persistent", level: "error", severity: "9.0", short: "A dangerous persistent id", full: "A persistent id whose shape only an attack produces." },
    Rule { id: "dangerous-extension", level: "error", severity: "9.0", short: "A dangerous extension code", full: "A copyreg extension code that names a dangerous global." },
    Rule { id: "not-allowed-call", level: "warning", severity: "7.5", short: "A pickle calls something not on the allow list", full: "Loading this pickle calls a function that is not a constructor known to build data; it may do anything. Review it, or allow it by name if it is trusted." },
    Rule { id: "not-allowed-instance", level: "warning", severity: "7.5", short: "A pickle builds an instance of a class not on the allow list", full: "Loading this pickle instantiates a class that is not known to build data; it may do anything. Review it, or allow it by name if it is trusted." },
    Rule { id: "not-allowed-global", level: "warning", severity: "6.0", short: "A pickle imports a name from a module not known to be harmless", full: "Loading this pickle imports a name whose module is not known to be harmless to import (or, with --strict, any name not on the allow list)." },
    Rule { id: "not-allowed-global-mutation", level: "warning", severity: "7.5", short: "A pickle changes a global while loading", full: "A mutation of a global that is not on the allow list." },
    Rule { id: "not-allowed-persistent", level: "warning", severity: "7.5", short: "A persistent id the loading application resolves", full: "A persistent id is resolved by the application that loads the pickle, which may do anything with it." },
    Rule { id: "not-allowed-extension", level: "warning", severity: "7.5", short: "A copyreg extension code", full: "A copyreg extension code is resolved through the loading process's registry, which may name anything." },
    Rule { id: "malformed-pickle", level: "warning", severity: "5.0", short: "A pickle is malformed: what follows the error was not read", full: "Loading stopped at an error; what follows it was not read, so the file cannot be called clean." },
    Rule { id: "unread-part", level: "warning", severity: "5.0", short: "A part of the file could not be read", full: "A part of the file could not be opened (an unsupported or corrupt container, a decompression limit reached); what it holds was not read, so the file cannot be called clean." },
];

fn rule_index(id: &str) -> usize {
    RULES
        .iter()
        .position(|rule| rule.id == id)
        .expect("every rule id used is in RULES")
}

/// A SARIF 2.1.0 log being built from the scans of many files.
#[derive(Debug, Clone, Default)]
pub struct SarifLog {
    results: Vec<Value>,
    dropped: usize,
    notifications: Vec<Value>,
}

impl SarifLog {
    /// An empty log.
    pub fn new() -> SarifLog {
        SarifLog::default()
    }

    /// Adds a result for each name that fails the scan of the file at `path`
    /// (relative paths are best: code scanning resolves them from the repository's
    /// root), and one for each pickle that is malformed or part that was not read.
    /// A clean file or one that is not a pickle adds nothing.
    pub fn add_scan(&mut self, path: &str, scan: &FileScan) {
        let location = location(path);
        for group in failing_groups(scan) {
            let offsets: Vec<u64> = group.offsets.iter().copied().take(OFFSETS_SHOWN).collect();
            let shown: Vec<String> = offsets.iter().map(u64::to_string).collect();
            let more = if group.offsets.len() > OFFSETS_SHOWN {
                ", ..."
            } else {
                ""
            };
            let times = match group.offsets.len() {
                1 => String::new(),
                n => format!(" ({n} times)"),
            };
            let message = format!(
                "{}{times} at offset{} {}{more}: {}",
                group.text,
                if group.offsets.len() == 1 { "" } else { "s" },
                shown.join(", "),
                group.reason
            );
            self.push(
                group.rule,
                message,
                &location,
                json!({"name": group.name, "offsets": offsets, "count": group.offsets.len()}),
            );
        }
        if matches!(scan.verdict(), Verdict::NotAPickle) {
            return;
        }
        // Bytes after the last STOP that are no pickle (`trailing`) do not fail the file.
        for pickle in scan.pickles.iter().filter(|p| !p.trailing) {
            let Some(error) = &pickle.error else {
                continue;
            };
            let place = pickle
                .label
                .as_deref()
                .map(|label| format!("{label}: "))
                .unwrap_or_default();
            let (rule, message) = match error.kind() {
                ErrorKind::Unopened(why) | ErrorKind::NotAPickle(why) => {
                    ("unread-part", format!("{place}not read: {why}"))
                }
                _ => (
                    "malformed-pickle",
                    format!("{place}pickle {} is malformed: {}", pickle.index, error),
                ),
            };
            self.push(
                rule,
                message,
                &location,
                json!({"offsets": [error.offset()]}),
            );
        }
    }

    /// Records a file that could not be read at all (missing, a permission refused) as
    /// a notification of the run, which then did not run to success.
    pub fn add_unreadable(&mut self, path: &str, message: &str) {
        self.notifications.push(json!({
            "level": "error",
            "message": {"text": format!("{path}: {message}")},
            "locations": [location(path)],
        }));
    }

    fn push(&mut self, rule: &'static str, message: String, location: &Value, properties: Value) {
        if self.results.len() >= MAX_RESULTS {
            self.dropped += 1;
            return;
        }
        let index = rule_index(rule);
        self.results.push(json!({
            "ruleId": rule,
            "ruleIndex": index,
            "level": RULES[index].level,
            "message": {"text": message},
            "locations": [location],
            "properties": properties,
        }));
    }

    /// The log: one run of picklegraph, every rule, the results in the order added.
    pub fn to_json(&self) -> Value {
        let mut notifications = self.notifications.clone();
        if self.dropped > 0 {
            notifications.push(json!({
                "level": "warning",
                "message": {"text": format!(
                    "{} results past the first {MAX_RESULTS} were left out (GitHub code scanning reads at most {MAX_RESULTS} per run)",
                    self.dropped
                )},
            }));
        }
        let rules: Vec<Value> = RULES
            .iter()
            .map(|rule| {
                json!({
                    "id": rule.id,
                    "name": rule.id,
                    "shortDescription": {"text": rule.short},
                    "fullDescription": {"text": rule.full},
                    "help": {"text": rule.full},
                    "defaultConfiguration": {"level": rule.level},
                    "properties": {
                        "tags": ["security", "pickle"],
                        "precision": "high",
                        "security-severity": rule.severity,
                    },
                })
            })
            .collect();
        json!({
            "$schema": SCHEMA,
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": "picklegraph",
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }},
                "invocations": [{
                    "executionSuccessful": self.notifications.is_empty(),
                    "toolExecutionNotifications": notifications,
                }],
                "results": self.results,
            }],
        })
    }
}

/// A name that fails a file, with every offset where it does.
struct Group {
    rule: &'static str,
    name: Option<String>,
    text: String,
    reason: String,
    offsets: Vec<u64>,
}

/// The findings that fail `scan`, grouped by rule and name (by text when unnamed), in
/// the order of their first occurrence.
fn failing_groups(scan: &FileScan) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    let mut index = std::collections::HashMap::new();
    for finding in scan.findings() {
        let Some(verdict) = scan.judge(finding) else {
            continue;
        };
        let rule = rule_of(finding, verdict);
        let key = (
            rule,
            finding.name.clone().unwrap_or_else(|| finding.text.clone()),
        );
        match index.get(&key) {
            Some(&at) => {
                let group: &mut Group = &mut groups[at];
                group.offsets.push(finding.offset);
            }
            None => {
                index.insert(key, groups.len());
                groups.push(Group {
                    rule,
                    name: finding.name.clone(),
                    text: finding.text.clone(),
                    reason: if verdict == Verdict::NotAllowed {
                        format!("not on the allow list; {}", finding.reason)
                    } else {
                        finding.reason.clone()
                    },
                    offsets: vec![finding.offset],
                });
            }
        }
    }
    groups
}

fn rule_of(finding: &Finding, verdict: Verdict) -> &'static str {
    let dangerous = verdict == Verdict::Dangerous;
    match (finding.kind, dangerous) {
        (FindingKind::Call, true) => "dangerous-call",
        (FindingKind::Instance, true) => "dangerous-instance",
        (FindingKind::Global, true) => "dangerous-global",
        (FindingKind::GlobalMutation, true) => "dangerous-global-mutation",
        (FindingKind::Persistent, true) => "dangerous-persistent",
        (FindingKind::Extension, true) => "dangerous-extension",
        (FindingKind::Call, false) => "not-allowed-call",
        (FindingKind::Instance, false) => "not-allowed-instance",
        (FindingKind::Global, false) => "not-allowed-global",
        (FindingKind::GlobalMutation, false) => "not-allowed-global-mutation",
        (FindingKind::Persistent, false) => "not-allowed-persistent",
        (FindingKind::Extension, false) => "not-allowed-extension",
    }
}

/// A result's location: the file, on line 1 (see the module's documentation).
fn location(path: &str) -> Value {
    json!({
        "physicalLocation": {
            "artifactLocation": artifact(path),
            "region": {"startLine": 1},
        }
    })
}

/// A path as a SARIF artifact location: relative paths as URI references from the
/// source root (`%SRCROOT%`), absolute ones as `file://` URIs, each percent-encoded.
fn artifact(path: &str) -> Value {
    let slashed = path.replace('\\', "/");
    let mut relative = slashed.as_str();
    while let Some(rest) = relative.strip_prefix("./") {
        relative = rest;
    }
    if slashed.starts_with('/') {
        json!({"uri": format!("file://{}", encode(&slashed))})
    } else {
        json!({"uri": encode(relative), "uriBaseId": "%SRCROOT%"})
    }
}

/// Percent-encodes every byte of `path` that may not stand in a URI's path as it is.
fn encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &byte in path.as_bytes() {
        let plain = byte.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&byte);
        if plain {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::scan_file;

    #[test]
    fn paths_become_uri_references_from_the_source_root() {
        assert_eq!(
            artifact("./models/a b%.pkl"),
            json!({"uri": "models/a%20b%25.pkl", "uriBaseId": "%SRCROOT%"})
        );
        assert_eq!(artifact("/tmp/x.pkl"), json!({"uri": "file:///tmp/x.pkl"}));
        assert_eq!(artifact("dir\\é.pkl")["uri"], "dir/%C3%A9.pkl");
    }

    #[test]
    fn a_name_called_many_times_is_one_result_with_its_offsets() {
        // os.system('a'), POP, os.system('b'): two calls of one name, REDUCE at bytes
        // 18 and 38 (GLOBAL 0-10, MARK 11, STRING 12-16, TUPLE 17; POP 19).
        let stream = b"cos\nsystem\n(S'a'\ntR0cos\nsystem\n(S'b'\ntR.";
        let mut log = SarifLog::new();
        log.add_scan("p.pkl", &scan_file(stream, false));
        let sarif = log.to_json();
        let results = sarif["runs"][0]["results"].as_array().unwrap();
        let calls: Vec<&Value> = results
            .iter()
            .filter(|r| r["ruleId"] == "dangerous-call")
            .collect();
        assert_eq!(calls.len(), 1, "{results:#?}");
        assert_eq!(calls[0]["properties"]["count"], 2);
        assert_eq!(calls[0]["properties"]["offsets"], json!([18, 38]));
        assert!(calls[0]["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("os.system('a') (2 times) at offsets 18, 38: "));
        assert_eq!(
            sarif["runs"][0]["invocations"][0]["executionSuccessful"],
            true
        );
    }

    #[test]
    fn clean_files_and_text_add_no_result_and_unread_files_a_notification() {
        let mut log = SarifLog::new();
        log.add_scan("clean.pkl", &scan_file(b"\x80\x04K\x01.", false));
        log.add_scan("chat.yaml", &scan_file(b"chat_template: x\n", false));
        log.add_scan("short.pkl", &scan_file(b"K\x01", false));
        log.add_unreadable("gone.pkl", "No such file or directory");
        let sarif = log.to_json();
        let results = sarif["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), 1);
        assert_eq!(results[0]["ruleId"], "malformed-pickle");
        let invocation = &sarif["runs"][0]["invocations"][0];
        assert_eq!(invocation["executionSuccessful"], false);
        assert_eq!(
            invocation["toolExecutionNotifications"][0]["message"]["text"],
            "gone.pkl: No such file or directory"
        );
    }

    #[test]
    fn every_result_names_a_rule_at_its_index() {
        let mut log = SarifLog::new();
        log.add_scan("u.pkl", &scan_file(b"cfixmod\nPoint\n)R.", false));
        log.add_scan("d.pkl", &scan_file(b"cos\nsystem\n.", false));
        let sarif = log.to_json();
        let rules = &sarif["runs"][0]["tool"]["driver"]["rules"];
        for result in sarif["runs"][0]["results"].as_array().unwrap() {
            let index = result["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[index]["id"], result["ruleId"]);
            assert_eq!(
                rules[index]["defaultConfiguration"]["level"],
                result["level"]
            );
        }
    }
}
