//! Opcode arguments, read and decoded as `pickletools`' `ArgumentDescriptor` readers
//! read them, and written as Python's `repr` of what those readers return.
//!
//! pickletools reads arguments with no regard for frames (a `FRAME` is just an opcode
//! with a `uint8`), so neither does this: the [`Reader`] is used for bounds only.

use std::borrow::Cow;

use num_bigint::BigInt;

use super::messages;
use crate::graph::PyStr;
use crate::opcode::ArgKind;
use crate::reader::Reader;
use crate::text::scalar::{
    write_bytearray_repr, write_bytes_repr, write_float_repr, write_int, write_str_repr, write_u64,
    TextSink,
};
use crate::text::{self, ParsedInt};

/// Decimal digits CPython's `repr(int)` writes at most (`sys.get_int_max_str_digits()`).
const INT_MAX_STR_DIGITS: usize = text::INT_MAX_STR_DIGITS;

/// An argument as the pickletools reader returns it.
#[derive(Debug)]
pub(super) enum Arg<'a> {
    /// The opcode has no argument.
    None,
    /// A fixed-size signed integer, or a decimal one that fits.
    Int(i64),
    /// A fixed-size unsigned integer (`uint8` may not fit an `i64`).
    UInt(u64),
    /// `INT`'s `00`/`01`, which `read_decimalnl_short` returns as False/True.
    Bool(bool),
    /// A decimal integer beyond 64 bits.
    Big(BigInt),
    /// `LONG1`/`LONG4`'s two's-complement bytes, converted only when written.
    Long(&'a [u8]),
    /// A float.
    Float(f64),
    /// A str.
    Str(PyStr<'a>),
    /// A bytes object.
    Bytes(&'a [u8]),
    /// A bytearray.
    ByteArray(&'a [u8]),
}

/// A memo key as a Python dict sees it: `False == 0`, `True == 1`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum MemoKey {
    /// Fits an `i64`.
    Small(i64),
    /// Does not.
    Big(BigInt),
}

impl Arg<'_> {
    /// The memo key this argument names, if it is an int (or bool).
    pub(super) fn memo_key(&self) -> Option<MemoKey> {
        match self {
            Arg::Int(value) => Some(MemoKey::Small(*value)),
            Arg::UInt(value) => Some(
                i64::try_from(*value)
                    .map_or_else(|_| MemoKey::Big(BigInt::from(*value)), MemoKey::Small),
            ),
            Arg::Bool(value) => Some(MemoKey::Small(i64::from(*value))),
            Arg::Big(value) => Some(MemoKey::Big(value.clone())),
            _ => None,
        }
    }

    /// Appends Python's `repr` of the argument.
    ///
    /// # Errors
    /// CPython's refusal to write an int of more than 4300 digits.
    pub(super) fn write_repr<T: TextSink + ?Sized>(&self, line: &mut T) -> Result<(), String> {
        match self {
            Arg::None => line.put_str("None"),
            Arg::Int(value) => write_int(line, *value),
            Arg::UInt(value) => write_u64(line, *value),
            Arg::Bool(value) => line.put_str(if *value { "True" } else { "False" }),
            Arg::Big(value) => line.put_str(&value.to_string()),
            Arg::Long(bytes) => write_long_repr(line, bytes)?,
            Arg::Float(value) => write_float_repr(line, *value),
            Arg::Str(value) => write_str_repr(line, value),
            Arg::Bytes(bytes) => write_bytes_repr(line, bytes),
            Arg::ByteArray(bytes) => write_bytearray_repr(line, bytes),
        }
        Ok(())
    }
}

/// `repr(decode_long(bytes))`, or CPython's refusal past 4300 digits. The bytes are
/// trimmed of sign-extension first, so a long run of `00`/`ff` costs nothing, and a
/// value too long to write is refused without being converted.
fn write_long_repr<T: TextSink + ?Sized>(line: &mut T, bytes: &[u8]) -> Result<(), String> {
    let mut len = bytes.len();
    while len >= 2
        && matches!(
            (bytes[len - 1], bytes[len - 2] & 0x80),
            (0x00, 0) | (0xff, 0x80)
        )
    {
        len -= 1;
    }
    // 2000 significant bytes hold at least 2^15991, which has more than 4800 digits.
    let text = if len > 2000 {
        None
    } else {
        match text::decode_long(&bytes[..len]) {
            ParsedInt::Small(value) => {
                write_int(line, value);
                return Ok(());
            }
            ParsedInt::Big(value) => Some(value.to_string()),
        }
    };
    match text {
        Some(text) if text.trim_start_matches('-').len() <= INT_MAX_STR_DIGITS => {
            line.put_str(&text);
            Ok(())
        }
        _ => Err(format!(
            "Exceeds the limit ({INT_MAX_STR_DIGITS} digits) for integer string conversion; \
             use sys.set_int_max_str_digits() to increase the limit"
        )),
    }
}

/// Reads the argument of an opcode whose argument is `kind`.
///
/// # Errors
/// The message pickletools' reader raises.
pub(super) fn read<'a>(kind: ArgKind, reader: &mut Reader<'a>) -> Result<Arg<'a>, String> {
    Ok(match kind {
        ArgKind::None => Arg::None,
        ArgKind::Uint1 => Arg::Int(i64::from(fixed(reader, "uint1", Reader::u8)?)),
        ArgKind::Uint2 => Arg::Int(i64::from(fixed(reader, "uint2", Reader::u16_le)?)),
        ArgKind::Uint4 => Arg::Int(i64::from(fixed(reader, "uint4", Reader::u32_le)?)),
        ArgKind::Uint8 => Arg::UInt(fixed(reader, "uint8", Reader::u64_le)?),
        ArgKind::Int4 => Arg::Int(i64::from(fixed(reader, "int4", Reader::i32_le)?)),
        ArgKind::Float8 => Arg::Float(fixed(reader, "float8", Reader::f64_be)?),
        ArgKind::DecimalnlShort => decimal(line(reader, "stringnl")?, false)?,
        ArgKind::DecimalnlLong => decimal(line(reader, "stringnl")?, true)?,
        ArgKind::Floatnl => {
            let text = line(reader, "stringnl")?;
            Arg::Float(text::parse_float(text)?)
        }
        ArgKind::Long1 => long(reader, "long1", |r| {
            Ok(u64::from(fixed(r, "uint1", Reader::u8)?))
        })?,
        ArgKind::Long4 => long(reader, "long4", |r| signed_len(r, "long4"))?,
        ArgKind::Stringnl => Arg::Str(stringnl(reader, true)?),
        ArgKind::StringnlNoescape => Arg::Str(stringnl(reader, false)?),
        ArgKind::StringnlNoescapePair => {
            let module = stringnl(reader, false)?;
            let name = stringnl(reader, false)?;
            let mut pair = Vec::with_capacity(module.as_bytes().len() + name.as_bytes().len() + 1);
            pair.extend_from_slice(module.as_bytes());
            pair.push(b' ');
            pair.extend_from_slice(name.as_bytes());
            Arg::Str(ascii_str(Cow::Owned(pair))?)
        }
        ArgKind::String1 => Arg::Str(latin1(counted(reader, "string1", |r| {
            Ok(u64::from(fixed(r, "uint1", Reader::u8)?))
        })?)),
        ArgKind::String4 => Arg::Str(latin1(counted(reader, "string4", |r| {
            signed_len(r, "string4")
        })?)),
        ArgKind::Bytes1 => Arg::Bytes(counted(reader, "bytes1", |r| {
            Ok(u64::from(fixed(r, "uint1", Reader::u8)?))
        })?),
        ArgKind::Bytes4 => Arg::Bytes(counted(reader, "bytes4", |r| {
            Ok(u64::from(fixed(r, "uint4", Reader::u32_le)?))
        })?),
        ArgKind::Bytes8 => Arg::Bytes(counted(reader, "bytes8", |r| unsigned8_len(r, "bytes8"))?),
        ArgKind::Bytearray8 => Arg::ByteArray(counted(reader, "bytearray8", |r| {
            unsigned8_len(r, "bytearray8")
        })?),
        ArgKind::Unicodestringnl => Arg::Str(unicodestringnl(reader)?),
        ArgKind::Unicodestring1 => Arg::Str(utf8(counted(reader, "unicodestring1", |r| {
            Ok(u64::from(fixed(r, "uint1", Reader::u8)?))
        })?)?),
        ArgKind::Unicodestring4 => Arg::Str(utf8(counted(reader, "unicodestring4", |r| {
            Ok(u64::from(fixed(r, "uint4", Reader::u32_le)?))
        })?)?),
        ArgKind::Unicodestring8 => Arg::Str(utf8(counted(reader, "unicodestring8", |r| {
            unsigned8_len(r, "unicodestring8")
        })?)?),
    })
}

