//! The graph as Python objects: plain data as Python's own types, every inert node as an
//! instance of the package's classes (`Global`, `Call`, …), shared references and cycles
//! kept (one Python object per node).
//!
//! Built in one depth-first walk in post-order, on an explicit stack (hostile nesting
//! cannot overflow the call stack): each container is made and filled right after its
//! items, while they are still in the cache. An earlier build in three passes over the
//! arena (every object in arena order, then the tuples, then every container filled)
//! visited each of the 2.6 million objects of the nested benchmark input again long
//! after it was made, and took 1.8x `pickle.loads`' time on it.
//!
//! Cycles: a list, dict, set or inert node is made empty when the walk enters it, so an
//! item that leads back to it finds its object; it is filled when the walk leaves it.
//! A tuple or frozenset can only be made from its items, so one reached again through
//! its own items (through a list: `t = ([t],)`) is not made yet when the list is left:
//! such a container is filled after the walk, when every object exists. A tuple that
//! holds itself through tuples alone cannot come from a pickle; a hostile arena with one
//! is refused.

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

/// Owned references to the objects made so far, one per node (null: not made yet), and
/// each node's [`State`]; the references are let go when the conversion ends.
///
/// The hot paths call the C API directly: through pyo3's safe wrappers every item cost
/// two more reference count calls (which abi3 cannot inline) and the UTF-8 of every str
/// was checked twice; `loads` took 2.5x `pickle.loads`' time on the nested benchmark
/// input.
struct Objects {
    made: Vec<*mut ffi::PyObject>,
    states: Vec<State>,
}

impl Drop for Objects {
    fn drop(&mut self) {
        for &object in &self.made {
            if !object.is_null() {
                // SAFETY: an owned reference, released once; the GIL is held, since an
                // `Objects` lives only inside `to_python`, which holds it.
                unsafe { ffi::Py_DecRef(object) };
            }
        }
    }
}

/// A reference [`Objects::lend`] gives: `owned` when it must be released after use (a
/// scalar's object, made for the call).
struct Lent {
    object: *mut ffi::PyObject,
    owned: bool,
}

impl Lent {
    /// Releases the reference if it is owned.
    #[inline]
    fn release(self) {
        if self.owned {
            // SAFETY: an owned reference, released once, with the GIL held.
            unsafe { ffi::Py_DecRef(self.object) };
        }
    }
}

impl Objects {
    /// Node `id`'s object, made already.
    #[inline]
    fn get(&self, id: NodeId) -> PyResult<*mut ffi::PyObject> {
        let object = self.made[id.index()];
        if object.is_null() {
            return Err(PyValueError::new_err("a tuple holds itself"));
        }
        Ok(object)
    }

    /// A new reference to the object of `value`, for a slot that takes it (a list's or
    /// tuple's).
    #[inline]
    fn take(&self, py: Python<'_>, value: Value) -> PyResult<*mut ffi::PyObject> {
        let Value::Node(id) = value else {
            return scalar(py, value);
        };
        let object = self.get(id)?;
        // SAFETY: a live object of ours.
        unsafe { ffi::Py_IncRef(object) };
        Ok(object)
    }

    /// The object of `value` for a call that takes its own reference (a dict's or set's
    /// insert): a node's borrowed from `made`, a scalar's made for the call.
    #[inline]
    fn lend(&self, py: Python<'_>, value: Value) -> PyResult<Lent> {
        Ok(match value {
            Value::Node(id) => Lent {
                object: self.get(id)?,
                owned: false,
            },
            _ => Lent {
                object: scalar(py, value)?,
                owned: true,
            },
        })
    }

    /// A new reference to the object of `value` (for pyo3's API).
    fn bound<'py>(&self, py: Python<'py>, value: Value) -> PyResult<Bound<'py, PyAny>> {
        let object = self.take(py, value)?;
        // SAFETY: `take` returned a new, non-null reference, which the Bound takes.
        Ok(unsafe { Bound::from_owned_ptr(py, object) })
    }
}

