//! `types.CodeType(…)`: a function's code object, as cloudpickle and dill ship it.
//!
//! Both libraries pass the constructor's arguments in the order of the Python that wrote
//! the pickle, and that order changed across versions. The layouts are told apart by
//! their count and by the type of every argument:
//!
//! | count | Python | order |
//! | --- | --- | --- |
//! | 14 | 2.x | argcount, nlocals, stacksize, flags, code, consts, names, varnames, filename, name, firstlineno, lnotab, freevars, cellvars |
//! | 15 | 3.0–3.7 | argcount, kwonlyargcount, nlocals, … as 2.x |
//! | 16 | 3.8–3.10 | argcount, posonlyargcount, kwonlyargcount, nlocals, stacksize, flags, code, consts, names, varnames, filename, name, firstlineno, lnotab or linetable, freevars, cellvars |
//! | 17 | PyPy 3.11 | as 18, without exceptiontable |
//! | 18 | 3.11–3.13 (and later) | as 16 with qualname after name, and exceptiontable after linetable |
//! | 20 | 3.11 alphas | as 18 with endlinetable and columntable before exceptiontable |
//!
//! dill also puts the code's `co_lnotab` first when it is not an int.
//!
//! ```
//! use picklegraph::python::code::{CodeInfo, Layout};
//! // types.CodeType(1, 0, 0, 1, 1, 3, b'', (None,), ('print',), ('self',), 'ex.py',
//! //                'func', 'Base.func', 6, b'', b'', (), ()), as Python 3.11 writes it
//! let pickle = picklegraph::load(
//!     b"\x80\x04ctypes\nCodeType\n(K\x01K\x00K\x00K\x01K\x01K\x03C\x00N\x85X\x05\x00\x00\x00print\x85\
//!       X\x04\x00\x00\x00self\x85X\x05\x00\x00\x00ex.pyX\x04\x00\x00\x00funcX\t\x00\x00\x00Base.func\
//!       K\x06C\x00C\x00))tR.",
//! )?;
//! let code = CodeInfo::from_args(&pickle, &picklegraph::python::view::call(&pickle, pickle.root()).unwrap().args.to_vec()).unwrap();
//! assert_eq!(code.layout, Layout::Python311);
//! assert_eq!(code.qualname(&pickle), "Base.func");
//! assert_eq!(code.parameters(&pickle).text(&[], &[]), "self");
//! assert_eq!(code.names(&pickle), ["print"]);
//! # Ok::<(), picklegraph::Error>(())
//! ```

use super::view;
use crate::graph::{Pickle, Value};

/// `co_flags` bits, the same in every Python since 2.x.
pub mod flags {
    /// `*args`.
    pub const VARARGS: i64 = 0x04;
    /// `**kwargs`.
    pub const VARKEYWORDS: i64 = 0x08;
    /// A generator function.
    pub const GENERATOR: i64 = 0x20;
    /// An `async def` function.
    pub const COROUTINE: i64 = 0x80;
    /// A generator-based coroutine (`types.coroutine`).
    pub const ITERABLE_COROUTINE: i64 = 0x100;
    /// An `async def` function that yields.
    pub const ASYNC_GENERATOR: i64 = 0x200;
    /// Python 3.14: `co_consts[0]` is the docstring.
    pub const HAS_DOCSTRING: i64 = 0x0400_0000;
}

/// Which Python's constructor order the arguments follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// 14 arguments: Python 2.
    Python2,
    /// 15 arguments: Python 3.0 to 3.7.
    Python30,
    /// 16 arguments: Python 3.8 to 3.10.
    Python38,
    /// 17 arguments: PyPy 3.11.
    PyPy311,
    /// 18 arguments: Python 3.11 and later.
    Python311,
    /// 20 arguments: the alphas of Python 3.11.
    Python311Alpha,
}

