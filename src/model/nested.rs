//! The checkpoints nested in a pickle: `pickle.dumps` of a tensor, a parameter or a
//! state dict writes each storage as `torch.storage._load_from_bytes(b'…')`, whose
//! bytes are a whole legacy `torch.save` of the storage (five pickles, then the
//! storage's bytes). torch loads them with `torch.load`; [`read`] opens them with the
//! same reader as a legacy file ([`super::Checkpoint`]), so that `show` prints such a
//! tensor with its elements as torch does.
//!
//! Bounds: the nested checkpoint's saved object must be a storage (a persistent id), as
//! torch writes it, so nothing nested in it is opened (one level, where the scanner,
//! which judges whatever the bytes hold, goes four deep); each distinct bytes constant
//! is opened once, however many calls share it, so the work is bounded by the input;
//! and at most [`MAX_NESTED`] are opened. A stream that does not open is said, for the
//! call that loads it, instead of values.

use std::borrow::Cow;
use std::collections::HashMap;

use super::{detect, Checkpoint, Format};
use crate::graph::{Node, NodeId, Pickle, Value};
use crate::python::tensor_data::{NestedBytes, StorageBytes};
use crate::python::torch::{self, NestedStorage};

/// How many distinct nested checkpoints one pickle may have opened: a state dict of a
/// large model holds a few thousand storages.
pub const MAX_NESTED: usize = 100_000;

/// Most bytes inflated from the compressed records of all the nested zips of one pickle
/// (torch writes stored records; another writer may deflate them, a hostile one to make
/// a bomb): beyond it a storage is said to be too large.
pub const MAX_NESTED_INFLATED: u64 = 256 << 20;

/// What one nested checkpoint holds, or why it does not open.
type Opened<'a> = Result<NestedBytes<'a>, String>;

/// Reads the storage of every `torch.storage._load_from_bytes(b'…')` call of `pickle`
/// into `storages`, by call.
/// ```
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/zoo/torch/torch/tensor_pickle_dumps.pkl");
/// let bytes = std::fs::read(path).unwrap();
/// let pickle = picklegraph::load(&bytes)?;
/// let storages = picklegraph::model::storage_bytes(&bytes, None, &pickle);
/// let tensor = picklegraph::python::torch::tensor_in(
///     &pickle,
///     pickle.root().node().unwrap(),
///     Some(storages.nested()),
/// )
/// .unwrap();
/// assert_eq!((tensor.dtype.name, tensor.shape.as_slice()), ("float32", &[2, 3][..]));
/// assert_eq!(storages.get(tensor.storage.key).map(<[u8]>::len), Ok(24));
/// # Ok::<(), picklegraph::Error>(())
/// ```
pub fn read<'a>(pickle: &'a Pickle<'_>, storages: &mut StorageBytes<'a>) {
    // A nested load is a call: plain data has none.
    if pickle.inert_count() == 0 {
        return;
    }
    let mut opened: HashMap<(usize, usize), Opened<'a>> = HashMap::new();
    let mut inflate_budget = MAX_NESTED_INFLATED;
    for (index, node) in pickle.nodes().enumerate() {
        if !matches!(node, Node::Inert(_)) {
            continue;
        }
        let call = NodeId::from_index(index);
        let Some(bytes) = torch::nested_load(pickle, Value::Node(call)) else {
            continue;
        };
        // The same constant (a memo GET) is one stream, opened once.
        let identity = (bytes.as_ptr() as usize, bytes.len());
        let full = opened.len() >= MAX_NESTED;
        let result = match opened.get(&identity) {
            Some(result) => result.clone(),
            None if full => Err(format!(
                "more than {MAX_NESTED} nested checkpoints: not opened"
            )),
            None => {
                let result = open(bytes, &mut inflate_budget);
                opened.insert(identity, result.clone());
                result
            }
        };
        let result = result.map(|mut nested| {
            // Each call loads a storage of its own.
            nested.storage.key = format!("{}@{index}", nested.storage.key);
            nested
        });
        storages.insert_nested(call, result);
    }
}

/// Opens one nested checkpoint and finds its storage.
fn open<'a>(bytes: &'a [u8], inflate_budget: &mut u64) -> Opened<'a> {
    let what = |detail: String| format!("the nested checkpoint of {} bytes: {detail}", bytes.len());
    if !matches!(detect(bytes), Format::TorchLegacy | Format::Zip) {
        return Err(what("not a torch.save stream".to_string()));
    }
    let checkpoint = Checkpoint::open(bytes).map_err(|e| what(e.to_string()))?;
    let main = checkpoint.load().map_err(|e| what(e.to_string()))?;
    let storage = torch::storage(&main, main.root())
        .ok_or_else(|| what("its saved object is not a storage".to_string()))?;
    let all = checkpoint
        .storage_bytes(&main)
        .map_err(|e| what(e.to_string()))?;
    let whole = |key: &str| match checkpoint.inflated_storage(key, *inflate_budget) {
        Some(inflated) => inflated,
        None => all.get_cow(key),
    };
    let data = match storage.view {
        None => whole(storage.key),
        Some((viewed, offset, numel)) => whole(viewed).and_then(|data| {
            let size = u64::from(storage.dtype.size);
            let start = offset.saturating_mul(size);
            let end = start.saturating_add(numel.saturating_mul(size));
            let range = usize::try_from(start).ok().zip(usize::try_from(end).ok());
            let view = |data: &[u8]| {
                range
                    .and_then(|(start, end)| data.get(start..end))
                    .is_some()
            };
            if !view(&data) {
                return Err("a view past the end of its storage".to_string());
            }
            let (start, end) = range.unwrap_or_default();
            Ok(match data {
                Cow::Borrowed(data) => Cow::Borrowed(&data[start..end]),
                Cow::Owned(data) => Cow::Owned(data[start..end].to_vec()),
            })
        }),
    };
    if let Ok(Cow::Owned(inflated)) = &data {
        *inflate_budget = inflate_budget.saturating_sub(inflated.len() as u64);
    }
    let nested = NestedStorage {
        key: storage.key.to_string(),
        dtype: storage.dtype,
        untyped: storage.untyped,
        location: storage.location.to_string(),
        numel: storage.numel,
    };
    Ok(NestedBytes {
        storage: nested,
        bytes: data,
        little_endian: all.little_endian(),
    })
}
