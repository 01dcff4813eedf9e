//! joblib files written before joblib 0.10, which current `joblib.load` still reads
//! (`joblib.numpy_pickle_compat`): each array that holds no objects is in a file beside
//! the pickle, which names it.
//!
//! - `joblib.numpy_pickle.NDArrayWrapper` (a plain dump): its state's `filename` is an
//!   `.npy` file (`np.save`'s) in the pickle's folder, `NAME_01.npy`;
//! - `joblib.numpy_pickle.ZNDArrayWrapper` (a compressed dump, whose pickle is itself a
//!   Z-file): `filename` is a Z-file of the array's raw bytes, `NAME_01.npy.z`, and its
//!   `state` is `(1, shape, dtype, fortran)`, what `ndarray.__reduce__` gives but the
//!   bytes.
//!
//! [`side_arrays`] reads where each array is from the pickle alone; reading a side file
//! is the caller's (the library reads no path), after [`side_file_name`] has checked
//! that the name stays inside the pickle's folder.
//!
//! ```
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/containers/joblib_0.9_zlib.pkl");
//! let arrays = picklegraph::model::old_joblib::side_arrays(&std::fs::read(path).unwrap()).unwrap();
//! let ids = &arrays[1];
//! assert_eq!((ids.name.as_str(), ids.file.as_str()), ("ids", "joblib_0.9_zlib.pkl_02.npy.z"));
//! assert_eq!((ids.shape.as_deref(), ids.fortran), (Some(&[2, 3][..]), true));
//! ```

use crate::graph::{NodeId, Pickle, Value};
use crate::python::{numpy, torch, view};

/// An array kept in a file beside the pickle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SideArray {
    /// Its place in the object (`weights`, `coef_`), as a checkpoint's tensors are named.
    pub name: String,
    /// The file's name, as the pickle gives it (not checked: see [`side_file_name`]).
    pub file: String,
    /// Whether the file is a Z-file of raw bytes (`ZNDArrayWrapper`), not an `.npy`.
    pub compressed: bool,
    /// For a Z-file, numpy's `dtype.str` and `str(dtype)` from the pickle.
    pub dtype: Option<(String, String)>,
    /// For a Z-file, the shape from the pickle.
    pub shape: Option<Vec<u64>>,
    /// For a Z-file, whether the bytes are in Fortran order.
    pub fortran: bool,
}

/// The arrays of a joblib < 0.10 file (plain, or its pickle a Z-file), in the order the
/// object holds them; `None` when the file's first pickle holds no such wrapper.
pub fn side_arrays(bytes: &[u8]) -> Option<Vec<SideArray>> {
    let opened = crate::open(bytes);
    let pickle = opened.pickles().next()?.result.ok()?;
    let found = torch::find_named(&pickle, |id| wrapper(&pickle, id));
    if found.is_empty() {
        return None;
    }
    Some(
        found
            .into_iter()
            .map(|(name, _, array)| SideArray { name, ..array })
            .collect(),
    )
}

/// The wrapper at `id`, if it is one, its name left empty.
fn wrapper(pickle: &Pickle<'_>, id: NodeId) -> Option<SideArray> {
    let made = view::made(pickle, Value::Node(id))?;
    let (module, class) = view::global(pickle, made.func)?;
    let compressed = match (module, class) {
        ("joblib.numpy_pickle", "NDArrayWrapper") => false,
        ("joblib.numpy_pickle", "ZNDArrayWrapper") => true,
        _ => return None,
    };
    let state = made.state()?;
    let file = view::text(pickle, view::dict_field(pickle, state, "filename")?)?.to_string();
    let mut array = SideArray {
        name: String::new(),
        file,
        compressed,
        dtype: None,
        shape: None,
        fortran: false,
    };
    if compressed {
        // (version, shape, dtype, fortran), as ndarray.__reduce__'s state less its bytes.
        let layout = view::dict_field(pickle, state, "state")
            .and_then(|value| view::tuple(pickle, value))
            .filter(|items| items.len() == 4);
        if let Some(items) = layout {
            let item = |index: usize| items.get(index).unwrap_or(Value::None);
            array.shape = view::counts(pickle, item(1));
            array.dtype = item(2)
                .node()
                .and_then(|node| numpy::dtype(pickle, node))
                .map(|dtype| (dtype.str_form(), dtype.name()));
            array.fortran = view::boolean(item(3)).unwrap_or(false);
        }
    }
    Some(array)
}

/// `name` when it names a file in the pickle's own folder: one path component, not `.`
/// or `..`, no NUL. A name that leads anywhere else is refused with why: joblib joins it
/// to the folder and reads whatever it reaches.
/// ```
/// use picklegraph::model::old_joblib::side_file_name;
/// assert_eq!(side_file_name("model.pkl_01.npy"), Ok("model.pkl_01.npy"));
/// assert!(side_file_name("../secret.npy").is_err());
/// assert!(side_file_name("/etc/passwd").is_err());
/// ```
///
/// # Errors
/// A name with a separator, `.`, `..`, empty, or with a NUL.
pub fn side_file_name(name: &str) -> Result<&str, String> {
    let plain =
        !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0']);
    match plain {
        true => Ok(name),
        false => Err(format!(
            "the array file {name:?} is not a plain name in the pickle's folder; nothing outside it is read"
        )),
    }
}
