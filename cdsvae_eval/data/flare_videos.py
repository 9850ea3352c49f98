"""The two self-supervised data settings of flare-sprites: clips at random phases, and long videos cut into windows.

A clip's 8 frames hold whole cycles of its motion (runs play once, swings and casts twice), so rolling its frames
in time shows the same motion started at another phase: frame t of a clip at phase p is frame (t + p) mod 8 of the
clip at phase 0, exactly what rendering from that source frame on would give.

A long video strings several of one character's motions together, 8 frames each, as real footage shows one person
doing several things; a character's motions are dealt to its videos without repetition, so each video shows other
motions. Training windows are every 8-frame stretch of a video: they start at any frame, so they catch each motion
at any phase and often straddle two motions. What persists across a video's windows is the character alone; the
static positive of the video recipe is another window of the same video (found by video membership, never by a
label), and other videos of the same character stay among the negatives.

Both settings assume what these renders guarantee: a character looks the same in every frame and every video
(no lighting, camera or clothing changes), and motions are periodic within 8 frames.
"""

from __future__ import annotations

import numpy as np

from cdsvae_eval.errors import ConfigError

WINDOW_START_EXTRA = "start"
VIDEO_TRAINING_SPLIT = "train-videos"
FIXED_PHASE = "fixed"
RANDOM_PHASE = "random"
PHASES = (FIXED_PHASE, RANDOM_PHASE)
# the seeded streams of a dataset seed: one for the clips' phases, one for dealing motions to videos
_PHASE_STREAM, _VIDEO_STREAM = 1, 2


def roll_frames(clips: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """``clips`` ``(n, T, ...)`` with row i's frames rolled by ``shift[i]``: frame t shows frame (t + shift) mod T."""
    frames = clips.shape[1]
    order = (np.arange(frames)[None, :] + np.asarray(shift, dtype=np.int64)[:, None]) % frames
    return clips[np.arange(len(clips))[:, None], order]


def clip_phases(characters: np.ndarray, population: int, motions: int, frames: int, seed: int) -> np.ndarray:
    """``(len(characters), motions)`` phases in ``[0, frames)``: a seeded table over all ``population`` characters,
    read by global character index, so a character's clips keep their phases in every subset of the dataset."""
    table = np.random.default_rng([seed, _PHASE_STREAM]).integers(0, frames, (population, motions))
    return table[np.asarray(characters, dtype=np.int64)]


def check_video_plan(motions: int, videos: int, per_video: int) -> None:
    """Each of a character's motions can be in one of its videos only."""
    if videos * per_video > motions:
        raise ConfigError(f"flare-sprites videos x motions_per_video must be at most {motions} (each motion in one "
                          f"video of a character), got {videos} x {per_video}")


def video_motions(characters: np.ndarray, population: int, motions: int, videos: int, per_video: int,
                  seed: int) -> np.ndarray:
    """``(len(characters), videos, per_video)`` motion indices: each character's motions in a seeded order, dealt
    ``per_video`` to a video, so no motion appears twice among one character's videos."""
    check_video_plan(motions, videos, per_video)
    every = np.tile(np.arange(motions), (population, 1))
    table = np.random.default_rng([seed, _VIDEO_STREAM]).permuted(every, axis=1)[np.asarray(characters, dtype=np.int64)]
    return table[:, :videos * per_video].reshape(len(characters), videos, per_video)


def video_windows(clips: np.ndarray, motions_of_videos: np.ndarray, motions: int,
                  window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every ``window``-frame stretch of every video, built from ``clips`` (``(characters * motions, T, ...)``, by
    character, then motion) and ``motions_of_videos`` (``(characters, videos, per_video)``).

    Returns ``(x, character position, video index, start frame)``, one row per window, windows of one video
    consecutive and in time order (video index = character position * videos + video)."""
    characters, videos, per_video = motions_of_videos.shape
    frames = clips.shape[1]
    length = per_video * frames
    if window > length:
        raise ConfigError(f"flare-sprites videos of {per_video} motion(s) hold {length} frames, fewer than a "
                          f"{window}-frame window")
    starts = np.arange(length - window + 1)
    video_frame = starts[:, None] + np.arange(window)[None, :]
    clip_rows = (np.arange(characters)[:, None, None] * motions + motions_of_videos).reshape(characters * videos,
                                                                                            per_video)
    rows = clip_rows[:, video_frame // frames]
    x = clips[rows, np.broadcast_to(video_frame % frames, rows.shape)]
    video = np.repeat(np.arange(characters * videos), len(starts))
    return (x.reshape((-1, window) + clips.shape[2:]), video // videos, video,
            np.tile(starts, characters * videos))
