"""Spectral features for speech (torchaudio, on any device), 200 ms segments, phone alignment, caching.

Named feature sets (16 kHz input):
- ``logmel80``: 80 log-mel bands, 25 ms window (400), 10 ms hop (160), n_fft 512, log(mel power + 1e-6).
- ``logspec200``: 200-dim log-magnitude spectrum: window 400, hop 160, n_fft 400 (201 bins, DC dropped),
  log(|X| + 1e-6) (the DSVAE paper's 200-dim input).
- ``mag201``: 201-bin magnitude spectrogram: window 320, hop 165, n_fft 400 (a later reimplementation).
Frames are centred (frame t is centred on sample t * hop).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, Sequence

import numpy as np
import torch

from cdsvae_eval.atomic import atomic_path, write_text
from cdsvae_eval.data.base import first_paths
from cdsvae_eval.errors import ConfigError, DataError
from cdsvae_eval.paths import cache_dir



class PhoneSpan(Protocol):
    """A phone label over samples ``start`` to ``end`` (:class:`~cdsvae_eval.data.timit.PhoneSegment`)."""

    start: int
    end: int
    label: str


class UtteranceCorpus(Protocol):
    """What feature extraction reads from a corpus (:class:`~cdsvae_eval.data.timit.TimitCorpus` is one)."""

    utterances: list[Any]

    def read_audio(self, utt: Any, skipped: list[tuple[str, str]] | None = None) -> np.ndarray | None: ...

    def audio_rate(self, utt: Any) -> int | None: ...

    def read_phones(self, utt: Any, num_samples: int, rate: int | None = None,
                    clipped_files: list[str] | None = None) -> Sequence[PhoneSpan]: ...

LOG_FLOOR = 1e-6


@dataclass(frozen=True)
class FeatureSpec:
    dim: int
    n_fft: int
    win_length: int
    hop_length: int
    n_mels: int | None
    log: bool
    drop_dc: bool


FEATURE_SPECS: dict[str, FeatureSpec] = {
    "logmel80": FeatureSpec(80, 512, 400, 160, 80, log=True, drop_dc=False),
    "logspec200": FeatureSpec(200, 400, 400, 160, None, log=True, drop_dc=True),
    "mag201": FeatureSpec(201, 400, 320, 165, None, log=False, drop_dc=False),
}

# The standard 61 -> 39 folding of TIMIT phones (Lee & Hon 1989). ``q`` (glottal stop) is deleted by
# that folding; at frame level its frames take the label of the phone before it.
PHONES_39: tuple[str, ...] = (
    "iy", "ih", "eh", "ae", "ah", "uw", "uh", "aa", "ey", "ay", "oy", "aw", "ow", "er", "l", "r", "w", "y",
    "m", "n", "ng", "ch", "jh", "dh", "b", "d", "dx", "g", "p", "t", "k", "z", "v", "f", "th", "s", "sh",
    "hh", "sil",
)
FOLD_61_TO_39: dict[str, str] = {
    **{p: p for p in PHONES_39 if p != "sil"},
    "ao": "aa", "ax": "ah", "ax-h": "ah", "axr": "er", "hv": "hh", "ix": "ih", "el": "l", "em": "m",
    "en": "n", "nx": "n", "eng": "ng", "zh": "sh", "ux": "uw",
    **{p: "sil" for p in ("pcl", "tcl", "kcl", "bcl", "dcl", "gcl", "h#", "pau", "epi")},
}
DELETED_PHONES = frozenset({"q"})
TIMIT_PHONES: frozenset[str] = frozenset(FOLD_61_TO_39) | DELETED_PHONES  # the 61 labels of TIMIT's .PHN files
PHONE_INDEX: dict[str, int] = {p: i for i, p in enumerate(PHONES_39)}


@dataclass(frozen=True)
class FeatureConfig:
    """Which features, and how they are cut into segments (``segment_frames`` long, every ``segment_hop``)."""

    name: str = "logmel80"
    segment_frames: int = 20
    segment_hop: int = 10
    normalise: bool = True

    def __post_init__(self) -> None:
        if self.name not in FEATURE_SPECS:
            raise ConfigError(f"unknown features {self.name!r} (known: {', '.join(FEATURE_SPECS)})")
        if self.segment_frames < 1 or self.segment_hop < 1:
            raise ConfigError(
                f"segment_frames and segment_hop must be >= 1, got {self.segment_frames} and {self.segment_hop}"
            )

    def key(self) -> str:
        return f"{self.name}-f{self.segment_frames}-h{self.segment_hop}-{'norm' if self.normalise else 'raw'}"


def feature_dim(name: str) -> int:
    if name not in FEATURE_SPECS:
        raise ConfigError(f"unknown features {name!r} (known: {', '.join(FEATURE_SPECS)})")
    return FEATURE_SPECS[name].dim


class FeatureExtractor:
    """Turns 16 kHz waveforms into (T, F) feature arrays on ``device``."""

    def __init__(self, name: str = "logmel80", device: str | torch.device = "cpu", sample_rate: int = 16000) -> None:
        import torchaudio

        self.spec = FEATURE_SPECS[name] if name in FEATURE_SPECS else None
        if self.spec is None:
            raise ConfigError(f"unknown features {name!r} (known: {', '.join(FEATURE_SPECS)})")
        self.device = torch.device(device)
        spec = self.spec
        if spec.n_mels is not None:
            transform = torchaudio.transforms.MelSpectrogram(
                sample_rate=sample_rate, n_fft=spec.n_fft, win_length=spec.win_length, hop_length=spec.hop_length,
                n_mels=spec.n_mels, power=2.0, center=True,
            )
        else:
            transform = torchaudio.transforms.Spectrogram(
                n_fft=spec.n_fft, win_length=spec.win_length, hop_length=spec.hop_length, power=1.0, center=True,
            )
        self.transform = transform.to(self.device)

    @property
    def hop_length(self) -> int:
        return self.spec.hop_length

    @torch.no_grad()
    def __call__(self, waveform: np.ndarray) -> np.ndarray:
        audio = torch.as_tensor(np.asarray(waveform, dtype=np.float32), device=self.device)
        spectrum = self.transform(audio)
        if self.spec.drop_dc:
            spectrum = spectrum[1:]
        if self.spec.log:
            spectrum = torch.log(spectrum + LOG_FLOOR)
        return spectrum.T.contiguous().cpu().numpy()


def num_frames(num_samples: int, hop_length: int) -> int:
    """Frames of a centred STFT over ``num_samples`` samples."""
    return 1 + num_samples // hop_length


def segment_count(n_frames: int, frames: int = 20, hop: int = 10) -> int:
    """How many segments ``segment`` cuts from ``n_frames`` frames."""
    return 0 if n_frames < frames else 1 + (n_frames - frames) // hop


def segment(features: np.ndarray, frames: int = 20, hop: int = 10) -> np.ndarray:
    """Cut (T, F) features into overlapping (S, frames, F) segments; S = 0 when T < frames."""
    count = segment_count(len(features), frames, hop)
    if count == 0:
        return np.zeros((0, frames, features.shape[1]), dtype=features.dtype)
    starts = np.arange(count) * hop
    return features[starts[:, None] + np.arange(frames)[None, :]]


def fold_phone(label: str) -> str:
    """The 39-phone class of a TIMIT 61-phone label (``DataError`` for labels outside the 61 set)."""
    folded = FOLD_61_TO_39.get(label.lower())
    if folded is None:
        raise DataError(f"phone {label!r} is not a TIMIT phone")
    return folded


def frame_phones(phones: Sequence[PhoneSpan], n_frames: int, hop_length: int) -> np.ndarray:
    """The folded phone index at the centre sample of each frame (silence where no phone covers it)."""
    labels = np.full(n_frames, PHONE_INDEX["sil"], dtype=np.int16)
    centres = np.arange(n_frames) * hop_length
    previous = PHONE_INDEX["sil"]
    for phone in phones:
        index = previous if phone.label in DELETED_PHONES else PHONE_INDEX[fold_phone(phone.label)]
        first, last = np.searchsorted(centres, [phone.start, phone.end], side="left")
        labels[first:last] = index
        previous = index
    return labels


def phone_at_frame(phones: Sequence[PhoneSpan], frame: int, hop_length: int) -> str:
    """The folded phone at the centre of ``frame``."""
    return PHONES_39[int(frame_phones(phones, frame + 1, hop_length)[frame])]


@dataclass
class SegmentTable:
    """All segments of a corpus with per-segment metadata, plus per-utterance frame statistics."""

    x: np.ndarray
    frame_phones: np.ndarray
    utterance_ids: np.ndarray
    speakers: np.ndarray
    parts: np.ndarray
    sexes: np.ndarray
    dialects: np.ndarray
    stats_speakers: np.ndarray
    stats_count: np.ndarray
    stats_sum: np.ndarray
    stats_sumsq: np.ndarray
    skipped: np.ndarray
    # why each ``skipped`` file was skipped (absent from caches written before it was recorded)
    skipped_reasons: np.ndarray = field(default_factory=lambda: np.array([], dtype=str))
    # .PHN files whose labels ran past the end of their audio and were clipped
    clipped: np.ndarray = field(default_factory=lambda: np.array([], dtype=str))

    def train_statistics(self, train_speakers: set[str]) -> tuple[np.ndarray, np.ndarray]:
        """Per-dimension mean and std over every frame of the train speakers' utterances."""
        rows = np.isin(self.stats_speakers, sorted(train_speakers))
        count = self.stats_count[rows].sum()
        if count == 0:
            raise DataError("no train frames to compute normalisation statistics from")
        mean = self.stats_sum[rows].sum(axis=0) / count
        var = np.maximum(self.stats_sumsq[rows].sum(axis=0) / count - mean**2, 0.0)
        return mean.astype(np.float32), np.sqrt(var + 1e-8).astype(np.float32)


