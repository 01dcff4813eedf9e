"""safe_load of files a library's own loader reads (PyTorch checkpoints, joblib files,
.npy/.npz), and the names the scan passes only for their arguments (getattr, type,
torch.storage._load_from_bytes): each compared with the library's own loader on the
committed fixtures, and each hostile variant refused having run nothing."""

import importlib.util
import io
import os
import pickle
import zoneinfo

import pytest

import picklegraph
from picklegraph import _native
from conftest import FIXTURES

ZOO = FIXTURES / "zoo"
CONTAINERS = FIXTURES / "containers"
HAS_TORCH = importlib.util.find_spec("torch") is not None
HAS_JOBLIB = importlib.util.find_spec("joblib") is not None
HAS_NUMPY = importlib.util.find_spec("numpy") is not None
needs_torch = pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed (CI has none): "
                                 "run in the zoo's torch venv")
needs_joblib = pytest.mark.skipif(not HAS_JOBLIB or not HAS_NUMPY,
                                  reason="joblib and numpy are not installed")
needs_numpy = pytest.mark.skipif(not HAS_NUMPY, reason="numpy is not installed")

# Every torch checkpoint of the zoo (zip, legacy, TorchScript), state dicts and whole
# modules alike; the user's own class (models.TinyMLP) is what the scan refuses.
TORCH_FILES = sorted(p for p in (ZOO / "torch").rglob("*") if p.suffix in (".pt", ".pth"))
TORCH_USER_CLASSES = {"mlp_module.pt", "mlp_module_legacy.pt", "cnn_module.pt",
                      "lstm_module.pt", "lstm_module_legacy.pt"}
TORCH_PICKLED = [ZOO / "torch" / "torch" / name for name in [
    "tensor_pickle_dumps.pkl", "parameter_pickle_dumps.pkl", "state_dict_pickle_dumps.pkl"]]