/// A fixed-size read, refused as `read_uint1` and its kin refuse it.
fn fixed<'a, T>(
    reader: &mut Reader<'a>,
    name: &str,
    read: impl FnOnce(&mut Reader<'a>) -> Result<T, crate::ErrorKind>,
) -> Result<T, String> {
    read(reader).map_err(|_| format!("not enough data in stream to read {name}"))
}

/// An `int4` byte count, which must not be negative.
fn signed_len(reader: &mut Reader<'_>, name: &str) -> Result<u64, String> {
    let len = fixed(reader, "int4", Reader::i32_le)?;
    u64::try_from(len).map_err(|_| format!("{name} byte count < 0: {len}"))
}

/// A `uint8` byte count, which must fit `sys.maxsize`.
fn unsigned8_len(reader: &mut Reader<'_>, name: &str) -> Result<u64, String> {
    let len = fixed(reader, "uint8", Reader::u64_le)?;
    if len > i64::MAX as u64 {
        return Err(format!("{name} byte count > sys.maxsize: {len}"));
    }
    Ok(len)
}

/// A length, then that many bytes.
fn counted<'a>(
    reader: &mut Reader<'a>,
    name: &str,
    read_len: impl FnOnce(&mut Reader<'a>) -> Result<u64, String>,
) -> Result<&'a [u8], String> {
    let len = read_len(reader)?;
    let remaining = reader.remaining();
    reader
        .take_len(len)
        .map_err(|_| format!("expected {len} bytes in a {name}, but only {remaining} remain"))
}

