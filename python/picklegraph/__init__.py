"""Open any Python pickle without running it.

picklegraph reads a pickle's opcodes on an inert machine: where Python would import or
call something, it records a ``Global`` or a ``Call`` instead. Plain data comes back as
Python's own types, equal to what ``pickle.loads`` returns.

>>> import pickle, picklegraph
>>> data = pickle.dumps({"a": [1, 2.5, None], "b": (True, b"x")})
>>> picklegraph.loads(data) == pickle.loads(data)
True
>>> picklegraph.loads(b"cos\\nsystem\\n(S'rm -rf ~'\\ntR.")  # nothing runs
Global('os', 'system')('rm -rf ~')
>>> picklegraph.scan(b"cos\\nsystem\\n(S'rm -rf ~'\\ntR.").verdict
'dangerous'
"""

from __future__ import annotations

import io
import os
from typing import IO, Any, Dict, Iterable, List, Optional, Tuple, Union

from . import _native, _safe
from ._errors import (
    LimitExceededError,
    MalformedPickleError,
    PickleError,
    TruncatedPickleError,
    UnsafePickleError,
)
from ._archive import Archive, Tensor, open
from ._scan import Finding, Report
from ._types import Buffer, Call, Extension, Global, Inert, PersistentId, ReadOnly

__version__: str = _native.__version__

__all__ = [
    "loads", "load", "scan", "show", "dis", "json", "repr", "stats",
    "safe_load", "safe_loads", "open", "Archive", "Tensor", "convert",
    "Global", "Call", "PersistentId", "Extension", "Buffer", "ReadOnly", "Inert",
    "Report", "Finding",
    "PickleError", "TruncatedPickleError", "MalformedPickleError", "LimitExceededError",
    "UnsafePickleError",
]

Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, IO[bytes]]
"""What the views and ``scan`` read: a path, bytes, or a binary file open for reading."""

_CLASSES = (Global, Call, PersistentId, Extension, Buffer, ReadOnly)


def _data(data: Any) -> Union[bytes, bytearray]:
    if isinstance(data, (bytes, bytearray)):
        return data
    if isinstance(data, memoryview):
        return data.tobytes()
    raise TypeError(f"a bytes-like object is required, not {type(data).__name__!r}")


def _source(source: Any) -> Union[str, bytes, bytearray]:
    """A path as ``str`` (the extension maps the file), else the bytes."""
    if isinstance(source, (str, os.PathLike)):
        return os.fsdecode(source)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _data(source)
    if hasattr(source, "read"):
        return _data(source.read())
    raise TypeError(f"a path, bytes or a binary file is required, not {type(source).__name__!r}")


def loads(data: Union[bytes, bytearray, memoryview], *, encoding: str = "ASCII",
          errors: str = "strict", buffers: Optional[Iterable[Any]] = None,
          max_nodes: Optional[int] = None, max_stack: Optional[int] = None,
          max_memo_key: Optional[int] = None, max_alloc_bytes: Optional[int] = None,
          max_int_digits: Optional[int] = None) -> Any:
    """The first pickle of ``data`` as Python objects, built without importing or calling
    anything (bytes after its ``STOP`` are ignored, as ``pickle.loads`` ignores them).

    Plain data comes back as Python's own types, equal to ``pickle.loads(data)``, with
    shared references and cycles kept (a memo get gives the same object). Every global
    is a :class:`Global`, every call or instance a :class:`Call`; a persistent id is a
    :class:`PersistentId`, an extension code an :class:`Extension`.

    ``encoding`` and ``errors`` decode Python 2 strings as ``pickle.loads`` does, with the
    names the command's ``--encoding`` and ``--errors`` take: ``'ASCII'``, ``'latin1'``,
    ``'cp1252'``, ``'utf-8'`` (and their codec aliases) or ``'bytes'``; ``'strict'``,
    ``'ignore'``, ``'replace'``, ``'backslashreplace'``, ``'surrogateescape'`` or
    ``'surrogatepass'``. Another codec or handler raises ``ValueError``.
    ``buffers`` are the out-of-band buffers of a protocol 5 pickle (without them, each
    ``NEXT_BUFFER`` gives a :class:`Buffer`). The ``max_*`` limits are the library's
    ``LoadOptions``; the defaults accept every real pickle.

    >>> loads(b"\\x80\\x04\\x95\\t\\x00\\x00\\x00\\x00\\x00\\x00\\x00]\\x94(K\\x01h\\x00e.")
    [1, [...]]

    :raises PickleError: (a subclass) with ``offset`` and ``opcode`` for a malformed or
        truncated pickle, or one past a limit.
    :raises TypeError: an unhashable dict key or set member (a list), as ``pickle.loads``
        raises it.
    """
    return _loads(data, encoding, errors, buffers,
                  _limits(max_nodes, max_stack, max_memo_key, max_alloc_bytes, max_int_digits))[0]


