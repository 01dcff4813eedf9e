//! From the graph to findings: each inert node of the arena, classed.

use std::collections::{HashMap, HashSet};

use super::describe::Describer;
use super::names::classify_global;
use super::policy::ArgumentCheck;
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
    scan_in(pickle, Context::Pickle)
}

/// Where a pickle was found, when that changes what its persistent ids are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Anywhere: a persistent id means whatever the loading application decides.
    Pickle,
    /// The saved object of a PyTorch tar checkpoint (`crate::model::tar`), which
    /// `torch.load` reads with a `persistent_load` of its own: an id that is a tuple
    /// resolves to its first item (a class, judged on its own), any other id is a key
    /// looked up among the tensors and storages the checkpoint holds.
    TorchTarObject,
}

/// [`scan`], for a pickle found in `context`.
pub fn scan_in(pickle: &Pickle<'_>, context: Context) -> Vec<Finding> {
    if pickle.inert_count() == 0 {
        // Every finding is made from an inert node; plain data has none.
        return Vec::new();
    }
    let mut scanner = Scanner {
        pickle,
        describer: Describer::new(pickle),
        names: HashMap::new(),
        findings: Vec::new(),
        judged: HashMap::new(),
        nested_judged: HashMap::new(),
        nested_calls: HashMap::new(),
        context,
    };
    scanner.find_judged_by_arguments();
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
    module: Option<String>,
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
    /// The globals judged by their arguments ([`ArgumentCheck`]) whose every use passes
    /// their check: `getattr(zoneinfo.ZoneInfo, '_unpickle')` is the attribute's lookup,
    /// judged by its name; `type(None)` gives a builtin type; each
    /// `torch.storage._load_from_bytes(b'…')` is judged by the nested pickle it loads
    /// ([`super::nested`]). The reference itself is then harmless.
    judged: HashMap<NodeId, ArgumentCheck>,
    /// The judgement of each nested load, by the call's arguments: the reference is
    /// judged as the worst of its calls, so each nested scan is cached.
    nested_judged: HashMap<NodeId, (Class, String)>,
    /// The arguments of every constant call of each `_load_from_bytes` global.
    nested_calls: HashMap<NodeId, Vec<Value>>,
    /// Where the pickle was found.
    context: Context,
}

impl Scanner<'_, '_> {
    /// The globals of [`JUDGED_BY_ARGUMENTS`] whose every use in the arena is a call its
    /// check passes ([`Scanner::passes`]), each with its check: one walk over every
    /// node's children for all of them. A global used any other way (passed as an
    /// argument, kept in a container, called with computed arguments) is not among them.
    ///
    /// [`JUDGED_BY_ARGUMENTS`]: super::policy::JUDGED_BY_ARGUMENTS
    fn find_judged_by_arguments(&mut self) {
        let pickle = self.pickle;
        let mut other_use = HashSet::new();
        for node in pickle.nodes() {
            let mut child_index = 0;
            while let Some(child) = node.child(child_index) {
                child_index += 1;
                let Some(id) = child.node() else { continue };
                let Some(check) = pickle
                    .global_name(child)
                    .and_then(|(module, name)| ArgumentCheck::of(module, name))
                else {
                    continue;
                };
                let args = match &node {
                    Node::Inert(Inert {
                        kind: InertKind::Call { func, args },
                        ..
                    }) if *func == child => Some(*args),
                    _ => None,
                };
                match args.filter(|&args| self.passes(check, args)) {
                    Some(args) => {
                        self.judged.insert(id, check);
                        if check == ArgumentCheck::NestedLoad {
                            self.nested_calls.entry(id).or_default().push(args);
                        }
                    }
                    None => {
                        other_use.insert(id);
                    }
                }
            }
        }
        self.judged.retain(|id, _| !other_use.contains(id));
    }

    /// Whether a call with `args` is one that `check` passes.
    fn passes(&self, check: ArgumentCheck, args: Value) -> bool {
        match check {
            ArgumentCheck::ConstantGetattr => self.constant_lookup(args).is_some(),
            ArgumentCheck::TypeOfConstant => self.is_type_of_constant(args),
            ArgumentCheck::NestedLoad => self.constant_bytes(args).is_some(),
        }
    }

    /// Whether the global `id` is judged by its arguments with `check`, every use passing.
    fn judged_as(&self, id: NodeId, check: ArgumentCheck) -> bool {
        self.judged.get(&id) == Some(&check)
    }

    /// Whether `args` is `(None,)`, `(Ellipsis,)` or `(NotImplemented,)`, the last two as
    /// the named builtins.
    fn is_type_of_constant(&self, args: Value) -> bool {
        let Some(Node::Tuple(items)) = self.pickle.get(args) else {
            return false;
        };
        let (1, Some(item)) = (items.len(), items.get(0)) else {
            return false;
        };
        matches!(item, Value::None)
            || matches!(
                self.pickle.global_name(item),
                Some(("builtins", "Ellipsis" | "NotImplemented"))
            )
    }

