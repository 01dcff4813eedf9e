"""PyTorch's tar checkpoints (torch < 0.4), which current torch.load still reads: open
lists their tensors, show prints them, scan judges every pickle, safe_load returns what
torch.load returns; each compared with torch (in the zoo's torch venv) and with the
command, and hostile variants refused with a clear error, having run nothing."""

import importlib.util
import io
import json
import pickle
import struct
import tarfile

import pytest

import picklegraph
from conftest import FIXTURES, run_command

# The fixture script that wrote the file, loaded from its path (tests/fixtures holds
# folders named after libraries, which must not shadow them).
_SPEC = importlib.util.spec_from_file_location("model_cases", FIXTURES / "gen" / "model_cases.py")
model_cases = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(model_cases)

TAR = FIXTURES / "torch" / "model_tar.pt"
HAS_TORCH = importlib.util.find_spec("torch") is not None
needs_torch = pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed (CI has none): "
                                 "run in the zoo's torch venv")


def _members(data=None):
    with tarfile.open(fileobj=io.BytesIO(data or TAR.read_bytes())) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}


def _tar(members):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in members:
            tar.addfile(*model_cases.tar_member(name, data))
    return out.getvalue()


def _flat(value, prefix=""):
    """Every tensor of a loaded object, by the dotted name picklegraph.open gives it."""
    import torch
    if isinstance(value, torch.Tensor):
        return {prefix: value}
    found = {}
    if isinstance(value, dict):
        for key, item in value.items():
            found.update(_flat(item, f"{prefix}.{key}" if prefix else str(key)))
    return found


def test_the_committed_file_is_the_fixture_scripts():
    assert TAR.read_bytes() == model_cases.tar_checkpoint(*model_cases.tar_model())
    assert list(_members()) == ["sys_info", "pickle", "tensors", "storages"]


@needs_torch
def test_torch_load_reads_the_fixture_and_safe_load_returns_the_same():
    import torch
    from test_safe_load_formats import _same

    theirs = torch.load(TAR, weights_only=False)
    ours = picklegraph.safe_load(TAR)
    _same(ours, theirs)
    assert ours["state_dict"]["fc.bias"].untyped_storage().data_ptr() == \
        ours["state_dict"]["fc.weight"].untyped_storage().data_ptr()
    # torch's weights_only refuses the format outright; safe_load reads it, every global
    # judged by the allow list.
    with pytest.raises(RuntimeError, match="legacy .tar format"):
        torch.load(TAR, weights_only=True)
    # mmap is torch's zip format's alone, as torch says.
    with pytest.raises(RuntimeError) as theirs_error:
        torch.load(str(TAR), mmap=True, weights_only=False)
    with pytest.raises(RuntimeError) as ours_error:
        picklegraph.safe_load(str(TAR), mmap=True)
    assert str(ours_error.value) == str(theirs_error.value)


@needs_torch
def test_open_lists_the_tensors_torch_load_builds_with_their_bytes():
    import numpy as np
    import torch

    theirs = _flat(torch.load(TAR, weights_only=False))
    archive = picklegraph.open(TAR)
    assert archive.format == "torch-tar"
    tensors = {t.name: t for t in archive.tensors()}
    assert sorted(tensors) == sorted(theirs)
    data = TAR.read_bytes()
    for name, tensor in theirs.items():
        row = tensors[name]
        assert (row.dtype, row.shape, row.strides) == (
            str(tensor.dtype).removeprefix("torch."), tuple(tensor.shape), tensor.stride())
        start, end = row.byte_range
        flat = tensor.as_strided((tensor.numel(),), (1,), tensor.storage_offset()) \
            if tensor.is_contiguous() else tensor.contiguous()
        if tensor.is_contiguous():
            assert data[start:end] == flat.numpy().tobytes(), name
        assert np.array_equal(archive.array(name), tensor.numpy()), name


def test_scan_judges_every_pickle_and_passes_the_honest_file():
    report = picklegraph.scan(TAR)
    labels = [p["label"] for p in report.pickles]
    assert labels[:2] == ["tar: sys_info", "tar: saved object"]
    assert labels.count("tar: storages: views") == 1
    assert sum(label.startswith("tar: tensors: tensor ") for label in labels) == 6
    assert report.passed, report.to_json()
    done = run_command("scan", "--json", str(TAR))
    assert done.returncode == 0
    expected = json.loads(done.stdout)
    expected.pop("file")
    assert report.to_dict() == expected


