"""A disk that fills while writing: one line naming the file, the cause and what was kept, exit 74 (EX_IOERR),
no temporary file left, every checkpoint on disk loads."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import numpy as np
import pytest

import toy_video  # noqa: F401  (registers the toy-video dataset)
from cdsvae_eval.atomic import append_text, write_json
from cdsvae_eval.codes import save_codes
from cdsvae_eval.errors import WriteError
from cdsvae_eval.models.checkpoint import load_checkpoint
from disk_full import TRAIN_ARGS, DiskFull, assert_one_line_write_error, temporary_files


def assert_checkpoints_load(run: Path) -> None:
    for path in run.glob("*.pt"):
        load_checkpoint(path)


def train_until_the_disk_fills(tmp_path: Path, monkeypatch, run_cli, nth: int, kept: str) -> Path:
    """Train with the disk full at the ``nth`` write of last.pt: one line saying ``kept``, no temporary file left,
    every checkpoint on disk loads. Returns the run folder."""
    run = tmp_path / "run"
    DiskFull(monkeypatch, "last.pt", nth=nth)
    code, _, err = run_cli(*TRAIN_ARGS, "--out", run)
    assert_one_line_write_error(code, err, run / "last.pt", kept)
    assert temporary_files(tmp_path) == []
    assert_checkpoints_load(run)
    return run


def test_full_disk_at_the_first_last_pt_names_it_and_keeps_no_temporary_file(tmp_path, monkeypatch, run_cli):
    run = train_until_the_disk_fills(tmp_path, monkeypatch, run_cli, nth=1, kept="no last.pt was written")
    assert not (run / "last.pt").exists()


def test_full_disk_at_a_later_last_pt_keeps_the_previous_one_resumable(tmp_path, monkeypatch, run_cli):
    run = train_until_the_disk_fills(tmp_path, monkeypatch, run_cli, nth=2, kept="the previous last.pt is intact")
    assert load_checkpoint(run / "last.pt")["epoch"] == 1
    monkeypatch.undo()
    code, _, err = run_cli(*TRAIN_ARGS, "--out", run, "--resume")
    assert code == 0, err
    assert [json.loads(line)["epoch"] for line in (run / "log.jsonl").read_text().splitlines()] == [1, 2]


def test_full_disk_while_appending_to_the_log_keeps_its_whole_lines(tmp_path, monkeypatch):
    log = tmp_path / "log.jsonl"
    append_text(log, '{"epoch": 1}\n')
    write = os.write

    def half_then_full(fd: int, data: bytes) -> int:
        monkeypatch.setattr(os, "write", _no_space)
        return write(fd, data[: len(data) // 2])

    monkeypatch.setattr(os, "write", half_then_full)
    with pytest.raises(WriteError, match="no space left on device; log.jsonl holds what it held before"):
        append_text(log, '{"epoch": 2, "loss": 1.0}\n')
    assert log.read_text() == '{"epoch": 1}\n'


def _no_space(fd: int, data: bytes) -> int:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def probe_until_the_disk_fills(tmp_path: Path, monkeypatch, run_cli, codes_of, task: str) -> None:
    """``probe --task task`` with the disk full when classify.json is written: one line, no temporary file."""
    codes = tmp_path / "codes.npz"
    save_codes(codes_of(), codes)
    out = tmp_path / "results"
    DiskFull(monkeypatch, "classify.json")
    code, _, err = run_cli("probe", "--task", task, "--codes", codes, "--out", out)
    assert_one_line_write_error(code, err, out / "classify.json", "no classify.json was written")
    assert temporary_files(tmp_path) == []
    assert not (out / "classify.json").exists()


def test_full_disk_writing_a_results_file_of_probe(tmp_path, monkeypatch, run_cli, disentangled_codes):
    probe_until_the_disk_fills(tmp_path, monkeypatch, run_cli, disentangled_codes, "classify")


def test_full_disk_writing_a_code_file_keeps_the_previous_one(tmp_path, monkeypatch, disentangled_codes):
    path = tmp_path / "codes.npz"
    save_codes(disentangled_codes(), path)
    before = path.read_bytes()
    DiskFull(monkeypatch, "codes.npz")
    with pytest.raises(WriteError) as caught:
        save_codes(disentangled_codes(seed=1), path)
    assert str(caught.value) == f"cannot write {path}: no space left on device; the previous codes.npz is intact"
    assert caught.value.path == str(path)
    assert path.read_bytes() == before
    assert temporary_files(tmp_path) == []


def test_full_disk_writing_a_report_table(tmp_path, monkeypatch, run_cli, disentangled_codes):
    codes = tmp_path / "codes.npz"
    save_codes(disentangled_codes(), codes)
    code, _, err = run_cli("probe", "--task", "classify", "--codes", codes, "--out", tmp_path / "results")
    assert code == 0, err
    DiskFull(monkeypatch, "table.csv")
    code, _, err = run_cli("report", tmp_path / "results", "--csv", tmp_path / "table.csv")
    assert_one_line_write_error(code, err, tmp_path / "table.csv", "no table.csv was written")
    assert temporary_files(tmp_path) == []


def test_full_disk_writing_json_and_text_raises_write_error_naming_the_file(tmp_path, monkeypatch):
    target = tmp_path / "deep" / "summary.json"
    write_json(target, {"a": 1})
    DiskFull(monkeypatch, "summary.json")
    with pytest.raises(WriteError, match=r"summary.json: no space left on device; the previous summary.json is intact"):
        write_json(target, {"a": np.arange(3)})
    assert json.loads(target.read_text()) == {"a": 1}
    assert temporary_files(tmp_path) == []


def test_full_disk_stops_probe_task_all_instead_of_skipping_the_task(tmp_path, monkeypatch, run_cli,
                                                                     disentangled_codes):
    probe_until_the_disk_fills(tmp_path, monkeypatch, run_cli, disentangled_codes, "all")
