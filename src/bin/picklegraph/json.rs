//! `picklegraph json`.

use clap::Args;

use crate::Files;

/// Arguments of `json`.
#[derive(Debug, Args)]
pub struct JsonArgs {
    #[command(flatten)]
    files: Files,
}

/// Runs `json`.
pub fn run(args: &JsonArgs) -> u8 {
    let _ = &args.files;
    eprintln!("picklegraph: json is not built yet");
    crate::EXIT_USAGE
}
