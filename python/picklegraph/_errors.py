"""The exceptions of picklegraph: every load error says where (offset) and in which opcode."""

from __future__ import annotations

import pickle
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:  # pragma: no cover
    from ._scan import Report


class PickleError(pickle.UnpicklingError):
    """A pickle picklegraph cannot load: malformed, truncated, or past a limit.

    A subclass of :class:`pickle.UnpicklingError`, so code written for ``pickle.loads``
    catches it too.

    >>> import picklegraph
    >>> try:
    ...     picklegraph.loads(b"R.")
    ... except picklegraph.PickleError as error:
    ...     print(error.offset, error.opcode, error.kind)
    0 REDUCE StackUnderflow
    """

    offset: Optional[int]
    """The byte offset of the opcode that failed (``None`` where there is none)."""
    opcode: Optional[str]
    """The name of that opcode, as pickletools spells it (``None`` if none was read)."""
    kind: str
    """What went wrong, as the library's ``ErrorKind`` names it (``Truncated``, ...)."""

    def __init__(self, message: str, offset: Optional[int] = None,
                 opcode: Optional[str] = None, kind: str = "") -> None:
        super().__init__(message)
        self.offset = offset
        self.opcode = opcode
        self.kind = kind


class TruncatedPickleError(PickleError):
    """The input ended inside an opcode, before ``STOP``, or is empty."""


class LimitExceededError(PickleError):
    """A limit of the load (``max_nodes``, ``max_stack``, ...) was reached."""


class MalformedPickleError(PickleError):
    """Bytes that no unpickler accepts: an unknown opcode, a stack underflow, ..."""


class UnsafePickleError(PickleError):
    """``safe_load`` refused a pickle before running any of it; ``report`` says why."""

    report: "Report"

    def __init__(self, report: "Report") -> None:
        names = sorted({f.name or f.text for f in report.findings if not f.allowed})
        shown = ", ".join(names[:5]) + (f", ... ({len(names) - 5} more)" if len(names) > 5 else "")
        message = f"the scan's verdict is {report.verdict!r}"
        if shown:
            message += f": not on the allow list: {shown}"
        super().__init__(message, None, None, "Unsafe")
        self.report = report


_TRUNCATED = {"Truncated", "Empty", "FrameOverrun"}


def _make_error(message: str, offset: int, opcode: Optional[str], kind: str) -> PickleError:
    """The exception for a library error (called by the extension module)."""
    if kind in _TRUNCATED:
        cls: type = TruncatedPickleError
    elif kind == "LimitExceeded":
        cls = LimitExceededError
    else:
        cls = MalformedPickleError
    return cls(message, offset, opcode, kind)
