"""What CPython's two unpicklers import and call, for the scan's soundness test.

`python3 scan_oracle.py bases` writes base pickles whose globals are harmless markers
(module `marker_mod`), one per line: the pickle in hex, a space, then the offsets of its
opcodes (`pickletools.genops`) as `NAME:start:end`, comma-separated.

`python3 scan_oracle.py corpus DIR` writes each base pickle as a file of DIR (the seed
corpus of the fuzz target `scan_soundness`).

`python3 scan_oracle.py check` reads inputs from standard input, each a four-byte
little-endian length then the bytes, and writes one JSON line per input: for each of
four readings (repeated `pickle.Unpickler(f).load()` calls, repeated
`pickle._Unpickler(f).load()` calls, one `pickle.loads`, one `pickle._loads`) the
globals `find_class` was asked for, the calls made on what it returned, and how many
persistent ids were loaded. Nothing is imported: `find_class` returns an inert stand-in
that records its calls.

`python3 scan_oracle.py imports` reads inputs as `check` does and writes, for each, what
CPython really imports: each unpickler (C, pure Python), with and without a
`persistent_load`, loads the bytes with its own `find_class` (the real import and
attribute lookup), which then raises rather than hand out what it found, so nothing is
called. One JSON line per input: `imported`, the modules new in `sys.modules` (each taken
out again afterwards), `reached`, the modules (or parents) of asked globals that are in
`sys.modules` after the lookup, imported now or before, `asked`, the globals `find_class` was asked for, and `persistent`,
how many persistent ids an application's `persistent_load` received. Only for inputs a
test expects to import nothing (text), since what it imports runs.
"""

import copyreg
import io
import json
import pickle
import pickletools
import resource
import signal
import struct
import sys
import types

# Extension codes the bases use and the checker resolves (to marker globals).
EXTENSIONS = [("marker_mod", "marker_ext1", 1), ("marker_mod", "marker_ext2", 300),
              ("marker_mod", "marker_ext4", 70000)]


def register_extensions():
    for module, name, code in EXTENSIONS:
        copyreg.add_extension(module, name, code)


# ---------------------------------------------------------------- bases

def marker_module():
    mod = types.ModuleType("marker_mod")
    sys.modules["marker_mod"] = mod

    def func(*args):
        return ("called", args)

    for i in range(6):
        f = (lambda *a: a)
        f.__name__ = f.__qualname__ = "marker_%d" % i
        f.__module__ = "marker_mod"
        setattr(mod, f.__name__, f)
    for _, name, _ in EXTENSIONS:
        f = (lambda *a: a)
        f.__name__ = f.__qualname__ = name
        f.__module__ = "marker_mod"
        setattr(mod, name, f)

    class Reduced:
        def __init__(self, n):
            self.n = n

        def __reduce__(self):
            return (getattr(mod, "marker_%d" % (self.n % 6)), (self.n, "x" * self.n))

    class Plain:
        def __init__(self, n):
            self.n = n
            self.items = [n, str(n)]

    class WithState:
        def __init__(self, n):
            self.n = n

        def __getstate__(self):
            return {"n": self.n}

        def __setstate__(self, state):
            self.n = state["n"]

    class NewEx:
        def __new__(cls, *args, **kwargs):
            return object.__new__(cls)

        def __init__(self, n):
            self.n = n

        def __getnewargs_ex__(self):
            return ((self.n,), {"k": self.n})

    class Ext:
        def __reduce__(self):
            return (mod.marker_ext1, ())

    class Ext2:
        def __reduce__(self):
            return (mod.marker_ext2, (1,))

    class Ext4:
        def __reduce__(self):
            return (mod.marker_ext4, ())

    for cls in (Reduced, Plain, WithState, NewEx, Ext, Ext2, Ext4):
        cls.__module__ = "marker_mod"
        cls.__qualname__ = "Marker" + cls.__name__
        cls.__name__ = cls.__qualname__
        setattr(mod, cls.__name__, cls)
    return mod


class PersistentPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, str) and obj.startswith("pid:"):
            return obj
        return None


