//! [`Doc`]: a small document tree, the form in which inert nodes and recognizers describe
//! how an object prints. Its leaves are text, line breaks and graph values; the show walker
//! renders each [`Doc::Value`] in place, with labels and elision, so a recognizer only says
//! how *its* node looks and never walks the graph itself.

use std::borrow::Cow;

use super::layout::{Style, Token};
use crate::graph::Value;

/// A document: text, breaks and graph values, grouped and indented.
#[derive(Debug, Clone, PartialEq)]
pub enum Doc {
    /// Text without line breaks.
    Text(Cow<'static, str>, Style),
    /// A value of the graph, printed as `show` prints it (labelled, elided, recognized).
    Value(Value),
    /// A space, or a line break when the enclosing group breaks.
    Line,
    /// Nothing, or a line break when the enclosing group breaks.
    SoftLine,
    /// Always a line break.
    HardLine,
    /// Text written only when the enclosing group breaks.
    IfBreak(&'static str),
    /// Parts printed on one line if they fit, else with each of their breaks taken.
    Group(Vec<Doc>),
    /// Parts printed on one line if they fit, else filling lines: a break is taken only
    /// where the next part would not fit (the values of an array).
    Fill(Vec<Doc>),
    /// Parts whose line breaks are indented one step more.
    Indent(Vec<Doc>),
    /// Parts one after another.
    Concat(Vec<Doc>),
}

/// An element of a flattened document: a layout token, or a graph value still to print.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A token for the printer.
    Token(Token),
    /// A value for the walker to print.
    Value(Value),
}

impl Doc {
    /// Plain text.
    pub fn text(text: impl Into<Cow<'static, str>>) -> Doc {
        Doc::styled(text, Style::Plain)
    }

    /// Text in a style. What a terminal would obey (a line break, an escape) is written
    /// escaped, as a repr writes it: recognizers build text from names found in the
    /// pickle, and one holding a line break broke the layout (found by the fuzzer).
    /// ```
    /// use picklegraph::render::show::{doc::Doc, layout::Style};
    /// assert_eq!(Doc::text("a\nb"), Doc::Text("a\\nb".into(), Style::Plain));
    /// ```
    pub fn styled(text: impl Into<Cow<'static, str>>, style: Style) -> Doc {
        let text = text.into();
        let text = match crate::text::scalar::escape_nonprintable(&text) {
            Cow::Borrowed(_) => text,
            Cow::Owned(escaped) => Cow::Owned(escaped),
        };
        Doc::Text(text, style)
    }

    /// A comment or elision, dimmed on a terminal.
    pub fn comment(text: impl Into<Cow<'static, str>>) -> Doc {
        Doc::styled(text, Style::Comment)
    }

    /// `open item, item, … close`: on one line if it fits, else one item per line, each
    /// followed by a comma; `more` items left out are counted in a last line.
    /// ```
    /// use picklegraph::render::show::doc::Doc;
    /// let doc = Doc::bracketed("[", vec![Doc::text("1"), Doc::text("2")], 0, "]");
    /// assert_eq!(doc.to_plain_string(80), "[1, 2]");
    /// assert_eq!(doc.to_plain_string(4), "[\n  1,\n  2,\n]");
    /// ```
    pub fn bracketed(open: &'static str, items: Vec<Doc>, more: usize, close: &'static str) -> Doc {
        if items.is_empty() && more == 0 {
            return Doc::text(format!("{open}{close}"));
        }
        let count = items.len();
        let mut inner = Vec::with_capacity(3 * count + 2);
        for (i, item) in items.into_iter().enumerate() {
            inner.push(if i == 0 { Doc::SoftLine } else { Doc::Line });
            inner.push(item);
            inner.push(if i + 1 < count || more > 0 {
                Doc::text(",")
            } else {
                Doc::IfBreak(",")
            });
        }
        if more > 0 {
            inner.push(if count == 0 { Doc::SoftLine } else { Doc::Line });
            inner.push(Doc::comment(more_items(more)));
        }
        Doc::Group(vec![
            Doc::text(open),
            Doc::Indent(inner),
            Doc::SoftLine,
            Doc::text(close),
        ])
    }

    /// `callee(args…)`; a single argument hugs the parentheses (`f({` … `})`).
    /// ```
    /// use picklegraph::render::show::doc::Doc;
    /// let doc = Doc::call(Doc::text("f"), vec![Doc::text("1"), Doc::text("'a'")], 0);
    /// assert_eq!(doc.to_plain_string(80), "f(1, 'a')");
    /// ```
    pub fn call(callee: Doc, args: Vec<Doc>, more: usize) -> Doc {
        if args.len() == 1 && more == 0 {
            let arg = args.into_iter().next().unwrap_or(Doc::Concat(Vec::new()));
            return Doc::Concat(vec![callee, Doc::text("("), arg, Doc::text(")")]);
        }
        Doc::Concat(vec![callee, Doc::bracketed("(", args, more, ")")])
    }

    /// Lines of text printed as they are, each at the current indentation: the simplest
    /// way for a recognizer to describe a node (a disassembled function, a tensor header).
    /// ```
    /// use picklegraph::render::show::doc::Doc;
    /// let doc = Doc::lines(["def f(x):", "    return x"]);
    /// assert_eq!(doc.to_plain_string(80), "def f(x):\n    return x");
    /// ```
    pub fn lines<S: Into<Cow<'static, str>>>(lines: impl IntoIterator<Item = S>) -> Doc {
        let mut parts = Vec::new();
        for (i, line) in lines.into_iter().enumerate() {
            if i > 0 {
                parts.push(Doc::HardLine);
            }
            parts.push(Doc::text(line));
        }
        Doc::Concat(parts)
    }

