"""joblib files written before joblib 0.10 (arrays in files beside the pickle, named by an
NDArrayWrapper; compressed, a Z-file pickle and ZNDArrayWrappers over Z-files of raw
bytes), which current joblib.load still reads: scan passes them (the wrappers are data),
show and open list their arrays, safe_load returns what joblib.load returns; hostile
variants (a side file outside the folder, missing, holding a pickle, a Z-file that lies)
are refused with a clear error, nothing outside the file's folder read, nothing run."""

import io
import json
import os
import pickle
import shutil
import warnings
import zlib

import pytest

import picklegraph
from conftest import FIXTURES, run_command

np = pytest.importorskip("numpy", reason="numpy is not installed")
CONTAINERS = FIXTURES / "containers"
OLD = [CONTAINERS / "joblib_0.9.pkl", CONTAINERS / "joblib_0.9_zlib.pkl"]
HAS_JOBLIB = __import__("importlib").util.find_spec("joblib") is not None
needs_joblib = pytest.mark.skipif(not HAS_JOBLIB, reason="joblib is not installed")


def _joblib_load(path, **kwargs):
    import joblib
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "generated with a joblib version less than 0.10"
        return joblib.load(path, **kwargs)


@needs_joblib
@pytest.mark.parametrize("path", OLD, ids=lambda p: p.name)
@pytest.mark.parametrize("mmap_mode", [None, "r"])
def test_safe_load_returns_what_joblib_load_returns(path, mmap_mode):
    from test_safe_load_formats import _same

    theirs = _joblib_load(path, mmap_mode=mmap_mode)
    ours = picklegraph.safe_load(path, mmap_mode=mmap_mode)
    assert list(ours) == list(theirs)
    for key in theirs:
        assert type(ours[key]) is type(theirs[key]), key
        if isinstance(theirs[key], np.ndarray):
            assert ours[key].flags.f_contiguous == theirs[key].flags.f_contiguous, key
    _same(ours, theirs)
    with open(path, "rb") as file:  # a file object opened from the path: its name
        _same(picklegraph.safe_load(file), _joblib_load(path))


@pytest.mark.parametrize("path", OLD, ids=lambda p: p.name)
def test_scan_passes_the_wrappers_as_data_and_is_the_commands(path):
    report = picklegraph.scan(path)
    assert report.passed, report.to_json()
    names = {f.name for f in report.findings}
    assert names & {"joblib.numpy_pickle.NDArrayWrapper", "joblib.numpy_pickle.ZNDArrayWrapper"}
    done = run_command("scan", "--json", str(path))
    assert done.returncode == 0
    expected = json.loads(done.stdout)
    expected.pop("file")
    assert report.to_dict() == expected


@pytest.mark.parametrize("path", OLD, ids=lambda p: p.name)
def test_show_is_the_commands_and_names_each_arrays_file(path):
    text = picklegraph.show(path)
    done = run_command("show", str(path), env={"COLUMNS": "100", "NO_COLOR": "1"})
    assert done.returncode == 0 and text == done.stdout.decode()
    for index in (1, 2, 3):
        assert f"{path.name}_{index:02}.npy" in text
    if "zlib" in path.name:  # a ZNDArrayWrapper's pickle says dtype and shape
        assert f"'ids': ndarray(\n    int64,\n    (2, 3),\n    Fortran order,\n    48 B,\n" \
            f"  ) data in the file \"{path.name}_02.npy.z\"" in text


@needs_joblib
@pytest.mark.parametrize("path", OLD, ids=lambda p: p.name)
def test_open_lists_each_array_with_its_file_as_joblib_load_builds_it(path):
    theirs = _joblib_load(path)
    archive = picklegraph.open(path)
    tensors = archive.tensors()
    arrays = {k: v for k, v in theirs.items() if isinstance(v, np.ndarray) and not v.dtype.hasobject}
    assert [t.name for t in tensors] == list(arrays)
    for tensor in tensors:
        array = arrays[tensor.name]
        assert (np.dtype(tensor.descr), tensor.shape) == (array.dtype, array.shape)
        assert tensor.file == f"{path.name}_{tensors.index(tensor) + 1:02}.npy" + \
            (".z" if "zlib" in path.name else "")
        if tensor.byte_range is None:  # a Z-file: compressed
            assert "zlib" in path.name
            continue
        side = (path.parent / tensor.file).read_bytes()
        start, end = tensor.byte_range
        assert side[start:end] == array.tobytes(order="A")
        got = archive.array(tensor.name)
        assert np.array_equal(got, array) and got.flags.f_contiguous == array.flags.f_contiguous


