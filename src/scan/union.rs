//! The union of readings: what CPython's unpicklers would import or call where they read
//! the bytes otherwise than picklegraph's machine.

use std::collections::HashSet;

use super::lenient;
use super::readings::{walk, Divergence, Unpickler};
use super::{scan, Finding};
use crate::limits::LoadOptions;

/// What one of CPython's unpicklers finds that picklegraph's own reading does not.
#[derive(Debug, Clone)]
pub struct OtherReading {
    /// Which unpickler.
    pub unpickler: Unpickler,
    /// Where its reading leaves picklegraph's.
    pub divergences: Vec<Divergence>,
    /// Its findings that picklegraph's reading does not have, offsets in the input.
    pub findings: Vec<Finding>,
}

/// The key that tells one finding from another across readings.
fn key(finding: &Finding) -> (u64, &'static str, String) {
    let what = finding.name.clone().unwrap_or_else(|| finding.text.clone());
    (finding.offset, finding.kind.name(), what)
}

/// For each of CPython's unpicklers that reads `input` (a stream of pickles) otherwise
/// than the machine did, the findings of its reading that `found` (the machine's, offsets
/// in `input`) lacks. Readings that agree with the machine's are left out, unless the
/// machine's load `failed`: then every reading's pickles are also read by name only
/// ([`lenient::list`]), since an unpickler may go on where the machine stops.
pub fn other_readings(
    input: &[u8],
    found: &[Finding],
    options: &LoadOptions,
    failed: bool,
) -> Vec<OtherReading> {
    let mut seen: HashSet<_> = found.iter().map(key).collect();
    let mut others = Vec::new();
    for unpickler in Unpickler::ALL {
        if !failed && walk(input, unpickler, false).divergences.is_empty() {
            continue;
        }
        let reading = walk(input, unpickler, true);
        let mut findings = Vec::new();
        for linear in &reading.pickles {
            if linear.bytes.is_empty() {
                continue;
            }
            let (mut found, loaded) = match crate::load_at(&linear.bytes, 0, options) {
                Ok(pickle) => (scan(&pickle), true),
                Err(failure) => (scan(&failure.partial), false),
            };
            for finding in &mut found {
                finding.offset = linear.original(finding.offset as usize) as u64;
            }
            if failed || !loaded {
                found.extend(lenient::list(
                    linear,
                    "read by name only, past the opcode where picklegraph's load stops",
                ));
            }
            for mut finding in found {
                if seen.insert(key(&finding)) {
                    finding.reason =
                        format!("{}; read only by {}", finding.reason, unpickler.name());
                    findings.push(finding);
                }
            }
        }
        if reading.divergences.is_empty() && findings.is_empty() {
            continue;
        }
        others.push(OtherReading {
            unpickler,
            divergences: reading.divergences,
            findings,
        });
    }
    others
}
