#!/usr/bin/env python3
"""CPython as the oracle: random plain values, their pickles and their reprs.

Usage::

    python3 tests/differential/random_values.py --seed S --count N > records.bin
    python3 tests/differential/random_values.py --selftest

For value index ``i`` in ``0..N`` (made by one ``random.Random(S)``, so a seed
always gives the same values) and for each protocol ``0..5`` in that order, one
record is written to standard output.  All integers are unsigned big-endian::

    offset  size  field
    0       4     magic b"REC "
    4       1     protocol (0..5)
    5       4     case index i
    9       4     P = length of the pickle
    13      P     the pickle: pickle.dumps(value, protocol)
    13+P    4     R = length of the repr
    17+P    R     repr(pickle.loads(pickle)), encoded UTF-8 (strict; repr
                  escapes lone surrogates, so it is always valid UTF-8)

Records follow one another with nothing between them and nothing after the
last; there are exactly ``6 * N`` records.

The values are plain data only: None, bools, ints (small, near 2**31, 2**63,
2**64 and the LONG1/LONG4 boundary, up to 4000 digits, both signs), floats
(random bit patterns, subnormals, infinities, NaNs, -0.0, integral floats,
1e16, 1e-05), str (random code points: controls, quotes, U+200B, U+00A0,
combining marks, lone surrogates, astral), bytes, bytearray, and nested
lists, tuples, dicts, sets and frozensets (depth up to ~30, chains of ~200),
with shared sub-objects, self-containing lists, dicts and tuples, and dicts
whose keys compare equal across types (1, 1.0, True).

Two promises make the reprs usable by a renderer that does not hash:

* Every set and frozenset iterates in the order its elements are pickled
  (values whose re-insertion would reorder them are not generated), so
  printing a loaded set's elements in stream order gives CPython's repr.
* A dict pickled with repeated equal keys is written by ``KeyMergePickler``
  (the pure-Python pickler, emitting the given key/value pairs as
  ``save_dict`` would); CPython keeps the first key and the last value.  All
  other values are pickled by the C pickler, ``pickle.dumps``.

The script re-executes itself with PYTHONHASHSEED=0 (str hashes decide set
order), so the same seed gives the same bytes on every run.  It runs with
CPython's defaults (including the 4300-digit int/str limit); ints
stay below it.  Intended to take well under 5 s for N=2000.
"""

import argparse
import io
import math
import os
import pickle
import random
import struct
import sys

PROTOCOLS = range(pickle.HIGHEST_PROTOCOL + 1)
MAGIC = b"REC "


class KeyMergeDict:
    """Stands for a dict pickled with the given (key, value) pairs, repeats kept."""

    def __init__(self, pairs):
        self.pairs = pairs


class KeyMergePickler(pickle._Pickler):
    """The pure-Python pickler, taught to write a KeyMergeDict like a dict.

    A real dict cannot hold both 1 and 1.0 as keys, so the only way to get a
    pickle in which they both appear is to write the pairs ourselves; this
    emits exactly the opcodes ``save_dict`` would for those pairs.
    """

    dispatch = dict(pickle._Pickler.dispatch)

    def save_key_merge_dict(self, obj):
        self.write(pickle.EMPTY_DICT if self.bin else pickle.MARK + pickle.DICT)
        self.memoize(obj)
        self._batch_setitems(iter(obj.pairs))

    dispatch[KeyMergeDict] = save_key_merge_dict


def dumps(value, protocol, key_merge=False):
    """Pickle `value`; the Python pickler is needed only for KeyMergeDicts."""
    if not key_merge:
        return pickle.dumps(value, protocol)
    buffer = io.BytesIO()
    KeyMergePickler(buffer, protocol).dump(value)
    return buffer.getvalue()


