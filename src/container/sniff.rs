//! What bytes that are no container picklegraph opens look like, and the rule that tells a
//! pickle from a file that only starts with a byte that is an opcode.
//!
//! # The rule
//!
//! Many text files start with a letter that is a pickle opcode: a YAML file
//! `chat_template: …` starts with `c`, `GLOBAL`. Such a file is *not a pickle* when
//! loading it as one fails in a way that shows nothing would have run:
//!
//! - it does not start with `PROTO` (every pickle of protocol 2 and later does);
//! - before the error, it named no global that Python could import (a module or name that
//!   is not a dotted identifier, `hat_template: {{ …`, cannot be imported), and made no
//!   call, instance or persistent id;
//! - it named such an unimportable global, or its very first opcode fails for want of a
//!   mark, stack items or memo, or has no valid argument (`ls` is `LIST` without a mark), or is
//!   a `GLOBAL`/`INST` of text that ends before its second line. A pickle that fails further on having named nothing
//!   (a truncated protocol 0 pickle, a stack underflow) is a malformed pickle, and says so.
//!
//! CPython's unpickler, given the same bytes, raises before it imports or calls anything,
//! so calling the file "not a pickle" hides nothing a scan must report. Anything else
//! whose first byte is an opcode is read as a pickle, malformed or not.

use crate::graph::{InertKind, Node, Pickle};
use crate::machine::Failure;
use crate::opcode::Opcode;
use crate::ErrorKind;

/// Whether the first byte could start a pickle.
pub fn starts_like_pickle(bytes: &[u8]) -> bool {
    bytes
        .first()
        .is_some_and(|&b| Opcode::from_byte(b).is_some())
}

/// Whether a failed first load shows the bytes are no pickle (see the module's rule).
pub fn failure_is_not_a_pickle(bytes: &[u8], start: usize, failure: &Failure<'_>) -> bool {
    if bytes.get(start) == Some(&0x80) {
        return false;
    }
    // A PNG's signature reads as NEWFALSE, PERSID 'NG\r', then 0x1a, which is no opcode:
    // every unpickler stops there, whatever the image holds, having at most handed the
    // three letters to an application's persistent_load.
    if bytes
        .get(start..)
        .is_some_and(|b| b.starts_with(b"\x89PNG\r\n\x1a\n"))
    {
        return true;
    }
    let names = named_globals(&failure.partial);
    let Some(unimportable) = names else {
        return false;
    };
    // Text names a "global" no import could find, or fails at its first byte; a pickle
    // that fails further on, having named nothing, is a malformed pickle.
    let structural = matches!(
        failure.error.kind(),
        ErrorKind::StackUnderflow
            | ErrorKind::MissingMark
            | ErrorKind::MissingMemo(_)
            | ErrorKind::NegativePut
            | ErrorKind::UnknownOpcode(_)
            | ErrorKind::MalformedText { .. }
    );
    let at_first = failure.error.offset() == start as u64;
    // `GLOBAL`/`INST` read two lines before they import: text of one line ends first.
    let one_line_global = matches!(failure.error.kind(), ErrorKind::Truncated { .. })
        && matches!(bytes.get(start), Some(b'c' | b'i'))
        && describe(&bytes[start..]).starts_with("text");
    unimportable > 0 || (at_first && (structural || one_line_global))
}

/// How many globals the pickle names, when none could be imported and nothing is called,
/// instantiated or looked up by persistent id; `None` otherwise.
fn named_globals(pickle: &Pickle<'_>) -> Option<usize> {
    let mut globals = 0;
    for node in pickle.nodes() {
        if let Node::Inert(inert) = node {
            let InertKind::Global { module, name, .. } = &inert.kind else {
                return None;
            };
            let dotted = |value| pickle.as_str(value).is_some_and(is_dotted_identifier);
            if dotted(*module) && dotted(*name) {
                return None;
            }
            globals += 1;
        }
    }
    Some(globals)
}

/// `a.b_c.d`: what `importlib` could find (a text line with a blank, a colon or a quote
/// in it is never one).
pub(crate) fn is_dotted_identifier(text: &str) -> bool {
    !text.is_empty()
        && text.split('.').all(|part| {
            let mut chars = part.chars();
            chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
                && chars.all(|c| c == '_' || c.is_alphanumeric())
        })
}

