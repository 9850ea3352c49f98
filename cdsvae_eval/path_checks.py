"""Output paths checked before anything is written: a file where a folder is needed (or the reverse), a
path under a file, a folder that cannot be written, an output inside a user's data root.

Errors are :class:`FieldError`\\ s naming the argument (``run_dir``, ``out_dir``, ...), so the CLI can name
its flag instead.
"""

from __future__ import annotations

import os
from pathlib import Path

from cdsvae_eval.errors import FieldError


def check_output_dir(path: str | os.PathLike[str], argument: str) -> Path:
    """``path`` is a folder, or can be made one; returns it as a :class:`Path`."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise FieldError(argument, f"{path} is a file, not a folder")
    _check_writable_ancestor(path, argument)
    return path


def check_output_file(path: str | os.PathLike[str], argument: str) -> Path:
    """``path`` is a file, or can be written as one; returns it as a :class:`Path`."""
    path = Path(path)
    if path.is_dir():
        raise FieldError(argument, f"{path} is a folder, not a file")
    _check_writable_ancestor(path.parent, argument, shown=path)
    return path


def check_not_inside(path: str | os.PathLike[str], root: str | os.PathLike[str] | None, argument: str) -> None:
    """``path`` does not lie inside the data root ``root`` (nothing is ever written under a user's data)."""
    if root is None:
        return
    resolved, data_root = Path(path).resolve(), Path(root).resolve()
    data_folder = data_root.parent if data_root.is_file() else data_root
    if resolved == data_folder or data_folder in resolved.parents:
        raise FieldError(argument, f"{path} is inside the data root {root}; nothing is written there")


def _check_writable_ancestor(folder: Path, argument: str, shown: Path | None = None) -> None:
    """The nearest existing ancestor of ``folder`` (or itself) is a folder this process can write into."""
    shown = shown if shown is not None else folder
    for ancestor in (folder, *folder.parents):
        if not os.path.lexists(ancestor):
            continue
        if not ancestor.is_dir():
            raise FieldError(argument, f"{shown} is under {ancestor}, which is a file")
        if not os.access(ancestor, os.W_OK | os.X_OK):
            raise FieldError(argument, f"{shown} cannot be written: folder {ancestor} is not writable")
        return