impl Layout {
    /// The Pythons that build code objects with this argument list.
    pub fn pythons(self) -> &'static str {
        match self {
            Layout::Python2 => "Python 2",
            Layout::Python30 => "Python 3.0-3.7",
            Layout::Python38 => "Python 3.8-3.10",
            Layout::PyPy311 => "PyPy 3.11",
            Layout::Python311 => "Python 3.11+",
            Layout::Python311Alpha => "Python 3.11 alpha",
        }
    }

    fn for_count(count: usize) -> Option<Layout> {
        Some(match count {
            14 => Layout::Python2,
            15 => Layout::Python30,
            16 => Layout::Python38,
            17 => Layout::PyPy311,
            18 => Layout::Python311,
            20 => Layout::Python311Alpha,
            _ => return None,
        })
    }

    /// Where each field sits in the argument list.
    fn slots(self) -> Slots {
        let (posonly, kwonly, base) = match self {
            Layout::Python2 => (None, None, 1),
            Layout::Python30 => (None, Some(1), 2),
            _ => (Some(1), Some(2), 3),
        };
        let qualname = matches!(
            self,
            Layout::PyPy311 | Layout::Python311 | Layout::Python311Alpha
        );
        let after_name = base + 8 + usize::from(qualname);
        Slots {
            posonly,
            kwonly,
            flags: base + 2,
            code: base + 3,
            consts: base + 4,
            names: base + 5,
            varnames: base + 6,
            filename: base + 7,
            name: base + 8,
            qualname: qualname.then_some(base + 9),
            firstlineno: after_name + 1,
        }
    }
}

struct Slots {
    posonly: Option<usize>,
    kwonly: Option<usize>,
    flags: usize,
    code: usize,
    consts: usize,
    names: usize,
    varnames: usize,
    filename: usize,
    name: usize,
    qualname: Option<usize>,
    firstlineno: usize,
}

/// A code object read from its constructor's arguments. Strings stay in the graph (read
/// them with the accessors), so a tuple shared by many code objects is not copied.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeInfo {
    /// The argument order, hence the Pythons that wrote it.
    pub layout: Layout,
    /// `co_argcount`: positional parameters, positional-only ones included.
    pub argcount: i64,
    /// `co_posonlyargcount` (0 before Python 3.8).
    pub posonlyargcount: i64,
    /// `co_kwonlyargcount` (0 in Python 2).
    pub kwonlyargcount: i64,
    /// `co_flags`.
    pub flags: i64,
    /// `co_firstlineno`.
    pub firstlineno: i64,
    /// `co_code`, the bytecode (bytes, or a str in Python 2).
    pub code: Value,
    /// `co_consts`.
    pub consts: Value,
    /// `co_names` (a tuple of strs).
    pub names: Value,
    /// `co_varnames`.
    pub varnames: Value,
    /// `co_freevars`.
    pub freevars: Value,
    /// `co_cellvars`.
    pub cellvars: Value,
    /// `co_filename`.
    pub filename: Value,
    /// `co_name`.
    pub name: Value,
    /// `co_qualname` (Python 3.11 and later).
    pub qualname: Option<Value>,
}

impl CodeInfo {
    /// Reads the arguments of a `dill._dill._create_code(…)` call: those of `CodeType`,
    /// after a leading `co_lnotab` when the first argument is not an int.
    pub fn from_dill_args(pickle: &Pickle<'_>, args: &[Value]) -> Option<CodeInfo> {
        let is_names = |v: Value| view::str_tuple(pickle, v).is_some();
        CodeInfo::from_dill_args_checked(pickle, args, &is_names)
    }

    fn from_dill_args_checked(
        pickle: &Pickle<'_>,
        args: &[Value],
        is_names: &dyn Fn(Value) -> bool,
    ) -> Option<CodeInfo> {
        match args.first()? {
            Value::Int(_) => CodeInfo::from_args_checked(pickle, args, is_names),
            _ => CodeInfo::from_args_checked(pickle, &args[1..], is_names),
        }
    }

    /// Reads the arguments of a `CodeType(…)` call; `None` unless every one has the type
    /// its layout gives it.
    pub fn from_args(pickle: &Pickle<'_>, args: &[Value]) -> Option<CodeInfo> {
        let is_names = |v: Value| view::str_tuple(pickle, v).is_some();
        CodeInfo::from_args_checked(pickle, args, &is_names)
    }

