"""`picklegraph.show(path)` of the zoo's torch files is the command's `show`, byte for byte:
the container's description line, each pickle's label, the tensors' elements read from the
storages beside the pickles (or nested in them, for `pickle.dumps`), the notes."""

import pytest

import picklegraph
from conftest import FIXTURES, run_command

ZOO_TORCH = FIXTURES / "zoo" / "torch"
TORCH_FILES = sorted(p for p in ZOO_TORCH.rglob("*")
                     if p.is_file() and p.suffix in (".pt", ".pth", ".pkl"))


@pytest.mark.skipif(not TORCH_FILES, reason="the torch zoo is absent: "
                    "python3 tests/fixtures/zoo/generate.py --stack torch writes it")
@pytest.mark.parametrize("path", TORCH_FILES, ids=lambda p: str(p.relative_to(ZOO_TORCH)))
@pytest.mark.parametrize("width", [100, 60])
def test_show_of_a_zoo_torch_file_is_the_commands(path, width):
    done = run_command("show", "--color", "never", "--width", str(width), str(path))
    assert done.returncode == 0, done.stderr.decode()
    assert picklegraph.show(path, width=width) == done.stdout.decode()


@pytest.mark.parametrize("stem", ["tensor_pickle_dumps", "qint8_pickle_dumps",
                                  "quantized_pickle_dumps", "float8_pickle_dumps",
                                  "sparse_pickle_dumps"])
def test_show_of_pickle_dumps_of_a_tensor_prints_its_values(stem):
    # What torch printed for the tensor: float8, quantized (dequantized, with its scales)
    # and sparse (indices and values) included.
    path = ZOO_TORCH / "torch" / (stem + ".pkl")
    if not path.exists():
        pytest.skip("the torch zoo is absent")
    expected = (ZOO_TORCH / "torch" / (stem + ".txt")).read_text()
    assert picklegraph.show(path, summary=False) == expected