/// `LONG1`/`LONG4`: a length, then that many two's-complement bytes.
fn long<'a>(
    reader: &mut Reader<'a>,
    name: &str,
    read_len: impl FnOnce(&mut Reader<'a>) -> Result<u64, String>,
) -> Result<Arg<'a>, String> {
    let len = read_len(reader)?;
    let bytes = reader
        .take_len(len)
        .map_err(|_| format!("not enough data in stream to read {name}"))?;
    Ok(Arg::Long(bytes))
}

/// A line without its newline; pickletools names the descriptor that failed.
fn line<'a>(reader: &mut Reader<'a>, name: &str) -> Result<&'a [u8], String> {
    reader
        .line()
        .map_err(|_| format!("no newline found when trying to read {name}"))
}

/// `read_decimalnl_short` (with its False/True for `00`/`01`) or `read_decimalnl_long`
/// (which drops one trailing `L`).
fn decimal(text: &[u8], long: bool) -> Result<Arg<'static>, String> {
    let digits = match text::number_line(text, long) {
        text::NumberLine::Bool(value) => return Ok(Arg::Bool(value)),
        text::NumberLine::Digits(digits) => digits,
    };
    match text::parse_int(digits, false) {
        Ok(ParsedInt::Small(value)) => Ok(Arg::Int(value)),
        Ok(ParsedInt::Big(value)) => Ok(Arg::Big(value)),
        Err(detail) => Err(messages::int_error(digits, &detail)),
    }
}

/// `read_stringnl`: a line, its quotes stripped (for `STRING`), its escapes undone and
/// the result decoded as ASCII.
fn stringnl<'a>(reader: &mut Reader<'a>, strip_quotes: bool) -> Result<PyStr<'a>, String> {
    let mut data = line(reader, "stringnl")?;
    if strip_quotes {
        data = strip_string_quotes(data)?;
    }
    let decoded = if data.contains(&b'\\') {
        Cow::Owned(text::escape_decode(data)?)
    } else {
        Cow::Borrowed(data)
    };
    ascii_str(decoded)
}

fn strip_string_quotes(data: &[u8]) -> Result<&[u8], String> {
    let bytes_repr = crate::text::scalar::bytes_repr;
    for quote in [b'"', b'\''] {
        if data.first() == Some(&quote) {
            if data.last() != Some(&quote) {
                return Err(format!(
                    "strinq quote {} not found at both ends of {}",
                    bytes_repr(&[quote]),
                    bytes_repr(data)
                ));
            }
            // A lone quote both starts and ends the line, as in Python's `data[1:-1]`.
            return Ok(data.get(1..data.len() - 1).unwrap_or_default());
        }
    }
    Err(format!("no string quotes around {}", bytes_repr(data)))
}

fn ascii_str(bytes: Cow<'_, [u8]>) -> Result<PyStr<'_>, String> {
    if let Some(message) = messages::ascii_error(&bytes) {
        return Err(message);
    }
    PyStr::from_utf8_surrogatepass(bytes).map_err(|_| "ASCII text that is not UTF-8".to_string())
}

/// `bytes.decode('latin-1')`: each byte is a code point.
fn latin1(bytes: &[u8]) -> PyStr<'_> {
    if bytes.is_ascii() {
        return PyStr::from_utf8_surrogatepass(bytes)
            .unwrap_or_else(|_| PyStr::from_code_points(bytes.iter().map(|&b| u32::from(b))));
    }
    PyStr::from_code_points(bytes.iter().map(|&b| u32::from(b)))
}

/// `str(bytes, 'utf-8', 'surrogatepass')`.
fn utf8(bytes: &[u8]) -> Result<PyStr<'_>, String> {
    PyStr::from_utf8_surrogatepass(bytes).map_err(|_| messages::utf8_error(bytes))
}

/// `read_unicodestringnl`: a line decoded as `raw-unicode-escape`.
fn unicodestringnl<'a>(reader: &mut Reader<'a>) -> Result<PyStr<'a>, String> {
    let data = line(reader, "unicodestringnl")?;
    if !data.contains(&b'\\') && data.is_ascii() {
        return ascii_str(Cow::Borrowed(data));
    }
    let decoded = text::raw_unicode_escape_decode(data)
        .map_err(|_| messages::raw_unicode_escape_error(data))?;
    PyStr::from_utf8_surrogatepass(decoded).map_err(|_| messages::raw_unicode_escape_error(data))
}