/// A new reference to a scalar's object.
#[inline]
pub(crate) fn scalar(py: Python<'_>, value: Value) -> PyResult<*mut ffi::PyObject> {
    // SAFETY: each call returns a new reference or null.
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
            Value::Node(_) => unreachable!("a node is no scalar"),
        }
    };
    checked(py, object)
}

/// `object`, or the Python exception that made it null.
pub(crate) fn checked(py: Python<'_>, object: *mut ffi::PyObject) -> PyResult<*mut ffi::PyObject> {
    if object.is_null() {
        return Err(PyErr::fetch(py));
    }
    Ok(object)
}

/// Where the walk stands with a node.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Not reached yet.
    Unseen,
    /// A list, dict or set made empty as another container's item, its own items not
    /// walked yet (its [`Step::Enter`] is queued).
    Made,
    /// Entered, its items not all made: a list, dict, set or inert node has its (empty)
    /// object, a tuple or frozenset none yet.
    Entered,
    /// Made and filled (or waiting in [`Builder::deferred`] to be filled).
    Done,
}

/// One step of the walk's stack.
#[derive(Clone, Copy)]
enum Step {
    /// Make the node's leaves, then walk its containers.
    Enter(NodeId),
    /// Every item is made: make the node or set its items after the `filled` first.
    /// `waits`: an item is a tuple or frozenset still being built further up the walk
    /// (a cycle through this node).
    Leave {
        id: NodeId,
        waits: bool,
        filled: u32,
    },
}

/// The walk's state: the objects, each node's [`State`], the stack.
struct Builder<'a, 'p, 'py> {
    py: Python<'py>,
    pickle: &'a Pickle<'p>,
    classes: &'a Classes<'py>,
    objects: Objects,
    steps: Vec<Step>,
    /// The items [`Builder::enter`] queues, reused from node to node.
    pending: Vec<NodeId>,
    /// Containers that hold a tuple or frozenset not made when they were left, and how
    /// many of their items are set.
    deferred: Vec<(NodeId, u32)>,
}

/// Builds the Python object of the pickle's root.
///
/// Every node is made, not only those the root reaches, as CPython's unpickler makes
/// every object the stream builds: a dict with an unhashable key raises though it is
/// dropped later.
pub fn to_python<'py>(
    py: Python<'py>,
    pickle: &Pickle<'_>,
    classes: &Classes<'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let count = pickle.node_count();
    let mut builder = Builder {
        py,
        pickle,
        classes,
        objects: Objects {
            made: vec![std::ptr::null_mut(); count],
            states: vec![State::Unseen; count],
        },
        steps: Vec::new(),
        pending: Vec::new(),
        deferred: Vec::new(),
    };
    for index in 0..count {
        if builder.objects.states[index] == State::Unseen {
            builder.walk(NodeId::from_index(index))?;
        }
    }
    for (id, filled) in std::mem::take(&mut builder.deferred) {
        let object = builder.objects.made[id.index()];
        let node = pickle.node(id);
        fill(
            py,
            &node,
            object,
            filled as usize,
            &builder.objects,
            classes,
        )?;
    }
    builder.objects.bound(py, pickle.root())
}

/// Whether a node is made whole at once, with no items to wait for.
fn is_leaf(node: &Node<'_>) -> bool {
    matches!(
        node,
        Node::BigInt(_) | Node::Str(_) | Node::Bytes(_) | Node::ByteArray(_)
    )
}

