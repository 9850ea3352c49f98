"""The judge: a fully supervised classifier of real sequences that scores generated ones.

A shared DCGAN-style frame encoder (:class:`~cdsvae_eval.models.video.VideoFrameEncoder`) feeds a
bidirectional LSTM; the last forward and first backward states feed one linear head per judged factor:
the dynamic ``motion`` factor and every static factor of the dataset.

Judge file (``torch.save`` of a dict, written atomically)::

    format, format_version   "cdsvae-eval-judge", 1
    config                   JudgeConfig as a dict (resolved sizes)
    factors                  [{"name", "kind", "classes"}] in head order
    state                    the module's state_dict
    dataset                  {"name", "options", "fingerprint"}
    test_accuracy            {factor: accuracy on the test split}
    val_accuracy             {factor: accuracy on the validation split at the chosen epoch}
    best_epoch, epochs       the epoch chosen on the validation split, and how many were run
    extra                    provenance and per-epoch history

Loading computes the SHA-256 of the file, so reports can name exactly which judge scored them.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from torch import nn

from cdsvae_eval.atomic import save_torch
from cdsvae_eval.config import ModelConfig
from cdsvae_eval.data.base import Factor, SequenceDataset, SequenceSplit
from cdsvae_eval.device import as_float
from cdsvae_eval.errors import CheckpointError, ConfigError, DataError
from cdsvae_eval.models.video import VideoFrameEncoder
from cdsvae_eval.names import MOTION_FACTOR
from cdsvae_eval.provenance import sha256_file

FORMAT = "cdsvae-eval-judge"
FORMAT_VERSION = 1


@dataclass
class JudgeConfig:
    """Sizes and training settings of a judge. ``None`` sizes are filled from the dataset by :meth:`resolve`."""

    image_size: int | None = None
    channels: int = 3
    conv_channels: tuple[int, ...] | None = None
    frame_dim: int = 64
    hidden: int = 64
    epochs: int = 8
    batch_size: int = 64
    lr: float = 2e-3
    seed: int = 0

    def resolve(self, image_size: int, channels: int) -> "JudgeConfig":
        """A copy sized for frames of ``image_size`` pixels; an explicit different size is a ConfigError."""
        if self.image_size is not None and self.image_size != image_size:
            raise ConfigError(
                f"judge image_size {self.image_size} does not match the dataset's frames ({image_size} px)"
            )
        blocks = math.log2(image_size / 4) if image_size > 0 else 0
        if blocks < 1 or blocks != int(blocks):
            raise ConfigError(f"a judge needs square frames of a power-of-two size >= 8, got {image_size}")
        conv = self.conv_channels or tuple(min(16 * 2**i, 256) for i in range(int(blocks)))
        for name in ("frame_dim", "hidden", "epochs", "batch_size"):
            if getattr(self, name) < 1:
                raise ConfigError(f"judge {name} must be at least 1, got {getattr(self, name)}")
        if not self.lr > 0:
            raise ConfigError(f"judge lr must be positive, got {self.lr}")
        return dataclasses.replace(self, image_size=image_size, channels=channels, conv_channels=tuple(conv))

    def frame_encoder_config(self) -> ModelConfig:
        if self.image_size is None or self.conv_channels is None:
            raise ConfigError("the judge config is not resolved: call JudgeConfig.resolve(image_size, channels)")
        return ModelConfig(modality="video", image_size=self.image_size, channels=self.channels,
                           conv_channels=self.conv_channels, frame_dim=self.frame_dim)


def judged_factors(dataset: SequenceDataset) -> tuple[Factor, ...]:
    """The factors a judge classifies on ``dataset``: ``motion`` first, then every static factor."""
    if dataset.modality != "video":
        raise DataError(f"a judge classifies video clips; dataset {dataset.name!r} is {dataset.modality}")
    motion = [f for f in dataset.dynamic_factors if f.name == MOTION_FACTOR]
    if not motion:
        raise DataError(f"dataset {dataset.name!r} has no dynamic factor {MOTION_FACTOR!r} for a judge to classify")
    return (motion[0], *dataset.static_factors)


class Judge(nn.Module):
    """``(B, T, C, H, W)`` clips in [0, 1] (or uint8) -> logits per factor."""

    def __init__(self, config: JudgeConfig, factors: Sequence[Factor]):
        super().__init__()
        self.config = config
        self.factors = tuple(factors)
        self.frame_encoder = VideoFrameEncoder(config.frame_encoder_config())
        self.sequence_lstm = nn.LSTM(config.frame_dim, config.hidden, batch_first=True, bidirectional=True)
        self.heads = nn.ModuleDict({f.name: nn.Linear(2 * config.hidden, f.num_classes) for f in self.factors})

    @property
    def factor_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.factors)

    @property
    def static_factor_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.factors if f.kind == "static")

    def forward(self, clips: torch.Tensor) -> dict[str, torch.Tensor]:
        if clips.dtype == torch.uint8:
            clips = as_float(clips)
        batch, frames = clips.shape[:2]
        features = self.frame_encoder(clips.flatten(0, 1)).view(batch, frames, -1)
        _, (last_states, _) = self.sequence_lstm(features)
        summary = torch.cat([last_states[0], last_states[1]], dim=-1)
        return {name: head(summary) for name, head in self.heads.items()}

    @torch.no_grad()
    def probabilities(self, clips: torch.Tensor) -> dict[str, torch.Tensor]:
        """Softmax of each head for one batch, in eval mode."""
        was_training = self.training
        self.eval()
        try:
            return {name: logits.float().softmax(-1) for name, logits in self(clips).items()}
        finally:
            self.train(was_training)

    @torch.no_grad()
    def predict(self, clips: np.ndarray | torch.Tensor, batch_size: int = 256) -> dict[str, np.ndarray]:
        """Predicted class per factor for a whole array of clips, in batches on the judge's device."""
        device = next(self.parameters()).device
        predictions: dict[str, list[np.ndarray]] = {name: [] for name in self.factor_names}
        for start in range(0, len(clips), batch_size):
            batch = torch.as_tensor(np.ascontiguousarray(clips[start:start + batch_size])).to(device)
            for name, probs in self.probabilities(batch).items():
                predictions[name].append(probs.argmax(-1).cpu().numpy())
        return {name: np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
                for name, parts in predictions.items()}


