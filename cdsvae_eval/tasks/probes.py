"""Linear probes on frozen codes, shared by the ``classify`` and ``few-shot`` tasks.

A probe is multinomial logistic regression (L-BFGS, C = 1, fixed iteration cap) on features
standardised with the training rows' mean and standard deviation. L-BFGS is deterministic, so a
probe depends only on its training rows. Probes run single-threaded: the problems are small, and
BLAS/OpenMP thread pools made them 20-70x slower on a busy 2-core machine; the probes of one task are fitted
side by side instead, one per core (:func:`probes_correct`). sklearn is imported on first use, so listing
tasks stays fast.

Feature views of a :class:`CodeSet`:

- ``static``:  z_s, shape (N, Ds)
- ``dynamic``: z_1:T flattened frame by frame, shape (N, T * Dt). Flattening keeps the temporal
  order, so motion (which lives in how z_t changes over time) stays linearly readable; a time
  average would erase it.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from threadpoolctl import threadpool_limits

from cdsvae_eval.codes import CodeSet
from cdsvae_eval.errors import DataError
from cdsvae_eval.names import INPUT_CODE, chance_metric, probe_metric
from cdsvae_eval.tasks.base import MetricValue
from cdsvae_eval.tasks.bootstrap import identity_bootstrap_ci
from cdsvae_eval.tasks.library_warnings import each_warning_once

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

VIEWS = ("static", "dynamic")
MAX_ITER = 200
PROBE_DESCRIPTION = (
    f"multinomial logistic regression (L-BFGS, C=1, max_iter={MAX_ITER}) on standardised features"
)
VIEW_DESCRIPTIONS = {"static": "z_s (N, Ds)", "dynamic": "z_1:T flattened (N, T*Dt)"}


def feature_view(codes: CodeSet, view: str) -> np.ndarray:
    """The probe's input features for ``view`` (``static`` or ``dynamic``) as float32 (N, D)."""
    if view == "static":
        return np.asarray(codes.static, dtype=np.float32)
    if view == "dynamic":
        return np.asarray(codes.dynamic, dtype=np.float32).reshape(len(codes), -1)
    raise ValueError(f"unknown feature view {view!r} (expected one of {VIEWS})")


def fit_probe(train_x: np.ndarray, train_y: np.ndarray, seed: int = 0) -> Pipeline:
    """Fit a linear probe. Hitting the iteration cap is expected on separable data and not reported; any other
    library warning is shown once per process (:func:`each_warning_once`)."""
    with _quiet_single_threaded():
        return _fitted(train_x, train_y, seed)


@dataclass(frozen=True)
class ProbeJob:
    """One probe to fit on ``train_x``/``train_y`` and score on ``eval_x``/``eval_y``."""

    train_x: np.ndarray
    train_y: np.ndarray
    eval_x: np.ndarray
    eval_y: np.ndarray


def probes_correct(jobs: Sequence[ProbeJob], seed: int = 0) -> list[np.ndarray]:
    """For each job, which eval rows its probe classifies correctly (:func:`probe_correct`).

    The probes are fitted side by side, one per core (threads: the fits spend their time in single-threaded BLAS
    calls, which release the GIL). Each fit depends only on its own rows, so the results are those of fitting them
    one after the other. Warnings and thread limits are set once, here, for all threads."""
    def correct(job: ProbeJob) -> np.ndarray:
        return _fitted(job.train_x, job.train_y, seed).predict(job.eval_x) == job.eval_y

    with _quiet_single_threaded():
        if len(jobs) < 2:
            return [correct(job) for job in jobs]
        largest_first = sorted(range(len(jobs)), key=lambda k: -jobs[k].train_x.size)  # the long fits start first
        with ThreadPoolExecutor(max_workers=min(len(jobs), len(os.sched_getaffinity(0)))) as pool:
            done = dict(zip(largest_first, pool.map(correct, [jobs[k] for k in largest_first])))
        return [done[k] for k in range(len(jobs))]


def probe_correct(
    train_x: np.ndarray, train_y: np.ndarray, eval_x: np.ndarray, eval_y: np.ndarray, seed: int = 0
) -> np.ndarray:
    """Boolean vector: did the probe fitted on the train rows classify each eval row correctly?"""
    return probes_correct([ProbeJob(train_x, train_y, eval_x, eval_y)], seed)[0]


def _fitted(train_x: np.ndarray, train_y: np.ndarray, seed: int) -> Pipeline:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(
        StandardScaler(),
        LogisticRegression(C=1.0, max_iter=MAX_ITER, random_state=seed),
    )
    return model.fit(train_x, train_y)