def _limits(max_nodes: Optional[int] = None, max_stack: Optional[int] = None,
            max_memo_key: Optional[int] = None, max_alloc_bytes: Optional[int] = None,
            max_int_digits: Optional[int] = None) -> Optional[dict]:
    limits = {"max_nodes": max_nodes, "max_stack": max_stack, "max_memo_key": max_memo_key,
              "max_alloc_bytes": max_alloc_bytes, "max_int_digits": max_int_digits}
    limits = {key: value for key, value in limits.items() if value is not None}
    return limits or None


def _loads(data: Any, encoding: str, errors: str, buffers: Optional[Iterable[Any]],
           limits: Optional[dict]) -> Tuple[Any, int]:
    buffer_list = None if buffers is None else list(buffers)
    return _native.loads(_data(data), encoding, errors, _CLASSES, buffer_list, limits)


def load(file: IO[bytes], *, encoding: str = "ASCII", errors: str = "strict",
         buffers: Optional[Iterable[Any]] = None, **limits: Optional[int]) -> Any:
    """The next pickle of a binary ``file``, as :func:`loads` builds it. A seekable file is
    left just after the pickle's ``STOP``, as ``pickle.load`` leaves it, so repeated
    calls read a stream of pickles.

    >>> import io
    >>> stream = io.BytesIO(b"K\\x01.K\\x02.")
    >>> load(stream), load(stream)
    (1, 2)
    """
    start = file.tell() if file.seekable() else None
    data = file.read()
    value, end = _loads(data, encoding, errors, buffers, _limits(**limits))
    if start is not None:
        file.seek(start + end)
    return value


Policy = Union[str, "os.PathLike[str]", None]
"""A policy as TOML text, or the path of a TOML file (``os.PathLike``), as ``--policy``
reads it: ``allow = ["mypkg.Model", "mypkg.layers.*"]``, ``deny = [...]``."""


def _policy_text(policy: Policy) -> Optional[str]:
    if isinstance(policy, os.PathLike):
        with io.open(policy, encoding="utf-8") as f:
            return f.read()
    return policy


def scan(source: Source, *, policy: Union[str, "os.PathLike[str]", None] = None,
         allow: Iterable[str] = (), deny: Iterable[str] = (), strict: bool = False,
         deny_only: bool = False) -> Report:
    """What every pickle of a file would import and call, classed, with the verdict:
    the same answer as ``picklegraph scan``.

    ``policy`` is a policy as TOML text, or the path of a TOML file (``os.PathLike``), as
    ``--policy`` reads it: ``allow = ["mypkg.Model", "mypkg.layers.*"]``,
    ``deny = [...]``; ``allow`` and ``deny`` add patterns (``module.name`` or
    ``module.*``) as ``--allow`` and ``--deny`` do. A malformed policy raises
    ``ValueError`` naming its line. ``strict`` counts every name not on the allow list
    against the file, referenced or called; ``deny_only`` judges by the deny list alone.
    A refused file's ``report.suggested_policy`` holds the lines that would let it through.

    ``source`` is a path, bytes, or a binary file. PyTorch checkpoints are read through
    the pickles inside them.

    >>> report = scan(b"\\x80\\x04]\\x94.")
    >>> report.verdict, report.passed, report.findings
    ('clean', True, [])
    >>> scan(b"cmypkg\\nModel\\n)R.").passed
    False
    >>> scan(b"cmypkg\\nModel\\n)R.", policy='allow = ["mypkg.*"]').passed
    True
    """
    judging = _judging(policy, allow, deny, strict, deny_only)
    name = os.fsdecode(source) if isinstance(source, (str, os.PathLike)) else "-"
    return Report(_native.scan(_source(source), judging, name), strict)


