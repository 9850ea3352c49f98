"""Shared fixtures: an isolated cache per test, tiny Sprites copies in both layouts, the cuda marker."""

from __future__ import annotations

import functools
import pickle
from pathlib import Path

import numpy as np
import pytest

SPRITES_ACTIONS = ("walk", "spellcard", "slash")
SPRITES_DIRECTIONS = ("front", "left", "right")
# (body, bottom, top, hair) of each character, in file order; the same characters appear in every motion.
SPRITES_CHARACTERS = {
    "train": ((0, 0, 0, 0), (1, 2, 3, 4), (5, 5, 5, 5), (2, 0, 4, 1), (3, 1, 0, 5), (4, 3, 2, 0)),
    "test": ((0, 1, 2, 3), (5, 4, 3, 2)),
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    cuda_items = [item for item in items if item.get_closest_marker("cuda")]
    if not cuda_items:
        return
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in cuda_items:
        item.add_marker(skip)


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path_factory.mktemp("cdsvae-cache")
    monkeypatch.setenv("CDSVAE_EVAL_CACHE", str(cache))
    return cache


@pytest.fixture
def sprites_characters() -> dict[str, tuple[tuple[int, int, int, int], ...]]:
    return SPRITES_CHARACTERS


@functools.cache
def sprites_motion_arrays(split: str, motion: int) -> tuple[np.ndarray, np.ndarray]:
    """Frames float32 (N, 8, 64, 64, 3) in [0, 1) and one-hot attributes (N, 8, 4, 6) of one motion file."""
    characters = np.array(SPRITES_CHARACTERS[split])
    codes = characters @ np.array([216, 36, 6, 1])
    n = len(characters)
    t, y, x, c = np.ogrid[:8, :64, :64, :3]
    pattern = codes[:, None, None, None, None] * 7 + motion * 31 + t * 3 + y + 2 * x + 5 * c
    frames = ((pattern % 64) / 64.0).astype(np.float32)
    attributes = np.zeros((n, 8, 4, 6), dtype=np.float32)
    attributes[np.arange(n)[:, None], :, np.arange(4)[None, :], characters] = 1.0
    frames.setflags(write=False)
    attributes.setflags(write=False)
    return frames, attributes


def _motion_names() -> list[str]:
    return [f"{action}_{direction}" for action in SPRITES_ACTIONS for direction in SPRITES_DIRECTIONS]


@pytest.fixture
def sprites_npy_root(tmp_path: Path) -> Path:
    """A tiny Sprites ``npy/`` folder (6 train and 2 test characters in all 9 motions)."""
    root = tmp_path / "sprites" / "npy"
    root.mkdir(parents=True)
    for split in ("train", "test"):
        for motion, stem in enumerate(_motion_names()):
            frames, attributes = sprites_motion_arrays(split, motion)
            np.save(root / f"{stem}_frames_{split}.npy", frames)
            np.save(root / f"{stem}_attributes_{split}.npy", attributes)
    # The real set ships a directions file whose test copy was saved under the train name: never read.
    np.save(root / "walk_front_directions_train.npy", np.zeros((3, 8, 3), dtype=np.float32))
    return root


@pytest.fixture
def sprites_pkl_path(tmp_path: Path) -> Path:
    """The same tiny Sprites as ``sprites_npy_root``, as a C-DSVAE ``data.pkl``."""
    payload: dict[str, np.ndarray] = {}
    for split in ("train", "test"):
        per_motion = [sprites_motion_arrays(split, motion) for motion in range(9)]
        payload[f"X_{split}"] = np.concatenate([frames for frames, _ in per_motion])
        payload[f"A_{split}"] = np.concatenate([attributes for _, attributes in per_motion])
        motions = np.zeros((len(payload[f"X_{split}"]), 8, 9), dtype=np.float32)
        per_file = len(per_motion[0][0])
        motions[np.arange(len(motions)), :, np.arange(len(motions)) // per_file] = 1.0
        payload[f"D_{split}"] = motions
        payload[f"c_augs_{split}"] = np.zeros((2, 1, 8, 4, 4, 3), dtype=np.float32)
    path = tmp_path / "sprites_release" / "data.pkl"
    path.parent.mkdir(parents=True)
    with path.open("wb") as handle:
        pickle.dump(payload, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return path
