//! The build of plain data whose containers form a tree, in one walk without the
//! bookkeeping of [`crate::convert`]'s general one.
//!
//! When a pickle holds no inert node and none of its lists, tuples, dicts, sets or
//! bytearrays was pushed again (by a memo get or `DUP`: [`Pickle::may_share`]), each
//! container has one parent and none can be reached from itself. Each is then made
//! when the walk enters it (a tuple with its empty slots, as CPython's own C code makes
//! one) and set into its parent when it is left, as `pickle.loads` builds it: no state
//! per node, no queue of items waiting, no tuple deferred for a cycle. Strs, bytes and
//! big ints may still be shared (a record's field names), so each leaf's object is kept
//! by node. The general walk cost 1.5-1.7x `pickle.loads`' time on the nested benchmark
//! input (2.6 million objects), most of it its per-item bookkeeping.
//!
//! The walk gives up, and the general one builds the pickle, when a container is
//! reached twice after all or some node is not reached from the root (CPython makes
//! every object the stream builds, so one that raises must raise), or on any error (so
//! that the error raised is the general walk's).

use picklegraph::{Items, Node, NodeId, Pickle, Value};
use pyo3::ffi;
use pyo3::prelude::*;

use crate::convert::{checked, make, scalar};

/// The mark in [`Tree::made`] of a container entered (its object is its frame's).
const CONTAINER: *mut ffi::PyObject = 1 as *mut ffi::PyObject;

/// What a container's object takes its items by.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    List,
    Tuple,
    /// Keys and values alternate in the frame's items.
    Dict,
    /// A set or a frozenset (new, so `PySet_Add` may fill it).
    Set,
}

/// A container being filled: its object (owned), its items, the next to make, and for a
/// dict, the key made whose value is not yet (owned, or null).
struct Frame<'p> {
    object: *mut ffi::PyObject,
    kind: Kind,
    items: Items<'p>,
    next: usize,
    key: *mut ffi::PyObject,
}

/// The walk's state: each leaf's object by node (an owned reference, [`CONTAINER`] for
/// a container entered), how many nodes are made, and the containers being filled.
struct Tree<'a, 'p, 'py> {
    py: Python<'py>,
    pickle: &'a Pickle<'p>,
    made: Vec<*mut ffi::PyObject>,
    count: usize,
    stack: Vec<Frame<'a>>,
}

impl Drop for Tree<'_, '_, '_> {
    fn drop(&mut self) {
        // SAFETY: owned references, each released once, with the GIL held (a `Tree`
        // lives only inside `to_python`, which holds it).
        unsafe {
            for frame in &self.stack {
                ffi::Py_DecRef(frame.object);
                if !frame.key.is_null() {
                    ffi::Py_DecRef(frame.key);
                }
            }
            for &object in &self.made {
                if !object.is_null() && object != CONTAINER {
                    ffi::Py_DecRef(object);
                }
            }
        }
    }
}

/// What entering a node gave.
enum Entered {
    /// A leaf's object: a new reference.
    Leaf(*mut ffi::PyObject),
    /// A container, its frame pushed.
    Frame,
    /// A node the tree walk cannot build (a container reached again, an inert node).
    NotATree,
}

/// The root's object, when the pickle's containers form a tree and every node is
/// reached from the root; `None` leaves the pickle to the general walk.
pub fn to_python<'py>(py: Python<'py>, pickle: &Pickle<'_>) -> Option<Bound<'py, PyAny>> {
    if pickle.may_share() || pickle.inert_count() != 0 {
        return None;
    }
    let Value::Node(root) = pickle.root() else {
        return None;
    };
    let mut tree = Tree {
        py,
        pickle,
        made: vec![std::ptr::null_mut(); pickle.node_count()],
        count: 0,
        stack: Vec::new(),
    };
    let object = tree.build(root).ok().flatten()?;
    // SAFETY: `build` returned a new, non-null reference, which the Bound takes (and
    // releases if the walk missed a node).
    let object = unsafe { Bound::from_owned_ptr(py, object) };
    (tree.count == pickle.node_count()).then_some(object)
}

