//! How an inert node is spelled: the Python expression that would rebuild it, written
//! here once for every view that prints one (`repr`, `show`, skeletons).
//!
//! A global is `module.name` (Python 3's names), or `getattr(__import__(module), name)`
//! when the pickle names it with other values. A call is `func(args)`; an instance is
//! `Class(args)` (`INST`, `OBJ`) or `Class.__new__(Class, args, **kwargs)` (`NEWOBJ`,
//! `NEWOBJ_EX`); arguments that are not a tuple are `*args`. What later opcodes did to the
//! object is chained on it: `.__setstate__(state)` (`BUILD`), `.extend([…])` (`APPENDS`),
//! `.update({k: v})` (`SETITEMS`), `.update({…})` (`ADDITEMS`).
//!
//! The spelling comes out as [`Chunk`]s: punctuation whose text is fixed here, and the
//! places where a view writes something its own way (a value, a global's name). `repr`
//! and skeletons write each chunk as one piece of text; `show` reads the calls in them to
//! lay the arguments out. A view checks its byte budget between pieces, so where one
//! chunk ends is where a cut text may end.

use std::borrow::Cow;

use super::elision::{ItemLimit, Split};
use crate::graph::{Inert, InertKind, Mutation, Node, Pickle, Value};
use crate::opcode::Opcode;

/// A piece of an inert node's spelling.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Chunk<'p> {
    /// A global whose module and name are strs, in Python 3's names: `module.name`.
    Global(&'p str, &'p str),
    /// A name the expression uses that the pickle does not write (`copyreg.extension(3)`).
    Name(Cow<'static, str>),
    /// A value of the graph, written as the view writes values.
    Value(Value),
    /// What is called or made an instance of: its name when it is a global, else the value.
    Callee(Value, Role),
    /// The class again, as the first argument of `__new__`.
    Class(Value),
    /// Opens a call's arguments, with the text that comes before them.
    Open(Open),
    /// Closes the latest open call.
    Close(Close),
    /// Between arguments or items: `, `.
    Comma,
    /// Between a key and its value: `: `.
    Colon,
    /// Before arguments that are not a tuple: `*`.
    Star,
    /// Before keyword arguments: `, **`.
    Kwargs,
    /// How many items of the latest open call were left out ([`Options::max_items`]).
    More(usize),
    /// The end of `getattr(…)`: `)`.
    EndLookup,
    /// Text that stays on its line: `<cell `, `.name`.
    Text(Cow<'static, str>),
    /// A keyword argument's name: `key=`.
    Keyword(&'p str),
    /// Opens a call of a callable named in the text (`typing.TypeVar(`), closed by
    /// [`Close::Call`].
    OpenNamed(Cow<'static, str>, Callable),
    /// Opens a bracketed list of items inside a call (`[`, `{`), closed by
    /// [`Chunk::CloseBrackets`].
    OpenBrackets(&'static str, &'static str),
    /// Closes the latest bracketed list: `]`, `}`.
    CloseBrackets(&'static str),
}

/// What kind of callable a [`Chunk::OpenNamed`] calls, for the views that style names or
/// list the names a pickle refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Callable {
    /// A builtin or a standard name that the pickle does not refer to by it
    /// (`classmethod`, `types.MethodType`).
    Builtin,
    /// A library callable the pickle refers to (`functools.partial`).
    Library,
    /// What the pickle holds, spelled as a call (`dict_items`).
    View,
    /// A method of the object before it (`.__dict__.update`).
    Method,
}

/// What a callee is, for the views that sort the names they print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// A function or any callable, called by `REDUCE`.
    Function,
    /// A class made an instance of.
    Class,
}

/// How a call opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Open {
    /// `(` after a callee.
    Call,
    /// `.__new__(` after a class.
    New,
    /// `persistent_load(`.
    Persistent,
    /// `memoryview(`.
    MemoryView,
    /// `getattr(__import__(`: the module, up to [`Close::Lookup`].
    Lookup,
    /// `.__setstate__(`.
    SetState,
    /// `.extend([`.
    Extend,
    /// `.update({`.
    Update,
    /// `([` after a callee: a call filled by its items ([`Options::fold_filling`]).
    Filled,
    /// `(`: a `(key, value)` pair of a filled call.
    Pair,
}

/// How a call closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Close {
    /// `)`.
    Call,
    /// `])`.
    List,
    /// `})`.
    Braces,
    /// `).toreadonly()`.
    ReadOnly,
    /// `), `: the module of `getattr(__import__(module), name)`, then the name.
    Lookup,
}

