#!/usr/bin/env python3
"""picklegraph against CPython's own unpickler, on the same inputs, in one run.

    python3 benches/make_inputs.py        # once: writes target/bench-inputs/*.pkl
    cargo build --release                 # the picklegraph binary timed here
    python3 benches/compare.py            # the table; --repeat N, --growth, --only NAME...
    python3 benches/compare.py --scan     # `picklegraph scan DIR` against picklescan

How each number is taken (medians of --repeat runs, default 5):

* picklegraph load: `target/release/picklegraph stats --json FILE` reports the time its
  `load` took (measured around the call, on the memory-mapped file): no process start,
  no output in it; both wall time and the thread's CPU time (CLOCK_THREAD_CPUTIME_ID).
* CPython: a child `python3` reads the file into a bytes object, then times
  `pickle.loads(data)` by `time.thread_time()` (the same clock) and
  `time.perf_counter()`: the first load of a fresh process with the garbage collector
  on, the same with it off (both like picklegraph's one load per process: memory
  that is new to the process costs a page fault per 4 KiB), and "warm": loads 2..N in
  one process with gc off, which reuse the memory the earlier loads freed.
* Ratios use CPU time: on a shared machine the wall time of a 50 ms load mostly measures
  the other processes. The wall-time ratio is printed beside it. "paired" is the median
  of N ratios, each of one picklegraph load and one CPython gc-off load run back to back,
  which the machine's drift from minute to minute moves less than the ratio of the two
  medians. numpy_big
  needs numpy: it runs under target/bench-venv/bin/python when the system python3 has
  none, and is skipped for CPython otherwise.
* Peak RSS: `/usr/bin/time -f %M` of `picklegraph stats FILE` and for
  a child python3 that reads the file and runs `pickle.loads` once (gc off). Both include
  the file's bytes (mapped pages for picklegraph, a bytes object for CPython).
* dis: `pickletools.dis(data, out)` to /dev/null (CPU time) against
  `picklegraph dis FILE >/dev/null` (CPU time of the whole command), on the small
  inputs only (pickletools reads 1-4 MB/s). Skipped while `picklegraph dis` is not built.
* views: CPU time of the whole `picklegraph repr|show|json FILE >/dev/null` command
  (load, render, write, exit) against the CPU time of the load alone.

Ratios are CPython / picklegraph: above 1 means picklegraph is faster or smaller.

--scan times `picklegraph scan DIR` against picklescan (`picklescan --path DIR`, installed
from PyPI into target/bench-scan-venv, which the script makes) on the same folders in the
same run, the page cache warmed first, medians of --repeat runs:

* scan-large: the inputs of make_inputs.py but numpy_big and memo_bomb (ints, strs,
  records, nested, floats_p2, cloud; about 80 MB of pickle), written first if missing.
* scan-small: 20,000 small pickles (100 B to 4 KB: settings dicts, float lists,
  OrderedDicts built by REDUCE, one in fifty calling os.system) in 100 folders, written
  by this script from a fixed seed.

picklegraph is timed with one thread (`-j 1`: MB/s per core is bytes over its CPU time)
and with every core (wall time, which files/s uses); picklescan is one process. Output
goes to /dev/null. Ratios are picklescan / picklegraph wall time.
"""

import argparse
import json
import os
import pickle
import platform
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INPUTS = os.path.join(ROOT, "target", "bench-inputs")
BINARY = os.path.join(ROOT, "target", "release", "picklegraph")
VENV_PYTHON = os.path.join(ROOT, "target", "bench-venv", "bin", "python")
NAMES = ["ints", "strs", "records", "nested", "floats_p2", "ints_p0", "cloud", "numpy_big", "memo_bomb"]
DIS_NAMES = ["records", "cloud", "memo_bomb"]
VIEW_NAMES = ["records", "cloud", "numpy_big"]

CPYTHON_TIMER = r"""
import gc, json, pickle, sys, time
data = open(sys.argv[1], "rb").read()
mode, loads = sys.argv[2], int(sys.argv[3])
sys.setrecursionlimit(100_000)
times = []
for _ in range(loads):
    gc.collect()
    if mode == "gc_off":
        gc.disable()
    start, cpu = time.perf_counter(), time.thread_time()
    obj = pickle.loads(data)
    times.append((time.perf_counter() - start, time.thread_time() - cpu))
    del obj
    gc.enable()
print(json.dumps(times))
"""

