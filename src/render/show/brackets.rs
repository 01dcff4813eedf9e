//! A repr written as text and values (a standard library value's [`Part`]s), grouped at
//! its brackets so that it breaks at its commas when it does not fit the line. On one line
//! it is the repr Python writes; broken, each bracket's items go one a line, or fill lines
//! when they are all short texts (a struct sequence's fields):
//!
//! ```text
//! 'stat_result': os.stat_result(
//!   st_mode=33188, st_ino=1, st_dev=2, st_nlink=1, st_uid=0, st_gid=0, st_size=42,
//!   st_atime=1700000000, st_mtime=1700000001, st_ctime=1700000002,
//! ),
//! ```

use super::doc::Doc;
use crate::render::values::Part;

/// An open bracket: its closing character, its items so far, and the item being read.
struct Open {
    close: char,
    open: char,
    items: Vec<Vec<Doc>>,
    item: Vec<Doc>,
    /// Whether every item is short text and values, no bracket (a fill of fields rather
    /// than a column).
    plain: bool,
}

/// Items of at most this many columns fill lines; a longer one gets a line of its own.
const SHORT: usize = 24;

/// The parts as a document that breaks at the commas of its brackets, or `None` when the
/// text's brackets or quotes do not balance (it is then better written as it is).
/// ```
/// use picklegraph::render::{show::brackets::grouped, values::Part};
/// let doc = grouped(vec![Part::Text("f(a=1, b=[2, 3])".into())]).unwrap();
/// assert_eq!(doc.to_plain_string(80), "f(a=1, b=[2, 3])");
/// assert_eq!(doc.to_plain_string(12), "f(\n  a=1,\n  b=[2, 3],\n)");
/// ```
pub fn grouped(parts: Vec<Part>) -> Option<Doc> {
    let mut stack: Vec<Open> = Vec::new();
    let mut root: Vec<Doc> = Vec::new();
    let mut text = String::new();
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for part in parts {
        let part = match part {
            Part::Child(value) => {
                flush(&mut text, &mut stack, &mut root);
                current(&mut stack, &mut root).push(Doc::Value(value));
                continue;
            }
            Part::Text(part) => part,
        };
        let mut chars = part.chars().peekable();
        while let Some(c) = chars.next() {
            if let Some(q) = quote {
                text.push(c);
                match (escaped, c) {
                    (true, _) => escaped = false,
                    (false, '\\') => escaped = true,
                    (false, c) if c == q => quote = None,
                    _ => {}
                }
                continue;
            }
            match c {
                '\'' | '"' => {
                    quote = Some(c);
                    text.push(c);
                }
                '(' | '[' | '{' => {
                    flush(&mut text, &mut stack, &mut root);
                    if let Some(top) = stack.last_mut() {
                        top.plain = false;
                    }
                    stack.push(Open {
                        open: c,
                        close: match c {
                            '(' => ')',
                            '[' => ']',
                            _ => '}',
                        },
                        items: Vec::new(),
                        item: Vec::new(),
                        plain: true,
                    });
                }
                ')' | ']' | '}' => {
                    flush(&mut text, &mut stack, &mut root);
                    let mut open = stack.pop().filter(|open| open.close == c)?;
                    if !open.item.is_empty() {
                        let item = std::mem::take(&mut open.item);
                        open.items.push(item);
                    }
                    let doc = close(open);
                    current(&mut stack, &mut root).push(doc);
                }
                ',' if !stack.is_empty() && chars.peek() == Some(&' ') => {
                    chars.next();
                    flush(&mut text, &mut stack, &mut root);
                    let top = stack.last_mut()?;
                    let item = std::mem::take(&mut top.item);
                    top.items.push(item);
                }
                c => text.push(c),
            }
        }
    }
    flush(&mut text, &mut stack, &mut root);
    (stack.is_empty() && quote.is_none()).then_some(Doc::Concat(root))
}

/// Moves the text read so far into the item being read.
fn flush(text: &mut String, stack: &mut [Open], root: &mut Vec<Doc>) {
    if text.is_empty() {
        return;
    }
    let taken = std::mem::take(text);
    if let Some(top) = stack.last_mut() {
        top.plain &= top.item.is_empty() && taken.chars().count() <= SHORT;
    }
    current(stack, root).push(Doc::text(taken));
}

/// The parts of the item being read: the innermost bracket's, or the top level's.
fn current<'d>(stack: &'d mut [Open], root: &'d mut Vec<Doc>) -> &'d mut Vec<Doc> {
    match stack.last_mut() {
        Some(top) => &mut top.item,
        None => root,
    }
}

/// A closed bracket as a document: its items one a line (or filling lines) when broken,
/// a single item hugging the brackets as [`Doc::call`] has it.
fn close(open: Open) -> Doc {
    let (open_text, close_text) = (open.open.to_string(), open.close.to_string());
    let count = open.items.len();
    if count <= 1 {
        let mut parts = vec![Doc::text(open_text)];
        parts.extend(open.items.into_iter().flatten());
        parts.push(Doc::text(close_text));
        return Doc::Concat(parts);
    }
    let mut inner = Vec::with_capacity(3 * count);
    for (i, item) in open.items.into_iter().enumerate() {
        inner.push(if i == 0 { Doc::SoftLine } else { Doc::Line });
        inner.extend(item);
        inner.push(if i + 1 < count {
            Doc::text(",")
        } else {
            Doc::IfBreak(",")
        });
    }
    let parts = vec![
        Doc::text(open_text),
        Doc::Indent(inner),
        Doc::SoftLine,
        Doc::text(close_text),
    ];
    match open.plain {
        true => Doc::Fill(parts),
        false => Doc::Group(parts),
    }
}

/// A repr's text as a document that breaks at the commas of its brackets ([`grouped`]),
/// or as it is when its brackets or quotes do not balance.
/// ```
/// use picklegraph::render::show::brackets::text;
/// let doc = text("Booster(5 trees, 4 features, objective binary)".to_string());
/// assert_eq!(doc.to_plain_string(30),
///     "Booster(\n  5 trees, 4 features,\n  objective binary,\n)");
/// ```
pub fn text(text: String) -> Doc {
    grouped(vec![Part::Text(text.clone().into())]).unwrap_or_else(|| Doc::text(text))
}
