#!/usr/bin/env python3
"""Python timings beside the command's: picklegraph.scan against picklescan's Python API,
picklegraph.open(...).tensors() + .array() against torch.load(weights_only=True), and
what picklegraph.safe_load refuses in the zoo.

    VENV/bin/python benches/python_models.py scan [--repeat N] [--cli BIN] FILE_OR_DIR ...
    TORCH_VENV/bin/python benches/python_models.py tensors [--repeat N] [--cli BIN] CHECKPOINT ...
    STACK_VENV/bin/python benches/python_models.py safe-load FILE_OR_DIR ...

`scan` reads each report's `.findings` (picklescan's result holds its globals), and needs
picklescan (PyPI) beside picklegraph, `tensors` torch; `safe-load` loads what
passes the scan with CPython's unpickler, so run it in the venv of the stack that wrote the
files (tests/fixtures/zoo/README.md) to see what loads. Each timing is a call's process
CPU time (time.process_time), summed over the files; the tools take turns (`scan`: each
over all the files, then the next), `--repeat` rounds; the medians are printed.

`--cli BIN` adds the command on the same files: `BIN scan -j 1 FILE...` (for `scan`) and
`BIN show FILE` (for `tensors`: its table of a checkpoint's tensors), each the CPU time of
the whole child process (resource.getrusage of the children, so its start included), one
process for all the files of `scan`, one per checkpoint for `tensors`.
"""

import argparse
import io
import os
import pathlib
import resource
import statistics
import subprocess
import time

import picklegraph


def files(paths):
    for path in map(pathlib.Path, paths):
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix != ".txt"
                              and not p.name.endswith((".tsv", ".json", ".md", ".py")))
        else:
            yield path


def cpu_ms(function):
    start = time.process_time()
    function()
    return (time.process_time() - start) * 1000


def child_cpu_ms(argv):
    """The CPU time (user + system) of running `argv` to its end, in ms."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) * 1000


def median_ms(function, repeat):
    return statistics.median(cpu_ms(function) for _ in range(repeat))


def scan(args):
    from picklescan.scanner import scan_file_path

    chosen = list(files(args.paths))
    size = sum(p.stat().st_size for p in chosen)
    rounds = []
    for _ in range(args.repeat):
        # Each tool over all the files in turn (file by file in turn, picklescan left
        # the caches cold for picklegraph: 64 ms instead of 47 on the zoo).
        theirs = sum(cpu_ms(lambda: scan_file_path(str(path))) for path in chosen)
        ours = sum(cpu_ms(lambda: picklegraph.scan(path).findings) for path in chosen)
        cli = child_cpu_ms([args.cli, "scan", "-j", "1", *map(str, chosen)]) if args.cli else 0
        rounds.append((theirs, ours, cli))
    theirs, ours, cli = (statistics.median(r[i] for r in rounds) for i in range(3))
    line = (f"| {len(chosen)} files, {size / 1e6:.2f} MB | {theirs:.1f} | {ours:.1f} "
            f"| {theirs / ours:.1f}x |")
    if args.cli:
        line += f" {cli:.1f} | {ours / cli:.2f}x |"
    print(line)


def tensors(args):
    import torch

    print("| checkpoint | MB | tensors | torch.load(weights_only=True) ms "
          "| open().tensors() ms | + .array() of each ms | ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for path in files(args.paths):
        def ours_tensors():
            picklegraph.open(path).tensors()

        def ours_arrays():
            archive = picklegraph.open(path)
            for tensor in archive.tensors():
                if tensor.byte_range is not None:
                    archive.array(tensor.name)

        def theirs():
            torch.load(path, weights_only=True, map_location="cpu")

        count = len(picklegraph.open(path).tensors())
        t = median_ms(theirs, args.repeat)
        o = median_ms(ours_tensors, args.repeat)
        a = median_ms(ours_arrays, args.repeat)
        line = (f"| {path.name} | {path.stat().st_size / 1e6:.2f} | {count} | {t:.2f} | {o:.2f} "
                f"| {a:.2f} | {t / a:.1f}x |")
        if args.cli:
            cli = statistics.median(child_cpu_ms([args.cli, "show", str(path)])
                                    for _ in range(args.repeat))
            line += f" {cli:.2f} |"
        print(line)


def safe_load(args):
    refused, loaded, failed = [], [], []
    for path in files(args.paths):
        with open(path, "rb") as f:
            try:
                picklegraph.safe_load(f)
            except picklegraph.UnsafePickleError as error:
                refused.append((path, error.report.verdict, str(error)))
            except Exception as error:  # noqa: BLE001 - the loader's own failure, reported
                failed.append((path, f"{type(error).__name__}: {str(error)[:100]}"))
            else:
                loaded.append(path)
    print(f"{len(loaded)} loaded, {len(refused)} refused, {len(failed)} passed the scan "
          "but did not load")
    for path, verdict, why in refused:
        print(f"refused  {path}: {why}")
    for path, why in failed:
        print(f"no load  {path}: {why}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["scan", "tensors", "safe-load"])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cli", help="the picklegraph command, timed on the same files")
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args()
    {"scan": scan, "tensors": tensors, "safe-load": safe_load}[args.what](args)


if __name__ == "__main__":
    main()
