"""flare-sprites' self-supervised data settings: clips at random phases, long videos cut into training windows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cdsvae_eval.data import flare_sprites
from cdsvae_eval.data.flare_sprites import FlareSprites, render_clip
from cdsvae_eval.data.flare_videos import VIDEO_TRAINING_SPLIT, clip_phases, roll_frames
from cdsvae_eval.errors import ConfigError
from cdsvae_eval.names import CLIP_PHASE, MOTION_FACTOR

SMALL, RESOLUTION, FRAMES = 24, 16, 8


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CDSVAE_EVAL_CACHE", str(path))
        yield path


def _dataset(**options: object) -> FlareSprites:
    return FlareSprites(resolution=RESOLUTION, max_characters=SMALL, **options)


def test_a_random_phase_clip_is_its_motion_started_at_that_phase(cache: Path) -> None:
    fixed, shifted = _dataset().split("test"), _dataset(phase="random").split("test")
    phase = shifted.extras[CLIP_PHASE]
    assert len(np.unique(phase)) > 3, "phases must vary between clips"
    for row in range(len(fixed)):
        # frame t of the shifted clip is frame t + phase of the clip that starts at phase 0
        for t in range(FRAMES):
            np.testing.assert_array_equal(shifted.x[row, t], fixed.x[row, (t + phase[row]) % FRAMES])
    np.testing.assert_array_equal(shifted.identity, fixed.identity)
    assert fixed.extras == {}


def test_phases_are_a_property_of_the_character_not_of_the_subset() -> None:
    characters = np.array([5, 700, 1200])
    whole = clip_phases(np.arange(flare_sprites.NUM_CHARACTERS), flare_sprites.NUM_CHARACTERS, 9, FRAMES, 423)
    np.testing.assert_array_equal(clip_phases(characters, flare_sprites.NUM_CHARACTERS, 9, FRAMES, 423),
                                  whole[characters])


def test_roll_frames_matches_numpy_roll() -> None:
    clips = np.arange(3 * FRAMES).reshape(3, FRAMES)
    shift = np.array([0, 3, 7])
    expected = np.stack([np.roll(clip, -s) for clip, s in zip(clips, shift)])
    np.testing.assert_array_equal(roll_frames(clips, shift), expected)


def test_video_windows_are_every_stretch_of_videos_of_distinct_motions(cache: Path) -> None:
    videos, per_video = 2, 3
    dataset = _dataset(videos=videos, motions_per_video=per_video)
    assert dataset.training_split == VIDEO_TRAINING_SPLIT
    clips, windows = dataset.split("train"), dataset.split(VIDEO_TRAINING_SPLIT)
    characters = dataset.characters["train"]
    length = per_video * FRAMES
    per_video_windows = length - FRAMES + 1
    assert len(windows) == len(characters) * videos * per_video_windows
    assert windows.labels == {}, "windows carry no labels: training reads none"
    start = windows.extras["start"]
    for video in np.unique(windows.groups):
        rows = np.flatnonzero(windows.groups == video)
        np.testing.assert_array_equal(start[rows], np.arange(per_video_windows))
        assert len(np.unique(windows.identity[rows])) == 1
        # rebuild the video from its windows and cut it into clips: each stretch of 8 frames is one clip of
        # the character, all of different motions, and consecutive windows overlap by 7 frames
        frames = np.concatenate([windows.x[rows[0]], *[windows.x[row][-1:] for row in rows[1:]]])
        assert len(frames) == length
        own = np.flatnonzero(clips.identity == windows.identity[rows[0]])
        shown = []
        for part in range(per_video):
            matches = [row for row in own if np.array_equal(clips.x[row], frames[part * FRAMES:(part + 1) * FRAMES])]
            assert len(matches) == 1
            shown.append(clips.labels[MOTION_FACTOR][matches[0]])
        for row in rows:
            np.testing.assert_array_equal(windows.x[row], frames[start[row]:start[row] + FRAMES])
        assert len(set(shown)) == per_video


def test_videos_of_one_character_show_different_motions(cache: Path) -> None:
    dataset = _dataset(videos=3, motions_per_video=3)
    windows = dataset.split(VIDEO_TRAINING_SPLIT)
    character = windows.identity[0]
    firsts = [windows.x[np.flatnonzero(windows.groups == video)[[0, 8, 16]]]
              for video in np.unique(windows.groups[windows.identity == character])]
    clips = np.concatenate(firsts)
    assert len({clip.tobytes() for clip in clips}) == 9, "the character's 9 motions, each shown once"


def test_other_splits_stay_clips_and_each_clip_is_a_video_of_its_own(cache: Path) -> None:
    plain, with_videos = _dataset(), _dataset(videos=2)
    for name in ("train", "val", "test"):
        np.testing.assert_array_equal(with_videos.split(name).x, plain.split(name).x)
        np.testing.assert_array_equal(with_videos.split(name).groups, np.arange(len(plain.split(name))))
    assert plain.split("val").groups is None
    assert plain.training_split == "train"


def test_settings_change_the_fingerprint_but_share_the_rendered_cache(cache: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _dataset().split("val")
    prints = {_dataset().fingerprint(), _dataset(phase="random").fingerprint(), _dataset(videos=2).fingerprint(),
              _dataset(videos=2, motions_per_video=2).fingerprint()}
    assert len(prints) == 4

    def no_render(*args: object) -> None:
        raise AssertionError("the clips were rendered again")

    monkeypatch.setattr(flare_sprites, "_build_cache", no_render)
    _dataset(phase="random", videos=2).split(VIDEO_TRAINING_SPLIT)


def test_the_default_fingerprint_is_unchanged_by_the_new_options() -> None:
    assert _dataset().fingerprint() == _dataset(phase="fixed", videos=0).fingerprint()


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"phase": "sometimes"}, "phase must be one of fixed, random"),
        ({"videos": -1}, "videos must be an integer >= 0"),
        ({"videos": True}, "videos must be an integer"),
        ({"motions_per_video": 0}, "motions_per_video must be an integer >= 1"),
        ({"videos": 4, "motions_per_video": 3}, "videos x motions_per_video must be at most 9"),
    ],
)
def test_bad_settings_are_refused_by_name(options: dict[str, object], words: str) -> None:
    with pytest.raises(ConfigError, match=f"flare-sprites {words}"):
        _dataset(**options)


def test_render_clip_agrees_with_the_dataset_at_phase_zero(cache: Path) -> None:
    part = _dataset(phase="random").split("test")
    row = int(np.flatnonzero(part.extras[CLIP_PHASE] > 0)[0])
    clip = render_clip(int(part.identity[row]), int(part.labels[MOTION_FACTOR][row]), RESOLUTION)
    np.testing.assert_array_equal(part.x[row], roll_frames(clip[None], part.extras[CLIP_PHASE][[row]])[0])
