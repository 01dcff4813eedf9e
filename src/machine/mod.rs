//! The inert pickle machine: one dispatch loop over the opcode table, a stack with marks,
//! a memo, and an arena that every opcode builds into. Nothing a pickle names is
//! imported or called; see DESIGN.md for the invariants kept here.
//!
//! This file holds the machine and its dispatch loop (`run`, `step`: one arm an opcode),
//! the arena helpers every opcode shares and the framing opcodes. The opcodes are
//! grouped as the loop's `match` reads them: [`scalars`] (numbers, strings, bytes),
//! [`containers`], [`stack_memo`] (stack and memo opcodes), [`calls`] (globals, calls,
//! instances). The fast paths that take a run of opcodes past the loop are in [`runs`]
//! and [`text_run`]; every limit is checked in [`budget`], the checks that fail an opcode
//! and those the fast paths ask ahead alike.

mod budget;
mod calls;
mod containers;
pub(crate) mod direct;
mod keys;
mod memo;
mod runs;
mod scalars;
mod stack;
mod stack_memo;
mod text_run;

use std::borrow::Cow;

use crate::error::{Error, ErrorKind};
use crate::graph::{
    Arena, ContainerKind, Effect, Inert, InertKind, NodeId, PayloadKind, Pickle, Stored, Value,
};
use crate::limits::LoadOptions;
use crate::opcode::Opcode;
use crate::reader::Reader;

use budget::SLOT_COST;
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
    /// Python 2 strings kept as bytes under `DecodeErrors::KeepBytes`.
    undecodable: Vec<(NodeId, crate::graph::UndecodedStr)>,
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
            undecodable: Vec::new(),
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
        let stopped_inside_frame = self.reader.inside_frame();
        let mut pickle = self.finish(root, span);
        pickle.stopped_inside_frame = stopped_inside_frame;
        Ok(pickle)
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
            undecodable: self.undecodable,
            stopped_inside_frame: false,
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
