//! Plain data made into Python objects as the library's direct build runs its opcodes
//! ([`picklegraph::load_into`]): no graph, no walk after it, one pass over the pickle as
//! `pickle.loads` makes.
//!
//! Each value is the object CPython's own unpickler makes for its opcode, with the same
//! C API calls (`PyUnicode_DecodeUTF8` with `surrogatepass`, `PyDict_SetItem`,
//! `PySet_Add`, …), so dict keys merge, and an unhashable key raises `TypeError`, as they
//! do there. The graph is loaded instead when the pickle holds more than plain data (a
//! global, a call) or the build finds it malformed, so that its objects and its errors
//! are those of the general build in [`crate::convert`].
//!
//! The C API is called directly, for the reason [`crate::convert`] gives: through pyo3's
//! safe wrappers every item cost two more reference count calls, which abi3 cannot
//! inline.

use std::ptr::NonNull;
use std::vec::Drain;

use picklegraph::{Build, BuildError, Built, LoadOptions};
use pyo3::ffi;
use pyo3::prelude::*;

/// An owned reference to a Python object: a clone is a new reference, a drop releases it.
/// Made and dropped only with the GIL held (inside [`load`], which holds it).
pub struct Owned(NonNull<ffi::PyObject>);

impl Owned {
    /// Takes a new reference, or the Python exception that made it null.
    #[inline(always)]
    fn new(py: Python<'_>, object: *mut ffi::PyObject) -> PyResult<Owned> {
        match NonNull::new(object) {
            Some(object) => Ok(Owned(object)),
            None => Err(PyErr::fetch(py)),
        }
    }

    /// Gives the reference away (to a call that takes it).
    #[inline(always)]
    fn into_ptr(self) -> *mut ffi::PyObject {
        let object = self.0.as_ptr();
        std::mem::forget(self);
        object
    }

    #[inline(always)]
    fn as_ptr(&self) -> *mut ffi::PyObject {
        self.0.as_ptr()
    }
}

impl Clone for Owned {
    #[inline(always)]
    fn clone(&self) -> Owned {
        // SAFETY: a live object (we hold a reference), with the GIL held.
        unsafe { ffi::Py_INCREF(self.as_ptr()) };
        Owned(self.0)
    }
}

impl Drop for Owned {
    #[inline(always)]
    fn drop(&mut self) {
        // SAFETY: our reference, released once, with the GIL held.
        unsafe { ffi::Py_DECREF(self.as_ptr()) };
    }
}

/// The builder of Python objects.
struct Objects<'py> {
    py: Python<'py>,
}

/// The pickle's objects, when it is plain data; `Ok(None)` when it is not, or when the
/// build found it malformed or past a limit (the graph's load then decides); a Python
/// exception raised while building (an unhashable key) as `Err`.
pub fn load<'py>(
    py: Python<'py>,
    data: &[u8],
    options: &LoadOptions,
) -> PyResult<Option<(Bound<'py, PyAny>, usize)>> {
    match picklegraph::load_into(data, options, &mut Objects { py }) {
        Ok(Built { root, end }) => {
            // SAFETY: a new, non-null reference, which the Bound takes.
            let root = unsafe { Bound::from_owned_ptr(py, root.into_ptr()) };
            Ok(Some((root, end)))
        }
        Err(BuildError::Build(error)) => Err(error),
        Err(BuildError::NotPlain { .. } | BuildError::Load(_)) => Ok(None),
    }
}

impl Objects<'_> {
    /// A sequence of `items` made by `new` (`PyList_New`, `PyTuple_New`) and filled by
    /// `set` (the matching `SetItem`, which takes each reference).
    #[inline(always)]
    fn sequence(
        &self,
        items: Drain<'_, Owned>,
        new: unsafe extern "C" fn(ffi::Py_ssize_t) -> *mut ffi::PyObject,
        set: unsafe extern "C" fn(
            *mut ffi::PyObject,
            ffi::Py_ssize_t,
            *mut ffi::PyObject,
        ) -> std::os::raw::c_int,
    ) -> PyResult<Owned> {
        // SAFETY: a new sequence of `len` empty slots, each set once with a reference it
        // takes; the sequence is ours until returned.
        let sequence = Owned::new(self.py, unsafe { new(items.len() as ffi::Py_ssize_t) })?;
        for (index, item) in items.enumerate() {
            unsafe { set(sequence.as_ptr(), index as ffi::Py_ssize_t, item.into_ptr()) };
        }
        Ok(sequence)
    }

    /// A status of the C API: 0, or the exception raised.
    #[inline(always)]
    fn status(&self, status: std::os::raw::c_int) -> PyResult<()> {
        if status != 0 {
            return Err(PyErr::fetch(self.py));
        }
        Ok(())
    }
}

