"""The run verdict and the best.pt selection score."""

from dataclasses import replace

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


# --- speech: four halves ---------------------------------------------------------------------------------------------

from cdsvae_eval.models.verdict import (  # noqa: E402
    AUDIO_DYNAMIC_EER_MIN, AUDIO_DYNAMIC_LDA_EER_MIN, AUDIO_PARTLY_MARGIN, AUDIO_PHONE_INPUT_SHARE, AUDIO_PHONE_MARGIN,
    AUDIO_RECON_CONTENT_SHARE, AUDIO_STATIC_EER_MAX, AUDIO_SWAP_CONTENT_SHARE, AUDIO_SWAP_SPEAKER_MIN, MET,
    NOT_MEASURED, NOT_MET, FramePhones, SpeakerEers, SpeechSwapScores, judge_audio,
)

EERS = SpeakerEers(static=2.0, dynamic=40.0, mfcc=7.0, dynamic_by_backend={"norm": 35.0, "lda": 25.0})
FRAMES = FramePhones(dynamic=0.50, static=0.20, input=0.52, random_dynamic=0.40, chance=0.15)
SWAPS = SpeechSwapScores(speaker_swap=0.95, speaker_recon=0.97, speaker_real=1.0, content_swap=0.38, content_recon=0.39,
                   content_real=0.42, content_chance=0.18, leak_swap=0.05, leak_real=0.03, random_speaker_swap=0.5,
                   random_content_swap=0.08)


def _halves(eers=EERS, frames=FRAMES, swaps=SWAPS) -> dict[str, str]:
    return {half.name: half.status for half in judge_audio(eers, frames, swaps).halves}


def test_every_half_met_is_disentangled_and_the_verdict_prints_every_threshold() -> None:
    verdict = judge_audio(EERS, FRAMES, SWAPS)
    assert verdict.label == "disentangled" and set(_halves().values()) == {MET}
    text = "\n".join(verdict.lines())
    assert verdict.lines()[0] == "verdict: DISENTANGLED"
    for threshold in (f"<= {AUDIO_STATIC_EER_MAX:g}%", f">= {AUDIO_DYNAMIC_EER_MIN:g}%",
                      f">= {AUDIO_DYNAMIC_LDA_EER_MIN:g}%", f">= {AUDIO_PHONE_INPUT_SHARE:g} x", f">= {AUDIO_PHONE_MARGIN:.2f} above",
                      f">= {AUDIO_SWAP_SPEAKER_MIN:.2f}", f">= {AUDIO_SWAP_CONTENT_SHARE:g} x",
                      f">= {AUDIO_RECON_CONTENT_SHARE:g} x", f"by {AUDIO_PARTLY_MARGIN:g} EER points"):
        assert threshold in text, threshold
    assert text.count("threshold: ") == 4
    assert "lda 25.00%" in text and "log-mel input (a linear reference, not a bound) 0.520" in text
    assert "random-init model's z_t 0.400" in text and "random-init model's swaps: speaker decision 0.500" in text


