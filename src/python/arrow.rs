//! Apache Arrow arrays as pyarrow pickles them, read from the graph without pyarrow.
//!
//! pyarrow pickles an `Array` as `pyarrow.lib._restore_array((type, length, null_count,
//! offset, buffers, children, dictionary))`, each buffer `pyarrow.lib.py_buffer(bytes)` or
//! `None`, the type `pyarrow.lib.type_for_alias('large_string')`. The buffers follow
//! Arrow's columnar format: for every layout, buffer 0 is the validity bitmap (absent when
//! no value is null; bit `i` of byte `i / 8`, least significant first, set for a valid
//! slot); a primitive array's buffer 1 holds its values, little-endian and fixed-width; a
//! (large) string's buffer 1 holds `length + 1` int32 (int64) offsets into buffer 2, its
//! UTF-8 data; a boolean's values are a bitmap too; a list's buffer 1 holds `length + 1`
//! int32 offsets into its one child array; a struct's children are its fields, read at
//! the struct's own slots. Every slot is read at `offset + row`.
//!
//! Only the slots asked for are read, and every offset is checked against its buffer: a
//! hostile array gives an [`ArrowError`], never a panic or a large allocation.
//!
//! ```
//! use picklegraph::python::arrow::{ArrowArray, ArrowValue};
//! let offsets: Vec<u8> = [0i32, 5, 11].iter().flat_map(|o| o.to_le_bytes()).collect();
//! let buffers = [Some(&[0b01][..]), Some(&offsets[..]), Some(&b"applebanana"[..])];
//! let array = ArrowArray { type_name: "string", unit: None, tz: None, dictionary: None, children: vec![], null_count: 1, length: 2, offset: 0, buffers: buffers.to_vec() };
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
const LIST: &[&str] = &["pyarrow.lib.list_"];
const LARGE_LIST: &[&str] = &["pyarrow.lib.large_list"];
const STRUCT: &[&str] = &["pyarrow.lib.struct"];
const FIELD: &[&str] = &["pyarrow.lib.field"];
/// How deep types may nest (a list of structs of lists…): real frames nest once or
/// twice; a hostile pickle may nest without end.
const MAX_TYPE_DEPTH: u8 = 4;
/// Most items of one list slot read: numpy prints a longer array as its first and last
/// three items.
pub const MAX_LIST_ITEMS: u64 = 1_000;
/// The items read at each end of a longer list slot.
pub const LIST_EDGE_ITEMS: u64 = 3;

/// An Arrow array's type name, length, offset and buffers, borrowed from the pickle.
#[derive(Debug, Clone, PartialEq)]
pub struct ArrowArray<'p> {
    /// pyarrow's alias of the type: `large_string`, `string`, `int64`, `double`, `bool`,
    /// `date32[day]`, `date64[ms]`, or `timestamp` (made by `pyarrow.lib.timestamp`).
    pub type_name: &'p str,
    /// A timestamp's unit (`s`, `ms`, `us`, `ns`); `None` for other types.
    pub unit: Option<&'p str>,
    /// A timestamp's zone (`Europe/Paris`, `UTC`, `+01:00`); `None` when naive.
    pub tz: Option<&'p str>,
    /// A `dictionary` type's index type and values; `None` for other types.
    pub dictionary: Option<Box<Dictionary<'p>>>,
    /// A `list`'s one child (named `item`) or a `struct`'s fields, in order.
    pub children: Vec<Child<'p>>,
    /// How many slots are null, as pyarrow counted them.
    pub null_count: u64,
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

/// A child array: a list's items or one field of a struct.
#[derive(Debug, Clone, PartialEq)]
pub struct Child<'p> {
    /// The field's name (`item` for a list's).
    pub name: &'p str,
    /// Its values.
    pub array: ArrowArray<'p>,
}

/// One slot of a list: its length and the items read (all of them, or the first and
/// last [`LIST_EDGE_ITEMS`] of more than [`MAX_LIST_ITEMS`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ListValue<'p> {
    /// How many items the slot holds.
    pub len: u64,
    /// The items read.
    pub items: Vec<ArrowValue<'p>>,
    /// The child array's type name (`int64`, `string`).
    pub item_type: &'p str,
    /// Whether the child array has nulls (pandas then reads ints as floats).
    pub has_nulls: bool,
}

