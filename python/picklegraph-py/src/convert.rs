//! The graph as Python objects: plain data as Python's own types, every inert node as an
//! instance of the package's classes (`Global`, `Call`, …), shared references and cycles
//! kept (one Python object per node).
//!
//! Built in three passes over the arena, none of which recurses on the input's depth:
//! 1. every node that can exist before its contents does (str, bytes, ints, and empty
//!    lists, dicts, sets and inert shells), in arena order;
//! 2. tuples and frozensets, which need their items first, each after the tuples and
//!    frozensets it holds (an explicit stack, not recursion);
//! 3. the contents of lists, dicts, sets and inert nodes, now that every item exists.
//!
//! A pickle cannot make a tuple hold itself except through a mutable object, so pass 2
//! always ends; a hostile arena where it would not is refused, not looped over.

use picklegraph::{Inert, InertKind, Mutation, Node, NodeId, Pickle, Value};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyFrozenSet, PyList, PySet, PyTuple};

/// The package's classes and the caller's out-of-band buffers.
pub struct Classes<'py> {
    pub global: Bound<'py, PyAny>,
    pub call: Bound<'py, PyAny>,
    pub persistent: Bound<'py, PyAny>,
    pub extension: Bound<'py, PyAny>,
    pub buffer: Bound<'py, PyAny>,
    pub read_only: Bound<'py, PyAny>,
    /// `buffers=` as given to `loads`, if any.
    pub buffers: Option<Vec<Bound<'py, PyAny>>>,
}

/// Builds the Python object of the pickle's root.
pub fn to_python<'py>(
    py: Python<'py>,
    pickle: &Pickle<'_>,
    classes: &Classes<'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let mut objects: Vec<Option<Bound<'py, PyAny>>> = vec![None; pickle.node_count()];
    for (index, slot) in objects.iter_mut().enumerate() {
        *slot = first_pass(py, pickle, NodeId::from_index(index), classes)?;
    }
    for index in 0..objects.len() {
        if objects[index].is_none() {
            build_immutables(py, pickle, NodeId::from_index(index), &mut objects)?;
        }
    }
    let objects: Vec<Bound<'py, PyAny>> = objects.into_iter().flatten().collect();
    debug_assert_eq!(objects.len(), pickle.node_count(), "every node was built");
    for (index, object) in objects.iter().enumerate() {
        fill(
            py,
            pickle,
            NodeId::from_index(index),
            object,
            &objects,
            classes,
        )?;
    }
    Ok(value(py, pickle.root(), &objects))
}

/// A scalar, or the object already made for a node.
fn value<'py>(py: Python<'py>, value: Value, objects: &[Bound<'py, PyAny>]) -> Bound<'py, PyAny> {
    match value {
        Value::None => py.None().into_bound(py),
        Value::Bool(b) => pyo3::types::PyBool::new(py, b).to_owned().into_any(),
        Value::Int(i) => i.into_pyobject(py).expect("ints convert").into_any(),
        Value::Float(f) => pyo3::types::PyFloat::new(py, f).into_any(),
        Value::Node(id) => objects[id.index()].clone(),
    }
}

/// Pass 1: the node's object, or `None` for a tuple or frozenset (pass 2 makes those).
fn first_pass<'py>(
    py: Python<'py>,
    pickle: &Pickle<'_>,
    id: NodeId,
    classes: &Classes<'py>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    Ok(Some(match pickle.node(id) {
        Node::BigInt(big) => big.into_pyobject(py)?.into_any(),
        Node::Str(text) => match text.as_str() {
            Some(text) => pyo3::types::PyString::new(py, text).into_any(),
            // Lone surrogates, which CPython's unpickler keeps ("surrogatepass").
            None => PyBytes::new(py, text.as_bytes())
                .call_method1("decode", ("utf-8", "surrogatepass"))?,
        },
        Node::Bytes(bytes) => PyBytes::new(py, bytes).into_any(),
        Node::ByteArray(bytes) => pyo3::types::PyByteArray::new(py, bytes).into_any(),
        Node::List(_) => PyList::empty(py).into_any(),
        Node::Dict(_) => PyDict::new(py).into_any(),
        Node::Set(_) => PySet::empty(py)?.into_any(),
        Node::Tuple(_) | Node::FrozenSet(_) => return Ok(None),
        Node::Inert(inert) => inert_shell(py, inert, classes)?,
    }))
}

/// An inert node's object, its fields set in pass 3 (a buffer's object is final here).
fn inert_shell<'py>(
    py: Python<'py>,
    inert: &Inert,
    classes: &Classes<'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let class = match &inert.kind {
        InertKind::Global { .. } => &classes.global,
        InertKind::Call { .. } | InertKind::Instance { .. } => &classes.call,
        InertKind::Persistent { .. } => &classes.persistent,
        InertKind::Extension { .. } => &classes.extension,
        InertKind::ReadOnly { .. } => &classes.read_only,
        InertKind::Buffer { index, readonly } => {
            if let Some(buffers) = &classes.buffers {
                let buffer = usize::try_from(*index)
                    .ok()
                    .and_then(|index| buffers.get(index))
                    .ok_or_else(|| PyValueError::new_err("not enough out-of-band buffers"))?;
                return read_only_view(py, buffer, *readonly);
            }
            &classes.buffer
        }
    };
    class.call_method1("__new__", (class,))
}

