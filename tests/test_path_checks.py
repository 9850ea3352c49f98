"""Output paths are refused before anything is written, with an error naming the argument."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cdsvae_eval.errors import FieldError
from cdsvae_eval.path_checks import check_not_inside, check_output_dir, check_output_file


def test_folders_and_files_in_the_wrong_place_are_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(FieldError, match=r"^out_dir .*file is a file, not a folder$"):
        check_output_dir(tmp_path / "file", "out_dir")
    with pytest.raises(FieldError, match=r"^path .*file/deeper/codes\.npz is under .*file, which is a file$"):
        check_output_file(tmp_path / "file" / "deeper" / "codes.npz", "path")
    with pytest.raises(FieldError, match="is a folder, not a file"):
        check_output_file(tmp_path, "path")
    assert check_output_dir(tmp_path / "new" / "run", "run_dir") == tmp_path / "new" / "run"
    assert check_output_file(tmp_path / "new" / "codes.npz", "path") == tmp_path / "new" / "codes.npz"
    assert not (tmp_path / "new").exists()


def test_a_folder_that_cannot_be_written_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != locked)
    with pytest.raises(FieldError, match=r"run_dir .*locked/run cannot be written: folder .*locked is not writable"):
        check_output_dir(locked / "run", "run_dir")


def test_outputs_inside_a_data_root_are_refused(tmp_path: Path) -> None:
    data = tmp_path / "sprites"
    (data / "npy").mkdir(parents=True)
    (data / "data.pkl").write_bytes(b"")
    for root in (data, data / "data.pkl"):
        with pytest.raises(FieldError, match="is inside the data root"):
            check_not_inside(data / "runs" / "x", root, "run_dir")
    with pytest.raises(FieldError, match="is inside the data root"):
        check_not_inside(data / "npy", data / "npy", "run_dir")
    check_not_inside(tmp_path / "runs" / "x", data, "run_dir")
    check_not_inside(tmp_path / "sprites-runs", data, "run_dir")
    check_not_inside(data / "runs", None, "run_dir")
    check_not_inside(tmp_path / "runs" / "x", tmp_path / "missing-root", "run_dir")
