//! The exact words of the exceptions CPython raises while `pickletools` decodes an
//! argument: `dis` stops with the same message pickletools stops with.
//!
//! `src/text.rs` decodes the arguments (one decoder for the machine and `dis`); these
//! functions run only after it has refused an argument, to word the refusal as CPython
//! does, with CPython's error ranges.

/// CPython formats `ValueError`s of `int()` on bytes with `%.200R` of at most 200 bytes.
const INT_LITERAL_SHOWN: usize = 200;

use crate::text;

/// `int(text)` refused `text`; `detail` is what `text::parse_int` said. CPython's words:
/// the digit limit with its advice, or the literal's repr cut to 200 characters.
pub(super) fn int_error(text: &[u8], detail: &str) -> String {
    let advice = "; use sys.set_int_max_str_digits() to increase the limit";
    if detail.starts_with("Exceeds the limit") {
        return format!("{detail}{advice}");
    }
    if let Some(digits) = leading_digits_over_limit(text) {
        return format!(
            "Exceeds the limit ({} digits) for integer string conversion: value has {digits} digits{advice}",
            text::INT_MAX_STR_DIGITS
        );
    }
    let shown = &text[..text.len().min(INT_LITERAL_SHOWN)];
    let repr = crate::text::scalar::bytes_repr(shown);
    // The repr is ASCII, so cutting it at a byte index cuts it at a character.
    let repr = &repr[..repr.len().min(INT_LITERAL_SHOWN)];
    format!("invalid literal for int() with base 10: {repr}")
}

/// CPython counts the run of digits (and single underscores) at the start of the
/// literal and refuses a run over the digit limit before it looks at what follows, so
/// `"9" * 5000 + "x"` is refused for its length, not for the `x`.
fn leading_digits_over_limit(text: &[u8]) -> Option<usize> {
    // CPython's `Py_ISSPACE`, which unlike Rust's ASCII whitespace includes `\v`.
    let spaces = text
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
        .count();
    let body = &text[spaces..];
    let body = body
        .strip_prefix(b"-")
        .or_else(|| body.strip_prefix(b"+"))
        .unwrap_or(body);
    if body.first() == Some(&b'_') {
        return None;
    }
    let run = body
        .iter()
        .take_while(|b| b.is_ascii_digit() || **b == b'_')
        .count();
    let run = &body[..run];
    if run.windows(2).any(|pair| pair == b"__") || run.last() == Some(&b'_') {
        return None;
    }
    let digits = run.iter().filter(|b| b.is_ascii_digit()).count();
    (digits > text::INT_MAX_STR_DIGITS).then_some(digits)
}

/// `bytes.decode('ascii')`'s complaint about the first byte above 127, if any.
pub(super) fn ascii_error(bytes: &[u8]) -> Option<String> {
    let position = bytes.iter().position(|&b| b >= 0x80)?;
    Some(format!(
        "'ascii' codec can't decode byte 0x{:02x} in position {position}: ordinal not in range(128)",
        bytes[position]
    ))
}

/// A `UnicodeDecodeError`'s text: one byte is named, a longer range is given by position.
fn decode_error(codec: &str, bytes: &[u8], start: usize, end: usize, reason: &str) -> String {
    if end == start + 1 {
        format!(
            "'{codec}' codec can't decode byte 0x{:02x} in position {start}: {reason}",
            bytes[start]
        )
    } else {
        format!(
            "'{codec}' codec can't decode bytes in position {start}-{}: {reason}",
            end - 1
        )
    }
}

fn is_continuation(byte: Option<&u8>) -> bool {
    byte.is_some_and(|&b| b & 0xc0 == 0x80)
}

/// How CPython's UTF-8 decoder classifies the sequence at the start of `rest`: `None`
/// when it is valid, else how many bytes the error spans (0 = to the end of the data).
fn utf8_step(rest: &[u8]) -> Result<usize, (usize, &'static str)> {
    const END: (usize, &str) = (0, "unexpected end of data");
    const START: (usize, &str) = (1, "invalid start byte");
    let bad = |span: usize| (span, "invalid continuation byte");
    let first = rest[0];
    let second = rest.get(1);
    match first {
        0x00..=0x7f => Ok(1),
        0x80..=0xc1 | 0xf5..=0xff => Err(START),
        0xc2..=0xdf => match second {
            None => Err(END),
            Some(_) if !is_continuation(second) => Err(bad(1)),
            Some(_) => Ok(2),
        },
        0xe0..=0xef => {
            let Some(&ch2) = second else { return Err(END) };
            // E0 must go on with A0..BF (no overlong forms); ED with 80..9F (a surrogate
            // is refused here and taken back by `surrogatepass`, see `utf8_error`).
            let range_ok = if ch2 < 0xa0 {
                first != 0xe0
            } else {
                first != 0xed
            };
            if !is_continuation(second) || !range_ok {
                return Err(bad(1));
            }
            match rest.get(2) {
                None => Err(END),
                third if !is_continuation(third) => Err(bad(2)),
                _ => Ok(3),
            }
        }
        0xf0..=0xf4 => {
            let Some(&ch2) = second else { return Err(END) };
            let range_ok = if ch2 < 0x90 {
                first != 0xf0
            } else {
                first != 0xf4
            };
            if !is_continuation(second) || !range_ok {
                return Err(bad(1));
            }
            match (rest.get(2), rest.get(3)) {
                (None, _) => Err(END),
                (third, _) if !is_continuation(third) => Err(bad(2)),
                (_, None) => Err(END),
                (_, fourth) if !is_continuation(fourth) => Err(bad(3)),
                _ => Ok(4),
            }
        }
    }
}

