import os
import warnings

import numpy as np
import pytest
import soundfile

from formant_synth import write_formant_timit
from cdsvae_eval.data.registry import get_dataset
from cdsvae_eval.data.timit import CORE_TEST_SPEAKERS, DEV_SPEAKERS, TimitCorpus, TimitSegments
from cdsvae_eval.errors import DataError


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CDSVAE_EVAL_CACHE", str(tmp_path / "cache"))


def split_summary(corpus: TimitCorpus) -> dict[str, list[str]]:
    return {s: sorted(u.id for u in corpus.split(s)) for s in ("train", "dev", "test", "core-test")}


def test_case_and_container_variants_read_identically(tmp_path):
    upper = write_formant_timit(tmp_path / "upper", seed=3)
    lower = write_formant_timit(tmp_path / "lower", seed=3, lowercase=True)
    riff = write_formant_timit(tmp_path / "riff", seed=3, riff=True)
    assert (lower / "train").is_dir() and not (lower / "TRAIN").exists()
    assert soundfile.info(str(next(upper.rglob("*.WAV")))).format == "NIST"
    assert soundfile.info(str(next(riff.rglob("*.WAV")))).format == "WAV"
    summaries = [split_summary(TimitCorpus(root)) for root in (upper, lower, riff)]
    assert summaries[0] == summaries[1] == summaries[2]
    assert len(summaries[0]["train"]) == 4 * 4 and len(summaries[0]["test"]) == 3 * 4
    assert all(u.count("/") == 1 and u.split("/")[0].isupper() for u in summaries[1]["train"])
    audio = [TimitCorpus(root).read_audio(TimitCorpus(root).utterances[0]) for root in (upper, lower, riff)]
    np.testing.assert_array_equal(audio[0], audio[1])
    np.testing.assert_array_equal(audio[0], audio[2])


def test_core_and_dev_speakers_and_sa(tmp_path):
    root = write_formant_timit(tmp_path / "t", speakers_per_split={"TRAIN": 2, "TEST": 2}, sentences=1, core=True, sa=True)
    corpus = TimitCorpus(root)
    assert corpus.split_speakers("core-test") == sorted(CORE_TEST_SPEAKERS)
    assert corpus.split_speakers("dev") == sorted(DEV_SPEAKERS[:2])
    assert corpus.split_speakers("test") == sorted(CORE_TEST_SPEAKERS)
    assert not any(u.kind == "SA" for u in corpus.utterances)
    with_sa = TimitCorpus(root, keep_sa=True)
    assert sum(u.kind == "SA" for u in with_sa.utterances) == 2 * (2 + 26)
    felc = [u for u in corpus.utterances if u.speaker == "FELC0"][0]
    assert (felc.sex, felc.dialect, felc.part) == ("F", 1, "TEST")


def test_not_a_timit_tree_names_the_missing_folder(tmp_path):
    (tmp_path / "TRAIN").mkdir()
    with pytest.raises(DataError, match=r"expected TRAIN/ and TEST/.*missing TEST/"):
        TimitCorpus(tmp_path)
    with pytest.raises(DataError, match="not a folder"):
        TimitCorpus(tmp_path / "nowhere")