/// One field of a struct slot.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldValue<'p> {
    /// The field's name.
    pub name: &'p str,
    /// Its value.
    pub value: ArrowValue<'p>,
    /// Whether the field's array has nulls (pandas then reads ints as floats).
    pub has_nulls: bool,
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
    /// A list slot.
    List(ListValue<'p>),
    /// A struct slot: its fields in order.
    Struct(Vec<FieldValue<'p>>),
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
            "list" => self.list_value(slot, 4),
            "large_list" => self.list_value(slot, 8),
            "struct" => Ok(ArrowValue::Struct(
                self.children
                    .iter()
                    .map(|child| {
                        Ok(FieldValue {
                            name: child.name,
                            value: child.array.value(slot)?,
                            has_nulls: child.array.null_count > 0,
                        })
                    })
                    .collect::<Result<_, ArrowError>>()?,
            )),
            other => Err(ArrowError::Unsupported(other.to_string())),
        }
    }

    /// A list slot: its offsets (of `width` bytes) into its child's items.
    fn list_value(&self, slot: u64, width: usize) -> Result<ArrowValue<'p>, ArrowError> {
        let child = &self
            .children
            .first()
            .ok_or_else(|| ArrowError::Unsupported("list without items".to_string()))?
            .array;
        let (start, end) = self.offsets(slot, width)?;
        if end < start {
            return Err(ArrowError::BadOffsets(slot));
        }
        let len = end - start;
        let rows: Vec<u64> = if len > MAX_LIST_ITEMS {
            (start..start + LIST_EDGE_ITEMS)
                .chain(end - LIST_EDGE_ITEMS..end)
                .collect()
        } else {
            (start..end).collect()
        };
        let items = rows
            .into_iter()
            .map(|row| child.value(row))
            .collect::<Result<_, _>>()?;
        Ok(ArrowValue::List(ListValue {
            len,
            items,
            item_type: child.type_name,
            has_nulls: child.null_count > 0,
        }))
    }

    /// The offsets of slot `slot` and the next, each `width` bytes, from buffer 1.
    fn offsets(&self, slot: u64, width: usize) -> Result<(u64, u64), ArrowError> {
        let offsets = self.buffer(1)?;
        let read = |index: u64| -> Result<u64, ArrowError> {
            let short = ArrowError::ShortBuffer { buffer: 1, slot };
            let start = usize::try_from(index)
                .ok()
                .and_then(|i| i.checked_mul(width))
                .ok_or(short.clone())?;
            let bytes = offsets
                .get(start..start.checked_add(width).ok_or(short.clone())?)
                .ok_or(short)?;
            let mut raw = [0u8; 8];
            raw[..width].copy_from_slice(bytes);
            let value = match width {
                4 => i64::from(i32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]])),
                _ => i64::from_le_bytes(raw),
            };
            u64::try_from(value).map_err(|_| ArrowError::BadOffsets(slot))
        };
        Ok((
            read(slot)?,
            read(slot.checked_add(1).ok_or(ArrowError::BadOffsets(slot))?)?,
        ))
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
            tz: None,
            dictionary: None,
            children: Vec::new(),
            null_count: self.null_count,
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
        let (start, end) = self.offsets(slot, width)?;
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
    array_parts(pickle, made.args.first()?, 0)
}