CPYTHON_PEAK = r"""
import gc, pickle, sys
sys.setrecursionlimit(100_000)
gc.disable()
data = open(sys.argv[1], "rb").read()
obj = pickle.loads(data)
"""

CPYTHON_DIS = r"""
import os, pickletools, sys, time
data = open(sys.argv[1], "rb").read()
with open(os.devnull, "w") as out:
    start = time.thread_time()
    pickletools.dis(data, out)
    print(time.thread_time() - start)
"""


def run_child(cmd, stdout=subprocess.PIPE):
    """Runs a command under /usr/bin/time; returns (stdout bytes, seconds, peak RSS in
    KiB, exit code), where seconds is the child's CPU time (user + system, 10 ms
    resolution). The child's own ru_maxrss from os.wait4 would start at this script's
    RSS, which a fork copies; /usr/bin/time is small."""
    with tempfile.NamedTemporaryFile("r") as usage_file:
        proc = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", "-o", usage_file.name] + cmd, stdout=stdout, stderr=subprocess.DEVNULL)
        rss, user, system = usage_file.read().split()[-3:]
    return proc.stdout or b"", float(user) + float(system), int(rss), proc.returncode


def cpu_of_child(cmd, stdout=subprocess.PIPE):
    """Runs a command; returns (stdout bytes, its CPU seconds (user + system), exit code).
    The CPU time is the kernel's own account from wait4, to the microsecond, where
    /usr/bin/time prints it in 10 ms steps: a 150 ms view against a 60 ms load read in
    10 ms steps moved its ratio by a sixth from one step to the next."""
    proc = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.DEVNULL)
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return out, usage.ru_utime + usage.ru_stime, proc.returncode


def python_for(name):
    if name != "numpy_big":
        return sys.executable
    try:
        import numpy  # noqa: F401

        return sys.executable
    except ImportError:
        return VENV_PYTHON if os.path.exists(VENV_PYTHON) else None


def picklegraph_load(path, repeat):
    """Median (wall, CPU) seconds of picklegraph's load, and the peak RSS of `stats`."""
    walls, cpus, peak = [], [], 0
    for _ in range(repeat):
        out, _, rss, code = run_child([BINARY, "stats", "--json", path])
        if code != 0:
            raise SystemExit("picklegraph stats %s failed (exit %d)" % (path, code))
        report = json.loads(out.splitlines()[0])
        walls.append(report["load_seconds"])
        cpus.append(report["load_cpu_seconds"] or report["load_seconds"])
        peak = max(peak, rss)
    return (statistics.median(walls), statistics.median(cpus)), peak


def cpython_load(python, path, repeat):
    """Medians of (wall, CPU) seconds of `pickle.loads`: the first load in a fresh
    process with gc on, the same with gc off (as picklegraph is timed: one load per
    process), and gc off warm (loads 2..N in one process, which reuse the memory the
    earlier ones freed, as `timeit` measures); and the peak RSS of one load."""

    def timed(mode, loads, children):
        runs = []
        for _ in range(children):
            out, _, _, code = run_child([python, "-c", CPYTHON_TIMER, path, mode, str(loads)])
            if code != 0:
                return None
            runs += json.loads(out)[1:] if loads > 1 else json.loads(out)
        return tuple(statistics.median(run[i] for run in runs) for i in (0, 1))

    on, off = timed("gc_on", 1, repeat), timed("gc_off", 1, repeat)
    warm = timed("gc_off", repeat + 1, 1)
    if on is None:
        return None
    _, _, peak, _ = run_child([python, "-c", CPYTHON_PEAK, path])
    return on, off, warm, peak