/// `obj`, or a read-only memoryview of it when `READONLY_BUFFER` asked for one and it is
/// writable (what CPython's unpickler does).
fn read_only_view<'py>(
    py: Python<'py>,
    object: &Bound<'py, PyAny>,
    readonly: bool,
) -> PyResult<Bound<'py, PyAny>> {
    if !readonly {
        return Ok(object.clone());
    }
    let view = py
        .import("builtins")?
        .getattr("memoryview")?
        .call1((object,))?;
    if view.getattr("readonly")?.is_truthy()? {
        return Ok(object.clone());
    }
    view.call_method0("toreadonly")
}

/// Pass 2: builds the tuple or frozenset `root` after those it holds.
fn build_immutables<'py>(
    py: Python<'py>,
    pickle: &Pickle<'_>,
    root: NodeId,
    objects: &mut [Option<Bound<'py, PyAny>>],
) -> PyResult<()> {
    let mut pending = vec![(root, false)];
    while let Some((id, children_done)) = pending.pop() {
        if objects[id.index()].is_some() {
            continue;
        }
        let items = match pickle.node(id) {
            Node::Tuple(items) | Node::FrozenSet(items) => items,
            _ => unreachable!("only tuples and frozensets are left for pass 2"),
        };
        if !children_done {
            if pending.len() > pickle.node_count() {
                return Err(PyValueError::new_err("a tuple holds itself"));
            }
            pending.push((id, true));
            for item in items.iter() {
                if let Some(child) = item.node().filter(|c| objects[c.index()].is_none()) {
                    pending.push((child, false));
                }
            }
            continue;
        }
        let mut built = Vec::with_capacity(items.len());
        for item in items.iter() {
            built.push(match item {
                Value::Node(child) => objects[child.index()]
                    .clone()
                    .ok_or_else(|| PyValueError::new_err("a tuple holds itself"))?,
                scalar => value(py, scalar, &[]),
            });
        }
        objects[id.index()] = Some(match pickle.node(id) {
            Node::Tuple(_) => PyTuple::new(py, built)?.into_any(),
            _ => PyFrozenSet::new(py, &built)?.into_any(),
        });
    }
    Ok(())
}

/// Pass 3: a mutable container's items, an inert node's fields and mutations.
fn fill<'py>(
    py: Python<'py>,
    pickle: &Pickle<'_>,
    id: NodeId,
    object: &Bound<'py, PyAny>,
    objects: &[Bound<'py, PyAny>],
    classes: &Classes<'py>,
) -> PyResult<()> {
    let get = |v: Value| value(py, v, objects);
    match pickle.node(id) {
        Node::List(items) => {
            let list = object.downcast::<PyList>()?;
            for item in items.iter() {
                list.append(get(item))?;
            }
        }
        Node::Dict(entries) => {
            let dict = object.downcast::<PyDict>()?;
            for (key, item) in entries.iter() {
                dict.set_item(get(key), get(item))?;
            }
        }
        Node::Set(items) => {
            let set = object.downcast::<PySet>()?;
            for item in items.iter() {
                set.add(get(item))?;
            }
        }
        Node::Inert(inert) => fill_inert(py, inert, object, &get, classes)?,
        _ => {}
    }
    Ok(())
}

fn fill_inert<'py>(
    py: Python<'py>,
    inert: &Inert,
    object: &Bound<'py, PyAny>,
    get: &dyn Fn(Value) -> Bound<'py, PyAny>,
    classes: &Classes<'py>,
) -> PyResult<()> {
    match &inert.kind {
        InertKind::Global {
            module,
            name,
            opcode,
        } => {
            object.setattr("module", get(*module))?;
            object.setattr("name", get(*name))?;
            object.setattr("opcode", opcode.name())?;
        }
        InertKind::Call { func, args } => {
            object.setattr("callable", get(*func))?;
            object.setattr("args", get(*args))?;
            object.setattr("kwargs", py.None())?;
            object.setattr("opcode", "REDUCE")?;
        }
        InertKind::Instance {
            class,
            args,
            kwargs,
            opcode,
        } => {
            object.setattr("callable", get(*class))?;
            object.setattr("args", get(*args))?;
            object.setattr(
                "kwargs",
                kwargs.map_or_else(|| py.None().into_bound(py), get),
            )?;
            object.setattr("opcode", opcode.name())?;
        }
        InertKind::Persistent { pid } => object.setattr("pid", get(*pid))?,
        InertKind::Extension { code } => object.setattr("code", *code)?,
        InertKind::Buffer { index, readonly } => {
            if classes.buffers.is_some() {
                return Ok(()); // the caller's own buffer object, final since pass 1
            }
            object.setattr("index", *index)?;
            object.setattr("readonly", *readonly)?;
        }
        InertKind::ReadOnly { target } => object.setattr("target", get(*target))?,
    }
    object.setattr("offset", inert.offset)?;
    let mutations = PyList::empty(py);
    for mutation in &inert.mutations {
        let (name, operand) = match mutation {
            Mutation::Build(state) => ("BUILD", get(*state)),
            Mutation::Append(items) => ("APPENDS", list_of(py, items, get)?),
            Mutation::AddItems(items) => ("ADDITEMS", list_of(py, items, get)?),
            Mutation::SetItems(pairs) => {
                let list = PyList::empty(py);
                for (key, item) in pairs {
                    list.append((get(*key), get(*item)))?;
                }
                ("SETITEMS", list.into_any())
            }
        };
        mutations.append((name, operand))?;
    }
    object.setattr("mutations", mutations)
}

fn list_of<'py>(
    py: Python<'py>,
    items: &[Value],
    get: &dyn Fn(Value) -> Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let list = PyList::empty(py);
    for item in items {
        list.append(get(*item))?;
    }
    Ok(list.into_any())
}
