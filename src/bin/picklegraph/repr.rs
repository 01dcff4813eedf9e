//! `picklegraph repr`: Python's repr() of each pickle's root.

use clap::Args;

use crate::input;
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
    input::for_each(&args.files, |input, out| {
        for result in picklegraph::load_all(&input.bytes) {
            match result {
                Ok(pickle) => {
                    let (text, _) =
                        picklegraph::render::repr::repr(&pickle, pickle.root(), args.max_bytes);
                    let _ = writeln!(out, "{text}");
                }
                Err(failure) => return input::report(&input.name, &failure.error, out),
            }
        }
        EXIT_OK
    })
}
