"""The two augmented views the contrastive terms compare, the partners of the paired content views (another
clip of the same identity, another segment of the same utterance: drawn on the device without Python loops),
and the groups whose rows the static NT-Xent does not treat as negatives."""

from __future__ import annotations

import math

import numpy as np
import torch

from cdsvae_eval.data import augment
from cdsvae_eval.data.base import SequenceDataset, SequenceSplit
from cdsvae_eval.errors import FieldError

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


class GroupPartners:
    """For any row of a split, another row of the same group (identity, or utterance), drawn uniformly (seeded).

    Rows are sorted by group once, keeping their order inside a group: a group's rows must be in time order
    (datasets store an utterance's segments so), for its position to be its place in time. A row at position p of its group's block of n rows gets the row at position (p + offset) mod n,
    with offset uniform in [g, n - g] and g = min(``min_gap``, n // 2): never itself unless its group has one
    row, and, when the group is long enough, never a row within ``min_gap - 1`` positions of it (with
    ``min_gap=2`` and segments hopping half a segment, never a segment that overlaps it).
    """

    def __init__(self, groups: np.ndarray, device: torch.device, min_gap: int = 1):
        _, inverse, counts = np.unique(np.asarray(groups), return_inverse=True, return_counts=True)
        order = np.argsort(inverse, kind="stable")
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        position = np.empty(len(order), dtype=np.int64)
        position[order] = np.arange(len(order)) - starts[inverse[order]]
        self.group = torch.as_tensor(inverse, device=device)
        self.sorted_rows = torch.as_tensor(order, device=device)
        self.block_start = torch.as_tensor(starts[inverse], device=device)
        self.block_size = torch.as_tensor(counts[inverse], device=device)
        self.gap = torch.as_tensor(np.minimum(min_gap, counts[inverse] // 2), device=device)
        self.position = torch.as_tensor(position, device=device)

    def draw(self, rows: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Partner row indices for the row indices ``rows`` (a 1-d tensor on the same device)."""
        size, gap = self.block_size[rows], self.gap[rows]
        choices = size - 2 * gap + 1
        uniform = torch.rand(rows.shape, generator=generator, device=rows.device)
        offset = gap + (uniform * choices).long().clamp(max=choices - 1)
        return self.sorted_rows[self.block_start[rows] + (self.position[rows] + offset) % size]


def content_partners(view: str, split: SequenceSplit, dataset: SequenceDataset,
                     device: torch.device) -> GroupPartners | None:
    """The partners that ``loss.content_view`` draws the content view from (None for ``shuffle``: x itself).

    ``utterance`` pairs a segment with another segment of its utterance (a window with another window of its video)
    that does not overlap it (segments ``frames / hop`` positions apart or more) whenever the utterance has enough
    segments. It reads the split's groups alone, never its labels or identities."""
    if view == "identity":
        return GroupPartners(split.identity, device)
    if view == "utterance":
        return GroupPartners(_utterances(split, dataset, "loss.content_view"), device,
                             min_gap=non_overlapping_gap(dataset))
    return None


def negative_groups(setting: str, split: SequenceSplit, device: torch.device) -> torch.Tensor | None:
    """Per row of ``split``, the group (utterance or identity index) whose other rows are not negatives of
    it in the static NT-Xent (``loss.static_negatives``); None when every other row is a negative."""
    if setting == "other-identities":
        return torch.as_tensor(np.unique(np.asarray(split.identity), return_inverse=True)[1], device=device)
    if setting == "other-utterances":
        return utterance_index(split, device, "loss.static_negatives")
    return None


def utterance_index(split: SequenceSplit, device: torch.device, field: str,
                    dataset: SequenceDataset | None = None) -> torch.Tensor:
    """Per row of ``split``, the index of its utterance; ``field`` names the option that needs it in the error
    raised for a dataset without utterances."""
    return torch.as_tensor(np.unique(np.asarray(_utterances(split, dataset, field)), return_inverse=True)[1],
                           device=device)


def non_overlapping_gap(dataset: SequenceDataset) -> int:
    """How many positions apart two segments of one utterance must be not to overlap (1 for datasets that are
    not cut into hopping segments)."""
    hop = getattr(dataset, "segment_hop", None)
    if not hop:
        return 1
    return math.ceil(dataset.sequence_shape[0] / hop)


def _utterances(split: SequenceSplit, dataset: SequenceDataset | None, field: str) -> np.ndarray:
    if split.groups is None:
        name = f"dataset {dataset.name!r}" if dataset is not None else f"split {split.name!r}"
        raise FieldError(field, f"needs sequences grouped into utterances or videos, and {name} has none (speech "
                                "datasets such as timit and tts-timit have them, and flare-sprites with "
                                "dataset_options.videos)")
    return split.groups
