//! A str or bytes literal too long for its line, cut into adjacent literals, one a line,
//! as `pprint` cuts them: Python joins adjacent literals into one (`'ab' 'cd' == 'abcd'`),
//! so the text still reads as the same value, and no line passes the width.
//!
//! ```text
//! 'description': 'Standard Errors assume that the covariance matrix of the errors '
//!   'is correctly specified.',
//! ```
//!
//! A cut falls between two units of the literal's repr (a character or a whole escape
//! such as `\x00`); in a str, after a space where one is near, so words stay whole. A literal
//! written after other text (`bytearray(b'…')`, `'abc…' (1,000 chars)`) keeps that text
//! on its first and last lines.

use std::ops::Range;

/// A text that holds one str or bytes literal: what precedes it, its prefix and quote,
/// its units, and what follows its closing quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Literal<'t> {
    /// Text before the literal (`bytearray(`), without quotes.
    pub lead: &'t str,
    /// The literal's opening: `'`, `"`, `b'` or `b"`.
    pub open: &'t str,
    /// The repr between the quotes.
    pub body: &'t str,
    /// The closing quote and what follows it (`' (1,000 chars)`), without other quotes.
    pub close: &'t str,
}

/// A unit of a literal's body: its byte range, and whether it is white space (a cut
/// after it, before a non-space, keeps words whole).
#[derive(Debug, Clone, Copy)]
struct Unit {
    end: usize,
    width: usize,
    space: bool,
}

