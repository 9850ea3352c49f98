"""Per-frame MLP encoder and decoder for spectral feature frames (log-mel and friends)."""

from __future__ import annotations

import torch
from torch import nn

from cdsvae_eval.config import ModelConfig


class AudioFrameEncoder(nn.Module):
    """(N, F) normalised features -> (N, frame_dim)."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(config.feature_dim, config.mlp_hidden), nn.LayerNorm(config.mlp_hidden), nn.LeakyReLU(0.2),
            nn.Linear(config.mlp_hidden, config.frame_dim), nn.LayerNorm(config.frame_dim), nn.Tanh(),
        )

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        return self.net(frames)


class AudioFrameDecoder(nn.Module):
    """(N, static_dim + dynamic_dim) -> (N, F): unbounded output, trained with squared error."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(config.static_dim + config.dynamic_dim, config.mlp_hidden), nn.LeakyReLU(0.2),
            nn.Linear(config.mlp_hidden, config.mlp_hidden), nn.LeakyReLU(0.2),
            nn.Linear(config.mlp_hidden, config.feature_dim),
        )

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        return self.net(codes)
