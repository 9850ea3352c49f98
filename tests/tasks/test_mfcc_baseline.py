"""The MFCC baseline of ``speaker-eer``: computed from the codes' corpus and scored on the model's own trials."""

from __future__ import annotations

import numpy as np
import pytest

from cdsvae_eval.codes import CodeSet, FactorMeta
from cdsvae_eval.data import registry
from formant_synth import write_formant_timit
from cdsvae_eval.data.registry import get_dataset
from cdsvae_eval.errors import ConfigError, DataError
from cdsvae_eval.tasks.base import TaskInputs
from cdsvae_eval.tasks.mfcc_baseline import mfcc_codes, mfcc_embedding
from cdsvae_eval.tasks.speaker_eer import SpeakerEER, SpeakerEEROptions
from cdsvae_eval.tasks.speaker_few_shot import SpeakerFewShot, SpeakerFewShotOptions


@pytest.fixture(scope="module")
def timit(tmp_path_factory: pytest.TempPathFactory):
    root = write_formant_timit(
        tmp_path_factory.mktemp("timit") / "t", speakers_per_split={"TRAIN": 2, "TEST": 6}, sentences=4
    )
    return get_dataset("timit", data_root=str(root))


def model_like_codes(dataset, split: str = "test") -> CodeSet:
    """Codes shaped like a model's: one noisy row per segment, grouped by utterance, with the dataset's meta."""
    part = dataset.split(split)
    rng = np.random.default_rng(0)
    return CodeSet(
        static=rng.normal(size=(len(part), 5)).astype(np.float32),
        dynamic=rng.normal(size=(len(part), 3, 2)).astype(np.float32),
        labels={"speaker": part.labels["speaker"]},
        factors={"speaker": FactorMeta("static", list(dataset.factor("speaker").classes))},
        utt=np.asarray(part.groups).astype(str),
        split=np.full(len(part), "test"),
        meta={"dataset": dataset.name, "dataset_fingerprint": dataset.fingerprint()},
    )


def run(codes: CodeSet, dataset=None, out_dir=None, **options):
    task_options = SpeakerEEROptions(**{"n_boot": 30, **options})
    return SpeakerEER().run(TaskInputs(codes=codes, dataset=dataset), task_options, seed=0, out_dir=out_dir)


def test_the_baseline_is_scored_on_the_same_trials_as_the_codes(timit, tmp_path) -> None:
    codes = model_like_codes(timit)
    plain = run(codes, timit)
    with_mfcc = run(codes, timit, out_dir=tmp_path, baseline="mfcc")
    assert with_mfcc.protocol["trials_checksum"] == plain.protocol["trials_checksum"]
    for name in ("eer_static", "eer_dynamic", "min_dcf_0.01_static"):
        assert with_mfcc.metrics[name] == plain.metrics[name]
    assert "eer_mfcc" not in plain.metrics and plain.protocol["baseline"] is None
    assert with_mfcc.protocol["baseline"].startswith("MFCC-20 mean+std")
    # The same baseline as a code file of its own gives the same EER: same utterances, trials and bootstrap.
    alone = run(mfcc_codes(timit, "test"))
    assert alone.protocol["trials_checksum"] == plain.protocol["trials_checksum"]
    mfcc = with_mfcc.metrics["eer_mfcc"]
    assert mfcc.value == pytest.approx(alone.metrics["eer_static"].value)
    assert (mfcc.ci_low, mfcc.ci_high) == pytest.approx((alone.metrics["eer_static"].ci_low, alone.metrics["eer_static"].ci_high))
    assert mfcc.value < plain.metrics["eer_static"].value  # formant speakers differ in pitch; noise codes do not
    assert (tmp_path / "scores_mfcc.txt").is_file()


