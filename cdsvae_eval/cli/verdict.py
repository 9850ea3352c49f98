"""``cdsvae-eval verdict``: does a scored run disentangle? One plain answer with its thresholds."""

from __future__ import annotations

from pathlib import Path

import click

from cdsvae_eval.report.verdict import verdict_from_results, verdict_lines


@click.command()
@click.argument("results_dir", type=click.Path(path_type=Path))
def verdict(results_dir: Path) -> None:
    """Read RESULTS_DIR/swap-oracle.json (and code-usage.json) of a video run, or speaker-eer.json (and
    frame-probe.json, speech-swap.json) of a speech run, and print the verdict with its thresholds."""
    click.echo("\n".join(verdict_lines(*verdict_from_results(results_dir))))