def compute_segments(corpus: UtteranceCorpus, config: FeatureConfig, device: str = "cpu") -> SegmentTable:
    """Features of every readable utterance, cut into segments (unnormalised)."""
    extractor = FeatureExtractor(config.name, device)
    columns: dict[str, list] = {k: [] for k in ("x", "phones", "utt", "spk", "part", "sex", "dr")}
    stats: dict[str, list] = {k: [] for k in ("spk", "count", "sum", "sumsq")}
    skipped: list[tuple[str, str]] = []
    clipped: list[str] = []
    for utt in corpus.utterances:
        audio = corpus.read_audio(utt, skipped)
        if audio is None:
            continue
        features = extractor(audio)
        phones = corpus.read_phones(utt, len(audio), rate=corpus.audio_rate(utt), clipped_files=clipped)
        labels = frame_phones(phones, len(features), extractor.hop_length)
        segs = segment(features, config.segment_frames, config.segment_hop)
        seg_labels = segment(labels[:, None], config.segment_frames, config.segment_hop)[..., 0]
        stats["spk"].append(utt.speaker)
        stats["count"].append(len(features))
        stats["sum"].append(features.astype(np.float64).sum(axis=0))
        stats["sumsq"].append((features.astype(np.float64) ** 2).sum(axis=0))
        n = len(segs)
        columns["x"].append(segs)
        columns["phones"].append(seg_labels)
        for key, value in (("utt", utt.id), ("spk", utt.speaker), ("part", utt.part), ("sex", utt.sex),
                           ("dr", utt.dialect)):
            columns[key].append(np.full(n, value))
    if not columns["x"]:
        shown = f" (e.g. {skipped[0][0]}: {skipped[0][1]})" if skipped else ""
        raise DataError(f"{corpus.root}: no readable audio in the corpus{shown}")
    dim = feature_dim(config.name)
    return SegmentTable(
        x=np.concatenate(columns["x"]).astype(np.float32).reshape(-1, config.segment_frames, dim),
        frame_phones=np.concatenate(columns["phones"]).astype(np.int16).reshape(-1, config.segment_frames),
        utterance_ids=np.concatenate(columns["utt"]).astype(str),
        speakers=np.concatenate(columns["spk"]).astype(str),
        parts=np.concatenate(columns["part"]).astype(str),
        sexes=np.concatenate(columns["sex"]).astype(str),
        dialects=np.concatenate(columns["dr"]).astype(np.int64),
        stats_speakers=np.array(stats["spk"], dtype=str),
        stats_count=np.array(stats["count"], dtype=np.int64),
        stats_sum=np.stack(stats["sum"]),
        stats_sumsq=np.stack(stats["sumsq"]),
        skipped=np.array([path for path, _ in skipped], dtype=str),
        skipped_reasons=np.array([reason for _, reason in skipped], dtype=str),
        clipped=np.array(clipped, dtype=str),
    )


