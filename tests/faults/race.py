"""Run a function in several processes released together by a barrier, so that they race.

The processes are spawned, not forked: a fork of a process whose torch thread pool has run hangs in the child."""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Callable
from typing import Any

CONTEXT = multiprocessing.get_context("spawn")


def _worker(barrier: Any, results: Any, index: int, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
    barrier.wait()
    results.put((index, function(*args)))


def race(function: Callable[..., Any], *argument_lists: tuple[Any, ...], timeout: float = 300) -> list[Any]:
    """``function(*args)`` for each of ``argument_lists``, each in its own process, released at the same moment
    (after each has imported what it needs); their return values in the order given. ``function`` must be a
    module-level function of an importable module."""
    barrier = CONTEXT.Barrier(len(argument_lists))
    results = CONTEXT.Queue()
    processes = [CONTEXT.Process(target=_worker, args=(barrier, results, index, function, args), daemon=True)
                 for index, args in enumerate(argument_lists)]
    for process in processes:
        process.start()
    try:
        found = dict(results.get(timeout=timeout) for _ in processes)
    except queue.Empty:
        raise AssertionError(f"a racing process did not finish within {timeout} s") from None
    finally:
        for process in processes:
            process.join(5)
            if process.is_alive():
                process.kill()
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
