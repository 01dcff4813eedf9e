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
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyFrozenSet, PyList};

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

/// Owned references to the objects made so far, one per node (null: not yet made), let
/// go when the conversion ends. The hot paths call the C API directly: through pyo3's
/// safe wrappers every item cost two more reference count calls (which abi3 cannot
/// inline) and the UTF-8 of every str was checked twice; `loads` took 2.5x
/// `pickle.loads`' time on the nested benchmark input.
struct Objects(Vec<*mut ffi::PyObject>);

impl Drop for Objects {
    fn drop(&mut self) {
        for &object in &self.0 {
            if !object.is_null() {
                // SAFETY: an owned reference, released once; the GIL is held, since an
                // `Objects` lives only inside `to_python`, which holds it.
                unsafe { ffi::Py_DecRef(object) };
            }
        }
    }
}

impl Objects {
    /// A new reference to the object of `value` (a scalar is made here).
    fn new_ref(&self, py: Python<'_>, value: Value) -> PyResult<*mut ffi::PyObject> {
        // SAFETY: every call below takes no borrowed pointer but an object of ours (owned
        // by `self`, non-null once made) and returns a new reference or null.
        let object = unsafe {
            match value {
                Value::None => {
                    let none = ffi::Py_None();
                    ffi::Py_IncRef(none);
                    none
                }
                Value::Bool(b) => ffi::PyBool_FromLong(i64::from(b) as std::os::raw::c_long),
                Value::Int(i) => ffi::PyLong_FromLongLong(i),
                Value::Float(f) => ffi::PyFloat_FromDouble(f),
                Value::Node(id) => {
                    let object = self.0[id.index()];
                    if object.is_null() {
                        return Err(PyValueError::new_err("a tuple holds itself"));
                    }
                    ffi::Py_IncRef(object);
                    object
                }
            }
        };
        checked(py, object)
    }

    /// The object of node `id`, borrowed, for pyo3's API.
    fn bound<'py>(&self, py: Python<'py>, value: Value) -> PyResult<Bound<'py, PyAny>> {
        let object = self.new_ref(py, value)?;
        // SAFETY: `new_ref` returned a new, non-null reference, which the Bound takes.
        Ok(unsafe { Bound::from_owned_ptr(py, object) })
    }
}

/// `object`, or the Python exception that made it null.
fn checked(py: Python<'_>, object: *mut ffi::PyObject) -> PyResult<*mut ffi::PyObject> {
    if object.is_null() {
        return Err(PyErr::fetch(py));
    }
    Ok(object)
}

/// Builds the Python object of the pickle's root.
pub fn to_python<'py>(
    py: Python<'py>,
    pickle: &Pickle<'_>,
    classes: &Classes<'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let mut objects = Objects(vec![std::ptr::null_mut(); pickle.node_count()]);
    for index in 0..objects.0.len() {
        objects.0[index] = first_pass(py, pickle, NodeId::from_index(index), classes)?;
    }
    for index in 0..objects.0.len() {
        if objects.0[index].is_null() {
            build_immutables(py, pickle, NodeId::from_index(index), &mut objects)?;
        }
    }
    for index in 0..objects.0.len() {
        fill(py, pickle, NodeId::from_index(index), &objects, classes)?;
    }
    objects.bound(py, pickle.root())
}

/// Pass 1: a new reference to the node's object, or null for a tuple or frozenset
/// (pass 2 makes those). A list is made with its length, its slots set in pass 3.
fn first_pass(
    py: Python<'_>,
    pickle: &Pickle<'_>,
    id: NodeId,
    classes: &Classes<'_>,
) -> PyResult<*mut ffi::PyObject> {
    // SAFETY: each constructor reads only the slice it is given (pointer and length from
    // the same slice) and returns a new reference or null, which `checked` turns into
    // the Python exception.
    let object = unsafe {
        match pickle.node(id) {
            Node::BigInt(big) => return Ok(big.into_pyobject(py)?.into_ptr()),
            // Lone surrogates are kept, as CPython's unpickler keeps them.
            Node::Str(text) => {
                let bytes = text.as_bytes();
                ffi::PyUnicode_DecodeUTF8(
                    bytes.as_ptr().cast(),
                    bytes.len() as ffi::Py_ssize_t,
                    c"surrogatepass".as_ptr(),
                )
            }
            Node::Bytes(bytes) => ffi::PyBytes_FromStringAndSize(
                bytes.as_ptr().cast(),
                bytes.len() as ffi::Py_ssize_t,
            ),
            Node::ByteArray(bytes) => ffi::PyByteArray_FromStringAndSize(
                bytes.as_ptr().cast(),
                bytes.len() as ffi::Py_ssize_t,
            ),
            Node::List(items) => ffi::PyList_New(items.len() as ffi::Py_ssize_t),
            Node::Dict(_) => ffi::PyDict_New(),
            Node::Set(_) => ffi::PySet_New(std::ptr::null_mut()),
            Node::Tuple(_) | Node::FrozenSet(_) => return Ok(std::ptr::null_mut()),
            Node::Inert(inert) => return Ok(inert_shell(py, inert, classes)?.into_ptr()),
        }
    };
    checked(py, object)
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
fn build_immutables(
    py: Python<'_>,
    pickle: &Pickle<'_>,
    root: NodeId,
    objects: &mut Objects,
) -> PyResult<()> {
    let mut pending = vec![(root, false)];
    while let Some((id, children_done)) = pending.pop() {
        if !objects.0[id.index()].is_null() {
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
                if let Some(child) = item.node().filter(|c| objects.0[c.index()].is_null()) {
                    pending.push((child, false));
                }
            }
            continue;
        }
        let object = match pickle.node(id) {
            Node::Tuple(_) => {
                // SAFETY: a new tuple of `len` empty slots, each set once below with a
                // new reference, which PyTuple_SetItem takes.
                let tuple = checked(py, unsafe {
                    ffi::PyTuple_New(items.len() as ffi::Py_ssize_t)
                })?;
                let tuple = unsafe { Bound::from_owned_ptr(py, tuple) };
                for (index, item) in items.iter().enumerate() {
                    let item = objects.new_ref(py, item)?;
                    unsafe { ffi::PyTuple_SetItem(tuple.as_ptr(), index as ffi::Py_ssize_t, item) };
                }
                tuple
            }
            _ => {
                let built = items
                    .iter()
                    .map(|item| objects.bound(py, item))
                    .collect::<PyResult<Vec<_>>>()?;
                PyFrozenSet::new(py, &built)?.into_any()
            }
        };
        objects.0[id.index()] = object.into_ptr();
    }
    Ok(())
}

