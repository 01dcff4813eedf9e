//! Model files: PyTorch checkpoints (zip and legacy), numpy arrays, pandas frames,
//! joblib streams and out-of-band buffers.
//!
//! The checkpoints in `tests/fixtures/torch/` are written by `gen/model_cases.py`
//! without torch; each storage's element j holds the value j, so a test that reads a
//! tensor through its byte range knows what it must find there.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use picklegraph::graph::NodeId;
use picklegraph::model::{self, Checkpoint, Format, ModelError, Weight};
use picklegraph::python::{numpy, pandas, torch};
use picklegraph::render::show::models::frame_summary;
use picklegraph::{ErrorKind, LoadOptions, Pickle};

use crate::common;

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(common::fixtures().join(path)).unwrap()
}

fn torch_fixtures() -> Vec<std::path::PathBuf> {
    common::files_with_suffix(&common::fixtures().join("torch"), "")
}

/// What the library sees in a checkpoint: its layout, its tensor table and each tensor
/// with the bytes it reads.
fn describe_checkpoint(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy();
    let mut out = format!("== {name}: {:?}\n", model::detect(&bytes));
    let checkpoint = Checkpoint::open(&bytes).unwrap();
    if let Some(zip) = checkpoint.archive() {
        let (storages, storage_bytes) = zip.storage_records();
        let pickles: Vec<&str> = zip.pickles().iter().map(|(n, _)| n.as_str()).collect();
        let _ = writeln!(
            out,
            "pickles {pickles:?}, {storages} storage records ({storage_bytes} B), byteorder {:?}, version {:?}",
            zip.byteorder(),
            zip.version()
        );
    }
    let pickle = checkpoint.load().unwrap();
    if let Some(storages) = checkpoint.legacy_storages(&pickle).unwrap() {
        let _ = writeln!(
            out,
            "{} storages after the keys pickle {:?}, ending at {} of {}",
            storages.storages.len(),
            storages.keys,
            storages.end,
            bytes.len()
        );
    }
    // A tar checkpoint's tensors are its persistent ids, which the checkpoint's
    // `tensors` member describes.
    let storages = checkpoint.storage_bytes(&pickle).unwrap();
    let tensors: Vec<_> = torch::find_named(&pickle, |id| {
        torch::tensor_in(&pickle, id, Some(storages.nested()))
    })
    .into_iter()
    .map(|(name, node, tensor)| torch::NamedTensor { name, node, tensor })
    .collect();
    for line in torch::table(tensors.iter().map(|t| (t.name.as_str(), &t.tensor))) {
        let _ = writeln!(out, "  {line}");
    }
    for (named, weight) in tensors.iter().zip(checkpoint.weights(&pickle).unwrap()) {
        let _ = writeln!(
            out,
            "{} = {} in bytes {:?}",
            named.name, named.tensor, weight.data
        );
    }
    out
}

#[test]
fn checkpoints_show_their_tensor_tables() {
    let mut text = String::new();
    for path in torch_fixtures() {
        if path.ends_with("hostile.pt") {
            continue;
        }
        text.push_str(&describe_checkpoint(&path));
    }
    insta::assert_snapshot!("torch_checkpoints", text);
}

/// The value element `j` of a storage holds, as the generator wrote it, as an f64.
pub(crate) fn expected(dtype: &str, j: u64) -> f64 {
    match dtype {
        "int8" | "uint8" | "qint8" => (j % 128) as f64,
        "bool" => (j % 2) as f64,
        "float8_e4m3fn" => (j % 256) as f64,
        "uint16" => (j % 65536) as f64,
        _ => j as f64,
    }
}

