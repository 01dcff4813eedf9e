//! Compiled regular expressions, pickled as `re._compile(pattern, flags)`, and
//! `re.RegexFlag` values, pickled as `re.RegexFlag(value)`.

use super::StdValue;
use crate::graph::{Items, Node, Pickle, Value};

/// `re.TEMPLATE` … `re.ASCII`: every flag of `_sre` in 3.11.
pub const KNOWN_FLAGS: u32 = 1 | 2 | 4 | 8 | 16 | 32 | 64 | 128 | 256;
const IGNORECASE: u32 = 2;
const LOCALE: u32 = 4;
const MULTILINE: u32 = 8;
const DOTALL: u32 = 16;
const UNICODE: u32 = 32;
const VERBOSE: u32 = 64;
const ASCII: u32 = 256;

/// `re._compile(pattern, flags)`: the flags the compiled pattern ends with are the
/// given ones, those the pattern sets at its start (`(?i)`), and `UNICODE` for a str
/// pattern without `ASCII`; the combinations `sre_parse.fix_flags` refuses, flags
/// beyond `_sre`'s and inline flags after the start (an error in 3.11) are left raw.
pub(super) fn compiled(pickle: &Pickle<'_>, args: &Items<'_>) -> Option<StdValue> {
    let [pattern, flags] = args.array()?;
    let Value::Int(flags) = flags else {
        return None;
    };
    let mut flags = u32::try_from(flags)
        .ok()
        .filter(|f| f & !KNOWN_FLAGS == 0)?;
    let is_str = match pickle.get(pattern)? {
        Node::Str(text) => {
            flags |= leading_flags(&text.to_string_lossy())?;
            true
        }
        Node::Bytes(bytes) => {
            flags |= leading_flags(&String::from_utf8_lossy(bytes))?;
            false
        }
        _ => return None,
    };
    if is_str {
        if flags & LOCALE != 0 || flags & ASCII != 0 && flags & UNICODE != 0 {
            return None;
        }
        if flags & ASCII == 0 {
            flags |= UNICODE;
        }
    } else if flags & UNICODE != 0 || flags & LOCALE != 0 && flags & ASCII != 0 {
        return None;
    }
    Some(StdValue::Pattern { pattern, flags })
}

/// The flags of the `(?aiLmsux)` groups a pattern starts with; `None` if such a group
/// appears anywhere else (3.11 refuses global flags after the start), or one of the
/// start turns a flag off or scopes it (`(?i:…)`, which is not global).
fn leading_flags(pattern: &str) -> Option<u32> {
    let mut flags = 0;
    let mut rest = pattern;
    while let Some(group) = rest.strip_prefix("(?") {
        let letters_len = group.bytes().take_while(|b| b"aiLmsux".contains(b)).count();
        if letters_len == 0 || group.as_bytes().get(letters_len) != Some(&b')') {
            break;
        }
        for letter in group[..letters_len].bytes() {
            flags |= match letter {
                b'a' => ASCII,
                b'i' => IGNORECASE,
                b'L' => LOCALE,
                b'm' => MULTILINE,
                b's' => DOTALL,
                b'u' => UNICODE,
                _ => VERBOSE,
            };
        }
        rest = &group[letters_len + 1..];
    }
    // A global flag group later on is an error at compile time; a conservative check
    // (it also refuses such text inside a character class or after a backslash).
    let later = rest.match_indices("(?").any(|(at, _)| {
        let group = &rest[at + 2..];
        let letters_len = group.bytes().take_while(|b| b"aiLmsux".contains(b)).count();
        letters_len > 0 && group.as_bytes().get(letters_len) == Some(&b')')
    });
    (!later).then_some(flags)
}

/// `re.RegexFlag(value)` for values made of known flags (an unknown bit changes how
/// 3.11 names the value).
pub(super) fn flag(args: &Items<'_>) -> Option<StdValue> {
    let [Value::Int(value)] = args.array()? else {
        return None;
    };
    let value = u32::try_from(value)
        .ok()
        .filter(|v| v & !KNOWN_FLAGS == 0)?;
    Some(StdValue::RegexFlag(value))
}