def test_show_prints_the_tensors_as_the_command_does():
    text = picklegraph.show(TAR)
    done = run_command("show", str(TAR), env={"COLUMNS": "100", "NO_COLOR": "1"})
    assert done.returncode == 0
    assert text == done.stdout.decode()
    assert "'fc.bias': tensor([12., 13., 14.])" in text
    assert "'window': tensor([[2., 3.],\n            [4., 5.]], dtype=torch.float64)" in text


# --- hostile variants ---------------------------------------------------------------------


def _payload(marker):
    return b"\x80\x02cposix\nsystem\nq\x00X" + struct.pack("<I", len(f"touch {marker}")) \
        + f"touch {marker}".encode() + b"q\x01\x85q\x02Rq\x03."


def _data_offset(data, name):
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return tar.getmember(name).offset_data


def _after_pickle(data, start):
    """Where the pickle at `start` ends: after its STOP."""
    import pickletools
    for opcode, _, position in pickletools.genops(data[start:]):
        if opcode.name == "STOP":
            return start + position + 1
    raise AssertionError("no STOP")


def _variants(marker):
    """(name, bytes, what the scan must not say): members missing, sizes that lie, a
    member twice, a payload in each kind of pickle."""
    members = _members()
    order = list(members)

    def rebuilt(**changes):
        return _tar([(name, changes.get(name, members[name])) for name in order
                     if changes.get(name, b"") is not None])

    storages, tensors = members["storages"], members["tensors"]
    count_end = _after_pickle(storages, 0)
    first_row_end = _after_pickle(storages, count_end)
    huge = storages[:first_row_end] + struct.pack("<q", 1 << 60) + storages[first_row_end + 8:]
    negative = storages[:first_row_end] + struct.pack("<q", -1) + storages[first_row_end + 8:]
    tensor_row_end = _after_pickle(tensors, _after_pickle(tensors, 0))
    many_dims = tensors[:tensor_row_end] + struct.pack("<i", 1 << 30) + \
        tensors[tensor_row_end + 4:]
    count_end = _after_pickle(storages, 0)
    whole = TAR.read_bytes()
    variants = [(f"no {name}", rebuilt(**{name: None})) for name in order]
    variants += [
        ("storage of 2**60 elements", rebuilt(storages=huge)),
        ("negative element count", rebuilt(storages=negative)),
        ("2**30 dimensions", rebuilt(tensors=many_dims)),
        ("truncated inside a member", whole[:1800]),
        ("truncated inside the storages", whole[:_data_offset(whole, "storages") + 300]),
        ("a header whose checksum lies", whole[:148] + b"0000000\x00" + whole[156:]),
        ("pickle twice, a payload in the second",
         _tar([(n, members[n]) for n in order] + [("pickle", _payload(marker))])),
        ("a payload as the saved object", rebuilt(pickle=_payload(marker))),
        ("a payload as a storage's row",
         rebuilt(storages=storages[:count_end] + _payload(marker))),
        ("a payload as sys_info", rebuilt(sys_info=_payload(marker))),
    ]
    return variants


def test_hostile_tar_checkpoints_are_refused_clearly_having_run_nothing(tmp_path, marker):
    for index, (name, data) in enumerate(_variants(marker)):
        path = tmp_path / f"variant{index}.pt"
        path.write_bytes(data)
        report = picklegraph.scan(path)
        if name == "no sys_info":  # torch.load never reads it: the file is whole
            assert report.passed, report.to_json()
            continue
        assert not report.passed, name
        done = run_command("scan", str(path))
        assert done.returncode in (1, 3, 4), (name, done.stderr)
        shown = run_command("show", str(path))
        assert shown.returncode in (0, 1), (name, shown.stderr)
        try:
            picklegraph.open(path).tensors()
        except ValueError as error:
            assert str(error), name
        with pytest.raises(picklegraph.UnsafePickleError):
            picklegraph.safe_load(path)
        if "payload" in name:
            assert report.verdict == "dangerous", (name, report.verdict)
        assert not marker.exists(), name


@needs_torch
def test_what_torch_refuses_safe_load_refuses_and_what_it_reads_is_read_alike(tmp_path):
    """Without sys_info (which torch.load never reads) the file loads as torch loads it;
    the other variants without a payload torch refuses too."""
    import torch
    from test_safe_load_formats import _same

    for index, (name, data) in enumerate(_variants(tmp_path / "unused")):
        if "payload" in name:
            continue
        path = tmp_path / f"variant{index}.pt"
        path.write_bytes(data)
        if name == "no sys_info":
            _same(picklegraph.safe_load(path), torch.load(path, weights_only=False))
            continue
        with pytest.raises(Exception):
            torch.load(path, weights_only=False)
