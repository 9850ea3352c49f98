"""The identity (cluster) bootstrap: wider than a row bootstrap when rows of an identity correlate."""

from __future__ import annotations

import numpy as np
import pytest

from cdsvae_eval.errors import DataError
from cdsvae_eval.tasks.bootstrap import identity_bootstrap_ci


def _width(interval: tuple[float, float]) -> float:
    return interval[1] - interval[0]


def test_correlated_rows_give_a_wider_identity_interval_than_rows() -> None:
    rng = np.random.default_rng(0)
    identities = np.repeat(np.arange(40), 9)
    easy = rng.random(40) < 0.5
    correct = np.where(easy[identities], rng.random(360) < 0.95, rng.random(360) < 0.15)
    by_identity = identity_bootstrap_ci(correct, identities, seed=1)
    by_row = identity_bootstrap_ci(correct, np.arange(360), seed=1)
    assert by_identity[0] <= correct.mean() <= by_identity[1]
    assert _width(by_identity) > 2.0 * _width(by_row)


def test_independent_rows_give_about_the_row_interval() -> None:
    rng = np.random.default_rng(2)
    identities = rng.permutation(np.repeat(np.arange(300), 3))
    correct = rng.random(900) < 0.6
    by_identity = identity_bootstrap_ci(correct, identities, seed=3, reps=4000)
    by_row = identity_bootstrap_ci(correct, np.arange(900), seed=3, reps=4000)
    assert _width(by_identity) == pytest.approx(_width(by_row), rel=0.15)


def test_the_row_interval_has_the_binomial_width_and_is_seeded() -> None:
    correct = np.arange(400) % 2 == 0
    low, high = identity_bootstrap_ci(correct, np.arange(400), seed=0)
    assert low < 0.5 < high
    assert (high - low) / 2 == pytest.approx(1.96 * np.sqrt(0.25 / 400), rel=0.15)
    assert identity_bootstrap_ci(correct, np.arange(400), seed=0) == (low, high)
    assert identity_bootstrap_ci(np.ones(50), np.arange(50) % 5, seed=0) == (1.0, 1.0)


def test_each_drawn_identity_brings_all_its_rows() -> None:
    """Two identities of very different sizes: a replicate is the pooled mean of the drawn identities' rows."""
    values = np.array([1.0] * 9 + [0.0])
    identities = np.array(["a"] * 9 + ["b"])
    low, high = identity_bootstrap_ci(values, identities, seed=0, reps=2000)
    assert (low, high) == (0.0, 1.0)
    means = {0.0, 0.9, 1.0}
    rng = np.random.default_rng(0)
    draws = rng.multinomial(2, [0.5, 0.5], size=2000)
    pooled = (draws[:, 0] * 9) / (draws[:, 0] * 9 + draws[:, 1])
    assert set(np.round(pooled, 6)) == means


def test_pairs_resample_both_identities() -> None:
    """Pairs (A, B): a pair whose B is hard is wrong whatever A is; resampling only A would miss that."""
    rng = np.random.default_rng(4)
    a, b = rng.integers(0, 30, 600), rng.integers(0, 30, 600)
    hard = rng.random(30) < 0.5
    correct = ~hard[b] & (rng.random(600) < 0.9)
    both = identity_bootstrap_ci(correct, np.stack([a, b], axis=1), seed=5)
    only_a = identity_bootstrap_ci(correct, a, seed=5)
    assert both[0] <= correct.mean() <= both[1]
    assert _width(both) > 1.5 * _width(only_a)


def test_bad_shapes_are_data_errors() -> None:
    with pytest.raises(DataError, match="values \\(N,\\) and identities"):
        identity_bootstrap_ci(np.ones(3), np.arange(4), seed=0)
    with pytest.raises(DataError, match="at least one row"):
        identity_bootstrap_ci(np.ones(0), np.arange(0), seed=0)


def test_the_vectorised_interval_is_the_loop_bootstraps_within_monte_carlo_error_and_seeded() -> None:
    """The replicate x identity count matrix against the plain loop (draw identities with replacement, pool their
    rows, take the mean): the same distribution, so the same interval up to Monte-Carlo error at 4000 replicates."""
    rng = np.random.default_rng(8)
    sizes = rng.integers(2, 30, size=25)
    identities = np.repeat(np.arange(25), sizes)
    skill = rng.random(25)
    correct = rng.random(len(identities)) < skill[identities]
    loop_rng = np.random.default_rng(123)
    rows_of = [np.flatnonzero(identities == i) for i in range(25)]
    loop = [correct[np.concatenate([rows_of[i] for i in loop_rng.integers(0, 25, size=25)])].mean()
            for _ in range(4000)]
    expected = np.percentile(loop, [2.5, 97.5])
    vectorised = identity_bootstrap_ci(correct, identities, seed=5, reps=4000)
    np.testing.assert_allclose(vectorised, expected, atol=0.015)
    assert identity_bootstrap_ci(correct, identities, seed=5, reps=4000) == vectorised
    assert identity_bootstrap_ci(correct, identities, seed=6, reps=4000) != vectorised
