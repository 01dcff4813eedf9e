//! numpy's `.npy` files (`np.save`): the magic `\x93NUMPY`, a version, a header that is a
//! Python dict literal (`{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }`),
//! then the array's bytes, or, for an array whose dtype holds objects, one pickle of it
//! (which `np.load(allow_pickle=True)` loads with `pickle.load`).
//!
//! The header is read by a small parser of Python literals (strs, numbers, `True`,
//! `False`, `None`, tuples, lists, dicts), never evaluated.

use super::OpenError;

/// The magic string every `.npy` file starts with.
pub const MAGIC: &[u8] = b"\x93NUMPY";

/// Most bytes of a header (numpy's own `_MAX_HEADER_SIZE` is 10,000 unless told otherwise).
const MAX_HEADER: usize = 1 << 20;

/// Deepest nesting of the header's literals (a structured dtype nests a few levels).
const MAX_NESTING: usize = 64;

/// What an `.npy` header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpyHeader {
    /// The format version, `(1, 0)`, `(2, 0)` or `(3, 0)`.
    pub version: (u8, u8),
    /// The dtype's description as written (`'<f8'`, or the list of a structured dtype).
    pub descr: String,
    /// The shape.
    pub shape: Vec<u64>,
    /// Whether the elements are stored in Fortran (column-major) order.
    pub fortran_order: bool,
    /// Whether the dtype holds Python objects, so a pickle follows the header.
    pub has_objects: bool,
    /// Where the data (or the pickle) starts.
    pub data_start: usize,
}

/// Reads the header of an `.npy` file.
///
/// # Errors
/// A header that is cut short, too long, not a dict literal, or without `descr`/`shape`.
pub fn header(bytes: &[u8]) -> Result<NpyHeader, OpenError> {
    let corrupt = |detail: &str| OpenError::Corrupt {
        what: "npy",
        detail: detail.to_string(),
    };
    let version = match bytes.get(6..8) {
        Some(&[major, minor]) => (major, minor),
        _ => return Err(corrupt("the file ends inside the magic and version")),
    };
    let (len, start) = match version.0 {
        1 => (
            bytes
                .get(8..10)
                .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]]))),
            10,
        ),
        2 | 3 => (
            bytes
                .get(8..12)
                .and_then(|b| usize::try_from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])).ok()),
            12,
        ),
        _ => {
            return Err(OpenError::Unsupported(format!(
                "npy format version {}.{}",
                version.0, version.1
            )))
        }
    };
    let len = len.ok_or_else(|| corrupt("the file ends inside the header length"))?;
    if len > MAX_HEADER {
        return Err(corrupt("a header longer than 1 MiB"));
    }
    let text = bytes
        .get(start..start + len)
        .ok_or_else(|| corrupt("the file ends inside the header"))?;
    // Versions 1 and 2 are latin-1 (ASCII in practice), 3 is UTF-8.
    let text: String = if version.0 == 3 {
        std::str::from_utf8(text)
            .map_err(|_| corrupt("a version 3 header that is not UTF-8"))?
            .to_string()
    } else {
        text.iter().map(|&b| char::from(b)).collect()
    };
    let literal = Parser::new(&text)
        .whole()
        .map_err(|detail| corrupt(&format!("header is not a Python literal: {detail}")))?;
    let Literal::Dict(fields) = literal else {
        return Err(corrupt("header is not a dict"));
    };
    let field = |key: &str| {
        fields
            .iter()
            .find(|(k, _)| matches!(k, Literal::Str(s) if s == key))
            .map(|(_, v)| v)
    };
    let descr = field("descr").ok_or_else(|| corrupt("header has no 'descr'"))?;
    let shape = match field("shape") {
        Some(Literal::Tuple(dims)) => dims
            .iter()
            .map(|d| match d {
                Literal::Int(n) => u64::try_from(*n).ok(),
                _ => None,
            })
            .collect::<Option<Vec<u64>>>()
            .ok_or_else(|| corrupt("shape is not a tuple of sizes"))?,
        _ => return Err(corrupt("header has no 'shape' tuple")),
    };
    // numpy writes `True` or `False`; a header without the key is C order, as numpy's
    // own reader refuses it anyway.
    let fortran_order =
        matches!(field("fortran_order"), Some(Literal::Other(word)) if word == "True");
    Ok(NpyHeader {
        version,
        descr: descr.to_string(),
        shape,
        fortran_order,
        has_objects: has_objects(descr),
        data_start: start + len,
    })
}

/// numpy's `dtype.hasobject`, read from a description: a typestr of kind `O`, or a field
/// (`(name, dtype[, shape])`) whose dtype holds one.
fn has_objects(descr: &Literal) -> bool {
    let mut pending = vec![descr];
    while let Some(descr) = pending.pop() {
        match descr {
            Literal::Str(typestr)
                if typestr
                    .trim_start_matches(['<', '>', '|', '='])
                    .starts_with('O') =>
            {
                return true;
            }
            Literal::List(fields) => {
                for field in fields {
                    if let Literal::Tuple(parts) = field {
                        pending.extend(parts.get(1));
                    }
                }
            }
            _ => {}
        }
    }
    false
}

/// A Python literal as an `.npy` header writes it.
#[derive(Debug, Clone, PartialEq)]
enum Literal {
    Str(String),
    Int(i128),
    Other(String),
    Tuple(Vec<Literal>),
    List(Vec<Literal>),
    Dict(Vec<(Literal, Literal)>),
}

