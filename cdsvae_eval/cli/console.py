"""The one place CLI output is made: a rich console and a table printer."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

from rich.console import Console
from rich.table import Table

# The width of a console whose output is not a terminal (`| tee log`, CI): wide enough that a table takes
# its natural width, so no metric name is broken over two lines, and a line is never wrapped into two.
PIPE_WIDTH = 1000


def make_console(stderr: bool = False) -> Console:
    """A console on stdout (or stderr) that prints text as given, without syntax colouring; through a pipe
    it is :data:`PIPE_WIDTH` wide unless ``COLUMNS`` says otherwise."""
    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = PIPE_WIDTH
    return console


def print_table(
    console: Console,
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
    title: str | None = None,
) -> None:
    """Print ``rows`` as a table under the given column headings."""
    table = Table(*columns, title=title, title_justify="left")
    for row in rows:
        table.add_row(*(str(value) for value in row))
    console.print(table)
