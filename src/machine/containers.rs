//! Opcodes that make and fill containers: lists, tuples, dicts, sets and frozensets, and
//! what they record on an inert node they are applied to.
//!
//! The opcodes of every container (`APPEND`, `APPENDS`, `LIST`/`TUPLE`, `DICT`,
//! `SETITEMS` and the mark's items) are `#[inline]`: compiled apart from the dispatch loop
//! they were called, and the generic copies they make were not inlined into them
//! (load of records.x0.05: 22.68 M instructions in one file, 22.75 M split, 22.58 M
//! inlined).

use super::budget::SLOT_COST;
use super::keys::{self, Keys};
use super::Machine;
use crate::error::ErrorKind;
use crate::graph::{Arena, ContainerKind, FlatValues, Mutation, NodeId, Stored, Value};

impl<'a> Machine<'a, '_> {
    #[inline]
    pub(super) fn pop_mark_items(&mut self) -> Result<Vec<Value>, ErrorKind> {
        let items = self.stack.pop_mark()?;
        self.charge(items.len() as u64 * SLOT_COST)?;
        Ok(items)
    }

    #[inline]
    pub(super) fn op_append(&mut self) -> Result<(), ErrorKind> {
        let item = self.stack.pop()?;
        if let Ok(Value::Node(id)) = self.stack.top() {
            if let Stored::List(_) = self.arena.stored(id) {
                self.charge(SLOT_COST)?;
                self.arena.push_item(id, item)?;
                return self.charge_moved();
            }
        }
        self.extend_target(vec![item], "APPEND")
    }

    #[inline]
    pub(super) fn op_appends(&mut self) -> Result<(), ErrorKind> {
        if let Some(id) = self.below_mark_is(|node| matches!(node, Stored::List(_))) {
            // The common case, a list: the items go from the stack into it as they are
            // packed there.
            let count = self.stack.above_mark()?.len();
            let appended = self
                .charge(count as u64 * SLOT_COST)
                .and_then(|()| self.arena.append(id, &self.stack.above_mark()?))
                .and_then(|()| self.charge_moved());
            self.stack.drop_mark()?;
            return appended;
        }
        let items = self.pop_mark_items()?;
        self.extend_target(items, "APPENDS")
    }

    /// The node below the topmost mark, if there is one and `is` holds for it.
    #[inline]
    pub(super) fn below_mark_is(&self, is: impl Fn(&Stored) -> bool) -> Option<NodeId> {
        let id = self.stack.below_mark()?.node()?;
        is(self.arena.stored(id)).then_some(id)
    }

    pub(super) fn extend_target(
        &mut self,
        items: Vec<Value>,
        operation: &'static str,
    ) -> Result<(), ErrorKind> {
        let target = self.stack.top()?;
        let Some(id) = target.node() else {
            return Err(self.wrong_type(operation, target, "it has no append or extend"));
        };
        match self.arena.stored(id) {
            Stored::List(_) => {
                self.arena.append(id, &items)?;
                self.charge_moved()
            }
            Stored::Inert(_) => self.record_mutation(id, Mutation::Append(items)),
            _ => Err(self.wrong_type(operation, target, "it has no append or extend")),
        }
    }

    /// Records what an opcode did to inert node `id` (nothing if it is not inert).
    pub(super) fn record_mutation(
        &mut self,
        id: NodeId,
        mutation: Mutation,
    ) -> Result<(), ErrorKind> {
        if let Some(inert) = self.arena.inert_mut(id) {
            inert.push_mutation(mutation);
        }
        Ok(())
    }

    pub(super) fn wrong_type(
        &self,
        operation: &'static str,
        target: Value,
        detail: &'static str,
    ) -> ErrorKind {
        ErrorKind::WrongType {
            operation,
            type_name: self.type_name_of(target),
            detail,
        }
    }

    pub(super) fn op_list(&mut self) -> Result<(), ErrorKind> {
        self.container_of_marked(ContainerKind::List)
    }

    pub(super) fn op_tuple(&mut self) -> Result<(), ErrorKind> {
        self.container_of_marked(ContainerKind::Tuple)
    }

    /// Makes a list or tuple of the items above the topmost mark, read in place.
    #[inline]
    pub(super) fn container_of_marked(&mut self, kind: ContainerKind) -> Result<(), ErrorKind> {
        let count = self.stack.above_mark()?.len();
        self.admit(count as u64 * SLOT_COST)?;
        let id = self.arena.push_container(kind, &self.stack.above_mark()?)?;
        self.stack.drop_mark()?;
        self.stack.push(Value::Node(id))
    }

    pub(super) fn op_tuple_n(&mut self, n: usize) -> Result<(), ErrorKind> {
        let mut items = [Value::None; 3];
        for slot in items[..n].iter_mut().rev() {
            *slot = self.stack.pop()?;
        }
        self.push_container(ContainerKind::Tuple, &items[..n])
    }

    #[inline]
    pub(super) fn op_dict(&mut self) -> Result<(), ErrorKind> {
        let items = self.pop_mark_items()?;
        if items.len() % 2 != 0 {
            return Err(ErrorKind::WrongType {
                operation: "DICT",
                type_name: "dict",
                detail: "odd number of items",
            });
        }
        let id = self.add_container(ContainerKind::Dict, &[])?;
        self.set_items(id, &items)?;
        self.stack.push(Value::Node(id))
    }

    pub(super) fn op_setitem(&mut self) -> Result<(), ErrorKind> {
        let value = self.stack.pop()?;
        let key = self.stack.pop()?;
        self.store_items(vec![key, value], "SETITEM")
    }

    #[inline]
    pub(super) fn op_setitems(&mut self) -> Result<(), ErrorKind> {
        let target = self.below_mark_is(|node| matches!(node, Stored::Dict(_)));
        let even = self
            .stack
            .above_mark()
            .is_ok_and(|items| items.len() % 2 == 0);
        if let (Some(id), true) = (target, even) {
            // The common case, a dict: the pairs are read in place on the stack.
            let count = self.stack.above_mark()?.len();
            let charged = self.charge(count as u64 * SLOT_COST);
            let stored = charged.and_then(|()| {
                let items = self.stack.above_mark()?;
                set_items(
                    &mut self.arena,
                    &mut self.keys,
                    &mut self.scratch,
                    id,
                    &items,
                )
            });
            self.stack.drop_mark()?;
            return stored.and_then(|()| self.charge_moved());
        }
        let items = self.pop_mark_items()?;
        if items.len() % 2 != 0 {
            return Err(ErrorKind::WrongType {
                operation: "SETITEMS",
                type_name: "dict",
                detail: "odd number of items",
            });
        }
        self.store_items(items, "SETITEMS")
    }

    /// Stores `flat`, keys and values alternating, into the dict on top of the stack
    /// (or records it on an inert object).
    pub(super) fn store_items(
        &mut self,
        flat: Vec<Value>,
        operation: &'static str,
    ) -> Result<(), ErrorKind> {
        let target = self.stack.top()?;
        let Some(id) = target.node() else {
            return Err(self.wrong_type(operation, target, "it does not support item assignment"));
        };
        match self.arena.stored(id) {
            Stored::Dict(_) => self.set_items(id, &flat),
            Stored::Inert(_) => {
                self.record_mutation(id, Mutation::SetItems(pairs(&flat).collect()))
            }
            _ => Err(self.wrong_type(operation, target, "it does not support item assignment")),
        }
    }

    pub(super) fn set_items(&mut self, id: NodeId, flat: &[Value]) -> Result<(), ErrorKind> {
        set_items(&mut self.arena, &mut self.keys, &mut self.scratch, id, flat)?;
        self.charge_moved()
    }

    /// Adds members to set or frozenset `id`, skipping those equal to a member already there.
    pub(super) fn add_members(
        &mut self,
        id: NodeId,
        items: impl IntoIterator<Item = Value>,
    ) -> Result<(), ErrorKind> {
        for item in items {
            let arena = &self.arena;
            let len = arena.slot_count(id);
            if self
                .keys
                .find(arena, id, len, |i| arena.slot(id, i), item)?
                .is_some()
            {
                continue;
            }
            self.arena.push_item(id, item)?;
            self.keys.record(&self.arena, id, len, item)?;
        }
        self.charge_moved()
    }

    pub(super) fn op_additems(&mut self) -> Result<(), ErrorKind> {
        let items = self.pop_mark_items()?;
        let target = self.stack.top()?;
        let Some(id) = target.node() else {
            return Err(self.wrong_type("ADDITEMS", target, "it has no add"));
        };
        match self.arena.stored(id) {
            Stored::Set(_) => self.add_members(id, items),
            Stored::Inert(_) => self.record_mutation(id, Mutation::AddItems(items)),
            _ => Err(self.wrong_type("ADDITEMS", target, "it has no add")),
        }
    }

    pub(super) fn op_frozenset(&mut self) -> Result<(), ErrorKind> {
        let items = self.pop_mark_items()?;
        let id = self.add_container(ContainerKind::FrozenSet, &[])?;
        self.add_members(id, items)?;
        self.stack.push(Value::Node(id))
    }
}

