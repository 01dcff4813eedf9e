//! The inert pickle machine: one dispatch loop over the opcode table, a stack with marks,
//! a memo, and an arena that every opcode builds into. Nothing a pickle names is
//! imported or called; see DESIGN.md for the invariants kept here.

mod keys;
mod memo;
mod stack;
mod text_run;

use std::borrow::Cow;

use crate::error::{Error, ErrorKind};
use crate::graph::{
    Arena, ContainerKind, Effect, FlatValues, Inert, InertKind, Mutation, Node, NodeId,
    PayloadKind, Pickle, PyStr, Stored, Value,
};
use crate::limits::{LoadOptions, StringEncoding};
use crate::opcode::Opcode;
use crate::reader::Reader;
use crate::text::{self, NumberLine, ParsedInt};

use keys::Keys;
use memo::Memo;
use stack::Stack;

/// The highest protocol this machine reads, as CPython 3.11's `pickle.HIGHEST_PROTOCOL`.
pub const HIGHEST_PROTOCOL: u8 = 5;

/// What a failed load leaves: the error, and the objects rebuilt until it struck.
#[derive(Debug)]
pub struct Failure<'a> {
    /// What went wrong and where.
    pub error: Error,
    /// The graph as it stood: its root is `None`, and its effects are the discarded calls
    /// read so far.
    pub partial: Pickle<'a>,
    /// The stack as it stood, bottom first.
    pub stack: Vec<Value>,
    /// The memo as it stood, by key.
    pub memo: Vec<(u64, Value)>,
}

/// Bytes a node costs in the arena, for [`LoadOptions::max_alloc_bytes`].
const NODE_COST: u64 = std::mem::size_of::<Stored>() as u64;
/// Bytes of one container slot.
const SLOT_SIZE: u64 = 8;
/// Bytes a container slot costs: its own, and as much again for the vector's growth
/// (the room and the copies of containers that moved are charged as they happen).
const SLOT_COST: u64 = 2 * SLOT_SIZE;
/// Bytes a memo entry costs: a dense slot with its share of growth slack, or a sparse
/// hash map entry.
const MEMO_ENTRY_COST: u64 = 2 * std::mem::size_of::<Value>() as u64;

/// [`Opcode::from_byte`] as a table: one load in the dispatch loop instead of a call to a
/// 68-arm match.
static OPCODE_OF_BYTE: [Option<Opcode>; 256] = {
    let mut table = [None; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = Opcode::from_byte(byte as u8);
        byte += 1;
    }
    table
};

/// The opcodes a run may start with (see [`Machine::resume_run`]).
static RUN_STARTS: [bool; 256] = {
    let mut table = [false; 256];
    let starts = [
        Opcode::BinInt1,
        Opcode::BinInt2,
        Opcode::BinInt,
        Opcode::Long1,
        Opcode::BinFloat,
        Opcode::None,
        Opcode::NewTrue,
        Opcode::NewFalse,
        Opcode::ShortBinUnicode,
        Opcode::BinGet,
    ];
    let mut index = 0;
    while index < starts.len() {
        table[starts[index].byte() as usize] = true;
        index += 1;
    }
    table
};

/// Bytes that an application's unpickler reads from the stream itself, between opcodes.
///
/// joblib writes each numpy array's data right after the `BUILD` of its
/// `NumpyArrayWrapper`, and its unpickler reads them from the file before it reads the
/// next opcode; a machine given a `RawReader` passes over them the same way, so the
/// opcodes that follow are read as joblib reads them.
pub trait RawReader<'a> {
    /// Called after each `BUILD` on an inert node, with the graph built so far (its root
    /// not yet known), that node, and the offset of the next byte; returns how many
    /// bytes to pass over (0 for none).
    ///
    /// # Errors
    /// An error the load then reports at the `BUILD`.
    fn after_build(
        &mut self,
        graph: &Pickle<'a>,
        target: NodeId,
        position: usize,
    ) -> Result<usize, ErrorKind>;
}

/// Runs one pickle starting at a reader's position.
pub struct Machine<'a, 'o> {
    reader: Reader<'a>,
    options: &'o LoadOptions,
    arena: Arena<'a>,
    stack: Stack,
    memo: Memo,
    keys: Keys,
    /// A dict's merged pairs before they are stored (kept to reuse its memory).
    scratch: Vec<Value>,
    effects: Vec<Effect>,
    protocol: u8,
    allocated: u64,
    /// How many of the arena's moved slots are charged already.
    moved_charged: u64,
    next_buffer: u64,
    /// Where the pickle starts: a failure's partial graph spans from here to the error.
    start: usize,
    offset: u64,
    buffers: Option<&'o [&'a [u8]]>,
    raw_reader: Option<&'o mut dyn RawReader<'a>>,
}

impl<'a, 'o> Machine<'a, 'o> {
    /// A machine that will read a pickle from `input` at byte `start`.
    pub fn new(input: &'a [u8], start: usize, options: &'o LoadOptions) -> Machine<'a, 'o> {
        Machine {
            reader: Reader::at(input, start),
            options,
            arena: Arena::with_input(input),
            stack: Stack::new(options.max_stack),
            memo: Memo::default(),
            keys: Keys::default(),
            scratch: Vec::new(),
            effects: Vec::new(),
            protocol: 0,
            allocated: 0,
            moved_charged: 0,
            next_buffer: 0,
            start,
            offset: start as u64,
            buffers: None,
            raw_reader: None,
        }
    }

