//! Python's text rules, both ways, for every layer above: parsing the text arguments
//! that protocol 0 carries (`INT`, `LONG`, `FLOAT`, `STRING`, `UNICODE`, `GET`/`PUT`)
//! with the rules of the Python functions that CPython's unpickler hands them to
//! (`int`, `float`, `codecs.escape_decode`, `raw_unicode_escape`), and Python's
//! spelling of scalars ([`scalar`]) and of counts and sizes ([`quantity`]). The
//! machine, the recognizers and the views all use them; this module uses only the graph's
//! string type.

mod printable;
pub mod quantity;
pub mod scalar;

use num_bigint::BigInt;
use num_traits::ToPrimitive;

use crate::graph::pystr::push_code_point;

/// CPython's default `sys.get_int_max_str_digits()`: decimal text longer than this is
/// refused by `int()`, and so by the unpickler. It also keeps parsing linear.
pub const INT_MAX_STR_DIGITS: usize = 4300;

/// An integer parsed from text: machine-size when it fits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParsedInt {
    /// Fits in an `i64`.
    Small(i64),
    /// Does not.
    Big(BigInt),
}

/// What the line of a protocol 0 `INT` or `LONG` holds, before its digits are parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumberLine<'a> {
    /// An `INT` of `00` or `01`: False or True, as protocol 0 writes bools.
    Bool(bool),
    /// The digits (and whatever else the line holds), for `int()`'s rules.
    Digits(&'a [u8]),
}

/// The line of an `INT` (`long` false) or a `LONG`: an `INT`'s `00` and `01` are bools,
/// and a `LONG` drops the one trailing `L` that Python 2 wrote. The machine, its loop of
/// protocol 0 list items and the disassembler all read them so.
pub(crate) fn number_line(line: &[u8], long: bool) -> NumberLine<'_> {
    match line {
        b"00" if !long => NumberLine::Bool(false),
        b"01" if !long => NumberLine::Bool(true),
        [digits @ .., b'L'] if long => NumberLine::Digits(digits),
        _ => NumberLine::Digits(line),
    }
}

impl ParsedInt {
    /// Normalizes a big integer to `Small` when it fits.
    pub fn from_big(value: BigInt) -> ParsedInt {
        match value.to_i64() {
            Some(small) => ParsedInt::Small(small),
            None => ParsedInt::Big(value),
        }
    }
}

fn trim_ascii_whitespace(text: &[u8]) -> &[u8] {
    let is_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    // Text from a pickler has no spaces around it: two tests instead of two scans.
    if text.first().is_some_and(|b| !is_space(b)) && text.last().is_some_and(|b| !is_space(b)) {
        return text;
    }
    let start = text.iter().position(|b| !is_space(b)).unwrap_or(text.len());
    let end = text
        .iter()
        .rposition(|b| !is_space(b))
        .map_or(start, |i| i + 1);
    &text[start..end]
}

/// The value of up to nineteen ASCII decimal digits (which always fit in a `u64`), or
/// `None` if a byte is not a digit. Eight digits at a time: protocol 0 writes every int
/// as text, most of them 10 to 19 digits long, and this is most of its load.
fn decimal_u64(digits: &[u8]) -> Option<u64> {
    debug_assert!(digits.len() <= 19);
    let mut value = 0u64;
    let mut rest = digits;
    while let Some((chunk, tail)) = rest.split_first_chunk::<8>() {
        value = value * 100_000_000 + eight_digits(u64::from_le_bytes(*chunk))?;
        rest = tail;
    }
    for &byte in rest {
        if !byte.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u64::from(byte - b'0');
    }
    Some(value)
}

/// The value of the eight decimal digits that the bytes of `word` spell, the first byte
/// (the lowest, as read little-endian) the most significant, or `None` if a byte is not
/// an ASCII digit.
#[inline]
fn eight_digits(word: u64) -> Option<u64> {
    const EACH: u64 = 0x0101_0101_0101_0101;
    const HIGH_NIBBLES: u64 = 0xf0 * EACH;
    // A byte is a digit when its high nibble is 3 (0x30..=0x3f) and stays 3 with 6 added
    // (0x36..=0x3f become 0x40..=0x45); with every high nibble 3 the additions carry into
    // no neighbour.
    let high_is_3 = word & HIGH_NIBBLES == 0x30 * EACH;
    let below_a = word.wrapping_add(6 * EACH) & HIGH_NIBBLES == 0x30 * EACH;
    if !(high_is_3 & below_a) {
        return None;
    }
    // Each byte now holds one digit, 0..=9. Fold neighbours into lanes twice as wide,
    // the lower (earlier) one as the higher place: 2-digit values in 16-bit lanes, then
    // 4-digit values in 32-bit lanes, then the whole. No lane overflows: 99 < 2^8,
    // 9,999 < 2^16, 99,999,999 < 2^32.
    let digits = word - 0x30 * EACH;
    let pairs = (digits * 10 + (digits >> 8)) & 0x00ff_00ff_00ff_00ff;
    let quads = (pairs * 100 + (pairs >> 16)) & 0x0000_ffff_0000_ffff;
    Some((quads * 10_000 + (quads >> 32)) & 0xffff_ffff)
}

