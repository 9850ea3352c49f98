"""The model's input as a probe feature: the log-mel frames a speech encoder reads, row by row beside the codes.

A linear probe on the input is the reference a linear probe on the codes is compared with. It is not a bound: the
codes are a nonlinear function of the whole segment, so a linear probe on them can read more. The input is read
again from the dataset the codes were extracted from, split by split: a code file's rows of one split are that
dataset split's sequences in order (:func:`cdsvae_eval.codes.extract_codes`), which is checked (row count,
identities and utterances) before any row is used. Where the input cannot be had, or says nothing a
linear probe could use (video pixels), :class:`InputUnavailable` says why and the tasks skip it with that note.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from cdsvae_eval.codes import CodeSet

DESCRIPTION = "the model's input: the segment's log-mel frames as the encoder reads them"


class InputUnavailable(Exception):
    """The input view cannot be scored; the message is the note the protocol records."""


@dataclass(frozen=True)
class ModelInput:
    """The input frames (N, T, F) of the rows of one code split (as :meth:`CodeSet.of_split` selects them)."""

    frames: np.ndarray

    @property
    def segments(self) -> np.ndarray:
        """One row per segment: its frames flattened in time order (N, T * F), as the ``dynamic`` view of codes."""
        return self.frames.reshape(len(self.frames), -1)


def model_input(codes: CodeSet, dataset: Any | None, split: str) -> ModelInput:
    """The input of the rows ``codes.of_split(split)`` in their order; raises :class:`InputUnavailable`."""
    if dataset is None:
        raise InputUnavailable("no dataset given (codes without their run): the input cannot be read")
    if getattr(dataset, "modality", None) != "audio":
        raise InputUnavailable(f"dataset {getattr(dataset, 'name', dataset)!r} is not speech: a linear probe on "
                               "its raw input (pixels) is no meaningful ceiling")
    recorded = codes.meta.get("dataset_fingerprint")
    if recorded is not None and dataset.fingerprint() != recorded:
        raise InputUnavailable(f"dataset {dataset.name!r} has fingerprint {dataset.fingerprint()}, the codes came "
                               f"from {recorded}")
    if codes.split is None:
        raise InputUnavailable("the codes have no 'split' column to align the input with")
    rows = _rows_of_split(codes, split)
    frames: np.ndarray | None = None
    for code_split in np.unique(codes.split[rows]):
        positions = np.flatnonzero(codes.split == code_split)
        part = _aligned_part(codes, dataset, str(code_split), positions)
        mine = codes.split[rows] == code_split
        if frames is None:
            frames = np.empty((len(rows), *part.x.shape[1:]), dtype=np.float32)
        frames[mine] = part.x[np.searchsorted(positions, rows[mine])]
    assert frames is not None  # of_split selects at least one row
    return ModelInput(frames)


def _rows_of_split(codes: CodeSet, split: str) -> np.ndarray:
    """Indices into ``codes`` of ``codes.of_split(split)``'s rows: the selection itself, run on the row numbers, so
    that named identity subsets (TIMIT's ``core-test``) select exactly what the codes' own selection does."""
    numbered = replace(codes, static=np.arange(len(codes), dtype=np.float64)[:, None], static_logvar=None)
    return numbered.of_split(split).static[:, 0].astype(np.int64)


def _aligned_part(codes: CodeSet, dataset: Any, code_split: str, positions: np.ndarray) -> Any:
    """The dataset split written to ``code_split``, checked to hold the codes' rows of it in the same order."""
    names = [name for name in dataset.split_names if dataset.code_split(name) == code_split]
    if len(names) != 1:
        raise InputUnavailable(f"dataset {dataset.name!r} has {len(names)} splits written to code split "
                               f"{code_split!r}; cannot align the input")
    part = dataset.split(names[0])
    if len(part) != len(positions):
        raise InputUnavailable(f"split {names[0]!r} of dataset {dataset.name!r} has {len(part)} sequences, the codes "
                               f"{len(positions)} rows of {code_split!r}")
    if codes.identity is not None and not np.array_equal(np.asarray(part.identity).astype(str),
                                                         codes.identity[positions]):
        raise InputUnavailable(f"split {names[0]!r}: the dataset's identities differ from the codes' row by row")
    if codes.utt is not None and part.groups is not None and not np.array_equal(
            np.asarray(part.groups).astype(str), codes.utt[positions]):
        raise InputUnavailable(f"split {names[0]!r}: the dataset's utterances differ from the codes' row by row")
    return part