/// One element read from the file: floats and ints as their value, complex as the real
/// part, float8 as its raw byte.
pub(crate) fn decode(dtype: &str, bytes: &[u8]) -> f64 {
    let array = |n: usize| -> [u8; 8] {
        let mut buf = [0u8; 8];
        buf[..n].copy_from_slice(&bytes[..n]);
        buf
    };
    match dtype {
        "float64" | "complex128" => f64::from_le_bytes(array(8)),
        "float32" | "complex64" => f64::from(f32::from_le_bytes(bytes[..4].try_into().unwrap())),
        "float16" => {
            let bits = u16::from_le_bytes(bytes[..2].try_into().unwrap());
            let exponent = i32::from((bits >> 10) & 0x1f);
            let fraction = f64::from(bits & 0x3ff);
            match exponent {
                0 => fraction * 2f64.powi(-24),
                _ => (1.0 + fraction / 1024.0) * 2f64.powi(exponent - 15),
            }
        }
        "bfloat16" => f64::from(f32::from_bits(
            u32::from(u16::from_le_bytes(bytes[..2].try_into().unwrap())) << 16,
        )),
        "int64" => i64::from_le_bytes(array(8)) as f64,
        "int32" => f64::from(i32::from_le_bytes(bytes[..4].try_into().unwrap())),
        "int16" => f64::from(i16::from_le_bytes(bytes[..2].try_into().unwrap())),
        "int8" | "qint8" => f64::from(bytes[0] as i8),
        "uint16" => f64::from(u16::from_le_bytes(bytes[..2].try_into().unwrap())),
        "uint8" | "bool" | "float8_e4m3fn" => f64::from(bytes[0]),
        other => panic!("no decoder for {other}"),
    }
}

/// Every element of a weight read through its byte range and strides.
fn check_weight(bytes: &[u8], weight: &Weight) -> usize {
    let Some(range) = weight.data.clone() else {
        return 0;
    };
    let size = u64::from(weight.dtype.size);
    let count: u64 = weight.shape.iter().product();
    for k in 0..count {
        let (mut rest, mut step) = (k, 0u64);
        for (&dim, &stride) in weight.shape.iter().zip(&weight.stride).rev() {
            step += (rest % dim) * stride;
            rest /= dim;
        }
        let at = (range.start + step * size) as usize;
        assert!(
            at as u64 + size <= range.end,
            "{}: element {k} outside its range",
            weight.name
        );
        let got = decode(weight.dtype.name, &bytes[at..]);
        assert_eq!(
            got,
            expected(weight.dtype.name, weight.offset + step),
            "{} element {k}",
            weight.name
        );
    }
    count as usize
}

#[test]
fn weights_byte_ranges_hold_the_values_the_generator_wrote() {
    let mut checked = 0;
    for path in torch_fixtures() {
        let bytes = std::fs::read(&path).unwrap();
        let Ok(checkpoint) = Checkpoint::open(&bytes) else {
            continue;
        };
        let pickle = checkpoint.load().unwrap();
        for weight in checkpoint.weights(&pickle).unwrap() {
            assert!(weight.little_endian);
            checked += check_weight(&bytes, &weight);
        }
    }
    // state_dict (zip, legacy), training (zip, legacy), views_legacy and new_dtypes; deflated.pth
    // reads only the tensors whose storage is stored; sparse (its indices and values are
    // plain tensors), quantized (its integers and its plain neighbour) and complex128 (20
    // elements); model_tar (42 elements, one tensor on a storage view).
    assert_eq!(checked, 1054, "elements checked");
}

#[test]
fn a_tensor_at_a_storage_offset_reads_from_that_offset() {
    for name in ["torch/state_dict.pt", "torch/state_dict_legacy.pt"] {
        let bytes = fixture(name);
        let checkpoint = Checkpoint::open(&bytes).unwrap();
        let pickle = checkpoint.load().unwrap();
        let weights = checkpoint.weights(&pickle).unwrap();
        let find = |n: &str| weights.iter().find(|w| w.name == n).unwrap().clone();
        let (weight, bias, transposed) = (
            find("encoder.weight"),
            find("encoder.bias"),
            find("encoder.weight_t"),
        );
        assert_eq!(weight.storage, bias.storage, "{name}: one storage");
        assert_eq!(bias.offset, 128);
        let (weight, bias) = (weight.data.unwrap(), bias.data.unwrap());
        assert_eq!(bias.start, weight.start + 128 * 4, "{name}");
        assert_eq!(
            transposed.data.unwrap(),
            weight,
            "{name}: a transposed view reaches the same bytes"
        );
        assert!(!transposed.contiguous);
    }
}

