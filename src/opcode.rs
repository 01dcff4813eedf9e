//! The one opcode table.
//!
//! Every opcode of pickle protocols 0–5 is written once, in `for_each_opcode!`: its byte,
//! name, argument kind, the protocol that introduced it, its stack effect and a line of
//! documentation. Everything else — the [`Opcode`] enum, [`Opcode::from_byte`], the
//! disassembler's argument decoding and the docs — is expanded from that one list, so the
//! machine, `dis` and the docs cannot disagree. A test compares the table with CPython's
//! `pickletools.opcodes`.

/// How an opcode's inline argument is encoded, named as `pickletools` names its
/// argument descriptors so the table can be checked against it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArgKind {
    /// No inline argument.
    None,
    /// One unsigned byte.
    Uint1,
    /// Two bytes, unsigned little-endian.
    Uint2,
    /// Four bytes, unsigned little-endian.
    Uint4,
    /// Eight bytes, unsigned little-endian.
    Uint8,
    /// Four bytes, signed little-endian.
    Int4,
    /// A decimal integer ended by a newline; `00`/`01` mean False/True for `INT`.
    DecimalnlShort,
    /// A decimal integer ended by a newline, with an optional trailing `L`.
    DecimalnlLong,
    /// A float in Python's `repr` text form, ended by a newline.
    Floatnl,
    /// An IEEE-754 double, big-endian.
    Float8,
    /// A two's-complement little-endian integer whose length is one byte.
    Long1,
    /// A two's-complement little-endian integer whose length is four bytes (signed).
    Long4,
    /// A quoted, backslash-escaped Python 2 string ended by a newline.
    Stringnl,
    /// A line of text with no escapes (a persistent id).
    StringnlNoescape,
    /// Two lines of text with no escapes (module and name).
    StringnlNoescapePair,
    /// 8-bit string with a one-byte length.
    String1,
    /// 8-bit string with a four-byte signed length.
    String4,
    /// Bytes with a one-byte length.
    Bytes1,
    /// Bytes with a four-byte length.
    Bytes4,
    /// Bytes with an eight-byte length.
    Bytes8,
    /// A bytearray with an eight-byte length.
    Bytearray8,
    /// Raw-unicode-escape text ended by a newline.
    Unicodestringnl,
    /// UTF-8 text with a one-byte length.
    Unicodestring1,
    /// UTF-8 text with a four-byte length.
    Unicodestring4,
    /// UTF-8 text with an eight-byte length.
    Unicodestring8,
}

impl ArgKind {
    /// The argument descriptor's name in `pickletools`.
    pub const fn pickletools_name(self) -> &'static str {
        match self {
            ArgKind::None => "",
            ArgKind::Uint1 => "uint1",
            ArgKind::Uint2 => "uint2",
            ArgKind::Uint4 => "uint4",
            ArgKind::Uint8 => "uint8",
            ArgKind::Int4 => "int4",
            ArgKind::DecimalnlShort => "decimalnl_short",
            ArgKind::DecimalnlLong => "decimalnl_long",
            ArgKind::Floatnl => "floatnl",
            ArgKind::Float8 => "float8",
            ArgKind::Long1 => "long1",
            ArgKind::Long4 => "long4",
            ArgKind::Stringnl => "stringnl",
            ArgKind::StringnlNoescape => "stringnl_noescape",
            ArgKind::StringnlNoescapePair => "stringnl_noescape_pair",
            ArgKind::String1 => "string1",
            ArgKind::String4 => "string4",
            ArgKind::Bytes1 => "bytes1",
            ArgKind::Bytes4 => "bytes4",
            ArgKind::Bytes8 => "bytes8",
            ArgKind::Bytearray8 => "bytearray8",
            ArgKind::Unicodestringnl => "unicodestringnl",
            ArgKind::Unicodestring1 => "unicodestring1",
            ArgKind::Unicodestring4 => "unicodestring4",
            ArgKind::Unicodestring8 => "unicodestring8",
        }
    }
}

