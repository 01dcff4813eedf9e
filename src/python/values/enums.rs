//! Members of the standard library's enums (`http.HTTPStatus(404)`), looked up in a
//! table made from CPython 3.11 (`enum_table.rs`), and struct sequences
//! (`time.struct_time`, `os.stat_result`), pickled as `cls((fields…), {hidden fields})`.

use super::enum_table::ENUMS;
use super::StdValue;
use crate::graph::{Items, Pickle, Value};
use crate::python::view;

/// One of the standard library's enums.
#[derive(Debug, PartialEq, Eq)]
pub struct EnumClass {
    /// The module the pickle names.
    pub module: &'static str,
    /// The class's name.
    pub name: &'static str,
    /// Whether it is a `Flag`, which changes the class's repr.
    pub kind: EnumKind,
    /// How its members' reprs are written.
    pub repr: MemberRepr,
    /// Whether every member is listed; if not, the others' values differ between
    /// platforms, and a value not listed may name a member where the pickle is loaded.
    pub complete: bool,
    /// `(value, member name, member value)`: each value `Class(value)` accepts, aliases
    /// included, with the member it finds.
    pub members: &'static [(EnumValue, &'static str, EnumValue)],
}

/// What kind of enum a class is: Python writes an `Enum` class as `<enum 'SafeUUID'>`
/// and a `Flag` class (`IntFlag` too) as `<flag 'RegexFlag'>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnumKind {
    /// An `Enum` (or `IntEnum`, `StrEnum`).
    Enum,
    /// A `Flag` (or `IntFlag`).
    Flag,
}

/// The standard library's enum class `module.name`, when the table knows it: its name
/// and kind.
pub fn enum_class_kind(module: &str, name: &str) -> Option<(&'static str, EnumKind)> {
    let listed = super::enum_table::ENUMS
        .iter()
        .find(|class| class.module == module && class.name == name)
        .map(|class| (class.name, class.kind));
    listed.or_else(|| {
        super::enum_table::CLASSES_ONLY
            .iter()
            .find(|&&(m, n, _)| m == module && n == name)
            .map(|&(_, n, kind)| (n, kind))
    })
}

/// How a member's repr is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberRepr {
    /// `<HTTPStatus.NOT_FOUND: 404>`.
    NameAndValue,
    /// `<HTTPMethod.GET>`.
    Name,
}

/// An enum member's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnumValue {
    /// `None`.
    None,
    /// An int.
    Int(i64),
    /// A str.
    Str(&'static str),
}

/// A struct sequence type: how its repr names it and its visible fields.
#[derive(Debug, PartialEq, Eq)]
pub struct StructSeqType {
    /// The module the pickle names.
    pub module: &'static str,
    /// The class's name.
    pub name: &'static str,
    /// The type's `tp_name`, which its repr starts with.
    pub type_name: &'static str,
    /// The names its repr gives the visible fields, in order.
    pub fields: &'static [&'static str],
}