def paired_ratio(python, path, repeat):
    """The median, over `repeat` pairs run back to back, of CPython's first load with gc
    off against picklegraph's load (CPU time): the machine's speed drifts from minute to
    minute, which separate medians of the two series take into their ratio and a pair
    mostly does not."""
    ratios = []
    for _ in range(repeat):
        ours = picklegraph_load(path, 1)[0][1]
        out, _, _, code = run_child([python, "-c", CPYTHON_TIMER, path, "gc_off", "1"])
        if code != 0 or not ours:
            return None
        ratios.append(json.loads(out)[0][1] / ours)
    return statistics.median(ratios)


def command_works(args):
    probe = os.path.join(INPUTS, "memo_bomb.pkl")
    _, _, _, code = run_child([BINARY] + args + [probe], stdout=subprocess.DEVNULL)
    return code == 0


def ms(seconds):
    return "%.2f" % (seconds * 1000)


def ratio(a, b):
    return "%.1fx" % (a / b) if a and b else "-"


def load_table(names, repeat):
    header = (
        "| input | MB | picklegraph CPU ms | wall ms | MB/s (CPU) | pickle.loads gc on CPU ms | gc off CPU ms "
        "| gc off warm CPU ms | ratio gc on | ratio gc off | ratio gc off, paired | ratio gc off warm "
        "| ratio gc off (wall) "
        "| RSS picklegraph MB | RSS CPython MB | RSS ratio |"
    )
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    loads = {}
    for name in names:
        path = os.path.join(INPUTS, name + ".pkl")
        if not os.path.exists(path):
            print("| %s | (not generated: python3 benches/make_inputs.py %s) |" % (name, name))
            continue
        size = os.path.getsize(path)
        (wall, cpu), our_rss = picklegraph_load(path, repeat)
        loads[name] = cpu
        python = python_for(name)
        theirs = cpython_load(python, path, repeat) if python else None
        paired = paired_ratio(python, path, repeat) if theirs else None
        none = (None, None)
        (_, on), (off_wall, off), (_, warm), their_rss = theirs if theirs else (none, none, none, None)
        row = [
            name,
            "%.1f" % (size / 1e6),
            ms(cpu),
            ms(wall),
            "%.0f" % (size / max(cpu, 1e-9) / 1e6),
            ms(on) if on else "-",
            ms(off) if off else "-",
            ms(warm) if warm else "-",
            ratio(on, cpu),
            ratio(off, cpu),
            "%.1fx" % paired if paired else "-",
            ratio(warm, cpu),
            ratio(off_wall, wall),
            "%.1f" % (our_rss / 1024),
            "%.1f" % (their_rss / 1024) if their_rss else "-",
            ratio(their_rss, our_rss),
        ]
        print("| " + " | ".join(row) + " |", flush=True)
    return loads


def dis_table(names, repeat):
    if not command_works(["dis"]):
        print("\n(dis: `picklegraph dis` is not built on this branch yet; skipped)")
        return
    print("\n| input | pickletools.dis ms | picklegraph dis ms | ratio |")
    print("|---|---|---|---|")
    for name in names:
        path = os.path.join(INPUTS, name + ".pkl")
        if not os.path.exists(path):
            continue
        theirs = statistics.median(float(run_child([sys.executable, "-c", CPYTHON_DIS, path])[0]) for _ in range(repeat))
        ours = statistics.median(cpu_of_child([BINARY, "dis", path], stdout=subprocess.DEVNULL)[1] for _ in range(repeat))
        print("| %s | %s | %s | %s |" % (name, ms(theirs), ms(ours), ratio(theirs, ours)), flush=True)


def views_table(names, loads, repeat):
    """Each view's whole command against the load alone. The machine's speed drifts from
    minute to minute, so each run of a view is paired with a load timed just before it,
    and the ratio is the median of the pairs' ratios."""
    views = [view for view in ("repr", "show", "json") if command_works([view])]
    print("\n| input | load CPU ms | " + " | ".join("%s CPU ms (whole command) | / load" % v for v in views) + " |")
    print("|---|---|" + "---|---|" * len(views))
    for name in names:
        path = os.path.join(INPUTS, name + ".pkl")
        if name not in loads:
            continue
        cells = []
        for view in views:
            times, ratios = [], []
            for _ in range(repeat):
                load = picklegraph_load(path, 1)[0][1]
                cpu = cpu_of_child([BINARY, view, path], stdout=subprocess.DEVNULL)[1]
                times.append(cpu)
                if load > 0 and cpu > 0:
                    ratios.append(cpu / load)
            median = statistics.median(times)
            cells += [ms(median), "%.2fx" % statistics.median(ratios)] if ratios and median > 0 else ["-", "-"]
        print("| %s | %s | %s |" % (name, ms(loads[name]), " | ".join(cells)), flush=True)