/// One entry of an opcode's stack effect, named as `pickletools` names its stack objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StackItem {
    /// Any object.
    Any,
    /// A MARK on the mark stack.
    Mark,
    /// All the objects above the topmost MARK.
    StackSlice,
    /// An int.
    Int,
    /// An int, or a bool for `I00`/`I01`.
    IntOrBool,
    /// A bool.
    Bool,
    /// None.
    NoneValue,
    /// A float.
    Float,
    /// A str.
    Str,
    /// A bytes object.
    Bytes,
    /// A Python 2 8-bit string, decoded according to the load options.
    BytesOrStr,
    /// A bytearray.
    Bytearray,
    /// An out-of-band buffer.
    Buffer,
    /// A list.
    List,
    /// A tuple.
    Tuple,
    /// A dict.
    Dict,
    /// A set.
    Set,
    /// A frozenset.
    Frozenset,
}

impl StackItem {
    /// The stack object's name in `pickletools`.
    pub const fn pickletools_name(self) -> &'static str {
        match self {
            StackItem::Any => "any",
            StackItem::Mark => "mark",
            StackItem::StackSlice => "stackslice",
            StackItem::Int => "int",
            StackItem::IntOrBool => "int_or_bool",
            StackItem::Bool => "bool",
            StackItem::NoneValue => "None",
            StackItem::Float => "float",
            StackItem::Str => "str",
            StackItem::Bytes => "bytes",
            StackItem::BytesOrStr => "bytes_or_str",
            StackItem::Bytearray => "bytearray",
            StackItem::Buffer => "buffer",
            StackItem::List => "list",
            StackItem::Tuple => "tuple",
            StackItem::Dict => "dict",
            StackItem::Set => "set",
            StackItem::Frozenset => "frozenset",
        }
    }
}