def _same(ours, theirs, path="root"):
    """Deep equality: tensors by type, dtype, shape, stride and element bytes; numpy
    arrays by dtype, shape and elements; other objects by type and attributes."""
    assert type(ours) is type(theirs), f"{path}: {type(ours)} != {type(theirs)}"
    if HAS_TORCH:
        import torch
        if isinstance(theirs, torch.Tensor):
            assert (ours.dtype, ours.shape, ours.stride(), ours.storage_offset(),
                    ours.requires_grad) == (theirs.dtype, theirs.shape, theirs.stride(),
                                            theirs.storage_offset(), theirs.requires_grad), path
            assert _tensor_bytes(ours) == _tensor_bytes(theirs), path
            return
    if HAS_NUMPY:
        import numpy as np
        if isinstance(theirs, np.ndarray):
            assert (ours.dtype, ours.shape) == (theirs.dtype, theirs.shape), path
            if theirs.dtype.hasobject:
                for index, (a, b) in enumerate(zip(ours.ravel(), theirs.ravel())):
                    _same(a, b, f"{path}[{index}]")
            elif theirs.dtype.names:  # by field: the padding between fields is not data
                for field in theirs.dtype.names:
                    assert ours[field].tobytes() == theirs[field].tobytes(), f"{path}.{field}"
            else:
                assert ours.tobytes() == theirs.tobytes(), path
            return
    if isinstance(theirs, dict):
        assert list(ours) == list(theirs), path
        for key in theirs:
            _same(ours[key], theirs[key], f"{path}[{key!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert len(ours) == len(theirs), path
        for index, (a, b) in enumerate(zip(ours, theirs)):
            _same(a, b, f"{path}[{index}]")
    elif hasattr(theirs, "__dict__") and not isinstance(theirs, type):
        _same(vars(ours), vars(theirs), f"{path}.__dict__")
    elif type(theirs).__eq__ is object.__eq__ and type(theirs).__reduce__ is not object.__reduce__:
        # An extension type without __dict__ (scikit-learn's Tree): its pickled state.
        _same(ours.__reduce__()[1:], theirs.__reduce__()[1:], f"{path}.__reduce__")
    else:
        assert ours == theirs or (ours != ours and theirs != theirs), path


def _tensor_bytes(tensor):
    flat = tensor.detach().contiguous().reshape(-1)
    return bytes(flat.view(__import__("torch").uint8).numpy()) if flat.numel() else b""


@needs_torch
@pytest.mark.parametrize("path", TORCH_FILES, ids=lambda p: p.name)
def test_a_torch_checkpoint_loads_as_torch_load(path, monkeypatch):
    import torch

    allow = []
    if path.name == "mlp_torchscript.pt":
        with pytest.raises(picklegraph.UnsafePickleError, match="__torch__.models"):
            picklegraph.safe_load(open(path, "rb"))
        with pytest.raises(ValueError, match="TorchScript"):
            picklegraph.safe_load(open(path, "rb"), allow=["__torch__.*"])
        return
    if path.name in TORCH_USER_CLASSES:
        # The zoo writer's own module classes: refused, until the user allows them.
        with pytest.raises(picklegraph.UnsafePickleError, match="not on the allow list: models"):
            picklegraph.safe_load(open(path, "rb"))
        monkeypatch.syspath_prepend(str(ZOO / "writers"))
        allow = ["models.*"]
    with open(path, "rb") as file:
        ours = picklegraph.safe_load(file, allow=allow)
    try:
        theirs = torch.load(path, weights_only=True, map_location="cpu")
    except pickle.UnpicklingError:
        # A whole module, which weights_only refuses: torch's full loader on this
        # committed fixture, compared by class and state dict.
        theirs = torch.load(path, weights_only=False, map_location="cpu")
        assert type(ours) is type(theirs)
        ours, theirs = ours.state_dict(), theirs.state_dict()
    _same(ours, theirs)


def _storage_pointers(value, found):
    """Each tensor's storage's address, depth first in the order torch.load builds them."""
    import torch
    if isinstance(value, torch.Tensor):
        found.append(value.untyped_storage().data_ptr())
    elif isinstance(value, dict):
        for item in value.values():
            _storage_pointers(item, found)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _storage_pointers(item, found)
    return found


@needs_torch
@pytest.mark.parametrize("path", [p for p in TORCH_FILES if p.name not in TORCH_USER_CLASSES
                                  and p.name != "mlp_torchscript.pt"], ids=lambda p: p.name)
def test_mmap_maps_a_zip_checkpoints_storages_as_torch_load_does(path):
    import torch

    legacy = not path.read_bytes().startswith(b"PK")
    if legacy:
        # torch refuses, and says why; so does safe_load, with torch's error.
        with pytest.raises(RuntimeError) as theirs:
            torch.load(path, mmap=True, weights_only=True)
        with pytest.raises(RuntimeError) as ours:
            picklegraph.safe_load(path, mmap=True)
        assert str(ours.value) == str(theirs.value)
        return
    ours = picklegraph.safe_load(path, mmap=True)
    try:
        theirs = torch.load(path, mmap=True, weights_only=True, map_location="cpu")
    except pickle.UnpicklingError:
        # A whole module of torch's own layers (committed, written by the zoo): torch's
        # full loader, compared by class and state dict.
        theirs = torch.load(path, mmap=True, weights_only=False, map_location="cpu")
        assert type(ours) is type(theirs)
        ours, theirs = ours.state_dict(), theirs.state_dict()
    _same(ours, theirs)
    # Mapped, not read: each storage lies inside one mapping of the file, at the same
    # offsets from its start as torch's storages lie from theirs.
    size = path.stat().st_size
    for found in (_storage_pointers(ours, []), _storage_pointers(theirs, [])):
        assert found and max(found) - min(found) < size
    ours_at, theirs_at = _storage_pointers(ours, []), _storage_pointers(theirs, [])
    assert [p - min(ours_at) for p in ours_at] == [p - min(theirs_at) for p in theirs_at]
    # Only for a path, as torch.load: a file object or bytes raise torch's ValueError.
    with open(path, "rb") as file:
        with pytest.raises(ValueError, match="f must be a file path"):
            torch.load(file, mmap=True, weights_only=True)
        file.seek(0)
        with pytest.raises(ValueError, match="f must be a file path"):
            picklegraph.safe_load(file, mmap=True)
    with pytest.raises(ValueError, match="f must be a file path"):
        picklegraph.safe_loads(path.read_bytes(), mmap=True)


@needs_torch
def test_mmap_refuses_a_file_that_changed_after_the_scan(tmp_path, monkeypatch):
    import torch

    path = tmp_path / "model.pt"
    torch.save({"w": torch.arange(4.0)}, path)
    real_open = io.open
    calls = []

    def changed_after_first_read(file, *args, **kwargs):
        # The first read is the scan's; the check before mapping reads it again.
        calls.append(file)
        if len(calls) == 2:
            torch.save({"w": torch.arange(5.0)}, path)
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(io, "open", changed_after_first_read)
    with pytest.raises(ValueError, match="changed after it was scanned"):
        picklegraph.safe_load(path, mmap=True)


def test_every_zoo_state_dict_is_among_the_checkpoints_tested():
    names = {p.name for p in TORCH_FILES}
    for name in ["mlp_state_dict.pt", "mlp_state_dict_legacy.pt", "adam_state.pt",
                 "training_checkpoint.pth", "transformer_state_dict_legacy.pt",
                 "bert_state_dict.pt", "tensors.pt"]:
        assert name in names


@needs_torch
@pytest.mark.parametrize("path", TORCH_PICKLED, ids=lambda p: p.name)
def test_pickle_dumps_of_tensors_loads_its_nested_checkpoints(path):
    data = path.read_bytes()
    theirs = pickle.loads(data)  # a committed fixture: trusted
    _same(picklegraph.safe_loads(data), theirs)


@needs_torch
def test_a_tensor_pickled_now_loads_shared_storages_kept():
    import torch

    base = torch.arange(12, dtype=torch.float64).reshape(3, 4)
    value = {"t": base.t(), "row": base[1], "p": torch.nn.Parameter(torch.ones(2))}
    for protocol in (2, 4, 5):
        ours = picklegraph.safe_loads(pickle.dumps(value, protocol=protocol))
        _same(ours, pickle.loads(pickle.dumps(value, protocol=protocol)))


@needs_torch
@pytest.mark.parametrize("legacy", [False, True])
def test_a_checkpoint_saved_now_loads_views_and_dtypes(tmp_path, legacy):
    import torch

    big = torch.arange(24, dtype=torch.int16).reshape(2, 3, 4)
    value = {"view": big[:, 1:], "half": torch.ones(3, dtype=torch.float16),
             "bool": torch.tensor([True, False]), "empty": torch.empty(0, 5),
             "bf16": torch.linspace(0, 1, 5, dtype=torch.bfloat16),
             "complex": torch.tensor([1 + 2j]), "scalar": torch.tensor(7)}
    path = tmp_path / "model.pt"
    torch.save(value, path, _use_new_zipfile_serialization=not legacy)
    _same(picklegraph.safe_load(io.BytesIO(path.read_bytes())),
          torch.load(path, weights_only=True))


def test_a_torch_checkpoint_without_torch_says_so(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("No module named 'torch'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    for path in (ZOO / "torch" / "torch" / "mlp_state_dict.pt",
                 ZOO / "torch" / "torch" / "mlp_state_dict_legacy.pt"):
        with pytest.raises(ImportError, match="torch is needed"):
            picklegraph.safe_load(open(path, "rb"))


def test_a_hostile_checkpoint_is_refused_before_torch_is_needed(tmp_path, marker):
    import zipfile

    path = tmp_path / "evil.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("evil/data.pkl", f"cos\nsystem\n(S'touch {marker}'\ntR.")
        archive.writestr("evil/byteorder", "little")
    with pytest.raises(picklegraph.UnsafePickleError):
        picklegraph.safe_load(open(path, "rb"))


def test_a_nested_checkpoint_with_a_payload_is_refused(marker):
    # torch.storage._load_from_bytes of bytes that hold os.system: the scan opens the
    # nested pickle and refuses the file; the guard would load it through safe_loads.
    nested = f"cos\nsystem\n(S'touch {marker}'\ntR.".encode()
    data = pickle.dumps(None, protocol=2)[:2] + b"ctorch.storage\n_load_from_bytes\n" + \
        b"C" + bytes([len(nested)]) + nested + b"\x85R."
    with pytest.raises(picklegraph.UnsafePickleError):
        picklegraph.safe_loads(data)


# --- joblib and numpy --------------------------------------------------------------------


JOBLIB_FILES = sorted(CONTAINERS.glob("*.joblib")) + sorted(ZOO.glob("*/*/*.joblib"))
NUMPY_FILES = sorted(CONTAINERS.glob("*.npy")) + sorted(CONTAINERS.glob("*.npz")) \
    + sorted(ZOO.glob("*/numpy/*.npy"))


def _library_load(load, path):
    """The library's own load of a committed fixture, or a skip when this environment
    cannot build what it holds (a zoo stack's library missing or another version)."""
    try:
        return load(path)
    except (ImportError, AttributeError, TypeError, ValueError) as error:
        pytest.skip(f"this environment cannot load it with the library either: {error}")


@needs_joblib
@pytest.mark.parametrize("path", JOBLIB_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_a_joblib_file_loads_as_joblib_load(path):
    import joblib

    theirs = _library_load(joblib.load, path)
    with open(path, "rb") as file:
        _same(picklegraph.safe_load(file), theirs)


@needs_numpy
@pytest.mark.parametrize("path", NUMPY_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_an_npy_or_npz_file_loads_as_numpy_load(path):
    import numpy as np

    def load(path):
        loaded = np.load(path, allow_pickle=True)
        return dict(loaded) if path.suffix == ".npz" else loaded

    theirs = _library_load(load, path)
    _same(picklegraph.safe_loads(path.read_bytes()), theirs)


@needs_joblib
def test_an_object_array_in_a_joblib_file_goes_through_the_lock(tmp_path, marker):
    import joblib
    import numpy as np

    path = tmp_path / "objects.joblib"
    joblib.dump({"a": np.array([1, "x", None], dtype=object)}, path)
    _same(picklegraph.safe_load(open(path, "rb")), joblib.load(path))
    # The nested pickle of the object array, swapped for a payload: refused by the scan.
    data = path.read_bytes()
    inners = [pickle.dumps(np.array([1, "x", None], dtype=object), protocol=protocol)
              for protocol in range(2, 6)]
    inner = next(inner for inner in inners if data.find(inner) > 0)
    start = data.find(inner)
    payload = f"cos\nsystem\n(S'touch {marker}'\ntR.".encode()
    with pytest.raises(picklegraph.UnsafePickleError):
        picklegraph.safe_loads(data[:start] + payload + data[start + len(inner):])


@needs_numpy
def test_an_object_npy_with_a_payload_is_refused(tmp_path, marker):
    import numpy as np

    path = tmp_path / "objects.npy"
    np.save(path, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    _same(picklegraph.safe_loads(path.read_bytes()), np.load(path, allow_pickle=True))
    header_end = path.read_bytes().index(b"\n") + 1
    payload = f"cos\nsystem\n(S'touch {marker}'\ntR.".encode()
    with pytest.raises(picklegraph.UnsafePickleError):
        picklegraph.safe_loads(path.read_bytes()[:header_end] + payload)


# --- names judged by their arguments -----------------------------------------------------


@pytest.mark.parametrize("protocol", [0, 2, 4])
def test_a_zoneinfo_loads_through_the_getattr_guard(protocol):
    value = [zoneinfo.ZoneInfo("UTC"), zoneinfo.ZoneInfo("UTC")]
    data = pickle.dumps(value, protocol=protocol)
    assert picklegraph.safe_loads(data) == pickle.loads(data)


PANDAS_TZ = [ZOO / "current" / "pandas" / name for name in [
    "column_datetime_tz.pkl", "series_datetime_tz.pkl", "timestamp_tz.pkl"]] + [
    ZOO / "current" / "stdlib" / name for name in ["zoneinfo.pkl", "datetime_zoneinfo.pkl"]]


@pytest.mark.parametrize("path", PANDAS_TZ, ids=lambda p: p.name)
def test_pandas_3_tz_aware_values_load(path):
    if "pandas" in path.parts:
        pandas = pytest.importorskip("pandas", reason="pandas is not installed")
        if int(pandas.__version__.split(".")[0]) < 3:
            pytest.skip("written by pandas 3; run in the zoo's current venv")
    data = path.read_bytes()
    _same_value(picklegraph.safe_loads(data), pickle.loads(data))


def _same_value(ours, theirs):
    if hasattr(theirs, "equals"):
        assert ours.equals(theirs) and repr(ours) == repr(theirs)
    else:
        assert ours == theirs and repr(ours) == repr(theirs)


@pytest.mark.parametrize("value", [type(None), type(...), type(NotImplemented),
                                   [type(None), type(None)]])
def test_the_three_types_pickle_saves_by_calling_type_load(value):
    for protocol in (0, 2, 4):
        data = pickle.dumps(value, protocol=protocol)
        assert picklegraph.safe_loads(data) == value


def test_type_with_three_arguments_is_refused(marker):
    data = b"cbuiltins\ntype\n(S'X'\n(cbuiltins\nobject\ntp0\n(dtR."
    with pytest.raises(picklegraph.UnsafePickleError):
        picklegraph.safe_loads(data)


@pytest.mark.parametrize("data", [
    # getattr(__import__('os'), 'system')('touch MARKER')
    b"cbuiltins\ngetattr\n(cbuiltins\n__import__\n(S'os'\ntRS'system'\ntR(S'touch MARKER'\ntR.",
    # getattr of a dunder path out of an allowed class
    b"cbuiltins\ngetattr\n(ccollections\nOrderedDict\nS'__init__'\ntR.",
    # getattr with a computed attribute name
    b"cbuiltins\ngetattr\n(ccollections\nOrderedDict\nc_codecs\nencode\n(S'x'\nS'latin1'\ntRtR.",
    # getattr handed out in a list, to be called later with anything
    b"(cbuiltins\ngetattr\nl.",
], ids=["getattr_import_os_system", "getattr_dunder", "getattr_computed", "getattr_kept"])
def test_getattr_outside_a_constant_lookup_is_refused(data, marker):
    data = data.replace(b"MARKER", str(marker).encode())
    with pytest.raises(picklegraph.UnsafePickleError):
        picklegraph.safe_loads(data)


def test_the_getattr_guard_checks_its_arguments_again(marker):
    # find_class's guard alone, as if the scan had been fooled: it resolves only an
    # allowed dotted name of an object it handed out.
    from picklegraph import _safe

    lookups = _safe._Lookups(_safe.Judge([], [], None))
    guard = lookups.find_class(None, "builtins", "getattr", pickle.Unpickler.find_class)
    assert guard is not getattr
    zone = lookups.find_class(None, "zoneinfo", "ZoneInfo",
                              lambda m, n: zoneinfo.ZoneInfo)
    assert guard(zone, "_unpickle") == zoneinfo.ZoneInfo._unpickle
    import os
    for target, attribute in [(zone, "__init__"), (zone, "clear_cache"), (os, "system"),
                              (zone, "_unpickle.__func__"), (zone, 1)]:
        with pytest.raises(pickle.UnpicklingError):
            guard(target, attribute)
    with pytest.raises(pickle.UnpicklingError):
        lookups.find_class(None, "builtins", "type", None)(
            "X", (), {"__init_subclass__": print})


def test_is_allowed_answers_none_for_the_names_judged_by_arguments():
    for module, name, dotted in [("builtins", "getattr", "builtins.getattr"),
                                 ("__builtin__", "getattr", "builtins.getattr"),
                                 ("builtins", "type", "builtins.type"),
                                 ("torch.storage", "_load_from_bytes",
                                  "torch.storage._load_from_bytes")]:
        assert _native.is_allowed(module, name) is None, (module, name)
        assert _native.is_allowed(module, name, [], [dotted]) is False
    assert _native.is_allowed("zoneinfo", "ZoneInfo._unpickle") is True
    assert _native.is_allowed("zoneinfo", "ZoneInfo.clear_cache") is False


def test_every_name_of_the_librarys_table_has_a_guard_and_no_other_name_does():
    from picklegraph import _safe

    table = _native.argument_checks()
    assert {check for _, _, check in table} == {"getattr", "type", "load_from_bytes"}
    lookups = _safe._Lookups(_safe.Judge([], [], None))
    for module, name, check in table:
        assert _native.is_allowed(module, name) is None, (module, name)
        assert _native.argument_checks(module, name) == [(module, name, check)]
        assert lookups._guard(module, name) is not None, (module, name)
    # Python 2 spellings, mapped as the scan maps them.
    assert _native.argument_checks("__builtin__", "type") == [("builtins", "type", "type")]
    for module, name in [("os", "system"), ("builtins", "eval"), ("torch", "load")]:
        assert _native.argument_checks(module, name) == []
        assert lookups._guard(module, name) is None


# --- map_location and mmap_mode (issue 23's leftovers) ----------------------------------

# Each a factory: torch.device needs torch, imported only where torch is.
MAP_LOCATIONS = {
    "None": lambda torch: None,
    "str": lambda torch: "cpu",
    "str meta": lambda torch: "meta",
    "device": lambda torch: torch.device("cpu"),
    "device meta": lambda torch: torch.device("meta"),
    "dict": lambda torch: {"cpu": "meta"},
    "callable": lambda torch: (lambda storage, location: storage),
    "callable None": lambda torch: (lambda storage, location: None),
}
TORCH_STATE_DICTS = [p for p in TORCH_FILES if p.name not in TORCH_USER_CLASSES
                     and p.name != "mlp_torchscript.pt"]


def _same_on_device(ours, theirs, path="root"):
    """_same, with each tensor's device compared, and a meta tensor (no elements) by
    dtype and shape."""
    import torch

    if isinstance(theirs, torch.Tensor):
        assert ours.device == theirs.device, path
        if theirs.device.type == "meta":
            assert (ours.dtype, ours.shape, ours.stride()) == \
                (theirs.dtype, theirs.shape, theirs.stride()), path
        else:
            _same(ours, theirs, path)
    elif isinstance(theirs, dict):
        assert list(ours) == list(theirs), path
        for key in theirs:
            _same_on_device(ours[key], theirs[key], f"{path}[{key!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert len(ours) == len(theirs), path
        for index, (a, b) in enumerate(zip(ours, theirs)):
            _same_on_device(a, b, f"{path}[{index}]")
    else:
        _same(ours, theirs, path)


@needs_torch
@pytest.mark.parametrize("how", sorted(MAP_LOCATIONS))
@pytest.mark.parametrize("path", TORCH_STATE_DICTS, ids=lambda p: p.name)
def test_map_location_is_applied_as_torch_load_applies_it(path, how):
    import torch

    ours = picklegraph.safe_load(path, map_location=MAP_LOCATIONS[how](torch))
    try:
        theirs = torch.load(path, weights_only=True, map_location=MAP_LOCATIONS[how](torch))
    except pickle.UnpicklingError:
        # A whole module of torch's own classes, which weights_only refuses: torch's full
        # loader on this committed fixture, compared by class and state dict.
        theirs = torch.load(path, weights_only=False, map_location=MAP_LOCATIONS[how](torch))
        assert type(ours) is type(theirs)
        ours, theirs = ours.state_dict(), theirs.state_dict()
    _same_on_device(ours, theirs)


@needs_torch
@pytest.mark.parametrize("legacy", [False, True])
def test_a_map_location_callable_sees_the_locations_torch_load_gives_it(tmp_path, legacy):
    import torch

    value = {"w": torch.arange(6.0).reshape(2, 3), "view": torch.arange(8)[2:5]}
    path = tmp_path / "model.pt"
    torch.save(value, path, _use_new_zipfile_serialization=not legacy)
    seen = {"ours": [], "theirs": []}

    def recording(who):
        return lambda storage, location: seen[who].append((location, storage.nbytes()))

    ours = picklegraph.safe_load(path, map_location=recording("ours"))
    theirs = torch.load(path, weights_only=True, map_location=recording("theirs"))
    assert seen["ours"] == seen["theirs"] and seen["ours"]
    _same_on_device(ours, theirs)


@needs_torch
def test_map_location_reaches_a_nested_checkpoint():
    import torch

    data = pickle.dumps({"t": torch.arange(3.0)})  # torch.storage._load_from_bytes inside
    ours = picklegraph.safe_loads(data, map_location="meta")
    assert ours["t"].device.type == "meta"


def _outcome(load):
    """What a load returns, or the ValueError or TypeError it raises (as its type and
    message: numpy 2 refuses a map of bytes in memory with a TypeError)."""
    try:
        return load()
    except (ValueError, TypeError) as error:
        return f"{type(error).__name__}: {error}"


@needs_numpy
@pytest.mark.parametrize("path", [p for p in NUMPY_FILES if p.suffix == ".npy"],
                         ids=lambda p: str(p.relative_to(FIXTURES)))
def test_mmap_mode_maps_an_npy_as_numpy_load(path):
    import numpy as np

    ours = _outcome(lambda: picklegraph.safe_load(path, mmap_mode="r"))
    theirs = _outcome(lambda: np.load(path, mmap_mode="r", allow_pickle=True))
    if isinstance(theirs, str):
        assert ours == theirs  # an array of objects: numpy maps none
        return
    assert type(ours) is type(theirs) is np.memmap
    assert (os.fspath(ours.filename), ours.mode, ours.offset) == \
        (os.fspath(theirs.filename), theirs.mode, theirs.offset)
    _same(np.asarray(ours), np.asarray(theirs))


@needs_numpy
def test_mmap_mode_of_bytes_in_memory_is_refused_as_numpy_refuses_it(tmp_path):
    import numpy as np

    path = tmp_path / "a.npy"
    np.save(path, np.arange(5))
    data = path.read_bytes()
    ours = _outcome(lambda: picklegraph.safe_loads(data, mmap_mode="r"))
    theirs = _outcome(lambda: np.load(io.BytesIO(data), mmap_mode="r"))
    assert isinstance(theirs, str) and ours == theirs
    # An open file maps through its name.
    with open(path, "rb") as file:
        assert type(picklegraph.safe_load(file, mmap_mode="r")) is np.memmap


@needs_numpy
def test_a_file_changed_after_its_scan_is_not_mapped(tmp_path, monkeypatch):
    import numpy as np

    path = tmp_path / "a.npy"
    np.save(path, np.arange(5))
    scan = picklegraph.scan

    def scan_then_change(data, **options):
        report = scan(data, **options)
        np.save(path, np.arange(6))
        return report

    monkeypatch.setattr(picklegraph, "scan", scan_then_change)
    with pytest.raises(ValueError, match="changed after it was scanned"):
        picklegraph.safe_load(path, mmap_mode="r")


@needs_joblib
@pytest.mark.parametrize("path", JOBLIB_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_mmap_mode_maps_a_joblib_file_as_joblib_load(path):
    import warnings

    import joblib

    with warnings.catch_warnings(record=True) as theirs_warned:
        warnings.simplefilter("always")
        theirs = _library_load(lambda p: joblib.load(p, mmap_mode="r"), path)
    with warnings.catch_warnings(record=True) as ours_warned:
        warnings.simplefilter("always")
        ours = picklegraph.safe_load(path, mmap_mode="r")
    # A compressed file: joblib warns that it maps nothing, and so does safe_load.
    assert [str(w.message) for w in ours_warned] == [str(w.message) for w in theirs_warned]
    _same(ours, theirs)
