//! `show` of the zoo's models against what their libraries printed: scikit-learn's repr
//! of every estimator (and of xgboost's and lightgbm's scikit-learn API), byte for byte,
//! from the `.txt` saved beside each file.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

use crate::common;

/// The zoo files whose object is a scikit-learn estimator, with the repr the library
/// printed.
fn estimator_files() -> Vec<(PathBuf, String)> {
    let zoo = common::fixtures().join("zoo");
    let dirs = [
        "pandas1/sklearn",
        "old/sklearn",
        "current/sklearn",
        "current/xgboost",
        "current/lightgbm",
    ];
    let mut files = Vec::new();
    for dir in dirs {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(zoo.join(dir))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|ext| ext != "txt"))
            .collect();
        entries.sort();
        for file in entries {
            // The boosters themselves print as `<… object at 0x…>`: no estimators.
            if file.file_stem().is_some_and(|stem| stem == "booster") {
                continue;
            }
            let txt = printed(&file);
            files.push((file, std::fs::read_to_string(txt).unwrap()));
        }
    }
    files
}

/// `name.txt` beside `name.pkl`, `name.z3.joblib` or `name.joblib`.
fn printed(file: &Path) -> PathBuf {
    let name = file.file_name().unwrap().to_string_lossy();
    let stem = name
        .strip_suffix(".pkl")
        .or_else(|| name.strip_suffix(".joblib"))
        .unwrap();
    file.with_file_name(format!("{stem}.txt"))
}

/// What `show` prints for the root, without the summary lines before it.
fn shown(file: &Path) -> String {
    let output = Command::cargo_bin("picklegraph")
        .unwrap()
        .args(["show", "--width", "100"])
        .arg(file)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", file.display());
    let text = String::from_utf8(output.stdout).unwrap();
    let start = text.find("\n\n").map_or(0, |at| at + 2);
    text[start..].to_string()
}

