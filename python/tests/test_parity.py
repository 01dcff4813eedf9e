"""Where ``pickle.loads`` has an answer, the bindings give it (issue 20): Python 2 strings
in every encoding and error handler the command takes, and bytes after the last STOP."""

import json
import pickle

import pytest

import picklegraph
from conftest import FIXTURES, run_command

PY2 = sorted((FIXTURES / "py2").glob("*.pkl"))
ENCODINGS = ["ASCII", "latin1", "cp1252", "utf-8", "bytes"]
HANDLERS = ["strict", "ignore", "replace", "backslashreplace", "surrogateescape"]
PLAIN = (str, bytes, bytearray, int, float, bool, type(None), complex)


def _is_plain(value):
    """Whether ``value`` holds only Python's own data types, which the bindings build as
    they are (a global or a call comes back inert, and compares unequal on purpose)."""
    pending, seen = [value], set()
    while pending:
        item = pending.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, (list, tuple, set, frozenset)):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif not isinstance(item, PLAIN):
            return False
    return True


def test_the_python_2_fixtures_are_there():
    assert len(PY2) >= 20
    assert any("cp1252" in p.name for p in PY2)


@pytest.mark.parametrize("path", PY2, ids=lambda p: p.name)
def test_python2_strings_decode_as_pickle_loads_decodes_them(path):
    data = path.read_bytes()
    compared = 0
    for encoding in ENCODINGS:
        for errors in HANDLERS:
            try:
                expected = pickle.loads(data, encoding=encoding, errors=errors)
            except UnicodeDecodeError:
                with pytest.raises(picklegraph.PickleError):
                    picklegraph.loads(data, encoding=encoding, errors=errors)
                compared += 1
                continue
            except Exception:  # an import of a Python 2 module: nothing to compare
                continue
            if not _is_plain(expected) or path.name.startswith("unicode_builtin"):
                continue  # unicode_builtin calls __builtin__.unicode, which stays inert
            got = picklegraph.loads(data, encoding=encoding, errors=errors)
            assert got == expected, (encoding, errors)
            assert repr(got) == repr(expected), (encoding, errors)
            compared += 1
    if path.stem.split(".")[0] in ("datetime", "classic_instance", "reconstructor_main",
                                   "reconstructor_namespace", "xrange", "numpy_array_py2",
                                   "unicode_builtin"):
        return  # their values are inert calls: CPython imports and calls to build them
    # Every combination is compared but where CPython fails otherwise than decoding
    # (bytearray(bytes, 'latin-1') under encoding='bytes' is a TypeError of its call).
    assert compared >= len(ENCODINGS) * len(HANDLERS) - len(HANDLERS), path.name


def test_cp1252_and_errors_reach_loads():
    data = b"U\x01\x80."  # SHORT_BINSTRING of one byte, the euro sign in cp1252
    assert picklegraph.loads(data, encoding="cp1252") == pickle.loads(data, encoding="cp1252") == "€"
    assert picklegraph.loads(data, errors="replace") == pickle.loads(data, errors="replace")
    assert picklegraph.loads(data, errors="surrogateescape") == "\udc80"
    with pytest.raises(ValueError, match="koi8-r"):
        picklegraph.loads(data, encoding="koi8-r")
    with pytest.raises(ValueError, match="xmlcharrefreplace"):
        picklegraph.loads(data, errors="xmlcharrefreplace")


MISC_GET = b"((Kdtp0\nh\x00l.))"  # test.pickletester's test_misc_get


def test_bytes_after_the_last_stop_are_ignored_as_pickle_loads_ignores_them():
    assert picklegraph.loads(MISC_GET) == pickle.loads(MISC_GET) == [(100,), (100,)]
    assert picklegraph.repr(MISC_GET) == "[(100,), (100,)]\n"
    listing = picklegraph.dis(MISC_GET)
    assert listing.endswith("   11: .    STOP\nhighest protocol among opcodes = 1\n")
    assert len(picklegraph.stats(MISC_GET)) == 1


def test_bytes_after_the_last_stop_are_the_commands_note(tmp_path):
    path = tmp_path / "misc_get.pkl"
    path.write_bytes(MISC_GET)
    note = "2 bytes after the last STOP are not a pickle; pickle.loads ignores them"
    shown = picklegraph.show(path)
    assert f"# note: {note} (bytes 12..14; " in shown
    assert shown == run_command("show", str(path), env={"COLUMNS": "100"}).stdout.decode()
    for view in ("repr", "dis"):
        done = run_command(view, str(path))
        assert done.returncode == 0
        assert getattr(picklegraph, view)(path) == done.stdout.decode()
    document = json.loads(picklegraph.json(path))
    expected = json.loads(run_command("json", str(path)).stdout)
    expected.pop("file")
    assert document == expected
    assert document["trailing"][0]["message"].startswith(note)
    report = picklegraph.scan(path)
    assert report.verdict == "clean" and report.passed
    assert report.to_dict()["pickles"][1]["trailing"] is True
    assert picklegraph.safe_loads(MISC_GET) == [(100,), (100,)]


def test_several_pickles_are_one_json_document_as_the_commands(tmp_path):
    path = tmp_path / "stream.pkl"
    path.write_bytes(pickle.dumps(1) + pickle.dumps([2]) + b"\x00")
    document = json.loads(picklegraph.json(path))
    expected = json.loads(run_command("json", str(path)).stdout)
    expected.pop("file")
    assert document == expected
    assert [p["root"] for p in document["pickles"]] == [1, {"ref": 0}]
    assert document["trailing"][0]["start"] == len(pickle.dumps(1) + pickle.dumps([2]))
