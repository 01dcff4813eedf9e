//! Apache Arrow arrays as pyarrow pickles them, read from the graph without pyarrow.
//!
//! pyarrow pickles an `Array` as `pyarrow.lib._restore_array((type, length, null_count,
//! offset, buffers, children, dictionary))`, each buffer `pyarrow.lib.py_buffer(bytes)` or
//! `None`, the type `pyarrow.lib.type_for_alias('large_string')`. The buffers follow
//! Arrow's columnar format: for every layout, buffer 0 is the validity bitmap (absent when
//! no value is null; bit `i` of byte `i / 8`, least significant first, set for a valid
//! slot); a primitive array's buffer 1 holds its values, little-endian and fixed-width; a
//! (large) string's buffer 1 holds `length + 1` int32 (int64) offsets into buffer 2, its
//! UTF-8 data; a boolean's values are a bitmap too. Every slot is read at `offset + row`.
//!
//! Only the slots asked for are read, and every offset is checked against its buffer: a
//! hostile array gives an [`ArrowError`], never a panic or a large allocation.
//!
//! ```
//! use picklegraph::python::arrow::{ArrowArray, ArrowValue};
//! let offsets: Vec<u8> = [0i32, 5, 11].iter().flat_map(|o| o.to_le_bytes()).collect();
//! let buffers = [Some(&[0b01][..]), Some(&offsets[..]), Some(&b"applebanana"[..])];
//! let array = ArrowArray { type_name: "string", unit: None, dictionary: None, length: 2, offset: 0, buffers: buffers.to_vec() };
//! assert_eq!(array.value(0), Ok(ArrowValue::Str("apple".into())));
//! assert_eq!(array.value(1), Ok(ArrowValue::Null));
//! ```

use std::borrow::Cow;

use super::view;
use crate::graph::{Pickle, Value};

const RESTORE_ARRAY: &[&str] = &["pyarrow.lib._restore_array"];
const TYPE_FOR_ALIAS: &[&str] = &["pyarrow.lib.type_for_alias"];
const TIMESTAMP: &[&str] = &["pyarrow.lib.timestamp"];
const DICTIONARY: &[&str] = &["pyarrow.lib.dictionary"];
const PY_BUFFER: &[&str] = &["pyarrow.lib.py_buffer"];

/// An Arrow array's type name, length, offset and buffers, borrowed from the pickle.
#[derive(Debug, Clone, PartialEq)]
pub struct ArrowArray<'p> {
    /// pyarrow's alias of the type: `large_string`, `string`, `int64`, `double`, `bool`,
    /// `date32[day]`, `date64[ms]`, or `timestamp` (made by `pyarrow.lib.timestamp`).
    pub type_name: &'p str,
    /// A timestamp's unit (`s`, `ms`, `us`, `ns`); `None` for other types.
    pub unit: Option<&'p str>,
    /// A `dictionary` type's index type and values; `None` for other types.
    pub dictionary: Option<Box<Dictionary<'p>>>,
    /// How many slots.
    pub length: u64,
    /// The first slot's position in the buffers.
    pub offset: u64,
    /// The buffers, `None` where pyarrow gave none.
    pub buffers: Vec<Option<&'p [u8]>>,
}

/// The values a `dictionary` array's slots index, and how the indices are stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Dictionary<'p> {
    /// The indices' type: `int8` to `int64`, `uint8` to `uint64`.
    pub index_type: &'p str,
    /// Whether the dictionary is ordered.
    pub ordered: bool,
    /// The values (never a dictionary themselves).
    pub values: ArrowArray<'p>,
}

/// One slot of an array.
#[derive(Debug, Clone, PartialEq)]
pub enum ArrowValue<'p> {
    /// A null slot.
    Null,
    /// A string (invalid UTF-8 replaced, as a lossy read).
    Str(Cow<'p, str>),
    /// A signed or unsigned integer.
    Int(i128),
    /// A floating-point number.
    Float(f64),
    /// A boolean.
    Bool(bool),
}

