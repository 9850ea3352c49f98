"""What the trainer measures on the validation split at scored epochs besides the loss: swaps (the selection
score) and the decodability of the codes."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import torch

from cdsvae_eval.data.base import SequenceDataset, SequenceSplit
from cdsvae_eval.device import as_float
from cdsvae_eval.models.code_stats import decodability_summary
from cdsvae_eval.models.swaps import score_swaps
from cdsvae_eval.names import MOTION_FACTOR


def validation_swaps(model: torch.nn.Module, x: torch.Tensor, split: SequenceSplit, pairs: int,
                     seed: int) -> dict[str, float]:
    """Motion and identity swap accuracies (with their chance levels) of ``pairs`` seeded pairs."""
    return score_swaps(model, x, split.identity, split.labels[MOTION_FACTOR], pairs=pairs, seed=seed).as_dict()


@torch.no_grad()
def validation_code_usage(model: torch.nn.Module, x: torch.Tensor, split: SequenceSplit, dataset: SequenceDataset,
                          batch_size: int, autocast: Callable[[], contextlib.AbstractContextManager], seed: int,
                          max_sequences: int = 1024) -> dict[str, float]:
    """Decodability of the codes on the first ``max_sequences`` validation clips: SNR, active units and what
    one posterior sample of each code tells a nearest-centroid classifier (drawn with ``seed``)."""
    model.eval()
    limit = min(len(x), max_sequences)
    parts: list[list[torch.Tensor]] = [[], [], [], []]
    for start in range(0, limit, batch_size):
        batch = as_float(x[start:min(start + batch_size, limit)])
        with autocast():
            for bucket, value in zip(parts, model.encode_posterior(batch)):
                bucket.append(value.float().cpu())
    model.train()
    s_mean, s_logvar, z_mean, z_logvar = (torch.cat(bucket).numpy() for bucket in parts)
    labels = {name: values[:limit] for name, values in split.labels.items()}
    kinds = {name: dataset.factor(name).kind for name in labels}
    return decodability_summary(s_mean, s_logvar, z_mean, z_logvar, labels, kinds, split.identity[:limit], seed=seed)
