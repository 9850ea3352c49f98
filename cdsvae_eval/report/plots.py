"""Figures written next to results. Uses matplotlib's object API (no pyplot), so no display is needed
and the caller's backend is left alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from cdsvae_eval.atomic import atomic_path
from cdsvae_eval.errors import DataError


def plot_few_shot_curves(
    curves: Mapping[str, Sequence[Mapping[str, Any]]], path: str | Path, title: str = "few-shot probe accuracy"
) -> Path:
    """One line per curve: mean accuracy (+- std over seeds) against the number of shots per class.

    Each point is a mapping with ``k`` (its label, e.g. ``10`` or ``"all"``), ``shots`` (its position
    on the log axis), ``mean`` and ``std``.
    """
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 4.2), dpi=120)
    axes = figure.subplots()
    positions: dict[str, list[float]] = {}
    for label, points in curves.items():
        points = sorted(points, key=lambda point: point["shots"])
        shots = [point["shots"] for point in points]
        axes.errorbar(
            shots,
            [point["mean"] for point in points],
            yerr=[point.get("std") or 0.0 for point in points],
            marker="o",
            capsize=3,
            label=label,
        )
        for point in points:
            positions.setdefault(str(point["k"]), []).append(point["shots"])
    axes.set_xscale("log")
    axes.set_xticks([float(np.median(where)) for where in positions.values()], list(positions))
    axes.minorticks_off()
    axes.set_xlabel("labelled examples per class (k)")
    axes.set_ylabel("test accuracy")
    axes.set_ylim(0.0, 1.02)
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend(fontsize="small")
    figure.tight_layout()
    path = Path(path)
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png")
    return path


def few_shot_curves(records: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """The few-shot curves in ``(run label, results record)`` pairs, named ``<run>: <curve>``; a malformed
    curve table is a one-line :class:`DataError` naming the run."""
    curves: dict[str, list[dict[str, Any]]] = {}
    for run, record in records:
        tables = record.get("tables") or {}
        rows = tables.get("curves", []) if isinstance(tables, dict) else None
        if not isinstance(rows, list) or not all(_is_curve_point(row) for row in rows):
            raise DataError(f"results of {run}: tables.curves must be a list of points with 'curve', 'k', "
                            "numeric 'shots' and 'mean'")
        for row in rows:
            curves.setdefault(f"{run}: {row['curve']}", []).append(row)
    return curves


def _is_curve_point(row: object) -> bool:
    numeric = (int, float)
    return (isinstance(row, dict) and "curve" in row and "k" in row
            and all(isinstance(row.get(key), numeric) and not isinstance(row.get(key), bool) for key in ("shots", "mean"))
            and (row.get("std") is None or isinstance(row.get("std"), numeric)))
