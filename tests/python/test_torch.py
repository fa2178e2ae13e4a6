"""framework='torch' and torch tensors in state dicts (python3-torch; skipped without it)."""

import os

import numpy as np
import pytest

import tantra_weights as tw
from conftest import mapped_file_of

torch = pytest.importorskip("torch", reason="python3-torch is not installed: the torch tests are skipped")


def test_torch_tensors_view_the_mapping(workspace):
    tensors = tw.load_model_weights("mamba", framework="torch", root=str(workspace))
    arrays = tw.load_model_weights("mamba", root=str(workspace))
    path = os.path.realpath(tw.WeightManager(str(workspace)).get_weight_path("mamba"))
    for name, tensor in tensors.items():
        assert isinstance(tensor, torch.Tensor)
        assert mapped_file_of(tensor.data_ptr()) == path, name
        assert torch.equal(tensor, torch.from_numpy(np.array(arrays[name]))), name


def test_bf16_and_non_contiguous_torch_tensors_round_trip(workspace):
    (workspace / "Config" / "torchtypes.yaml").write_text(
        "model_type: torchtypes\narchitecture:\n  rows: 3\n  cols: 5\ntensors:\n"
        + "".join(f"  - name: t_{n.lower()}\n    shape: [rows, cols]\n    dtypes: [{n}]\n" for n in ("BF16", "F32", "F16")))
    rng = torch.Generator().manual_seed(0)
    state = {
        "t_bf16": torch.randn(3, 5, generator=rng).to(torch.bfloat16),
        "t_f32": torch.randn(5, 3, generator=rng).t(),  # non-contiguous
        "t_f16": torch.randn(3, 5, generator=rng).half(),
    }
    assert not state["t_f32"].is_contiguous()
    tw.save_model_weights(state, "torchtypes", version="t1", root=str(workspace))
    loaded = tw.load_model_weights("torchtypes", version="t1", framework="torch", root=str(workspace))
    assert loaded["t_bf16"].dtype == torch.bfloat16
    for name in ("t_bf16", "t_f32", "t_f16"):
        assert torch.equal(loaded[name], state[name]), name
    raw = tw.load_model_weights("torchtypes", version="t1", root=str(workspace))
    assert raw["t_bf16"].dtype == np.uint16
    assert np.array_equal(raw["t_bf16"], state["t_bf16"].view(torch.int16).numpy().view(np.uint16))


def test_unsigned_types_torch_lacks_raise_naming_the_tensor(workspace):
    from test_save import sample_state_dict
    tw.save_model_weights(sample_state_dict(), "alltypes", version="u", dtypes={"t_bf16": "BF16"}, root=str(workspace))
    if hasattr(torch, "uint32"):
        pytest.skip(f"torch {torch.__version__} has uint32")
    with pytest.raises(TypeError, match=r"'t_u(16|32|64)' is U(16|32|64), which torch .* has no dtype for"):
        tw.load_model_weights("alltypes", version="u", framework="torch", root=str(workspace))


def test_gpu_tensors_are_refused(workspace):
    class FakeCuda:  # a stand-in: no GPU here; the module asks tensor.detach().device.type
        __module__ = "torch.fake"
        def detach(self): return self
        def numpy(self): raise AssertionError("must not be read")
        class device:
            type = "cuda"
    with pytest.raises(TypeError, match="'w' is on cuda"):
        tw.save_model_weights({"w": FakeCuda()}, "alltypes", version="g", root=str(workspace))


def test_in_place_ops_on_torch_tensors_stay_in_the_process(workspace):
    # torch has no read-only tensors: they view a private copy-on-write mapping, so an in-place
    # op copies the page it touches (it used to kill the interpreter with SIGSEGV) and the file
    # keeps its bytes.
    path = tw.WeightManager(str(workspace)).get_weight_path("mamba")
    with open(path, "rb") as f:
        before = f.read()
    tensors = tw.load_model_weights("mamba", framework="torch", root=str(workspace))
    name, tensor = max(tensors.items(), key=lambda item: item[1].numel())
    original = tensor.clone()
    assert mapped_file_of(tensor.data_ptr()) == os.path.realpath(path)  # still the file, not a copy
    tensor.mul_(2).add_(1)
    assert torch.equal(tensor, original * 2 + 1)
    with open(path, "rb") as f:
        assert f.read() == before
    again = tw.load_model_weights("mamba", framework="torch", root=str(workspace))
    assert torch.equal(again[name], original)
    # numpy views stay read-only.
    arrays = tw.load_model_weights("mamba", root=str(workspace))
    with pytest.raises(ValueError):
        arrays[name][...] = 0

    runtime = tw.ModelRuntime(model_type="mamba", framework="torch", root=str(workspace))
    bound = runtime.tensors
    some = next(iter(bound))
    kept = bound[some].clone()
    bound[some].zero_()
    assert not torch.equal(bound[some], kept) or not kept.any()
    assert torch.equal(tw.ModelRuntime(model_type="mamba", framework="torch", root=str(workspace)).tensors[some], kept)
    with open(path, "rb") as f:
        assert f.read() == before