#[test]
fn tied_weights_share_one_storage_and_count_once() {
    let bytes = fixture("torch/state_dict.pt");
    let checkpoint = Checkpoint::open(&bytes).unwrap();
    let pickle = checkpoint.load().unwrap();
    let tensors = torch::find_tensors(&pickle);
    let by_name = |n: &str| &tensors.iter().find(|t| t.name == n).unwrap().tensor;
    assert_eq!(
        by_name("embed.weight").storage,
        by_name("head.weight").storage
    );
    let totals = torch::totals(tensors.iter().map(|t| &t.tensor));
    assert_eq!((totals.tensors, totals.storages), (15, 12));
    assert!(totals.storage_bytes < totals.bytes, "{totals:?}");
}

#[test]
fn zip_and_legacy_checkpoints_hold_the_same_tensors() {
    let shapes = |name: &str| -> Vec<String> {
        let bytes = fixture(name);
        let checkpoint = Checkpoint::open(&bytes).unwrap();
        let pickle = checkpoint.load().unwrap();
        let weights = checkpoint.weights(&pickle).unwrap();
        weights
            .into_iter()
            .map(|w| {
                format!(
                    "{} {} {:?} {:?} {}",
                    w.name, w.dtype.name, w.shape, w.stride, w.offset
                )
            })
            .collect()
    };
    assert_eq!(
        shapes("torch/state_dict.pt"),
        shapes("torch/state_dict_legacy.pt")
    );
    assert_eq!(
        shapes("torch/training.ckpt"),
        shapes("torch/training_legacy.pth")
    );
}

#[test]
fn a_deflated_pickle_is_inflated_and_a_deflated_storage_has_no_byte_range() {
    let bytes = fixture("torch/deflated.pth");
    let checkpoint = Checkpoint::open(&bytes).unwrap();
    let zip = checkpoint.archive().unwrap();
    assert!(!zip.record("data.pkl").unwrap().stored);
    let pickle = checkpoint.load().unwrap();
    let weights = checkpoint.weights(&pickle).unwrap();
    for weight in &weights {
        let compressed = weight.storage == "data/0";
        assert_eq!(weight.data.is_none(), compressed, "{}", weight.name);
    }
    assert_eq!(weights.len(), 15);
}

#[test]
fn a_stored_data_pkl_is_borrowed_from_the_file() {
    let bytes = fixture("torch/state_dict.pt");
    let checkpoint = Checkpoint::open(&bytes).unwrap();
    let (pickle_bytes, _) = checkpoint.pickle_bytes();
    let file = bytes.as_ptr_range();
    assert!(file.contains(&pickle_bytes.as_ptr()), "data.pkl was copied");
}

#[test]
fn storage_ids_name_their_records_and_nothing_else_is_read() {
    let bytes = fixture("torch/state_dict.pt");
    let checkpoint = Checkpoint::open(&bytes).unwrap();
    let zip = checkpoint.archive().unwrap();
    let pickle = checkpoint.load().unwrap();
    for named in torch::find_tensors(&pickle) {
        let record = zip.storage(named.tensor.storage.key).unwrap();
        assert_eq!(record.size, named.tensor.storage.nbytes(), "{}", named.name);
        assert!(named.tensor.fits_storage());
    }
}

#[test]
fn a_hostile_checkpoint_is_read_not_run() {
    let bytes = fixture("torch/hostile.pt");
    let checkpoint = Checkpoint::open(&bytes).unwrap();
    let pickle = checkpoint.load().unwrap();
    assert_eq!(
        picklegraph::render::repr::repr(&pickle, pickle.root(), 1000).0,
        "posix.system('echo pwned')"
    );
    assert!(checkpoint.weights(&pickle).unwrap().is_empty());
}

#[test]
fn files_that_are_not_checkpoints_are_refused_with_a_reason() {
    let not_torch = Checkpoint::open(b"\x80\x04K\x01.").unwrap_err();
    assert!(
        matches!(not_torch, ModelError::NotACheckpoint(_)),
        "{not_torch}"
    );
    let empty_zip = b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";
    assert!(matches!(
        Checkpoint::open(empty_zip),
        Err(ModelError::NoPickle)
    ));
    let bytes = fixture("torch/state_dict_legacy.pt");
    let truncated = &bytes[..bytes.len() - 10];
    let checkpoint = Checkpoint::open(truncated).unwrap();
    let pickle = checkpoint.load().unwrap();
    let error = checkpoint.weights(&pickle).unwrap_err();
    assert!(
        error.to_string().contains("runs past the end of the file"),
        "{error}"
    );
    assert_eq!(
        model::detect(b"\x1f\x8b\x08rest"),
        Format::Compressed("gzip")
    );
}

