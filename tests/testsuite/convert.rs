//! `convert`: checkpoints written as safetensors, read back with the safetensors crate
//! and compared with what the library reads in the checkpoint itself; refusals.
//!
//! The torch venv's one-off check (`safetensors.torch.load_file` of every converted zoo
//! checkpoint equals `torch.load`'s tensors, byte for byte) is in the commit that adds
//! this module; CI has no torch.

use std::process::Command;

use picklegraph::convert::{self, ConvertError, ConvertOptions};
use picklegraph::model::{Checkpoint, Weight};
use picklegraph::scan::{Mode, Policy};
use safetensors::SafeTensors;

use crate::common;
use crate::models::{decode, expected};

fn zoo_checkpoints() -> Vec<std::path::PathBuf> {
    let dir = common::fixtures().join("zoo/torch/torch");
    let mut files = common::files_with_suffix(&dir, ".pt");
    files.extend(common::files_with_suffix(&dir, ".pth"));
    files.sort();
    files
}

/// The zoo's whole pickled modules name their own class (`models.TinyMLP`), which no
/// allow list holds: the user lets it through, as the scan's suggestion says.
fn trusting_models() -> ConvertOptions {
    let mut policy = Policy::new();
    policy.allow("models.*").unwrap();
    ConvertOptions::new(Mode::AllowList, policy)
}

/// A weight's elements in row-major order, each read from the checkpoint at its own
/// place (its byte range's start plus the strides), independently of the converter.
fn elements_in_file(bytes: &[u8], weight: &Weight) -> Vec<u8> {
    let size = usize::from(weight.dtype.size);
    let count: u64 = weight.shape.iter().product();
    let Some(range) = weight.data.clone() else {
        assert_eq!(count, 0, "{}: no bytes", weight.name);
        return Vec::new();
    };
    let mut out = Vec::new();
    for k in 0..count {
        let (mut rest, mut step) = (k, 0u64);
        for (&dim, &stride) in weight.shape.iter().zip(&weight.stride).rev() {
            step += (rest % dim) * stride;
            rest /= dim;
        }
        let at = range.start as usize + step as usize * size;
        out.extend_from_slice(&bytes[at..at + size]);
    }
    out
}

fn weights(bytes: &[u8]) -> Vec<Weight> {
    let checkpoint = Checkpoint::open(bytes).unwrap();
    let pickle = checkpoint.load().unwrap();
    checkpoint.weights(&pickle).unwrap()
}

#[test]
fn zoo_checkpoints_read_back_equal_to_their_tensors() {
    let mut converted = Vec::new();
    for path in zoo_checkpoints() {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(&path).unwrap();
        let written = match convert::to_bytes(&bytes, &trusting_models()) {
            Ok(written) => written,
            // TorchScript's classes (`__torch__.…`) are code: refused by the scan.
            Err(ConvertError::Refused(_)) if name.contains("torchscript") => continue,
            // Sparse and quantized tensors are more than one dense storage each.
            Err(error)
                if name.starts_with("sparse_tensors") || name.starts_with("tensor_kinds") =>
            {
                let text = error.to_string();
                assert!(
                    text.contains("a sparse tensor") || text.contains("a quantized tensor"),
                    "{name}: {text}"
                );
                continue;
            }
            Err(error) => panic!("{name}: {error}"),
        };
        let (_, metadata) = SafeTensors::read_metadata(&written).unwrap();
        let format = metadata.metadata().as_ref().and_then(|m| m.get("format"));
        assert_eq!(format.map(String::as_str), Some("pt"), "{name}");
        let read = SafeTensors::deserialize(&written).unwrap();
        let expected = weights(&bytes);
        let mut names: Vec<String> = read.names().into_iter().map(str::to_string).collect();
        names.sort();
        let mut wanted: Vec<String> = expected.iter().map(|w| w.name.clone()).collect();
        wanted.sort();
        assert_eq!(names, wanted, "{name}: the tensors written");
        for weight in &expected {
            let tensor = read.tensor(&weight.name).unwrap();
            let shape: Vec<u64> = tensor.shape().iter().map(|&d| d as u64).collect();
            assert_eq!(shape, weight.shape, "{name}: {}", weight.name);
            assert_eq!(
                Some(tensor.dtype()),
                convert::safetensors_dtype(weight.dtype.name),
                "{name}: {}",
                weight.name
            );
            assert_eq!(
                tensor.data(),
                elements_in_file(&bytes, weight),
                "{name}: {}",
                weight.name
            );
        }
        converted.push(name);
    }
    // Every zoo checkpoint but the TorchScript one: state dicts, whole modules (zip and
    // legacy), an optimizer's state, a training checkpoint, dicts of dtypes and views.
    assert_eq!(converted.len(), 22, "{converted:?}");
}

