import json
import os
import signal

import numpy as np
import pytest
import torch

import toy_video  # noqa: F401  (registers the toy-video dataset)
from cdsvae_eval.config import apply_overrides, preset_config
from cdsvae_eval.errors import CheckpointError, ConfigError
from cdsvae_eval.models.checkpoint import load_checkpoint, load_model
from cdsvae_eval.device import resolve_precision
from cdsvae_eval.training.trainer import Trainer, TrainingDiverged, train


def toy_config(**overrides):
    config = preset_config("smoke")
    config.dataset = "toy-video"
    config.dataset_options = {"resolution": 16}
    return apply_overrides(config, {"epochs": 2, "batch_size": 16, **overrides})


def test_run_folder_records_config_provenance_and_checkpoints(tmp_path):
    summary = train(toy_config(), tmp_path / "run", progress=False)
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["seed"] == 1
    assert saved["config"]["dataset"] == "toy-video"
    assert saved["dataset"]["fingerprint"]
    assert "torch" in saved["provenance"]["packages"]
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert [record["epoch"] for record in log] == [1, 2]
    assert {"swap_motion_acc", "swap_identity_acc"} <= set(log[-1]["swap"])
    assert summary.epochs_done == 2 and not summary.interrupted
    model, config, state = load_model(tmp_path / "run")
    assert state["epoch"] == summary.best_epoch
    assert not model.training


def test_existing_run_folder_is_not_overwritten(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "notes.txt").write_text("mine")
    with pytest.raises(CheckpointError, match="already exists"):
        Trainer(toy_config(), run, progress=False)
    train(toy_config(epochs=1), run, force=True, progress=False)
    assert (run / "notes.txt").read_text() == "mine"
    assert (run / "last.pt").is_file()


def test_force_keeps_the_old_run_until_the_new_one_can_start(tmp_path):
    run = tmp_path / "run"
    train(toy_config(epochs=1), run, progress=False)
    before = {path.name: path.read_bytes() for path in run.iterdir()}
    config = toy_config()
    config.dataset_options = {"resolution": 32}
    with pytest.raises(ConfigError, match="model expects"):
        Trainer(config, run, force=True, progress=False)
    assert {path.name: path.read_bytes() for path in run.iterdir()} == before


class InterruptingTrainer(Trainer):
    """Sends itself SIGINT after a number of optimiser steps, as Ctrl-C would."""

    stop_after = 5
    sends = signal.SIGINT

    def train_step(self, x, clips=None, epochs_done=None):
        self.steps_taken = getattr(self, "steps_taken", 0) + 1
        if self.steps_taken == self.stop_after:
            os.kill(os.getpid(), self.sends)
        return super().train_step(x, clips, epochs_done)


def test_interrupted_run_resumes_to_the_same_result(tmp_path):
    config = toy_config()
    reference = train(config, tmp_path / "straight", progress=False)
    interrupted = InterruptingTrainer(config, tmp_path / "resumed", progress=False)
    interrupted.stop_after = interrupted.steps_per_epoch + 2
    first = interrupted.fit()
    assert first.interrupted and first.stop_signal == signal.SIGINT
    state = load_checkpoint(tmp_path / "resumed" / "last.pt")
    assert (state["epoch"], state["step_in_epoch"]) == (1, 2)
    resumed = train(config, tmp_path / "resumed", resume=True, progress=False)
    for key, value in reference.final_train.items():
        assert resumed.final_train[key] == pytest.approx(value, rel=1e-5, abs=1e-6), key
    straight = torch.load(tmp_path / "straight" / "last.pt", weights_only=False)["model_state"]
    again = torch.load(tmp_path / "resumed" / "last.pt", weights_only=False)["model_state"]
    for name, tensor in straight.items():
        torch.testing.assert_close(again[name], tensor, rtol=1e-5, atol=1e-6)


def test_sigterm_stops_like_ctrl_c_and_is_recorded(tmp_path):
    trainer = InterruptingTrainer(toy_config(epochs=1), tmp_path / "run", progress=False)
    trainer.sends = signal.SIGTERM
    summary = trainer.fit()
    assert summary.interrupted and summary.stop_signal == signal.SIGTERM
    assert load_checkpoint(tmp_path / "run" / "last.pt")["step_in_epoch"] == trainer.stop_after
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_resume_with_a_different_config_is_refused(tmp_path):
    train(toy_config(epochs=1), tmp_path / "run", progress=False)
    with pytest.raises(CheckpointError, match="different config.*lr"):
        Trainer(toy_config(epochs=1, lr=0.5), tmp_path / "run", resume=True, progress=False)


def test_resume_fills_in_options_added_since_the_run_was_written(tmp_path):
    train(toy_config(epochs=1), tmp_path / "run", progress=False)
    config_path = tmp_path / "run" / "config.json"
    saved = json.loads(config_path.read_text())
    del saved["config"]["cpu_reuse_freed_memory"], saved["config"]["loss"]["free_bits_dynamic"]
    config_path.write_text(json.dumps(saved))
    summary = train(toy_config(epochs=1), tmp_path / "run", resume=True, progress=False)
    assert summary.epochs_done == 1 and not summary.interrupted


