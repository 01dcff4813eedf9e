//! The layout engine under `show`: a small streaming pretty-printer in the manner of
//! Oppen and Wadler. It knows nothing of pickles: it reads a stream of [`Token`]s, where
//! a group ([`Token::Begin`] … [`Token::End`]) is printed on one line when it fits in the
//! width that is left, and otherwise has each of its own line breaks start a new line.
//!
//! The printer looks ahead at most one line's width of text to decide a group, so it
//! works on an unbounded stream in memory bounded by the width and the open groups, and
//! in time linear in the output (each token is looked at no more than once per group
//! that still might fit, and a fit test stops after `width` characters).
//!
//! A stream may also hold [`Token::Block`]s: groups that their [`Source`] measures and
//! writes itself, straight onto the printer's [`Pen`]. Tokens cost an allocation, a queue
//! and a match each; a block of plain data costs only its text. The printer decides a
//! block as it decides a group, so the output is the same either way.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::io::{self, Write};

use crate::text::scalar::write_int;

/// How a piece of text is coloured on a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Punctuation and anything else.
    Plain,
    /// Ints and floats.
    Number,
    /// `str` and `bytes` literals.
    Str,
    /// `None`, `True`, `False`.
    Constant,
    /// Names of globals and calls.
    Name,
    /// Labels of shared objects (`&1`) and references to them (`*1`).
    Label,
    /// Comments and elisions (`# …`, `… 10 more items`).
    Comment,
}

impl Style {
    /// The ANSI SGR code that starts this style, or `None` for plain text.
    fn ansi(self) -> Option<&'static str> {
        match self {
            Style::Plain => None,
            Style::Number => Some("\x1b[36m"),
            Style::Str => Some("\x1b[32m"),
            Style::Constant => Some("\x1b[35m"),
            Style::Name => Some("\x1b[33m"),
            Style::Label => Some("\x1b[1;34m"),
            Style::Comment => Some("\x1b[2m"),
        }
    }
}

/// One element of the stream the printer lays out.
#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    /// Text without line breaks.
    Text(Cow<'static, str>, Style),
    /// A space when its group is flat, a line break when the group is broken.
    Line,
    /// Nothing when its group is flat, a line break when the group is broken.
    SoftLine,
    /// Always a line break; a group holding one never fits on one line.
    HardLine,
    /// Text written only when its group is broken (a trailing comma).
    IfBreak(&'static str),
    /// Opens a group.
    Begin,
    /// Opens a group that, when it breaks, fills lines: its [`Token::Line`]s break only
    /// where the next item would not fit (a list of numbers becomes a paragraph).
    BeginFill,
    /// Closes the innermost open group.
    End,
    /// Indents the lines that follow by one step more.
    Indent,
    /// Undoes one [`Token::Indent`].
    Dedent,
    /// A group that the [`Source`] lays out itself: it opens with a text of
    /// [`Source::block_head`] columns and a soft line break, and holds no hard line break.
    Block(Block),
}

/// Names a [`Token::Block`] to its [`Source`]: a key the source chose, and the nesting
/// depth the block starts at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    /// What the source lays out (for `show`, a node's index).
    pub key: usize,
    /// Nesting depth of the block's own values.
    pub depth: usize,
}

/// A stream of tokens whose [`Token::Block`]s it can measure and write.
pub trait Source: Iterator<Item = Token> {
    /// The block's width laid out on one line, or `None` when that is more than `room`.
    fn block_width(&mut self, block: Block, room: usize) -> Option<usize>;

    /// The columns of the block's text before its first line break (its opening bracket).
    fn block_head(&mut self, block: Block) -> usize;

    /// Writes the block onto `pen`: on one line when `flat`, else with its breaks taken
    /// (and its inner groups decided as the printer decides groups).
    ///
    /// # Errors
    /// The first write error.
    fn write_block<W: Write>(
        &mut self,
        block: Block,
        flat: bool,
        pen: &mut Pen<W>,
    ) -> io::Result<()>;
}

/// A plain token iterator as a [`Source`] without blocks.
struct Tokens<I>(I);

impl<I: Iterator<Item = Token>> Iterator for Tokens<I> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        self.0.next()
    }
}

