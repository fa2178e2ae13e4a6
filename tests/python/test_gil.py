"""The GIL is released while the core writes, hashes, validates and registers: another Python
thread keeps running during a save instead of stalling for its whole length."""

import threading
import time

import numpy as np

import tantra_weights as tw


def test_other_threads_run_during_a_save(tmp_path):
    root = tmp_path / "ws"
    (root / "Config").mkdir(parents=True)
    n = 64 * 1024 * 1024  # 256 MiB of float32: long enough to see a stall
    (root / "Config" / "big.yaml").write_text(f"model_type: big\narchitecture:\n  n: {n}\ntensors:\n  - name: w\n    shape: [n]\n")
    data = np.ones(n, dtype=np.float32)
    timing = {}

    def save():
        start = time.perf_counter()
        tw.save_model_weights({"w": data}, "big", version="v1", root=str(root))
        timing["save"] = time.perf_counter() - start

    worker = threading.Thread(target=save)
    worker.start()
    last = time.perf_counter()
    longest_gap = 0.0
    while worker.is_alive():
        now = time.perf_counter()
        longest_gap = max(longest_gap, now - last)
        last = now
        time.sleep(0.001)
    worker.join()
    assert "save" in timing
    # With the GIL held, this loop would stop for the whole save.
    assert longest_gap < timing["save"] / 2, (longest_gap, timing["save"])