    /// The out-of-band buffers `NEXT_BUFFER` takes, in order, as `pickle.loads(data,
    /// buffers=…)` takes them: one too many is [`ErrorKind::NotEnoughBuffers`].
    pub fn with_buffers(mut self, buffers: &'o [&'a [u8]]) -> Machine<'a, 'o> {
        self.buffers = Some(buffers);
        self
    }

    /// Passes over the bytes `raw_reader` claims after each `BUILD` (see [`RawReader`]).
    pub fn with_raw_reader(mut self, raw_reader: &'o mut dyn RawReader<'a>) -> Machine<'a, 'o> {
        self.raw_reader = Some(raw_reader);
        self
    }

    /// Runs opcodes up to and including `STOP`.
    ///
    /// # Errors
    /// The first malformed opcode, with what had been rebuilt until then.
    pub fn run(mut self) -> Result<Pickle<'a>, Box<Failure<'a>>> {
        let start = self.reader.position();
        loop {
            self.offset = self.reader.position() as u64;
            let byte = match self.reader.u8() {
                Ok(byte) => byte,
                Err(kind) => return Err(self.fail(None, kind)),
            };
            let Some(op) = OPCODE_OF_BYTE[usize::from(byte)] else {
                return Err(self.fail(None, ErrorKind::UnknownOpcode(byte)));
            };
            self.stack.begin_opcode();
            match self.step(op) {
                Ok(true) => break,
                Ok(false) => {}
                Err(kind) => return Err(self.fail(Some(op), kind)),
            }
        }
        let root = self.stack_root();
        let span = (start, self.reader.position());
        Ok(self.finish(root, span))
    }

    /// Pops the root at `STOP`; whatever else stays on the stack is kept as effects.
    fn stack_root(&mut self) -> Value {
        let mut leftover = self.stack.take_values();
        let root = leftover.pop().unwrap_or(Value::None);
        for value in leftover {
            self.discard(value, Opcode::Stop);
        }
        root
    }

    fn finish(self, root: Value, span: (usize, usize)) -> Pickle<'a> {
        let taken = usize::try_from(self.next_buffer).unwrap_or(usize::MAX);
        let buffers = self.buffers.unwrap_or_default();
        let buffers = buffers.iter().take(taken).map(|&b| Cow::Borrowed(b));
        Pickle {
            buffers: buffers.collect(),
            arena: self.arena,
            root,
            effects: self.effects,
            protocol: self.protocol,
            span,
            memo_len: self.memo.len(),
        }
    }

    /// The failure for an input with no pickle at all.
    pub(crate) fn fail_empty(self, error: Error) -> Box<Failure<'a>> {
        let start = self.offset as usize;
        Box::new(Failure {
            error,
            partial: self.finish(Value::None, (start, start)),
            stack: Vec::new(),
            memo: Vec::new(),
        })
    }

    fn fail(mut self, op: Option<Opcode>, kind: ErrorKind) -> Box<Failure<'a>> {
        let error = Error::new(self.offset, op, kind);
        self.stack.restore_popped();
        let stack = self.stack.take_values();
        let memo = self.memo.entries();
        let span = (self.start, self.offset as usize);
        Box::new(Failure {
            error,
            partial: self.finish(Value::None, span),
            stack,
            memo,
        })
    }

    /// Runs one opcode; true at `STOP`.
    fn step(&mut self, op: Opcode) -> Result<bool, ErrorKind> {
        match op {
            Opcode::Int => self.op_int(),
            Opcode::BinInt => self.op_binint(),
            Opcode::BinInt1 => self.op_binint1(),
            Opcode::BinInt2 => self.op_binint2(),
            Opcode::Long => self.op_long(),
            Opcode::Long1 => self.op_long1(),
            Opcode::Long4 => self.op_long4(),
            Opcode::String => self.op_string(),
            Opcode::BinString => self.op_binstring(),
            Opcode::ShortBinString => self.op_short_binstring(),
            Opcode::BinBytes => self.op_binbytes(),
            Opcode::ShortBinBytes => self.op_short_binbytes(),
            Opcode::BinBytes8 => self.op_binbytes8(),
            Opcode::ByteArray8 => self.op_bytearray8(),
            Opcode::NextBuffer => self.op_next_buffer(),
            Opcode::ReadonlyBuffer => self.op_readonly_buffer(),
            Opcode::None => self.stack.push(Value::None),
            Opcode::NewTrue => self.stack.push(Value::Bool(true)),
            Opcode::NewFalse => self.stack.push(Value::Bool(false)),
            Opcode::Unicode => self.op_unicode(),
            Opcode::ShortBinUnicode => self.op_short_binunicode(),
            Opcode::BinUnicode => self.op_binunicode(),
            Opcode::BinUnicode8 => self.op_binunicode8(),
            Opcode::Float => self.op_float(),
            Opcode::BinFloat => self.op_binfloat(),
            Opcode::EmptyList => self.push_container(ContainerKind::List, &[]),
            Opcode::Append => self.op_append().map(|()| self.resume_text_appends()),
            Opcode::Appends => self.op_appends().map(|()| self.resume_run()),
            Opcode::List => self.op_list(),
            Opcode::EmptyTuple => self.push_container(ContainerKind::Tuple, &[]),
            Opcode::Tuple => self.op_tuple().map(|()| self.resume_run_after_tuple()),
            Opcode::Tuple1 => self.op_tuple_n(1).map(|()| self.resume_run_after_tuple()),
            Opcode::Tuple2 => self.op_tuple_n(2).map(|()| self.resume_run_after_tuple()),
            Opcode::Tuple3 => self.op_tuple_n(3).map(|()| self.resume_run_after_tuple()),
            Opcode::EmptyDict => self.push_container(ContainerKind::Dict, &[]),
            Opcode::Dict => self.op_dict(),
            Opcode::SetItem => self.op_setitem(),
            Opcode::SetItems => self.op_setitems().map(|()| self.resume_run()),
            Opcode::EmptySet => self.push_container(ContainerKind::Set, &[]),
            Opcode::AddItems => self.op_additems(),
            Opcode::FrozenSet => self.op_frozenset(),
            Opcode::Pop => self.op_pop(),
            Opcode::Dup => self.op_dup(),
            Opcode::Mark => self.op_mark(),
            Opcode::PopMark => self.op_pop_mark(),
            Opcode::Get => self.op_get(),
            Opcode::BinGet => self.op_binget(),
            Opcode::LongBinGet => self.op_long_binget(),
            Opcode::Put => self.op_put(),
            Opcode::BinPut => self.op_binput(),
            Opcode::LongBinPut => self.op_long_binput(),
            Opcode::Memoize => self.op_memoize(),
            Opcode::Ext1 => self.op_ext1(),
            Opcode::Ext2 => self.op_ext2(),
            Opcode::Ext4 => self.op_ext4(),
            Opcode::Global => self.op_global(),
            Opcode::StackGlobal => self.op_stack_global(),
            Opcode::Reduce => self.op_reduce(),
            Opcode::Build => self.op_build(),
            Opcode::Inst => self.op_inst(),
            Opcode::Obj => self.op_obj(),
            Opcode::NewObj => self.op_newobj(),
            Opcode::NewObjEx => self.op_newobj_ex(),
            Opcode::Proto => self.op_proto(),
            Opcode::Stop => return self.op_stop().map(|()| true),
            Opcode::Frame => self.op_frame(),
            Opcode::PersId => self.op_persid(),
            Opcode::BinPersId => self.op_binpersid(),
        }
        .map(|()| false)
    }

    // ---- arena ----------------------------------------------------------------------

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

    /// Charges the slots that containers which moved in the arena have cost since the
    /// last call (see [`Arena::moved_slots`]): called after the operations that may move
    /// one, so that the allocation limit counts them.
    #[inline]
    fn charge_moved(&mut self) -> Result<(), ErrorKind> {
        let moved = self.arena.moved_slots() - self.moved_charged;
        if moved == 0 {
            return Ok(());
        }
        self.moved_charged += moved;
        self.charge(moved * SLOT_SIZE)
    }

    /// Checks the node limit and charges a node of `extra` bytes more than a node.
    // Always inlined, as are the arena's pushes and `PyStr::from_utf8_surrogatepass`: a
    // value passed or returned through memory is written in parts and read back whole,
    // and the store-forwarding stall that makes was a fifth of loading a list of strs.
    #[inline(always)]
    fn admit(&mut self, extra: u64) -> Result<(), ErrorKind> {
        if self.arena.len() >= self.options.max_nodes {
            return Err(ErrorKind::LimitExceeded {
                limit: "node",
                max: self.options.max_nodes as u64,
            });
        }
        self.charge(NODE_COST + extra)
    }

    #[inline(always)]
    fn add_payload(
        &mut self,
        kind: PayloadKind,
        payload: Cow<'a, [u8]>,
    ) -> Result<NodeId, ErrorKind> {
        let owned = match &payload {
            Cow::Borrowed(_) => 0,
            Cow::Owned(bytes) => bytes.len() as u64,
        };
        self.admit(owned)?;
        Ok(self.arena.push_payload(kind, payload))
    }

    #[inline(always)]
    fn push_payload(&mut self, kind: PayloadKind, payload: Cow<'a, [u8]>) -> Result<(), ErrorKind> {
        let id = self.add_payload(kind, payload)?;
        self.stack.push(Value::Node(id))
    }

    #[inline(always)]
    fn add_container(&mut self, kind: ContainerKind, items: &[Value]) -> Result<NodeId, ErrorKind> {
        self.admit(items.len() as u64 * SLOT_COST)?;
        self.arena.push_container(kind, items)
    }

    #[inline(always)]
    fn push_container(&mut self, kind: ContainerKind, items: &[Value]) -> Result<(), ErrorKind> {
        let id = self.add_container(kind, items)?;
        self.stack.push(Value::Node(id))
    }

    fn inert(&mut self, kind: InertKind) -> Result<NodeId, ErrorKind> {
        self.admit(std::mem::size_of::<Inert>() as u64)?;
        Ok(self.arena.push_inert(Inert::new(kind, self.offset)))
    }

    fn push_int(&mut self, value: ParsedInt) -> Result<(), ErrorKind> {
        match value {
            ParsedInt::Small(v) => self.stack.push(Value::Int(v)),
            ParsedInt::Big(v) => {
                self.admit(std::mem::size_of::<num_bigint::BigInt>() as u64)?;
                let id = self.arena.push_bigint(v);
                self.stack.push(Value::Node(id))
            }
        }
    }

    fn type_name_of(&self, value: Value) -> &'static str {
        match value {
            Value::None => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Node(id) => self.arena.node(id).type_name().unwrap_or("object"),
        }
    }

    /// Keeps a discarded inert object as an effect; discarded data has none.
    fn discard(&mut self, value: Value, opcode: Opcode) {
        if let Some(id) = value.node() {
            if matches!(self.arena.stored(id), Stored::Inert(_)) {
                self.effects.push(Effect {
                    value,
                    offset: self.offset,
                    opcode,
                });
            }
        }
    }

    // ---- numbers --------------------------------------------------------------------

    fn malformed(what: &'static str) -> impl FnOnce(String) -> ErrorKind {
        move |detail| ErrorKind::MalformedText { what, detail }
    }

    fn op_int(&mut self) -> Result<(), ErrorKind> {
        self.push_number_line(false, "INT")
    }

    /// The `INT` (`long` false) or `LONG` named `what` whose line comes next.
    fn push_number_line(&mut self, long: bool, what: &'static str) -> Result<(), ErrorKind> {
        let line = self.reader.line()?;
        let digits = match text::number_line(line, long) {
            NumberLine::Bool(value) => return self.stack.push(Value::Bool(value)),
            NumberLine::Digits(digits) => digits,
        };
        let value = text::parse_int_with_limit(digits, true, self.options.max_int_digits)
            .map_err(Self::malformed(what))?;
        self.push_int(value)
    }

    fn op_binint(&mut self) -> Result<(), ErrorKind> {
        let value = self.reader.i32_le()?;
        self.stack.push(Value::Int(i64::from(value)))
    }

    fn op_binint1(&mut self) -> Result<(), ErrorKind> {
        let value = self.reader.u8()?;
        self.stack.push(Value::Int(i64::from(value)))
    }

    fn op_binint2(&mut self) -> Result<(), ErrorKind> {
        let value = self.reader.u16_le()?;
        self.stack.push(Value::Int(i64::from(value)))
    }

    fn op_long(&mut self) -> Result<(), ErrorKind> {
        self.push_number_line(true, "LONG")
    }

    fn op_long1(&mut self) -> Result<(), ErrorKind> {
        let len = self.reader.u8()?;
        let bytes = self.reader.take(usize::from(len))?;
        self.push_int(text::decode_long(bytes))
    }

    fn op_long4(&mut self) -> Result<(), ErrorKind> {
        let len = self.reader.i32_le()?;
        if len < 0 {
            return Err(ErrorKind::NegativeLength(i64::from(len)));
        }
        let bytes = self.reader.take_len(len as u64)?;
        self.charge(bytes.len() as u64)?;
        self.push_int(text::decode_long(bytes))
    }

    fn op_float(&mut self) -> Result<(), ErrorKind> {
        let line = self.reader.line()?;
        let value = text::parse_float(line).map_err(Self::malformed("FLOAT"))?;
        self.stack.push(Value::Float(value))
    }

    fn op_binfloat(&mut self) -> Result<(), ErrorKind> {
        let value = self.reader.f64_be()?;
        self.stack.push(Value::Float(value))
    }

    // ---- strings and bytes ----------------------------------------------------------

    /// Pushes a Python 2 8-bit string, decoded as the options say.
    fn push_8bit(&mut self, bytes: Cow<'a, [u8]>) -> Result<(), ErrorKind> {
        let encoding = self.options.string_encoding;
        let undecodable = |name, position| ErrorKind::Undecodable8Bit {
            encoding: name,
            position,
        };
        let text = match encoding {
            StringEncoding::Bytes => return self.push_payload(PayloadKind::Bytes, bytes),
            StringEncoding::Ascii => match bytes.iter().position(|b| !b.is_ascii()) {
                Some(position) => return Err(undecodable("ASCII", position)),
                None => {
                    PyStr::from_utf8_surrogatepass(bytes).map_err(|p| undecodable("ASCII", p))?
                }
            },
            StringEncoding::Utf8 => match std::str::from_utf8(&bytes) {
                Ok(_) => {
                    PyStr::from_utf8_surrogatepass(bytes).map_err(|p| undecodable("UTF-8", p))?
                }
                Err(err) => return Err(undecodable("UTF-8", err.valid_up_to())),
            },
            StringEncoding::Latin1 if bytes.is_ascii() => {
                PyStr::from_utf8_surrogatepass(bytes).map_err(|p| undecodable("latin1", p))?
            }
            StringEncoding::Latin1 => PyStr::from_code_points(bytes.iter().map(|&b| u32::from(b))),
        };
        self.push_payload(PayloadKind::Str, text.into_bytes())
    }

    fn op_string(&mut self) -> Result<(), ErrorKind> {
        let line = self.reader.line()?;
        let quoted =
            line.len() >= 2 && line[0] == line[line.len() - 1] && matches!(line[0], b'"' | b'\'');
        if !quoted {
            return Err(ErrorKind::MalformedText {
                what: "STRING",
                detail: "the STRING opcode argument must be quoted".to_string(),
            });
        }
        let bytes =
            text::escape_decode(&line[1..line.len() - 1]).map_err(Self::malformed("STRING"))?;
        self.push_8bit(Cow::Owned(bytes))
    }

    fn op_binstring(&mut self) -> Result<(), ErrorKind> {
        let len = self.reader.i32_le()?;
        if len < 0 {
            return Err(ErrorKind::NegativeLength(i64::from(len)));
        }
        let bytes = self.reader.take_len(len as u64)?;
        self.push_8bit(Cow::Borrowed(bytes))
    }

    fn op_short_binstring(&mut self) -> Result<(), ErrorKind> {
        let len = self.reader.u8()?;
        let bytes = self.reader.take(usize::from(len))?;
        self.push_8bit(Cow::Borrowed(bytes))
    }

    fn push_bytes(&mut self, len: u64) -> Result<(), ErrorKind> {
        let bytes = self.reader.take_len(len)?;
        self.push_payload(PayloadKind::Bytes, Cow::Borrowed(bytes))
    }

    fn op_binbytes(&mut self) -> Result<(), ErrorKind> {
        let len = self.reader.u32_le()?;
        self.push_bytes(u64::from(len))
    }

    fn op_short_binbytes(&mut self) -> Result<(), ErrorKind> {
        let len = self.reader.u8()?;
        self.push_bytes(u64::from(len))
    }

    fn op_binbytes8(&mut self) -> Result<(), ErrorKind> {
        let len = self.reader.u64_le()?;
        self.push_bytes(len)
    }

    fn op_bytearray8(&mut self) -> Result<(), ErrorKind> {
        let len = self.reader.u64_le()?;
        let bytes = self.reader.take_len(len)?;
        self.push_payload(PayloadKind::ByteArray, Cow::Borrowed(bytes))
    }

    fn op_next_buffer(&mut self) -> Result<(), ErrorKind> {
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

    fn op_readonly_buffer(&mut self) -> Result<(), ErrorKind> {
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

    fn push_utf8(&mut self, bytes: &'a [u8]) -> Result<(), ErrorKind> {
        let text = PyStr::from_utf8_surrogatepass(bytes)
            .map_err(|position| ErrorKind::InvalidUtf8 { position })?;
        self.push_payload(PayloadKind::Str, text.into_bytes())
    }

    fn op_unicode(&mut self) -> Result<(), ErrorKind> {
        let line = self.reader.line()?;
        let utf8 = text::raw_unicode_escape_decode(line).map_err(Self::malformed("UNICODE"))?;
        let text = PyStr::from_utf8_surrogatepass(utf8)
            .map_err(|position| ErrorKind::InvalidUtf8 { position })?;
        self.push_payload(PayloadKind::Str, text.into_bytes())
    }

    fn op_short_binunicode(&mut self) -> Result<(), ErrorKind> {
        let len = self.reader.u8()?;
        let bytes = self.reader.take(usize::from(len))?;
        self.push_utf8(bytes)
    }

    fn op_binunicode(&mut self) -> Result<(), ErrorKind> {
        let len = self.reader.u32_le()?;
        let bytes = self.reader.take_len(u64::from(len))?;
        self.push_utf8(bytes)
    }

    fn op_binunicode8(&mut self) -> Result<(), ErrorKind> {
        let len = self.reader.u64_le()?;
        let bytes = self.reader.take_len(len)?;
        self.push_utf8(bytes)
    }

    // ---- containers -----------------------------------------------------------------

    fn pop_mark_items(&mut self) -> Result<Vec<Value>, ErrorKind> {
        let items = self.stack.pop_mark()?;
        self.charge(items.len() as u64 * SLOT_COST)?;
        Ok(items)
    }

    fn op_append(&mut self) -> Result<(), ErrorKind> {
        let item = self.stack.pop()?;
        if let Ok(Value::Node(id)) = self.stack.top() {
            if let Stored::List(_) = self.arena.stored(id) {
                self.charge(SLOT_COST)?;
                self.arena.push_item(id, item)?;
                return self.charge_moved();
            }
        }
        self.extend_target(vec![item], "APPEND")
    }

    fn op_appends(&mut self) -> Result<(), ErrorKind> {
        if let Some(id) = self.below_mark_is(|node| matches!(node, Stored::List(_))) {
            // The common case, a list: the items go from the stack into it as they are
            // packed there.
            let count = self.stack.above_mark()?.len();
            let appended = self
                .charge(count as u64 * SLOT_COST)
                .and_then(|()| self.arena.append(id, &self.stack.above_mark()?))
                .and_then(|()| self.charge_moved());
            self.stack.drop_mark()?;
            return appended;
        }
        let items = self.pop_mark_items()?;
        self.extend_target(items, "APPENDS")
    }

    /// The node below the topmost mark, if there is one and `is` holds for it.
    #[inline]
    fn below_mark_is(&self, is: impl Fn(&Stored) -> bool) -> Option<NodeId> {
        let id = self.stack.below_mark()?.node()?;
        is(self.arena.stored(id)).then_some(id)
    }

    fn extend_target(
        &mut self,
        items: Vec<Value>,
        operation: &'static str,
    ) -> Result<(), ErrorKind> {
        let target = self.stack.top()?;
        let Some(id) = target.node() else {
            return Err(self.wrong_type(operation, target, "it has no append or extend"));
        };
        match self.arena.stored(id) {
            Stored::List(_) => {
                self.arena.append(id, &items)?;
                self.charge_moved()
            }
            Stored::Inert(_) => self.record_mutation(id, Mutation::Append(items)),
            _ => Err(self.wrong_type(operation, target, "it has no append or extend")),
        }
    }

    /// Records what an opcode did to inert node `id` (nothing if it is not inert).
    fn record_mutation(&mut self, id: NodeId, mutation: Mutation) -> Result<(), ErrorKind> {
        if let Some(inert) = self.arena.inert_mut(id) {
            inert.push_mutation(mutation);
        }
        Ok(())
    }

    fn wrong_type(
        &self,
        operation: &'static str,
        target: Value,
        detail: &'static str,
    ) -> ErrorKind {
        ErrorKind::WrongType {
            operation,
            type_name: self.type_name_of(target),
            detail,
        }
    }

    fn op_list(&mut self) -> Result<(), ErrorKind> {
        self.container_of_marked(ContainerKind::List)
    }

    fn op_tuple(&mut self) -> Result<(), ErrorKind> {
        self.container_of_marked(ContainerKind::Tuple)
    }

    /// Makes a list or tuple of the items above the topmost mark, read in place.
    fn container_of_marked(&mut self, kind: ContainerKind) -> Result<(), ErrorKind> {
        let count = self.stack.above_mark()?.len();
        self.admit(count as u64 * SLOT_COST)?;
        let id = self.arena.push_container(kind, &self.stack.above_mark()?)?;
        self.stack.drop_mark()?;
        self.stack.push(Value::Node(id))
    }

    fn op_tuple_n(&mut self, n: usize) -> Result<(), ErrorKind> {
        let mut items = [Value::None; 3];
        for slot in items[..n].iter_mut().rev() {
            *slot = self.stack.pop()?;
        }
        self.push_container(ContainerKind::Tuple, &items[..n])
    }

    fn op_dict(&mut self) -> Result<(), ErrorKind> {
        let items = self.pop_mark_items()?;
        if items.len() % 2 != 0 {
            return Err(ErrorKind::WrongType {
                operation: "DICT",
                type_name: "dict",
                detail: "odd number of items",
            });
        }
        let id = self.add_container(ContainerKind::Dict, &[])?;
        self.set_items(id, &items)?;
        self.stack.push(Value::Node(id))
    }

    fn op_setitem(&mut self) -> Result<(), ErrorKind> {
        let value = self.stack.pop()?;
        let key = self.stack.pop()?;
        self.store_items(vec![key, value], "SETITEM")
    }

    fn op_setitems(&mut self) -> Result<(), ErrorKind> {
        let target = self.below_mark_is(|node| matches!(node, Stored::Dict(_)));
        let even = self
            .stack
            .above_mark()
            .is_ok_and(|items| items.len() % 2 == 0);
        if let (Some(id), true) = (target, even) {
            // The common case, a dict: the pairs are read in place on the stack.
            let count = self.stack.above_mark()?.len();
            let charged = self.charge(count as u64 * SLOT_COST);
            let stored = charged.and_then(|()| {
                let items = self.stack.above_mark()?;
                set_items(
                    &mut self.arena,
                    &mut self.keys,
                    &mut self.scratch,
                    id,
                    &items,
                )
            });
            self.stack.drop_mark()?;
            return stored.and_then(|()| self.charge_moved());
        }
        let items = self.pop_mark_items()?;
        if items.len() % 2 != 0 {
            return Err(ErrorKind::WrongType {
                operation: "SETITEMS",
                type_name: "dict",
                detail: "odd number of items",
            });
        }
        self.store_items(items, "SETITEMS")
    }

    /// Stores `flat`, keys and values alternating, into the dict on top of the stack
    /// (or records it on an inert object).
    fn store_items(&mut self, flat: Vec<Value>, operation: &'static str) -> Result<(), ErrorKind> {
        let target = self.stack.top()?;
        let Some(id) = target.node() else {
            return Err(self.wrong_type(operation, target, "it does not support item assignment"));
        };
        match self.arena.stored(id) {
            Stored::Dict(_) => self.set_items(id, &flat),
            Stored::Inert(_) => {
                self.record_mutation(id, Mutation::SetItems(pairs(&flat).collect()))
            }
            _ => Err(self.wrong_type(operation, target, "it does not support item assignment")),
        }
    }

    fn set_items(&mut self, id: NodeId, flat: &[Value]) -> Result<(), ErrorKind> {
        set_items(&mut self.arena, &mut self.keys, &mut self.scratch, id, flat)?;
        self.charge_moved()
    }

    /// Adds members to set or frozenset `id`, skipping those equal to a member already there.
    fn add_members(
        &mut self,
        id: NodeId,
        items: impl IntoIterator<Item = Value>,
    ) -> Result<(), ErrorKind> {
        for item in items {
            let arena = &self.arena;
            let len = arena.slot_count(id);
            if self
                .keys
                .find(arena, id, len, |i| arena.slot(id, i), item)?
                .is_some()
            {
                continue;
            }
            self.arena.push_item(id, item)?;
            self.keys.record(&self.arena, id, len, item)?;
        }
        self.charge_moved()
    }

    fn op_additems(&mut self) -> Result<(), ErrorKind> {
        let items = self.pop_mark_items()?;
        let target = self.stack.top()?;
        let Some(id) = target.node() else {
            return Err(self.wrong_type("ADDITEMS", target, "it has no add"));
        };
        match self.arena.stored(id) {
            Stored::Set(_) => self.add_members(id, items),
            Stored::Inert(_) => self.record_mutation(id, Mutation::AddItems(items)),
            _ => Err(self.wrong_type("ADDITEMS", target, "it has no add")),
        }
    }

    fn op_frozenset(&mut self) -> Result<(), ErrorKind> {
        let items = self.pop_mark_items()?;
        let id = self.add_container(ContainerKind::FrozenSet, &[])?;
        self.add_members(id, items)?;
        self.stack.push(Value::Node(id))
    }

    // ---- stack and memo -------------------------------------------------------------

    fn op_pop(&mut self) -> Result<(), ErrorKind> {
        if let Some(value) = self.stack.pop_or_unmark()? {
            self.discard(value, Opcode::Pop);
        }
        Ok(())
    }

    fn op_dup(&mut self) -> Result<(), ErrorKind> {
        let top = self.stack.top()?;
        self.arena.note_pushed_again(top);
        self.stack.push(top)
    }

    fn op_mark(&mut self) -> Result<(), ErrorKind> {
        self.stack.align_wides(self.arena.wides_len());
        self.stack.push_mark()?;
        self.push_scalar_run();
        Ok(())
    }

    /// Pushes the run of scalar opcodes that follows (`BININT1`, `BININT2`, `BININT`,
    /// `LONG1` of at most 8 bytes, `BINFLOAT`, `NONE`, `NEWTRUE`, `NEWFALSE`), the body of
    /// a list or tuple of numbers, without going through the dispatch loop: its
    /// mispredicted jump per opcode was most of the time of loading a list of ints.
    /// These opcodes cannot fail but for a short input or a full stack; the run stops
    /// before any such opcode, as before anything else, and leaves it to the loop.
    ///
    /// A run that holds strs or memo gets (a list of strs, a dict's str keys and scalar
    /// values, a record's memoized field names) goes on in [`Machine::push_strs`] from
    /// its first `SHORT_BINUNICODE` or `BINGET`: each str with the `MEMOIZE` after it,
    /// each memo get of a key that is there, for as long as they cannot fail either; it
    /// stops before one that could, and the loop gives the error it always gave. They go
    /// in a loop of their own: in this one, they made every list of ints a tenth slower.
    ///
    /// The stack holds values packed as containers do, so the `APPENDS` or `SETITEMS`
    /// after the run copies them as they are. A column of floats is read by a loop that
    /// looks for nothing else (half the instructions of the general one per float).
    #[inline]
    fn push_scalar_run(&mut self) {
        let ahead = self.reader.ahead();
        self.take_run(ahead);
    }

    /// Pushes the run of scalars and strs that follows the end of a container inside
    /// another (after a list's `APPENDS`, a dict's `SETITEMS`, a tuple's `MEMOIZE`):
    /// the rest of the outer container's items, which would otherwise each go through
    /// the dispatch loop (in a random tree of containers, two in five of its items).
    #[inline]
    fn resume_run(&mut self) {
        let ahead = self.reader.ahead();
        if ahead
            .first()
            .is_some_and(|&byte| RUN_STARTS[usize::from(byte)])
        {
            self.take_run(ahead);
        }
    }

    /// [`Machine::resume_run`] after a tuple, which picklers memoize first: the
    /// `MEMOIZE` between is done here when it cannot fail.
    #[inline]
    fn resume_run_after_tuple(&mut self) {
        const MEMOIZE: u8 = Opcode::Memoize.byte();
        let ahead = self.reader.ahead();
        if let [MEMOIZE, next, ..] = *ahead {
            if RUN_STARTS[usize::from(next)] {
                self.memoize_and_resume(ahead);
            }
        }
    }

    /// The tuple's `MEMOIZE` at the start of `ahead`, then the run after it; neither
    /// when the `MEMOIZE` could fail (the loop then gives its error).
    #[inline(never)]
    fn memoize_and_resume(&mut self, ahead: &'a [u8]) {
        if let Ok(Value::Node(id)) = self.stack.top() {
            if self.run_memoize(id) {
                self.reader.advance(1);
                self.take_run(&ahead[1..]);
            }
        }
    }

    /// Takes the run at the start of `ahead` (see [`Machine::push_scalar_run`]) onto
    /// the stack and moves the reader to where it ends. Out of line, in one place for
    /// the four that start one (a mark, the end of a container, a tuple's `MEMOIZE`):
    /// most containers end where no run follows.
    #[inline(never)]
    fn take_run(&mut self, ahead: &'a [u8]) {
        const BINFLOAT: u8 = Opcode::BinFloat.byte();
        const SHORT_BINUNICODE: u8 = Opcode::ShortBinUnicode.byte();
        const BINGET: u8 = Opcode::BinGet.byte();
        // As many as the stack has room for: the opcode after the run then fails as
        // it would have on a full stack.
        let end = self.stack.len() + self.stack.room();
        let mut at = 0;
        // A column of ints, decoded without a branch on the opcode (see `column_int`).
        let starts_ints = ahead
            .first()
            .is_some_and(|&op| COLUMN_INTS[usize::from(op)].0 != 0 || op == Opcode::Long1.byte());
        if starts_ints {
            while let Some((len, value)) = column_int(&ahead[at..]) {
                if self.stack.len() >= end {
                    break;
                }
                self.stack.push_within_room(Value::Int(value));
                at += len;
            }
        }
        // A column of floats, in a loop that looks for nothing else.
        while let [BINFLOAT, a, b, c, d, e, f, g, h, ..] = ahead[at..] {
            if self.stack.len() >= end {
                break;
            }
            let value = f64::from_be_bytes([a, b, c, d, e, f, g, h]);
            self.stack.push_within_room(Value::Float(value));
            at += 9;
        }
        while self.stack.len() < end {
            let Some((len, value)) = run_scalar(&ahead[at..]) else {
                break;
            };
            self.stack.push_within_room(value);
            at += len;
        }
        if matches!(ahead.get(at), Some(&(SHORT_BINUNICODE | BINGET))) {
            at = self.push_strs(ahead, at, end);
        }
        self.reader.advance(at);
    }

    /// The rest of a run that holds strs (`SHORT_BINUNICODE`, each with the `MEMOIZE`
    /// after it, while each cannot fail) among its numbers, from `at` in `ahead`, while
    /// the stack holds fewer than `end` values: where it ends.
    #[inline(never)]
    fn push_strs(&mut self, ahead: &'a [u8], mut at: usize, end: usize) -> usize {
        const SHORT_BINUNICODE: u8 = Opcode::ShortBinUnicode.byte();
        const MEMOIZE: u8 = Opcode::Memoize.byte();
        const BINGET: u8 = Opcode::BinGet.byte();
        while self.stack.len() < end {
            let (len, value) = match ahead[at..] {
                // A memoized key or value met again (a record's field names).
                [BINGET, key, ..] => match self.memo.get(u64::from(key)) {
                    Some(value) => {
                        self.arena.note_pushed_again(value);
                        (2, value)
                    }
                    None => break,
                },
                [SHORT_BINUNICODE, n, ref rest @ ..] => {
                    let Some((text, after)) = rest.split_at_checked(usize::from(n)) else {
                        break;
                    };
                    let Some(id) = self.run_str(text) else { break };
                    let memoized = after.first() == Some(&MEMOIZE) && self.run_memoize(id);
                    (2 + text.len() + usize::from(memoized), Value::Node(id))
                }
                _ => match run_scalar(&ahead[at..]) {
                    Some(scalar) => scalar,
                    None => break,
                },
            };
            self.stack.push_within_room(value);
            at += len;
        }
        at
    }

    /// The str node of a `SHORT_BINUNICODE` in a run, when the opcode cannot fail: its
    /// text is valid, and the node and allocation limits have room. `None` leaves the
    /// opcode to the loop.
    #[inline(always)]
    fn run_str(&mut self, text: &'a [u8]) -> Option<NodeId> {
        let admitted = self.arena.len() < self.options.max_nodes
            && self.allocated.saturating_add(NODE_COST) <= self.options.max_alloc_bytes;
        if !admitted || PyStr::from_utf8_surrogatepass(text).is_err() {
            return None;
        }
        self.allocated += NODE_COST;
        Some(
            self.arena
                .push_payload(PayloadKind::Str, Cow::Borrowed(text)),
        )
    }

    /// The `MEMOIZE` of node `id` just pushed by a run, done as [`Machine::memo_put`]
    /// would when it cannot fail; false leaves the opcode to the loop.
    #[inline(always)]
    fn run_memoize(&mut self, id: NodeId) -> bool {
        let key = self.memo.len() as u64;
        let fits = key <= self.options.max_memo_key
            && self.allocated.saturating_add(MEMO_ENTRY_COST) <= self.options.max_alloc_bytes;
        if fits {
            let before = self.memo.len();
            self.memo.put(key, Value::Node(id));
            if self.memo.len() > before {
                self.allocated += MEMO_ENTRY_COST;
            }
        }
        fits
    }

    fn op_pop_mark(&mut self) -> Result<(), ErrorKind> {
        let items = self.stack.pop_mark()?;
        for value in items {
            self.discard(value, Opcode::PopMark);
        }
        Ok(())
    }

    fn memo_get(&mut self, key: u64) -> Result<(), ErrorKind> {
        let value = self.memo.get(key).ok_or(ErrorKind::MissingMemo(key))?;
        self.arena.note_pushed_again(value);
        self.stack.push(value)
    }

    // Inlined: `MEMOIZE` follows every str and container, and a call for it cost records
    // a twelfth more instructions.
    #[inline(always)]
    fn memo_put(&mut self, key: u64) -> Result<(), ErrorKind> {
        if key > self.options.max_memo_key {
            return Err(ErrorKind::LimitExceeded {
                limit: "memo key",
                max: self.options.max_memo_key,
            });
        }
        let top = self.stack.top()?;
        let before = self.memo.len();
        self.memo.put(key, top);
        if self.memo.len() > before {
            // One byte of MEMOIZE makes a memo entry: charged, so a gigabyte of them is
            // refused by the allocation limit rather than taking 32 GB.
            self.charge(MEMO_ENTRY_COST)?;
        }
        Ok(())
    }

    fn decimal_key(&mut self, what: &'static str) -> Result<Option<u64>, ErrorKind> {
        let line = self.reader.line()?;
        match text::parse_int(line, false).map_err(Self::malformed(what))? {
            ParsedInt::Small(key) if key >= 0 => Ok(Some(key as u64)),
            ParsedInt::Small(_) => Ok(None),
            ParsedInt::Big(key) if key.sign() == num_bigint::Sign::Minus => Ok(None),
            ParsedInt::Big(_) => Ok(Some(u64::MAX)),
        }
    }

    fn op_get(&mut self) -> Result<(), ErrorKind> {
        let key = self.decimal_key("GET")?;
        // A negative key is simply absent from the memo.
        self.memo_get(key.unwrap_or(u64::MAX))
    }

    fn op_binget(&mut self) -> Result<(), ErrorKind> {
        let key = self.reader.u8()?;
        self.memo_get(u64::from(key))
    }

    fn op_long_binget(&mut self) -> Result<(), ErrorKind> {
        let key = self.reader.u32_le()?;
        self.memo_get(u64::from(key))
    }

    fn op_put(&mut self) -> Result<(), ErrorKind> {
        let key = self.decimal_key("PUT")?.ok_or(ErrorKind::NegativePut)?;
        self.memo_put(key)
    }

    fn op_binput(&mut self) -> Result<(), ErrorKind> {
        let key = self.reader.u8()?;
        self.memo_put(u64::from(key))
    }

    fn op_long_binput(&mut self) -> Result<(), ErrorKind> {
        let key = self.reader.u32_le()?;
        self.memo_put(u64::from(key))
    }

    fn op_memoize(&mut self) -> Result<(), ErrorKind> {
        let key = self.memo.len() as u64;
        self.memo_put(key)
    }

    // ---- globals, calls and instances -----------------------------------------------

    fn push_ext(&mut self, code: i32) -> Result<(), ErrorKind> {
        if code <= 0 {
            return Err(ErrorKind::BadExtensionCode);
        }
        let id = self.inert(InertKind::Extension { code })?;
        self.stack.push(Value::Node(id))
    }

    fn op_ext1(&mut self) -> Result<(), ErrorKind> {
        let code = self.reader.u8()?;
        self.push_ext(i32::from(code))
    }

    fn op_ext2(&mut self) -> Result<(), ErrorKind> {
        let code = self.reader.u16_le()?;
        self.push_ext(i32::from(code))
    }

    fn op_ext4(&mut self) -> Result<(), ErrorKind> {
        let code = self.reader.i32_le()?;
        self.push_ext(code)
    }

    /// Reads a line that must be UTF-8 (module and class names; pickle.py decodes them so).
    fn utf8_line(&mut self) -> Result<Value, ErrorKind> {
        let line = self.reader.line()?;
        let text = std::str::from_utf8(line).map_err(|err| ErrorKind::InvalidUtf8 {
            position: err.valid_up_to(),
        })?;
        let id = self.add_payload(PayloadKind::Str, Cow::Borrowed(text.as_bytes()))?;
        Ok(Value::Node(id))
    }

    fn read_global(&mut self, opcode: Opcode) -> Result<Value, ErrorKind> {
        let module = self.utf8_line()?;
        let name = self.utf8_line()?;
        let id = self.inert(InertKind::Global {
            module,
            name,
            opcode,
        })?;
        Ok(Value::Node(id))
    }

    fn op_global(&mut self) -> Result<(), ErrorKind> {
        let global = self.read_global(Opcode::Global)?;
        self.stack.push(global)
    }

    fn op_stack_global(&mut self) -> Result<(), ErrorKind> {
        let name = self.stack.pop()?;
        let module = self.stack.pop()?;
        // Both of CPython's unpicklers refuse operands that are not strs before importing
        // anything ("STACK_GLOBAL requires str"). An operand of a known type is refused the
        // same way; an inert one (a call's result) might be a str at run time, so it is
        // kept, visible to `scan` as the attempt it is.
        for operand in [name, module] {
            let found = self.type_name_of(operand);
            let inert = operand
                .node()
                .is_some_and(|id| matches!(self.arena.stored(id), Stored::Inert(_)));
            if !inert && found != "str" {
                return Err(ErrorKind::BadOperand {
                    operation: "STACK_GLOBAL",
                    expected: "requires str",
                    found,
                });
            }
        }
        let id = self.inert(InertKind::Global {
            module,
            name,
            opcode: Opcode::StackGlobal,
        })?;
        self.stack.push(Value::Node(id))
    }

    fn op_reduce(&mut self) -> Result<(), ErrorKind> {
        let args = self.stack.pop()?;
        let func = self.stack.pop()?;
        if let Some(folded) = crate::builtins::fold(&self.arena, func, args) {
            let folded = self.build_folded(folded)?;
            return self.stack.push(folded);
        }
        let id = self.inert(InertKind::Call { func, args })?;
        self.stack.push(Value::Node(id))
    }

    fn build_folded(&mut self, folded: crate::builtins::Folded) -> Result<Value, ErrorKind> {
        use crate::builtins::{Folded, Payload};
        let mut payload = |kind, payload| match payload {
            Payload::Of(source) => {
                self.admit(0)?;
                Ok(self.arena.push_payload_of(kind, source))
            }
            Payload::New(bytes) => self.add_payload(kind, Cow::Owned(bytes)),
        };
        Ok(Value::Node(match folded {
            Folded::Bytes(bytes) => payload(PayloadKind::Bytes, bytes)?,
            Folded::ByteArray(bytes) => payload(PayloadKind::ByteArray, bytes)?,
            Folded::Set(items) => {
                self.charge(items.len() as u64 * SLOT_COST)?;
                let id = self.add_container(ContainerKind::Set, &[])?;
                self.add_members(id, items)?;
                id
            }
            Folded::FrozenSet(items) => {
                self.charge(items.len() as u64 * SLOT_COST)?;
                let id = self.add_container(ContainerKind::FrozenSet, &[])?;
                self.add_members(id, items)?;
                id
            }
        }))
    }

    fn op_build(&mut self) -> Result<(), ErrorKind> {
        let state = self.stack.pop()?;
        let target = self.stack.top()?;
        if let Some(id) = target.node() {
            if let Some(inert) = self.arena.inert_mut(id) {
                inert.push_mutation(Mutation::Build(state));
                return self.read_raw(id);
            }
        }
        // A native object has no __setstate__ and no __dict__: CPython ignores an empty
        // state and fails on any other.
        let empty = match state {
            Value::None => true,
            Value::Node(sid) => {
                matches!(self.arena.node(sid), Node::Dict(entries) if entries.is_empty())
            }
            _ => false,
        };
        if empty {
            return Ok(());
        }
        Err(self.wrong_type("BUILD", target, "it has no __dict__ to set state on"))
    }

    /// Passes over what the [`RawReader`] claims after a `BUILD` on `target`.
    fn read_raw(&mut self, target: NodeId) -> Result<(), ErrorKind> {
        let Some(raw_reader) = self.raw_reader.as_deref_mut() else {
            return Ok(());
        };
        // The graph so far, lent for the call: the nodes move out and back, uncopied.
        let graph = Pickle {
            arena: std::mem::take(&mut self.arena),
            root: Value::None,
            effects: Vec::new(),
            protocol: self.protocol,
            span: (0, 0),
            memo_len: 0,
            buffers: Vec::new(),
        };
        let result = raw_reader.after_build(&graph, target, self.reader.position());
        self.arena = graph.arena;
        let len = result?;
        if len > 0 {
            self.reader.take(len)?;
        }
        Ok(())
    }

    fn op_inst(&mut self) -> Result<(), ErrorKind> {
        let class = self.read_global(Opcode::Inst)?;
        let items = self.pop_mark_items()?;
        let args = Value::Node(self.add_container(ContainerKind::Tuple, &items)?);
        let id = self.inert(InertKind::Instance {
            class,
            args,
            kwargs: None,
            opcode: Opcode::Inst,
        })?;
        self.stack.push(Value::Node(id))
    }

    fn op_obj(&mut self) -> Result<(), ErrorKind> {
        let mut items = self.pop_mark_items()?;
        if items.is_empty() {
            return Err(ErrorKind::StackUnderflow);
        }
        let class = items.remove(0);
        let args = Value::Node(self.add_container(ContainerKind::Tuple, &items)?);
        let id = self.inert(InertKind::Instance {
            class,
            args,
            kwargs: None,
            opcode: Opcode::Obj,
        })?;
        self.stack.push(Value::Node(id))
    }

    /// CPython checks NEWOBJ's operands before calling anything; where an operand is
    /// native data its type is certain, so the same check applies here. A class that is a
    /// global stays unchecked: knowing whether it is a type would mean importing it.
    fn check_new_operands(
        &self,
        operation: &'static str,
        class: Value,
        args: Value,
        kwargs: Option<Value>,
    ) -> Result<(), ErrorKind> {
        let native = |value: Value| match value {
            Value::Node(id) => self.arena.node(id).type_name(),
            other => Some(self.type_name_of(other)),
        };
        let wrong = |expected, found| {
            Err(ErrorKind::BadOperand {
                operation,
                expected,
                found,
            })
        };
        if let Some(found) = native(class) {
            return wrong("class argument must be a type", found);
        }
        if let Some(found) = native(args).filter(|&name| name != "tuple") {
            return wrong("args argument must be a tuple", found);
        }
        if let Some(found) = kwargs.and_then(native).filter(|&name| name != "dict") {
            return wrong("kwargs argument must be a dict", found);
        }
        Ok(())
    }

    fn op_newobj(&mut self) -> Result<(), ErrorKind> {
        let args = self.stack.pop()?;
        let class = self.stack.pop()?;
        self.check_new_operands("NEWOBJ", class, args, None)?;
        let id = self.inert(InertKind::Instance {
            class,
            args,
            kwargs: None,
            opcode: Opcode::NewObj,
        })?;
        self.stack.push(Value::Node(id))
    }

    fn op_newobj_ex(&mut self) -> Result<(), ErrorKind> {
        let kwargs = self.stack.pop()?;
        let args = self.stack.pop()?;
        let class = self.stack.pop()?;
        self.check_new_operands("NEWOBJ_EX", class, args, Some(kwargs))?;
        let id = self.inert(InertKind::Instance {
            class,
            args,
            kwargs: Some(kwargs),
            opcode: Opcode::NewObjEx,
        })?;
        self.stack.push(Value::Node(id))
    }

    fn op_persid(&mut self) -> Result<(), ErrorKind> {
        let line = self.reader.line()?;
        if !line.is_ascii() {
            return Err(ErrorKind::MalformedText {
                what: "PERSID",
                detail: "persistent IDs in protocol 0 must be ASCII strings".to_string(),
            });
        }
        let text = PyStr::from_utf8_surrogatepass(line)
            .map_err(|position| ErrorKind::InvalidUtf8 { position })?;
        let pid = Value::Node(self.add_payload(PayloadKind::Str, text.into_bytes())?);
        let id = self.inert(InertKind::Persistent { pid })?;
        self.stack.push(Value::Node(id))
    }

    fn op_binpersid(&mut self) -> Result<(), ErrorKind> {
        let pid = self.stack.pop()?;
        let id = self.inert(InertKind::Persistent { pid })?;
        self.stack.push(Value::Node(id))
    }

    // ---- framing --------------------------------------------------------------------

    fn op_proto(&mut self) -> Result<(), ErrorKind> {
        let protocol = self.reader.u8()?;
        if protocol > HIGHEST_PROTOCOL {
            return Err(ErrorKind::UnsupportedProtocol(protocol));
        }
        self.protocol = self.protocol.max(protocol);
        Ok(())
    }

    fn op_frame(&mut self) -> Result<(), ErrorKind> {
        let len = self.reader.u64_le()?;
        self.reader.start_frame(len)
    }

    fn op_stop(&mut self) -> Result<(), ErrorKind> {
        // The root stays on the stack for `stack_root`, which keeps the rest as effects.
        self.stack.top().map(|_| ())
    }
}

/// How `column_int` reads each opcode's int: the bits of its argument, and whether they
/// are signed (`BININT1` and `BININT2` are unsigned, `BININT` is signed); 0 for any
/// other opcode. `LONG1` is read apart, its bits given by its length byte.
const COLUMN_INTS: [(u8, bool); 256] = {
    let mut table = [(0, false); 256];
    table[Opcode::BinInt1.byte() as usize] = (8, false);
    table[Opcode::BinInt2.byte() as usize] = (16, false);
    table[Opcode::BinInt.byte() as usize] = (32, true);
    table
};

/// The int of a `BININT1`, `BININT2`, `BININT` or `LONG1` of at most 8 bytes at the start
/// of `ahead`, and the opcode's length, as [`run_scalar`] reads it; `None` for anything
/// else, and within the input's last ten bytes. In a column of ints of mixed sizes the
/// opcode changes from item to item, and the branch per opcode of a `match` missed a
/// third of the time: here the opcode only chooses values (a table, conditional moves),
/// and the one branch taken on it is whether it is an int at all.
#[inline(always)]
fn column_int(ahead: &[u8]) -> Option<(usize, i64)> {
    const LONG1: u8 = Opcode::Long1.byte();
    let head: &[u8; 10] = ahead.get(..10)?.try_into().ok()?;
    let op = head[0];
    let long = op == LONG1;
    let (table_bits, table_signed) = COLUMN_INTS[usize::from(op)];
    let bits = if long {
        u32::from(head[1]) * 8
    } else {
        u32::from(table_bits)
    };
    if !(table_bits != 0 || (long && head[1] <= 8)) {
        return None;
    }
    let signed = long || table_signed;
    // The argument's bytes, little-endian, with whatever follows them above.
    let at_one = u64::from_le_bytes([
        head[1], head[2], head[3], head[4], head[5], head[6], head[7], head[8],
    ]);
    let at_two = u64::from_le_bytes([
        head[2], head[3], head[4], head[5], head[6], head[7], head[8], head[9],
    ]);
    let raw = if long { at_two } else { at_one };
    // Shift the argument to the top and back, with or without its sign; no bits (a
    // `LONG1` of length 0) is 0.
    let shift = (64 - bits) & 63;
    let top = raw << shift;
    let value = if signed {
        (top as i64) >> shift
    } else {
        (top >> shift) as i64
    };
    let value = if bits == 0 { 0 } else { value };
    let len = 1 + usize::from(long) + bits as usize / 8;
    Some((len, value))
}

/// The scalar opcode at the start of `ahead` that a run of [`Machine::push_scalar_run`]
/// takes (`BININT1`, `BININT2`, `BININT`, `LONG1` of at most 8 bytes, `BINFLOAT`, `NONE`,
/// `NEWTRUE`, `NEWFALSE`), with its length in bytes.
#[inline(always)]
fn run_scalar(ahead: &[u8]) -> Option<(usize, Value)> {
    const BININT1: u8 = Opcode::BinInt1.byte();
    const BININT2: u8 = Opcode::BinInt2.byte();
    const BININT: u8 = Opcode::BinInt.byte();
    const LONG1: u8 = Opcode::Long1.byte();
    const BINFLOAT: u8 = Opcode::BinFloat.byte();
    const NONE: u8 = Opcode::None.byte();
    const NEWTRUE: u8 = Opcode::NewTrue.byte();
    const NEWFALSE: u8 = Opcode::NewFalse.byte();
    Some(match *ahead {
        [BININT1, v, ..] => (2, Value::Int(i64::from(v))),
        [BININT2, a, b, ..] => (3, Value::Int(i64::from(u16::from_le_bytes([a, b])))),
        [BININT, a, b, c, d, ..] => (5, Value::Int(i64::from(i32::from_le_bytes([a, b, c, d])))),
        [LONG1, n @ 0..=8, ref rest @ ..] if rest.len() >= usize::from(n) => {
            let n = usize::from(n);
            (2 + n, Value::Int(text::decode_small_long(&rest[..n])))
        }
        [BINFLOAT, a, b, c, d, e, f, g, h, ..] => (
            9,
            Value::Float(f64::from_be_bytes([a, b, c, d, e, f, g, h])),
        ),
        [NONE, ..] => (1, Value::None),
        [NEWTRUE, ..] => (1, Value::Bool(true)),
        [NEWFALSE, ..] => (1, Value::Bool(false)),
        _ => return None,
    })
}

/// Stores pairs into dict `id` as Python does: an equal key keeps its place and first
/// spelling, and takes the new value. A free function so that the pairs may be read
/// from the stack in place while the arena changes. `flat` alternates keys and values
/// (read by index: an iterator of pairs moved each pair through the stack).
fn set_items(
    arena: &mut Arena<'_>,
    keys: &mut Keys,
    scratch: &mut Vec<Value>,
    id: NodeId,
    flat: &(impl FlatValues + ?Sized),
) -> Result<(), ErrorKind> {
    let count = flat.count() / 2;
    if arena.slot_count(id) == 0 && count < keys::FILL_SMALL_MAX {
        // One batch into an empty dict (a record): its keys are merged among themselves
        // first, then stored at once.
        scratch.clear();
        let result = keys.fill_small(arena, id, flat, scratch);
        match result {
            Ok(keys::Filled::AsTheyAre) => arena.append(id, flat)?,
            _ => arena.append(id, scratch.as_slice())?,
        }
        return result.map(|_| ());
    }
    for pair in 0..count {
        let (key, value) = (flat.value(2 * pair), flat.value(2 * pair + 1));
        let len = arena.slot_count(id) / 2;
        let found = {
            let arena = &*arena;
            keys.find(arena, id, len, |i| arena.slot(id, 2 * i), key)?
        };
        match found {
            Some(position) => arena.set_slot(id, 2 * position + 1, value),
            None => {
                arena.append(id, &[key, value])?;
                keys.record(arena, id, len, key)?;
            }
        }
    }
    Ok(())
}

fn pairs(items: &[Value]) -> impl ExactSizeIterator<Item = (Value, Value)> + '_ {
    items.chunks_exact(2).map(|pair| (pair[0], pair[1]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// An int opcode (or a near one) with any argument bytes after it.
    fn int_opcodes() -> impl Strategy<Value = Vec<u8>> {
        let op = proptest::sample::select(vec![
            Opcode::BinInt1.byte(),
            Opcode::BinInt2.byte(),
            Opcode::BinInt.byte(),
            Opcode::Long1.byte(),
            Opcode::BinFloat.byte(),
            Opcode::None.byte(),
            Opcode::Long4.byte(),
        ]);
        let length = prop_oneof![0u8..=9, any::<u8>()];
        (op, length, proptest::collection::vec(any::<u8>(), 0..12))
            .prop_map(|(op, length, rest)| [vec![op, length], rest].concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// The column's decoding is the run's, wherever it takes an opcode at all.
        #[test]
        fn a_column_int_reads_as_the_run_reads(bytes in int_opcodes()) {
            let run = run_scalar(&bytes);
            match column_int(&bytes) {
                Some((len, value)) => prop_assert_eq!(run, Some((len, Value::Int(value)))),
                None => prop_assert!(
                    bytes.len() < 10 || !matches!(run, Some((_, Value::Int(_)))),
                    "{:?} left to the run, which reads {:?}", bytes, run
                ),
            }
        }
    }
}
