"""``cdsvae-eval tasks list``: every task with its version, needs, metrics and where it comes from."""

from __future__ import annotations

import dataclasses
import json

import click

from cdsvae_eval.cli.console import make_console, print_table
from cdsvae_eval.tasks import list_tasks


@click.group()
def tasks() -> None:
    """List the tasks that score codes (built-in, registered and plug-in)."""


@tasks.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array and nothing else.")
def list_command(as_json: bool) -> None:
    """List every task; a task that cannot be loaded shows as unavailable with its error."""
    entries = list_tasks()
    if as_json:
        payload = [{**dataclasses.asdict(entry), "available": entry.available} for entry in entries]
        click.echo(json.dumps(payload, indent=2))
        return
    rows = [
        (
            entry.name,
            entry.version if entry.available else "unavailable",
            ", ".join(entry.needs),
            "\n".join(spec.name for spec in entry.metrics) if entry.available else entry.error,
            entry.source,
        )
        for entry in entries
    ]
    print_table(make_console(), ["task", "version", "needs", "metrics", "source"], rows)
