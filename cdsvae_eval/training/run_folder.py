"""A run folder's life: refuse to overwrite a run unless asked, check that a resumed run has the same config,
write the config with its provenance, and clear a run's own files (never the user's)."""

from __future__ import annotations

import contextlib
import json
import shutil
from pathlib import Path
from typing import Any

from cdsvae_eval.atomic import write_json
from cdsvae_eval.config import TrainConfig
from cdsvae_eval.data.base import SequenceDataset
from cdsvae_eval.errors import CheckpointError
from cdsvae_eval.provenance import provenance

RUN_FILES = ("config.json", "log.jsonl", "last.pt", "best.pt", "summary.json")


def saved_config(config_path: Path) -> dict[str, Any]:
    """The run's saved config with the defaults of options added since it was written filled in."""
    try:
        saved = TrainConfig.from_dict(json.loads(config_path.read_text())["config"])
    except (KeyError, TypeError, ValueError) as error:
        raise CheckpointError(f"resume=True: {config_path} holds a config this version cannot read ({error})") from None
    return json.loads(json.dumps(saved.to_dict()))


def check_run_folder(run_dir: Path, config: TrainConfig, resume: bool, force: bool) -> bool:
    """Whether training into ``run_dir`` replaces an earlier run (allowed with ``force``); with ``resume``,
    the folder must hold a run of the same config."""
    config_path = run_dir / "config.json"
    if resume:
        if not config_path.is_file():
            raise CheckpointError(f"resume=True: {run_dir} holds no config.json to resume from")
        saved = saved_config(config_path)
        current = json.loads(json.dumps(config.to_dict()))
        if saved != current:
            changed = sorted(k for k in set(saved) | set(current) if saved.get(k) != current.get(k))
            raise CheckpointError(
                f"resume=True: {run_dir} was trained with a different config (differs in: {', '.join(changed)})")
        return False
    replaces_run = run_dir.exists() and any(run_dir.iterdir())
    if replaces_run and not force:
        raise CheckpointError(f"run folder {run_dir} already exists; pass resume=True to continue it or "
                              "force=True to replace it")
    return replaces_run


def remove_previous_run(run_dir: Path) -> None:
    """With ``force``, the old run's files go only once the new run has its data and model (files of the
    user's stay)."""
    for name in RUN_FILES:
        (run_dir / name).unlink(missing_ok=True)
    shutil.rmtree(run_dir / "checkpoints", ignore_errors=True)


def remove_run_files(run_dir: Path) -> None:
    """The files this run wrote, and the folder itself when nothing else is left in it."""
    for name in RUN_FILES:
        (run_dir / name).unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        run_dir.rmdir()  # only when empty: files of the user's stay


def write_run_config(run_dir: Path, config: TrainConfig, dataset: SequenceDataset, device: str, precision: str,
                     world_size: int) -> None:
    """``config.json``: the full config (every seed in it), the data's fingerprint and counts, where and in
    which precision it trains, and the provenance (git hash, package versions, host, time)."""
    write_json(run_dir / "config.json", {
        "config": config.to_dict(),
        "seed": config.seed,
        "dataset": {
            "name": dataset.name,
            "fingerprint": dataset.fingerprint(),
            "sequences": {name: len(dataset.split(name)) for name in ("train", dataset.validation_split)},
        },
        "device": device,
        "precision": precision,
        "world_size": world_size,
        "provenance": provenance(),
    })
