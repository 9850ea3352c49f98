"""A real full disk: a small tmpfs, filled up. Needs root and a kernel that lets the test mount one; skipped with
the reason elsewhere."""

from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path

import pytest
import torch

from cdsvae_eval.codes import save_codes
from cdsvae_eval.errors import WriteError
from cdsvae_eval.models.checkpoint import load_checkpoint, save_checkpoint
import toy_video  # noqa: F401  (registers the toy-video dataset)
from disk_full import TRAIN_ARGS, temporary_files


@pytest.fixture
def full_disk(tmp_path) -> Path:
    """A 256 KiB tmpfs: room for a run's config.json, not for its checkpoints."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk)], capture_output=True,
                             text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.strip() or mounted.returncode}")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path) -> None:
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as error:
        assert error.errno == errno.ENOSPC
    finally:
        os.close(fd)


def test_a_checkpoint_written_to_a_full_disk_keeps_the_previous_one(full_disk):
    path = full_disk / "last.pt"
    save_checkpoint(path, {"epoch": 1, "weights": torch.zeros(16)})
    fill(full_disk)
    with pytest.raises(WriteError) as caught:
        save_checkpoint(path, {"epoch": 2, "weights": torch.zeros(64 * 1024)})
    assert str(caught.value) == f"cannot write {path}: no space left on device; the previous last.pt is intact"
    assert load_checkpoint(path)["epoch"] == 1
    assert temporary_files(full_disk) == []


def test_probe_and_codes_on_a_full_disk_say_so_in_one_line(full_disk, run_cli, tmp_path, disentangled_codes):
    codes = tmp_path / "codes.npz"
    save_codes(disentangled_codes(), codes)
    fill(full_disk)
    code, _, err = run_cli("probe", "--task", "classify", "--codes", codes, "--out", full_disk / "results")
    assert code == 74, err
    assert err.strip() == (f"error: cannot write {full_disk / 'results' / 'classify.json'}: no space left on device; "
                           "no classify.json was written")
    with pytest.raises(WriteError, match="no space left on device; no codes.npz was written"):
        save_codes(disentangled_codes(), full_disk / "codes.npz")
    assert temporary_files(full_disk) == []


def test_train_on_a_disk_too_small_for_its_checkpoint_says_so_and_keeps_no_temporary_file(full_disk, run_cli):
    run = full_disk / "run"
    code, _, err = run_cli(*TRAIN_ARGS, "--out", run)
    assert code == 74, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: cannot write {run}/"), err
    assert lines[0].endswith(".pt: no space left on device; no best.pt was written") or lines[0].endswith(
        ".pt: no space left on device; no last.pt was written"), err
    assert (run / "config.json").is_file()
    assert temporary_files(full_disk) == []
    for path in run.glob("*.pt"):
        load_checkpoint(path)