def _judging(policy: Policy, allow: Iterable[str], deny: Iterable[str], strict: bool,
             deny_only: bool) -> Tuple[bool, List[str], List[str], Optional[str], bool]:
    """How :func:`scan` and :func:`convert` judge, as the extension takes it."""
    if strict and deny_only:
        raise ValueError("strict and deny_only exclude each other")
    return strict, list(allow), list(deny), _policy_text(policy), deny_only


def convert(source: Union[str, "os.PathLike[str]"], destination: Union[str, "os.PathLike[str]"],
            *, policy: Policy = None, allow: Iterable[str] = (), deny: Iterable[str] = (),
            strict: bool = False, deny_only: bool = False) -> List[str]:
    """Writes a PyTorch checkpoint's tensors (``torch.save``'s zip or legacy file: a state
    dict, or a whole pickled module's parameters and buffers) as a safetensors file, as
    ``picklegraph convert`` does, without running the pickle; returns the names written.

    The scan runs first, judged by ``policy``, ``allow``, ``deny``, ``strict`` and
    ``deny_only`` as :func:`scan` judges; a file it does not pass is not converted. Every
    tensor is written as its elements in row-major order (a transposed view's included),
    each in its own bytes (safetensors has no shared storages), little-endian, under the
    name :meth:`Archive.tensors` gives it; values that are not tensors are left out; the
    metadata is ``{"format": "pt"}``. ``destination`` is replaced whole.

    >>> import tempfile, os, safetensors.numpy  # doctest: +SKIP
    >>> out = os.path.join(tempfile.mkdtemp(), "model.safetensors")  # doctest: +SKIP
    >>> convert("model.pt", out)  # doctest: +SKIP
    ['encoder.weight', 'encoder.bias']

    :raises UnsafePickleError: the scan's ``report`` did not pass the file.
    :raises ValueError: a tensor safetensors cannot hold (sparse, quantized, a dtype it
        lacks such as ``complex128``, a compressed storage), named with the reason; or a
        file that is no PyTorch checkpoint.
    :raises OSError: the file could not be read or written.
    """
    judging = _judging(policy, allow, deny, strict, deny_only)
    path = os.fsdecode(source)
    names, refused = _native.convert(path, os.fsdecode(destination), judging, path)
    if refused is not None:
        raise UnsafePickleError(Report(refused, strict))
    return names


def show(source: Source, *, width: int = 100, depth: Optional[int] = None,
         max_items: Optional[int] = None, max_string: int = 100, raw: bool = False,
         summary: bool = True, max_bytes: Optional[int] = None, full: bool = False) -> str:
    """The objects as ``picklegraph show`` prints them: indented Python-like text, shared
    references labelled, effects last (options as the command's: a container of more than
    60 items shows its first 5 and last 5, or ``max_items`` of them, half from each end;
    the text is bounded to about 64 KiB unless ``full``, ``max_bytes``, ``max_items`` or
    ``depth`` says otherwise).

    >>> print(show(b"\\x80\\x04]\\x94(h\\x00h\\x00e.", summary=False), end="")
    &1 [*1, *1]

    A file the command exits 1 on (a malformed pickle, a part that cannot be opened)
    raises, as the command fails, with what the command printed in ``.text``: what had
    been rebuilt when the error struck, then the rest of the file. ``.problems`` lists
    every problem as the command writes it to stderr (less the file's name).

    >>> try:
    ...     show(b"(K\\x01K\\x02l\\x94K\\x03", summary=False)
    ... except PickleError as error:
    ...     print(error.text, end="")
    ...     print(error.problems)
    # malformed pickle: what had been rebuilt when the error struck,
    #   at offset 9 (no opcode): pickle data was truncated (needed 1 more bytes)
    stack[0] = &1 [1, 2]
    stack[1] = 3
    memo[0] = *1
    ['offset 9 (no opcode): pickle data was truncated (needed 1 more bytes)']

    :raises PickleError: the first pickle that is malformed (``MalformedPickleError``,
        ``TruncatedPickleError``, ...), or :raises ValueError: the first part that
        cannot be opened (not a pickle, an unsupported container); either carries
        ``text`` (the command's standard output, byte for byte) and ``problems``.
    """
    text, problems = _native.show_text(_source(source), width, depth, max_items, max_string,
                                       raw, summary, max_bytes, full)
    if problems:
        error = problems[0][1]
        error.text = text
        error.problems = [message for message, _ in problems]
        raise error
    return text


