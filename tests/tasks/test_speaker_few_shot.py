"""speaker-few-shot: closed-set identification of unseen speakers from k enrolment utterances, on planted codes."""

from __future__ import annotations

import numpy as np
import pytest

from cdsvae_eval.codes import CodeSet, FactorMeta
from cdsvae_eval.errors import ConfigError, DataError
from cdsvae_eval.evaluate import run_suite
from cdsvae_eval.tasks.base import TaskInputs
from cdsvae_eval.tasks.speaker_few_shot import SpeakerFewShot, SpeakerFewShotOptions


def speaker_codes(speakers: int = 10, utterances: int = 6, spread: float = 0.1, shuffle: bool = False,
                  train_speakers: int = 0, seed: int = 0, per_speaker: list[int] | None = None) -> CodeSet:
    """z_s = the speaker's centre (far apart) + noise, two rows per utterance; z_1:T noise. ``shuffle``
    gives each utterance a random speaker label (the codes no longer tell speakers apart)."""
    rng = np.random.default_rng(seed)
    counts = per_speaker or [utterances] * speakers
    names = [f"T{s}" for s in range(len(counts))] + [f"R{s}" for s in range(train_speakers)]
    rows = [(s, u, "test") for s, n in enumerate(counts) for u in range(n)]
    rows += [(len(counts) + s, u, "train") for s in range(train_speakers) for u in range(utterances)]
    centres = 5 * rng.normal(size=(len(names), 8))
    utt_speaker = np.array([s for s, _, _ in rows])
    labels = rng.permutation(utt_speaker) if shuffle else utt_speaker
    static = centres[utt_speaker] + spread * rng.normal(size=(len(rows), 8))
    repeat = np.repeat(np.arange(len(rows)), 2)
    return CodeSet(
        static=static[repeat].astype(np.float32),
        dynamic=rng.normal(size=(len(repeat), 4, 3)).astype(np.float32),
        labels={"speaker": labels[repeat]},
        factors={"speaker": FactorMeta("static", names)},
        utt=np.array([f"{names[s]}/U{u}" for s, u, _ in rows])[repeat],
        split=np.array([split for _, _, split in rows])[repeat],
        identity=np.asarray(names)[labels[repeat]],
    )


def run(codes: CodeSet, **options):
    return SpeakerFewShot().run(TaskInputs(codes=codes), SpeakerFewShotOptions(**options), seed=0, out_dir=None)


def test_all_but_one_identifies_every_utterance_of_separable_speakers() -> None:
    result = run(speaker_codes())
    metric = result.metrics["id_acc_static_all_but_one"]
    assert metric.value == 1.0 and metric.ci_low == 1.0 and metric.chance == pytest.approx(0.1)
    assert metric.higher_is_better and len(metric.per_seed) == 10
    assert 0.0 <= result.metrics["id_acc_dynamic_all_but_one"].value < 0.4  # noise: near chance
    assert result.metrics["id_acc_dynamic_all_but_one"].higher_is_better is False
    assert {row["k"] for row in result.tables["curves"]} == {"1", "2", "4", "all-but-one"}


def test_shuffled_speaker_labels_give_chance() -> None:
    result = run(speaker_codes(speakers=10, utterances=8, shuffle=True, spread=1.0), draws=20)
    metric = result.metrics["id_acc_static_all_but_one"]
    assert abs(metric.value - metric.chance) < 0.08
    assert metric.ci_low <= metric.chance <= metric.ci_high


def test_more_enrolment_helps_noisy_speakers_and_every_code_sees_the_same_draws() -> None:
    result = run(speaker_codes(spread=4.0), draws=20)
    static = [result.metrics[f"id_acc_static_{k}"].value for k in ("k1", "k2", "k4")]
    assert static[0] < static[1] < static[2]
    rows = result.tables["curves"]
    counts = {(row["code"], row["k"]): row["identifications"] for row in rows}
    for k in ("1", "2", "4", "all-but-one"):
        assert counts[("static", k)] == counts[("dynamic", k)]
    assert counts[("static", "1")] == 20 * 10 * 5 and counts[("static", "all-but-one")] == 20 * 10
    again = run(speaker_codes(spread=4.0), draws=20)
    assert again.metrics["id_acc_static_k1"] == result.metrics["id_acc_static_k1"]


def test_speakers_without_enough_utterances_sit_out_and_chance_counts_the_rest() -> None:
    codes = speaker_codes(per_speaker=[6, 6, 6, 3, 2])
    result = run(codes, enrol=(1, 4, "all-but-one"))
    assert result.metrics["id_acc_static_k4"].chance == pytest.approx(1 / 3)
    assert result.metrics["id_acc_static_k1"].chance == pytest.approx(1 / 5)
    assert result.metrics["id_acc_static_all_but_one"].chance == pytest.approx(1 / 5)
    assert any("k=4: 2 speaker(s)" in note for note in result.protocol["adjustments"])
    few = run(speaker_codes(per_speaker=[3, 2]), enrol=(4, 1))
    assert "id_acc_static_k4" not in few.metrics and "id_acc_static_k1" in few.metrics
    with pytest.raises(DataError, match="no enrolment size could be scored"):
        run(speaker_codes(per_speaker=[3, 2]), enrol=(4,))


def test_backends_are_fitted_on_the_training_speakers_and_drawn_in_panels() -> None:
    result = run(speaker_codes(train_speakers=6), backend="all")
    assert {row["backend"] for row in result.tables["curves"]} == {"none", "norm", "lda", "plda"}
    assert result.metrics["id_acc_static_all_but_one_lda"].value == 1.0
    assert result.protocol["backends"]["lda"]["fitted_on"] == {"split": "train", "utterances": 36, "speakers": 6}
    figure = result.figures["speaker_few_shot.png"]
    assert {panel for panel, _ in figure.options["panels"].values()} == {
        "back-end none", "back-end norm", "back-end lda", "back-end plda"}
    assert figure.options["panels"]["lda: mean z_1:T (leakage)"] == ("back-end lda", "mean z_1:T (leakage)")
    assert len(figure.data) == 4 * 2


def test_the_identity_column_of_a_third_party_file_names_the_speakers() -> None:
    base = speaker_codes()
    codes = CodeSet(static=base.static, dynamic=base.dynamic, labels={}, factors={}, utt=base.utt,
                    split=base.split, identity=base.identity)
    result = run(codes, speaker_factor="identity")
    assert result.metrics["id_acc_static_all_but_one"].value == 1.0
    assert result.protocol["n_speakers"] == 10


def test_probe_all_on_speech_codes_runs_the_speaker_few_shot() -> None:
    suite = run_suite(TaskInputs(codes=speaker_codes(train_speakers=4)))
    assert "speaker-few-shot" in [run.name for run in suite.ran]


@pytest.mark.parametrize(("options", "message"), [
    ({"draws": 0}, "option draws must be at least 1"),
    ({"enrol": (0,)}, "option enrol takes positive integers and 'all-but-one'"),
    ({"enrol": ("all",)}, "option enrol takes positive integers"),
    ({"backend": "pca"}, "option backend must be one of"),
])
def test_bad_options(options, message) -> None:
    with pytest.raises(ConfigError, match=message):
        run(speaker_codes(), **options)
