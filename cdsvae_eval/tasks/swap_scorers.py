"""Judges of decoded speech that owe nothing to the model under test or to the test speakers.

Both read the log-mel frames themselves, so a real utterance, a reconstruction and a swap are scored by the
same path (a waveform MFCC for the real utterances against a log-mel one for the decoded would compare
different things):

- **speaker**: the MFCC-20 mean+std embedding of an utterance computed from its log-mel frames (de-normalised
  with the training statistics, natural log to dB, DCT-II (orthonormal) over the mel bands, the first 20
  coefficients, their mean and standard deviation over the utterance's frames), scored by the speaker-verification
  back-ends of :mod:`cdsvae_eval.tasks.backends`, each fitted on the training split's real utterances;
- **content**: a linear frame phone classifier (the probe of :mod:`cdsvae_eval.tasks.probes`) fitted once on
  seeded real frames of the training split's speakers, but a seeded fifth of them held out to record its own
  accuracy.

Every speaker whose frames any fit read is recorded (``fitted_speakers``), so a caller can check that none of
them is scored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cdsvae_eval.data.base import AudioSequenceDataset
from cdsvae_eval.errors import ConfigError, DataError
from cdsvae_eval.models.utterance_swap import overlap_add, overlap_labels
from cdsvae_eval.names import FRAME_PHONES
from cdsvae_eval.tasks.backends import ALL_BACKENDS, FittedBackend, backend_names, fit_backend
from cdsvae_eval.tasks.mfcc_baseline import N_MFCC
from cdsvae_eval.tasks.probes import fit_probe

DB_PER_NEPER = 10.0 / np.log(10.0)  # 10 log10(p) = DB_PER_NEPER * ln(p)
HELD_OUT_SHARE = 0.2
SPEAKER_EMBEDDING = (f"MFCC-{N_MFCC} mean+std from the log-mel frames: de-normalised with the training statistics, "
                     f"natural log to dB, DCT-II (orthonormal) over the mel bands, the first {N_MFCC} coefficients, "
                     "mean and std over the utterance's frames")
PHONE_CLASSIFIER = ("linear probe of each frame's phone from that single log-mel frame, fitted on seeded frames of "
                    f"the training speakers (a seeded {HELD_OUT_SHARE:.0%} of those speakers held out to measure it)")


@dataclass(frozen=True)
class SplitUtterances:
    """The whole utterances of a split: normalised frames (overlap-added segments), each frame's phone, the
    speaker of each, and the split's rows (segments, in time order) each was made from."""

    ids: np.ndarray
    speakers: np.ndarray
    frames: list[np.ndarray]
    phones: list[np.ndarray]
    segment_rows: list[np.ndarray]

    def __len__(self) -> int:
        return len(self.ids)


