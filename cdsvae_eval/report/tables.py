"""Rich tables of results: one run in detail, or many runs side by side.

When runs are compared, the first run is the reference: another run's value that lies inside the
reference's 95% interval is printed dim, since that difference is not resolved by the data.
"""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

from cdsvae_eval.report.aggregate import SEED_CI_METHOD, format_cell, format_value, pivot, result_rows


def result_table(record: dict[str, Any]) -> Table:
    """Metric, value, 95% CI, std over seeds, chance level and direction for one results record."""
    task = record["task"]
    table = Table(title=f"{task['name']} v{task['version']}", title_justify="left")
    table.add_column("metric", overflow="fold")
    for column, justify in (("value", "right"), ("95% CI", "right"), ("std", "right"), ("chance", "right"),
                            ("", "center")):
        table.add_column(column, justify=justify)
    for row in result_rows(record, run=""):
        interval = (
            f"[{format_value(row['ci_low'])}, {format_value(row['ci_high'])}]" if row["ci_low"] is not None else ""
        )
        table.add_row(
            row["metric"],
            format_value(row["value"]),
            interval,
            format_value(row["std"]),
            format_value(row["chance"]),
            _arrow(row["higher_is_better"]),
        )
    return table


def comparison_table(rows: list[dict[str, Any]], title: str = "results") -> Table:
    """One line per (task, metric), one column per run; unresolved differences are dim."""
    runs, lines = pivot(rows)
    table = Table(title=title, title_justify="left")
    table.add_column("task")
    table.add_column("metric", overflow="fold")
    table.add_column("", justify="center")
    for run in runs:
        table.add_column(run, justify="right")
    for task, metric, by_run in lines:
        reference = by_run.get(runs[0])
        cells = [Text(format_cell(reference))]
        for run in runs[1:]:
            row = by_run.get(run)
            cells.append(Text(format_cell(row), style="dim" if _inside_interval(row, reference) else ""))
        table.add_row(task, metric, _arrow(next(iter(by_run.values()))["higher_is_better"]), *cells)
    return table


def seed_table(rows: list[dict[str, Any]]) -> Table:
    """Runs that differ only in the training seed: mean, 95% t-interval over seeds, every seed's value."""
    table = Table(title=f"over training seeds ({SEED_CI_METHOD})", title_justify="left")
    for column, justify in (("group", "left"), ("task", "left"), ("metric", "left"), ("", "center"),
                            ("seeds", "right"), ("mean", "right"), ("95% CI", "right"), ("per seed", "left")):
        table.add_column(column, justify=justify, overflow="fold")
    for row in rows:
        seeds = row["train_seeds"].split(";")
        values = [format_value(float(value)) for value in row["per_seed_values"].split(";")]
        table.add_row(
            row["group"], row["task"], row["metric"], _arrow(row["higher_is_better"]), str(row["n_train_seeds"]),
            format_value(row["mean"]), f"[{format_value(row['ci_low'])}, {format_value(row['ci_high'])}]",
            ", ".join(f"{seed}: {value}" for seed, value in zip(seeds, values)),
        )
    return table


def _inside_interval(row: dict[str, Any] | None, reference: dict[str, Any] | None) -> bool:
    if row is None or reference is None or reference.get("ci_low") is None or reference.get("ci_high") is None:
        return False
    return reference["ci_low"] <= row["value"] <= reference["ci_high"]


def _arrow(higher_is_better: bool) -> str:
    return "↑" if higher_is_better else "↓"