#[test]
fn truncated_or_corrupt_checkpoints_never_panic() {
    let bytes = fixture("torch/state_dict.pt");
    for cut in (0..bytes.len()).step_by(7) {
        if let Ok(checkpoint) = Checkpoint::open(&bytes[..cut]) {
            if let Ok(pickle) = checkpoint.load() {
                let _ = checkpoint.weights(&pickle);
            }
        }
    }
    let legacy = fixture("torch/state_dict_legacy.pt");
    for at in (0..legacy.len()).step_by(5) {
        let mut corrupt = legacy.clone();
        corrupt[at] ^= 0x5a;
        if let Ok(checkpoint) = Checkpoint::open(&corrupt) {
            if let Ok(pickle) = checkpoint.load() {
                let _ = checkpoint.weights(&pickle);
            }
        }
    }
}

/// Each node a recognizer describes, in arena order.
fn recognized(pickle: &Pickle<'_>) -> Vec<String> {
    let mut lines = Vec::new();
    for index in 0..pickle.nodes().len() {
        let id = NodeId::from_index(index);
        let found = numpy::array(pickle, id)
            .map(|a| a.to_string())
            .or_else(|| numpy::scalar(pickle, id).map(|s| s.to_string()))
            .or_else(|| numpy::dtype(pickle, id).map(|d| d.to_string()))
            .or_else(|| pandas::frame(pickle, id).map(|f| frame_summary(pickle, &f)));
        lines.extend(found.map(|text| format!("  node {index}: {text}")));
    }
    lines
}

fn describe_group(group: &str) -> String {
    let mut text = String::new();
    for path in common::files_with_suffix(&common::fixtures().join(group), ".pkl") {
        let bytes = std::fs::read(&path).unwrap();
        let _ = writeln!(text, "== {}", path.file_name().unwrap().to_string_lossy());
        let stream = model::joblib::load(&bytes, 0, &LoadOptions::default()).unwrap();
        for line in recognized(&stream.pickle) {
            let _ = writeln!(text, "{line}");
        }
        for array in &stream.arrays {
            let _ = writeln!(
                text,
                "  joblib array at {:?}: {}",
                array.data,
                stream.array(array).unwrap()
            );
        }
        for nested in &stream.nested {
            let _ = writeln!(text, "  nested pickle {:?}:", nested.span());
            for line in recognized(nested) {
                let _ = writeln!(text, "  {line}");
            }
        }
    }
    text
}

#[test]
fn numpy_arrays_dtypes_and_scalars_read_plainly() {
    insta::assert_snapshot!("numpy_fixtures", describe_group("numpy"));
}

#[test]
fn pandas_frames_show_columns_dtypes_and_shape() {
    insta::assert_snapshot!("pandas_fixtures", describe_group("pandas"));
}

#[test]
fn joblib_streams_pass_over_array_bytes_as_joblib_does() {
    insta::assert_snapshot!("joblib_fixtures", describe_group("joblib"));
}

#[test]
fn joblib_arrays_hold_their_values_and_the_stream_ends_at_the_file_end() {
    let bytes = fixture("joblib/arrays_and_objects.p4.pkl");
    let stream = model::joblib::load(&bytes, 0, &LoadOptions::default()).unwrap();
    assert_eq!(stream.end(), bytes.len());
    let shown: Vec<String> = stream
        .arrays
        .iter()
        .map(|a| stream.array(a).unwrap().to_string())
        .collect();
    assert!(
        shown.contains(
            &"ndarray(float32, (2, 3), Fortran order, 24 B) [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]"
                .to_string()
        ),
        "{shown:#?}"
    );
    assert_eq!(
        stream.nested.len(),
        1,
        "the object array is a pickle of its own"
    );
    // Without joblib's framing the raw bytes would be read as opcodes.
    assert!(picklegraph::load(&bytes).is_err());
}

