//! Reading the inputs: files are memory-mapped so a multi-gigabyte pickle opens at once
//! and its payloads stay borrowed from the page cache; `-` or no file reads stdin.

use std::io::{Read, Write};

use crate::{Files, EXIT_MALFORMED, EXIT_OK, EXIT_USAGE};

/// One input's bytes: mapped from a file or read from standard input.
pub enum Bytes {
    /// A memory-mapped file.
    Mapped(memmap2::Mmap),
    /// Bytes read into memory (standard input, or an empty file, which cannot be mapped).
    Owned(Vec<u8>),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(map) => map,
            Bytes::Owned(bytes) => bytes,
        }
    }
}

/// An input: its display name and its bytes.
pub struct Input {
    /// The name shown in headers and errors (`<stdin>` for standard input).
    pub name: String,
    /// The bytes.
    pub bytes: Bytes,
}

/// Opens a file (or `-` for standard input).
pub fn open(path: &str) -> std::io::Result<Input> {
    if path == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().lock().read_to_end(&mut bytes)?;
        return Ok(Input {
            name: "<stdin>".to_string(),
            bytes: Bytes::Owned(bytes),
        });
    }
    let file = std::fs::File::open(path)?;
    let metadata = file.metadata()?;
    if metadata.is_dir() {
        // Opening a folder succeeds on Unix and only mapping it fails ("No such device").
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "is a folder; picklegraph reads pickle files (give the files inside it)",
        ));
    }
    let len = metadata.len();
    // Mapping is the one unsafe-adjacent step and lives in memmap2: the file is only read,
    // and picklegraph's library never sees anything but a byte slice.
    let bytes = if len == 0 {
        Bytes::Owned(Vec::new())
    } else {
        Bytes::Mapped(map_file(&file)?)
    };
    Ok(Input {
        name: path.to_string(),
        bytes,
    })
}

/// Files up to this size are read rather than mapped: for a small file, a map costs
/// more than the copy (a page fault per page, and an unmap that, with the scan's threads
/// running, interrupts every core to flush its address cache).
const READ_BELOW: u64 = 256 << 10;

/// [`open`], reading small files into memory instead of mapping them (for `scan` of a
/// folder of many small files).
pub fn open_small_read(path: &str) -> std::io::Result<Input> {
    let mut file = std::fs::File::open(path)?;
    let metadata = file.metadata()?;
    if metadata.is_dir() || metadata.len() >= READ_BELOW {
        return open(path);
    }
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    file.read_to_end(&mut bytes)?;
    Ok(Input {
        name: path.to_string(),
        bytes: Bytes::Owned(bytes),
    })
}

#[allow(unsafe_code)]
fn map_file(file: &std::fs::File) -> std::io::Result<memmap2::Mmap> {
    // SAFETY: the map is read-only; if another process truncates the file while it is
    // mapped, reads may fault, as with any memory-mapped reader (`less`, `rg`).
    unsafe { memmap2::Mmap::map(file) }
}

/// Runs `each` on every input, with `==> NAME <==` headers when there are several, and
/// returns the worst exit status: I/O errors give 2, a malformed pickle 1.
pub fn for_each(files: &Files, each: impl FnMut(&Input, &mut dyn Write) -> u8) -> u8 {
    for_each_with(files, true, each)
}

/// [`for_each`], with or without the headers (`json` names each file inside its documents,
/// so that several files still make a stream of JSON documents).
pub fn for_each_with(
    files: &Files,
    headers: bool,
    mut each: impl FnMut(&Input, &mut dyn Write) -> u8,
) -> u8 {
    let paths: Vec<String> = if files.files.is_empty() {
        vec!["-".to_string()]
    } else {
        files.files.clone()
    };
    let mut out = std::io::BufWriter::new(bulk_stdout());
    let mut worst = EXIT_OK;
    for (i, path) in paths.iter().enumerate() {
        if headers && paths.len() > 1 {
            let _ = writeln!(
                out,
                "{}==> {} <==",
                if i > 0 { "\n" } else { "" },
                if path == "-" { "<stdin>" } else { path }
            );
        }
        let code = match open(path) {
            Ok(input) => each(&input, &mut out),
            Err(err) => {
                let _ = out.flush();
                eprintln!("picklegraph: {path}: {err}");
                EXIT_USAGE
            }
        };
        worst = worse(worst, code);
    }
    let _ = out.flush();
    worst
}

/// Standard output for the views' text, which comes in chunks of tens of kilobytes: on
/// Unix a handle of its own (a duplicate of descriptor 1). The standard library's is
/// line-buffered and looks through every chunk for its last line break (2% of `repr`'s
/// instructions on a table of records).
#[cfg(unix)]
pub fn bulk_stdout() -> Box<dyn Write> {
    use std::os::fd::AsFd;
    let _ = std::io::stdout().flush();
    match std::io::stdout().as_fd().try_clone_to_owned() {
        Ok(fd) => Box::new(std::fs::File::from(fd)),
        Err(_) => Box::new(std::io::stdout().lock()),
    }
}

/// Standard output for the views' text.
#[cfg(not(unix))]
pub fn bulk_stdout() -> Box<dyn Write> {
    Box::new(std::io::stdout().lock())
}

/// The more serious of two exit statuses: dangerous > not on the allow list > usage or
/// I/O error > malformed > ok, so that a missing file never hides a dangerous one.
pub fn worse(a: u8, b: u8) -> u8 {
    let rank = |code: u8| match code {
        EXIT_OK => 0,
        EXIT_MALFORMED => 1,
        crate::EXIT_NOT_ALLOWED => 3,
        // A file that cannot be read never hides a dangerous one.
        crate::EXIT_DANGEROUS => 4,
        _ => 2,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

/// Ends a view's output after a write error: a closed pipe (`| head`) ends it quietly,
/// anything else is reported as an I/O error.
pub fn write_failed(name: &str, error: &std::io::Error) -> u8 {
    if error.kind() == std::io::ErrorKind::BrokenPipe {
        return EXIT_OK;
    }
    eprintln!("picklegraph: {name}: {error}");
    EXIT_USAGE
}
