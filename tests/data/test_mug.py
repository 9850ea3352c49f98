"""The MUG reader on tiny trees in MUG's published layout, written here with PIL."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cdsvae_eval.data import mug
from cdsvae_eval.data.mug import EXPRESSIONS, Mug, sample_indices, split_subjects
from cdsvae_eval.data.registry import get_dataset
from cdsvae_eval.errors import ConfigError, DataError

SUBJECTS = ("001", "002", "004", "007", "010", "013")
TAKE_FRAMES = 20


def frame_colour(subject: int, expression: int, frame: int) -> tuple[int, int, int]:
    return (20 * subject, 40 * expression, 10 * frame)


def write_take(folder: Path, subject: int, expression: int, frames: int, suffix: str = ".png") -> None:
    """Frames 30 wide x 20 high: the centred 20x20 square is one colour per frame, 5-pixel side bars are white."""
    folder.mkdir(parents=True)
    for frame in range(frames):
        pixels = np.full((20, 30, 3), 255, dtype=np.uint8)
        pixels[:, 5:25] = frame_colour(subject, expression, frame)
        Image.fromarray(pixels).save(folder / f"img_{frame}{suffix}")


def write_mug_tree(root: Path, subjects: tuple[str, ...] = SUBJECTS, expressions: tuple[str, ...] = EXPRESSIONS[:3]) -> Path:
    """Every subject shows each expression in one take; subject 001 also has a JPEG take, a short take and
    a neutral folder (both ignored)."""
    for s, subject in enumerate(subjects):
        for expression in expressions:
            write_take(root / subject / expression / "take000", s, EXPRESSIONS.index(expression), TAKE_FRAMES)
    write_take(root / subjects[0] / expressions[0] / "take001", 0, 0, TAKE_FRAMES, suffix=".jpg")
    write_take(root / subjects[0] / expressions[1] / "take001", 0, 1, 5)
    write_take(root / subjects[0] / "neutral" / "take000", 0, 0, TAKE_FRAMES)
    return root


@pytest.fixture
def mug_root(tmp_path: Path) -> Path:
    return write_mug_tree(tmp_path / "mug")


def open_mug(root: Path, **options) -> Mug:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Mug(root, **options)


def test_takes_become_labelled_sequences_split_by_subject(mug_root: Path) -> None:
    with pytest.warns(UserWarning, match="skipped 1 take"):
        dataset = get_dataset("mug", data_root=str(mug_root))
    assert dataset.factor("subject").classes == SUBJECTS
    assert dataset.factor("expression").classes == EXPRESSIONS and dataset.factor("expression").kind == "dynamic"
    parts = {name: dataset.split(name) for name in dataset.split_names}
    assert sum(len(part) for part in parts.values()) == len(SUBJECTS) * 3 + 1
    subjects = {name: set(part.identity.tolist()) for name, part in parts.items()}
    assert not (subjects["train"] & subjects["val"] or subjects["train"] & subjects["test"] or subjects["val"] & subjects["test"])
    assert set().union(*subjects.values()) == set(range(len(SUBJECTS)))
    info = dataset.info()
    assert info["split_subjects"] == {name: list(s) for name, s in split_subjects(list(SUBJECTS)).items()}
    for name, part in parts.items():
        assert part.x.shape == (len(part), 15, 3, 64, 64) and part.x.dtype == np.uint8
        assert np.array_equal(part.labels["subject"], part.identity)
        assert {SUBJECTS[i] for i in part.identity} == set(info["split_subjects"][name])


def test_frames_are_evenly_sampled_in_numeric_order_and_centre_cropped(mug_root: Path) -> None:
    dataset = open_mug(mug_root, resolution=16)
    part = next(dataset.split(name) for name in dataset.split_names if 0 in dataset.split(name).identity)
    row = int(np.flatnonzero((part.identity == 0) & (part.labels["expression"] == 2))[0])
    expected = np.array([frame_colour(0, 2, int(i)) for i in sample_indices(TAKE_FRAMES, 15)], dtype=np.int64)
    sequence = part.x[row].astype(np.int64)  # (15, 3, 16, 16)
    assert sequence.shape == (15, 3, 16, 16)
    np.testing.assert_allclose(sequence.reshape(15, 3, -1).min(axis=2), expected, atol=1)  # no white side bars
    np.testing.assert_allclose(sequence.reshape(15, 3, -1).max(axis=2), expected, atol=1)


def test_sample_indices_keep_first_and_last_frames() -> None:
    assert sample_indices(20, 15)[[0, -1]].tolist() == [0, 19]
    assert sample_indices(15, 15).tolist() == list(range(15))
    assert np.all(np.diff(sample_indices(100, 15)) > 0)


def test_the_subjects3_folder_is_found_and_the_cache_is_reused(tmp_path: Path, monkeypatch) -> None:
    write_mug_tree(tmp_path / "copy" / "subjects3")
    first = open_mug(tmp_path / "copy")
    x = first.split("train").x.copy()
    monkeypatch.setattr(mug, "_read_frame", lambda path, size: pytest.fail("decoded again despite the cache"))
    again = open_mug(tmp_path / "copy" / "subjects3")
    assert again.fingerprint() == first.fingerprint()
    assert np.array_equal(again.split("train").x, x)


def test_the_fingerprint_follows_the_frames_and_options(mug_root: Path) -> None:
    before = open_mug(mug_root).fingerprint()
    assert open_mug(mug_root, resolution=32).fingerprint() != before
    assert open_mug(mug_root, seed=1).fingerprint() != before
    write_take(mug_root / "002" / "fear" / "take001", 1, 2, TAKE_FRAMES)
    assert open_mug(mug_root).fingerprint() != before


def test_a_different_seed_gives_another_disjoint_split() -> None:
    subjects = [f"{i:03d}" for i in range(52)]
    splits = split_subjects(subjects, seed=0)
    assert [len(splits[name]) for name in ("train", "val", "test")] == [37, 5, 10]
    assert split_subjects(subjects, seed=1) != splits and split_subjects(subjects, seed=0) == splits


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda root: root / "missing", "is not a folder (expected MUG's subjects3/ folder"),
        (lambda root: _emptied(root), "no MUG takes found (expected <subject>/<expression>/<take>/<frame>.jpg"),
        (lambda root: _frames_without_takes(root), "anger: no take folders"),
        (lambda root: _take_without_images(root), "take009: no frame images"),
        (lambda root: _broken_image(root), "img_3.png: not a readable image"),
        (lambda root: _two_subjects(root), "2 subject(s) with usable takes"),
    ],
)
def test_a_wrong_layout_is_a_one_line_error_naming_the_path(tmp_path: Path, damage, message) -> None:
    root = damage(write_mug_tree(tmp_path / "mug"))
    with pytest.raises(DataError, match=re.escape(message)) as error:
        dataset = open_mug(root)
        dataset.split("train")
        dataset.split("test")
    assert "\n" not in str(error.value)


def test_bad_options_are_config_errors(mug_root: Path) -> None:
    with pytest.raises(ConfigError, match="resolution must be one of"):
        Mug(mug_root, resolution=48)
    with pytest.raises(ConfigError, match="frames must be at least 2"):
        Mug(mug_root, frames=1)


@pytest.mark.filterwarnings("ignore:mug. skipped")
def test_data_info_reports_subjects_and_expressions(run_cli, mug_root: Path) -> None:
    code, out, err = run_cli("data", "info", "mug", "--data-root", mug_root)
    assert code == 0, err
    assert "subject" in out and "happiness" in out.replace("\n", "") and "001" in out
    code, out, err = run_cli("data", "info", "mug", "--data-root", mug_root, "--json")
    info = json.loads(out)
    assert info["factors"][0]["classes"] == list(SUBJECTS) and info["factors"][1]["classes"] == list(EXPRESSIONS)
    assert sorted(sum(info["split_subjects"].values(), [])) == list(SUBJECTS)
    code, _, err = run_cli("data", "info", "mug", "--data-root", mug_root / "nowhere")
    assert code == 2 and "nowhere is not a folder" in err and err.count("\n") == 1


def _emptied(root: Path) -> Path:
    empty = root.parent / "empty"
    (empty / "001" / "notes").mkdir(parents=True)
    return empty


def _frames_without_takes(root: Path) -> Path:
    folder = root / "004" / "anger"
    for take in folder.iterdir():
        for frame in take.iterdir():
            frame.rename(folder / frame.name)
        take.rmdir()
    return root


def _take_without_images(root: Path) -> Path:
    (root / "004" / "anger" / "take009").mkdir()
    (root / "004" / "anger" / "take009" / "notes.txt").write_text("no frames here")
    return root


def _broken_image(root: Path) -> Path:
    (root / "007" / "disgust" / "take000" / "img_3.png").write_bytes(b"not a png")
    return root


def _two_subjects(root: Path) -> Path:
    return write_mug_tree(root.parent / "small", subjects=("001", "002"))
