"""The run verdict and the best.pt selection score."""

import pytest

from cdsvae_eval.models.verdict import judge, selection_score


def test_a_collapsed_code_scores_zero_however_good_the_other_swap_is():
    collapsed = selection_score(motion_swap=0.0, identity_swap=0.9, motion_chance=1 / 9, identity_chance=0.01)
    split = selection_score(motion_swap=0.5, identity_swap=0.3, motion_chance=1 / 9, identity_chance=0.01)
    assert collapsed < 0 < split
    assert (0.0 + 0.9) / 2 > (0.5 + 0.3) / 2  # the old mean preferred the collapsed run
    assert selection_score(1.0, 1.0, 1 / 9, 0.01) == pytest.approx(1.0)


@pytest.mark.parametrize("motion, identity, kl_static, kl_dynamic, label", [
    (0.95, 0.6, 8.0, 7.0, "disentangled"),
    (0.95, 0.6, 8.0, 0.2, "partly disentangled"),
    (0.5, 0.1, 8.0, 7.0, "partly disentangled"),
    (0.0, 0.9, 8.0, 0.06, "not disentangled"),
])
def test_verdict_labels_follow_the_stated_thresholds(motion, identity, kl_static, kl_dynamic, label):
    verdict = judge(motion, identity, 1 / 9, 0.01, kl_static, kl_dynamic)
    assert verdict.label == label
    assert "thresholds" in verdict.lines()[-1] and verdict.lines()[0] == f"verdict: {label.upper()}"


PHONES_LEARNED = dict(dynamic=0.52, static=0.25, random_dynamic=0.34, chance=0.15)


@pytest.mark.parametrize("static, dynamic, mfcc, phones, label", [
    (3.0, 40.0, 6.4, PHONES_LEARNED, "disentangled"),
    (3.0, 40.0, 6.4, None, "partly disentangled"),  # content not measured: no claim of disentanglement
    (3.0, 40.0, 6.4, dict(PHONES_LEARNED, random_dynamic=0.45), "partly disentangled"),  # a random encoder is as good
    (3.0, 40.0, 6.4, dict(PHONES_LEARNED, static=0.45), "partly disentangled"),  # z_s holds the phones too
    (6.0, 40.0, 6.4, PHONES_LEARNED, "partly disentangled"),
    (3.0, 40.0, 2.0, None, "partly disentangled"),
    (10.4, 33.0, 6.4, None, "partly disentangled"),
    (30.0, 33.0, 6.4, None, "not disentangled"),
    (30.0, 33.0, 6.4, PHONES_LEARNED, "partly disentangled"),
])
def test_audio_verdict_needs_both_halves(static, dynamic, mfcc, phones, label):
    from cdsvae_eval.models.verdict import PhoneProbes, judge_audio

    verdict = judge_audio(static, dynamic, mfcc, None if phones is None else PhoneProbes(**phones))
    assert verdict.label == label and verdict.lines()[0] == f"verdict: {label.upper()}"
    assert "MFCC baseline" in verdict.lines()[1] and "thresholds" in verdict.lines()[-1]
    assert ("not measured" in verdict.lines()[2]) == (phones is None)
