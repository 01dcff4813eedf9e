#!/usr/bin/env python3
"""Times picklegraph.loads against pickle.loads on the benchmark inputs, in one process.

    python3 benches/make_inputs.py ints strs records nested floats_p2 ints_p0
    VENV/bin/python benches/python_loads.py [--repeat N] [NAME ...]

Both build the same Python objects (picklegraph's graph, then one Python object per
node). Each sample is one call's process CPU time (time.process_time), the two run in
turn; the garbage collector is off for both, as pickle.loads is usually measured (its
allocations of containers trigger collections that say nothing about the unpickler).
Prints the median and the best of each, and the ratio of medians (picklegraph / CPython:
below 1 is faster).
"""

import argparse
import gc
import os
import pickle
import statistics
import time

import picklegraph

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INPUTS = os.path.join(ROOT, "target", "bench-inputs")
NAMES = ["ints", "strs", "records", "nested", "floats_p2", "ints_p0"]


def sample(function, data):
    gc.disable()
    try:
        start = time.process_time()
        value = function(data)
        elapsed = time.process_time() - start
    finally:
        gc.enable()
    del value
    return elapsed * 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("names", nargs="*", default=NAMES)
    args = parser.parse_args()
    print("| input | MB | pickle.loads ms (median, best) | picklegraph.loads ms (median, best) | ratio |")
    print("| --- | --- | --- | --- | --- |")
    for name in args.names:
        with open(os.path.join(INPUTS, f"{name}.pkl"), "rb") as file:
            data = file.read()
        assert picklegraph.loads(data) == pickle.loads(data)
        ours, theirs = [], []
        for _ in range(args.repeat):
            theirs.append(sample(pickle.loads, data))
            ours.append(sample(picklegraph.loads, data))
        mine, cpython = statistics.median(ours), statistics.median(theirs)
        print(f"| {name} | {len(data) / 1e6:.1f} | {cpython:.1f}, {min(theirs):.1f} "
              f"| {mine:.1f}, {min(ours):.1f} | {mine / cpython:.2f}x |")


if __name__ == "__main__":
    main()
