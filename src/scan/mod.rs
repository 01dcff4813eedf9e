//! `scan`: every global a pickle names and every call it would make, each classed
//! `safe`, `unknown` or `dangerous`, with the reason.
//!
//! A name-tracking scanner guesses which strings a `STACK_GLOBAL` or `REDUCE` will
//! receive; picklegraph does not guess. The machine has already run every opcode with the
//! real stack and memo, so each inert node in the arena *is* what the unpickler would
//! import or call, with its operands exactly as it would receive them. The scan reads
//! the arena, node by node, so nothing reachable only through a memo trick, a discarded
//! call or a popped value is missed. Shapes that only an attack produces are dangerous in
//! themselves: a `STACK_GLOBAL` whose operands are not plain strs, a call of an object
//! that is not a named global, and `BUILD` (or any mutation) on a global.
//!
//! A file of text (a README, YAML, Markdown, CSV, Python source, a license) whose first
//! letters read as opcodes is "not a pickle" ([`Verdict::NotAPickle`]), never malformed or
//! dangerous, when it does not start with `PROTO`, does not merely end a few bytes early
//! (a protocol 0 pickle cut short stays malformed), and no reading of it, picklegraph's or
//! either of CPython's unpicklers' read on by name past the error, names a global whose
//! module is a dotted identifier, calls anything or uses an extension code: no import
//! could find `chat_template: "{%`, so nothing in such a file can run. A protocol 0
//! pickle cut short that names `os` is a pickle, and reported as one.
//!
//! ```
//! // GLOBAL 'os system', 'ls', TUPLE1, REDUCE, STOP
//! let pickle = picklegraph::load(b"cos\nsystem\nX\x02\x00\x00\x00ls\x85R.")?;
//! let findings = picklegraph::scan::scan(&pickle);
//! assert_eq!(findings[1].text, "os.system('ls')");
//! assert_eq!(findings[1].class, picklegraph::scan::Class::Dangerous);
//! # Ok::<(), picklegraph::Error>(())
//! ```

mod allow;
mod classify;
mod deny;
mod describe;
mod file;
mod lenient;
pub mod names;
mod nested;
pub mod policy;
pub mod readings;
pub mod report;
pub mod sarif;
pub mod text;
mod text_file;
mod union;
pub mod weights_only;

pub use classify::{scan, scan_in, Context};
pub use file::{scan_file, scan_opened};
pub use policy::Policy;
pub use report::{Counts, FileScan, PickleScan, Verdict};
pub use text::{Detail, Suggestion};
pub use union::OtherReading;

/// How dangerous a finding is; ordered from harmless to dangerous.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// A known pure data constructor.
    Safe,
    /// Not on either list: importing and calling it may do anything.
    Unknown,
    /// Can run code or touch the system.
    Dangerous,
}

impl Class {
    /// The lower-case name used in text and JSON output.
    /// ```
    /// assert_eq!(picklegraph::scan::Class::Unknown.name(), "unknown");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Class::Safe => "safe",
            Class::Unknown => "unknown",
            Class::Dangerous => "dangerous",
        }
    }
}

/// How a file's findings are judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Secure by default: whatever the pickle calls (`REDUCE`, `NEWOBJ`, `NEWOBJ_EX`,
    /// `INST`, `OBJ`, an extension code, a persistent id) must be on the allow list, and
    /// a name only referenced must come from a module that is harmless to import (the
    /// standard library's, a known library's); anything else is "not on the allow list".
    #[default]
    AllowList,
    /// Only known-bad names fail: unknown calls pass (`--deny-only`).
    DenyOnly,
    /// Every name, called or only referenced, must be on the allow list (`--strict`).
    Strict,
}

impl Mode {
    /// The lower-case name used in JSON output.
    pub fn name(self) -> &'static str {
        match self {
            Mode::AllowList => "allow-list",
            Mode::DenyOnly => "deny-only",
            Mode::Strict => "strict",
        }
    }
}

/// What a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindingKind {
    /// A global looked up by name (`GLOBAL`, `STACK_GLOBAL`, the class of `INST`).
    Global,
    /// A call (`REDUCE`).
    Call,
    /// An instance built from a class (`NEWOBJ`, `NEWOBJ_EX`, `INST`, `OBJ`).
    Instance,
    /// `BUILD`, `APPENDS`, `SETITEMS` or `ADDITEMS` applied to a global.
    GlobalMutation,
    /// A persistent reference, resolved by the loading application.
    Persistent,
    /// A copyreg extension code, resolved through the loading process's registry.
    Extension,
}

impl FindingKind {
    /// The lower-case name used in JSON output.
    pub fn name(self) -> &'static str {
        match self {
            FindingKind::Global => "global",
            FindingKind::Call => "call",
            FindingKind::Instance => "instance",
            FindingKind::GlobalMutation => "global-mutation",
            FindingKind::Persistent => "persistent",
            FindingKind::Extension => "extension",
        }
    }
}

/// One global, call or instance, as the unpickler would make it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Byte offset of the opcode that made the node (for a mutation of a global, the
    /// global's offset).
    pub offset: u64,
    /// What it is.
    pub kind: FindingKind,
    /// How dangerous it is.
    pub class: Class,
    /// The dotted name of the global involved, when it is a named global
    /// (`os.system`; Python 2 spellings mapped as Python 3 maps them).
    pub name: Option<String>,
    /// The module of that global, mapped as `name` is (`os` for `posix.system` read as
    /// `os.system`): what a policy's `module.*` line matches.
    pub module: Option<String>,
    /// For a global looked up by `GLOBAL`, `STACK_GLOBAL` or `INST`, its module and name
    /// exactly as the pickle spells them (`__builtin__`, `set`): torch's weights-only
    /// unpickler maps Python 2 names with tables of its own.
    pub spelled: Option<(String, String)>,
    /// The global, call or instance as Python would spell it, arguments shortened:
    /// `os.system('curl … | sh')`.
    pub text: String,
    /// Why it is in its class.
    pub reason: String,
}
