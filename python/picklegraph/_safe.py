"""``safe_load``'s second lock: CPython's unpicklers, handed only what the scan let through.

The scan (the library) has already passed the file when anything here runs. What follows
builds the objects the way the writing library's own loader does, with every global looked
up through :class:`Judge`, which asks the library's ``Policy`` for each (module, name):

- a plain pickle: CPython's ``pickle.Unpickler``;
- a PyTorch checkpoint (zip, or the legacy stream of pickles): the same unpickler with a
  ``persistent_load`` that builds each storage from the file's bytes, as
  ``torch.serialization`` does (torch is needed to make tensors);
- a joblib file (compressed or not): joblib's own ``NumpyUnpickler``, subclassed, with
  arrays of objects read through this module's unpickler rather than ``pickle.load``;
- ``.npy`` / ``.npz``: ``numpy.load(allow_pickle=False)`` for plain arrays; an array of
  objects is its header then a pickle, loaded here.

Three names the scan passes by their arguments, never by name alone, are handed out as
guards that check their arguments again at run time: ``builtins.getattr`` (only a
non-dunder attribute of an object this unpickler handed out, when the policy allows that
attribute's dotted name), ``builtins.type`` (only ``type(None)``, ``type(...)``,
``type(NotImplemented)``) and ``torch.storage._load_from_bytes`` (the nested checkpoint
through ``safe_loads`` itself).
"""

from __future__ import annotations

import io
import os
import pickle
import struct
import sys
import warnings
import zipfile
from typing import IO, Any, Callable, Dict, List, Optional, Tuple

from . import _native
from ._errors import UnsafePickleError

# torch.serialization's constants: the first two pickles of a legacy checkpoint.
_TORCH_MAGIC = 0x1950A86A20F9469CFC6C
_TORCH_PROTOCOL = 1001
_TORCH_LEGACY_PREFIX = b"\x80\x02\x8a\x0a" + _TORCH_MAGIC.to_bytes(10, "little")
# What joblib's decompressors recognise (joblib.numpy_pickle_utils): zlib, gzip, bz2,
# xz, lzma, lz4.
_COMPRESSED_PREFIXES = (b"\x78", b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"\x5d\x00\x00",
                        b"\x04\x22\x4d\x18")
_NPY_MAGIC = b"\x93NUMPY"
_JOBLIB_WRAPPER = "joblib.numpy_pickle.NumpyArrayWrapper"
# joblib < 0.10's array headers: the array is in a file beside the pickle.
_OLD_JOBLIB_WRAPPERS = ("joblib.numpy_pickle.NDArrayWrapper",
                        "joblib.numpy_pickle.ZNDArrayWrapper")
# joblib < 0.10's Z-file: b"ZF", the length as hex() padded to 19 bytes, then zlib.
_ZFILE_PREFIX = b"ZF"
_ZFILE_LENGTH = 19
# How deep torch.storage._load_from_bytes may nest: the scan opens four levels.
_MAX_NESTED = 4


class Judge:
    """The policy's answer for each (module, name), cached: True (allowed), False
    (refused) or None (judged by its arguments: ``getattr``, ``type``,
    ``_load_from_bytes``). The same library ``Policy`` as the scan's."""

    def __init__(self, allow: List[str], deny: List[str], policy: Optional[str],
                 depth: int = 0, map_location: Any = None) -> None:
        self.allow, self.deny, self.policy, self.depth = allow, deny, policy, depth
        # torch.load's, kept for the checkpoints nested in this one.
        self.map_location = map_location
        self._answers: Dict[Tuple[str, str], Optional[bool]] = {}

    def __call__(self, module: str, name: str) -> Optional[bool]:
        key = (module, name)
        if key not in self._answers:
            self._answers[key] = _native.is_allowed(module, name, self.allow, self.deny,
                                                    self.policy)
        return self._answers[key]


def _refuse(module: str, name: str, why: str = "is not on the allow list") -> Exception:
    # The scan has already refused any such pickle; this is the second lock.
    return pickle.UnpicklingError(f"picklegraph.safe_load: {module}.{name} {why}")