impl Open {
    /// Text before the callee: `getattr(`.
    pub fn prefix(self) -> &'static str {
        match self {
            Open::Lookup => "getattr(",
            _ => "",
        }
    }

    /// What is called, without the `(`: `.__new__`, `persistent_load`; empty after a
    /// [`Chunk::Callee`].
    pub fn callee(self) -> &'static str {
        match self {
            Open::Call | Open::Filled | Open::Pair => "",
            Open::New => ".__new__",
            Open::Persistent => "persistent_load",
            Open::MemoryView => "memoryview",
            Open::Lookup => "__import__",
            Open::SetState => ".__setstate__",
            Open::Extend => ".extend",
            Open::Update => ".update",
        }
    }

    /// The brackets around the items inside the parentheses (`.extend([…])`), if any.
    pub fn brackets(self) -> Option<(&'static str, &'static str)> {
        match self {
            Open::Extend | Open::Filled => Some(("[", "]")),
            Open::Update => Some(("{", "}")),
            _ => None,
        }
    }

    /// The whole text: its prefix, callee, `(` and opening bracket (`.extend([`).
    pub fn text(self) -> &'static str {
        match self {
            Open::Call | Open::Pair => "(",
            Open::New => ".__new__(",
            Open::Persistent => "persistent_load(",
            Open::MemoryView => "memoryview(",
            Open::Lookup => "getattr(__import__(",
            Open::SetState => ".__setstate__(",
            Open::Extend => ".extend([",
            Open::Update => ".update({",
            Open::Filled => "([",
        }
    }
}

impl Close {
    /// The closing bracket before the `)`: `]` of `.extend([…])`. (The views take the
    /// brackets from [`Open::brackets`]; this checks [`Close::text`].)
    #[cfg(test)]
    pub fn bracket(self) -> &'static str {
        match self {
            Close::List => "]",
            Close::Braces => "}",
            Close::Call | Close::ReadOnly | Close::Lookup => "",
        }
    }

    /// The whole text: its bracket, `)` and what follows (`])`).
    pub fn text(self) -> &'static str {
        match self {
            Close::Call => ")",
            Close::List => "])",
            Close::Braces => "})",
            Close::ReadOnly => ").toreadonly()",
            Close::Lookup => "), ",
        }
    }

    /// The text after the closing parenthesis: `.toreadonly()`.
    pub fn after(self) -> &'static str {
        match self {
            Close::ReadOnly => ".toreadonly()",
            Close::Lookup => ", ",
            Close::Call | Close::List | Close::Braces => "",
        }
    }
}

impl Chunk<'_> {
    /// The text of a chunk that is punctuation; `None` for a name or a value, which the
    /// view writes its own way.
    pub fn punctuation(&self) -> Option<Cow<'static, str>> {
        Some(match self {
            Chunk::Open(open) => open.text().into(),
            Chunk::Close(close) => close.text().into(),
            Chunk::Comma => ", ".into(),
            Chunk::Colon => ": ".into(),
            Chunk::Star => "*".into(),
            Chunk::Kwargs => ", **".into(),
            Chunk::EndLookup => ")".into(),
            Chunk::More(_) => "".into(),
            Chunk::Text(text) => text.clone(),
            Chunk::Keyword(key) => format!("{key}=").into(),
            Chunk::OpenNamed(name, _) => format!("{name}(").into(),
            Chunk::OpenBrackets(open, _) => (*open).into(),
            Chunk::CloseBrackets(close) => (*close).into(),
            Chunk::Global(..)
            | Chunk::Name(_)
            | Chunk::Value(_)
            | Chunk::Callee(..)
            | Chunk::Class(_) => return None,
        })
    }
}

/// What the mutations of an inert node do, when they all fill it the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Filling {
    /// Only `SETITEMS`.
    Items,
    /// Only `APPENDS`.
    Appends,
    /// None, or a mix.
    Other,
}

impl Filling {
    /// How `inert`'s mutations fill it.
    pub fn of(inert: &Inert) -> Filling {
        let all = |test: fn(&Mutation) -> bool| inert.mutations.iter().all(test);
        if inert.mutations.is_empty() {
            Filling::Other
        } else if all(|m| matches!(m, Mutation::SetItems(_))) {
            Filling::Items
        } else if all(|m| matches!(m, Mutation::Append(_))) {
            Filling::Appends
        } else {
            Filling::Other
        }
    }
}

