//! Names read past a load error: what an unpickler more lenient than the machine (or
//! given objects that behave otherwise than the machine's inert nodes) would still import
//! and call after the point where picklegraph's load stops.
//!
//! The machine refuses a pickle at the first opcode CPython would refuse with real
//! objects, but real unpicklers differ on some (`pickle._Unpickler` takes a `NEWOBJ`
//! whose arguments are a list, the C unpickler does not), and an object that `find_class`
//! returns may accept what the machine's inert node cannot. So for a pickle that did not
//! load, the scan also reads every opcode of it by name only: a stack of "a str", "a
//! global" or "something", with marks and memo, and every `GLOBAL`, `INST`,
//! `STACK_GLOBAL` of two strs, call of a global, extension code and persistent id
//! becomes a finding. Nothing stops this reading but the end of the bytes.

use std::collections::HashMap;

use super::names::classify_global;
use super::readings::Linear;
use super::{Class, Finding, FindingKind};
use crate::graph::compat::python3_name;
use crate::opcode::{Opcode, StackItem};
use crate::text::scalar::escape_nonprintable;

#[derive(Debug, Clone)]
enum Slot {
    Str(String),
    Global(String),
    Other,
}

struct Lister<'l> {
    linear: &'l Linear,
    stack: Vec<Slot>,
    marks: Vec<usize>,
    memo: HashMap<u64, Slot>,
    findings: Vec<Finding>,
}

