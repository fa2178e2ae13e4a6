"""The seed's usage examples, on a workspace made by the CLI's `setup` (as the README says),
found through $TANTRA_ROOT and through the current folder."""

import os
import subprocess

import pytest

import tantra_weights as tw


@pytest.fixture
def cli_workspace(tmp_path):
    root = tmp_path / "seed"
    cli = os.environ.get("TANTRA_CLI")
    if cli:
        subprocess.run([cli, "--root", str(root), "setup"], check=True, capture_output=True)
    else:  # run outside CTest: the core's setup does the same
        root.mkdir()
        tw.WeightManager(str(root)).setup()
    return root


def seed_examples():
    from tantra_weights import ModelRuntime, get_model_config, load_model_weights, save_model_weights

    state_dict = load_model_weights("mamba")
    path = save_model_weights(state_dict, "mamba", version="v1.0")
    config = get_model_config("mamba")
    runtime = ModelRuntime(model_type="mamba")
    return state_dict, path, config, runtime


def check(root, state_dict, path, config, runtime):
    assert path == os.path.join(str(root), "Model", "weights", "mamba_v1.0.safetensors")
    assert config["model_type"] == "mamba"
    assert runtime.weight["name"] == "mamba_sample"  # saving did not activate v1.0
    assert set(state_dict) <= set(runtime.tensors)


def test_seed_examples_with_tantra_root(cli_workspace, monkeypatch, tmp_path):
    monkeypatch.setenv("TANTRA_ROOT", str(cli_workspace))
    monkeypatch.chdir(tmp_path)
    check(cli_workspace, *seed_examples())


def test_seed_examples_in_the_current_folder(cli_workspace, monkeypatch):
    monkeypatch.delenv("TANTRA_ROOT", raising=False)
    monkeypatch.chdir(cli_workspace)
    check(cli_workspace, *seed_examples())
