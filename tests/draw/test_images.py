"""Image grids: layout, pixel placement, labels, input types; and the showcase row pick."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cdsvae_eval.draw.images import (
    BACKGROUND,
    SEPARATOR_PX,
    save_image_grid,
    save_sequence_grid,
    showcase_rows,
)


def _frames(rows: int, cols: int, size: int = 8) -> np.ndarray:
    """Each cell filled with one colour that encodes its row and column."""
    grid = np.zeros((rows, cols, 3, size, size), dtype=np.uint8)
    for r in range(rows):
        for c in range(cols):
            grid[r, c] = np.array([10 + 40 * r, 10 + 30 * c, 200], dtype=np.uint8)[:, None, None]
    return grid


def _read(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        assert image.format == "PNG"
        return np.asarray(image.convert("RGB"))


def test_sequence_grid_places_each_frame_between_separators(tmp_path: Path) -> None:
    frames = _frames(3, 4)
    path = save_sequence_grid(frames, tmp_path / "deep" / "grid.png")
    pixels = _read(path)
    assert pixels.shape == (3 * 8 + 4 * SEPARATOR_PX, 4 * 8 + 5 * SEPARATOR_PX, 3)
    for r in range(3):
        for c in range(4):
            top, left = SEPARATOR_PX + r * (8 + SEPARATOR_PX), SEPARATOR_PX + c * (8 + SEPARATOR_PX)
            assert (pixels[top : top + 8, left : left + 8] == frames[r, c, :, 0, 0]).all()
    assert (pixels[:SEPARATOR_PX] == BACKGROUND).all()
    assert (pixels[:, 8 + SEPARATOR_PX : 8 + 2 * SEPARATOR_PX] == BACKGROUND).all()
    assert list(tmp_path.joinpath("deep").iterdir()) == [path]


def test_scale_and_float_input(tmp_path: Path) -> None:
    frames = _frames(2, 2).astype(np.float32) / 255.0
    pixels = _read(save_sequence_grid(frames, tmp_path / "grid.png", scale=3))
    assert pixels.shape == (2 * 24 + 3 * SEPARATOR_PX, 2 * 24 + 3 * SEPARATOR_PX, 3)
    cell = pixels[SEPARATOR_PX : SEPARATOR_PX + 24, SEPARATOR_PX : SEPARATOR_PX + 24]
    assert (cell == _frames(2, 2)[0, 0, :, 0, 0]).all()


def test_row_labels_add_a_margin_with_text_and_name_the_frames(tmp_path: Path) -> None:
    frames = _frames(2, 3)
    plain = _read(save_sequence_grid(frames, tmp_path / "plain.png"))
    labels = ["character 17 | walk-left", "b"]
    labelled = _read(save_sequence_grid(frames, tmp_path / "labelled.png", row_labels=labels))
    margin, top = labelled.shape[1] - plain.shape[1], labelled.shape[0] - plain.shape[0]
    assert margin > 40 and top > 8  # the frame names ("frame 1", ...) sit above the columns
    np.testing.assert_array_equal(labelled[top:, margin:], plain)
    first_row = labelled[top + SEPARATOR_PX : top + SEPARATOR_PX + 8, :margin]
    assert (first_row != BACKGROUND).any(axis=-1).sum() > 10
    assert (labelled[:top, margin:] != BACKGROUND).any(axis=-1).sum() > 30


def test_image_grid_labels_rows_and_columns(tmp_path: Path) -> None:
    grid = _frames(2, 2, size=16)[:, :, :1]
    swap = save_image_grid(grid, tmp_path / "swap.png", row_labels=["a", "b"], col_labels=["static", "dynamic"])
    pixels = _read(swap)
    plain = _read(save_image_grid(grid, tmp_path / "plain.png"))
    assert pixels.shape[0] > plain.shape[0] and pixels.shape[1] > plain.shape[1]
    corner = pixels[-plain.shape[0] :, -plain.shape[1] :]
    np.testing.assert_array_equal(corner, plain)
    assert (plain[SEPARATOR_PX, SEPARATOR_PX] == grid[0, 0, 0, 0, 0]).all()


def test_bad_shapes_and_label_counts_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="shape"):
        save_sequence_grid(np.zeros((2, 3, 8, 8), dtype=np.uint8), tmp_path / "x.png")
    with pytest.raises(ValueError, match="row labels"):
        save_sequence_grid(_frames(2, 2), tmp_path / "x.png", row_labels=["only one"])
    assert not (tmp_path / "x.png").exists()


def _sprites_like_labels() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """20 characters with 4 static attributes (values 0..5), each in 9 motions."""
    rng = np.random.default_rng(5)
    attributes = rng.integers(0, 6, size=(20, 4))
    identity = np.repeat(np.arange(20), 9)
    motion = np.tile(np.arange(9), 20)
    return identity, motion, attributes[identity]


def test_showcase_shows_one_identity_in_every_motion_then_new_identities() -> None:
    identity, motion, static = _sprites_like_labels()
    picked = showcase_rows(identity, motion, static, rows=14, seed=3)
    assert len(picked) == 14
    assert len(set(identity[picked[:9]].tolist())) == 1
    assert sorted(motion[picked[:9]].tolist()) == list(range(9))
    rest = identity[picked[9:]]
    assert len(set(rest.tolist())) == 5 and identity[picked[0]] not in rest
    shown_values = [len(set(static[picked[[0, *range(9, 14)]], k].tolist())) for k in range(4)]
    assert min(shown_values) >= 5
    np.testing.assert_array_equal(picked, showcase_rows(identity, motion, static, rows=14, seed=3))


def test_showcase_prefers_the_identity_covering_most_motions_and_stops_when_out_of_identities() -> None:
    identity = np.array([0, 0, 1, 1, 1, 2])
    motion = np.array([0, 0, 0, 1, 2, 1])
    picked = showcase_rows(identity, motion, np.zeros((6, 0), dtype=np.int64), rows=10, seed=0)
    assert identity[picked[:3]].tolist() == [1, 1, 1] and motion[picked[:3]].tolist() == [0, 1, 2]
    assert sorted(identity[picked[3:]].tolist()) == [0, 2]