def base_objects(mod):
    shared = [1, 2, mod.MarkerReduced(3)]
    yield mod.MarkerReduced(1)
    yield [mod.MarkerPlain(2), mod.MarkerWithState(4), mod.marker_5]
    yield {"a": shared, "b": shared, "c": (mod.MarkerReduced(7), mod.marker_1)}
    yield (mod.MarkerExt(), mod.MarkerExt2(), mod.MarkerExt4(), "pid:one", b"bytes")
    yield [mod.MarkerNewEx(3), mod.MarkerReduced(2), {1.5, 2.5}, frozenset([mod.marker_2])]
    yield {"big": b"\x00" * 70000, "after": mod.MarkerReduced(5), "s": "é" * 10}
    yield ["pid:two", mod.marker_3, [mod.marker_3, mod.marker_4], bytearray(b"ab")]


def handmade():
    """Opcodes the Python 3 pickler never writes: INST, OBJ, PERSID, GLOBAL in protocol 4."""
    return [
        b"(imarker_mod\nmarker_0\np0\n(lp1\ng0\nab.",
        b"\x80\x02(cmarker_mod\nmarker_1\nK\x01o}b.",
        b"(Ppid:three\nimarker_mod\nmarker_2\n.",
        b"\x80\x04\x95\x1e\x00\x00\x00\x00\x00\x00\x00\x8c\nmarker_mod\x94\x8c\x08marker_3\x94\x93\x94)R\x94.",
        b"\x80\x03cmarker_mod\nmarker_4\nq\x00h\x00\x85q\x01R.",
    ]


def bases():
    mod = marker_module()
    register_extensions()
    out = []
    for obj in base_objects(mod):
        for proto in range(0, pickle.HIGHEST_PROTOCOL + 1):
            buf = io.BytesIO()
            try:
                PersistentPickler(buf, protocol=proto).dump(obj)
            except (pickle.PicklingError, AttributeError, TypeError):
                continue  # __getnewargs_ex__ needs protocol 2
            out.append(buf.getvalue())
    out.extend(handmade())
    for data in out:
        ops = []
        for op, _arg, pos in pickletools.genops(data):
            ops.append((op.name, pos))
        # Each op's end is the next op's start (the last ends at the pickle's end).
        spans = []
        for i, (name, pos) in enumerate(ops):
            end = ops[i + 1][1] if i + 1 < len(ops) else len(data)
            spans.append("%s:%d:%d" % (name, pos, end))
        print(data.hex(), ",".join(spans))


def corpus(folder):
    """Writes every base pickle as a file of `folder`: a fuzz target's seed corpus."""
    import contextlib
    import hashlib
    import os
    os.makedirs(folder, exist_ok=True)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        bases()
    for line in out.getvalue().splitlines():
        data = bytes.fromhex(line.split(" ", 1)[0])
        name = hashlib.sha1(data).hexdigest()
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)


# ---------------------------------------------------------------- check

class Record:
    def __init__(self):
        self.globals = []
        self.calls = []
        self.persistent = 0


class Inert:
    """What a call returns: accepts whatever the unpickler does to an object."""

    def __init__(self, record):
        object.__setattr__(self, "_record", record)

    def __call__(self, *args, **kwargs):
        self._record.calls.append(None)
        return Inert(self._record)

    def __setstate__(self, state):
        pass

    def append(self, item):
        pass

    def extend(self, items):
        pass

    def add(self, item):
        pass

    def __setitem__(self, key, value):
        pass

    def __setattr__(self, key, value):
        pass


def stand_in(record, module, name):
    label = [module, name]

    class Meta(type):
        def __call__(cls, *args, **kwargs):
            record.calls.append(label)
            return Inert(record)

    def new(cls, *args, **kwargs):
        record.calls.append(label)
        return Inert(record)

    def setstate(self, state=None):
        pass

    def noop(self, *args):
        pass

    return Meta("StandIn", (), {"__new__": new, "__setstate__": setstate, "append": noop,
                                "extend": noop, "add": noop})


def recording(base):
    class Recording(base):
        def __init__(self, file, record):
            super().__init__(file)
            self._record = record

        def find_class(self, module, name):
            self._record.globals.append([module, name])
            # The pure constructors picklegraph folds into values behave as they do.
            real = FOLDED.get((module, name))
            if real is not None:
                return real
            return stand_in(self._record, module, name)

        def persistent_load(self, pid):
            self._record.persistent += 1
            return Inert(self._record)

    return Recording