#[test]
fn a_joblib_array_running_past_the_end_is_an_error() {
    let bytes = fixture("joblib/dict_with_arrays.p4.pkl");
    let cut = &bytes[..245];
    let failure = model::joblib::load(cut, 0, &LoadOptions::default()).unwrap_err();
    assert!(
        matches!(failure.error.kind(), ErrorKind::Truncated { .. }),
        "{}",
        failure.error
    );
}

#[test]
fn out_of_band_buffers_are_taken_in_order_and_borrowed() {
    let bytes = fixture("numpy/array_out_of_band.p5.pkl");
    let buffer = [0u8, 1, 2, 3];
    let pickle =
        picklegraph::load_with_buffers(&bytes, &[&buffer], &LoadOptions::default()).unwrap();
    assert_eq!(
        pickle.buffer(0).unwrap().as_ptr(),
        buffer.as_ptr(),
        "the buffer was copied"
    );
    let array = numpy::array(&pickle, pickle.root().node().unwrap()).unwrap();
    assert_eq!(
        array.to_string(),
        "ndarray(uint8, (4,), C order, 4 B) [0, 1, 2, 3]"
    );
    let inert = picklegraph::load(&bytes).unwrap();
    let array = numpy::array(&inert, inert.root().node().unwrap()).unwrap();
    assert_eq!(
        array.to_string(),
        "ndarray(uint8, (4,), C order, 4 B) data in out-of-band buffer 0"
    );
}

#[test]
fn a_next_buffer_past_the_last_buffer_is_an_error_at_its_offset() {
    let bytes = fixture("numpy/array_out_of_band.p5.pkl");
    let error = picklegraph::load_with_buffers(&bytes, &[], &LoadOptions::default()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "offset 50 (NEXT_BUFFER): not enough out-of-band buffers"
    );
}

fn picklegraph() -> Command {
    Command::new(env!("CARGO_BIN_EXE_picklegraph"))
}

#[test]
fn the_command_reads_checkpoints_through_their_pickles() {
    let path = common::fixtures().join("torch/state_dict_legacy.pt");
    let output = picklegraph().arg("repr").arg(&path).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.len(),
        5,
        "the legacy file's five pickles, not its storages"
    );
    assert_eq!(lines[0], "119547037146038801333356");
    let zip = picklegraph()
        .arg("repr")
        .arg(common::fixtures().join("torch/deflated.pth"))
        .output()
        .unwrap();
    assert!(String::from_utf8(zip.stdout).unwrap().starts_with(
        "collections.OrderedDict().update({'encoder.weight': torch._utils._rebuild_tensor_v2("
    ));
}

#[test]
fn the_command_takes_out_of_band_buffers() {
    let dir = tempfile::tempdir().unwrap();
    let buffer = dir.path().join("buffer0");
    std::fs::write(&buffer, [0u8, 1, 2, 3]).unwrap();
    let pickle = common::fixtures().join("numpy/array_out_of_band.p5.pkl");
    let ok = picklegraph()
        .arg("repr")
        .arg("--buffer")
        .arg(&buffer)
        .arg(&pickle)
        .output()
        .unwrap();
    assert!(ok.status.success());
    let missing = picklegraph()
        .arg("repr")
        .arg("--buffer")
        .arg(dir.path().join("nope"))
        .arg(&pickle)
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn a_corrupt_compressed_file_is_reported_with_its_format() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.joblib.gz");
    std::fs::write(&path, b"\x1f\x8b\x08\x00rest").unwrap();
    let output = picklegraph().arg("repr").arg(&path).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        stderr.starts_with(&format!("{}: gzip: gzip: ", path.display())),
        "{stderr}"
    );
}

/// `picklegraph show` over every file of a fixture group, as one text.
fn show_group(group: &str, suffix: &str) -> String {
    command_over_group(
        &["show", "--width", "100", "--color", "never"],
        group,
        suffix,
    )
}