    /// As [`CodeInfo::from_args`], with `is_names` telling a tuple of strs.
    fn from_args_checked(
        pickle: &Pickle<'_>,
        args: &[Value],
        is_names: &dyn Fn(Value) -> bool,
    ) -> Option<CodeInfo> {
        let layout = Layout::for_count(args.len())?;
        let slots = layout.slots();
        let info = CodeInfo {
            layout,
            argcount: view::int(args[0])?,
            posonlyargcount: slots.posonly.map_or(Some(0), |i| view::int(args[i]))?,
            kwonlyargcount: slots.kwonly.map_or(Some(0), |i| view::int(args[i]))?,
            flags: view::int(args[slots.flags])?,
            firstlineno: view::int(args[slots.firstlineno])?,
            code: args[slots.code],
            consts: args[slots.consts],
            names: args[slots.names],
            varnames: args[slots.varnames],
            freevars: args[args.len() - 2],
            cellvars: args[args.len() - 1],
            filename: args[slots.filename],
            name: args[slots.name],
            qualname: slots.qualname.map(|i| args[i]),
        };
        info.is_well_typed(pickle, args, is_names).then_some(info)
    }

    fn is_well_typed(
        &self,
        pickle: &Pickle<'_>,
        args: &[Value],
        is_names: &dyn Fn(Value) -> bool,
    ) -> bool {
        let is_bytes = |v: Value| {
            view::bytes(pickle, v).is_some()
                || is_empty_bytes_call(pickle, v)
                || (self.layout == Layout::Python2 && view::str(pickle, v).is_some())
        };
        let is_str = |v: Value| view::str(pickle, v).is_some();
        let counts_ok = [self.argcount, self.posonlyargcount, self.kwonlyargcount]
            .iter()
            .all(|&n| n >= 0)
            && self.posonlyargcount <= self.argcount;
        // Every int slot before `flags` (the counts, nlocals and stacksize) is an int.
        let slots = self.layout.slots();
        let ints_ok = args[..slots.flags].iter().all(|&v| view::int(v).is_some());
        // The tables between firstlineno and freevars (lnotab, linetable, …) are bytes;
        // the 3.11 alphas' endlinetable and columntable may be None.
        let tables = &args[slots.firstlineno + 1..args.len() - 2];
        let tables_ok = tables
            .iter()
            .all(|&v| is_bytes(v) || (self.layout == Layout::Python311Alpha && v == Value::None));
        counts_ok
            && ints_ok
            && tables_ok
            && is_bytes(self.code)
            && view::tuple(pickle, self.consts).is_some()
            && [self.names, self.varnames, self.freevars, self.cellvars]
                .into_iter()
                .all(is_names)
            && is_str(self.filename)
            && is_str(self.name)
            && self.qualname.map_or(true, is_str)
    }

    /// `co_name`.
    pub fn name<'p>(&self, pickle: &'p Pickle<'_>) -> &'p str {
        view::str(pickle, self.name).unwrap_or_default()
    }

    /// `co_qualname`, or `co_name` before Python 3.11.
    pub fn qualname<'p>(&self, pickle: &'p Pickle<'_>) -> &'p str {
        self.qualname
            .and_then(|q| view::str(pickle, q))
            .unwrap_or_else(|| self.name(pickle))
    }

    /// `co_filename`.
    pub fn filename<'p>(&self, pickle: &'p Pickle<'_>) -> &'p str {
        view::str(pickle, self.filename).unwrap_or_default()
    }

    /// `co_names`: the global, attribute and imported names the code looks up.
    pub fn names<'p>(&self, pickle: &'p Pickle<'_>) -> Vec<&'p str> {
        view::str_tuple(pickle, self.names).unwrap_or_default()
    }

    /// `co_varnames`: parameters first, then the other local variables.
    pub fn varnames<'p>(&self, pickle: &'p Pickle<'_>) -> Vec<&'p str> {
        view::str_tuple(pickle, self.varnames).unwrap_or_default()
    }

