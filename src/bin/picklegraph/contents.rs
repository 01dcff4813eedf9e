//! What an input holds for the views: the library's [`picklegraph::open`] finds every
//! pickle (in a checkpoint, a joblib file, an `.npy`, a compressed stream, any zip); this
//! file reads `--buffer` files and reports what could not be opened.

use std::io::Write;

use picklegraph::container::Unopened;
use picklegraph::{Entry, Opened, Problem};

use crate::input::{self, Input};
use crate::{Files, EXIT_MALFORMED, EXIT_USAGE};

/// The out-of-band buffers named by `--buffer`, read once for every input.
pub struct Buffers {
    files: Vec<input::Input>,
}

impl Buffers {
    /// Reads every `--buffer FILE`.
    ///
    /// # Errors
    /// The exit status after reporting a file that cannot be read.
    pub fn read(files: &Files) -> Result<Buffers, u8> {
        let files = files
            .buffers
            .iter()
            .map(|path| {
                input::open(path).map_err(|err| {
                    eprintln!("picklegraph: {path}: {err}");
                    EXIT_USAGE
                })
            })
            .collect::<Result<Vec<_>, u8>>()?;
        Ok(Buffers { files })
    }

    /// Each buffer's bytes, in order.
    pub fn slices(&self) -> Vec<&[u8]> {
        self.files.iter().map(|file| &file.bytes[..]).collect()
    }
}

/// Opens an input: what it is, decided from its bytes alone.
pub fn open(input: &Input) -> Opened<'_> {
    picklegraph::open(&input.bytes)
}

/// Every entry of an opened input, each pickle given the out-of-band buffers.
pub fn pickles<'s>(
    opened: &'s Opened<'_>,
    buffers: &'s [&'s [u8]],
    options: &picklegraph::LoadOptions,
) -> impl Iterator<Item = Entry<'s>> {
    opened.pickles_with(options, buffers)
}

/// Reports an entry's problem on stderr as `NAME: [LABEL: ]what went wrong`.
pub fn report(name: &str, label: Option<&str>, problem: &Problem<'_>, out: &mut dyn Write) -> u8 {
    let _ = out.flush();
    match label {
        Some(label) => eprintln!("{name}: {label}: {problem}"),
        None => eprintln!("{name}: {problem}"),
    }
    EXIT_MALFORMED
}

/// The note for bytes after the last `STOP` of a run that are not a pickle (a
/// [`Problem::Trailing`]): `[LABEL: ]2 bytes after the last STOP are not a pickle;
/// pickle.loads ignores them (bytes 12..14; read as a pickle: …)`.
pub fn trailing_note(label: Option<&str>, problem: &Problem<'_>) -> String {
    match label {
        Some(label) => format!("{label}: {problem}"),
        None => problem.to_string(),
    }
}

/// Says on stderr, after what standard output holds so far, that an entry's bytes are
/// not a pickle (`NAME: note`); the exit status stays the pickles'.
pub fn warn_trailing(name: &str, label: Option<&str>, problem: &Problem<'_>, out: &mut dyn Write) {
    let _ = out.flush();
    eprintln!("{name}: {}", trailing_note(label, problem));
}

/// Reports a part that could not be opened.
pub fn report_unopened(name: &str, unopened: &Unopened, out: &mut dyn Write) -> u8 {
    let _ = out.flush();
    eprintln!("{name}: {unopened}");
    EXIT_MALFORMED
}
