"""The inert objects ``picklegraph.loads`` returns where Python would import or call.

None of them runs anything: a ``Global`` is a name, a ``Call`` a record of the call the
pickle asks for, with what later opcodes did to its result.
"""

from __future__ import annotations

import reprlib
from typing import Any, List, Optional, Tuple


class Inert:
    """What every inert object has: where it was made and what was done to it."""

    __slots__ = ("offset", "mutations")

    offset: int
    """The byte offset of the opcode that made it."""
    mutations: List[Tuple[str, Any]]
    """What later opcodes did to it, in stream order: ``("BUILD", state)``,
    ``("APPENDS", [items])``, ``("SETITEMS", [(key, value)])``, ``("ADDITEMS", [items])``."""

    def _mutated(self, name: str) -> List[Any]:
        return [operand for opcode, operand in getattr(self, "mutations", ()) if opcode == name]

    @property
    def state(self) -> Any:
        """The state the last ``BUILD`` set (``__setstate__`` or ``__dict__``), else None."""
        states = self._mutated("BUILD")
        return states[-1] if states else None

    @property
    def states(self) -> List[Any]:
        """Every state ``BUILD`` set, in order."""
        return self._mutated("BUILD")

    @property
    def items(self) -> List[Any]:
        """Every item ``APPEND``/``APPENDS`` added (``append``/``extend``), in order."""
        return [item for items in self._mutated("APPENDS") for item in items]

    @property
    def setitems(self) -> List[Tuple[Any, Any]]:
        """Every ``obj[key] = value`` of ``SETITEM``/``SETITEMS``, in order."""
        return [pair for pairs in self._mutated("SETITEMS") for pair in pairs]

    @property
    def additems(self) -> List[Any]:
        """Every item ``ADDITEMS`` added, in order."""
        return [item for items in self._mutated("ADDITEMS") for item in items]

    def _suffix(self) -> str:
        parts = []
        for opcode, operand in getattr(self, "mutations", ()):
            if opcode == "BUILD":
                parts.append(f".__setstate__({operand!r})")
            elif opcode == "APPENDS":
                parts.append(f".extend({operand!r})")
            elif opcode == "SETITEMS":
                parts.append(f".update({dict(operand)!r})" if _hashable_keys(operand)
                             else f".update({operand!r})")
            else:
                parts.append(f".add_all({operand!r})")
        return "".join(parts)


def _hashable_keys(pairs: List[Tuple[Any, Any]]) -> bool:
    try:
        dict(pairs)
        return True
    except TypeError:
        return False


class Global(Inert):
    """A global the pickle names (``GLOBAL``, ``STACK_GLOBAL``): never imported.

    >>> import picklegraph
    >>> picklegraph.loads(b"cos\\nsystem\\n.")
    Global('os', 'system')
    """

    __slots__ = ("module", "name", "opcode")

    module: Any
    """The module, as the pickle spells it (a str for every real pickle)."""
    name: Any
    """The qualified name in the module."""
    opcode: str
    """``GLOBAL``, ``STACK_GLOBAL``, ``INST`` or ``OBJ``."""

    def __init__(self, module: Any, name: Any) -> None:
        self.module = module
        self.name = name
        self.opcode = "GLOBAL"
        self.offset = 0
        self.mutations = []

    @reprlib.recursive_repr("...")
    def __repr__(self) -> str:
        return f"Global({self.module!r}, {self.name!r}){self._suffix()}"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Global):
            return NotImplemented
        return (self.module, self.name) == (other.module, other.name)

    def __hash__(self) -> int:
        try:
            return hash((Global, self.module, self.name))
        except TypeError:
            return id(self)

    @property
    def dotted(self) -> str:
        """``module.name``."""
        return f"{self.module}.{self.name}"