def _warn_about_files(table: SegmentTable, folder: Path) -> None:
    """One warning for all skipped files and one for all clipped .PHN files: the count, the first few,
    and a file in ``folder`` that lists them all."""
    if len(table.skipped):
        reasons = table.skipped_reasons if len(table.skipped_reasons) == len(table.skipped) else ["?"] * len(table.skipped)
        listing = folder / "skipped.txt"
        write_text(listing, "".join(f"{path}\t{reason}\n" for path, reason in zip(table.skipped, reasons)))
        warnings.warn(f"skipped {len(table.skipped)} unreadable or empty audio file(s): {first_paths(table.skipped)}; "
                      f"all of them, with the reason, are listed in {listing}", stacklevel=3)
    if len(table.clipped):
        listing = folder / "clipped.txt"
        write_text(listing, "".join(f"{path}\n" for path in table.clipped))
        warnings.warn(f"clipped the phone labels of {len(table.clipped)} .PHN file(s) that run past the end of their "
                      f"audio: {first_paths(table.clipped)}; all of them are listed in {listing}", stacklevel=3)


def load_segments(
    corpus: UtteranceCorpus, config: FeatureConfig, device: str = "cpu", train_speakers: set[str] | None = None
) -> SegmentTable:
    """Segments from the cache (built on first use), normalised with the train speakers' statistics."""
    raw_key = FeatureConfig(config.name, config.segment_frames, config.segment_hop, normalise=False).key()
    path = cache_dir("features", f"{corpus.fingerprint()}-{raw_key}") / "segments.npz"
    if path.exists():
        with np.load(path, allow_pickle=False) as data:
            table = SegmentTable(**{k: data[k] for k in data.files})
    else:
        table = compute_segments(corpus, config, device)
        with atomic_path(path) as tmp, open(tmp, "wb") as handle:
            np.savez(handle, **vars(table))
    _warn_about_files(table, path.parent)
    if config.normalise:
        speakers = train_speakers if train_speakers is not None else set(corpus.speakers("TRAIN"))
        mean, std = table.train_statistics(speakers)
        table.x = (table.x - mean) / std
    return table