impl std::fmt::Display for Literal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let seq = |f: &mut std::fmt::Formatter<'_>, items: &[Literal], open, close| {
            write!(f, "{open}")?;
            for (i, item) in items.iter().enumerate() {
                write!(f, "{}{item}", if i > 0 { ", " } else { "" })?;
            }
            if items.len() == 1 && open == "(" {
                write!(f, ",")?;
            }
            write!(f, "{close}")
        };
        match self {
            Literal::Str(s) => write!(f, "'{s}'"),
            Literal::Int(n) => write!(f, "{n}"),
            Literal::Other(word) => write!(f, "{word}"),
            Literal::Tuple(items) => seq(f, items, "(", ")"),
            Literal::List(items) => seq(f, items, "[", "]"),
            Literal::Dict(pairs) => {
                write!(f, "{{")?;
                for (i, (k, v)) in pairs.iter().enumerate() {
                    write!(f, "{}{k}: {v}", if i > 0 { ", " } else { "" })?;
                }
                write!(f, "}}")
            }
        }
    }
}

/// A recursive-descent parser with a depth bound (the header is at most 1 MiB, and its
/// nesting at most [`MAX_NESTING`] levels).
struct Parser<'t> {
    chars: std::iter::Peekable<std::str::Chars<'t>>,
    depth: usize,
}

impl<'t> Parser<'t> {
    fn new(text: &'t str) -> Parser<'t> {
        Parser {
            chars: text.chars().peekable(),
            depth: 0,
        }
    }

    fn whole(mut self) -> Result<Literal, String> {
        let literal = self.value()?;
        self.blanks();
        match self.chars.next() {
            None => Ok(literal),
            Some(c) => Err(format!("{c:?} after the literal")),
        }
    }

    fn blanks(&mut self) {
        while self.chars.next_if(|c| c.is_whitespace()).is_some() {}
    }

    fn value(&mut self) -> Result<Literal, String> {
        self.blanks();
        match self.chars.peek().copied() {
            Some(quote @ ('\'' | '"')) => {
                self.chars.next();
                let mut text = String::new();
                loop {
                    match self.chars.next() {
                        None => return Err("an unterminated string".into()),
                        Some(c) if c == quote => return Ok(Literal::Str(text)),
                        Some('\\') => text.extend(self.chars.next()),
                        Some(c) => text.push(c),
                    }
                }
            }
            Some(open @ ('(' | '[' | '{')) => {
                self.chars.next();
                self.depth += 1;
                if self.depth > MAX_NESTING {
                    return Err("nested too deeply".into());
                }
                let parsed = self.sequence(open);
                self.depth -= 1;
                parsed
            }
            Some(c) if c == '-' || c.is_ascii_alphanumeric() => {
                let mut word = String::new();
                while let Some(c) = self
                    .chars
                    .next_if(|c| c.is_ascii_alphanumeric() || "-+._".contains(*c))
                {
                    word.push(c);
                }
                Ok(word
                    .parse::<i128>()
                    .map_or(Literal::Other(word), Literal::Int))
            }
            Some(c) => Err(format!("unexpected {c:?}")),
            None => Err("the header ends early".into()),
        }
    }

    fn sequence(&mut self, open: char) -> Result<Literal, String> {
        let close = match open {
            '(' => ')',
            '[' => ']',
            _ => '}',
        };
        let mut items = Vec::new();
        let mut pairs = Vec::new();
        loop {
            self.blanks();
            if self.chars.next_if_eq(&close).is_some() {
                break;
            }
            let item = self.value()?;
            self.blanks();
            if open == '{' {
                if self.chars.next_if_eq(&':').is_none() {
                    return Err("a dict key without ':'".into());
                }
                pairs.push((item, self.value()?));
                self.blanks();
            } else {
                items.push(item);
            }
            if self.chars.next_if_eq(&',').is_none() {
                self.blanks();
                if self.chars.next_if_eq(&close).is_some() {
                    break;
                }
                return Err(format!("expected ',' or {close:?}"));
            }
        }
        Ok(match open {
            '(' => Literal::Tuple(items),
            '[' => Literal::List(items),
            _ => Literal::Dict(pairs),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(version: u8, header: &str) -> Vec<u8> {
        let mut bytes = MAGIC.to_vec();
        bytes.extend([version, 0]);
        if version == 1 {
            bytes.extend((header.len() as u16).to_le_bytes());
        } else {
            bytes.extend((header.len() as u32).to_le_bytes());
        }
        bytes.extend(header.as_bytes());
        bytes
    }

    #[test]
    fn object_dtypes_are_found_in_fields_and_subarrays() {
        let cases = [
            ("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }", false, vec![3, 4]),
            ("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", true, vec![2]),
            ("{'descr': [('O', '<i4'), ('b', [('c', '|O', (2,))])], 'fortran_order': False, 'shape': (), }", true, vec![]),
            ("{'descr': [('O', '<i4')], 'fortran_order': False, 'shape': (1,), }", false, vec![1]),
        ];
        for (text, objects, shape) in cases {
            for version in [1, 2, 3] {
                let header = header(&npy(version, text)).unwrap();
                assert_eq!(
                    (header.has_objects, header.shape),
                    (objects, shape.clone()),
                    "{text}"
                );
            }
        }
    }

    #[test]
    fn malformed_headers_are_errors() {
        for text in [
            "{'descr': '<f8'",
            "[1, 2]",
            "{'shape': (1,)}",
            "{'descr': 'O', 'shape': ((((",
            "__import__('os')",
        ] {
            assert!(header(&npy(1, text)).is_err(), "{text}");
        }
        let deep = format!("{}{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(header(&npy(2, &deep)).is_err());
    }
}
