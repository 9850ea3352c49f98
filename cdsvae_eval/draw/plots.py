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
    """One line per curve: mean accuracy over seeds against the number of shots per class, with its 95%
    interval as error bars where the points carry ``ci_low``/``ci_high`` (else +- the std over seeds).

    Each point is a mapping with ``k`` (its label, e.g. ``10`` or ``"all"``), ``shots`` (its position
    on the log axis), ``mean`` and optionally ``std``, ``ci_low``, ``ci_high`` and ``chance``. Curves
    whose label ends in ``(leakage)`` are dashed; each distinct chance level is a dotted line.
    """
    from matplotlib import colormaps
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8.4, 4.6), dpi=120)
    axes = figure.subplots()
    palette = colormaps["tab20"].colors
    positions: dict[str, list[float]] = {}
    chances: dict[float, str] = {}
    with_ci = False
    for index, (label, points) in enumerate(curves.items()):
        points = sorted(points, key=lambda point: point["shots"])
        means = np.array([point["mean"] for point in points])
        if all("ci_low" in point and "ci_high" in point for point in points):
            with_ci = True
            error = np.array([[m - p["ci_low"] for m, p in zip(means, points)],
                              [p["ci_high"] - m for m, p in zip(means, points)]]).clip(min=0.0)
        else:
            error = np.array([point.get("std") or 0.0 for point in points])
        axes.errorbar([point["shots"] for point in points], means, yerr=error, marker="o", capsize=3,
                      color=palette[index % len(palette)], linestyle="--" if label.endswith("(leakage)") else "-",
                      label=label)
        for point in points:
            positions.setdefault(str(point["k"]), []).append(point["shots"])
            if point.get("chance") is not None:
                chances.setdefault(round(float(point["chance"]), 4), label.split(" from ")[0])
    for level, factor in chances.items():
        axes.axhline(level, color="grey", linestyle=":", linewidth=1)
        axes.annotate(f"chance {factor} {level:.2f}", (1.0, level), xycoords=("axes fraction", "data"),
                      fontsize="x-small", color="grey", ha="right", va="bottom")
    axes.set_xscale("log")
    axes.set_xticks([float(np.median(where)) for where in positions.values()], list(positions))
    axes.minorticks_off()
    axes.set_xlabel("labelled examples per class (k)")
    axes.set_ylabel("test accuracy")
    axes.set_ylim(0.0, 1.02)
    axes.set_title(title + (" (bars: 95% interval, unit in the results file)" if with_ci else " (bars: std over seeds)"),
                   fontsize="medium")
    axes.grid(alpha=0.3)
    axes.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    return save_figure(figure, path)


def save_figure(figure: Any, path: str | Path) -> Path:
    """Lay out a matplotlib figure and write it as a PNG, atomically."""
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
