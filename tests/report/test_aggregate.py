"""Aggregating results files: rows, CSV, Markdown, and the comparison table's unresolved differences."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from cdsvae_eval.report.aggregate import format_value, load_rows, run_labels, seed_rows, to_markdown, write_csv
from cdsvae_eval.evaluate.results import result_record, write_result
from cdsvae_eval.report.tables import comparison_table, result_table
from cdsvae_eval.tasks import MetricValue, NoOptions, Task, TaskInputs, TaskResult


class Fixed(Task):
    name = "fixed"
    version = "2.1"
    description = "reports given numbers"

    def run(self, inputs: TaskInputs, options: NoOptions, seed: int, out_dir: Path | None) -> TaskResult:
        raise AssertionError("not run in these tests")


def write(out_dir: Path, accuracy: float, eer: float) -> Path:
    result = TaskResult(
        metrics={
            "acc": MetricValue(accuracy, True, ci_low=0.80, ci_high=0.90, chance=0.5),
            "eer": MetricValue(eer, False, std=0.5, per_seed=[eer - 0.5, eer + 0.5]),
        }
    )
    return write_result(result_record(Fixed, result, options=NoOptions(), seed=0, wall_time_s=1.0), out_dir)


@pytest.fixture
def two_runs(tmp_path: Path) -> list[Path]:
    return [write(tmp_path / "model-a", 0.85, 4.0), write(tmp_path / "model-b", 0.95, 6.0)]


def test_rows_and_csv(two_runs: list[Path], tmp_path: Path) -> None:
    rows = load_rows(two_runs)
    assert [(row["run"], row["metric"]) for row in rows] == [
        ("model-a", "acc"), ("model-a", "eer"), ("model-b", "acc"), ("model-b", "eer")
    ]
    path = write_csv(rows, tmp_path / "all.csv")
    parsed = list(csv.DictReader(io.StringIO(path.read_text())))
    assert parsed[0] == {
        "run": "model-a", "task": "fixed", "task_version": "2.1", "metric": "acc", "value": "0.85",
        "ci_low": "0.8", "ci_high": "0.9", "std": "", "n_seeds": "", "higher_is_better": "True", "seed": "0",
        "chance": "0.5", "ci_unit": "", "train_preset": "", "train_seed": "", "checkpoint_epoch": "",
        "selection_split": "", "selection_rule": "", "config_sha256": "", "config_path": "",
        "source": str(two_runs[0]),
    }
    assert parsed[3]["metric"] == "eer" and parsed[3]["n_seeds"] == "2" and parsed[3]["std"] == "0.5"


def test_markdown_has_one_line_per_metric_and_one_column_per_run(two_runs: list[Path]) -> None:
    lines = to_markdown(load_rows(two_runs)).splitlines()
    assert lines[0] == "| task | metric | better | model-a | model-b |"
    assert lines[2] == "| fixed | acc | ↑ | 0.850 [0.800, 0.900] | 0.950 [0.800, 0.900] |"
    assert lines[3] == "| fixed | eer | ↓ | 4 ± 0.500 | 6 ± 0.500 |"
    assert len(lines) == 4


def test_runs_sharing_a_folder_name_are_told_apart_by_path(tmp_path: Path) -> None:
    paths = [write(tmp_path / "a" / "run", 0.5, 1.0), write(tmp_path / "b" / "run", 0.5, 1.0)]
    assert run_labels(paths) == [str((tmp_path / "a" / "run").resolve()), str((tmp_path / "b" / "run").resolve())]


def test_comparison_dims_values_inside_the_reference_interval(tmp_path: Path) -> None:
    paths = [write(tmp_path / "ref", 0.85, 4.0), write(tmp_path / "close", 0.87, 4.0), write(tmp_path / "far", 0.95, 4.0)]
    console = Console(record=True, force_terminal=True, color_system="standard", width=200)
    console.print(comparison_table(load_rows(paths)))
    text = console.export_text(styles=True)
    assert "\x1b[2m0.870 [0.800, 0.900]" in text
    assert "\x1b[2m0.950" not in text and "0.950 [0.800, 0.900]" in text


def test_single_result_table_shows_interval_and_direction(two_runs: list[Path]) -> None:
    from cdsvae_eval.evaluate.results import load_result

    console = Console(record=True, width=200)
    console.print(result_table(load_result(two_runs[0])))
    text = console.export_text()
    assert "fixed v2.1" in text
    assert "[0.800, 0.900]" in text and "↑" in text and "↓" in text
    assert "chance" in text and "0.850 │ [0.800, 0.900] │       │  0.500 │ ↑" in text


@pytest.mark.parametrize(("value", "text"), [(0.8534, "0.853"), (18336.0, "18336"), (123.456, "123.5"), (0.00942, "0.0094"), (0.0, "0.000")])
def test_format_value(value: float, text: str) -> None:
    assert format_value(value) == text


def write_trained(out_dir: Path, train_seed: int, accuracy: float, lr: float = 1e-3, eval_seed: int = 0) -> Path:
    from cdsvae_eval.config import apply_overrides, preset_config
    from cdsvae_eval.models.checkpoint_provenance import config_sha256

    config = apply_overrides(preset_config("smoke"), {"seed": train_seed, "lr": lr}).to_dict()
    training = {"preset": "smoke", "seed": train_seed, "checkpoint_epoch": 2, "selection_split": "val",
                "selection_rule": "lowest validation loss on 'val'", "config": config,
                "config_sha256": config_sha256(config), "config_path": str(out_dir / "config.json")}
    result = TaskResult(metrics={"acc": MetricValue(accuracy, True, ci_low=accuracy - 0.05, ci_high=accuracy + 0.05)},
                        protocol={"ci": {"resampled_unit": "character"}})
    record = result_record(Fixed, result, options=NoOptions(), seed=eval_seed, wall_time_s=1.0, training=training)
    return write_result(record, out_dir)


def test_runs_differing_only_in_training_seed_are_summarised_with_a_t_interval(tmp_path: Path) -> None:
    from scipy import stats

    paths = [write_trained(tmp_path / f"seed-{seed}", seed, value) for seed, value in ((3, 0.70), (1, 0.80), (2, 0.90))]
    paths.append(write_trained(tmp_path / "other-lr", 1, 0.10, lr=5e-4))
    paths.append(write_trained(tmp_path / "other-eval-seed", 2, 0.20, eval_seed=7))
    rows = load_rows(paths)
    assert [(row["train_seed"], row["checkpoint_epoch"], row["ci_unit"]) for row in rows[:2]] == [
        (3, 2, "character"), (1, 2, "character")]
    (summary,) = seed_rows(rows)
    half = stats.t.ppf(0.975, 2) * np.std([0.7, 0.8, 0.9], ddof=1) / np.sqrt(3)
    assert summary["n_train_seeds"] == 3 and summary["mean"] == pytest.approx(0.8)
    assert (summary["ci_low"], summary["ci_high"]) == pytest.approx((0.8 - half, 0.8 + half))
    assert summary["train_seeds"] == "1;2;3" and summary["per_seed_values"] == "0.8;0.9;0.7"
    assert summary["ci_method"] == "95% t-interval over training seeds"


def test_report_prints_the_seed_summary_and_writes_it_beside_the_csv(run_cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    paths = [write_trained(tmp_path / f"seed-{seed}", seed, value) for seed, value in ((1, 0.70), (2, 0.80))]
    code, out, err = run_cli("report", *paths, "--csv", tmp_path / "all.csv")
    assert code == 0, err
    assert "over training seeds" in out and "1: 0.700, 2: 0.800" in out
    seeds = list(csv.DictReader(io.StringIO((tmp_path / "all-seeds.csv").read_text())))
    assert [(row["metric"], row["n_train_seeds"], row["mean"]) for row in seeds] == [("acc", "2", "0.75")]
    per_run = list(csv.DictReader(io.StringIO((tmp_path / "all.csv").read_text())))
    assert [row["train_seed"] for row in per_run] == ["1", "2"]
    assert per_run[0]["config_path"] == str(tmp_path / "seed-1" / "config.json")


def test_markdown_report_adds_the_seed_summary(run_cli, tmp_path: Path) -> None:
    paths = [write_trained(tmp_path / f"seed-{seed}", seed, value) for seed, value in ((1, 0.70), (2, 0.80))]
    code, out, err = run_cli("report", *paths, "--markdown")
    assert code == 0, err
    line = [text for text in out.splitlines() if text.startswith("| smoke-")][0]
    assert line.endswith("| fixed | acc | ↑ | 2 | 0.750 [0.115, 1.385] | 1: 0.700, 2: 0.800 |")