/// Parses an integer as Python's `int(text, 0)` (`base0`) or `int(text)` does.
///
/// # Errors
/// A message in the words of Python's `ValueError`.
pub fn parse_int(text: &[u8], base0: bool) -> Result<ParsedInt, String> {
    parse_int_with_limit(text, base0, INT_MAX_STR_DIGITS)
}

/// [`parse_int`] with another limit on decimal digits than CPython's default.
///
/// # Errors
/// A message in the words of Python's `ValueError`.
pub fn parse_int_with_limit(
    text: &[u8],
    base0: bool,
    max_digits: usize,
) -> Result<ParsedInt, String> {
    let invalid = || {
        format!(
            "invalid literal for int() with base {}: {}",
            if base0 { 0 } else { 10 },
            crate::text::scalar::bytes_repr(text)
        )
    };
    let body = trim_ascii_whitespace(text);
    let (negative, body) = match body.first() {
        Some(b'-') => (true, &body[1..]),
        Some(b'+') => (false, &body[1..]),
        _ => (false, body),
    };
    let (radix, digits) = match body {
        [b'0', b'x' | b'X', rest @ ..] if base0 => (16, rest),
        [b'0', b'o' | b'O', rest @ ..] if base0 => (8, rest),
        [b'0', b'b' | b'B', rest @ ..] if base0 => (2, rest),
        _ => (10, body),
    };
    // The usual case, a short plain decimal, skips the general parse (and its bignum):
    // protocol 0 writes every int this way.
    let plain = radix == 10
        && (1..=19.min(max_digits)).contains(&digits.len())
        && (digits.len() == 1 || digits[0] != b'0');
    if let Some(magnitude) = plain.then(|| decimal_u64(digits)).flatten() {
        let value = if negative {
            0i64.checked_sub_unsigned(magnitude)
        } else {
            i64::try_from(magnitude).ok()
        };
        if let Some(value) = value {
            return Ok(ParsedInt::Small(value));
        }
    }
    // After a base prefix one underscore may come first (`0x_1f`); elsewhere underscores
    // only stand between two digits.
    let digits = match digits {
        [b'_', rest @ ..] if radix != 10 => rest,
        _ => digits,
    };
    let mut clean = Vec::with_capacity(digits.len());
    let mut last_was_digit = false;
    for &b in digits {
        if b == b'_' && last_was_digit {
            last_was_digit = false;
            continue;
        }
        if !(b as char).is_digit(radix) {
            return Err(invalid());
        }
        clean.push(b);
        last_was_digit = true;
    }
    if clean.is_empty() || !last_was_digit {
        return Err(invalid());
    }
    if radix == 10
        && base0
        && clean.len() > 1
        && clean[0] == b'0'
        && clean.iter().any(|&b| b != b'0')
    {
        return Err(invalid());
    }
    if radix == 10 && clean.len() > max_digits {
        return Err(format!(
            "Exceeds the limit ({max_digits} digits) for integer string conversion: value has {} digits",
            clean.len()
        ));
    }
    let magnitude = BigInt::parse_bytes(&clean, radix).ok_or_else(invalid)?;
    Ok(ParsedInt::from_big(if negative {
        -magnitude
    } else {
        magnitude
    }))
}

/// Parses a float as Python's `float(text)` does for ASCII text.
///
/// # Errors
/// A message in the words of Python's `ValueError`.
pub fn parse_float(text: &[u8]) -> Result<f64, String> {
    let invalid = || {
        format!(
            "could not convert string to float: {}",
            crate::text::scalar::bytes_repr(text)
        )
    };
    let body = trim_ascii_whitespace(text);
    let mut clean = String::with_capacity(body.len());
    let mut previous = 0u8;
    for (i, &b) in body.iter().enumerate() {
        if b == b'_' {
            let next = body.get(i + 1).copied().unwrap_or(0);
            if !(previous.is_ascii_digit() && next.is_ascii_digit()) {
                return Err(invalid());
            }
        } else if b.is_ascii() {
            clean.push(b as char);
        } else {
            return Err(invalid());
        }
        previous = b;
    }
    // Rust also accepts forms Python does not: reject them before parsing.
    let unsigned = clean.trim_start_matches(['+', '-']);
    let lower = unsigned.to_ascii_lowercase();
    let named = matches!(lower.as_str(), "inf" | "infinity" | "nan");
    if !named
        && !unsigned
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return Err(invalid());
    }
    if clean.len() - unsigned.len() > 1 {
        return Err(invalid());
    }
    clean.parse::<f64>().map_err(|_| invalid())
}

