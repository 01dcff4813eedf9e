//! `picklegraph dis`.

use clap::Args;

use crate::Files;

/// Arguments of `dis`.
#[derive(Debug, Args)]
pub struct DisArgs {
    #[command(flatten)]
    files: Files,
}

/// Runs `dis`.
pub fn run(args: &DisArgs) -> u8 {
    let _ = &args.files;
    eprintln!("picklegraph: dis is not built yet");
    crate::EXIT_USAGE
}
