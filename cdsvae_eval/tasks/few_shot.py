"""``few-shot``: how many labelled examples a linear probe on the codes needs.

For each factor and k, k train rows per class are drawn (stratified, without replacement, seeded;
the subsets of one seed are nested across k), a linear probe is fitted on them and scored on every
eval row. ``k = "all"`` uses every train row; it is the same for all seeds, so it is fitted once.

Reported per factor and code:

- ``acc_<factor>_<code>_k<k>``: mean accuracy over seeds with the sample std over seeds, every seed's
  value, the chance level (majority-class rate on the eval split), and a 95% interval for each k that
  resamples the eval split's identities (characters, speakers) with all their rows (percentile cluster
  bootstrap of each row's correctness averaged over the seeds' probes); the std is the spread of the
  k-shot draws, the interval the uncertainty from which identities were scored;
- ``auc_<factor>_<code>``: area under mean accuracy vs log(k) (trapezoid), divided by the log range so
  it reads as an average accuracy; ``all`` sits at k = the largest class's train count;
- ``ratio_10_all_<factor>_<code>``: accuracy(k=10) / accuracy(all), the sample efficiency.

``ks`` left at its default is capped to the data: a class with fewer than k train rows gives all it
has, and a k that no class reaches is dropped (it would equal ``all``); both are recorded in the
protocol. ``ks`` given explicitly is strict: a class with fewer than k rows is an error naming it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cdsvae_eval.codes import CodeSet
from cdsvae_eval.errors import ConfigError, DataError
from cdsvae_eval.tasks.base import Figure, MetricSpec, MetricValue, Task, TaskInputs, TaskResult
from cdsvae_eval.tasks.bootstrap import ci_description, identity_bootstrap_ci
from cdsvae_eval.tasks.probes import (
    PROBE_DESCRIPTION,
    VIEW_DESCRIPTIONS,
    VIEWS,
    feature_view,
    majority_rate,
    probe_correct,
    resampling_unit,
    train_eval_codes,
    unscorable_reason,
)
from cdsvae_eval.tasks.registry import register_task

DEFAULT_KS: tuple[int | str, ...] = (1, 5, 10, 25, 50, "all")
PLOT_NAME = "few_shot.png"


@dataclass
class FewShotOptions:
    factors: tuple[str, ...] | None = None
    ks: tuple[int | str, ...] | None = None
    seeds: int = 5
    code: str = "both"
    train_split: str = "train"
    split: str = "test"


@dataclass(frozen=True)
class _Shot:
    label: str
    k: int | None
    position: float


@register_task
class FewShot(Task):
    name = "few-shot"
    version = "1.0"
    description = "probe accuracy with k labelled examples per class (k = 1 ... all), several seeds"
    needs = frozenset({"codes"})
    Options = FewShotOptions
    metric_specs = (
        MetricSpec(
            "acc_{factor}_{code}_k{k}",
            higher_is_better=True,
            description="mean test accuracy over seeds of a probe fitted on k train rows per class "
            "(lower is better when the code does not match the factor's kind)",
        ),
        MetricSpec(
            "auc_{factor}_{code}",
            higher_is_better=True,
            description="area under accuracy vs log(k), normalised by the log range (a mean accuracy)",
        ),
        MetricSpec("ratio_10_all_{factor}_{code}", higher_is_better=True, description="accuracy(k=10) / accuracy(all)"),
    )

    def run(self, inputs: TaskInputs, options: FewShotOptions, seed: int, out_dir: Path | None) -> TaskResult:
        train, test = train_eval_codes(inputs.codes, options.train_split, options.split, self.name)
        _check_options(options, train)
        factors = options.factors or tuple(sorted(train.labels))
        features = {view: (feature_view(train, view), feature_view(test, view)) for view in VIEWS}
        metrics: dict[str, MetricValue] = {}
        curves: dict[str, list[dict[str, Any]]] = {}
        adjustments: list[str] = []
        for factor in factors:
            kind = train.factors[factor].kind
            reason = unscorable_reason(train.labels[factor], test.labels[factor])
            if reason is not None:
                adjustments.append(f"{factor}: skipped, {reason}")
                continue
            shots = _plan_shots(train, factor, options.ks, adjustments)
            views = (kind,) if options.code == "matching" else VIEWS
            chance = majority_rate(test.labels[factor])
            for view in views:
                points = _curve(train, test, features[view], factor, shots, options.seeds, seed)
                for point in points:
                    point["chance"] = chance
                curves[f"{factor} from {view}" + ("" if view == kind else " (leakage)")] = points
                metrics.update(_curve_metrics(factor, view, points, higher_is_better=view == kind, chance=chance))
        figures = {PLOT_NAME: Figure("curves", curves)} if curves else {}
        protocol = {
            "name": "few-shot-linear-probe",
            "probe": PROBE_DESCRIPTION,
            "views": VIEW_DESCRIPTIONS,
            "ks": [str(k) for k in (options.ks or DEFAULT_KS)],
            "seeds": options.seeds,
            "sampling": "k train rows per class, stratified, without replacement; nested across k per seed",
            "all": "every train row, identical for all seeds, fitted once",
            "ci": {**ci_description(resampling_unit(test)[1]),
                   "values": "each eval row's correctness averaged over the seeds' probes, per k"},
            "std": "sample std over seeds (the k-shot draws)",
            "chance": "majority-class rate on the eval split",
            "eval_identities": int(len(np.unique(resampling_unit(test)[0]))),
            "auc": "trapezoid of mean accuracy over log(k) divided by the log range; 'all' at the largest class count",
            "train_split": options.train_split,
            "split": options.split,
            "n_train": len(train),
            "n_eval": len(test),
            "adjustments": adjustments,
        }
        rows = [{"curve": label, **point} for label, points in curves.items() for point in points]
        return TaskResult(metrics=metrics, protocol=protocol, tables={"curves": rows}, figures=figures)


def _check_options(options: FewShotOptions, train: CodeSet) -> None:
    if options.code not in ("matching", "both"):
        raise ConfigError(f"few-shot option 'code' must be 'matching' or 'both', got {options.code!r}")
    if options.seeds < 1:
        raise ConfigError(f"few-shot option 'seeds' must be at least 1, got {options.seeds}")
    for k in options.ks or ():
        if k != "all" and not (isinstance(k, int) and k >= 1):
            raise ConfigError(f"few-shot option 'ks' takes positive integers and 'all', got {k!r}")
    unknown = [factor for factor in options.factors or () if factor not in train.labels]
    if unknown:
        raise ConfigError(
            f"few-shot option 'factors': no labels for {', '.join(unknown)} (known: {', '.join(sorted(train.labels))})"
        )


def _plan_shots(train: CodeSet, factor: str, ks: tuple[int | str, ...] | None, adjustments: list[str]) -> list[_Shot]:
    """The k values to run for ``factor``: strict when ``ks`` is given, capped to the data otherwise."""
    counts = np.bincount(train.labels[factor], minlength=len(train.factors[factor].classes))
    present = np.flatnonzero(counts)
    largest = int(counts.max())
    shots: list[_Shot] = []
    for k in ks or DEFAULT_KS:
        if k == "all":
            shots.append(_Shot("all", None, float(largest)))
            continue
        short = [c for c in present if counts[c] < k]
        if ks is not None and short:
            name = train.factors[factor].classes[short[0]]
            raise DataError(
                f"few-shot k={k}: class {name!r} of factor {factor!r} has only {counts[short[0]]} "
                f"train rows (fewer than k)"
            )
        if ks is None and k >= largest:
            adjustments.append(f"{factor}: k={k} dropped, no class has more than {largest} train rows (same as 'all')")
            continue
        if short:
            names = ", ".join(train.factors[factor].classes[c] for c in short)
            adjustments.append(f"{factor}: k={k} capped to the available rows for class(es) {names}")
        shots.append(_Shot(str(k), int(k), float(k)))
    return shots


def _curve(
    train: CodeSet,
    test: CodeSet,
    features: tuple[np.ndarray, np.ndarray],
    factor: str,
    shots: list[_Shot],
    seeds: int,
    seed: int,
) -> list[dict[str, Any]]:
    train_x, test_x = features
    train_y, test_y = train.labels[factor], test.labels[factor]
    identities, _ = resampling_unit(test)
    by_class = [np.flatnonzero(train_y == c) for c in np.unique(train_y)]
    correct: dict[str, list[np.ndarray]] = {shot.label: [] for shot in shots}
    for repeat in range(seeds):
        rng = np.random.default_rng([seed, repeat])
        orders = [rng.permutation(rows) for rows in by_class]
        for shot in shots:
            if shot.k is None:
                if repeat == 0:
                    correct[shot.label].append(probe_correct(train_x, train_y, test_x, test_y, seed))
                continue
            subset = np.concatenate([order[: shot.k] for order in orders])
            correct[shot.label].append(probe_correct(train_x[subset], train_y[subset], test_x, test_y, seed))
    return [_summary(shot, correct[shot.label], identities, seed) for shot in shots]


def _summary(shot: _Shot, correct: list[np.ndarray], identities: np.ndarray, seed: int) -> dict[str, Any]:
    per_seed = [float(row.mean()) for row in correct]
    mean = float(np.mean(per_seed))
    low, high = identity_bootstrap_ci(np.mean(correct, axis=0), identities, seed)
    std = float(np.std(per_seed, ddof=1)) if len(per_seed) > 1 else 0.0
    return {"k": shot.label, "shots": shot.position, "mean": mean, "per_seed": per_seed, "std": std,
            "ci_low": low, "ci_high": high}


def _curve_metrics(factor: str, view: str, points: list[dict[str, Any]], higher_is_better: bool,
                   chance: float) -> dict[str, MetricValue]:
    metrics = {
        f"acc_{factor}_{view}_k{point['k']}": MetricValue(
            point["mean"],
            higher_is_better,
            ci_low=point["ci_low"],
            ci_high=point["ci_high"],
            std=point["std"],
            per_seed=point["per_seed"],
            chance=chance,
        )
        for point in points
    }
    metrics[f"auc_{factor}_{view}"] = MetricValue(log_k_auc(points), higher_is_better)
    by_k = {point["k"]: point["mean"] for point in points}
    if "10" in by_k and by_k.get("all"):
        metrics[f"ratio_10_all_{factor}_{view}"] = MetricValue(by_k["10"] / by_k["all"], higher_is_better)
    return metrics


def log_k_auc(points: list[dict[str, Any]]) -> float:
    """Mean accuracy over log(k): trapezoid area divided by the log range (one point: its accuracy)."""
    ordered = sorted(points, key=lambda point: point["shots"])
    log_k = np.log([point["shots"] for point in ordered])
    means = np.array([point["mean"] for point in ordered])
    if len(ordered) == 1 or log_k[-1] == log_k[0]:
        return float(means.mean())
    return float(np.trapezoid(means, log_k) / (log_k[-1] - log_k[0]))
