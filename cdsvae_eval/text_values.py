"""Values typed on a command line (``--set key=value``, ``--option key=value``) read as a Python type.

The one parser behind config overrides and task options, so ``true``/``yes``/``1`` and ``1,2,3`` mean
the same everywhere.
"""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any

TRUE_WORDS = ("true", "1", "yes")
FALSE_WORDS = ("false", "0", "no")


def parse_text(text: str, annotation: Any) -> Any:
    """``text`` as ``annotation``: bool, int, float, str, Path, Literal, unions (``none`` for None) and
    tuples (comma-separated). Raises ValueError when the text does not fit, TypeError for a type that
    cannot be written as text."""
    text = text.strip()
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        if text.lower() in ("none", "null") and type(None) in args:
            return None
        for member in (arg for arg in args if arg is not type(None)):
            try:
                return parse_text(text, member)
            except (ValueError, TypeError):
                continue
        raise ValueError(text)
    if origin is tuple:
        items = [item.strip() for item in text.split(",")]
        if any(not item for item in items):
            raise ValueError(text)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(parse_text(item, args[0]) for item in items)
        if len(items) != len(args):
            raise ValueError(text)
        return tuple(parse_text(item, arg) for item, arg in zip(items, args))
    if origin is typing.Literal:
        for choice in args:
            if str(choice) == text:
                return choice
        raise ValueError(text)
    if annotation is bool:
        lowered = text.lower()
        if lowered not in TRUE_WORDS + FALSE_WORDS:
            raise ValueError(text)
        return lowered in TRUE_WORDS
    if annotation in (int, float, str, Path):
        return annotation(text)
    raise TypeError(f"values of type {annotation!r} cannot be given as text")


def type_name(annotation: Any) -> str:
    """How an error message names ``annotation``: ``int``, ``tuple[int, ...]``, ``Literal['a', 'b']``."""
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "")