#[test]
fn show_of_every_zoo_estimator_starts_with_scikit_learns_repr() {
    let files = estimator_files();
    assert!(files.len() >= 50, "{} estimator files", files.len());
    let mut differ = Vec::new();
    for (file, expected) in &files {
        let expected = expected.trim_end_matches('\n');
        let shown = shown(file);
        let lines = expected.lines().count();
        let head: Vec<&str> = shown.lines().take(lines).collect();
        if head.join("\n") != expected {
            differ.push(format!(
                "{}:\n{}\n--- scikit-learn printed:\n{expected}",
                file.display(),
                head.join("\n")
            ));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n\n"));
}

#[test]
fn a_fitted_pipeline_lists_each_steps_fitted_attributes() {
    let file = common::fixtures().join("zoo/current/sklearn/pipeline.pkl");
    let shown = shown(&file);
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines[2], "  # scikit-learn 1.9.1");
    assert!(lines.contains(&"  scaler: StandardScaler"), "{shown}");
    assert!(lines.contains(&"    n_features_in_=4"), "{shown}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("    coef_: ndarray float64 (1, 4) [")),
        "{shown}"
    );
}

#[test]
fn a_forest_shows_its_first_tree_and_counts_the_others() {
    let file = common::fixtures().join("zoo/current/sklearn/random_forest.pkl");
    let shown = shown(&file);
    assert!(shown.lines().count() < 60, "{shown}");
    assert!(
        shown.contains(
            "  estimators_=[\n    DecisionTreeClassifier(max_depth=3, max_features='sqrt', random_state=209652396)\n"
        ),
        "{shown}"
    );
    assert!(
        shown.contains("    … 9 more of the same shape\n  ]"),
        "{shown}"
    );
    // The template and the fitted copy of it are one object, written once.
    assert!(
        shown.contains("  estimator=&1 DecisionTreeClassifier()\n"),
        "{shown}"
    );
    assert!(shown.contains("  estimator_=*1\n"), "{shown}");
}

/// The full modules of the torch zoo (zip and legacy `torch.save`), with `print(model)`.
const MODULE_FILES: &[&str] = &[
    "torch/torch/mlp_module.pt",
    "torch/torch/mlp_module_legacy.pt",
    "torch/torch/mlp_module_pickle_dumps.pkl",
    "torch/torch/sequential_module.pt",
    "torch/torch/sequential_module_legacy.pt",
    "torch/torch/transformer_module.pt",
    "torch/torch/transformer_module_legacy.pt",
    "torch/torch/cnn_module.pt",
    "torch/torch/lstm_module.pt",
    "torch/torch/lstm_module_legacy.pt",
    "torch/torch/layers_module.pt",
    "torch/transformers/bert_module.pt",
];

#[test]
fn show_of_every_zoo_module_prints_the_tree_print_model_prints() {
    let mut differ = Vec::new();
    for name in MODULE_FILES {
        let file = common::fixtures().join("zoo").join(name);
        let expected = std::fs::read_to_string(file.with_extension("txt")).unwrap();
        let expected: Vec<&str> = expected.trim_end_matches('\n').lines().collect();
        // Wide enough for torch's own lines: at 100, a layer whose arguments pass the
        // width breaks at its commas (checked below).
        let output = Command::cargo_bin("picklegraph")
            .unwrap()
            .args(["show", "--width", "200"])
            .arg(&file)
            .output()
            .unwrap();
        let text = String::from_utf8(output.stdout).unwrap();
        let narrow = Command::cargo_bin("picklegraph")
            .unwrap()
            .args(["show", "--width", "100"])
            .arg(&file)
            .output()
            .unwrap();
        let narrow = String::from_utf8(narrow.stdout).unwrap();
        for line in narrow.lines() {
            assert!(line.chars().count() <= 100, "{name}: {line}");
        }
        let lines: Vec<&str> = text.lines().collect();
        let start = lines.iter().position(|line| *line == expected[0]);
        let shown = start.map(|at| &lines[at..(at + expected.len()).min(lines.len())]);
        if shown != Some(expected.as_slice()) {
            differ.push(format!("{name}:\n{text}"));
        }
        // The footer counts the parameters; no hook dict is printed.
        assert!(text.contains(" parameters (float32, "), "{name}: {text}");
        assert!(!text.contains("_forward_hooks"), "{name}: {text}");
    }
    assert!(differ.is_empty(), "{}", differ.join("\n\n"));
}

#[test]
fn a_module_pickled_with_pickle_dumps_counts_the_parameters_torch_save_does() {
    // The same TinyMLP: its storages nested as `_load_from_bytes(b'…')` in one, zip
    // records in the other.
    let footer = |name: &str| {
        let file = common::fixtures().join("zoo/torch/torch").join(name);
        let output = Command::cargo_bin("picklegraph")
            .unwrap()
            .args(["show", "--no-summary"])
            .arg(&file)
            .output()
            .unwrap();
        let text = String::from_utf8(output.stdout).unwrap();
        text.lines().last().unwrap().to_string()
    };
    let dumped = footer("mlp_module_pickle_dumps.pkl");
    assert_eq!(dumped, footer("mlp_module.pt"));
    assert!(
        dumped.starts_with("# 58 parameters (float32, 232 B)"),
        "{dumped}"
    );
}

#[test]
fn a_transformer_is_its_tree_and_a_count() {
    let file = common::fixtures().join("zoo/torch/torch/transformer_module.pt");
    let shown = shown(&file);
    assert!(shown.lines().count() < 25, "{shown}");
    assert!(
        shown.contains("# 4,448 parameters (float32, 17.4 KiB): layers 4,448"),
        "{shown}"
    );
}

#[test]
fn boosters_show_their_trees_features_and_objective() {
    let cases = [
        (
            "current/xgboost/booster.pkl",
            "xgboost.core.Booster(5 trees, 4 features, objective binary:logistic; UBJSON model, 7.6 KiB)",
        ),
        (
            "current/lightgbm/booster.pkl",
            "lightgbm.basic.Booster(5 trees, 4 features, objective binary sigmoid:1; text model, 5.6 KiB)",
        ),
    ];
    for (name, expected) in cases {
        let file = common::fixtures().join("zoo").join(name);
        // What the library's model text says (lightgbm's .txt holds it).
        assert_eq!(shown(&file), format!("{expected}\n"), "{name}");
    }
    let model =
        std::fs::read_to_string(common::fixtures().join("zoo/current/lightgbm/booster.txt"))
            .unwrap();
    assert!(
        model.contains("objective=binary sigmoid:1\n") && model.contains("max_feature_idx=3\n")
    );
    assert_eq!(model.matches("\nTree=").count(), 5);
}

#[test]
fn sparse_matrices_show_as_scipy_prints_them() {
    for name in ["coo_matrix", "csc_matrix", "csr_array", "csr_matrix"] {
        let file = common::fixtures().join(format!("zoo/current/scipy/{name}.pkl"));
        let expected = std::fs::read_to_string(file.with_extension("txt")).unwrap();
        assert_eq!(
            shown(&file),
            format!("{}\n", expected.trim_end_matches('\n')),
            "{name}"
        );
    }
}

/// The zoo's dicts of tensors and state dicts, whose `.txt` is the dict's repr.
const TENSOR_FILES: &[&str] = &[
    "torch/torch/tensors.pt",
    "torch/torch/tensor_values.pt",
    "torch/torch/tensor_values_legacy.pt",
    "torch/torch/tensor_kinds.pt",
    "torch/torch/tensor_kinds_legacy.pt",
    "torch/torch/cnn_state_dict.pt",
    "torch/torch/lstm_state_dict.pt",
    "torch/torch/layers_state_dict.pt",
    "torch/torch/mlp_state_dict.pt",
    "torch/torch/mlp_state_dict_legacy.pt",
    "torch/torch/state_dict_pickle_dumps.pkl",
    "torch/torch/transformer_state_dict.pt",
    "torch/torch/transformer_state_dict_legacy.pt",
    "torch/transformers/bert_state_dict.pt",
];

/// The `'name': tensor(…)` entries `show` writes under a table of tensors, each with its
/// lines un-indented: the parts of the dict's repr.
fn tensor_entries(shown: &str) -> Vec<String> {
    let lines: Vec<&str> = shown.lines().collect();
    let totals = lines
        .iter()
        .position(|line| line.starts_with("  ") && line.contains(" tensors, "))
        .expect("a totals line");
    let mut entries: Vec<String> = Vec::new();
    // A tensor written under its key (`'key':`, then the tensor one level in).
    let mut under = false;
    for line in &lines[totals + 1..] {
        let Some(text) = line.strip_prefix("  ").or((line.is_empty()).then_some("")) else {
            break;
        };
        let text = match under {
            true => text.strip_prefix("  ").unwrap_or(text),
            false => text,
        };
        if text.starts_with('\'') {
            under = text.ends_with("':");
            entries.push(match under {
                true => format!("{text} "),
                false => text.to_string(),
            });
        } else if under && entries.last().is_some_and(|last| last.ends_with("': ")) {
            entries.last_mut().unwrap().push_str(text);
        } else if text.starts_with('.') || entries.is_empty() {
            break;
        } else {
            let last = entries.last_mut().unwrap();
            last.push('\n');
            // A blank line of a 3-d tensor keeps the block's indentation.
            last.push_str(text.trim_end());
        }
    }
    // The blank line between pickles is no part of the last entry.
    for entry in &mut entries {
        entry.truncate(entry.trim_end().len());
    }
    entries
}

#[test]
fn show_of_every_zoo_state_dict_writes_each_tensor_as_torch_prints_it() {
    let mut differ = Vec::new();
    for name in TENSOR_FILES {
        let file = common::fixtures().join("zoo").join(name);
        let expected = std::fs::read_to_string(file.with_extension("txt")).unwrap();
        // Wide enough for torch's own layout at its 80 columns after any key: some of
        // its lines are longer (a row of `0.` is laid out as if each took one column).
        let output = Command::cargo_bin("picklegraph")
            .unwrap()
            .args(["show", "--full", "--width", "200"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(output.status.success(), "{name}");
        let entries = tensor_entries(&String::from_utf8(output.stdout).unwrap());
        // torch prints a dict as `{'k': v, …}` and an OrderedDict as
        // `OrderedDict([('k', v), …])`.
        let printed = match expected.starts_with("OrderedDict([") {
            true => {
                let pairs: Vec<String> = entries
                    .iter()
                    .map(|entry| format!("({})", entry.replacen("': ", "', ", 1)))
                    .collect();
                format!("OrderedDict([{}])\n", pairs.join(", "))
            }
            false => format!("{{{}}}\n", entries.join(", ")),
        };
        if printed != expected {
            differ.push(format!(
                "{name}:\n{printed}\n--- torch printed:\n{expected}"
            ));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n\n"));
}

#[test]
fn a_tensor_without_its_storage_says_why() {
    // The zoo's tensors.pt as a bare pickle: its data.pkl without the archive.
    let file = common::fixtures().join("zoo/torch/torch/tensors.pt");
    let bytes = std::fs::read(&file).unwrap();
    let zip = picklegraph::model::archive::TorchZip::open(&bytes).unwrap();
    let output = Command::cargo_bin("picklegraph")
        .unwrap()
        .args(["show", "-"])
        .write_stdin(zip.data_pkl().to_vec())
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("# values not shown: a pickle alone holds no tensor data"),
        "{text}"
    );
    assert!(!text.contains("tensor(["), "{text}");
}

#[test]
fn numpy_scalars_show_as_the_numpy_that_wrote_them_prints_them() {
    // numpy 2 names the type (`np.float64(1.5)`), numpy 1 writes the bare value (`1.5`);
    // the pickle says which wrote it (`numpy._core` or `numpy.core`).
    for stack in ["current", "old", "pandas1"] {
        let file = common::fixtures().join(format!("zoo/{stack}/numpy/scalars.pkl"));
        let expected = std::fs::read_to_string(file.with_extension("txt")).unwrap();
        let output = Command::cargo_bin("picklegraph")
            .unwrap()
            .args(["show", "--no-summary", "--width", "300"])
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8(output.stdout).unwrap(),
            expected,
            "{stack}"
        );
    }
}
