"""``speech-swap`` on a corpus whose voice and words are known, with planted decoders: the scores move the way
the planted swap says, the judges never see a test speaker, and the listening pairs are written."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from cdsvae_eval.errors import ConfigError, DataError
from cdsvae_eval.evaluate import run_task
from cdsvae_eval.names import (
    BASELINE_PREFIX, CONTENT_KEPT_ACC, CONTENT_LEAK_ACC, REAL_OUTPUT, RECON_OUTPUT, SPEAKER_DECISION_ACC,
    SPEAKER_DECISION_EER, SWAP_OUTPUT, speech_swap_metric,
)
from cdsvae_eval.tasks import swap_scorers
from cdsvae_eval.tasks.base import TaskInputs
from cdsvae_eval.tasks.speech_swap import LISTEN_OUTPUTS, LISTENING_FILE, read_listening_pairs
from cdsvae_eval.tasks.swap_measures import Decisions, Probes, measure_swaps
from cdsvae_eval.tasks.swap_scorers import fit_swap_scorers, split_utterances
from synthetic_speech import PlantedModel, SyntheticSpeech

FAST = {"pairs": 80, "n_boot": 200}


@pytest.fixture(scope="module")
def corpus() -> SyntheticSpeech:
    return SyntheticSpeech()


def _score(corpus: SyntheticSpeech, decode: str, **options: object) -> dict:
    result, _ = run_task("speech-swap", TaskInputs(decoder=PlantedModel(decode), dataset=corpus), {**FAST, **options})
    return result.metrics


def speaker(output: str, backend: str = "lda") -> str:
    return speech_swap_metric(SPEAKER_DECISION_ACC, output, backend)


def test_a_faithful_decoder_keeps_a_voice_and_b_words(corpus: SyntheticSpeech) -> None:
    metrics = _score(corpus, "faithful")
    for output in (REAL_OUTPUT, RECON_OUTPUT, SWAP_OUTPUT):
        assert metrics[speaker(output)].value > 0.95, output
        assert metrics[speech_swap_metric(SPEAKER_DECISION_EER, output, "lda")].value < 10.0
        assert metrics[speech_swap_metric(CONTENT_KEPT_ACC, output)].value > 0.95
        assert metrics[speech_swap_metric(CONTENT_LEAK_ACC, output)].value < 0.05
    assert metrics[speaker(SWAP_OUTPUT)].chance == 0.5
    kept = metrics[speech_swap_metric(CONTENT_KEPT_ACC, SWAP_OUTPUT)]
    assert 0.1 < kept.chance < 0.5 and kept.ci_low <= kept.value <= kept.ci_high


def test_a_decoder_that_ignores_z_s_scores_chance_on_the_speaker_decision(corpus: SyntheticSpeech) -> None:
    metrics = _score(corpus, "ignores_static")
    for backend in ("none", "lda", "plda"):
        decision = metrics[speaker(SWAP_OUTPUT, backend)]
        assert abs(decision.value - 0.5) < 0.1 and decision.ci_low <= 0.5 <= decision.ci_high, backend
        assert abs(metrics[speech_swap_metric(SPEAKER_DECISION_EER, SWAP_OUTPUT, backend)].value - 50.0) < 15.0
    assert metrics[speaker(REAL_OUTPUT)].value > 0.95, "the judge itself still tells the speakers apart"
    assert metrics[speech_swap_metric(CONTENT_KEPT_ACC, SWAP_OUTPUT)].value > 0.95, "the words still come through"


def test_reconstructions_score_at_or_above_swaps(corpus: SyntheticSpeech) -> None:
    metrics = _score(corpus, "mixes_voices")
    assert metrics[speaker(RECON_OUTPUT)].value > 0.95 > metrics[speaker(SWAP_OUTPUT)].value + 0.2
    for measure in (SPEAKER_DECISION_ACC, CONTENT_KEPT_ACC):
        for backend in ("none", "norm", "lda", "plda") if measure == SPEAKER_DECISION_ACC else (None,):
            recon = metrics[speech_swap_metric(measure, RECON_OUTPUT, backend)].value
            assert recon >= metrics[speech_swap_metric(measure, SWAP_OUTPUT, backend)].value - 1e-9, (measure, backend)


def test_a_swap_that_returns_a_unchanged_keeps_a_voice_and_none_of_b_words(corpus: SyntheticSpeech) -> None:
    """Planted at the scoring: the 'swap' of (A's z_s, B's z_1:T) is A's own utterance."""
    scorers = fit_swap_scorers(corpus, "train", "all", 20_000, seed=0)
    utterances = split_utterances(corpus, "test")
    rng = np.random.default_rng(0)
    a = rng.integers(len(utterances), size=60)
    b = np.array([rng.choice(np.flatnonzero(utterances.speakers != utterances.speakers[i])) for i in a])
    decisions = Decisions(speaker_source=a, content_source=b)
    unchanged = [utterances.frames[i] for i in a]
    metrics, _, counts = measure_swaps(scorers, utterances, decisions, {SWAP_OUTPUT: Probes(unchanged, unchanged)},
                                       seed=0, n_boot=100)
    assert metrics[speaker(SWAP_OUTPUT)].value > 0.95
    kept = metrics[speech_swap_metric(CONTENT_KEPT_ACC, SWAP_OUTPUT)]
    assert kept.value < kept.chance + 0.1, "A's words against B's phones: chance"
    assert metrics[speech_swap_metric(CONTENT_LEAK_ACC, SWAP_OUTPUT)].value > 0.9, "A's phones read where they differ"
    assert counts.decisions == 60 and 0 < counts.leak_frames[SWAP_OUTPUT] < counts.content_frames[SWAP_OUTPUT]


