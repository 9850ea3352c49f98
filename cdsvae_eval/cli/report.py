"""``cdsvae-eval report``: many results files as one table, CSV, Markdown or few-shot plot."""

from __future__ import annotations

from pathlib import Path

import click

from cdsvae_eval.cli.console import make_console
from cdsvae_eval.errors import ConfigError
from cdsvae_eval.path_checks import check_output_file
from cdsvae_eval.report.aggregate import (
    SEED_ROW_FIELDS,
    load_rows,
    run_labels,
    seed_rows,
    seeds_markdown,
    to_markdown,
    write_csv,
)
from cdsvae_eval.draw.plots import few_shot_curves, plot_few_shot_curves
from cdsvae_eval.evaluate.results import load_result
from cdsvae_eval.report.tables import comparison_table, seed_table


@click.command()
@click.argument("results", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--csv", "csv_path", type=click.Path(path_type=Path),
              help="Also write one row per run, task and metric (and PATH-seeds.csv: one row per metric over training seeds).")
@click.option("--markdown", is_flag=True, help="Print a Markdown table instead of the rich table.")
@click.option("--plot", "plot_path", type=click.Path(path_type=Path), help="Overlay the few-shot curves of all runs in a PNG.")
def report(results: tuple[Path, ...], csv_path: Path | None, markdown: bool, plot_path: Path | None) -> None:
    """Compare results files; the first run is the reference, values inside its 95% CI print dim.

    Runs that differ only in the training seed are also summarised: mean, 95% t-interval over seeds and
    every seed's value."""
    for path, flag in ((csv_path, "--csv"), (plot_path, "--plot")):
        if path is not None:
            check_output_file(path, flag)
    rows = load_rows(results)
    over_seeds = seed_rows(rows)
    console = make_console()
    if markdown:
        click.echo(to_markdown(rows), nl=False)
        if over_seeds:
            click.echo("\n" + seeds_markdown(over_seeds), nl=False)
    else:
        console.print(comparison_table(rows))
        if over_seeds:
            console.print(seed_table(over_seeds))
    if csv_path is not None:
        console.print(f"wrote {write_csv(rows, csv_path)}")
        if over_seeds:
            seeds_path = csv_path.with_name(f"{csv_path.stem}-seeds{csv_path.suffix or '.csv'}")
            console.print(f"wrote {write_csv(over_seeds, seeds_path, SEED_ROW_FIELDS)}")
    if plot_path is not None:
        curves = few_shot_curves((label, load_result(path)) for label, path in zip(run_labels(results), results))
        if not curves:
            raise ConfigError("--plot needs at least one few-shot results file among the results given")
        console.print(f"wrote {plot_few_shot_curves(curves, plot_path)}")
