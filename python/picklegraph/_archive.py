"""``picklegraph.open``: a file's format and its tensors, read without running it."""

from __future__ import annotations

import os
from typing import Any, Dict, List, NamedTuple, Optional, Tuple, Union

from . import _native

# torch's dtype names and numpy's, where numpy has the type.
_NUMPY_DTYPES = {
    "float64": "f8", "float32": "f4", "float16": "f2",
    "int64": "i8", "int32": "i4", "int16": "i2", "int8": "i1",
    "uint64": "u8", "uint32": "u4", "uint16": "u2", "uint8": "u1",
    "bool": "?", "complex128": "c16", "complex64": "c8",
}
# dtypes numpy lacks: ml_dtypes' type when it is installed, else the raw bits as the
# unsigned integer of the same size (the quantized ones as their stored integers).
_ML_DTYPES = {"bfloat16": "bfloat16", "float8_e4m3fn": "float8_e4m3fn",
              "float8_e5m2": "float8_e5m2", "float8_e4m3fnuz": "float8_e4m3fnuz",
              "float8_e5m2fnuz": "float8_e5m2fnuz", "float8_e8m0fnu": "float8_e8m0fnu"}
_RAW_DTYPES = {
    "bfloat16": "u2", "float8_e4m3fn": "u1", "float8_e5m2": "u1", "float8_e4m3fnuz": "u1",
    "float8_e5m2fnuz": "u1", "float8_e8m0fnu": "u1", "complex32": "u4",
    "qint8": "i1", "quint8": "u1", "qint32": "i4", "quint4x2": "u1", "quint2x4": "u1",
    "bits1x8": "u1", "bits2x4": "u1", "bits4x2": "u1", "bits8": "u1", "bits16": "u2",
}


def _descr_dtype(np: Any, descr: str) -> Any:
    """numpy's dtype of an array's description: a type string, or a structured dtype's
    list of fields (read as a literal, never evaluated)."""
    if descr.startswith("["):
        import ast
        return np.lib.format.descr_to_dtype(ast.literal_eval(descr))
    return np.dtype(descr)


def _numpy_dtype(np: Any, name: str, little_endian: bool) -> Any:
    order = "<" if little_endian else ">"
    code = _NUMPY_DTYPES.get(name)
    if code is not None:
        return np.dtype(order + code)
    if name in _ML_DTYPES:
        try:
            import ml_dtypes  # type: ignore[import-not-found]
            return np.dtype(getattr(ml_dtypes, _ML_DTYPES[name])).newbyteorder(order)
        except (ImportError, AttributeError):
            pass
    code = _RAW_DTYPES.get(name)
    if code is None:
        raise ValueError(f"numpy has no dtype {name}")
    return np.dtype(order + code)


class Tensor(NamedTuple):
    """One tensor of a checkpoint, or one array of a numpy or joblib file, as the file
    stores it."""

    name: str
    """The state-dict name (``encoder.weight``); ``arr_0`` for an ``.npy`` file; the
    member's name less ``.npy`` for an ``.npz`` (``np.load(path)[name]``); for a joblib
    file, the array's place in the object (``weights``, ``coef_``; a second array at one
    place gets ``#2``)."""
    dtype: str
    """torch's dtype name (``float32``, ``bfloat16``, ...); numpy's ``str(dtype)`` for a
    numpy or joblib array (``float64``, ``<U3``, ``object``)."""
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
    descr: Optional[str] = None
    """For a numpy or joblib array, numpy's description of its dtype (``<f8``, or a
    structured dtype's list as the ``.npy`` header writes it); None for a tensor."""
    file: Optional[str] = None
    """For an array joblib < 0.10 kept in a file beside the pickle, that file's name
    (``model.pkl_01.npy``; ``byte_range`` is then that file's, or None for a Z-file
    ``.npy.z``, which is compressed); None when the array is in the file itself."""


