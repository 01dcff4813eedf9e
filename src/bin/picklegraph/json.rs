//! `picklegraph json`: the graph as JSON, one document per pickle (see docs/json.md).

use clap::Args;
use picklegraph::render::json;

use crate::input;
use crate::{Files, EXIT_OK};

/// Arguments of `json`.
#[derive(Debug, Args)]
pub struct JsonArgs {
    #[command(flatten)]
    files: Files,
}

/// Runs `json`: each document names its file, so several files make one stream of
/// documents (no `==> NAME <==` headers).
pub fn run(args: &JsonArgs) -> u8 {
    input::for_each_with(&args.files, false, |input, out| {
        for result in input::pickles(&input.bytes) {
            let written = match &result {
                Ok(pickle) => json::write_json(pickle, Some(&input.name), &mut *out),
                Err(failure) => json::write_failure_json(failure, Some(&input.name), &mut *out),
            };
            if let Err(error) = written {
                return input::write_failed(&input.name, &error);
            }
            if let Err(failure) = result {
                return input::report(&input.name, &failure.error, out);
            }
        }
        EXIT_OK
    })
}
