"""The few-shot task: curve shapes, AUC over log k, the k=10/all ratio, strict and capped k."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from cdsvae_eval.errors import ConfigError, DataError
from cdsvae_eval.tasks import TaskInputs
from cdsvae_eval.evaluate import run_task


@pytest.fixture(scope="module")
def weak_codes(disentangled_codes):
    """Codes whose class means sit only 0.6 apart against unit noise, so accuracy still grows with k."""
    return functools.partial(disentangled_codes, separation=0.6)


@pytest.fixture(scope="module")
def default_run(weak_codes) -> tuple:
    return run_task("few-shot", TaskInputs(codes=weak_codes()))[0]


def test_matching_codes_get_every_default_k(default_run) -> None:
    metrics = default_run.metrics
    for factor, code in (("skin", "static"), ("action", "dynamic")):
        for k in ("1", "5", "10", "25", "50"):
            value = metrics[f"acc_{factor}_{code}_k{k}"]
            assert len(value.per_seed) == 5
            assert value.value == pytest.approx(np.mean(value.per_seed))
            assert value.std == pytest.approx(np.std(value.per_seed, ddof=1))
            assert value.higher_is_better
        assert len(metrics[f"acc_{factor}_{code}_kall"].per_seed) == 1
    assert not metrics["acc_skin_dynamic_k10"].higher_is_better and not metrics["acc_action_static_k10"].higher_is_better
    assert "skin from dynamic (leakage)" in default_run.figures["few_shot.png"].data


def test_code_matching_leaves_out_the_leakage_directions(weak_codes) -> None:
    metrics = run_task("few-shot", TaskInputs(codes=weak_codes()), options={"code": "matching", "seeds": 2})[0].metrics
    assert not any("skin_dynamic" in name or "action_static" in name for name in metrics)


def test_seeds_draw_different_subsets(default_run) -> None:
    assert len(set(default_run.metrics["acc_skin_static_k1"].per_seed)) > 1


def test_more_shots_help_on_an_informative_code(default_run) -> None:
    metrics = default_run.metrics
    assert metrics["acc_skin_static_kall"].value > metrics["acc_skin_static_k1"].value + 0.2


def test_every_k_has_an_interval_over_identities_and_its_chance(default_run, weak_codes) -> None:
    codes = weak_codes()
    for k in ("1", "5", "all"):
        value = default_run.metrics[f"acc_action_dynamic_k{k}"]
        assert value.ci_low <= value.value <= value.ci_high and value.ci_low < value.ci_high
        test_actions = codes.labels["action"][codes.split == "test"]
        assert value.chance == pytest.approx(np.bincount(test_actions).max() / len(test_actions))
    assert default_run.protocol["ci"]["resampled_unit"].startswith("row")
    assert default_run.protocol["ci"]["replicates"] == 1000


def test_auc_is_the_mean_accuracy_over_log_k(default_run) -> None:
    metrics = default_run.metrics
    train_rows_per_class = 60  # 240 train rows, 4 balanced classes: 'all' sits at k = 60
    ks = [1, 5, 10, 25, 50, train_rows_per_class]
    means = [metrics[f"acc_skin_static_k{k}"].value for k in ("1", "5", "10", "25", "50", "all")]
    area = sum((means[i] + means[i + 1]) / 2 * (np.log(ks[i + 1]) - np.log(ks[i])) for i in range(len(ks) - 1))
    assert metrics["auc_skin_static"].value == pytest.approx(area / np.log(train_rows_per_class))
    assert min(means) <= metrics["auc_skin_static"].value <= max(means)


def test_ratio_is_accuracy_at_ten_over_accuracy_with_all(default_run) -> None:
    metrics = default_run.metrics
    expected = metrics["acc_action_dynamic_k10"].value / metrics["acc_action_dynamic_kall"].value
    assert metrics["ratio_10_all_action_dynamic"].value == pytest.approx(expected)


def test_both_codes_mark_cross_pairs_lower_is_better(weak_codes) -> None:
    options = {"code": "both", "ks": "1,all", "seeds": "2", "factors": "skin"}
    metrics = run_task("few-shot", TaskInputs(codes=weak_codes()), options)[0].metrics
    assert set(metrics) == {
        "acc_skin_static_k1", "acc_skin_static_kall", "auc_skin_static",
        "acc_skin_dynamic_k1", "acc_skin_dynamic_kall", "auc_skin_dynamic",
    }
    assert metrics["acc_skin_static_k1"].higher_is_better and not metrics["acc_skin_dynamic_k1"].higher_is_better


def test_explicit_k_larger_than_a_class_names_the_class(weak_codes) -> None:
    codes = weak_codes()
    jump_train_rows = np.flatnonzero((codes.labels["action"] == 2) & (codes.split == "train"))
    keep = np.ones(len(codes), dtype=bool)
    keep[jump_train_rows[3:]] = False
    codes = codes.select(keep)
    with pytest.raises(DataError, match=r"class 'jump' of factor 'action' has only 3") as error:
        run_task("few-shot", TaskInputs(codes=codes), {"ks": "1,5"})
    assert "\n" not in str(error.value)


def test_default_ks_are_capped_to_the_data_and_recorded(weak_codes) -> None:
    codes = weak_codes(n_train=32, n_test=60)  # train rows: 8 per skin class; 9, 11, 12 per action
    result = run_task("few-shot", TaskInputs(codes=codes), {"seeds": "2"})[0]
    assert "acc_skin_static_k5" in result.metrics and "acc_skin_static_kall" in result.metrics
    assert "acc_skin_static_k10" not in result.metrics and "ratio_10_all_skin_static" not in result.metrics
    assert any(note.startswith("skin: k=10 dropped") for note in result.protocol["adjustments"])
    assert any(note.startswith("action: k=10 capped") for note in result.protocol["adjustments"])


def test_plot_is_written_to_the_output_folder(weak_codes, tmp_path) -> None:
    result, path = run_task("few-shot", TaskInputs(codes=weak_codes()), {"ks": "1,10,all", "seeds": "2"}, out_dir=tmp_path)
    assert result.artifacts == ["few_shot.png"]
    assert (tmp_path / "few_shot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path == tmp_path / "few-shot.json"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"code": "other"}, "'code'"),
        ({"seeds": "0"}, "'seeds'"),
        ({"ks": "0,5"}, "'ks'"),
        ({"factors": "hair"}, "hair"),
    ],
)
def test_bad_options_are_config_errors(weak_codes, options: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        run_task("few-shot", TaskInputs(codes=weak_codes()), options)


def test_a_library_warning_is_shown_once_per_process(monkeypatch) -> None:
    """k=1 probes of a factor with many classes fit one row per class, and scikit-learn warns on each fit that
    the labels look like a regression target; an audio run's few-shot printed that line ten times."""
    import warnings

    from cdsvae_eval.codes import CodeSet, FactorMeta
    from cdsvae_eval.tasks import library_warnings

    rng = np.random.default_rng(0)
    phone = np.tile(np.arange(30), 4)
    codes = CodeSet(static=rng.normal(size=(120, 3)).astype(np.float32),
                    dynamic=rng.normal(size=(120, 2, 2)).astype(np.float32), labels={"phone": phone},
                    factors={"phone": FactorMeta("dynamic", [f"p{i}" for i in range(30)])},
                    split=np.where(np.arange(120) < 90, "train", "test"))
    monkeypatch.setattr(library_warnings, "_shown", set())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for seed in (0, 1):
            run_task("few-shot", TaskInputs(codes=codes), {"ks": "1", "seeds": 3}, seed=seed)
    messages = [str(warning.message) for warning in caught if "unique classes" in str(warning.message)]
    assert len(messages) == 1, messages
