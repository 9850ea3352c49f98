"""``cdsvae-eval verdict``: does a scored run disentangle? One plain answer with its thresholds."""

from __future__ import annotations

from pathlib import Path

import click

from cdsvae_eval.report.verdict import verdict_from_results


@click.command()
@click.argument("results_dir", type=click.Path(path_type=Path))
def verdict(results_dir: Path) -> None:
    """Read RESULTS_DIR/swap-oracle.json (and code-usage.json) and print the verdict."""
    result, evidence = verdict_from_results(results_dir)
    lines = result.lines()
    click.echo("\n".join([lines[0], lines[1], *evidence, *lines[2:]]))
