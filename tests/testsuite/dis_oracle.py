"""CPython's answers for picklegraph's `dis` tests (run by tests/testsuite/dis.rs).

    python3 dis_oracle.py OUTDIR SEED

reads OUTDIR/list.txt (lines `PATH<TAB>keep|mutate`) and writes OUTDIR/cases/NNNN.*:

    .pkl   the input
    .opts  `INDENTLEVEL ANNOTATE first|all`
    .dis   what pickletools.dis wrote (UTF-8), as `python3 -m pickletools` writes it
    .err   only if pickletools raised: `ExcName: message`

Besides the listed files (each `mutate` file also gives a truncated and a mutated copy
and a run with other options), it writes a few hundred pickles of its own: random
nested data at every protocol, with the C and the pure-Python pickler, cloudpickled
functions and classes, and streams of several pickles. Nothing here is unpickled.
"""
import collections
import datetime
import decimal
import fractions
import io
import os
import pickle
import pickletools
import random
import sys


def run_dis(data, indentlevel, annotate, mode):
    """What `pickletools.dis` writes for `data`, and the exception that stopped it."""
    stream = io.BytesIO(data)
    out = io.StringIO()
    error = None
    try:
        while True:
            pickletools.dis(stream, out, None, indentlevel, annotate)
            if mode == "first" or stream.tell() >= len(data):
                break
    except Exception as exc:  # every kind pickletools lets out: ValueError, IndexError, ...
        error = f"{type(exc).__name__}: {exc}"
    return out.getvalue(), error


class Cases:
    def __init__(self, outdir):
        self.dir = os.path.join(outdir, "cases")
        os.makedirs(self.dir, exist_ok=True)
        self.count = 0

    def add(self, data, indentlevel=4, annotate=0, mode="first"):
        text, error = run_dis(data, indentlevel, annotate, mode)
        base = os.path.join(self.dir, f"{self.count:05d}")
        self.count += 1
        with open(base + ".pkl", "wb") as f:
            f.write(data)
        with open(base + ".opts", "w") as f:
            f.write(f"{indentlevel} {annotate} {mode}\n")
        with open(base + ".dis", "wb") as f:
            f.write(text.encode("utf-8"))
        if error is not None:
            with open(base + ".err", "wb") as f:
                f.write(error.encode("utf-8", "backslashreplace"))


TEXT_POOL = ["", "a", "'", '"', "\\", "\n", "\r\t", "\x00", "\x7f", "\x80", "\xa0", "\xad", "\xe9",
             "\u0100", "\u200b", "\u2028", "\ud800", "\udfff", "\uffff", "\U0001f600", "\U0010ffff",
             "abc", "caf\xe9", " ", "L", "00", "01"]


def rand_text(r):
    return "".join(r.choice(TEXT_POOL) if r.random() < 0.5 else chr(r.randrange(0x20, 0x7f))
                   for _ in range(r.randrange(0, 12)))


def rand_int(r):
    return r.choice([
        lambda: r.randrange(-5, 300),
        lambda: r.randrange(-2**31 - 2, 2**31 + 2),
        lambda: r.randrange(-2**64, 2**64),
        lambda: r.choice([-1, 1]) * r.getrandbits(r.randrange(60, 2100)),
        lambda: r.choice([0, 1, 255, 256, 65535, 65536, 2**31 - 1, -2**31, 2**63 - 1, -2**63]),
    ])()


def rand_float(r):
    return r.choice([
        lambda: r.uniform(-1e6, 1e6),
        lambda: r.random() * 10 ** r.randrange(-320, 309),
        lambda: r.choice([0.0, -0.0, 0.1, 1e16, 1e-5, 5e-324, 1.7976931348623157e308,
                          float("inf"), float("-inf"), float("nan"), 123456789.0]),
    ])()


