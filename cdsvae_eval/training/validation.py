"""What the trainer measures on the validation split at scored epochs besides the loss: swaps (video), the
speaker-verification EER of both codes (speech), and the decodability of the codes. A figure the split
cannot support (too few identities) is skipped with a one-line note instead."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from cdsvae_eval.data.base import SequenceDataset, SequenceSplit
from cdsvae_eval.device import as_float
from cdsvae_eval.errors import DataError
from cdsvae_eval.metrics import all_pairs_cosine_eer, fit_lda, group_means
from cdsvae_eval.models.code_stats import MIN_PROBE_IDENTITIES, decodability_summary
from cdsvae_eval.models.swaps import score_swaps
from cdsvae_eval.names import CLIP_PHASE, EER_DYNAMIC, EER_DYNAMIC_LDA, EER_STATIC, MOTION_FACTOR


@dataclass
class ValidationFigures:
    """One family of validation figures (``values``), or none with ``notes`` saying why."""

    values: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def validation_swaps(model: torch.nn.Module, x: torch.Tensor, split: SequenceSplit, pairs: int,
                     seed: int) -> dict[str, float]:
    """Motion and identity swap accuracies (with their chance levels) of ``pairs`` seeded pairs."""
    return score_swaps(model, x, split.identity, split.labels[MOTION_FACTOR], pairs=pairs, seed=seed,
                       phase=split.extras.get(CLIP_PHASE)).as_dict()


@torch.no_grad()
def encode_split(model: torch.nn.Module, x: torch.Tensor, batch_size: int,
                 autocast: Callable[[], contextlib.AbstractContextManager],
                 limit: int | None = None) -> tuple[np.ndarray, ...]:
    """``(s_mean, s_logvar, z_mean, z_logvar)`` of the first ``limit`` rows of ``x`` (all by default), in eval
    mode, as float32 arrays."""
    model.eval()
    limit = len(x) if limit is None else min(len(x), limit)
    parts: list[list[torch.Tensor]] = [[], [], [], []]
    for start in range(0, limit, batch_size):
        batch = as_float(x[start:min(start + batch_size, limit)])
        with autocast():
            for bucket, value in zip(parts, model.encode_posterior(batch)):
                bucket.append(value.float().cpu())
    model.train()
    return tuple(torch.cat(bucket).numpy() for bucket in parts)


def validation_code_usage(model: torch.nn.Module, x: torch.Tensor, split: SequenceSplit, dataset: SequenceDataset,
                          batch_size: int, autocast: Callable[[], contextlib.AbstractContextManager], seed: int,
                          max_sequences: int = 1024) -> ValidationFigures:
    """Decodability of the codes on the first ``max_sequences`` validation clips: SNR, active units and what
    one posterior sample of each code tells a nearest-centroid classifier (drawn with ``seed``)."""
    s_mean, s_logvar, z_mean, z_logvar = encode_split(model, x, batch_size, autocast, max_sequences)
    limit = len(s_mean)
    labels = {name: values[:limit] for name, values in split.labels.items()}
    kinds = {name: dataset.factor(name).kind for name in labels}
    identities = len(np.unique(split.identity[:limit]))
    notes = []
    if identities < MIN_PROBE_IDENTITIES:
        notes.append(f"validation sample probes skipped: split {split.name!r} has {identities} "
                     f"{dataset.identity_name}(s), they need {MIN_PROBE_IDENTITIES} (fitted on half, scored on the rest)")
    values = decodability_summary(s_mean, s_logvar, z_mean, z_logvar, labels, kinds, split.identity[:limit], seed=seed)
    return ValidationFigures(values, notes)


def validation_speaker_eer(model: torch.nn.Module, x: torch.Tensor, split: SequenceSplit,
                           dataset: SequenceDataset, batch_size: int,
                           autocast: Callable[[], contextlib.AbstractContextManager],
                           train_x: torch.Tensor | None = None,
                           train_split: SequenceSplit | None = None) -> ValidationFigures:
    """Speaker-verification EER (percent) of z_s and of mean z_1:T on the whole validation split, the
    ``speaker-eer`` task's protocol at validation size: utterance embeddings are the mean over an
    utterance's segments, every utterance pair is a trial, scored by cosine. With the training split
    (``train_x``, ``train_split``), also the EER of mean z_1:T under an LDA fitted on the training speakers'
    utterances (the ``lda`` back-end): linear leakage of the speaker into z_1:T that cosine does not see."""
    if split.groups is None:
        return ValidationFigures(notes=[f"validation EER skipped: split {split.name!r} has no utterances"])
    speakers = len(np.unique(split.identity))
    if speakers < 2:
        return ValidationFigures(notes=[f"validation EER skipped: split {split.name!r} has {speakers} "
                                        f"{dataset.identity_name}, it needs 2"])
    s_mean, _, z_mean, _ = encode_split(model, x, batch_size, autocast)
    _, static = group_means(s_mean, split.groups)
    _, dynamic = group_means(z_mean.mean(axis=1), split.groups)
    utterance_speaker = _utterance_speakers(split)
    if len(np.unique(utterance_speaker)) == len(utterance_speaker):
        return ValidationFigures(notes=[f"validation EER skipped: every {dataset.identity_name} of split "
                                        f"{split.name!r} has one utterance, so there are no same-speaker trials"])
    figures = ValidationFigures({
        EER_STATIC: 100.0 * all_pairs_cosine_eer(static, utterance_speaker),
        EER_DYNAMIC: 100.0 * all_pairs_cosine_eer(dynamic, utterance_speaker),
        "utterances": float(len(utterance_speaker)),
        "speakers": float(speakers),
    })
    if train_x is not None and train_split is not None:
        lda = _lda_leakage(model, train_x, train_split, dynamic, utterance_speaker, batch_size, autocast)
        if isinstance(lda, str):
            figures.notes.append(lda)
        else:
            figures.values[EER_DYNAMIC_LDA] = lda
    return figures


def _utterance_speakers(split: SequenceSplit) -> np.ndarray:
    """The speaker of each utterance of ``split``, utterances ordered as :func:`group_means` orders them."""
    _, first_row = np.unique(split.groups, return_index=True)
    return split.identity[first_row]


def _lda_leakage(model: torch.nn.Module, train_x: torch.Tensor, train_split: SequenceSplit, dynamic: np.ndarray,
                 utterance_speaker: np.ndarray, batch_size: int,
                 autocast: Callable[[], contextlib.AbstractContextManager]) -> float | str:
    """EER (percent) of the validation utterances' mean z_1:T (``dynamic``) after an LDA fitted on the training
    utterances' mean z_1:T, or the note saying why it could not be fitted."""
    if train_split.groups is None:
        return f"validation LDA leakage skipped: split {train_split.name!r} has no utterances"
    _, _, z_train, _ = encode_split(model, train_x, batch_size, autocast)
    _, train_dynamic = group_means(z_train.mean(axis=1), train_split.groups)
    try:
        mean, projection = fit_lda(train_dynamic, _utterance_speakers(train_split))
    except DataError as error:
        return f"validation LDA leakage skipped: {error}"
    return 100.0 * all_pairs_cosine_eer((dynamic - mean) @ projection, utterance_speaker)
