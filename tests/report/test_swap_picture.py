"""The true clips beside a video run's swaps: (identity of the row, motion of the column), at the column's phase."""

from __future__ import annotations

import numpy as np

from cdsvae_eval.report.swap_picture import true_swaps

IDENTITIES, MOTIONS, FRAMES = 3, 2, 4


def _clips() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    identity = np.repeat(np.arange(IDENTITIES), MOTIONS)
    motion = np.tile(np.arange(MOTIONS), IDENTITIES)
    x = np.random.default_rng(0).integers(0, 256, size=(len(identity), FRAMES, 1, 2, 2), dtype=np.uint8)
    return x, identity, motion


def test_true_clips_are_the_row_identity_in_the_column_motion() -> None:
    x, identity, motion = _clips()
    picks = np.array([0, 3, 4])
    truths = true_swaps(x, identity, motion, picks)
    for r, row in enumerate(picks):
        for c, column in enumerate(picks):
            wanted = np.flatnonzero((identity == identity[row]) & (motion == motion[column]))[0]
            np.testing.assert_allclose(truths[r, c], x[wanted] / 255.0, rtol=0, atol=1e-6)


def test_with_phases_each_true_clip_is_rolled_to_the_phase_of_its_column() -> None:
    x, identity, motion = _clips()
    phase = np.array([0, 1, 2, 3, 1, 2])
    picks = np.array([1, 2, 5])
    truths = true_swaps(x, identity, motion, picks, phase)
    for r, row in enumerate(picks):
        for c, column in enumerate(picks):
            wanted = np.flatnonzero((identity == identity[row]) & (motion == motion[column]))[0]
            rolled = np.roll(x[wanted], -(phase[column] - phase[wanted]), axis=0)
            np.testing.assert_allclose(truths[r, c], rolled / 255.0, rtol=0, atol=1e-6)