@contextmanager
def _quiet_single_threaded() -> Iterator[None]:
    """Library warnings once per process, the iteration cap's not at all, and BLAS/OpenMP pools of one thread."""
    from sklearn.exceptions import ConvergenceWarning

    with each_warning_once(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def resampling_unit(codes: CodeSet) -> tuple[np.ndarray, str]:
    """Per-row identities to resample for a CI, and the unit's name for the protocol.

    Codes without an ``identity`` field fall back to rows, and the name says that the interval is
    then too narrow wherever rows of one identity are correlated."""
    if codes.identity is not None:
        return codes.identity, str(codes.meta.get("identity", "identity"))
    return np.arange(len(codes)), "row (the codes carry no 'identity' field; too narrow if rows of one identity correlate)"


def majority_rate(labels: np.ndarray) -> float:
    """Accuracy of always predicting the most frequent class of ``labels``."""
    return float(np.bincount(labels).max() / len(labels))


def train_eval_codes(codes: CodeSet | None, train_split: str, split: str, task: str) -> tuple[CodeSet, CodeSet]:
    """The rows to fit on and the rows to score, with one-line errors naming what is missing."""
    if codes is None:
        raise DataError(f"task {task!r} needs codes")
    if codes.split is None:
        raise DataError(
            f"task {task!r} needs a 'split' column in the codes with {train_split!r} and {split!r} rows"
        )
    if not codes.labels:
        raise DataError(f"task {task!r} needs labelled factors (fields 'y_<factor>') in the codes")
    return codes.of_split(train_split), codes.of_split(split)


def unscorable_reason(train_labels: np.ndarray, eval_labels: np.ndarray) -> str | None:
    """Why a closed-set probe cannot score a factor, or None when it can.

    A factor whose eval classes never occur in training (speakers or characters held out by design)
    gives 0% for any probe; that says nothing about the codes, so such factors are skipped.
    """
    present = len(np.unique(train_labels))
    if present < 2:
        return f"only {present} class present in the train split"
    if not np.isin(eval_labels, train_labels).any():
        return "no eval class occurs in the train split (disjoint identities; use speaker-eer for those)"
    return None


def higher_is_better(view: str, kind: str) -> bool:
    """Whether more accuracy from ``view`` is better for a factor of ``kind``: from the matching code, yes; from the
    other code it is leakage; the model's input is the linear reference, where more means more to be read."""
    return view == kind or view == INPUT_CODE


@dataclass(frozen=True)
class ProbeSet:
    """Feature views (name -> train rows' and eval rows' features) of ``train``/``test``, probed for every labelled
    factor: metrics ``<metric_prefix>acc_<factor>_from_<view>``, table rows carrying ``row_fields``, and with
    ``record_chance`` the chance levels as metrics too (``chance_<factor>``)."""

    train: CodeSet
    test: CodeSet
    features: dict[str, tuple[np.ndarray, np.ndarray]]
    metric_prefix: str = ""
    row_fields: dict[str, Any] = field(default_factory=dict)
    record_chance: bool = False


ProbeOutcome = tuple[dict[str, MetricValue], list[dict[str, Any]], dict[str, str]]


def probe_factors(
    train: CodeSet, test: CodeSet, features: dict[str, tuple[np.ndarray, np.ndarray]], seed: int,
    metric_prefix: str, row_fields: dict[str, Any], record_chance: bool,
) -> ProbeOutcome:
    """:func:`probe_sets` of one set."""
    return probe_sets([ProbeSet(train, test, features, metric_prefix, row_fields, record_chance)], seed)[0]


def probe_sets(sets: Sequence[ProbeSet], seed: int) -> list[ProbeOutcome]:
    """Probe every labelled factor of each set from each of its views, all probes fitted side by side.

    Per set: the metrics with identity-bootstrap CIs and the chance level (higher is better as
    :func:`higher_is_better` says), the table rows, and the factors a closed-set probe cannot score, with the reason.
    """
    plans = []
    jobs: list[ProbeJob] = []
    for probe_set in sets:
        train, test = probe_set.train, probe_set.test
        skipped = {factor: reason for factor in sorted(train.labels)
                   if (reason := unscorable_reason(train.labels[factor], test.labels[factor])) is not None}
        scored = [(factor, view) for factor in sorted(train.labels) if factor not in skipped
                  for view in probe_set.features]
        jobs += [ProbeJob(probe_set.features[view][0], train.labels[factor], probe_set.features[view][1],
                          test.labels[factor]) for factor, view in scored]
        plans.append((probe_set, scored, skipped))
    results = iter(probes_correct(jobs, seed))
    return [_outcome(probe_set, {key: next(results) for key in scored}, skipped, seed)
            for probe_set, scored, skipped in plans]


def _outcome(probe_set: ProbeSet, correct_of: dict[tuple[str, str], np.ndarray], skipped: dict[str, str],
             seed: int) -> ProbeOutcome:
    train, test = probe_set.train, probe_set.test
    metrics: dict[str, MetricValue] = {}
    rows: list[dict[str, Any]] = []
    identities, _ = resampling_unit(test)
    for factor in sorted(train.labels):
        if factor in skipped:
            continue
        kind = train.factors[factor].kind
        chance = majority_rate(test.labels[factor])
        if probe_set.record_chance:
            metrics[chance_metric(factor)] = MetricValue(chance, higher_is_better=False)
        for view in probe_set.features:
            correct = correct_of[factor, view]
            low, high = identity_bootstrap_ci(correct, identities, seed)
            accuracy = float(correct.mean())
            metrics[probe_metric(factor, view, probe_set.metric_prefix)] = MetricValue(
                accuracy, higher_is_better=higher_is_better(view, kind), ci_low=low, ci_high=high, chance=chance)
            rows.append({**probe_set.row_fields, "factor": factor, "kind": kind, "code": view, "accuracy": accuracy,
                         "ci_low": low, "ci_high": high, "chance": chance,
                         "n_classes": len(train.factors[factor].classes)})
    return metrics, rows, skipped