    /// The bytes of `args` when it is a tuple of one bytes constant.
    fn constant_bytes(&self, args: Value) -> Option<&[u8]> {
        let Some(Node::Tuple(items)) = self.pickle.get(args) else {
            return None;
        };
        let mut items = items.iter();
        let (Some(bytes), None) = (items.next(), items.next()) else {
            return None;
        };
        match self.pickle.get(bytes)? {
            Node::Bytes(bytes) => Some(bytes),
            _ => None,
        }
    }

    /// A call of a constant-use `torch.storage._load_from_bytes`, judged by the nested
    /// pickle its bytes hold.
    fn nested_load(&mut self, func: Value, args: Value) -> Option<(Class, String)> {
        if !self.judged_as(func.node()?, ArgumentCheck::NestedLoad) {
            return None;
        }
        let key = args.node()?;
        if let Some(judged) = self.nested_judged.get(&key) {
            return Some(judged.clone());
        }
        let judged = super::nested::judge(self.constant_bytes(args)?);
        self.nested_judged.insert(key, judged.clone());
        Some(judged)
    }

    /// `(module, "Class.attribute")` when `args` is `(a named global, a constant str)`
    /// and the attribute is not a dunder.
    fn constant_lookup(&self, args: Value) -> Option<(String, String)> {
        let Some(Node::Tuple(items)) = self.pickle.get(args) else {
            return None;
        };
        let mut items = items.iter();
        let (Some(target), Some(attribute), None) = (items.next(), items.next(), items.next())
        else {
            return None;
        };
        let (module, name) = self.pickle.global_name(target)?;
        let attribute = self.pickle.as_str(attribute)?;
        if attribute.is_empty() || attribute.contains('.') || attribute.starts_with("__") {
            return None;
        }
        Some((module.to_string(), format!("{name}.{attribute}")))
    }

    /// A call of a constant-use `getattr`: the attribute it looks up.
    fn constant_getattr(&self, func: Value, args: Value) -> Option<(String, String)> {
        if !self.judged_as(func.node()?, ArgumentCheck::ConstantGetattr) {
            return None;
        }
        self.constant_lookup(args)
    }

    /// A global, attribute path included, classed and named as [`Scanner::named`] does.
    fn named_path(&mut self, module: &str, name: &str) -> Named {
        let key = (module.to_string(), name.to_string());
        let (class, reason) = self
            .names
            .entry(key)
            .or_insert_with(|| classify_global(module, name))
            .clone();
        let (m, n) = crate::graph::compat::python3_name(module, name);
        Named {
            name: Some(format!("{m}.{n}")),
            module: Some(m.to_string()),
            class,
            reason,
        }
    }
    /// Records a finding. Its text and reason are shown on terminals, and names in them
    /// come from the pickle: what a terminal would obey (a line break, an escape
    /// sequence, a bidi override) is escaped. The name stays as the pickle spells it.
    fn push(&mut self, inert: &Inert, kind: FindingKind, named: Named, text: String) {
        self.findings.push(Finding {
            offset: inert.offset,
            kind,
            class: named.class,
            name: named.name,
            module: named.module,
            spelled: None,
            text: escape_nonprintable(&text).into_owned(),
            reason: escape_nonprintable(&named.reason).into_owned(),
        });
    }

