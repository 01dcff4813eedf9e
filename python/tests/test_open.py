"""picklegraph.open: the tensors of the checkpoint fixtures, and arrays over their bytes.

The fixtures are written by tests/fixtures/gen/model_cases.py with element j of every
storage holding the value j, so each array's elements are known without torch."""

import numpy as np
import pytest

import picklegraph
from conftest import FIXTURES

CHECKPOINTS = ["state_dict.pt", "state_dict_legacy.pt", "training.ckpt",
               "training_legacy.pth", "views_legacy.pt", "new_dtypes.bin"]


@pytest.mark.parametrize("name", CHECKPOINTS)
def test_arrays_hold_what_the_storages_hold(name):
    archive = picklegraph.open(FIXTURES / "torch" / name)
    assert archive.format.startswith("torch-")
    tensors = archive.tensors()
    assert tensors
    checked = 0
    for tensor in tensors:
        array = archive.array(tensor.name)
        assert array.shape == tensor.shape
        assert not array.flags.writeable
        if array.size == 0:
            continue
        index = (np.indices(tensor.shape).reshape(len(tensor.shape), -1).T if tensor.shape
                 else np.zeros((1, 0), dtype=np.int64))
        element = tensor.storage_offset + index @ np.array(tensor.strides, dtype=np.int64)
        values = array.reshape(-1)
        if tensor.dtype == "bfloat16":  # ml_dtypes' bfloat16, or its raw bits
            bits = values.view(np.uint16).astype(np.uint32) << 16
            assert (bits.view(np.float32) == element.astype(np.float32)).all()
        elif tensor.dtype.startswith("float8"):  # the generator wrote the raw byte j
            assert (values.view(np.uint8) == element % 256).all()
        elif tensor.dtype == "bool":
            assert (values == (element % 2).astype(bool)).all() or (values == (element != 0)).all()
        elif tensor.dtype.startswith("complex"):
            assert (values.real == element).all()
        else:
            assert (values.astype(np.float64) == element.astype(values.dtype).astype(np.float64)).all()
        checked += 1
    assert checked > 0


def test_dtypes_numpy_lacks_come_as_raw_bits_or_ml_dtypes():
    archive = picklegraph.open(FIXTURES / "torch" / "state_dict.pt")
    embed = archive.array("embed.weight")
    try:
        import ml_dtypes
        assert embed.dtype == np.dtype(ml_dtypes.bfloat16)
    except ImportError:
        assert embed.dtype == np.dtype("<u2")
    assert embed.view(np.uint16)[0, 1] == 0x3F80  # 1.0 as bfloat16


def test_a_compressed_storage_has_no_byte_range():
    archive = picklegraph.open(FIXTURES / "torch" / "deflated.pth")
    tensor = archive.tensors()[0]
    assert tensor.byte_range is None
    with pytest.raises(ValueError):
        archive.array(tensor.name)


def test_a_plain_pickle_has_no_tensors():
    archive = picklegraph.open(FIXTURES.parent.parent / "examples" / "seed_main.pkl")
    assert archive.format == "pickle" and archive.tensors() == []


def test_the_hostile_checkpoint_opens_without_running(marker):
    archive = picklegraph.open(FIXTURES / "torch" / "hostile.pt")
    assert archive.tensors() == []
