"""Train a judge with full supervision: fit on train, choose the epoch on val, report test accuracy.

The test split is read once, after the epoch has been chosen; it never influences training.
The selection score is the mean validation accuracy over the judged factors (earliest epoch wins ties).
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from cdsvae_eval.data.registry import get_dataset
from cdsvae_eval.errors import ConfigError
from cdsvae_eval.models.judge import Judge, JudgeConfig, JudgeInfo, judge_accuracy, judged_factors, save_judge
from cdsvae_eval.path_checks import check_output_file
from cdsvae_eval.provenance import provenance, sha256_file
from cdsvae_eval.device import as_float, resolve_device

# Datasets rendered at several sizes get the judge's default size unless one is asked for.
DEFAULT_DATASET_OPTIONS: dict[str, dict[str, Any]] = {"flare-sprites": {"resolution": 32}}


@dataclass
class JudgeReport:
    path: Path
    sha256: str
    config: JudgeConfig
    test_accuracy: dict[str, float]
    val_accuracy: dict[str, float]
    chance: dict[str, float]
    best_epoch: int
    seconds: float
    history: list[dict[str, Any]] = field(default_factory=list)


def judge_dataset_options(dataset_name: str, **given: Any) -> dict[str, Any]:
    """The dataset options a judge trains on: the dataset's judge defaults, then the given non-None ones."""
    return {**DEFAULT_DATASET_OPTIONS.get(dataset_name, {}), **{k: v for k, v in given.items() if v is not None}}


def default_judge_path(dataset_name: str, dataset_options: dict[str, Any]) -> Path:
    """``judges/<dataset>[-<resolution>][-c<max_characters>].pt``."""
    parts = [dataset_name]
    if "resolution" in dataset_options:
        parts.append(str(dataset_options["resolution"]))
    if dataset_options.get("max_characters") is not None:
        parts.append(f"c{dataset_options['max_characters']}")
    return Path("judges") / f"{'-'.join(parts)}.pt"


def train_judge(
    dataset_name: str,
    dataset_options: dict[str, Any],
    out_path: str | Path,
    config: JudgeConfig | None = None,
    device: str = "auto",
    progress: bool = False,
    force: bool = False,
) -> JudgeReport:
    """Train a judge on ``dataset_name`` and write it to ``out_path`` (refused if it exists, unless ``force``)."""
    out_path = check_output_file(out_path, "out_path")
    if out_path.exists() and not force:
        raise ConfigError(f"judge file {out_path} already exists; pass force=True to overwrite it")
    started = time.perf_counter()
    torch_device = resolve_device(device)
    dataset = get_dataset(dataset_name, **dataset_options)
    factors = judged_factors(dataset)
    frames, channels, height, width = dataset.sequence_shape
    if height != width:
        raise ConfigError(f"a judge needs square frames; dataset {dataset_name!r} has {height}x{width}")
    config = (config or JudgeConfig()).resolve(height, channels)

    torch.manual_seed(config.seed)
    judge = Judge(config, factors).to(torch_device)
    optimizer = torch.optim.Adam(judge.parameters(), lr=config.lr)
    train = dataset.split("train")
    val = dataset.split(dataset.validation_split)
    names = judge.factor_names
    train_x = torch.as_tensor(np.ascontiguousarray(train.x)).to(torch_device)
    train_y = torch.as_tensor(np.stack([train.labels[name] for name in names], axis=1)).long().to(torch_device)
    order_generator = torch.Generator().manual_seed(config.seed)
    steps = max(1, len(train_x) // config.batch_size)
    loss_function = nn.CrossEntropyLoss()

    history: list[dict[str, Any]] = []
    best: tuple[float, int, dict[str, torch.Tensor], dict[str, float]] | None = None
    with _progress_bar(progress) as bar:
        task = bar.add_task("judge", total=config.epochs * steps, status="")
        for epoch in range(config.epochs):
            judge.train()
            order = torch.randperm(len(train_x), generator=order_generator).to(torch_device)
            loss_sum = torch.zeros((), device=torch_device)
            for step in range(steps):
                index = order[step * config.batch_size:(step + 1) * config.batch_size]
                logits = judge(as_float(train_x[index]))
                loss = sum(loss_function(logits[name], train_y[index, k]) for k, name in enumerate(names))
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                loss_sum += loss.detach()
                bar.update(task, advance=1)
            val_accuracy = judge_accuracy(judge, val)
            score = float(np.mean(list(val_accuracy.values())))
            history.append({"epoch": epoch + 1, "train_loss": float(loss_sum) / steps, "val_accuracy": val_accuracy})
            bar.update(task, status=f"epoch {epoch + 1}: val motion {val_accuracy[names[0]]:.3f} mean {score:.3f}")
            if best is None or score > best[0]:
                best = (score, epoch + 1, copy.deepcopy(judge.state_dict()), val_accuracy)

    assert best is not None  # config.epochs >= 1 is checked by JudgeConfig.resolve
    _, best_epoch, best_state, best_val = best
    judge.load_state_dict(best_state)
    test = dataset.split("test")
    test_accuracy = judge_accuracy(judge, test)
    chance = {name: float(np.bincount(test.labels[name]).max() / len(test)) for name in names}
    info = JudgeInfo(
        dataset=dataset_name, dataset_options=dict(dataset_options), dataset_fingerprint=dataset.fingerprint(),
        test_accuracy=test_accuracy, val_accuracy=best_val, best_epoch=best_epoch, epochs=config.epochs,
        extra={"provenance": provenance(), "history": history, "chance": chance,
               "train_sequences": len(train), "val_sequences": len(val), "test_sequences": len(test),
               "device": str(torch_device)},
    )
    save_judge(out_path, judge, info)
    return JudgeReport(
        path=out_path, sha256=sha256_file(out_path), config=config, test_accuracy=test_accuracy,
        val_accuracy=best_val, chance=chance, best_epoch=best_epoch, seconds=time.perf_counter() - started,
        history=history,
    )


def _progress_bar(enabled: bool) -> Any:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    return Progress(
        TextColumn("[bold]judge"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[status]}"),
        disable=not enabled,
    )
