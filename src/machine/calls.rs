//! Opcodes that name or call what the pickle imports: globals, extension codes,
//! `REDUCE` (folding the few pure builtin constructors), `BUILD`, the instance opcodes and
//! persistent ids. Each makes an inert node; nothing is imported or called.

use std::borrow::Cow;

use super::budget::SLOT_COST;
use super::Machine;
use crate::error::ErrorKind;
use crate::graph::{
    ContainerKind, InertKind, Mutation, Node, NodeId, PayloadKind, Pickle, PyStr, Stored, Value,
};
use crate::opcode::Opcode;

impl<'a> Machine<'a, '_> {
    pub(super) fn push_ext(&mut self, code: i32) -> Result<(), ErrorKind> {
        if code <= 0 {
            return Err(ErrorKind::BadExtensionCode);
        }
        let id = self.inert(InertKind::Extension { code })?;
        self.stack.push(Value::Node(id))
    }

    pub(super) fn op_ext1(&mut self) -> Result<(), ErrorKind> {
        let code = self.reader.u8()?;
        self.push_ext(i32::from(code))
    }

    pub(super) fn op_ext2(&mut self) -> Result<(), ErrorKind> {
        let code = self.reader.u16_le()?;
        self.push_ext(i32::from(code))
    }

    pub(super) fn op_ext4(&mut self) -> Result<(), ErrorKind> {
        let code = self.reader.i32_le()?;
        self.push_ext(code)
    }

    /// Reads a line that must be UTF-8 (module and class names; pickle.py decodes them so).
    pub(super) fn utf8_line(&mut self) -> Result<Value, ErrorKind> {
        let line = self.reader.line()?;
        let text = std::str::from_utf8(line).map_err(|err| ErrorKind::InvalidUtf8 {
            position: err.valid_up_to(),
        })?;
        let id = self.add_payload(PayloadKind::Str, Cow::Borrowed(text.as_bytes()))?;
        Ok(Value::Node(id))
    }

    pub(super) fn read_global(&mut self, opcode: Opcode) -> Result<Value, ErrorKind> {
        let module = self.utf8_line()?;
        let name = self.utf8_line()?;
        let id = self.inert(InertKind::Global {
            module,
            name,
            opcode,
        })?;
        Ok(Value::Node(id))
    }

    pub(super) fn op_global(&mut self) -> Result<(), ErrorKind> {
        let global = self.read_global(Opcode::Global)?;
        self.stack.push(global)
    }

    pub(super) fn op_stack_global(&mut self) -> Result<(), ErrorKind> {
        let name = self.stack.pop()?;
        let module = self.stack.pop()?;
        // Both of CPython's unpicklers refuse operands that are not strs before importing
        // anything ("STACK_GLOBAL requires str"). An operand of a known type is refused the
        // same way; an inert one (a call's result) might be a str at run time, so it is
        // kept, visible to `scan` as the attempt it is.
        for operand in [name, module] {
            let found = self.type_name_of(operand);
            let inert = operand
                .node()
                .is_some_and(|id| matches!(self.arena.stored(id), Stored::Inert(_)));
            if !inert && found != "str" {
                return Err(ErrorKind::BadOperand {
                    operation: "STACK_GLOBAL",
                    expected: "requires str",
                    found,
                });
            }
        }
        let id = self.inert(InertKind::Global {
            module,
            name,
            opcode: Opcode::StackGlobal,
        })?;
        self.stack.push(Value::Node(id))
    }

    pub(super) fn op_reduce(&mut self) -> Result<(), ErrorKind> {
        let args = self.stack.pop()?;
        let func = self.stack.pop()?;
        if let Some(folded) = crate::builtins::fold(&self.arena, func, args) {
            let folded = self.build_folded(folded)?;
            return self.stack.push(folded);
        }
        let id = self.inert(InertKind::Call { func, args })?;
        self.stack.push(Value::Node(id))
    }

    pub(super) fn build_folded(
        &mut self,
        folded: crate::builtins::Folded,
    ) -> Result<Value, ErrorKind> {
        use crate::builtins::{Folded, Payload};
        let mut payload = |kind, payload| match payload {
            Payload::Of(source) => {
                self.admit(0)?;
                Ok(self.arena.push_payload_of(kind, source))
            }
            Payload::New(bytes) => self.add_payload(kind, Cow::Owned(bytes)),
        };
        Ok(Value::Node(match folded {
            Folded::Bytes(bytes) => payload(PayloadKind::Bytes, bytes)?,
            Folded::ByteArray(bytes) => payload(PayloadKind::ByteArray, bytes)?,
            Folded::Set(items) => {
                self.charge(items.len() as u64 * SLOT_COST)?;
                let id = self.add_container(ContainerKind::Set, &[])?;
                self.add_members(id, items)?;
                id
            }
            Folded::FrozenSet(items) => {
                self.charge(items.len() as u64 * SLOT_COST)?;
                let id = self.add_container(ContainerKind::FrozenSet, &[])?;
                self.add_members(id, items)?;
                id
            }
        }))
    }

    pub(super) fn op_build(&mut self) -> Result<(), ErrorKind> {
        let state = self.stack.pop()?;
        let target = self.stack.top()?;
        if let Some(id) = target.node() {
            if let Some(inert) = self.arena.inert_mut(id) {
                inert.push_mutation(Mutation::Build(state));
                return self.read_raw(id);
            }
        }
        // A native object has no __setstate__ and no __dict__: CPython ignores an empty
        // state and fails on any other.
        let empty = match state {
            Value::None => true,
            Value::Node(sid) => {
                matches!(self.arena.node(sid), Node::Dict(entries) if entries.is_empty())
            }
            _ => false,
        };
        if empty {
            return Ok(());
        }
        Err(self.wrong_type("BUILD", target, "it has no __dict__ to set state on"))
    }

    /// Passes over what the [`RawReader`] claims after a `BUILD` on `target`.
    pub(super) fn read_raw(&mut self, target: NodeId) -> Result<(), ErrorKind> {
        let Some(raw_reader) = self.raw_reader.as_deref_mut() else {
            return Ok(());
        };
        // The graph so far, lent for the call: the nodes move out and back, uncopied.
        let graph = Pickle {
            arena: std::mem::take(&mut self.arena),
            root: Value::None,
            effects: Vec::new(),
            protocol: self.protocol,
            span: (0, 0),
            memo_len: 0,
            buffers: Vec::new(),
            undecodable: Vec::new(),
            stopped_inside_frame: false,
        };
        let result = raw_reader.after_build(&graph, target, self.reader.position());
        self.arena = graph.arena;
        let len = result?;
        if len > 0 {
            self.reader.take(len)?;
        }
        Ok(())
    }

    pub(super) fn op_inst(&mut self) -> Result<(), ErrorKind> {
        let class = self.read_global(Opcode::Inst)?;
        let items = self.pop_mark_items()?;
        let args = Value::Node(self.add_container(ContainerKind::Tuple, &items)?);
        let id = self.inert(InertKind::Instance {
            class,
            args,
            kwargs: None,
            opcode: Opcode::Inst,
        })?;
        self.stack.push(Value::Node(id))
    }

    pub(super) fn op_obj(&mut self) -> Result<(), ErrorKind> {
        let mut items = self.pop_mark_items()?;
        if items.is_empty() {
            return Err(ErrorKind::StackUnderflow);
        }
        let class = items.remove(0);
        let args = Value::Node(self.add_container(ContainerKind::Tuple, &items)?);
        let id = self.inert(InertKind::Instance {
            class,
            args,
            kwargs: None,
            opcode: Opcode::Obj,
        })?;
        self.stack.push(Value::Node(id))
    }

    /// CPython checks NEWOBJ's operands before calling anything; where an operand is
    /// native data its type is certain, so the same check applies here. A class that is a
    /// global stays unchecked: knowing whether it is a type would mean importing it.
    pub(super) fn check_new_operands(
        &self,
        operation: &'static str,
        class: Value,
        args: Value,
        kwargs: Option<Value>,
    ) -> Result<(), ErrorKind> {
        let native = |value: Value| match value {
            Value::Node(id) => self.arena.node(id).type_name(),
            other => Some(self.type_name_of(other)),
        };
        let wrong = |expected, found| {
            Err(ErrorKind::BadOperand {
                operation,
                expected,
                found,
            })
        };
        if let Some(found) = native(class) {
            return wrong("class argument must be a type", found);
        }
        if let Some(found) = native(args).filter(|&name| name != "tuple") {
            return wrong("args argument must be a tuple", found);
        }
        if let Some(found) = kwargs.and_then(native).filter(|&name| name != "dict") {
            return wrong("kwargs argument must be a dict", found);
        }
        Ok(())
    }

    pub(super) fn op_newobj(&mut self) -> Result<(), ErrorKind> {
        let args = self.stack.pop()?;
        let class = self.stack.pop()?;
        self.check_new_operands("NEWOBJ", class, args, None)?;
        let id = self.inert(InertKind::Instance {
            class,
            args,
            kwargs: None,
            opcode: Opcode::NewObj,
        })?;
        self.stack.push(Value::Node(id))
    }

    pub(super) fn op_newobj_ex(&mut self) -> Result<(), ErrorKind> {
        let kwargs = self.stack.pop()?;
        let args = self.stack.pop()?;
        let class = self.stack.pop()?;
        self.check_new_operands("NEWOBJ_EX", class, args, Some(kwargs))?;
        let id = self.inert(InertKind::Instance {
            class,
            args,
            kwargs: Some(kwargs),
            opcode: Opcode::NewObjEx,
        })?;
        self.stack.push(Value::Node(id))
    }

    pub(super) fn op_persid(&mut self) -> Result<(), ErrorKind> {
        let line = self.reader.line()?;
        if !line.is_ascii() {
            return Err(ErrorKind::MalformedText {
                what: "PERSID",
                detail: "persistent IDs in protocol 0 must be ASCII strings".to_string(),
            });
        }
        let text = PyStr::from_utf8_surrogatepass(line)
            .map_err(|position| ErrorKind::InvalidUtf8 { position })?;
        let pid = Value::Node(self.add_payload(PayloadKind::Str, text.into_bytes())?);
        let id = self.inert(InertKind::Persistent { pid })?;
        self.stack.push(Value::Node(id))
    }

    pub(super) fn op_binpersid(&mut self) -> Result<(), ErrorKind> {
        let pid = self.stack.pop()?;
        let id = self.inert(InertKind::Persistent { pid })?;
        self.stack.push(Value::Node(id))
    }
}
