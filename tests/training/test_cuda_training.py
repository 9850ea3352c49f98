"""Training and code extraction on a CUDA GPU (skipped without one): bf16 steps, path parity, no host syncs."""

import json
import math

import numpy as np
import pytest
import torch

from cdsvae_eval.codes import extract_codes
from cdsvae_eval.config import apply_overrides, preset_config
from cdsvae_eval.models.factory import build_model
from cdsvae_eval.device import as_float
from cdsvae_eval.training.trainer import Trainer, train
from toy_video import ToyVideo  # also registers the toy-video dataset

pytestmark = pytest.mark.cuda


def cuda_config(**overrides):
    config = preset_config("smoke")
    config.dataset = "toy-video"
    config.dataset_options = {"resolution": 16}
    return apply_overrides(config, {"epochs": 1, "batch_size": 16, "device": "cuda", **overrides})


@pytest.fixture
def plain_fp32():
    """cuDNN convolutions without TF32, so CUDA results can be held to fp32 tolerances."""
    with torch.backends.cudnn.flags(enabled=True, allow_tf32=False):
        yield


def test_bf16_steps_on_cuda_update_every_weight_and_stay_finite(tmp_path):
    trainer = Trainer(cuda_config(), tmp_path / "run", progress=False)
    assert trainer.autocast_dtype == torch.bfloat16
    before = [p.detach().clone() for p in trainer.model.parameters()]
    x = as_float(trainer.train_x[:16])
    results = [trainer.train_step(x) for _ in range(3)]
    assert all(torch.isfinite(loss) and torch.isfinite(terms).all() for loss, terms in results)
    after = list(trainer.model.parameters())
    assert all(p.dtype == torch.float32 and torch.isfinite(p).all() for p in after)
    assert all(not torch.equal(a, b) for a, b in zip(before, after))


def test_one_cuda_epoch_records_bf16_and_finite_train_and_validation_figures(tmp_path):
    summary = train(cuda_config(), tmp_path / "run", progress=False)
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["precision"] == "bf16" and saved["device"].startswith("cuda")
    assert summary.epochs_done == 1
    assert {"swap_motion_acc", "swap_identity_acc"} <= set(summary.final_val)
    assert all(math.isfinite(v) for v in {**summary.final_train, **summary.final_val}.values())


def test_release_and_optimized_paths_compute_the_same_objective_on_cuda(
    tmp_path, plain_fp32, assert_objective_paths_agree
):
    """In eval mode and fp32, one batched encoder pass equals the release's three separate passes."""
    trainer = Trainer(cuda_config(), tmp_path / "run", progress=False)
    generator = torch.Generator(device="cuda").manual_seed(0)
    x = torch.rand(6, 8, 3, 16, 16, device="cuda", generator=generator)
    assert_objective_paths_agree(trainer.model.eval(), x, trainer.config.loss)


def test_extraction_on_cuda_matches_cpu(plain_fp32):
    torch.manual_seed(0)
    model = build_model(cuda_config().model).eval()
    dataset = ToyVideo(resolution=16)
    on_cpu = extract_codes(model, dataset, ("test",), batch_size=10, device="cpu")
    on_cuda = extract_codes(model.to("cuda"), dataset, ("test",), batch_size=10, device="cuda")
    assert np.abs(on_cpu.static).max() > 1e-3
    np.testing.assert_allclose(on_cuda.static, on_cpu.static, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(on_cuda.dynamic, on_cpu.dynamic, rtol=1e-4, atol=1e-6)
    for name, labels in on_cpu.labels.items():
        np.testing.assert_array_equal(on_cuda.labels[name], labels)


@pytest.mark.parametrize("mode", ["optimized", "release"])
def test_train_step_makes_no_host_device_sync(tmp_path, mode):
    """The loop syncs once per logging interval; a step itself must only queue work on the GPU."""
    trainer = Trainer(cuda_config(mode=mode), tmp_path / "run", progress=False)
    x = as_float(trainer.train_x[:16])
    for _ in range(2):
        trainer.train_step(x)
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        loss, terms = trainer.train_step(x)
        with pytest.raises(RuntimeError, match="synchroniz"):
            loss.item()
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert torch.isfinite(loss) and torch.isfinite(terms).all()
