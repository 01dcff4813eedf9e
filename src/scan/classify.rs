//! From the graph to findings: each inert node of the arena, classed.

use std::collections::HashMap;

use super::describe::Describer;
use super::names::classify_global;
use super::{Class, Finding, FindingKind};
use crate::graph::{Inert, InertKind, Mutation, Node, NodeId, Pickle, Value};
use crate::opcode::Opcode;
use crate::text::scalar::escape_nonprintable;

/// Every global, call, instance, global mutation, persistent reference and extension
/// code in the pickle's arena, in the order the opcodes made them.
///
/// The arena holds every node the machine built, reachable or not, so a call hidden in
/// a popped tuple or a memo slot that is never read again is found all the same.
pub fn scan(pickle: &Pickle<'_>) -> Vec<Finding> {
    let mut scanner = Scanner {
        pickle,
        describer: Describer::new(pickle),
        names: HashMap::new(),
        findings: Vec::new(),
    };
    for (index, node) in pickle.nodes().enumerate() {
        if let Node::Inert(inert) = node {
            scanner.inert(NodeId::from_index(index), inert);
        }
    }
    scanner.findings
}

/// A global as the scan sees it: its dotted name (when its operands are strs), class and
/// reason.
#[derive(Debug, Clone)]
struct Named {
    name: Option<String>,
    class: Class,
    reason: String,
}

struct Scanner<'p, 'a> {
    pickle: &'p Pickle<'a>,
    describer: Describer<'p, 'a>,
    /// Classification by raw `(module, name)`, so a million references to one class
    /// are classed once.
    names: HashMap<(String, String), (Class, String)>,
    findings: Vec<Finding>,
}

impl Scanner<'_, '_> {
    /// Records a finding. Its text and reason are shown on terminals, and names in them
    /// come from the pickle: what a terminal would obey (a line break, an escape
    /// sequence, a bidi override) is escaped. The name stays as the pickle spells it.
    fn push(&mut self, inert: &Inert, kind: FindingKind, named: Named, text: String) {
        self.findings.push(Finding {
            offset: inert.offset,
            kind,
            class: named.class,
            name: named.name,
            text: escape_nonprintable(&text).into_owned(),
            reason: escape_nonprintable(&named.reason).into_owned(),
        });
    }

    fn inert(&mut self, id: NodeId, inert: &Inert) {
        match &inert.kind {
            InertKind::Global { .. } => self.global(id, inert),
            InertKind::Call { func, args } => {
                let named = self.callee(*func, Some(*args));
                let text = self.describer.call(*func, *args);
                self.push(inert, FindingKind::Call, named, text);
            }
            InertKind::Instance {
                class,
                args,
                kwargs,
                opcode,
            } => {
                let is_new = matches!(opcode, Opcode::NewObj | Opcode::NewObjEx);
                let named = self.callee(*class, (!is_new).then_some(*args));
                let text = self.describer.instance(*class, *args, *kwargs, is_new);
                self.push(inert, FindingKind::Instance, named, text);
            }
            InertKind::Persistent { pid } => {
                let named = self.persistent(*pid);
                let text = format!("persistent_load({})", self.describer.short(*pid));
                self.push(inert, FindingKind::Persistent, named, text);
            }
            InertKind::Extension { code } => {
                let named = Named {
                    name: None,
                    class: Class::Unknown,
                    reason: "resolves to whatever global the loading process registered with copyreg.add_extension".to_string(),
                };
                self.push(
                    inert,
                    FindingKind::Extension,
                    named,
                    format!("copyreg extension code {code}"),
                );
            }
            InertKind::Buffer { .. } | InertKind::ReadOnly { .. } => {}
        }
    }

    /// A global, then every mutation applied to it.
    fn global(&mut self, id: NodeId, inert: &Inert) {
        let named = self.named(Value::Node(id));
        let text = self.describer.callee(Value::Node(id));
        self.push(inert, FindingKind::Global, named, text.clone());
        for mutation in &inert.mutations {
            let (named, mutation_text) = self.global_mutation(&text, mutation);
            self.push(inert, FindingKind::GlobalMutation, named, mutation_text);
        }
    }

    fn global_mutation(&mut self, target: &str, mutation: &Mutation) -> (Named, String) {
        let (text, reason) = match mutation {
            Mutation::Build(state) => (
                format!("{target}.__setstate__({})", self.describer.short(*state)),
                format!("BUILD sets attributes on {target}, a module-level object shared with the loading process; a later lookup of that name reads them back"),
            ),
            Mutation::Append(items) => (
                format!("{target}.extend(… {} items)", items.len()),
                format!("APPENDS changes {target}, a module-level object shared with the loading process"),
            ),
            Mutation::SetItems(pairs) => (
                format!("{target}.update(… {} items)", pairs.len()),
                format!("SETITEMS changes {target}, a module-level object shared with the loading process (sys.modules, a registry)"),
            ),
            Mutation::AddItems(items) => (
                format!("{target}.update(… {} items)", items.len()),
                format!("ADDITEMS changes {target}, a module-level object shared with the loading process"),
            ),
        };
        let named = Named {
            name: None,
            class: Class::Dangerous,
            reason,
        };
        (named, text)
    }

