//! `picklegraph json`: the graph as JSON, one document per pickle (see docs/json.md).

use clap::Args;
use picklegraph::render::json;
use picklegraph::Problem;

use crate::{contents, input};
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
    let buffers = match contents::Buffers::read(&args.files) {
        Ok(buffers) => buffers,
        Err(code) => return code,
    };
    let slices = buffers.slices();
    input::for_each_with(&args.files, false, |input, out| {
        let opened = contents::open(input);
        let mut code = EXIT_OK;
        let load = args.files.load_options(false);
        for entry in contents::pickles(&opened, &slices, &load) {
            let written = match &entry.result {
                Ok(pickle) => json::write_json(pickle, Some(&input.name), &mut *out),
                Err(Problem::Malformed(failure)) => {
                    json::write_failure_json(failure, Some(&input.name), &mut *out)
                }
                Err(Problem::Unopened(_)) => Ok(()),
            };
            if let Err(error) = written {
                return input::write_failed(&input.name, &error);
            }
            if let Err(problem) = &entry.result {
                code = contents::report(&input.name, entry.label.as_deref(), problem, out);
            }
        }
        code
    })
}
