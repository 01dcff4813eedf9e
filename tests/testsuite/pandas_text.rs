//! `show` of pandas objects against what pandas itself printed: for every pandas file of
//! every committed zoo stack (pandas 1.5, 2.2 and 3.1), the lines pandas wrote
//! (`repr(obj)`, saved beside the pickle as `.txt`) must appear, each byte equal and in
//! order, in what `show --width 80` prints (80 is pandas' display width when it prints
//! to no terminal). Files whose text cannot be equal yet are named below with the reason,
//! each as an ignored test that runs the same comparison.

use std::path::PathBuf;

use picklegraph::render::show::{layout::Layout, ShowOptions};

/// What `show` prints for a zoo file, at pandas' width of 80 columns.
fn show_text(path: &str) -> String {
    show_at(path, 80)
}

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
    let shown = show_text(path);
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

macro_rules! not_yet_equal {
    ($($test:ident: $path:literal, $why:literal;)*) => {
        /// The files whose text `show` does not print yet.
        const NOT_YET_EQUAL: &[&str] = &[$($path),*];
        $(
            #[test]
            #[ignore = $why]
            fn $test() {
                if let Some(difference) = difference($path) {
                    panic!("{difference}");
                }
            }
        )*
    };
}

not_yet_equal! {
    scalars_current: "current/pandas/scalars.pkl", "show breaks a list wider than 80 columns one item a line, where Python writes one line";
    scalars_old: "old/pandas/scalars.pkl", "show breaks a list wider than 80 columns one item a line, where Python writes one line";
    scalars_pandas1: "pandas1/pandas/scalars.pkl", "show breaks a list wider than 80 columns one item a line, where Python writes one line";
}

#[test]
fn show_of_every_pandas_zoo_file_prints_what_pandas_printed() {
    let files = pandas_files();
    assert!(files.len() >= 80, "the zoo's pandas files: {}", files.len());
    let differences: Vec<String> = files
        .iter()
        .filter(|path| !NOT_YET_EQUAL.contains(&path.as_str()))
        .filter_map(|path| difference(path))
        .collect();
    assert!(differences.is_empty(), "{}", differences.join("\n\n"));
    for path in NOT_YET_EQUAL {
        assert!(files.iter().any(|f| f == path), "{path} is not a zoo file");
    }
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
fn pandas_scalars_in_a_list_are_their_reprs_where_the_line_fits() {
    for stack in ["pandas1", "old", "current"] {
        let path = format!("{stack}/pandas/scalars.pkl");
        let printed = std::fs::read_to_string(zoo(&path).with_extension("txt")).unwrap();
        let shown = show_at(&path, 120);
        assert!(
            shown.lines().any(|l| l == printed.trim_end()),
            "{path}: {shown}"
        );
    }
}
