"""EER and minDCF against brute-force formulations, hand-computed cases and properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdsvae_eval.errors import ConfigError, DataError
from cdsvae_eval.metrics import det_curve, eer, eer_closest_mean, eer_rocch, min_dcf


def brute_operating_points(scores, labels):
    """(FAR, FRR) for 'accept nothing' and for accepting scores >= t, t every distinct score, by counting."""
    scores, labels = np.asarray(scores, float), np.asarray(labels)
    targets, nontargets = scores[labels == 1], scores[labels == 0]
    points = [(0.0, 1.0)]
    for threshold in sorted(set(scores.tolist()), reverse=True):
        far = sum(s >= threshold for s in nontargets) / len(nontargets)
        frr = sum(s < threshold for s in targets) / len(targets)
        points.append((far, frr))
    return points


def brute_eer(scores, labels):
    points = brute_operating_points(scores, labels)
    for (far0, frr0), (far1, frr1) in zip(points, points[1:]):
        if frr1 - far1 == 0:
            return far1
        if frr0 - far0 > 0 > frr1 - far1:
            # the segment from (far0, frr0) to (far1, frr1) meets the line FAR = FRR
            t = (frr0 - far0) / ((frr0 - far0) - (frr1 - far1))
            return far0 + t * (far1 - far0)
    raise AssertionError("no crossing")


def brute_rocch_eer(scores, labels):
    """Lowest point of the diagonal reachable by mixing two operating points (all pairs tried)."""
    points = brute_operating_points(scores, labels)
    best = 1.0
    for far_a, frr_a in points:
        for far_b, frr_b in points:
            gap_a, gap_b = frr_a - far_a, frr_b - far_b
            if gap_a == 0:
                best = min(best, far_a)
            elif gap_a > 0 > gap_b:
                t = gap_a / (gap_a - gap_b)
                best = min(best, far_a + t * (far_b - far_a))
    return best


def brute_closest_mean(scores, labels):
    points = brute_operating_points(scores, labels)
    far, frr = min(points, key=lambda p: abs(p[1] - p[0]))
    return (far + frr) / 2


def brute_min_dcf(scores, labels, p):
    return min(p * frr + (1 - p) * far for far, frr in brute_operating_points(scores, labels)) / min(p, 1 - p)


def both_classes(draw_labels):
    return draw_labels.filter(lambda labels: 0 < sum(labels) < len(labels))


trial_sets = st.integers(2, 40).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(-6, 6), min_size=n, max_size=n),
        both_classes(st.lists(st.integers(0, 1), min_size=n, max_size=n)),
    )
)
distinct_score_sets = st.integers(2, 40).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(-1000, 1000), min_size=n, max_size=n, unique=True),
        both_classes(st.lists(st.integers(0, 1), min_size=n, max_size=n)),
    )
)


@settings(max_examples=150, deadline=None)
@given(trial_sets)
def test_each_definition_matches_its_brute_force_formulation(trial_set):
    scores, labels = trial_set
    assert eer(scores, labels) == pytest.approx(brute_eer(scores, labels), abs=1e-12)
    assert eer_rocch(scores, labels) == pytest.approx(brute_rocch_eer(scores, labels), abs=1e-12)
    assert eer_closest_mean(scores, labels) == pytest.approx(brute_closest_mean(scores, labels), abs=1e-12)
    for p in (0.01, 0.05, 0.3, 0.5, 0.9):
        assert min_dcf(scores, labels, p) == pytest.approx(brute_min_dcf(scores, labels, p), abs=1e-12)


def test_random_large_inputs_match_brute_force():
    rng = np.random.default_rng(3)
    for n, rounding in ((300, 1), (300, 100), (500, 10_000)):
        labels = (rng.random(n) < 0.3).astype(int)
        scores = np.round(rng.normal(size=n) + labels, 2) * rounding
        assert eer(scores, labels) == pytest.approx(brute_eer(scores, labels), abs=1e-12)
        assert min_dcf(scores, labels, 0.01) == pytest.approx(brute_min_dcf(scores, labels, 0.01), abs=1e-12)


def test_hand_computed_interleaved_case():
    # descending: T N T N, 2 targets / 2 non-targets; points (0,1) (0,.5) (.5,.5) (.5,0) (1,0)
    scores, labels = [0.9, 0.8, 0.7, 0.6], [1, 0, 1, 0]
    assert eer(scores, labels) == 0.5
    assert eer_closest_mean(scores, labels) == 0.5
    assert eer_rocch(scores, labels) == 0.25  # hull (0,1) (0,.5) (.5,0) (1,0) meets the diagonal at .25
    assert min_dcf(scores, labels, 0.5) == 0.5
    assert min_dcf(scores, labels, 0.01) == 0.5  # FRR + 99 FAR at (0, .5)


def test_hand_computed_tie_case():
    # score 1 holds one target and one non-target: the curve steps diagonally (0,1) -> (.5,0) -> (1,0)
    scores, labels = [1.0, 1.0, 0.0], [1, 0, 0]
    assert eer(scores, labels) == pytest.approx(1 / 3)
    assert eer_rocch(scores, labels) == pytest.approx(1 / 3)
    assert eer_closest_mean(scores, labels) == pytest.approx(0.25)


def test_perfect_separation():
    scores, labels = [3.0, 4.0, 1.0, 2.0], [1, 1, 0, 0]
    assert eer(scores, labels) == eer_rocch(scores, labels) == eer_closest_mean(scores, labels) == 0.0
    assert min_dcf(scores, labels, 0.01) == min_dcf(scores, labels, 0.05) == 0.0


def test_all_scores_equal_is_chance():
    scores, labels = np.zeros(10), np.array([1, 0] * 5)
    assert eer(scores, labels) == eer_rocch(scores, labels) == eer_closest_mean(scores, labels) == 0.5
    assert min_dcf(scores, labels, 0.01) == 1.0
    assert min_dcf(scores, labels, 0.5) == 1.0


def test_inverted_scores_separate_primary_from_hull_eer():
    scores, labels = [1.0, 2.0, 3.0, 4.0], [1, 1, 0, 0]
    assert eer(scores, labels) == 1.0
    assert eer_rocch(scores, labels) == 0.5  # the hull always contains the chance diagonal


def test_det_curve_shape():
    far, frr, thresholds = det_curve([0.2, 0.5, 0.5, 0.9], [0, 1, 0, 1])
    np.testing.assert_allclose(far, [0, 0, 0.5, 1])
    np.testing.assert_allclose(frr, [1, 0.5, 0, 0])
    np.testing.assert_array_equal(thresholds, [np.inf, 0.9, 0.5, 0.2])


@settings(max_examples=100, deadline=None)
@given(trial_sets)
def test_invariant_to_increasing_transforms(trial_set):
    scores, labels = np.array(trial_set[0], float), trial_set[1]
    definitions = (eer, eer_rocch, eer_closest_mean, min_dcf)
    reference = [fn(scores, labels) for fn in definitions]
    for transformed in (3 * scores + 7, scores**3, np.exp(scores / 2)):
        assert [fn(transformed, labels) for fn in definitions] == pytest.approx(reference, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(trial_sets)
def test_flipping_labels_and_negating_scores_swaps_far_and_frr(trial_set):
    scores, labels = np.array(trial_set[0], float), np.array(trial_set[1])
    flipped_scores, flipped_labels = -scores, 1 - labels
    assert eer(flipped_scores, flipped_labels) == pytest.approx(eer(scores, labels), abs=1e-12)
    assert eer_rocch(flipped_scores, flipped_labels) == pytest.approx(eer_rocch(scores, labels), abs=1e-12)
    for p in (0.01, 0.05, 0.5):
        flipped = min_dcf(flipped_scores, flipped_labels, p)
        assert flipped == pytest.approx(min_dcf(scores, labels, 1 - p), abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(trial_sets)
def test_min_dcf_at_half_is_min_of_far_plus_frr(trial_set):
    scores, labels = trial_set
    far, frr, _ = det_curve(scores, labels)
    assert min_dcf(scores, labels, 0.5) == pytest.approx(np.min(far + frr), abs=1e-12)


@settings(max_examples=150, deadline=None)
@given(trial_sets)
def test_closest_mean_within_a_quarter_of_the_largest_step(trial_set):
    """The crossing step moves FAR by c_n/N_n and FRR by c_t/N_t (c = trials at one score); the closest
    point is at most half a step from the crossing, so the two EERs differ by <= |c_n/N_n - c_t/N_t| / 4."""
    scores, labels = np.array(trial_set[0]), np.array(trial_set[1])
    n_target, n_nontarget = labels.sum(), len(labels) - labels.sum()
    bound = max(
        abs((labels[scores == s] == 0).sum() / n_nontarget - (labels[scores == s] == 1).sum() / n_target)
        for s in set(scores.tolist())
    ) / 4
    assert abs(eer(scores, labels) - eer_closest_mean(scores, labels)) <= bound + 1e-12


@settings(max_examples=150, deadline=None)
@given(distinct_score_sets)
def test_without_ties_closest_mean_within_quarter_over_smaller_class(trial_set):
    scores, labels = trial_set
    smaller_class = min(sum(labels), len(labels) - sum(labels))
    assert abs(eer(scores, labels) - eer_closest_mean(scores, labels)) <= 1 / (4 * smaller_class) + 1e-12


def test_balanced_random_trials_agree_within_one_over_n():
    rng = np.random.default_rng(0)
    for _ in range(20):
        labels = rng.permutation(np.repeat([0, 1], 500))
        scores = rng.normal(size=1000) + 1.5 * labels
        assert abs(eer(scores, labels) - eer_closest_mean(scores, labels)) <= 1 / 1000


@settings(max_examples=150, deadline=None)
@given(trial_sets)
def test_hull_eer_never_above_primary_or_chance(trial_set):
    scores, labels = trial_set
    rocch = eer_rocch(scores, labels)
    assert rocch <= eer(scores, labels) + 1e-12
    assert rocch <= 0.5 + 1e-12


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=1, max_size=12))
def test_hull_eer_equals_primary_when_roc_is_convex(groups):
    """Groups (targets, non-targets) sharing one score, ordered by falling likelihood ratio, give a
    convex ROC: its hull is itself, so both EERs must coincide."""
    groups = [g for g in groups if sum(g)]
    n_target, n_nontarget = sum(g[0] for g in groups), sum(g[1] for g in groups)
    if n_target == 0 or n_nontarget == 0:
        return
    groups.sort(key=lambda g: -(g[0] * n_nontarget) / (g[1] * n_target) if g[1] else -np.inf)
    scores, labels = [], []
    for rank, (targets, nontargets) in enumerate(groups):
        scores += [-rank] * (targets + nontargets)
        labels += [1] * targets + [0] * nontargets
    assert eer_rocch(scores, labels) == pytest.approx(eer(scores, labels), abs=1e-12)


def test_core_sized_trials_of_a_good_system_agree_closely():
    # a realistic core-allpairs-sized set: the three definitions differ far less than the CI width
    rng = np.random.default_rng(1)
    labels = np.r_[np.ones(672, int), np.zeros(17_664, int)]
    scores = rng.normal(size=len(labels)) + 3 * labels
    primary = eer(scores, labels)
    assert abs(primary - eer_closest_mean(scores, labels)) <= 1 / (4 * 672)
    assert 0 <= primary - eer_rocch(scores, labels) <= 0.01


@pytest.mark.parametrize(
    ("scores", "labels", "message"),
    [
        ([0.1, 0.2], [1], "2 scores but 1 labels"),
        ([0.1, 0.2], [1, 2], "labels must be 1"),
        ([0.1, 0.2], [1, 1], "2 target and 0 non-target"),
        ([0.1, 0.2], [0, 0], "0 target and 2 non-target"),
        ([np.nan, 0.2], [1, 0], "finite"),
        ([np.inf, 0.2], [1, 0], "finite"),
    ],
)
def test_bad_inputs_raise_one_line_data_errors(scores, labels, message):
    with pytest.raises(DataError, match=message) as caught:
        eer(scores, labels)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("p", [0.0, 1.0, -0.1, 1.5])
def test_min_dcf_rejects_priors_outside_the_open_interval(p):
    with pytest.raises(ConfigError, match="p_target"):
        min_dcf([0.1, 0.2], [1, 0], p)
