//! `show` of pandas objects against what pandas itself printed: for every pandas file of
//! every committed zoo stack (pandas 1.5, 2.2 and 3.1), the lines pandas wrote
//! (`repr(obj)`, saved beside the pickle as `.txt`) must appear, each byte equal and in
//! order, in what `show --width 80` prints (80 is pandas' display width when it prints
//! to no terminal). A line Python wrote wider than that is the repr of a plain list
//! (`[Timedelta('1 days 02:03:04'), Period('2024-03', 'M'), …]`), which Python never
//! wraps and `show` wraps at `--width`: such a file is shown as wide as its widest line.
//!
//! A file whose pickle does not say which pandas wrote it, and whose text depends on it,
//! is listed in [`UNTOLD`] with what `show` says instead: it must differ, and say so.

use std::path::PathBuf;

use picklegraph::render::show::{layout::Layout, ShowOptions};

/// What `show` prints for a zoo file at `width` columns.
fn show_at(path: &str, width: usize) -> String {
    let file = zoo(path);
    let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let pickle = picklegraph::load(&bytes).unwrap_or_else(|e| panic!("{path}: {e}"));
    let options = ShowOptions {
        layout: Layout::new(width),
        summary: false,
        ..ShowOptions::default()
    };
    picklegraph::render::show::to_text(&pickle, &options)
}

fn zoo(path: &str) -> PathBuf {
    crate::common::repo().join("tests/fixtures/zoo").join(path)
}

/// Why `show` differs from pandas' text, or `None` when every line of it is there.
fn difference(path: &str) -> Option<String> {
    let printed = zoo(path).with_extension("txt");
    let want = std::fs::read_to_string(&printed).expect("the text pandas printed");
    let want: Vec<&str> = want.trim_end_matches('\n').lines().collect();
    let widest = want.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let shown = show_at(path, widest.max(80));
    let lines: Vec<&str> = shown.lines().collect();
    let found = lines
        .windows(want.len())
        .any(|window| window == want.as_slice());
    (!found).then(|| {
        format!(
            "{path}: pandas printed\n{}\nshow printed\n{shown}",
            want.join("\n")
        )
    })
}

/// Every pandas file of the committed stacks, as `stack/pandas/name.pkl`, and the
/// pyarrow group's frame.
fn pandas_files() -> Vec<String> {
    let mut files = Vec::new();
    for stack in ["pandas1", "old", "current"] {
        let dir = zoo(stack).join("pandas");
        for entry in std::fs::read_dir(&dir).expect("the zoo's pandas files") {
            let name = entry.expect("a directory entry").file_name();
            let name = name.to_string_lossy();
            if name.ends_with(".pkl") {
                files.push(format!("{stack}/pandas/{name}"));
            }
        }
    }
    // A frame of pyarrow-backed dtypes, written by pandas 3 in the pyarrow group.
    files.push("current/pyarrow/pandas_arrow_dtypes.pkl".to_string());
    files.sort();
    files
}

/// Files pandas 1.5 and 2.2 write byte for byte alike but print differently, with the
/// note `show` prints for them: `show` spells as pandas 2.2 does, and says so.
const UNTOLD: &[(&str, &str)] = &[(
    // `Period('2024', 'A-DEC')` in pandas 1.5, `Period('2024', 'Y-DEC')` from 2.2 on.
    "pandas1/pandas/period_annual.pkl",
    "(the pickle does not say which pandas wrote it: Y-DEC as pandas 2.2 and later spell \
     it; before 2.2, A-DEC)",
)];

#[test]
fn show_of_every_pandas_zoo_file_prints_what_pandas_printed() {
    let files = pandas_files();
    assert!(
        files.len() >= 229,
        "the zoo's pandas files: {}",
        files.len()
    );
    let differences: Vec<String> = files
        .iter()
        .filter(|path| !UNTOLD.iter().any(|(untold, _)| untold == path))
        .filter_map(|path| difference(path))
        .collect();
    assert!(differences.is_empty(), "{}", differences.join("\n\n"));
}

#[test]
fn a_file_that_does_not_say_its_pandas_differs_and_says_so() {
    for (path, note) in UNTOLD {
        assert!(difference(path).is_some(), "{path} now equals pandas' text");
        let shown = show_at(path, 200);
        assert!(shown.lines().any(|line| line == *note), "{path}: {shown}");
    }
}

#[test]
fn the_pandas_that_wrote_a_pickle_is_told_by_its_shape() {
    use picklegraph::python::pandas_era::{era, Era};
    let era_of = |path: &str| {
        let bytes = std::fs::read(zoo(path)).unwrap();
        era(&picklegraph::load(&bytes).unwrap())
    };
    // Datetimes are Cython arrays: their checksum tells Cython 0.29 (pandas 1.5) from
    // Cython 3 (pandas 2.2); pandas 3 names its classes by their public paths.
    let datetimes = [
        ("pandas1", Era::Before2_2),
        ("old", Era::Pandas2_2),
        ("current", Era::Pandas3),
    ];
    for (stack, want) in datetimes {
        assert_eq!(era_of(&format!("{stack}/pandas/column_datetime.pkl")), want);
    }
    // A frame of ints: pandas 1.5 and 2.2 write the same bytes.
    assert_eq!(era_of("pandas1/pandas/column_int.pkl"), Era::Unknown);
    assert_eq!(era_of("old/pandas/column_int.pkl"), Era::Unknown);
    assert_eq!(era_of("current/pandas/column_int.pkl"), Era::Pandas3);
}