/// Why a slot could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArrowError {
    /// The row is past the array's length.
    #[error("row {0} past the array's length")]
    RowOutOfRange(u64),
    /// A buffer the layout needs is missing.
    #[error("buffer {0} missing")]
    MissingBuffer(usize),
    /// A read past a buffer's end (a hostile length or offset).
    #[error("buffer {buffer} too short for slot {slot}")]
    ShortBuffer {
        /// Which buffer.
        buffer: usize,
        /// Which slot (`offset + row`).
        slot: u64,
    },
    /// Offsets that go backwards or past the data.
    #[error("bad offsets at slot {0}")]
    BadOffsets(u64),
    /// A type this reader does not decode.
    #[error("Arrow type {0} not decoded")]
    Unsupported(String),
}

impl<'p> ArrowArray<'p> {
    /// The value at `row`.
    ///
    /// # Errors
    /// The row is out of range, a buffer is missing or short, or the type is unknown.
    pub fn value(&self, row: u64) -> Result<ArrowValue<'p>, ArrowError> {
        if row >= self.length {
            return Err(ArrowError::RowOutOfRange(row));
        }
        let slot = self
            .offset
            .checked_add(row)
            .ok_or(ArrowError::RowOutOfRange(row))?;
        if !self.is_valid(slot)? {
            return Ok(ArrowValue::Null);
        }
        match self.type_name {
            "string" | "utf8" => self.string(slot, 4),
            "large_string" | "large_utf8" => self.string(slot, 8),
            "bool" => Ok(ArrowValue::Bool(bit(self.buffer(1)?, slot, 1)?)),
            "double" | "float64" => Ok(ArrowValue::Float(f64::from_le_bytes(
                self.fixed::<8>(slot)?,
            ))),
            "float" | "float32" => Ok(ArrowValue::Float(f64::from(f32::from_le_bytes(
                self.fixed::<4>(slot)?,
            )))),
            "int8" => Ok(ArrowValue::Int(i8::from_le_bytes(self.fixed(slot)?).into())),
            "int16" => Ok(ArrowValue::Int(
                i16::from_le_bytes(self.fixed(slot)?).into(),
            )),
            "int32" => Ok(ArrowValue::Int(
                i32::from_le_bytes(self.fixed(slot)?).into(),
            )),
            "int64" => Ok(ArrowValue::Int(
                i64::from_le_bytes(self.fixed(slot)?).into(),
            )),
            "uint8" => Ok(ArrowValue::Int(u8::from_le_bytes(self.fixed(slot)?).into())),
            "uint16" => Ok(ArrowValue::Int(
                u16::from_le_bytes(self.fixed(slot)?).into(),
            )),
            "uint32" => Ok(ArrowValue::Int(
                u32::from_le_bytes(self.fixed(slot)?).into(),
            )),
            "uint64" => Ok(ArrowValue::Int(
                u64::from_le_bytes(self.fixed(slot)?).into(),
            )),
            // Days since the epoch; milliseconds; a count of the timestamp's unit.
            "date32[day]" | "date32" => Ok(ArrowValue::Int(
                i32::from_le_bytes(self.fixed(slot)?).into(),
            )),
            "date64[ms]" | "date64" | "timestamp" => Ok(ArrowValue::Int(
                i64::from_le_bytes(self.fixed(slot)?).into(),
            )),
            "dictionary" => self.dictionary_value(row),
            other => Err(ArrowError::Unsupported(other.to_string())),
        }
    }

    /// A dictionary slot: its index, read as the index type, into the values.
    fn dictionary_value(&self, row: u64) -> Result<ArrowValue<'p>, ArrowError> {
        let dictionary = self
            .dictionary
            .as_deref()
            .ok_or_else(|| ArrowError::Unsupported("dictionary without values".to_string()))?;
        let indices = ArrowArray {
            type_name: dictionary.index_type,
            unit: None,
            dictionary: None,
            length: self.length,
            offset: self.offset,
            buffers: self.buffers.clone(),
        };
        match indices.value(row)? {
            ArrowValue::Int(index) => {
                let slot = self.offset.saturating_add(row);
                let index = u64::try_from(index).map_err(|_| ArrowError::BadOffsets(slot))?;
                dictionary.values.value(index)
            }
            _ => Err(ArrowError::Unsupported(dictionary.index_type.to_string())),
        }
    }

    fn buffer(&self, index: usize) -> Result<&'p [u8], ArrowError> {
        self.buffers
            .get(index)
            .copied()
            .flatten()
            .ok_or(ArrowError::MissingBuffer(index))
    }

    /// Whether a slot is valid: every slot is when there is no bitmap.
    fn is_valid(&self, slot: u64) -> Result<bool, ArrowError> {
        match self.buffers.first().copied().flatten() {
            None => Ok(true),
            Some(bitmap) => bit(bitmap, slot, 0),
        }
    }

    fn fixed<const N: usize>(&self, slot: u64) -> Result<[u8; N], ArrowError> {
        let bytes = self.buffer(1)?;
        let short = ArrowError::ShortBuffer { buffer: 1, slot };
        let start = usize::try_from(slot)
            .ok()
            .and_then(|s| s.checked_mul(N))
            .ok_or(short.clone())?;
        bytes
            .get(start..start.checked_add(N).ok_or(short.clone())?)
            .and_then(|b| b.try_into().ok())
            .ok_or(short)
    }

    /// A string slot: its offsets (of `width` bytes) into the data buffer.
    fn string(&self, slot: u64, width: usize) -> Result<ArrowValue<'p>, ArrowError> {
        let offsets = self.buffer(1)?;
        let read = |index: u64| -> Result<u64, ArrowError> {
            let short = ArrowError::ShortBuffer { buffer: 1, slot };
            let start = usize::try_from(index)
                .ok()
                .and_then(|i| i.checked_mul(width))
                .ok_or(short.clone())?;
            let bytes = offsets.get(start..start + width).ok_or(short)?;
            let mut raw = [0u8; 8];
            raw[..width].copy_from_slice(bytes);
            let value = match width {
                4 => i64::from(i32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]])),
                _ => i64::from_le_bytes(raw),
            };
            u64::try_from(value).map_err(|_| ArrowError::BadOffsets(slot))
        };
        let (start, end) = (read(slot)?, read(slot + 1)?);
        let data = self.buffers.get(2).copied().flatten().unwrap_or_default();
        let range = usize::try_from(start).ok().zip(usize::try_from(end).ok());
        let bytes = range
            .filter(|(s, e)| s <= e)
            .and_then(|(s, e)| data.get(s..e))
            .ok_or(ArrowError::BadOffsets(slot))?;
        Ok(ArrowValue::Str(String::from_utf8_lossy(bytes)))
    }
}