class Call(Inert):
    """A call the pickle asks for, never made: ``REDUCE`` (``callable(*args)``),
    ``NEWOBJ``/``NEWOBJ_EX`` (``cls.__new__(cls, *args, **kwargs)``), ``INST``/``OBJ``
    (``cls(*args)``), with what ``BUILD``, ``APPENDS``, ``SETITEMS`` did to the result.

    >>> import picklegraph
    >>> call = picklegraph.loads(b"cos\\nsystem\\n(S'echo hi'\\ntR.")
    >>> call
    Global('os', 'system')('echo hi')
    >>> call.callable, call.args
    (Global('os', 'system'), ('echo hi',))
    """

    __slots__ = ("callable", "args", "kwargs", "opcode")

    callable: Any
    """What would be called: usually a ``Global``."""
    args: Any
    """The argument tuple (as pushed: not always a tuple in a hostile pickle)."""
    kwargs: Optional[Any]
    """The keyword arguments (``NEWOBJ_EX`` only), else None."""
    opcode: str
    """``REDUCE``, ``NEWOBJ``, ``NEWOBJ_EX``, ``INST`` or ``OBJ``."""

    def __init__(self, callable: Any, args: Any = (), kwargs: Optional[Any] = None,
                 opcode: str = "REDUCE") -> None:
        self.callable = callable
        self.args = args
        self.kwargs = kwargs
        self.opcode = opcode
        self.offset = 0
        self.mutations = []

    @reprlib.recursive_repr("...")
    def __repr__(self) -> str:
        if isinstance(self.args, tuple):
            parts = [repr(arg) for arg in self.args]
        else:
            parts = [f"*{self.args!r}"]
        if isinstance(self.kwargs, dict):
            parts += [f"{key}={value!r}" if isinstance(key, str) else f"**{{{key!r}: {value!r}}}"
                      for key, value in self.kwargs.items()]
        elif self.kwargs is not None:
            parts.append(f"**{self.kwargs!r}")
        head = repr(self.callable)
        if self.opcode in ("NEWOBJ", "NEWOBJ_EX"):
            head = f"{head}.__new__"
            parts.insert(0, repr(self.callable))
        return f"{head}({', '.join(parts)}){self._suffix()}"


class PersistentId(Inert):
    """A persistent reference (``PERSID``, ``BINPERSID``), which the loading application
    would resolve (torch's storages are these)."""

    __slots__ = ("pid",)

    pid: Any
    """The persistent id."""

    def __init__(self, pid: Any) -> None:
        self.pid = pid
        self.offset = 0
        self.mutations = []

    @reprlib.recursive_repr("...")
    def __repr__(self) -> str:
        return f"PersistentId({self.pid!r}){self._suffix()}"


class Extension(Inert):
    """An entry of the ``copyreg`` extension registry (``EXT1``/``EXT2``/``EXT4``)."""

    __slots__ = ("code",)

    code: int
    """The extension code."""

    def __init__(self, code: int) -> None:
        self.code = code
        self.offset = 0
        self.mutations = []

    def __repr__(self) -> str:
        return f"Extension({self.code!r}){self._suffix()}"


class Buffer(Inert):
    """An out-of-band buffer (``NEXT_BUFFER``) when ``loads`` was given no ``buffers=``."""

    __slots__ = ("index", "readonly")

    index: int
    """Which buffer: 0 for the pickle's first ``NEXT_BUFFER``."""
    readonly: bool
    """Whether ``READONLY_BUFFER`` made it read-only."""

    def __init__(self, index: int, readonly: bool = False) -> None:
        self.index = index
        self.readonly = readonly
        self.offset = 0
        self.mutations = []

    def __repr__(self) -> str:
        return f"Buffer({self.index!r}, readonly={self.readonly!r}){self._suffix()}"


class ReadOnly(Inert):
    """A read-only memoryview of an in-band object (``READONLY_BUFFER`` on it)."""

    __slots__ = ("target",)

    target: Any
    """The object viewed."""

    def __init__(self, target: Any) -> None:
        self.target = target
        self.offset = 0
        self.mutations = []

    @reprlib.recursive_repr("...")
    def __repr__(self) -> str:
        return f"ReadOnly({self.target!r}){self._suffix()}"
