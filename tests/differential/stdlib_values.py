#!/usr/bin/env python3
"""CPython as the oracle for the standard library's value types: random values of
each type, pickled at every protocol, with repr(pickle.loads(...)) beside each.

    python3 tests/differential/stdlib_values.py --seed S --count N

Prints one JSON list per line: [kind, protocol, pickle hex, repr]. The values are
drawn from one random.Random(S), so a seed always gives the same lines; they aim
at each type's edges (negative and huge timedeltas, folds, offsets with seconds
and microseconds, Decimal exponents and NaN payloads, Fractions to be reduced,
complex parts that are -0, inf and nan, IPv6 runs of zeros, every re flag), the
builtins a pickle names by reference, and functools.partial of them.
"""

import argparse
import builtins
import collections
import datetime
import decimal
import enum
import fractions
import functools
import ipaddress
import json
import pickle
import random
import re
import sys
import types
import uuid


def timedelta(rng):
    return datetime.timedelta(days=rng.randint(-999999999, 999999999) if rng.random() < 0.2
                              else rng.randint(-3, 3),
                              seconds=rng.randint(-200000, 200000),
                              microseconds=rng.randint(-2000000, 2000000))


def timezone(rng):
    offset = datetime.timedelta(hours=rng.randint(-23, 23), minutes=rng.randint(0, 59),
                                seconds=rng.choice([0, 0, rng.randint(0, 59)]),
                                microseconds=rng.choice([0, 0, 0, rng.randint(0, 999999)]))
    if rng.random() < 0.3:
        return datetime.timezone(offset, rng.choice(["X", "EST", "it's", "\u00e9t\u00e9"]))
    return datetime.timezone(offset)


def dt(rng):
    fields = dict(year=rng.randint(1, 9999), month=rng.randint(1, 12), day=rng.randint(1, 28),
                  hour=rng.choice([0, rng.randint(0, 23)]), minute=rng.choice([0, rng.randint(0, 59)]),
                  second=rng.choice([0, rng.randint(0, 59)]),
                  microsecond=rng.choice([0, 0, rng.randint(0, 999999)]), fold=rng.choice([0, 0, 1]))
    tz = rng.choice([None, None, datetime.timezone.utc, timezone(rng)])
    return datetime.datetime(**fields, tzinfo=tz)


def decimal_text(rng):
    kind = rng.random()
    sign = rng.choice(["", "-", "+"])
    if kind < 0.1:
        return sign + rng.choice(["NaN", "sNaN", "nan"]) + rng.choice(["", str(rng.randint(0, 10**6)), "007"])
    if kind < 0.15:
        return sign + rng.choice(["Infinity", "inf", "INF"])
    digits = str(rng.randint(0, 10 ** rng.randint(0, 30)))
    if rng.random() < 0.3:
        digits = "0" * rng.randint(1, 3) + digits
    point = rng.randint(0, len(digits))
    text = digits[:point] + ("." if rng.random() < 0.6 else "") + digits[point:]
    if rng.random() < 0.5:
        text += rng.choice("eE") + rng.choice(["", "+", "-"]) + str(rng.randint(0, 40))
    return sign + text


def complex_part(rng):
    return rng.choice([0.0, -0.0, float("inf"), -float("inf"), float("nan"), 1.0, -2.0, 1e16, 1e-5,
                       rng.uniform(-1e6, 1e6), rng.randint(-10**6, 10**6) * 1.0, 123456789.0,
                       rng.random() * 10 ** rng.randint(-30, 30)])


def ipv6(rng):
    hextets = [rng.choice([0, 0, 0, rng.randint(0, 0xFFFF)]) for _ in range(8)]
    return ipaddress.IPv6Address(sum(h << (16 * (7 - i)) for i, h in enumerate(hextets)))


