"""torch.load's side of BENCHMARKS.md's model-file table: needs a venv with torch.

    python3 -m venv target/torch-venv && target/torch-venv/bin/pip install torch
    /usr/bin/time -f "%e s %M KiB" target/torch-venv/bin/python tools/bench_torch_load.py \\
        target/model-bench/big.pt [mmap]

Times `import torch`, then five `torch.load(path, weights_only=True)` calls, each
followed by the table picklegraph prints (name, dtype, shape, bytes), and prints the
best of the five.
"""
import sys
import time

t0 = time.perf_counter()
import torch
t1 = time.perf_counter()
path, mmap = sys.argv[1], sys.argv[2:] == ["mmap"]
best = None
for _ in range(5):
    s = time.perf_counter()
    sd = torch.load(path, weights_only=True, mmap=mmap)
    rows = [(k, t.dtype, tuple(t.shape), t.numel() * t.element_size()) for k, t in sd.items()]
    e = time.perf_counter() - s
    best = e if best is None else min(best, e)
    del sd
print(f"{path} mmap={mmap}: import torch {t1-t0:.2f} s, torch.load + table best of 5 {best*1000:.1f} ms, {len(rows)} tensors")
