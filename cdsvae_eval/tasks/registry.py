"""Tasks by name: built-ins, tasks registered in code, and third-party plug-ins.

Three sources (:class:`~cdsvae_eval.registry.LazyRegistry`), looked up in this order:

- built-ins: lazy ``"module:attr"`` targets, imported only when the task is used or listed;
- ``@register_task``: classes registered by importing a module (tests, notebooks);
- the ``cdsvae_eval.tasks`` entry-point group: installed packages declare
  ``my-task = my_package.module:MyTask``; only the names are read until a task is needed.

A target that fails to import, whatever its module raises, is shown by :func:`list_tasks` as unavailable
with its error on one line, and :func:`get_task` raises a one-line :class:`ConfigError` for it; it never
hides the other tasks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, TypeVar

from cdsvae_eval.errors import ConfigError
from cdsvae_eval.registry import LazyRegistry, distribution_name, one_line, qualified
from cdsvae_eval.tasks.base import TASK_INPUTS, MetricSpec, Task

ENTRY_POINT_GROUP = "cdsvae_eval.tasks"

_BUILTIN: dict[str, str] = {
    "speaker-eer": "cdsvae_eval.tasks.speaker_eer:SpeakerEER",
    "classify": "cdsvae_eval.tasks.classify:Classify",
    "code-usage": "cdsvae_eval.tasks.code_usage:CodeUsage",
    "few-shot": "cdsvae_eval.tasks.few_shot:FewShot",
    "speaker-few-shot": "cdsvae_eval.tasks.speaker_few_shot:SpeakerFewShot",
    "frame-probe": "cdsvae_eval.tasks.frame_probe:FrameProbe",
    "speech-swap": "cdsvae_eval.tasks.speech_swap:SpeechSwap",
    "swap-oracle": "cdsvae_eval.tasks.swap_oracle:SwapOracle",
    "judge-swap": "cdsvae_eval.tasks.judge_swap:JudgeSwap",
}


def _check_task_attributes(cls: object, where: str) -> None:
    if not (isinstance(cls, type) and issubclass(cls, Task)):
        raise ConfigError(f"{where} is not a subclass of cdsvae_eval.tasks.Task")
    missing = [attr for attr in ("name", "version", "description") if not isinstance(getattr(cls, attr, None), str)]
    if missing:
        raise ConfigError(f"task class {where} lacks the string attribute(s) {', '.join(missing)}")
    for attr in ("needs", "uses"):
        declared = getattr(cls, attr)
        if isinstance(declared, str) or not all(isinstance(need, str) for need in declared):
            raise ConfigError(f"task class {where}: {attr} must be a set of input names, got {declared!r}")
        unknown = sorted(set(declared) - set(TASK_INPUTS))
        if unknown:
            raise ConfigError(f"task class {where}: {attr} names unknown input(s) {', '.join(map(repr, unknown))} "
                              f"(known: {', '.join(TASK_INPUTS)})")


def _check_task_class(name: str, cls: object, where: str) -> None:
    _check_task_attributes(cls, where)
    if cls.name != name:
        raise ConfigError(f"task {name!r} points to {where}, whose name is {cls.name!r}")


TASKS = LazyRegistry(
    kind="task",
    builtins=_BUILTIN,
    entry_point_group=ENTRY_POINT_GROUP,
    aliases={"speaker_eer": "speaker-eer", "few_shot": "few-shot", "speaker_few_shot": "speaker-few-shot",
             "frame_probe": "frame-probe", "speech_swap": "speech-swap"},
    check=_check_task_class,
)

TaskClass = TypeVar("TaskClass", bound=type[Task])


@dataclass(frozen=True)
class TaskEntry:
    """What ``tasks list`` shows about one task. ``error`` is set when the task cannot be loaded."""

    name: str
    source: str
    version: str | None = None
    description: str = ""
    needs: tuple[str, ...] = ()
    metrics: tuple[MetricSpec, ...] = ()
    aliases: tuple[str, ...] = ()
    error: str | None = None

    @property
    def available(self) -> bool:
        return self.error is None


def register_task(
    cls: TaskClass | None = None, *, aliases: tuple[str, ...] = ()
) -> TaskClass | Callable[[TaskClass], TaskClass]:
    """Class decorator: ``@register_task`` or ``@register_task(aliases=("short",))``."""

    def decorator(task_cls: TaskClass) -> TaskClass:
        _check_task_attributes(task_cls, qualified(task_cls))
        if _BUILTIN.get(task_cls.name) == f"{task_cls.__module__}:{task_cls.__qualname__}":
            TASKS.add_aliases(task_cls.name, aliases)
        else:
            TASKS.register(task_cls.name, task_cls, aliases)
        return task_cls

    return decorator(cls) if cls is not None else decorator


def get_task(name: str) -> type[Task]:
    """The task class called ``name`` (or one of its aliases); a :class:`ConfigError` if unknown."""
    return TASKS.get(name)


def task_names() -> list[str]:
    """Every known task name, without importing any task."""
    return TASKS.names()


def list_tasks() -> list[TaskEntry]:
    """Every task with its version, needs and metrics (built-ins, registered, then plug-ins, each sorted);
    imports each task to read them."""
    entries = [_entry(name, "builtin", target) for name, target in sorted(TASKS.builtins.items())]
    entries += [_entry(name, TASKS.source(name)) for name in sorted(TASKS.registered)]
    for name, point in sorted(TASKS.entry_points().items()):
        source = f"entry point {distribution_name(point)}"
        if name in TASKS.builtins or name in TASKS.registered:
            entries.append(TaskEntry(name=name, source=source, error="name already taken by another task"))
        else:
            entries.append(_entry(name, source, point.value))
    return entries


def _entry(name: str, source: str, target: str | None = None) -> TaskEntry:
    """What ``tasks list`` shows of the registered task ``name``, or of the one ``target`` imports."""
    try:
        cls = TASKS.registered[name] if target is None else TASKS.import_checked(name, target)
    except Exception as error:  # a broken plug-in must never hide the other tasks
        return TaskEntry(name=name, source=source, error=one_line(error))
    return TaskEntry(
        name=name,
        source=source,
        version=cls.version,
        description=cls.description,
        needs=tuple(sorted(cls.needs)),
        metrics=tuple(cls.metric_specs),
        aliases=TASKS.aliases_of(name),
    )
