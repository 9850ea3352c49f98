"""Merge many results files into rows (run x task x metric) and write them as CSV or Markdown.

A run is named by the folder its results file sits in (``probe --out results/<run>``); when two
folders share a name, their full paths are used instead.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, Iterable

from cdsvae_eval.atomic import write_text
from cdsvae_eval.report.results import load_result

ROW_FIELDS = (
    "run",
    "task",
    "task_version",
    "metric",
    "value",
    "ci_low",
    "ci_high",
    "std",
    "n_seeds",
    "higher_is_better",
    "seed",
    "source",
)


def run_labels(paths: Iterable[str | Path]) -> list[str]:
    parents = [Path(path).resolve().parent for path in paths]
    names = [parent.name for parent in parents]
    if len(set(names)) == len(set(parents)):
        return names
    return [str(parent) for parent in parents]


def load_rows(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    """Load results files and flatten them into one row per (run, task, metric)."""
    paths = [Path(path) for path in paths]
    rows: list[dict[str, Any]] = []
    for label, path in zip(run_labels(paths), paths):
        rows += result_rows(load_result(path), run=label, source=str(path))
    return rows


def result_rows(record: dict[str, Any], run: str, source: str = "") -> list[dict[str, Any]]:
    rows = []
    for metric, value in record["metrics"].items():
        per_seed = value.get("per_seed")
        rows.append(
            {
                "run": run,
                "task": record["task"]["name"],
                "task_version": record["task"]["version"],
                "metric": metric,
                "value": value["value"],
                "ci_low": value.get("ci_low"),
                "ci_high": value.get("ci_high"),
                "std": value.get("std"),
                "n_seeds": len(per_seed) if per_seed else None,
                "higher_is_better": value["higher_is_better"],
                "seed": record.get("seed"),
                "source": source,
            }
        )
    return rows


def pivot(rows: list[dict[str, Any]]) -> tuple[list[str], list[tuple[str, str, dict[str, dict[str, Any]]]]]:
    """Runs in first-seen order, and per (task, metric) in first-seen order the row of each run."""
    runs = list(dict.fromkeys(row["run"] for row in rows))
    cells: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for row in rows:
        cells.setdefault((row["task"], row["metric"]), {})[row["run"]] = row
    return runs, [(task, metric, by_run) for (task, metric), by_run in cells.items()]


def to_csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=ROW_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({key: "" if row.get(key) is None else row[key] for key in ROW_FIELDS} for row in rows)
    return buffer.getvalue()


def write_csv(rows: list[dict[str, Any]], path: str | Path) -> Path:
    write_text(path, to_csv(rows))
    return Path(path)


def format_value(value: float | None) -> str:
    """Three decimals for rates and accuracies, fewer for large numbers, whole numbers as integers."""
    if value is None:
        return ""
    if float(value).is_integer() and abs(value) >= 1:
        return str(int(value))
    if abs(value) >= 100:
        return f"{value:.1f}"
    if abs(value) >= 0.01 or value == 0:
        return f"{value:.3f}"
    return f"{value:.2g}"


def format_cell(row: dict[str, Any] | None) -> str:
    """``value [low, high]`` (or ``value +- std``) for one metric of one run."""
    if row is None:
        return "-"
    text = format_value(row["value"])
    if row.get("ci_low") is not None and row.get("ci_high") is not None:
        return f"{text} [{format_value(row['ci_low'])}, {format_value(row['ci_high'])}]"
    if row.get("std"):
        return f"{text} ± {format_value(row['std'])}"
    return text


def to_markdown(rows: list[dict[str, Any]]) -> str:
    """A Markdown table: one line per (task, metric), one column per run, 95% CIs in brackets."""
    runs, lines = pivot(rows)
    header = ["task", "metric", "better", *runs]
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for task, metric, by_run in lines:
        better = "↑" if next(iter(by_run.values()))["higher_is_better"] else "↓"
        out.append("| " + " | ".join([task, metric, better, *(format_cell(by_run.get(run)) for run in runs)]) + " |")
    return "\n".join(out) + "\n"