/// Decodes backslash escapes as `codecs.escape_decode` does (the `STRING` opcode).
///
/// # Errors
/// A message in the words of Python's `ValueError`.
pub fn escape_decode(text: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        i += 1;
        if b != b'\\' {
            out.push(b);
            continue;
        }
        let Some(&escape) = text.get(i) else {
            return Err("Trailing \\ in string".to_string());
        };
        i += 1;
        match escape {
            b'\n' => {}
            b'\\' | b'\'' | b'"' => out.push(escape),
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b't' => out.push(b'\t'),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b'v' => out.push(0x0b),
            b'a' => out.push(0x07),
            b'0'..=b'7' => {
                let mut value = u32::from(escape - b'0');
                for _ in 0..2 {
                    match text.get(i) {
                        Some(&d @ b'0'..=b'7') => {
                            value = value * 8 + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                // CPython keeps the low byte of an escape above \377 (with a warning).
                out.push(value as u8);
            }
            b'x' => {
                let hex = text.get(i..i + 2).and_then(|h| {
                    std::str::from_utf8(h)
                        .ok()
                        .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()))
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                });
                match hex {
                    Some(value) => {
                        out.push(value);
                        i += 2;
                    }
                    None => return Err(format!("invalid \\x escape at position {}", i - 2)),
                }
            }
            other => {
                out.push(b'\\');
                out.push(other);
            }
        }
    }
    Ok(out)
}

/// Decodes `raw_unicode_escape` text (the `UNICODE` opcode) into surrogate-passing UTF-8:
/// bytes are Latin-1 code points except `\uXXXX` and `\UXXXXXXXX`.
///
/// # Errors
/// A message in the words of Python's `UnicodeDecodeError`.
pub fn raw_unicode_escape_decode(text: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        i += 1;
        let width = match (b, text.get(i)) {
            (b'\\', Some(b'u')) => 4,
            (b'\\', Some(b'U')) => 8,
            (b'\\', Some(&other)) => {
                out.push(b'\\');
                push_code_point(&mut out, u32::from(other));
                i += 1;
                continue;
            }
            _ => {
                push_code_point(&mut out, u32::from(b));
                continue;
            }
        };
        let start = i - 1;
        let digits = text
            .get(i + 1..i + 1 + width)
            .filter(|d| d.iter().all(u8::is_ascii_hexdigit));
        let Some(digits) = digits else {
            let name = if width == 4 { "\\uXXXX" } else { "\\UXXXXXXXX" };
            return Err(format!(
                "can't decode bytes in position {start}: truncated {name} escape"
            ));
        };
        let value = digits.iter().fold(0u64, |acc, &d| {
            acc * 16 + u64::from((d as char).to_digit(16).unwrap_or(0))
        });
        if value > 0x10ffff {
            return Err(format!(
                "can't decode bytes in position {start}: \\Uxxxxxxxx out of range"
            ));
        }
        push_code_point(&mut out, value as u32);
        i += 1 + width;
    }
    Ok(out)
}

/// Reads a little-endian two's-complement integer (`LONG1`, `LONG4`).
pub fn decode_long(bytes: &[u8]) -> ParsedInt {
    if bytes.len() <= 8 {
        return ParsedInt::Small(decode_small_long(bytes));
    }
    ParsedInt::from_big(BigInt::from_signed_bytes_le(bytes))
}

