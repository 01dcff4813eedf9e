//! What the recognizers find: a description of each node whose pattern they know, kept
//! beside the graph (never in it). Descriptions hold graph [`Value`]s, not copies, so a
//! tuple or dict shared by many patterns is read in place.

use super::code::CodeInfo;
use crate::graph::{NodeId, Value};

/// The library whose reconstructors a pattern uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Library {
    /// cloudpickle (`cloudpickle.cloudpickle`, `cloudpickle.cloudpickle_fast`).
    Cloudpickle,
    /// dill (`dill._dill`).
    Dill,
    /// The standard library's own pickling machinery.
    Stdlib,
}

impl Library {
    /// The library's name.
    pub fn name(self) -> &'static str {
        match self {
            Library::Cloudpickle => "cloudpickle",
            Library::Dill => "dill",
            Library::Stdlib => "pickle",
        }
    }
}

/// A recognized node.
#[derive(Debug, Clone, PartialEq)]
pub enum Recognized {
    /// A class shipped by value: its name, bases and namespace travel in the pickle.
    Class(Box<ClassDef>),
    /// A function shipped by value, with its code object.
    Function(Box<FunctionDef>),
    /// A code object, `types.CodeType(…)`.
    Code(Box<CodeInfo>),
    /// A closure cell, with its contents once known.
    Cell(CellDef),
    /// A module imported by name: cloudpickle's `subimport('math')`, dill's
    /// `_import_module('math')`.
    Module {
        /// The module's dotted name (a str).
        name: Value,
    },
    /// A module rebuilt by value: cloudpickle's `dynamic_subimport(name, vars)`.
    DynamicModule {
        /// The module's name.
        name: Value,
        /// Its namespace (a dict).
        vars: Value,
    },
    /// An object a library helper looks up by name: cloudpickle's
    /// `_builtin_type('CodeType')` is `types.CodeType`, dill's `_load_type('int')` is `int`
    /// (see [`super::names::resolve`]).
    Named {
        /// The module the object lives in (`builtins`, `types`, `dataclasses`).
        module: &'static str,
        /// The object's name (a str).
        name: Value,
    },
    /// A dict view rebuilt by cloudpickle: `dict_keys([…])`, `odict_values([…])`.
    DictView {
        /// `keys`, `values` or `items`.
        kind: &'static str,
        /// Whether it is a view of an `OrderedDict`.
        ordered: bool,
        /// The keys or values (a list), or the items (a dict).
        source: Value,
    },
    /// `typing.TypeVar(name, *constraints, bound=…, covariant=…, contravariant=…)`,
    /// rebuilt by cloudpickle's `_make_typevar`.
    TypeVar {
        /// The arguments of `_make_typevar`: name, bound, constraints, covariant,
        /// contravariant, tracker id.
        args: [Value; 6],
    },
    /// Another node under a second name: cloudpickle 1.x's
    /// `_rehydrate_skeleton_class(cls, …)` and `_fill_function(f, …)` return their first
    /// argument, filled in.
    SameAs(NodeId),
    /// A bound method, `types.MethodType(function, instance)`.
    Method {
        /// The function.
        function: Value,
        /// The object it is bound to.
        instance: Value,
    },
    /// `classmethod(f)`, `staticmethod(f)` or `property(fget, fset, fdel, doc)`.
    Descriptor(DescriptorDef),
    /// An instance made without calling its class (`NEWOBJ`, `copyreg.__newobj__`,
    /// `copyreg._reconstructor(cls, object, None)`), then given its state.
    Instance(InstanceDef),
    /// An attribute looked up on an object: `getattr(obj, 'name')`, how a method or a
    /// nested class is pickled by reference.
    Attribute {
        /// The object.
        object: Value,
        /// The attribute's name (an identifier str).
        name: Value,
    },
    /// `functools.partial(func, *args, **keywords)`.
    Partial(PartialDef),
    /// A standard collection: `OrderedDict`, `defaultdict`, `Counter` or `deque`.
    Collection(CollectionDef),
    /// A member of an enum shipped by value: `Color(2)` is `Color.GREEN`.
    EnumMember {
        /// The enum class.
        class: NodeId,
        /// The member's name (a str).
        name: Value,
    },
    /// A value of the standard library's types (`datetime`, `Decimal`, `deque`, …).
    Value(super::values::StdValue),
    /// A call whose whole effect is shown in another node's description: cloudpickle's
    /// `_class_setstate(cls, state)`, dill's `setattr(cell, 'cell_contents', value)`.
    StateOf(NodeId),
}

