"""Tests of the embedded flare-sprites video set, on small subsets at 32x32."""

from __future__ import annotations

import importlib.util
import json
import sys
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

from cdsvae_eval.data import flare_sprites
from cdsvae_eval.data.flare_sprites import (
    ASSET_DIR,
    MOTIONS,
    NUM_CHARACTERS,
    STATIC_DESIGN,
    FlareSprites,
    character_values,
    render_clip,
    render_clips,
    split_characters,
    used_items,
)
from cdsvae_eval.data.registry import get_dataset
from cdsvae_eval.errors import ConfigError

SMALL = 24
RESOLUTION = 32
PLACES = (216, 36, 6, 1)
FLARE_ROOT = Path("/usr/share/games/flare/mods/fantasycore")


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> FlareSprites:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CDSVAE_EVAL_CACHE", str(tmp_path_factory.mktemp("cache")))
        dataset = FlareSprites(resolution=RESOLUTION, max_characters=SMALL)
        for name in dataset.split_names:
            dataset.split(name)
    return dataset


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CDSVAE_EVAL_CACHE", str(tmp_path))
    return tmp_path


def test_shape_dtype_and_pixels(small: FlareSprites) -> None:
    assert small.sequence_shape == (8, 3, RESOLUTION, RESOLUTION)
    for name in small.split_names:
        part = small.split(name)
        assert part.x.shape == (len(small.characters[name]) * len(MOTIONS), 8, 3, RESOLUTION, RESOLUTION)
        assert part.x.dtype == np.uint8
        assert part.identity.dtype == np.int64
        assert all(labels.dtype == np.int64 for labels in part.labels.values())
        # Plain background in the corners, a character in the middle.
        assert (part.x[..., 0, 0] == flare_sprites.BACKGROUND[0]).all()
        middle = part.x[..., RESOLUTION // 4 : 3 * RESOLUTION // 4, RESOLUTION // 4 : 3 * RESOLUTION // 4]
        assert (middle != flare_sprites.BACKGROUND[0]).any(axis=(1, 2, 3, 4)).all()


def test_labels_follow_identity_and_motion(small: FlareSprites) -> None:
    part = small.split("train")
    values = character_values(part.identity)
    for position, name in enumerate(flare_sprites.STATIC_FACTOR_NAMES):
        assert np.array_equal(part.labels[name], values[:, position])
    assert np.array_equal(part.labels["motion"], 3 * part.labels["action"] + part.labels["direction"])
    assert [f.name for f in small.dynamic_factors] == ["motion", "action", "direction"]
    assert small.factor("motion").classes[:3] == ("run-front", "run-left", "run-right")
    assert all(f.num_classes == 6 for f in small.static_factors)


def test_splits_are_disjoint_and_every_character_has_all_motions(small: FlareSprites) -> None:
    seen: set[int] = set()
    for name in small.split_names:
        part = small.split(name)
        characters = set(part.identity.tolist())
        assert not characters & seen
        seen |= characters
        for character in characters:
            assert sorted(part.labels["motion"][part.identity == character].tolist()) == list(range(9))
    assert len(seen) == SMALL


def test_full_split_sizes_and_subsets_stay_in_their_split() -> None:
    full = split_characters(423)
    assert {name: len(chars) for name, chars in full.items()} == {"train": 900, "val": 100, "test": 296}
    assert np.array_equal(np.sort(np.concatenate(list(full.values()))), np.arange(NUM_CHARACTERS))
    subset = split_characters(423, 100)
    assert sum(len(chars) for chars in subset.values()) == 100
    for name, chars in subset.items():
        assert len(chars) >= 1 and set(chars.tolist()) <= set(full[name].tolist())
    assert not np.array_equal(split_characters(424)["test"], full["test"])


def test_dataset_pixels_equal_render_clip(small: FlareSprites) -> None:
    part = small.split("test")
    for row in (0, len(part) - 1):
        clip = render_clip(int(part.identity[row]), int(part.labels["motion"][row]), RESOLUTION)
        assert np.array_equal(part.x[row], clip)


def test_many_characters_render_like_one_at_a_time() -> None:
    """Large batches composite by broadcasting, single clips by gathering: the pixels must not differ."""
    characters = np.arange(0, NUM_CHARACTERS, 3)
    assert len(characters) >= flare_sprites.BROADCAST_MIN_CHARACTERS
    batch = render_clips(characters, RESOLUTION, motions=(5,))
    for row in (0, 1, 200, len(characters) - 1):
        assert np.array_equal(batch[row, 0], render_clip(int(characters[row]), 5, RESOLUTION))


def test_two_builds_are_identical(small: FlareSprites, cache: Path) -> None:
    rebuilt = FlareSprites(resolution=RESOLUTION, max_characters=SMALL)
    assert rebuilt.fingerprint() == small.fingerprint()
    for name in small.split_names:
        assert np.array_equal(rebuilt.split(name).x, small.split(name).x)


def test_cache_hit_does_not_render_again(small: FlareSprites, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = FlareSprites(resolution=RESOLUTION, max_characters=SMALL).split("val").x
    files = list(cache.rglob("*.npy"))
    assert len(files) == 1

    def no_rendering(*args: object, **kwargs: object) -> None:
        raise AssertionError("the cache was not used")

    monkeypatch.setattr(flare_sprites, "render_clips", no_rendering)
    again = FlareSprites(resolution=RESOLUTION, max_characters=SMALL).split("val").x
    assert np.array_equal(again, first)
    assert not [p for p in cache.rglob("*") if p.is_file() and p not in files]


def test_stale_cache_file_is_rebuilt(small: FlareSprites, cache: Path) -> None:
    dataset = FlareSprites(resolution=RESOLUTION, max_characters=SMALL)
    path = cache / "datasets" / "flare-sprites" / dataset.fingerprint() / "clips.npy"
    path.parent.mkdir(parents=True)
    np.save(path, np.zeros((3, 8, 3, RESOLUTION, RESOLUTION), dtype=np.uint8))
    assert np.array_equal(dataset.split("val").x, small.split("val").x)


def test_each_static_factor_value_changes_every_motion() -> None:
    """Changing one factor alone gives visibly different pixels in every frame of every motion."""
    base = 2 * 216 + 4 * 36 + 1 * 6 + 5
    for position, place in enumerate(PLACES):
        current = (base // place) % 6
        characters = np.array([base + (value - current) * place for value in range(6)])
        clips = render_clips(characters, RESOLUTION).astype(np.int16)
        for a, b in combinations(range(6), 2):
            strongly_different = (np.abs(clips[a] - clips[b]).max(axis=2) > 40).sum(axis=(2, 3))
            assert strongly_different.min() >= 6, (STATIC_DESIGN[position][0], a, b)


def test_motions_differ_and_run_animates() -> None:
    clips = render_clips(np.array([777]), RESOLUTION)[0]
    for a, b in combinations(range(len(MOTIONS)), 2):
        assert not np.array_equal(clips[a], clips[b]), (MOTIONS[a], MOTIONS[b])
    run = clips[MOTIONS.index("run-front")]
    for t in range(8):
        assert not np.array_equal(run[t], run[(t + 1) % 8])
    swing = clips[MOTIONS.index("swing-left")]
    assert np.array_equal(swing[:4], swing[4:])
    assert not np.array_equal(swing[0], swing[1])


def test_resolutions_are_area_averages() -> None:
    big = render_clip(123, 4, 64).astype(np.float64)
    small = render_clip(123, 4, 32).astype(np.float64)
    averaged = big.reshape(8, 3, 32, 2, 32, 2).mean(axis=(3, 5))
    assert np.abs(averaged - small).max() <= 1.0
    assert render_clip(123, 4, 16).shape == (8, 3, 16, 16)


@pytest.mark.parametrize(
    "options",
    [
        {"data_root": "/some/where"},
        {"resolution": 48},
        {"resolution": "64"},
        {"resolution": True},
        {"max_characters": 2},
        {"max_characters": NUM_CHARACTERS + 1},
        {"seed": "423"},
    ],
)
def test_bad_options_raise_config_error(options: dict[str, object]) -> None:
    with pytest.raises(ConfigError, match="flare-sprites"):
        FlareSprites(**options)


def test_bad_render_arguments_raise_config_error() -> None:
    for call in (lambda: render_clip(NUM_CHARACTERS, 0), lambda: render_clip(0, 9), lambda: render_clip(0, 0, 24)):
        with pytest.raises(ConfigError):
            call()


def test_fingerprint_depends_on_options() -> None:
    fingerprints = {
        FlareSprites(resolution=32).fingerprint(),
        FlareSprites(resolution=64).fingerprint(),
        FlareSprites(resolution=32, max_characters=SMALL).fingerprint(),
        FlareSprites(resolution=32, seed=1).fingerprint(),
    }
    assert len(fingerprints) == 4


def test_registry_and_info(cache: Path) -> None:
    dataset = get_dataset("flare-sprites", max_characters=9, resolution=16, data_root=None)
    assert isinstance(dataset, FlareSprites)
    info = dataset.info()
    assert (info["name"], info["modality"], info["sequence_shape"]) == ("flare-sprites", "video", [8, 3, 16, 16])
    splits = info["splits"]
    assert sum(part["identities"] for part in splits.values()) == 9
    assert all(part["sequences"] == 9 * part["identities"] for part in splits.values())


def test_assets_are_packaged_with_attribution() -> None:
    index = json.loads((ASSET_DIR / flare_sprites.ATLAS_INDEX).read_text())
    assert set(used_items()) <= set(index["crops"])
    assert (ASSET_DIR / flare_sprites.ATLAS_PNG).stat().st_size < 2_500_000
    attribution = (ASSET_DIR / "ATTRIBUTION").read_text()
    assert "CC-BY-SA-3.0+" in attribution and "Clint Bellanger" in attribution
    assert "derivative" in attribution


@pytest.mark.skipif(not FLARE_ROOT.is_dir(), reason="the flare-game package is not installed")
def test_atlas_rebuilds_byte_for_byte(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    tool_path = Path(__file__).resolve().parents[2] / "tools" / "build_flare_atlas.py"
    spec = importlib.util.spec_from_file_location("build_flare_atlas", tool_path)
    assert spec is not None and spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, tool)
    spec.loader.exec_module(tool)
    result = CliRunner().invoke(tool.main, ["--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for name in (flare_sprites.ATLAS_PNG, flare_sprites.ATLAS_INDEX, "ATTRIBUTION"):
        assert (tmp_path / name).read_bytes() == (ASSET_DIR / name).read_bytes(), name
