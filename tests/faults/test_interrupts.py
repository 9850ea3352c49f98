"""Ctrl-C or SIGTERM during probe, codes extract or report: exit 130 or 143, no partial or temporary file left,
and the same command run again works (it is not refused for a half-written results folder)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from cdsvae_eval.codes import save_codes
from disk_full import temporary_files

SIGNALS = pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])


@pytest.fixture(autouse=True)
def ctrl_c_raises():
    """SIGINT raises KeyboardInterrupt, as Ctrl-C at a terminal does, also where the suite runs as a background job
    of a non-interactive shell (`make test &`), which starts Python with SIGINT ignored."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


class SignalAtWrite:
    """Send ``sig`` to this process while the nth file named ``name`` is being written (before its rename)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, name: str, sig: int, nth: int = 1) -> None:
        self.name, self.sig, self.nth, self.seen = name, sig, nth, 0
        self.replace = os.replace
        monkeypatch.setattr(os, "replace", self)

    def __call__(self, source, target, *args, **kwargs) -> None:
        if Path(target).name == self.name:
            self.seen += 1
            if self.seen == self.nth:
                os.kill(os.getpid(), self.sig)
        self.replace(source, target, *args, **kwargs)


@pytest.fixture
def codes_file(tmp_path, disentangled_codes) -> Path:
    path = tmp_path / "codes.npz"
    save_codes(disentangled_codes(), path)
    return path


@SIGNALS
def test_probe_stopped_after_one_task_removes_its_results_and_runs_again(tmp_path, monkeypatch, run_cli, codes_file,
                                                                         sig, code):
    out = tmp_path / "results"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    args = ("probe", "--task", "classify,code-usage", "--codes", codes_file, "--out", out)
    SignalAtWrite(monkeypatch, "code-usage.json", sig)
    status, _, err = run_cli(*args)
    assert status == code, err
    assert "Traceback" not in err and err.strip().splitlines()[-1] == "aborted"
    assert sorted(path.name for path in out.iterdir()) == ["notes.txt"]
    assert temporary_files(tmp_path) == []
    monkeypatch.undo()
    status, _, err = run_cli(*args)
    assert status == 0, err
    assert {"classify.json", "code-usage.json"} <= {path.name for path in out.iterdir()}


@SIGNALS
def test_codes_extract_stopped_while_writing_leaves_no_file_and_runs_again(tmp_path, monkeypatch, run_cli,
                                                                           untrained_run, sig, code):
    out = tmp_path / "codes" / "out.npz"
    args = ("codes", "extract", "--checkpoint", untrained_run, "--out", out, "--device", "cpu")
    SignalAtWrite(monkeypatch, "out.npz", sig)
    status, _, err = run_cli(*args)
    assert status == code, err
    assert not out.exists() and temporary_files(tmp_path) == []
    monkeypatch.undo()
    status, _, err = run_cli(*args)
    assert status == 0, err
    assert out.is_file()


@SIGNALS
def test_report_stopped_between_its_outputs_removes_the_written_ones(tmp_path, monkeypatch, run_cli, codes_file,
                                                                    sig, code):
    status, _, err = run_cli("probe", "--task", "classify", "--codes", codes_file, "--out", tmp_path / "results")
    assert status == 0, err
    args = ("report", tmp_path / "results", "--csv", tmp_path / "table.csv", "--html", tmp_path / "page.html")
    SignalAtWrite(monkeypatch, "page.html", sig)
    status, _, err = run_cli(*args)
    assert status == code, err
    assert not (tmp_path / "table.csv").exists() and not (tmp_path / "page.html").exists()
    assert temporary_files(tmp_path) == []
    monkeypatch.undo()
    status, _, err = run_cli(*args)
    assert status == 0, err
    assert (tmp_path / "table.csv").is_file() and (tmp_path / "page.html").is_file()


def test_sigterm_handler_is_restored_after_a_command(run_cli):
    before = signal.getsignal(signal.SIGTERM)
    run_cli("tasks", "list")
    assert signal.getsignal(signal.SIGTERM) is before
