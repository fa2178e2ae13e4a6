"""Loading: values equal the file's bytes, zero-copy views of the mapping, read-only, and the
mapping's lifetime tied to the arrays rather than to the WeightManager."""

import gc
import os

import numpy as np
import pytest

import safetensors_reference
import tantra_weights as tw
from conftest import mapped_file_of, mappings_of


def test_load_equals_file_bytes(workspace):
    weights = tw.load_model_weights("mamba", root=str(workspace))
    path = tw.WeightManager(str(workspace)).get_weight_path("mamba")
    reference = safetensors_reference.read(path)
    assert sorted(weights) == sorted(reference) and len(weights) > 0
    for name, (_, expected) in reference.items():
        assert weights[name].dtype == expected.dtype, name
        assert weights[name].shape == expected.shape, name
        np.testing.assert_array_equal(weights[name], expected, err_msg=name)


def test_arrays_view_the_file_mapping(workspace):
    weights = tw.load_model_weights("mamba", root=str(workspace))
    path = os.path.realpath(tw.WeightManager(str(workspace)).get_weight_path("mamba"))
    for name, array in weights.items():
        address = array.__array_interface__["data"][0]
        assert mapped_file_of(address) == path, name
        assert not array.flags.owndata, name


def test_arrays_are_read_only(workspace):
    weights = tw.load_model_weights("mamba", root=str(workspace))
    array = weights["backbone.embedding.weight"]
    assert not array.flags.writeable
    with pytest.raises(ValueError):
        array[0, 0] = 1.0
    with pytest.raises(ValueError):
        array.setflags(write=True)


def test_mapping_outlives_the_weight_manager_and_dies_with_the_last_array(workspace):
    manager = tw.WeightManager(str(workspace))
    path = manager.get_weight_path("mamba")
    weights = manager.load_weights("mamba")
    kept = weights["backbone.layers.0.mixer.D"]
    expected = kept.copy()
    del manager, weights
    gc.collect()
    assert mappings_of(path), "the mapping went away while an array still views it"
    np.testing.assert_array_equal(kept, expected)
    del kept
    gc.collect()
    assert not mappings_of(path), "the mapping stayed after the last array was freed"


def test_two_loads_are_two_mappings_of_one_file(workspace):
    a = tw.load_model_weights("mamba", root=str(workspace))["backbone.embedding.weight"]
    b = tw.load_model_weights("mamba", root=str(workspace))["backbone.embedding.weight"]
    assert not np.shares_memory(a, b)
    assert mapped_file_of(a.__array_interface__["data"][0]) == mapped_file_of(b.__array_interface__["data"][0])
    np.testing.assert_array_equal(a, b)


def test_model_runtime_binds_by_config(workspace):
    runtime = tw.ModelRuntime(model_type="mamba", root=str(workspace))
    config = tw.get_model_config("mamba", root=str(workspace))
    assert runtime.dimension("d_model") == config["architecture"]["d_model"]
    assert runtime.dimension("d_inner") == config["derived"]["d_inner"]
    assert runtime.dimension("no_such_dimension") is None
    # lm_head is tied to the embedding and absent from the sample: served from the embedding.
    embedding = runtime.tensor("backbone.embedding.weight")
    assert runtime.tensor("lm_head.weight").__array_interface__["data"][0] == embedding.__array_interface__["data"][0]
    assert "lm_head.weight" in runtime.tensors
    assert runtime.weight["name"] == "mamba_sample"
    with pytest.raises(KeyError, match="no_such_tensor"):
        runtime.tensor("no_such_tensor")
    path = os.path.realpath(tw.WeightManager(str(workspace)).get_weight_path("mamba"))
    del runtime
    gc.collect()
    assert mapped_file_of(embedding.__array_interface__["data"][0]) == path