def test_open_refuses_a_side_file_outside_the_folder(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (tmp_path / "outside.npy").write_bytes(_npy(np.ones(3)))
    for index, name in enumerate(["../outside.npy", str(tmp_path / "outside.npy"), "link.npy"]):
        path = folder / f"case{index}.pkl"
        path.write_bytes(_old_pickle({"a": _Wrapper(filename=name, subclass=np.ndarray,
                                                    allow_mmap=True)}))
        if name == "link.npy":
            os.symlink(tmp_path / "outside.npy", folder / "link.npy")
        with pytest.raises(ValueError, match="nothing outside it is read"):
            picklegraph.open(path)


def test_bytes_alone_cannot_be_loaded_the_arrays_being_beside_the_file():
    with pytest.raises(ValueError, match="give safe_load its path"):
        picklegraph.safe_loads(OLD[0].read_bytes())


# --- hostile variants ---------------------------------------------------------------------


class _Wrapper:
    """Pickled as joblib.numpy_pickle.NDArrayWrapper() with its state (BUILD)."""

    name = "NDArrayWrapper"

    def __init__(self, **state):
        self.__dict__.update(state)

    def __reduce_ex__(self, protocol):
        import sys
        cls = getattr(sys.modules["joblib.numpy_pickle"], self.name)
        return (cls, (), dict(self.__dict__))


class _ZWrapper(_Wrapper):
    name = "ZNDArrayWrapper"


def _old_pickle(value):
    """The pickle of `value`, its wrappers under joblib's names: a stand-in module
    `joblib.numpy_pickle` holds classes of those names while the pickler runs."""
    import sys
    import types
    if HAS_JOBLIB:
        import joblib.numpy_pickle  # noqa: F401  the parent must import before the stand-in
    else:
        sys.modules.setdefault("joblib", types.ModuleType("joblib"))
    real = sys.modules.get("joblib.numpy_pickle")
    stand_in = types.ModuleType("joblib.numpy_pickle")
    for name in ("NDArrayWrapper", "ZNDArrayWrapper"):
        setattr(stand_in, name, type(name, (), {"__module__": "joblib.numpy_pickle"}))
    sys.modules["joblib.numpy_pickle"] = stand_in
    try:
        return pickle.dumps(value, protocol=2)
    finally:
        if real is None:
            del sys.modules["joblib.numpy_pickle"]
        else:
            sys.modules["joblib.numpy_pickle"] = real


def _npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def _payload_array(marker):
    class Boom:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))
    return np.array([Boom()], dtype=object)


def _variants(folder, outside, marker):
    """(name, main pickle's bytes, side files): each must be refused."""
    plain = dict(subclass=np.ndarray, allow_mmap=True)
    state = (1, (2,), np.dtype("<f8"), False)
    good_z = b"ZF" + hex(16).encode().ljust(19) + zlib.compress(bytes(16))
    return [
        ("a side file in the parent folder",
         _old_pickle({"a": _Wrapper(filename="../outside.npy", **plain)}), {}),
        ("an absolute side file",
         _old_pickle({"a": _Wrapper(filename=str(outside / "outside.npy"), **plain)}), {}),
        ("a side file in a subfolder",
         _old_pickle({"a": _Wrapper(filename="sub/x.npy", **plain)}), {"sub/x.npy": _npy(np.ones(2))}),
        ("a link out of the folder",
         _old_pickle({"a": _Wrapper(filename="link.npy", **plain)}), {"link.npy": "LINK"}),
        ("a missing side file",
         _old_pickle({"a": _Wrapper(filename="missing.npy", **plain)}), {}),
        ("a file name that is no str",
         _old_pickle({"a": _Wrapper(filename=7, **plain)}), {}),
        ("a side .npy of objects with a payload",
         _old_pickle({"a": _Wrapper(filename="objects.npy", **plain)}),
         {"objects.npy": _npy(_payload_array(marker))}),
        ("a Z-file whose length lies",
         _old_pickle({"a": _ZWrapper(filename="a.npy.z", init_args=(np.ndarray, (0,), b"b"),
                                     state=state)}),
         {"a.npy.z": b"ZF" + hex(1 << 40).encode().ljust(19) + zlib.compress(bytes(16))}),
        ("a Z-file that is no zlib",
         _old_pickle({"a": _ZWrapper(filename="a.npy.z", init_args=(np.ndarray, (0,), b"b"),
                                     state=state)}),
         {"a.npy.z": b"ZF" + hex(16).encode().ljust(19) + b"not zlib at all"}),
        ("a Z-file of objects",
         _old_pickle({"a": _ZWrapper(filename="a.npy.z", init_args=(np.ndarray, (0,), b"b"),
                                     state=(1, (2,), np.dtype(object), False))}),
         {"a.npy.z": good_z}),
    ]


def test_hostile_old_joblib_files_are_refused_reading_nothing_outside(tmp_path, marker):
    folder, outside = tmp_path / "model", tmp_path / "elsewhere"
    folder.mkdir()
    outside.mkdir()
    # What a side file outside the folder would hold: a pickle that runs a payload.
    for place in (tmp_path / "outside.npy", outside / "outside.npy", outside / "target.npy"):
        place.write_bytes(_npy(_payload_array(marker)))
    for index, (name, main, sides) in enumerate(_variants(folder, outside, marker)):
        case = folder / f"case{index}"
        case.mkdir()
        path = case / "model.pkl"
        path.write_bytes(main)
        for side, data in sides.items():
            (case / side).parent.mkdir(exist_ok=True)
            if data == "LINK":
                os.symlink(outside / "target.npy", case / side)
            else:
                (case / side).write_bytes(data)
        if "objects" in name and "Z-file" not in name:
            # The side file itself, scanned, is dangerous: the pickle numpy would load.
            assert picklegraph.scan(case / "objects.npy").verdict == "dangerous"
        assert picklegraph.scan(path).passed, name  # the main pickle holds only data
        with pytest.raises((ValueError, OSError)) as raised:
            picklegraph.safe_load(path)
        assert "picklegraph" in str(raised.value) or isinstance(raised.value, OSError), name
        assert not marker.exists(), name
        shutil.rmtree(case)
