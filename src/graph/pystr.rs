//! [`PyStr`]: a Python `str` as the bytes of its code points in UTF-8, where lone
//! surrogates are allowed (CPython's `surrogatepass`).
//!
//! Python strings may hold lone surrogates (`'\ud800'`), which Rust's `str` cannot, and
//! pickles carry text as UTF-8 with `surrogatepass`. Keeping exactly those bytes lets a
//! `BINUNICODE` payload be borrowed from the input untouched.

use std::borrow::Cow;

/// A Python `str`: code points encoded as UTF-8, surrogates included.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PyStr<'a>(Cow<'a, [u8]>);

impl<'a> PyStr<'a> {
    /// Wraps bytes that are UTF-8 with surrogates allowed.
    ///
    /// # Errors
    /// The byte position where the bytes stop being such UTF-8.
    /// ```
    /// use picklegraph::PyStr;
    /// assert!(PyStr::from_utf8_surrogatepass(b"\xed\xa0\x80".as_slice()).is_ok());
    /// assert_eq!(PyStr::from_utf8_surrogatepass(b"a\xff".as_slice()).unwrap_err(), 1);
    /// ```
    // Always inlined: returned through memory, the result was written in parts and
    // read back whole by the machine, a store-forwarding stall on every str.
    #[inline(always)]
    pub fn from_utf8_surrogatepass(bytes: impl Into<Cow<'a, [u8]>>) -> Result<PyStr<'a>, usize> {
        let bytes = bytes.into();
        validate(&bytes)?;
        Ok(PyStr(bytes))
    }

    /// Bytes known to be such UTF-8 already (the arena validated them when it stored
    /// them).
    #[inline]
    pub(crate) fn trusted(bytes: &'a [u8]) -> PyStr<'a> {
        PyStr(Cow::Borrowed(bytes))
    }

    /// The bytes, borrowed or owned as they were.
    #[inline]
    pub(crate) fn into_bytes(self) -> Cow<'a, [u8]> {
        self.0
    }

    /// A string from Rust text.
    pub fn from_text(text: &'a str) -> PyStr<'a> {
        PyStr(Cow::Borrowed(text.as_bytes()))
    }

    /// A string from code points, each below 0x110000 (surrogates allowed).
    pub fn from_code_points(points: impl IntoIterator<Item = u32>) -> PyStr<'static> {
        let mut out = Vec::new();
        for cp in points {
            push_code_point(&mut out, cp);
        }
        PyStr(Cow::Owned(out))
    }

    /// The string's bytes: UTF-8 with surrogates encoded as three bytes each.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Whether the bytes are still borrowed from the input.
    #[inline]
    pub fn is_borrowed(&self) -> bool {
        matches!(self.0, Cow::Borrowed(_))
    }

    /// The text as Rust `str`, unless it holds a lone surrogate.
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    /// The text as Rust `str` for as long as the bytes it borrows, when it borrows them
    /// (as every str [`Pickle::node`](crate::Pickle::node) shows does) and holds no
    /// lone surrogate.
    pub fn as_borrowed_str(&self) -> Option<&'a str> {
        match self.0 {
            Cow::Borrowed(bytes) => std::str::from_utf8(bytes).ok(),
            Cow::Owned(_) => None,
        }
    }

    /// The bytes for as long as they are borrowed, when they are.
    pub fn as_borrowed_bytes(&self) -> Option<&'a [u8]> {
        match self.0 {
            Cow::Borrowed(bytes) => Some(bytes),
            Cow::Owned(_) => None,
        }
    }

    /// The text with each lone surrogate replaced by U+FFFD.
    pub fn to_string_lossy(&self) -> Cow<'_, str> {
        match self.as_str() {
            Some(text) => Cow::Borrowed(text),
            None => Cow::Owned(
                self.code_points()
                    .map(|cp| char::from_u32(cp).unwrap_or('\u{fffd}'))
                    .collect(),
            ),
        }
    }

    /// The code points, in order.
    pub fn code_points(&self) -> CodePoints<'_> {
        CodePoints { bytes: &self.0 }
    }

    /// The number of code points, as Python's `len()` counts them.
    pub fn char_count(&self) -> usize {
        self.0.iter().filter(|&&b| b & 0xc0 != 0x80).count()
    }

    /// Detaches the string from the input it borrows.
    pub fn into_owned(self) -> PyStr<'static> {
        PyStr(Cow::Owned(self.0.into_owned()))
    }
}

/// Iterator over a [`PyStr`]'s code points.
#[derive(Debug, Clone)]
pub struct CodePoints<'s> {
    bytes: &'s [u8],
}

impl Iterator for CodePoints<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        let (&first, rest) = self.bytes.split_first()?;
        let (len, init) = match first {
            0x00..=0x7f => (1, u32::from(first)),
            0xc0..=0xdf => (2, u32::from(first & 0x1f)),
            0xe0..=0xef => (3, u32::from(first & 0x0f)),
            _ => (4, u32::from(first & 0x07)),
        };
        debug_assert!(rest.len() + 1 >= len, "PyStr bytes were validated");
        let take = (len - 1).min(rest.len());
        let cp = rest[..take]
            .iter()
            .fold(init, |acc, &b| (acc << 6) | u32::from(b & 0x3f));
        self.bytes = &rest[take..];
        Some(cp)
    }
}

