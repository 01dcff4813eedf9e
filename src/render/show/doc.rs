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
