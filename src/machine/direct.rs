//! The direct build: plain data made by a [`Build`] as the opcodes run, with no graph in
//! between.
//!
//! A caller that wants a pickle's objects in its own form (the Python bindings want
//! Python objects, as `pickle.loads` makes them) would otherwise load the graph and walk
//! it: two passes over memory, the second as costly as the unpickler it stands in for.
//! Here a small dispatch loop over the same reader, opcode table, text rules and limits
//! hands each value to the builder the moment its opcode runs, and keeps the builder's
//! objects on its stack and in its memo, as CPython's unpickler keeps its own: a memo get
//! gives the same object, and a list holds itself when the pickle says so.
//!
//! It reads plain data only: None, bools, ints, floats, strs, bytes, bytearrays, lists,
//! tuples, dicts, sets and frozensets. The first opcode that would need an inert node (a
//! global, a call, an instance, `BUILD`, a persistent id, an extension code, an
//! out-of-band buffer) stops it with [`BuildError::NotPlain`]: the caller then loads the
//! graph, which records such things, and nothing the pickle names is touched either way.
//!
//! It is a second loop, not the arena machine made generic, because that machine's speed
//! is in representations of its own (packed stack slots whose wide words follow the
//! arena's, memo runs of consecutive node ids, dict keys compared over arena payloads);
//! the graph is left exactly as it was. The two must agree wherever this one succeeds:
//! it refuses at least what the machine refuses (its allocation charge is the machine's
//! worst case), and a caller that wants the machine's error for a malformed input loads
//! the graph after a [`BuildError::Load`] (see `loads` in the bindings).

use std::borrow::Cow;
use std::collections::HashMap;
use std::vec::Drain;

use num_bigint::BigInt;

use super::budget::{MEMO_ENTRY_COST, NODE_COST, SLOT_COST, SLOT_SIZE};
use super::{HIGHEST_PROTOCOL, OPCODE_OF_BYTE};
use crate::error::{Error, ErrorKind};
use crate::graph::PyStr;
use crate::limits::{DecodeErrors, LoadOptions, StringEncoding};
use crate::opcode::Opcode;
use crate::reader::Reader;
use crate::text::{self, NumberLine, ParsedInt};

/// What a direct build ([`load_into`]) makes plain data with, one call an object.
///
/// `Object` is the builder's handle on an object it made. The build owns those it holds
/// on its stack and in its memo: cloning one shares the object (a memo get, `DUP`),
/// dropping one lets it go. Every container method takes the items it is given (a
/// [`Drain`] of owned handles); a method that adds to an existing container answers
/// whether the target is one of the right kind (`false` stops the build with a load
/// error, as the graph's machine refuses an `APPENDS` to a dict).
///
/// A builder's own error (`Error`: an unhashable dict key, out of memory) ends the build
/// with [`BuildError::Build`].
/// ```
/// use picklegraph::{Build, LoadOptions};
/// use std::vec::Drain;
///
/// /// Sums the ints of a pickle, whatever holds them.
/// struct Sum;
/// impl Build for Sum {
///     type Object = i64;
///     type Error = ();
///     fn none(&mut self) -> Result<i64, ()> { Ok(0) }
///     fn bool(&mut self, _: bool) -> Result<i64, ()> { Ok(0) }
///     fn int(&mut self, value: i64) -> Result<i64, ()> { Ok(value) }
///     fn big_int(&mut self, _: &num_bigint::BigInt) -> Result<i64, ()> { Err(()) }
///     fn float(&mut self, _: f64) -> Result<i64, ()> { Ok(0) }
///     fn str(&mut self, _: &[u8]) -> Result<Option<i64>, ()> { Ok(Some(0)) }
///     fn bytes(&mut self, _: &[u8]) -> Result<i64, ()> { Ok(0) }
///     fn byte_array(&mut self, _: &[u8]) -> Result<i64, ()> { Ok(0) }
///     fn list(&mut self, items: Drain<'_, i64>) -> Result<i64, ()> { Ok(items.sum()) }
///     fn tuple(&mut self, items: Drain<'_, i64>) -> Result<i64, ()> { Ok(items.sum()) }
///     fn dict(&mut self) -> Result<i64, ()> { Ok(0) }
///     fn set(&mut self) -> Result<i64, ()> { Ok(0) }
///     fn frozen_set(&mut self, items: Drain<'_, i64>) -> Result<i64, ()> { Ok(items.sum()) }
///     fn append(&mut self, _: &i64, _: Drain<'_, i64>) -> Result<bool, ()> { Ok(true) }
///     fn set_items(&mut self, _: &i64, _: Drain<'_, i64>) -> Result<bool, ()> { Ok(true) }
///     fn add_items(&mut self, _: &i64, _: Drain<'_, i64>) -> Result<bool, ()> { Ok(true) }
/// }
///
/// // pickle.dumps((1, 2, (3,)), protocol=2)
/// let built = picklegraph::load_into(b"\x80\x02K\x01K\x02K\x03\x85\x87q\x00.",
///                                    &LoadOptions::default(), &mut Sum);
/// assert_eq!(built.ok().map(|built| built.root), Some(6));
/// ```
pub trait Build {
    /// A handle on an object the builder made; a clone shares the object.
    type Object: Clone;
    /// Why the builder could not make an object.
    type Error;

