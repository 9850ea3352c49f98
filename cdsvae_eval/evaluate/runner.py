"""Run one task by name: build its options, check its needs, time it, write its results file.

    result, path = run_task("classify", TaskInputs(codes=load_codes("codes.npz")), out_dir="results")
"""

from __future__ import annotations

import numbers
import time
import warnings
from pathlib import Path
from typing import Any, Mapping

from cdsvae_eval.draw.images import save_image_grid
from cdsvae_eval.draw.plots import plot_few_shot_curves
from cdsvae_eval.errors import CdsvaeError, ConfigError, FieldError, WriteError
from cdsvae_eval.evaluate.options import build_options
from cdsvae_eval.evaluate.results import result_path, result_record, write_result
from cdsvae_eval.models.checkpoint_provenance import SelectionWarning, checkpoint_provenance, selection_overlap
from cdsvae_eval.path_checks import check_output_dir
from cdsvae_eval.tasks.base import TASK_INPUTS, Figure, Task, TaskInputs, TaskResult
from cdsvae_eval.tasks.registry import get_task

def run_task(
    name: str,
    inputs: TaskInputs,
    options: Mapping[str, Any] | None = None,
    seed: int = 0,
    out_dir: str | Path | None = None,
    force: bool = False,
    *,
    codes_path: str | Path | None = None,
    checkpoint: str | Path | None = None,
) -> tuple[TaskResult, Path | None]:
    """Run task ``name`` on ``inputs``; with ``out_dir``, write ``<out_dir>/<task>.json`` and return its path.

    ``options`` maps option names to values or to strings parsed by the option's type (as given on
    the command line); ``codes_path`` and ``checkpoint`` are recorded in the results file, with how the
    checkpoint was trained and chosen. Scoring the split that chose the checkpoint warns
    (:class:`~cdsvae_eval.models.checkpoint_provenance.SelectionWarning`) and the results file says so.
    """
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise FieldError("seed", f"must be an integer >= 0, got {seed!r}")
    if out_dir is not None:
        check_output_dir(out_dir, "out_dir")
    task = get_task(name)
    task_options = build_options(task, options)
    missing = missing_needs(task, inputs)
    if missing:
        wanted = " and ".join(TASK_INPUTS[need] for need in missing)
        raise ConfigError(f"task {task.name!r} needs {wanted}, which was not given")
    if out_dir is not None and not force and result_path(out_dir, task.name).exists():
        raise ConfigError(f"results file {result_path(out_dir, task.name)} already exists; pass force=True to overwrite it")
    start = time.perf_counter()
    try:
        result = task().run(inputs, task_options, seed, Path(out_dir) if out_dir is not None else None)
    except CdsvaeError as error:
        if task.name in str(error) or isinstance(error, WriteError):  # a failed write names its file
            raise
        raise type(error)(f"task {task.name!r}: {error}") from None
    wall_time_s = time.perf_counter() - start
    training = _training(inputs, checkpoint)
    overlap = selection_overlap(training, getattr(task_options, "split", None))
    if overlap is not None:
        result.protocol["selection_warning"] = overlap
        warnings.warn(f"task {task.name!r}: {overlap}", SelectionWarning, stacklevel=2)
    if out_dir is None:
        return result, None
    result.artifacts.extend(draw_figures(result.figures, Path(out_dir)))
    record = result_record(
        task,
        result,
        options=task_options,
        seed=seed,
        wall_time_s=wall_time_s,
        codes=inputs.codes,
        codes_path=codes_path,
        checkpoint=checkpoint,
        training=training,
        baseline_codes=inputs.baseline_codes,
    )
    return result, write_result(record, out_dir, force=force)


def _training(inputs: TaskInputs, checkpoint: str | Path | None) -> dict[str, Any] | None:
    """How the scored model was trained: from the codes' metadata, else read from ``checkpoint`` when it
    exists (a checkpoint given only as a label records nothing more)."""
    if inputs.codes is not None and inputs.codes.meta.get("training"):
        return inputs.codes.meta["training"]
    if checkpoint is None or not Path(checkpoint).exists():
        return None
    return checkpoint_provenance(checkpoint, inputs.dataset)


def draw_figures(figures: Mapping[str, Figure], out_dir: Path) -> list[str]:
    """Draw a task's figures into ``out_dir``; returns their file names."""
    for name, figure in figures.items():
        if figure.kind == "curves":
            plot_few_shot_curves(figure.data, out_dir / name, **figure.options)
        else:
            save_image_grid(figure.data, out_dir / name, **figure.options)
    return list(figures)


def missing_needs(task: type[Task], inputs: TaskInputs) -> list[str]:
    """The needs of ``task`` that ``inputs`` do not satisfy, in a stable order."""
    return sorted(need for need in task.needs if getattr(inputs, need) is None)
