"""What tasks are scored on: frozen codes from a code file or a trained run, with the run's decoder and
dataset when a task can use them, and the codes of a random-init model as a baseline."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from cdsvae_eval.codes import codes_for_checkpoint, load_codes
from cdsvae_eval.device import resolve_device, reuse_freed_memory_on
from cdsvae_eval.errors import ConfigError
from cdsvae_eval.tasks.base import TaskInputs
from cdsvae_eval.tasks.registry import get_task


def inputs_from_codes(codes_path: str | Path, baseline_codes: str | Path | None = None,
                      device: str = "cpu") -> TaskInputs:
    """Inputs from a code file (and, optionally, the code file of a baseline model scored alongside)."""
    baseline = load_codes(baseline_codes) if baseline_codes is not None else None
    return TaskInputs(codes=load_codes(codes_path), baseline_codes=baseline, device=device)


def inputs_from_checkpoint(checkpoint: str | Path, device: str = "auto", with_model: bool = True,
                           random_baseline: bool = False, baseline_codes: str | Path | None = None,
                           random_init_seed: int = 0) -> TaskInputs:
    """Inputs from a run folder (or checkpoint file): its codes of every split, and with ``with_model``
    its decoder and dataset (tasks that decode swaps need them; others ignore them).

    ``random_baseline`` adds the codes of a model of the same architecture initialised with
    ``random_init_seed``; ``baseline_codes`` reads a baseline from a code file instead."""
    from cdsvae_eval.models.checkpoint import TrainedRun

    if random_baseline and baseline_codes is not None:
        raise ConfigError("give either baseline_codes or random_baseline, not both")
    resolved = str(resolve_device(device))
    trained = TrainedRun(checkpoint)  # read once: the codes, the baseline, the model and the dataset share it
    codes = codes_for_checkpoint(trained, device=resolved)
    if random_baseline:
        baseline = codes_for_checkpoint(trained, device=resolved, random_init=True, random_init_seed=random_init_seed)
    else:
        baseline = load_codes(baseline_codes) if baseline_codes is not None else None
    model, dataset = None, None
    if with_model:
        model, dataset = trained.model(resolved), trained.dataset
        reuse_freed_memory_on(resolved)  # decoding swaps allocates like training does
    return TaskInputs(codes=codes, baseline_codes=baseline, decoder=model, dataset=dataset, device=resolved)


def tasks_use_model(names: Iterable[str]) -> bool:
    """Whether any of the tasks needs or can use a decoder or a dataset (so they are worth loading)."""
    return any((get_task(name).needs | get_task(name).uses) & {"decoder", "dataset"} for name in names)
