//! `picklegraph repr`: Python's repr() of each pickle's root.

use clap::Args;
use picklegraph::Problem;

use crate::{contents, input};
use crate::{Files, EXIT_OK};

/// Arguments of `repr`.
#[derive(Debug, Args)]
pub struct ReprArgs {
    #[command(flatten)]
    files: Files,
    /// Stop after this many bytes of output per pickle (repr of shared data is exponential).
    #[arg(long, default_value_t = picklegraph::render::repr::DEFAULT_MAX_BYTES)]
    max_bytes: usize,
}

/// Runs `repr`.
pub fn run(args: &ReprArgs) -> u8 {
    let buffers = match contents::Buffers::read(&args.files) {
        Ok(buffers) => buffers,
        Err(code) => return code,
    };
    let slices = buffers.slices();
    input::for_each(&args.files, |input, out| {
        let opened = contents::open(input);
        let mut code = EXIT_OK;
        // repr answers as pickle.loads would: without --buffer, NEXT_BUFFER is an error.
        let load = args
            .files
            .load_options(true)
            .with_placeholder_buffers(false);
        for entry in contents::pickles(&opened, &slices, &load) {
            match &entry.result {
                Ok(pickle) => {
                    // Streamed: a memo bomb's 256 MiB starts at once and never sits in memory.
                    let mut renderer = picklegraph::render::repr::Renderer::new(pickle);
                    if renderer
                        .render_to(pickle.root(), args.max_bytes, out)
                        .and_then(|_| writeln!(out))
                        .is_err()
                    {
                        return EXIT_OK;
                    }
                }
                // pickle.loads ignores them: standard output stays CPython's reprs.
                Err(problem @ Problem::Trailing { .. }) => {
                    contents::warn_trailing(&input.name, entry.label.as_deref(), problem, out);
                }
                Err(problem) => {
                    code = contents::report(&input.name, entry.label.as_deref(), problem, out);
                }
            }
        }
        code
    })
}