impl<I: Iterator<Item = Token>> Source for Tokens<I> {
    fn block_width(&mut self, _: Block, _: usize) -> Option<usize> {
        None
    }

    fn block_head(&mut self, _: Block) -> usize {
        0
    }

    fn write_block<W: Write>(&mut self, _: Block, _: bool, _: &mut Pen<W>) -> io::Result<()> {
        Ok(())
    }
}

impl Token {
    /// Plain text.
    /// ```
    /// use picklegraph::render::show::layout::{Style, Token};
    /// assert_eq!(Token::text("["), Token::Text("[".into(), Style::Plain));
    /// ```
    pub fn text(text: impl Into<Cow<'static, str>>) -> Token {
        Token::Text(text.into(), Style::Plain)
    }
}

/// How the printer lays out: width, indentation and colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Columns a line should not pass (a single long text may still pass it).
    pub width: usize,
    /// Spaces per [`Token::Indent`].
    pub indent: usize,
    /// Indentation stops growing here, so a million nested lists print in output
    /// linear in their number rather than quadratic.
    pub max_indent: usize,
    /// Whether to write ANSI colours.
    pub color: bool,
}

impl Layout {
    /// A layout of `width` columns, two spaces per level, indentation capped at half the
    /// width, no colour.
    pub fn new(width: usize) -> Layout {
        Layout {
            width,
            indent: 2,
            max_indent: (width / 2).max(8),
            color: false,
        }
    }
}

/// At most this many columns after a str or bytes literal are kept on its line when it is
/// cut (see [`Pen::write_literal`]): its comma, closing brackets, a key's `: `.
pub const LITERAL_SLACK: usize = 16;

/// A literal that is cut starts a line of its own when fewer columns than this are left
/// for its text on the line it would start on.
const LITERAL_MIN_ROOM: usize = 8;

/// A line break and up to this many less one columns of indentation are copied as one
/// fixed-size chunk.
const SHORT_BREAK: usize = 32;

/// Bytes a [`Pen`] gathers before it writes them out.
const PEN_BUFFER: usize = 32 * 1024;

/// How an open group lays out its line breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    /// On one line.
    Flat,
    /// Every break taken.
    Broken,
    /// Broken, but each [`Token::Line`] taken only when the next item does not fit.
    Fill,
}

/// What a fit test measures, from where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fit {
    /// A group just opened, then the text after it up to the next line break.
    Group,
    /// The text after a group just closed, up to the next line break.
    After,
    /// Inside a filling group: the next item, up to the next break.
    Item,
}

/// Where text goes: the writer, the column reached and the indentation, with the
/// layout's width and colours. The printer writes through it, and so do blocks.
pub struct Pen<W: Write> {
    out: W,
    /// Text not yet handed to `out`: most texts are a few bytes, and a copy into a
    /// vector costs less than a call into a writer each.
    buffer: Vec<u8>,
    layout: Layout,
    level: usize,
    /// The columns of indentation at `level`.
    indent: usize,
    /// A line break and spaces, at least as many as `indent`: each new line is one copy.
    breaks: Vec<u8>,
    column: usize,
}

impl<W: Write> Pen<W> {
    /// The layout written to.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The column the next text starts at.
    pub fn column(&self) -> usize {
        self.column
    }

    /// Writes `text` (no line breaks), `width` columns wide, in `style`.
    ///
    /// # Errors
    /// The first write error.
    #[inline]
    pub fn write_text(&mut self, text: &str, width: usize, style: Style) -> io::Result<()> {
        debug_assert!(
            !text.contains('\n'),
            "text tokens hold no line breaks: {text:?}"
        );
        match self.layout.color {
            true => self.write_coloured(text, style),
            false => self.buffer.extend_from_slice(text.as_bytes()),
        }
        self.column += width;
        self.drain()
    }

    /// Writes `text` between `style`'s colour code and the reset.
    fn write_coloured(&mut self, text: &str, style: Style) {
        match style.ansi() {
            Some(code) => {
                self.buffer.extend_from_slice(code.as_bytes());
                self.buffer.extend_from_slice(text.as_bytes());
                self.buffer.extend_from_slice(b"\x1b[0m");
            }
            None => self.buffer.extend_from_slice(text.as_bytes()),
        }
    }

