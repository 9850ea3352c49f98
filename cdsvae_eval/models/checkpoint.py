"""Checkpoints: atomic writes, format checks, and loading a trained model (and its dataset) back.

Below the trainer and the evaluation alike: scoring a run needs no part of ``training``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from cdsvae_eval.atomic import atomic_path
from cdsvae_eval.config import TrainConfig
from cdsvae_eval.data.base import SequenceDataset
from cdsvae_eval.data.registry import get_dataset
from cdsvae_eval.device import reuse_freed_memory_on
from cdsvae_eval.errors import CheckpointError
from cdsvae_eval.models.core import CDSVAE
from cdsvae_eval.models.factory import build_model

FORMAT = "cdsvae-eval-checkpoint"
FORMAT_VERSION = 1


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    with atomic_path(path) as tmp:
        torch.save({"format": FORMAT, "format_version": FORMAT_VERSION, **state}, tmp)


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


def load_model(path: str | Path, device: str | torch.device = "cpu") -> tuple[CDSVAE, TrainConfig, dict[str, Any]]:
    """Rebuild the model of a checkpoint (or run folder) in eval mode on ``device``."""
    state = load_checkpoint(path)
    try:
        config = TrainConfig.from_dict(state["config"])
        weights = state["model_state"]
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise CheckpointError(f"{state['path']} holds no config and weights this version can read "
                              f"({type(error).__name__}: {error})") from None
    model = build_model(config.model)
    try:
        model.load_state_dict(weights)
    except (RuntimeError, TypeError, AttributeError) as error:
        raise CheckpointError(f"{state['path']}: weights do not fit the model in its config ({str(error).splitlines()[0]})") from None
    return model.to(device).eval(), config, state


def model_and_dataset(run: str | Path, device: str = "cpu") -> tuple[CDSVAE, SequenceDataset]:
    """The trained model of a run (or checkpoint) in eval mode, and the dataset it was trained on."""
    model, config, _ = load_model(run, device=device)
    reuse_freed_memory_on(device)  # decoding swaps allocates like training does
    return model, get_dataset(config.dataset, **config.dataset_options)
