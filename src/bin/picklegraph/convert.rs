//! `picklegraph convert model.pt model.safetensors`: a checkpoint's tensors as a
//! safetensors file (the library's [`picklegraph::convert`]), refused with the scan's
//! report when the scan does not pass the file (exit 3 dangerous, 4 not on the allow
//! list, 1 malformed) and with the reason when a tensor is not plain (exit 1).

use clap::Args;
use picklegraph::convert::{self, ConvertError, ConvertOptions};
use picklegraph::scan::{Mode, Verdict};

use crate::input;
use crate::{EXIT_DANGEROUS, EXIT_MALFORMED, EXIT_NOT_ALLOWED, EXIT_OK, EXIT_USAGE};

/// Arguments of `convert`.
#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// The checkpoint: a PyTorch zip or legacy file (`torch.save`).
    #[arg(value_name = "CHECKPOINT")]
    source: String,
    /// The safetensors file to write (replaced whole if it exists).
    #[arg(value_name = "OUTPUT")]
    output: std::path::PathBuf,
    /// Judge the checkpoint as `scan --strict` does.
    #[arg(long, conflicts_with = "deny_only")]
    strict: bool,
    /// Judge the checkpoint as `scan --deny-only` does.
    #[arg(long)]
    deny_only: bool,
    /// Let a name or a module (`mypkg.*`) through the scan, as `scan --allow`; repeatable
    /// (a whole pickled `nn.Module` names its own class).
    #[arg(long, value_name = "NAME")]
    allow: Vec<String>,
    /// Refuse a name or a module, as `scan --deny`; repeatable.
    #[arg(long, value_name = "NAME")]
    deny: Vec<String>,
    /// A TOML policy file, as `scan --policy` reads it.
    #[arg(long, value_name = "FILE")]
    policy: Option<std::path::PathBuf>,
}

impl ConvertArgs {
    fn options(&self) -> Result<ConvertOptions, String> {
        let policy = crate::scan::policy(self.policy.as_deref(), &self.allow, &self.deny)?;
        let mode = match (self.strict, self.deny_only) {
            (true, _) => Mode::Strict,
            (false, true) => Mode::DenyOnly,
            (false, false) => Mode::AllowList,
        };
        Ok(ConvertOptions::new(mode, policy))
    }
}

/// Runs `convert`.
pub fn run(args: &ConvertArgs) -> u8 {
    let options = match args.options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("picklegraph: {message}");
            return EXIT_USAGE;
        }
    };
    let input = match input::open(&args.source) {
        Ok(input) => input,
        Err(error) => {
            eprintln!("picklegraph: {}: {error}", args.source);
            return EXIT_USAGE;
        }
    };
    let name = &input.name;
    match convert::to_file(&input.bytes, &options, &args.output) {
        Ok(conversion) => {
            let bytes: usize = conversion.tensors.iter().map(|t| t.data.len()).sum();
            println!(
                "{name}: wrote {} tensors ({bytes} bytes of data) to {}",
                conversion.tensors.len(),
                args.output.display()
            );
            EXIT_OK
        }
        Err(ConvertError::Refused(scan)) => {
            let mut report = Vec::new();
            let _ = scan.write_text(&mut report);
            eprint!("{}", String::from_utf8_lossy(&report));
            let verdict = scan.verdict();
            let error = ConvertError::Refused(scan);
            eprintln!("picklegraph: {name}: not converted: {error}");
            match verdict {
                Verdict::Dangerous => EXIT_DANGEROUS,
                Verdict::NotAllowed => EXIT_NOT_ALLOWED,
                _ => EXIT_MALFORMED,
            }
        }
        Err(ConvertError::Write(error)) => {
            eprintln!("picklegraph: {}: {error}", args.output.display());
            EXIT_USAGE
        }
        Err(error) => {
            eprintln!("picklegraph: {name}: not converted: {error}");
            EXIT_MALFORMED
        }
    }
}