    /// Writes punctuation (brackets, `, `, `: `): a few ASCII bytes in no style, pushed
    /// one by one, which costs less than a call to copy them.
    ///
    /// # Errors
    /// The first write error.
    #[inline]
    pub fn punct(&mut self, text: &str) -> io::Result<()> {
        debug_assert!(text.is_ascii() && !text.contains('\n'), "{text:?}");
        for &byte in text.as_bytes() {
            self.buffer.push(byte);
        }
        self.column += text.len();
        self.drain()
    }

    /// Writes the ASCII text (no line breaks) that `write` appends, as wide as it is
    /// long, in `style`: a number goes straight into the pen's buffer.
    ///
    /// # Errors
    /// The first write error.
    pub fn write_ascii(
        &mut self,
        style: Style,
        write: impl FnOnce(&mut Vec<u8>),
    ) -> io::Result<()> {
        let code = style.ansi().filter(|_| self.layout.color);
        if let Some(code) = code {
            self.buffer.extend_from_slice(code.as_bytes());
        }
        let start = self.buffer.len();
        write(&mut self.buffer);
        debug_assert!(
            self.buffer[start..].is_ascii() && !self.buffer[start..].contains(&b'\n'),
            "ASCII with no line break"
        );
        self.column += self.buffer.len() - start;
        if code.is_some() {
            self.buffer.extend_from_slice(b"\x1b[0m");
        }
        self.drain()
    }

    /// Writes an int, `width` columns wide (its decimal text's length), as a number.
    ///
    /// # Errors
    /// The first write error.
    #[inline]
    pub fn write_int(&mut self, value: i64, width: usize) -> io::Result<()> {
        if self.layout.color {
            return self.write_ascii(Style::Number, |out| write_int(out, value));
        }
        write_int(&mut self.buffer, value);
        self.column += width;
        self.drain()
    }

    /// Hands the buffer to the writer once it holds enough to be worth a call.
    #[inline(always)]
    fn drain(&mut self) -> io::Result<()> {
        match self.buffer.len() >= PEN_BUFFER {
            true => self.write_out(),
            false => Ok(()),
        }
    }

    /// Hands the buffer to the writer.
    #[cold]
    fn write_out(&mut self) -> io::Result<()> {
        self.out.write_all(&self.buffer)?;
        self.buffer.clear();
        Ok(())
    }

    /// Hands everything written to the writer, and flushes it.
    fn flush(&mut self) -> io::Result<()> {
        self.write_out()?;
        self.out.flush()
    }

    /// Writes `text` in `style`, measuring it.
    ///
    /// # Errors
    /// The first write error.
    pub fn text(&mut self, text: &str, style: Style) -> io::Result<()> {
        self.write_text(text, text_width(text), style)
    }

    /// Whether a literal `width` columns wide fits on the line whatever follows it, so
    /// that [`Pen::write_literal`] would write it as it is.
    pub fn fits_literal(&self, width: usize) -> bool {
        self.column + width + LITERAL_SLACK <= self.layout.width
    }

    /// Writes the text of a str or bytes literal, `width` columns wide: as it is when it
    /// fits with the `trailing` columns that follow it on the line (at most
    /// [`LITERAL_SLACK`] of them count), else cut into adjacent literals, one a line, each
    /// after the first indented one step more (see [`super::literal`]).
    ///
    /// # Errors
    /// The first write error.
    pub fn write_literal(
        &mut self,
        text: &str,
        width: usize,
        style: Style,
        trailing: usize,
    ) -> io::Result<()> {
        let trailing = trailing.min(LITERAL_SLACK);
        let literal = match self.column + width + trailing > self.layout.width {
            true => super::literal::Literal::parse(text),
            false => None,
        };
        let Some(literal) = literal else {
            return self.write_text(text, width, style);
        };
        self.indent();
        // A literal that would start with only a few columns left begins a line.
        let opening = text_width(literal.lead) + text_width(literal.open) + 1;
        if self.column + opening + LITERAL_MIN_ROOM > self.layout.width && self.column > self.indent
        {
            // The space before the literal would end the line.
            if self.buffer.last() == Some(&b' ') {
                self.buffer.pop();
            }
            self.newline()?;
        }
        let lines = literal.lines(self.column, self.indent, self.layout.width, trailing);
        if lines.len() < 2 {
            self.dedent();
            return self.write_text(text, width, style);
        }
        let quote = &literal.open[literal.open.len() - 1..];
        let last = lines.len() - 1;
        let mut line = String::new();
        for (index, range) in lines.into_iter().enumerate() {
            line.clear();
            if index == 0 {
                line.push_str(literal.lead);
            } else {
                self.newline()?;
            }
            line.push_str(literal.open);
            line.push_str(&literal.body[range]);
            line.push_str(if index == last { literal.close } else { quote });
            self.write_text(&line, text_width(&line), style)?;
        }
        self.dedent();
        Ok(())
    }