# Code point pools for strings: (first, last) inclusive ranges.
CODE_POINT_POOLS = [
    [(0x20, 0x7E)],  # printable ASCII
    [(0x00, 0x1F), (0x7F, 0x9F)],  # C0 and C1 controls, DEL
    [(0x22, 0x22), (0x27, 0x27), (0x5C, 0x5C)],  # " ' backslash
    [(0xA0, 0xFF)],  # Latin-1, starting at NO-BREAK SPACE
    [(0x200B, 0x200F), (0x2028, 0x2029), (0xFEFF, 0xFEFF), (0xAD, 0xAD), (0xFFFD, 0xFFFF)],
    [(0x0300, 0x036F)],  # combining marks
    [(0x0100, 0xD7FF), (0xE000, 0xFFFD)],  # the rest of the BMP
    [(0xD800, 0xDFFF)],  # lone surrogates
    [(0x10000, 0x10FFFF)],  # astral planes
]

SPECIAL_FLOATS = [
    0.0, -0.0, 1.0, -1.0, 0.5, 0.1, 1e16, 1e-05, 1e-07, 1e22, 1e23,
    math.inf, -math.inf, math.nan, 5e-324, -5e-324, 2.2250738585072014e-308,
    1.7976931348623157e308, 2.0**53, 2.0**53 + 2, 123456789.0, 1 / 3,
]

EQUAL_KEYS = [1, 1.0, True, 0, 0.0, -0.0, False, 2, 2.0, "1"]