/// `picklegraph ARGS FILES…` over every file of a fixture group: its output, exit status
/// and standard error as one text, with the fixtures' path made relative.
fn command_over_group(args: &[&str], group: &str, suffix: &str) -> String {
    let files = common::files_with_suffix(&common::fixtures().join(group), suffix);
    let output = picklegraph()
        .args(args)
        .args(&files)
        .current_dir(common::fixtures())
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    let root = common::fixtures().display().to_string();
    // scan's summary line says how long the run took.
    let text = text
        .split_inclusive('\n')
        .map(
            |line| match (line.starts_with("scanned "), line.split_once(") in ")) {
                (true, Some((head, tail))) => {
                    format!("{head}) in … s: {}", tail.split_once(" s: ").unwrap().1)
                }
                _ => line.to_string(),
            },
        )
        .collect::<String>();
    format!(
        "{text}\n--- exit {:?}, stderr ---\n{stderr}",
        output.status.code()
    )
    .replace(&root, "tests/fixtures")
}

#[test]
fn show_prints_checkpoints_as_tensor_tables() {
    insta::assert_snapshot!("show_torch", show_group("torch", ""));
}

#[test]
fn show_prints_numpy_pandas_and_joblib_objects_plainly() {
    for group in ["numpy", "pandas", "joblib"] {
        insta::assert_snapshot!(format!("show_{group}_models"), show_group(group, ".pkl"));
    }
}

#[test]
fn show_gives_out_of_band_buffers_to_numpy_arrays() {
    let dir = tempfile::tempdir().unwrap();
    let buffer = dir.path().join("buffer0");
    std::fs::write(&buffer, [0u8, 1, 2, 3]).unwrap();
    let pickle = common::fixtures().join("numpy/array_out_of_band.p5.pkl");
    let output = picklegraph()
        .args(["show", "--color", "never", "--buffer"])
        .arg(&buffer)
        .arg(&pickle)
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("ndarray(uint8, (4,), C order, 4 B) [0, 1, 2, 3]"),
        "{text}"
    );
}

#[test]
fn json_reads_the_pickle_inside_a_checkpoint() {
    let path = common::fixtures().join("torch/state_dict.pt");
    let output = picklegraph().arg("json").arg(&path).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let text = document.to_string();
    assert!(
        text.contains("_rebuild_tensor_v2") && text.contains("FloatStorage"),
        "{text:.300}"
    );
}

/// Every model recognizer and its rendering, on every node.
fn recognize_everything(pickle: &Pickle<'_>) {
    for index in 0..pickle.nodes().len() {
        let id = NodeId::from_index(index);
        if let Some(tensor) = torch::tensor(pickle, id) {
            let _ = (
                tensor.to_string(),
                tensor.extent_bytes(),
                tensor.fits_storage(),
            );
        }
        if let Some(entries) = torch::state_dict(pickle, picklegraph::Value::Node(id)) {
            let _ = torch::table(entries.iter().map(|(n, t)| (*n, t)));
        }
        if let Some(array) = numpy::array(pickle, id) {
            let _ = (array.to_string(), array.first_values(usize::MAX));
        }
        let _ = numpy::dtype(pickle, id).map(|d| d.to_string());
        let _ = numpy::scalar(pickle, id).map(|s| s.to_string());
        let _ = pandas::frame(pickle, id).map(|f| frame_summary(pickle, &f));
    }
    let _ = torch::find_tensors(pickle);
    let options = picklegraph::render::show::ShowOptions::default();
    let _ = picklegraph::render::show::to_text(pickle, &options);
}

#[test]
fn recognizers_never_panic_on_any_fixture_or_a_mutation_of_one() {
    let strict = LoadOptions::strict();
    for path in common::fixture_pickles() {
        let bytes = std::fs::read(&path).unwrap();
        if let Ok(stream) = model::joblib::load(&bytes, 0, &strict) {
            recognize_everything(&stream.pickle);
        }
    }
    let mut inputs: Vec<Vec<u8>> = ["numpy", "pandas", "joblib"]
        .iter()
        .flat_map(|group| common::files_with_suffix(&common::fixtures().join(group), ".pkl"))
        .map(|path| std::fs::read(path).unwrap())
        .collect();
    for path in torch_fixtures() {
        let bytes = std::fs::read(&path).unwrap();
        if let Ok(checkpoint) = Checkpoint::open(&bytes) {
            inputs.push(checkpoint.pickle_bytes().0.to_vec());
        }
    }
    let mut loaded = 0;
    for bytes in &inputs {
        for at in (0..bytes.len()).step_by(3) {
            for flip in [0x01u8, 0x80] {
                let mut mutated = bytes.clone();
                mutated[at] ^= flip;
                if let Ok(stream) = model::joblib::load(&mutated, 0, &strict) {
                    recognize_everything(&stream.pickle);
                    loaded += 1;
                }
            }
        }
    }
    assert!(loaded > 1000, "only {loaded} mutated pickles loaded");
}