#[test]
fn views_and_shared_storages_are_written_as_their_own_elements() {
    // Element j of every storage holds j: encoder.weight is an 8x16 view of a storage
    // that encoder.bias shares from element 128, and encoder.weight_t its transpose.
    for name in [
        "state_dict.pt",
        "state_dict_legacy.pt",
        "views_legacy.pt",
        "training.ckpt",
    ] {
        let bytes = std::fs::read(common::fixtures().join("torch").join(name)).unwrap();
        let written = convert::to_bytes(&bytes, &ConvertOptions::default()).unwrap();
        let read = SafeTensors::deserialize(&written).unwrap();
        let mut checked = 0;
        for weight in weights(&bytes) {
            let tensor = read.tensor(&weight.name).unwrap();
            let size = usize::from(weight.dtype.size);
            for (k, element) in tensor.data().chunks_exact(size).enumerate() {
                let (mut rest, mut step) = (k as u64, 0u64);
                for (&dim, &stride) in weight.shape.iter().zip(&weight.stride).rev() {
                    step += (rest % dim) * stride;
                    rest /= dim;
                }
                assert_eq!(
                    decode(weight.dtype.name, element),
                    expected(weight.dtype.name, weight.offset + step),
                    "{name}: {} element {k}",
                    weight.name
                );
                checked += 1;
            }
        }
        assert!(checked > 0, "{name}");
    }
    let bytes = std::fs::read(common::fixtures().join("torch/state_dict.pt")).unwrap();
    let written = convert::to_bytes(&bytes, &ConvertOptions::default()).unwrap();
    let read = SafeTensors::deserialize(&written).unwrap();
    let transposed = read.tensor("encoder.weight_t").unwrap();
    let first: Vec<f32> = transposed.data()[..12]
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    assert_eq!(first, [0.0, 16.0, 32.0]); // row 0 of the transpose: column 0 of the storage
}

#[test]
fn tensors_safetensors_cannot_hold_are_refused_with_their_names() {
    let cases = [
        ("sparse.pt", "sparse", "a sparse tensor"),
        ("quantized.pt", "quantized", "a quantized tensor"),
        (
            "complex128.pt",
            "complex128",
            "safetensors has no dtype complex128",
        ),
        ("deflated.pth", "encoder.weight", "not stored plainly"),
    ];
    for (file, tensor, reason) in cases {
        let bytes = std::fs::read(common::fixtures().join("torch").join(file)).unwrap();
        match convert::to_bytes(&bytes, &ConvertOptions::default()) {
            Err(ConvertError::NotPlain { name, reason: why }) => {
                assert_eq!(name, tensor, "{file}");
                assert!(why.contains(reason), "{file}: {why}");
            }
            other => panic!("{file}: {other:?}"),
        }
    }
}

#[test]
fn a_checkpoint_the_scan_refuses_is_not_converted() {
    let hostile = std::fs::read(common::fixtures().join("torch/hostile.pt")).unwrap();
    let error = convert::to_bytes(&hostile, &ConvertOptions::default()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the scan's verdict is dangerous: posix.system"
    );
    let module = std::fs::read(common::fixtures().join("zoo/torch/torch/mlp_module.pt")).unwrap();
    let error = convert::to_bytes(&module, &ConvertOptions::default()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the scan's verdict is not-allowed: models.TinyMLP"
    );
    // A plain pickle passes the scan but is no checkpoint.
    let error = convert::to_bytes(b"\x80\x04K\x01.", &ConvertOptions::default()).unwrap_err();
    assert!(matches!(error, ConvertError::Model(_)), "{error:?}");
}

#[test]
fn the_command_writes_the_file_or_exits_with_the_scans_status() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("model.safetensors");
    let run = |source: &str, extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_picklegraph"))
            .arg("convert")
            .args(extra)
            .arg(common::fixtures().join(source))
            .arg(&out)
            .output()
            .unwrap()
    };
    let hostile = run("torch/hostile.pt", &[]);
    assert_eq!(hostile.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&hostile.stderr)
        .contains("not converted: the scan's verdict is dangerous: posix.system"));
    assert!(!out.exists());
    let module = run("zoo/torch/torch/mlp_module.pt", &[]);
    assert_eq!(module.status.code(), Some(4));
    let sparse = run("torch/sparse.pt", &[]);
    assert_eq!(sparse.status.code(), Some(1));
    assert!(!out.exists());
    let allowed = run(
        "zoo/torch/torch/mlp_module.pt",
        &["--allow", "models.TinyMLP"],
    );
    assert_eq!(allowed.status.code(), Some(0), "{allowed:?}");
    let written = std::fs::read(&out).unwrap();
    let read = SafeTensors::deserialize(&written).unwrap();
    let mut names: Vec<&str> = read.names();
    names.sort();
    assert_eq!(
        names,
        ["hidden.bias", "hidden.weight", "out.bias", "out.weight"]
    );
}
