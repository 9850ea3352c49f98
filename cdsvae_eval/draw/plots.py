"""Figures written next to results. Uses matplotlib's object API (no pyplot), so no display is needed
and the caller's backend is left alone."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from cdsvae_eval.atomic import atomic_path
from cdsvae_eval.draw.styles import CODE_STYLES, FACTOR_MARKERS, SeriesStyle, code_style, other_style
from cdsvae_eval.errors import DataError


def plot_few_shot_curves(
    curves: Mapping[str, Sequence[Mapping[str, Any]]], path: str | Path, title: str = "few-shot probe accuracy",
    xlabel: str = "labelled examples per class (k)", ylabel: str = "test accuracy",
    panels: Mapping[str, Sequence[str]] | None = None,
) -> Path:
    """One line per curve: mean accuracy against the number of shots, with its 95% interval as error bars
    where the points carry ``ci_low``/``ci_high`` (else +- the std over seeds).

    Each point is a mapping with ``k`` (its label, e.g. ``10`` or ``"all"``), ``shots`` (its position
    on the log axis), ``mean`` and optionally ``std``, ``ci_low``, ``ci_high``, ``chance`` and ``code``. A
    curve of a code (its points' ``code``, else the word after `` from `` in its name, as in ``skin from
    static (leakage)``) is drawn in that code's colour and line style (:mod:`cdsvae_eval.draw.styles`), with
    one marker per factor named before `` from ``; any other curve takes a colour of its own. Each distinct
    chance level is a dotted line. ``panels`` maps each curve to ``(panel title, its name in the panel)``: one
    panel per title, side by side on one y scale, a name keeping its look in every panel.
    """
    from matplotlib.figure import Figure

    placed = {label: tuple(panels[label]) if panels else ("", label) for label in curves}
    titles = list(dict.fromkeys(panel for panel, _ in placed.values()))
    names = list(dict.fromkeys(name for _, name in placed.values()))
    figure = Figure(figsize=(8.4 if len(titles) == 1 else 3.2 * len(titles) + 2.0, 4.6), dpi=120)
    all_axes = figure.subplots(1, len(titles), sharey=True, squeeze=False)[0]
    with_ci = False
    for axes, panel in zip(all_axes, titles):
        chosen = {placed[label][1]: points for label, points in curves.items() if placed[label][0] == panel}
        with_ci |= _draw_curves(axes, chosen, names)
        axes.set_xlabel(xlabel)
        if panel:
            axes.set_title(panel, fontsize="medium")
    all_axes[0].set_ylabel(ylabel)
    handles: dict[str, Any] = {}
    for axes in all_axes:
        for handle, name in zip(*axes.get_legend_handles_labels()):
            handles.setdefault(name, handle)
    all_axes[-1].legend(list(handles.values()), list(handles), fontsize="x-small", loc="upper left",
                        bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    note = " (bars: 95% interval, unit in the results file)" if with_ci else " (bars: std over seeds)"
    if len(titles) == 1:
        all_axes[0].set_title(title + note, fontsize="medium")
    else:
        figure.suptitle(title + note, fontsize="medium")
    return save_figure(figure, path)


def curve_style(label: str, points: Sequence[Mapping[str, Any]], names: list[str]) -> SeriesStyle:
    """The look of a curve: its code's (with a marker per factor), else a colour by its name's place in ``names``."""
    code = points[0].get("code") if points else None
    factor, _, rest = label.partition(" from ")
    if code is None and rest:
        code = rest.split()[0]
    if code not in CODE_STYLES:
        return other_style(names.index(label))
    style = code_style(code)
    if not rest:
        return style
    factors = sorted({name.partition(" from ")[0] for name in names})
    return replace(style, marker=FACTOR_MARKERS[factors.index(factor) % len(FACTOR_MARKERS)])


def _draw_curves(axes: Any, curves: Mapping[str, Sequence[Mapping[str, Any]]], names: list[str]) -> bool:
    """Draw ``curves`` on ``axes`` in the look of :func:`curve_style`; whether any carried a CI."""
    positions: dict[str, list[float]] = {}
    chances: dict[float, str] = {}
    with_ci = False
    for label, points in curves.items():
        points = sorted(points, key=lambda point: point["shots"])
        means = np.array([point["mean"] for point in points])
        if all("ci_low" in point and "ci_high" in point for point in points):
            with_ci = True
            error = np.array([[m - p["ci_low"] for m, p in zip(means, points)],
                              [p["ci_high"] - m for m, p in zip(means, points)]]).clip(min=0.0)
        else:
            error = np.array([point.get("std") or 0.0 for point in points])
        style = curve_style(label, points, names)
        axes.errorbar([point["shots"] for point in points], means, yerr=error, marker=style.marker, capsize=3,
                      color=style.colour, linestyle=style.linestyle, label=label)
        for point in points:
            positions.setdefault(str(point["k"]), []).append(point["shots"])
            if point.get("chance") is not None:
                chances.setdefault(round(float(point["chance"]), 4), label.split(" from ")[0] if " from " in label else "")
    for level, factor in chances.items():
        axes.axhline(level, color="grey", linestyle=":", linewidth=1)
        text = f"chance {factor} {level:.2f}" if factor else f"chance {level:.2f}"
        axes.annotate(text, (1.0, level), xycoords=("axes fraction", "data"), fontsize="x-small", color="grey",
                      ha="right", va="bottom")
    axes.set_xscale("log")
    axes.set_xticks([float(np.median(where)) for where in positions.values()], list(positions))
    axes.minorticks_off()
    axes.set_ylim(0.0, 1.02)
    axes.grid(alpha=0.3)
    return with_ci


def plot_det_curves(curves: Mapping[str, Mapping[str, Sequence[float]]], path: str | Path,
                    title: str = "DET curves") -> Path:
    """Detection error trade-off curves: one line per label through its operating points (``far``, ``frr``
    as fractions), both axes on the normal-deviate (probit) scale, in the look of its ``code`` when given
    (:mod:`cdsvae_eval.draw.styles`); a curve's ``eer`` (a fraction), when given, is marked on the diagonal
    and named in the legend. Rates beyond the axes are drawn at their edge."""
    from matplotlib.figure import Figure
    from scipy.stats import norm

    ticks = np.array([0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4])
    edge = (ticks[0] / 2, 0.5)
    figure = Figure(figsize=(5.6, 5.0), dpi=120)
    axes = figure.subplots()
    for index, (label, points) in enumerate(curves.items()):
        far, frr = np.asarray(points["far"], dtype=np.float64), np.asarray(points["frr"], dtype=np.float64)
        if far.shape != frr.shape or far.ndim != 1 or len(far) < 2:
            raise DataError(f"DET curve {label!r}: needs matching 'far' and 'frr' lists of two or more points")
        eer = points.get("eer")
        style = code_style(points["code"]) if points.get("code") in CODE_STYLES else other_style(index)
        axes.plot(norm.ppf(np.clip(far, *edge)), norm.ppf(np.clip(frr, *edge)), color=style.colour,
                  linestyle=style.linestyle, label=label if eer is None else f"{label} (EER {100 * eer:.1f}%)")
        if eer is not None:
            axes.plot(*[norm.ppf(np.clip([eer], *edge))] * 2, marker=style.marker, color=style.colour)
    limits = norm.ppf(edge)
    axes.plot(limits, limits, color="grey", linestyle=":", linewidth=1, label="FAR = FRR")
    axes.set_xticks(norm.ppf(ticks), [f"{100 * t:g}" for t in ticks])
    axes.set_yticks(norm.ppf(ticks), [f"{100 * t:g}" for t in ticks])
    axes.set_xlim(*limits)
    axes.set_ylim(*limits)
    axes.set_xlabel("false acceptance rate (%)")
    axes.set_ylabel("false rejection rate (%)")
    axes.set_title(title, fontsize="medium")
    axes.grid(alpha=0.3)
    axes.legend(fontsize="x-small", loc="upper right")
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
