"""A task's options: its ``Options`` dataclass built from values or from text typed on a command line."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any, Mapping

from cdsvae_eval.errors import ConfigError
from cdsvae_eval.tasks.base import Task
from cdsvae_eval.text_values import parse_text, type_name


def option_names(task: type[Task]) -> list[str]:
    """The names of ``task``'s options, in declaration order."""
    return [field.name for field in dataclasses.fields(task.Options)]


def build_options(task: type[Task], values: Mapping[str, Any] | None) -> Any:
    """The task's ``Options`` dataclass from ``values``; strings are parsed by each field's type."""
    values = dict(values or {})
    known = option_names(task)
    unknown = [key for key in values if key not in known]
    if unknown:
        listed = ", ".join(known) if known else "none"
        raise ConfigError(f"task {task.name!r} has no option {unknown[0]!r} (its options: {listed})")
    hints = typing.get_type_hints(task.Options)
    parsed = {}
    for key, value in values.items():
        if isinstance(value, str):
            parsed[key] = parse_option_value(value, hints[key], key, task.name)
        elif isinstance(value, list):
            parsed[key] = tuple(value)
        else:
            parsed[key] = value
    return task.Options(**parsed)


def parse_option_value(text: str, annotation: Any, option: str, task_name: str) -> Any:
    """Parse ``text`` as ``annotation``: bool, int, float, str, Path, Literal, unions and tuples."""
    try:
        return parse_text(text, annotation)
    except (ValueError, TypeError):
        raise ConfigError(
            f"option {option!r} of task {task_name!r} expects {type_name(annotation)}, got {text!r}"
        ) from None