def judge_accuracy(judge: Judge, split: SequenceSplit, batch_size: int = 256) -> dict[str, float]:
    """The judge's accuracy per factor on the real clips of ``split``."""
    if len(split) == 0:
        raise DataError(f"split {split.name!r} holds no clips to score the judge on")
    predictions = judge.predict(split.x, batch_size)
    return {name: float((predictions[name] == split.labels[name]).mean()) for name in judge.factor_names}


@dataclass
class JudgeInfo:
    """What a judge file records besides its weights."""

    dataset: str
    dataset_options: dict[str, Any]
    dataset_fingerprint: str
    test_accuracy: dict[str, float]
    val_accuracy: dict[str, float]
    best_epoch: int
    epochs: int
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class LoadedJudge:
    judge: Judge
    info: JudgeInfo
    path: Path
    sha256: str


def save_judge(path: str | Path, judge: Judge, info: JudgeInfo) -> None:
    """Write the judge and its record to ``path`` atomically."""
    state = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "config": dataclasses.asdict(judge.config),
        "factors": [{"name": f.name, "kind": f.kind, "classes": list(f.classes)} for f in judge.factors],
        "state": {key: value.detach().cpu() for key, value in judge.state_dict().items()},
        "dataset": {
            "name": info.dataset, "options": dict(info.dataset_options), "fingerprint": info.dataset_fingerprint,
        },
        "test_accuracy": dict(info.test_accuracy),
        "val_accuracy": dict(info.val_accuracy),
        "best_epoch": info.best_epoch,
        "epochs": info.epochs,
        "extra": info.extra,
    }
    save_torch(path, state)


def load_judge(path: str | Path, device: str | torch.device = "cpu") -> LoadedJudge:
    """Read a judge file into an eval-mode :class:`Judge` on ``device``, with its SHA-256."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"judge file {path} does not exist (train one with `cdsvae-eval judge train`)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as error:  # torch raises many types for a corrupt or foreign file
        message = f"judge file {path} cannot be read ({type(error).__name__}: {error})"
        raise CheckpointError(message.splitlines()[0]) from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a cdsvae-eval judge file")
    if state.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(f"{path} has judge format {state.get('format_version')}, expected {FORMAT_VERSION}")
    try:
        config = JudgeConfig(**{**state["config"], "conv_channels": tuple(state["config"]["conv_channels"])})
        factors = [Factor(f["name"], f["kind"], tuple(f["classes"])) for f in state["factors"]]
        judge = Judge(config, factors)
        judge.load_state_dict(state["state"])
        dataset = state["dataset"]
        info = JudgeInfo(
            dataset=dataset["name"], dataset_options=dict(dataset["options"]),
            dataset_fingerprint=dataset["fingerprint"],
            test_accuracy=dict(state["test_accuracy"]), val_accuracy=dict(state["val_accuracy"]),
            best_epoch=int(state["best_epoch"]), epochs=int(state["epochs"]),
            extra=dict(state.get("extra", {})),
        )
    except (KeyError, TypeError, RuntimeError, ConfigError) as error:
        message = f"judge file {path} is malformed ({type(error).__name__}: {error})"
        raise CheckpointError(message.splitlines()[0]) from None
    return LoadedJudge(judge=judge.to(device).eval(), info=info, path=path, sha256=sha256_file(path))
