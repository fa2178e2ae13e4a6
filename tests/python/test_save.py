"""Saving: round trips of every dtype, layouts made contiguous and little-endian, metadata,
validation against the config, and registration as `import` does it."""

import os

import numpy as np
import pytest

import safetensors_reference
import tantra_weights as tw
from conftest import NUMPY_DTYPES


def sample_state_dict(seed=0):
    rng = np.random.default_rng(seed)
    state = {}
    for name, dtype in NUMPY_DTYPES.items():
        dt = np.dtype(dtype)
        if dt.kind == "b":
            value = rng.integers(0, 2, (3, 5)).astype(bool)
        elif dt.kind in "iu":
            info = np.iinfo(dt)
            value = rng.integers(info.min, info.max, (3, 5), dtype=dt, endpoint=True)
        elif dt.kind == "c":
            value = (rng.standard_normal((3, 5)) + 1j * rng.standard_normal((3, 5))).astype(dt)
        else:
            value = rng.standard_normal((3, 5)).astype(dt)
        state[f"t_{name.lower()}"] = value
    state["t_bf16"] = rng.integers(0, 2**16, (3, 5), dtype=np.uint16)
    return state


def test_round_trip_of_every_dtype(workspace):
    state = sample_state_dict()
    path = tw.save_model_weights(state, "alltypes", version="v1", dtypes={"t_bf16": "BF16"},
                                 metadata={"step": "1200"}, root=str(workspace))
    assert path == os.path.join(str(workspace), "Model", "weights", "alltypes_v1.safetensors")
    loaded = tw.load_model_weights("alltypes", version="v1", root=str(workspace))
    assert sorted(loaded) == sorted(state)
    for name, value in state.items():
        assert loaded[name].dtype == value.dtype, name
        np.testing.assert_array_equal(loaded[name], value, err_msg=name)
    # The file says what the tensors are, independently of the module.
    on_disk = safetensors_reference.read(path)
    for name in NUMPY_DTYPES:
        assert on_disk[f"t_{name.lower()}"][0] == name
    assert on_disk["t_bf16"][0] == "BF16"
    entry = next(w for w in tw.WeightManager(str(workspace)).list_weights("alltypes") if w["version"] == "v1")
    assert entry["metadata"] == {"step": "1200"}
    assert entry["source"] == "saved from Python"
    assert len(entry["sha256"]) == 64


def test_layouts_are_written_contiguous_little_endian(workspace):
    state = sample_state_dict(1)
    state["t_f32"] = np.asfortranarray(state["t_f32"])
    state["t_f64"] = np.ascontiguousarray(np.arange(15, dtype=">f8").reshape(5, 3).T)  # big-endian, transposed
    state["t_i32"] = np.arange(30, dtype="<i4").reshape(3, 10)[:, ::2]               # strided
    tw.save_model_weights(state, "alltypes", version="v2", dtypes={"t_bf16": "BF16"}, root=str(workspace))
    loaded = tw.load_model_weights("alltypes", version="v2", root=str(workspace))
    for name in ("t_f32", "t_f64", "t_i32"):
        np.testing.assert_array_equal(loaded[name], state[name], err_msg=name)
        assert loaded[name].flags.c_contiguous


def test_saved_weight_is_registered_validated_and_activated(workspace):
    manager = tw.WeightManager(str(workspace))
    weights = manager.load_weights("mamba")
    path = manager.save_weights(dict(weights), "mamba", name="mamba_run2", is_active=True)
    assert manager.active_weight("mamba") == "mamba_run2"
    assert manager.get_weight_path("mamba") == path
    report = manager.validate_weights("mamba", deep=True)
    assert report["passed"], report["issues"]
    assert [r["status"] for r in manager.verify("mamba_run2")] == ["ok"]
    assert [h["weight"] for h in manager.history("mamba")][-1] == "mamba_run2"
    assert manager.rollback("mamba") == "mamba_sample"


def test_version_defaults_to_a_timestamp(workspace):
    weights = tw.load_model_weights("mamba", root=str(workspace))
    first = tw.save_model_weights(weights, "mamba", root=str(workspace))
    second = tw.save_model_weights(weights, "mamba", root=str(workspace))
    assert first != second
    assert os.path.exists(first) and os.path.exists(second)


