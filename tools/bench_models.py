#!/usr/bin/env python3
"""Time picklegraph on the ~20 MiB checkpoints: wall time and peak memory per run.

    cargo build --release --example tensor_table --bin picklegraph
    python3 tools/bench_models.py [RUNS]

Writes target/model-bench/big.pt and big_legacy.pt first if they are missing
(tests/fixtures/gen/model_cases.py --big), then runs each command RUNS times
(default 20) and prints the median and the slowest wall time, the median CPU
time (user + system, from getrusage) and the largest peak resident set size
(as /usr/bin/time reports it). Every run is a fresh process, so
the times include starting it. The file stays in the page cache between runs,
as it does when one looks at a checkpoint twice.
"""

import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "target" / "model-bench"
RELEASE = ROOT / "target" / "release"


def ensure_checkpoints():
    if not (BENCH / "big.pt").exists() or not (BENCH / "big_legacy.pt").exists():
        subprocess.run([sys.executable, str(ROOT / "tests/fixtures/gen/model_cases.py"),
                        "--big", str(BENCH)], check=True)


def measure(command, runs):
    """(median wall seconds, slowest, median CPU seconds, largest peak RSS in KiB).

    Wall time is taken around each run of the command itself; the peak resident set
    size from a run under /usr/bin/time (a child of this python would count the
    python's own pages copied before it execs).
    """
    times, cpus, peaks = [], [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        times.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        if result.returncode not in (0, 3):  # scan exits 3 on a dangerous pickle
            raise RuntimeError(result.stderr.decode().strip() or f"exit {result.returncode}")
        timed = subprocess.run(["/usr/bin/time", "-f", "%M", *command],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        peaks.append(int(timed.stderr.decode().split()[-1]))
    return statistics.median(times), max(times), statistics.median(cpus), max(peaks)


def commands():
    picklegraph = RELEASE / "picklegraph"
    tiny = ROOT / "tests/fixtures/data/none.p0.pkl"
    if picklegraph.exists():
        # The baseline: starting the process and printing a 2-byte pickle.
        yield "picklegraph show (2-byte pickle)", [str(picklegraph), "show", str(tiny)]
    for name in ("big.pt", "big_legacy.pt"):
        path = str(BENCH / name)
        yield f"tensor_table {name}", [str(RELEASE / "examples" / "tensor_table"), path]
        if picklegraph.exists():
            for view in ("show", "scan", "json"):
                yield f"picklegraph {view} {name}", [str(picklegraph), view, path]


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    ensure_checkpoints()
    sizes = {p.name: p.stat().st_size for p in BENCH.glob("big*.pt")}
    print(f"checkpoints: {sizes}; {runs} runs each")
    print(f"{'command':<32} {'median':>8} {'slowest':>8} {'CPU':>8} {'peak RSS':>10}")
    for label, command in commands():
        try:
            median, slowest, cpu, peak = measure(command, runs)
        except RuntimeError as error:
            print(f"{label:<32} failed: {str(error)[:60]}")
            continue
        print(f"{label:<32} {median * 1000:>5.1f} ms {slowest * 1000:>5.1f} ms "
              f"{cpu * 1000:>5.1f} ms {peak / 1024:>6.1f} MiB")


if __name__ == "__main__":
    main()
