"""Run a function in several forked processes released together by a barrier, so that they race."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import Any


def _worker(barrier: Any, results: Any, index: int, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
    barrier.wait()
    results.put((index, function(*args)))


def race(function: Callable[..., Any], *argument_lists: tuple[Any, ...], timeout: float = 300) -> list[Any]:
    """``function(*args)`` for each of ``argument_lists``, each in its own process, started at the same moment;
    their return values in the order given."""
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(argument_lists))
    results = context.Queue()
    processes = [context.Process(target=_worker, args=(barrier, results, index, function, args))
                 for index, args in enumerate(argument_lists)]
    for process in processes:
        process.start()
    found = dict(results.get(timeout=timeout) for _ in processes)
    for process in processes:
        process.join(timeout)
    return [found[index] for index in range(len(processes))]


def cli_exit(*args: str) -> tuple[int, str]:
    """Run the CLI in this process: its exit code and its stderr's last line."""
    import contextlib
    import io

    from cdsvae_eval.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            main([str(arg) for arg in args])
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
    lines = err.getvalue().strip().splitlines()
    return code, lines[-1] if lines else ""