/// Calls `$then!` with every opcode row:
/// `(byte, Variant, "NAME", ArgKind, protocol, [before] => [after], "doc")`.
#[macro_export]
#[doc(hidden)]
macro_rules! for_each_opcode {
    ($then:ident) => { $then! {
//   byte  variant         name               argument                       proto  stack                                   doc
    (0x49, Int,            "INT",             ArgKind::DecimalnlShort,       0, [] => [IntOrBool],                       "Push an int from decimal text; `00`/`01` push False/True."),
    (0x4a, BinInt,         "BININT",          ArgKind::Int4,                 1, [] => [Int],                             "Push a four-byte signed int."),
    (0x4b, BinInt1,        "BININT1",         ArgKind::Uint1,                1, [] => [Int],                             "Push a one-byte unsigned int."),
    (0x4d, BinInt2,        "BININT2",         ArgKind::Uint2,                1, [] => [Int],                             "Push a two-byte unsigned int."),
    (0x4c, Long,           "LONG",            ArgKind::DecimalnlLong,        0, [] => [Int],                             "Push an int from decimal text with an optional `L`."),
    (0x8a, Long1,          "LONG1",           ArgKind::Long1,                2, [] => [Int],                             "Push an int of up to 255 two's-complement bytes."),
    (0x8b, Long4,          "LONG4",           ArgKind::Long4,                2, [] => [Int],                             "Push an int with a four-byte length."),
    (0x53, String,         "STRING",          ArgKind::Stringnl,             0, [] => [BytesOrStr],                      "Push a quoted, escaped Python 2 string."),
    (0x54, BinString,      "BINSTRING",       ArgKind::String4,              1, [] => [BytesOrStr],                      "Push a Python 2 string with a four-byte length."),
    (0x55, ShortBinString, "SHORT_BINSTRING", ArgKind::String1,              1, [] => [BytesOrStr],                      "Push a Python 2 string with a one-byte length."),
    (0x42, BinBytes,       "BINBYTES",        ArgKind::Bytes4,               3, [] => [Bytes],                           "Push bytes with a four-byte length."),
    (0x43, ShortBinBytes,  "SHORT_BINBYTES",  ArgKind::Bytes1,               3, [] => [Bytes],                           "Push bytes with a one-byte length."),
    (0x8e, BinBytes8,      "BINBYTES8",       ArgKind::Bytes8,               4, [] => [Bytes],                           "Push bytes with an eight-byte length."),
    (0x96, ByteArray8,     "BYTEARRAY8",      ArgKind::Bytearray8,           5, [] => [Bytearray],                       "Push a bytearray with an eight-byte length."),
    (0x97, NextBuffer,     "NEXT_BUFFER",     ArgKind::None,                 5, [] => [Buffer],                          "Push the next out-of-band buffer."),
    (0x98, ReadonlyBuffer, "READONLY_BUFFER", ArgKind::None,                 5, [Buffer] => [Buffer],                    "Make the buffer on top of the stack read-only."),
    (0x4e, None,           "NONE",            ArgKind::None,                 0, [] => [NoneValue],                       "Push None."),
    (0x88, NewTrue,        "NEWTRUE",         ArgKind::None,                 2, [] => [Bool],                            "Push True."),
    (0x89, NewFalse,       "NEWFALSE",        ArgKind::None,                 2, [] => [Bool],                            "Push False."),
    (0x56, Unicode,        "UNICODE",         ArgKind::Unicodestringnl,      0, [] => [Str],                             "Push a str from raw-unicode-escape text."),
    (0x8c, ShortBinUnicode,"SHORT_BINUNICODE",ArgKind::Unicodestring1,       4, [] => [Str],                             "Push a UTF-8 str with a one-byte length."),
    (0x58, BinUnicode,     "BINUNICODE",      ArgKind::Unicodestring4,       1, [] => [Str],                             "Push a UTF-8 str with a four-byte length."),
    (0x8d, BinUnicode8,    "BINUNICODE8",     ArgKind::Unicodestring8,       4, [] => [Str],                             "Push a UTF-8 str with an eight-byte length."),
    (0x46, Float,          "FLOAT",           ArgKind::Floatnl,              0, [] => [Float],                           "Push a float from its text form."),
    (0x47, BinFloat,       "BINFLOAT",        ArgKind::Float8,               1, [] => [Float],                           "Push a big-endian double."),
    (0x5d, EmptyList,      "EMPTY_LIST",      ArgKind::None,                 1, [] => [List],                            "Push an empty list."),
    (0x61, Append,         "APPEND",          ArgKind::None,                 0, [List, Any] => [List],                   "Append the top item to the list below it."),
    (0x65, Appends,        "APPENDS",         ArgKind::None,                 1, [List, Mark, StackSlice] => [List],      "Extend the list below the mark with the items above it."),
    (0x6c, List,           "LIST",            ArgKind::None,                 0, [Mark, StackSlice] => [List],            "Build a list from the items above the mark."),
    (0x29, EmptyTuple,     "EMPTY_TUPLE",     ArgKind::None,                 1, [] => [Tuple],                           "Push an empty tuple."),
    (0x74, Tuple,          "TUPLE",           ArgKind::None,                 0, [Mark, StackSlice] => [Tuple],           "Build a tuple from the items above the mark."),
    (0x85, Tuple1,         "TUPLE1",          ArgKind::None,                 2, [Any] => [Tuple],                        "Build a one-item tuple."),
    (0x86, Tuple2,         "TUPLE2",          ArgKind::None,                 2, [Any, Any] => [Tuple],                   "Build a two-item tuple."),
    (0x87, Tuple3,         "TUPLE3",          ArgKind::None,                 2, [Any, Any, Any] => [Tuple],              "Build a three-item tuple."),
    (0x7d, EmptyDict,      "EMPTY_DICT",      ArgKind::None,                 1, [] => [Dict],                            "Push an empty dict."),
    (0x64, Dict,           "DICT",            ArgKind::None,                 0, [Mark, StackSlice] => [Dict],            "Build a dict from the key/value pairs above the mark."),
    (0x73, SetItem,        "SETITEM",         ArgKind::None,                 0, [Dict, Any, Any] => [Dict],              "Store one key/value pair into the dict below them."),
    (0x75, SetItems,       "SETITEMS",        ArgKind::None,                 1, [Dict, Mark, StackSlice] => [Dict],      "Store the pairs above the mark into the dict below it."),
    (0x8f, EmptySet,       "EMPTY_SET",       ArgKind::None,                 4, [] => [Set],                             "Push an empty set."),
    (0x90, AddItems,       "ADDITEMS",        ArgKind::None,                 4, [Set, Mark, StackSlice] => [Set],        "Add the items above the mark to the set below it."),
    (0x91, FrozenSet,      "FROZENSET",       ArgKind::None,                 4, [Mark, StackSlice] => [Frozenset],       "Build a frozenset from the items above the mark."),
    (0x30, Pop,            "POP",             ArgKind::None,                 0, [Any] => [],                             "Discard the top item."),
    (0x32, Dup,            "DUP",             ArgKind::None,                 0, [Any] => [Any, Any],                     "Push the top item again."),
    (0x28, Mark,           "MARK",            ArgKind::None,                 0, [] => [Mark],                            "Push a mark."),
    (0x31, PopMark,        "POP_MARK",        ArgKind::None,                 1, [Mark, StackSlice] => [],                "Discard the items above the topmost mark, and the mark."),
    (0x67, Get,            "GET",             ArgKind::DecimalnlShort,       0, [] => [Any],                             "Push the memo entry with a decimal key."),
    (0x68, BinGet,         "BINGET",          ArgKind::Uint1,                1, [] => [Any],                             "Push the memo entry with a one-byte key."),
    (0x6a, LongBinGet,     "LONG_BINGET",     ArgKind::Uint4,                1, [] => [Any],                             "Push the memo entry with a four-byte key."),
    (0x70, Put,            "PUT",             ArgKind::DecimalnlShort,       0, [] => [],                                "Store the top item in the memo under a decimal key."),
    (0x71, BinPut,         "BINPUT",          ArgKind::Uint1,                1, [] => [],                                "Store the top item in the memo under a one-byte key."),
    (0x72, LongBinPut,     "LONG_BINPUT",     ArgKind::Uint4,                1, [] => [],                                "Store the top item in the memo under a four-byte key."),
    (0x94, Memoize,        "MEMOIZE",         ArgKind::None,                 4, [Any] => [Any],                          "Store the top item in the memo under the memo's size."),
    (0x82, Ext1,           "EXT1",            ArgKind::Uint1,                2, [] => [Any],                             "Push an extension-registry reference, one-byte code."),
    (0x83, Ext2,           "EXT2",            ArgKind::Uint2,                2, [] => [Any],                             "Push an extension-registry reference, two-byte code."),
    (0x84, Ext4,           "EXT4",            ArgKind::Int4,                 2, [] => [Any],                             "Push an extension-registry reference, four-byte code."),
    (0x63, Global,         "GLOBAL",          ArgKind::StringnlNoescapePair, 0, [] => [Any],                             "Push a global reference named by two lines of text."),
    (0x93, StackGlobal,    "STACK_GLOBAL",    ArgKind::None,                 4, [Str, Str] => [Any],                     "Push a global reference named by two strs on the stack."),
    (0x52, Reduce,         "REDUCE",          ArgKind::None,                 0, [Any, Any] => [Any],                     "Record a call of the callable below with the argument tuple on top."),
    (0x62, Build,          "BUILD",           ArgKind::None,                 0, [Any, Any] => [Any],                     "Record the state on top as set on the object below it."),
    (0x69, Inst,           "INST",            ArgKind::StringnlNoescapePair, 0, [Mark, StackSlice] => [Any],             "Record an instance of a named class built from the items above the mark."),
    (0x6f, Obj,            "OBJ",             ArgKind::None,                 1, [Mark, Any, StackSlice] => [Any],        "Record an instance of the class just above the mark, built from the rest."),
    (0x81, NewObj,         "NEWOBJ",          ArgKind::None,                 2, [Any, Any] => [Any],                     "Record `cls.__new__(cls, *args)`."),
    (0x92, NewObjEx,       "NEWOBJ_EX",       ArgKind::None,                 4, [Any, Any, Any] => [Any],                "Record `cls.__new__(cls, *args, **kwargs)`."),
    (0x80, Proto,          "PROTO",           ArgKind::Uint1,                2, [] => [],                                "Declare the pickle's protocol."),
    (0x2e, Stop,           "STOP",            ArgKind::None,                 0, [Any] => [],                             "End the pickle; the top item is its value."),
    (0x95, Frame,          "FRAME",           ArgKind::Uint8,                4, [] => [],                                "Announce the length of the next frame."),
    (0x50, PersId,         "PERSID",          ArgKind::StringnlNoescape,     0, [] => [Any],                             "Push a persistent reference with an ASCII id."),
    (0x51, BinPersId,      "BINPERSID",       ArgKind::None,                 1, [Any] => [Any],                          "Push a persistent reference whose id is on the stack."),
    }};
}

