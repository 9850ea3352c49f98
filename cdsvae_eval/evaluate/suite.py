"""Run every task that applies to some inputs (or a chosen few), skipping the rest with reasons.

    from cdsvae_eval.evaluate import inputs_from_checkpoint, run_suite
    suite = run_suite(inputs_from_checkpoint("runs/demo"), out_dir="runs/demo/probes", checkpoint="runs/demo")
    for run in suite.ran: print(run.name, run.result.metrics)
    for skip in suite.skipped: print(skip.name, skip.reason)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cdsvae_eval.errors import CdsvaeError, ConfigError, WriteError
from cdsvae_eval.evaluate.options import option_names
from cdsvae_eval.evaluate.runner import missing_needs, run_task
from cdsvae_eval.models.checkpoint_provenance import SelectionWarning
from cdsvae_eval.tasks.base import TaskInputs, TaskResult
from cdsvae_eval.tasks.registry import get_task, list_tasks

ALL_TASKS = "all"


@dataclass(frozen=True)
class TaskRun:
    """One task that ran: its result and, when written, its results file."""

    name: str
    result: TaskResult
    path: Path | None


@dataclass(frozen=True)
class Skip:
    """A task that did not run, and why: ``kind`` is ``unavailable`` (its plug-in cannot load), ``needs``
    (the inputs lack what it needs) or ``failed`` (it refused these inputs with a user-facing error)."""

    name: str
    reason: str
    kind: str


@dataclass
class SuiteResult:
    ran: list[TaskRun] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)

    @property
    def paths(self) -> list[Path]:
        return [run.path for run in self.ran if run.path is not None]


def suite_tasks(tasks: str | Sequence[str] = ALL_TASKS) -> tuple[list[str], list[Skip]]:
    """The task names to run (``"all"``: every available task) and the unavailable ones, with reasons."""
    if isinstance(tasks, str) and tasks != ALL_TASKS:
        tasks = [tasks]
    if not isinstance(tasks, str):
        return [get_task(name).name for name in tasks], []
    entries = list_tasks()
    unavailable = [Skip(entry.name, f"unavailable ({entry.error})", "unavailable")
                   for entry in entries if not entry.available]
    return [entry.name for entry in entries if entry.available], unavailable


def check_suite_options(names: Sequence[str], options: Mapping[str, Any], field_name: str = "options") -> None:
    """Every option must belong to at least one of the tasks (an option meant for one task is passed
    only to the tasks that have it)."""
    known = {option for name in names for option in option_names(get_task(name))}
    for key in options:
        if key not in known:
            listed = ", ".join(sorted(known)) or "none"
            raise ConfigError(f"{field_name} {key!r} is not an option of task(s) {', '.join(names)} "
                              f"(options: {listed})")


def run_suite(
    inputs: TaskInputs,
    tasks: str | Sequence[str] = ALL_TASKS,
    options: Mapping[str, Any] | None = None,
    seed: int = 0,
    out_dir: str | Path | None = None,
    force: bool = False,
    *,
    codes_path: str | Path | None = None,
    checkpoint: str | Path | None = None,
    on_result: Callable[[TaskRun], None] | None = None,
    on_skip: Callable[[Skip], None] | None = None,
) -> SuiteResult:
    """Run ``tasks`` (``"all"``, one name or a list) on ``inputs`` with :func:`run_task`.

    With ``"all"``, a task whose needs the inputs lack, or that fails on them with a user-facing error
    (too few rows, a factor it needs), is skipped with the reason, and the others still run; naming
    tasks explicitly makes any such problem an error. Each task gets the options it has. At least one
    task must run. ``on_result``/``on_skip`` are called as each task finishes (progress for the CLI).
    """
    options = dict(options or {})
    names, skipped = suite_tasks(tasks)
    check_suite_options(names, options)
    lenient = tasks == ALL_TASKS
    suite = SuiteResult(skipped=list(skipped))
    for skip in skipped:
        if on_skip is not None:
            on_skip(skip)
    for name in names:
        task = get_task(name)
        missing = missing_needs(task, inputs)
        if missing and lenient:
            _skip(suite, Skip(name, f"needs {', '.join(missing)}", "needs"), on_skip)
            continue
        task_options = {key: value for key, value in options.items() if key in option_names(task)}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SelectionWarning)  # the results file records it
                result, path = run_task(name, inputs, task_options, seed, out_dir, force,
                                        codes_path=codes_path, checkpoint=checkpoint)
        except CdsvaeError as error:
            if not lenient or isinstance(error, WriteError):  # a full disk stops the suite, it skips no task
                raise
            _skip(suite, Skip(name, str(error), "failed"), on_skip)
            continue
        run = TaskRun(name, result, path)
        suite.ran.append(run)
        if on_result is not None:
            on_result(run)
    if not suite.ran and lenient:
        raise ConfigError("no task could run on these inputs (see the reasons above)")
    return suite


def _skip(suite: SuiteResult, skip: Skip, on_skip: Callable[[Skip], None] | None) -> None:
    suite.skipped.append(skip)
    if on_skip is not None:
        on_skip(skip)
