"""How a scored checkpoint was trained and chosen: what every results file records about its model.

Also the guard that a checkpoint is not scored on the identities that chose it: the checkpoint is
selected on the dataset's validation split (``val``, or TIMIT's ``dev``), and a task that evaluates
that same split gets a warning in one line and a note in its results file.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from cdsvae_eval.config import TrainConfig
from cdsvae_eval.data.base import SequenceDataset, code_split_name
from cdsvae_eval.models.selection import selection_rule


def config_sha256(config: dict[str, Any]) -> str:
    """SHA-256 of a config's canonical JSON (sorted keys): equal configs give equal hashes."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()


def training_provenance(state: dict[str, Any], dataset: SequenceDataset) -> dict[str, Any]:
    """Preset, seed, checkpoint epoch, selection split and rule, and the full config with its hash.

    ``state`` is a loaded checkpoint (:func:`~cdsvae_eval.models.checkpoint.load_checkpoint`)."""
    config = TrainConfig.from_dict(state["config"])
    path = Path(state["path"])
    config_json = path.parent / "config.json"
    chosen = path.name == "best.pt"
    return {
        "preset": config.preset,
        "seed": config.seed,
        "dataset": config.dataset,
        "checkpoint_file": path.name,
        "checkpoint_epoch": state.get("epoch"),
        "epochs": config.epochs,
        "selection_split": dataset.validation_split if chosen else None,
        "selection_rule": _recorded_rule(state, config, dataset) if chosen else "none: the last epoch's checkpoint",
        "selection_score": state.get("best_score") if chosen else None,
        "config_sha256": config_sha256(state["config"]),
        "config_path": str(config_json.resolve()) if config_json.is_file() else None,
        "config": state["config"],
    }


def _recorded_rule(state: dict[str, Any], config: TrainConfig, dataset: SequenceDataset) -> str:
    """The rule the trainer recorded in the checkpoint; checkpoints written before it did are described by the
    same function the trainer calls."""
    return state.get("selection_rule") or selection_rule(config, dataset).description


def checkpoint_provenance(run: str | Path, dataset: SequenceDataset | None = None) -> dict[str, Any]:
    """:func:`training_provenance` of a run folder or checkpoint file (its dataset built when not given)."""
    from cdsvae_eval.data.registry import get_dataset
    from cdsvae_eval.models.checkpoint import load_checkpoint

    state = load_checkpoint(run)
    if dataset is None:
        config = TrainConfig.from_dict(state["config"])
        dataset = get_dataset(config.dataset, **config.dataset_options)
    return training_provenance(state, dataset)


class SelectionWarning(UserWarning):
    """A checkpoint is being scored on the split (the identities) that chose it."""


def selection_overlap(training: dict[str, Any] | None, eval_split: str | None) -> str | None:
    """A one-line warning when ``eval_split`` is the split that chose the checkpoint, else None."""
    if not training or eval_split is None:
        return None
    chosen_on = training.get("selection_split")
    if chosen_on is None or _as_code_split(eval_split) != _as_code_split(chosen_on):
        return None
    return (f"scored on split {eval_split!r}, the split whose identities chose this checkpoint "
            f"({training.get('selection_rule')}): the figures are biased upwards; score 'test' for a claim")


def _as_code_split(name: str) -> str:
    """A split named as a dataset or as a code file names it (``dev`` and ``val`` are one split)."""
    return code_split_name(name) or name