/// How much of an inert node to spell, and the choices a view makes.
pub(crate) struct Options<'o> {
    /// Items of each list spelled, its first and its last; the rest are counted in a
    /// [`Chunk::More`] between them.
    pub items: ItemLimit,
    /// Chunks after which the spelling may stop (a view that can write no more than
    /// this many pieces within its budget): a call with a million arguments printed in a
    /// short text costs the text.
    pub max_chunks: usize,
    /// Arguments spelled `*args` even though they are a tuple: `show` keeps a shared
    /// tuple whole, so that its label stays in sight.
    pub whole_args: &'o dyn Fn(Value) -> bool,
    /// How the node is filled, to spell `cls()` filled only by `SETITEMS` or only by
    /// `APPENDS` as `cls([(k, v), …])` or `cls([item, …])`, as `repr` writes the mapping
    /// and list subclasses that pickle so; `None` spells the opcodes as they are.
    pub fold_filling: Option<Filling>,
    /// Whether an out-of-band buffer the pickle was not given is said so in place.
    pub missing_buffers: bool,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            items: ItemLimit::ALL,
            max_chunks: usize::MAX,
            whole_args: &|_| false,
            fold_filling: None,
            missing_buffers: false,
        }
    }
}

/// Hands the spelling of `inert`, a node of `pickle`, to `sink` chunk by chunk.
pub(crate) fn spell<'p>(
    pickle: &'p Pickle<'_>,
    inert: &'p Inert,
    options: &Options<'_>,
    sink: &mut dyn FnMut(Chunk<'p>),
) {
    let mut speller = Speller {
        pickle,
        options,
        sink,
        count: 0,
    };
    speller.inert(inert);
}

struct Speller<'s, 'p, 'a> {
    pickle: &'p Pickle<'a>,
    options: &'s Options<'s>,
    sink: &'s mut dyn FnMut(Chunk<'p>),
    /// Chunks handed over so far.
    count: usize,
}

impl<'p> Speller<'_, 'p, '_> {
    fn put(&mut self, chunk: Chunk<'p>) {
        self.count += 1;
        (self.sink)(chunk);
    }

    fn full(&self) -> bool {
        self.count >= self.options.max_chunks
    }

    fn inert(&mut self, inert: &'p Inert) {
        match inert.kind {
            InertKind::Global { module, name, .. } => self.global(module, name),
            InertKind::Call { func, args } => {
                if self.filled(inert, func, args) {
                    return;
                }
                self.put(Chunk::Callee(func, Role::Function));
                self.put(Chunk::Open(Open::Call));
                self.args(args, false);
                self.put(Chunk::Close(Close::Call));
            }
            InertKind::Instance {
                class,
                args,
                kwargs,
                opcode,
            } => self.instance(class, args, kwargs, opcode),
            InertKind::Persistent { pid } => {
                self.put(Chunk::Open(Open::Persistent));
                self.put(Chunk::Value(pid));
                self.put(Chunk::Close(Close::Call));
            }
            InertKind::Extension { code } => {
                self.put(Chunk::Name(format!("copyreg.extension({code})").into()))
            }
            InertKind::Buffer { index, readonly } => {
                let buffer = match self.pickle.buffer(index) {
                    None if self.options.missing_buffers => {
                        format!("<out-of-band buffer {index}, not given>")
                    }
                    _ => format!("buffers[{index}]"),
                };
                let readonly = if readonly { ".toreadonly()" } else { "" };
                self.put(Chunk::Name(
                    format!("pickle.PickleBuffer({buffer}){readonly}").into(),
                ));
            }
            InertKind::ReadOnly { target } => {
                self.put(Chunk::Open(Open::MemoryView));
                self.put(Chunk::Value(target));
                self.put(Chunk::Close(Close::ReadOnly));
            }
        }
        self.mutations(&inert.mutations);
    }

    /// A global whose module and name are strs is `module.name`; any other is the
    /// lookup spelled out.
    fn global(&mut self, module: Value, name: Value) {
        match (self.pickle.as_str(module), self.pickle.as_str(name)) {
            (Some(m), Some(n)) => {
                let (m, n) = crate::graph::compat::python3_name(m, n);
                self.put(Chunk::Global(m, n));
            }
            _ => {
                self.put(Chunk::Open(Open::Lookup));
                self.put(Chunk::Value(module));
                self.put(Chunk::Close(Close::Lookup));
                self.put(Chunk::Value(name));
                self.put(Chunk::EndLookup);
            }
        }
    }

