"""The code-usage task: codes whose means are informative but whose samples are not must score as undecodable."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from cdsvae_eval.codes import CodeSet, FactorMeta, load_codes, save_codes
from cdsvae_eval.models.code_stats import active_units, signal_to_noise
from cdsvae_eval.evaluate import run_task
from cdsvae_eval.tasks import TaskInputs


def planted_codes(signal: float, logvar: float, seed: int = 0) -> CodeSet:
    """Static means that encode 'skin' (4 classes) by ``signal`` times a one-hot, posterior variance
    ``exp(logvar)`` in every dimension; dynamic codes encode 'action' (3 classes) the same way."""
    rng = np.random.default_rng(seed)
    n_train, n_test = 480, 240
    n = n_train + n_test
    skin, action = rng.integers(0, 4, n), rng.integers(0, 3, n)
    static = signal * np.eye(4)[skin] + 1e-3 * rng.normal(size=(n, 4))
    dynamic = signal * np.repeat(np.eye(3)[action][:, None, :], 5, axis=1) + 1e-3 * rng.normal(size=(n, 5, 3))
    return CodeSet(
        static=static.astype(np.float32),
        dynamic=dynamic.astype(np.float32),
        labels={"skin": skin, "action": action},
        factors={"skin": FactorMeta("static", list("abcd")), "action": FactorMeta("dynamic", ["walk", "run", "jump"])},
        split=np.array(["train"] * n_train + ["test"] * n_test),
        identity=np.array([f"c{i % 60}" for i in range(n)]),
        static_logvar=np.full((n, 4), logvar, dtype=np.float32),
        dynamic_logvar=np.full((n, 5, 3), logvar, dtype=np.float32),
    )


def test_informative_means_under_unit_noise_score_as_undecodable() -> None:
    result = run_task("code-usage", TaskInputs(codes=planted_codes(signal=0.03, logvar=0.0)))[0]
    metrics = result.metrics
    assert result.protocol["ci"]["resampled_unit"] == "identity" and result.protocol["eval_identities"] == 60
    assert metrics["sample_acc_skin_from_static"].chance == pytest.approx(metrics["chance_skin"].value)
    assert metrics["mean_acc_skin_from_static"].value > 0.95
    assert metrics["mean_acc_action_from_dynamic"].value > 0.95
    assert metrics["sample_acc_skin_from_static"].value < 0.25 + 0.12
    assert metrics["sample_acc_action_from_dynamic"].value < 1 / 3 + 0.12
    assert metrics["snr_median_static"].value < 0.01
    assert metrics["informative_dims_dynamic"].value == 0


def test_the_same_means_with_tight_posteriors_are_decodable() -> None:
    metrics = run_task("code-usage", TaskInputs(codes=planted_codes(signal=0.03, logvar=-14.0)))[0].metrics
    assert metrics["sample_acc_skin_from_static"].value > 0.95
    assert metrics["sample_acc_action_from_dynamic"].value > 0.95
    assert metrics["sample_acc_action_from_static"].value < 1 / 3 + 0.12
    assert metrics["informative_dims_static"].value == 4


def test_kl_of_the_static_code_matches_the_closed_form() -> None:
    codes = planted_codes(signal=2.0, logvar=-1.0)
    metrics = run_task("code-usage", TaskInputs(codes=codes))[0].metrics
    test = codes.of_split("test")
    expected = np.mean(0.5 * (test.static.astype(np.float64) ** 2 + np.exp(-1.0) - 1.0 + 1.0).sum(axis=1))
    assert metrics["kl_static"].value == pytest.approx(expected, rel=1e-5)


def test_codes_without_variances_say_so_and_keep_the_mean_figures() -> None:
    codes = dataclasses.replace(planted_codes(signal=1.0, logvar=0.0), static_logvar=None, dynamic_logvar=None)
    result = run_task("code-usage", TaskInputs(codes=codes))[0]
    assert "sample_acc_skin_from_static" not in result.metrics and "kl_static" not in result.metrics
    assert "mean_acc_skin_from_static" in result.metrics and "active_units_static" in result.metrics
    assert any("no posterior variances" in note for note in result.protocol["notes"])


def test_a_dimension_that_only_tells_the_time_is_silent() -> None:
    steps = np.linspace(-1, 1, 6)
    clock = np.broadcast_to(steps[None, :, None], (50, 6, 1)).copy()
    assert active_units(clock) == 0
    assert signal_to_noise(clock, np.zeros_like(clock))[0] == pytest.approx(0.0)


def test_variances_round_trip_through_the_code_file(tmp_path) -> None:
    codes = planted_codes(signal=1.0, logvar=-2.0)
    save_codes(codes, tmp_path / "codes.npz")
    again = load_codes(tmp_path / "codes.npz")
    np.testing.assert_array_equal(again.dynamic_logvar, codes.dynamic_logvar)
    np.testing.assert_array_equal(again.static_logvar, codes.static_logvar)


def test_variances_of_the_wrong_shape_are_a_one_line_error() -> None:
    from cdsvae_eval.errors import DataError

    with pytest.raises(DataError, match="'static_logvar' must have the shape"):
        dataclasses.replace(planted_codes(1.0, 0.0), static_logvar=np.zeros((3, 4), dtype=np.float32))