macro_rules! define_opcodes {
    ($(($byte:literal, $variant:ident, $name:literal, $arg:expr, $proto:literal,
        [$($before:ident),*] => [$($after:ident),*], $doc:literal),)*) => {
        /// A pickle opcode. Each variant's documentation is its row of the opcode table.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum Opcode {
            $(#[doc = $doc] $variant = $byte,)*
        }

        impl Opcode {
            /// Every opcode, in the order of `pickletools.opcodes`.
            pub const ALL: &'static [Opcode] = &[$(Opcode::$variant,)*];

            /// The opcode whose byte this is, or `None` for a byte no protocol defines.
            /// ```
            /// use picklegraph::Opcode;
            /// assert_eq!(Opcode::from_byte(b'.'), Some(Opcode::Stop));
            /// assert_eq!(Opcode::from_byte(0xff), None);
            /// ```
            pub const fn from_byte(byte: u8) -> Option<Opcode> {
                match byte {
                    $($byte => Some(Opcode::$variant),)*
                    _ => None,
                }
            }

            /// The opcode's byte in the pickle stream.
            pub const fn byte(self) -> u8 {
                self as u8
            }

            /// The opcode's name as `pickletools` prints it.
            pub const fn name(self) -> &'static str {
                match self { $(Opcode::$variant => $name,)* }
            }

            /// How the opcode's inline argument is encoded.
            pub const fn arg(self) -> ArgKind {
                match self { $(Opcode::$variant => $arg,)* }
            }

            /// The protocol that introduced the opcode.
            pub const fn protocol(self) -> u8 {
                match self { $(Opcode::$variant => $proto,)* }
            }

            /// What the opcode expects on the stack, bottom first.
            pub const fn stack_before(self) -> &'static [StackItem] {
                match self { $(Opcode::$variant => &[$(StackItem::$before),*],)* }
            }

            /// What the opcode leaves on the stack in their place, bottom first.
            pub const fn stack_after(self) -> &'static [StackItem] {
                match self { $(Opcode::$variant => &[$(StackItem::$after),*],)* }
            }

            /// One line saying what the opcode does.
            pub const fn doc(self) -> &'static str {
                match self { $(Opcode::$variant => $doc,)* }
            }
        }
    };
}

for_each_opcode!(define_opcodes);

impl std::fmt::Display for Opcode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_round_trips() {
        for &op in Opcode::ALL {
            assert_eq!(Opcode::from_byte(op.byte()), Some(op));
        }
        let defined = (0..=255u8)
            .filter(|&b| Opcode::from_byte(b).is_some())
            .count();
        assert_eq!(defined, Opcode::ALL.len());
        assert_eq!(defined, 68);
    }
}