def test_a_state_dict_that_does_not_fit_is_refused_and_leaves_nothing(workspace):
    before = sorted(os.listdir(workspace / "Model"))
    with pytest.raises(tw.InvalidWeight) as caught:
        tw.save_model_weights({"t_f32": np.zeros((4, 4), np.float32)}, "alltypes", version="bad", root=str(workspace))
    message = str(caught.value)
    # Named as the weight it would have been (its scratch file is gone with the refusal).
    assert message.startswith("alltypes_bad: does not fit the 'alltypes' config") and "t_f32" in message
    assert caught.value.path == "alltypes_bad"
    assert not (workspace / "Model" / "weights" / "alltypes_bad.safetensors").exists()
    assert sorted(os.listdir(workspace / "Model")) == before  # no scratch folder left
    assert all(w["version"] != "bad" for w in tw.WeightManager(str(workspace)).list_weights())


@pytest.mark.parametrize("state, dtypes, error, text", [
    ({"t_f32": np.zeros(3, np.float128)}, None, TypeError, "t_f32"),
    ({"t_f32": np.array(["a"])}, None, TypeError, "t_f32"),
    ({"t_u16": np.zeros(3, np.uint16)}, {"t_u16": "F32"}, ValueError, "32-bit"),
    ({"t_u16": np.zeros(3, np.uint16)}, {"t_u16": "BF17"}, ValueError, "BF17"),
    ({1: np.zeros(3)}, None, TypeError, "keys must be str"),
    ([np.zeros(3)], None, TypeError, "mapping"),
])
def test_bad_state_dicts_raise_naming_the_tensor(workspace, state, dtypes, error, text):
    with pytest.raises(error, match=text):
        tw.save_model_weights(state, "alltypes", version="x", dtypes=dtypes, root=str(workspace))


def test_name_and_version_must_agree(workspace):
    manager = tw.WeightManager(str(workspace))
    with pytest.raises(ValueError, match="must be 'alltypes_<version>'"):
        manager.save_weights({}, "alltypes", name="other_v1")
    with pytest.raises(ValueError, match="disagree"):
        manager.save_weights({}, "alltypes", name="alltypes_v1", version="v2")


def test_configs_and_cleanup(workspace):
    assert tw.get_training_config("mamba", root=str(workspace)) == tw.ConfigManager(str(workspace)).get_training_config("mamba")
    assert isinstance(tw.get_paths("mamba", root=str(workspace)), dict)
    assert isinstance(tw.get_serve_config("mamba", root=str(workspace)), dict)
    created = tw.create_model_config("mamba_small", from_type="mamba", d_model=64, root=str(workspace))
    assert created["architecture"]["d_model"] == 64
    assert "mamba_small" in tw.WeightManager(str(workspace)).list_models()
    manager = tw.WeightManager(str(workspace))
    weights = manager.load_weights("mamba")
    for v in ("a1", "a2", "a3"):
        manager.save_weights(dict(weights), "mamba", version=v)
    planned = manager.cleanup_old_weights("mamba", 1, dry_run=True)
    assert len(planned) == 2 and set(planned) <= {"mamba_a1", "mamba_a2", "mamba_a3"}
    assert manager.cleanup_old_weights("mamba", 1) == planned
    names = {w["name"] for w in manager.list_weights("mamba")}
    assert names == {"mamba_sample", "mamba_a1", "mamba_a2", "mamba_a3"} - set(planned)
    kept = (names - {"mamba_sample"}).pop()
    archive = manager.backup_weight(kept)
    assert os.path.exists(archive)


def test_saving_into_a_workspace_without_its_folders_creates_them(tmp_path):
    root = tmp_path / "fresh"
    (root / "Config").mkdir(parents=True)
    (root / "Config" / "one.yaml").write_text("model_type: one\narchitecture:\n  n: 4\ntensors:\n  - name: w\n    shape: [n]\n")
    path = tw.save_model_weights({"w": np.arange(4, dtype=np.float32)}, "one", version="v1", activate=True, root=str(root))
    assert path == os.path.join(str(root), "Model", "weights", "one_v1.safetensors")
    np.testing.assert_array_equal(tw.load_model_weights("one", root=str(root))["w"], np.arange(4, dtype=np.float32))