    /// `co_freevars`: the closure variables, in the order of the function's cells.
    pub fn freevars<'p>(&self, pickle: &'p Pickle<'_>) -> Vec<&'p str> {
        view::str_tuple(pickle, self.freevars).unwrap_or_default()
    }

    /// `co_consts` (none when it is not a tuple).
    pub fn consts(&self, pickle: &Pickle<'_>) -> Vec<Value> {
        view::tuple(pickle, self.consts).map_or_else(Vec::new, |items| items.to_vec())
    }

    /// What kind of function the flags make it: `async def`, generator, or plain.
    pub fn kind(&self) -> FunctionKind {
        if self.flags & flags::ASYNC_GENERATOR != 0 {
            FunctionKind::AsyncGenerator
        } else if self.flags & flags::COROUTINE != 0 {
            FunctionKind::Coroutine
        } else if self.flags & flags::GENERATOR != 0 {
            FunctionKind::Generator
        } else {
            FunctionKind::Plain
        }
    }

    /// The docstring, when the code holds one for certain: `co_consts[0]` if it is a str,
    /// in every layout whose compilers put `None` there for a function without one
    /// (Python 2 to 3.13); from 3.14 the `HAS_DOCSTRING` flag says so. For an 18-argument
    /// code without that flag, 3.14 cannot be ruled out unless the bytecode starts as
    /// 3.11 to 3.13 start it.
    pub fn docstring(&self, pickle: &Pickle<'_>) -> Option<Value> {
        let first = view::tuple(pickle, self.consts)?.first()?;
        view::str(pickle, first)?;
        let certain = self.flags & flags::HAS_DOCSTRING != 0
            || self.layout != Layout::Python311
            || view::bytes(pickle, self.code).is_some_and(starts_as_311_to_313);
        certain.then_some(first)
    }

    /// The parameters, named from `co_varnames` and the counts and flags.
    pub fn parameters<'p>(&self, pickle: &'p Pickle<'_>) -> Parameters<'p> {
        let varnames = self.varnames(pickle);
        let take = |from: usize, count: usize| -> Vec<&'p str> {
            varnames.iter().skip(from).take(count).copied().collect()
        };
        let positional = usize::try_from(self.argcount).unwrap_or(0);
        let kwonly = usize::try_from(self.kwonlyargcount).unwrap_or(0);
        let mut next = positional + kwonly;
        let mut star = |flag: i64| -> Option<&'p str> {
            if self.flags & flag == 0 {
                return None;
            }
            let name = varnames.get(next).copied();
            next += 1;
            Some(name.unwrap_or("?"))
        };
        let varargs = star(flags::VARARGS);
        let varkw = star(flags::VARKEYWORDS);
        Parameters {
            positional: take(0, positional),
            posonly: usize::try_from(self.posonlyargcount).unwrap_or(0),
            kwonly: take(positional, kwonly),
            varargs,
            varkw,
        }
    }
}

/// Whether a value is `bytes()` called with no argument: `b''`, as dill writes it at
/// protocols 0 to 2 (`_load_type('bytes')()`).
fn is_empty_bytes_call(pickle: &Pickle<'_>, value: Value) -> bool {
    view::call(pickle, value).is_some_and(|call| {
        call.args.is_empty()
            && call.mutations.is_empty()
            && super::names::names(pickle, call.func, "builtins", "bytes")
    })
}

/// Whether bytecode starts as CPython 3.11 to 3.13 start a function: any of the prefix
/// instructions (`COPY_FREE_VARS`, `MAKE_CELL`, `RETURN_GENERATOR`, `POP_TOP`), then
/// `RESUME 0`, with the opcode numbers of 3.11/3.12 or of 3.13.
fn starts_as_311_to_313(code: &[u8]) -> bool {
    // (prefix opcodes, RESUME) for 3.11/3.12 and for 3.13.
    const STARTS: [(&[u8], u8); 2] = [(&[149, 135, 75, 1], 151), (&[62, 94, 35, 32], 149)];
    STARTS.iter().any(|(prefix, resume)| {
        let mut units = code.chunks_exact(2);
        loop {
            match units.next() {
                Some([op, 0]) if op == resume => return true,
                Some([op, _]) if prefix.contains(op) => continue,
                _ => return false,
            }
        }
    })
}

