"""The one place CLI output is made: a rich console and a table printer."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.console import Console
from rich.table import Table


def make_console(stderr: bool = False) -> Console:
    """A console on stdout (or stderr) that prints text as given, without syntax colouring."""
    return Console(stderr=stderr, highlight=False)


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