/// An array's `(type, length, null_count, offset, buffers, children, dictionary)`; a
/// dictionary's values and a list's or struct's children are such tuples too, read
/// `depth` deep (a dictionary's values are never a dictionary, and types nest at most
/// [`MAX_TYPE_DEPTH`] deep, so a hostile nesting stops).
fn array_parts<'p>(pickle: &'p Pickle<'_>, value: Value, depth: u8) -> Option<ArrowArray<'p>> {
    if depth > MAX_TYPE_DEPTH {
        return None;
    }
    let parts = view::tuple(pickle, value)?;
    let [kind, length, nulls, offset, buffers] = [0, 1, 2, 3, 4].map(|i| parts.get(i));
    let kind = view::made(pickle, kind?)?;
    let kind_global = view::global(pickle, kind.func);
    let mut dictionary = None;
    let mut tz = None;
    let mut names: Vec<&'p str> = Vec::new();
    let (type_name, unit) = if view::is_one_of(kind_global, TYPE_FOR_ALIAS) {
        (view::text(pickle, kind.args.first()?)?, None)
    } else if view::is_one_of(kind_global, TIMESTAMP) {
        // `timestamp(unit, tz)`.
        tz = match kind.args.get(1) {
            None | Some(Value::None) => None,
            Some(zone) => Some(view::text(pickle, zone)?),
        };
        ("timestamp", Some(view::text(pickle, kind.args.first()?)?))
    } else if depth == 0 && view::is_one_of(kind_global, DICTIONARY) {
        // `dictionary(index_type, value_type, ordered)`, its values the tuple's seventh item.
        let index = view::made(pickle, kind.args.first()?)?;
        if !view::is_one_of(view::global(pickle, index.func), TYPE_FOR_ALIAS) {
            return None;
        }
        dictionary = Some(Box::new(Dictionary {
            index_type: view::text(pickle, index.args.first()?)?,
            ordered: matches!(kind.args.get(2), Some(Value::Bool(true))),
            values: array_parts(pickle, parts.get(6)?, depth + 1)?,
        }));
        ("dictionary", None)
    } else if view::is_one_of(kind_global, LIST) || view::is_one_of(kind_global, LARGE_LIST) {
        // `list_(field('item', type, nullable, metadata))`, its items the one child.
        names.push(field_name(pickle, kind.args.first()?).unwrap_or("item"));
        let large = view::is_one_of(kind_global, LARGE_LIST);
        (if large { "large_list" } else { "list" }, None)
    } else if view::is_one_of(kind_global, STRUCT) {
        // `struct([field(name, type, …), …])`, a child per field.
        for field in view::sequence(pickle, kind.args.first()?)?.iter() {
            names.push(field_name(pickle, field)?);
        }
        ("struct", None)
    } else {
        return None;
    };
    let children = match type_name {
        "list" | "large_list" | "struct" => {
            let arrays = view::sequence(pickle, parts.get(5)?)?;
            if arrays.len() != names.len() {
                return None;
            }
            names
                .iter()
                .zip(arrays.iter())
                .map(|(&name, child)| {
                    Some(Child {
                        name,
                        array: array_parts(pickle, child, depth + 1)?,
                    })
                })
                .collect::<Option<Vec<_>>>()?
        }
        _ => Vec::new(),
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
        tz,
        dictionary,
        children,
        null_count: nulls.and_then(view::count).unwrap_or(0),
        length: view::count(length?)?,
        offset: view::count(offset?)?,
        buffers,
    })
}

/// The name of `pyarrow.lib.field(name, type, nullable, metadata)`.
fn field_name<'p>(pickle: &'p Pickle<'_>, field: Value) -> Option<&'p str> {
    let made = view::made(pickle, field)?;
    if !view::is_one_of(view::global(pickle, made.func), FIELD) {
        return None;
    }
    view::text(pickle, made.args.first()?)
}