/// Bit `slot` of a bitmap, least significant bit first.
fn bit(bitmap: &[u8], slot: u64, buffer: usize) -> Result<bool, ArrowError> {
    let byte = usize::try_from(slot / 8)
        .ok()
        .and_then(|i| bitmap.get(i))
        .ok_or(ArrowError::ShortBuffer { buffer, slot })?;
    Ok(byte >> (slot % 8) & 1 == 1)
}

/// The array `pyarrow.lib._restore_array(…)` rebuilds, or `None` for another shape (a
/// type made by another call than `type_for_alias`, children, a dictionary).
pub fn array<'p>(pickle: &'p Pickle<'_>, value: Value) -> Option<ArrowArray<'p>> {
    let made = view::made(pickle, value)?;
    if !view::is_one_of(view::global(pickle, made.func), RESTORE_ARRAY) {
        return None;
    }
    array_parts(pickle, made.args.first()?, true)
}

/// An array's `(type, length, null_count, offset, buffers, children, dictionary)`; a
/// dictionary's values are such a tuple too (read only when `dictionary_allowed`: a
/// dictionary's values are never a dictionary, so a hostile nesting stops at one).
fn array_parts<'p>(
    pickle: &'p Pickle<'_>,
    value: Value,
    dictionary_allowed: bool,
) -> Option<ArrowArray<'p>> {
    let parts = view::tuple(pickle, value)?;
    let [kind, length, _nulls, offset, buffers] = [0, 1, 2, 3, 4].map(|i| parts.get(i));
    let kind = view::made(pickle, kind?)?;
    let kind_global = view::global(pickle, kind.func);
    let mut dictionary = None;
    let (type_name, unit) = if view::is_one_of(kind_global, TYPE_FOR_ALIAS) {
        (view::text(pickle, kind.args.first()?)?, None)
    } else if view::is_one_of(kind_global, TIMESTAMP) {
        // `timestamp(unit, tz)`: a zone is not read (its values would be shown as UTC).
        if kind.args.get(1).is_some_and(|tz| tz != Value::None) {
            return None;
        }
        ("timestamp", Some(view::text(pickle, kind.args.first()?)?))
    } else if dictionary_allowed && view::is_one_of(kind_global, DICTIONARY) {
        // `dictionary(index_type, value_type, ordered)`, its values the tuple's seventh item.
        let index = view::made(pickle, kind.args.first()?)?;
        if !view::is_one_of(view::global(pickle, index.func), TYPE_FOR_ALIAS) {
            return None;
        }
        dictionary = Some(Box::new(Dictionary {
            index_type: view::text(pickle, index.args.first()?)?,
            ordered: matches!(kind.args.get(2), Some(Value::Bool(true))),
            values: array_parts(pickle, parts.get(6)?, false)?,
        }));
        ("dictionary", None)
    } else {
        return None;
    };
    let buffers = view::sequence(pickle, buffers?)?
        .iter()
        .map(|buffer| match buffer {
            Value::None => Some(None),
            buffer => {
                let made = view::made(pickle, buffer)?;
                view::is_one_of(view::global(pickle, made.func), PY_BUFFER)
                    .then(|| view::bytes_like(pickle, made.args.first()?))
                    .flatten()
                    .map(Some)
            }
        })
        .collect::<Option<Vec<_>>>()?;
    Some(ArrowArray {
        type_name,
        unit,
        dictionary,
        length: view::count(length?)?,
        offset: view::count(offset?)?,
        buffers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings<'a>(bitmap: Option<&'a [u8]>, offsets: &'a [u8], data: &'a [u8]) -> ArrowArray<'a> {
        ArrowArray {
            type_name: "large_string",
            unit: None,
            dictionary: None,
            length: 3,
            offset: 0,
            buffers: vec![bitmap, Some(offsets), Some(data)],
        }
    }

    fn large(offsets: &[i64]) -> Vec<u8> {
        offsets.iter().flat_map(|o| o.to_le_bytes()).collect()
    }

    #[test]
    fn large_strings_read_with_their_nulls() {
        let offsets = large(&[0, 5, 11, 11]);
        let array = strings(Some(&[0b011]), &offsets, b"applebanana");
        let values: Vec<_> = (0..3).map(|r| array.value(r)).collect();
        assert_eq!(
            values,
            [
                Ok(ArrowValue::Str("apple".into())),
                Ok(ArrowValue::Str("banana".into())),
                Ok(ArrowValue::Null)
            ]
        );
    }

    #[test]
    fn offsets_past_the_data_are_an_error() {
        let offsets = large(&[0, 5, 1 << 40, 11]);
        let array = strings(None, &offsets, b"applebanana");
        assert_eq!(array.value(1), Err(ArrowError::BadOffsets(1)));
    }

    #[test]
    fn negative_or_backward_offsets_are_an_error() {
        let offsets = large(&[0, -5, 3, 1]);
        let array = strings(None, &offsets, b"applebanana");
        assert_eq!(array.value(0), Err(ArrowError::BadOffsets(0)));
        assert_eq!(array.value(2), Err(ArrowError::BadOffsets(2)));
    }

    #[test]
    fn a_short_offsets_buffer_is_an_error() {
        let offsets = large(&[0, 5]);
        let array = strings(None, &offsets, b"apple");
        assert_eq!(
            array.value(1),
            Err(ArrowError::ShortBuffer { buffer: 1, slot: 1 })
        );
    }

    #[test]
    fn a_short_bitmap_and_a_huge_offset_are_errors() {
        let offsets = large(&[0, 1, 2, 3]);
        let mut array = strings(Some(&[]), &offsets, b"abc");
        assert_eq!(
            array.value(0),
            Err(ArrowError::ShortBuffer { buffer: 0, slot: 0 })
        );
        array.buffers[0] = None;
        array.offset = u64::MAX;
        assert_eq!(array.value(2), Err(ArrowError::RowOutOfRange(2)));
        array.length = u64::MAX;
        array.offset = u64::MAX - 1;
        assert!(array.value(0).is_err());
    }

    #[test]
    fn rows_past_the_length_and_missing_buffers_are_errors() {
        let array = ArrowArray {
            type_name: "int64",
            unit: None,
            dictionary: None,
            length: 2,
            offset: 0,
            buffers: vec![None],
        };
        assert_eq!(array.value(2), Err(ArrowError::RowOutOfRange(2)));
        assert_eq!(array.value(0), Err(ArrowError::MissingBuffer(1)));
    }

    #[test]
    fn dates_and_timestamps_read_as_counts_and_short_buffers_are_errors() {
        let days = 19_724i32.to_le_bytes();
        let dates = ArrowArray {
            type_name: "date32[day]",
            unit: None,
            dictionary: None,
            length: 2,
            offset: 0,
            buffers: vec![Some(&[0b01]), Some(&days)],
        };
        assert_eq!(dates.value(0), Ok(ArrowValue::Int(19_724)));
        assert_eq!(dates.value(1), Ok(ArrowValue::Null));
        let stamps = ArrowArray {
            type_name: "timestamp",
            unit: Some("us"),
            dictionary: None,
            length: 2,
            offset: 0,
            buffers: vec![None, Some(&days)],
        };
        assert_eq!(
            stamps.value(0),
            Err(ArrowError::ShortBuffer { buffer: 1, slot: 0 })
        );
    }

    #[test]
    fn dictionary_slots_index_their_values_and_lying_indices_are_errors() {
        let offsets: Vec<u8> = [0i32, 1, 2].iter().flat_map(|o| o.to_le_bytes()).collect();
        let values = ArrowArray {
            type_name: "string",
            unit: None,
            dictionary: None,
            length: 2,
            offset: 0,
            buffers: vec![None, Some(&offsets), Some(b"ab")],
        };
        let indices: Vec<u8> = [1i32, 0, 7, -1]
            .iter()
            .flat_map(|i| i.to_le_bytes())
            .collect();
        let array = ArrowArray {
            type_name: "dictionary",
            unit: None,
            dictionary: Some(Box::new(Dictionary {
                index_type: "int32",
                ordered: false,
                values,
            })),
            length: 5,
            offset: 0,
            buffers: vec![Some(&[0b1_1111]), Some(&indices)],
        };
        assert_eq!(array.value(0), Ok(ArrowValue::Str("b".into())));
        assert_eq!(array.value(1), Ok(ArrowValue::Str("a".into())));
        assert_eq!(array.value(2), Err(ArrowError::RowOutOfRange(7)));
        assert_eq!(array.value(3), Err(ArrowError::BadOffsets(3)));
        assert_eq!(
            array.value(4),
            Err(ArrowError::ShortBuffer { buffer: 1, slot: 4 })
        );
    }

    #[test]
    fn primitives_and_booleans_read_at_the_offset() {
        let values = large(&[7, -8, 9]);
        let ints = ArrowArray {
            type_name: "int64",
            unit: None,
            dictionary: None,
            length: 2,
            offset: 1,
            buffers: vec![None, Some(&values)],
        };
        assert_eq!(ints.value(0), Ok(ArrowValue::Int(-8)));
        assert_eq!(ints.value(1), Ok(ArrowValue::Int(9)));
        let bools = ArrowArray {
            type_name: "bool",
            unit: None,
            dictionary: None,
            length: 3,
            offset: 0,
            buffers: vec![Some(&[0b101]), Some(&[0b100])],
        };
        let read: Vec<_> = (0..3).map(|r| bools.value(r)).collect();
        assert_eq!(
            read,
            [
                Ok(ArrowValue::Bool(false)),
                Ok(ArrowValue::Null),
                Ok(ArrowValue::Bool(true))
            ]
        );
        let odd = ArrowArray {
            type_name: "list",
            ..ints.clone()
        };
        assert_eq!(odd.value(0), Err(ArrowError::Unsupported("list".into())));
        let bare = ArrowArray {
            type_name: "dictionary",
            ..ints
        };
        assert_eq!(
            bare.value(0),
            Err(ArrowError::Unsupported("dictionary without values".into()))
        );
    }
}
