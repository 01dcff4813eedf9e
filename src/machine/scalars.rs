//! Opcodes that push one scalar: numbers (`INT` … `BINFLOAT`), Python 2 strings, bytes,
//! bytearrays, out-of-band buffers and strs.

use std::borrow::Cow;

use super::Machine;
use crate::error::ErrorKind;
use crate::graph::{InertKind, PayloadKind, PyStr, UndecodedStr, Value};
use crate::limits::{DecodeErrors, StringEncoding};
use crate::text::{self, NumberLine, ParsedInt};

impl<'a> Machine<'a, '_> {
    pub(super) fn malformed(what: &'static str) -> impl FnOnce(String) -> ErrorKind {
        move |detail| ErrorKind::MalformedText { what, detail }
    }

    pub(super) fn op_int(&mut self) -> Result<(), ErrorKind> {
        self.push_number_line(false, "INT")
    }

    /// The `INT` (`long` false) or `LONG` named `what` whose line comes next.
    pub(super) fn push_number_line(
        &mut self,
        long: bool,
        what: &'static str,
    ) -> Result<(), ErrorKind> {
        let line = self.reader.line()?;
        let digits = match text::number_line(line, long) {
            NumberLine::Bool(value) => return self.stack.push(Value::Bool(value)),
            NumberLine::Digits(digits) => digits,
        };
        let value = text::parse_int_with_limit(digits, true, self.options.max_int_digits)
            .map_err(Self::malformed(what))?;
        self.push_int(value)
    }

    pub(super) fn op_binint(&mut self) -> Result<(), ErrorKind> {
        let value = self.reader.i32_le()?;
        self.stack.push(Value::Int(i64::from(value)))
    }

    pub(super) fn op_binint1(&mut self) -> Result<(), ErrorKind> {
        let value = self.reader.u8()?;
        self.stack.push(Value::Int(i64::from(value)))
    }

    pub(super) fn op_binint2(&mut self) -> Result<(), ErrorKind> {
        let value = self.reader.u16_le()?;
        self.stack.push(Value::Int(i64::from(value)))
    }

    pub(super) fn op_long(&mut self) -> Result<(), ErrorKind> {
        self.push_number_line(true, "LONG")
    }

    pub(super) fn op_long1(&mut self) -> Result<(), ErrorKind> {
        let len = self.reader.u8()?;
        let bytes = self.reader.take(usize::from(len))?;
        self.push_int(text::decode_long(bytes))
    }

    pub(super) fn op_long4(&mut self) -> Result<(), ErrorKind> {
        let len = self.reader.i32_le()?;
        if len < 0 {
            return Err(ErrorKind::NegativeLength(i64::from(len)));
        }
        let bytes = self.reader.take_len(len as u64)?;
        self.charge(bytes.len() as u64)?;
        self.push_int(text::decode_long(bytes))
    }

    pub(super) fn op_float(&mut self) -> Result<(), ErrorKind> {
        let line = self.reader.line()?;
        let value = text::parse_float(line).map_err(Self::malformed("FLOAT"))?;
        self.stack.push(Value::Float(value))
    }

    pub(super) fn op_binfloat(&mut self) -> Result<(), ErrorKind> {
        let value = self.reader.f64_be()?;
        self.stack.push(Value::Float(value))
    }

    pub(super) fn push_int(&mut self, value: ParsedInt) -> Result<(), ErrorKind> {
        match value {
            ParsedInt::Small(v) => self.stack.push(Value::Int(v)),
            ParsedInt::Big(v) => {
                self.admit(std::mem::size_of::<num_bigint::BigInt>() as u64)?;
                let id = self.arena.push_bigint(v);
                self.stack.push(Value::Node(id))
            }
        }
    }

    /// Pushes a Python 2 8-bit string, decoded as the options say.
    pub(super) fn push_8bit(&mut self, bytes: Cow<'a, [u8]>) -> Result<(), ErrorKind> {
        let (encoding, errors) = (self.options.string_encoding, self.options.string_errors);
        if encoding == StringEncoding::Bytes {
            return self.push_payload(PayloadKind::Bytes, bytes);
        }
        let kept = (errors == DecodeErrors::KeepBytes).then(|| bytes.clone());
        match crate::codec::decode(bytes, encoding, errors) {
            Ok(text) => self.push_payload(PayloadKind::Str, text.into_bytes()),
            Err(position) => {
                let Some(bytes) = kept else {
                    return Err(ErrorKind::Undecodable8Bit {
                        encoding: encoding.name(),
                        position,
                    });
                };
                let id = self.add_payload(PayloadKind::Bytes, bytes)?;
                let mark = UndecodedStr {
                    encoding: encoding.name(),
                    position,
                };
                self.undecodable.push((id, mark));
                self.stack.push(Value::Node(id))
            }
        }
    }

    pub(super) fn op_string(&mut self) -> Result<(), ErrorKind> {
        let line = self.reader.line()?;
        self.push_8bit(Cow::Owned(string_argument(line)?))
    }

    pub(super) fn op_binstring(&mut self) -> Result<(), ErrorKind> {
        let len = self.reader.i32_le()?;
        if len < 0 {
            return Err(ErrorKind::NegativeLength(i64::from(len)));
        }
        let bytes = self.reader.take_len(len as u64)?;
        self.push_8bit(Cow::Borrowed(bytes))
    }

    pub(super) fn op_short_binstring(&mut self) -> Result<(), ErrorKind> {
        let len = self.reader.u8()?;
        let bytes = self.reader.take(usize::from(len))?;
        self.push_8bit(Cow::Borrowed(bytes))
    }

    pub(super) fn push_bytes(&mut self, len: u64) -> Result<(), ErrorKind> {
        let bytes = self.reader.take_len(len)?;
        self.push_payload(PayloadKind::Bytes, Cow::Borrowed(bytes))
    }

    pub(super) fn op_binbytes(&mut self) -> Result<(), ErrorKind> {
        let len = self.reader.u32_le()?;
        self.push_bytes(u64::from(len))
    }

    pub(super) fn op_short_binbytes(&mut self) -> Result<(), ErrorKind> {
        let len = self.reader.u8()?;
        self.push_bytes(u64::from(len))
    }

    pub(super) fn op_binbytes8(&mut self) -> Result<(), ErrorKind> {
        let len = self.reader.u64_le()?;
        self.push_bytes(len)
    }

    pub(super) fn op_bytearray8(&mut self) -> Result<(), ErrorKind> {
        let len = self.reader.u64_le()?;
        let bytes = self.reader.take_len(len)?;
        self.push_payload(PayloadKind::ByteArray, Cow::Borrowed(bytes))
    }

    pub(super) fn op_next_buffer(&mut self) -> Result<(), ErrorKind> {
        let index = self.next_buffer;
        match self.buffers {
            Some(buffers) if usize::try_from(index).map_or(true, |i| i >= buffers.len()) => {
                return Err(ErrorKind::NotEnoughBuffers);
            }
            None if !self.options.placeholder_buffers => {
                return Err(ErrorKind::NoBuffersGiven);
            }
            _ => {}
        }
        self.next_buffer += 1;
        let id = self.inert(InertKind::Buffer {
            index,
            readonly: false,
        })?;
        self.stack.push(Value::Node(id))
    }

    pub(super) fn op_readonly_buffer(&mut self) -> Result<(), ErrorKind> {
        let target = self.stack.top()?;
        if let Some(id) = target.node() {
            if let Some(inert) = self.arena.inert_mut(id) {
                if let InertKind::Buffer { readonly, .. } = &mut inert.kind {
                    *readonly = true;
                    return Ok(());
                }
            }
        }
        let id = self.inert(InertKind::ReadOnly { target })?;
        self.stack.replace_top(Value::Node(id))
    }

    pub(super) fn push_utf8(&mut self, bytes: &'a [u8]) -> Result<(), ErrorKind> {
        let text = PyStr::from_utf8_surrogatepass(bytes)
            .map_err(|position| ErrorKind::InvalidUtf8 { position })?;
        self.push_payload(PayloadKind::Str, text.into_bytes())
    }

    pub(super) fn op_unicode(&mut self) -> Result<(), ErrorKind> {
        let line = self.reader.line()?;
        let utf8 = text::raw_unicode_escape_decode(line).map_err(Self::malformed("UNICODE"))?;
        let text = PyStr::from_utf8_surrogatepass(utf8)
            .map_err(|position| ErrorKind::InvalidUtf8 { position })?;
        self.push_payload(PayloadKind::Str, text.into_bytes())
    }

    pub(super) fn op_short_binunicode(&mut self) -> Result<(), ErrorKind> {
        let len = self.reader.u8()?;
        let bytes = self.reader.take(usize::from(len))?;
        self.push_utf8(bytes)
    }

    pub(super) fn op_binunicode(&mut self) -> Result<(), ErrorKind> {
        let len = self.reader.u32_le()?;
        let bytes = self.reader.take_len(u64::from(len))?;
        self.push_utf8(bytes)
    }

    pub(super) fn op_binunicode8(&mut self) -> Result<(), ErrorKind> {
        let len = self.reader.u64_le()?;
        let bytes = self.reader.take_len(len)?;
        self.push_utf8(bytes)
    }
}

/// The bytes of a `STRING` opcode's line: quoted alike at both ends (`'…'` or `"…"`), its
/// escapes decoded as Python 2's `string-escape` decodes them. Both machines read it here.
pub(super) fn string_argument(line: &[u8]) -> Result<Vec<u8>, ErrorKind> {
    let quoted =
        line.len() >= 2 && line[0] == line[line.len() - 1] && matches!(line[0], b'"' | b'\'');
    if !quoted {
        return Err(ErrorKind::MalformedText {
            what: "STRING",
            detail: "the STRING opcode argument must be quoted".to_string(),
        });
    }
    text::escape_decode(&line[1..line.len() - 1]).map_err(Machine::malformed("STRING"))
}
