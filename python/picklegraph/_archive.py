"""``picklegraph.open``: a file's format and its tensors, read without running it."""

from __future__ import annotations

import os
from typing import Any, Dict, List, NamedTuple, Optional, Tuple, Union

from . import _native

# torch's dtype names and numpy's, where numpy has the type (no bfloat16, no float8).
_NUMPY_DTYPES = {
    "float64": "f8", "float32": "f4", "float16": "f2",
    "int64": "i8", "int32": "i4", "int16": "i2", "int8": "i1",
    "uint64": "u8", "uint32": "u4", "uint16": "u2", "uint8": "u1",
    "bool": "?", "complex128": "c16", "complex64": "c8",
}


class Tensor(NamedTuple):
    """One tensor of a checkpoint, as the file stores it."""

    name: str
    """The state-dict name (``encoder.weight``)."""
    dtype: str
    """torch's dtype name (``float32``, ``bfloat16``, ...)."""
    shape: Tuple[int, ...]
    """The size of each dimension."""
    strides: Tuple[int, ...]
    """The step between elements of each dimension, in elements."""
    byte_range: Optional[Tuple[int, int]]
    """The file's bytes from the first element to the end of the last, or None where the
    storage is compressed (a deflated zip record) or lies outside the file."""
    little_endian: bool
    """Whether the elements are little-endian."""
    storage: str
    """The storage's name (``data/0`` in a zip, its key in a legacy file)."""
    storage_offset: int
    """The first element's place in the storage, in elements."""


class Archive:
    """A file opened by :func:`picklegraph.open`: its format and tensors. Nothing in it
    is run; the tensors' bytes are not read until :meth:`array` maps them."""

    path: str
    format: str
    """``torch-zip``, ``torch-legacy``, ``pickle``, or the compressor's name."""

    def __init__(self, path: Union[str, "os.PathLike[str]"]) -> None:
        self.path = os.fsdecode(path)
        self.format, rows = _native.tensors(self.path)
        self._tensors = [Tensor(name, dtype, tuple(shape), tuple(strides), span, little,
                                storage, offset)
                         for name, dtype, shape, strides, span, little, storage, offset in rows]
        self._by_name: Dict[str, Tensor] = {t.name: t for t in self._tensors}

    def tensors(self) -> List[Tensor]:
        """Every tensor, in the order the pickle names them."""
        return list(self._tensors)

    def array(self, name: str) -> Any:
        """The tensor ``name`` as a read-only numpy array over the file's bytes,
        memory-mapped: nothing is copied and torch is not needed.

        :raises KeyError: no tensor of that name.
        :raises ValueError: its bytes are compressed, or numpy has no such dtype.
        """
        import numpy as np

        tensor = self._by_name[name]
        if tensor.byte_range is None:
            raise ValueError(f"{name}: its storage is compressed or outside the file")
        code = _NUMPY_DTYPES.get(tensor.dtype)
        if code is None:
            raise ValueError(f"{name}: numpy has no dtype {tensor.dtype}")
        dtype = np.dtype(("<" if tensor.little_endian else ">") + code)
        start, end = tensor.byte_range
        if end == start or 0 in tensor.shape:
            empty = np.empty(tensor.shape, dtype=dtype)
            empty.flags.writeable = False
            return empty
        base = np.memmap(self.path, dtype=np.uint8, mode="r", offset=start, shape=(end - start,))
        strides = tuple(step * dtype.itemsize for step in tensor.strides)
        view = np.lib.stride_tricks.as_strided(base.view(dtype), shape=tensor.shape,
                                               strides=strides, writeable=False)
        return view

    def __repr__(self) -> str:
        return f"<picklegraph.Archive {self.path!r} format={self.format!r} tensors={len(self._tensors)}>"


def open(path: Union[str, "os.PathLike[str]"]) -> Archive:  # noqa: A001 - the API's name
    """Opens a model file (a PyTorch checkpoint, zip or legacy) or a pickle without
    running it: :attr:`Archive.format`, :meth:`Archive.tensors` (name, dtype, shape,
    strides, byte range) and :meth:`Archive.array` (numpy, memory-mapped)."""
    return Archive(path)
