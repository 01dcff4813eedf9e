"""picklegraph.open on numpy's .npy and .npz files and joblib files: the arrays' names,
dtypes and byte ranges, and arrays memory-mapped over the file equal to what numpy.load
and joblib.load return."""

import numpy as np
import pytest

import picklegraph
from conftest import FIXTURES

CONTAINERS = FIXTURES / "containers"
NPY = sorted(p for p in CONTAINERS.glob("*.npy") if "objects" not in p.name)
NPZ_STORED = sorted(p for p in CONTAINERS.glob("*_arrays.npz"))
NPZ_COMPRESSED = sorted(p for p in CONTAINERS.glob("*_compressed.npz"))
JOBLIB = [FIXTURES / "joblib" / "dict_with_arrays.p4.pkl",
          FIXTURES / "joblib" / "arrays_and_objects.p4.pkl",
          CONTAINERS / "joblib_plain.joblib"]


def _is_mapped(array):
    base = array
    while base is not None:
        if isinstance(base, np.memmap):
            return True
        base = base.base
    return False


def _same(ours, theirs):
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    assert not ours.flags.writeable
    assert ours.tobytes() == theirs.tobytes()
    if ours.size:
        assert _is_mapped(ours), "a copy, not a map of the file"


@pytest.mark.parametrize("path", NPY, ids=lambda p: p.name)
def test_an_npy_array_is_its_file_mapped(path):
    archive = picklegraph.open(path)
    assert archive.format == "npy"
    (tensor,) = archive.tensors()
    expected = np.load(path)
    assert tensor.name == "arr_0" and tensor.shape == expected.shape
    assert tensor.descr is not None
    start, end = tensor.byte_range
    assert end == path.stat().st_size and end - start == expected.nbytes
    _same(archive.array("arr_0"), expected)


@pytest.mark.parametrize("path", NPZ_STORED, ids=lambda p: p.name)
def test_npz_members_are_named_as_numpy_load_names_them(path):
    archive = picklegraph.open(path)
    assert archive.format == "npz"
    with np.load(path) as loaded:
        assert [t.name for t in archive.tensors()] == loaded.files
        for tensor in archive.tensors():
            if tensor.dtype == "object":  # a pickle: numpy loads it only if trusted
                assert tensor.byte_range is None
                continue
            expected = loaded[tensor.name]
            assert tensor.dtype == str(expected.dtype) or tensor.dtype == expected.dtype.str
            _same(archive.array(tensor.name), expected)


@pytest.mark.parametrize("path", NPZ_COMPRESSED, ids=lambda p: p.name)
def test_a_compressed_npz_lists_its_arrays_without_byte_ranges(path):
    archive = picklegraph.open(path)
    with np.load(path) as loaded:
        assert [t.name for t in archive.tensors()] == loaded.files
        for tensor in archive.tensors():
            assert tensor.byte_range is None
            if tensor.dtype == "object":
                continue
            assert tensor.shape == loaded[tensor.name].shape
            with pytest.raises(ValueError, match="compressed"):
                archive.array(tensor.name)


def test_an_object_array_has_no_byte_range():
    archive = picklegraph.open(CONTAINERS / "numpy2_objects.v1.npy")
    (tensor,) = archive.tensors()
    assert tensor.dtype == "object" and tensor.byte_range is None
    with pytest.raises(ValueError, match="objects"):
        archive.array(tensor.name)


def _at(obj, name):
    """The value at a joblib array's place: dict keys and sequence indexes."""
    for part in name.split(".") if name else []:
        obj = obj[int(part)] if isinstance(obj, (list, tuple)) else obj[part]
    return obj


@pytest.mark.parametrize("path", JOBLIB, ids=lambda p: p.name)
def test_joblib_arrays_equal_what_joblib_loads(path):
    joblib = pytest.importorskip("joblib")
    archive = picklegraph.open(path)
    assert archive.format == "joblib"
    loaded = joblib.load(path)
    checked = 0
    for tensor in archive.tensors():
        expected = np.asarray(_at(loaded, tensor.name))
        assert tensor.shape == expected.shape, tensor.name
        if tensor.byte_range is None:
            assert expected.dtype == object
            continue
        array = archive.array(tensor.name)
        _same(array, expected)
        checked += 1
    assert checked > 0


def test_fortran_order_is_kept():
    archive = picklegraph.open(FIXTURES / "joblib" / "arrays_and_objects.p4.pkl")
    fortran = archive.array("fortran")
    assert fortran.flags.f_contiguous and not fortran.flags.c_contiguous
    assert fortran.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
