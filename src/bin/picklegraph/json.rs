//! `picklegraph json`: the graph as JSON, one document per file (see docs/json.md): a
//! file of one pickle is that pickle's document; a file of several (a stream, a legacy
//! checkpoint, a zip's members) is a document that holds theirs in `"pickles"`.

use std::io::Write;

use clap::Args;
use picklegraph::render::json;
use picklegraph::{Entry, Problem};
use serde_json::Value as Json;

use crate::input::{self, Input};
use crate::{contents, Files, EXIT_OK};

/// Arguments of `json`.
#[derive(Debug, Args)]
pub struct JsonArgs {
    #[command(flatten)]
    files: Files,
}

/// Runs `json`: each document names its file, so several files make one stream of
/// documents (no `==> NAME <==` headers).
pub fn run(args: &JsonArgs) -> u8 {
    let buffers = match contents::Buffers::read(&args.files) {
        Ok(buffers) => buffers,
        Err(code) => return code,
    };
    let slices = buffers.slices();
    input::for_each_with(&args.files, false, |input, out| {
        let opened = contents::open(input);
        let load = args.files.load_options(false);
        let mut entries = contents::pickles(&opened, &slices, &load);
        let mut code = EXIT_OK;
        // Bytes after a last STOP that are no pickle, for the document's "trailing".
        let mut trailing = Vec::new();
        // The entries that make a document; a part that could not be opened is only
        // reported, as it has no graph to write.
        let mut next = |code: &mut u8, trailing: &mut Vec<Json>, out: &mut dyn Write| {
            for entry in entries.by_ref() {
                match &entry.result {
                    Err(problem @ Problem::Unopened(_)) => {
                        let reported =
                            contents::report(&input.name, entry.label.as_deref(), problem, out);
                        *code = input::worse(*code, reported);
                    }
                    Err(
                        problem @ Problem::Trailing {
                            start,
                            len,
                            failure,
                        },
                    ) => {
                        trailing.push(json::trailing_json(
                            entry.label.as_deref(),
                            *start,
                            *len,
                            &failure.error,
                            contents::trailing_note(None, problem),
                        ));
                    }
                    _ => return Some(entry),
                }
            }
            None
        };
        let Some(first) = next(&mut code, &mut trailing, out) else {
            return code;
        };
        // A second pickle is loaded before the first is written, to know the shape.
        let Some(second) = next(&mut code, &mut trailing, out) else {
            let mut fields = vec![("file", Json::from(input.name.as_str()))];
            if !trailing.is_empty() {
                fields.push(("trailing", Json::from(trailing)));
            }
            return input::worse(code, write_entry(input, first, &fields, out));
        };
        let started =
            json::write_several_start(Some(input.name.as_str()), opened.description(), &mut *out);
        if let Err(error) = started {
            return input::write_failed(&input.name, &error);
        }
        let mut pending = Some(second);
        let mut entry = first;
        loop {
            let fields: Vec<_> = entry
                .label
                .as_deref()
                .map(|label| ("label", Json::from(label)))
                .into_iter()
                .collect();
            code = input::worse(code, write_entry(input, entry, &fields, out));
            entry = match pending.take() {
                Some(entry) => entry,
                None => match next(&mut code, &mut trailing, out) {
                    Some(entry) => entry,
                    None => break,
                },
            };
            if let Err(error) = write!(out, ",") {
                return input::write_failed(&input.name, &error);
            }
        }
        if let Err(error) = json::write_several_end(trailing, &mut *out) {
            return input::write_failed(&input.name, &error);
        }
        code
    })
}

/// Writes one pickle's document (or its failure's), with `fields` after the version,
/// and reports a failure on stderr.
fn write_entry(
    input: &Input,
    entry: Entry<'_>,
    fields: &[(&str, Json)],
    out: &mut dyn Write,
) -> u8 {
    let written = match &entry.result {
        Ok(pickle) => json::write_json_with(pickle, fields, &mut *out),
        Err(Problem::Malformed(failure)) => {
            json::write_failure_json_with(failure, fields, &mut *out)
        }
        Err(Problem::Unopened(_) | Problem::Trailing { .. }) => Ok(()),
    };
    if let Err(error) = written {
        return input::write_failed(&input.name, &error);
    }
    match &entry.result {
        Ok(_) => EXIT_OK,
        Err(problem) => contents::report(&input.name, entry.label.as_deref(), problem, out),
    }
}
