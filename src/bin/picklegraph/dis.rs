//! `picklegraph dis`: the opcodes, as `python3 -m pickletools` lists them.

use clap::Args;

use picklegraph::render::dis::{
    dis, dis_pickles, DisError, DisOptions, NotAPickle, PICKLETOOLS_ANNOTATE_COLUMN,
};

use crate::{Files, EXIT_MALFORMED, EXIT_OK, EXIT_USAGE};

const DIS_HELP: &str = "\
The output is byte for byte what `python3 -m pickletools FILE` writes, with two differences:
  * pickletools lists only the first pickle of a file; dis lists every pickle in turn
    (as repeated pickletools.dis calls on the open file would: offsets count from the
    start of the file, each pickle has its own memo). Bytes after the last STOP that
    are not a pickle are not listed (pickle.loads ignores them): a note on standard
    error says so, and the exit status is that of the pickles.
  * pickletools indents one level per open MARK; dis indents at most 64 blanks and says
    so on a line of its own, so a line stays within about 100 bytes and hostile input
    cannot make it write terabytes.
  * A container is listed through the pickles inside it, each after a `# ` label: a
    PyTorch checkpoint's data.pkl (offsets from its start) or a legacy file's five
    pickles, an .npy object array's pickle, a compressed stream's pickles (offsets in
    the decompressed bytes), every pickle member of a zip.
With several files, each listing follows a `==> FILE <==` header as in pickletools,
with a blank line between them, and a malformed file does not stop the others.
Where pickletools stops with an exception, dis prints the same lines, then
`FILE: <pickletools' message>` on standard error, and exits with status 1.";

/// Arguments of `dis`.
#[derive(Debug, Args)]
#[command(after_help = DIS_HELP)]
pub struct DisArgs {
    #[command(flatten)]
    files: Files,
    /// Annotate each line with a short description of the opcode (pickletools' -a).
    #[arg(short, long)]
    annotate: bool,
    /// The number of blanks by which to indent a new MARK level (pickletools' -l; at most 1024).
    #[arg(short = 'l', long, default_value_t = 4, allow_negative_numbers = true,
          value_parser = clap::value_parser!(i64).range(..=1024))]
    indentlevel: i64,
}

/// Runs `dis`.
pub fn run(args: &DisArgs) -> u8 {
    let options = DisOptions {
        // pickletools multiplies a string by it: a negative level indents nothing.
        indentlevel: usize::try_from(args.indentlevel.max(0)).unwrap_or(usize::MAX),
        annotate: if args.annotate {
            PICKLETOOLS_ANNOTATE_COLUMN
        } else {
            0
        },
    };
    crate::input::for_each(&args.files, |input, out| {
        let opened = crate::contents::open(input);
        let listed = match opened.description() {
            // A plain pickle (or a joblib stream): the file, as pickletools lists it.
            None if opened.streams().all(|s| s.is_ok_and(|s| s.label.is_none())) => {
                dis_pickles(&input.bytes, &options, out).map(|trailing| {
                    if let Some(trailing) = trailing {
                        warn(&input.name, None, &trailing, out);
                    }
                    EXIT_OK
                })
            }
            // A container: the pickles inside it, each after its label.
            description => dis_parts(&input.name, description, &opened, &options, out),
        };
        match listed {
            Ok(code) => code,
            Err(DisError::Malformed { message, .. }) => {
                let _ = out.flush();
                eprintln!("{}: {message}", input.name);
                EXIT_MALFORMED
            }
            Err(DisError::Io(err)) if err.kind() == std::io::ErrorKind::BrokenPipe => EXIT_OK,
            Err(err) => {
                eprintln!("picklegraph: {}: {err}", input.name);
                EXIT_USAGE
            }
        }
    })
}

/// Lists the pickles of a container: its description, then each run of pickles after
/// its label (offsets count from the start of the run's bytes: a zip member's own, a
/// decompressed stream's, or the file's); a part that could not be opened is reported
/// on stderr and the others are listed.
fn dis_parts(
    name: &str,
    description: Option<&str>,
    opened: &picklegraph::Opened<'_>,
    options: &DisOptions,
    out: &mut dyn std::io::Write,
) -> Result<u8, DisError> {
    if let Some(description) = description {
        writeln!(out, "# {description}")?;
    }
    let mut code = EXIT_OK;
    for stream in opened.streams() {
        let stream = match stream {
            Ok(stream) => stream,
            Err(unopened) => {
                code = crate::contents::report_unopened(name, &unopened, out);
                continue;
            }
        };
        if let Some(label) = &stream.label {
            writeln!(out, "# {label}")?;
        }
        if stream.single {
            dis(stream.bytes, stream.start, options, out)?;
        } else {
            let run = &stream.bytes[stream.start..];
            if let Some(trailing) = dis_pickles(run, options, out)? {
                warn(name, stream.label.as_deref(), &trailing, out);
            }
        }
    }
    Ok(code)
}

/// Says on stderr that bytes after the last STOP of a run are not a pickle.
fn warn(name: &str, label: Option<&str>, trailing: &NotAPickle, out: &mut dyn std::io::Write) {
    let _ = out.flush();
    match label {
        Some(label) => eprintln!("{name}: {label}: {trailing}"),
        None => eprintln!("{name}: {trailing}"),
    }
}
