"""picklegraph.loads against pickle.loads on random plain values at protocols 0-5: equal
values, the same sharing and cycles, and the same exception where CPython raises one."""

import math
import pickle

import pytest

hypothesis = pytest.importorskip("hypothesis", reason="the property tests need hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import picklegraph  # noqa: E402
from test_loads import _same_identities, _same_shape  # noqa: E402

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-300, max_value=300), st.integers(), st.integers(-2**70, 2**70),
    st.integers(min_value=-10**400, max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.text(st.characters(codec="utf-8"), max_size=300),
    st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), max_size=3),
    st.binary(max_size=20), st.binary(min_size=250, max_size=300),
)
# No NaN among set members: a NaN's hash is its address, so a set's order (and repr)
# differs from one load to the next, CPython's own included.
hashable_scalars = scalars.filter(lambda v: not (isinstance(v, float) and math.isnan(v)))
hashables = st.recursive(
    hashable_scalars, lambda inner: st.one_of(st.tuples(inner, inner), st.frozensets(inner, max_size=4)),
    max_leaves=6)


def containers(inner):
    return st.one_of(
        st.lists(inner, max_size=6),
        st.lists(inner, max_size=5).map(tuple),
        st.dictionaries(hashables, inner, max_size=5),
        st.sets(hashables, max_size=5),
        st.frozensets(hashables, max_size=5),
        st.binary(max_size=10).map(bytearray),
    )


plain = st.recursive(scalars, containers, max_leaves=20)


@st.composite
def shared_values(draw):
    """A value whose containers appear more than once, and lists and dicts that hold
    themselves, as memo gets write them."""
    parts = draw(st.lists(plain, min_size=1, max_size=4))
    picks = draw(st.lists(st.integers(0, len(parts) - 1), max_size=8))
    value = [parts[i] for i in picks] + parts
    if draw(st.booleans()):
        value.append(value)  # the list holds itself
    if draw(st.booleans()):
        holder = {"self": None}
        holder["self"] = holder
        value.append((holder, value))  # through a dict and a tuple
    return value


def _check(value, protocol):
    data = pickle.dumps(value, protocol=protocol)
    try:
        expected = pickle.loads(data)
    except Exception as error:  # an int past sys.get_int_max_str_digits() at protocol 0
        with pytest.raises(type(error)):
            picklegraph.loads(data)
        return
    got = picklegraph.loads(data)
    try:
        assert repr(got) == repr(expected)
    except ValueError:  # an int with too many digits for repr
        pass
    _same_shape(got, expected)
    _same_identities(got, expected)


@SETTINGS
@given(plain, st.integers(0, 5))
def test_random_plain_values_load_as_pickle_loads_loads_them(value, protocol):
    _check(value, protocol)


@SETTINGS
@given(shared_values(), st.integers(0, 5))
def test_shared_and_cyclic_values_keep_their_identities(value, protocol):
    _check(value, protocol)


@SETTINGS
@given(plain, st.integers(0, 5), st.data())
def test_damaged_pickles_raise_what_pickle_loads_raises_or_a_pickle_error(value, protocol, data):
    """Bytes changed or cut: no crash, and where CPython builds the objects picklegraph
    builds the same ones or refuses with a PickleError (it refuses a few inputs CPython
    reads); where CPython raises a TypeError over an unhashable key, so does picklegraph."""
    raw = bytearray(pickle.dumps(value, protocol=protocol))
    flips = data.draw(st.lists(st.tuples(st.integers(0, len(raw) - 1), st.integers(0, 255)),
                               max_size=3))
    for index, byte in flips:
        raw[index] = byte
    raw = bytes(raw[:data.draw(st.integers(1, len(raw)))])
    try:
        expected = pickle.loads(raw)
    except TypeError as error:
        if "unhashable" in str(error):
            with pytest.raises(TypeError):
                picklegraph.loads(raw)
            return
        expected = error
    except Exception as error:
        expected = error
    try:
        got = picklegraph.loads(raw)
    except picklegraph.PickleError:
        return
    except TypeError as error:
        assert "unhashable" in str(error)
        return
    if isinstance(expected, Exception):
        # CPython refused what picklegraph reads: a global it could not import, a
        # persistent id without persistent_load, an opcode's argument it reads stricter.
        return
    if isinstance(expected, float) and math.isnan(expected):
        assert math.isnan(got)
        return
    _same_shape(got, expected)
