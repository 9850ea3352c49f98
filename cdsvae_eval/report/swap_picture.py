"""The swap picture of a video run: clips of the split in different motions, every (s of one, z_1:T of
another) decoded, each static source's reconstruction, and the true clip of each swap where the split
has it (flare-sprites renders every character in every motion; Sprites lacks some)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from cdsvae_eval.models.swaps import clips_at_phase, decode_swaps
from cdsvae_eval.draw.images import save_swap_picture
from cdsvae_eval.device import frames_on
from cdsvae_eval.names import CLIP_PHASE, MOTION_FACTOR


def draw_swap_picture(model: Any, dataset: Any, out: str | Path, split: str = "test", count: int = 5,
                      seed: int = 0, device: torch.device | str = "cpu", name: str = "") -> tuple[int, bool]:
    """Write the picture of ``count`` clips (one per motion, seeded) to ``out``; returns the number of
    clips and whether true clips are shown."""
    part = dataset.split(split)
    rng = np.random.default_rng(seed)
    motion = part.labels.get(MOTION_FACTOR)
    if motion is not None:
        picks = np.array([rng.choice(np.nonzero(motion == m)[0]) for m in rng.permutation(np.unique(motion))[:count]])
    else:
        picks = rng.choice(len(part), size=min(count, len(part)), replace=False)
    sources = _floats(part.x[picks])
    clips = torch.from_numpy(sources).to(device)
    swaps = decode_swaps(model, clips, clips).cpu().numpy()
    truths = (true_swaps(part.x, part.identity, motion, picks, part.extras.get(CLIP_PHASE))
              if motion is not None else None)
    motions = [f" / {dataset.factor('motion').classes[motion[i]]}" if motion is not None else "" for i in picks]
    names = [f"{dataset.identity_name} {part.identity[i]}{text}" for i, text in zip(picks, motions)]
    title = (f"Swaps{f' of {name}' if name else ''} ({split} split): cell = decode(s of its row, z_1:T of its "
             "column); frames left to right, then top to bottom")
    save_swap_picture(sources, swaps, truths, out, names, title=title, scale=max(1, 48 // part.x.shape[-1]))
    return len(picks), truths is not None


def true_swaps(x: np.ndarray, identity: np.ndarray, motion: np.ndarray, picks: np.ndarray,
               phase: np.ndarray | None = None) -> np.ndarray:
    """``(R, R, T, C, H, W)``: the clip of (identity of picks[r], motion of picks[c]) at the phase of picks[c] when
    clips have phases, NaN where none exists."""
    truths = np.full((len(picks), len(picks), *x.shape[1:]), np.nan, dtype=np.float32)
    for r, row in enumerate(picks):
        for c, column in enumerate(picks):
            found = np.flatnonzero((identity == identity[row]) & (motion == motion[column]))
            if len(found):
                wanted = None if phase is None else phase[[column]]
                truths[r, c] = clips_at_phase(x, found[:1], torch.device("cpu"), phase, wanted)[0].numpy()
    return truths


def _floats(clips: np.ndarray) -> np.ndarray:
    return frames_on(clips, "cpu").numpy()
