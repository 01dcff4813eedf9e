#!/usr/bin/env python3
"""Writes the benchmark inputs under target/bench-inputs/, from fixed seeds.

    python3 benches/make_inputs.py                 # every input at scale 1
    python3 benches/make_inputs.py ints records     # only these
    python3 benches/make_inputs.py --scale 4 nested # nested.x4.pkl, four times the data

The inputs are large (8-20 MB each, numpy_big 256 MB) and are never committed: this
script is the record of what they hold. A run with the same arguments writes the same
bytes (every random choice comes from a seeded `random.Random`).

`numpy_big` needs numpy. The system python3 has none, so when numpy is not importable the
script looks for target/bench-venv/bin/python (made by `python3 -m venv target/bench-venv
&& target/bench-venv/bin/pip install numpy`) and runs that part there; without it,
numpy_big is skipped with a message.
"""

import argparse
import os
import pickle
import random
import subprocess
import sys
import types

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "target", "bench-inputs")
VENV_PYTHON = os.path.join(ROOT, "target", "bench-venv", "bin", "python")

ASCII = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_ "
NON_ASCII = "éèüßøåñçαβγδλπΩжщяحب日本語中文한국😀🎉"


def gen_ints(rng, scale):
    """2,000,000 ints: mostly below 256, a quarter 32-bit, a tenth up to 2**62."""
    out = []
    for _ in range(int(2_000_000 * scale)):
        r = rng.random()
        if r < 0.65:
            out.append(rng.randrange(256))
        elif r < 0.9:
            out.append(rng.randrange(-(2**31), 2**31))
        else:
            out.append(rng.randrange(-(2**62), 2**62))
    return out, 5


def short_str(rng):
    n = rng.randrange(3, 16)
    if rng.random() < 0.2:
        chars = [rng.choice(ASCII) for _ in range(n - 1)] + [rng.choice(NON_ASCII)]
        rng.shuffle(chars)
        return "".join(chars)
    return "".join(rng.choice(ASCII) for _ in range(n))


def gen_strs(rng, scale):
    """1,000,000 short strs (3-15 code points), a fifth with a non-ASCII character."""
    return [short_str(rng) for _ in range(int(1_000_000 * scale))], 5


FIELDS = ["name", "count", "score", "active", "parent", "tags"]


def record(rng, i):
    return {
        "name": short_str(rng),
        "count": rng.randrange(100_000),
        "score": rng.random() * 100,
        "active": rng.random() < 0.5,
        "parent": None,
        "tags": [rng.randrange(1000) for _ in range(rng.randrange(4))],
    }


def gen_records(rng, scale):
    """200,000 dicts of six fields (str, int, float, bool, None, short list); the keys
    are the same interned strs, so the pickle memoizes them once."""
    return [record(rng, i) for i in range(int(200_000 * scale))], 5


def leaf(rng):
    r = rng.random()
    if r < 0.4:
        return rng.randrange(-1000, 100_000)
    if r < 0.7:
        return short_str(rng)
    if r < 0.85:
        return rng.random()
    if r < 0.9:
        return None
    return rng.random() < 0.5


def gen_nested(rng, scale):
    """A random tree of lists, tuples and dicts, nesting up to 60 deep, about 20 MB.

    Built with an explicit stack so the generator itself never recurses."""
    budget = int(2_600_000 * scale)  # objects, leaves included
    root = []
    stack = [(root, 0)]
    made = 0
    while made < budget:
        parent, depth = stack[-1]
        r = rng.random()
        if depth < 60 and r < 0.12:
            kind = rng.choice(("list", "list", "dict", "tuple"))
            child = [] if kind in ("list", "tuple") else {}
            child_entry = (child, depth + 1, kind)
        else:
            child_entry = (leaf(rng), None, "leaf")
        value, child_depth, kind = child_entry
        add_to(parent, value, rng)
        made += 1
        if kind != "leaf":
            stack.append((value, child_depth))
            if kind == "tuple":
                tuples.append(value)
        elif len(stack) > 1 and rng.random() < 0.08:
            stack.pop()
    return freeze(root), 5


tuples = []


def add_to(parent, value, rng):
    if isinstance(parent, dict):
        parent["k%d" % rng.randrange(10_000)] = value
    else:
        parent.append(value)


def freeze(root):
    """Turns the lists chosen as tuples into tuples, bottom-up (innermost first)."""
    marked = {id(t) for t in tuples}
    done = {}
    order = []
    stack = [root]
    seen = set()
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        order.append(obj)
        children = obj.values() if isinstance(obj, dict) else obj
        stack.extend(c for c in children if isinstance(c, (list, dict)))
    for obj in reversed(order):
        if isinstance(obj, dict):
            for k, v in obj.items():
                if id(v) in done:
                    obj[k] = done[id(v)]
        else:
            for i, v in enumerate(obj):
                if id(v) in done:
                    obj[i] = done[id(v)]
            if id(obj) in marked:
                done[id(obj)] = tuple(obj)
    tuples.clear()
    return root


