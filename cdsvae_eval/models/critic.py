"""An adversarial critic, trained against the encoder through a gradient-reversal layer (Ganin & Lempitsky 2015).

The critic learns to match each row of ``a`` with its own row of ``b`` among all rows of ``b`` (InfoNCE with a
learned linear projection of each side and cosine logits): its loss is low when ``a`` and ``b`` share
information that tells the rows apart. Between the encoder's codes and the critic sits a gradient-reversal
layer, so one backward pass lowers the critic's loss in the critic's weights and raises it, by ``scale`` times
the gradient, in the encoder's: the encoder learns to leave no shared information that a linear map can find.

Used on speech to take the speaker out of z_1:T without speaker labels (``a``, ``b``: z_1:T pooled over two
disjoint halves of one utterance's segments), and usable for any pair of codes that should not share
information (z_s and pooled z_1:T of one clip).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

CRITIC_WIDTH = 64
CRITIC_TEMPERATURE = 0.1


class _ReverseGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, values: torch.Tensor, scale: float) -> torch.Tensor:
        ctx.scale = scale
        return values.view_as(values)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return -ctx.scale * grad, None


def reverse_gradient(values: torch.Tensor, scale: float) -> torch.Tensor:
    """``values`` unchanged in the forward pass; the gradient flowing back through it is multiplied by ``-scale``."""
    return _ReverseGradient.apply(values, scale)


class PairCritic(nn.Module):
    """Symmetric InfoNCE between linear projections of ``a`` (K, Da) and ``b`` (K, Db): row i of ``a`` should pick
    row i of ``b`` among the K rows, and the other way round. Chance is log K."""

    def __init__(self, dim_a: int, dim_b: int, width: int = CRITIC_WIDTH, temperature: float = CRITIC_TEMPERATURE):
        super().__init__()
        self.project_a = nn.Linear(dim_a, width)
        self.project_b = nn.Linear(dim_b, width)
        self.temperature = temperature

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        with torch.autocast(device_type=a.device.type, enabled=False):
            left = F.normalize(self.project_a(a.float()), dim=1)
            right = F.normalize(self.project_b(b.float()), dim=1)
            logits = left @ right.T / self.temperature
            target = torch.arange(len(a), device=a.device)
            return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))

    def adversarial_loss(self, a: torch.Tensor, b: torch.Tensor, scale: float) -> torch.Tensor:
        """The critic's loss on codes seen through a gradient reversal of ``scale``: minimising it trains the
        critic and, reversed, makes the encoder that produced ``a`` and ``b`` defeat it. Zero with fewer than two
        rows (nothing to match)."""
        if len(a) < 2:
            return a.sum() * 0.0
        return self(reverse_gradient(a, scale), reverse_gradient(b, scale))