/// Every global, call of a global, extension code and persistent id in `linear`, read
/// by name only; `why` says which reading the bytes are.
pub fn list(linear: &Linear, why: &str) -> Vec<Finding> {
    let mut lister = Lister {
        linear,
        stack: Vec::new(),
        marks: Vec::new(),
        memo: HashMap::new(),
        findings: Vec::new(),
    };
    let ops = &linear.offsets;
    for (i, &(start, _)) in ops.iter().enumerate() {
        let end = ops.get(i + 1).map_or(linear.bytes.len(), |next| next.0);
        let Some(opcode) = Opcode::from_byte(linear.bytes[start]) else {
            break;
        };
        lister.op(opcode, start, &linear.bytes[start + 1..end]);
    }
    for finding in &mut lister.findings {
        finding.reason = format!("{}; {why}", finding.reason);
    }
    lister.findings
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn le(bytes: &[u8]) -> u64 {
    let mut raw = [0u8; 8];
    let n = bytes.len().min(8);
    raw[..n].copy_from_slice(&bytes[..n]);
    u64::from_le_bytes(raw)
}

/// A line argument without its newline.
fn line(arg: &[u8]) -> &[u8] {
    arg.strip_suffix(b"\n").unwrap_or(arg)
}

impl Lister<'_> {
    fn pop(&mut self) -> Slot {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() > floor {
            self.stack.pop().unwrap_or(Slot::Other)
        } else {
            Slot::Other
        }
    }

    fn pop_mark(&mut self) -> Vec<Slot> {
        let floor = self.marks.pop().unwrap_or(0).min(self.stack.len());
        self.stack.split_off(floor)
    }

    fn top(&self) -> Slot {
        self.stack.last().cloned().unwrap_or(Slot::Other)
    }

    fn push_finding(&mut self, at: usize, kind: FindingKind, module: &str, name: &str) -> String {
        let (class, reason) = classify_global(module, name);
        let (m, n) = python3_name(module, name);
        let dotted = format!("{m}.{n}");
        let (text, reason) = match kind {
            FindingKind::Global => (dotted.clone(), reason),
            _ => (format!("{dotted}(…)"), format!("calls {dotted}; {reason}")),
        };
        self.findings.push(Finding {
            offset: self.linear.original(at) as u64,
            kind,
            class,
            name: Some(dotted.clone()),
            module: Some(m.to_string()),
            spelled: (kind == FindingKind::Global).then(|| (module.to_string(), name.to_string())),
            text: escape_nonprintable(&text).into_owned(),
            reason: escape_nonprintable(&reason).into_owned(),
        });
        dotted
    }

    fn call(&mut self, at: usize, callee: Slot, kind: FindingKind) {
        if let Slot::Global(dotted) = callee {
            let (module, name) = dotted.rsplit_once('.').unwrap_or(("", &dotted));
            let (module, name) = (module.to_string(), name.to_string());
            self.push_finding(at, kind, &module, &name);
        }
    }

    fn unnamed(&mut self, at: usize, kind: FindingKind, text: String, reason: &str) {
        self.findings.push(Finding {
            offset: self.linear.original(at) as u64,
            kind,
            class: Class::Unknown,
            name: None,
            module: None,
            spelled: None,
            text,
            reason: reason.to_string(),
        });
    }

    fn op(&mut self, opcode: Opcode, at: usize, arg: &[u8]) {
        use Opcode as O;
        match opcode {
            O::ShortBinUnicode | O::ShortBinString | O::ShortBinBytes => {
                self.stack
                    .push(Slot::Str(text(arg.get(1..).unwrap_or_default())));
            }
            O::BinUnicode | O::BinString | O::BinBytes => {
                self.stack
                    .push(Slot::Str(text(arg.get(4..).unwrap_or_default())));
            }
            O::BinUnicode8 | O::BinBytes8 => {
                self.stack
                    .push(Slot::Str(text(arg.get(8..).unwrap_or_default())));
            }
            O::Unicode => self.stack.push(Slot::Str(text(line(arg)))),
            O::String => {
                let quoted = line(arg);
                let inner = quoted
                    .get(1..quoted.len().saturating_sub(1))
                    .unwrap_or_default();
                self.stack.push(Slot::Str(text(inner)));
            }
            // A line cut off by the end of the input: the unpickler raised reading it,
            // before any find_class (the readings write every line they read whole).
            O::Global | O::Inst if arg.iter().filter(|&&b| b == b'\n').count() < 2 => {}
            O::Global | O::Inst => {
                let mut lines = arg.split(|&b| b == b'\n');
                let module = text(lines.next().unwrap_or_default());
                let name = text(lines.next().unwrap_or_default());
                let dotted = self.push_finding(at, FindingKind::Global, &module, &name);
                if opcode == O::Inst {
                    self.pop_mark();
                    self.push_finding(at, FindingKind::Instance, &module, &name);
                    self.stack.push(Slot::Other);
                } else {
                    self.stack.push(Slot::Global(dotted));
                }
            }
            O::StackGlobal => {
                let name = self.pop();
                let module = self.pop();
                match (module, name) {
                    (Slot::Str(module), Slot::Str(name)) => {
                        let dotted = self.push_finding(at, FindingKind::Global, &module, &name);
                        self.stack.push(Slot::Global(dotted));
                    }
                    _ => self.stack.push(Slot::Other),
                }
            }
            O::Reduce => {
                self.pop();
                let callee = self.pop();
                self.call(at, callee, FindingKind::Call);
                self.stack.push(Slot::Other);
            }
            O::NewObj | O::NewObjEx => {
                if opcode == O::NewObjEx {
                    self.pop();
                }
                self.pop();
                let class = self.pop();
                self.call(at, class, FindingKind::Instance);
                self.stack.push(Slot::Other);
            }
            O::Obj => {
                let items = self.pop_mark();
                if let Some(class) = items.into_iter().next() {
                    self.call(at, class, FindingKind::Instance);
                }
                self.stack.push(Slot::Other);
            }
            O::Ext1 | O::Ext2 | O::Ext4 => {
                let code = le(arg);
                self.unnamed(at, FindingKind::Extension, format!("copyreg extension code {code}"), "resolves to whatever global the loading process registered with copyreg.add_extension");
                self.stack.push(Slot::Other);
            }
            O::PersId | O::BinPersId => {
                if opcode == O::BinPersId {
                    self.pop();
                }
                self.unnamed(
                    at,
                    FindingKind::Persistent,
                    "persistent_load(…)".to_string(),
                    "resolved by the loading application's persistent_load, whatever it does",
                );
                self.stack.push(Slot::Other);
            }
            O::Dup => {
                let top = self.top();
                self.stack.push(top);
            }
            O::Mark => self.marks.push(self.stack.len()),
            O::Put | O::BinPut | O::LongBinPut | O::Memoize => {
                let key = match opcode {
                    O::Put => text(line(arg)).trim().parse().unwrap_or(u64::MAX),
                    O::Memoize => self.memo.len() as u64,
                    _ => le(arg),
                };
                let top = self.top();
                self.memo.insert(key, top);
            }
            O::Get | O::BinGet | O::LongBinGet => {
                let key = match opcode {
                    O::Get => text(line(arg)).trim().parse().unwrap_or(u64::MAX),
                    _ => le(arg),
                };
                let value = self.memo.get(&key).cloned().unwrap_or(Slot::Other);
                self.stack.push(value);
            }
            _ => self.by_table(opcode),
        }
    }

    /// Any other opcode: its stack effect from the opcode table, every result "something".
    fn by_table(&mut self, opcode: Opcode) {
        for item in opcode.stack_before().iter().rev() {
            match item {
                StackItem::StackSlice => {
                    self.pop_mark();
                }
                StackItem::Mark => {}
                _ => {
                    self.pop();
                }
            }
        }
        for item in opcode.stack_after() {
            match item {
                StackItem::Mark => self.marks.push(self.stack.len()),
                _ => self.stack.push(Slot::Other),
            }
        }
    }
}
