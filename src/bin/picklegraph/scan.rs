//! `picklegraph scan`: every global and call of every pickle in each file (or every file
//! under a folder), classed, with the exit status a script can test: the most severe of
//! all files' (0 nothing found or not a pickle, 1 malformed, 2 unreadable, 3 dangerous,
//! 4 not on the allow list; see [`input::worse`]).
//!
//! Files are scanned on every core (rayon): a scan is independent per file and bound by
//! the CPU once the file is in the page cache, so a hub's folder of thousands of files
//! scans in a fraction of the time. The output is written in the walk's order whatever
//! order the files finish in.

use std::io::Write;
use std::time::Instant;

use clap::{Args, ValueEnum};
use picklegraph::scan::sarif::SarifLog;
use picklegraph::scan::{Detail, FileScan, Mode, Policy, Verdict};
use rayon::iter::{ParallelBridge, ParallelIterator};

use crate::walk::{self, Target};
use crate::{contents, input};
use crate::{Files, EXIT_DANGEROUS, EXIT_MALFORMED, EXIT_NOT_ALLOWED, EXIT_OK, EXIT_USAGE};

/// Arguments of `scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    files: Files,
    /// What to print: text for people; json, one document per file, whatever happens to
    /// it (`{file, verdict, counts, pickles}`, or `{file, verdict: "error", error}`);
    /// sarif, one SARIF 2.1.0 log for the whole run, as GitHub code scanning reads it.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// The same as --format json.
    #[arg(long, conflicts_with = "format")]
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
    /// How many files to scan at once [default: one per core].
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
}

/// The output formats of `scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
    Sarif,
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

    fn format(&self) -> Format {
        if self.json {
            Format::Json
        } else {
            self.format
        }
    }
}

/// What happened to one file.
enum Outcome {
    Scanned(Verdict),
    /// It could not be read (missing, a folder given where a file was expected, a
    /// permission refused); the error.
    Unreadable(String),
}

/// One file, done: what the main thread prints and counts, in the walk's order.
struct Done {
    index: usize,
    name: String,
    bytes: u64,
    outcome: Outcome,
    /// Its exit status.
    code: u8,
    /// The text or JSON to print.
    output: Vec<u8>,
    /// The scan, kept for a SARIF log only.
    scan: Option<FileScan>,
}

/// The policy of `--policy`, `--allow` and `--deny` (as `scan` and `convert` take them),
/// or the usage error to print.
pub(crate) fn policy(
    file: Option<&std::path::Path>,
    allow: &[String],
    deny: &[String],
) -> Result<Policy, String> {
    let mut policy = match file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|err| format!("{}: {err}", path.display()))?;
            Policy::from_toml(&text).map_err(|err| format!("{}: {err}", path.display()))?
        }
        None => Policy::new(),
    };
    for name in allow {
        policy
            .allow(name)
            .map_err(|err| format!("--allow {name}: {err}"))?;
    }
    for name in deny {
        policy
            .deny(name)
            .map_err(|err| format!("--deny {name}: {err}"))?;
    }
    Ok(policy)
}

/// Runs `scan`.
pub fn run(args: &ScanArgs) -> u8 {
    let started = Instant::now();
    let policy = match policy(args.policy.as_deref(), &args.allow, &args.deny) {
        Ok(policy) => policy,
        Err(message) => {
            eprintln!("picklegraph: {message}");
            return EXIT_USAGE;
        }
    };
    let buffers = match contents::Buffers::read(&args.files) {
        Ok(buffers) => buffers,
        Err(code) => return code,
    };
    let paths = &args.files.files;
    let several = paths.len() > 1 || walk::any_folder(paths);
    let mut printer = Printer::new(args.format(), several);
    let targets = walk::targets(paths).enumerate();
    let work = |(index, target)| scan_target(index, target, &buffers, &policy, args, several);
    let jobs = args.jobs.map(usize::from).unwrap_or(0);
    if !several || jobs == 1 {
        targets.map(work).for_each(|done| printer.print(done));
    } else {
        let pool = match rayon::ThreadPoolBuilder::new().num_threads(jobs).build() {
            Ok(pool) => pool,
            Err(error) => {
                eprintln!("picklegraph: cannot start the scan's threads: {error}");
                return EXIT_USAGE;
            }
        };
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::scope(|scope| {
            scope.spawn(|| {
                pool.install(|| {
                    // par_bridge hands the files out in the walk's order, so the few
                    // that finish early wait briefly for the printer below.
                    targets.par_bridge().for_each_with(sender, |sender, item| {
                        let _ = sender.send(work(item));
                    });
                });
            });
            let mut waiting = std::collections::BTreeMap::new();
            for done in receiver {
                waiting.insert(done.index, done);
                while let Some(done) = waiting.remove(&printer.next) {
                    printer.print(done);
                }
            }
        });
    }
    printer.finish(started)
}

