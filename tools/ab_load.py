#!/usr/bin/env python3
"""Compares the load time of two picklegraph binaries on the benchmark inputs.

On a shared machine one timing moves by a third from minute to minute, so two builds
are only comparable when measured in the same minutes: this runs them alternately,
one load per process (`picklegraph stats --json`, whose `load_cpu_seconds` is the CPU
time of the load alone), and prints the median of each and their ratio.

    python3 tools/ab_load.py OLD_BINARY NEW_BINARY [--runs 9] [--only INPUT ...]

INPUT names files of target/bench-inputs/ (`python3 benches/make_inputs.py` writes
them); the default is the six inputs of the load target. Build the old binary from a
worktree, e.g. `git worktree add /tmp/old REV && CARGO_TARGET_DIR=/tmp/old-target
cargo build --release --manifest-path /tmp/old/Cargo.toml`.
"""

import argparse
import json
import os
import statistics
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INPUTS = os.path.join(ROOT, "target", "bench-inputs")
DEFAULT = ["ints", "strs", "records", "nested", "floats_p2", "ints_p0"]


def load_cpu_ms(binary, path):
    out = subprocess.run([binary, "stats", "--json", path], capture_output=True, text=True, check=True).stdout
    report = json.loads(out.splitlines()[0])
    return 1000 * (report["load_cpu_seconds"] or report["load_seconds"])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--only", nargs="+", default=DEFAULT, help="inputs to measure")
    parser.add_argument("--runs", type=int, default=9, help="processes per binary and input")
    args = parser.parse_args()
    print("| input | old ms | new ms | old / new |\n|---|---|---|---|")
    for name in args.only:
        path = os.path.join(INPUTS, name + ".pkl")
        old, new = [], []
        for _ in range(args.runs):
            old.append(load_cpu_ms(args.old, path))
            new.append(load_cpu_ms(args.new, path))
        a, b = statistics.median(old), statistics.median(new)
        print("| %s | %.1f | %.1f | %.2fx |" % (name, a, b, a / b))


if __name__ == "__main__":
    main()