/// Pass 3: a mutable container's items, an inert node's fields and mutations.
fn fill(
    py: Python<'_>,
    pickle: &Pickle<'_>,
    id: NodeId,
    objects: &Objects,
    classes: &Classes<'_>,
) -> PyResult<()> {
    let object = objects.0[id.index()];
    match pickle.node(id) {
        Node::List(items) => {
            for (index, item) in items.iter().enumerate() {
                let item = objects.new_ref(py, item)?;
                // SAFETY: the list was made with this many empty slots; each is set once
                // with a new reference, which PyList_SetItem takes.
                unsafe { ffi::PyList_SetItem(object, index as ffi::Py_ssize_t, item) };
            }
        }
        Node::Dict(entries) => {
            for (key, item) in entries.iter() {
                let key = objects.bound(py, key)?;
                let item = objects.bound(py, item)?;
                // SAFETY: a dict of ours and two live objects; SetItem takes its own
                // references.
                let status = unsafe { ffi::PyDict_SetItem(object, key.as_ptr(), item.as_ptr()) };
                if status != 0 {
                    return Err(PyErr::fetch(py));
                }
            }
        }
        Node::Set(items) => {
            for item in items.iter() {
                let item = objects.bound(py, item)?;
                // SAFETY: a set of ours and a live object; PySet_Add takes its own reference.
                if unsafe { ffi::PySet_Add(object, item.as_ptr()) } != 0 {
                    return Err(PyErr::fetch(py));
                }
            }
        }
        Node::Inert(inert) => {
            // SAFETY: a live object of ours, borrowed for the call.
            let object = unsafe { Bound::from_borrowed_ptr(py, object) };
            let get = |value: Value| objects.bound(py, value);
            fill_inert(py, inert, &object, &get, classes)?
        }
        _ => {}
    }
    Ok(())
}

fn fill_inert<'py>(
    py: Python<'py>,
    inert: &Inert,
    object: &Bound<'py, PyAny>,
    get: &dyn Fn(Value) -> PyResult<Bound<'py, PyAny>>,
    classes: &Classes<'py>,
) -> PyResult<()> {
    match &inert.kind {
        InertKind::Global {
            module,
            name,
            opcode,
        } => {
            object.setattr("module", get(*module)?)?;
            object.setattr("name", get(*name)?)?;
            object.setattr("opcode", opcode.name())?;
        }
        InertKind::Call { func, args } => {
            object.setattr("callable", get(*func)?)?;
            object.setattr("args", get(*args)?)?;
            object.setattr("kwargs", py.None())?;
            object.setattr("opcode", "REDUCE")?;
        }
        InertKind::Instance {
            class,
            args,
            kwargs,
            opcode,
        } => {
            object.setattr("callable", get(*class)?)?;
            object.setattr("args", get(*args)?)?;
            object.setattr(
                "kwargs",
                match kwargs {
                    Some(kwargs) => get(*kwargs)?,
                    None => py.None().into_bound(py),
                },
            )?;
            object.setattr("opcode", opcode.name())?;
        }
        InertKind::Persistent { pid } => object.setattr("pid", get(*pid)?)?,
        InertKind::Extension { code } => object.setattr("code", *code)?,
        InertKind::Buffer { index, readonly } => {
            if classes.buffers.is_some() {
                return Ok(()); // the caller's own buffer object, final since pass 1
            }
            object.setattr("index", *index)?;
            object.setattr("readonly", *readonly)?;
        }
        InertKind::ReadOnly { target } => object.setattr("target", get(*target)?)?,
    }
    object.setattr("offset", inert.offset)?;
    let mutations = PyList::empty(py);
    for mutation in &inert.mutations {
        let (name, operand) = match mutation {
            Mutation::Build(state) => ("BUILD", get(*state)?),
            Mutation::Append(items) => ("APPENDS", list_of(py, items, get)?),
            Mutation::AddItems(items) => ("ADDITEMS", list_of(py, items, get)?),
            Mutation::SetItems(pairs) => {
                let list = PyList::empty(py);
                for (key, item) in pairs {
                    list.append((get(*key)?, get(*item)?))?;
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
    get: &dyn Fn(Value) -> PyResult<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let list = PyList::empty(py);
    for item in items {
        list.append(get(*item)?)?;
    }
    Ok(list.into_any())
}
