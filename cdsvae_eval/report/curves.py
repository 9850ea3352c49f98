"""Training curves of a run, from its ``log.jsonl``: loss terms, the KL of each code and the validation
swaps per epoch, one panel each. Uses matplotlib's object API (no pyplot)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cdsvae_eval.draw.plots import save_figure
from cdsvae_eval.errors import DataError
from cdsvae_eval.draw.styles import SeriesStyle, code_style, other_style
from cdsvae_eval.names import (
    DYNAMIC_CODE, KL_DYNAMIC, KL_STATIC, STATIC_CODE, SWAP_IDENTITY_ACC, SWAP_IDENTITY_CHANCE, SWAP_MOTION_ACC,
    SWAP_MOTION_CHANCE,
)

LOSS_TERMS = ("loss", "recon", "mi", "contrastive_static", "contrastive_dynamic")
KL_TERMS = {KL_STATIC: "KL z_s", KL_DYNAMIC: "KL z_1:T"}
KL_CODES = {KL_STATIC: STATIC_CODE, KL_DYNAMIC: DYNAMIC_CODE}
SWAP_TERMS = {SWAP_MOTION_ACC: ("motion swap", SWAP_MOTION_CHANCE),
              SWAP_IDENTITY_ACC: ("identity swap", SWAP_IDENTITY_CHANCE)}


def load_log(path: str | Path) -> list[dict[str, Any]]:
    """The epoch records of a run's ``log.jsonl`` (one-line :class:`DataError` naming the file otherwise)."""
    path = Path(path)
    records = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise DataError(f"training log {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"training log {path} is not readable ({error})") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            raise DataError(f"training log {path}, line {number}: not JSON") from None
        if not (isinstance(record, dict) and isinstance(record.get("epoch"), int)
                and isinstance(record.get("train"), dict)):
            raise DataError(f"training log {path}, line {number}: needs an integer 'epoch' and a 'train' object")
        records.append(record)
    if not records:
        raise DataError(f"training log {path} holds no epochs")
    return records


def plot_training_curves(log_path: str | Path, out_path: str | Path, title: str | None = None) -> Path:
    """Write a PNG of the run's curves: loss terms (train solid, validation dashed, log scale), KL of each
    code, and (when the log has them: video runs) the validation swap accuracies with their chance levels."""
    from matplotlib.figure import Figure

    records = load_log(log_path)
    swaps = {term: [(record["epoch"], record["swap"]) for record in records
                    if isinstance(record.get("swap"), dict) and term in record["swap"]] for term in SWAP_TERMS}
    with_swaps = any(swaps.values())
    figure = Figure(figsize=(12.0 if with_swaps else 8.4, 3.6), dpi=100)
    panels = figure.subplots(1, 3 if with_swaps else 2)
    loss_axes, kl_axes = panels[:2]
    epochs = [record["epoch"] for record in records]
    for index, term in enumerate(LOSS_TERMS):
        _plot_term(loss_axes, records, epochs, term, term, other_style(index).colour)
    loss_axes.set_yscale("symlog", linthresh=1.0)
    loss_axes.set_title("loss terms (train -, val --)", fontsize="medium")
    loss_axes.set_ylabel("per sequence")
    for term, label in KL_TERMS.items():
        _plot_code_term(kl_axes, records, epochs, term, label, code_style(KL_CODES[term]))
    kl_axes.set_title("KL of each code, nats (val: with markers)", fontsize="medium")
    kl_axes.set_ylabel("nats")
    if with_swaps:
        _plot_swaps(panels[2], swaps)
    for axes in panels:
        axes.set_xlabel("epoch")
        axes.grid(alpha=0.3)
        if axes.get_legend_handles_labels()[0]:
            axes.legend(fontsize="x-small", loc="upper center", bbox_to_anchor=(0.5, -0.24), ncol=2, frameon=False)
    if title:
        figure.suptitle(title, fontsize="medium")
    return save_figure(figure, out_path)


def _plot_swaps(axes: Any, swaps: dict[str, list[tuple[int, dict[str, Any]]]]) -> None:
    for index, (term, (label, chance_term)) in enumerate(SWAP_TERMS.items()):
        scored = swaps[term]
        if not scored:
            continue
        colour = other_style(len(LOSS_TERMS) + index).colour
        axes.plot([epoch for epoch, _ in scored], [swap[term] for _, swap in scored], marker="o",
                  color=colour, label=label)
        chance = scored[-1][1].get(chance_term)
        if chance is not None:
            axes.axhline(chance, color=colour, linestyle=":", linewidth=1,
                         label=f"{label} chance {chance:.2g}")
    axes.set_ylim(0.0, 1.02)
    axes.set_title("validation swaps (accuracy)", fontsize="medium")


def _plot_code_term(axes: Any, records: list[dict[str, Any]], epochs: list[int], term: str, label: str,
                    style: SeriesStyle) -> None:
    """A code's term in the code's colour and line style: train as a line, validation with the code's markers."""
    for split, marker in (("train", None), ("val", style.marker)):
        points = [(epoch, record[split][term]) for epoch, record in zip(epochs, records)
                  if isinstance(record.get(split), dict) and term in record[split]]
        if points:
            axes.plot([epoch for epoch, _ in points], [value for _, value in points], color=style.colour,
                      linestyle=style.linestyle, marker=marker, alpha=1.0 if marker is None else 0.6,
                      label=label if split == "train" else f"{label} (val)")


def _plot_term(axes: Any, records: list[dict[str, Any]], epochs: list[int], term: str, label: str,
               color: Any) -> None:
    for split, style in (("train", "-"), ("val", "--")):
        points = [(epoch, record[split][term]) for epoch, record in zip(epochs, records)
                  if isinstance(record.get(split), dict) and term in record[split]]
        if points:
            axes.plot([epoch for epoch, _ in points], [value for _, value in points], linestyle=style, color=color,
                      label=label if split == "train" else None)