    /// Indents the lines that follow one step more.
    pub fn indent(&mut self) {
        self.level += 1;
        self.set_indent();
    }

    /// Undoes one [`Pen::indent`].
    pub fn dedent(&mut self) {
        self.level = self.level.saturating_sub(1);
        self.set_indent();
    }

    /// Sets the columns of indentation for the level, and makes `breaks` long enough.
    fn set_indent(&mut self) {
        self.indent = (self.level.saturating_mul(self.layout.indent)).min(self.layout.max_indent);
        if self.breaks.len() <= self.indent {
            self.breaks.resize(self.indent + 1, b' ');
        }
    }

    /// Starts a new line at the current indentation.
    ///
    /// # Errors
    /// The first write error.
    #[inline]
    pub fn newline(&mut self) -> io::Result<()> {
        // A line break and the indentation in one copy: of a fixed size when it is
        // short, which needs no call, cut back after.
        match self
            .breaks
            .get(..SHORT_BREAK)
            .filter(|_| self.indent < SHORT_BREAK)
        {
            Some(chunk) => {
                let end = self.buffer.len() + 1 + self.indent;
                self.buffer.extend_from_slice(chunk);
                self.buffer.truncate(end);
            }
            None => self
                .buffer
                .extend_from_slice(&self.breaks[..1 + self.indent]),
        }
        self.column = self.indent;
        self.drain()
    }
}

/// Lays out a token stream on a writer.
pub struct Printer<W: Write> {
    pen: Pen<W>,
    /// Tokens read ahead for a fit test, each with its width in columns.
    lookahead: VecDeque<(Token, usize)>,
    groups: Vec<Group>,
}

impl<W: Write> Printer<W> {
    /// A printer writing to `out`.
    pub fn new(out: W, layout: Layout) -> Printer<W> {
        Printer {
            pen: Pen {
                out,
                buffer: Vec::with_capacity(PEN_BUFFER + 256),
                layout,
                level: 0,
                indent: 0,
                breaks: [b"\n".as_slice(), &[b' '; SHORT_BREAK - 1]].concat(),
                column: 0,
            },
            lookahead: VecDeque::new(),
            groups: Vec::new(),
        }
    }

