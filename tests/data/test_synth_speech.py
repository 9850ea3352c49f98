import os
import re
import shutil

import numpy as np
import pytest
import soundfile

from cdsvae_eval.data import synth_speech
from cdsvae_eval.data.features import FOLD_61_TO_39
from cdsvae_eval.data.sentences import SENTENCES
from cdsvae_eval.data.synth_speech import (
    SAMPA_TO_TIMIT, BaseVoice, RoleCounts, plan_corpus, read_voice_roles, synthesize_corpus,
)
from cdsvae_eval.data.timit import TimitCorpus
from cdsvae_eval.data.tts_timit import TtsTimit
from cdsvae_eval.errors import ConfigError, DataError

TIMIT_61 = set(FOLD_61_TO_39) | {"q"}
ENGINES_MISSING = not (shutil.which("espeak-ng") and shutil.which("mbrola") and synth_speech.available_voices())
needs_engines = pytest.mark.skipif(
    ENGINES_MISSING and os.environ.get("CI") != "true",
    reason="espeak-ng + mbrola (with a voice) are not installed; CI installs them and runs these tests",
)


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CDSVAE_EVAL_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    if ENGINES_MISSING and os.environ.get("CI") != "true":
        pytest.skip("espeak-ng + mbrola are not installed")
    root = tmp_path_factory.mktemp("tiny") / "corpus"
    return root, synthesize_corpus(root, RoleCounts.from_total(4), sentences=2, seed=7)


def fake_voices(count: int) -> list[BaseVoice]:
    return [BaseVoice("mbrola" if i % 3 else "flite", f"v{i}", "F" if i % 3 == 0 else "M") for i in range(count)]


def test_sentences_are_many_and_distinct():
    assert len(SENTENCES) >= 100 and len(set(SENTENCES)) == len(SENTENCES)


def test_every_symbol_maps_to_a_timit_phone():
    assert set(SAMPA_TO_TIMIT.values()) <= TIMIT_61


def test_plan_keeps_base_voices_disjoint_and_gives_24_test_speakers():
    plans = plan_corpus(fake_voices(24), RoleCounts.from_total(40), sentences=10, seed=0)
    voices = {role: {p.voice for p in plans if p.role == role} for role in ("train", "dev", "test")}
    test = [p for p in plans if p.role == "test"]
    assert len(test) == 24 and len(voices["test"]) == 10  # 10 of 24 voices are kept for test speakers
    dev = [p for p in plans if p.role == "dev"]
    assert dev and all(p.part == "TRAIN" for p in dev) and all(p.part == "TEST" for p in test)
    ids = [p.speaker for p in plans]
    assert len(set(ids)) == 40 and all(re.fullmatch(r"[MF][A-Z]{3}\d", s) and s[0] == p.sex for s, p in zip(ids, plans))
    assert {p.region for p in plans} == set(range(1, 9))
    assert all(len(set(p.sentence_ids)) == 10 for p in plans)
    assert plans == plan_corpus(fake_voices(24), RoleCounts.from_total(40), 10, 0)
    assert plans != plan_corpus(fake_voices(24), RoleCounts.from_total(40), 10, 1)


def test_dev_and_test_voices_are_never_heard_in_training_and_differ_from_each_other():
    for seed in range(5):
        plans = plan_corpus(fake_voices(24), RoleCounts(train=96, dev=16, test=24), sentences=10, seed=seed)
        voices = {role: {p.voice for p in plans if p.role == role} for role in ("train", "dev", "test")}
        assert (len(voices["train"]), len(voices["dev"]), len(voices["test"])) == (10, 4, 10)
        assert not voices["train"] & voices["dev"]
        assert not voices["train"] & voices["test"]
        assert not voices["dev"] & voices["test"]
        assert {v.sex for v in voices["dev"]} == {"F", "M"}  # spread over sex, as test is
        # several prosody variants of each dev voice: same-voice trials, as the test split has
        dev_voices = [p.voice for p in plans if p.role == "dev"]
        assert all(dev_voices.count(v) == 4 for v in voices["dev"])


def test_more_training_speakers_keep_the_dev_and_test_speakers():
    small = plan_corpus(fake_voices(24), RoleCounts(train=14, dev=8, test=24), sentences=10, seed=0)
    large = plan_corpus(fake_voices(24), RoleCounts(train=96, dev=8, test=24), sentences=10, seed=0)
    held_out = [p for p in small if p.role != "train"]
    assert held_out == [p for p in large if p.role != "train"]
    assert sum(p.role == "train" for p in large) == 96


def test_too_few_voices_for_a_dev_share_put_dev_speakers_on_train_voices():
    plans = plan_corpus(fake_voices(3), RoleCounts(train=2, dev=2, test=2), sentences=2, seed=0)
    voices = {role: {p.voice for p in plans if p.role == role} for role in ("train", "dev", "test")}
    assert voices["dev"] <= voices["train"] and not voices["train"] & voices["test"]


def test_plan_with_one_voice_shares_it_and_rejects_bad_sizes():
    plans = plan_corpus(fake_voices(1), RoleCounts.from_total(3, test_fraction=0.5), sentences=2, seed=0)
    assert {p.voice for p in plans} == set(fake_voices(1))
    with pytest.raises(ConfigError, match="^speakers must be at least 2"):
        RoleCounts.from_total(1)
    with pytest.raises(ConfigError, match="^train_speakers must be at least 1"):
        RoleCounts(train=0, dev=1, test=2)
    with pytest.raises(ConfigError, match="^sentences must be between"):
        plan_corpus(fake_voices(4), RoleCounts.from_total(4), sentences=len(SENTENCES) + 1, seed=0)


