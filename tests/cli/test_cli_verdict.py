"""code-usage and swap-oracle on a trained run, then the verdict that reads them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.mark.slow
def test_scored_run_gets_decodability_figures_and_a_verdict(run_cli, tmp_path: Path) -> None:
    from cdsvae_eval.config import apply_overrides, preset_config
    from cdsvae_eval.training.trainer import train

    config = apply_overrides(preset_config("smoke"), {"epochs": 1})
    summary = train(config, tmp_path / "run", progress=False)
    assert "code_usage" in summary.history[-1] and "snr_median_dynamic" in summary.history[-1]["code_usage"]
    assert summary.verdict is not None
    for task in ("code-usage", "swap-oracle"):
        code, _, err = run_cli("probe", "--task", task, "--checkpoint", tmp_path / "run", "--out", tmp_path / "res",
                               "--device", "cpu", *(("--option", "pairs=64") if task == "swap-oracle" else ()))
        assert code == 0, err
    usage = json.loads((tmp_path / "res" / "code-usage.json").read_text())
    assert usage["protocol"]["variances"] is True
    assert usage["metrics"]["kl_dynamic"]["value"] == pytest.approx(8 * usage["metrics"]["kl_dynamic_per_step"]["value"])
    assert 0.0 <= usage["metrics"]["sample_acc_motion_from_dynamic"]["value"] <= 1.0
    code, out, err = run_cli("verdict", tmp_path / "res")
    assert code == 0, err
    assert out.startswith("verdict: ") and "chance 0.111" in out and "thresholds:" in out


def test_verdict_without_swap_results_names_the_task_to_run(run_cli, tmp_path: Path) -> None:
    code, _, err = run_cli("verdict", tmp_path)
    assert code == 2 and "swap-oracle" in err and len(err.strip().splitlines()) == 1


def test_an_audio_results_folder_is_judged_by_its_speaker_eer(run_cli, tmp_path: Path) -> None:
    from cdsvae_eval.atomic import write_json

    metrics = {"eer_static": {"value": 4.0, "higher_is_better": False},
               "eer_dynamic": {"value": 41.0, "higher_is_better": True},
               "eer_mfcc": {"value": 6.4, "higher_is_better": False}}
    write_json(tmp_path / "speaker-eer.json", {
        "schema_version": 1, "task": {"name": "speaker-eer", "version": "1.0"}, "metrics": metrics,
        "protocol": {"name": "all-pairs", "split": "test", "n_target": 10, "n_nontarget": 90, "n_speakers": 4}})
    code, out, err = run_cli("verdict", tmp_path)
    assert code == 0, err
    assert out.startswith("verdict: PARTLY DISENTANGLED") and "100 trials, 4 speakers" in out
    assert out.count("-> not measured") == 4 and out.count("threshold: ") == 4
    assert "--option backend=lda" in out and "`probe --task speech-swap`" in out


def test_train_through_a_pipe_prints_device_precision_and_one_plain_line_per_epoch(run_cli, tmp_path: Path) -> None:
    code, out, err = run_cli("train", "--preset", "smoke", "--epochs", "2", "--out", tmp_path / "run",
                             "--precision", "fp32", "--no-progress")
    assert code == 0, err
    assert "device cpu, precision fp32," in out and "steps per epoch" in out
    lines = [line for line in out.splitlines() if line.startswith("epoch ")]
    assert [line.split(":")[0] for line in lines] == ["epoch 1/2", "epoch 2/2"]
    assert all("KL s" in line and "val swaps motion" in line and line.endswith(" s") for line in lines)
