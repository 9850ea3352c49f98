"""Atomic file writes: write a temporary file beside the target, then rename it into place.

Every file the package writes goes through here, so a failed write (a full disk, no permission) is one
:class:`~cdsvae_eval.errors.WriteError` naming the file, the cause and what was kept: the previous file
stays intact and no temporary file is left behind."""

from __future__ import annotations

import io
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from cdsvae_eval.errors import WriteError


@contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; rename it onto ``target`` on success.

    An ``OSError`` while making the folder, writing the temporary file or renaming it becomes a
    :class:`WriteError`. The file gets the permissions a plain ``open(target, "w")`` would give it (an
    existing target's mode, else 0666 less the umask), not the owner-only mode of temporary files."""
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
    except OSError as error:
        raise write_error(target, error) from None
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, _mode_for(target))
        os.replace(tmp, target)
    except OSError as error:
        raise write_error(target, error) from None
    finally:
        tmp.unlink(missing_ok=True)


def write_error(target: Path, error: OSError) -> WriteError:
    """The one-line error for a failed write of ``target``: the cause, and that an existing file is intact."""
    kept = f"the previous {target.name} is intact" if target.exists() else f"no {target.name} was written"
    return WriteError(str(target), _cause(error), kept)


def _cause(error: OSError) -> str:
    """``no space left on device`` for ENOSPC: the system's words for the error number."""
    return os.strerror(error.errno).lower() if error.errno else str(error)


def _mode_for(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_bytes(target: str | os.PathLike[str], data: bytes | memoryview) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def save_torch(target: str | os.PathLike[str], obj: Any) -> None:
    """``torch.save`` atomically. Serialised in memory first: torch's own file writer turns a full disk into
    a ``RuntimeError`` (``unexpected pos``); a plain write gives the ``OSError`` that names the cause."""
    import torch  # here, so that importing the writers does not import torch

    buffer = io.BytesIO()
    torch.save(obj, buffer)
    write_bytes(target, buffer.getbuffer())


def write_text(target: str | os.PathLike[str], text: str) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(target: str | os.PathLike[str], obj: Any) -> None:
    write_text(target, json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n")


def append_text(target: str | os.PathLike[str], text: str) -> None:
    """Append ``text`` whole or not at all: a failed append cuts the file back to its previous length."""
    target = Path(target)
    data = text.encode("utf-8")
    try:
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            start = os.fstat(fd).st_size
            try:
                written = 0
                while written < len(data):
                    written += os.write(fd, data[written:])
            except OSError:
                os.ftruncate(fd, start)
                raise
        finally:
            os.close(fd)
    except OSError as error:
        raise WriteError(str(target), _cause(error), f"{target.name} holds what it held before") from None


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__} to JSON")
