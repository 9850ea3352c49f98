"""Score static/dynamic swaps against the true clip, without a judge.

On datasets that hold every identity in every motion (flare-sprites, Sprites), decoding
(s of clip A, z_1:T of clip B) should give A's character doing B's motion, and that clip exists:

- motion swap accuracy: among the clips of A's identity, the one nearest (MSE) to the swap has B's motion;
- identity swap accuracy: among the split's clips with B's motion, the nearest to the swap is A's identity;
- relative swap error: MSE(swap, true clip) / MSE(reconstruction of the true clip, true clip).

Where clips start at different phases (flare-sprites with ``phase="random"``), the true clip and every candidate
are taken at the phase of B, the clip the swap took its dynamics from: a clip's frames rolled in time are its
motion at another phase (:mod:`cdsvae_eval.data.flare_videos`).

Shared by the trainer's validation report and the ``swap-oracle`` task.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from cdsvae_eval.device import frames_on
from cdsvae_eval.errors import DataError
from cdsvae_eval.models.core import CDSVAE
from cdsvae_eval.names import SWAP_MOTION_ACC, SWAP_IDENTITY_ACC, SWAP_MOTION_CHANCE, SWAP_IDENTITY_CHANCE, SWAP_REL_ERROR


@dataclass
class SwapScore:
    motion_accuracy: float
    identity_accuracy: float
    relative_swap_error: float
    pairs: int
    motion_correct: np.ndarray
    identity_correct: np.ndarray
    motion_chance: float
    identity_chance: float
    pair_identities: np.ndarray

    def as_dict(self) -> dict[str, float]:
        return {
            SWAP_MOTION_ACC: self.motion_accuracy,
            SWAP_IDENTITY_ACC: self.identity_accuracy,
            SWAP_REL_ERROR: self.relative_swap_error,
            SWAP_MOTION_CHANCE: self.motion_chance,
            SWAP_IDENTITY_CHANCE: self.identity_chance,
        }


def clip_table(identity: np.ndarray, motion: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index of each (identity, motion) clip: returns (identities, motions, table[identity_pos, motion])."""
    identities, identity_pos = np.unique(identity, return_inverse=True)
    motions = np.unique(motion)
    motion_pos = np.searchsorted(motions, motion)
    table = np.full((len(identities), len(motions)), -1, dtype=np.int64)
    table[identity_pos, motion_pos] = np.arange(len(identity))
    if (table < 0).any():
        missing = int((table < 0).sum())
        raise DataError(f"swap scoring needs every identity in every motion; {missing} (identity, motion) clips are missing")
    return identities, motions, table


