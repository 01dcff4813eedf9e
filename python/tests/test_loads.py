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


# The direct build: plain data made as the opcodes run, each case beside what CPython makes.

def _both(data, **options):
    """picklegraph's objects and CPython's for `data`, compared as the fixtures are."""
    got, expected = picklegraph.loads(data, **options), pickle.loads(data, **options)
    assert repr(got) == repr(expected)
    _same_shape(got, expected)
    return got, expected


@pytest.mark.parametrize("data", [
    # MEMOIZE of a list after its APPENDS: the memo holds the filled list.
    b"\x80\x04](K\x01K\x02e\x94h\x00h\x00\x87.",
    # POP of a memoized object: the memo keeps it.
    b"\x80\x04]\x94K\x01a0h\x00h\x00\x86.",
    # DUP: the same object twice, then filled through one of them.
    b"\x80\x02]2K\x07a\x86.",
    # A dict that holds itself through its value, set by SETITEM.
    b"\x80\x02}q\x00U\x01kh\x00s.",
    # A list in a tuple in the list (a cycle through a tuple), protocol 0 and 2.
    b"(lp0\n(g0\ntp1\na.",
    b"\x80\x02]q\x00h\x00\x85q\x01a.",
    # Equal keys merged, the first kept with the last value: 1, 1.0 and True.
    b"\x80\x02}(K\x01U\x01aG?\xf0\x00\x00\x00\x00\x00\x00U\x01b\x88U\x01cu.",
    # A set and a frozenset with equal members merged, a bytearray.
    b"\x80\x05\x8f(K\x01G?\xf0\x00\x00\x00\x00\x00\x00\x88\x90(K\x02K\x02\x91\x96\x03\x00\x00\x00\x00\x00\x00\x00abc\x87.",
    # Memo keys with gaps, put out of order, and replaced.
    b"\x80\x02K\x01r\x00\x00\x01\x00K\x02q\x05K\x03q\x05h\x05j\x00\x00\x01\x00\x86.",
    # Big ints: LONG1, LONG4, protocol 0's L line, and INT's bools.
    b"\x80\x02\x8a\t\x00\x00\x00\x00\x00\x00\x00\x00\x01\x8b\x10\x00\x00\x00" + b"\xff" * 16
    + b"L-123456789012345678901234567890L\nI01\nI00\n(t\x87\x86.",
    # Protocol 0 strings: STRING with escapes, UNICODE with raw-unicode-escape.
    b"(S'a\\'b\\x41\\n'\np0\nVcaf\\u00e9 \\U0001f600\np1\ng0\nt.",
    # A str with a lone surrogate, as CPython writes it.
    pickle.dumps("\ud800x", protocol=4),
    # STOP with values below the root: the root is the top.
    b"K\x01K\x02.",
    # POP with nothing above a mark removes the mark.
    b"\x80\x02](K\x01(0e.",
    # A NaN key met again through the memo is the same object, so one key (the graph,
    # which keeps floats inline, shows two).
    b"\x80\x02}(G\x7f\xf8\x00\x00\x00\x00\x00\x00q\x00K\x01h\x00K\x02u.",
])
def test_the_direct_build_makes_what_pickle_loads_makes(data):
    _both(data)


def test_memoize_after_appends_shares_the_filled_list():
    got, _ = _both(b"\x80\x04](K\x01K\x02e\x94h\x00h\x00\x87.")
    assert got[0] is got[1] is got[2] and got[0] == [[1, 2], [1, 2], [1, 2]][0]


def test_popped_memoized_and_duplicated_objects_stay_one_object():
    got, _ = _both(b"\x80\x04]\x94K\x01a0h\x00h\x00\x86.")
    assert got[0] is got[1] and got[0] == [1]
    got, _ = _both(b"\x80\x02]2K\x07a\x86.")
    assert got[0] is got[1] and got[0] == [7]


def test_python2_strings_with_encoding_and_errors_as_pickle_loads():
    data = b"\x80\x02U\x03\xe9t\xffq\x00h\x00\x86."
    for encoding, errors in [("latin1", "strict"), ("bytes", "strict"), ("ASCII", "replace"),
                             ("ASCII", "surrogateescape"), ("utf-8", "ignore"),
                             ("cp1252", "backslashreplace")]:
        got, _ = _both(data, encoding=encoding, errors=errors)
        assert got[0] is got[1]


def test_unhashable_members_raise_type_error_with_pickle_loads_message():
    for data in [b"\x80\x02}(]Nu.", b"\x80\x02}]K\x01s.", b"\x80\x04\x8f(]\x90.",
                 b"\x80\x04(}\x91.", b"\x80\x02}(}K\x01u."]:
        with pytest.raises(TypeError) as expected:
            pickle.loads(data)
        with pytest.raises(TypeError) as got:
            picklegraph.loads(data)
        assert str(got.value) == str(expected.value)