def dis(source: Source, *, annotate: bool = False, indentlevel: int = 4) -> str:
    """The opcodes, byte for byte as ``pickletools.dis`` lists them (every pickle of a
    stream in turn).

    >>> print(dis(b"K\\x2a."), end="")
        0: K    BININT1    42
        2: .    STOP
    highest protocol among opcodes = 1

    :raises MalformedPickleError: where pickletools raises; ``listing`` holds the lines
        before it.
    """
    text, error = _native.dis_text(_source(source), annotate, indentlevel)
    if error is not None:
        exception = MalformedPickleError(error, None, None, "Dis")
        exception.listing = text  # type: ignore[attr-defined]
        raise exception
    return text


def json(source: Source) -> str:
    """The graph as JSON, as ``picklegraph json`` prints it (docs/json.md), less the
    ``file`` field: one document per source, which holds several pickles in
    ``"pickles"``, and bytes after the last ``STOP`` that are no pickle in
    ``"trailing"``."""
    return _native.json_text(_source(source))


def repr(source: Source) -> str:  # noqa: A001 - the view's name, as the command's
    """Python's ``repr()`` of each pickle's root, one per line, as ``picklegraph repr``.

    >>> print(repr(b"\\x80\\x04}\\x94\\x8c\\x01a\\x94K\\x01s."), end="")
    {'a': 1}
    """
    return _native.repr_text(_source(source))


def stats(source: Source, *, largest: int = 10) -> List[Dict[str, Any]]:
    """What takes the space, for each pickle of a file: the summary ``picklegraph stats``
    prints, as data (``nodes``, ``memo_len``, ``max_depth``, ``effects``, ``kinds`` and
    ``bytes`` by kind, the ``largest`` payloads as ``(len, kind, path)``, ``globals`` as
    ``{name: (nodes, references)}``, and the pickle's ``label``, ``span``, ``protocol``).

    >>> summary, = stats(b"\\x80\\x05]\\x94(X\\x03\\x00\\x00\\x00abc\\x94K\\x01e.")
    >>> summary["kinds"]["list"], summary["largest"]
    (1, [(3, 'str', 'root[0]')])
    """
    return _native.stats(_source(source), largest)


def safe_loads(data: Union[bytes, bytearray, memoryview], *, allow: Iterable[str] = (),
               deny: Iterable[str] = (), policy: Policy = None, encoding: str = "ASCII",
               errors: str = "strict", buffers: Optional[Iterable[Any]] = None,
               map_location: Any = None, mmap_mode: Optional[str] = None,
               mmap: Optional[bool] = None) -> Any:
    """``pickle.loads`` for data that may not be trusted: the scan runs first (strict:
    every global must be on the allow list); only data that passes is then loaded by
    CPython's own unpickler, whose ``find_class`` hands out nothing the scan would not
    let through.

    Besides a pickle, ``data`` may be a file that a library's own loader reads, loaded
    as that loader does once the scan passes it:

    - a PyTorch checkpoint (``torch.save``'s zip, or its legacy stream of pickles): each
      storage built from the file's bytes as ``torch.load`` builds it, then restored as
      ``torch.load(map_location=...)`` restores it: to the device it was saved from when
      ``map_location`` is None, else to the device a str or ``torch.device`` names,
      through a dict of locations, or by a callable ``(storage, location)`` whose None
      falls back to the saved device (torch must be installed; without it,
      ``ImportError`` says so). A TorchScript archive is refused (``ValueError``):
      loading it runs its code. ``mmap=True`` is ``torch.load``'s: only for a zip
      checkpoint given to :func:`safe_load` by its path (bytes raise torch's
      ``ValueError``; any other file torch's ``RuntimeError``).
    - a joblib file, compressed or not (joblib must be installed): joblib's own
      unpickler, with this lock, arrays of objects included; ``mmap_mode`` as
      ``joblib.load`` takes it (bytes in memory cannot be mapped: joblib warns and
      ignores it, as for a compressed file).
    - an ``.npy`` file: ``numpy.load(allow_pickle=False, mmap_mode=...)``, or for an
      array of objects, its pickle through this lock (``mmap_mode`` then raises
      ``ValueError`` as numpy does; bytes in memory cannot be mapped, and numpy says
      so); an ``.npz``: a dict of its arrays, each so loaded (numpy maps no ``.npz``).

    ``builtins.getattr``, ``builtins.type`` and ``torch.storage._load_from_bytes``, which
    the scan passes only for their arguments, are handed out as guards that check the
    arguments again: ``getattr`` of an attribute on the allow list (``ZoneInfo._unpickle``)
    of a global of the pickle, ``type(None)``, and a nested checkpoint (``pickle.dumps``
    of a tensor) loaded by ``safe_loads`` itself.

    ``allow``, ``deny`` and ``policy`` are :func:`scan`'s: patterns (``mypkg.Model``,
    ``mypkg.*``) and a TOML policy (text, or a path as ``os.PathLike``). The scan and
    ``find_class`` judge each name by the same library ``Policy``, so a name ``allow``
    lets through loads, and a ``deny`` line refuses even a name on the built-in list.

    >>> import collections, pickle
    >>> safe_loads(pickle.dumps(collections.OrderedDict(a=1)))
    OrderedDict([('a', 1)])
    >>> safe_loads(b"cos\\nsystem\\n(S'echo hi'\\ntR.")
    Traceback (most recent call last):
    ...
    picklegraph._errors.UnsafePickleError: the scan's verdict is 'dangerous': not on the allow list: os.system
    >>> safe_loads(b"ccollections\\nOrderedDict\\n)R.", deny=["collections.OrderedDict"])
    Traceback (most recent call last):
    ...
    picklegraph._errors.UnsafePickleError: the scan's verdict is 'dangerous': not on the allow list: collections.OrderedDict

    :raises UnsafePickleError: with the scan's ``report``, having run nothing.
    :raises ImportError: the file needs torch, joblib or numpy to be built, and it is
        not installed.
    """
    return _safe.safe_loads(bytes(_data(data)), list(allow), list(deny), _policy_text(policy),
                            encoding=encoding, errors=errors, buffers=buffers,
                            map_location=map_location, mmap_mode=mmap_mode, mmap=mmap)