    /// The document as a flat list of tokens and values, walked with a heap stack (a
    /// recognizer's document may nest as deep as it likes).
    pub fn flatten(self) -> Vec<Item> {
        let mut out = Vec::new();
        let mut stack: Vec<(std::vec::IntoIter<Doc>, Option<Token>)> =
            vec![(vec![self].into_iter(), None)];
        while let Some((parts, _)) = stack.last_mut() {
            let Some(doc) = parts.next() else {
                if let Some((_, Some(close))) = stack.pop() {
                    out.push(Item::Token(close));
                }
                continue;
            };
            let token = match doc {
                Doc::Text(text, style) => Token::Text(text, style),
                Doc::Value(value) => {
                    out.push(Item::Value(value));
                    continue;
                }
                Doc::Line => Token::Line,
                Doc::SoftLine => Token::SoftLine,
                Doc::HardLine => Token::HardLine,
                Doc::IfBreak(text) => Token::IfBreak(text),
                Doc::Group(parts) => {
                    stack.push((parts.into_iter(), Some(Token::End)));
                    Token::Begin
                }
                Doc::Fill(parts) => {
                    stack.push((parts.into_iter(), Some(Token::End)));
                    Token::BeginFill
                }
                Doc::Indent(parts) => {
                    stack.push((parts.into_iter(), Some(Token::Dedent)));
                    Token::Indent
                }
                Doc::Concat(parts) => {
                    stack.push((parts.into_iter(), None));
                    continue;
                }
            };
            out.push(Item::Token(token));
        }
        out
    }

    /// The document laid out in `width` columns without colour; values print as `<value>`.
    /// For examples and tests of documents that hold no graph values.
    pub fn to_plain_string(&self, width: usize) -> String {
        let tokens = self.clone().flatten().into_iter().map(|item| match item {
            Item::Token(token) => token,
            Item::Value(_) => Token::text("<value>"),
        });
        let mut out = Vec::new();
        let printed =
            super::layout::Printer::new(&mut out, super::layout::Layout::new(width)).print(tokens);
        debug_assert!(printed.is_ok(), "writing to a Vec cannot fail");
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// `… 3 more items`, with thousands separated.
pub fn more_items(count: usize) -> String {
    format!(
        "… {} more item{}",
        crate::text::quantity::thousands(count as u64),
        if count == 1 { "" } else { "s" }
    )
}

/// A `# …` comment line cut into lines of at most `width` columns where it is longer:
/// at the spaces after its commas (a list of names stays one name a piece) and before a
/// parenthesis, and at other spaces inside a piece too long for a line; each line after
/// the first starts `#   `. A word longer than a line is cut after a `/` when it is a path
/// (a pickle's label in a zip); a long dotted name is left whole.
/// ```
/// use picklegraph::render::show::doc::wrap_comment;
/// let lines = wrap_comment("# by name: class a.Bbbbb, class c.Ddddd, e.f", 30);
/// assert_eq!(lines, ["# by name: class a.Bbbbb,", "#   class c.Ddddd, e.f"]);
/// assert_eq!(wrap_comment("# short", 30), ["# short"]);
/// let lines = wrap_comment("# archive/code/__torch__/torch/nn/modules/linear.py.debug_pkl", 40);
/// assert_eq!(lines, ["# archive/code/__torch__/torch/nn/", "#   modules/linear.py.debug_pkl"]);
/// ```
pub fn wrap_comment(text: &str, width: usize) -> Vec<String> {
    use super::layout::text_width;
    const NEXT: &str = "#   ";
    if text_width(text) <= width {
        return vec![text.to_string()];
    }
    let room = width.saturating_sub(NEXT.len());
    // Each atom, and whether a space comes before it on a line.
    let atoms = pieces(text).into_iter().flat_map(|part| {
        let words: Vec<&str> = match text_width(part) > room {
            true => part.split(' ').collect(),
            false => vec![part],
        };
        words.into_iter().flat_map(move |word| {
            let cuts: Vec<&str> = match text_width(word) > room {
                true => word.split_inclusive('/').collect(),
                false => vec![word],
            };
            cuts.into_iter().enumerate().map(|(i, cut)| (cut, i == 0))
        })
    });
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut columns = 0;
    for (atom, spaced) in atoms.filter(|(atom, _)| !atom.is_empty()) {
        let atom_width = text_width(atom);
        let space = usize::from(spaced);
        let starts = line.is_empty() || line == NEXT;
        if !starts && columns + space + atom_width > width {
            lines.push(std::mem::replace(&mut line, NEXT.to_string()));
            columns = NEXT.len();
        } else if !starts && spaced {
            line.push(' ');
            columns += 1;
        }
        line.push_str(atom);
        columns += atom_width;
    }
    lines.push(line);
    lines
}

/// The pieces of a comment that a line may end between: split at the space after a
/// comma (one name of a list a piece) and at the space before a note in parentheses
/// that ends the comment (`name (a note)`).
fn pieces(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let note = final_note(text);
    let mut pieces = Vec::new();
    let mut start = 0;
    for (i, &byte) in bytes.iter().enumerate() {
        let after_comma = i > 0 && bytes[i - 1] == b',';
        if byte == b' ' && (after_comma || note == Some(i + 1)) {
            pieces.push(&text[start..i]);
            start = i + 1;
        }
    }
    pieces.push(&text[start..]);
    pieces
}

/// Where the parenthesis opens that the comment's last `)` closes.
fn final_note(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, byte) in text.bytes().enumerate().rev() {
        match byte {
            b')' => depth += 1,
            b'(' if depth == 1 => return Some(i),
            b'(' => depth = depth.checked_sub(1)?,
            _ if depth == 0 => return None,
            _ => {}
        }
    }
    None
}
