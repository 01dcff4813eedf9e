"""Writes the pickles of tests/testsuite/recognizers/cloudpickle1/: what cloudpickle 1.x
ships, which the fixtures (cloudpickle 2.1 and 3.1) do not cover.

    python3.7 -m venv v16 && v16/bin/pip install cloudpickle==1.6.0
    v16/bin/python cloudpickle1.py cloudpickle1 cp16_py37      # _make_function, 15-argument code
    python3.7 -m venv v14 && v14/bin/pip install cloudpickle==1.4.1
    v14/bin/python cloudpickle1.py cloudpickle1 cp14_py37      # _make_skel_func, _fill_function,
                                                               # _rehydrate_skeleton_class
    pip2 install --target lib27 cloudpickle==1.2.2
    PYTHONPATH=lib27 python2.7 cloudpickle1.py cloudpickle1 cp12_py27  # Python 2 code objects

Each case runs in this module (so in __main__), compiled as ex.py; the class tracker ids
come from a counter, so a run writes the same bytes.
"""
import os
import sys
import uuid

_ids = iter(range(1, 1000))
uuid.uuid4 = lambda: uuid.UUID(int=next(_ids))

import cloudpickle  # noqa: E402 (after the uuid patch)

CASES = {
    "seed_main": '''
class BaseClass(object):
    def func(self):
        print("BaseClass")


class SubClass(BaseClass):
    def subfunc(self):
        print("SubClass")


obj = SubClass()
''',
    "closure": '''
def make_adder(n):
    def add(x, y=1):
        return x + y + n
    return add


obj = make_adder(5)
''',
    "function_globals": '''
import math

SCALE = 10


def area(r):
    return SCALE * math.pi * r * r


obj = area
''',
}

out_dir, tag = sys.argv[1], sys.argv[2]
# The cases' functions share this module's globals: keep the script's own path out.
del globals()["__file__"]
for case in sorted(CASES):
    exec(compile(CASES[case], "ex.py", "exec"), globals())
    with open(os.path.join(out_dir, "%s_%s.pkl" % (tag, case)), "wb") as f:
        f.write(cloudpickle.dumps(obj, protocol=2))  # noqa: F821 (defined by the case)
