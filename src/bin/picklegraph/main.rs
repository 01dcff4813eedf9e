//! The `picklegraph` command: views of pickle files, none of which runs the pickle.

#[cfg(target_os = "linux")]
mod alloc;
mod contents;
mod convert;
mod dis;
mod input;
mod json;
mod repr;
mod scan;
mod show;
mod stats;
mod walk;

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOCATOR: alloc::HugePages = alloc::HugePages;

/// Exit status for success.
pub const EXIT_OK: u8 = 0;
/// Exit status when a pickle is malformed.
pub const EXIT_MALFORMED: u8 = 1;
/// Exit status for a usage or I/O error.
pub const EXIT_USAGE: u8 = 2;
/// Exit status of `scan` when something dangerous was found.
pub const EXIT_DANGEROUS: u8 = 3;
/// Exit status of `scan` when nothing dangerous was found but something the pickle calls
/// is not on the allow list.
pub const EXIT_NOT_ALLOWED: u8 = 4;

const EXAMPLES: &str = "\
Examples:
  picklegraph show payload.pkl          the objects, shared references named, effects last
  picklegraph show --depth 3 big.pkl    elide below three levels
  picklegraph repr data.pkl             Python's repr() of what the pickle holds
  picklegraph dis data.pkl              the opcodes, as python3 -m pickletools prints them
  picklegraph json data.pkl | jq .root  the graph as JSON
  picklegraph scan *.pkl                what a pickle would import and call (exit 3: dangerous)
  picklegraph scan --format sarif DIR   every file under DIR, as one SARIF log for code scanning
  picklegraph convert model.pt model.safetensors
                                        the checkpoint's tensors as safetensors, once scanned
  cat data.pkl | picklegraph show -     read standard input

Nothing a pickle names is imported or called: picklegraph only reads it.
Exit status: 0 success, 1 malformed pickle, 2 usage or I/O error, 3 dangerous (scan),
4 not on the allow list (scan); with several files, the most severe.";

/// Open any Python pickle without running it.
#[derive(Debug, Parser)]
#[command(name = "picklegraph", version, about, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The objects as indented Python-like text: shared references labelled, effects last.
    Show(show::ShowArgs),
    /// Python's repr() of each pickle's root object.
    Repr(repr::ReprArgs),
    /// The opcodes, byte for byte as `python3 -m pickletools` lists them.
    Dis(dis::DisArgs),
    /// The graph as JSON: a table of nodes, the root and the effects.
    Json(json::JsonArgs),
    /// Every global the pickle names and every call it would make, classed by danger.
    Scan(scan::ScanArgs),
    /// What takes the space: nodes and bytes by kind, the largest payloads, globals.
    Stats(stats::StatsArgs),
    /// A PyTorch checkpoint's tensors written as safetensors, once the scan passes it.
    Convert(convert::ConvertArgs),
}

/// The files every subcommand reads.
#[derive(Debug, Args, Clone)]
pub struct Files {
    /// Pickle files to read; `-` or none reads standard input (scan also takes folders,
    /// and judges every file under them by its content).
    #[arg(value_name = "FILE")]
    pub files: Vec<String>,
    /// An out-of-band buffer for protocol 5 pickles; repeat it to give them in order, as
    /// `pickle.loads(data, buffers=[…])` takes them (dis lists opcodes and needs none)
    #[arg(long = "buffer", value_name = "FILE")]
    pub buffers: Vec<String>,
    /// How Python 2 8-bit strings decode, as `pickle.loads(encoding=…)`: ascii, latin1,
    /// cp1252, utf-8 (and their Python aliases), or bytes to keep them as bytes
    /// (scan reads them as latin1 whatever it says, so no choice hides a call; dis lists
    /// opcodes and decodes nothing)
    #[arg(long, value_name = "ENCODING", default_value = "ASCII", value_parser = parse_encoding)]
    pub encoding: picklegraph::StringEncoding,
    /// What decoding does with bytes the encoding cannot decode, as
    /// `pickle.loads(errors=…)`: strict, ignore, replace, backslashreplace,
    /// surrogateescape, surrogatepass. Under strict, repr refuses the pickle as CPython
    /// does; show, json and stats show such a string as its bytes, marked
    #[arg(long, value_name = "ERRORS", default_value = "strict", value_parser = parse_errors)]
    pub errors: picklegraph::DecodeErrors,
}

impl Files {
    /// Load options with the decoding asked for; under `strict`, an undecodable string
    /// is refused as CPython refuses it when `refuse` is true, else kept as marked bytes.
    pub fn load_options(&self, refuse: bool) -> picklegraph::LoadOptions {
        let errors = match self.errors {
            picklegraph::DecodeErrors::Strict if !refuse => picklegraph::DecodeErrors::KeepBytes,
            errors => errors,
        };
        picklegraph::LoadOptions::default()
            .with_string_encoding(self.encoding)
            .with_string_errors(errors)
    }
}

fn parse_encoding(name: &str) -> Result<picklegraph::StringEncoding, String> {
    picklegraph::StringEncoding::from_name(name).ok_or_else(|| {
        format!("picklegraph decodes ascii, latin1, cp1252 and utf-8, or keeps bytes, not {name:?}")
    })
}

fn parse_errors(name: &str) -> Result<picklegraph::DecodeErrors, String> {
    picklegraph::DecodeErrors::from_name(name).ok_or_else(|| {
        "picklegraph knows the error handlers strict, ignore, replace, backslashreplace, \
         surrogateescape and surrogatepass"
            .to_string()
    })
}

pub fn main() -> ExitCode {
    ExitCode::from(run(std::env::args_os()))
}

/// Runs the command on `args` (the program's name first) and returns its exit status.
/// `main` passes the process's own arguments; the Python package's `picklegraph` command
/// compiles this file into its extension module and passes `sys.argv`, so that both
/// commands are one code.
pub fn run<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() {
                EXIT_USAGE
            } else {
                EXIT_OK
            };
            let _ = err.print();
            return code;
        }
    };
    let code = match cli.command {
        Command::Show(args) => show::run(&args),
        Command::Repr(args) => repr::run(&args),
        Command::Dis(args) => dis::run(&args),
        Command::Json(args) => json::run(&args),
        Command::Scan(args) => scan::run(&args),
        Command::Stats(args) => stats::run(&args),
        Command::Convert(args) => convert::run(&args),
    };
    let _ = std::io::stdout().flush();
    code
}
