"""examples/scan_with_dask.py on a local Dask cluster of worker processes: the verdicts
equal the command's on the same files."""

import importlib.util
import json
import shutil

import pytest

from conftest import FIXTURES, ROOT, run_command

distributed = pytest.importorskip("dask.distributed", reason="dask[distributed] not installed")


def _example():
    spec = importlib.util.spec_from_file_location("scan_with_dask",
                                                  ROOT / "examples" / "scan_with_dask.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dask_scan_of_a_folder_has_the_commands_verdicts(tmp_path, marker):
    folder = tmp_path / "hub"
    for sub in ("hostile", "stdlib", "torch"):
        shutil.copytree(FIXTURES / sub, folder / sub,
                        ignore=shutil.ignore_patterns("*.dis", "*.repr", "*.err"))
    (folder / "payload.pkl").write_bytes(f"cos\nsystem\n(S'touch {marker}'\ntR.".encode())
    example = _example()
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    with cluster, distributed.Client(cluster) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        rows = example.scan_folder(str(folder), client, partitions=4)
    assert len(rows) == len(example.files_under(str(folder))) > 20
    for row in rows:
        done = run_command("scan", "--json", row["path"])
        if not done.stdout:
            assert row["verdict"] == "error" or row["verdict"] != "clean"
            continue
        assert row["verdict"] == json.loads(done.stdout)["verdict"], row["path"]
    assert any(row["verdict"] == "dangerous" for row in rows)