SCALARS = [
    lambda r: None, lambda r: True, lambda r: False, rand_int, rand_float, rand_text,
    lambda r: rand_text(r).encode("utf-8", "surrogatepass"),
    lambda r: bytearray(r.randbytes(r.randrange(0, 8))),
    lambda r: r.randbytes(r.randrange(0, 300)),
    lambda r: complex(r.random(), -1.5),
    lambda r: decimal.Decimal("3.14"), lambda r: fractions.Fraction(3, 7),
    lambda r: datetime.datetime(2020, 1, 2, 3, 4, 5, 6),
    lambda r: datetime.date(1999, 12, 31),
    lambda r: collections.OrderedDict(a=1),
    lambda r: range(0, 10, 3),
    lambda r: slice(1, None, 2),
    lambda r: ...,
    lambda r: NotImplemented,
    lambda r: len,
    lambda r: collections.Counter,
]


def rand_value(r, budget=40):
    """Random nested data, built with a work list (no recursion), with shared parts."""
    shared = []
    root = []
    pending = [(root, r.randrange(1, 6))]
    while pending and budget > 0:
        container, room = pending.pop()
        for _ in range(room):
            budget -= 1
            choice = r.random()
            if choice < 0.55 or budget <= 0:
                item = r.choice(SCALARS)(r)
            elif choice < 0.65 and shared:
                item = r.choice(shared)
            elif choice < 0.72:
                item = tuple(r.choice(SCALARS)(r) for _ in range(r.randrange(0, 5)))
            elif choice < 0.78:
                item = frozenset(x for x in (r.choice(SCALARS)(r) for _ in range(3)) if _hashable(x))
            else:
                item = [] if r.random() < 0.7 else {}
                pending.append((item, r.randrange(0, 6)))
                shared.append(item)
            _put(r, container, item)
    if r.random() < 0.1:
        root.append(root)
    if r.random() < 0.1:
        root.append({x for x in (rand_int(r) for _ in range(5))})
    return root if r.random() < 0.8 else tuple(root)


def _hashable(value):
    try:
        hash(value)
        return True
    except TypeError:
        return False


def _put(r, container, item):
    if isinstance(container, list):
        container.append(item)
    else:
        key = r.choice(SCALARS)(r)
        container[key if _hashable(key) else repr(key)] = item


def dumps(r, value, protocol):
    if r.random() < 0.3:
        out = io.BytesIO()
        pickle._Pickler(out, protocol).dump(value)
        return out.getvalue()
    return pickle.dumps(value, protocol)


def cloudpickled(r):
    try:
        import cloudpickle
    except ImportError:
        return []
    scale = r.randrange(100)

    def closure(x, *args, y=3, **kwargs):
        """A function defined in a test, pickled by value."""
        return x * scale + y

    class Local:
        attribute = [1, 2.5, "three"]

        def method(self):
            return self.attribute

    values = [closure, lambda x: x + 1, Local, Local(), [closure, closure], (Local.method, {"k": Local})]
    return [cloudpickle.dumps(v, protocol=p) for v in values for p in (2, 4, 5)]


def out_of_band(r):
    buffers = []
    data = pickle.dumps([pickle.PickleBuffer(b"abc"), pickle.PickleBuffer(bytearray(b"xy"))], 5,
                        buffer_callback=buffers.append)
    return [data]


def counted(r, size_bytes, payloads):
    data = r.choice(payloads)
    n = len(data) if r.random() < 0.9 else len(data) + r.randrange(1, 3)
    return n.to_bytes(size_bytes, "little") + data


