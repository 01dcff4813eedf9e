//! Python's codecs for Python 2 8-bit strings (`STRING`, `BINSTRING`, `SHORT_BINSTRING`),
//! which `pickle.loads` decodes with `bytes.decode(encoding, errors)`: the encodings
//! Python 2 pickles are written in (ASCII, Latin-1, cp1252, UTF-8) and every error
//! handler that decoding takes, each with CPython's results, error ranges included.

use std::borrow::Cow;

use crate::graph::pystr::push_code_point;
use crate::graph::PyStr;
use crate::limits::{DecodeErrors, StringEncoding};

/// cp1252's code points for bytes 0x80 to 0x9f; 0 where Python's codec defines none.
const CP1252_HIGH: [u16; 32] = [
    0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039,
    0x0152, 0, 0x017d, 0, 0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc,
    0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
];

/// One step of a decoder: a code point and the bytes it took, or the bytes of an error.
enum Step {
    Char(u32, usize),
    Error(usize),
}

/// Decodes `bytes` as `bytes.decode(encoding, errors)` does (not for
/// [`StringEncoding::Bytes`], which keeps them); `Err(position)` where strict decoding
/// (or [`DecodeErrors::KeepBytes`], or `surrogatepass` outside a surrogate) fails.
pub(crate) fn decode<'a>(
    bytes: Cow<'a, [u8]>,
    encoding: StringEncoding,
    errors: DecodeErrors,
) -> Result<PyStr<'a>, usize> {
    if bytes.is_ascii() {
        // ASCII reads the same in every encoding, and stays borrowed.
        return PyStr::from_utf8_surrogatepass(bytes);
    }
    if encoding == StringEncoding::Utf8 && errors == DecodeErrors::SurrogatePass {
        return PyStr::from_utf8_surrogatepass(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len() * 2);
    let mut position = 0;
    while position < bytes.len() {
        let step = match encoding {
            StringEncoding::Ascii => ascii_step(bytes[position]),
            StringEncoding::Latin1 => Step::Char(u32::from(bytes[position]), 1),
            StringEncoding::Cp1252 => cp1252_step(bytes[position]),
            StringEncoding::Utf8 => utf8_step(&bytes[position..]),
            StringEncoding::Bytes => unreachable!("bytes are kept, not decoded"),
        };
        match step {
            Step::Char(point, len) => {
                push_code_point(&mut out, point);
                position += len;
            }
            Step::Error(len) => {
                handle_error(&mut out, &bytes[position..position + len], errors).ok_or(position)?;
                position += len;
            }
        }
    }
    Ok(PyStr::from_utf8_surrogatepass(out).expect("code points were encoded one by one"))
}

fn ascii_step(byte: u8) -> Step {
    if byte.is_ascii() {
        Step::Char(u32::from(byte), 1)
    } else {
        Step::Error(1)
    }
}

fn cp1252_step(byte: u8) -> Step {
    match byte {
        0x80..=0x9f => match CP1252_HIGH[usize::from(byte - 0x80)] {
            0 => Step::Error(1),
            point => Step::Char(u32::from(point), 1),
        },
        _ => Step::Char(u32::from(byte), 1),
    }
}

/// One character of UTF-8, or an error as long as CPython's (the maximal subpart of an
/// ill-formed sequence; the rest of the input for a sequence cut short at its end).
fn utf8_step(rest: &[u8]) -> Step {
    let head = &rest[..rest.len().min(4)];
    let valid = match std::str::from_utf8(head) {
        Ok(text) => text,
        Err(error) if error.valid_up_to() > 0 => {
            std::str::from_utf8(&head[..error.valid_up_to()]).unwrap_or_default()
        }
        Err(error) => return Step::Error(error.error_len().unwrap_or(head.len())),
    };
    let point = valid.chars().next().expect("a valid prefix is not empty");
    Step::Char(u32::from(point), point.len_utf8())
}

/// Applies an error handler to the bytes of one error; None where it raises.
fn handle_error(out: &mut Vec<u8>, error: &[u8], errors: DecodeErrors) -> Option<()> {
    match errors {
        DecodeErrors::Strict | DecodeErrors::SurrogatePass | DecodeErrors::KeepBytes => {
            return None
        }
        DecodeErrors::Ignore => {}
        DecodeErrors::Replace => push_code_point(out, 0xfffd),
        DecodeErrors::BackslashReplace => {
            for byte in error {
                out.extend_from_slice(format!("\\x{byte:02x}").as_bytes());
            }
        }
        DecodeErrors::SurrogateEscape => {
            for &byte in error {
                // Only bytes of 0x80 and above can be escaped; every error byte is one.
                push_code_point(out, 0xdc00 + u32::from(byte));
            }
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(bytes: &[u8], encoding: StringEncoding, errors: DecodeErrors) -> Option<String> {
        decode(Cow::Borrowed(bytes), encoding, errors)
            .ok()
            .map(|text| text.to_string_lossy().into_owned())
    }

    #[test]
    fn cp1252_leaves_five_bytes_undefined_as_python_does() {
        let undefined: Vec<u8> = (0x80..=0x9f)
            .filter(|&b| decoded(&[b], StringEncoding::Cp1252, DecodeErrors::Strict).is_none())
            .collect();
        assert_eq!(undefined, [0x81, 0x8d, 0x8f, 0x90, 0x9d]);
        let euro = decoded(b"\x80", StringEncoding::Cp1252, DecodeErrors::Strict);
        assert_eq!(euro.as_deref(), Some("\u{20ac}"));
    }

    #[test]
    fn utf8_errors_are_maximal_subparts() {
        let replaced = decoded(
            b"a\xe2\x82b\xff",
            StringEncoding::Utf8,
            DecodeErrors::Replace,
        );
        assert_eq!(replaced.as_deref(), Some("a\u{fffd}b\u{fffd}"));
        let escaped = decoded(
            b"\xe2\x82",
            StringEncoding::Utf8,
            DecodeErrors::BackslashReplace,
        );
        assert_eq!(escaped.as_deref(), Some("\\xe2\\x82"));
    }
}
