"""Merge many results files into rows (run x task x metric) and write them as CSV or Markdown.

A run is named by the folder its results file sits in (``probe --out results/<run>``); when two
folders share a name, their full paths are used instead. Every row carries the provenance of the
scored checkpoint (preset, training seed, epoch, selection split and rule, config hash and path).

Runs that differ only in the training seed (same training config but for the seed, same task, task
options and evaluation seed) are also summarised over seeds: the mean, a 95% t-interval over seeds
(mean +- t(0.975, n - 1) * sd / sqrt(n)) and every seed's value. The spread between training seeds
is usually the largest in this field, and a CI that resamples identities does not contain it.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from cdsvae_eval.atomic import write_text
from cdsvae_eval.evaluate.results import load_result

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
    "chance",
    "ci_unit",
    "train_preset",
    "train_seed",
    "checkpoint_epoch",
    "selection_split",
    "selection_rule",
    "config_sha256",
    "config_path",
    "source",
)
SEED_ROW_FIELDS = (
    "group",
    "task",
    "task_version",
    "metric",
    "n_train_seeds",
    "mean",
    "ci_low",
    "ci_high",
    "std",
    "train_seeds",
    "per_seed_values",
    "higher_is_better",
    "ci_method",
)
SEED_CI_METHOD = "95% t-interval over training seeds"


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
    training = record.get("training") or {}
    ci = record.get("protocol", {}).get("ci")
    provenance = {
        "ci_unit": ci.get("resampled_unit") if isinstance(ci, dict) else None,
        "train_preset": training.get("preset"),
        "train_seed": training.get("seed"),
        "checkpoint_epoch": training.get("checkpoint_epoch"),
        "selection_split": training.get("selection_split"),
        "selection_rule": training.get("selection_rule"),
        "config_sha256": training.get("config_sha256"),
        "config_path": training.get("config_path"),
        **_seed_group(record, training),
    }
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
                "chance": value.get("chance"),
                **provenance,
                "source": source,
            }
        )
    return rows


def _seed_group(record: dict[str, Any], training: dict[str, Any]) -> dict[str, str | None]:
    """``seed_group``: shared by results whose runs differ only in the training seed (same task, options
    and evaluation seed); ``model_group``: a label of the training config without its seed. None when
    the origin of the codes is unknown."""
    if not training.get("config"):
        return {"seed_group": None, "model_group": None}
    from cdsvae_eval.models.checkpoint_provenance import config_sha256

    config = {key: value for key, value in training["config"].items() if key != "seed"}
    return {
        "seed_group": config_sha256([config, record["task"], record.get("options"), record.get("seed")]),
        "model_group": f"{training.get('preset')}-{config_sha256(config)[:6]}",
    }


def seed_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (group of runs differing only in training seed, task, metric) with two or more seeds."""
    from scipy import stats

    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for row in rows:
        if row.get("seed_group") is not None and row.get("train_seed") is not None:
            groups.setdefault((row["seed_group"], row["task"], row["metric"]), []).append(row)
    out = []
    for (group, task, metric), members in groups.items():
        by_seed = {row["train_seed"]: row for row in sorted(members, key=lambda row: row["train_seed"])}
        if len(by_seed) < 2:
            continue
        values = np.array([row["value"] for row in by_seed.values()], dtype=np.float64)
        mean, std = float(values.mean()), float(values.std(ddof=1))
        half = float(stats.t.ppf(0.975, len(values) - 1)) * std / np.sqrt(len(values))
        first = next(iter(by_seed.values()))
        out.append({
            "group": first["model_group"],
            "task": task,
            "task_version": first["task_version"],
            "metric": metric,
            "n_train_seeds": len(values),
            "mean": mean,
            "ci_low": mean - half,
            "ci_high": mean + half,
            "std": std,
            "train_seeds": ";".join(str(seed) for seed in by_seed),
            "per_seed_values": ";".join(f"{value:.6g}" for value in values),
            "higher_is_better": first["higher_is_better"],
            "ci_method": SEED_CI_METHOD,
        })
    return out


def pivot(rows: list[dict[str, Any]]) -> tuple[list[str], list[tuple[str, str, dict[str, dict[str, Any]]]]]:
    """Runs in first-seen order, and per (task, metric) in first-seen order the row of each run."""
    runs = list(dict.fromkeys(row["run"] for row in rows))
    cells: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for row in rows:
        cells.setdefault((row["task"], row["metric"]), {})[row["run"]] = row
    return runs, [(task, metric, by_run) for (task, metric), by_run in cells.items()]


def to_csv(rows: list[dict[str, Any]], fields: tuple[str, ...] = ROW_FIELDS) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows({key: "" if row.get(key) is None else row[key] for key in fields} for row in rows)
    return buffer.getvalue()


def write_csv(rows: list[dict[str, Any]], path: str | Path, fields: tuple[str, ...] = ROW_FIELDS) -> Path:
    write_text(path, to_csv(rows, fields))
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


def seeds_markdown(rows: list[dict[str, Any]]) -> str:
    """A Markdown table of :func:`seed_rows`: mean, 95% t-interval over seeds and every seed's value."""
    out = [f"Over training seeds ({SEED_CI_METHOD}):", "",
           "| group | task | metric | better | seeds | mean [95% CI] | per seed |", "|" + "---|" * 7]
    for row in rows:
        per_seed = ", ".join(f"{seed}: {format_value(float(value))}"
                             for seed, value in zip(row["train_seeds"].split(";"), row["per_seed_values"].split(";")))
        interval = f"{format_value(row['mean'])} [{format_value(row['ci_low'])}, {format_value(row['ci_high'])}]"
        better = "↑" if row["higher_is_better"] else "↓"
        out.append(f"| {row['group']} | {row['task']} | {row['metric']} | {better} | {row['n_train_seeds']} | {interval} | {per_seed} |")
    return "\n".join(out) + "\n"