TEXT_LINES = {
    "decimalnl_short": [b"0", b"1", b"2", b"00", b"01", b"-1", b" 3", b"x", b"1_0", b""],
    "decimalnl_long": [b"12L", b"0", b"-5L", b"1", b"L", b"99999999999999999999L"],
    "floatnl": [b"1.5", b"nan", b"-0.0", b"1e309", b"bad", b"1_0.5"],
    "stringnl": [b"'a'", b'"b"', b"'\\x41\\n'", b"noquote", b"'", b"'\\x4'", b"'\xe9'"],
    "stringnl_noescape": [b"mod", b"a\\x41", b"\xe9", b"builtins"],
    "unicodestringnl": [b"abc", b"\\u00e9\xe9", b"\\u12", b"\\ud800"],
}
PAYLOADS = [b"", b"a", b"'\"", b"caf\xc3\xa9", b"\xed\xa0\x80", b"\xff", b"\xe2\x82"]


def rand_arg(r, arg):
    """A plausible (sometimes broken) argument for an opcode argument descriptor."""
    name = arg.name
    small = r.choice([0, 0, 1, 1, 2, 3, 255])
    if name in TEXT_LINES:
        return r.choice(TEXT_LINES[name]) + b"\n"
    if name == "stringnl_noescape_pair":
        return rand_arg(r, pickletools.stringnl_noescape) + rand_arg(r, pickletools.stringnl_noescape)
    fixed = {"uint1": 1, "uint2": 2, "int4": 4, "uint4": 4, "uint8": 8}
    if name in fixed:
        return small.to_bytes(fixed[name], "little")
    if name == "float8":
        return r.randbytes(8)
    for suffix, size in (("1", 1), ("4", 4), ("8", 8)):
        if name.endswith(suffix):
            return counted(r, size, PAYLOADS)
    raise ValueError(name)


def opcode_soup(r):
    """Random opcodes with plausible arguments: every check of pickletools' model."""
    weighted = [op for op in pickletools.opcodes for _ in range(4 if op.name in
                ("MARK", "POP", "DUP", "MEMOIZE", "BINPUT", "BINGET", "APPENDS", "TUPLE", "NONE") else 1)]
    parts = []
    for _ in range(r.randrange(1, 30)):
        op = r.choice(weighted)
        parts.append(op.code.encode("latin-1") + (rand_arg(r, op.arg) if op.arg else b""))
    if r.random() < 0.8:
        parts.append(b".")
    return b"".join(parts)


def mutate(r, data):
    data = bytearray(data)
    for _ in range(r.randrange(1, 4)):
        if not data:
            break
        at = r.randrange(len(data))
        what = r.random()
        if what < 0.6:
            data[at] = r.randrange(256)
        elif what < 0.8:
            data[at:at] = r.randbytes(r.randrange(1, 4))
        else:
            del data[at:at + r.randrange(1, 4)]
    return bytes(data)


def other_options(r):
    return r.choice([0, 1, 2, 7, -3]), r.choice([0, 0, 30, 1, 60])


def main():
    outdir, seed = sys.argv[1], int(sys.argv[2])
    r = random.Random(seed)
    cases = Cases(outdir)
    with open(os.path.join(outdir, "list.txt")) as f:
        listed = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    for path, how in listed:
        with open(path, "rb") as f:
            data = f.read()
        cases.add(data)
        if how == "mutate":
            cases.add(data[:r.randrange(len(data) + 1)])
            cases.add(mutate(r, data))
            indentlevel, annotate = other_options(r)
            cases.add(data, indentlevel, annotate)
    made = []
    for _ in range(300):
        made.append(dumps(r, rand_value(r), r.randrange(0, 6)))
    made += cloudpickled(r)
    made += out_of_band(r)
    for data in made:
        if r.random() < 0.25:
            cases.add(data, *other_options(r))
        else:
            cases.add(data)
        if r.random() < 0.3:
            cases.add(mutate(r, data))
    for _ in range(400):
        cases.add(opcode_soup(r), *(other_options(r) if r.random() < 0.2 else (4, 0)))
    for _ in range(20):
        stream = b"".join(r.sample(made, r.randrange(2, 4)))
        cases.add(stream, mode="all")
        cases.add(stream + b"\x00", mode="all")
    print(cases.count)


if __name__ == "__main__":
    main()