    /// `None`.
    fn none(&mut self) -> Result<Self::Object, Self::Error>;
    /// `True` or `False`.
    fn bool(&mut self, value: bool) -> Result<Self::Object, Self::Error>;
    /// An int that fits in 64 bits.
    fn int(&mut self, value: i64) -> Result<Self::Object, Self::Error>;
    /// An int past 64 bits.
    fn big_int(&mut self, value: &BigInt) -> Result<Self::Object, Self::Error>;
    /// A float.
    fn float(&mut self, value: f64) -> Result<Self::Object, Self::Error>;
    /// A str from its UTF-8, lone surrogates encoded as CPython's `surrogatepass` reads
    /// them; `None` when the bytes are no such UTF-8 (the build then fails with
    /// [`ErrorKind::InvalidUtf8`]). Unchecked here, so that the builder's own decoder
    /// reads each str once.
    fn str(&mut self, utf8: &[u8]) -> Result<Option<Self::Object>, Self::Error>;
    /// A bytes object.
    fn bytes(&mut self, bytes: &[u8]) -> Result<Self::Object, Self::Error>;
    /// A bytearray.
    fn byte_array(&mut self, bytes: &[u8]) -> Result<Self::Object, Self::Error>;
    /// A list of `items`.
    fn list(&mut self, items: Drain<'_, Self::Object>) -> Result<Self::Object, Self::Error>;
    /// A tuple of `items`.
    fn tuple(&mut self, items: Drain<'_, Self::Object>) -> Result<Self::Object, Self::Error>;
    /// An empty dict.
    fn dict(&mut self) -> Result<Self::Object, Self::Error>;
    /// An empty set.
    fn set(&mut self) -> Result<Self::Object, Self::Error>;
    /// A frozenset of `items`.
    fn frozen_set(&mut self, items: Drain<'_, Self::Object>) -> Result<Self::Object, Self::Error>;
    /// `list.extend(items)`; false if `list` is no list.
    fn append(
        &mut self,
        list: &Self::Object,
        items: Drain<'_, Self::Object>,
    ) -> Result<bool, Self::Error>;
    /// `dict[key] = value` for each pair of `items` (keys and values alternate, an even
    /// count), in order; false if `dict` is no dict.
    fn set_items(
        &mut self,
        dict: &Self::Object,
        items: Drain<'_, Self::Object>,
    ) -> Result<bool, Self::Error>;
    /// `set.add(item)` for each of `items`; false if `set` is no set.
    fn add_items(
        &mut self,
        set: &Self::Object,
        items: Drain<'_, Self::Object>,
    ) -> Result<bool, Self::Error>;
}

/// What a direct build made: the root object, and the byte after its `STOP`.
#[derive(Debug)]
pub struct Built<O> {
    /// The pickle's value.
    pub root: O,
    /// Where the pickle ends in the input: the byte after its `STOP`.
    pub end: usize,
}

/// Why a direct build stopped.
#[derive(Debug)]
pub enum BuildError<E> {
    /// An opcode that makes no plain data (a global, a call, `BUILD`, …): load the
    /// graph instead, which records it.
    NotPlain {
        /// Where the opcode is.
        offset: u64,
        /// Which it is.
        opcode: Opcode,
    },
    /// The input is malformed or truncated, or past a limit of the options.
    Load(Error),
    /// The builder failed.
    Build(E),
}

/// Loads the first pickle in `input` into `builder`, as [`load_with`](crate::load_with)
/// would load it into a graph, when it holds plain data only (see [`Build`]).
///
/// # Errors
/// [`BuildError::NotPlain`] at the first opcode that is no plain data;
/// [`BuildError::Load`] for a malformed input or a limit reached (the graph's machine may
/// report it at another opcode: this build charges the allocation limit its worst case);
/// the builder's own errors as [`BuildError::Build`].
pub fn load_into<B: Build>(
    input: &[u8],
    options: &LoadOptions,
    builder: &mut B,
) -> Result<Built<B::Object>, BuildError<B::Error>> {
    if input.is_empty() {
        return Err(BuildError::Load(Error::new(0, None, ErrorKind::Empty)));
    }
    Direct {
        reader: Reader::at(input, 0),
        options,
        builder,
        stack: Vec::new(),
        marks: Vec::new(),
        memo: DirectMemo::default(),
        scratch: Vec::new(),
        nodes: 0,
        allocated: 0,
    }
    .run()
}

/// The bytes a container item costs here: the machine's [`SLOT_COST`] and the most its
/// arena's moves of containers may add (at most four slots moved per live slot), so
/// that this build refuses at least what the machine refuses.
const DIRECT_SLOT_COST: u64 = SLOT_COST + 4 * SLOT_SIZE;

/// Why a step stopped.
enum Halt<E> {
    Load(ErrorKind),
    NotPlain,
    Build(E),
}

impl<E> From<ErrorKind> for Halt<E> {
    fn from(kind: ErrorKind) -> Halt<E> {
        Halt::Load(kind)
    }
}

type Step<E> = Result<(), Halt<E>>;

/// Which container method an opcode calls on its target.
#[derive(Clone, Copy)]
enum Fill {
    Append,
    SetItems,
    AddItems,
}

/// The memo: dense slots for keys near those stored (as picklers write them), a map for
/// the rest, so that a hostile key of four billion allocates nothing.
struct DirectMemo<O> {
    dense: Vec<Option<O>>,
    sparse: HashMap<u64, O>,
    len: usize,
}

impl<O> Default for DirectMemo<O> {
    fn default() -> DirectMemo<O> {
        DirectMemo {
            dense: Vec::new(),
            sparse: HashMap::new(),
            len: 0,
        }
    }
}

/// Dense slots a memo may hold beyond twice its keys (as the machine's memo).
const DENSE_SLACK: u64 = 64;

impl<O> DirectMemo<O> {
    /// Stores `value` under `key`; true if the key is new.
    // The next key (every `MEMOIZE`) inline, the rest out of line: a call for each put
    // cost 5% of `loads` of nested.x0.1 (callgrind: 174 M instructions, 164.5 M inlined).
    #[inline(always)]
    fn put(&mut self, key: u64, value: O) -> bool {
        if key == self.dense.len() as u64 && self.sparse.is_empty() {
            self.dense.push(Some(value));
            self.len += 1;
            return true;
        }
        self.put_any(key, value)
    }

    #[inline(never)]
    fn put_any(&mut self, key: u64, value: O) -> bool {
        let index = key as usize;
        if key < self.dense.len() as u64 {
            let new = self.dense[index].is_none()
                && (self.sparse.is_empty() || self.sparse.remove(&key).is_none());
            self.dense[index] = Some(value);
            self.len += usize::from(new);
            return new;
        }
        if key <= self.len as u64 * 2 + DENSE_SLACK {
            let was_sparse = !self.sparse.is_empty() && self.sparse.remove(&key).is_some();
            self.dense.resize_with(index, || None);
            self.dense.push(Some(value));
            self.len += usize::from(!was_sparse);
            return !was_sparse;
        }
        let new = self.sparse.insert(key, value).is_none();
        self.len += usize::from(new);
        new
    }

    #[inline]
    fn get(&self, key: u64) -> Option<&O> {
        match usize::try_from(key).ok().and_then(|i| self.dense.get(i)) {
            Some(Some(value)) => Some(value),
            _ if self.sparse.is_empty() => None,
            _ => self.sparse.get(&key),
        }
    }
}

/// The direct build's machine: a stack of the builder's objects with marks, a memo.
struct Direct<'a, 'o, B: Build> {
    reader: Reader<'a>,
    options: &'o LoadOptions,
    builder: &'o mut B,
    stack: Vec<B::Object>,
    /// Stack heights when each `MARK` ran.
    marks: Vec<usize>,
    memo: DirectMemo<B::Object>,
    /// The items of a container being filled, moved off the stack (reused).
    scratch: Vec<B::Object>,
    /// Objects made that the graph would hold as nodes (all but None, bools, small
    /// ints and floats), for `max_nodes`.
    nodes: usize,
    allocated: u64,
}

impl<B: Build> Direct<'_, '_, B> {
    fn run(mut self) -> Result<Built<B::Object>, BuildError<B::Error>> {
        loop {
            let offset = self.reader.position() as u64;
            let byte = match self.reader.u8() {
                Ok(byte) => byte,
                Err(kind) => return Err(BuildError::Load(Error::new(offset, None, kind))),
            };
            let Some(op) = OPCODE_OF_BYTE[usize::from(byte)] else {
                let kind = ErrorKind::UnknownOpcode(byte);
                return Err(BuildError::Load(Error::new(offset, None, kind)));
            };
            let stopped = match self.step(op) {
                Ok(stopped) => stopped,
                Err(Halt::Load(kind)) => {
                    return Err(BuildError::Load(Error::new(offset, Some(op), kind)))
                }
                Err(Halt::NotPlain) => return Err(BuildError::NotPlain { offset, opcode: op }),
                Err(Halt::Build(error)) => return Err(BuildError::Build(error)),
            };
            if stopped {
                let end = self.reader.position();
                // `STOP` checked that the stack holds its root.
                if let Some(root) = self.stack.pop() {
                    return Ok(Built { root, end });
                }
                let kind = ErrorKind::StackUnderflow;
                return Err(BuildError::Load(Error::new(offset, Some(op), kind)));
            }
        }
    }

    /// Runs one opcode; true at `STOP`.
    fn step(&mut self, op: Opcode) -> Result<bool, Halt<B::Error>> {
        match op {
            Opcode::Int => self.op_number_line(false, "INT"),
            Opcode::Long => self.op_number_line(true, "LONG"),
            Opcode::BinInt => {
                let value = self.reader.i32_le()?;
                self.push_int(i64::from(value))
            }
            Opcode::BinInt1 => {
                let value = self.reader.u8()?;
                self.push_int(i64::from(value))
            }
            Opcode::BinInt2 => {
                let value = self.reader.u16_le()?;
                self.push_int(i64::from(value))
            }
            Opcode::Long1 => {
                let len = self.reader.u8()?;
                let bytes = self.reader.take(usize::from(len))?;
                self.push_parsed(text::decode_long(bytes))
            }
            Opcode::Long4 => self.op_long4(),
            Opcode::Float => {
                let line = self.reader.line()?;
                let value = text::parse_float(line).map_err(malformed("FLOAT"))?;
                self.push_made(|b| b.float(value))
            }
            Opcode::BinFloat => {
                let value = self.reader.f64_be()?;
                self.push_made(|b| b.float(value))
            }
            Opcode::None => self.push_made(|b| b.none()),
            Opcode::NewTrue => self.push_made(|b| b.bool(true)),
            Opcode::NewFalse => self.push_made(|b| b.bool(false)),
            Opcode::String => self.op_string(),
            Opcode::BinString => {
                let len = self.reader.i32_le()?;
                let len = u64::try_from(len).map_err(|_| ErrorKind::NegativeLength(len.into()))?;
                let bytes = self.reader.take_len(len)?;
                self.push_8bit(Cow::Borrowed(bytes))
            }
            Opcode::ShortBinString => {
                let len = self.reader.u8()?;
                let bytes = self.reader.take(usize::from(len))?;
                self.push_8bit(Cow::Borrowed(bytes))
            }
            Opcode::BinBytes => {
                let len = self.reader.u32_le()?;
                self.push_bytes(u64::from(len))
            }
            Opcode::ShortBinBytes => {
                let len = self.reader.u8()?;
                self.push_bytes(u64::from(len))
            }
            Opcode::BinBytes8 => {
                let len = self.reader.u64_le()?;
                self.push_bytes(len)
            }
            Opcode::ByteArray8 => {
                let len = self.reader.u64_le()?;
                let bytes = self.reader.take_len(len)?;
                self.admit(0)?;
                self.push_made(|b| b.byte_array(bytes))
            }
            Opcode::Unicode => self.op_unicode(),
            Opcode::ShortBinUnicode => {
                let len = self.reader.u8()?;
                let bytes = self.reader.take(usize::from(len))?;
                self.push_utf8(bytes)
            }
            Opcode::BinUnicode => {
                let len = self.reader.u32_le()?;
                let bytes = self.reader.take_len(u64::from(len))?;
                self.push_utf8(bytes)
            }
            Opcode::BinUnicode8 => {
                let len = self.reader.u64_le()?;
                let bytes = self.reader.take_len(len)?;
                self.push_utf8(bytes)
            }
            Opcode::EmptyList => self.push_new(0, |b, items| b.list(items)),
            Opcode::List => self.op_of_marked(|b, items| b.list(items)),
            Opcode::EmptyTuple => self.push_new(0, |b, items| b.tuple(items)),
            Opcode::Tuple => self.op_of_marked(|b, items| b.tuple(items)),
            Opcode::Tuple1 => self.push_new(1, |b, items| b.tuple(items)),
            Opcode::Tuple2 => self.push_new(2, |b, items| b.tuple(items)),
            Opcode::Tuple3 => self.push_new(3, |b, items| b.tuple(items)),
            Opcode::EmptyDict => self.push_new(0, |b, _| b.dict()),
            Opcode::EmptySet => self.push_new(0, |b, _| b.set()),
            Opcode::FrozenSet => self.op_of_marked(|b, items| b.frozen_set(items)),
            Opcode::Dict => self.op_dict(),
            Opcode::Append => self.op_append(),
            Opcode::Appends => self.fill_from_mark(Fill::Append),
            Opcode::SetItem => self.op_setitem(),
            Opcode::SetItems => self.fill_from_mark(Fill::SetItems),
            Opcode::AddItems => self.fill_from_mark(Fill::AddItems),
            Opcode::Pop => self.op_pop(),
            Opcode::Dup => {
                let top = self.top()?.clone();
                self.push(top)
            }
            Opcode::Mark => {
                self.check_room()?;
                self.marks.push(self.stack.len());
                Ok(())
            }
            Opcode::PopMark => {
                let mark = self.marks.pop().ok_or(ErrorKind::MissingMark)?;
                self.stack.truncate(mark);
                Ok(())
            }
            Opcode::Get => {
                let key = self.decimal_key("GET")?;
                self.memo_get(key.unwrap_or(u64::MAX))
            }
            Opcode::BinGet => {
                let key = self.reader.u8()?;
                self.memo_get(u64::from(key))
            }
            Opcode::LongBinGet => {
                let key = self.reader.u32_le()?;
                self.memo_get(u64::from(key))
            }
            Opcode::Put => {
                let key = self.decimal_key("PUT")?.ok_or(ErrorKind::NegativePut)?;
                self.memo_put(key)
            }
            Opcode::BinPut => {
                let key = self.reader.u8()?;
                self.memo_put(u64::from(key))
            }
            Opcode::LongBinPut => {
                let key = self.reader.u32_le()?;
                self.memo_put(u64::from(key))
            }
            Opcode::Memoize => self.memo_put(self.memo.len as u64),
            Opcode::Proto => {
                let protocol = self.reader.u8()?;
                if protocol > HIGHEST_PROTOCOL {
                    return Err(ErrorKind::UnsupportedProtocol(protocol).into());
                }
                Ok(())
            }
            Opcode::Frame => {
                let len = self.reader.u64_le()?;
                Ok(self.reader.start_frame(len)?)
            }
            Opcode::Stop => return self.top().map(|_| true).map_err(Halt::Load),
            Opcode::Ext1
            | Opcode::Ext2
            | Opcode::Ext4
            | Opcode::Global
            | Opcode::StackGlobal
            | Opcode::Reduce
            | Opcode::Build
            | Opcode::Inst
            | Opcode::Obj
            | Opcode::NewObj
            | Opcode::NewObjEx
            | Opcode::PersId
            | Opcode::BinPersId
            | Opcode::NextBuffer
            | Opcode::ReadonlyBuffer => Err(Halt::NotPlain),
        }
        .map(|()| false)
    }

    /// The height no opcode may pop below: the topmost mark's.
    #[inline(always)]
    fn fence(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }

    #[inline(always)]
    fn check_room(&self) -> Result<(), ErrorKind> {
        if self.stack.len() + self.marks.len() >= self.options.max_stack {
            return Err(ErrorKind::LimitExceeded {
                limit: "stack",
                max: self.options.max_stack as u64,
            });
        }
        Ok(())
    }

    #[inline(always)]
    fn push(&mut self, object: B::Object) -> Step<B::Error> {
        self.check_room()?;
        self.stack.push(object);
        Ok(())
    }

    /// Pushes what `make` makes (room is checked first, so nothing is made for naught).
    #[inline(always)]
    fn push_made(
        &mut self,
        make: impl FnOnce(&mut B) -> Result<B::Object, B::Error>,
    ) -> Step<B::Error> {
        self.check_room()?;
        let object = make(&mut *self.builder).map_err(Halt::Build)?;
        self.stack.push(object);
        Ok(())
    }

    #[inline(always)]
    fn top(&self) -> Result<&B::Object, ErrorKind> {
        if self.stack.len() <= self.fence() {
            return Err(ErrorKind::StackUnderflow);
        }
        self.stack.last().ok_or(ErrorKind::StackUnderflow)
    }

    #[inline(always)]
    fn pop(&mut self) -> Result<B::Object, ErrorKind> {
        if self.stack.len() <= self.fence() {
            return Err(ErrorKind::StackUnderflow);
        }
        self.stack.pop().ok_or(ErrorKind::StackUnderflow)
    }

    /// Counts `bytes` against the allocation limit.
    #[inline(always)]
    fn charge(&mut self, bytes: u64) -> Result<(), ErrorKind> {
        self.allocated = self.allocated.saturating_add(bytes);
        if self.allocated > self.options.max_alloc_bytes {
            return Err(ErrorKind::LimitExceeded {
                limit: "allocation",
                max: self.options.max_alloc_bytes,
            });
        }
        Ok(())
    }

    /// Counts an object the graph would hold as a node, of `extra` bytes beyond one.
    #[inline(always)]
    fn admit(&mut self, extra: u64) -> Result<(), ErrorKind> {
        if self.nodes >= self.options.max_nodes {
            return Err(ErrorKind::LimitExceeded {
                limit: "node",
                max: self.options.max_nodes as u64,
            });
        }
        self.nodes += 1;
        self.charge(NODE_COST + extra)
    }

    #[inline(always)]
    fn push_int(&mut self, value: i64) -> Step<B::Error> {
        self.push_made(|b| b.int(value))
    }

    fn push_parsed(&mut self, value: ParsedInt) -> Step<B::Error> {
        match value {
            ParsedInt::Small(value) => self.push_int(value),
            ParsedInt::Big(value) => {
                self.admit(std::mem::size_of::<BigInt>() as u64)?;
                self.push_made(|b| b.big_int(&value))
            }
        }
    }

    /// The `INT` (`long` false) or `LONG` named `what` whose line comes next.
    fn op_number_line(&mut self, long: bool, what: &'static str) -> Step<B::Error> {
        let line = self.reader.line()?;
        let digits = match text::number_line(line, long) {
            NumberLine::Bool(value) => return self.push_made(|b| b.bool(value)),
            NumberLine::Digits(digits) => digits,
        };
        let value = text::parse_int_with_limit(digits, true, self.options.max_int_digits)
            .map_err(malformed(what))?;
        self.push_parsed(value)
    }

    fn op_long4(&mut self) -> Step<B::Error> {
        let len = self.reader.i32_le()?;
        let len = u64::try_from(len).map_err(|_| ErrorKind::NegativeLength(len.into()))?;
        let bytes = self.reader.take_len(len)?;
        self.charge(bytes.len() as u64)?;
        self.push_parsed(text::decode_long(bytes))
    }

    fn push_bytes(&mut self, len: u64) -> Step<B::Error> {
        let bytes = self.reader.take_len(len)?;
        self.admit(0)?;
        self.push_made(|b| b.bytes(bytes))
    }

    #[inline(always)]
    fn push_utf8(&mut self, bytes: &[u8]) -> Step<B::Error> {
        self.admit(0)?;
        self.check_room()?;
        match self.builder.str(bytes).map_err(Halt::Build)? {
            Some(object) => {
                self.stack.push(object);
                Ok(())
            }
            None => {
                let position = PyStr::from_utf8_surrogatepass(bytes).err().unwrap_or(0);
                Err(ErrorKind::InvalidUtf8 { position }.into())
            }
        }
    }

    /// A str whose UTF-8 was made here (decoded from an escape or an 8-bit codec), and
    /// so is valid: charged for the bytes it owns, as the machine charges them.
    fn push_text(&mut self, text: Cow<'_, [u8]>) -> Step<B::Error> {
        let owned = match &text {
            Cow::Borrowed(_) => 0,
            Cow::Owned(bytes) => bytes.len() as u64,
        };
        self.admit(owned)?;
        self.check_room()?;
        match self.builder.str(&text).map_err(Halt::Build)? {
            Some(object) => {
                self.stack.push(object);
                Ok(())
            }
            None => Err(ErrorKind::InvalidUtf8 { position: 0 }.into()),
        }
    }

    fn op_unicode(&mut self) -> Step<B::Error> {
        let line = self.reader.line()?;
        let utf8 = text::raw_unicode_escape_decode(line).map_err(malformed("UNICODE"))?;
        let text = PyStr::from_utf8_surrogatepass(utf8)
            .map_err(|position| ErrorKind::InvalidUtf8 { position })?;
        self.push_text(text.into_bytes())
    }

    fn op_string(&mut self) -> Step<B::Error> {
        let line = self.reader.line()?;
        self.push_8bit(Cow::Owned(super::scalars::string_argument(line)?))
    }

    /// A Python 2 8-bit string, decoded as the options say.
    fn push_8bit(&mut self, bytes: Cow<'_, [u8]>) -> Step<B::Error> {
        let (encoding, errors) = (self.options.string_encoding, self.options.string_errors);
        if encoding == StringEncoding::Bytes {
            let owned = match &bytes {
                Cow::Borrowed(_) => 0,
                Cow::Owned(bytes) => bytes.len() as u64,
            };
            self.admit(owned)?;
            return self.push_made(|b| b.bytes(&bytes));
        }
        match crate::codec::decode(bytes, encoding, errors) {
            Ok(text) => self.push_text(text.into_bytes()),
            // The graph keeps such a string as bytes, marked; no plain value says that.
            Err(_) if errors == DecodeErrors::KeepBytes => Err(Halt::NotPlain),
            Err(position) => Err(ErrorKind::Undecodable8Bit {
                encoding: encoding.name(),
                position,
            }
            .into()),
        }
    }

    /// A new container of the `count` items on top of the stack (none for an empty one).
    #[inline(always)]
    fn push_new(
        &mut self,
        count: usize,
        make: impl FnOnce(&mut B, Drain<'_, B::Object>) -> Result<B::Object, B::Error>,
    ) -> Step<B::Error> {
        let fence = self.fence();
        if self.stack.len() < fence + count {
            return Err(ErrorKind::StackUnderflow.into());
        }
        if count == 0 {
            self.check_room()?;
        }
        self.admit(count as u64 * DIRECT_SLOT_COST)?;
        let start = self.stack.len() - count;
        let object = make(&mut *self.builder, self.stack.drain(start..)).map_err(Halt::Build)?;
        // Room was checked, or items came off.
        self.stack.push(object);
        Ok(())
    }

    /// A new container of the items above the topmost mark, which goes.
    #[inline(always)]
    fn op_of_marked(
        &mut self,
        make: impl FnOnce(&mut B, Drain<'_, B::Object>) -> Result<B::Object, B::Error>,
    ) -> Step<B::Error> {
        let mark = self.marks.pop().ok_or(ErrorKind::MissingMark)?;
        let count = self.stack.len() - mark;
        self.admit(count as u64 * DIRECT_SLOT_COST)?;
        let object = make(&mut *self.builder, self.stack.drain(mark..)).map_err(Halt::Build)?;
        // The mark and the items came off, so the container has room.
        self.stack.push(object);
        Ok(())
    }

    fn op_dict(&mut self) -> Step<B::Error> {
        let mark = self.marks.pop().ok_or(ErrorKind::MissingMark)?;
        let count = self.stack.len() - mark;
        if count % 2 != 0 {
            return Err(odd_items("DICT"));
        }
        self.admit(count as u64 * DIRECT_SLOT_COST)?;
        self.scratch.extend(self.stack.drain(mark..));
        let dict = self.builder.dict().map_err(Halt::Build)?;
        let filled = self.builder.set_items(&dict, self.scratch.drain(..));
        self.scratch.clear();
        filled.map_err(Halt::Build)?;
        self.stack.push(dict);
        Ok(())
    }

    fn op_append(&mut self) -> Step<B::Error> {
        let item = self.pop()?;
        self.scratch.push(item);
        self.fill_top(Fill::Append)
    }

    fn op_setitem(&mut self) -> Step<B::Error> {
        let value = self.pop()?;
        let key = self.pop()?;
        self.scratch.push(key);
        self.scratch.push(value);
        self.fill_top(Fill::SetItems)
    }

    /// `APPENDS`, `SETITEMS`, `ADDITEMS`: the items above the topmost mark go into the
    /// container below it.
    #[inline]
    fn fill_from_mark(&mut self, fill: Fill) -> Step<B::Error> {
        let mark = self.marks.pop().ok_or(ErrorKind::MissingMark)?;
        let count = self.stack.len() - mark;
        if matches!(fill, Fill::SetItems) && count % 2 != 0 {
            return Err(odd_items("SETITEMS"));
        }
        self.scratch.extend(self.stack.drain(mark..));
        self.fill_top(fill)
    }

    /// Puts the scratch items into the container on top of the stack.
    #[inline]
    fn fill_top(&mut self, fill: Fill) -> Step<B::Error> {
        let count = self.scratch.len() as u64;
        let checked = self.charge(count * DIRECT_SLOT_COST);
        if let Err(kind) = checked.and_then(|()| self.top().map(|_| ())) {
            self.scratch.clear();
            return Err(kind.into());
        }
        let Some(target) = self.stack.last() else {
            return Err(ErrorKind::StackUnderflow.into()); // not reached: `top` checked it
        };
        let items = self.scratch.drain(..);
        let filled = match fill {
            Fill::Append => self.builder.append(target, items),
            Fill::SetItems => self.builder.set_items(target, items),
            Fill::AddItems => self.builder.add_items(target, items),
        };
        if filled.map_err(Halt::Build)? {
            return Ok(());
        }
        Err(ErrorKind::WrongType {
            operation: match fill {
                Fill::Append => "APPENDS",
                Fill::SetItems => "SETITEMS",
                Fill::AddItems => "ADDITEMS",
            },
            type_name: "object",
            detail: "not a container of that kind",
        }
        .into())
    }

    /// `POP`; with nothing above the topmost mark, the mark goes (as in CPython).
    fn op_pop(&mut self) -> Step<B::Error> {
        if self.marks.last() == Some(&self.stack.len()) {
            self.marks.pop();
            return Ok(());
        }
        self.pop()?;
        Ok(())
    }

    fn decimal_key(&mut self, what: &'static str) -> Result<Option<u64>, ErrorKind> {
        let line = self.reader.line()?;
        match text::parse_int(line, false).map_err(malformed(what))? {
            ParsedInt::Small(key) if key >= 0 => Ok(Some(key as u64)),
            ParsedInt::Small(_) => Ok(None),
            ParsedInt::Big(key) if key.sign() == num_bigint::Sign::Minus => Ok(None),
            ParsedInt::Big(_) => Ok(Some(u64::MAX)),
        }
    }

    #[inline(always)]
    fn memo_get(&mut self, key: u64) -> Step<B::Error> {
        let object = self
            .memo
            .get(key)
            .ok_or(ErrorKind::MissingMemo(key))?
            .clone();
        self.push(object)
    }

    #[inline(always)]
    fn memo_put(&mut self, key: u64) -> Step<B::Error> {
        if key > self.options.max_memo_key {
            return Err(ErrorKind::LimitExceeded {
                limit: "memo key",
                max: self.options.max_memo_key,
            }
            .into());
        }
        let top = self.top()?.clone();
        if self.memo.put(key, top) {
            self.charge(MEMO_ENTRY_COST)?;
        }
        Ok(())
    }
}

fn malformed(what: &'static str) -> impl FnOnce(String) -> ErrorKind {
    move |detail| ErrorKind::MalformedText { what, detail }
}

fn odd_items<E>(operation: &'static str) -> Halt<E> {
    Halt::Load(ErrorKind::WrongType {
        operation,
        type_name: "dict",
        detail: "odd number of items",
    })
}
