"""The classify task: probes in both directions on codes whose disentanglement is known by construction."""

from __future__ import annotations

import numpy as np
import pytest

from cdsvae_eval.codes import CodeSet, FactorMeta
from cdsvae_eval.errors import DataError
from cdsvae_eval.tasks import TaskInputs
from cdsvae_eval.tasks.classify import Classify, ClassifyOptions
from cdsvae_eval.tasks.probes import feature_view
from cdsvae_eval.evaluate import run_task


def test_matching_codes_predict_their_factor_and_cross_codes_sit_near_chance(disentangled_codes) -> None:
    metrics = run_task("classify", TaskInputs(codes=disentangled_codes()))[0].metrics
    assert metrics["acc_skin_from_static"].value > 0.95
    assert metrics["acc_action_from_dynamic"].value > 0.95
    assert metrics["acc_skin_from_dynamic"].value < 0.25 + 0.15
    assert metrics["acc_action_from_static"].value < 1 / 3 + 0.15
    assert metrics["acc_skin_from_static"].higher_is_better and metrics["acc_action_from_dynamic"].higher_is_better
    assert not metrics["acc_skin_from_dynamic"].higher_is_better
    assert not metrics["acc_action_from_static"].higher_is_better


def test_chance_is_the_majority_rate_of_the_eval_split(disentangled_codes) -> None:
    codes = disentangled_codes()
    metrics = run_task("classify", TaskInputs(codes=codes))[0].metrics
    test_actions = codes.labels["action"][codes.split == "test"]
    assert metrics["chance_action"].value == pytest.approx(np.bincount(test_actions).max() / len(test_actions))
    assert metrics["chance_skin"].value == pytest.approx(0.25)


def test_every_accuracy_has_a_seeded_interval_around_it(disentangled_codes) -> None:
    codes = disentangled_codes()
    first = run_task("classify", TaskInputs(codes=codes), seed=3)[0].metrics
    again = run_task("classify", TaskInputs(codes=codes), seed=3)[0].metrics
    for name in ("acc_skin_from_static", "acc_skin_from_dynamic", "acc_action_from_static", "acc_action_from_dynamic"):
        value = first[name]
        assert value.ci_low <= value.value <= value.ci_high
        assert (value.ci_low, value.ci_high, value.value) == (again[name].ci_low, again[name].ci_high, again[name].value)
    assert first["acc_skin_from_dynamic"].ci_high - first["acc_skin_from_dynamic"].ci_low > 0.05


def test_intervals_resample_identities_and_say_so(disentangled_codes) -> None:
    """Every test row of an identity is right or wrong together: resampling identities must widen the CI."""
    codes = disentangled_codes()
    test_rows = np.flatnonzero(codes.split == "test")
    identity = np.arange(len(codes)).astype(str)
    identity[test_rows] = (np.arange(len(test_rows)) % 12).astype(str)
    clustered = CodeSet(codes.static, codes.dynamic, codes.labels, codes.factors, split=codes.split,
                        meta={"identity": "character"}, identity=identity)
    rows = run_task("classify", TaskInputs(codes=codes))[0]
    by_identity = run_task("classify", TaskInputs(codes=clustered))[0]
    assert by_identity.protocol["ci"]["resampled_unit"] == "character"
    assert by_identity.protocol["ci"]["replicates"] == 1000
    assert by_identity.protocol["eval_identities"] == 12
    assert rows.protocol["ci"]["resampled_unit"].startswith("row (the codes carry no 'identity' field")
    name = "acc_skin_from_dynamic"
    assert by_identity.metrics[name].value == rows.metrics[name].value
    assert by_identity.metrics[name].chance == pytest.approx(0.25)


def test_dynamic_view_keeps_temporal_order() -> None:
    """Two motions made of the same frames in opposite order: a time average could not tell them apart."""
    rng = np.random.default_rng(1)
    n, steps = 200, 6
    motion = np.arange(n) % 2
    ramp = np.linspace(-1.0, 1.0, steps)
    frames = np.where(motion[:, None] == 0, ramp, ramp[::-1])[:, :, None] + rng.normal(scale=0.3, size=(n, steps, 2))
    codes = CodeSet(
        static=rng.normal(size=(n, 3)).astype(np.float32),
        dynamic=frames.astype(np.float32),
        labels={"motion": motion},
        factors={"motion": FactorMeta("dynamic", ["up", "down"])},
        split=np.where(np.arange(n) < 140, "train", "test"),
    )
    assert feature_view(codes, "dynamic").shape == (n, steps * 2)
    np.testing.assert_array_equal(feature_view(codes, "dynamic")[7], codes.dynamic[7].ravel())
    metrics = run_task("classify", TaskInputs(codes=codes))[0].metrics
    assert metrics["acc_motion_from_dynamic"].value > 0.95


def test_baseline_codes_are_probed_the_same_way(disentangled_codes) -> None:
    codes = disentangled_codes()
    noise = np.random.default_rng(5)
    baseline = CodeSet(
        static=noise.normal(size=codes.static.shape).astype(np.float32),
        dynamic=noise.normal(size=codes.dynamic.shape).astype(np.float32),
        labels=codes.labels,
        factors=codes.factors,
        split=codes.split,
    )
    result = run_task("classify", TaskInputs(codes=codes, baseline_codes=baseline))[0]
    assert result.metrics["baseline_acc_skin_from_static"].value < 0.25 + 0.15
    assert result.metrics["acc_skin_from_static"].value > 0.95
    assert {row["codes"] for row in result.tables["probes"]} == {"model", "baseline"}


def test_codes_without_a_split_column_are_a_one_line_error(disentangled_codes) -> None:
    codes = disentangled_codes()
    codes.split = None
    with pytest.raises(DataError, match="classify.*'split'") as error:
        Classify().run(TaskInputs(codes=codes), ClassifyOptions(), seed=0, out_dir=None)
    assert "\n" not in str(error.value)


def test_missing_eval_split_names_the_split(disentangled_codes) -> None:
    codes = disentangled_codes()
    with pytest.raises(DataError, match="'val'"):
        run_task("classify", TaskInputs(codes=codes), {"split": "val"})


def with_held_out_speakers(codes: CodeSet) -> CodeSet:
    """Adds a 'speaker' factor whose test speakers never occur in training, as in TIMIT."""
    speaker = np.where(codes.split == "train", np.arange(len(codes)) % 6, 6 + np.arange(len(codes)) % 4)
    factors = {**codes.factors, "speaker": FactorMeta("static", [f"s{i}" for i in range(10)])}
    return CodeSet(static=codes.static, dynamic=codes.dynamic, labels={**codes.labels, "speaker": speaker},
                   factors=factors, split=codes.split)


def test_a_factor_with_unseen_eval_classes_is_skipped_not_scored_zero(disentangled_codes) -> None:
    result, _ = run_task("classify", TaskInputs(codes=with_held_out_speakers(disentangled_codes())))
    assert not any("speaker" in name for name in result.metrics)
    assert "disjoint identities" in result.protocol["skipped"]["speaker"]
    assert "acc_skin_from_static" in result.metrics


def test_few_shot_skips_a_factor_with_unseen_eval_classes(disentangled_codes) -> None:
    result, _ = run_task("few-shot", TaskInputs(codes=with_held_out_speakers(disentangled_codes())),
                         {"seeds": 2, "ks": "1,all"})
    assert not any("speaker" in name for name in result.metrics)
    assert any(note.startswith("speaker: skipped, no eval class") for note in result.protocol["adjustments"])