def test_the_dataset_is_rebuilt_from_the_codes_meta_when_it_takes_no_options(timit, monkeypatch) -> None:
    monkeypatch.setitem(registry.DATASETS.registered, "fixed-corpus", lambda: timit)
    codes = model_like_codes(timit)
    codes.meta["dataset"] = "fixed-corpus"
    assert "eer_mfcc" in run(codes, baseline="mfcc").metrics


def test_a_dataset_that_needs_a_root_is_not_guessed(timit) -> None:
    with pytest.raises(DataError, match="dataset 'timit' of the codes needs data_root"):
        run(model_like_codes(timit), baseline="mfcc")


def test_a_different_dataset_is_refused_by_fingerprint(timit, tmp_path) -> None:
    other_root = write_formant_timit(tmp_path / "o", speakers_per_split={"TRAIN": 2, "TEST": 6}, sentences=3, seed=1)
    other = get_dataset("timit", data_root=str(other_root))
    with pytest.raises(DataError, match="fingerprint"):
        run(model_like_codes(timit), other, baseline="mfcc")


def test_utterances_missing_from_the_corpus_or_of_another_speaker_are_errors(timit) -> None:
    codes = model_like_codes(timit)
    codes.meta.pop("dataset_fingerprint")
    renamed = CodeSet(**{**codes.__dict__, "utt": np.char.add("X", codes.utt)})
    with pytest.raises(DataError, match="utterance 'X.*' of the codes is not in the corpus"):
        run(renamed, timit, baseline="mfcc")
    classes = codes.factors["speaker"].classes
    shuffled = CodeSet(**{**codes.__dict__, "factors": {"speaker": FactorMeta("static", classes[::-1])}})
    with pytest.raises(DataError, match="in the codes"):
        run(shuffled, timit, baseline="mfcc")


def test_codes_without_a_source_and_unknown_baselines_are_clear_errors(timit) -> None:
    codes = model_like_codes(timit)
    anonymous = CodeSet(**{**codes.__dict__, "meta": {}})
    with pytest.raises(DataError, match="do not say which dataset"):
        run(anonymous, baseline="mfcc")
    with pytest.raises(ConfigError, match="option baseline must be one of none, mfcc"):
        run(codes, timit, baseline="ivector")


def test_mfcc_embedding_is_mean_then_std_of_twenty_coefficients() -> None:
    rng = np.random.default_rng(0)
    loud = rng.normal(size=16000)
    quiet = 0.01 * loud
    a, b = mfcc_embedding(loud), mfcc_embedding(quiet)
    assert a.shape == (40,)
    assert a[0] > b[0]  # c0 follows log energy
    np.testing.assert_allclose(a[20:], b[20:], atol=1e-3)  # a gain shifts c0 only; spreads stay the same


def test_the_speaker_few_shot_scores_the_baseline_on_the_same_draws(timit) -> None:
    codes = model_like_codes(timit)
    options = SpeakerFewShotOptions(enrol=(1, "all-but-one"), draws=4, baseline="mfcc")
    result = SpeakerFewShot().run(TaskInputs(codes=codes, dataset=timit), options, seed=0, out_dir=None)
    rows = {(row["code"], row["k"]): row for row in result.tables["curves"]}
    assert {code for code, _ in rows} == {"static", "dynamic", "mfcc"}
    for k in ("1", "all-but-one"):
        assert rows[("mfcc", k)]["identifications"] == rows[("static", k)]["identifications"]
    assert result.metrics["id_acc_mfcc_all_but_one"].value > result.metrics["id_acc_static_all_but_one"].value
    assert result.protocol["baseline"].startswith("MFCC-20 mean+std")