#[test]
fn a_numpy_scalar_of_a_zero_size_dtype_reads_as_unknown() {
    // numpy._core.multiarray.scalar(numpy.dtype('i0', False, True), b'')
    let data = b"\x80\x02cnumpy._core.multiarray\nscalar\ncnumpy\ndtype\nX\x02\x00\x00\x00i0\x89\x88\x87RC\x00\x86R.";
    let pickle = picklegraph::load(data).unwrap();
    let scalar = numpy::scalar(&pickle, pickle.root().node().unwrap()).unwrap();
    assert_eq!(scalar.to_string(), "numpy.int0(…)");
}

/// `picklegraph scan --verbose` (every finding) over every file of a fixture group, as
/// one text.
fn scan_group(group: &str, suffix: &str) -> String {
    command_over_group(&["scan", "--verbose"], group, suffix)
}

/// The labels of the five pickles of a legacy checkpoint, in file order.
const LEGACY_LABELS: [&str; 5] = [
    "legacy: magic number",
    "legacy: protocol version",
    "legacy: sys_info",
    "legacy: saved object",
    "legacy: storage keys",
];

#[test]
fn scan_reads_checkpoints_through_their_pickles() {
    insta::assert_snapshot!("scan_torch", scan_group("torch", ""));
}

#[test]
fn scan_reads_numpy_pandas_and_joblib_files_as_their_loaders_do() {
    for group in ["numpy", "pandas", "joblib"] {
        insta::assert_snapshot!(format!("scan_{group}_models"), scan_group(group, ".pkl"));
    }
}

