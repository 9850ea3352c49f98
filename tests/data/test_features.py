import numpy as np
import pytest
import soundfile

from cdsvae_eval.data import features as feats
from cdsvae_eval.data.features import (
    FOLD_61_TO_39, PHONES_39, FeatureConfig, FeatureExtractor, fold_phone, frame_phones, load_segments, num_frames,
    phone_at_frame, segment,
)
from formant_synth import write_formant_timit
from cdsvae_eval.data.timit import PhoneSegment, TimitCorpus, TimitSegments
from cdsvae_eval.errors import ConfigError, DataError


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CDSVAE_EVAL_CACHE", str(tmp_path / "cache"))


@pytest.mark.parametrize("name, dim, hop", [("logmel80", 80, 160), ("logspec200", 200, 160), ("mag201", 201, 165)])
def test_feature_shapes(name, dim, hop):
    audio = np.random.default_rng(0).standard_normal(16000).astype(np.float32) * 0.1
    out = FeatureExtractor(name)(audio)
    assert out.shape == (num_frames(16000, hop), dim) and out.dtype == np.float32
    assert np.isfinite(out).all()


def test_logmel_follows_the_spectrum():
    t = np.arange(16000) / 16000
    low, high = (np.sin(2 * np.pi * f * t).astype(np.float32) for f in (300, 5000))
    mel_low, mel_high = FeatureExtractor("logmel80")(low), FeatureExtractor("logmel80")(high)
    assert mel_low.mean(0).argmax() < 30 < mel_high.mean(0).argmax()


def test_unknown_features_and_bad_segments_are_config_errors():
    with pytest.raises(ConfigError, match="unknown features 'mfcc'"):
        FeatureConfig(name="mfcc")
    with pytest.raises(ConfigError, match="segment_frames"):
        FeatureConfig(segment_frames=0)
    assert FeatureConfig().key() != FeatureConfig(segment_hop=5).key()


def test_segment_windows():
    x = np.arange(45 * 3, dtype=np.float32).reshape(45, 3)
    segs = segment(x, frames=20, hop=10)
    assert segs.shape == (3, 20, 3)
    for i in range(3):
        assert np.array_equal(segs[i], x[i * 10 : i * 10 + 20])
    assert segment(x[:19], 20, 10).shape == (0, 20, 3)


def test_phone_folding_is_the_39_set():
    assert len(PHONES_39) == len(set(PHONES_39)) == 39
    assert len(FOLD_61_TO_39) == 60  # the 61 phones minus q, which is deleted
    assert set(FOLD_61_TO_39.values()) == set(PHONES_39)
    assert [fold_phone(p) for p in ("ao", "ax-h", "axr", "hv", "ix", "el", "en", "nx", "zh", "ux", "pcl", "h#")] == [
        "aa", "ah", "er", "hh", "ih", "l", "n", "n", "sh", "uw", "sil", "sil"]
    with pytest.raises(DataError, match="'xx'"):
        fold_phone("xx")


def test_frame_phones_use_frame_centres_and_q_takes_the_previous_phone():
    phones = [PhoneSegment(0, 300, "h#"), PhoneSegment(300, 500, "s"), PhoneSegment(500, 700, "q"),
              PhoneSegment(700, 1000, "ix")]
    labels = [PHONES_39[i] for i in frame_phones(phones, 8, 160)]  # centres 0, 160, 320, 480, 640, 800, 960, 1120
    assert labels == ["sil", "sil", "s", "s", "s", "ih", "ih", "sil"]
    assert phone_at_frame(phones, 5, 160) == "ih"


def test_normalisation_uses_train_statistics_only(tmp_path):
    root = write_formant_timit(tmp_path / "t", speakers_per_split={"TRAIN": 2, "TEST": 2}, sentences=2)
    dataset = TimitSegments(root)
    train, test = dataset.split("train").x, dataset.split("test").x
    fingerprint = dataset.fingerprint()
    corpus = TimitCorpus(root)
    raw = load_segments(corpus, FeatureConfig(normalise=False))
    mean, std = raw.train_statistics(set(corpus.speakers("TRAIN")))
    frames = [FeatureExtractor()(corpus.read_audio(u)) for u in corpus.split("train")]
    np.testing.assert_allclose(mean, np.concatenate(frames).mean(0), rtol=1e-4, atol=1e-4)
    for utt in corpus.split("test"):
        audio, rate = soundfile.read(str(utt.wav), dtype="int16")
        soundfile.write(str(utt.wav), (audio // 4).astype(np.int16), rate, format="NIST", subtype="PCM_16")
    changed = TimitSegments(root)
    assert changed.fingerprint() != fingerprint
    np.testing.assert_array_equal(changed.split("train").x, train)
    assert not np.allclose(changed.split("test").x, test)


def test_features_are_cached(tmp_path, monkeypatch):
    root = write_formant_timit(tmp_path / "t", speakers_per_split={"TRAIN": 1, "TEST": 1}, sentences=1)
    first = TimitSegments(root).split("train").x
    assert list((tmp_path / "cache" / "features").glob("*/segments.npz"))

    def fail(*args, **kwargs):
        raise AssertionError("recomputed despite the cache")

    monkeypatch.setattr(feats, "compute_segments", fail)
    np.testing.assert_array_equal(TimitSegments(root).split("train").x, first)