    fn inert(&mut self, id: NodeId, inert: &Inert) {
        match &inert.kind {
            InertKind::Global { .. } => self.global(id, inert),
            InertKind::Call { func, args } => {
                if let Some((module, path)) = self.constant_getattr(*func, *args) {
                    let named = self.named_path(&module, &path);
                    let reason = format!(
                        "getattr of a named global with a constant name looks up {}; {}",
                        named.name.as_deref().unwrap_or(&path),
                        named.reason
                    );
                    let text = self.describer.call(*func, *args);
                    self.push(inert, FindingKind::Global, Named { reason, ..named }, text);
                    return;
                }
                let named = match self.nested_load(*func, *args) {
                    Some((class, reason)) => Named {
                        class,
                        reason,
                        ..self.named(*func)
                    },
                    None => self.callee(*func, Some(*args)),
                };
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
                    module: None,
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
        let mut named = self.named(Value::Node(id));
        if self.judged_as(id, ArgumentCheck::ConstantGetattr) {
            named.class = Class::Safe;
            named.reason = "getattr, used only to look up a constant attribute of a named global: each lookup is judged by the attribute's name".to_string();
        }
        if self.judged_as(id, ArgumentCheck::TypeOfConstant) {
            named.class = Class::Safe;
            named.reason = "type, used only as type(None), type(...) or type(NotImplemented): each gives a builtin type".to_string();
        }
        if self.judged_as(id, ArgumentCheck::NestedLoad) {
            let calls = self.nested_calls.get(&id).cloned().unwrap_or_default();
            let worst = calls
                .iter()
                .filter_map(|args| self.nested_load(Value::Node(id), *args))
                .map(|(class, _)| class)
                .max()
                .unwrap_or(Class::Safe);
            named.class = worst;
            named.reason = format!(
                "torch.load of bytes, used only on nested pickles given as constant bytes, so it is judged by what they hold: the worst of its {} calls is {}",
                calls.len(),
                worst.name()
            );
        }
        let text = self.describer.callee(Value::Node(id));
        self.push(inert, FindingKind::Global, named, text.clone());
        if let InertKind::Global { module, name, .. } = inert.kind {
            if let (Some(module), Some(name)) =
                (self.pickle.as_str(module), self.pickle.as_str(name))
            {
                if let Some(finding) = self.findings.last_mut() {
                    finding.spelled = Some((module.to_string(), name.to_string()));
                }
            }
        }
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
            module: None,
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
                module: None,
                class: Class::Dangerous,
                reason: format!(
                    "{} operands are not plain strs (module: {}, name: {}): the name is computed while loading, to hide it",
                    opcode.name(),
                    self.type_label(module),
                    self.type_label(name)
                ),
            };
        };
        self.named_path(module, name)
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
                module: None,
                class: Class::Dangerous,
                reason: format!(
                    "calls {}, which is not callable: only an attack pushes it",
                    self.type_label(func)
                ),
            };
        };
        if let InertKind::Call {
            func: lookup,
            args: lookup_args,
        } = inert.kind
        {
            if let Some((module, path)) = self.constant_getattr(lookup, lookup_args) {
                let named = self.named_path(&module, &path);
                let reason = match &named.name {
                    Some(name) => format!("calls {name}; {}", named.reason),
                    None => named.reason.clone(),
                };
                return Named { reason, ..named };
            }
        }
        if let InertKind::Persistent { pid } = inert.kind {
            if let Some(class) = self.torch_module_record(pid) {
                // torch's legacy format resolves the record to the class itself.
                return self.call_of_global(class, args);
            }
        }
        match inert.kind {
            InertKind::Global { .. } => self.call_of_global(func, args),
            InertKind::Extension { code } => Named {
                name: None,
                module: None,
                class: Class::Unknown,
                reason: format!("calls the global registered as copyreg extension code {code}, whatever it is"),
            },
            _ => Named {
                name: None,
                module: None,
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
    /// The class of a persistent id `('module', class, source_file, source)`, which
    /// `torch.save` of a whole model writes in its legacy format: `torch.load` resolves
    /// it to the class (warning when the source changed), so it is the class, named.
    fn torch_module_record(&self, pid: Value) -> Option<Value> {
        let Some(Node::Tuple(items)) = self.pickle.get(pid) else {
            return None;
        };
        let mut items = items.iter();
        let tag = items.next()?;
        let class = items.next()?;
        (self.pickle.as_str(tag) == Some("module") && self.pickle.global_name(class).is_some())
            .then_some(class)
    }

    fn persistent(&mut self, pid: Value) -> Named {
        if self.context == Context::TorchTarObject {
            if let Some(named) = self.tar_persistent(pid) {
                return named;
            }
        }
        if self.torch_module_record(pid).is_some() {
            return Named {
                name: None,
                module: None,
                class: Class::Safe,
                reason: "a torch legacy module record: torch.load resolves it to its class, a global judged on its own".to_string(),
            };
        }
        let is_torch_storage = match self.pickle.get(pid) {
            Some(Node::Tuple(items)) => items
                .first()
                .is_some_and(|first| self.pickle.as_str(first) == Some("storage")),
            _ => false,
        };
        if is_torch_storage {
            return Named {
                name: None,
                module: None,
                class: Class::Safe,
                reason: "a torch storage of the same archive".to_string(),
            };
        }
        Named {
            name: None,
            module: None,
            class: Class::Unknown,
            reason: "resolved by the loading application's persistent_load, whatever it does"
                .to_string(),
        }
    }
}

impl Scanner<'_, '_> {
    /// An id of a tar checkpoint's saved object, as torch's `persistent_load` for that
    /// format reads it: a tuple gives back its first item (a class the scan judges where
    /// the pickle names it), an int or a str is the key of one of the file's tensors or
    /// storages (`int(saved_id)`, a dict lookup). Anything else is judged as anywhere.
    fn tar_persistent(&self, pid: Value) -> Option<Named> {
        let safe = |reason: &str| Named {
            name: None,
            module: None,
            class: Class::Safe,
            reason: reason.to_string(),
        };
        if let Value::Int(_) = pid {
            return Some(safe(
                "a tensor or storage of the same tar checkpoint, looked up by its key",
            ));
        }
        match self.pickle.get(pid)? {
            Node::Tuple(items) => {
                let class = items.iter().next()?;
                self.pickle.global_name(class)?;
                Some(safe("a tar checkpoint's module record: torch.load resolves it to its class, a global judged on its own"))
            }
            Node::BigInt(_) | Node::Str(_) | Node::Bytes(_) => Some(safe(
                "a tensor or storage of the same tar checkpoint, looked up by its key",
            )),
            _ => None,
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
