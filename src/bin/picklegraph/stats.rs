//! `picklegraph stats`.

use clap::Args;

use crate::Files;

/// Arguments of `stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    #[command(flatten)]
    files: Files,
}

/// Runs `stats`.
pub fn run(args: &StatsArgs) -> u8 {
    let _ = &args.files;
    eprintln!("picklegraph: stats is not built yet");
    crate::EXIT_USAGE
}