impl ArrowArray<'_> {
    /// The type as pyarrow writes it (`str(type)`): `int64`, `timestamp[ns,
    /// tz=Europe/Paris]`, `list<item: int64>`, `struct<a: int64, b: string>`.
    pub fn type_text(&self) -> String {
        let fields = || -> Vec<String> {
            self.children
                .iter()
                .map(|c| format!("{}: {}", c.name, c.array.type_text()))
                .collect()
        };
        match (self.type_name, self.unit, self.tz) {
            (_, Some(unit), Some(tz)) => format!("timestamp[{unit}, tz={tz}]"),
            (_, Some(unit), None) => format!("timestamp[{unit}]"),
            ("list" | "large_list" | "struct", _, _) => {
                format!("{}<{}>", self.type_name, fields().join(", "))
            }
            ("dictionary", _, _) => match self.dictionary.as_deref() {
                Some(d) => format!(
                    "dictionary<values={}, indices={}, ordered={}>",
                    d.values.type_text(),
                    d.index_type,
                    u8::from(d.ordered)
                ),
                None => "dictionary".to_string(),
            },
            (name, _, _) => name.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings<'a>(bitmap: Option<&'a [u8]>, offsets: &'a [u8], data: &'a [u8]) -> ArrowArray<'a> {
        ArrowArray {
            type_name: "large_string",
            unit: None,
            tz: None,
            children: Vec::new(),
            null_count: 0,
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
            tz: None,
            children: Vec::new(),
            null_count: 0,
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
            tz: None,
            children: Vec::new(),
            null_count: 0,
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
            tz: None,
            children: Vec::new(),
            null_count: 0,
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
            tz: None,
            children: Vec::new(),
            null_count: 0,
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
            tz: None,
            children: Vec::new(),
            null_count: 0,
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
            tz: None,
            children: Vec::new(),
            null_count: 0,
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
            tz: None,
            children: Vec::new(),
            null_count: 0,
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
            type_name: "map",
            ..ints.clone()
        };
        assert_eq!(odd.value(0), Err(ArrowError::Unsupported("map".into())));
        let bare = ArrowArray {
            type_name: "dictionary",
            ..ints
        };
        assert_eq!(
            bare.value(0),
            Err(ArrowError::Unsupported("dictionary without values".into()))
        );
    }

    fn ints(values: &[u8], length: u64) -> ArrowArray<'_> {
        ArrowArray {
            type_name: "int64",
            unit: None,
            tz: None,
            dictionary: None,
            children: Vec::new(),
            null_count: 0,
            length,
            offset: 0,
            buffers: vec![None, Some(values)],
        }
    }

    #[test]
    fn list_slots_read_their_items_and_lying_offsets_are_errors() {
        let items = large(&[1, 2, 3]);
        let offsets: Vec<u8> = [0i32, 2, 2, 3, 1, 99]
            .iter()
            .flat_map(|o| o.to_le_bytes())
            .collect();
        let list = ArrowArray {
            type_name: "list",
            unit: None,
            tz: None,
            dictionary: None,
            children: vec![Child {
                name: "item",
                array: ints(&items, 3),
            }],
            null_count: 0,
            length: 5,
            offset: 0,
            buffers: vec![None, Some(&offsets)],
        };
        let ArrowValue::List(first) = list.value(0).unwrap() else {
            panic!("a list")
        };
        assert_eq!(first.items, [ArrowValue::Int(1), ArrowValue::Int(2)]);
        assert!(matches!(
            list.value(1),
            Ok(ArrowValue::List(ListValue { len: 0, .. }))
        ));
        // Offsets going backwards, and past the items.
        assert_eq!(list.value(3), Err(ArrowError::BadOffsets(3)));
        assert_eq!(list.value(4), Err(ArrowError::RowOutOfRange(3)));
        let orphan = ArrowArray {
            children: Vec::new(),
            ..list
        };
        assert!(matches!(orphan.value(0), Err(ArrowError::Unsupported(_))));
    }

    #[test]
    fn a_huge_list_slot_reads_only_its_ends() {
        let items = large(&(0..2_000).collect::<Vec<i64>>());
        let offsets: Vec<u8> = [0i32, 2_000].iter().flat_map(|o| o.to_le_bytes()).collect();
        let list = ArrowArray {
            type_name: "list",
            unit: None,
            tz: None,
            dictionary: None,
            children: vec![Child {
                name: "item",
                array: ints(&items, 2_000),
            }],
            null_count: 0,
            length: 1,
            offset: 0,
            buffers: vec![None, Some(&offsets)],
        };
        let Ok(ArrowValue::List(slot)) = list.value(0) else {
            panic!("a list")
        };
        assert_eq!(slot.len, 2_000);
        let read: Vec<_> = [0, 1, 2, 1997, 1998, 1999].map(ArrowValue::Int).to_vec();
        assert_eq!(slot.items, read);
    }

    #[test]
    fn struct_slots_read_each_field_at_the_structs_slot() {
        let a = large(&[10, 20]);
        let structs = ArrowArray {
            type_name: "struct",
            unit: None,
            tz: None,
            dictionary: None,
            children: vec![Child {
                name: "a",
                array: ints(&a, 2),
            }],
            null_count: 1,
            length: 2,
            offset: 0,
            buffers: vec![Some(&[0b10])],
        };
        assert_eq!(structs.value(0), Ok(ArrowValue::Null));
        let Ok(ArrowValue::Struct(fields)) = structs.value(1) else {
            panic!("a struct")
        };
        assert_eq!(
            (fields[0].name, &fields[0].value),
            ("a", &ArrowValue::Int(20))
        );
        assert_eq!(structs.type_text(), "struct<a: int64>");
    }
}
