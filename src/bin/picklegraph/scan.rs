//! `picklegraph scan`: every global and call of every pickle in each file, classed, with
//! the exit status a script can test (0 nothing dangerous, 1 malformed, 3 dangerous).

use std::io::Write;

use clap::Args;
use picklegraph::scan::{Detail, FileScan, Mode, Policy, Verdict};

use crate::{contents, input};
use crate::{Files, EXIT_DANGEROUS, EXIT_MALFORMED, EXIT_NOT_ALLOWED, EXIT_OK, EXIT_USAGE};

/// Arguments of `scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    files: Files,
    /// Print JSON for tools: one object per file, `{file, verdict, counts, pickles}`.
    #[arg(long)]
    json: bool,
    /// Every name, called or only referenced, must be on the allow list (by default a
    /// name only referenced passes when its module is harmless to import).
    #[arg(long, conflicts_with = "deny_only")]
    strict: bool,
    /// Judge by the deny list alone: only known-bad names fail, unknown calls pass.
    #[arg(long)]
    deny_only: bool,
    /// Let a name through (`mypkg.Model`), or a module and its submodules (`mypkg.*`);
    /// repeatable. A module never lets through a name the deny list calls dangerous.
    #[arg(long, value_name = "NAME")]
    allow: Vec<String>,
    /// Refuse a name or a module (`mypkg.*`) as dangerous; repeatable.
    #[arg(long, value_name = "NAME")]
    deny: Vec<String>,
    /// A TOML policy file: `allow = ["mypkg.Model", "mypkg.layers.*"]`, `deny = [...]`.
    #[arg(long, value_name = "FILE")]
    policy: Option<std::path::PathBuf>,
    /// List every finding, safe ones included (by default only what is not safe, grouped
    /// by name).
    #[arg(long, short)]
    verbose: bool,
    /// List the globals `torch.load(weights_only=True)` would refuse, as
    /// `torch.serialization.get_unsafe_globals_in_checkpoint` does (without torch); exit 4
    /// when there is one.
    #[arg(long)]
    weights_only: bool,
}

impl ScanArgs {
    fn mode(&self) -> Mode {
        if self.strict {
            Mode::Strict
        } else if self.deny_only {
            Mode::DenyOnly
        } else {
            Mode::AllowList
        }
    }
}

/// The policy of `--policy`, `--allow` and `--deny`, or the usage error to print.
fn policy(args: &ScanArgs) -> Result<Policy, String> {
    let mut policy = match &args.policy {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|err| format!("{}: {err}", path.display()))?;
            Policy::from_toml(&text).map_err(|err| format!("{}: {err}", path.display()))?
        }
        None => Policy::new(),
    };
    for name in &args.allow {
        policy
            .allow(name)
            .map_err(|err| format!("--allow {name}: {err}"))?;
    }
    for name in &args.deny {
        policy
            .deny(name)
            .map_err(|err| format!("--deny {name}: {err}"))?;
    }
    Ok(policy)
}

/// Runs `scan`.
pub fn run(args: &ScanArgs) -> u8 {
    let policy = match policy(args) {
        Ok(policy) => policy,
        Err(message) => {
            eprintln!("picklegraph: {message}");
            return EXIT_USAGE;
        }
    };
    let detail = if args.verbose {
        Detail::Verbose
    } else {
        Detail::Grouped
    };
    let buffers = match contents::Buffers::read(&args.files) {
        Ok(buffers) => buffers,
        Err(code) => return code,
    };
    if !args.json {
        return input::for_each(&args.files, |input, out| {
            let scan = match scan_input(input, &buffers, args.mode(), out) {
                Ok(scan) => scan.with_policy(policy.clone()),
                Err(code) => return code,
            };
            if args.weights_only {
                let _ = scan.write_weights_only(out);
                return weights_only_exit_code(&scan);
            }
            let _ = scan.write_text_with(out, detail);
            exit_code(scan.verdict())
        });
    }
    // JSON output has no `==> NAME <==` headers: each file is one object naming itself.
    let paths: Vec<String> = if args.files.files.is_empty() {
        vec!["-".to_string()]
    } else {
        args.files.files.clone()
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut worst = EXIT_OK;
    for path in &paths {
        let code = match input::open(path) {
            Ok(input) => match scan_input(&input, &buffers, args.mode(), &mut out) {
                Ok(scan) => {
                    let scan = scan.with_policy(policy.clone());
                    let mut json = scan.to_json();
                    json["file"] = serde_json::Value::String(input.name.clone());
                    let _ = serde_json::to_writer_pretty(&mut out, &json);
                    let _ = writeln!(out);
                    if args.weights_only {
                        weights_only_exit_code(&scan)
                    } else {
                        exit_code(scan.verdict())
                    }
                }
                Err(code) => code,
            },
            Err(err) => {
                let _ = out.flush();
                eprintln!("picklegraph: {path}: {err}");
                EXIT_USAGE
            }
        };
        worst = input::worse(worst, code);
    }
    let _ = out.flush();
    worst
}

/// Scans every pickle of one input, wherever the library's `open` finds them.
fn scan_input(
    input: &input::Input,
    buffers: &contents::Buffers,
    mode: Mode,
    _out: &mut dyn Write,
) -> Result<FileScan, u8> {
    let opened = contents::open(input);
    Ok(picklegraph::scan::scan_opened(&opened, &buffers.slices(), false).with_mode(mode))
}

/// `--weights-only`: 4 when torch would refuse a global, else 1 for a malformed file.
fn weights_only_exit_code(scan: &FileScan) -> u8 {
    if !scan.weights_only_refused().is_empty() {
        EXIT_NOT_ALLOWED
    } else if scan.pickles.iter().any(|p| p.error.is_some()) {
        EXIT_MALFORMED
    } else {
        EXIT_OK
    }
}

fn exit_code(verdict: Verdict) -> u8 {
    match verdict {
        Verdict::Dangerous => EXIT_DANGEROUS,
        Verdict::NotAllowed => EXIT_NOT_ALLOWED,
        Verdict::Malformed => EXIT_MALFORMED,
        Verdict::Clean => EXIT_OK,
    }
}