    /// Prints every token of `tokens`.
    ///
    /// # Errors
    /// The first write error.
    /// ```
    /// use picklegraph::render::show::layout::{Layout, Printer, Token};
    /// let tokens = [Token::Begin, Token::text("["), Token::Indent, Token::SoftLine,
    ///     Token::text("1,"), Token::Line, Token::text("2"), Token::Dedent, Token::SoftLine,
    ///     Token::text("]"), Token::End];
    /// let mut out = Vec::new();
    /// Printer::new(&mut out, Layout::new(80)).print(tokens.iter().cloned())?;
    /// assert_eq!(out, b"[1, 2]");
    /// let mut out = Vec::new();
    /// Printer::new(&mut out, Layout::new(4)).print(tokens.into_iter())?;
    /// assert_eq!(out, b"[\n  1,\n  2\n]");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn print(&mut self, tokens: impl Iterator<Item = Token>) -> io::Result<()> {
        self.print_source(Tokens(tokens))
    }

    /// Prints every token of `tokens`, with the blocks it lays out itself.
    ///
    /// # Errors
    /// The first write error.
    pub fn print_source(&mut self, mut tokens: impl Source) -> io::Result<()> {
        loop {
            let (token, width) = match self.lookahead.pop_front() {
                Some(measured) => measured,
                None => match tokens.next() {
                    Some(token) => {
                        let width = width(&token);
                        (token, width)
                    }
                    None => break,
                },
            };
            self.emit(token, width, &mut tokens)?;
        }
        self.pen.flush()
    }

    fn broken(&self) -> bool {
        self.groups.last().copied().unwrap_or(Group::Broken) != Group::Flat
    }

    fn emit(&mut self, token: Token, width: usize, rest: &mut impl Source) -> io::Result<()> {
        let broken = self.broken();
        let pen = &mut self.pen;
        match token {
            Token::Text(text, Style::Str) if broken && !pen.fits_literal(width) => {
                let trailing = self.trailing(rest);
                self.pen.write_literal(&text, width, Style::Str, trailing)?;
            }
            Token::Text(text, style) => pen.write_text(&text, width, style)?,
            Token::Line if self.groups.last() == Some(&Group::Fill) => {
                let room = pen.layout.width.saturating_sub(pen.column + 1);
                match self.fits(rest, room, Fit::Item) {
                    true => self.pen.write_text(" ", 1, Style::Plain)?,
                    false => self.pen.newline()?,
                }
            }
            Token::Line if broken => pen.newline()?,
            Token::Line => pen.write_text(" ", 1, Style::Plain)?,
            Token::HardLine => pen.newline()?,
            Token::SoftLine if broken => pen.newline()?,
            Token::SoftLine => {}
            Token::IfBreak(text) if broken => pen.write_text(text, width, Style::Plain)?,
            Token::IfBreak(_) => {}
            Token::Block(block) => {
                let room = pen.layout.width.saturating_sub(pen.column);
                let flat = !broken
                    || match rest.block_width(block, room) {
                        Some(width) => self.fits(rest, room - width, Fit::After),
                        None => false,
                    };
                rest.write_block(block, flat, &mut self.pen)?;
            }
            Token::Begin | Token::BeginFill => {
                let room = pen.layout.width.saturating_sub(pen.column);
                let group = match (
                    broken && !self.fits(rest, room, Fit::Group),
                    token == Token::BeginFill,
                ) {
                    (false, _) => Group::Flat,
                    (true, false) => Group::Broken,
                    (true, true) => Group::Fill,
                };
                self.groups.push(group);
            }
            Token::End => {
                self.groups.pop();
            }
            Token::Indent => pen.indent(),
            Token::Dedent => pen.dedent(),
        }
        Ok(())
    }

    /// The columns of text that follow a literal on its line, up to the next line break
    /// or the next literal, at most one past [`LITERAL_SLACK`]: a group opened after it
    /// counts up to its first break, a block its head (as [`Fit::After`] measures).
    fn trailing(&mut self, rest: &mut impl Source) -> usize {
        let mut total = 0;
        let mut index = 0;
        while total <= LITERAL_SLACK {
            if index == self.lookahead.len() {
                match rest.next() {
                    Some(token) => {
                        let width = width(&token);
                        self.lookahead.push_back((token, width));
                    }
                    None => break,
                }
            }
            match &self.lookahead[index].0 {
                Token::Text(_, Style::Str) | Token::Line | Token::SoftLine | Token::HardLine => {
                    break
                }
                Token::Text(..) | Token::IfBreak(_) => total += self.lookahead[index].1,
                Token::Block(block) => {
                    total += rest.block_head(*block);
                    break;
                }
                Token::Begin | Token::BeginFill | Token::End | Token::Indent | Token::Dedent => {}
            }
            index += 1;
        }
        total
    }

    /// Whether what comes next fits in `room` columns, laid out flat (see [`Fit`]).
    fn fits(&mut self, rest: &mut impl Source, mut room: usize, fit: Fit) -> bool {
        let item_only = fit == Fit::Item;
        let mut depth = usize::from(fit == Fit::Group);
        let mut index = 0;
        loop {
            if index == self.lookahead.len() {
                match rest.next() {
                    Some(token) => {
                        let width = width(&token);
                        self.lookahead.push_back((token, width));
                    }
                    None => return true,
                }
            }
            let inside = depth > 0;
            let (token, measured) = &self.lookahead[index];
            let width = match token {
                Token::Text(..) => *measured,
                Token::Line if inside => 1,
                Token::SoftLine if inside => 0,
                Token::HardLine if inside => return false,
                Token::Line | Token::SoftLine | Token::HardLine => return true,
                Token::IfBreak(_) if !inside => *measured,
                Token::IfBreak(_) | Token::Indent | Token::Dedent => 0,
                Token::Begin | Token::BeginFill => {
                    depth += usize::from(inside || item_only);
                    0
                }
                Token::End if item_only && !inside => return true,
                Token::End => {
                    depth = depth.saturating_sub(1);
                    0
                }
                // A block is a group: whole when inside one or measuring an item, else
                // only its head counts, up to the break that follows it.
                Token::Block(block) if inside || item_only => {
                    match rest.block_width(*block, room) {
                        Some(width) => width,
                        None => return false,
                    }
                }
                Token::Block(block) => return rest.block_head(*block) <= room,
            };
            if width > room {
                return false;
            }
            room -= width;
            index += 1;
        }
    }
}

