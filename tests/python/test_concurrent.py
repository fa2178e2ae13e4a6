"""Two processes saving into one workspace at once: the registry lock serialises them and no
update is lost."""

import multiprocessing

import numpy as np

import tantra_weights as tw


def save_versions(root, prefix, count, queue):
    try:
        weights = tw.load_model_weights("mamba", root=root)
        for i in range(count):
            state = {k: np.array(v) for k, v in weights.items()}
            state["backbone.norm_f.weight"] = np.full_like(weights["backbone.norm_f.weight"], i)
            tw.save_model_weights(state, "mamba", version=f"{prefix}{i}", root=root)
        queue.put(None)
    except Exception as error:  # reported to the parent, which fails the test with it
        queue.put(repr(error))


def test_two_processes_save_concurrently(workspace):
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [context.Process(target=save_versions, args=(str(workspace), p, 4, queue)) for p in ("a", "b")]
    for w in workers:
        w.start()
    results = [queue.get(timeout=300) for _ in workers]
    for w in workers:
        w.join(60)
    assert results == [None, None]
    names = {w["name"] for w in tw.WeightManager(str(workspace)).list_weights("mamba")}
    assert {f"mamba_{p}{i}" for p in "ab" for i in range(4)} <= names
    for p in "ab":
        for i in range(4):
            loaded = tw.load_model_weights("mamba", version=f"{p}{i}", root=str(workspace))
            assert (loaded["backbone.norm_f.weight"] == i).all()
    assert all(r["status"] == "ok" for r in tw.WeightManager(str(workspace)).verify("mamba"))