/// A class shipped by value.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassDef {
    /// Which library shipped it.
    pub library: Library,
    /// The class's `__name__` (a str).
    pub name: Value,
    /// The `__qualname__`, when the pickle sets it.
    pub qualname: Option<Value>,
    /// The metaclass, for classes not built from an enum base.
    pub metaclass: Option<Value>,
    /// The base classes (a tuple).
    pub bases: Value,
    /// The dicts whose items become class attributes, in the order they are applied.
    pub namespaces: Vec<Value>,
    /// The members of an enum, `{name: value}` (cloudpickle's `_make_skeleton_enum`).
    pub enum_members: Option<Value>,
    /// The `__module__` given outside the namespace (`_make_skeleton_enum`'s argument).
    pub module: Option<Value>,
    /// cloudpickle's class tracker id, which makes repeated loads reuse one class.
    pub tracker_id: Option<Value>,
    /// Attributes set one by one after the class is made (dill's `setattr(cls, name,
    /// value)`), as `(name, value)` with `name` a str.
    pub assigned: Vec<(Value, Value)>,
    /// The effects that fill the class in (indexes into [`crate::Pickle::effects`]).
    pub effects: Vec<usize>,
}

/// A function shipped by value.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionDef {
    /// Which library shipped it.
    pub library: Library,
    /// The code object's node.
    pub code_node: NodeId,
    /// The code object.
    pub code: Box<CodeInfo>,
    /// `__name__`, when the pickle sets it (else the code's name).
    pub name: Option<Value>,
    /// `__qualname__`, when the pickle sets it (else the code's qualname).
    pub qualname: Option<Value>,
    /// `__module__`.
    pub module: Option<Value>,
    /// `__doc__`, when the pickle sets it (`Some(Value::None)`: no docstring).
    pub doc: Option<Value>,
    /// `__defaults__` (a tuple, or `None`).
    pub defaults: Option<Value>,
    /// `__kwdefaults__` (a dict, or `None`).
    pub kwdefaults: Option<Value>,
    /// `__annotations__` (a dict).
    pub annotations: Option<Value>,
    /// The globals shipped with the function (dicts, merged in order), or a reference to
    /// a module's namespace (dill's `__builtin__.__main__`).
    pub globals: Vec<Value>,
    /// The closure cells (a tuple) the function is made with.
    pub closure: Option<Value>,
    /// Cells whose contents are then set into `closure` (cloudpickle 1.5 and later).
    pub closure_values: Option<Value>,
    /// The contents themselves, a list or tuple (cloudpickle before 1.5, whose
    /// `_empty_cell_value` marks a cell left empty).
    pub closure_contents: Option<Value>,
    /// Submodules imported for the function (cloudpickle's `_cloudpickle_submodules`).
    pub submodules: Option<Value>,
    /// Dicts merged into the function's `__dict__`.
    pub dict: Vec<Value>,
    /// Dicts of other attributes set on the function (their keys outside the ones above).
    pub extra: Vec<Value>,
    /// The effects that fill the function in.
    pub effects: Vec<usize>,
}

/// A closure cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellDef {
    /// What the cell holds; `None` for an empty cell.
    pub contents: Option<Value>,
}

/// The three descriptors classes wrap functions in.
#[derive(Debug, Clone, PartialEq)]
pub enum DescriptorDef {
    /// `classmethod(f)`.
    ClassMethod(Value),
    /// `staticmethod(f)`.
    StaticMethod(Value),
    /// `property(fget, fset, fdel, doc)`; absent parts are `None`.
    Property {
        /// The getter.
        fget: Value,
        /// The setter.
        fset: Value,
        /// The deleter.
        fdel: Value,
        /// The docstring.
        doc: Value,
    },
}

/// An instance made without calling its class.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceDef {
    /// The class.
    pub class: Value,
    /// Positional arguments to `__new__` (a slice of the graph's tuple, copied: small).
    pub args: Vec<Value>,
    /// Keyword arguments to `__new__` (a dict), from `NEWOBJ_EX` or `__newobj_ex__`.
    pub kwargs: Option<Value>,
    /// The state `BUILD` gave it.
    pub state: Option<Value>,
}

/// `functools.partial(func, *args, **keywords)`, with the instance dict it restores.
#[derive(Debug, Clone, PartialEq)]
pub struct PartialDef {
    /// The wrapped callable.
    pub func: Value,
    /// Its bound positional arguments (a tuple).
    pub args: Value,
    /// Its bound keyword arguments (a dict, or `None`).
    pub keywords: Value,
    /// The partial object's own `__dict__` (a dict, or `None`).
    pub namespace: Value,
}

/// The collections of the `collections` module, as their reducers write them.
#[derive(Debug, Clone, PartialEq)]
pub enum CollectionDef {
    /// `OrderedDict` filled by `SETITEMS`: its items.
    OrderedDict(Vec<(Value, Value)>),
    /// `defaultdict(factory)` filled by `SETITEMS`.
    DefaultDict {
        /// The default factory.
        factory: Value,
        /// The items.
        items: Vec<(Value, Value)>,
    },
    /// `Counter(dict)`.
    Counter(Value),
    /// `deque(iterable, maxlen)` filled by `APPENDS`.
    Deque {
        /// The items.
        items: Vec<Value>,
        /// The maximum length (`None` for unbounded).
        maxlen: Value,
    },
}