/// Whether a function is plain, a generator, or a coroutine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunctionKind {
    /// `def f(): return …`.
    Plain,
    /// `def f(): yield …`.
    Generator,
    /// `async def f(): …`.
    Coroutine,
    /// `async def f(): yield …`.
    AsyncGenerator,
}

/// A function's parameters, as its code object names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameters<'p> {
    /// Positional parameters, positional-only ones first.
    pub positional: Vec<&'p str>,
    /// How many of `positional` are positional-only.
    pub posonly: usize,
    /// Keyword-only parameters.
    pub kwonly: Vec<&'p str>,
    /// The name of `*args`.
    pub varargs: Option<&'p str>,
    /// The name of `**kwargs`.
    pub varkw: Option<&'p str>,
}

impl Parameters<'_> {
    /// The parameter list as written in a `def`, with the given texts of defaults
    /// (`defaults` for the last positional parameters; `kwdefaults` by name) and no
    /// annotations: `a, b=2, /, *args, c, d='d', **kwargs`.
    pub fn text(&self, defaults: &[String], kwdefaults: &[(&str, String)]) -> String {
        self.render(defaults, kwdefaults, &mut |_| None)
    }

    /// As [`Parameters::text`], with `annotation(name)` giving each parameter's annotation.
    pub fn render(
        &self,
        defaults: &[String],
        kwdefaults: &[(&str, String)],
        annotation: &mut dyn FnMut(&str) -> Option<String>,
    ) -> String {
        let mut parts: Vec<String> = Vec::new();
        let first_default = self.positional.len().saturating_sub(defaults.len());
        for (i, name) in self.positional.iter().enumerate() {
            let default = i.checked_sub(first_default).and_then(|d| defaults.get(d));
            parts.push(parameter(
                name,
                annotation(name),
                default.map(String::as_str),
            ));
            if self.posonly > 0 && i + 1 == self.posonly {
                parts.push("/".into());
            }
        }
        match self.varargs {
            Some(name) => parts.push(format!("*{}", parameter(name, annotation(name), None))),
            None if !self.kwonly.is_empty() => parts.push("*".into()),
            None => {}
        }
        for name in &self.kwonly {
            let default = kwdefaults
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str());
            parts.push(parameter(name, annotation(name), default));
        }
        if let Some(name) = self.varkw {
            parts.push(format!("**{}", parameter(name, annotation(name), None)));
        }
        parts.join(", ")
    }
}

fn parameter(name: &str, annotation: Option<String>, default: Option<&str>) -> String {
    match (annotation, default) {
        (None, None) => name.to_string(),
        (None, Some(default)) => format!("{name}={default}"),
        (Some(annotation), None) => format!("{name}: {annotation}"),
        (Some(annotation), Some(default)) => format!("{name}: {annotation} = {default}"),
    }
}

/// The code object a value builds: a call of `types.CodeType` (however the pickle names
/// it) or of dill's `_create_code`, with arguments in one of the known layouts and no
/// later mutation.
pub(crate) fn code_at(
    context: &super::recognize::Context<'_, '_>,
    value: Value,
) -> Option<CodeInfo> {
    let pickle = context.pickle;
    let call = view::call(pickle, value)?;
    if !call.mutations.is_empty() {
        return None;
    }
    let is_names = |v: Value| context.is_str_tuple(v);
    if super::names::dill_helper(pickle, call.func) == Some("_create_code") {
        return CodeInfo::from_dill_args_checked(pickle, &call.args.to_vec(), &is_names);
    }
    if !super::names::is_code_type(pickle, call.func) {
        return None;
    }
    CodeInfo::from_args_checked(pickle, &call.args.to_vec(), &is_names)
}
