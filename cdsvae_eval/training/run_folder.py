"""A run folder's life: refuse to overwrite a run unless asked, check that a resumed run has the same config
(or the same given more epochs), write the config with its provenance (and each continuation), and clear a
run's own files (never the user's)."""

from __future__ import annotations

import contextlib
import json
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
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


@dataclass(frozen=True)
class RunFolderCheck:
    """What training into a run folder does: replace an earlier run (with ``force``), or continue a run to
    more epochs than it was given (with ``resume``: ``extends_from`` is the epochs it was given)."""

    replaces_run: bool = False
    extends_from: int | None = None


def check_run_folder(run_dir: Path, config: TrainConfig, resume: bool, force: bool) -> RunFolderCheck:
    """Whether training into ``run_dir`` replaces an earlier run (allowed with ``force``); with ``resume``,
    the folder must hold a run of the same config, or of the same config given fewer epochs (continued to
    ``config.epochs`` where that trains as a run given them from the start would)."""
    config_path = run_dir / "config.json"
    if resume:
        if not config_path.is_file():
            raise CheckpointError(f"resume=True: {run_dir} holds no config.json to resume from")
        saved = saved_config(config_path)
        current = json.loads(json.dumps(config.to_dict()))
        changed = sorted(k for k in set(saved) | set(current) if saved.get(k) != current.get(k))
        if changed == ["epochs"] and current["epochs"] > saved["epochs"]:
            check_extension(run_dir, config, saved["epochs"])
            return RunFolderCheck(extends_from=saved["epochs"])
        if changed:
            more = " (a run can be continued to more epochs, with no other change)" if "epochs" in changed else ""
            raise CheckpointError(f"resume=True: {run_dir} was trained with a different config "
                                  f"(differs in: {', '.join(changed)}){more}")
        return RunFolderCheck()
    replaces_run = run_dir.exists() and any(run_dir.iterdir())
    if replaces_run and not force:
        raise CheckpointError(f"run folder {run_dir} already exists; pass resume=True to continue it or "
                              "force=True to replace it")
    return RunFolderCheck(replaces_run=replaces_run)


def check_extension(run_dir: Path, config: TrainConfig, epochs: int) -> None:
    """A run given ``epochs`` continues to ``config.epochs`` exactly as a run given those from the start would
    train, unless it did at its last epoch what such a run does not: the trainer scores the validation
    figures every ``swap_eval_every`` epochs and at the last, which changes the log and the choice of best.pt.
    (Nothing else depends on the total: the learning rate is constant and the contrastive warm-up counts
    epochs from the start.)"""
    if epochs % config.swap_eval_every == 0 or not _reached(run_dir, epochs):
        return
    raise CheckpointError(
        f"resume=True: {run_dir} cannot be continued from {epochs} to {config.epochs} epochs as if it had been "
        f"given {config.epochs} from the start: its epoch {epochs} was scored on the validation split because it "
        f"was the last (swap_eval_every is {config.swap_eval_every}), which a {config.epochs}-epoch run does not "
        "do, so the log and best.pt would differ; train a new run instead")


def _reached(run_dir: Path, epoch: int) -> bool:
    """Whether the run's log records ``epoch``."""
    try:
        lines = (run_dir / "log.jsonl").read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return False
    return any(json.loads(line).get("epoch") == epoch for line in lines if line.strip())


def record_extension(run_dir: Path, config: TrainConfig, from_epochs: int) -> None:
    """``config.json`` of a continued run: the config with its new epochs, and the continuation in
    ``extensions`` (``from_epochs``, ``to_epochs``, ``time_utc``)."""
    config_path = run_dir / "config.json"
    record = json.loads(config_path.read_text(encoding="utf-8"))
    record["config"] = config.to_dict()
    record.setdefault("extensions", []).append({
        "from_epochs": from_epochs, "to_epochs": config.epochs,
        "time_utc": datetime.now(timezone.utc).isoformat(timespec="seconds")})
    write_json(config_path, record)


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
            "sequences": {name: len(dataset.split(name))
                          for name in (dataset.training_split, dataset.validation_split)},
        },
        "device": device,
        "precision": precision,
        "world_size": world_size,
        "provenance": provenance(),
    })
