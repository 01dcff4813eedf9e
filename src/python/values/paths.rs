//! `pathlib`'s paths, pickled (3.11) as `cls(*self._parts)`. POSIX paths are joined
//! as `PurePosixPath.__new__` joins its arguments; Windows paths only from the parts
//! `_parts` holds for an ordinary path (a drive and root, then plain names), since
//! their full parsing rules (UNC, device paths, drive-relative joins) are not modelled.

use super::StdValue;
use crate::graph::{Items, Pickle};
use crate::python::view;

/// A `pathlib` path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathValue {
    /// The class's name (`PosixPath`, `PurePosixPath`, `WindowsPath`, `PureWindowsPath`).
    pub class: &'static str,
    /// `str(path)`, with the flavour's separator.
    pub text: String,
    /// Whether it is a Windows path (`as_posix()` turns its backslashes to slashes).
    pub windows: bool,
}

pub(super) fn recognize(pickle: &Pickle<'_>, name: &str, args: &Items<'_>) -> Option<StdValue> {
    let (class, windows) = match name {
        "PosixPath" => ("PosixPath", false),
        "PurePosixPath" => ("PurePosixPath", false),
        "WindowsPath" => ("WindowsPath", true),
        "PureWindowsPath" => ("PureWindowsPath", true),
        _ => return None,
    };
    let parts: Vec<&str> = args
        .iter()
        .map(|arg| view::str(pickle, arg))
        .collect::<Option<_>>()?;
    let text = if windows {
        windows_text(&parts)?
    } else {
        posix_text(&parts)
    };
    Some(StdValue::Path(PathValue {
        class,
        text,
        windows,
    }))
}

/// `str(PurePosixPath(*parts))`: the last rooted part restarts the path; `.` and empty
/// names drop out; exactly two leading slashes are kept, more become one.
fn posix_text(parts: &[&str]) -> String {
    let mut names: Vec<&str> = Vec::new();
    let mut root = "";
    for part in parts.iter().rev().filter(|part| !part.is_empty()) {
        let stripped = part.trim_start_matches('/');
        let names_here = stripped
            .split('/')
            .rev()
            .filter(|name| !name.is_empty() && *name != ".");
        names.extend(names_here);
        match part.len() - stripped.len() {
            0 => continue,
            2 => root = "//",
            _ => root = "/",
        }
        break;
    }
    names.reverse();
    let text = format!("{root}{}", names.join("/"));
    match text.is_empty() {
        true => ".".to_string(),
        false => text,
    }
}

/// `str(PureWindowsPath(*parts))` for the parts an ordinary path keeps: an optional
/// anchor (`C:`, `C:\`, `\`, `\\server\share\`) first, then names that hold no
/// separator, colon or wildcard of meaning; `None` for anything else.
fn windows_text(parts: &[&str]) -> Option<String> {
    let Some((first, rest)) = parts.split_first() else {
        return Some(".".to_string());
    };
    let plain = |name: &str| !name.is_empty() && name != "." && !name.contains(['\\', '/', ':']);
    if !rest.iter().all(|name| plain(name)) {
        return None;
    }
    let anchor = is_windows_anchor(first);
    if !anchor && !plain(first) {
        return None;
    }
    let mut text = first.to_string();
    for (i, name) in rest.iter().enumerate() {
        if i > 0 || !anchor || !first.ends_with('\\') && first.len() != 2 {
            text.push('\\');
        }
        text.push_str(name);
    }
    Some(text)
}

/// `C:`, `C:\`, `\`, or `\\server\share\`.
fn is_windows_anchor(part: &str) -> bool {
    let bytes = part.as_bytes();
    match bytes {
        [letter, b':'] | [letter, b':', b'\\'] => letter.is_ascii_alphabetic(),
        [b'\\'] => true,
        [b'\\', b'\\', unc @ ..] => {
            let Some(unc) = unc.strip_suffix(b"\\") else {
                return false;
            };
            let mut names = unc.split(|&b| b == b'\\');
            let (Some(server), Some(share), None) = (names.next(), names.next(), names.next())
            else {
                return false;
            };
            [server, share]
                .iter()
                .all(|name| !name.is_empty() && !name.contains(&b'/') && !name.contains(&b':'))
        }
        _ => false,
    }
}