def swap_pairs(n_identities: int, n_motions: int, pairs: int, seed: int) -> np.ndarray:
    """Seeded (identity A, identity B, motion of B) triples with A != B."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, n_identities, pairs)
    b = (a + rng.integers(1, n_identities, pairs)) % n_identities
    motion_b = rng.integers(0, n_motions, pairs)
    motion_a = (motion_b + rng.integers(1, n_motions, pairs)) % n_motions if n_motions > 1 else motion_b
    return np.stack([a, motion_a, b, motion_b], axis=1)


def clips_at_phase(x: np.ndarray | torch.Tensor, rows: np.ndarray, device: torch.device,
                   phase: np.ndarray | None = None, wanted: np.ndarray | None = None) -> torch.Tensor:
    """Clips ``x[rows]`` as floats on ``device``; with ``phase`` (each clip's phase), each rolled in time to
    the phase ``wanted`` (one per row)."""
    clips = frames_on(x[rows], device)
    if phase is None:
        return clips
    frames = clips.shape[1]
    shift = torch.as_tensor((np.asarray(wanted) - phase[rows]) % frames, device=device)
    order = (torch.arange(frames, device=device)[None, :] + shift[:, None]) % frames
    return clips[torch.arange(len(clips), device=device)[:, None], order]


@torch.no_grad()
def score_swaps(model: CDSVAE, x: np.ndarray | torch.Tensor, identity: np.ndarray, motion: np.ndarray,
                pairs: int = 256, seed: int = 0, batch_size: int = 32, phase: np.ndarray | None = None) -> SwapScore:
    """Swap static codes of clip A (identity a, motion m_a) with dynamic codes of clip B (identity b,
    motion m_b != m_a) and compare the decoded swap with all candidate ground-truth clips (at B's phase when
    ``phase`` gives each clip's)."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        identities, motions, table = clip_table(np.asarray(identity), np.asarray(motion))
        if len(identities) < 2:
            raise DataError("swap scoring needs at least two identities in the split")
        triples = swap_pairs(len(identities), len(motions), pairs, seed)
        motion_correct = np.zeros(len(triples), dtype=bool)
        identity_correct = np.zeros(len(triples), dtype=bool)
        swap_err = torch.zeros((), device=device)
        recon_err = torch.zeros((), device=device)
        phase = None if phase is None else np.asarray(phase, dtype=np.int64)
        for start in range(0, len(triples), batch_size):
            chunk = triples[start:start + batch_size]
            rows_b = table[chunk[:, 2], chunk[:, 3]]
            wanted = np.zeros(len(chunk), dtype=np.int64) if phase is None else phase[rows_b]
            clip_a = frames_on(x[table[chunk[:, 0], chunk[:, 1]]], device)
            clip_b = frames_on(x[rows_b], device)
            target = clips_at_phase(x, table[chunk[:, 0], chunk[:, 3]], device, phase, wanted)
            s_a, _ = model.encode(clip_a)
            s_b, z_b = model.encode(clip_b)
            swap = model.decode(s_a, z_b).float().flatten(1)
            s_t, z_t = model.encode(target)
            recon = model.decode(s_t, z_t).float().flatten(1)
            swap_err += ((swap - target.flatten(1)) ** 2).mean(1).sum()
            recon_err += ((recon - target.flatten(1)) ** 2).mean(1).sum()
            own_clips = clips_at_phase(x, table[chunk[:, 0]].reshape(-1), device, phase,
                                       np.repeat(wanted, len(motions))).view(len(chunk), len(motions), -1)
            nearest_motion = ((own_clips - swap[:, None, :]) ** 2).sum(-1).argmin(1).cpu().numpy()
            motion_correct[start:start + len(chunk)] = nearest_motion == chunk[:, 3]
            for m_b, at in sorted(set(zip(chunk[:, 3].tolist(), wanted.tolist()))):
                rows = np.nonzero((chunk[:, 3] == m_b) & (wanted == at))[0]
                candidates = clips_at_phase(x, table[:, m_b], device, phase, np.full(len(table), at)).flatten(1)
                nearest = torch.cdist(swap[rows], candidates).argmin(1).cpu().numpy()
                identity_correct[start + rows] = nearest == chunk[rows, 0]
        return SwapScore(
            motion_accuracy=float(motion_correct.mean()),
            identity_accuracy=float(identity_correct.mean()),
            relative_swap_error=float(swap_err / recon_err.clamp_min(1e-12)),
            pairs=len(triples),
            motion_correct=motion_correct,
            identity_correct=identity_correct,
            motion_chance=1.0 / len(motions),
            identity_chance=1.0 / len(identities),
            pair_identities=identities[triples[:, [0, 2]]],
        )
    finally:
        model.train(was_training)


@torch.no_grad()
def decode_swaps(model: CDSVAE, static_clips: torch.Tensor, dynamic_clips: torch.Tensor) -> torch.Tensor:
    """Decode every (s of static_clips[r], z_1:T of dynamic_clips[c]): returns (R, C, T, ...)."""
    was_training = model.training
    model.eval()
    try:
        s, _ = model.encode(static_clips)
        _, z = model.encode(dynamic_clips)
        rows, cols = len(s), len(z)
        swapped = model.decode(s.repeat_interleave(cols, 0), z.repeat(rows, 1, 1))
        return swapped.float().view(rows, cols, *swapped.shape[1:])
    finally:
        model.train(was_training)


def swap_grid(model: CDSVAE, clips: np.ndarray | torch.Tensor, device: torch.device | str) -> np.ndarray:
    """Cells ``(R + 1, R + 1, C, H, T * W)`` for a picture: row 0 shows the dynamic sources, column 0
    the static sources; cell (r, c) decodes (s of clip r, z_1:T of clip c), its frames side by side."""
    x = frames_on(clips, torch.device(device))
    swaps = decode_swaps(model, x, x).cpu()
    strips = x.cpu().permute(0, 2, 3, 1, 4).flatten(-2)
    swap_strips = swaps.permute(0, 1, 3, 4, 2, 5).flatten(-2)
    rows, *cell = strips.shape
    grid = torch.ones(rows + 1, rows + 1, *cell)
    grid[0, 1:] = strips
    grid[1:, 0] = strips
    grid[1:, 1:] = swap_strips
    return grid.numpy()
