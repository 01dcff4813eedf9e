//! Text of objects that print without children: scalars, str, bytes and big ints, each
//! cut to a head when long (`b'\x00\x01…' (256.0 MiB)`), so one huge payload costs a line,
//! not gigabytes of escapes.

use num_bigint::BigInt;

use crate::graph::PyStr;
use crate::text::quantity::{size, thousands};
use crate::text::scalar::{bigint_repr, write_bytes_repr, write_str_repr};

/// Python's repr of a str, cut when it has more than `max_chars` code points to a head
/// whose repr takes at most `max_chars` columns (escapes count), with the length added:
/// `'abc…' (1,000 chars)`.
/// ```
/// use picklegraph::{render::show::leaf::str_text, PyStr};
/// assert_eq!(str_text(&PyStr::from_text("abcdef"), 3), "'abc…' (6 chars)");
/// assert_eq!(str_text(&PyStr::from_text("abc"), 3), "'abc'");
/// assert_eq!(str_text(&PyStr::from_text("a\n\n\n\n\n"), 4), r"'a\n…' (6 chars)");
/// ```
pub fn str_text(text: &PyStr<'_>, max_chars: usize) -> String {
    let bytes = text.as_bytes();
    let Some(cut) = nth_char_start(bytes, max_chars) else {
        // Room for the quotes and a few escapes: one allocation for most strs.
        let mut out = String::with_capacity(bytes.len() + 8);
        write_str_repr(&mut out, text);
        return out;
    };
    let repr_of = |cut: usize| {
        let head =
            PyStr::from_utf8_surrogatepass(&bytes[..cut]).unwrap_or_else(|_| PyStr::from_text(""));
        let mut out = String::new();
        write_str_repr(&mut out, &head);
        out
    };
    let mut out = fitted_head(cut, max_chars, repr_of, |cut| {
        // Back to the start of the code point the cut falls in.
        (0..=cut)
            .rev()
            .find(|&i| i == 0 || bytes[i] & 0xc0 != 0x80)
            .unwrap_or(0)
    });
    insert_ellipsis(&mut out);
    out.push_str(&format!(" ({} chars)", thousands(text.char_count() as u64)));
    out
}

/// Python's repr of bytes, cut when there are more than `max_bytes` of them to a head
/// whose repr takes at most `max_bytes` columns (`\x00` is four), with the size added:
/// `b'\x00\x01…' (256.0 MiB)`.
/// ```
/// use picklegraph::render::show::leaf::bytes_text;
/// assert_eq!(bytes_text(&[0u8; 3000], 8), r"b'\x00\x00…' (2.9 KiB)");
/// assert_eq!(bytes_text(&[b'a'; 3000], 8), r"b'aaaaaaaa…' (2.9 KiB)");
/// assert_eq!(bytes_text(b"ab", 2), "b'ab'");
/// ```
pub fn bytes_text(bytes: &[u8], max_bytes: usize) -> String {
    if bytes.len() <= max_bytes {
        let mut out = String::with_capacity(bytes.len() + 8);
        write_bytes_repr(&mut out, bytes);
        return out;
    }
    let repr_of = |cut: usize| {
        let mut out = String::with_capacity(cut + 8);
        write_bytes_repr(&mut out, &bytes[..cut]);
        out
    };
    let mut out = fitted_head(max_bytes, max_bytes, repr_of, |cut| cut);
    insert_ellipsis(&mut out);
    out.push_str(&format!(" ({})", size(bytes.len() as u64)));
    out
}

/// What `show` writes after the bytes of a Python 2 str its encoding could not decode
/// (kept as bytes under [`DecodeErrors::KeepBytes`](crate::DecodeErrors::KeepBytes)).
/// ```
/// use picklegraph::{render::show::leaf::undecoded_note, UndecodedStr};
/// let mark = UndecodedStr { encoding: "ascii", position: 3 };
/// assert_eq!(undecoded_note(&mark), " (Python 2 str, not ascii at byte 3)");
/// ```
pub fn undecoded_note(mark: &crate::UndecodedStr) -> String {
    format!(
        " (Python 2 str, not {} at byte {})",
        mark.encoding, mark.position
    )
}

/// Python's repr of a big int, cut after `max_digits` digits with the count added.
pub fn bigint_text(value: &BigInt, max_digits: usize) -> String {
    let text = bigint_repr(value);
    let digits = text.trim_start_matches('-').trim_start_matches("0x");
    if digits.len() <= max_digits {
        return text;
    }
    let prefix_len = text.len() - digits.len();
    let (unit, count) = if prefix_len > 0 && text.contains("0x") {
        ("bits", value.bits())
    } else {
        ("digits", digits.len() as u64)
    };
    format!(
        "{}… ({} {unit})",
        &text[..prefix_len + max_digits],
        thousands(count)
    )
}

/// The repr of the longest head, up to `cut`, whose text between its quotes takes at
/// most `columns` columns (at least one unit is kept): `repr_of` writes a head's repr,
/// `boundary` moves a cut back to where a unit starts. The cut shrinks in proportion to
/// how much too wide the text is, so a few tries settle it.
fn fitted_head(
    mut cut: usize,
    columns: usize,
    repr_of: impl Fn(usize) -> String,
    boundary: impl Fn(usize) -> usize,
) -> String {
    loop {
        let repr = repr_of(cut);
        // The quotes, and a bytes' `b`, are not the payload's.
        let width =
            super::layout::text_width(&repr).saturating_sub(2 + usize::from(repr.starts_with('b')));
        if width <= columns || cut <= 1 {
            return repr;
        }
        match boundary((cut * columns / width).min(cut - 1)) {
            0 => return repr,
            smaller => cut = smaller,
        }
    }
}

/// Puts `…` before a repr's closing quote.
fn insert_ellipsis(repr: &mut String) {
    let quote = repr.pop().unwrap_or('\'');
    repr.push('…');
    repr.push(quote);
}

/// The byte offset where code point number `n` starts, if the text has more than `n`.
fn nth_char_start(bytes: &[u8], n: usize) -> Option<usize> {
    if bytes.len() <= n {
        // No more code points than bytes: the common short str needs no count.
        return None;
    }
    bytes
        .iter()
        .enumerate()
        .filter(|(_, &b)| b & 0xc0 != 0x80)
        .nth(n)
        .map(|(i, _)| i)
}