/// Appends one code point in UTF-8, encoding surrogates as `surrogatepass` does.
pub fn push_code_point(out: &mut Vec<u8>, cp: u32) {
    match cp {
        0..=0x7f => out.push(cp as u8),
        0x80..=0x7ff => out.extend_from_slice(&[0xc0 | (cp >> 6) as u8, 0x80 | (cp & 0x3f) as u8]),
        0x800..=0xffff => out.extend_from_slice(&[
            0xe0 | (cp >> 12) as u8,
            0x80 | ((cp >> 6) & 0x3f) as u8,
            0x80 | (cp & 0x3f) as u8,
        ]),
        _ => out.extend_from_slice(&[
            0xf0 | (cp >> 18) as u8,
            0x80 | ((cp >> 12) & 0x3f) as u8,
            0x80 | ((cp >> 6) & 0x3f) as u8,
            0x80 | (cp & 0x3f) as u8,
        ]),
    }
}

/// Checks UTF-8 with surrogates allowed; on failure, the position of the first bad byte.
#[inline]
fn validate(bytes: &[u8]) -> Result<(), usize> {
    // Most text in pickles is short and ASCII, where this check is several times faster
    // than full UTF-8 validation.
    if bytes.is_ascii() {
        return Ok(());
    }
    if bytes.len() <= SHORT_TEXT {
        return validate_short(bytes);
    }
    validate_long(bytes)
}

/// Text up to which [`validate_short`] is used: past it, the standard library's check,
/// which reads a word at a time, is faster.
const SHORT_TEXT: usize = 32;

/// [`validate`] one sequence at a time: for a short str with a non-ASCII character (a
/// name, a word), a third of the instructions of the standard library's check, whose
/// set-up is made for long text.
fn validate_short(bytes: &[u8]) -> Result<(), usize> {
    let mut at = 0;
    while let Some(&first) = bytes.get(at) {
        if first < 0x80 {
            at += 1;
            continue;
        }
        // The sequence's length and the range of its second byte (RFC 3629, table 3-7
        // of the Unicode standard), surrogates (ED A0..BF) allowed.
        let (len, low, high) = match first {
            0xc2..=0xdf => (2, 0x80, 0xbf),
            0xe0 => (3, 0xa0, 0xbf),
            0xe1..=0xef => (3, 0x80, 0xbf),
            0xf0 => (4, 0x90, 0xbf),
            0xf1..=0xf3 => (4, 0x80, 0xbf),
            0xf4 => (4, 0x80, 0x8f),
            _ => return Err(at),
        };
        let Some(sequence) = bytes.get(at..at + len) else {
            return Err(at);
        };
        let second_fits = (low..=high).contains(&sequence[1]);
        if !second_fits || !sequence[2..].iter().all(|&b| b & 0xc0 == 0x80) {
            return Err(at);
        }
        at += len;
    }
    Ok(())
}

/// [`validate`] by the standard library's check, stepping over encoded surrogates.
fn validate_long(bytes: &[u8]) -> Result<(), usize> {
    let mut start = 0;
    loop {
        match std::str::from_utf8(&bytes[start..]) {
            Ok(_) => return Ok(()),
            Err(err) => {
                let at = start + err.valid_up_to();
                // Rust rejects encoded surrogates (ED A0..BF xx); CPython's surrogatepass
                // accepts them, so step over them and go on.
                match bytes.get(at..at + 3) {
                    Some([0xed, 0xa0..=0xbf, 0x80..=0xbf]) => start = at + 3,
                    _ => return Err(at),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Bytes near UTF-8: sequences of any lead byte followed by up to three bytes at the
    /// edges of the ranges a second or later byte must fall in.
    fn near_utf8() -> impl Strategy<Value = Vec<u8>> {
        let edge = prop_oneof![
            proptest::sample::select(vec![0x7fu8, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0]),
            any::<u8>(),
        ];
        let leads = vec![
            0x41u8, 0x7f, 0x80, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1,
            0xf3, 0xf4, 0xf5, 0xff,
        ];
        let lead = prop_oneof![proptest::sample::select(leads), any::<u8>()];
        let sequence = (lead, proptest::collection::vec(edge, 0..=3));
        proptest::collection::vec(sequence, 0..=8).prop_map(|sequences| {
            let mut bytes: Vec<u8> = (sequences.into_iter())
                .flat_map(|(lead, rest)| std::iter::once(lead).chain(rest))
                .collect();
            bytes.truncate(SHORT_TEXT);
            bytes
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        #[test]
        fn the_short_check_agrees_with_the_standard_one(bytes in near_utf8()) {
            prop_assert_eq!(validate_short(&bytes), validate_long(&bytes));
        }

        #[test]
        fn valid_text_with_surrogates_passes_the_short_check(
            points in proptest::collection::vec(0u32..0x110000, 0..8),
        ) {
            let text = PyStr::from_code_points(points);
            prop_assert_eq!(validate_short(text.as_bytes()), Ok(()));
        }
    }

    #[test]
    fn surrogates_round_trip_through_code_points() {
        let text = PyStr::from_code_points([0x61, 0xd800, 0x1f600, 0xdfff]);
        assert_eq!(
            text.code_points().collect::<Vec<_>>(),
            [0x61, 0xd800, 0x1f600, 0xdfff]
        );
        assert!(PyStr::from_utf8_surrogatepass(text.as_bytes().to_vec()).is_ok());
        assert_eq!(text.char_count(), 4);
        assert_eq!(text.as_str(), None);
    }

    #[test]
    fn overlong_and_truncated_sequences_are_rejected() {
        assert_eq!(PyStr::from_utf8_surrogatepass(&b"ab\xc0\x80"[..]), Err(2));
        assert_eq!(PyStr::from_utf8_surrogatepass(&b"\xed\xa0"[..]), Err(0));
    }
}
