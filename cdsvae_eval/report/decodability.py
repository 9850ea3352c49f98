"""The decodability figure of ``code-usage``: per factor, probe accuracy from z_s and from z_1:T (trained
and random-init model), with its 95% interval and the factor's chance level. Object API, no pyplot. Bars take
their code's look (:mod:`cdsvae_eval.draw.styles`): the random-init model's colour, its codes told apart by
their hatch."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from cdsvae_eval.draw.plots import save_figure
from cdsvae_eval.draw.styles import RANDOM_INIT, code_style

_BARS = (("model", "static", "z_s"), ("model", "dynamic", "z_1:T"),
         ("baseline", "static", "random-init z_s"), ("baseline", "dynamic", "random-init z_1:T"))


def plot_decodability(rows: Sequence[Mapping[str, Any]], path: str | Path,
                      title: str = "decodability of each factor (one posterior sample per row)") -> Path:
    from matplotlib.figure import Figure

    by_key = {(row["codes"], row["factor"], row["code"]): row for row in rows}
    factors = list(dict.fromkeys((row["factor"], row["kind"]) for row in rows))
    bars = [bar for bar in _BARS if any(key[0] == bar[0] for key in by_key)]
    figure = Figure(figsize=(10.0, 3.8), dpi=100)
    axes = figure.subplots()
    width = 0.8 / len(bars)
    for index, (codes, code, label) in enumerate(bars):
        x, heights, errors = [], [], []
        for position, (factor, _) in enumerate(factors):
            row = by_key.get((codes, factor, code))
            if row is None:
                continue
            x.append(position + (index - (len(bars) - 1) / 2) * width)
            heights.append(row["accuracy"])
            low, high = row.get("ci_low", row["accuracy"]), row.get("ci_high", row["accuracy"])
            errors.append((max(row["accuracy"] - low, 0.0), max(high - row["accuracy"], 0.0)))
        look = code_style(RANDOM_INIT if codes == "baseline" else code)
        axes.bar(x, heights, width, color=look.colour, hatch=code_style(code).hatch, edgecolor="white", label=label,
                 yerr=np.array(errors).T if errors else None, capsize=2)
    for position, (factor, _) in enumerate(factors):
        chance = next((row["chance"] for key, row in by_key.items() if key[1] == factor), None)
        if chance is not None:
            axes.hlines(chance, position - 0.45, position + 0.45, colors="black", linestyles=":",
                        label="chance (majority class)" if position == 0 else None)
    axes.set_xticks(range(len(factors)), [f"{factor}\n({kind})" for factor, kind in factors], fontsize="small")
    axes.set_ylabel("test accuracy")
    axes.set_ylim(0.0, 1.05)
    axes.set_title(title + " (bars: 95% interval)", fontsize="medium")
    axes.grid(axis="y", alpha=0.3)
    axes.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    return save_figure(figure, path)