def value(rng, kind):
    if kind == "timedelta":
        return timedelta(rng)
    if kind == "timezone":
        return timezone(rng)
    if kind == "datetime":
        return dt(rng)
    if kind == "time":
        return dt(rng).timetz()
    if kind == "date":
        return dt(rng).date()
    if kind == "decimal":
        return decimal.Decimal(decimal_text(rng))
    if kind == "fraction":
        return fractions.Fraction(rng.randint(-10**rng.randint(1, 30), 10**rng.randint(1, 30)),
                                  rng.choice([1, -1]) * rng.randint(1, 10**rng.randint(1, 30)))
    if kind == "complex":
        return complex(complex_part(rng), complex_part(rng))
    if kind == "range":
        step = rng.choice([1, -1, 2, -3, 10**20])
        return range(rng.randint(-10**rng.randint(0, 25), 10**rng.randint(0, 25)),
                     rng.randint(-100, 100), step)
    if kind == "uuid":
        return uuid.UUID(int=rng.getrandbits(128), is_safe=rng.choice(list(uuid.SafeUUID)))
    if kind == "ipv6":
        return ipv6(rng)
    if kind == "ipv4":
        return ipaddress.IPv4Address(rng.getrandbits(32))
    if kind == "network":
        prefix = rng.randint(0, 128)
        return ipaddress.IPv6Network((int(ipv6(rng)) >> (128 - prefix) << (128 - prefix) if prefix else 0, prefix))
    if kind == "regex":
        text = rng.choice(["a+", "(?i)x", "(?m)(?s)^.$", "\\d{2}", "it's", "\u00e9+"])
        flags = rng.choice([0, re.I, re.M, re.S, re.X, re.A, re.I | re.M, re.DEBUG & 0, re.T & 0, re.U])
        if rng.random() < 0.3:
            return re.compile(text.encode("utf-8"), flags & ~re.U | rng.choice([0, re.L]) if not flags & re.A else flags & ~re.U)
        return re.compile(text, flags)
    if kind == "regex_flag":
        return re.RegexFlag(rng.getrandbits(9) & ~(re.T | re.DEBUG) | rng.choice([0, 0, re.T, re.DEBUG]))
    if kind == "counter":
        return collections.Counter({str(i): rng.choice([rng.randint(-3, 3), rng.random(), True])
                                    for i in range(rng.randint(0, 8))})
    if kind == "builtin":
        return [rng.choice(BUILTIN_OBJECTS) for _ in range(rng.randint(1, 4))]
    if kind == "partial":
        callables = [o for o in BUILTIN_OBJECTS if callable(o)]
        args = tuple(rng.choice([1, "a", None, 2.5, rng.choice(BUILTIN_OBJECTS)])
                     for _ in range(rng.randint(0, 3)))
        keywords = {rng.choice(["key", "base", "default", "x"]): rng.choice([0, "b", len, None])
                    for _ in range(rng.randint(0, 3))}
        inner = functools.partial(rng.choice(callables), *args, **keywords)
        return functools.partial(inner, rng.randint(0, 9)) if rng.random() < 0.2 else inner
    raise ValueError(kind)


# What a pickle may name by reference whose repr CPython prints without an address:
# builtins' classes, functions (open is io.open) and constants, the value modules' classes, and the
# types of the singletons (pickled as type(None), ...). Enum classes (<enum 'SafeUUID'>)
# are not written as Python writes them yet.
BUILTIN_OBJECTS = sorted(
    (o for o in vars(builtins).values()
     if isinstance(o, (type, types.BuiltinFunctionType)) and o.__module__ in ("builtins", "io")
     or o in (Ellipsis, NotImplemented)),
    key=repr,
) + [getattr(m, n) for m in (collections, datetime, decimal, fractions, uuid)
     for n in sorted(vars(m)) if not n.startswith("_") and isinstance(getattr(m, n), type)
     and getattr(m, n).__module__ == m.__name__ and not isinstance(getattr(m, n), enum.EnumMeta)
     ] + [type(None), type(...), type(NotImplemented)]


KINDS = ["timedelta", "timezone", "datetime", "time", "date", "decimal", "fraction", "complex",
         "range", "uuid", "ipv6", "ipv4", "network", "regex", "regex_flag", "counter", "builtin",
         "partial"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--count", type=int, required=True)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    out = sys.stdout
    for _ in range(args.count):
        for kind in KINDS:
            v = value(rng, kind)
            for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
                data = pickle.dumps(v, protocol)
                out.write(json.dumps([kind, protocol, data.hex(), repr(pickle.loads(data))]) + "\n")


main()
