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
from dataclasses import dataclass
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
        with ThreadPoolExecutor(max_workers=min(len(jobs), len(os.sched_getaffinity(0)))) as pool:
            return list(pool.map(correct, jobs))


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
    other code it is leakage; the model's input is the ceiling, where more means more to be read."""
    return view == kind or view == INPUT_CODE


def probe_factors(
    train: CodeSet, test: CodeSet, features: dict[str, tuple[np.ndarray, np.ndarray]], seed: int,
    metric_prefix: str, row_fields: dict[str, Any], record_chance: bool,
) -> tuple[dict[str, MetricValue], list[dict[str, Any]], dict[str, str]]:
    """Probe every labelled factor from each feature view (``static``, ``dynamic``: train and eval rows).

    Metrics are ``<metric_prefix>acc_<factor>_from_<view>`` with identity-bootstrap CIs and the chance
    level; higher is better as :func:`higher_is_better` says. With
    ``record_chance`` the chance levels are metrics too (``chance_<factor>``). Each table row carries
    ``row_fields``. Factors a closed-set probe cannot score are returned in ``skipped`` with the reason.
    """
    metrics: dict[str, MetricValue] = {}
    rows: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    identities, _ = resampling_unit(test)
    scored = []
    for factor in sorted(train.labels):
        reason = unscorable_reason(train.labels[factor], test.labels[factor])
        if reason is not None:
            skipped[factor] = reason
        else:
            scored += [(factor, view) for view in features]
    jobs = [ProbeJob(features[view][0], train.labels[factor], features[view][1], test.labels[factor])
            for factor, view in scored]
    correct_of = dict(zip(scored, probes_correct(jobs, seed)))
    for factor in sorted(train.labels):
        if factor in skipped:
            continue
        test_y = test.labels[factor]
        kind = train.factors[factor].kind
        chance = majority_rate(test_y)
        if record_chance:
            metrics[chance_metric(factor)] = MetricValue(chance, higher_is_better=False)
        for view in features:
            correct = correct_of[factor, view]
            low, high = identity_bootstrap_ci(correct, identities, seed)
            accuracy = float(correct.mean())
            metrics[probe_metric(factor, view, metric_prefix)] = MetricValue(
                accuracy, higher_is_better=higher_is_better(view, kind), ci_low=low, ci_high=high, chance=chance)
            rows.append({**row_fields, "factor": factor, "kind": kind, "code": view, "accuracy": accuracy,
                         "ci_low": low, "ci_high": high, "chance": chance,
                         "n_classes": len(train.factors[factor].classes)})
    return metrics, rows, skipped