impl Build for Objects<'_> {
    type Object = Owned;
    type Error = PyErr;

    fn none(&mut self) -> PyResult<Owned> {
        // SAFETY: None is immortal; the reference is ours.
        unsafe {
            let none = ffi::Py_None();
            ffi::Py_INCREF(none);
            Owned::new(self.py, none)
        }
    }

    fn bool(&mut self, value: bool) -> PyResult<Owned> {
        // SAFETY: returns a new reference.
        Owned::new(self.py, unsafe { ffi::PyBool_FromLong(value.into()) })
    }

    #[inline]
    fn int(&mut self, value: i64) -> PyResult<Owned> {
        // SAFETY: returns a new reference or null.
        Owned::new(self.py, unsafe { ffi::PyLong_FromLongLong(value) })
    }

    fn big_int(&mut self, value: &num_bigint::BigInt) -> PyResult<Owned> {
        let object = value.into_pyobject(self.py)?.into_ptr();
        Owned::new(self.py, object)
    }

    #[inline]
    fn float(&mut self, value: f64) -> PyResult<Owned> {
        // SAFETY: returns a new reference or null.
        Owned::new(self.py, unsafe { ffi::PyFloat_FromDouble(value) })
    }

    #[inline]
    fn str(&mut self, utf8: &[u8]) -> PyResult<Option<Owned>> {
        // SAFETY: reads only the slice (pointer and length from it); returns a new
        // reference or null with the exception set. Lone surrogates are kept, as
        // CPython's unpickler keeps them.
        let object = unsafe {
            ffi::PyUnicode_DecodeUTF8(
                utf8.as_ptr().cast(),
                utf8.len() as ffi::Py_ssize_t,
                c"surrogatepass".as_ptr(),
            )
        };
        if object.is_null() {
            // SAFETY: an exception is set; the type is a borrowed static.
            let invalid = unsafe { ffi::PyErr_ExceptionMatches(ffi::PyExc_UnicodeDecodeError) };
            if invalid != 0 {
                // No such UTF-8: the library reports it as the graph's load does.
                unsafe { ffi::PyErr_Clear() };
                return Ok(None);
            }
        }
        Owned::new(self.py, object).map(Some)
    }

    fn bytes(&mut self, bytes: &[u8]) -> PyResult<Owned> {
        // SAFETY: reads only the slice; returns a new reference or null.
        let object = unsafe {
            ffi::PyBytes_FromStringAndSize(bytes.as_ptr().cast(), bytes.len() as ffi::Py_ssize_t)
        };
        Owned::new(self.py, object)
    }

    fn byte_array(&mut self, bytes: &[u8]) -> PyResult<Owned> {
        // SAFETY: reads only the slice; returns a new reference or null.
        let object = unsafe {
            ffi::PyByteArray_FromStringAndSize(
                bytes.as_ptr().cast(),
                bytes.len() as ffi::Py_ssize_t,
            )
        };
        Owned::new(self.py, object)
    }

    #[inline]
    fn list(&mut self, items: Drain<'_, Owned>) -> PyResult<Owned> {
        self.sequence(items, ffi::PyList_New, ffi::PyList_SetItem)
    }

    #[inline]
    fn tuple(&mut self, items: Drain<'_, Owned>) -> PyResult<Owned> {
        self.sequence(items, ffi::PyTuple_New, ffi::PyTuple_SetItem)
    }

    fn dict(&mut self) -> PyResult<Owned> {
        // SAFETY: returns a new reference or null.
        Owned::new(self.py, unsafe { ffi::PyDict_New() })
    }

    fn set(&mut self) -> PyResult<Owned> {
        // SAFETY: returns a new reference or null.
        Owned::new(self.py, unsafe { ffi::PySet_New(std::ptr::null_mut()) })
    }

    fn frozen_set(&mut self, items: Drain<'_, Owned>) -> PyResult<Owned> {
        let members = self.tuple(items)?;
        // SAFETY: a tuple of ours, read; returns a new reference or null.
        Owned::new(self.py, unsafe { ffi::PyFrozenSet_New(members.as_ptr()) })
    }

    #[inline]
    fn append(&mut self, list: &Owned, mut items: Drain<'_, Owned>) -> PyResult<bool> {
        // SAFETY: live objects of ours; PyList_Append and PyList_SetSlice take their own
        // references (ours are released by the drops).
        unsafe {
            if ffi::PyList_Check(list.as_ptr()) == 0 {
                return Ok(false);
            }
            if items.len() == 1 {
                let item = items.next().ok_or_else(|| PyErr::fetch(self.py))?;
                return self
                    .status(ffi::PyList_Append(list.as_ptr(), item.as_ptr()))
                    .map(|()| true);
            }
            let end = ffi::PyList_Size(list.as_ptr());
            let tail = self.list(items)?;
            self.status(ffi::PyList_SetSlice(list.as_ptr(), end, end, tail.as_ptr()))?;
        }
        Ok(true)
    }

    #[inline]
    fn set_items(&mut self, dict: &Owned, mut items: Drain<'_, Owned>) -> PyResult<bool> {
        // SAFETY: live objects of ours; PyDict_SetItem takes its own references.
        unsafe {
            if ffi::PyDict_Check(dict.as_ptr()) == 0 {
                return Ok(false);
            }
            while let (Some(key), Some(value)) = (items.next(), items.next()) {
                self.status(ffi::PyDict_SetItem(
                    dict.as_ptr(),
                    key.as_ptr(),
                    value.as_ptr(),
                ))?;
            }
        }
        Ok(true)
    }

    fn add_items(&mut self, set: &Owned, items: Drain<'_, Owned>) -> PyResult<bool> {
        // SAFETY: live objects of ours; PySet_Add takes its own reference.
        unsafe {
            if ffi::PySet_Check(set.as_ptr()) == 0 {
                return Ok(false);
            }
            for item in items {
                self.status(ffi::PySet_Add(set.as_ptr(), item.as_ptr()))?;
            }
        }
        Ok(true)
    }
}
