"""Swap speaker and content between two whole utterances of a segment-level audio model.

The model sees 200 ms segments. An utterance's speaker code is the mean of its segments' static
posterior means (the utterance-level embedding of the evaluation protocol); its content is the
dynamic posterior means of each segment. Decoded segments are put back on the utterance's time
axis by overlap-add, averaging where consecutive segments overlap.
"""

from __future__ import annotations

import numpy as np
import torch

from cdsvae_eval.errors import DataError
from cdsvae_eval.models.core import CDSVAE

SWAP_OUTPUTS = ("a_original", "b_original", "a_recon", "b_recon", "a_speaker_b_content", "b_speaker_a_content")


def overlap_add(segments: np.ndarray, hop: int) -> np.ndarray:
    """Segments ``(S, L, F)`` that start every ``hop`` frames -> one ``((S - 1) * hop + L, F)`` sequence,
    each frame the mean of the segments covering it."""
    count, length, dim = segments.shape
    if count == 0:
        raise ValueError("overlap_add needs at least one segment")
    if hop < 1:
        raise ValueError(f"hop must be >= 1, got {hop}")
    frames = (count - 1) * hop + length
    rows = (np.arange(count)[:, None] * hop + np.arange(length)[None, :]).ravel()
    total = np.zeros((frames, dim), dtype=np.float64)
    np.add.at(total, rows, segments.reshape(-1, dim).astype(np.float64))
    covered = np.bincount(rows, minlength=frames)
    if (covered == 0).any():
        raise ValueError(f"hop {hop} is longer than the segments ({length} frames): frames would be missing")
    return (total / covered[:, None]).astype(segments.dtype)


@torch.no_grad()
def swap_utterances(model: CDSVAE, segments_a: np.ndarray, segments_b: np.ndarray, hop: int) -> dict[str, np.ndarray]:
    """Normalised feature sequences ``(frames, F)`` keyed by :data:`SWAP_OUTPUTS`.

    ``segments_*`` are one utterance's ``(S, L, F)`` normalised segments in time order, ``hop`` frames
    apart. ``a_speaker_b_content`` decodes A's utterance speaker code with the dynamic codes of each of
    B's segments. The reconstructions decode each utterance's own speaker code with its own dynamic
    codes, so a reconstruction and a swap differ only in the speaker code. The originals are the input
    segments put back together the same way (the frames the other outputs cover).
    """
    if len(segments_a) == 0 or len(segments_b) == 0:
        raise DataError("swap_utterances needs at least one segment of each utterance")
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        count_a = len(segments_a)
        batch = torch.as_tensor(np.concatenate([segments_a, segments_b]), dtype=torch.float32, device=device)
        s, z = model.encode(batch)
        speaker_a, speaker_b = s[:count_a].mean(0), s[count_a:].mean(0)
        z_a, z_b = z[:count_a], z[count_a:]
        count_b = len(z_b)
        statics = torch.cat([
            speaker_a.expand(count_a, -1), speaker_b.expand(count_b, -1),
            speaker_a.expand(count_b, -1), speaker_b.expand(count_a, -1),
        ])
        decoded = model.decode(statics, torch.cat([z_a, z_b, z_b, z_a])).float().cpu().numpy()
    finally:
        model.train(was_training)
    ends = np.cumsum([count_a, count_b, count_b, count_a])
    recon_a, recon_b, a_speaker_b, b_speaker_a = np.split(decoded, ends[:-1])
    return {
        "a_original": overlap_add(np.asarray(segments_a, dtype=np.float32), hop),
        "b_original": overlap_add(np.asarray(segments_b, dtype=np.float32), hop),
        "a_recon": overlap_add(recon_a, hop),
        "b_recon": overlap_add(recon_b, hop),
        "a_speaker_b_content": overlap_add(a_speaker_b, hop),
        "b_speaker_a_content": overlap_add(b_speaker_a, hop),
    }


def pick_utterance_pair(groups: np.ndarray, speakers: np.ndarray, seed: int) -> tuple[str, str]:
    """Two utterance ids of different speakers, seeded, among the utterances with at least the median
    number of segments (so the samples are long enough to listen to)."""
    utterances, first, counts = np.unique(groups, return_index=True, return_counts=True)
    long_enough = counts >= np.median(counts)
    candidates, candidate_speakers = utterances[long_enough], speakers[first][long_enough]
    if len(np.unique(candidate_speakers)) < 2:
        candidates, candidate_speakers = utterances, speakers[first]
    if len(np.unique(candidate_speakers)) < 2:
        raise DataError("a speaker swap needs utterances of at least two speakers in the split")
    rng = np.random.default_rng(seed)
    a = int(rng.integers(len(candidates)))
    others = np.flatnonzero(candidate_speakers != candidate_speakers[a])
    b = int(rng.choice(others))
    return str(candidates[a]), str(candidates[b])


def utterance_rows(groups: np.ndarray, utterance: str) -> np.ndarray:
    """Row indices of one utterance's segments (splits keep each utterance's segments in time order)."""
    rows = np.flatnonzero(groups == utterance)
    if len(rows) == 0:
        raise DataError(f"utterance {utterance!r} has no segments in the split")
    return rows
