//! Tensors that `show` prints with their elements beyond a checkpoint's own storages:
//! those `pickle.dumps` writes, each storage a legacy checkpoint nested in bytes
//! (`torch.storage._load_from_bytes(b'…')`), against what torch printed; and nested
//! streams that are broken or hostile, which give a note.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use picklegraph::render::show::{self, ShowOptions};

use crate::common;

fn zoo_torch(name: &str) -> PathBuf {
    common::fixtures().join("zoo/torch/torch").join(name)
}

/// `show --no-summary` of a file.
fn shown(file: &Path, width: usize) -> String {
    let output = Command::cargo_bin("picklegraph")
        .unwrap()
        .args(["show", "--no-summary", "--width", &width.to_string()])
        .arg(file)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", file.display());
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn pickle_dumps_of_a_tensor_or_parameter_shows_what_torch_prints() {
    for name in [
        "tensor_pickle_dumps",
        "parameter_pickle_dumps",
        "qint8_pickle_dumps",
        "quantized_pickle_dumps",
        "float8_pickle_dumps",
        "sparse_pickle_dumps",
    ] {
        let file = zoo_torch(&format!("{name}.pkl"));
        let expected = std::fs::read_to_string(file.with_extension("txt")).unwrap();
        assert_eq!(shown(&file, 100), expected, "{name}");
    }
}

/// `show` in process, with the storages the container layer finds, as the command
/// passes them.
fn show_bytes(bytes: &[u8]) -> String {
    let pickle = picklegraph::load(bytes).unwrap();
    let storages = picklegraph::model::storage_bytes(bytes, None, &pickle);
    let mut out = Vec::new();
    let options = ShowOptions {
        summary: false,
        ..ShowOptions::default()
    };
    show::show_with_storages(&pickle, &options, &storages, &mut { usize::MAX }, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// The zoo's `pickle.dumps(tensor)` and where its nested checkpoint lies in it.
fn tensor_pickle() -> (Vec<u8>, std::ops::Range<usize>) {
    let bytes = std::fs::read(zoo_torch("tensor_pickle_dumps.pkl")).unwrap();
    let magic = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19.";
    let start = bytes
        .windows(magic.len())
        .position(|w| w == magic)
        .expect("a nested legacy checkpoint");
    // BINBYTES: a four-byte length before the constant.
    let len = u32::from_le_bytes(bytes[start - 4..start].try_into().unwrap()) as usize;
    assert_eq!(len, 275);
    (bytes.clone(), start..start + len)
}

#[test]
fn a_nested_checkpoint_that_does_not_open_is_said_for_its_call() {
    let (bytes, nested) = tensor_pickle();
    // The magic number overwritten: no torch.save stream.
    let mut no_magic = bytes.clone();
    no_magic[nested.start + 5] ^= 0xff;
    let text = show_bytes(&no_magic);
    assert!(
        text.contains("torch.storage._load_from_bytes(b'")
            && text.contains(
                "# not read: the nested checkpoint of 275 bytes: not a torch.save stream"
            ),
        "{text}"
    );
    // The storage's element count made huge: its bytes run past the stream's end.
    let mut huge = bytes.clone();
    let count = nested.end - 24 - 8;
    huge[count + 6] = 0x7f;
    let text = show_bytes(&huge);
    assert!(text.contains("runs past the end of the file"), "{text}");
    assert!(!text.contains("tensor(["), "{text}");
}

#[test]
fn any_byte_of_a_nested_checkpoint_changed_never_panics() {
    let (bytes, nested) = tensor_pickle();
    for at in nested {
        for value in [0x00, 0x01, 0x7f, 0x80, 0xff, b'(', b'.', b'Q'] {
            let mut changed = bytes.clone();
            changed[at] = value;
            let text = show_bytes(&changed);
            assert!(!text.is_empty(), "byte {at} = {value:#x}");
        }
    }
}

/// The zoo's dicts of tensors that torch also printed at narrower line widths
/// (`<stem>.linewidth<N>.txt`, `torch.set_printoptions(linewidth=N)`).
const NARROW_PRINTS: &[(&str, usize)] = &[
    ("tensor_values", 20),
    ("tensor_values", 40),
    ("tensor_values", 60),
    ("lstm_state_dict", 20),
    ("lstm_state_dict", 40),
    ("lstm_state_dict", 60),
    ("tensor_kinds", 20),
    ("tensor_kinds", 40),
    ("tensor_kinds", 60),
];

#[test]
fn tensors_laid_out_at_a_narrow_line_width_are_what_torch_prints_at_it() {
    use picklegraph::python::{tensor_data, torch};
    use picklegraph::render::show::tensor_repr::Repr;
    for &(stem, linewidth) in NARROW_PRINTS {
        let file = zoo_torch(&format!("{stem}.pt"));
        let bytes = std::fs::read(&file).unwrap();
        let checkpoint = picklegraph::model::Checkpoint::open(&bytes).unwrap();
        let pickle = checkpoint.load().unwrap();
        let storages = checkpoint.storage_bytes(&pickle).unwrap();
        let root = pickle.root().node().unwrap();
        let state_dict = torch::state_dict_at(&pickle, root).unwrap();
        // A per-channel quantized tensor's scales and zero points are tensors of their own.
        let parts = |node| {
            let tensor = torch::tensor(&pickle, node)?;
            tensor_data::elements(&tensor, &storages).ok()
        };
        let entries: Vec<(String, String)> = state_dict
            .entries
            .iter()
            .map(|(name, tensor)| {
                let elements = tensor_data::elements(tensor, &storages).unwrap();
                let repr = Repr::with_parts(tensor, &elements, &parts).at(linewidth);
                (format!("'{name}'"), repr)
            })
            .collect();
        let printed = match state_dict.plain_dict {
            true => {
                let items: Vec<String> = entries.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                format!("{{{}}}\n", items.join(", "))
            }
            false => {
                let items: Vec<String> =
                    entries.iter().map(|(k, v)| format!("({k}, {v})")).collect();
                format!("OrderedDict([{}])\n", items.join(", "))
            }
        };
        let expected = std::fs::read_to_string(
            file.with_file_name(format!("{stem}.linewidth{linewidth}.txt")),
        )
        .unwrap();
        assert_eq!(printed, expected, "{stem} at linewidth {linewidth}");
    }
}

/// The zoo's state dicts and checkpoints of tensors.
const STATE_DICTS: &[&str] = &[
    "torch/torch/adam_state.pt",
    "torch/torch/cnn_state_dict.pt",
    "torch/torch/layers_state_dict.pt",
    "torch/torch/lstm_state_dict.pt",
    "torch/torch/mlp_state_dict.pt",
    "torch/torch/mlp_state_dict_legacy.pt",
    "torch/torch/state_dict_pickle_dumps.pkl",
    "torch/torch/tensor_values.pt",
    "torch/torch/tensor_values_legacy.pt",
    "torch/torch/tensor_kinds.pt",
    "torch/torch/tensor_kinds_legacy.pt",
    "torch/torch/sparse_tensors.pt",
    "torch/torch/tensors.pt",
    "torch/torch/training_checkpoint.pth",
    "torch/torch/transformer_state_dict.pt",
    "torch/torch/transformer_state_dict_legacy.pt",
    "torch/transformers/bert_state_dict.pt",
];

/// The lines of `show --full --no-summary --width W` of `file` longer than `W`.
fn too_long(file: &Path, width: usize) -> Vec<String> {
    let output = Command::cargo_bin("picklegraph")
        .unwrap()
        .args([
            "show",
            "--full",
            "--no-summary",
            "--width",
            &width.to_string(),
        ])
        .arg(file)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", file.display());
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter(|line| line.chars().count() > width)
        .map(str::to_string)
        .collect()
}

#[test]
fn every_line_of_a_state_dict_fits_the_width() {
    for width in [80, 100, 120] {
        for name in STATE_DICTS {
            let long = too_long(&common::fixtures().join("zoo").join(name), width);
            assert!(long.is_empty(), "{name} at {width}:\n{}", long.join("\n"));
        }
    }
}

#[test]
fn tensor_rows_and_tables_fit_a_narrow_width() {
    // Every line is held to the width, down to where a key or a tensor's name alone
    // fills it: the table then writes each name on a line of its own.
    for width in [60, 72] {
        for name in STATE_DICTS {
            let long: Vec<String> = too_long(&common::fixtures().join("zoo").join(name), width)
                .into_iter()
                .filter(|line| {
                    let text = line.trim_start();
                    let key_alone = text.starts_with('\'') && text.ends_with("':");
                    !key_alone && text.contains(' ')
                })
                .collect();
            assert!(long.is_empty(), "{name} at {width}:\n{}", long.join("\n"));
        }
    }
}

/// `bytes` with the last occurrence of `from` replaced by `to`, of the same length.
fn replace_last(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let at = bytes
        .windows(from.len())
        .rposition(|w| w == from)
        .unwrap_or_else(|| panic!("{from:?} is not in the file"));
    let mut changed = bytes.to_vec();
    changed[at..at + to.len()].copy_from_slice(to);
    changed
}

#[test]
fn quantized_sparse_and_float8_tensors_torch_would_refuse_get_a_note() {
    let read = |name: &str| std::fs::read(zoo_torch(&format!("{name}.pkl"))).unwrap();
    // (file, bytes of the outer pickle, replaced by, the note)
    let cases: &[(&str, &[u8], &[u8], &str)] = &[
        // The scale 0.1 (BINFLOAT) made a str of the same length (BINUNICODE 'abcd').
        (
            "qint8_pickle_dumps",
            b"G?\xb9\x99\x99\x99\x99\x99\x9a",
            b"X\x04\x00\x00\x00abcd",
            "its scale is not a number",
        ),
        // The zero point 10 made the str ''.
        (
            "qint8_pickle_dumps",
            b"K\x0a\x87",
            b"\x8c\x00\x87",
            "its zero point is not an int",
        ),
        // The channel axis 0 made 5, past the two dimensions.
        (
            "quantized_pickle_dumps",
            b"K\x00t\x94\x89",
            b"K\x05t\x94\x89",
            "its axis 5 is past its 2 dimensions",
        ),
        // The zero points' shape (2,) made (1,): one for two channels.
        (
            "quantized_pickle_dumps",
            b"K\x00K\x02\x85\x94K\x01\x85\x94\x89",
            b"K\x00K\x01\x85\x94K\x01\x85\x94\x89",
            "1 zero points for 2 channels",
        ),
        // The dense size (3, 4) made (3, 2): the column indices 2 and 3 are past it.
        (
            "sparse_pickle_dumps",
            b"\x93\x94K\x03K\x04\x86",
            b"\x93\x94K\x03K\x02\x86",
            "index 2 of dimension 1 is out of range for size 2",
        ),
        // The values' shape (3,) made (2,): nnz does not match the indices.
        (
            "sparse_pickle_dumps",
            b"K\x00K\x03\x85\x94K\x01\x85\x94\x89",
            b"K\x00K\x02\x85\x94K\x01\x85\x94\x89",
            "3 indices for 2 values: nnz does not match",
        ),
        // The float8 tensor's shape (7,) made (9,): past its 7-byte storage.
        (
            "float8_pickle_dumps",
            b"K\x00K\x07\x85\x94",
            b"K\x00K\x09\x85\x94",
            "the storage holds 7 bytes, fewer than the tensor reaches",
        ),
    ];
    for (name, from, to, note) in cases {
        let changed = replace_last(&read(name), from, to);
        let text = show_bytes(&changed);
        assert!(
            text.contains(&format!("# values not shown: {note}")),
            "{name}: {text}"
        );
        assert!(!text.contains("tensor(["), "{name}: {text}");
    }
}

#[test]
fn any_byte_of_a_quantized_or_sparse_pickle_changed_never_panics() {
    for name in ["quantized_pickle_dumps", "sparse_pickle_dumps"] {
        let bytes = std::fs::read(zoo_torch(&format!("{name}.pkl"))).unwrap();
        // The outer pickle's bytes after the last nested checkpoint: the parameters.
        let tail = bytes.len().saturating_sub(120);
        for at in tail..bytes.len() {
            for value in [0x00, 0x01, 0x7f, 0x80, 0xff, b'K', b'G', b'N'] {
                let mut changed = bytes.clone();
                changed[at] = value;
                if let Ok(pickle) = picklegraph::load(&changed) {
                    let storages = picklegraph::model::storage_bytes(&changed, None, &pickle);
                    let mut out = Vec::new();
                    let options = ShowOptions::default();
                    let shown = show::show_with_storages(
                        &pickle,
                        &options,
                        &storages,
                        &mut { usize::MAX },
                        &mut out,
                    );
                    assert!(shown.is_ok(), "{name}: byte {at} = {value:#x}");
                }
            }
        }
    }
}

/// The printed dict `{'k': v, …}` from `show`'s lines of a dict whose values are
/// written by the tensor recognizer: one entry a key, its lines one level in.
fn dict_repr(shown: &str) -> String {
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!((lines[0], lines[lines.len() - 1]), ("{", "}"), "{shown}");
    let mut entries: Vec<String> = Vec::new();
    for line in &lines[1..lines.len() - 1] {
        let text = line.strip_prefix("  ").unwrap_or(line.trim_end());
        match text.starts_with('\'') {
            true => entries.push(text.to_string()),
            false => {
                let last = entries.last_mut().unwrap();
                last.push('\n');
                last.push_str(text.trim_end());
            }
        }
    }
    let entries: Vec<&str> = entries.iter().map(|e| e.trim_end_matches(',')).collect();
    format!("{{{}}}\n", entries.join(", "))
}

#[test]
fn sparse_tensors_show_as_torch_prints_them() {
    let file = zoo_torch("sparse_tensors.pt");
    let expected = std::fs::read_to_string(file.with_extension("txt")).unwrap();
    assert_eq!(dict_repr(&shown(&file, 200)), expected);
    for width in [60, 80, 100, 120] {
        let long = too_long(&file, width);
        assert!(long.is_empty(), "at {width}:\n{}", long.join("\n"));
    }
}

#[test]
fn sparse_tensors_laid_out_at_a_narrow_line_width_are_what_torch_prints_at_it() {
    use picklegraph::python::{tensor_data, torch, torch_kinds, view};
    use picklegraph::render::show::tensor_repr::Repr;
    let file = zoo_torch("sparse_tensors.pt");
    let bytes = std::fs::read(&file).unwrap();
    let checkpoint = picklegraph::model::Checkpoint::open(&bytes).unwrap();
    let pickle = checkpoint.load().unwrap();
    let storages = checkpoint.storage_bytes(&pickle).unwrap();
    let parts = |node| tensor_data::elements(&torch::tensor(&pickle, node)?, &storages).ok();
    for linewidth in [20, 40, 60] {
        let entries: Vec<String> = view::dict(&pickle, pickle.root())
            .unwrap()
            .iter()
            .map(|(key, value)| {
                let sparse = torch_kinds::sparse_tensor(&pickle, value.node().unwrap(), None);
                let repr = Repr::sparse(&sparse.unwrap(), &parts).unwrap();
                format!(
                    "'{}': {}",
                    view::str(&pickle, key).unwrap(),
                    repr.at(linewidth)
                )
            })
            .collect();
        let expected = std::fs::read_to_string(
            file.with_file_name(format!("sparse_tensors.linewidth{linewidth}.txt")),
        )
        .unwrap();
        assert_eq!(
            format!("{{{}}}\n", entries.join(", ")),
            expected,
            "{linewidth}"
        );
    }
}

/// `pickle.dumps` of a 2x3 float tensor as another writer could make it: its storage a
/// torch zip checkpoint in bytes (torch nests legacy ones), its records written with
/// `method`.
fn dumps_over_a_nested_zip(method: zip::CompressionMethod) -> Vec<u8> {
    use std::io::Write;
    // ('storage', torch.FloatStorage, '0', 'cpu', 6), as a persistent id.
    let data_pkl = b"\x80\x02(X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000\
X\x03\x00\x00\x00cpuK\x06tQ.";
    let elements: Vec<u8> = [0.5f32, -1.0, 2.0, 3.0, 4.0, 5.0]
        .iter()
        .flat_map(|f| f.to_le_bytes())
        .collect();
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, bytes) in [
        ("archive/data.pkl", &data_pkl[..]),
        ("archive/byteorder", b"little"),
        ("archive/data/0", &elements),
    ] {
        writer.start_file(name, options).unwrap();
        writer.write_all(bytes).unwrap();
    }
    let nested = writer.finish().unwrap().into_inner();
    let mut pickle =
        b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n(ctorch.storage\n_load_from_bytes\nB".to_vec();
    pickle.extend((nested.len() as u32).to_le_bytes());
    pickle.extend(&nested);
    pickle.extend(b"\x85RK\x00K\x02K\x03\x86K\x03K\x01\x86\x89ccollections\nOrderedDict\n)RtR.");
    pickle
}

#[test]
fn a_nested_zip_whose_records_are_deflated_is_inflated() {
    let expected = "tensor([[ 0.5000, -1.0000,  2.0000],\n        [ 3.0000,  4.0000,  5.0000]])\n";
    for method in [
        zip::CompressionMethod::Stored,
        zip::CompressionMethod::Deflated,
    ] {
        let text = show_bytes(&dumps_over_a_nested_zip(method));
        assert_eq!(text, expected, "{method:?}");
    }
}

#[test]
fn any_byte_of_a_deflated_nested_zip_changed_never_panics() {
    let bytes = dumps_over_a_nested_zip(zip::CompressionMethod::Deflated);
    let start = 60;
    for at in start..bytes.len() {
        for value in [0x00, 0x01, 0x7f, 0xff] {
            let mut changed = bytes.clone();
            changed[at] = value;
            if picklegraph::load(&changed).is_ok() {
                assert!(!show_bytes(&changed).is_empty(), "byte {at} = {value:#x}");
            }
        }
    }
}