#[test]
fn a_wide_frame_keeps_every_column_at_a_wider_width() {
    let text = show_at("current/pandas/frame_all_dtypes.pkl", 200);
    // What pandas 3.1 printed for this frame in a terminal 200 columns wide.
    let header =
        "   int  float     str   bool category   datetime               datetime_tz       \
                  timedelta   period interval  Int64  sparse string_pyarrow string_python";
    assert!(text.lines().any(|l| l == header), "{text}");
    assert!(!text.contains("..."), "{text}");
}

#[test]
fn a_list_of_pandas_scalars_wraps_at_80_columns_each_item_its_repr() {
    for stack in ["pandas1", "old", "current"] {
        let path = format!("{stack}/pandas/scalars.pkl");
        let printed = std::fs::read_to_string(zoo(&path).with_extension("txt")).unwrap();
        let shown = show_at(&path, 80);
        assert!(shown.lines().all(|l| l.chars().count() <= 80), "{shown}");
        // Python's `[a, b, …]` on one line, `show`'s one item a line: equal but for spaces,
        // line breaks and the trailing comma.
        let squeezed = |text: &str| -> String {
            let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            text.replace(",]", "]")
        };
        assert!(
            squeezed(&shown).contains(&squeezed(&printed)),
            "{path}: {shown}"
        );
    }
}

/// pandas before 3 joins an index's attributes on one line whatever its length; where that
/// line is wider than `--width`, `show` breaks before an attribute as pandas 3 does,
/// indented under the class's name. Rejoined, the lines are pandas' line.
#[test]
fn an_index_line_wider_than_the_width_breaks_before_an_attribute() {
    for path in [
        "old/pandas/datetime_index_freq_micro.pkl",
        "pandas1/pandas/datetime_index_freq_milli.pkl",
        "pandas1/pandas/datetime_index_freq_quarter_end.pkl",
    ] {
        let printed = std::fs::read_to_string(zoo(path).with_extension("txt")).unwrap();
        let printed = printed.trim_end();
        assert_eq!(printed.lines().count(), 1, "{path}: pandas wrote one line");
        let long = printed.chars().count();
        // At pandas' own width, pandas' line; narrower, broken lines that rejoin to it.
        assert!(show_at(path, long).lines().any(|l| l == printed), "{path}");
        for width in [long - 1, 80, 72] {
            let shown = show_at(path, width);
            let start = shown
                .lines()
                .position(|l| l.starts_with("DatetimeIndex("))
                .unwrap_or_else(|| panic!("{path} at {width}:\n{shown}"));
            let lines: Vec<&str> = shown.lines().skip(start).take(2).collect();
            assert!(lines.iter().all(|l| l.chars().count() <= width), "{shown}");
            assert!(lines[1].starts_with(&" ".repeat("DatetimeIndex(".len())));
            assert_eq!(format!("{} {}", lines[0], lines[1].trim_start()), printed);
        }
    }
}

/// The zoo stack's python, where its virtual environment was made
/// (`tests/fixtures/zoo/generate.py`: `$PICKLEGRAPH_ZOO_VENVS/<stack>`, by default under
/// `~/.cache/picklegraph-zoo`); CI never makes them.
fn zoo_python(stack: &str) -> Option<PathBuf> {
    let venvs = match std::env::var_os("PICKLEGRAPH_ZOO_VENVS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME")?).join(".cache/picklegraph-zoo"),
    };
    let python = venvs.join(stack).join("bin/python");
    venvs
        .join(stack)
        .join("zoo-stamp")
        .exists()
        .then_some(python)
}

/// pandas' reprs at a `display.width` narrower than 80, asked of pandas 3 itself: for
/// every pandas file of the current stack but frames, what pandas prints at widths 50
/// and 60 is in what `show` prints at that width. (A frame `show` fits to the width
/// with `...` as pandas fits one to a terminal; printed to no terminal, pandas does not.)
/// Runs where the zoo's `current` environment exists; elsewhere (CI) it says so and
/// checks nothing.
#[test]
fn pandas_reprs_narrower_than_80_columns_are_what_pandas_prints_at_that_width() {
    let Some(python) = zoo_python("current") else {
        eprintln!(
            "skipped: no zoo environment `current` (tests/fixtures/zoo/generate.py makes it)"
        );
        return;
    };
    const ASK: &str = r#"
import json, pickle, sys
import pandas as pd
out = {}
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        obj = pickle.load(f)
    if isinstance(obj, pd.DataFrame):
        continue
    for width in (50, 60):
        pd.set_option("display.width", width)
        out["%s %d" % (path, width)] = repr(obj)
print(json.dumps(out))
"#;
    let files: Vec<String> = pandas_files()
        .into_iter()
        .filter(|f| f.starts_with("current/"))
        .collect();
    let output = std::process::Command::new(python)
        .arg("-c")
        .arg(ASK)
        .args(files.iter().map(|f| zoo(f)))
        .output()
        .expect("the zoo's python runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&output.stdout).expect("pandas' reprs as JSON");
    assert!(printed.len() > 60, "{} reprs", printed.len());
    let mut differ = Vec::new();
    for (key, text) in &printed {
        let (file, width) = key.rsplit_once(' ').expect("path and width");
        let path = file
            .split_once("tests/fixtures/zoo/")
            .map_or(file, |(_, path)| path);
        let want: Vec<&str> = text.as_str().unwrap_or_default().lines().collect();
        let widest = want.iter().map(|l| l.chars().count()).max().unwrap_or(0);
        let width: usize = width.parse().expect("a width");
        let shown = show_at(path, width.max(widest));
        let lines: Vec<&str> = shown.lines().collect();
        if !lines.windows(want.len()).any(|w| w == want.as_slice()) {
            differ.push(format!(
                "{path} at {width}: pandas\n{}\nshow\n{shown}",
                want.join("\n")
            ));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n\n"));
}