@pytest.mark.parametrize("change, half, status", [
    (dict(eers=replace(EERS, static=AUDIO_STATIC_EER_MAX)), "speaker at the codes", MET),
    (dict(eers=replace(EERS, static=AUDIO_STATIC_EER_MAX + 0.01, mfcc=9.0)), "speaker at the codes", NOT_MET),
    (dict(eers=replace(EERS, static=3.0, mfcc=3.0)), "speaker at the codes", NOT_MET),  # no better than MFCC
    (dict(eers=replace(EERS, dynamic=AUDIO_DYNAMIC_EER_MIN)), "speaker at the codes", MET),
    (dict(eers=replace(EERS, dynamic=AUDIO_DYNAMIC_EER_MIN - 0.01)), "speaker at the codes", NOT_MET),
    (dict(eers=replace(EERS, dynamic_by_backend={"lda": AUDIO_DYNAMIC_LDA_EER_MIN})), "speaker at the codes", MET),
    (dict(eers=replace(EERS, dynamic_by_backend={"lda": 19.99})), "speaker at the codes", NOT_MET),
    (dict(eers=replace(EERS, dynamic_by_backend={"norm": 35.0})), "speaker at the codes", NOT_MEASURED),
    (dict(eers=replace(EERS, mfcc=None)), "speaker at the codes", NOT_MEASURED),
    (dict(frames=replace(FRAMES, dynamic=0.45, input=0.5)), "content at the codes", MET),
    (dict(frames=replace(FRAMES, dynamic=0.4499, input=0.5)), "content at the codes", NOT_MET),
    (dict(frames=replace(FRAMES, static=0.50 - AUDIO_PHONE_MARGIN - 1e-9)), "content at the codes", MET),
    (dict(frames=replace(FRAMES, static=0.50 - AUDIO_PHONE_MARGIN + 1e-4)), "content at the codes", NOT_MET),
    (dict(frames=replace(FRAMES, input=None)), "content at the codes", MET),  # no ceiling: the margin alone
    (dict(frames=replace(FRAMES, input=None, static=0.45)), "content at the codes", NOT_MET),
    (dict(frames=replace(FRAMES, dynamic=0.30, static=0.10, input=0.52)), "content at the codes", NOT_MET),
    (dict(frames=None), "content at the codes", NOT_MEASURED),
    (dict(swaps=replace(SWAPS, speaker_swap=AUDIO_SWAP_SPEAKER_MIN)), "speaker at the decoder", MET),
    (dict(swaps=replace(SWAPS, speaker_swap=0.89)), "speaker at the decoder", NOT_MET),
    (dict(swaps=replace(SWAPS, speaker_swap=None)), "speaker at the decoder", NOT_MEASURED),
    # gains above chance 0.18: real 0.24, recon 0.12 (= 0.5 x), swap 0.108 (= 0.9 x)
    (dict(swaps=replace(SWAPS, content_recon=0.30 + 1e-9, content_swap=0.288 + 1e-9)), "content at the decoder", MET),
    (dict(swaps=replace(SWAPS, content_recon=0.30 + 1e-9, content_swap=0.2879)), "content at the decoder", NOT_MET),
    (dict(swaps=replace(SWAPS, content_recon=0.2999, content_swap=0.2999)), "content at the decoder", NOT_MET),
    (dict(swaps=replace(SWAPS, content_real=0.18, content_recon=0.18, content_swap=0.18)), "content at the decoder",
     NOT_MET),  # all at chance: a random-init decoder must not pass
])
def test_each_half_at_its_boundary(change: dict, half: str, status: str) -> None:
    halves = _halves(**change)
    assert halves[half] == status
    assert all(other == MET for name, other in halves.items() if name != half)
    label = judge_audio(**{"eers": EERS, "frames": FRAMES, "swaps": SWAPS, **change}).label
    assert label == ("disentangled" if status == MET else "partly disentangled")


def test_a_half_not_measured_says_how_to_measure_it() -> None:
    lines = judge_audio(replace(EERS, mfcc=None, dynamic_by_backend={}), None, None).lines()
    text = "\n".join(lines)
    assert "--option baseline=mfcc --option backend=lda" in text
    assert "`probe --task frame-probe`" in text and text.count("`probe --task speech-swap`") == 2
    assert text.count("-> not measured") == 4


@pytest.mark.parametrize("static, dynamic, label", [
    (2.0, 2.0 + AUDIO_PARTLY_MARGIN, "partly disentangled"),
    (2.0, 1.99 + AUDIO_PARTLY_MARGIN, "not disentangled"),
])
def test_partly_without_a_half_met_needs_z_s_to_beat_z_1_t_by_the_margin(static, dynamic, label) -> None:
    verdict = judge_audio(SpeakerEers(static=static, dynamic=dynamic, mfcc=1.0), None, None)
    assert verdict.label == label and not any(half.met for half in verdict.halves)