    /// `Class(args)`, or `Class.__new__(Class, args, **kwargs)` for `NEWOBJ`.
    fn instance(&mut self, class: Value, args: Value, kwargs: Option<Value>, opcode: Opcode) {
        self.put(Chunk::Callee(class, Role::Class));
        let new = matches!(opcode, Opcode::NewObj | Opcode::NewObjEx);
        if new {
            self.put(Chunk::Open(Open::New));
            self.put(Chunk::Class(class));
        } else {
            self.put(Chunk::Open(Open::Call));
        }
        self.args(args, new);
        if let Some(kwargs) = kwargs {
            self.put(Chunk::Kwargs);
            self.put(Chunk::Value(kwargs));
        }
        self.put(Chunk::Close(Close::Call));
    }

    /// A call's arguments: a tuple's items, else `*args`; `after` says that an argument
    /// came before them.
    fn args(&mut self, args: Value, after: bool) {
        let items = match self.pickle.get(args) {
            Some(Node::Tuple(items)) if !(self.options.whole_args)(args) => items,
            _ => {
                if after {
                    self.put(Chunk::Comma);
                }
                self.put(Chunk::Star);
                return self.put(Chunk::Value(args));
            }
        };
        if after && !items.is_empty() {
            self.put(Chunk::Comma);
        }
        self.items(items.iter());
    }

    /// The items [`Options::items`] shows of `items`, separated by commas, with a count
    /// of the rest where they were left out.
    fn items(&mut self, items: impl ExactSizeIterator<Item = Value> + Clone) {
        let split = self.options.items.split(items.len());
        let head = items.clone().take(split.head);
        let tail = items.skip(split.len - split.tail);
        for (i, item) in head.chain(tail).enumerate() {
            if self.full() {
                return;
            }
            self.separate(i, &split);
            self.put(Chunk::Value(item));
        }
        self.count_rest(&split);
    }

    /// The entries [`Options::items`] shows of `pairs` as `key: value`, with a count of
    /// the rest where they were left out.
    fn pairs(&mut self, pairs: &[(Value, Value)]) {
        let split = self.options.items.split(pairs.len());
        let head = &pairs[..split.head];
        let tail = &pairs[split.len - split.tail..];
        for (i, &(key, value)) in head.iter().chain(tail).enumerate() {
            if self.full() {
                return;
            }
            self.separate(i, &split);
            self.put(Chunk::Value(key));
            self.put(Chunk::Colon);
            self.put(Chunk::Value(value));
        }
        self.count_rest(&split);
    }

    /// What comes before the `i`-th item shown: a comma after the one before, and the
    /// count of the items left out where the last ones start.
    fn separate(&mut self, i: usize, split: &Split) {
        if i == split.head && split.more() > 0 {
            if i > 0 {
                self.put(Chunk::Comma);
            }
            self.put(Chunk::More(split.more()));
        }
        if i > 0 || split.more() > 0 && i == split.head {
            self.put(Chunk::Comma);
        }
    }

    /// The count of the items left out, when it comes last (no last items are shown).
    fn count_rest(&mut self, split: &Split) {
        if split.more() > 0 && split.tail == 0 && !self.full() {
            if split.head > 0 {
                self.put(Chunk::Comma);
            }
            self.put(Chunk::More(split.more()));
        }
    }

    /// Mutations as method calls chained on the object.
    fn mutations(&mut self, mutations: &'p [Mutation]) {
        for mutation in mutations {
            if self.full() {
                return;
            }
            match mutation {
                Mutation::Build(state) => {
                    self.put(Chunk::Open(Open::SetState));
                    self.put(Chunk::Value(*state));
                    self.put(Chunk::Close(Close::Call));
                }
                Mutation::Append(items) => {
                    self.put(Chunk::Open(Open::Extend));
                    self.items(items.iter().copied());
                    self.put(Chunk::Close(Close::List));
                }
                Mutation::SetItems(pairs) => {
                    self.put(Chunk::Open(Open::Update));
                    self.pairs(pairs);
                    self.put(Chunk::Close(Close::Braces));
                }
                Mutation::AddItems(items) => {
                    self.put(Chunk::Open(Open::Update));
                    self.items(items.iter().copied());
                    self.put(Chunk::Close(Close::Braces));
                }
            }
        }
    }

