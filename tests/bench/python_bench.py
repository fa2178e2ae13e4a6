#!/usr/bin/python3
"""Benchmark of the Python module (a program that prints figures, not a test; CTest does not run it).

    PYTHONPATH=build/release/python /usr/bin/python3 tests/bench/python_bench.py [--size-mib 1024] [--dir PATH] [--runs 3]

1. load_model_weights of one weight holding one tensor of SIZE MiB (F32), page cache warm,
   against np.fromfile reading the same file; each in a fresh child process, which reports
   its wall time and how much its peak RSS (VmHWM) grew.
2. save_model_weights of SIZE MiB of float32 (written, synced, re-opened, hashed, validated,
   registered) against `cp` of the resulting file on the same file system, and `cp` followed
   by `sync FILE` (the writer syncs its file before renaming it into place; cp does not).
Best of --runs for each. The data (about 3 × SIZE) go to a temporary folder, deleted after.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

import tantra_weights as tw

CHILD = r"""
import json, sys, time
import numpy as np
def hwm():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
mode, root, path = sys.argv[1:4]
import tantra_weights as tw
before = hwm()
start = time.perf_counter()
if mode == "load":
    arrays = tw.load_model_weights("bench", root=root)
    n = sum(a.size for a in arrays.values())
else:
    array = np.fromfile(path, dtype=np.uint8)
    n = array.size
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "rss_growth": hwm() - before, "n": int(n)}))
"""


def child(mode, root, path):
    out = subprocess.run([sys.executable, "-c", CHILD, mode, root, path], check=True, capture_output=True, text=True,
                         env=dict(os.environ))
    return json.loads(out.stdout)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dir", default=None)
    args = parser.parse_args()
    elements = args.size_mib * 1024 * 1024 // 4
    folder = tempfile.mkdtemp(prefix="tantra-pybench-", dir=args.dir)
    try:
        root = os.path.join(folder, "ws")
        os.makedirs(os.path.join(root, "Config"))
        with open(os.path.join(root, "Config", "bench.yaml"), "w") as f:
            f.write(f"model_type: bench\narchitecture:\n  n: {elements}\ntensors:\n  - name: w\n    shape: [n]\n    dtypes: [F32]\n")
        data = np.random.default_rng(0).standard_normal(elements, dtype=np.float32)

        saves, copies, synced = [], [], []
        path = None
        for run in range(args.runs):
            start = time.perf_counter()
            path = tw.save_model_weights({"w": data}, "bench", version=f"r{run}", activate=True, root=root)
            saves.append(time.perf_counter() - start)
            target = os.path.join(folder, f"copy{run}")
            start = time.perf_counter()
            subprocess.run(["cp", path, target], check=True)
            copies.append(time.perf_counter() - start)
            os.remove(target)
            # The writer makes its file durable (QSaveFile syncs before the rename); cp does not.
            start = time.perf_counter()
            subprocess.run(["cp", path, target], check=True)
            subprocess.run(["sync", target], check=True)
            synced.append(time.perf_counter() - start)
            os.remove(target)
        del data
        # Keep only the active weight, so the workspace holds one file of SIZE.
        tw.WeightManager(root).cleanup_old_weights("bench", 1)

        subprocess.run(["cat", path], check=True, stdout=subprocess.DEVNULL)  # page cache warm for both
        loads = [child("load", root, path) for _ in range(args.runs)]
        reads = [child("fromfile", root, path) for _ in range(args.runs)]
        load = min(loads, key=lambda r: r["seconds"])
        read = min(reads, key=lambda r: r["seconds"])
        size = os.path.getsize(path)
        mib = size / 2**20
        print(f"file: {size} bytes ({mib:.0f} MiB), one F32 tensor; best of {args.runs}")
        print(f"load_model_weights   {load['seconds'] * 1e3:9.2f} ms   peak RSS +{load['rss_growth'] / 2**20:7.1f} MiB")
        print(f"np.fromfile          {read['seconds'] * 1e3:9.2f} ms   peak RSS +{read['rss_growth'] / 2**20:7.1f} MiB")
        print(f"  load is {read['seconds'] / load['seconds']:.0f}x faster than reading the file (target >= 20x, RSS growth < 64 MiB)")
        save, copy = min(saves), min(copies)
        print(f"save_model_weights   {save:9.3f} s    {mib / save:7.0f} MiB/s (write, re-open, SHA-256, validate, register)")
        print(f"cp                   {copy:9.3f} s    {mib / copy:7.0f} MiB/s")
        print(f"cp + sync FILE       {min(synced):9.3f} s    {mib / min(synced):7.0f} MiB/s")
        print(f"  save runs at {copy / save:.2f} of cp's speed (target >= 0.5), {min(synced) / save:.2f} of cp + sync's")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
