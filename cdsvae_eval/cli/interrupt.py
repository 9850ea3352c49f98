"""Ctrl-C and SIGTERM during a command: SIGTERM raises like Ctrl-C does, so that every ``finally`` runs (temporary
files go, locks are released), and the outputs a command had written when it was stopped are removed, so that
running it again is not refused for a half-written results folder."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the process is, as Ctrl-C raises :class:`KeyboardInterrupt`."""


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    def raise_terminated(signum: int, frame: Any) -> None:
        raise Terminated

    try:
        previous = signal.signal(signal.SIGTERM, raise_terminated)
    except ValueError:  # not the main thread: signals are not ours to handle
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def interrupt_exit_code(error: BaseException) -> int:
    """128 + the signal that stopped the command: 143 for SIGTERM, else 130 (SIGINT)."""
    while error is not None:
        if isinstance(error, Terminated):
            return 128 + signal.SIGTERM
        error = error.__cause__ or error.__context__
    return 128 + signal.SIGINT


@contextlib.contextmanager
def outputs_removed_if_interrupted(paths: Iterable[Path]) -> Iterator[None]:
    """When the block is interrupted, remove the files under ``paths`` (files, or folders and all under them)
    that it created or replaced, and the folders it created that are left empty."""
    paths = [Path(path) for path in paths]
    files_before = _files(paths)
    folders_before = _folders(paths)
    try:
        yield
    except KeyboardInterrupt:
        for path, identity in _files(paths).items():
            if files_before.get(path) != identity:
                path.unlink(missing_ok=True)
        for folder in sorted(_folders(paths) - folders_before, key=lambda p: len(p.parts), reverse=True):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only when empty
        raise


def _files(paths: list[Path]) -> dict[Path, tuple[int, int]]:
    """Each file under ``paths`` with its inode and modification time (an atomic write makes a new inode)."""
    found = {}
    for path in paths:
        for file in ([path] if path.is_file() else path.rglob("*") if path.is_dir() else []):
            with contextlib.suppress(OSError):
                stat = file.stat()
                if file.is_file():
                    found[file] = (stat.st_ino, stat.st_mtime_ns)
    return found


def _folders(paths: list[Path]) -> set[Path]:
    return {folder for path in paths if path.is_dir()
            for folder in (path, *(sub for sub in path.rglob("*") if sub.is_dir()))}
