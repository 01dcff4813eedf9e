//! `picklegraph scan`.

use clap::Args;

use crate::Files;

/// Arguments of `scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    files: Files,
}

/// Runs `scan`.
pub fn run(args: &ScanArgs) -> u8 {
    let _ = &args.files;
    eprintln!("picklegraph: scan is not built yet");
    crate::EXIT_USAGE
}