def growth_table(names, repeat):
    """Loads each generator at 1x, 4x and 16x the data (make_inputs.py --scale 0.25, 1,
    4) and prints how the time per unit of data changes: 1.0 is exactly linear."""
    print("\n| input | 1x ms | 4x ms | 16x ms | 4x / (4 * 1x) | 16x / (16 * 1x) |")
    print("|---|---|---|---|---|---|")
    for name in names:
        base = 1 if name == "memo_bomb" else 0.25
        times = []
        for factor in (1, 4, 16):
            scale = base * factor
            suffix = "" if scale == 1 else ".x%g" % scale
            path = os.path.join(INPUTS, "%s%s.pkl" % (name, suffix))
            if not os.path.exists(path):
                subprocess.run([sys.executable, os.path.join(ROOT, "benches", "make_inputs.py"), "--scale", str(scale), name], check=True, stdout=subprocess.DEVNULL)
            times.append(picklegraph_load(path, repeat)[0][1])
        t1, t4, t16 = times
        print("| %s | %s | %s | %s | %.2f | %.2f |" % (name, ms(t1), ms(t4), ms(t16), t4 / (4 * t1), t16 / (16 * t1)), flush=True)


SCAN_VENV = os.path.join(ROOT, "target", "bench-scan-venv")
SCAN_LARGE = ["ints", "strs", "records", "nested", "floats_p2", "cloud"]


def small_pickle(rng, i):
    """One small pickle of the kinds a folder of configs and small models holds."""
    import collections

    kind = i % 4
    if i % 50 == 0:
        return b"cos\nsystem\n(S'echo %d'\ntR." % i
    if kind == 0:
        value = {"name": "model-%d" % i, "layers": rng.randrange(1, 64), "rate": rng.random(),
                 "tags": ["a", "b", "c"][: rng.randrange(4)]}
    elif kind == 1:
        value = [rng.random() for _ in range(rng.randrange(10, 500))]
    elif kind == 2:
        value = collections.OrderedDict(("w%d" % k, rng.randrange(1000)) for k in range(rng.randrange(1, 80)))
    else:
        value = tuple("token-%d" % rng.randrange(10**6) for _ in range(rng.randrange(5, 200)))
    return pickle.dumps(value, protocol=i % 6)


def make_scan_folders():
    """Writes scan-small (20,000 files) and links the large inputs into scan-large."""
    import random

    small = os.path.join(INPUTS, "scan-small")
    if not os.path.exists(os.path.join(small, "99", "19999.pkl")):
        rng = random.Random(22)
        for i in range(20_000):
            folder = os.path.join(small, "%02d" % (i // 200))
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, "%05d.pkl" % i), "wb") as out:
                out.write(small_pickle(rng, i))
    large = os.path.join(INPUTS, "scan-large")
    os.makedirs(large, exist_ok=True)
    missing = [n for n in SCAN_LARGE if not os.path.exists(os.path.join(INPUTS, n + ".pkl"))]
    if missing:
        subprocess.run([sys.executable, os.path.join(ROOT, "benches", "make_inputs.py")] + missing, check=True)
    for name in SCAN_LARGE:
        link = os.path.join(large, name + ".pkl")
        if not os.path.exists(link):
            os.link(os.path.join(INPUTS, name + ".pkl"), link)
    return [("scan-large", large), ("scan-small", small)]


