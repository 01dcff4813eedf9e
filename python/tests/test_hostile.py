"""Hostile pickles through every function: a clear error or an inert answer, never a
crash, and never a call: the file a payload would create does not appear."""

import io
import os
import pickle
import random
import subprocess
import sys

import pytest

import picklegraph
from conftest import FIXTURES, fixture_files


def _payloads(marker):
    command = f"touch {marker}"
    quoted = command.encode()
    return [
        # protocol 0: os.system(command)
        b"cos\nsystem\n(S'" + quoted + b"'\ntR.",
        # protocol 4: STACK_GLOBAL, then a call discarded by POP, then a list
        b"\x80\x04\x8c\x02os\x8c\x06system\x93\x8c" + bytes([len(quoted)]) + quoted
        + b"\x85R0]\x94.",
        # builtins.exec through INST
        b"(S'import os; os.system(\"" + quoted + b"\")'\nibuiltins\nexec\n.",
        # subprocess via NEWOBJ then BUILD
        b"\x80\x02csubprocess\nPopen\n]q\x00(X\x02\x00\x00\x00shX\x02\x00\x00\x00-cX"
        + len(quoted).to_bytes(4, "little") + quoted + b"e\x85\x81}b.",
    ]


def _every_function(data, path):
    """Runs every function of the package on the payload; returns what each gave."""
    results = {}
    for name, call in [
        ("loads", lambda: picklegraph.loads(data)),
        ("load", lambda: picklegraph.load(io.BytesIO(data))),
        ("scan", lambda: picklegraph.scan(data).verdict),
        ("scan path", lambda: picklegraph.scan(path).verdict),
        ("scan file", lambda: picklegraph.scan(io.BytesIO(data)).verdict),
        ("show", lambda: picklegraph.show(data)),
        ("show raw", lambda: picklegraph.show(path, raw=True)),
        ("dis", lambda: picklegraph.dis(data)),
        ("json", lambda: picklegraph.json(data)),
        ("repr", lambda: picklegraph.repr(data)),
        ("safe_loads", lambda: picklegraph.safe_loads(data)),
        ("safe_load", lambda: picklegraph.safe_load(io.BytesIO(data))),
    ]:
        try:
            results[name] = call()
        except (picklegraph.PickleError, pickle.UnpicklingError, ValueError, ImportError,
                AttributeError, TypeError, EOFError) as error:  # the real unpickler's own errors
            results[name] = error
    return results


def test_payloads_run_nowhere(marker, tmp_path):
    for index, data in enumerate(_payloads(marker)):
        path = tmp_path / f"payload{index}.pkl"
        path.write_bytes(data)
        results = _every_function(data, path)
        assert isinstance(results["loads"], picklegraph.Inert) or isinstance(
            results["loads"], list), results["loads"]
        assert results["scan"] == results["scan path"] == results["scan file"] == "dangerous"
        assert isinstance(results["safe_loads"], picklegraph.UnsafePickleError)
        assert results["safe_loads"].report.verdict == "dangerous"
        assert isinstance(results["safe_load"], picklegraph.UnsafePickleError)
        # The command the wheel installs, on the same file.
        done = subprocess.run([sys.executable, "-m", "picklegraph", "show", str(path)],
                              capture_output=True)
        assert done.returncode == 0, done.stderr
        assert not marker.exists()


@pytest.mark.parametrize("path", fixture_files(".pkl", ".pt", ".pth", ".ckpt"),
                         ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_fixture_through_every_function_answers_or_refuses(path):
    data = path.read_bytes()
    results = _every_function(data, path)
    scan = results["scan"]
    assert scan == results["scan path"], path
    if not isinstance(scan, Exception) and scan == "dangerous":
        assert isinstance(results["safe_loads"], picklegraph.UnsafePickleError)


def test_random_bytes_never_crash():
    rng = random.Random(23)
    seeds = [p.read_bytes() for p in fixture_files(".pkl")[:60]]
    for _ in range(400):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 8)):
            if data:
                data[rng.randrange(len(data))] = rng.randrange(256)
        data = bytes(data[: rng.randint(0, len(data))])
        for call in (picklegraph.loads, picklegraph.scan, picklegraph.show, picklegraph.dis,
                     picklegraph.json, picklegraph.repr):
            try:
                call(data)
            except (picklegraph.PickleError, ValueError, TypeError, RecursionError):
                pass


def test_a_memo_bomb_loads_shared():
    # l1 = [l0, l0], forty times: 2**40 paths, 41 objects.
    data = bytearray(b"\x80\x02]q\x00")
    for level in range(1, 41):
        data += b"h" + bytes([level - 1]) + b"h" + bytes([level - 1]) + b"\x86q" + bytes([level])
    data += b"."
    got = picklegraph.loads(bytes(data))
    assert got[0] is got[1]
