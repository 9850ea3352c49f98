"""What a training run shows and how it stops: the progress bar, and Ctrl-C/SIGTERM turned into a flag the
loop checks between steps (so the state is saved and the run resumes exactly)."""

from __future__ import annotations

import contextlib
import signal
from typing import Any


class StopFlag:
    """Turns the first SIGINT/SIGTERM into a flag the loop checks between steps, and remembers which."""

    def __init__(self) -> None:
        self.raised = False
        self.signal: int | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> "StopFlag":
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(ValueError):  # not the main thread
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.raised:
            raise KeyboardInterrupt
        self.raised = True
        self.signal = signum

    def __exit__(self, *exc: Any) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def progress_bar(enabled: bool) -> Any:
    """A rich progress bar of the steps of all epochs (a no-op when not ``enabled``)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    return Progress(
        TextColumn("[bold]epoch {task.fields[epoch]}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[status]}"),
        disable=not enabled, transient=False,
    )
