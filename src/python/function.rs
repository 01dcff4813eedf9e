//! Filling a [`FunctionDef`] in from the attributes cloudpickle and dill ship with it,
//! with the checks Python's `setattr` would make: a state that Python would refuse
//! (`__name__ = 5`) or one that replaces the code (`__code__`) is not recognized.

use super::code::CodeInfo;
use super::model::{FunctionDef, Library};
use super::view;
use crate::graph::{NodeId, Pickle, Value};

impl FunctionDef {
    /// A function made from a code object, nothing else known yet.
    pub(crate) fn new(library: Library, code_node: NodeId, code: CodeInfo) -> FunctionDef {
        FunctionDef {
            library,
            code_node,
            code: Box::new(code),
            name: None,
            qualname: None,
            module: None,
            doc: None,
            defaults: None,
            kwdefaults: None,
            annotations: None,
            globals: Vec::new(),
            closure: None,
            closure_values: None,
            closure_contents: None,
            submodules: None,
            dict: Vec::new(),
            extra: Vec::new(),
            effects: Vec::new(),
        }
    }

    /// Whether a closure (a tuple, or `None`) has one cell per free variable of the code,
    /// as `types.FunctionType` requires.
    pub(crate) fn closure_fits(&self, pickle: &Pickle<'_>, closure: Value) -> bool {
        let cells = match closure {
            Value::None => Some(0),
            _ => view::tuple(pickle, closure).map(|items| items.len()),
        };
        let freevars = view::tuple(pickle, self.code.freevars).map(|items| items.len());
        cells.is_some() && cells == freevars
    }

    /// Sets each entry of a str-keyed dict as `setattr(function, key, value)` would,
    /// skipping the keys in `skip`. `None` when Python would refuse one, or when one
    /// replaces what the description is built on (`__code__`, `__globals__`,
    /// `__closure__`, `__dict__`).
    pub(crate) fn set_attributes(
        &mut self,
        pickle: &Pickle<'_>,
        dict: Value,
        skip: &[&str],
    ) -> Option<()> {
        let mut other = false;
        for (key, value) in view::str_dict_capped(pickle, dict, view::MAX_STATE_ENTRIES)? {
            if skip.contains(&key) {
                continue;
            }
            let checked = |ok: bool| ok.then_some(value);
            match key {
                "__name__" => self.name = Some(checked(view::str(pickle, value).is_some())?),
                "__qualname__" => {
                    self.qualname = Some(checked(view::str(pickle, value).is_some())?)
                }
                "__module__" => self.module = Some(value),
                "__doc__" => self.doc = Some(value),
                "__defaults__" => {
                    self.defaults = Some(checked(view::tuple_or_none(pickle, value).is_some())?)
                }
                "__kwdefaults__" => {
                    self.kwdefaults = Some(checked(
                        value == Value::None
                            || view::str_dict_capped(pickle, value, view::MAX_STATE_ENTRIES)
                                .is_some(),
                    )?)
                }
                "__annotations__" => {
                    self.annotations = Some(checked(view::dict(pickle, value).is_some())?)
                }
                "__code__" | "__globals__" | "__closure__" | "__dict__" | "__builtins__" => {
                    return None
                }
                _ => other = true,
            }
        }
        if other {
            self.extra.push(dict);
        }
        Some(())
    }

    /// Applies a `BUILD` state as pickle does for an object without `__setstate__`: a dict
    /// updates `__dict__`; a pair `(dict, slotstate)` updates `__dict__`, then sets each
    /// entry of `slotstate` as an attribute.
    pub(crate) fn apply_build(&mut self, pickle: &Pickle<'_>, state: Value) -> Option<()> {
        let (dict, slots) = match view::tuple(pickle, state).map(|items| items.array()) {
            Some(Some([dict, slots])) => (dict, slots),
            Some(None) => return None,
            None => (state, Value::None),
        };
        if dict != Value::None {
            view::str_dict_capped(pickle, dict, view::MAX_STATE_ENTRIES)?;
            self.dict.push(dict);
        }
        if slots != Value::None {
            self.set_attributes(pickle, slots, &[])?;
        }
        Some(())
    }
}