class Archive:
    """A file opened by :func:`picklegraph.open`: its format and tensors. Nothing in it
    is run; the tensors' bytes are not read until :meth:`array` maps them."""

    path: str
    format: str
    """``torch-zip``, ``torch-legacy``, ``torch-tar`` (torch < 0.4), ``npy``, ``npz``,
    ``joblib``, ``pickle``, or the compressor's name."""

    def __init__(self, path: Union[str, "os.PathLike[str]"]) -> None:
        self.path = os.fsdecode(path)
        self.format, rows = _native.tensors(self.path)
        self._tensors = [Tensor(name, dtype, tuple(shape), tuple(strides), span, little,
                                storage, offset, descr, file)
                         for name, dtype, shape, strides, span, little, storage, offset, descr,
                         file in rows]
        self._by_name: Dict[str, Tensor] = {t.name: t for t in self._tensors}

    def tensors(self) -> List[Tensor]:
        """Every tensor, in the order the pickle names them."""
        return list(self._tensors)

    def array(self, name: str) -> Any:
        """The tensor ``name`` as a read-only numpy array over the file's bytes,
        memory-mapped: nothing is copied and torch is not needed.

        dtypes numpy lacks come as numpy can hold them: ``bfloat16`` and the ``float8``
        types as ``ml_dtypes``' types when ``ml_dtypes`` is installed, else as their raw
        bits (``uint16``, ``uint8``); ``complex32`` as ``uint32`` bits; the quantized and
        bit dtypes as their stored integers. ``.view()`` turns raw bits into another
        type of the same size.

        An array of a numpy or joblib file comes with its own dtype (``tensor.descr``),
        in C or Fortran order as stored.

        :raises KeyError: no tensor of that name.
        :raises ValueError: its bytes are compressed (a deflated storage, an
            ``np.savez_compressed`` member) or are no elements (an array of objects,
            which is a pickle: load it with :func:`picklegraph.loads`).
        """
        import numpy as np

        tensor = self._by_name[name]
        if tensor.byte_range is None:
            raise ValueError(f"{name}: its elements are compressed, outside the file, "
                             "or Python objects (a pickle)")
        if tensor.descr is not None:
            dtype = _descr_dtype(np, tensor.descr)
        else:
            dtype = _numpy_dtype(np, tensor.dtype, tensor.little_endian)
        start, end = tensor.byte_range
        if tensor.descr is not None:
            # An array's bytes run to the end of its file or member: take its elements'.
            count = 1
            for extent in tensor.shape:
                count *= extent
            if count * dtype.itemsize > end - start:
                raise ValueError(f"{name}: the file holds fewer bytes than its shape needs")
            end = start + count * dtype.itemsize
        if end == start or 0 in tensor.shape:
            empty = np.empty(tensor.shape, dtype=dtype)
            empty.flags.writeable = False
            return empty
        path = self.path
        if tensor.file is not None:
            # A plain name, checked by the library, in the folder of this file.
            path = os.path.join(os.path.dirname(self.path), os.path.basename(tensor.file))
        base = np.memmap(path, dtype=np.uint8, mode="r", offset=start, shape=(end - start,))
        strides = tuple(step * dtype.itemsize for step in tensor.strides)
        view = np.lib.stride_tricks.as_strided(base.view(dtype), shape=tensor.shape,
                                               strides=strides, writeable=False)
        return view

    def __repr__(self) -> str:
        return f"<picklegraph.Archive {self.path!r} format={self.format!r} tensors={len(self._tensors)}>"


def open(path: Union[str, "os.PathLike[str]"]) -> Archive:  # noqa: A001 - the API's name
    """Opens a model file (a PyTorch checkpoint, zip, legacy or tar; a numpy ``.npy`` or
    ``.npz``; a joblib file) or a pickle without running it: :attr:`Archive.format`,
    :meth:`Archive.tensors` (name, dtype, shape, strides, byte range) and
    :meth:`Archive.array` (numpy, memory-mapped)."""
    return Archive(path)
