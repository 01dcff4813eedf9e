"""picklegraph.loads against pickle.loads: equal values, the same sharing, no call made."""

import io
import math
import pickle
import pickletools

import pytest

import picklegraph
from conftest import FIXTURES, fixture_files


class _NoGlobals(pickle.Unpickler):
    """CPython's unpickler refusing every global: what loads is plain data."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"global {module}.{name}")


def _cpython(data):
    try:
        return True, _NoGlobals(io.BytesIO(data)).load()
    except Exception as error:  # the fixture is not plain data, or CPython refuses it
        return False, error


def _plain_fixtures():
    cases = []
    for repr_file in fixture_files(".repr"):
        pkl = repr_file.with_suffix(".pkl")
        if pkl.exists() and not any(op.name in ("GLOBAL", "STACK_GLOBAL", "INST", "OBJ",
                                                 "REDUCE", "NEWOBJ", "NEWOBJ_EX", "PERSID",
                                                 "BINPERSID", "EXT1", "EXT2", "EXT4",
                                                 "NEXT_BUFFER")
                                    for op, _, _ in _ops(pkl.read_bytes())):
            cases.append(pkl)
    return cases


def _ops(data):
    try:
        return list(pickletools.genops(data))
    except Exception:
        return [(pickletools.code2op.get("c"), None, None)]  # unreadable: not plain


PLAIN = _plain_fixtures()


def test_there_are_plain_data_fixtures():
    assert len(PLAIN) > 100


def _same_shape(ours, theirs):
    """Walks both objects side by side (a work list, no recursion): equal types and
    scalars, and one object of ours for each object of CPython's (sharing and cycles)."""
    pairs = {}
    work = [(ours, theirs)]
    while work:
        a, b = work.pop()
        assert type(a) is type(b), (a, b)
        if isinstance(b, (list, tuple, dict, set, frozenset, bytearray)):
            seen = pairs.get(id(b))
            if seen is not None:
                assert seen is a, "a shared object became two"
                continue
            pairs[id(b)] = a
        if isinstance(b, float):
            assert (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
        elif isinstance(b, (list, tuple)):
            assert len(a) == len(b)
            work.extend(zip(a, b))
        elif isinstance(b, dict):
            assert list(a.keys()) == list(b.keys()) or repr(list(a)) == repr(list(b))
            work.extend(zip(a.values(), b.values()))
            work.extend(zip(a.keys(), b.keys()))
        elif isinstance(b, (set, frozenset)):
            assert len(a) == len(b)
        else:
            assert a == b
    assert len({id(v) for v in pairs.values()}) == len(pairs), "two objects became one"


@pytest.mark.parametrize("path", PLAIN, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_loads_equals_pickle_loads_on_plain_fixture(path):
    data = path.read_bytes()
    ok, expected = _cpython(data)
    if not ok:
        with pytest.raises(Exception):
            picklegraph.loads(data)
        return
    got = picklegraph.loads(data)
    try:
        assert repr(got) == repr(expected)
    except ValueError:  # an int past sys.get_int_max_str_digits(): no repr either way
        pass
    _same_shape(got, expected)


def test_memo_get_returns_the_same_object():
    shared = [1, 2]
    data = pickle.dumps([shared, shared, {"k": shared}], protocol=4)
    got = picklegraph.loads(data)
    assert got[0] is got[1] is got[2]["k"]


def test_cycles_through_lists_dicts_and_tuples_are_kept():
    outer = []
    inner = {"outer": outer}
    outer.extend([inner, (outer, inner)])
    for protocol in range(6):
        got = picklegraph.loads(pickle.dumps(outer, protocol=protocol))
        assert got[0]["outer"] is got
        assert got[1][0] is got and got[1][1] is got[0]


def test_deep_nesting_builds_without_recursion():
    data = b"\x80\x02" + b"]" + b"]" * 200_000 + b"a" * 200_000 + b"."
    got = picklegraph.loads(data)
    depth = 0
    while got:
        got = got[0]
        depth += 1
    assert depth == 200_000


def test_globals_and_calls_are_inert_objects_with_reprs(marker):
    payload = f"cos\nsystem\n(S'touch {marker}'\ntR.".encode()
    call = picklegraph.loads(payload)
    assert isinstance(call, picklegraph.Call)
    assert call.callable == picklegraph.Global("os", "system")
    assert call.args == (f"touch {marker}",)
    assert repr(call) == f"Global('os', 'system')('touch {marker}')"


def test_build_state_and_appended_items_are_recorded():
    data = (b"\x80\x02cgeometry\nPoint\nq\x00)\x81q\x01}q\x02X\x01\x00\x00\x00xK\x01sb"
            b"0cbuiltins\nlist\n)Rq\x03(K\x01K\x02e0h\x01h\x03\x86.")
    point, items = picklegraph.loads(data)
    assert point.opcode == "NEWOBJ" and point.callable == picklegraph.Global("geometry", "Point")
    assert point.state == {"x": 1}
    assert items.items == [1, 2]
    assert repr(point) == "Global('geometry', 'Point').__new__(Global('geometry', 'Point')).__setstate__({'x': 1})"


def test_load_reads_a_stream_of_pickles_as_pickle_load_does():
    stream = io.BytesIO(pickle.dumps(1) + pickle.dumps([2]) + pickle.dumps("three"))
    assert [picklegraph.load(stream) for _ in range(3)] == [1, [2], "three"]
    with pytest.raises(picklegraph.TruncatedPickleError):
        picklegraph.load(stream)


def test_python2_strings_decode_as_encoding_says():
    data = b"S'\\xe9'\n."
    with pytest.raises(picklegraph.PickleError):
        picklegraph.loads(data)
    assert picklegraph.loads(data, encoding="latin1") == pickle.loads(data, encoding="latin1")
    assert picklegraph.loads(data, encoding="bytes") == pickle.loads(data, encoding="bytes")


def test_out_of_band_buffers_are_the_callers_objects():
    buffers = []
    data = pickle.dumps(pickle.PickleBuffer(bytearray(b"abc")), protocol=5,
                        buffer_callback=buffers.append)
    given = [bytearray(b"abc")]
    assert picklegraph.loads(data, buffers=given) is given[0]
    assert isinstance(picklegraph.loads(data), picklegraph.Buffer)


@pytest.mark.parametrize("data, offset, opcode, cls", [
    (b"R.", 0, "REDUCE", picklegraph.MalformedPickleError),
    (b"K", 0, "BININT1", picklegraph.TruncatedPickleError),
    (b"", 0, None, picklegraph.TruncatedPickleError),
    (b"\xff.", 0, None, picklegraph.MalformedPickleError),
    (b"]h\x05.", 1, "BINGET", picklegraph.MalformedPickleError),
])
def test_errors_carry_offset_and_opcode(data, offset, opcode, cls):
    with pytest.raises(cls) as raised:
        picklegraph.loads(data)
    assert raised.value.offset == offset
    assert raised.value.opcode == opcode
    assert isinstance(raised.value, pickle.UnpicklingError)
    with pytest.raises(Exception):
        pickle.loads(data)  # CPython refuses it too


def test_limits_are_those_of_load_options():
    with pytest.raises(picklegraph.LimitExceededError) as raised:
        picklegraph.loads(b"((((.", max_stack=3)
    assert raised.value.offset == 3 and raised.value.opcode == "MARK"


class Shared:
    """A class the tests pickle by reference: loads makes it a Global, never imports it."""


def _shared_shapes():
    """Values whose objects are shared or hold themselves, each shape of cycle the build
    in post-order meets: through lists, dicts, tuples, sets of globals, a BUILD state."""
    itself = []
    itself.append(itself)
    through_dict = []
    pair = (through_dict,)
    through_dict.append({"pair": pair})
    text = "a memoized string, " * 3
    strings = [text, text, {text: text}, (text, b"bytes" * 9)]
    built = Shared()
    built.me = built
    built.pair = (built, [built])
    deep_tuple_cycle = []
    deep_tuple_cycle.append(((deep_tuple_cycle,),))
    return {
        "a list that holds itself": itself,
        "a tuple holding a list that holds the tuple through a dict": pair,
        "the list of that tuple": through_dict,
        "memo-shared strings and bytes": strings,
        "a BUILD state that holds its object": [built, built],
        "a tuple of the built object": built.pair,
        "a list in tuples that hold the list": deep_tuple_cycle,
        "a set holding a tuple": {(1, "x")},
    }


SHAPES = _shared_shapes()


def _same_identities(ours, theirs):
    """For every str and bytes longer than one character (shorter ones may be CPython's
    cached singletons), the objects of ours are shared as CPython's are."""
    mine, cpython = {}, {}
    work = [(ours, theirs)]
    seen = set()
    while work:
        a, b = work.pop()
        if id(b) in seen:
            continue
        seen.add(id(b))
        if isinstance(b, (str, bytes)) and len(b) > 1:
            mine.setdefault(id(a), set()).add(id(b))
            cpython.setdefault(id(b), set()).add(id(a))
        elif isinstance(b, (list, tuple)):
            work.extend(zip(a, b))
        elif isinstance(b, dict):
            work.extend(zip(a.keys(), b.keys()))
            work.extend(zip(a.values(), b.values()))
    assert all(len(v) == 1 for v in mine.values()), "two of CPython's objects became one"
    assert all(len(v) == 1 for v in cpython.values()), "one of CPython's objects became two"


@pytest.mark.parametrize("name", [n for n in SHAPES if n not in (
    "a BUILD state that holds its object", "a tuple of the built object")])
@pytest.mark.parametrize("protocol", range(6))
def test_shared_and_cyclic_plain_data_is_what_pickle_loads_gives(name, protocol):
    data = pickle.dumps(SHAPES[name], protocol=protocol)
    got, expected = picklegraph.loads(data), pickle.loads(data)
    assert repr(got) == repr(expected)
    _same_shape(got, expected)
    _same_identities(got, expected)


@pytest.mark.parametrize("protocol", range(2, 6))
def test_build_on_a_shared_object_keeps_one_object_and_its_cycles(protocol):
    first, second = picklegraph.loads(pickle.dumps(SHAPES["a BUILD state that holds its object"],
                                                   protocol=protocol))
    assert isinstance(first, picklegraph.Call) and first is second
    assert first.state["me"] is first
    pair = first.state["pair"]
    assert pair[0] is first and pair[1][0] is first
    # the tuple is reached first: the object's fields are set once the tuple exists
    pair = picklegraph.loads(pickle.dumps(SHAPES["a tuple of the built object"], protocol=protocol))
    assert pair[0].state["pair"] is pair and pair[1][0] is pair[0]


@pytest.mark.parametrize("protocol", range(6))
def test_globals_as_dict_keys_and_set_items_are_complete_when_hashed(protocol):
    value = {int: 1, (str, 2): "tuple key", "set": frozenset({bytes}), "plain": {float}}
    got = picklegraph.loads(pickle.dumps(value, protocol=protocol, fix_imports=False))
    assert got[picklegraph.Global("builtins", "int")] == 1
    assert got[(picklegraph.Global("builtins", "str"), 2)] == "tuple key"
    assert got["set"] == frozenset({picklegraph.Global("builtins", "bytes")})
    assert got["plain"] == {picklegraph.Global("builtins", "float")}


def test_deep_tuples_and_dicts_build_without_recursion():
    depth = 200_000
    tuples = picklegraph.loads(b"\x80\x02N" + b"\x85" * depth + b".")
    dicts = picklegraph.loads(b"\x80\x02" + b"}(K\x01" * depth + b"N" + b"u" * depth + b".")
    for value, step in ((tuples, lambda v: v[0]), (dicts, lambda v: v[1])):
        count = 0
        while value is not None:
            value = step(value)
            count += 1
        assert count == depth


@pytest.mark.parametrize("data", [
    b"\x80\x02}(]Nu0].",  # a dict keyed by a list, popped: made all the same
    b"\x80\x02](\x8f(]\x90e.",  # a frozenset of a list, inside a list
    b"\x80\x02](](]\x85\x85}(]Nuee.",  # a dict keyed by a list, deep in tuples
])
def test_unhashable_keys_raise_as_pickle_loads_raises(data):
    with pytest.raises(TypeError) as expected:
        pickle.loads(data)
    with pytest.raises((TypeError, picklegraph.PickleError)) as got:
        picklegraph.loads(data)
    assert str(expected.value) in str(got.value)


def test_leaves_shared_in_a_tree_of_containers_stay_shared():
    name = "a field name"
    records = [{name: i, "tags": (name, [name])} for i in range(3)]
    got = picklegraph.loads(pickle.dumps(records, protocol=4))
    assert got == records
    keys = [next(iter(record)) for record in got]
    assert keys[0] is keys[1] is keys[2] is got[2]["tags"][0] is got[1]["tags"][1][0]
