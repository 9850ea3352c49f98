"""DCGAN-style frame encoder and decoder for square RGB frames (the release's Sprites networks)."""

from __future__ import annotations

import math

import torch
from torch import nn

from cdsvae_eval.config import ModelConfig
from cdsvae_eval.errors import ConfigError


def _down_blocks(config: ModelConfig) -> int:
    blocks = math.log2(config.image_size / 4)
    if blocks < 1 or blocks != int(blocks):
        raise ConfigError(f"model.image_size must be a power of two >= 8, got {config.image_size}")
    if len(config.conv_channels) != int(blocks):
        raise ConfigError(
            f"model.conv_channels needs {int(blocks)} entries for image_size {config.image_size}, "
            f"got {len(config.conv_channels)}"
        )
    return int(blocks)


class VideoFrameEncoder(nn.Module):
    """(N, C, H, W) in [0, 1] -> (N, frame_dim): strided conv blocks down to 4x4, then a 4x4 conv."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        _down_blocks(config)
        layers: list[nn.Module] = []
        channels_in = config.channels
        for channels_out in config.conv_channels:
            layers += [nn.Conv2d(channels_in, channels_out, 4, 2, 1), nn.BatchNorm2d(channels_out), nn.LeakyReLU(0.2)]
            channels_in = channels_out
        layers += [nn.Conv2d(channels_in, config.frame_dim, 4, 1, 0), nn.BatchNorm2d(config.frame_dim), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        return self.net(frames).flatten(1)


class VideoFrameDecoder(nn.Module):
    """(N, static_dim + dynamic_dim) -> (N, C, H, W) in [0, 1]: the encoder mirrored."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        _down_blocks(config)
        channels = list(reversed(config.conv_channels))
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(config.static_dim + config.dynamic_dim, channels[0], 4, 1, 0),
            nn.BatchNorm2d(channels[0]), nn.LeakyReLU(0.2),
        ]
        for channels_in, channels_out in zip(channels, channels[1:]):
            layers += [nn.ConvTranspose2d(channels_in, channels_out, 4, 2, 1), nn.BatchNorm2d(channels_out), nn.LeakyReLU(0.2)]
        layers += [nn.ConvTranspose2d(channels[-1], config.channels, 4, 2, 1), nn.Sigmoid()]
        self.net = nn.Sequential(*layers)

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        return self.net(codes[:, :, None, None])
