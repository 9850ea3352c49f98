"""Atomic writes: the target appears whole or not at all, with the permissions a plain write would give it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cdsvae_eval.atomic import atomic_path, write_json, write_text


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_is_readable_by_others_under_the_usual_umask(tmp_path: Path, umask_022) -> None:
    write_text(tmp_path / "report.html", "<p>hi</p>")
    write_json(tmp_path / "sub" / "result.json", {"a": 1})
    assert mode(tmp_path / "report.html") == 0o644 and mode(tmp_path / "sub" / "result.json") == 0o644


def test_an_overwritten_file_keeps_its_mode(tmp_path: Path, umask_022) -> None:
    target = tmp_path / "keep.txt"
    target.write_text("old")
    target.chmod(0o600)
    write_text(target, "new")
    assert target.read_text() == "new" and mode(target) == 0o600


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "result.json"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("crash")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["result.json"]
