"""What a person reads: tables keep metric names whole when stdout is a pipe, and each warning (category and
message) is printed once per command."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cdsvae_eval.cli.console import make_console
from cdsvae_eval.report.tables import result_table, seed_table

LONG_NAMES = (
    "baseline_acc_direction_from_static",
    "baseline_acc_hands_feet_from_dynamic",
    "baseline_swap_motion_accuracy_over_identity_pairs_given_static",
)


def _record() -> dict[str, object]:
    metric = {"value": 0.5123, "higher_is_better": True, "ci_low": 0.4012, "ci_high": 0.6234, "std": 0.0123,
              "chance": 0.1111}
    return {"task": {"name": "classify", "version": "1.0"}, "metrics": {name: dict(metric) for name in LONG_NAMES}}


def _seed_rows() -> list[dict[str, object]]:
    return [{"group": "runs/a-long-run-folder-name/probes", "task": "classify", "metric": name, "higher_is_better": True,
             "n_train_seeds": 3, "mean": 0.5, "ci_low": 0.4, "ci_high": 0.6, "train_seeds": "1;2;3",
             "per_seed_values": "0.41;0.52;0.63"} for name in LONG_NAMES]


def test_tables_through_a_pipe_keep_metric_names_whole(capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    console = make_console()  # stdout is captured: not a terminal, as under `| tee`
    assert not console.is_terminal
    console.print(result_table(_record()))
    console.print(seed_table(_seed_rows()))
    lines = capsys.readouterr().out.splitlines()
    for name in LONG_NAMES:
        assert sum(name in line for line in lines) == 2, f"{name} is split across lines"


def test_a_terminal_width_the_user_set_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    assert make_console().width == 100


WARN_IN_A_LOOP = """
import warnings

import click

from cdsvae_eval.cli import cli, main


@cli.command("warn-in-a-loop")
def warn_in_a_loop() -> None:
    for _ in range(3):
        with warnings.catch_warnings():  # resets Python's once-per-location registry, as libraries do
            warnings.warn("the solver did not converge", UserWarning)
    warnings.warn("the solver did not converge", UserWarning)  # another line, the same warning
    warnings.warn("the solver did not converge", RuntimeWarning)  # another category
    warnings.warn("a second   message\\nover two lines", UserWarning)


main(["warn-in-a-loop"])
"""


def test_each_warning_is_printed_once_per_command() -> None:
    result = subprocess.run([sys.executable, "-c", WARN_IN_A_LOOP], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == ["warning: the solver did not converge", "warning: the solver did not converge",
                                          "warning: a second message over two lines"]