class ValueMaker:
    """Draws random plain values from one random.Random.

    `budget` bounds the nodes of one value so a run stays fast; `key_merge`
    records whether the last value holds a KeyMergeDict.
    """

    MAX_DEPTH = 30

    def __init__(self, rng):
        self.rng = rng
        self.budget = 0
        self.key_merge = False

    def make(self):
        """One top-level value."""
        self.budget = self.rng.choice([4, 16, 64, 200])
        self.key_merge = False
        return self.value(0)

    def value(self, depth):
        self.budget -= 1
        roll = self.rng.random()
        if self.budget <= 0 or depth >= self.MAX_DEPTH or roll < 0.45:
            return self.scalar()
        if roll < 0.88:
            return self.container(depth)
        return self.special(depth)

    # -- scalars -----------------------------------------------------------

    def scalar(self):
        kind = self.rng.randrange(10)
        if kind == 0:
            return self.rng.choice([None, True, False])
        if kind <= 2:
            return self.int_()
        if kind <= 4:
            return self.float_()
        if kind <= 7:
            return self.str_()
        if kind == 8:
            return self.bytes_()
        return bytearray(self.bytes_())

    def int_(self):
        rng = self.rng
        kind = rng.randrange(5)
        sign = rng.choice([1, -1])
        if kind == 0:
            return rng.randint(-300, 300)
        if kind == 1:
            bits = rng.choice([7, 8, 15, 16, 30, 31, 32, 53, 62, 63, 64, 65, 127, 128])
            return sign * (2**bits + rng.randint(-2, 2))
        if kind == 2:
            # LONG1 holds at most 255 bytes of two's complement.
            return sign * (2 ** (8 * 255 - 1) + rng.randint(-2, 2))
        digits = rng.choice([5, 10, 20, 20, 50, 50, 100, 300, 1000, 4000])
        digits = rng.randint(1, digits)
        return sign * rng.randint(10 ** (digits - 1), 10**digits - 1)

    def float_(self):
        rng = self.rng
        kind = rng.randrange(5)
        if kind == 0:
            return struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
        if kind == 1:  # subnormal: exponent bits all zero
            bits = rng.getrandbits(52) | (rng.getrandbits(1) << 63)
            return struct.unpack("<d", bits.to_bytes(8, "little"))[0]
        if kind == 2:
            return rng.choice(SPECIAL_FLOATS)
        if kind == 3:
            return float(rng.randint(-(2**60), 2**60))
        return round(rng.uniform(-1e6, 1e6), rng.randint(0, 6))

    def str_(self):
        rng = self.rng
        length = rng.choice([0, 1, 2, 3, 5, 10, 20, 40, 0, 256])
        if length == 256:  # SHORT_BINUNICODE holds at most 255 UTF-8 bytes
            length = rng.randint(250, 260)
        else:
            length = rng.randint(0, length)
        ranges = [r for pool in rng.sample(CODE_POINT_POOLS, rng.randint(1, 3)) for r in pool]
        # random() arithmetic instead of randint(): strings dominate the run time.
        random_ = rng.random
        chars = []
        for _ in range(length):
            first, last = ranges[int(random_() * len(ranges))]
            chars.append(chr(first + int(random_() * (last - first + 1))))
        return "".join(chars)

    def bytes_(self):
        rng = self.rng
        kind = rng.randrange(6)
        if kind == 0:
            return bytes(range(256))
        if kind == 1:
            return rng.randbytes(rng.choice([255, 256, 300]))
        return rng.randbytes(rng.randint(0, 24))

    def hashable(self, depth):
        """A value usable as a set element or dict key."""
        self.budget -= 1
        roll = self.rng.random()
        if self.budget > 0 and depth < self.MAX_DEPTH and roll < 0.15:
            items = tuple(self.hashable(depth + 1) for _ in range(self.rng.randint(0, 3)))
            return items if roll < 0.1 else self.ordered_set(frozenset, items)
        kind = self.rng.randrange(6)
        if kind == 0:
            # No None: hash(None) is its address before 3.12, and set order
            # would change from run to run.
            return self.rng.choice([True, False, -1])
        if kind == 1:
            return self.int_()
        if kind == 2:
            # hash(nan) is its address since 3.10: no stable set order.
            value = self.float_()
            return 0.5 if math.isnan(value) else value
        if kind == 3:
            return self.bytes_()
        return self.str_()

    # -- containers --------------------------------------------------------

    def size(self):
        rng = self.rng
        if rng.random() < 0.01:
            return rng.choice([999, 1000, 1001, 1200])  # APPENDS/SETITEMS batches
        return rng.choice([0, 1, 2, 3, 4, 5, 8])

    def container(self, depth):
        kind = self.rng.randrange(5)
        n = self.size()
        if n >= 999:
            return self.batch_container(kind, n)
        if kind == 0:
            return [self.value(depth + 1) for _ in range(n)]
        if kind == 1:
            return tuple(self.value(depth + 1) for _ in range(n))
        if kind == 2:
            return {self.hashable(depth + 1): self.value(depth + 1) for _ in range(n)}
        items = [self.hashable(depth + 1) for _ in range(n)]
        return self.ordered_set(set if kind == 3 else frozenset, items)

    def batch_container(self, kind, n):
        """Over 1000 small ints: exercises APPENDS/SETITEMS/ADDITEMS batching
        without making the output large."""
        ints = [self.rng.randint(-300, 300) for _ in range(n)]
        if kind == 0:
            return ints
        if kind == 1:
            return tuple(ints)
        if kind == 2:
            return dict(zip(range(n), ints))
        return self.ordered_set(set if kind == 3 else frozenset, range(n))

    def ordered_set(self, kind, items):
        """A set whose iteration order survives re-insertion in that order.

        Unpickling rebuilds a set by inserting its elements in pickled order;
        a set built any other way may then iterate differently, and a renderer
        could not predict CPython's repr without its hash table.  Dropping
        elements until the order is stable keeps the promise in the docstring.
        """
        result = kind(items)
        while list(kind(list(result))) != list(result):
            result = kind(list(result)[:-1])
        return result

    # -- sharing, cycles, depth, equal keys --------------------------------

    def special(self, depth):
        kind = self.rng.randrange(6)
        if kind == 0:  # one mutable object reachable twice
            shared = self.container(depth + 2) if self.rng.random() < 0.7 else []
            if not isinstance(shared, (list, dict)):
                shared = [shared]
            return [shared, self.value(depth + 1), shared]
        if kind == 1:
            items = [self.value(depth + 1) for _ in range(self.rng.randint(0, 3))]
            items.insert(self.rng.randint(0, len(items)), items)
            return items
        if kind == 2:
            d = {self.hashable(depth + 1): self.value(depth + 1) for _ in range(2)}
            d[self.rng.choice(["self", 0, None])] = d
            return d
        if kind == 3:  # a tuple inside a list inside that tuple
            inner = []
            outer = (inner, self.value(depth + 1))
            inner.append(outer)
            return outer
        if kind == 4:
            return self.chain(depth)
        self.key_merge = True
        n = self.rng.randint(1, 5)
        pairs = [(self.rng.choice(EQUAL_KEYS), self.value(depth + 1)) for _ in range(n)]
        return KeyMergeDict(pairs)

    def chain(self, depth):
        """Nested containers ~200 deep (or up to MAX_DEPTH when narrow)."""
        length = self.rng.choice([self.rng.randint(5, self.MAX_DEPTH), 200])
        value = self.scalar()
        for _ in range(length):
            kind = self.rng.randrange(3)
            if kind == 0:
                value = [value]
            elif kind == 1:
                value = (value,)
            else:
                value = {"k": value}
        return value