def picklescan_command():
    """picklescan from PyPI in a venv of its own; returns (command, version)."""
    python = os.path.join(SCAN_VENV, "bin", "python")
    if not os.path.exists(os.path.join(SCAN_VENV, "bin", "picklescan")):
        subprocess.run([sys.executable, "-m", "venv", SCAN_VENV], check=True)
        subprocess.run([python, "-m", "pip", "install", "--quiet", "picklescan"], check=True)
    version = subprocess.run([python, "-c", "import importlib.metadata as m; print(m.version('picklescan'))"],
                             capture_output=True, text=True, check=True).stdout.strip()
    return [os.path.join(SCAN_VENV, "bin", "picklescan"), "--path"], version


def timed(cmd):
    """(wall seconds, CPU seconds of the child, exit code), output to /dev/null."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status)


def folder_size(folder):
    files = [os.path.join(root, n) for root, _, names in os.walk(folder) for n in names]
    return len(files), sum(os.path.getsize(f) for f in files)


def scan_table(repeat):
    folders = make_scan_folders()
    picklescan, version = picklescan_command()
    print("picklescan %s (PyPI); picklegraph %s\n" % (version, BINARY))
    header = ("| folder | files | MB | picklegraph -j 1 wall s | -j 1 CPU s | MB/s per core (CPU) "
              "| files/s per core (CPU) | picklegraph all cores wall s | files/s | MB/s "
              "| picklescan wall s | picklescan CPU s | ratio wall (all cores) | ratio CPU (one core) |")
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for name, folder in folders:
        files, size = folder_size(folder)
        for path in (os.path.join(r, n) for r, _, ns in os.walk(folder) for n in ns):
            with open(path, "rb") as f:
                f.read()
        one = [timed([BINARY, "scan", "-j", "1", folder]) for _ in range(repeat)]
        every = [timed([BINARY, "scan", folder]) for _ in range(repeat)]
        theirs = [timed(picklescan + [folder]) for _ in range(repeat)]
        one_wall, one_cpu = (statistics.median(r[i] for r in one) for i in (0, 1))
        all_wall = statistics.median(r[0] for r in every)
        their_wall, their_cpu = (statistics.median(r[i] for r in theirs) for i in (0, 1))
        row = [name, str(files), "%.1f" % (size / 1e6), "%.3f" % one_wall, "%.3f" % one_cpu,
               "%.0f" % (size / 1e6 / one_cpu), "%.0f" % (files / one_cpu), "%.3f" % all_wall,
               "%.0f" % (files / all_wall), "%.0f" % (size / 1e6 / all_wall), "%.2f" % their_wall,
               "%.2f" % their_cpu, ratio(their_wall, all_wall), ratio(their_cpu, one_cpu)]
        print("| " + " | ".join(row) + " |", flush=True)
        codes = {r[2] for r in one + every}
        print("  (%s: picklegraph exit %s, picklescan exit %s)" % (name, sorted(codes), sorted({r[2] for r in theirs})))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument("--only", nargs="*", default=None, help="inputs to measure")
    parser.add_argument("--growth", action="store_true", help="also load each input at 1x, 4x, 16x")
    parser.add_argument("--growth-only", action="store_true", help="only the 1x, 4x, 16x table")
    parser.add_argument("--scan", action="store_true", help="only scan DIR against picklescan")
    args = parser.parse_args()
    if not os.path.exists(BINARY):
        raise SystemExit("build it first: cargo build --release")
    names = args.only or NAMES
    load1 = os.getloadavg()[0]
    print("machine: %s, %d cores, %s; python %s; load average %.1f" % (platform.processor() or platform.machine(), os.cpu_count(), platform.platform(), platform.python_version(), load1))
    print("date: %s; median of %d runs\n" % (time.strftime("%Y-%m-%d %H:%M"), args.repeat))
    if args.scan:
        scan_table(args.repeat)
        return
    if args.growth_only:
        growth_table([n for n in ("ints", "strs", "records", "nested", "memo_bomb") if n in names], args.repeat)
        return
    loads = load_table(names, args.repeat)
    dis_table([n for n in DIS_NAMES if n in names], args.repeat)
    views_table([n for n in VIEW_NAMES if n in names], loads, args.repeat)
    if args.growth:
        growth_table([n for n in ("ints", "strs", "records", "nested", "memo_bomb") if n in names], args.repeat)


if __name__ == "__main__":
    main()