class _Lookups:
    """What one load handed out, and the guards for the names judged by arguments."""

    def __init__(self, judge: Judge) -> None:
        self.judge = judge
        # id -> (object, module, name): the object is kept so that its id stays its own.
        self.handed_out: Dict[int, Tuple[Any, str, str]] = {}

    def find_class(self, unpickler: Any, module: str, name: str,
                   find: Callable[[str, str], Any]) -> Any:
        answer = self.judge(module, name)
        if answer is None:
            guard = self._guard(module, name)
            if guard is not None:
                return guard
        if not answer:
            raise _refuse(module, name)
        found = find(module, name)
        self.handed_out.setdefault(id(found), (found, module, name))
        return found

    def _guard(self, module: str, name: str) -> Optional[Callable[..., Any]]:
        # The library's table says which names are judged by their arguments, and how.
        checks = _native.argument_checks(module, name)
        return _GUARDS[checks[0][2]](self) if checks else None

    def _getattr(self, *args: Any) -> Any:
        if len(args) != 2 or not isinstance(args[1], str):
            raise _refuse("builtins", "getattr", "is allowed only as getattr(global, 'name')")
        target, attribute = args
        entry = self.handed_out.get(id(target))
        if entry is None or entry[0] is not target:
            raise _refuse("builtins", "getattr", "is allowed only on a global of the pickle")
        _, module, name = entry
        if not attribute or "." in attribute or attribute.startswith("__") \
                or self.judge(module, f"{name}.{attribute}") is not True:
            raise _refuse(module, f"{name}.{attribute}")
        return getattr(target, attribute)

    def _load_from_bytes(self, *args: Any) -> Any:
        if len(args) != 1 or not isinstance(args[0], (bytes, bytearray)):
            raise _refuse("torch.storage", "_load_from_bytes",
                          "is allowed only on constant bytes")
        judge = self.judge
        if judge.depth >= _MAX_NESTED:
            raise _refuse("torch.storage", "_load_from_bytes",
                          f"nests checkpoints more than {_MAX_NESTED} deep")
        return safe_loads(bytes(args[0]), judge.allow, judge.deny, judge.policy,
                          judge.depth + 1, map_location=judge.map_location)


_CONSTANTS_WITH_TYPES = (None, Ellipsis, NotImplemented)


def _type_of_constant(*args: Any) -> type:
    if len(args) == 1 and any(args[0] is constant for constant in _CONSTANTS_WITH_TYPES):
        return type(args[0])
    raise _refuse("builtins", "type",
                  "is allowed only as type(None), type(...) or type(NotImplemented)")


# A guard for each check of the library's table of names judged by their arguments
# (read through the bindings): a check this module has no guard for fails at import, so
# the table and the guards cannot drift apart.
_GUARDS: Dict[str, Callable[[_Lookups], Callable[..., Any]]] = {
    "getattr": lambda lookups: lookups._getattr,
    "type": lambda lookups: _type_of_constant,
    "load_from_bytes": lambda lookups: lookups._load_from_bytes,
}
_UNGUARDED = {check for _, _, check in _native.argument_checks()} - set(_GUARDS)
if _UNGUARDED:
    raise ImportError(f"picklegraph: no safe_load guard for {sorted(_UNGUARDED)}")


class AllowListUnpickler(pickle.Unpickler):
    """CPython's own unpickler, handing out only what the scan lets through."""

    def __init__(self, file: IO[bytes], lookups: _Lookups, **kwargs: Any) -> None:
        super().__init__(file, **kwargs)
        self._lookups = lookups

    def find_class(self, module: str, name: str) -> Any:
        return self._lookups.find_class(self, module, name, super().find_class)


class _PurePythonAllowListUnpickler(pickle._Unpickler):  # type: ignore[name-defined]
    """The pure-Python unpickler (as joblib reads a nested pickle), with the same lock."""

    def __init__(self, file: IO[bytes], lookups: _Lookups, **kwargs: Any) -> None:
        super().__init__(file, **kwargs)
        self._lookups = lookups

    def find_class(self, module: str, name: str) -> Any:
        return self._lookups.find_class(self, module, name, super().find_class)


