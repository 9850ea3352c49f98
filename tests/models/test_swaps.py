import numpy as np
import pytest
import torch
from torch import nn

from cdsvae_eval.errors import DataError
from cdsvae_eval.models.swaps import clip_table, score_swaps

IDENTITIES, MOTIONS = 6, 3


def dataset():
    rng = np.random.default_rng(0)
    identity = np.repeat(np.arange(IDENTITIES), MOTIONS) + 10
    motion = np.tile(np.arange(MOTIONS), IDENTITIES)
    x = rng.integers(0, 256, size=(len(identity), 2, 3, 4, 4), dtype=np.uint8)
    return x, identity, motion


class LookupModel(nn.Module):
    """Encodes a clip as (identity, motion) by lookup; decodes (s, z) to the stored clip of that pair.

    With ``ignore_dynamics`` it decodes s's own motion: the failure a swap must detect."""

    def __init__(self, x, identity, motion, ignore_dynamics=False):
        super().__init__()
        self.anchor = nn.Parameter(torch.zeros(()))
        self.clips = torch.as_tensor(x).float() / 255
        self.keys = {clip.tobytes(): (i, m) for clip, i, m in zip(x, identity, motion)}
        self.table = {(i, m): self.clips[k] for k, (i, m) in enumerate(zip(identity, motion))}
        self.ignore_dynamics = ignore_dynamics

    def encode(self, batch):
        pairs = [self.keys[(clip * 255).round().to(torch.uint8).numpy().tobytes()] for clip in batch]
        s = torch.tensor([[i, m] for i, m in pairs], dtype=torch.float32)
        z = torch.tensor([[m] for _, m in pairs], dtype=torch.float32)[:, None, :].expand(-1, batch.shape[1], -1)
        return s, z

    def decode(self, s, z):
        rows = []
        for (identity, own_motion), motion in zip(s.long().tolist(), z[:, 0, 0].long().tolist()):
            rows.append(self.table[(identity, own_motion if self.ignore_dynamics else motion)])
        return torch.stack(rows)


def test_a_perfect_swap_scores_one():
    x, identity, motion = dataset()
    score = score_swaps(LookupModel(x, identity, motion), x, identity, motion, pairs=40, seed=3)
    assert score.motion_accuracy == 1.0
    assert score.identity_accuracy == 1.0
    assert score.relative_swap_error == 0.0


def test_a_model_that_ignores_dynamics_fails_the_motion_swap():
    x, identity, motion = dataset()
    score = score_swaps(LookupModel(x, identity, motion, ignore_dynamics=True), x, identity, motion, pairs=40)
    assert score.motion_accuracy == 0.0
    assert score.identity_accuracy < 0.5


def test_scores_are_deterministic_for_a_seed():
    x, identity, motion = dataset()
    model = LookupModel(x, identity, motion, ignore_dynamics=True)
    a = score_swaps(model, x, identity, motion, pairs=30, seed=7)
    b = score_swaps(model, x, identity, motion, pairs=30, seed=7)
    assert np.array_equal(a.identity_correct, b.identity_correct)


def test_missing_clips_are_reported():
    _, identity, motion = dataset()
    with pytest.raises(DataError, match="every identity in every motion"):
        clip_table(identity[:-1], motion[:-1])


class PhasedLookupModel(nn.Module):
    """Encodes a clip as (identity, motion, phase) by lookup and decodes (s, z) to the base clip of (identity of s,
    motion of z) started at the phase of z: a perfect model of clips that start at different phases."""

    def __init__(self, base, identity, motion):
        super().__init__()
        self.anchor = nn.Parameter(torch.zeros(()))
        self.base = {(i, m): torch.as_tensor(base[k]).float() / 255 for k, (i, m) in enumerate(zip(identity, motion))}
        frames = base.shape[1]
        self.keys = {np.roll(clip, -p, axis=0).tobytes(): (i, m, p)
                     for clip, i, m in zip(base, identity, motion) for p in range(frames)}

    def encode(self, batch):
        found = [self.keys[(clip * 255).round().to(torch.uint8).numpy().tobytes()] for clip in batch]
        s = torch.tensor([[i] for i, _, _ in found], dtype=torch.float32)
        z = torch.tensor([[m, p] for _, m, p in found], dtype=torch.float32)[:, None, :].expand(-1, batch.shape[1], -1)
        return s, z

    def decode(self, s, z):
        clips = [self.base[(identity, motion)].roll(-phase, 0)
                 for identity, (motion, phase) in zip(s[:, 0].long().tolist(), z[:, 0].long().tolist())]
        return torch.stack(clips)


def test_clips_at_random_phases_are_scored_against_the_true_clip_at_the_phase_of_b():
    _, identity, motion = dataset()
    base = np.random.default_rng(1).integers(0, 256, size=(len(identity), 4, 3, 4, 4), dtype=np.uint8)
    phase = np.random.default_rng(2).integers(0, 4, len(identity))
    x = np.stack([np.roll(clip, -p, axis=0) for clip, p in zip(base, phase)])
    model = PhasedLookupModel(base, identity, motion)
    matched = score_swaps(model, x, identity, motion, pairs=60, seed=3, phase=phase)
    assert (matched.motion_accuracy, matched.identity_accuracy, matched.relative_swap_error) == (1.0, 1.0, 0.0)
    stored = score_swaps(model, x, identity, motion, pairs=60, seed=3)
    assert stored.relative_swap_error > 0.5, "without phases the true clips are at the wrong phase"