impl Builder<'_, '_, '_> {
    /// Makes `root` and every node it reaches that is not made yet, each after its items.
    fn walk(&mut self, root: NodeId) -> PyResult<()> {
        self.steps.push(Step::Enter(root));
        while let Some(step) = self.steps.pop() {
            match step {
                Step::Enter(id) => {
                    if let State::Unseen | State::Made = self.objects.states[id.index()] {
                        self.enter(id)?;
                    }
                }
                Step::Leave { id, waits, filled } => {
                    let node = self.pickle.node(id);
                    self.leave(id, &node, waits, filled)?;
                }
            }
        }
        Ok(())
    }

    /// Makes the node's object if it can be made empty, its leaf items, and its list,
    /// dict and set items empty; sets the items of a list, dict or set as far as they
    /// are made. When a tuple, frozenset or inert item is still to make, the node's
    /// [`Step::Leave`] waits for it; else it is left now. Its items' own walks are
    /// queued.
    fn enter(&mut self, id: NodeId) -> PyResult<()> {
        let node = self.pickle.node(id);
        if is_leaf(&node) {
            self.objects.made[id.index()] = make(self.py, &node)?;
            self.objects.states[id.index()] = State::Done;
            return Ok(());
        }
        let object = match self.objects.states[id.index()] {
            State::Made => self.objects.made[id.index()],
            _ => make_empty(self.py, &node, self.classes)?,
        };
        self.objects.made[id.index()] = object;
        self.objects.states[id.index()] = State::Entered;
        let mut pending = std::mem::take(&mut self.pending);
        let (mut waits, mut blocked) = (false, false);
        let filled = self.scan(&node, object, &mut pending, &mut waits, &mut blocked)?;
        if blocked {
            self.steps.push(Step::Leave { id, waits, filled });
        } else {
            self.leave(id, &node, waits, filled)?;
        }
        // The first item is entered first: the arena keeps a container's items after it,
        // in order, so the walk reads the arena forwards.
        self.steps.extend(pending.drain(..).rev().map(Step::Enter));
        self.pending = pending;
        Ok(())
    }

    /// Walks a container's items once: makes its leaves, and its lists, dicts and sets
    /// empty; queues the containers not entered yet in `pending`; notes in `blocked` a
    /// tuple, frozenset or inert item still to make, in `waits` one still being made
    /// further up; and sets a list, dict or set's items while none before is missing.
    /// Returns how many items (a dict's entries) are set.
    fn scan(
        &mut self,
        node: &Node<'_>,
        object: *mut ffi::PyObject,
        pending: &mut Vec<NodeId>,
        waits: &mut bool,
        blocked: &mut bool,
    ) -> PyResult<u32> {
        let py = self.py;
        let mut filled = 0;
        match node {
            Node::List(items) => {
                for (index, item) in items.iter().enumerate() {
                    if self.ready(item, pending, waits, blocked)? && filled as usize == index {
                        set_list_item(py, object, index, item, &self.objects)?;
                        filled += 1;
                    }
                }
            }
            Node::Dict(entries) => {
                for (index, (key, item)) in entries.iter().enumerate() {
                    let key_ready = self.ready(key, pending, waits, blocked)?;
                    if self.ready(item, pending, waits, blocked)?
                        && key_ready
                        && filled as usize == index
                    {
                        set_dict_item(py, object, key, item, &self.objects)?;
                        filled += 1;
                    }
                }
            }
            Node::Set(items) => {
                for (index, item) in items.iter().enumerate() {
                    if self.ready(item, pending, waits, blocked)? && filled as usize == index {
                        add_set_item(py, object, item, &self.objects)?;
                        filled += 1;
                    }
                }
            }
            Node::Tuple(items) | Node::FrozenSet(items) => {
                for item in items.iter() {
                    self.ready(item, pending, waits, blocked)?;
                }
            }
            _ => {
                for index in 0..node.child_count() {
                    if let Some(item) = node.child(index) {
                        self.ready(item, pending, waits, blocked)?;
                    }
                }
            }
        }
        Ok(filled)
    }

    /// Whether `value`'s object is made: a leaf is made now, a list, dict or set made
    /// empty and queued on `pending` for its own items. A tuple, frozenset or inert node
    /// not made yet is queued and noted in `blocked`; one still being made further up the
    /// walk (a cycle) in `waits`.
    #[inline(always)]
    fn ready(
        &mut self,
        value: Value,
        pending: &mut Vec<NodeId>,
        waits: &mut bool,
        blocked: &mut bool,
    ) -> PyResult<bool> {
        let Some(child) = value.node() else {
            return Ok(true);
        };
        let index = child.index();
        Ok(match self.objects.states[index] {
            State::Done | State::Made => true,
            State::Entered => {
                let made = !self.objects.made[index].is_null();
                *waits |= !made;
                made
            }
            State::Unseen => {
                let node = self.pickle.node(child);
                match node {
                    Node::BigInt(_) | Node::Str(_) | Node::Bytes(_) | Node::ByteArray(_) => {
                        self.objects.made[index] = make(self.py, &node)?;
                        self.objects.states[index] = State::Done;
                        true
                    }
                    Node::List(_) | Node::Dict(_) | Node::Set(_) => {
                        self.objects.made[index] = make_empty(self.py, &node, self.classes)?;
                        self.objects.states[index] = State::Made;
                        pending.push(child);
                        true
                    }
                    Node::Tuple(_) | Node::FrozenSet(_) | Node::Inert(_) => {
                        pending.push(child);
                        *blocked = true;
                        false
                    }
                }
            }
        })
    }

    /// Makes a tuple or frozenset from its items, or sets the items of a list, dict, set
    /// or inert node after the `filled` first (later, when it `waits` for a tuple
    /// further up).
    fn leave(&mut self, id: NodeId, node: &Node<'_>, waits: bool, filled: u32) -> PyResult<()> {
        self.objects.states[id.index()] = State::Done;
        match node {
            Node::Tuple(_) | Node::FrozenSet(_) if waits => {
                Err(PyValueError::new_err("a tuple holds itself"))
            }
            Node::Tuple(items) => {
                self.objects.made[id.index()] = tuple(self.py, items.iter(), &self.objects)?;
                Ok(())
            }
            Node::FrozenSet(items) => {
                let built = items
                    .iter()
                    .map(|item| self.objects.bound(self.py, item))
                    .collect::<PyResult<Vec<_>>>()?;
                self.objects.made[id.index()] = PyFrozenSet::new(self.py, &built)?.into_ptr();
                Ok(())
            }
            _ if waits => {
                self.deferred.push((id, filled));
                Ok(())
            }
            _ => fill(
                self.py,
                node,
                self.objects.made[id.index()],
                filled as usize,
                &self.objects,
                self.classes,
            ),
        }
    }
}

