"""One interface for every sequence dataset with ground-truth factors.

A dataset is a set of named splits. Each split holds its sequences as one in-memory array and one
integer label array per factor. Video sequences are ``uint8`` arrays of shape ``(N, T, C, H, W)``;
audio sequences are ``float32`` feature arrays of shape ``(N, T, F)``. Identities (characters,
speakers) never cross splits.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from cdsvae_eval.errors import DataError

FactorKind = Literal["static", "dynamic"]
Modality = Literal["video", "audio"]
# The splits a code file holds (cdsvae_eval.codes): every dataset split maps onto one of them or none.
CODE_SPLITS = ("train", "val", "test")
PATHS_SHOWN = 3  # files a warning about many files names; the count says how many more


@dataclass(frozen=True)
class CountUnits:
    """What a dataset calls, in the plural, what :meth:`SequenceDataset.split_counts` counts: its sequences
    (clips, segments, takes), its identities (characters, speakers, subjects) and its groups of sequences
    (utterances). ``data info`` and other counts people read use these words."""

    sequences: str = "sequences"
    identities: str = "identities"
    groups: str = "groups"


@dataclass(frozen=True)
class Factor:
    """A ground-truth factor of variation: static (one value per sequence) or dynamic (motion, content)."""

    name: str
    kind: FactorKind
    classes: tuple[str, ...]

    @property
    def num_classes(self) -> int:
        return len(self.classes)


@dataclass
class SequenceSplit:
    """The sequences of one split with their labels.

    ``identity`` says which character/speaker each sequence shows; ``groups`` optionally groups
    sequences into larger units (audio segments into utterances).
    """

    name: str
    x: np.ndarray
    labels: dict[str, np.ndarray]
    identity: np.ndarray
    groups: np.ndarray | None = None
    extras: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.x)
        for key, values in {**self.labels, "identity": self.identity}.items():
            if len(values) != n:
                raise DataError(f"split {self.name!r}: {key} has {len(values)} rows, sequences have {n}")
        if self.groups is not None and len(self.groups) != n:
            raise DataError(f"split {self.name!r}: groups has {len(self.groups)} rows, sequences have {n}")

    def __len__(self) -> int:
        return len(self.x)

    def subset(self, index: np.ndarray) -> "SequenceSplit":
        return SequenceSplit(
            name=self.name,
            x=self.x[index],
            labels={k: v[index] for k, v in self.labels.items()},
            identity=self.identity[index],
            groups=None if self.groups is None else self.groups[index],
            extras={k: v[index] for k, v in self.extras.items()},
        )


class SequenceDataset(ABC):
    """Base class of all datasets. Subclasses fill the class attributes and implement ``_load_split``."""

    name: str
    modality: Modality
    identity_name: str
    factors: tuple[Factor, ...]
    split_names: tuple[str, ...]
    units: CountUnits = CountUnits()

    def __init__(self) -> None:
        self._splits: dict[str, SequenceSplit] = {}

    @property
    @abstractmethod
    def sequence_shape(self) -> tuple[int, ...]:
        """Shape of one sequence: ``(T, C, H, W)`` for video, ``(T, F)`` for audio."""

    @abstractmethod
    def _load_split(self, split: str) -> SequenceSplit:
        """Build or read one split."""

    @abstractmethod
    def fingerprint(self) -> str:
        """A short hash that changes whenever the data or its preprocessing would change."""

    def split(self, name: str) -> SequenceSplit:
        if name not in self.split_names:
            raise DataError(f"dataset {self.name!r} has no split {name!r} (splits: {', '.join(self.split_names)})")
        if name not in self._splits:
            self._splits[name] = self._load_split(name)
        return self._splits[name]

    def code_split(self, name: str) -> str | None:
        """The code-file split that dataset split ``name``'s rows are written to (``dev`` is ``val``), or None
        for a split that is a subset of another (its rows are already in that one: see
        :meth:`identity_subsets`)."""
        return code_split_name(name)

    def identity_subsets(self) -> dict[str, dict[str, Any]]:
        """Named subsets of a split, by identity: ``{"core-test": {"split": "test", "identities": [...]}}``
        with identities as strings of the splits' ``identity`` values. Code files record them, so a subset
        such as TIMIT's core test set can be selected again."""
        return {}

    @property
    def training_split(self) -> str:
        """The split the trainer fits the model on: ``train``, unless the dataset cuts its training sequences
        another way for training alone (flare-sprites' long-video windows); the tasks' probes fit on ``train``."""
        return "train"

    @property
    def validation_split(self) -> str:
        """The split that chooses checkpoints and hyper-parameters (``val``, or TIMIT's ``dev``)."""
        for name in ("val", "dev"):
            if name in self.split_names:
                return name
        raise DataError(f"dataset {self.name!r} has no validation split (val or dev)")

    def factor(self, name: str) -> Factor:
        for factor in self.factors:
            if factor.name == name:
                return factor
        raise DataError(f"dataset {self.name!r} has no factor {name!r}")

    @property
    def static_factors(self) -> tuple[Factor, ...]:
        return tuple(f for f in self.factors if f.kind == "static")

    @property
    def dynamic_factors(self) -> tuple[Factor, ...]:
        return tuple(f for f in self.factors if f.kind == "dynamic")

    def split_counts(self, name: str) -> dict[str, int]:
        """Sequences, identities (and groups, where sequences are grouped) of one split.

        Loads the split; readers that can count from file headers override this, so ``data info``
        never decodes a corpus, and an empty split counts 0 instead of failing."""
        part = self.split(name)
        return {
            "sequences": len(part),
            "identities": int(len(np.unique(part.identity))),
            **({"groups": int(len(np.unique(part.groups)))} if part.groups is not None else {}),
        }

    def info(self) -> dict[str, object]:
        """A JSON-ready summary: counts per split, identities per split, factors and their classes, and
        what the counts count in the dataset's own words (``units``)."""
        splits = {name: self.split_counts(name) for name in self.split_names}
        return {
            "name": self.name,
            "modality": self.modality,
            "sequence_shape": list(self.sequence_shape),
            "identity": self.identity_name,
            "units": asdict(self.units),
            "fingerprint": self.fingerprint(),
            "factors": [
                {"name": f.name, "kind": f.kind, "classes": list(f.classes)} for f in self.factors
            ],
            "splits": splits,
        }