def records(seed, count):
    """Yield (protocol, index, pickle bytes, repr text) for every record."""
    maker = ValueMaker(random.Random(seed))
    for index in range(count):
        value = maker.make()
        for protocol in PROTOCOLS:
            data = dumps(value, protocol, maker.key_merge)
            yield protocol, index, data, repr(pickle.loads(data))


def encode_record(protocol, index, data, text):
    """Frame one record as described in the module docstring."""
    encoded = text.encode("utf-8")
    return b"".join([
        MAGIC,
        struct.pack(">BII", protocol, index, len(data)),
        data,
        struct.pack(">I", len(encoded)),
        encoded,
    ])


def decode_records(blob):
    """Parse a stream of records back; raise ValueError on bad framing."""
    pos = 0
    while pos < len(blob):
        if blob[pos:pos + 4] != MAGIC:
            raise ValueError(f"offset {pos}: bad magic")
        protocol, index, size = struct.unpack_from(">BII", blob, pos + 4)
        pos += 13
        data = blob[pos:pos + size]
        pos += size
        (text_size,) = struct.unpack_from(">I", blob, pos)
        pos += 4
        text = blob[pos:pos + text_size].decode("utf-8")
        pos += text_size
        if len(data) != size or len(text.encode("utf-8")) != text_size:
            raise ValueError(f"offset {pos}: truncated record")
        yield protocol, index, data, text


def selftest():
    """Round-trip the framing and re-check every repr; return an exit code."""
    count = 300
    blob = b"".join(encode_record(*r) for r in records(12345, count))
    expected = [(p, i) for i in range(count) for p in PROTOCOLS]
    seen = []
    for protocol, index, data, text in decode_records(blob):
        seen.append((protocol, index))
        if repr(pickle.loads(data)) != text:
            print(f"selftest: repr mismatch at {index}/{protocol}", file=sys.stderr)
            return 1
    if seen != expected:
        print("selftest: records out of order or missing", file=sys.stderr)
        return 1
    again = b"".join(encode_record(*r) for r in records(12345, count))
    if again != blob:
        print("selftest: same seed gave different output", file=sys.stderr)
        return 1
    print(f"selftest: {len(seen)} records, {len(blob)} bytes, ok")
    return 0


def pin_hash_seed():
    """Re-run under PYTHONHASHSEED=0: str hashes order sets, so a seed alone
    would not give the same output twice."""
    if os.environ.get("PYTHONHASHSEED") != "0":
        env = dict(os.environ, PYTHONHASHSEED="0")
        os.execve(sys.executable, [sys.executable] + sys.argv, env)


def main():
    pin_hash_seed()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--selftest", action="store_true")
    args = parser.parse_args()
    if args.selftest:
        return selftest()
    out = sys.stdout.buffer
    for record in records(args.seed, args.count):
        out.write(encode_record(*record))
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
