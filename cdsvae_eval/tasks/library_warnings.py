"""Each warning a library raises inside the tasks is shown at most once per process (one command).

A probe is fitted many times per command (few-shot: seeds x k x factors x codes), and a library such as
scikit-learn warns on each fit. Python's own once-per-location memory does not help: every
``warnings.catch_warnings`` block resets it, so the same line printed ten times. Code run under
:func:`each_warning_once` has its warnings collected, and each distinct (category, message) is passed on to
the caller's filters the first time only.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

_shown: set[tuple[type[Warning], str]] = set()


@contextmanager
def each_warning_once() -> Iterator[None]:
    """Collect the warnings raised inside the block; re-issue those not yet shown in this process."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for warning in caught:
        key = (warning.category, str(warning.message))
        if key in _shown:
            continue
        _shown.add(key)
        warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno,
                               source=warning.source)
