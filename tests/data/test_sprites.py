"""The Sprites reader: both layouts, labels, character-disjoint splits, fingerprints and bad inputs."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from cdsvae_eval.data import get_dataset
from cdsvae_eval.data.sprites import MOTIONS, Sprites, character_index, validation_characters
from cdsvae_eval.errors import ConfigError, DataError

SPLITS = ("train", "val", "test")
ATTRIBUTES_FILE = "spellcard_front_attributes_test.npy"


def test_npy_and_pickle_layouts_read_the_same_arrays(sprites_npy_root: Path, sprites_pkl_path: Path) -> None:
    from_npy, from_pickle = Sprites(sprites_npy_root), Sprites(sprites_pkl_path)
    for split in SPLITS:
        a, b = from_npy.split(split), from_pickle.split(split)
        assert a.x.dtype == np.uint8 and a.x.shape[1:] == (8, 3, 64, 64)
        np.testing.assert_array_equal(a.x, b.x)
        np.testing.assert_array_equal(a.identity, b.identity)
        assert a.labels.keys() == b.labels.keys()
        for key in a.labels:
            np.testing.assert_array_equal(a.labels[key], b.labels[key])


def test_root_may_name_the_folder_above_npy_or_the_folder_holding_data_pkl(
    sprites_npy_root: Path, sprites_pkl_path: Path
) -> None:
    expected = Sprites(sprites_npy_root).split("test")
    for root in (sprites_npy_root.parent, sprites_pkl_path.parent):
        np.testing.assert_array_equal(Sprites(root).split("test").x, expected.x)


def test_frames_are_rounded_to_uint8_channels_first(sprites_npy_root: Path) -> None:
    test = Sprites(sprites_npy_root).split("test")
    source = np.load(sprites_npy_root / "slash_left_frames_test.npy")
    rows = np.flatnonzero(test.labels["motion"] == MOTIONS.index("slash-left"))
    expected = np.rint(source * 255).astype(np.uint8).transpose(0, 1, 4, 2, 3)
    np.testing.assert_array_equal(test.x[rows], expected)


def test_labels_of_a_known_character(sprites_npy_root: Path) -> None:
    dataset = Sprites(sprites_npy_root)
    identity = 1 * 216 + 2 * 36 + 3 * 6 + 4
    found = 0
    for split in ("train", "val"):
        part = dataset.split(split)
        rows = np.flatnonzero(part.identity == identity)
        found += len(rows)
        for factor, value in (("body", 1), ("bottom", 2), ("top", 3), ("hair", 4)):
            assert (part.labels[factor][rows] == value).all()
        for row in rows:
            motion = MOTIONS[part.labels["motion"][row]]
            action = dataset.factor("action").classes[part.labels["action"][row]]
            direction = dataset.factor("direction").classes[part.labels["direction"][row]]
            assert motion == f"{action}-{direction}"
        if len(rows):
            assert sorted(part.labels["motion"][rows]) == list(range(9))
    assert found == 9


def test_character_index_is_base_six() -> None:
    attributes = np.array([[0, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0], [1, 2, 3, 4], [5, 5, 5, 5]])
    np.testing.assert_array_equal(character_index(attributes), [0, 1, 6, 310, 1295])


def test_splits_hold_disjoint_characters(sprites_npy_root: Path, sprites_characters: dict) -> None:
    dataset = Sprites(sprites_npy_root)
    ids = {split: set(dataset.split(split).identity.tolist()) for split in SPLITS}
    assert ids["val"] and ids["train"] and ids["test"]
    assert not ids["train"] & ids["val"] and not ids["train"] & ids["test"] and not ids["val"] & ids["test"]
    train_characters = set(character_index(np.array(sprites_characters["train"])).tolist())
    assert ids["train"] | ids["val"] == train_characters
    assert len(dataset.split("val")) == 9 * len(ids["val"])


def test_validation_slice_is_a_seeded_tenth_of_the_characters() -> None:
    identity = np.repeat(np.arange(1000) * 7 % 1296, 9)
    held_out = validation_characters(identity)
    assert len(held_out) == 100 and len(set(held_out.tolist())) == 100
    np.testing.assert_array_equal(held_out, validation_characters(identity[::-1]))
    assert len(validation_characters(np.array([3, 3, 3]))) == 0


def test_max_per_motion_keeps_the_first_sequences_of_each_motion(
    sprites_npy_root: Path, sprites_pkl_path: Path
) -> None:
    npy_test = Sprites(sprites_npy_root, max_per_motion=1).split("test")
    pkl_test = Sprites(sprites_pkl_path, max_per_motion=1).split("test")
    assert len(npy_test) == 9 and sorted(npy_test.labels["motion"]) == list(range(9))
    np.testing.assert_array_equal(npy_test.x, pkl_test.x)
    np.testing.assert_array_equal(npy_test.identity, np.full(9, 0 * 216 + 1 * 36 + 2 * 6 + 3))
    with pytest.raises(ConfigError, match="max_per_motion"):
        Sprites(sprites_npy_root, max_per_motion=0)


def test_registry_builds_sprites_and_info_counts(sprites_npy_root: Path) -> None:
    info = get_dataset("sprites", data_root=sprites_npy_root).info()
    assert info["splits"]["test"] == {"sequences": 18, "identities": 2}
    assert info["splits"]["train"]["sequences"] + info["splits"]["val"]["sequences"] == 54
    assert [f["name"] for f in info["factors"]] == ["body", "bottom", "top", "hair", "motion", "action", "direction"]


def test_fingerprint_tracks_files_and_options(sprites_npy_root: Path) -> None:
    first = Sprites(sprites_npy_root).fingerprint()
    assert Sprites(sprites_npy_root).fingerprint() == first
    assert Sprites(sprites_npy_root, max_per_motion=1).fingerprint() != first
    path = sprites_npy_root / "walk_front_frames_test.npy"
    frames = np.load(path)
    frames[0, 0, 0, 0, 0] = 0.5 if frames[0, 0, 0, 0, 0] != 0.5 else 0.25
    np.save(path, frames)
    assert Sprites(sprites_npy_root).fingerprint() != first


def _rewrite_npy(name: str, change: Callable[[np.ndarray], np.ndarray]) -> Callable[[Path, Path], Path]:
    def corrupt(npy_root: Path, pkl_path: Path) -> Path:
        path = npy_root / name
        np.save(path, change(np.load(path)))
        return path

    return corrupt


def _truncate(name: str, keep: int) -> Callable[[Path, Path], Path]:
    def corrupt(npy_root: Path, pkl_path: Path) -> Path:
        path = npy_root / name
        path.write_bytes(path.read_bytes()[:keep])
        return path

    return corrupt


def _not_one_hot(array: np.ndarray) -> np.ndarray:
    array = array.copy()
    array[1, 0, 2, :] = 0
    return array


def _repickle(change: Callable[[dict], object]) -> Callable[[Path, Path], Path]:
    def corrupt(npy_root: Path, pkl_path: Path) -> Path:
        payload = pickle.loads(pkl_path.read_bytes())
        pkl_path.write_bytes(pickle.dumps(change(payload)))
        return pkl_path

    return corrupt


def _delete(name: str) -> Callable[[Path, Path], Path]:
    def corrupt(npy_root: Path, pkl_path: Path) -> Path:
        (npy_root / name).unlink()
        return npy_root / name

    return corrupt


def _without(payload: dict, key: str) -> dict:
    return {k: v for k, v in payload.items() if k != key}


def _with(payload: dict, key: str, value: np.ndarray) -> dict:
    return {**payload, key: value}


BAD_INPUTS = {
    "missing frames file": (_delete("slash_right_frames_test.npy"), "missing"),
    "truncated frames file": (_truncate("walk_left_frames_test.npy", 4000), "not a readable .npy"),
    "truncated header": (_truncate("walk_left_attributes_test.npy", 40), "not a readable .npy"),
    "empty file": (_truncate("walk_left_frames_test.npy", 0), "not a readable .npy"),
    "frames of the wrong size": (
        _rewrite_npy("walk_front_frames_test.npy", lambda a: a[:, :, :32, :32]),
        r"shape \(N, 8, 64, 64, 3\)",
    ),
    "integer frames": (_rewrite_npy("walk_front_frames_test.npy", lambda a: (a * 255).astype(np.int64)), "dtype int64"),
    "frames out of range": (_rewrite_npy("walk_front_frames_test.npy", lambda a: a * 255), r"\[0, 1\]"),
    "attributes of the wrong shape": (_rewrite_npy(ATTRIBUTES_FILE, lambda a: a[:, :, :3]), "attributes of shape"),
    "attributes not one-hot": (_rewrite_npy(ATTRIBUTES_FILE, _not_one_hot), "one-hot.*sequence 1"),
    "fewer attributes than frames": (_rewrite_npy(ATTRIBUTES_FILE, lambda a: a[:1]), "1 sequences"),
    "pickle not a dict": (_repickle(lambda p: list(p)), "expected a pickled dict.*got list"),
    "pickle missing a key": (_repickle(lambda p: _without(p, "D_test")), "lacks D_test"),
    "pickle motions not one-hot": (_repickle(lambda p: _with(p, "D_test", p["D_test"] * 2)), r"\[D_test\].*one-hot"),
    "pickle frames of the wrong shape": (
        _repickle(lambda p: _with(p, "X_test", p["X_test"][:, :4])),
        r"\[X_test\].*shape",
    ),
    "pickle of garbage": (lambda npy, pkl: (pkl.write_bytes(b"not a pickle at all"), pkl)[1], "not a readable pickle"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_raises_a_one_line_data_error_naming_the_file(
    case: str, sprites_npy_root: Path, sprites_pkl_path: Path
) -> None:
    corrupt, pattern = BAD_INPUTS[case]
    path = corrupt(sprites_npy_root, sprites_pkl_path)
    root = sprites_pkl_path if path == sprites_pkl_path else sprites_npy_root
    with pytest.raises(DataError, match=pattern) as caught:
        Sprites(root).split("test")
    message = str(caught.value)
    assert str(path) in message and "\n" not in message


def test_missing_or_empty_root_is_named(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist") as caught:
        Sprites(tmp_path / "nowhere")
    assert str(tmp_path / "nowhere") in str(caught.value)
    with pytest.raises(DataError, match="no Sprites data") as caught:
        Sprites(tmp_path)
    assert str(tmp_path) in str(caught.value)
