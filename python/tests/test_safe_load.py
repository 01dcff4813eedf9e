"""safe_load / safe_loads judged by the library's Policy: the scan and find_class agree on
what `allow=`, `deny=` and `policy=` let through, and a refused pickle runs nothing."""

import io
import pickle

import pytest

import picklegraph
from picklegraph import _native


class Point:
    """A class of these tests, on no allow list: only the user's policy lets it in."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __eq__(self, other):
        return (self.x, self.y) == (other.x, other.y)


Point.__module__ = "test_safe_load"
DATA = pickle.dumps({"origin": Point(0, 1)}, protocol=4)


def _payload(marker):
    quoted = f"touch {marker}".encode()
    return b"cos\nsystem\n(S'" + quoted + b"'\ntR."


def test_a_name_allowed_only_by_allow_loads():
    assert picklegraph.safe_loads(DATA, allow=["test_safe_load.Point"]) == {"origin": Point(0, 1)}
    assert picklegraph.safe_load(io.BytesIO(DATA), allow=["test_safe_load.*"]) == {
        "origin": Point(0, 1)}
    assert picklegraph.safe_loads(DATA, policy='allow = ["test_safe_load.Point"]') == {
        "origin": Point(0, 1)}


def test_a_policy_file_is_read_as_scan_reads_it(tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text('allow = ["test_safe_load.*"]\n')
    assert picklegraph.safe_loads(DATA, policy=policy) == {"origin": Point(0, 1)}
    assert picklegraph.scan(DATA, policy=policy, strict=True).passed


def test_a_name_off_the_list_raises_having_run_nothing(marker):
    with pytest.raises(picklegraph.UnsafePickleError) as refused:
        picklegraph.safe_loads(DATA)
    assert refused.value.report.verdict == "not-allowed"
    payload = _payload(marker)
    for options in ({}, {"allow": ["test_safe_load.*"]}, {"policy": 'allow = ["os.getcwd"]'}):
        with pytest.raises(picklegraph.UnsafePickleError) as dangerous:
            picklegraph.safe_loads(payload, **options)
        assert dangerous.value.report.verdict == "dangerous"
    # A module line never lets a dangerous name through, in the scan or in find_class.
    with pytest.raises(picklegraph.UnsafePickleError):
        picklegraph.safe_loads(payload, allow=["os.*"])
    assert not _native.is_allowed("os", "system", ["os.*"], [], None)


def test_deny_refuses_a_name_on_the_built_in_list():
    data = pickle.dumps(__import__("collections").OrderedDict(a=1))
    assert picklegraph.safe_loads(data) == {"a": 1}
    with pytest.raises(picklegraph.UnsafePickleError) as refused:
        picklegraph.safe_loads(data, deny=["collections.OrderedDict"])
    assert refused.value.report.verdict == "dangerous"
    with pytest.raises(picklegraph.UnsafePickleError):
        picklegraph.safe_loads(data, policy='deny = ["collections.*"]')


@pytest.mark.parametrize("module, name, allow, deny, expected", [
    ("test_safe_load", "Point", [], [], False),
    ("test_safe_load", "Point", ["test_safe_load.Point"], [], True),
    ("test_safe_load", "Point", ["test_safe_load.*"], ["test_safe_load.Point"], False),
    ("collections", "OrderedDict", [], [], True),
    ("collections", "OrderedDict", [], ["collections.*"], False),
    ("__builtin__", "set", [], [], True),  # a Python 2 name, read as builtins.set
    ("posix", "system", ["posix.system"], [], True),  # a name line is the user's word
])
def test_find_class_judges_each_name_as_the_scan_does(module, name, allow, deny, expected):
    assert _native.is_allowed(module, name, allow, deny, None) is expected
    data = f"c{module}\n{name}\n.".encode()
    assert picklegraph.scan(data, allow=allow, deny=deny, strict=True).passed is expected
