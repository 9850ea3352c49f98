"""The speaker-eer task end to end on synthetic code sets."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from cdsvae_eval.codes import CodeSet, FactorMeta
from cdsvae_eval.errors import ConfigError, DataError
from cdsvae_eval.tasks.base import TaskInputs
from cdsvae_eval.tasks.speaker_eer import SpeakerEER, SpeakerEEROptions
from cdsvae_eval.tasks.speaker_embeddings import utterance_embeddings
from cdsvae_eval.data.timit import CORE_TEST_SPEAKERS


def synthetic_codes(
    speaker_names=tuple(f"S{k}" for k in range(12)),
    utterances_per_speaker=5,
    segments=3,
    with_utt=True,
    with_split=True,
    seed=0,
):
    """Static codes cluster by speaker; dynamic codes are pure noise. Each utterance has ``segments`` rows;
    a second, train-split copy of the speakers holds different, unclustered codes."""
    rng = np.random.default_rng(seed)
    n_speakers = len(speaker_names)
    centres = 5 * rng.normal(size=(n_speakers, 6))
    speaker = np.repeat(np.arange(n_speakers), utterances_per_speaker * segments)
    utterance_names = [f"{name}/U{u}" for name in speaker_names for u in range(utterances_per_speaker)]
    utt = np.repeat(utterance_names, segments)
    n = len(speaker)
    static = centres[speaker] + 0.3 * rng.normal(size=(n, 6))
    dynamic = rng.normal(size=(n, 4, 3))
    split = np.full(n, "test")
    if with_split:
        static = np.concatenate((static, rng.normal(size=(n, 6))))
        dynamic = np.concatenate((dynamic, rng.normal(size=(n, 4, 3))))
        speaker = np.concatenate((speaker, speaker))
        utt = np.concatenate((utt, np.char.add("train/", utt)))
        split = np.concatenate((split, np.full(n, "train")))
    return CodeSet(
        static=static.astype(np.float32),
        dynamic=dynamic.astype(np.float32),
        labels={"speaker": speaker, "action": np.zeros(len(speaker), dtype=np.int64)},
        factors={
            "speaker": FactorMeta("static", list(speaker_names)),
            "action": FactorMeta("dynamic", ["none"]),
        },
        utt=utt if with_utt else None,
        split=split if with_split else None,
    )


def run_task(codes, out_dir=None, **options):
    options = SpeakerEEROptions(**{"n_boot": 40, **options})
    return SpeakerEER().run(TaskInputs(codes=codes), options, seed=0, out_dir=out_dir)


def test_static_codes_identify_speakers_and_dynamic_codes_do_not(tmp_path):
    result = run_task(synthetic_codes(), out_dir=tmp_path)
    metrics = result.metrics
    assert metrics["eer_static"].value < 1.0  # percent
    assert 35.0 < metrics["eer_dynamic"].value < 65.0
    assert metrics["min_dcf_0.01_static"].value < 0.2
    assert metrics["min_dcf_0.01_dynamic"].value > 0.8
    assert metrics["eer_static"].higher_is_better is False
    assert metrics["eer_dynamic"].higher_is_better is True
    assert metrics["min_dcf_0.05_dynamic"].higher_is_better is True
    for value in metrics.values():
        assert value.ci_low is not None and value.ci_low <= value.value <= value.ci_high
    assert set(metrics) == {spec.name for spec in SpeakerEER.metric_specs
                            if "{" not in spec.name and not spec.name.endswith("_mfcc")}


def test_protocol_counts_and_artifacts(tmp_path):
    result = run_task(synthetic_codes(), out_dir=tmp_path)
    protocol = result.protocol
    n_utterances = 12 * 5
    assert (protocol["n_speakers"], protocol["n_utterances"]) == (12, n_utterances)
    assert protocol["n_target"] == 12 * 10
    assert protocol["n_target"] + protocol["n_nontarget"] == n_utterances * (n_utterances - 1) // 2
    assert protocol["name"] == "all-pairs" and protocol["split"] == "test"
    trials_file = tmp_path / "trials.txt"
    expected = ("trials.txt", "scores_static.txt", "scores_dynamic.txt")
    assert sorted(result.artifacts) == sorted(expected)  # file names beside the results JSON
    assert all((tmp_path / name).is_file() for name in expected)
    assert hashlib.sha256(trials_file.read_bytes()).hexdigest() == protocol["trials_checksum"]
    first = trials_file.read_text().splitlines()[0]
    assert first == "1 S0/U0 S0/U1"
    score_lines = (tmp_path / "scores_static.txt").read_text().splitlines()
    assert len(score_lines) == protocol["n_target"] + protocol["n_nontarget"]
    assert score_lines[0].split()[:3] == ["S0/U0", "S0/U1", "1"]


def test_without_utt_or_split_each_row_is_an_utterance():
    codes = synthetic_codes(utterances_per_speaker=4, segments=1, with_utt=False, with_split=False)
    result = run_task(codes)
    assert result.protocol["n_utterances"] == 48
    assert result.protocol["split"] is None
    assert utterance_embeddings(codes, "speaker", "test", "t").ids[:3].tolist() == ["row0", "row1", "row10"]


def test_utterance_embeddings_average_rows():
    codes = synthetic_codes(speaker_names=("A", "B"), utterances_per_speaker=2, segments=3, with_split=False)
    utterances = utterance_embeddings(codes, "speaker", None, "t")
    rows = codes.utt == "B/U1"
    index = utterances.ids.tolist().index("B/U1")
    np.testing.assert_allclose(utterances.embeddings["static"][index], codes.static[rows].mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(utterances.embeddings["dynamic"][index], codes.dynamic[rows].mean(axis=(0, 1)),
                               rtol=1e-6)
    assert utterances.speakers[index] == "B"


def test_core_allpairs_on_timit_speaker_names():
    names = (*CORE_TEST_SPEAKERS, "MCPM0")
    codes = synthetic_codes(speaker_names=names, utterances_per_speaker=8, segments=1, with_split=False)
    result = run_task(codes, protocol="core-allpairs", n_boot=5)
    protocol = result.protocol
    assert (protocol["n_target"], protocol["n_nontarget"], protocol["n_speakers"]) == (672, 17_664, 24)
    assert protocol["name"] == "core-allpairs"


def test_core_allpairs_rejects_non_timit_speakers():
    with pytest.raises(DataError, match="needs TIMIT speaker ids as speaker names"):
        run_task(synthetic_codes(), protocol="core-allpairs")


def test_seed_reproduces_the_intervals():
    first, again = run_task(synthetic_codes()), run_task(synthetic_codes())
    assert first.metrics["eer_dynamic"].ci_low == again.metrics["eer_dynamic"].ci_low
    assert first.protocol["trials_checksum"] == again.protocol["trials_checksum"]


def test_missing_speaker_field():
    codes = synthetic_codes()
    with pytest.raises(DataError, match="task speaker-eer needs field y_voice in the code file"):
        run_task(codes, speaker_factor="voice")


def test_one_speaker_is_an_error():
    with pytest.raises(DataError, match="at least 2 speakers"):
        run_task(synthetic_codes(speaker_names=("A",)))


def test_single_utterance_speakers_give_no_target_trials():
    codes = synthetic_codes(utterances_per_speaker=1, segments=2)
    with pytest.raises(DataError, match="no same-speaker trials"):
        run_task(codes)


def test_missing_split_is_named():
    with pytest.raises(DataError, match="no rows of split 'val'"):
        run_task(synthetic_codes(), split="val")


def test_utterance_with_two_speakers_is_an_error():
    codes = synthetic_codes(with_split=False)
    codes.labels["speaker"][0] = 1  # the first of utterance S0/U0's three rows now says speaker S1
    with pytest.raises(DataError, match="'S0/U0' has rows of more than one y_speaker"):
        run_task(codes)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"protocol": "dev"}, "option protocol must be one of all-pairs, core-allpairs"),
        ({"max_trials": 1}, "option max_trials"),
        ({"n_boot": -1}, "option n_boot"),
    ],
)
def test_bad_options_are_config_errors(options, message):
    with pytest.raises(ConfigError, match=message):
        run_task(synthetic_codes(), **options)


def test_no_codes_is_an_error():
    with pytest.raises(DataError, match="needs codes"):
        SpeakerEER().run(TaskInputs(), SpeakerEEROptions(), seed=0, out_dir=None)


def test_an_identity_subset_of_a_split_is_scored_as_a_split() -> None:
    """TIMIT code files record core-test as the core speakers' rows of test; split=core-test selects them."""
    codes = synthetic_codes()
    codes.meta["identity_subsets"] = {"core-test": {"split": "test", "identities": ["S0", "S1", "S2"]}}
    codes.identity = np.asarray(codes.factors["speaker"].classes)[codes.labels["speaker"]]
    result = run_task(codes, split="core-test")
    assert (result.protocol["n_speakers"], result.protocol["n_utterances"]) == (3, 15)
    assert result.protocol["split"] == "core-test"


def test_the_identity_column_can_name_the_speakers() -> None:
    """A third-party code file with speakers only in its identity column (no y_speaker)."""
    base = synthetic_codes()
    names = np.asarray(base.factors["speaker"].classes)[base.labels["speaker"]]
    codes = CodeSet(static=base.static, dynamic=base.dynamic, labels={}, factors={}, utt=base.utt,
                    split=base.split, identity=names)
    with pytest.raises(DataError, match=r"needs field y_speaker in the code file \(or speaker_factor=identity"):
        run_task(codes)
    by_identity = run_task(codes, speaker_factor="identity")
    by_label = run_task(base)
    assert by_identity.protocol["trials_checksum"] == by_label.protocol["trials_checksum"]
    assert by_identity.metrics["eer_static"] == by_label.metrics["eer_static"]