def code_split_name(name: str) -> str | None:
    """How a code file names the rows of dataset split ``name`` by default: ``dev`` is ``val``; None for
    names outside :data:`CODE_SPLITS`."""
    code_name = "val" if name == "dev" else name
    return code_name if code_name in CODE_SPLITS else None


class AudioSequenceDataset(SequenceDataset):
    """An audio dataset whose features come from a speech corpus and can be turned back into sound: what
    the MFCC baseline and the audio swap samples read, beside the sequence interface.

    ``corpus`` lists utterances (``.utterances``, each with ``id``, ``speaker``, ``sex``, ``dialect``,
    ``wav`` and ``txt``) and reads their audio (``read_audio(utt)``); ``speaker_ids`` are the speaker
    factor's classes; segments of ``segment_hop`` frames' stride come from each utterance."""

    modality: Modality = "audio"
    sample_rate: int
    speaker_ids: list[str]
    corpus: Any

    @property
    @abstractmethod
    def feature_spec(self) -> Any:
        """How the features were computed from ``sample_rate`` audio (what inverting them needs)."""

    @property
    @abstractmethod
    def feature_stats(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-dimension ``(mean, std)`` that normalised the features."""

    @property
    @abstractmethod
    def segment_hop(self) -> int:
        """Frames between the starts of consecutive segments of an utterance."""

    @abstractmethod
    def split_speakers(self, split: str) -> list[str]:
        """The speakers of one split."""


def first_paths(paths: Sequence[str] | np.ndarray) -> str:
    """The first :data:`PATHS_SHOWN` of ``paths`` and how many more there are, for a warning about many files."""
    more = len(paths) - PATHS_SHOWN
    return ", ".join(str(path) for path in paths[:PATHS_SHOWN]) + (f" and {more} more" if more > 0 else "")


def hash_parts(*parts: object) -> str:
    """A 16-hex-digit fingerprint of the given parts' reprs."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(repr(part).encode())
        digest.update(b"\0")
    return digest.hexdigest()[:16]