/// A new reference to a leaf node's object (str, bytes, bytearray, big int).
pub(crate) fn make(py: Python<'_>, node: &Node<'_>) -> PyResult<*mut ffi::PyObject> {
    // SAFETY: each constructor reads only the slice it is given (pointer and length from
    // the same slice) and returns a new reference or null, which `checked` turns into
    // the Python exception.
    let object = unsafe {
        match node {
            Node::BigInt(big) => return Ok((*big).into_pyobject(py)?.into_ptr()),
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
            _ => unreachable!("only leaves are made by `make`"),
        }
    };
    checked(py, object)
}

/// A new reference to a container's object before its items (a list with its length,
/// its slots set by [`fill`]), or null for a tuple or frozenset, made from its items.
fn make_empty(
    py: Python<'_>,
    node: &Node<'_>,
    classes: &Classes<'_>,
) -> PyResult<*mut ffi::PyObject> {
    // SAFETY: each constructor returns a new reference or null, which `checked` turns
    // into the Python exception.
    let object = unsafe {
        match node {
            Node::List(items) => ffi::PyList_New(items.len() as ffi::Py_ssize_t),
            Node::Dict(_) => ffi::PyDict_New(),
            Node::Set(_) => ffi::PySet_New(std::ptr::null_mut()),
            Node::Inert(inert) => return Ok(inert_shell(py, inert, classes)?.into_ptr()),
            _ => return Ok(std::ptr::null_mut()),
        }
    };
    checked(py, object)
}

