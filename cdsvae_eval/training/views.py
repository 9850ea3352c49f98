"""The two augmented views the contrastive terms compare, and the identity partners of the identity-paired
content view (drawn on the device without Python loops)."""

from __future__ import annotations

import numpy as np
import torch

from cdsvae_eval.data import augment

# Audio motion-view magnitudes at motion_view_strength 1: time warp of +-12% of the segment, spectral tilt
# and gain of up to 0.5 (in units of the normalised log-mel features).
AUDIO_WARP = 0.12
AUDIO_TILT = 0.5
AUDIO_GAIN = 0.5


def contrastive_views(x: torch.Tensor, content_source: torch.Tensor, modality: str, strength: float,
                      generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``(content view, motion view)``: the content view shuffles the frames of ``content_source`` (``x``
    itself, or another clip of the same identity); the motion view keeps ``x``'s dynamics and changes its
    appearance (colour/spectrum), scaled by ``strength``."""
    if modality == "video":
        return (augment.content_view(content_source, generator=generator),
                augment.motion_view(x, generator=generator, strength=strength))
    return (augment.audio_content_view(content_source, generator=generator),
            augment.audio_motion_view(x, generator=generator, warp=AUDIO_WARP * strength,
                                      tilt=AUDIO_TILT * strength, gain=AUDIO_GAIN * strength))


class IdentityPartners:
    """For any clip of a split, another clip of the same identity, drawn uniformly (seeded).

    Clips are sorted by identity once; a clip at position p of its identity's block of n clips gets the
    clip at position (p + 1 + r) mod n with r uniform in [0, n - 2], so it is never paired with itself
    unless its identity has one clip only.
    """

    def __init__(self, identity: np.ndarray, device: torch.device):
        _, inverse, counts = np.unique(np.asarray(identity), return_inverse=True, return_counts=True)
        order = np.argsort(inverse, kind="stable")
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        position = np.empty(len(order), dtype=np.int64)
        position[order] = np.arange(len(order)) - starts[inverse[order]]
        self.sorted_clips = torch.as_tensor(order, device=device)
        self.block_start = torch.as_tensor(starts[inverse], device=device)
        self.block_size = torch.as_tensor(counts[inverse], device=device)
        self.position = torch.as_tensor(position, device=device)

    def draw(self, clips: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Partner clip indices for the clip indices ``clips`` (a 1-d tensor on the same device)."""
        size = self.block_size[clips]
        others = (size - 1).clamp(min=1)
        uniform = torch.rand(clips.shape, generator=generator, device=clips.device)
        offset = (uniform * others).long().clamp(max=others - 1) + 1
        offset = torch.where(size > 1, offset, torch.zeros_like(offset))
        return self.sorted_clips[self.block_start[clips] + (self.position[clips] + offset) % size]