/// Opens and scans one target and renders what the format prints of it.
fn scan_target(
    index: usize,
    target: Target,
    buffers: &contents::Buffers,
    policy: &Policy,
    args: &ScanArgs,
    several: bool,
) -> Done {
    let (name, opened) = match target {
        Target::Stdin => ("<stdin>".to_string(), input::open("-")),
        Target::File(path) => {
            let opened = input::open_small_read(&path);
            (path, opened)
        }
        Target::Failed(path, error) => return unreadable(index, path, error),
    };
    let input = match opened {
        Ok(input) => input,
        Err(error) => return unreadable(index, name, error.to_string()),
    };
    let scan = scan_input(&input, buffers, args.mode()).with_policy(policy.clone());
    let mut output = Vec::new();
    match args.format() {
        Format::Text => {
            if several {
                let _ = writeln!(output, "==> {name} <==");
            }
            if args.weights_only {
                let _ = scan.write_weights_only(&mut output);
            } else {
                let detail = if args.verbose {
                    Detail::Verbose
                } else {
                    Detail::Grouped
                };
                let _ = scan.write_text_with(&mut output, detail);
            }
        }
        Format::Json => {
            let mut json = scan.to_json();
            json["file"] = serde_json::Value::String(name.clone());
            let _ = serde_json::to_writer_pretty(&mut output, &json);
            let _ = writeln!(output);
        }
        Format::Sarif => {}
    }
    let code = if args.weights_only {
        weights_only_exit_code(&scan)
    } else {
        exit_code(scan.verdict())
    };
    Done {
        index,
        name,
        bytes: input.bytes.len() as u64,
        outcome: Outcome::Scanned(scan.verdict()),
        code,
        output,
        scan: (args.format() == Format::Sarif).then_some(scan),
    }
}

fn unreadable(index: usize, name: String, error: String) -> Done {
    Done {
        index,
        name,
        bytes: 0,
        outcome: Outcome::Unreadable(error),
        code: EXIT_USAGE,
        output: Vec::new(),
        scan: None,
    }
}

/// Scans every pickle of one input, wherever the library's `open` finds them.
fn scan_input(input: &input::Input, buffers: &contents::Buffers, mode: Mode) -> FileScan {
    let opened = contents::open(input);
    picklegraph::scan::scan_opened(&opened, &buffers.slices(), false).with_mode(mode)
}

/// `--weights-only`: 4 when torch would refuse a global, else 1 for a malformed file.
fn weights_only_exit_code(scan: &FileScan) -> u8 {
    if !scan.weights_only_refused().is_empty() {
        EXIT_NOT_ALLOWED
    } else if scan.verdict() == Verdict::NotAPickle {
        EXIT_OK
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
        // Nothing in it could run: a folder of models and their text files passes.
        Verdict::NotAPickle | Verdict::Clean => EXIT_OK,
    }
}

/// Prints the files in order, counts them, and keeps the worst exit status.
struct Printer {
    format: Format,
    several: bool,
    out: Box<dyn Write>,
    next: usize,
    worst: u8,
    tally: Tally,
    sarif: SarifLog,
    /// Whether a file's output was written (text separates the next with a blank line).
    printed_any: bool,
    /// Set when stdout was closed (`| head`): the scan goes on for the exit status.
    closed: bool,
}

impl Printer {
    fn new(format: Format, several: bool) -> Printer {
        Printer {
            format,
            several,
            out: Box::new(std::io::BufWriter::new(input::bulk_stdout())),
            next: 0,
            worst: EXIT_OK,
            tally: Tally::default(),
            sarif: SarifLog::new(),
            printed_any: false,
            closed: false,
        }
    }