def test_the_judges_are_fitted_on_training_speakers_only(corpus: SyntheticSpeech, monkeypatch) -> None:
    seen: dict[str, set[str]] = {"backends": set(), "phones": set()}
    real_backend, real_probe = swap_scorers.fit_backend, swap_scorers.fit_probe
    voices = {speaker: corpus.voices[speaker] for speaker in corpus.speaker_ids}

    def spy_backend(name, embeddings, speakers):
        seen["backends"] |= set(np.asarray(speakers).tolist())
        return real_backend(name, embeddings, speakers)

    def spy_probe(frames, labels, seed=0):
        # each frame's speaker: the voice nearest its first half
        names = list(voices)
        nearest = np.argmin([np.linalg.norm(frames[:, :40] - voices[name], axis=1) for name in names], axis=0)
        seen["phones"] |= {names[i] for i in np.unique(nearest)}
        return real_probe(frames, labels, seed)

    monkeypatch.setattr(swap_scorers, "fit_backend", spy_backend)
    monkeypatch.setattr(swap_scorers, "fit_probe", spy_probe)
    _score(corpus, "faithful", pairs=10, n_boot=0)
    train = set(corpus.split_speakers("train"))
    assert seen["backends"] == train
    assert seen["phones"] and seen["phones"] < train, "some training speakers are held out to measure the classifier"


def test_judges_fitted_on_the_scored_speakers_are_refused(corpus: SyntheticSpeech) -> None:
    with pytest.raises(ConfigError, match="must differ from the scored split"):
        _score(corpus, "faithful", train_split="test")
    with pytest.raises(DataError, match="shares 2 speaker"):
        run_task("speech-swap", TaskInputs(decoder=PlantedModel(), dataset=SharingCorpus()), FAST)


class SharingCorpus(SyntheticSpeech):
    """A broken split plan: the training split also holds two of the test speakers."""

    def split_speakers(self, split: str) -> list[str]:
        speakers = super().split_speakers(split)
        return speakers + super().split_speakers("test")[:2] if split == "train" else speakers


def test_the_first_pairs_are_written_to_hear(corpus: SyntheticSpeech, tmp_path: Path) -> None:
    result, _ = run_task("speech-swap", TaskInputs(decoder=PlantedModel(), dataset=corpus),
                         {"pairs": 6, "listen": 2, "n_boot": 0}, out_dir=tmp_path)
    assert result.artifacts == [LISTENING_FILE]
    listening = read_listening_pairs(tmp_path / LISTENING_FILE)
    assert len(listening.pairs) == 2 and listening.sample_rate == 16000 and listening.spec == corpus.feature_spec
    pair = listening.pairs[0]
    speaker_a, index_a = pair.utterance_a.split("/U")
    speaker_b, index_b = pair.utterance_b.split("/U")
    assert (speaker_a, speaker_b) == (pair.speaker_a, pair.speaker_b) and speaker_a != speaker_b
    assert list(pair.features) == list(LISTEN_OUTPUTS)
    real_a = corpus.frames(speaker_a, int(index_a))
    np.testing.assert_allclose(pair.features["a_original"], real_a[:len(pair.features["a_original"])], atol=1e-5)
    swap = pair.features["a_speaker_b_content"]
    assert len(swap) == len(pair.features["b_original"]), "the swap takes B's timing"
    np.testing.assert_allclose(swap[:, :40].mean(0), corpus.voices[speaker_a], atol=0.2)
    assert result.protocol["listening_pairs"] == 2 and result.protocol["pairs"] == 6


