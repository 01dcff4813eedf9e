"""picklegraph.convert: checkpoints written as safetensors, read back by the safetensors
package, and compared with picklegraph.open's arrays over the checkpoint's own bytes."""

import json
import struct

import numpy as np
import pytest
import safetensors
import safetensors.numpy

import picklegraph
from conftest import FIXTURES, run_command

TORCH = FIXTURES / "torch"
ZOO = FIXTURES / "zoo" / "torch" / "torch"
PLAIN = [TORCH / name for name in ("state_dict.pt", "state_dict_legacy.pt", "training.ckpt",
                                   "training_legacy.pth", "views_legacy.pt", "new_dtypes.bin")]
# The zoo's checkpoints of sparse and quantized tensors, which safetensors cannot hold: each
# is refused with the first such tensor's name and why.
ZOO_REFUSED = {
    "sparse_tensors.pt": "coo: a sparse tensor: safetensors holds dense tensors only",
    "tensor_kinds.pt": "qint8: a quantized tensor: its scales and zero points are state",
    "tensor_kinds_legacy.pt": "qint8: a quantized tensor: its scales and zero points are state",
}
ZOO_FILES = sorted(p for p in ZOO.iterdir() if p.suffix in (".pt", ".pth")
                   and "torchscript" not in p.name and p.name not in ZOO_REFUSED)


def _header(path):
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        return json.loads(f.read(length))


@pytest.mark.parametrize("path", PLAIN + ZOO_FILES, ids=lambda p: p.name)
def test_the_written_tensors_are_the_checkpoints(path, tmp_path):
    out = tmp_path / "model.safetensors"
    names = picklegraph.convert(path, out, allow=["models.*"])
    archive = picklegraph.open(path)
    assert sorted(names) == sorted(t.name for t in archive.tensors())
    assert _header(out)["__metadata__"] == {"format": "pt"}
    raw = dict(safetensors.deserialize(out.read_bytes()))
    numpy_dtypes = all(t.dtype not in ("bfloat16", "float8_e4m3fn") for t in archive.tensors())
    loaded = safetensors.numpy.load_file(out) if numpy_dtypes else {}
    for tensor in archive.tensors():
        expected = archive.array(tensor.name).copy(order="C")
        assert tuple(raw[tensor.name]["shape"]) == tensor.shape
        assert bytes(raw[tensor.name]["data"]) == expected.tobytes(), tensor.name
        if numpy_dtypes:
            got = loaded[tensor.name]
            assert got.dtype == expected.dtype and got.shape == expected.shape
            assert np.array_equal(got, expected, equal_nan=got.dtype.kind in "fc"), tensor.name


def test_a_transposed_view_is_written_in_row_major_order(tmp_path):
    out = tmp_path / "model.safetensors"
    picklegraph.convert(TORCH / "state_dict.pt", out)
    raw = dict(safetensors.deserialize(out.read_bytes()))
    weight_t = np.frombuffer(bytes(raw["encoder.weight_t"]["data"]), "<f4").reshape(16, 8)
    weight = np.frombuffer(bytes(raw["encoder.weight"]["data"]), "<f4").reshape(8, 16)
    assert (weight_t == weight.T).all()
    assert weight[0, :3].tolist() == [0.0, 1.0, 2.0]


@pytest.mark.parametrize("name, reason", [
    ("sparse.pt", "sparse: a sparse tensor"),
    ("quantized.pt", "quantized: a quantized tensor"),
    ("complex128.pt", "complex128: safetensors has no dtype complex128"),
    ("deflated.pth", "encoder.weight: its storage data/0 is not stored plainly"),
])
def test_tensors_safetensors_cannot_hold_are_refused(name, reason, tmp_path):
    out = tmp_path / "model.safetensors"
    with pytest.raises(ValueError, match=reason):
        picklegraph.convert(TORCH / name, out)
    assert not out.exists()


@pytest.mark.parametrize("name", sorted(ZOO_REFUSED))
def test_zoo_checkpoints_of_sparse_and_quantized_tensors_are_refused(name, tmp_path):
    out = tmp_path / "model.safetensors"
    with pytest.raises(ValueError, match=ZOO_REFUSED[name]):
        picklegraph.convert(ZOO / name, out, allow=["models.*"])
    assert not out.exists()


def test_a_checkpoint_the_scan_refuses_raises_with_the_report(tmp_path, marker):
    out = tmp_path / "model.safetensors"
    with pytest.raises(picklegraph.UnsafePickleError) as refused:
        picklegraph.convert(TORCH / "hostile.pt", out)
    assert refused.value.report.verdict == "dangerous"
    assert [f.name for f in refused.value.report.findings if not f.allowed][0] == "posix.system"
    with pytest.raises(picklegraph.UnsafePickleError) as module:
        picklegraph.convert(ZOO / "mlp_module.pt", out)
    assert module.value.report.suggested_policy["allow_names"] == ["models.TinyMLP"]
    assert not out.exists()
    assert picklegraph.convert(ZOO / "mlp_module.pt", out,
                               policy='allow = ["models.TinyMLP"]') == [
        "hidden.weight", "hidden.bias", "out.weight", "out.bias"]


def test_the_command_converts_as_the_function_does(tmp_path):
    ours, theirs = tmp_path / "function.safetensors", tmp_path / "command.safetensors"
    picklegraph.convert(TORCH / "state_dict.pt", ours)
    done = run_command("convert", str(TORCH / "state_dict.pt"), str(theirs))
    assert done.returncode == 0, done.stderr
    assert ours.read_bytes() == theirs.read_bytes()
    refused = run_command("convert", str(TORCH / "hostile.pt"), str(tmp_path / "x"))
    assert refused.returncode == 3
