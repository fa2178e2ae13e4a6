"""Every exception type, carrying the core's message that names the file, tensor or key."""

import os
import socket
import subprocess

import pytest

import tantra_weights as tw


def test_hierarchy():
    for cls in (tw.WeightNotFound, tw.InvalidWeight, tw.ConfigError, tw.WorkspaceLocked):
        assert issubclass(cls, tw.TantraError)
    assert issubclass(tw.TantraError, Exception)


def test_weight_not_found(workspace):
    with pytest.raises(tw.WeightNotFound, match="no weight named 'mamba_nope' is registered") as caught:
        tw.load_model_weights("mamba", version="nope", root=str(workspace))
    assert caught.value.path == os.path.join(str(workspace), "Model", "weight_config.json")
    with pytest.raises(tw.WeightNotFound, match="'alltypes' has no active weight"):
        tw.load_model_weights("alltypes", root=str(workspace))
    with pytest.raises(tw.WeightNotFound):
        tw.WeightManager(str(workspace)).set_active_weight("mamba_nope")


def test_config_error(workspace):
    with pytest.raises(tw.ConfigError, match="unknown model type 'nope'"):
        tw.get_model_config("nope", root=str(workspace))
    (workspace / "Config" / "broken.yaml").write_text("model_type: broken\narchitecture: [1, 2\n")
    with pytest.raises(tw.ConfigError, match="broken.yaml"):
        tw.get_model_config("broken", root=str(workspace))


def test_invalid_weight_on_load(workspace):
    path = tw.WeightManager(str(workspace)).get_weight_path("mamba")
    with open(path, "r+b") as f:
        f.write(b"\xff" * 8)  # a header length beyond the file
    with pytest.raises(tw.InvalidWeight) as caught:
        tw.load_model_weights("mamba", root=str(workspace))
    assert path in str(caught.value)


def test_invalid_weight_missing_a_tensor(workspace):
    manager = tw.WeightManager(str(workspace))
    weights = dict(manager.load_weights("mamba"))
    del weights["backbone.norm_f.weight"]
    with pytest.raises(tw.InvalidWeight) as caught:
        manager.save_weights(weights, "mamba", version="short")
    assert "backbone.norm_f.weight: missing" in str(caught.value)


def test_workspace_locked(workspace):
    # A registry lock held by a live process (what QLockFile writes: pid, program, host).
    holder = subprocess.Popen(["sleep", "120"])
    try:
        lock = workspace / "Model" / "weight_config.json.lock"
        lock.write_text(f"{holder.pid}\nsleep\n{socket.gethostname()}\n")
        weights = tw.load_model_weights("mamba", root=str(workspace))
        with pytest.raises(tw.WorkspaceLocked, match="locked by sleep"):
            tw.save_model_weights(weights, "mamba", version="blocked", root=str(workspace))
    finally:
        holder.kill()
        holder.wait()
    assert not os.path.exists(workspace / "Model" / "weights" / "mamba_blocked.safetensors")


def test_bad_framework_and_names(workspace):
    with pytest.raises(ValueError, match="framework"):
        tw.load_model_weights("mamba", framework="jax", root=str(workspace))
    with pytest.raises(tw.TantraError, match="version"):
        tw.save_model_weights({}, "mamba", version="../escape", root=str(workspace))