/// The columns a text token takes; 0 for the tokens that are not text.
fn width(token: &Token) -> usize {
    match token {
        Token::Text(text, _) => text_width(text),
        Token::IfBreak(text) => text_width(text),
        _ => 0,
    }
}

/// The columns a text takes: one per code point (ASCII without counting).
pub fn text_width(text: &str) -> usize {
    if text.is_ascii() {
        text.len()
    } else {
        text.chars().count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&'static str]) -> Vec<Token> {
        let mut tokens = vec![
            Token::Begin,
            Token::text("["),
            Token::Indent,
            Token::SoftLine,
        ];
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                tokens.push(Token::text(","));
                tokens.push(Token::Line);
            }
            tokens.push(Token::text(*item));
        }
        tokens.extend([
            Token::IfBreak(","),
            Token::Dedent,
            Token::SoftLine,
            Token::text("]"),
            Token::End,
        ]);
        tokens
    }

    fn print(width: usize, tokens: Vec<Token>) -> String {
        let mut out = Vec::new();
        Printer::new(&mut out, Layout::new(width))
            .print(tokens.into_iter())
            .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_group_that_fits_stays_on_one_line() {
        assert_eq!(print(10, list(&["1", "2", "3"])), "[1, 2, 3]");
    }

    #[test]
    fn a_group_that_does_not_fit_breaks_every_line_with_a_trailing_comma() {
        assert_eq!(print(8, list(&["1", "2", "3"])), "[\n  1,\n  2,\n  3,\n]");
    }

    #[test]
    fn text_after_a_group_counts_against_its_fit() {
        let mut tokens = list(&["1", "2"]);
        tokens.push(Token::text(".extend()"));
        assert_eq!(print(12, tokens.clone()), "[\n  1,\n  2,\n].extend()");
        assert_eq!(print(15, tokens), "[1, 2].extend()");
    }

    #[test]
    fn a_filling_group_breaks_only_where_the_next_item_does_not_fit() {
        let mut tokens = list(&["1", "2", "3", "4", "5"]);
        tokens[0] = Token::BeginFill;
        assert_eq!(print(9, tokens), "[\n  1, 2,\n  3, 4,\n  5,\n]");
    }

    #[test]
    fn colour_codes_take_no_columns() {
        let mut tokens = list(&["1", "2"]);
        tokens[4] = Token::Text("1".into(), Style::Number);
        let mut layout = Layout::new(6);
        layout.color = true;
        let mut out = Vec::new();
        Printer::new(&mut out, layout)
            .print(tokens.into_iter())
            .unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "[\x1b[36m1\x1b[0m, 2]");
    }

    #[test]
    fn a_hard_line_breaks_its_group() {
        let tokens = vec![
            Token::Begin,
            Token::text("a"),
            Token::Line,
            Token::HardLine,
            Token::text("b"),
            Token::End,
        ];
        assert_eq!(print(80, tokens), "a\n\nb");
    }

    #[test]
    fn indentation_stops_growing_at_the_cap() {
        let mut tokens = Vec::new();
        for _ in 0..10 {
            tokens.extend([Token::Indent, Token::HardLine, Token::text("x")]);
        }
        let text = print(10, tokens);
        assert_eq!(text.lines().last(), Some("        x"));
    }
}