/// The struct sequences of CPython 3.11 that pickle, with the names their reprs use:
/// the same on every platform for the visible fields (`stat_result`'s hidden ones vary).
pub(crate) static STRUCT_SEQUENCES: &[StructSeqType] = &[
    StructSeqType {
        module: "time",
        name: "struct_time",
        type_name: "time.struct_time",
        fields: &[
            "tm_year", "tm_mon", "tm_mday", "tm_hour", "tm_min", "tm_sec", "tm_wday", "tm_yday",
            "tm_isdst",
        ],
    },
    StructSeqType {
        module: "os",
        name: "stat_result",
        type_name: "os.stat_result",
        fields: &[
            "st_mode", "st_ino", "st_dev", "st_nlink", "st_uid", "st_gid", "st_size", "st_atime",
            "st_mtime", "st_ctime",
        ],
    },
    StructSeqType {
        module: "os",
        name: "statvfs_result",
        type_name: "os.statvfs_result",
        fields: &[
            "f_bsize",
            "f_frsize",
            "f_blocks",
            "f_bfree",
            "f_bavail",
            "f_files",
            "f_ffree",
            "f_favail",
            "f_flag",
            "f_namemax",
        ],
    },
    StructSeqType {
        module: "os",
        name: "terminal_size",
        type_name: "os.terminal_size",
        fields: &["columns", "lines"],
    },
    StructSeqType {
        module: "posix",
        name: "times_result",
        type_name: "posix.times_result",
        fields: &[
            "user",
            "system",
            "children_user",
            "children_system",
            "elapsed",
        ],
    },
    StructSeqType {
        module: "posix",
        name: "uname_result",
        type_name: "posix.uname_result",
        fields: &["sysname", "nodename", "release", "version", "machine"],
    },
    StructSeqType {
        module: "pwd",
        name: "struct_passwd",
        type_name: "pwd.struct_passwd",
        fields: &[
            "pw_name",
            "pw_passwd",
            "pw_uid",
            "pw_gid",
            "pw_gecos",
            "pw_dir",
            "pw_shell",
        ],
    },
    StructSeqType {
        module: "grp",
        name: "struct_group",
        type_name: "grp.struct_group",
        fields: &["gr_name", "gr_passwd", "gr_gid", "gr_mem"],
    },
    StructSeqType {
        module: "resource",
        name: "struct_rusage",
        type_name: "resource.struct_rusage",
        fields: &[
            "ru_utime",
            "ru_stime",
            "ru_maxrss",
            "ru_ixrss",
            "ru_idrss",
            "ru_isrss",
            "ru_minflt",
            "ru_majflt",
            "ru_nswap",
            "ru_inblock",
            "ru_oublock",
            "ru_msgsnd",
            "ru_msgrcv",
            "ru_nsignals",
            "ru_nvcsw",
            "ru_nivcsw",
        ],
    },
];

/// The enum of the standard library named `module.name`.
pub(crate) fn enum_class(module: &str, name: &str) -> Option<&'static EnumClass> {
    ENUMS
        .iter()
        .find(|class| class.module == module && class.name == name)
}

/// `Class(value)` for an enum of the table, or `cls(fields, hidden)` for a struct
/// sequence.
pub(super) fn recognize(
    pickle: &Pickle<'_>,
    module: &str,
    name: &str,
    args: &Items<'_>,
) -> Option<StdValue> {
    if let Some(class) = enum_class(module, name) {
        let [value] = args.array()?;
        return Some(member(pickle, class, value));
    }
    let kind = STRUCT_SEQUENCES
        .iter()
        .find(|kind| kind.module == module && kind.name == name)?;
    let [fields, hidden] = args.array()?;
    let values = view::tuple(pickle, fields)?;
    // `structseq_new` takes the visible fields and then hidden ones by name from the
    // dict; CPython writes exactly the visible ones in the tuple.
    if values.len() != kind.fields.len()
        || (hidden != Value::None && view::dict(pickle, hidden).is_none())
    {
        return None;
    }
    Some(StdValue::StructSeq {
        kind,
        values: values.to_vec(),
    })
}

/// The member `Class(value)` finds, matching the value's type exactly (an int for an
/// int enum, a str for a str enum), or an unnamed member when the table has none.
fn member(pickle: &Pickle<'_>, class: &'static EnumClass, value: Value) -> StdValue {
    let found = class.members.iter().find(|(key, _, _)| match (key, value) {
        (EnumValue::None, Value::None) => true,
        (EnumValue::Int(key), Value::Int(v)) => *key == v,
        (EnumValue::Str(key), _) => view::str(pickle, value) == Some(*key),
        _ => false,
    });
    match found {
        Some(&(_, name, value)) => StdValue::EnumMember { class, name, value },
        None => StdValue::UnnamedEnumMember { class, value },
    }
}