#[test]
fn scan_finds_the_payload_of_a_hostile_checkpoint_and_passes_the_honest_ones() {
    let scan = |name: &str| {
        picklegraph()
            .args(["scan", "--json"])
            .arg(common::fixtures().join("torch").join(name))
            .output()
            .unwrap()
    };
    let hostile = scan("hostile.pt");
    assert_eq!(hostile.status.code(), Some(3), "dangerous exits 3");
    let report: serde_json::Value = serde_json::from_slice(&hostile.stdout).unwrap();
    assert_eq!(report["verdict"], "dangerous");
    assert!(report["format"]
        .as_str()
        .unwrap()
        .starts_with("PyTorch zip checkpoint"));
    for name in ["state_dict.pt", "state_dict_legacy.pt", "training.ckpt"] {
        let honest = scan(name);
        let report: serde_json::Value = serde_json::from_slice(&honest.stdout).unwrap();
        assert_ne!(report["verdict"], "dangerous", "{name}: {report}");
        assert_ne!(report["verdict"], "malformed", "{name}: {report}");
    }
    let legacy: serde_json::Value =
        serde_json::from_slice(&scan("state_dict_legacy.pt").stdout).unwrap();
    let labels: Vec<&str> = legacy["pickles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, LEGACY_LABELS);
}

#[test]
fn scan_reads_the_pickle_of_a_joblib_object_array_and_finds_what_it_hides() {
    // arrays_and_objects holds an object array whose own pickle runs over bytes
    // 498..656 (the scan snapshot shows it); a hostile pickle in its place must alarm.
    let honest = fixture("joblib/arrays_and_objects.p4.pkl");
    assert_eq!(&honest[498..500], b"\x80\x05", "the nested pickle moved");
    let mut hostile = honest[..498].to_vec();
    hostile.extend_from_slice(b"cposix\nsystem\n(S'echo pwned'\ntR.");
    hostile.extend_from_slice(&honest[656..]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.joblib");
    std::fs::write(&path, &hostile).unwrap();
    let output = picklegraph().arg("scan").arg(&path).output().unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(3), "{text}");
    assert!(text.contains("posix.system('echo pwned')"), "{text}");
}

#[test]
fn stats_reads_checkpoints_and_joblib_files_through_their_pickles() {
    let stats = |path: &str| {
        let output = picklegraph()
            .args(["stats", "--json"])
            .arg(common::fixtures().join(path))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{path}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
            .collect::<Vec<_>>()
    };
    let zip = stats("torch/state_dict.pt");
    assert_eq!(zip.len(), 1);
    assert!(zip[0]["format"]
        .as_str()
        .unwrap()
        .starts_with("PyTorch zip checkpoint"));
    assert!(zip[0]["globals"]["torch._utils._rebuild_tensor_v2"]["references"].as_u64() > Some(1));
    let legacy = stats("torch/state_dict_legacy.pt");
    let labels: Vec<&str> = legacy
        .iter()
        .map(|p| p["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, LEGACY_LABELS);
    // joblib: the stream's pickle, then the object array's own pickle after its wrapper;
    // the raw array bytes between are passed over, not read as a pickle.
    let joblib = stats("joblib/arrays_and_objects.p4.pkl");
    assert_eq!(joblib.len(), 2);
    assert_eq!(joblib[1]["span"], serde_json::json!([498, 656]));
}

#[test]
fn dis_lists_the_pickles_inside_checkpoints() {
    let dis = |path: &str| {
        let output = picklegraph()
            .arg("dis")
            .arg(common::fixtures().join(path))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{path}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let zip = dis("torch/state_dict.pt");
    assert!(
        zip.starts_with("# PyTorch zip checkpoint: state_dict/data.pkl"),
        "{zip:.200}"
    );
    assert!(zip.contains("BINPERSID"), "{zip:.2000}");
    assert!(zip.contains("    0: \\x80 PROTO      2"), "{zip:.300}");
    let legacy = dis("torch/state_dict_legacy.pt");
    let stops = legacy.lines().filter(|line| line.ends_with("STOP")).count();
    assert_eq!(
        stops, 5,
        "the five pickles, not the storages: {legacy:.3000}"
    );
    assert!(legacy.contains("# legacy: storage keys\n"));
    // A plain pickle is still listed exactly as pickletools lists it.
    let plain = dis("numpy/array_float64.p4.pkl");
    let expected =
        std::fs::read_to_string(common::fixtures().join("numpy/array_float64.p4.dis")).unwrap();
    assert_eq!(plain, expected);
}

#[test]
fn a_tar_checkpoint_cut_or_corrupted_anywhere_never_panics_and_is_never_clean() {
    let bytes = fixture("torch/model_tar.pt");
    let whole = picklegraph::scan::scan_file(&bytes, true);
    assert_eq!(whole.verdict(), picklegraph::scan::Verdict::Clean);
    // The storages member ends at byte 4539; the rest is tar padding, which a cut may
    // drop from a file that stays whole.
    let data_end = 4539;
    let show = |bytes: &[u8]| {
        let opened = picklegraph::open(bytes);
        for entry in opened.pickles() {
            if let Ok(pickle) = entry.result {
                let storages = model::storage_bytes(bytes, entry.label.as_deref(), &pickle);
                let options = picklegraph::render::show::ShowOptions::plain(80);
                let mut out = Vec::new();
                let _ = picklegraph::render::show::show_with_storages(
                    &pickle,
                    &options,
                    &storages,
                    &mut usize::MAX.clone(),
                    &mut out,
                );
            }
        }
        if let Ok(checkpoint) = Checkpoint::open(bytes) {
            if let Ok(pickle) = checkpoint.load() {
                let _ = checkpoint.weights(&pickle);
            }
        }
    };
    for cut in (0..data_end).step_by(37) {
        let part = &bytes[..cut];
        let verdict = picklegraph::scan::scan_file(part, true).verdict();
        assert_ne!(verdict, picklegraph::scan::Verdict::Clean, "cut at {cut}");
        show(part);
    }
    for at in (0..data_end).step_by(11) {
        let mut corrupt = bytes.clone();
        corrupt[at] ^= 0x5a;
        let _ = picklegraph::scan::scan_file(&corrupt, true);
        show(&corrupt);
    }
}