impl<'t> Literal<'t> {
    /// The literal in `text`, if `text` is one str or bytes literal with only quote-free
    /// text around it.
    /// ```
    /// use picklegraph::render::show::literal::Literal;
    /// let literal = Literal::parse(r"bytearray(b'a\'b')").unwrap();
    /// assert_eq!((literal.lead, literal.open, literal.body, literal.close),
    ///     ("bytearray(", "b'", r"a\'b", "')"));
    /// assert!(Literal::parse("'a' + 'b'").is_none());
    /// ```
    pub fn parse(text: &'t str) -> Option<Literal<'t>> {
        let start = text.find(['\'', '"'])?;
        let quote = text.as_bytes()[start];
        let (lead, open_start) = match text[..start].strip_suffix('b') {
            Some(lead) => (lead, start - 1),
            None => (&text[..start], start),
        };
        let bytes = text.as_bytes();
        let mut index = start + 1;
        while index < bytes.len() && bytes[index] != quote {
            index += if bytes[index] == b'\\' { 2 } else { 1 };
        }
        let close = text.get(index..)?;
        let body = text.get(start + 1..index)?;
        let quote_free = |s: &str| !s.contains(['\'', '"']);
        (!close.is_empty() && quote_free(lead) && quote_free(&close[1..])).then_some(Literal {
            lead,
            open: &text[open_start..=start],
            body,
            close,
        })
    }

    /// The body's units, each a character or a whole escape (`\n`, `\x00`, `\u20ac`).
    fn units(&self) -> Vec<Unit> {
        let body = self.body.as_bytes();
        let mut units = Vec::with_capacity(body.len());
        let mut index = 0;
        while index < body.len() {
            let (len, space) = match body[index] {
                b'\\' => {
                    let len = match body.get(index + 1) {
                        Some(b'x') => 4,
                        Some(b'u') => 6,
                        Some(b'U') => 10,
                        _ => 2,
                    };
                    let escape = &body[index..(index + len).min(body.len())];
                    (len, matches!(escape, b"\\n" | b"\\t" | b"\\r"))
                }
                byte => (utf8_len(byte), byte == b' '),
            };
            // An escape is ASCII, as wide as it is long; a character is one column.
            let width = if body[index] == b'\\' { len } else { 1 };
            index = (index + len).min(body.len());
            units.push(Unit {
                end: index,
                width,
                space,
            });
        }
        units
    }

    /// The body's ranges of the lines the literal is cut into: the first starts at
    /// column `column`, each other at `indent`, no line passes `width` (but for a unit
    /// that is wider than a whole line), and the last leaves `trailing` columns for the
    /// text after the literal. One range when the literal fits.
    /// ```
    /// use picklegraph::render::show::literal::Literal;
    /// let literal = Literal::parse("'the quick brown fox'").unwrap();
    /// let lines: Vec<_> = literal.lines(0, 2, 14, 1).into_iter()
    ///     .map(|range| &literal.body[range]).collect();
    /// assert_eq!(lines, ["the quick ", "brown fox"]);
    /// ```
    pub fn lines(
        &self,
        column: usize,
        indent: usize,
        width: usize,
        trailing: usize,
    ) -> Vec<Range<usize>> {
        let units = self.units();
        let quotes = self.open.chars().count() + 1;
        let close = self.close.chars().count() - 1;
        let mut lines = Vec::new();
        let (mut first, mut start, mut room) = (
            0,
            0,
            width.saturating_sub(column + self.lead.chars().count()),
        );
        while first < units.len() {
            let room_left = room.saturating_sub(quotes);
            // The furthest end that fits, the last line needing room for what follows.
            let mut used = 0;
            let mut end = first;
            while end < units.len() {
                let unit_width = units[end].width;
                let after = if end + 1 == units.len() {
                    close + trailing
                } else {
                    0
                };
                if used + unit_width + after > room_left {
                    break;
                }
                used += unit_width;
                end += 1;
            }
            if end < units.len() && !self.open.starts_with('b') {
                // Back to the last space followed by a word, if there is one in the last
                // third of the line (a str of escapes has few spaces, far apart).
                let near = end - (end - first) / 3;
                if let Some(cut) = (near.max(first + 1)..end)
                    .rev()
                    .find(|&cut| units[cut - 1].space && !units[cut].space)
                {
                    end = cut;
                }
            }
            let end = end.max(first + 1);
            let stop = units[end - 1].end;
            lines.push(start..stop);
            (first, start, room) = (end, stop, width.saturating_sub(indent));
        }
        if lines.is_empty() {
            lines.push(0..0);
        }
        lines
    }
}

/// The length of the UTF-8 sequence that `first` starts (1 for a stray byte).
fn utf8_len(first: u8) -> usize {
    match first {
        0xf0.. => 4,
        0xe0.. => 3,
        0xc0.. => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(text: &str, column: usize, width: usize, trailing: usize) -> Vec<String> {
        let literal = Literal::parse(text).unwrap();
        let lines = literal.lines(column, 2, width, trailing);
        let last = lines.len() - 1;
        lines
            .into_iter()
            .enumerate()
            .map(|(i, range)| {
                let lead = if i == 0 { literal.lead } else { "" };
                let close = if i == last {
                    literal.close
                } else {
                    &literal.close[..1]
                };
                format!("{lead}{}{}{close}", literal.open, &literal.body[range])
            })
            .collect()
    }

    #[test]
    fn escapes_are_never_cut() {
        let lines = cut(r"b'\x00\x01\x02\x03'", 0, 13, 0);
        assert_eq!(lines, [r"b'\x00\x01'", r"b'\x02\x03'"]);
    }

    #[test]
    fn the_last_line_leaves_room_for_what_follows() {
        let lines = cut("'abcdef…' (1,000 chars)", 0, 20, 1);
        assert_eq!(lines, ["'abcdef'", "'…' (1,000 chars)"]);
        // Each line after the first starts 2 columns in, and leaves 1 for a comma.
        assert!(2 + lines[1].chars().count() < 20);
    }

    #[test]
    fn a_line_too_narrow_for_a_unit_still_takes_one() {
        let lines = cut("'abc'", 10, 4, 0);
        assert_eq!(lines, ["'a'", "'b'", "'c'"]);
    }
}