def gen_floats_p2(rng, scale):
    """1,000,000 floats at protocol 2 (BINFLOAT, no framing)."""
    return [rng.uniform(-1e6, 1e6) for _ in range(int(1_000_000 * scale))], 2


def gen_ints_p0(rng, scale):
    """300,000 ints at protocol 0 (text INT and LONG lines), most of them large."""
    out = []
    for _ in range(int(300_000 * scale)):
        if rng.random() < 0.2:
            out.append(rng.randrange(1000))
        else:
            out.append(rng.randrange(-(2**62), 2**62))
    return out, 0


CLASS_TEMPLATE = """
class Model{i}:
    '''Model number {i}.'''
    scale = {i}
    def __init__(self, x):
        self.x = x * {i}
    def forward(self, y):
        return [self.x + y + k for k in range({i} % 7 + 1)]
    @property
    def name(self):
        return "model-{i}"
"""

FUNC_TEMPLATE = """
def transform{i}(data, factor={i}):
    '''Transform number {i}.'''
    total = 0
    for item in data:
        total += item * factor - {i}
    return {{"total": total, "id": {i}, "tag": "t{i}"}}
"""


def gen_cloud(rng, scale):
    """cloudpickle of 100 classes and 100 functions defined in __main__ (pickled by value)."""
    import cloudpickle

    main = sys.modules["__main__"]
    objects = []
    for i in range(int(100 * scale)):
        exec(CLASS_TEMPLATE.format(i=i), main.__dict__)
        exec(FUNC_TEMPLATE.format(i=i), main.__dict__)
        objects.append(main.__dict__["Model%d" % i])
        objects.append(main.__dict__["transform%d" % i])
    return cloudpickle.dumps(objects, protocol=5)


def gen_memo_bomb(rng, scale):
    """40 levels, each a list holding the previous level's (memoized) list twice: a
    naive tree walk does 2**40 steps; the pickle is a few hundred bytes."""
    level = []
    for _ in range(int(40 * scale)):
        level = [level, level]
    return level, 5


def gen_numpy_big(rng, scale):
    """A 256 MB float32 numpy array, in-band at protocol 5 (one BYTEARRAY8 payload)."""
    import numpy

    count = int(64 * 1024 * 1024 * scale)
    array = numpy.arange(count, dtype=numpy.float32)
    return array, 5


GENERATORS = {
    "ints": gen_ints,
    "strs": gen_strs,
    "records": gen_records,
    "nested": gen_nested,
    "floats_p2": gen_floats_p2,
    "ints_p0": gen_ints_p0,
    "cloud": gen_cloud,
    "numpy_big": gen_numpy_big,
    "memo_bomb": gen_memo_bomb,
}


def file_name(name, scale):
    suffix = "" if scale == 1 else ".x%g" % scale
    return os.path.join(OUT, "%s%s.pkl" % (name, suffix))


def write(name, scale):
    seed = sum(map(ord, name))  # a fixed seed per input, independent of the others
    result = GENERATORS[name](random.Random(seed), scale)
    data = result if isinstance(result, bytes) else pickle.dumps(result[0], protocol=result[1])
    path = file_name(name, scale)
    with open(path, "wb") as f:
        f.write(data)
    print("%-10s %12d bytes  %s" % (name, len(data), os.path.relpath(path, ROOT)))


def numpy_importable():
    try:
        import numpy  # noqa: F401

        return True
    except ImportError:
        return False


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="inputs to write (default: all)")
    parser.add_argument("--scale", type=float, default=1, help="multiply every count by this")
    args = parser.parse_args()
    names = args.names or list(GENERATORS)
    for name in names:
        if name not in GENERATORS:
            parser.error("unknown input %r (known: %s)" % (name, ", ".join(GENERATORS)))
    os.makedirs(OUT, exist_ok=True)
    sys.setrecursionlimit(10_000)  # pickling the 60-deep tree and the memo bomb
    for name in names:
        if name == "numpy_big" and not numpy_importable():
            if os.path.exists(VENV_PYTHON) and os.path.abspath(sys.prefix) != os.path.dirname(os.path.dirname(VENV_PYTHON)):
                cmd = [VENV_PYTHON, os.path.abspath(__file__), "--scale", str(args.scale), name]
                subprocess.run(cmd, check=True)
            else:
                print("numpy_big  skipped: numpy is not importable and %s does not exist" % os.path.relpath(VENV_PYTHON, ROOT))
            continue
        write(name, args.scale)


if __name__ == "__main__":
    main()