    /// `cls([(k, v), …])` or `cls([item, …])` for a call with no arguments whose only
    /// mutations fill it, when the view folds fillings; false when it spelled nothing.
    fn filled(&mut self, inert: &'p Inert, func: Value, args: Value) -> bool {
        let Some(filling) = self.options.fold_filling else {
            return false;
        };
        if !matches!(self.pickle.get(args), Some(Node::Tuple(items)) if items.is_empty())
            || filling == Filling::Other
        {
            return false;
        }
        self.put(Chunk::Callee(func, Role::Function));
        self.put(Chunk::Open(Open::Filled));
        let mut first = true;
        for mutation in &inert.mutations {
            if self.full() {
                break;
            }
            match mutation {
                Mutation::SetItems(pairs) if filling == Filling::Items => {
                    for &(key, value) in pairs {
                        if self.full() {
                            break;
                        }
                        if !std::mem::take(&mut first) {
                            self.put(Chunk::Comma);
                        }
                        self.put(Chunk::Open(Open::Pair));
                        self.put(Chunk::Value(key));
                        self.put(Chunk::Comma);
                        self.put(Chunk::Value(value));
                        self.put(Chunk::Close(Close::Call));
                    }
                }
                Mutation::Append(items) if filling == Filling::Appends => {
                    for &item in items {
                        if self.full() {
                            break;
                        }
                        if !std::mem::take(&mut first) {
                            self.put(Chunk::Comma);
                        }
                        self.put(Chunk::Value(item));
                    }
                }
                _ => {}
            }
        }
        self.put(Chunk::Close(Close::List));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole text of an opening or closing chunk is its parts, which `show` lays out
    /// one by one.
    #[test]
    fn an_open_or_close_is_its_parts_in_order() {
        let opens = [
            Open::Call,
            Open::New,
            Open::Persistent,
            Open::MemoryView,
            Open::Lookup,
            Open::SetState,
            Open::Extend,
            Open::Update,
            Open::Filled,
            Open::Pair,
        ];
        for open in opens {
            let bracket = open.brackets().map_or("", |(open, _)| open);
            let parts = format!("{}{}({bracket}", open.prefix(), open.callee());
            assert_eq!(open.text(), parts, "{open:?}");
        }
        let closes = [
            Close::Call,
            Close::List,
            Close::Braces,
            Close::ReadOnly,
            Close::Lookup,
        ];
        for close in closes {
            let parts = format!("{})", close.bracket()) + close.after();
            assert_eq!(close.text(), parts, "{close:?}");
        }
    }

    fn spelled(data: &[u8], options: &Options<'_>) -> String {
        let pickle = crate::load(data).unwrap();
        let Some(Node::Inert(inert)) = pickle.get(pickle.root()) else {
            panic!("an inert root");
        };
        let mut text = String::new();
        spell(&pickle, inert, options, &mut |chunk| match chunk {
            Chunk::Global(module, name) => text.push_str(&format!("{module}.{name}")),
            Chunk::Name(name) => text.push_str(&name),
            Chunk::Value(value) => text.push_str(&crate::render::repr::to_repr(&pickle, value)),
            Chunk::Callee(value, _) | Chunk::Class(value) => {
                let (module, name) = pickle.global_name(value).unwrap();
                text.push_str(&format!("{module}.{name}"));
            }
            Chunk::More(count) => text.push_str(&format!("<{count} more>")),
            punctuation => text.push_str(&punctuation.punctuation().unwrap()),
        });
        text
    }

    #[test]
    fn newobj_passes_the_class_again_and_kwargs_last() {
        // NEWOBJ_EX of m.C with args (1,) and kwargs {'k': 2}, then BUILD {'a': 3}.
        let data = b"\x80\x04\x8c\x01m\x8c\x01C\x93K\x01\x85}\x8c\x01kK\x02s\x92}\x8c\x01aK\x03sb.";
        assert_eq!(
            spelled(data, &Options::default()),
            "m.C.__new__(m.C, 1, **{'k': 2}).__setstate__({'a': 3})"
        );
    }

    #[test]
    fn a_filled_call_folds_only_when_asked() {
        // m.D() then SETITEMS {'a': 1}.
        let data = b"\x80\x04\x8c\x01m\x8c\x01D\x93)R(\x8c\x01aK\x01u.";
        assert_eq!(spelled(data, &Options::default()), "m.D().update({'a': 1})");
        let folded = Options {
            fold_filling: Some(Filling::Items),
            ..Options::default()
        };
        assert_eq!(spelled(data, &folded), "m.D([('a', 1)])");
    }

    #[test]
    fn items_past_max_items_are_counted() {
        // m.f(1, 2, 3)
        let data = b"\x80\x04\x8c\x01m\x8c\x01f\x93K\x01K\x02K\x03\x87R.";
        let short = Options {
            items: ItemLimit::at_most(1),
            ..Options::default()
        };
        assert_eq!(spelled(data, &short), "m.f(1, <2 more>)");
        let ends = Options {
            items: ItemLimit::at_most(2),
            ..Options::default()
        };
        assert_eq!(spelled(data, &ends), "m.f(1, <1 more>, 3)");
    }
}
