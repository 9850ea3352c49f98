"""A penalty on what a linear map reads from utterance means of z_1:T: each utterance's mean offset from the mean
over utterances, whitened by the spread of segment codes within utterances.

A speaker-verification back-end (LDA) reads the speaker from the mean of z_1:T over all of an utterance's
segments, where the content averages out and a small constant offset remains plain. A batch holds a few
segments of each utterance, whose mean is dominated by their content: a penalty on it would charge the content.
So each training utterance's mean is kept in a running memory (updated, without gradient, from every block of
its segments that a batch holds), and the penalty takes its value from the memory and its gradient from the
batch's segments of that utterance: minimising it moves those segments so that their utterance's mean moves
towards the mean over utterances, in the directions where utterances differ more than their segments do.
"""

from __future__ import annotations

import torch
from torch import nn

from cdsvae_eval.models.losses import group_index

# weight of the newest block of an utterance in its running mean
MEMORY_STEP = 0.5
RIDGE = 1e-3


class UtteranceOffsetPenalty(nn.Module):
    """Running means of z_1:T of ``utterances`` training utterances (``dim`` wide) and the penalty on them."""

    def __init__(self, utterances: int, dim: int):
        super().__init__()
        self.register_buffer("memory", torch.zeros(utterances, dim))
        self.register_buffer("seen", torch.zeros(utterances, dtype=torch.bool))

    def forward(self, pooled: torch.Tensor, utterances: torch.Tensor) -> torch.Tensor:
        """The penalty for segment codes ``pooled`` (B, D) of ``utterances`` (B,) (indices into the memory), after
        updating those utterances' running means."""
        with torch.autocast(device_type=pooled.device.type, enabled=False):
            pooled = pooled.float()
            index, counts = group_index(utterances)
            present = torch.zeros(len(counts), dtype=utterances.dtype, device=utterances.device)
            present = present.scatter(0, index, utterances)
            block_means = torch.zeros(len(counts), pooled.shape[1], device=pooled.device).index_add(
                0, index, pooled) / counts.unsqueeze(1)
            with torch.no_grad():
                previous = self.memory[present]
                updated = torch.where(self.seen[present].unsqueeze(1),
                                      (1 - MEMORY_STEP) * previous + MEMORY_STEP * block_means, block_means)
                self.memory[present] = updated
                self.seen[present] = True
                centre = self.memory[self.seen].mean(dim=0)
                residual = pooled - block_means[index]
                within = residual.T @ residual / max(1, len(pooled) - len(counts))
                within += RIDGE * within.diagonal().mean().clamp(min=1e-12) * torch.eye(len(within), device=pooled.device)
            offsets = updated + (block_means - block_means.detach()) - centre
            return (offsets @ torch.linalg.inv(within) * offsets).sum(dim=1).mean()