def safe_loads(data: bytes, allow: List[str], deny: List[str], policy: Optional[str],
               depth: int = 0, *, map_location: Any = None, mmap_mode: Optional[str] = None,
               path: Optional[str] = None, mmap: Optional[bool] = None,
               mmap_path: Any = None, **pickle_options: Any) -> Any:
    """The scan (strict), then, only if it passes, the load with the same policy as the
    lock on every global, as the writing library's loader reads the file.
    ``map_location`` and ``mmap`` are torch.load's, ``mmap_mode`` numpy.load's and
    joblib.load's; ``path`` is where ``data`` was read from, for a memory map and for
    joblib's files beside it; ``mmap_path`` the path ``safe_load`` was given, a str or
    an ``os.PathLike`` (torch maps only a file named by its path, and names it in its
    error only when it is a str)."""
    from . import scan  # the package's, which imports this module

    report = scan(data, allow=allow, deny=deny, policy=policy, strict=True)
    if not report.passed:
        raise UnsafePickleError(report)
    lookups = _Lookups(Judge(allow, deny, policy, depth, map_location))
    is_zip = data.startswith((b"PK\x03\x04", b"PK\x05\x06"))
    if mmap and not is_zip:
        raise _mmap_refused(mmap_path)
    if data.startswith(_NPY_MAGIC):
        return _load_npy(data, lookups, mmap_mode, path, **pickle_options)
    if is_zip:
        return _load_zip(data, lookups, mmap, mmap_path, **pickle_options)
    if data.startswith(_TORCH_LEGACY_PREFIX):
        return _load_torch_legacy(data, lookups, **pickle_options)
    if data[257:262] == b"ustar":
        return _load_torch_tar(data, lookups, **pickle_options)
    # joblib writes arrays after their wrapper, inside the pickle's stream; a compressed
    # file is joblib's too (pickle.load reads neither).
    if data.startswith(_ZFILE_PREFIX) or any(f.name in _OLD_JOBLIB_WRAPPERS
                                              for f in report.findings):
        return _load_old_joblib(data, lookups, mmap_mode, path, **pickle_options)
    joblib = any(f.name == _JOBLIB_WRAPPER for f in report.findings)
    if joblib or data.startswith(_COMPRESSED_PREFIXES):
        return _load_joblib(data, lookups, mmap_mode, path, **pickle_options)
    return AllowListUnpickler(io.BytesIO(data), lookups, **pickle_options).load()


# --- PyTorch -------------------------------------------------------------------------


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError("picklegraph.safe_load: this file is a PyTorch checkpoint, and "
                          "torch is needed to make its tensors (pip install torch); "
                          "picklegraph.open(path).tensors() reads them without torch") from None
    return torch


def _storage_dtype(torch: Any, storage_type: Any) -> Any:
    if storage_type is torch.UntypedStorage:
        return torch.uint8
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # TypedStorage's deprecation
        return storage_type.dtype


