//! `picklegraph show`.

use clap::Args;

use crate::Files;

/// Arguments of `show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    #[command(flatten)]
    files: Files,
}

/// Runs `show`.
pub fn run(args: &ShowArgs) -> u8 {
    let _ = &args.files;
    eprintln!("picklegraph: show is not built yet");
    crate::EXIT_USAGE
}
