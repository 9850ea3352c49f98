"""``train --resume --epochs N`` on a run given fewer epochs continues it to N epochs, bit for bit as a run given N
from the start; where its last epoch did what an N-epoch run does not, and for any other change, it is refused."""

from __future__ import annotations

import json

import pytest
import torch

import toy_video  # noqa: F401  (registers the toy-video dataset)
from cdsvae_eval.config import apply_overrides, preset_config
from cdsvae_eval.errors import CheckpointError
from cdsvae_eval.models.checkpoint import load_checkpoint
from cdsvae_eval.training.trainer import train
from disk_full import TRAIN_ARGS

TIMINGS = ("seconds", "eval_seconds", "sequences_per_second", "data_wait_fraction")


def toy_config(**overrides):
    config = preset_config("smoke")
    config.dataset = "toy-video"
    config.dataset_options = {"resolution": 16}
    return apply_overrides(config, {"batch_size": 16, "device": "cpu", **overrides})


def log_without_timings(run):
    records = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    return [{key: value for key, value in record.items() if key not in TIMINGS} for record in records]


def assert_same_tensors(a, b, where=""):
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b), where
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            assert_same_tensors(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for index, (x, y) in enumerate(zip(a, b)):
            assert_same_tensors(x, y, f"{where}[{index}]")


def test_a_finished_run_continued_to_more_epochs_is_the_run_given_them_from_the_start(tmp_path, run_cli):
    straight, continued = tmp_path / "straight", tmp_path / "continued"
    train(toy_config(epochs=2), straight, progress=False)
    code, _, err = run_cli(*TRAIN_ARGS, "--epochs", "1", "--out", continued)
    assert code == 0, err
    code, _, err = run_cli(*TRAIN_ARGS, "--epochs", "2", "--out", continued, "--resume")
    assert code == 0, err
    for name in ("last.pt", "best.pt"):
        a, b = load_checkpoint(straight / name), load_checkpoint(continued / name)
        for key in ("model_state", "optimizer_state", "rng", "epoch", "best_epoch", "best_score"):
            assert_same_tensors(a[key], b[key], f"{name}:{key}")
    assert log_without_timings(continued) == log_without_timings(straight)
    saved = json.loads((continued / "config.json").read_text())
    assert saved["config"]["epochs"] == 2
    [extension] = saved["extensions"]
    assert (extension["from_epochs"], extension["to_epochs"]) == (1, 2) and extension["time_utc"]
    assert json.loads((continued / "summary.json").read_text())["epochs_done"] == 2


def test_a_run_whose_last_epoch_was_scored_only_for_being_last_is_not_continued(tmp_path):
    run = tmp_path / "run"
    train(toy_config(epochs=1, swap_eval_every=2), run, progress=False)
    before = (run / "last.pt").read_bytes()
    with pytest.raises(CheckpointError, match=r"cannot be continued from 1 to 2 epochs.*swap_eval_every is 2"):
        train(toy_config(epochs=2, swap_eval_every=2), run, resume=True, progress=False)
    assert (run / "last.pt").read_bytes() == before


def test_continuing_with_another_change_or_to_fewer_epochs_is_refused(tmp_path, run_cli):
    run = tmp_path / "run"
    train(toy_config(epochs=2), run, progress=False)
    with pytest.raises(CheckpointError, match=r"differs in: epochs, lr\) \(a run can be continued to more epochs"):
        train(toy_config(epochs=3, lr=0.5), run, resume=True, progress=False)
    code, _, err = run_cli(*TRAIN_ARGS, "--epochs", "1", "--out", run, "--resume")
    assert code == 2
    assert err.strip() == (f"error: --resume: {run} was trained with a different config (differs in: epochs) "
                           "(a run can be continued to more epochs, with no other change)")