/// A new tuple of `items`, each made already.
fn tuple(
    py: Python<'_>,
    items: impl ExactSizeIterator<Item = Value>,
    objects: &Objects,
) -> PyResult<*mut ffi::PyObject> {
    // SAFETY: a new tuple of `len` empty slots, each set once below with a new reference,
    // which PyTuple_SetItem takes; the Bound releases the tuple if an item fails.
    let tuple = checked(py, unsafe {
        ffi::PyTuple_New(items.len() as ffi::Py_ssize_t)
    })?;
    let tuple = unsafe { Bound::from_owned_ptr(py, tuple) };
    for (index, item) in items.enumerate() {
        let item = objects.take(py, item)?;
        unsafe { ffi::PyTuple_SetItem(tuple.as_ptr(), index as ffi::Py_ssize_t, item) };
    }
    Ok(tuple.into_ptr())
}

/// Sets a list, dict or set's items after the `filled` first, or an inert node's fields
/// and mutations, once every item is made.
fn fill(
    py: Python<'_>,
    node: &Node<'_>,
    object: *mut ffi::PyObject,
    filled: usize,
    objects: &Objects,
    classes: &Classes<'_>,
) -> PyResult<()> {
    match node {
        Node::List(items) => {
            // By index: a skip would read the items already set one by one.
            for index in filled..items.len() {
                let item = items.get(index).unwrap_or(Value::None);
                set_list_item(py, object, index, item, objects)?;
            }
        }
        Node::Dict(entries) => {
            for index in filled..entries.len() {
                let (key, item) = entries.get(index).unwrap_or((Value::None, Value::None));
                set_dict_item(py, object, key, item, objects)?;
            }
        }
        Node::Set(items) => {
            for index in filled..items.len() {
                let item = items.get(index).unwrap_or(Value::None);
                add_set_item(py, object, item, objects)?;
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

/// Sets slot `index` of a list made with empty slots by [`make_empty`].
#[inline]
fn set_list_item(
    py: Python<'_>,
    list: *mut ffi::PyObject,
    index: usize,
    item: Value,
    objects: &Objects,
) -> PyResult<()> {
    let item = objects.take(py, item)?;
    // SAFETY: the list was made with this many empty slots; each is set once with a new
    // reference, which PyList_SetItem takes.
    unsafe { ffi::PyList_SetItem(list, index as ffi::Py_ssize_t, item) };
    Ok(())
}

/// `dict[key] = item`.
#[inline]
fn set_dict_item(
    py: Python<'_>,
    dict: *mut ffi::PyObject,
    key: Value,
    item: Value,
    objects: &Objects,
) -> PyResult<()> {
    let key = objects.lend(py, key)?;
    let item = match objects.lend(py, item) {
        Ok(item) => item,
        Err(error) => {
            key.release();
            return Err(error);
        }
    };
    // SAFETY: a dict of ours and two live objects; SetItem takes its own references.
    let status = unsafe { ffi::PyDict_SetItem(dict, key.object, item.object) };
    key.release();
    item.release();
    if status != 0 {
        return Err(PyErr::fetch(py));
    }
    Ok(())
}

/// `set.add(item)`.
#[inline]
fn add_set_item(
    py: Python<'_>,
    set: *mut ffi::PyObject,
    item: Value,
    objects: &Objects,
) -> PyResult<()> {
    let item = objects.lend(py, item)?;
    // SAFETY: a set of ours and a live object; PySet_Add takes its own reference.
    let status = unsafe { ffi::PySet_Add(set, item.object) };
    item.release();
    if status != 0 {
        return Err(PyErr::fetch(py));
    }
    Ok(())
}

/// An inert node's object, its fields set by [`fill`] (a buffer's object is final here).
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
                return Ok(()); // the caller's own buffer object, final since it was made
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