def test_an_unhashable_key_beside_a_global_raises_type_error_too():
    data = b"\x80\x02cbuiltins\nlist\n}(]Nu\x86."
    with pytest.raises(TypeError, match="unhashable type: 'list'"):
        picklegraph.loads(data)


def test_persistent_ids_are_left_to_the_graph_and_call_nothing(marker):
    data = f"(S'touch {marker}'\nPpid\nt.".encode()
    got = picklegraph.loads(data)
    assert isinstance(got, tuple) and isinstance(got[1], picklegraph.PersistentId)
    assert got[0] == f"touch {marker}"
    with pytest.raises(pickle.UnpicklingError):
        pickle.loads(data)  # CPython refuses a persistent id without persistent_load


def test_plain_data_after_a_global_is_still_built(marker):
    data = pickle.dumps([{"k": [1, 2.5, "x"]}, {1, 2}, Shared], protocol=4)
    got = picklegraph.loads(data)
    assert got[:2] == [{"k": [1, 2.5, "x"]}, {1, 2}]
    assert got[2] == picklegraph.Global(__name__, "Shared")


@pytest.mark.parametrize("data, cls, offset, opcode", [
    # A truncated list: the data ends inside its items.
    (pickle.dumps(list(range(300)), protocol=4)[:-40], picklegraph.TruncatedPickleError,
     None, None),
    # A memo get of a key never put, past a gap.
    (b"\x80\x02K\x01q\x03h\x02.", picklegraph.MalformedPickleError, 6, "BINGET"),
    # APPENDS with no mark, on a dict, and SETITEMS on a list.
    (b"\x80\x02]K\x01e.", picklegraph.MalformedPickleError, 5, "APPENDS"),
    (b"\x80\x02}(K\x01e.", picklegraph.MalformedPickleError, 6, "APPENDS"),
    (b"\x80\x02](K\x01K\x02u.", picklegraph.MalformedPickleError, 8, "SETITEMS"),
    # An odd number of items for a dict; a tuple from an empty stack.
    (b"\x80\x02(K\x01d.", picklegraph.MalformedPickleError, 5, "DICT"),
    (b"\x80\x02\x86.", picklegraph.MalformedPickleError, 2, "TUPLE2"),
    # A str that is no UTF-8, a protocol past 5.
    (b"\x80\x02X\x01\x00\x00\x00\xff.", picklegraph.MalformedPickleError, 2, "BINUNICODE"),
    (b"\x80\x06N.", picklegraph.MalformedPickleError, 0, "PROTO"),
])
def test_malformed_plain_data_errors_say_where(data, cls, offset, opcode):
    with pytest.raises(cls) as raised:
        picklegraph.loads(data)
    if offset is not None:
        assert (raised.value.offset, raised.value.opcode) == (offset, opcode)
    with pytest.raises(Exception):
        pickle.loads(data)


def test_every_truncation_of_plain_data_is_refused_clearly():
    data = pickle.dumps([{"a": (1, 2.0, b"x" * 300)}, "s" * 70, 10**30, {3}], protocol=5)
    for end in range(len(data)):
        with pytest.raises(picklegraph.PickleError):
            picklegraph.loads(data[:end])


def test_limits_hold_in_the_direct_build():
    data = pickle.dumps([[i] for i in range(1000)], protocol=4)
    with pytest.raises(picklegraph.LimitExceededError):
        picklegraph.loads(data, max_nodes=100)
    with pytest.raises(picklegraph.LimitExceededError):
        picklegraph.loads(data, max_alloc_bytes=10_000)
    with pytest.raises(picklegraph.LimitExceededError):
        picklegraph.loads(b"\x80\x02K\x01r\x00\x00\x00\x01.", max_memo_key=1000)
    with pytest.raises(picklegraph.LimitExceededError):
        picklegraph.loads(b"\x80\x02" + b"]" * 100 + b".", max_stack=50)
    with pytest.raises(picklegraph.PickleError):
        picklegraph.loads(b"L" + b"9" * 5000 + b"L\n.", max_int_digits=4300)
    assert picklegraph.loads(data) == pickle.loads(data)


def test_deep_nesting_is_built_or_refused_without_a_crash():
    depth = 1_000_000
    lists = picklegraph.loads(b"\x80\x02" + b"]" * depth + b"a" * (depth - 1) + b".")
    assert isinstance(lists, list)
    with pytest.raises(picklegraph.PickleError):
        picklegraph.loads(b"\x80\x02" + b"(" * depth + b".")
    with pytest.raises(picklegraph.PickleError):
        picklegraph.loads(b"\x80\x02" + b"]" * depth + b"a" * depth + b".")
