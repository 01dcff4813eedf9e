#!/usr/bin/env python3
"""Python timings beside the command's: picklegraph.scan against picklescan's Python API,
picklegraph.open(...).tensors() + .array() against torch.load(weights_only=True), and
what picklegraph.safe_load refuses in the zoo.

    VENV/bin/python benches/python_models.py scan [--repeat N] FILE_OR_DIR ...
    TORCH_VENV/bin/python benches/python_models.py tensors [--repeat N] CHECKPOINT ...
    STACK_VENV/bin/python benches/python_models.py safe-load FILE_OR_DIR ...

`scan` needs picklescan (PyPI) beside picklegraph, `tensors` torch; `safe-load` loads what
passes the scan with CPython's unpickler, so run it in the venv of the stack that wrote the
files (tests/fixtures/zoo/README.md) to see what loads. Each timing is a call's process
CPU time (time.process_time), the two tools in turn, `--repeat` times; the medians are
printed.
"""

import argparse
import io
import os
import pathlib
import statistics
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


def median_ms(function, repeat):
    return statistics.median(cpu_ms(function) for _ in range(repeat))


def scan(args):
    from picklescan.scanner import scan_file_path

    chosen = list(files(args.paths))
    ours = theirs = 0.0
    size = sum(p.stat().st_size for p in chosen)
    for _ in range(args.repeat):
        for path in chosen:
            theirs += cpu_ms(lambda: scan_file_path(str(path)))
            ours += cpu_ms(lambda: picklegraph.scan(path))
    ours, theirs = ours / args.repeat, theirs / args.repeat
    print(f"| {len(chosen)} files, {size / 1e6:.2f} MB | {theirs:.1f} | {ours:.1f} "
          f"| {theirs / ours:.1f}x |")


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
        print(f"| {path.name} | {path.stat().st_size / 1e6:.2f} | {count} | {t:.2f} | {o:.2f} "
              f"| {a:.2f} | {t / a:.1f}x |")


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
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args()
    {"scan": scan, "tensors": tensors, "safe-load": safe_load}[args.what](args)


if __name__ == "__main__":
    main()