/// Stores pairs into dict `id` as Python does: an equal key keeps its place and first
/// spelling, and takes the new value. A free function so that the pairs may be read
/// from the stack in place while the arena changes. `flat` alternates keys and values
/// (read by index: an iterator of pairs moved each pair through the stack).
fn set_items(
    arena: &mut Arena<'_>,
    keys: &mut Keys,
    scratch: &mut Vec<Value>,
    id: NodeId,
    flat: &(impl FlatValues + ?Sized),
) -> Result<(), ErrorKind> {
    let count = flat.count() / 2;
    if arena.slot_count(id) == 0 && count < keys::FILL_SMALL_MAX {
        // One batch into an empty dict (a record): its keys are merged among themselves
        // first, then stored at once.
        scratch.clear();
        let result = keys.fill_small(arena, id, flat, scratch);
        match result {
            Ok(keys::Filled::AsTheyAre) => arena.append(id, flat)?,
            _ => arena.append(id, scratch.as_slice())?,
        }
        return result.map(|_| ());
    }
    for pair in 0..count {
        let (key, value) = (flat.value(2 * pair), flat.value(2 * pair + 1));
        let len = arena.slot_count(id) / 2;
        let found = {
            let arena = &*arena;
            keys.find(arena, id, len, |i| arena.slot(id, 2 * i), key)?
        };
        match found {
            Some(position) => arena.set_slot(id, 2 * position + 1, value),
            None => {
                arena.append(id, &[key, value])?;
                keys.record(arena, id, len, key)?;
            }
        }
    }
    Ok(())
}

fn pairs(items: &[Value]) -> impl ExactSizeIterator<Item = (Value, Value)> + '_ {
    items.chunks_exact(2).map(|pair| (pair[0], pair[1]))
}
