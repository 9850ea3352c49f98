"""Checkpoints: atomic writes, format checks, and loading a trained model (and its dataset) back.

Below the trainer and the evaluation alike: scoring a run needs no part of ``training``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from cdsvae_eval.atomic import save_torch
from cdsvae_eval.config import TrainConfig
from cdsvae_eval.data.base import SequenceDataset
from cdsvae_eval.data.registry import get_dataset
from cdsvae_eval.device import reuse_freed_memory_on
from cdsvae_eval.errors import CheckpointError
from cdsvae_eval.models.core import CDSVAE
from cdsvae_eval.models.factory import build_model
from cdsvae_eval.provenance import sha256_file

FORMAT = "cdsvae-eval-checkpoint"
FORMAT_VERSION = 1


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    save_torch(path, {"format": FORMAT, "format_version": FORMAT_VERSION, **state})


def resolve_checkpoint(path: str | Path) -> Path:
    """A run folder means its ``best.pt`` (else ``last.pt``); a file is taken as it is."""
    path = Path(path)
    if path.is_dir():
        for name in ("best.pt", "last.pt"):
            if (path / name).is_file():
                return path / name
        raise CheckpointError(f"run folder {path} holds no best.pt or last.pt")
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    return path


def run_data_root(path: str | Path) -> str | None:
    """The data root the run was trained on, from the ``config.json`` beside its checkpoint (None when
    the dataset needs none or the config cannot be read): outputs of commands on the run stay out of it."""
    config_path = resolve_checkpoint(path).parent / "config.json"
    try:
        return json.loads(config_path.read_text(encoding="utf-8"))["config"]["dataset_options"].get("data_root")
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    path = resolve_checkpoint(path)
    try:
        state = torch.load(path, map_location=map_location, weights_only=False)
    except Exception as error:  # torch raises many types for a corrupt or foreign file
        raise CheckpointError(f"checkpoint {path} cannot be read ({type(error).__name__}: {error})".splitlines()[0]) from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a cdsvae-eval checkpoint")
    if state.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(f"{path} has checkpoint format {state.get('format_version')}, expected {FORMAT_VERSION}")
    state["path"] = str(path)
    return state


class TrainedRun:
    """A run's checkpoint read once: its config and state now; its dataset built, and its trained model
    rebuilt on a device, on first use (a code-cache hit needs the config and the dataset, not the weights)."""

    def __init__(self, run: str | Path) -> None:
        self.state = load_checkpoint(run)
        self.path = Path(self.state["path"])
        try:
            self.config = TrainConfig.from_dict(self.state["config"])
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise _unreadable(self.path, error) from None
        self._dataset: SequenceDataset | None = None
        self._sha256: str | None = None
        self._models: dict[str, CDSVAE] = {}

    @property
    def dataset(self) -> SequenceDataset:
        """The dataset the run was trained on, built once."""
        if self._dataset is None:
            self._dataset = get_dataset(self.config.dataset, **self.config.dataset_options)
        return self._dataset

    @property
    def sha256(self) -> str:
        """The checkpoint file's SHA-256, read once."""
        if self._sha256 is None:
            self._sha256 = sha256_file(self.path)
        return self._sha256

    def model(self, device: str | torch.device = "cpu") -> CDSVAE:
        """The trained model in eval mode on ``device``, rebuilt once per device from the weights read at
        construction (extracting codes leaves it unchanged, so the codes and the decoder share it)."""
        if str(device) not in self._models:
            self._models[str(device)] = self._build_model(device)
        return self._models[str(device)]

    def _build_model(self, device: str | torch.device) -> CDSVAE:
        try:
            weights = self.state["model_state"]
        except KeyError as error:
            raise _unreadable(self.path, error) from None
        model = build_model(self.config.model)
        try:
            model.load_state_dict(weights)
        except (RuntimeError, TypeError, AttributeError) as error:
            raise CheckpointError(f"{self.path}: weights do not fit the model in its config "
                                  f"({str(error).splitlines()[0]})") from None
        return model.to(device).eval()


def _unreadable(path: Path, error: Exception) -> CheckpointError:
    return CheckpointError(f"{path} holds no config and weights this version can read "
                           f"({type(error).__name__}: {error})")


def load_model(path: str | Path, device: str | torch.device = "cpu") -> tuple[CDSVAE, TrainConfig, dict[str, Any]]:
    """Rebuild the model of a checkpoint (or run folder) in eval mode on ``device``."""
    run = TrainedRun(path)
    return run.model(device), run.config, run.state


def model_and_dataset(run: str | Path, device: str = "cpu") -> tuple[CDSVAE, SequenceDataset]:
    """The trained model of a run (or checkpoint) in eval mode, and the dataset it was trained on."""
    trained = TrainedRun(run)
    model = trained.model(device)
    reuse_freed_memory_on(device)  # decoding swaps allocates like training does
    return model, trained.dataset
