"""The judges of speech-swap: the MFCC embedding read from log-mel frames, the utterances a split holds, the phone
classifier measured on held-out training speakers, and the EER interval of weighted trials."""

from __future__ import annotations

import numpy as np
import pytest

from cdsvae_eval.errors import DataError
from cdsvae_eval.metrics import eer
from cdsvae_eval.tasks.swap_measures import _weighted_eer_replicates
from cdsvae_eval.tasks.swap_scorers import LogMelMfcc, check_log_mel, fit_swap_scorers, split_utterances
from synthetic_speech import SyntheticSpeech


def test_the_mfcc_embedding_is_librosas_mfcc_of_the_denormalised_log_mel_in_db() -> None:
    import librosa

    rng = np.random.default_rng(0)
    mean, std = rng.normal(size=80) - 5.0, rng.uniform(0.5, 2.0, size=80)
    utterances = [rng.normal(size=(length, 80)).astype(np.float32) for length in (30, 55)]
    embedded = LogMelMfcc(mean, std)(utterances)
    for row, frames in zip(embedded, utterances):
        log_mel = frames.astype(np.float64) * std + mean  # natural log of mel power
        power_db = librosa.power_to_db(np.exp(log_mel).T, top_db=None)
        mfcc = librosa.feature.mfcc(S=power_db, n_mfcc=20)
        np.testing.assert_allclose(row, np.concatenate([mfcc.mean(axis=1), mfcc.std(axis=1)]), rtol=1e-6, atol=1e-6)


def test_a_split_gives_back_each_utterances_frames_and_phones() -> None:
    corpus = SyntheticSpeech(utterances=3)
    test = split_utterances(corpus, "test")
    assert len(test) == 8 * 3 and sorted(set(test.speakers)) == corpus.split_speakers("test")
    for utterance, frames, phones, speaker in zip(test.ids, test.frames, test.phones, test.speakers):
        owner, index = utterance.split("/U")
        assert owner == speaker
        real = corpus.frames(owner, int(index))
        np.testing.assert_allclose(frames, real[:len(frames)], atol=1e-6)
        np.testing.assert_array_equal(phones, corpus.phones(owner, int(index))[:len(frames)])
        assert len(real) - len(frames) < 10, "whole segments cover all but the last few frames"


def test_the_phone_classifier_is_measured_on_training_speakers_it_was_not_fitted_on() -> None:
    corpus = SyntheticSpeech()
    scorers = fit_swap_scorers(corpus, "train", "all", max_frames=500, seed=3)
    record = scorers.phone.record
    assert record["fit_speakers"] + record["held_out_speakers"] == 12 and record["held_out_speakers"] == 2
    assert record["fit_frames"] == 500 and scorers.phone.held_out_accuracy > 0.9
    assert set(scorers.backends) == {"none", "norm", "lda", "plda"}
    assert scorers.fitted_speakers == frozenset(corpus.split_speakers("train"))


def test_one_training_speaker_fits_what_it_can_and_says_why_not_the_rest() -> None:
    corpus = SyntheticSpeech(speakers={"train": 1})
    scorers = fit_swap_scorers(corpus, "train", "all", max_frames=500, seed=0)
    assert set(scorers.backends) == {"none", "norm"} and "at least 2 training speakers" in scorers.backends_skipped["lda"]
    assert scorers.phone.held_out_accuracy is None and scorers.phone.record["held_out_speakers"] == 0
    with pytest.raises(DataError, match="at least 2 training speakers"):
        fit_swap_scorers(corpus, "train", "lda", max_frames=500, seed=0)


def test_only_log_mel_speech_corpora_are_judged() -> None:
    class Spectrum(SyntheticSpeech):
        @property
        def feature_spec(self):
            from cdsvae_eval.data.features import FEATURE_SPECS

            return FEATURE_SPECS["mag201"]

    with pytest.raises(DataError, match="judges log-mel features"):
        check_log_mel(Spectrum(), "speech-swap")


def test_unit_weights_reproduce_the_eer_and_resampling_speakers_spreads_it() -> None:
    rng = np.random.default_rng(0)
    owners = np.array([(f"S{i}", f"S{(i + 1) % 6}") for i in range(6)] * 40)
    labels = np.tile([1.0, 0.0], len(owners) // 2)
    scores = rng.normal(size=len(owners)) + labels
    replicates = _weighted_eer_replicates(scores, labels, owners, seed=0, reps=300)
    assert len(replicates) > 200
    assert np.percentile(replicates, 2.5) < eer(scores, labels.astype(int)) < np.percentile(replicates, 97.5)
    every_speaker_once = _weighted_eer_replicates(scores, labels, np.full_like(owners, "S0"), seed=0, reps=5)
    np.testing.assert_allclose(every_speaker_once, eer(scores, labels.astype(int)))
