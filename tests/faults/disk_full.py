"""A full disk on demand: the nth atomic write of a file of a given name fails with ENOSPC.

Every write of the package renames a finished temporary file into place; the fault is raised at that
rename, after half of the temporary file's bytes were thrown away, as a disk that filled up would leave it."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

TRAIN_ARGS = ("train", "--preset", "smoke", "--dataset", "toy-video", "--set", "dataset_options.resolution=16",
              "--epochs", "2", "--batch-size", "16", "--device", "cpu", "--no-progress")


class DiskFull:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, name: str, nth: int = 1) -> None:
        self.name, self.nth, self.seen = name, nth, 0
        self.replace = os.replace
        monkeypatch.setattr(os, "replace", self)

    def __call__(self, source: str | os.PathLike[str], target: str | os.PathLike[str], *args, **kwargs) -> None:
        if Path(target).name == self.name:
            self.seen += 1
            if self.seen == self.nth:
                data = Path(source).read_bytes()
                Path(source).write_bytes(data[: len(data) // 2])
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(source))
        self.replace(source, target, *args, **kwargs)


def temporary_files(root: Path) -> list[Path]:
    """The atomic writers' temporary files under ``root`` (``.<name>.<random>.tmp``)."""
    return sorted(path for path in root.rglob(".*.tmp"))


def assert_one_line_write_error(code: int, err: str, path: Path, kept: str) -> None:
    assert code == 74, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0] == f"error: cannot write {path}: no space left on device; {kept}"
