//! The arrays a numpy or joblib file stores beside (or instead of) a pickle, with where
//! their elements lie in the file, so a program can map them without numpy's loader:
//!
//! - an `.npy` file (`np.save`): one array, named `arr_0` as `np.load` of an `.npz`
//!   would name it, its elements right after the header;
//! - an `.npz` archive (`np.savez`, `np.savez_compressed`): one array per `.npy` member,
//!   named as `np.load(...)[name]` takes it (the member name less `.npy`); a deflated
//!   member's header is inflated to read it, and its elements have no byte range;
//! - a joblib file: each array `NumpyArrayWrapper` stores after the pickle, named by its
//!   place in the object (`weights`, `coef_`, `layers.0`), as
//!   [`find_named`](crate::python::torch::find_named) names a checkpoint's tensors.
//!
//! An array of Python objects has no element bytes (its elements are a pickle); it is
//! listed with [`StoredArray::objects`] set and no byte range.
//!
//! ```
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/joblib/dict_with_arrays.p4.pkl");
//! let bytes = std::fs::read(path).unwrap();
//! let (format, arrays) = picklegraph::model::arrays::stored_arrays(&bytes).unwrap().unwrap();
//! assert_eq!(format, "joblib");
//! assert_eq!((arrays[0].descr.as_str(), arrays[0].shape.as_slice()), ("<f4", &[5][..]));
//! ```

use std::io::Read;
use std::ops::Range;

use super::joblib;
use super::ModelError;
use crate::container::{npy, zip};
use crate::python::{numpy, torch};
use crate::LoadOptions;

/// Most bytes of a deflated `.npz` member inflated to read its header (numpy's own
/// header limit is 10,000 bytes; [`npy::header`] takes up to 1 MiB).
const MAX_HEADER_INFLATED: u64 = (1 << 20) + 12;

/// One array stored in a numpy or joblib file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredArray {
    /// `arr_0` (`.npy`), the member name less `.npy` (`.npz`), or its place (joblib).
    pub name: String,
    /// numpy's `dtype.str` (`<f8`, `|b1`, `<U3`), or a structured dtype's description as
    /// an `.npy` header writes it (`[('x', '<i4'), ('y', '<f8')]`).
    pub descr: String,
    /// numpy's `str(dtype)` where it is a name (`float64`, `bool`), else `descr`.
    pub dtype: String,
    /// The size of each dimension.
    pub shape: Vec<u64>,
    /// Whether the elements are in Fortran (column-major) order.
    pub fortran: bool,
    /// Whether the elements are Python objects (stored as a pickle, not as bytes).
    pub objects: bool,
    /// The elements' bytes in the file, when they lie there as they are (not in a
    /// deflated member, not objects).
    pub data: Option<Range<u64>>,
}

/// The arrays of a `.npy`, `.npz` or joblib file, with the format's name (`npy`, `npz`,
/// `joblib`); `None` for a file that is none of these (a checkpoint, a plain pickle).
///
/// # Errors
/// A header or a joblib stream that cannot be read.
pub fn stored_arrays(bytes: &[u8]) -> Result<Option<(&'static str, Vec<StoredArray>)>, ModelError> {
    if bytes.starts_with(npy::MAGIC) {
        let header = npy::header(bytes).map_err(|e| layout(0, e.to_string()))?;
        let end = bytes.len() as u64;
        return Ok(Some((
            "npy",
            vec![npy_array("arr_0", &header, 0, Some(end))],
        )));
    }
    if bytes.starts_with(b"PK") {
        let Ok(directory) = zip::directory(bytes) else {
            return Ok(None);
        };
        let members: Vec<&zip::Member> = directory.members.iter().filter(|m| !m.is_dir).collect();
        if members.is_empty() || !members.iter().all(|m| m.name.ends_with(".npy")) {
            return Ok(None);
        }
        let arrays = members
            .into_iter()
            .map(|member| npz_member(bytes, member))
            .collect::<Result<_, _>>()?;
        return Ok(Some(("npz", arrays)));
    }
    joblib_arrays(bytes)
}

fn layout(offset: u64, detail: String) -> ModelError {
    ModelError::Layout { offset, detail }
}

/// An array from its `.npy` header, whose file starts at `start` and ends at `end`
/// (`None` when the elements cannot be mapped).
fn npy_array(name: &str, header: &npy::NpyHeader, start: u64, end: Option<u64>) -> StoredArray {
    let descr = header
        .descr
        .strip_prefix('\'')
        .and_then(|d| d.strip_suffix('\''))
        .unwrap_or(&header.descr)
        .to_string();
    let data = end
        .filter(|_| !header.has_objects)
        .map(|end| start + header.data_start as u64..end)
        .filter(|range| range.start <= range.end);
    StoredArray {
        name: name.to_string(),
        dtype: dtype_name(&descr),
        descr,
        shape: header.shape.clone(),
        fortran: header.fortran_order,
        objects: header.has_objects,
        data,
    }
}

