"""Ctrl-C during a real ``train``: a resumable checkpoint, exit 130, and a --resume command that finishes the run."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from cdsvae_eval.cli import main; main()", *args]


def _wait_for(path: Path, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"{path} did not appear (exit {process.poll()}): {process.communicate()}")
        time.sleep(0.05)


def test_sigint_during_train_saves_exits_130_and_the_printed_resume_command_finishes(tmp_path: Path) -> None:
    run = tmp_path / "run"
    env = {**os.environ, "CDSVAE_EVAL_CACHE": str(tmp_path / "cache"), "COLUMNS": "400"}
    process = subprocess.Popen(
        _cli("train", "--preset", "smoke", "--epochs", "2", "--out", str(run), "--no-progress"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
    )
    _wait_for(run / "log.jsonl", process, timeout=300)  # epoch 1 is done: the loop is in epoch 2
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, out + err
    assert "Traceback" not in out + err
    line = next(line for line in out.splitlines() if line.startswith("interrupted by SIGINT"))
    command = line.split("continue with: ", 1)[1]
    assert command == f"cdsvae-eval train --out {run} --resume --preset smoke --epochs 2 --no-progress"
    assert (run / "last.pt").is_file() and not (run / "summary.json").exists()

    resumed = subprocess.run(_cli(*shlex.split(command)[1:]), capture_output=True, text=True, env=env, cwd=tmp_path,
                             timeout=300)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    summary = json.loads((run / "summary.json").read_text())
    assert summary["epochs_done"] == 2
    assert [json.loads(line)["epoch"] for line in (run / "log.jsonl").read_text().splitlines()] == [1, 2]
