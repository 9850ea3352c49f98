"""One writer per output: an exclusive lock on a folder (or file) that commands write into.

The lock is a ``flock`` held through :mod:`filelock` on a file in the cache's ``locks/`` folder named after
the target's resolved path (nothing is written beside the target, so a refused command writes nothing where
it was pointed); a process killed with -9 holds nothing (the kernel releases it). The holder's PID is written
beside the lock file (``.pid``) only to be named in the message of a process that is refused."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from cdsvae_eval.atomic import write_error
from cdsvae_eval.errors import CdsvaeError
from cdsvae_eval.paths import cache_dir


class FolderBusy(CdsvaeError):
    """Another process writes into the same folder (or file)."""


def lock_path(target: Path) -> Path:
    """The lock file of ``target``: ``<cache>/locks/<name>-<hash of the resolved path>.lock``."""
    resolved = os.path.realpath(target)
    digest = hashlib.sha256(resolved.encode("utf-8", "surrogateescape")).hexdigest()[:24]
    return cache_dir("locks") / f"{Path(resolved).name}-{digest}.lock"


@contextmanager
def folder_lock(target: str | os.PathLike[str], wait: bool = False) -> Iterator[None]:
    """Hold the exclusive lock of ``target`` inside the block. Taken already: raise :class:`FolderBusy` naming
    the holder's PID, or with ``wait`` wait until it is free."""
    target = Path(os.path.abspath(target))
    try:
        path = lock_path(target)
    except OSError as error:
        raise write_error(Path(error.filename or "locks"), error) from None
    pid_path = path.with_name(path.name + ".pid")
    lock = FileLock(str(path), timeout=-1 if wait else 0)
    try:
        lock.acquire()
    except Timeout:
        raise FolderBusy(f"{target} is in use by another cdsvae-eval process ({_holder(pid_path)}); wait for it "
                         "to finish or choose another output") from None
    except OSError as error:
        raise write_error(path, error) from None
    try:
        _write_pid(pid_path)
        yield
    finally:
        pid_path.unlink(missing_ok=True)
        lock.release()


def _write_pid(pid_path: Path) -> None:
    """Best effort: the PID only informs the message of a refused process, so a full disk does not stop the run."""
    try:
        pid_path.write_text(f"{os.getpid()}\n", encoding="ascii")
    except OSError:
        pid_path.unlink(missing_ok=True)


def _holder(pid_path: Path) -> str:
    try:
        return f"PID {int(pid_path.read_text(encoding='ascii'))}"
    except (OSError, ValueError):
        return "PID unknown"