def split_utterances(dataset: AudioSequenceDataset, split: str) -> SplitUtterances:
    """Every utterance of ``split`` with its frames and per-frame phones, ordered by id."""
    part = dataset.split(split)
    if FRAME_PHONES not in part.extras or part.groups is None:
        raise DataError(f"split {split!r} of dataset {dataset.name!r} has no per-frame phone labels by utterance")
    groups = np.asarray(part.groups).astype(str)
    ids, first, inverse = np.unique(groups, return_index=True, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.cumsum(np.bincount(inverse, minlength=len(ids)))[:-1]
    rows = np.split(order, bounds)
    hop = dataset.segment_hop
    labels = part.extras[FRAME_PHONES]
    return SplitUtterances(
        ids=ids,
        speakers=np.asarray(dataset.speaker_ids)[part.identity[first]].astype(str),
        frames=[overlap_add(part.x[own], hop) for own in rows],
        phones=[overlap_labels(labels[own], hop) for own in rows],
        segment_rows=rows,
    )


class LogMelMfcc:
    """The speaker embedding of utterances given as normalised log-mel frames (:data:`SPEAKER_EMBEDDING`)."""

    def __init__(self, mean: np.ndarray, std: np.ndarray) -> None:
        self.mean = np.asarray(mean, dtype=np.float64)
        self.std = np.asarray(std, dtype=np.float64)

    def __call__(self, sequences: Sequence[np.ndarray]) -> np.ndarray:
        from scipy.fft import dct

        if not sequences or any(len(frames) == 0 for frames in sequences):
            raise DataError("an MFCC embedding needs at least one frame of each utterance")
        joined = np.concatenate(sequences).astype(np.float64) * self.std + self.mean
        cepstra = dct(DB_PER_NEPER * joined, type=2, norm="ortho", axis=1)[:, :N_MFCC]
        counts = np.array([len(frames) for frames in sequences])
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        means = np.add.reduceat(cepstra, starts, axis=0) / counts[:, None]
        squares = np.add.reduceat(cepstra**2, starts, axis=0) / counts[:, None]
        return np.concatenate([means, np.sqrt(np.maximum(squares - means**2, 0.0))], axis=1)


@dataclass(frozen=True)
class PhoneScorer:
    """The frame phone classifier and how it was fitted and measured."""

    probe: Any
    held_out_accuracy: float | None
    record: dict[str, Any]

    def predict(self, sequences: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Each sequence's predicted phone per frame."""
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            predicted = self.probe.predict(np.concatenate(sequences).astype(np.float32, copy=False))
        return np.split(predicted, np.cumsum([len(frames) for frames in sequences])[:-1])


@dataclass(frozen=True)
class SwapScorers:
    """The fitted judges: the speaker embedding with its back-ends (those that could be fitted, and why the others
    could not), the phone classifier, and every speaker whose frames a fit read."""

    embed: LogMelMfcc
    backends: dict[str, FittedBackend]
    phone: PhoneScorer
    fitted_speakers: frozenset[str]
    backends_skipped: dict[str, str] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        return {"speaker_embedding": SPEAKER_EMBEDDING,
                "backends": {name: fitted.fitted_on for name, fitted in self.backends.items()},
                "backends_skipped": self.backends_skipped,
                "phone_classifier": {"method": PHONE_CLASSIFIER, **self.phone.record,
                                     "held_out_accuracy": self.phone.held_out_accuracy},
                "fitted_speakers": len(self.fitted_speakers)}


def check_log_mel(dataset: Any, task: str) -> AudioSequenceDataset:
    """The dataset, when it is a speech corpus of log-mel features (what the judges read); else a one-line error."""
    if not isinstance(dataset, AudioSequenceDataset):
        raise DataError(f"task {task} scores decoded speech; dataset {getattr(dataset, 'name', dataset)!r} is not "
                        "a speech corpus")
    spec = dataset.feature_spec
    if spec.n_mels is None or not spec.log:
        raise DataError(f"task {task} judges log-mel features; dataset {dataset.name!r} has other features")
    return dataset


def fit_swap_scorers(dataset: AudioSequenceDataset, train_split: str, backend: str, max_frames: int,
                     seed: int) -> SwapScorers:
    """Fit both judges on the real utterances of ``train_split`` (nothing else is read). With ``backend=all`` a
    back-end that cannot be fitted (too few training speakers) is skipped with its reason."""
    if max_frames < 2:
        raise ConfigError(f"the phone classifier needs max_train_frames >= 2, got {max_frames}")
    mean, std = dataset.feature_stats
    train = split_utterances(dataset, train_split)
    embed = LogMelMfcc(mean, std)
    embeddings = embed(train.frames)
    backends: dict[str, FittedBackend] = {}
    skipped: dict[str, str] = {}
    for name in backend_names(backend):
        try:
            backends[name] = fit_backend(name, embeddings, train.speakers)
        except DataError as error:
            if backend != ALL_BACKENDS:
                raise
            skipped[name] = str(error)
    return SwapScorers(embed=embed, backends=backends, phone=_fit_phone_scorer(train, max_frames, seed),
                       fitted_speakers=frozenset(train.speakers.tolist()), backends_skipped=skipped)


def _fit_phone_scorer(train: SplitUtterances, max_frames: int, seed: int) -> PhoneScorer:
    rng = np.random.default_rng(seed)
    speakers = np.unique(train.speakers)
    held_out = (rng.choice(speakers, max(1, round(HELD_OUT_SHARE * len(speakers))), replace=False)
                if len(speakers) >= 2 else np.array([], dtype=str))
    frame_speakers = np.concatenate([np.full(len(frames), speaker) for frames, speaker in
                                     zip(train.frames, train.speakers)])
    frames, phones = np.concatenate(train.frames), np.concatenate(train.phones)
    fit_rows = _drawn(np.flatnonzero(~np.isin(frame_speakers, held_out)), max_frames, rng)
    if len(np.unique(phones[fit_rows])) < 2:
        raise DataError("the phone classifier needs at least two phones among the training frames")
    probe = fit_probe(frames[fit_rows], phones[fit_rows], seed)
    record: dict[str, Any] = {"fit_frames": len(fit_rows), "fit_speakers": len(speakers) - len(held_out),
                              "held_out_speakers": len(held_out), "seed": seed}
    accuracy = None
    if len(held_out):
        test_rows = _drawn(np.flatnonzero(np.isin(frame_speakers, held_out)), max_frames, rng)
        scorer = PhoneScorer(probe, None, record)
        accuracy = float((scorer.predict([frames[test_rows]])[0] == phones[test_rows]).mean())
        record["held_out_frames"] = len(test_rows)
        record["held_out_chance"] = float(np.bincount(phones[test_rows]).max() / len(test_rows))
    return PhoneScorer(probe, accuracy, record)


def _drawn(rows: np.ndarray, limit: int, rng: np.random.Generator) -> np.ndarray:
    """At most ``limit`` of ``rows``, drawn uniformly without replacement, in order."""
    return rows if len(rows) <= limit else np.sort(rng.choice(rows, limit, replace=False))