/// [`decode_long`] of at most 8 bytes, which always fit in an `i64`.
///
/// # Panics
/// If there are more than 8 bytes.
#[inline]
pub fn decode_small_long(bytes: &[u8]) -> i64 {
    let fill = if bytes.last().is_some_and(|&b| b & 0x80 != 0) {
        0xff
    } else {
        0
    };
    let mut buf = [fill; 8];
    buf[..bytes.len()].copy_from_slice(bytes);
    i64::from_le_bytes(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_text_follows_python_int() {
        assert_eq!(parse_int(b"00", true), Ok(ParsedInt::Small(0)));
        assert_eq!(parse_int(b"1_000", true), Ok(ParsedInt::Small(1000)));
        assert!(parse_int(b"1__0", true).is_err());
        assert!(parse_int(b"_1", true).is_err());
        assert!(parse_int(b"", true).is_err());
        assert_eq!(
            parse_int(b"-9223372036854775809", true),
            Ok(ParsedInt::Big(BigInt::from(i64::MIN) - 1))
        );
        assert!(parse_int(&vec![b'9'; INT_MAX_STR_DIGITS + 1], true).is_err());
    }

    /// The digit-at-a-time value of `text`, or `None` at a non-digit: what
    /// `decimal_u64` must agree with.
    fn decimal_slowly(text: &[u8]) -> Option<u64> {
        text.iter().try_fold(0u64, |acc, &b| {
            b.is_ascii_digit().then(|| acc * 10 + u64::from(b - b'0'))
        })
    }

    proptest::proptest! {
        /// Every length up to nineteen digits, with any byte (digit or not, the bytes
        /// next to '0' and '9' most of all) in any place.
        #[test]
        fn decimal_u64_reads_digits_as_one_at_a_time_does(
            digits in proptest::collection::vec(b'0'..=b'9', 1..=19),
            odd in proptest::sample::select(vec![b'/', b':', b'?', b' ', 0x00, 0x30 | 0x80, 0xb9, b'L', 0xff]),
            place in 0usize..19,
            spoil in proptest::bool::ANY,
        ) {
            let mut text = digits;
            if spoil {
                let place = place % text.len();
                text[place] = odd;
            }
            proptest::prop_assert_eq!(decimal_u64(&text), decimal_slowly(&text));
        }
    }

    #[test]
    fn decimal_u64_reads_the_widest_values() {
        for text in [
            &b"9999999999999999999"[..],
            b"18446744073709551615"[..19].as_ref(),
            b"0000000000000000001",
            b"12345678",
            b"1234567890123456",
        ] {
            assert_eq!(decimal_u64(text), decimal_slowly(text), "{text:?}");
        }
        for byte in 0..=255u8 {
            let mut text = *b"11111111";
            text[3] = byte;
            assert_eq!(decimal_u64(&text), decimal_slowly(&text), "byte {byte}");
        }
    }

    #[test]
    fn float_text_follows_python_float() {
        assert_eq!(parse_float(b" 1e5\n"), Ok(100000.0));
        assert!(parse_float(b"1__0").is_err());
        assert!(parse_float(b"0x10").is_err());
        assert!(parse_float(b"+-1").is_err());
        assert!(parse_float(b"-nan").unwrap().is_nan());
    }

    #[test]
    fn escape_decode_rejects_a_short_hex_escape() {
        assert!(escape_decode(br"\x4").is_err());
        assert!(escape_decode(b"\\").is_err());
    }
}

/// The examples that were doc tests while the module was public.
#[cfg(test)]
mod examples {
    #[test]
    fn parse_int_example() {
        use crate::text::{parse_int, ParsedInt};
        assert_eq!(parse_int(b" -0x1_f", true), Ok(ParsedInt::Small(-31)));
        assert!(parse_int(b"007", true).is_err());
        assert_eq!(parse_int(b"007", false), Ok(ParsedInt::Small(7)));
    }

    #[test]
    fn parse_float_example() {
        assert_eq!(crate::text::parse_float(b"1_0.5"), Ok(10.5));
        assert!(crate::text::parse_float(b"-inf").unwrap().is_infinite());
    }

    #[test]
    fn escape_decode_example() {
        assert_eq!(
            crate::text::escape_decode(br"a\x41\101\n\q"),
            Ok(b"aAA\n\\q".to_vec())
        );
    }

    #[test]
    fn raw_unicode_escape_decode_example() {
        let utf8 = crate::text::raw_unicode_escape_decode(br"caf\u00e9\ud800").unwrap();
        assert_eq!(utf8, b"caf\xc3\xa9\xed\xa0\x80");
    }

    #[test]
    fn decode_long_example() {
        use crate::text::{decode_long, ParsedInt};
        assert_eq!(decode_long(&[0xff, 0x00]), ParsedInt::Small(255));
        assert_eq!(decode_long(&[]), ParsedInt::Small(0));
    }

    #[test]
    fn decode_small_long_example() {
        use crate::text::decode_small_long;
        assert_eq!(decode_small_long(&[0x00, 0x80]), -32768);
        assert_eq!(decode_small_long(&[0xff; 8]), -1);
    }
}