fn npz_member(bytes: &[u8], member: &zip::Member) -> Result<StoredArray, ModelError> {
    let name = member.name.strip_suffix(".npy").unwrap_or(&member.name);
    let range = member.data.start as usize..member.data.end as usize;
    let stored = bytes.get(range).ok_or_else(|| {
        layout(
            member.data.start,
            format!("{}: past the end of the file", member.name),
        )
    })?;
    let header = match member.method {
        0 => npy::header(stored),
        8 => {
            let mut head = Vec::new();
            flate2::read::DeflateDecoder::new(stored)
                .take(MAX_HEADER_INFLATED)
                .read_to_end(&mut head)
                .map_err(|e| layout(member.data.start, format!("{}: {e}", member.name)))?;
            npy::header(&head)
        }
        method => {
            return Err(layout(
                member.data.start,
                format!("{}: compression method {method}", member.name),
            ))
        }
    }
    .map_err(|e| layout(member.data.start, format!("{}: {e}", member.name)))?;
    let end = (member.method == 0).then_some(member.data.end);
    Ok(npy_array(name, &header, member.data.start, end))
}

/// A joblib file's arrays: those that follow a `NumpyArrayWrapper`, named by their place.
fn joblib_arrays(bytes: &[u8]) -> Result<Option<(&'static str, Vec<StoredArray>)>, ModelError> {
    let Ok(stream) = joblib::load(bytes, 0, &LoadOptions::default()) else {
        return Ok(None);
    };
    if stream.arrays.is_empty() {
        return Ok(None);
    }
    let pickle = &stream.pickle;
    let names = torch::find_named(pickle, |id| {
        stream.arrays.iter().position(|array| array.wrapper == id)
    });
    let mut taken = std::collections::HashSet::new();
    let mut arrays = Vec::new();
    for (name, id, index) in names {
        let Some(array) = numpy::array(pickle, id) else {
            continue;
        };
        let stored = &stream.arrays[index];
        let objects = stored.nested.is_some();
        let descr = array.dtype.str_form();
        // Two arrays under one object without keys (a frame's blocks) get one name:
        // the second and later take `#2`, `#3`.
        let mut unique = name.clone();
        let mut count = 1;
        while !taken.insert(unique.clone()) {
            count += 1;
            unique = format!("{name}#{count}");
        }
        arrays.push(StoredArray {
            name: unique,
            dtype: array.dtype.name(),
            descr,
            shape: array.shape,
            fortran: array.fortran,
            objects,
            data: (!objects).then_some(stored.data.start as u64..stored.data.end as u64),
        });
    }
    Ok(Some(("joblib", arrays)))
}

/// numpy's `str(dtype)` of a simple type string (`<f8` is `float64`); a structured
/// description, or a type without a name, is kept as written.
fn dtype_name(descr: &str) -> String {
    let code = descr.trim_start_matches(['<', '>', '|', '=']);
    let (kind, rest) = code.split_at(code.chars().next().map_or(0, char::len_utf8));
    let size: Option<u64> = rest.parse().ok();
    let name = match (kind, size) {
        ("b", Some(1)) => "bool".to_string(),
        ("f", Some(n @ (2 | 4 | 8 | 16))) => format!("float{}", n * 8),
        ("i", Some(n @ (1 | 2 | 4 | 8))) => format!("int{}", n * 8),
        ("u", Some(n @ (1 | 2 | 4 | 8))) => format!("uint{}", n * 8),
        ("c", Some(n @ (8 | 16 | 32))) => format!("complex{}", n * 8),
        ("O", _) => "object".to_string(),
        ("M" | "m", _) if rest.starts_with('8') => {
            let base = if kind == "M" {
                "datetime64"
            } else {
                "timedelta64"
            };
            format!("{base}{}", &rest[1..])
        }
        _ => return descr.to_string(),
    };
    // A byte order other than the machine's (little-endian) is part of numpy's name.
    if descr.starts_with('>') && !matches!(kind, "b" | "O") && size != Some(1) {
        return descr.to_string();
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_strings_are_named_as_numpy_names_them() {
        for (descr, name) in [
            ("<f8", "float64"),
            ("|b1", "bool"),
            ("|i1", "int8"),
            ("<u2", "uint16"),
            ("<c16", "complex128"),
            ("|O", "object"),
            ("<M8[ns]", "datetime64[ns]"),
            (">f4", ">f4"),
            ("<U3", "<U3"),
            ("[('x', '<i4')]", "[('x', '<i4')]"),
        ] {
            assert_eq!(dtype_name(descr), name, "{descr}");
        }
    }
}
