#!/usr/bin/env python3
"""Scans every file under a folder with picklegraph, as a Dask bag.

    pip install picklegraph "dask[distributed]"
    python examples/scan_with_dask.py MODELS_DIR                 # a local cluster
    python examples/scan_with_dask.py MODELS_DIR --scheduler tcp://host:8786

Each worker scans the files of its partitions with `picklegraph.scan(path)`, which reads
a file without running it (the same answer as `picklegraph scan`), and sends back only
the small summary: path, verdict, and the names that are not on the allow list. Nothing
here is specific to Dask but the bag: picklegraph has no cluster code of its own, so the
same function maps over a Ray dataset (`ray.data.from_items(paths).map(scan_one)`) or a
Spark RDD (`sc.parallelize(paths).map(scan_one)`) the same way. The workers need the
files at the same paths (a shared file system or a mounted bucket).
"""

import argparse
import json
import os
import sys


def scan_one(path):
    """The verdict of one file and what counts against it; a file that cannot be read
    is reported, never counted as clean."""
    import picklegraph

    try:
        report = picklegraph.scan(path)
    except (OSError, ValueError) as error:
        return {"path": path, "verdict": "error", "error": str(error), "findings": []}
    return {
        "path": path,
        "verdict": report.verdict,
        "findings": sorted({f.name or f.text for f in report.findings if not f.allowed}),
    }


def files_under(folder):
    """Every regular file under `folder`, sorted."""
    paths = []
    for root, _, names in os.walk(folder):
        paths.extend(os.path.join(root, name) for name in names)
    return sorted(p for p in paths if os.path.isfile(p))


def scan_folder(folder, client=None, partitions=None):
    """The summaries of every file under `folder`, computed on the Dask cluster of
    `client` (or dask's default scheduler), in path order."""
    import dask.bag as db

    paths = files_under(folder)
    if not paths:
        return []
    bag = db.from_sequence(paths, npartitions=partitions or min(len(paths), 64))
    results = bag.map(scan_one)
    computed = client.compute(results).result() if client else results.compute()
    return sorted(computed, key=lambda row: row["path"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--scheduler", help="address of a running Dask scheduler")
    parser.add_argument("--workers", type=int, default=2, help="local worker processes")
    args = parser.parse_args()

    from dask.distributed import Client, LocalCluster

    if args.scheduler:
        client = Client(args.scheduler)
    else:
        client = Client(LocalCluster(n_workers=args.workers, threads_per_worker=1,
                                     processes=True, dashboard_address=None))
    with client:
        rows = scan_folder(args.folder, client)
    for row in rows:
        print(json.dumps(row))
    return 3 if any(row["verdict"] == "dangerous" for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