impl<'a> Tree<'a, '_, '_> {
    /// The object of `root`, made with every node under it; `None` when it is no tree.
    fn build(&mut self, root: NodeId) -> PyResult<Option<*mut ffi::PyObject>> {
        match self.enter(root)? {
            Entered::Leaf(object) => return Ok(Some(object)),
            Entered::NotATree => return Ok(None),
            Entered::Frame => {}
        }
        loop {
            let Some(frame) = self.stack.last_mut() else {
                return Ok(None); // not reached: the root's frame is popped last
            };
            let object = if frame.next == frame.items.len() {
                let Some(frame) = self.stack.pop() else {
                    return Ok(None); // not reached: a frame was on top
                };
                if self.stack.is_empty() {
                    return Ok(Some(frame.object));
                }
                frame.object
            } else {
                let value = frame.items.get(frame.next).unwrap_or(Value::None);
                frame.next += 1;
                match value {
                    Value::Node(id) => match self.enter(id)? {
                        Entered::Leaf(object) => object,
                        Entered::Frame => continue,
                        Entered::NotATree => return Ok(None),
                    },
                    _ => scalar(self.py, value)?,
                }
            };
            let Some(parent) = self.stack.last_mut() else {
                // Not reached: a parent is under every frame but the root's.
                // SAFETY: our reference, released once.
                unsafe { ffi::Py_DecRef(object) };
                return Ok(None);
            };
            place(self.py, parent, object)?;
        }
    }

    /// Makes a leaf's object (or finds it made) or a container's, empty, with its frame.
    #[inline]
    fn enter(&mut self, id: NodeId) -> PyResult<Entered> {
        let made = self.made[id.index()];
        if made == CONTAINER {
            return Ok(Entered::NotATree);
        }
        if !made.is_null() {
            // SAFETY: a live object of ours (`made` holds a reference).
            unsafe { ffi::Py_IncRef(made) };
            return Ok(Entered::Leaf(made));
        }
        let node = self.pickle.node(id);
        // SAFETY: each constructor returns a new reference or null, which `checked`
        // turns into the Python exception.
        let (object, kind, items) = unsafe {
            match node {
                Node::List(items) => (
                    ffi::PyList_New(items.len() as ffi::Py_ssize_t),
                    Kind::List,
                    items,
                ),
                Node::Tuple(items) => (
                    ffi::PyTuple_New(items.len() as ffi::Py_ssize_t),
                    Kind::Tuple,
                    items,
                ),
                Node::Dict(entries) => (ffi::PyDict_New(), Kind::Dict, entries.flat()),
                Node::Set(items) => (ffi::PySet_New(std::ptr::null_mut()), Kind::Set, items),
                Node::FrozenSet(items) => {
                    (ffi::PyFrozenSet_New(std::ptr::null_mut()), Kind::Set, items)
                }
                Node::Inert(_) => return Ok(Entered::NotATree),
                _ => {
                    let object = make(self.py, &node)?;
                    ffi::Py_IncRef(object);
                    self.made[id.index()] = object;
                    self.count += 1;
                    return Ok(Entered::Leaf(object));
                }
            }
        };
        let object = checked(self.py, object)?;
        self.made[id.index()] = CONTAINER;
        self.count += 1;
        self.stack.push(Frame {
            object,
            kind,
            items,
            next: 0,
            key: std::ptr::null_mut(),
        });
        Ok(Entered::Frame)
    }
}

/// Gives `object` (a new reference, taken) to `frame`'s container as its item
/// `frame.next - 1`.
#[inline]
fn place(py: Python<'_>, frame: &mut Frame<'_>, object: *mut ffi::PyObject) -> PyResult<()> {
    let index = (frame.next - 1) as ffi::Py_ssize_t;
    // SAFETY: the frame's container is ours and alive; a list or tuple slot is set once
    // (the container was made with this many empty slots) and takes the reference;
    // PyDict_SetItem and PySet_Add take their own, so ours are released after (a
    // frozenset is new and not yet shared, as PySet_Add requires of one).
    let status = unsafe {
        match frame.kind {
            Kind::List => ffi::PyList_SetItem(frame.object, index, object),
            Kind::Tuple => ffi::PyTuple_SetItem(frame.object, index, object),
            Kind::Dict if frame.key.is_null() => {
                frame.key = object;
                0
            }
            Kind::Dict => {
                let key = std::mem::replace(&mut frame.key, std::ptr::null_mut());
                let status = ffi::PyDict_SetItem(frame.object, key, object);
                ffi::Py_DecRef(key);
                ffi::Py_DecRef(object);
                status
            }
            Kind::Set => {
                let status = ffi::PySet_Add(frame.object, object);
                ffi::Py_DecRef(object);
                status
            }
        }
    };
    if status != 0 {
        return Err(PyErr::fetch(py));
    }
    Ok(())
}
