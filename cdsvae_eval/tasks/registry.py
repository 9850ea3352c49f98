"""Tasks by name: built-ins, tasks registered in code, and third-party plug-ins.

Three sources, looked up in this order:

- built-ins: lazy ``"module:attr"`` targets, imported only when the task is used or listed;
- ``@register_task``: classes registered by importing a module (tests, notebooks);
- the ``cdsvae_eval.tasks`` entry-point group: installed packages declare
  ``my-task = my_package.module:MyTask``; only the names are read until a task is needed.

A target that fails to import, whatever its module raises, is shown by :func:`list_tasks` as unavailable
with its error on one line, and :func:`get_task` raises a one-line :class:`ConfigError` for it; it never
hides the other tasks.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from importlib import metadata
from typing import Callable, TypeVar

from cdsvae_eval.errors import ConfigError
from cdsvae_eval.tasks.base import MetricSpec, Task

ENTRY_POINT_GROUP = "cdsvae_eval.tasks"

_BUILTIN: dict[str, str] = {
    "speaker-eer": "cdsvae_eval.tasks.speaker_eer:SpeakerEER",
    "classify": "cdsvae_eval.tasks.classify:Classify",
    "code-usage": "cdsvae_eval.tasks.code_usage:CodeUsage",
    "few-shot": "cdsvae_eval.tasks.few_shot:FewShot",
    "swap-oracle": "cdsvae_eval.tasks.swap_oracle:SwapOracle",
    "judge-swap": "cdsvae_eval.tasks.judge_swap:JudgeSwap",
}
_ALIASES: dict[str, str] = {"speaker_eer": "speaker-eer", "few_shot": "few-shot"}
_REGISTERED: dict[str, type[Task]] = {}

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
        _check_task_class(task_cls, where=f"{task_cls.__module__}.{task_cls.__qualname__}")
        name = task_cls.name
        if not _is_builtin_target(name, task_cls):
            known = _REGISTERED.get(name)
            if name in _BUILTIN or (known is not None and _qualified(known) != _qualified(task_cls)):
                raise ConfigError(f"task name {name!r} is already taken; {_qualified(task_cls)} needs another name")
            _REGISTERED[name] = task_cls
        for alias in aliases:
            owner = _ALIASES.get(alias)
            if owner is not None and owner != name:
                raise ConfigError(f"task alias {alias!r} already points to {owner!r}")
            _ALIASES[alias] = name
        return task_cls

    return decorator(cls) if cls is not None else decorator


def get_task(name: str) -> type[Task]:
    """The task class called ``name`` (or one of its aliases); a :class:`ConfigError` if unknown."""
    name = _ALIASES.get(name, name)
    if name in _BUILTIN:
        return _load_target(name, _BUILTIN[name])
    if name in _REGISTERED:
        return _REGISTERED[name]
    entry_point = _entry_points().get(name)
    if entry_point is None:
        raise ConfigError(f"unknown task {name!r} (known: {', '.join(task_names())})")
    return _load_target(name, entry_point.value)


def task_names() -> list[str]:
    """Every known task name, without importing any task."""
    return sorted(set(_BUILTIN) | set(_REGISTERED) | set(_entry_points()))


def list_tasks() -> list[TaskEntry]:
    """Every task with its version, needs and metrics; imports each task to read them."""
    entries = [_entry(name, _BUILTIN[name], "builtin") for name in sorted(_BUILTIN)]
    entries += [_describe(name, cls, f"registered in {cls.__module__}") for name, cls in sorted(_REGISTERED.items())]
    for name, entry_point in sorted(_entry_points().items()):
        source = f"entry point {_dist_name(entry_point)}"
        if name in _BUILTIN or name in _REGISTERED:
            entries.append(TaskEntry(name=name, source=source, error="name already taken by another task"))
        else:
            entries.append(_entry(name, entry_point.value, source))
    return entries


def _entry(name: str, target: str, source: str) -> TaskEntry:
    try:
        cls = _import_target(name, target)
    except Exception as error:  # a broken plug-in must never hide the other tasks
        return TaskEntry(name=name, source=source, error=_one_line(error))
    return _describe(name, cls, source)


def _describe(name: str, cls: type[Task], source: str) -> TaskEntry:
    return TaskEntry(
        name=name,
        source=source,
        version=cls.version,
        description=cls.description,
        needs=tuple(sorted(cls.needs)),
        metrics=tuple(cls.metric_specs),
        aliases=tuple(sorted(alias for alias, owner in _ALIASES.items() if owner == name)),
    )


def _load_target(name: str, target: str) -> type[Task]:
    try:
        return _import_target(name, target)
    except Exception as error:  # a plug-in's module can raise anything at import
        raise ConfigError(f"task {name!r} is unavailable ({target}: {_one_line(error)})") from None


def _import_target(name: str, target: str) -> type[Task]:
    module_name, _, attr = target.partition(":")
    cls = getattr(importlib.import_module(module_name), attr)
    _check_task_class(cls, where=target)
    if cls.name != name:
        raise ConfigError(f"task {name!r} points to {target}, whose name is {cls.name!r}")
    return cls


def _check_task_class(cls: object, where: str) -> None:
    if not (isinstance(cls, type) and issubclass(cls, Task)):
        raise ConfigError(f"{where} is not a subclass of cdsvae_eval.tasks.Task")
    missing = [attr for attr in ("name", "version", "description") if not isinstance(getattr(cls, attr, None), str)]
    if missing:
        raise ConfigError(f"task class {where} lacks the string attribute(s) {', '.join(missing)}")


def _entry_points() -> dict[str, metadata.EntryPoint]:
    return {entry_point.name: entry_point for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP)}


def _dist_name(entry_point: metadata.EntryPoint) -> str:
    dist = getattr(entry_point, "dist", None)
    return dist.name if dist is not None else "(unknown distribution)"


def _is_builtin_target(name: str, cls: type) -> bool:
    return _BUILTIN.get(name) == f"{cls.__module__}:{cls.__qualname__}"


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if not isinstance(error, ConfigError) else text