def test_bad_files_are_skipped_resampled_or_clipped_with_warnings_and_the_tree_is_untouched(tree_digest, tmp_path):
    root = write_formant_timit(tmp_path / "t", sentences=2, seed=1)
    corpus = TimitCorpus(root)
    empty, low_rate, long_phn = corpus.split("test")[:3]
    soundfile.write(str(empty.wav), np.zeros(0, np.int16), 16000, format="NIST", subtype="PCM_16")
    audio16, _ = soundfile.read(str(low_rate.wav), dtype="int16")
    soundfile.write(str(low_rate.wav), audio16[::2], 8000, format="NIST", subtype="PCM_16")
    phn_8k = [(int(a) // 2, int(b) // 2, p) for a, b, p in (l.split() for l in low_rate.phn.read_text().splitlines())]
    low_rate.phn.write_text("".join(f"{a} {b} {p}\n" for a, b, p in phn_8k))
    n = soundfile.info(str(long_phn.wav)).frames
    long_phn.phn.write_text(long_phn.phn.read_text() + f"{n} {n + 5000} h#\n")
    before = tree_digest(root)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dataset = TimitSegments(root)
        test = dataset.split("test")
    messages = [str(w.message) for w in caught]
    skipped = [m for m in messages if m.startswith("skipped")]
    assert len(skipped) == 1 and str(empty.wav) in skipped[0]
    listing = skipped[0].rsplit("listed in ", 1)[1]
    assert listing.startswith(os.environ["CDSVAE_EVAL_CACHE"])
    assert open(listing).read() == f"{empty.wav}\tzero-length audio\n"
    assert any("8000 Hz" in m and "resampling" in m for m in messages)
    clipped = [m for m in messages if m.startswith("clipped")]
    assert len(clipped) == 1 and str(long_phn.phn) in clipped[0]
    assert open(clipped[0].rsplit("listed in ", 1)[1]).read() == f"{long_phn.phn}\n"
    assert empty.id not in set(test.groups) and low_rate.id in set(test.groups)
    assert tree_digest(root) == before
    corpus = TimitCorpus(root)
    with pytest.warns(UserWarning, match="resampling"):
        resampled = corpus.read_audio(low_rate)
    assert abs(len(resampled) - len(audio16)) <= 2
    phones = corpus.read_phones(low_rate, len(resampled), rate=8000)
    assert abs(phones[-1].end - phn_8k[-1][1] * 2) <= 2


def test_a_split_without_readable_audio_is_an_error(tmp_path):
    root = write_formant_timit(tmp_path / "t", speakers_per_split={"TRAIN": 2, "TEST": 1}, sentences=1)
    for utt in TimitCorpus(root).split("test"):
        utt.wav.write_bytes(b"")
    dataset = TimitSegments(root)
    with pytest.warns(UserWarning, match=r"skipped 1 unreadable or empty audio file\(s\): .*SX1\.WAV; all of them"):
        assert len(dataset.split("train")) > 0
    with pytest.raises(DataError, match="split 'test' has no readable audio"), pytest.warns(UserWarning):
        dataset.split("test")


def test_many_corrupt_files_give_one_warning_with_a_listing_of_all(tmp_path):
    root = write_formant_timit(tmp_path / "t", speakers_per_split={"TRAIN": 3, "TEST": 2}, sentences=2)
    corrupt = [utt for utt in TimitCorpus(root).utterances if utt.part == "TEST"]
    for utt in corrupt:
        utt.wav.write_bytes(b"not audio at all")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        TimitSegments(root).split("train")
    assert len(caught) == 1
    message = str(caught[0].message)
    assert message.startswith(f"skipped {len(corrupt)} unreadable") and f"and {len(corrupt) - 3} more" in message
    assert sum(str(utt.wav) in message for utt in corrupt) == 3
    listing = open(message.rsplit("listed in ", 1)[1]).read().splitlines()
    assert sorted(line.split("\t")[0] for line in listing) == sorted(str(utt.wav) for utt in corrupt)
    assert all(line.split("\t")[1].startswith("unreadable audio (") for line in listing)


def test_registered_dataset_labels(tmp_path):
    root = write_formant_timit(tmp_path / "t", speakers_per_split={"TRAIN": 3, "TEST": 2}, sentences=1, core=True)
    dataset = get_dataset("timit", data_root=str(root), max_speakers=5)
    assert isinstance(dataset, TimitSegments) and dataset.modality == "audio"
    assert set(dataset.split_speakers("test")) <= set(CORE_TEST_SPEAKERS)
    core = dataset.split("core-test")
    assert core.x.shape[1:] == (20, 80) and core.x.dtype == np.float32
    speaker_names = np.array(dataset.factor("speaker").classes)[core.identity]
    assert all(g.split("/")[0] == s for g, s in zip(core.groups, speaker_names))
    sexes = np.array(["F", "M"])[core.labels["sex"]]
    assert all(s[0] == x for s, x in zip(speaker_names, sexes))
    assert np.array_equal(core.labels["phone"], core.extras["frame_phones"][:, 10])
    assert dataset.factor("phone").num_classes == 39
    train_ids = set(dataset.split("train").identity)
    assert train_ids.isdisjoint(set(core.identity))


def test_test_split_holds_every_test_speaker_except_the_dev_speakers(tmp_path):
    root = write_formant_timit(tmp_path / "t", speakers_per_split={"TRAIN": 1, "TEST": 3}, sentences=1, core=True)
    corpus = TimitCorpus(root)
    dev, test = set(corpus.split_speakers("dev")), set(corpus.split_speakers("test"))
    assert dev == set(DEV_SPEAKERS[:3])
    assert dev.isdisjoint(test)
    assert dev | test == set(corpus.speakers("TEST"))
    assert set(corpus.split_speakers("core-test")) <= test
    assert {u.speaker for u in corpus.split("test")}.isdisjoint(dev)


def test_split_counts_come_from_headers_and_match_the_loaded_splits(tmp_path, monkeypatch):
    root = write_formant_timit(tmp_path / "t", speakers_per_split={"TRAIN": 2, "TEST": 2}, sentences=2, core=True)
    low_rate = TimitCorpus(root).split("train")[0]
    audio16, _ = soundfile.read(str(low_rate.wav), dtype="int16")
    soundfile.write(str(low_rate.wav), audio16[::2], 8000, format="NIST", subtype="PCM_16")
    phn_8k = [(int(a) // 2, int(b) // 2, p) for a, b, p in (l.split() for l in low_rate.phn.read_text().splitlines())]
    low_rate.phn.write_text("".join(f"{a} {b} {p}\n" for a, b, p in phn_8k))
    dataset = TimitSegments(root)
    with monkeypatch.context() as patched:
        patched.setattr(TimitCorpus, "read_audio", lambda *args: pytest.fail("data info decoded audio"))
        counts = {name: dataset.split_counts(name) for name in dataset.split_names}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in dataset.split_names:
            part = dataset.split(name)
            loaded = {"sequences": len(part), "identities": len(np.unique(part.identity)),
                      "groups": len(np.unique(part.groups))}
            assert counts[name] == loaded, name


def test_an_empty_dev_split_counts_zero_and_fails_only_when_loaded(tmp_path):
    root = write_formant_timit(tmp_path / "t", speakers_per_split={"TRAIN": 2, "TEST": 2}, sentences=1)
    dataset = TimitSegments(root)
    info = dataset.info()
    assert info["splits"]["dev"] == {"sequences": 0, "identities": 0, "groups": 0}
    assert info["splits"]["test"]["identities"] == 2
    with pytest.raises(DataError, match=r"split 'dev' has no speakers; it is the standard 50-speaker TIMIT dev list"):
        dataset.split("dev")


def test_training_that_selects_on_a_missing_dev_split_names_it_and_how_to_provide_it(tmp_path, run_cli):
    root = write_formant_timit(tmp_path / "t", speakers_per_split={"TRAIN": 3, "TEST": 2}, sentences=2)
    code, _, err = run_cli("train", "--dataset", "timit", "--data-root", root, "--preset", "smoke",
                           "--out", tmp_path / "run", "--device", "cpu", "--no-progress")
    assert code == 2 and "Traceback" not in err
    assert "split 'dev' has no speakers; it is the standard 50-speaker TIMIT dev list" in " ".join(err.split())


def test_core_test_round_trips_through_a_code_file(tmp_path):
    from cdsvae_eval.codes import extract_codes, load_codes, save_codes

    class MeanEncoder:
        def encode(self, batch):
            return batch.mean(dim=1), batch[:, :, :4]

    root = write_formant_timit(tmp_path / "t", speakers_per_split={"TRAIN": 3, "TEST": 2}, sentences=1, core=True)
    dataset = get_dataset("timit", data_root=str(root))
    assert [dataset.code_split(name) for name in dataset.split_names] == ["train", "val", "test", None]
    save_codes(extract_codes(MeanEncoder(), dataset, ("train", "test")), tmp_path / "codes.npz")
    codes = load_codes(tmp_path / "codes.npz")
    assert set(codes.split.tolist()) == {"train", "test"}
    core = codes.of_split("core-test")
    core_names = {dataset.speaker_ids[int(i)] for i in core.identity}
    assert core_names == set(CORE_TEST_SPEAKERS)
    assert len(core) == len(dataset.split("core-test"))
    codes.meta.pop("identity_subsets")
    with pytest.raises(DataError, match="no rows of split 'core-test'"):
        codes.of_split("core-test")


def test_the_survey_reads_headers_and_label_lines_and_warns_once_per_kind(tmp_path, monkeypatch):
    root = write_formant_timit(tmp_path / "t", speakers_per_split={"TRAIN": 2, "TEST": 2}, sentences=2)
    utterances = TimitCorpus(root).utterances
    soundfile.write(str(utterances[0].wav), np.zeros(0, np.int16), 16000, format="NIST", subtype="PCM_16")
    utterances[1].phn.unlink()
    phn = utterances[2].phn
    phn.write_text(phn.read_text() + "0 99999999 h#\n")  # a label past the end of the audio
    dataset = TimitSegments(root)
    monkeypatch.setattr(TimitCorpus, "read_audio", lambda *args: pytest.fail("the survey decoded audio"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        counts = [dataset.split_counts(name) for name in dataset.split_names]
    assert sum(part["groups"] for part in counts) == len(utterances) - 1  # the empty one gives no segment
    assert [str(w.message).split(" (")[0] for w in caught] == [
        "1 audio file(s) without samples", "1 audio file(s) without a .PHN file beside them",
        "1 .PHN file(s) labelling past the end of their audio"]
    assert str(utterances[1].wav) in str(caught[1].message) and str(phn) in str(caught[2].message)