def safe_load(file: Union[IO[bytes], str, "os.PathLike[str]"], *, allow: Iterable[str] = (),
              deny: Iterable[str] = (), policy: Policy = None, encoding: str = "ASCII",
              errors: str = "strict", buffers: Optional[Iterable[Any]] = None,
              map_location: Any = None, mmap_mode: Optional[str] = None,
              mmap: Optional[bool] = None) -> Any:
    """:func:`safe_loads` on the rest of a binary file, or on the file at a path (the
    scan reads all of it, since ``pickle.load`` on the same file could go on to the
    pickles after the first).

    ``mmap_mode`` memory-maps the arrays of an ``.npy`` or of an uncompressed joblib file
    as ``numpy.load(path, mmap_mode=...)`` and ``joblib.load(path, mmap_mode=...)`` do:
    only for a file on disk, given by its path or opened from one (a file object's
    ``name``); the arrays are mapped from the file the scan read.

    ``mmap=True`` maps the storages of a PyTorch zip checkpoint from the file, as
    ``torch.load(path, mmap=True)`` does (``torch.serialization``'s default mmap options:
    private pages unless ``set_default_mmap_options(MAP_SHARED)``; ``mmap=None`` takes
    ``torch.utils.serialization.config.load.mmap``, as torch does): only when ``file`` is
    a path, and torch's own errors otherwise (a file object: ``ValueError``; a legacy
    checkpoint or any file that is no zip: ``RuntimeError``). The pickle is the one the
    scan read; the file is checked to hold those bytes before it is mapped.
    """
    if isinstance(file, (str, os.PathLike)):
        path = os.fspath(file)
        with io.open(path, "rb") as handle:
            data = handle.read()
        return _safe.safe_loads(data, list(allow), list(deny), _policy_text(policy),
                                encoding=encoding, errors=errors, buffers=buffers,
                                map_location=map_location, mmap_mode=mmap_mode, path=path,
                                mmap=mmap, mmap_path=file)
    data = file.read()
    name = getattr(file, "name", None)
    # A memory map needs the file's path, as numpy and joblib need it, and so do the
    # files joblib < 0.10 wrote beside the pickle; a file object of memory (io.BytesIO)
    # has none, and the libraries' own rules apply (see safe_loads).
    path = name if isinstance(name, str) else None
    return _safe.safe_loads(bytes(data), list(allow), list(deny), _policy_text(policy),
                            encoding=encoding, errors=errors, buffers=buffers,
                            map_location=map_location, mmap_mode=mmap_mode, path=path,
                            mmap=mmap)