def test_a_backend_of_the_baseline_is_fitted_on_the_training_utterances_audio(timit) -> None:
    part = timit.split("train")
    test = model_like_codes(timit)
    rng = np.random.default_rng(1)
    codes = CodeSet(
        static=np.concatenate([test.static, rng.normal(size=(len(part), 5)).astype(np.float32)]),
        dynamic=np.concatenate([test.dynamic, rng.normal(size=(len(part), 3, 2)).astype(np.float32)]),
        labels={"speaker": np.concatenate([test.labels["speaker"], part.labels["speaker"]])},
        factors=test.factors, meta=test.meta,
        utt=np.concatenate([test.utt, np.asarray(part.groups).astype(str)]),
        split=np.concatenate([test.split, np.full(len(part), "train")]),
    )
    result = run(codes, timit, baseline="mfcc", backend="norm")
    assert result.protocol["backends"]["norm"]["fitted_on"] == {"split": "train", "utterances": 8, "speakers": 2}
    assert result.protocol["backends"]["norm"]["dims"]["mfcc"] == 40
    assert "eer_mfcc_norm" in result.metrics


def test_two_speech_tasks_on_one_corpus_read_each_utterance_once(tmp_path, monkeypatch) -> None:
    root = write_formant_timit(tmp_path / "t", speakers_per_split={"TRAIN": 2, "TEST": 4}, sentences=3)
    dataset = get_dataset("timit", data_root=str(root))
    codes = model_like_codes(dataset)
    reads: list[str] = []
    read_audio = dataset.corpus.read_audio
    monkeypatch.setattr(dataset.corpus, "read_audio", lambda utt, *rest: reads.append(utt.id) or read_audio(utt, *rest))
    first = run(codes, dataset, baseline="mfcc")
    SpeakerFewShot().run(TaskInputs(codes=codes, dataset=dataset),
                         SpeakerFewShotOptions(enrol=(1,), draws=2, baseline="mfcc"), seed=0, out_dir=None)
    assert sorted(reads) == sorted(set(codes.utt.tolist()))
    # another loaded copy of the same files (another command) reads none: the embeddings are cached on disk
    copy = get_dataset("timit", data_root=str(root))
    copy.split("test")
    copy_reads: list[str] = []
    copy_read_audio = copy.corpus.read_audio
    monkeypatch.setattr(copy.corpus, "read_audio", lambda utt, *rest: copy_reads.append(utt.id) or copy_read_audio(utt, *rest))
    again = run(codes, copy, baseline="mfcc")
    assert copy_reads == []
    assert again.metrics["eer_mfcc"].value == first.metrics["eer_mfcc"].value


def test_the_disk_cache_is_keyed_by_corpus_and_embedding_and_a_corrupt_file_is_recomputed(tmp_path) -> None:
    from cdsvae_eval.tasks import mfcc_baseline
    from cdsvae_eval.tasks.mfcc_cache import cache_file

    def embeddings(root):
        dataset = get_dataset("timit", data_root=str(root))  # a fresh corpus object: nothing in memory
        ids = np.unique(np.asarray(dataset.split("test").groups).astype(str))
        return dataset, mfcc_baseline.mfcc_utterance_embeddings(dataset, ids, [i.split("/")[0] for i in ids])

    root = write_formant_timit(tmp_path / "t", speakers_per_split={"TRAIN": 2, "TEST": 3}, sentences=2)
    dataset, first = embeddings(root)
    path = cache_file(dataset.corpus, mfcc_baseline.EMBEDDING)
    assert path is not None and path.is_file()
    assert cache_file(dataset.corpus, ("mfcc-mean-std-v2", *mfcc_baseline.EMBEDDING[1:])) != path
    other = write_formant_timit(tmp_path / "u", speakers_per_split={"TRAIN": 2, "TEST": 4}, sentences=2)
    assert cache_file(get_dataset("timit", data_root=str(other)).corpus, mfcc_baseline.EMBEDDING) != path

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(type(dataset.corpus), "read_audio", lambda self, utt: pytest.fail("decoded audio"))
        np.testing.assert_array_equal(embeddings(root)[1], first)  # from the file, bit for bit

    path.write_bytes(b"PK\x03\x04 truncated")
    _, again = embeddings(root)
    np.testing.assert_array_equal(again, first)
    with np.load(path) as npz:  # rewritten whole
        assert npz["embeddings"].shape == first.shape
