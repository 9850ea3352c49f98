"""Build a C-DSVAE for a modality from its config."""

from __future__ import annotations

from cdsvae_eval.config import ModelConfig
from cdsvae_eval.errors import ConfigError
from cdsvae_eval.models.core import CDSVAE


def build_model(config: ModelConfig) -> CDSVAE:
    if config.modality == "video":
        from cdsvae_eval.models.video import VideoFrameDecoder, VideoFrameEncoder

        return CDSVAE(config, VideoFrameEncoder(config), VideoFrameDecoder(config))
    if config.modality == "audio":
        from cdsvae_eval.models.audio import AudioFrameDecoder, AudioFrameEncoder

        return CDSVAE(config, AudioFrameEncoder(config), AudioFrameDecoder(config))
    raise ConfigError(f"model.modality must be 'video' or 'audio', got {config.modality!r}")
