"""Writes src/scan/allowlist.txt: the calls that real libraries' own pickles make.

Every constructor a library's `__reduce__` returns is what that library uses to rebuild
its own data, so the calls found in the pickles the libraries write are the allow list's
core. This script scans the files of the zoo (tests/fixtures/zoo: `current` and `torch`
stacks, each file written by a pinned release in a virtual environment) and the project's
real-library fixtures with `picklegraph scan --json --deny-only`, and keeps every call
(REDUCE, NEWOBJ, NEWOBJ_EX, INST, OBJ) of a named global that the scan does not already
know, unless the deny list calls it dangerous (such a name stays dangerous, whoever
wrote it: `torch.storage._load_from_bytes` loads a nested pickle). Test-only classes
(`fixmod`, `__main__`, `marker_mod`) and files that ship code (cloudpickle, dill) are left
out. (Generated from the `current` and `torch` stacks alone, the list refused 30 of the
158 files of the older stacks, `old` and `pandas1`: pytz's `_p` and `_UTC`, and the
module paths that pandas and scikit-learn have since moved; so every stack is scanned.)

It also writes the modules that are harmless to import: the standard library's
(`sys.stdlib_module_names`) and the top-level packages of the libraries scanned. A name
that is only referenced, never called, passes when its module is one of them.

    cargo build && python3 tools/allowlist/generate.py [--picklegraph target/debug/picklegraph]

The versions of the libraries are written at the top of the file.
"""

import argparse
import collections
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ZOO = os.path.join(ROOT, "tests", "fixtures", "zoo")
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
OUT = os.path.join(ROOT, "src", "scan", "allowlist.txt")

# Directories of files written by real libraries (relative to tests/fixtures).
SOURCES = ["zoo/current", "zoo/torch", "zoo/old", "zoo/pandas1", "pickletester", "numpy", "pandas", "joblib", "torch", "stdlib", "data"]
PICKLE_SUFFIXES = (".pkl", ".pickle", ".pt", ".pth", ".bin", ".joblib", ".npy", ".npz")
TEST_MODULES = ("fixmod", "__main__", "marker_mod", "models", "__torch__.models")
# Not data, even where a library pickles one.
NOT_DATA = ("builtins.ValueError", "builtins.UnicodeEncodeError")
# What the zoo's writers install besides the libraries (their requirements files).
REQUIREMENTS = ["zoo/requirements-current.txt", "zoo/requirements-torch.txt",
                "zoo/requirements-old.txt", "zoo/requirements-pandas1.txt", "requirements.txt"]


def files():
    for source in SOURCES:
        top = os.path.join(FIXTURES, source)
        for dirpath, _dirnames, filenames in os.walk(top):
            for filename in sorted(filenames):
                if filename.endswith(PICKLE_SUFFIXES) or ".joblib" in filename:
                    yield os.path.join(dirpath, filename)


def documents(text):
    decoder = json.JSONDecoder()
    at = 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at >= len(text):
            return
        document, at = decoder.raw_decode(text, at)
        yield document


def versions():
    pins = {}
    for requirements in REQUIREMENTS:
        path = os.path.join(FIXTURES, requirements)
        if not os.path.exists(path):
            continue
        for line in open(path):
            line = line.split("#")[0].strip()
            if "==" in line:
                name, version = line.split("==", 1)
                pins.setdefault(name.strip(), set()).add(version.strip())
    return pins


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--picklegraph", default=os.path.join(ROOT, "target", "debug", "picklegraph"))
    args = parser.parse_args()
    paths = list(files())
    run = subprocess.run([args.picklegraph, "scan", "--json", "--deny-only", *paths],
                         capture_output=True, text=True)
    calls = collections.defaultdict(set)
    modules = set()
    for document in documents(run.stdout):
        readings = [p["findings"] for p in document.get("pickles", [])]
        readings += [r["findings"] for r in document.get("other_readings", [])]
        for findings in readings:
            for finding in findings:
                name = finding.get("name")
                if not name or name in NOT_DATA or any(
                        name == m or name.startswith(m + ".") for m in TEST_MODULES):
                    continue
                top = name.split(".")[0]
                if finding["class"] != "dangerous":
                    modules.add(top)
                generated = "on the allow list:" in finding.get("reason", "")
                if finding["kind"] in ("call", "instance") and (
                        finding["class"] == "unknown" or generated):
                    calls[top].add(name)
    stdlib = sorted(set(sys.stdlib_module_names))
    pins = versions()
    with open(OUT, "w") as out:
        out.write("# Generated by tools/allowlist/generate.py; do not edit by hand.\n")
        out.write("# The calls that the pickles written by these releases make (every stack of\n")
        out.write("# tests/fixtures/zoo, and the real-library fixtures), beyond the scan's own\n")
        out.write("# table of data constructors, and the modules that are harmless to import.\n")
        out.write("# python %s\n" % sys.version.split()[0])
        for name, version in sorted(pins.items()):
            out.write("#   %s %s\n" % (name, ", ".join(sorted(version))))
        for top in sorted(calls):
            out.write("\n# %s: %d\n" % (top, len(calls[top])))
            for name in sorted(calls[top]):
                out.write("call %s\n" % name)
        out.write("\n# libraries whose pickles were scanned\n")
        for top in sorted(modules - set(stdlib)):
            out.write("module %s\n" % top)
        out.write("\n# the standard library (sys.stdlib_module_names)\n")
        for top in stdlib:
            out.write("module %s\n" % top)
    print("%d files, %d calls in %d libraries -> %s" % (
        len(paths), sum(len(v) for v in calls.values()), len(calls), os.path.relpath(OUT, ROOT)))


if __name__ == "__main__":
    main()
