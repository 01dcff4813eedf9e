//! `picklegraph show`: the objects as indented Python-like text.

use std::io::{IsTerminal, Write};

use clap::{Args, ValueEnum};
use picklegraph::render::show::{self, ShowOptions};
use picklegraph::Problem;

use crate::{contents, input};
use crate::{Files, EXIT_OK};

/// When to colour the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Arguments of `show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    #[command(flatten)]
    files: Files,
    /// Columns to fit lines in [default: $COLUMNS, else the terminal's width, else 100]
    #[arg(long, value_name = "COLUMNS")]
    width: Option<usize>,
    /// Elide containers nested deeper than N levels (the root is level 1)
    #[arg(long, value_name = "N")]
    depth: Option<usize>,
    /// Show N items of a container that holds more: its first half and its last, the
    /// count of the rest between them [default: over 60 items, the first 5 and last 5]
    #[arg(long, value_name = "N")]
    max_items: Option<usize>,
    /// Stop after about N bytes of output, at the end of a line, with a note [default:
    /// 65536, none when --max-items or --depth is given]
    #[arg(long, value_name = "N")]
    max_bytes: Option<usize>,
    /// Show everything: no limit on depth, items, string length or output size
    #[arg(long, conflicts_with_all = ["depth", "max_items", "max_bytes", "max_string"])]
    full: bool,
    /// Cut str and bytes longer than N characters or bytes to a head and their size
    #[arg(long, value_name = "N", default_value_t = show::DEFAULT_MAX_STRING)]
    max_string: usize,
    /// Colour the output
    #[arg(long, value_enum, value_name = "WHEN", default_value = "auto")]
    color: Color,
    /// Print every node as the pickle builds it, recognizing no library's objects
    #[arg(long)]
    raw: bool,
    /// Leave out the `# protocol …` summary line
    #[arg(long)]
    no_summary: bool,
}

impl ShowArgs {
    fn options(&self) -> ShowOptions {
        let mut options = ShowOptions::plain(self.width.unwrap_or_else(default_width).max(1));
        options.layout.color = match self.color {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                std::io::stdout().is_terminal()
                    && !std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
            }
        };
        options = options.limited(&show::Limits {
            depth: self.depth,
            max_items: self.max_items,
            max_bytes: self.max_bytes,
            max_string: self.max_string,
            full: self.full,
        });
        options.summary = !self.no_summary;
        if !self.raw {
            options.recognizers = show::default_recognizers();
        }
        options
    }
}

/// `$COLUMNS` when set (the user asked for it), else the width of the terminal that
/// standard output is, else [`show::DEFAULT_WIDTH`].
fn default_width() -> usize {
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok());
    let terminal = || terminal_size::terminal_size().map(|(width, _)| usize::from(width.0));
    columns
        .filter(|&c| c > 0)
        .or_else(terminal)
        .unwrap_or(show::DEFAULT_WIDTH)
}

/// Runs `show`.
pub fn run(args: &ShowArgs) -> u8 {
    let options = args.options();
    let buffers = match contents::Buffers::read(&args.files) {
        Ok(buffers) => buffers,
        Err(code) => return code,
    };
    let slices = buffers.slices();
    input::for_each(&args.files, |input, out| {
        let opened = contents::open(input);
        let comments = options.summary;
        let width = options.layout.width;
        if let Some(line) = opened.description().filter(|_| comments) {
            comment(out, &format!("# {line}"), width);
        }
        // The byte budget is the file's: a stream of many pickles is bounded as one is.
        let mut left = options.max_bytes;
        let mut code = EXIT_OK;
        let load = args.files.load_options(false);
        // Bytes after a last STOP that are no pickle: said with the notes, at the end.
        let mut trailing = Vec::new();
        let mut shown = 0;
        for entry in contents::pickles(&opened, &slices, &load) {
            if let Err(problem @ Problem::Trailing { .. }) = &entry.result {
                trailing.push(contents::trailing_note(entry.label.as_deref(), problem));
                continue;
            }
            if left == 0 {
                let _ = writeln!(
                    out,
                    "\n{}",
                    show::others_not_shown_note(options.max_bytes, options.layout.width)
                );
                break;
            }
            if shown > 0 {
                let _ = writeln!(out);
            }
            shown += 1;
            if let Some(label) = entry.label.as_deref().filter(|_| comments) {
                comment(out, &format!("# {label}"), width);
            }
            let written = match &entry.result {
                Ok(pickle) => {
                    let storages = picklegraph::model::storage_bytes(
                        opened.bytes(),
                        entry.label.as_deref(),
                        pickle,
                    );
                    show::show_with_storages(pickle, &options, &storages, &mut left, &mut *out)
                }
                Err(Problem::Malformed(failure)) => {
                    show::show_failure_within(failure, &options, &mut left, &mut *out)
                }
                Err(Problem::Unopened(_) | Problem::Trailing { .. }) => Ok(()),
            };
            if let Err(error) = written {
                return input::write_failed(&input.name, &error);
            }
            if let Err(problem) = &entry.result {
                code = contents::report(&input.name, entry.label.as_deref(), problem, out);
            }
        }
        if comments {
            for note in opened.notes() {
                comment(out, &format!("# note: {note}"), width);
            }
            for note in &trailing {
                comment(out, &format!("# note: {note}"), width);
            }
        } else {
            let _ = out.flush();
            for note in &trailing {
                eprintln!("{}: {note}", input.name);
            }
        }
        code
    })
}

/// Writes a `# …` comment line, wrapped at `width`.
fn comment(out: &mut dyn Write, text: &str, width: usize) {
    for line in show::doc::wrap_comment(text, width) {
        let _ = writeln!(out, "{line}");
    }
}
