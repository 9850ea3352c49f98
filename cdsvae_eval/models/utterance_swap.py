"""Swap speaker and content between whole utterances of a segment-level audio model.

The model sees 200 ms segments. An utterance's speaker code is the mean of its segments' static
posterior means (the utterance-level embedding of the evaluation protocol); its content is the
dynamic posterior means of each segment. Decoded segments are put back on the utterance's time
axis by overlap-add, averaging where consecutive segments overlap.

Pairs of utterances are drawn by :func:`draw_utterance_pairs`, the one rule that ``sample``, the
``speech-swap`` task and the report page share: the same split and seed give the same pairs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch

from cdsvae_eval.errors import DataError
from cdsvae_eval.models.core import CDSVAE

SWAP_OUTPUTS = ("a_original", "b_original", "a_recon", "b_recon", "a_speaker_b_content", "b_speaker_a_content")
# Segments encoded or decoded per model call: bounds memory whatever the number of pairs.
_BATCH_SEGMENTS = 1024
PAIR_RULE = ("each round pairs every eligible speaker (2+ utterances in the split) as A with the next speaker of a "
             "seeded permutation as B, so each speaker is A and B once per round; each side's utterance is drawn "
             "uniformly from its speaker's; rounds repeat until the pair count is reached (numpy default_rng(seed))")


def overlap_add(segments: np.ndarray, hop: int) -> np.ndarray:
    """Segments ``(S, L, F)`` that start every ``hop`` frames -> one ``((S - 1) * hop + L, F)`` sequence,
    each frame the mean of the segments covering it."""
    count, length, dim = segments.shape
    if count == 0:
        raise ValueError("overlap_add needs at least one segment")
    if hop < 1:
        raise ValueError(f"hop must be >= 1, got {hop}")
    frames = (count - 1) * hop + length
    starts = np.arange(count) * hop
    total = np.zeros((frames, dim), dtype=np.float64)
    covered = np.zeros(frames, dtype=np.int64)
    for offset in range(length):  # one segment position at a time: its frames are distinct, so no np.add.at
        total[starts + offset] += segments[:, offset]
        covered[starts + offset] += 1
    if (covered == 0).any():
        raise ValueError(f"hop {hop} is longer than the segments ({length} frames): frames would be missing")
    return (total / covered[:, None]).astype(segments.dtype)


def overlap_labels(segment_labels: np.ndarray, hop: int) -> np.ndarray:
    """Per-frame labels ``(S, L)`` of segments that start every ``hop`` frames -> the labels of the
    ``(S - 1) * hop + L`` frames they cover (overlapping segments carry the same frame's label)."""
    count, length = segment_labels.shape
    if count == 0 or hop < 1 or hop > length:
        raise ValueError(f"overlap_labels needs segments that cover every frame, got {count} segments of "
                         f"{length} frames every {hop}")
    frames = np.arange((count - 1) * hop + length)
    segment_of = np.minimum(frames // hop, count - 1)
    return segment_labels[segment_of, frames - segment_of * hop]


@contextmanager
def _evaluating(model: torch.nn.Module) -> Iterator[None]:
    """The model in eval mode for the block, its training mode restored afterwards."""
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)


def utterance_codes(static: np.ndarray, dynamic: np.ndarray, rows: Sequence[np.ndarray]
                    ) -> tuple[np.ndarray, list[np.ndarray]]:
    """Segment codes ``(N, Ds)`` and ``(N, L, Dt)`` -> per utterance (its segments' ``rows``, in time order) the
    speaker code, one row of a ``(U, Ds)`` array (the mean of its segments' z_s), and its dynamic codes."""
    speakers = np.stack([static[own].mean(axis=0) for own in rows]).astype(np.float32)
    return speakers, [np.asarray(dynamic[own], dtype=np.float32) for own in rows]


@torch.no_grad()
def encode_utterances(model: CDSVAE, utterances: Sequence[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Each utterance's ``(S, L, F)`` normalised segments -> :func:`utterance_codes` of the model's posterior
    means."""
    if not utterances or any(len(segments) == 0 for segments in utterances):
        raise DataError("encoding utterances needs at least one segment of each")
    device = next(model.parameters()).device
    joined = np.concatenate(utterances).astype(np.float32, copy=False)
    statics, dynamics = [], []
    with _evaluating(model):
        for start in range(0, len(joined), _BATCH_SEGMENTS):
            s, z = model.encode(torch.as_tensor(joined[start:start + _BATCH_SEGMENTS], device=device))
            statics.append(s.float().cpu().numpy())
            dynamics.append(z.float().cpu().numpy())
    ends = np.cumsum([len(segments) for segments in utterances])
    rows = [np.arange(end - len(segments), end) for end, segments in zip(ends, utterances)]
    return utterance_codes(np.concatenate(statics), np.concatenate(dynamics), rows)


@torch.no_grad()
def decode_utterances(model: CDSVAE, speakers: np.ndarray, dynamics: Sequence[np.ndarray],
                      requests: Sequence[tuple[int, int]], hop: int) -> list[np.ndarray]:
    """For each request ``(speaker index, content index)``: that utterance's speaker code (a row of ``speakers``)
    decoded with the other's dynamic codes, overlap-added into normalised frames ``(frames, F)`` (float32)."""
    if not requests:
        return []
    device = next(model.parameters()).device
    counts = [len(dynamics[content]) for _, content in requests]
    content = np.concatenate([dynamics[content] for _, content in requests])
    static = np.repeat(speakers[[speaker for speaker, _ in requests]], counts, axis=0)
    decoded = []
    with _evaluating(model):
        for start in range(0, len(content), _BATCH_SEGMENTS):
            stop = start + _BATCH_SEGMENTS
            decoded.append(model.decode(torch.as_tensor(static[start:stop], device=device),
                                        torch.as_tensor(content[start:stop], device=device)).float().cpu().numpy())
    segments = np.split(np.concatenate(decoded), np.cumsum(counts)[:-1])
    return [overlap_add(part, hop) for part in segments]


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
    speakers, dynamics = encode_utterances(model, [segments_a, segments_b])
    recon_a, recon_b, a_speaker_b, b_speaker_a = decode_utterances(
        model, speakers, dynamics, [(0, 0), (1, 1), (0, 1), (1, 0)], hop)
    return {
        "a_original": overlap_add(np.asarray(segments_a, dtype=np.float32), hop),
        "b_original": overlap_add(np.asarray(segments_b, dtype=np.float32), hop),
        "a_recon": recon_a,
        "b_recon": recon_b,
        "a_speaker_b_content": a_speaker_b,
        "b_speaker_a_content": b_speaker_a,
    }


def draw_utterance_pairs(groups: np.ndarray, speakers: np.ndarray, count: int, seed: int) -> list[tuple[str, str]]:
    """``count`` seeded pairs ``(utterance A, utterance B)`` of different speakers, speakers balanced
    (:data:`PAIR_RULE`). ``groups`` and ``speakers`` give each row's utterance id and speaker (a split's
    segments); only speakers with two or more utterances take part, so each side has other utterances of
    its speaker to be compared with."""
    if count < 1:
        raise DataError(f"the number of utterance pairs must be at least 1, got {count}")
    utterances, first = np.unique(np.asarray(groups).astype(str), return_index=True)
    owners = np.asarray(speakers).astype(str)[first]
    by_speaker = {speaker: utterances[owners == speaker] for speaker in np.unique(owners)}
    eligible = sorted(speaker for speaker, own in by_speaker.items() if len(own) >= 2)
    if len(eligible) < 2:
        raise DataError(f"a speaker swap needs at least two speakers with two or more utterances each in the split; "
                        f"it has {len(eligible)} of {len(by_speaker)} speakers")
    rng = np.random.default_rng(seed)
    pairs: list[tuple[str, str]] = []
    while len(pairs) < count:
        order = rng.permutation(len(eligible))
        for position, index in enumerate(order):
            speaker_a, speaker_b = eligible[index], eligible[order[(position + 1) % len(order)]]
            pairs.append((str(rng.choice(by_speaker[speaker_a])), str(rng.choice(by_speaker[speaker_b]))))
    return pairs[:count]


def utterance_transcript(utterance: Any) -> str:
    """The text of a corpus utterance (the third field of its TIMIT ``.TXT`` file), or why there is none."""
    txt = getattr(utterance, "txt", None)
    if txt is None:
        return "(no .TXT file)"
    fields = Path(txt).read_text(encoding="latin-1").split(maxsplit=2)
    return fields[2].strip() if len(fields) == 3 else "(unreadable .TXT file)"


def utterance_rows(groups: np.ndarray, utterance: str) -> np.ndarray:
    """Row indices of one utterance's segments (splits keep each utterance's segments in time order)."""
    rows = np.flatnonzero(groups == utterance)
    if len(rows) == 0:
        raise DataError(f"utterance {utterance!r} has no segments in the split")
    return rows