    /// How a global value is classed; anything that is not a global with str operands
    /// is reported by the caller.
    fn named(&mut self, value: Value) -> Named {
        let Some(Node::Inert(inert)) = self.pickle.get(value) else {
            unreachable!("named is called on globals");
        };
        let InertKind::Global {
            module,
            name,
            opcode,
        } = inert.kind
        else {
            unreachable!("named is called on globals");
        };
        let (Some(module), Some(name)) = (self.pickle.as_str(module), self.pickle.as_str(name))
        else {
            return Named {
                name: None,
                class: Class::Dangerous,
                reason: format!(
                    "{} operands are not plain strs (module: {}, name: {}): the name is computed while loading, to hide it",
                    opcode.name(),
                    self.type_label(module),
                    self.type_label(name)
                ),
            };
        };
        let key = (module.to_string(), name.to_string());
        let (class, reason) = self
            .names
            .entry(key)
            .or_insert_with(|| classify_global(module, name))
            .clone();
        let (m, n) = crate::graph::compat::python3_name(module, name);
        Named {
            name: Some(format!("{m}.{n}")),
            class,
            reason,
        }
    }

    fn type_label(&self, value: Value) -> String {
        match self.pickle.get(value) {
            Some(Node::Inert(inert)) => format!(
                "the result of the {} at offset {}",
                inert_label(inert),
                inert.offset
            ),
            Some(Node::Str(_)) => "a str with a lone surrogate".to_string(),
            _ => format!("a {}", self.pickle.type_name(value).unwrap_or("object")),
        }
    }

    /// How a call of `func` is classed: as the global it names, or dangerous when the
    /// callable is computed. `args` is given for calls that run the callable's body
    /// (`REDUCE`, `INST`, `OBJ`), to tell `type(x)` from `type(name, bases, dict)`.
    fn callee(&mut self, func: Value, args: Option<Value>) -> Named {
        let Some(Node::Inert(inert)) = self.pickle.get(func) else {
            return Named {
                name: None,
                class: Class::Dangerous,
                reason: format!(
                    "calls {}, which is not callable: only an attack pushes it",
                    self.type_label(func)
                ),
            };
        };
        match inert.kind {
            InertKind::Global { .. } => self.call_of_global(func, args),
            InertKind::Extension { code } => Named {
                name: None,
                class: Class::Unknown,
                reason: format!("calls the global registered as copyreg extension code {code}, whatever it is"),
            },
            _ => Named {
                name: None,
                class: Class::Dangerous,
                reason: format!(
                    "calls {}: the callable is computed while loading, not a named global, so what runs cannot be known without running it",
                    self.type_label(func)
                ),
            },
        }
    }

    fn call_of_global(&mut self, func: Value, args: Option<Value>) -> Named {
        let named = self.named(func);
        if named.name.as_deref() == Some("builtins.type") {
            let arity = args.and_then(|a| match self.pickle.get(a) {
                Some(Node::Tuple(items)) => Some(items.len()),
                _ => None,
            });
            return match arity {
                Some(1) | None => Named {
                    class: Class::Safe,
                    reason: "type(x) only looks up the type of an object".to_string(),
                    ..named
                },
                Some(_) => Named {
                    class: Class::Dangerous,
                    reason: "type(name, bases, dict) creates a class, running its bases' __init_subclass__ and metaclass".to_string(),
                    ..named
                },
            };
        }
        let reason = match &named.name {
            Some(name) => format!("calls {name}; {}", named.reason),
            None => format!("calls a computed global; {}", named.reason),
        };
        Named { reason, ..named }
    }

    /// torch's `('storage', storage_type, key, location, size)` ids name a storage in
    /// the same archive; any other id means whatever the loading application decides.
    fn persistent(&mut self, pid: Value) -> Named {
        let is_torch_storage = match self.pickle.get(pid) {
            Some(Node::Tuple(items)) => items
                .first()
                .is_some_and(|first| self.pickle.as_str(first) == Some("storage")),
            _ => false,
        };
        if is_torch_storage {
            return Named {
                name: None,
                class: Class::Safe,
                reason: "a torch storage of the same archive".to_string(),
            };
        }
        Named {
            name: None,
            class: Class::Unknown,
            reason: "resolved by the loading application's persistent_load, whatever it does"
                .to_string(),
        }
    }
}

fn inert_label(inert: &Inert) -> &'static str {
    match inert.kind {
        InertKind::Global { .. } => "global",
        InertKind::Call { .. } => "call",
        InertKind::Instance { .. } => "instance",
        InertKind::Persistent { .. } => "persistent reference",
        InertKind::Extension { .. } => "extension code",
        InertKind::Buffer { .. } => "out-of-band buffer",
        InertKind::ReadOnly { .. } => "read-only view",
    }
}