def test_resume_of_a_config_with_an_unknown_option_is_refused(tmp_path):
    train(toy_config(epochs=1), tmp_path / "run", progress=False)
    config_path = tmp_path / "run" / "config.json"
    saved = json.loads(config_path.read_text())
    saved["config"]["warp_drive"] = True
    config_path.write_text(json.dumps(saved))
    with pytest.raises(CheckpointError, match="config.json holds a config this version cannot read.*warp_drive"):
        Trainer(toy_config(epochs=1), tmp_path / "run", resume=True, progress=False)


def test_batch_larger_than_the_split_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="batch_size 4096"):
        Trainer(toy_config(batch_size=4096), tmp_path / "run", progress=False)


def test_model_that_does_not_fit_the_data_is_a_config_error(tmp_path):
    config = toy_config()
    config.dataset_options = {"resolution": 32}
    with pytest.raises(ConfigError, match="model expects"):
        Trainer(config, tmp_path / "run", progress=False)


class DivergingTrainer(Trainer):
    def train_step(self, x, clips=None, epochs_done=None):
        loss, terms = super().train_step(x, clips, epochs_done)
        if self.history:
            return loss * float("nan"), terms
        return loss, terms


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    trainer = DivergingTrainer(toy_config(epochs=3), tmp_path / "run", progress=False)
    with pytest.raises(TrainingDiverged, match=r"epoch 2, step 1: stopped; the last good checkpoint .*last\.pt \(end of epoch 1\) is kept"):
        trainer.fit()
    state = load_checkpoint(tmp_path / "run" / "last.pt")
    assert state["epoch"] == 1
    assert all(torch.isfinite(t).all() for t in state["model_state"].values() if t.is_floating_point())


class DivergingAtOnceTrainer(Trainer):
    def train_step(self, x, clips=None, epochs_done=None):
        loss, terms = super().train_step(x, clips, epochs_done)
        return loss * float("nan"), terms


def test_nan_loss_before_any_checkpoint_says_so_and_leaves_nothing_behind(tmp_path):
    run = tmp_path / "run"
    trainer = DivergingAtOnceTrainer(toy_config(epochs=1), run, progress=False)
    with pytest.raises(TrainingDiverged, match="epoch 1, step 1: stopped; no checkpoint existed yet, so nothing was kept"):
        trainer.fit()
    assert not run.exists()


def test_release_mode_computes_the_same_objective(tmp_path, assert_objective_paths_agree):
    """In eval mode (BatchNorm on running statistics) both execution paths give the same loss terms."""
    trainer = Trainer(toy_config(), tmp_path / "run", progress=False)
    assert_objective_paths_agree(trainer.model.eval(), torch.rand(6, 8, 3, 16, 16), trainer.config.loss)


def test_training_reduces_the_loss(tmp_path):
    summary = train(toy_config(epochs=6, lr=3e-3), tmp_path / "run", progress=False)
    losses = [record["train"]["recon"] for record in summary.history]
    assert losses[-1] < 0.8 * losses[0]
    assert np.isfinite(summary.final_val["loss"])


def test_training_with_the_progress_bar_renders_it(tmp_path, capsys):
    summary = train(toy_config(epochs=1), tmp_path / "run", progress=True)
    assert summary.epochs_done == 1
    assert "epoch 1" in capsys.readouterr().out


@pytest.mark.parametrize("native", [True, False])
def test_auto_precision_is_bf16_exactly_where_the_cpu_has_native_bf16(monkeypatch, native):
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: native, raising=False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False, raising=False)
    cpu = torch.device("cpu")
    assert resolve_precision("auto", cpu, "optimized") == (torch.bfloat16 if native else None)
    assert resolve_precision("bf16", cpu, "optimized") == torch.bfloat16
    assert resolve_precision("fp32", cpu, "optimized") is None
    assert resolve_precision("bf16", cpu, "release") is None


def test_unknown_precision_is_a_config_error():
    with pytest.raises(ConfigError, match="precision must be auto, fp32 or bf16, got 'fp16'"):
        resolve_precision("fp16", torch.device("cpu"), "optimized")


def test_bad_loss_option_is_refused_before_the_run_folder_is_made(tmp_path):
    with pytest.raises(ConfigError, match="loss.contrastive_codes"):
        Trainer(toy_config(**{"loss.contrastive_codes": "both"}), tmp_path / "run", progress=False)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("flush", [True, False])
def test_training_on_the_cpu_flushes_subnormals_only_while_it_runs_and_as_configured(tmp_path, flush):
    def subnormal_product() -> float:
        return float(torch.tensor(1e-30) * torch.tensor(1e-15))

    seen = []
    train(toy_config(epochs=1, cpu_flush_denormal=flush, device="cpu"), tmp_path / "run", progress=False,
          on_epoch=lambda record: seen.append(subnormal_product()))
    if flush:
        assert seen == [0.0]
    else:
        assert seen[0] > 0
    assert subnormal_product() > 0
