"""``cdsvae-eval report``: many runs or results files as one table, CSV, Markdown, few-shot plot or a
self-contained HTML (and Markdown) page."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import click

from cdsvae_eval.cli.console import make_console
from cdsvae_eval.cli.interrupt import outputs_removed_if_interrupted
from cdsvae_eval.cli.options import fields_as_flags
from cdsvae_eval.errors import ConfigError
from cdsvae_eval.folder_lock import folder_lock
from cdsvae_eval.path_checks import check_output_file
from cdsvae_eval.report.aggregate import (
    SEED_ROW_FIELDS,
    result_rows,
    seed_rows,
    seeds_markdown,
    to_markdown,
    write_csv,
)
from cdsvae_eval.draw.plots import few_shot_curves, plot_few_shot_curves
from cdsvae_eval.report.run_inputs import collect_runs
from cdsvae_eval.report.tables import comparison_table, seed_table


@click.command()
@click.argument("results", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--csv", "csv_path", type=click.Path(path_type=Path),
              help="Also write one row per run, task and metric (and PATH-seeds.csv: one row per metric over training seeds).")
@click.option("--markdown", is_flag=True, help="Print a Markdown table instead of the rich table.")
@click.option("--plot", "plot_path", type=click.Path(path_type=Path), help="Overlay the few-shot curves of all runs in a PNG.")
@click.option("--html", "html_path", type=click.Path(path_type=Path),
              help="Write one self-contained HTML page: per run its verdict, provenance, curves, tables and pictures.")
@click.option("--markdown-file", "markdown_path", type=click.Path(path_type=Path),
              help="Write the same page as Markdown (pictures embedded as data URIs).")
@click.option("--label", "labels", multiple=True, metavar="NAME",
              help="Name of each run, in the order given (repeat once per run; default: the run folder's name).")
def report(results: tuple[Path, ...], csv_path: Path | None, markdown: bool, plot_path: Path | None,
           html_path: Path | None, markdown_path: Path | None, labels: tuple[str, ...]) -> None:
    """Compare runs: RESULTS are run folders (RUN/probes/*.json), folders of results files, or results
    files (consecutive files of one folder are one run). The first run is the reference: values inside
    its 95% CI print dim (marked on the page where the CIs do not overlap).

    Runs that differ only in the training seed are also summarised: mean, 95% t-interval over seeds and
    every seed's value."""
    outputs = [(path, flag) for path, flag in ((csv_path, "--csv"), (plot_path, "--plot"), (html_path, "--html"),
                                               (markdown_path, "--markdown-file")) if path is not None]
    for path, flag in outputs:
        check_output_file(path, flag)
    written = [path for path, _ in outputs] + ([seeds_csv_path(csv_path)] if csv_path is not None else [])
    with ExitStack() as locks:  # one report at a time writes an output file; another is refused
        for path, _ in outputs:
            locks.enter_context(folder_lock(path))
        locks.enter_context(outputs_removed_if_interrupted(written))
        _report(results, csv_path, markdown, plot_path, html_path, markdown_path, labels)


def _report(results: tuple[Path, ...], csv_path: Path | None, markdown: bool, plot_path: Path | None,
            html_path: Path | None, markdown_path: Path | None, labels: tuple[str, ...]) -> None:
    with fields_as_flags({"labels": "--label"}):
        runs = collect_runs(results, list(labels) or None)
    rows = [row for run in runs for path, record in run.results.values()
            for row in result_rows(record, run=run.label, source=str(path))]
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
            console.print(f"wrote {write_csv(over_seeds, seeds_csv_path(csv_path), SEED_ROW_FIELDS)}")
    if plot_path is not None:
        curves = few_shot_curves((run.label, record) for run in runs for _, record in run.results.values()
                                 if record["task"]["name"] == "few-shot")
        if not curves:
            raise ConfigError("--plot needs at least one few-shot results file among the results given")
        console.print(f"wrote {plot_few_shot_curves(curves, plot_path)}")
    if html_path is not None or markdown_path is not None:
        from cdsvae_eval.report.page import write_page
        from cdsvae_eval.report.run_page import report_blocks

        title = "cdsvae-eval report: " + ", ".join(run.label for run in runs)
        for path in write_page(title, report_blocks(runs), html_path, markdown_path):
            console.print(f"wrote {path}", soft_wrap=True)


def seeds_csv_path(csv_path: Path) -> Path:
    """Where ``--csv PATH`` writes its rows over training seeds: ``PATH-seeds.csv``."""
    return csv_path.with_name(f"{csv_path.stem}-seeds{csv_path.suffix or '.csv'}")