    fn print(&mut self, done: Done) {
        self.next = done.index + 1;
        self.tally.bytes += done.bytes;
        match &done.outcome {
            Outcome::Scanned(verdict) => self.tally.count(*verdict),
            Outcome::Unreadable(error) => {
                self.tally.unreadable += 1;
                match self.format {
                    Format::Json => {
                        let json = serde_json::json!({
                            "file": done.name,
                            "verdict": "error",
                            "error": error,
                            "counts": {"dangerous": 0, "unknown": 0, "safe": 0},
                            "pickles": [],
                        });
                        self.write(&format!("{json:#}\n").into_bytes());
                    }
                    Format::Sarif => self.sarif.add_unreadable(&done.name, error),
                    Format::Text => {}
                }
                let _ = self.out.flush();
                eprintln!("picklegraph: {}: {error}", done.name);
            }
        }
        if self.format == Format::Text && self.printed_any && !done.output.is_empty() {
            self.write(b"\n");
        }
        self.printed_any |= !done.output.is_empty();
        self.write(&done.output);
        if let Some(scan) = &done.scan {
            self.sarif.add_scan(&done.name, scan);
        }
        self.worst = input::worse(self.worst, done.code);
    }

    fn write(&mut self, bytes: &[u8]) {
        if !self.closed && !bytes.is_empty() && self.out.write_all(bytes).is_err() {
            self.closed = true;
        }
    }

    /// Writes the SARIF log and the summary, and returns the exit status.
    fn finish(mut self, started: Instant) -> u8 {
        if self.format == Format::Sarif {
            let log = self.sarif.to_json();
            let text = format!("{log:#}\n");
            self.write(text.as_bytes());
        }
        if self.several {
            let summary = self.tally.summary(started.elapsed().as_secs_f64());
            match self.format {
                Format::Text => self.write(format!("\n{summary}\n").as_bytes()),
                Format::Json | Format::Sarif => {
                    let _ = self.out.flush();
                    eprintln!("picklegraph: {summary}");
                }
            }
        }
        if self.out.flush().is_err() {
            self.closed = true;
        }
        self.worst
    }
}

/// How many files of each verdict a run saw.
#[derive(Default)]
struct Tally {
    dangerous: usize,
    not_allowed: usize,
    malformed: usize,
    clean: usize,
    not_a_pickle: usize,
    unreadable: usize,
    bytes: u64,
}

impl Tally {
    fn count(&mut self, verdict: Verdict) {
        *match verdict {
            Verdict::Dangerous => &mut self.dangerous,
            Verdict::NotAllowed => &mut self.not_allowed,
            Verdict::Malformed => &mut self.malformed,
            Verdict::NotAPickle => &mut self.not_a_pickle,
            Verdict::Clean => &mut self.clean,
        } += 1;
    }

    fn files(&self) -> usize {
        self.dangerous
            + self.not_allowed
            + self.malformed
            + self.clean
            + self.not_a_pickle
            + self.unreadable
    }

    /// `scanned 3 files (1.2 MB) in 0.01 s: 1 dangerous, …`.
    fn summary(&self, seconds: f64) -> String {
        let files = self.files();
        format!(
            "scanned {files} file{} ({}) in {seconds:.2} s: {} dangerous, {} not allowed, {} malformed, {} clean, {} not a pickle, {} unreadable",
            if files == 1 { "" } else { "s" },
            size(self.bytes),
            self.dangerous,
            self.not_allowed,
            self.malformed,
            self.clean,
            self.not_a_pickle,
            self.unreadable,
        )
    }
}

/// A size as people read it: `812 bytes`, `12.3 kB`, `81.9 MB`, `1.2 GB`.
fn size(bytes: u64) -> String {
    let value = bytes as f64;
    match bytes {
        0..=9_999 => format!("{bytes} bytes"),
        10_000..=999_999 => format!("{:.1} kB", value / 1e3),
        1_000_000..=999_999_999 => format!("{:.1} MB", value / 1e6),
        _ => format!("{:.1} GB", value / 1e9),
    }
}