def test_without_listening_pairs_nothing_is_written(corpus: SyntheticSpeech, tmp_path: Path) -> None:
    result, _ = run_task("speech-swap", TaskInputs(decoder=PlantedModel(), dataset=corpus),
                         {"pairs": 4, "listen": 0, "n_boot": 0}, out_dir=tmp_path)
    assert result.artifacts == [] and not (tmp_path / LISTENING_FILE).exists()


@pytest.mark.parametrize("options, message", [
    ({"pairs": 0}, "pairs must be at least 1"),
    ({"listen": 5}, "listen must be 0 to 4"),
    ({"backend": "cosine"}, "option 'backend' of task 'speech-swap' expects"),
    ({"n_boot": -1}, "n_boot must be 0"),
])
def test_bad_options_are_one_line_errors(corpus: SyntheticSpeech, options: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _score(corpus, "faithful", **options)


def test_a_video_dataset_is_refused_with_one_line() -> None:
    video = SimpleNamespace(name="flare-sprites", modality="video")
    with pytest.raises(DataError, match="'flare-sprites' is not a speech corpus"):
        run_task("speech-swap", TaskInputs(decoder=PlantedModel(), dataset=video), FAST)


def test_a_random_init_baseline_is_decoded_on_the_same_decisions(corpus: SyntheticSpeech) -> None:
    """A real model of the audio smoke architecture: the trained one (here: also at initialisation, seed 5) and the
    random-init one the baseline codes name (seed 0) are decoded; codes that name no random-init model are noted."""
    import torch

    from cdsvae_eval.codes import extract_codes
    from cdsvae_eval.config import preset_config
    from cdsvae_eval.models.factory import build_model

    config = preset_config("smoke", "audio").model
    torch.manual_seed(5)
    model = build_model(config).eval()
    baseline = extract_codes(model, corpus, ("train", "test"), meta={"random_init": True, "random_init_seed": 0})
    result, _ = run_task("speech-swap", TaskInputs(decoder=model, dataset=corpus, baseline_codes=baseline),
                         {"pairs": 10, "n_boot": 0})
    floor = BASELINE_PREFIX + speaker(SWAP_OUTPUT)
    assert floor in result.metrics
    assert BASELINE_PREFIX + speech_swap_metric(CONTENT_KEPT_ACC, RECON_OUTPUT) in result.metrics
    assert BASELINE_PREFIX + speaker(REAL_OUTPUT) not in result.metrics, "the real utterances have no floor"
    assert "seed 0" in result.protocol["baseline"]
    baseline.meta["random_init"] = False
    result, _ = run_task("speech-swap", TaskInputs(decoder=model, dataset=corpus, baseline_codes=baseline),
                         {"pairs": 10, "n_boot": 0})
    assert floor not in result.metrics and "not decoded" in result.protocol["baseline"]


def test_frozen_codes_of_the_split_stand_in_for_encoding(corpus: SyntheticSpeech) -> None:
    from cdsvae_eval.codes import extract_codes

    model = PlantedModel("mixes_voices")
    codes = extract_codes(model, corpus, ("train", "test"))
    options = {"pairs": 20, "n_boot": 0}
    with_codes, _ = run_task("speech-swap", TaskInputs(decoder=model, dataset=corpus, codes=codes), options)
    encoded, _ = run_task("speech-swap", TaskInputs(decoder=model, dataset=corpus), options)
    assert "frozen codes" in with_codes.protocol["decoding"] and "encoded by the model" in encoded.protocol["decoding"]
    for name, value in encoded.metrics.items():
        assert with_codes.metrics[name].value == pytest.approx(value.value, abs=1e-6), name
