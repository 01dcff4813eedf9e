//! The text of a finding: the call as the unpickler would make it, each argument
//! rendered with `render::repr` and shortened so one line stays readable.

use crate::graph::{Node, Pickle, PyStr, Value};
use crate::render::repr::Renderer;
use crate::text::scalar::write_str_repr;

/// Longest argument text, in characters, before it is shortened to head … tail.
const ARG_MAX_CHARS: usize = 80;
const ARG_HEAD_CHARS: usize = 56;
const ARG_TAIL_CHARS: usize = 20;
/// Most arguments written before the rest are elided.
const MAX_ARGS: usize = 8;
/// Bytes of repr computed for one argument (a long str is cut to head … tail apart).
const ARG_BUDGET: usize = ARG_MAX_CHARS;

/// Writes the values of one pickle as short texts.
pub struct Describer<'p, 'a> {
    pickle: &'p Pickle<'a>,
    renderer: Renderer<'p, 'a>,
}

impl<'p, 'a> Describer<'p, 'a> {
    pub fn new(pickle: &'p Pickle<'a>) -> Describer<'p, 'a> {
        Describer {
            pickle,
            renderer: Renderer::new(pickle).in_expression(),
        }
    }

    /// The repr of a value, shortened to head … tail past [`ARG_MAX_CHARS`].
    pub fn short(&mut self, value: Value) -> String {
        if let Some(Node::Str(text)) = self.pickle.get(value) {
            if text.as_bytes().len() > ARG_MAX_CHARS {
                return short_str(&text);
            }
        }
        let (text, cut) = self.renderer.render(value, ARG_BUDGET);
        let chars = text.chars().count();
        if chars <= ARG_MAX_CHARS {
            return text;
        }
        let head: String = text.chars().take(ARG_HEAD_CHARS).collect();
        if cut {
            return format!("{head}…");
        }
        let tail: String = text.chars().skip(chars - ARG_TAIL_CHARS).collect();
        format!("{head}…{tail}")
    }

    /// A global's dotted name, or the short repr of whatever else stands there.
    pub fn callee(&mut self, value: Value) -> String {
        match self.pickle.global_name(value) {
            Some((module, name)) => format!("{module}.{name}"),
            None => self.short(value),
        }
    }

    /// The arguments of a call, comma-separated: a tuple's items, or `*args` for
    /// anything else (the unpickler would fail on it, but it is what was pushed).
    pub fn args(&mut self, args: Value) -> String {
        let pickle = self.pickle;
        let items = match pickle.get(args) {
            Some(Node::Tuple(items)) => items,
            _ => return format!("*{}", self.short(args)),
        };
        let mut parts: Vec<String> = items
            .iter()
            .take(MAX_ARGS)
            .map(|item| self.short(item))
            .collect();
        if items.len() > MAX_ARGS {
            parts.push(format!("… {} more", items.len() - MAX_ARGS));
        }
        parts.join(", ")
    }

    /// `func(args)`.
    pub fn call(&mut self, func: Value, args: Value) -> String {
        let callee = self.callee(func);
        format!("{callee}({})", self.args(args))
    }

    /// `cls.__new__(cls, args, **kwargs)` (NEWOBJ, NEWOBJ_EX) or `cls(args)` (INST, OBJ).
    pub fn instance(
        &mut self,
        class: Value,
        args: Value,
        kwargs: Option<Value>,
        is_new: bool,
    ) -> String {
        let class_text = self.callee(class);
        let mut inner = self.args(args);
        if let Some(kwargs) = kwargs {
            let kwargs = self.short(kwargs);
            inner = if inner.is_empty() {
                format!("**{kwargs}")
            } else {
                format!("{inner}, **{kwargs}")
            };
        }
        if !is_new {
            return format!("{class_text}({inner})");
        }
        let sep = if inner.is_empty() { "" } else { ", " };
        format!("{class_text}.__new__({class_text}{sep}{inner})")
    }
}

/// A long str as `'head…tail'`: its first and last code points around an ellipsis, read
/// without walking the whole string (a shared 10 MB argument costs each call a few bytes).
fn short_str(text: &PyStr<'_>) -> String {
    let bytes = text.as_bytes();
    let head: Vec<u32> = text.code_points().take(ARG_HEAD_CHARS).collect();
    // The tail starts on a code point boundary: skip UTF-8 continuation bytes.
    let mut tail_start = bytes.len().saturating_sub(ARG_TAIL_CHARS);
    while tail_start < bytes.len() && bytes[tail_start] & 0xc0 == 0x80 {
        tail_start += 1;
    }
    let tail = PyStr::from_utf8_surrogatepass(&bytes[tail_start..])
        .map(|t| t.code_points().collect::<Vec<u32>>())
        .unwrap_or_default();
    let points = head.into_iter().chain([0x2026]).chain(tail);
    let mut out = String::new();
    write_str_repr(&mut out, &PyStr::from_code_points(points));
    out
}