/// `str(bytes, 'utf-8', 'surrogatepass')`'s complaint, for bytes that
/// `PyStr::from_utf8_surrogatepass` refused. CPython's decoder stops at the first bad
/// sequence; `surrogatepass` accepts it only when it is an encoded surrogate
/// (`ED A0..BF 80..BF`), else the decoder's own error stands.
pub(super) fn utf8_error(bytes: &[u8]) -> String {
    let mut at = 0;
    while at < bytes.len() {
        match utf8_step(&bytes[at..]) {
            Ok(len) => at += len,
            Err(_) if matches!(bytes[at..], [0xed, 0xa0..=0xbf, 0x80..=0xbf, ..]) => at += 3,
            Err((span, reason)) => {
                let end = if span == 0 { bytes.len() } else { at + span };
                return decode_error("utf-8", bytes, at, end, reason);
            }
        }
    }
    // Unreachable for bytes the validator refused; say so rather than panic.
    "'utf-8' codec can't decode the argument".to_string()
}

/// `str(bytes, 'raw-unicode-escape')`'s complaint, for text that
/// `text::raw_unicode_escape_decode` refused: the range runs from the backslash to the
/// first byte that is not a hex digit (or the end), as in CPython.
pub(super) fn raw_unicode_escape_error(text: &[u8]) -> String {
    let mut at = 0;
    while at < text.len() {
        let width = match (text[at], text.get(at + 1)) {
            (b'\\', Some(b'u')) => 4,
            (b'\\', Some(b'U')) => 8,
            (b'\\', Some(_)) => {
                at += 2;
                continue;
            }
            _ => {
                at += 1;
                continue;
            }
        };
        let digits_start = at + 2;
        let digits = text.get(digits_start..).unwrap_or_default();
        let hex = digits
            .iter()
            .take(width)
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        if hex < width {
            let name = if width == 4 {
                "truncated \\uXXXX escape"
            } else {
                "truncated \\UXXXXXXXX escape"
            };
            return decode_error("rawunicodeescape", text, at, digits_start + hex, name);
        }
        let value = digits[..width].iter().fold(0u64, |acc, &d| {
            acc * 16 + u64::from((d as char).to_digit(16).unwrap_or(0))
        });
        if value > 0x10ffff {
            return decode_error(
                "rawunicodeescape",
                text,
                at,
                digits_start + width,
                "\\Uxxxxxxxx out of range",
            );
        }
        at = digits_start + width;
    }
    "'rawunicodeescape' codec can't decode the argument".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_errors_name_cpython_ranges() {
        let cases: &[(&[u8], &str)] = &[
            (b"\xff", "byte 0xff in position 0: invalid start byte"),
            (
                b"a\xe2\x82",
                "bytes in position 1-2: unexpected end of data",
            ),
            (
                b"\xe2\x82A",
                "bytes in position 0-1: invalid continuation byte",
            ),
            (
                b"\xf0\x90\x80A",
                "bytes in position 0-2: invalid continuation byte",
            ),
            (
                b"\xed\xa0",
                "byte 0xed in position 0: invalid continuation byte",
            ),
            (
                b"\xed\xa0\x80\xc3",
                "byte 0xc3 in position 3: unexpected end of data",
            ),
            (
                b"\xe0\x80\x80",
                "byte 0xe0 in position 0: invalid continuation byte",
            ),
        ];
        for (bytes, tail) in cases {
            assert_eq!(
                utf8_error(bytes),
                format!("'utf-8' codec can't decode {tail}")
            );
        }
    }

    #[test]
    fn raw_unicode_escape_errors_span_to_the_bad_digit() {
        assert_eq!(
            raw_unicode_escape_error(b"\\\\u\\u12x4"),
            "'rawunicodeescape' codec can't decode bytes in position 3-6: truncated \\uXXXX escape"
        );
        assert_eq!(
            raw_unicode_escape_error(b"\\U00110000"),
            "'rawunicodeescape' codec can't decode bytes in position 0-9: \\Uxxxxxxxx out of range"
        );
    }

    #[test]
    fn int_literals_are_cut_as_cpython_cuts_them() {
        let long = [b'x'; 300];
        let message = int_error(&long, "invalid literal");
        assert_eq!(
            message.len(),
            "invalid literal for int() with base 10: ".len() + 200
        );
        assert!(message.ends_with('x'));
        let mut over = vec![b'9'; 4301];
        over.push(b'x');
        assert_eq!(
            int_error(&over, "invalid literal"),
            "Exceeds the limit (4300 digits) for integer string conversion: value has 4301 digits; \
             use sys.set_int_max_str_digits() to increase the limit"
        );
    }
}