FOLDED = {}
for _module in ("builtins", "__builtin__"):
    FOLDED.update({(_module, "set"): set, (_module, "frozenset"): frozenset,
                   (_module, "bytearray"): bytearray, (_module, "bytes"): bytes})
FOLDED[("_codecs", "encode")] = __import__("_codecs").encode

C_UNPICKLER = recording(pickle.Unpickler)
PY_UNPICKLER = recording(pickle._Unpickler)


class Timeout(Exception):
    pass


def on_alarm(signum, frame):
    raise Timeout()


def read_stream(cls, data, repeated, peek=False):
    record = Record()
    file = io.BytesIO(data)
    if peek:
        # A file the C unpickler can peek into, as open(path, 'rb') is.
        file = io.BufferedReader(file, buffer_size=1 << 20)
    while True:
        copyreg._extension_cache.clear()
        try:
            cls(file, record).load()
        except Timeout:
            raise
        except BaseException:
            break
        if not repeated or file.tell() >= len(data):
            break
    return {"globals": record.globals, "calls": record.calls, "persistent": record.persistent}


class Refused(Exception):
    """What `find_class` raises once the real lookup is done, so nothing is called."""


def really_importing(base, with_persistent_load):
    class Importing(base):
        def __init__(self, file, record):
            super().__init__(file)
            self._record = record

        def find_class(self, module, name):
            self._record["asked"].append([module, name])
            try:
                super().find_class(module, name)
            except Exception:
                pass
            # importlib's chain of parents: a module already imported is one the name
            # reached as surely as one imported now.
            part = module
            while part:
                if part in sys.modules:
                    self._record["reached"].append(part)
                part = part.rpartition(".")[0]
            raise Refused()

    if with_persistent_load:
        def persistent_load(self, pid):
            self._record["persistent"] += 1
            return None

        Importing.persistent_load = persistent_load
    return Importing


def imports():
    sys.setrecursionlimit(10000)
    stdin = sys.stdin.buffer
    readers = [really_importing(base, pl) for base in (pickle.Unpickler, pickle._Unpickler)
               for pl in (False, True)]
    while True:
        head = stdin.read(4)
        if len(head) < 4:
            break
        (length,) = struct.unpack("<I", head)
        data = stdin.read(length)
        record = {"imported": [], "reached": [], "asked": [], "persistent": 0}
        before = set(sys.modules)
        for reader in readers:
            file = io.BytesIO(data)
            while file.tell() < len(data):
                try:
                    reader(file, record).load()
                except BaseException:
                    break
        new = sorted(set(sys.modules) - before)
        for module in new:
            del sys.modules[module]
        record["imported"] = new
        record["reached"] = sorted(set(record["reached"]))
        sys.stdout.write(json.dumps(record) + "\n")
        sys.stdout.flush()


def check():
    register_extensions()
    sys.setrecursionlimit(10000)
    signal.signal(signal.SIGALRM, on_alarm)
    stdin = sys.stdin.buffer
    while True:
        head = stdin.read(4)
        if len(head) < 4:
            break
        (length,) = struct.unpack("<I", head)
        data = stdin.read(length)
        result = {}
        signal.alarm(5)
        try:
            result["c_load"] = read_stream(C_UNPICKLER, data, True)
            result["c_peek"] = read_stream(C_UNPICKLER, data, True, peek=True)
            result["py_load"] = read_stream(PY_UNPICKLER, data, True)
            result["c_loads"] = read_stream(C_UNPICKLER, data, False)
            result["py_loads"] = read_stream(PY_UNPICKLER, data, False)
        except Timeout:
            result["timeout"] = True
        signal.alarm(0)
        sys.stdout.write(json.dumps(result) + "\n")
        # A fuzz target asks one input at a time and waits for its line.
        sys.stdout.flush()


if __name__ == "__main__":
    # A length field of 2**40 fails at once rather than taking the machine's memory.
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    if sys.argv[1] == "corpus":
        corpus(sys.argv[2])
    else:
        {"bases": bases, "check": check, "imports": imports}[sys.argv[1]]()