/// What bytes that are not a pickle look like: `text`, `a safetensors file`, ….
pub fn describe(bytes: &[u8]) -> String {
    const MAGICS: &[(&[u8], &str)] = &[
        (b"\x89HDF\r\n\x1a\n", "an HDF5 file (Keras .h5?)"),
        (b"GGUF", "a GGUF model file"),
        (b"\x89PNG", "a PNG image"),
        (b"GIF87a", "a GIF image"),
        (b"GIF89a", "a GIF image"),
        (b"Xcur", "an X11 cursor"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"%PDF", "a PDF document"),
        (b"\x7fELF", "an ELF executable"),
        (b"7z\xbc\xaf\x27\x1c", "a 7z archive"),
        (
            b"\x28\xb5\x2f\xfd",
            "a zstd stream, which picklegraph does not decompress",
        ),
        (b"PAR1", "a Parquet file"),
        (b"ARROW1", "an Arrow file"),
    ];
    if bytes.is_empty() {
        return "an empty file".to_string();
    }
    if let Some((_, what)) = MAGICS.iter().find(|(magic, _)| bytes.starts_with(magic)) {
        return (*what).to_string();
    }
    if is_safetensors(bytes) {
        return "a safetensors file".to_string();
    }
    let head = &bytes[..bytes.len().min(4096)];
    let text = match std::str::from_utf8(head) {
        Ok(text) => Some(text),
        // A multi-byte character cut at the end of the window.
        Err(e) if e.valid_up_to() + 4 > head.len() => {
            std::str::from_utf8(&head[..e.valid_up_to()]).ok()
        }
        Err(_) => None,
    };
    match text.filter(|t| {
        t.chars()
            .all(|c| !c.is_control() || "\t\n\r\x0c".contains(c))
    }) {
        Some(text) => {
            let first: String = text.lines().next().unwrap_or("").chars().take(40).collect();
            let kind = if text.trim_start().starts_with(['{', '[']) {
                "JSON or other text"
            } else {
                "text"
            };
            format!("{kind}, starting {first:?}")
        }
        None => format!(
            "binary data, starting {}",
            bytes
                .iter()
                .take(8)
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    }
}

/// A safetensors file: an 8-byte little-endian header length, then a JSON object.
fn is_safetensors(bytes: &[u8]) -> bool {
    let Some(len) = bytes.get(..8) else {
        return false;
    };
    let len = u64::from_le_bytes(len.try_into().unwrap_or_default());
    len >= 2 && len <= (bytes.len() as u64).saturating_sub(8) && bytes.get(8..10) == Some(b"{\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn not_a_pickle(bytes: &[u8]) -> bool {
        let failure = crate::load_at(bytes, 0, &Default::default()).unwrap_err();
        failure_is_not_a_pickle(bytes, 0, &failure)
    }

    #[test]
    fn text_that_starts_with_an_opcode_is_told_from_a_pickle() {
        assert!(not_a_pickle(
            b"chat_template: \"{% for m in messages %}\"\nmodel: x\n"
        ));
        assert!(not_a_pickle(b"ls -la\n"));
        assert!(not_a_pickle(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"));
        // Names that could be imported, a truncated pickle, a protocol 2 header: pickles.
        assert!(!not_a_pickle(b"cos\nsystem\n\xff"));
        assert!(!not_a_pickle(b"(lp0\nI1\na"));
        assert!(!not_a_pickle(b"(K\x01K\x02l\x94R"));
        assert!(!not_a_pickle(b"\x80\x02\xff"));
    }

    #[test]
    fn descriptions_say_what_the_bytes_look_like() {
        assert_eq!(describe(b""), "an empty file");
        assert_eq!(
            describe(b"hello: world\n"),
            "text, starting \"hello: world\""
        );
        let mut safetensors = 4u64.to_le_bytes().to_vec();
        safetensors.extend(b"{\"a\"}");
        assert_eq!(describe(&safetensors), "a safetensors file");
        assert_eq!(describe(b"\x00\x01"), "binary data, starting 00 01");
    }
}