def test_no_engine_gives_the_install_commands(tmp_path, monkeypatch):
    monkeypatch.setattr(synth_speech, "available_voices", lambda: [])
    with pytest.raises(DataError, match="apt-get install -y espeak-ng mbrola mbrola-us1"):
        synthesize_corpus(tmp_path / "out", RoleCounts(1, 0, 1), sentences=1)


def test_tts_timit_names_the_dataset_option_of_a_bad_speaker_count():
    with pytest.raises(ConfigError, match="^dataset_options.dev_speakers must be at least 0, got -1"):
        TtsTimit(dev_speakers=-1)


def test_tts_timit_rejects_a_data_root():
    with pytest.raises(ConfigError, match="^dataset_options.data_root is not taken by tts-timit"):
        TtsTimit(data_root="/somewhere")


@needs_engines
def test_tiny_corpus_is_a_valid_timit_tree(tiny):
    root, report = tiny
    assert report.utterances == 8 and report.exact_boundaries and report.voices_disjoint
    assert report.speakers == {"train": 1, "dev": 1, "test": 2}
    corpus = TimitCorpus(root)
    assert len(corpus.utterances) == 8
    for utt in corpus.utterances:
        assert utt.wav.read_bytes()[:7] == b"NIST_1A"
        info = soundfile.info(str(utt.wav))
        assert info.samplerate == 16000 and info.frames > 8000
        rows = [line.split() for line in utt.phn.read_text().splitlines()]
        assert int(rows[0][0]) == 0 and rows[0][2] == "h#" and rows[-1][2] == "h#"
        assert int(rows[-1][1]) == info.frames
        assert all(int(a[1]) == int(b[0]) and int(b[0]) < int(b[1]) for a, b in zip(rows, rows[1:]))
        assert {r[2] for r in rows} <= TIMIT_61
        text = utt.txt.read_text().split(maxsplit=2)[2].strip()
        assert text in SENTENCES
        words = [line.split() for line in utt.wrd.read_text().splitlines()]
        spoken = [w.strip(".,?").lower() for w in text.split()]
        assert [w[2] for w in words] == [w for w in spoken if w in {x[2] for x in words}]
        assert len(words) >= 0.8 * len(spoken)
        assert all(0 <= int(w[0]) < int(w[1]) <= info.frames for w in words)
        assert all(int(a[1]) <= int(b[0]) for a, b in zip(words, words[1:]))
    roles = read_voice_roles(root)
    train_voices = {v for role, v in roles.values() if role != "test"}
    assert all(v not in train_voices for role, v in roles.values() if role == "test")


@needs_engines
def test_phone_boundaries_match_the_audio(tiny):
    """Silence labels must sit on quiet audio and speech labels on loud audio (exact .pho/-psdur timing)."""
    root, _ = tiny
    corpus = TimitCorpus(root)
    for utt in corpus.utterances:
        audio = corpus.read_audio(utt)
        rows = corpus.read_phones(utt, len(audio))
        lead = rows[0]
        assert np.abs(audio[: lead.end]).max() < 0.01
        speech = np.concatenate([audio[r.start : r.end] for r in rows if r.label not in ("h#", "pau")])
        assert np.sqrt(np.mean(speech**2)) > 10 * np.sqrt(np.mean(audio[: lead.end] ** 2))


@needs_engines
def test_same_seed_gives_byte_identical_files(tiny, tmp_path):
    root, _ = tiny
    again = tmp_path / "again"
    synthesize_corpus(again, RoleCounts.from_total(4), sentences=2, seed=7)
    files = sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    assert all((root / f).read_bytes() == (again / f).read_bytes() for f in files)


@needs_engines
def test_tts_timit_dataset_splits_by_role():
    dataset = TtsTimit(train_speakers=1, dev_speakers=2, test_speakers=2, sentences=2, seed=7)
    splits = {name: dataset.split(name) for name in dataset.split_names}
    speakers = {name: set(part.identity) for name, part in splits.items()}
    assert all(speakers[name] for name in ("train", "dev", "test"))
    assert speakers["train"].isdisjoint(speakers["dev"]) and speakers["train"].isdisjoint(speakers["test"])
    assert speakers["dev"].isdisjoint(speakers["test"])
    assert splits["train"].x.shape[1:] == (20, 80)
    roles = dataset.roles
    names = dataset.factor("speaker").classes
    assert all(roles[names[i]][0] == "test" for i in speakers["test"])
    assert TtsTimit(train_speakers=1, dev_speakers=2, test_speakers=2, sentences=2, seed=7).corpus.root == dataset.corpus.root
    assert [dataset.code_split(name) for name in dataset.split_names] == ["train", "val", "test"]
    assert dataset.identity_subsets() == {}  # no core test set in a synthesised corpus
    # regions are assigned in turn, not spoken: no dialect factor to probe
    assert [f.name for f in dataset.factors] == ["speaker", "sex", "phone"]
    assert set(splits["train"].labels) == {"speaker", "sex", "phone"}
