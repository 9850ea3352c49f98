"""The utterance embedding rule: the mean of an utterance's rows (cdsvae_eval.metrics.group_means)."""

from __future__ import annotations

import numpy as np
import pytest

from cdsvae_eval.errors import DataError
from cdsvae_eval.metrics import group_means


def test_group_means_average_the_rows_of_each_group_in_sorted_group_order() -> None:
    values = np.arange(12, dtype=np.float32).reshape(6, 2)
    ids, means = group_means(values, np.array(["b", "a", "b", "c", "a", "b"]))
    assert ids.tolist() == ["a", "b", "c"]
    np.testing.assert_allclose(means, [[5.0, 6.0], [14 / 3, 17 / 3], [6.0, 7.0]])
    assert means.dtype == np.float64


def test_group_means_keep_trailing_axes() -> None:
    values = np.random.default_rng(0).normal(size=(5, 3, 2))
    groups = np.array([1, 0, 1, 1, 0])
    _, means = group_means(values, groups)
    np.testing.assert_allclose(means[1], values[groups == 1].mean(axis=0))


def test_group_means_need_one_group_per_row() -> None:
    with pytest.raises(DataError, match="one group per row"):
        group_means(np.zeros((3, 2)), np.zeros(2))
    with pytest.raises(DataError, match="no rows"):
        group_means(np.zeros((0, 2)), np.zeros(0))