def _typed_storage(torch: Any, untyped: Any, dtype: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return torch.storage.TypedStorage(wrap_storage=untyped, dtype=dtype, _internal=True)


def _untyped_from(torch: Any, payload: bytes) -> Any:
    if not payload:
        return torch.UntypedStorage(0)
    return torch.UntypedStorage.from_buffer(payload, dtype=torch.uint8)


def _restore_location(torch: Any, map_location: Any) -> Callable[[Any, str], Any]:
    """``torch.load``'s ``restore_location`` for ``map_location``: torch's own
    (``torch.serialization._get_restore_location``), or the same rules where a torch
    has none: None restores to the saved location, a str or ``torch.device`` names the
    device, a dict maps locations, a callable's None falls back to the saved location."""
    serialization = torch.serialization
    get = getattr(serialization, "_get_restore_location", None)
    if get is not None:
        return get(map_location)
    default = serialization.default_restore_location
    if map_location is None:
        return default
    if isinstance(map_location, dict):
        return lambda storage, location: default(storage, map_location.get(location, location))
    if isinstance(map_location, (str, bytes, torch.device)):
        return lambda storage, location: default(storage, str(map_location))

    def restore(storage: Any, location: str) -> Any:
        result = map_location(storage, location)
        return default(storage, location) if result is None else result

    return restore


def _location(location: Any) -> str:
    return location.decode("ascii") if isinstance(location, bytes) else str(location)


def _storage_id(saved_id: Any) -> Tuple[str, Tuple[Any, ...]]:
    if not isinstance(saved_id, tuple) or not saved_id:
        raise pickle.UnpicklingError(f"picklegraph.safe_load: persistent id {saved_id!r} "
                                     "is not torch's")
    typename = saved_id[0]
    if isinstance(typename, bytes):
        typename = typename.decode("ascii")
    return typename, saved_id[1:]


def _mmap_refused(path: Any) -> Exception:
    """torch.load's error for ``mmap=True`` on a file that is no zip checkpoint."""
    named = f"{path}, " if isinstance(path, str) else ""
    return RuntimeError("mmap can only be used with files saved with "
                        f"`torch.save({named}_use_new_zipfile_serialization=True), "
                        "please torch.save your checkpoint with this option in order to "
                        "use mmap.")


def _mapped_file(torch: Any, data: bytes, mmap: Optional[bool],
                 path: Any) -> Optional[Any]:
    """The whole file as one storage mapped from disk, as ``torch.load(mmap=True)`` maps
    it (each storage is then a slice of it), or None without ``mmap``; torch's config
    decides when ``mmap`` is None, and torch's error when there is no path."""
    if mmap is None:
        config = getattr(getattr(torch.utils, "serialization", None), "config", None)
        mmap = bool(getattr(getattr(config, "load", None), "mmap", False))
    if not mmap:
        return None
    if path is None:
        raise ValueError("f must be a file path in order to use the mmap argument")
    # The pickle is the one the scan read: the file must still hold those bytes, so that
    # the storages mapped from it are the ones that pickle names.
    path = os.fspath(path)
    with _stream(data, path):
        pass
    shared = False
    options = getattr(torch.serialization, "get_default_mmap_options", None)
    if options is not None and sys.platform != "win32":
        import mmap as mmap_module
        shared = options() == mmap_module.MAP_SHARED
    return torch.UntypedStorage.from_file(path, shared, len(data))


def _record_offset(archive: zipfile.ZipFile, data: bytes, name: str) -> int:
    """Where a stored record's bytes start in the file: after its local header, whose
    name and extra field lengths may differ from the directory's."""
    info = archive.getinfo(name)
    if info.compress_type != zipfile.ZIP_STORED:
        raise ValueError(f"picklegraph.safe_load: {name} is compressed, and a memory map "
                         "needs its bytes as they are (torch.save stores them)")
    header = data[info.header_offset:info.header_offset + 30]
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        raise ValueError(f"picklegraph.safe_load: {name} has no local header")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    start = info.header_offset + 30 + name_len + extra_len
    if start + info.file_size > len(data):
        raise ValueError(f"picklegraph.safe_load: {name} runs past the end of the file")
    return start


def _load_zip(data: bytes, lookups: _Lookups, mmap: Optional[bool] = None,
              mmap_path: Any = None, **pickle_options: Any) -> Any:
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    pickles = [n for n in names if n.endswith("data.pkl") and n.count("/") <= 1]
    if not pickles:
        if mmap:
            raise _mmap_refused(mmap_path)
        if any(n.endswith(".npy") for n in names):
            return _load_npz(archive, lookups, **pickle_options)
        raise ValueError("picklegraph.safe_load: a zip file that is neither a PyTorch "
                         "checkpoint (no data.pkl) nor an .npz")
    prefix = pickles[0][: -len("data.pkl")]
    if prefix + "constants.pkl" in names:
        raise ValueError("picklegraph.safe_load: a TorchScript archive (torch.jit.save): "
                         "loading it runs its compiled code; use torch.jit.load if you "
                         "trust it")
    torch = _torch()
    mapped = _mapped_file(torch, data, mmap, mmap_path)
    byteorder = "little"
    if prefix + "byteorder" in names:
        byteorder = archive.read(prefix + "byteorder").decode("ascii", "replace")
        if byteorder not in ("little", "big"):
            raise ValueError(f"picklegraph.safe_load: unknown byte order {byteorder!r}")
    loaded: Dict[str, Any] = {}
    restore = _restore_location(torch, lookups.judge.map_location)

    def load_storage(dtype: Any, nbytes: int, key: str, location: str) -> Any:
        name = f"{prefix}data/{key}"
        if mapped is not None:
            size = archive.getinfo(name).file_size
            start = _record_offset(archive, data, name)
        else:
            record = archive.read(name)
            size = len(record)
        if size < nbytes:
            raise pickle.UnpicklingError(f"picklegraph.safe_load: storage {key} holds "
                                         f"{size} bytes, {nbytes} expected")
        if mapped is not None:
            untyped = mapped[start:start + nbytes]
        else:
            untyped = _untyped_from(torch, record[:nbytes])
        if byteorder != sys.byteorder:
            untyped.byteswap(dtype)
        return _typed_storage(torch, restore(untyped, location), dtype)

    def persistent_load(saved_id: Any) -> Any:
        typename, fields = _storage_id(saved_id)
        if typename != "storage" or len(fields) != 4:
            raise pickle.UnpicklingError(f"picklegraph.safe_load: persistent id "
                                         f"{saved_id!r} is not a storage")
        storage_type, key, location, numel = fields
        location = _location(location)
        dtype = _storage_dtype(torch, storage_type)
        nbytes = int(numel) * torch._utils._element_size(dtype)
        key = str(key)
        storage = loaded.get(key)
        if storage is None:
            storage = loaded[key] = load_storage(dtype, nbytes, key, location)
        elif storage.dtype != dtype:
            untyped = storage._untyped_storage
            if untyped.nbytes() == nbytes:
                storage = _typed_storage(torch, untyped, dtype)
            else:
                storage = load_storage(dtype, nbytes, key, location)
        return storage

    unpickler = AllowListUnpickler(io.BytesIO(archive.read(pickles[0])), lookups,
                                   **pickle_options)
    unpickler.persistent_load = persistent_load  # type: ignore[assignment]
    return unpickler.load()


def _load_torch_legacy(data: bytes, lookups: _Lookups, **pickle_options: Any) -> Any:
    """torch.save(..., _use_new_zipfile_serialization=False): five pickles (magic number,
    protocol, system info, the object, the storage keys), then each storage's elements,
    little-endian, after its element count."""
    torch = _torch()
    stream = io.BytesIO(data)

    def next_pickle() -> Any:
        return AllowListUnpickler(stream, lookups, **pickle_options).load()

    if next_pickle() != _TORCH_MAGIC or next_pickle() != _TORCH_PROTOCOL:
        raise pickle.UnpicklingError("picklegraph.safe_load: not a PyTorch legacy checkpoint")
    next_pickle()  # the writer's byte order and type sizes; the storages are little-endian
    roots: Dict[str, Tuple[Any, Any, int]] = {}  # key -> (storage, dtype, nbytes)
    views: Dict[str, Any] = {}
    restore = _restore_location(torch, lookups.judge.map_location)

    def persistent_load(saved_id: Any) -> Any:
        typename, fields = _storage_id(saved_id)
        if typename == "module" and fields:
            return fields[0]  # the class, handed out by find_class
        if typename != "storage" or len(fields) != 5:
            raise pickle.UnpicklingError(f"picklegraph.safe_load: persistent id "
                                         f"{saved_id!r} is not a storage")
        storage_type, root_key, location, numel, view = fields
        dtype = _storage_dtype(torch, storage_type)
        size = torch._utils._element_size(dtype)
        root_key = str(root_key)
        if root_key not in roots:
            nbytes = int(numel) * size
            # As torch.load: restored empty, its elements copied in after the pickle.
            untyped = restore(torch.UntypedStorage(nbytes), _location(location))
            roots[root_key] = (_typed_storage(torch, untyped, dtype), dtype, nbytes)
        storage = roots[root_key][0]
        if storage.dtype != dtype:
            storage = _typed_storage(torch, storage._untyped_storage, dtype)
        if view is None:
            return storage
        view_key, offset, view_numel = view
        if view_key not in views:
            start = int(offset) * size
            views[view_key] = _typed_storage(
                torch, storage._untyped_storage[start:start + int(view_numel) * size], dtype)
        return views[view_key]

    unpickler = AllowListUnpickler(stream, lookups, **pickle_options)
    unpickler.persistent_load = persistent_load  # type: ignore[assignment]
    result = unpickler.load()
    keys = next_pickle()
    if not isinstance(keys, list):
        raise pickle.UnpicklingError("picklegraph.safe_load: the storage keys are no list")
    for key in keys:
        storage, dtype, nbytes = roots[str(key)]
        (numel,) = struct.unpack("<q", _read_exactly(stream, 8))
        if numel * torch._utils._element_size(dtype) != nbytes:
            raise pickle.UnpicklingError(f"picklegraph.safe_load: storage {key} holds "
                                         f"{numel} elements, not {nbytes} bytes' worth")
        payload = _untyped_from(torch, _read_exactly(stream, nbytes))
        if sys.byteorder != "little":
            payload.byteswap(dtype)
        storage._untyped_storage.copy_(payload)
    return result


def _load_torch_tar(data: bytes, lookups: _Lookups, **pickle_options: Any) -> Any:
    """torch < 0.4's tar checkpoint, as ``torch.load`` reads it: the storages (each a
    pickle of (key, location, storage class), its element count and bytes, then a
    pickle of the views), the tensors (each a pickle of (key, storage key, class) and
    its sizes, strides and offset), then the saved object, whose persistent ids are
    those keys. Nothing is extracted to disk."""
    import tarfile

    torch = _torch()
    restore = _restore_location(torch, lookups.judge.map_location)
    objects: Dict[Any, Any] = {}

    def next_pickle(stream: IO[bytes]) -> Any:
        return AllowListUnpickler(stream, lookups, **pickle_options).load()

    def count_in(stream: IO[bytes], what: str) -> int:
        count = next_pickle(stream)
        if type(count) is not int or count < 0:
            raise pickle.UnpicklingError(f"picklegraph.safe_load: the {what} count is no "
                                         "int")
        return count

    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
        def member(name: str) -> IO[bytes]:
            try:
                found = tar.extractfile(name)
            except KeyError:
                found = None
            if found is None:
                raise pickle.UnpicklingError(f"picklegraph.safe_load: the tar checkpoint "
                                             f"has no file {name!r}, which torch.load reads")
            return io.BytesIO(found.read())

        storages = member("storages")
        for _ in range(count_in(storages, "storage")):
            row = next_pickle(storages)
            if not isinstance(row, tuple) or len(row) != 3:
                raise pickle.UnpicklingError("picklegraph.safe_load: a storage is not "
                                             "(key, location, storage class)")
            key, location, storage_type = row
            dtype = _storage_dtype(torch, storage_type)
            (numel,) = struct.unpack("<q", _read_exactly(storages, 8))
            if numel < 0:
                raise pickle.UnpicklingError("picklegraph.safe_load: a negative element count")
            payload = _untyped_from(torch, _read_exactly(
                storages, numel * torch._utils._element_size(dtype)))
            if sys.byteorder != "little":
                payload.byteswap(dtype)
            objects[key] = _typed_storage(torch, restore(payload, _location(location)), dtype)
        for view_key, root_key, offset, numel in next_pickle(storages):
            root = objects[root_key]
            size = torch._utils._element_size(root.dtype)
            objects[view_key] = _typed_storage(
                torch, root._untyped_storage[offset * size:(offset + numel) * size], root.dtype)
        tensors = member("tensors")
        for _ in range(count_in(tensors, "tensor")):
            row = next_pickle(tensors)
            if not isinstance(row, tuple) or len(row) != 3:
                raise pickle.UnpicklingError("picklegraph.safe_load: a tensor is not "
                                             "(key, storage key, tensor class)")
            key, storage_key, _tensor_class = row
            storage = objects[storage_key]
            (ndim,) = struct.unpack("<i4x", _read_exactly(tensors, 8))
            if ndim < 0:
                raise pickle.UnpicklingError("picklegraph.safe_load: a negative number of "
                                             "dimensions")
            numbers = struct.unpack(f"<{2 * ndim + 1}q", _read_exactly(tensors, 16 * ndim + 8))
            sizes, strides, offset = numbers[:ndim], numbers[ndim:2 * ndim], numbers[-1]
            objects[key] = torch.empty((0,), dtype=storage.dtype).set_(
                storage._untyped_storage, offset, sizes, strides)

        def persistent_load(saved_id: Any) -> Any:
            if isinstance(saved_id, tuple):
                return saved_id[0]  # a module record: the class, handed out by find_class
            return objects[int(saved_id)]

        unpickler = AllowListUnpickler(member("pickle"), lookups, **pickle_options)
        unpickler.persistent_load = persistent_load  # type: ignore[assignment]
        return unpickler.load()


def _read_exactly(stream: IO[bytes], count: int) -> bytes:
    chunk = stream.read(count)
    if len(chunk) != count:
        raise pickle.UnpicklingError("picklegraph.safe_load: the file ends inside a storage")
    return chunk


# --- joblib ----------------------------------------------------------------------------


def _load_joblib(data: bytes, lookups: _Lookups, mmap_mode: Optional[str] = None,
                 path: Optional[str] = None, **pickle_options: Any) -> Any:
    try:
        from joblib import numpy_pickle, numpy_pickle_utils
    except ImportError:
        raise ImportError("picklegraph.safe_load: this file is a joblib file (its arrays "
                          "follow the pickle, or it is compressed), and joblib is needed "
                          "to read it (pip install joblib)") from None
    import inspect

    takes_byte_order = "ensure_native_byte_order" in inspect.signature(
        numpy_pickle.NumpyUnpickler.__init__).parameters

    class Unpickler(numpy_pickle.NumpyUnpickler):  # type: ignore[misc]
        dispatch = numpy_pickle.NumpyUnpickler.dispatch.copy()

        def find_class(self, module: str, name: str) -> Any:
            return lookups.find_class(self, module, name, super().find_class)

        def load_build(self) -> None:
            # Arrays of objects are a pickle after the wrapper: joblib before 1.5 reads it
            # with pickle.load; read it with this lock in every version.
            top = self.stack[-2] if len(self.stack) >= 2 else None
            if isinstance(top, numpy_pickle.NumpyArrayWrapper):
                state = self.stack[-1]
                dtype = state.get("dtype") if isinstance(state, dict) else None
                if getattr(dtype, "hasobject", False):
                    self.stack.pop()
                    self.stack.pop()
                    nested = _PurePythonAllowListUnpickler(self.file_handle, lookups,
                                                           **pickle_options)
                    self.stack.append(nested.load())
                    return
            numpy_pickle.NumpyUnpickler.load_build(self)

        dispatch[pickle.BUILD[0]] = load_build

    # A memory map is made from the file on disk, as joblib.load makes it, so the pickle
    # is read from that file too, after a check that it holds the bytes the scan read.
    with _stream(data, path if mmap_mode is not None else None) as stream:
        opener = getattr(numpy_pickle_utils, "_validate_fileobject_and_memmap", None) \
            or numpy_pickle_utils._read_fileobject
        with opener(stream, path or "", mmap_mode) as opened:
            fobj, mode = opened if isinstance(opened, tuple) else (opened, mmap_mode)
            if isinstance(fobj, str):
                raise ValueError("picklegraph.safe_load: a joblib file older than joblib "
                                 "0.10 (its arrays in files beside it) is not read")
            if takes_byte_order:
                # joblib.load's "auto": native byte order unless arrays are mapped.
                unpickler = Unpickler(path or "", fobj, mmap_mode is None, mmap_mode=mode)
            else:
                unpickler = Unpickler(path or "", fobj, mmap_mode=mode)
            return unpickler.load()


class _OldWrapper:
    """joblib < 0.10's ``NDArrayWrapper`` / ``ZNDArrayWrapper``, as data: what the
    pickle gives it (``filename``, and ``subclass`` and ``allow_mmap``, or ``init_args``
    and ``state``) is read by :func:`_side_array`, never by joblib's own ``read``."""

    compressed = False

    def __init__(self, *args: Any) -> None:  # protocol 0/1 instances pass no arguments
        pass


class _OldZWrapper(_OldWrapper):
    compressed = True


_OLD_WRAPPER_CLASSES = {("joblib.numpy_pickle", "NDArrayWrapper"): _OldWrapper,
                        ("joblib.numpy_pickle", "ZNDArrayWrapper"): _OldZWrapper}


def _read_zfile(data: bytes, what: str) -> bytes:
    """A Z-file's bytes, as joblib's ``read_zfile`` reads them: the stated length (hex,
    padded with blanks; one blank more from joblib <= 0.8.4 on Python 2), then zlib,
    inflated to exactly that length and no more."""
    import zlib

    header = data[len(_ZFILE_PREFIX):len(_ZFILE_PREFIX) + _ZFILE_LENGTH]
    try:
        length = int(header, 16)
    except ValueError:
        raise ValueError(f"picklegraph.safe_load: {what} is no Z-file (no length after ZF)") \
            from None
    start = len(_ZFILE_PREFIX) + _ZFILE_LENGTH
    if data[start:start + 1] == b" ":
        start += 1
    inflate = zlib.decompressobj()
    try:
        out = inflate.decompress(data[start:], length)
    except zlib.error as error:
        raise ValueError(f"picklegraph.safe_load: {what}: {error}") from None
    if len(out) != length or inflate.unconsumed_tail:
        raise ValueError(f"picklegraph.safe_load: {what} does not inflate to the "
                         f"{length} bytes it states")
    return out


def _side_file(directory: Optional[str], name: Any) -> str:
    """The path of a file named in the pickle, refused unless it is a plain name of a
    file in ``directory`` (no separator, no ``..``, no link out of the folder)."""
    if directory is None:
        raise ValueError("picklegraph.safe_load: this joblib file (joblib < 0.10) keeps its "
                         "arrays in files beside it: give safe_load its path")
    if not isinstance(name, str) or name in ("", ".", "..") \
            or any(c in name for c in ("\0", "/", "\\", os.sep, os.altsep or "/")):
        raise ValueError(f"picklegraph.safe_load: the array file {name!r} is not a plain "
                         "name in the pickle's folder; nothing outside it is read")
    folder = os.path.realpath(directory)
    path = os.path.realpath(os.path.join(folder, name))
    if os.path.dirname(path) != folder:
        raise ValueError(f"picklegraph.safe_load: the array file {name!r} leads outside "
                         "the pickle's folder; nothing outside it is read")
    return path


def _side_array(np: Any, wrapper: _OldWrapper, directory: Optional[str],
                mmap_mode: Optional[str]) -> Any:
    """The array an old wrapper stands for, read as joblib's compat ``read`` reads it,
    but with numpy's ``allow_pickle=False``: an array of objects there would be a pickle
    that no scan has seen."""
    state = vars(wrapper)
    path = _side_file(directory, state.get("filename"))
    core = np._core if hasattr(np, "_core") else np.core  # numpy 2, numpy 1
    reconstruct = core.multiarray._reconstruct
    if wrapper.compressed:
        init_args, array_state = state.get("init_args"), state.get("state")
        if not isinstance(init_args, tuple) or not isinstance(array_state, tuple) \
                or len(array_state) != 4 or getattr(array_state[2], "hasobject", True):
            raise ValueError("picklegraph.safe_load: a ZNDArrayWrapper that is not "
                             "(subclass, shape, dtype) of an array of numbers")
        with io.open(path, "rb") as handle:
            raw = _read_zfile(handle.read(), state["filename"])
        array = reconstruct(*init_args)
        array.__setstate__(array_state + (raw,))
        return array
    allow_mmap = state.get("allow_mmap", True)
    try:
        array = np.load(path, allow_pickle=False,
                        mmap_mode=mmap_mode if allow_mmap else None)
    except ValueError as error:
        raise ValueError(f"picklegraph.safe_load: {state['filename']}: {error}") from None
    if sys.byteorder == "big" and array.dtype.byteorder == "<":
        array = array.byteswap().view(array.dtype.newbyteorder("="))
    subclass = state.get("subclass")
    if hasattr(array, "__array_prepare__") and subclass not in (np.ndarray, np.memmap):
        return reconstruct(subclass, (0,), "b").__array_prepare__(array)
    return array


def _load_old_joblib(data: bytes, lookups: _Lookups, mmap_mode: Optional[str] = None,
                     path: Optional[str] = None, **pickle_options: Any) -> Any:
    """A joblib file of joblib < 0.10, as ``joblib.load`` reads it today
    (``numpy_pickle_compat``): the pickle (inflated from its Z-file when compressed), in
    which each wrapper becomes the array read from the file it names beside the pickle.
    Only files in the pickle's own folder are read; numpy and not joblib reads them."""
    np = _numpy()
    if data.startswith(_ZFILE_PREFIX):
        data = _read_zfile(data, "the pickle")
        mmap_mode = None  # joblib maps nothing of a compressed file
    directory = os.path.dirname(os.path.abspath(path)) if path is not None else None

    class Unpickler(_PurePythonAllowListUnpickler):
        dispatch = _PurePythonAllowListUnpickler.dispatch.copy()

        def find_class(self, module: str, name: str) -> Any:
            stand_in = _OLD_WRAPPER_CLASSES.get((module, name))
            if stand_in is None:
                return super().find_class(module, name)
            if lookups.judge(module, name) is not True:
                raise _refuse(module, name)
            return stand_in

        def load_build(self) -> None:
            pickle._Unpickler.load_build(self)  # type: ignore[attr-defined]
            if isinstance(self.stack[-1], _OldWrapper):
                self.stack[-1] = _side_array(np, self.stack[-1], directory, mmap_mode)

        dispatch[pickle.BUILD[0]] = load_build

    return Unpickler(io.BytesIO(data), lookups, **pickle_options).load()


def _stream(data: bytes, path: Optional[str]) -> IO[bytes]:
    """The bytes the scan read, as a file: the file at ``path`` when one is given (a
    memory map needs it), refused if it no longer holds them."""
    if path is None:
        return io.BytesIO(data)
    handle = io.open(path, "rb")
    # Compared a chunk at a time: a second copy of the file would undo what a memory map
    # saves.
    view, at = memoryview(data), 0
    while True:
        chunk = handle.read(1 << 20)
        if not chunk or view[at:at + len(chunk)] != chunk:
            break
        at += len(chunk)
    if chunk or at != len(data):
        handle.close()
        raise ValueError(f"picklegraph.safe_load: {path} changed after it was scanned")
    handle.seek(0)
    return handle


# --- numpy -----------------------------------------------------------------------------


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:
        raise ImportError("picklegraph.safe_load: this file is a numpy .npy or .npz, and "
                          "numpy is needed to make its arrays (pip install numpy)") from None
    return numpy


def _load_npy(data: bytes, lookups: _Lookups, mmap_mode: Optional[str] = None,
              path: Optional[str] = None, **pickle_options: Any) -> Any:
    np = _numpy()
    stream = io.BytesIO(data)
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        _, _, dtype = np.lib.format.read_array_header_1_0(stream)
    elif version == (2, 0):
        _, _, dtype = np.lib.format.read_array_header_2_0(stream)
    else:
        dtype = None  # version 3.0 (a utf-8 header): numpy.load reads it below
    if mmap_mode is not None:
        if dtype is not None and dtype.hasobject:
            raise ValueError("Array can't be memory-mapped: Python objects in dtype.")
        # numpy maps only a file on disk, and says so for bytes in memory.
        source = path if path is not None else io.BytesIO(data)
        if path is not None:
            with _stream(data, path):
                pass
        return np.load(source, allow_pickle=False, mmap_mode=mmap_mode)
    if dtype is None or not dtype.hasobject:
        try:
            return np.load(io.BytesIO(data), allow_pickle=False)
        except ValueError:
            if dtype is not None:
                raise
            stream = io.BytesIO(data)
            np.lib.format.read_magic(stream)
            header_len = struct.unpack("<I", stream.read(4))[0]
            stream.seek(header_len, io.SEEK_CUR)
    # An array of objects is the pickle of the whole array after the header, as
    # numpy.load reads it.
    return AllowListUnpickler(stream, lookups, **pickle_options).load()


def _load_npz(archive: zipfile.ZipFile, lookups: _Lookups, **pickle_options: Any) -> Any:
    arrays = {}
    for member in archive.namelist():
        if member.endswith(".npy"):
            arrays[member[: -len(".npy")]] = _load_npy(archive.read(member), lookups,
                                                      None, None, **pickle_options)
    return arrays
