"""Utterance embeddings of a code file's speakers, shared by ``speaker-eer`` and ``speaker-few-shot``.

An utterance's static embedding is the mean of ``static`` over its rows (rows share ``codes.utt``; without
``utt`` each row is an utterance, with id ``row<i>``, i its row in the code file); its dynamic embedding is
the mean over its rows of the time-averaged ``dynamic`` (:func:`cdsvae_eval.metrics.group_means`, the rule
the trainer's validation EER uses too). Its MFCC embedding (the baseline) is computed from its audio.

The speaker of a row is its label of the speaker factor (``y_speaker`` by default), named by the factor's
class; ``speaker_factor="identity"`` reads the code file's ``identity`` column instead, so any code file
with a speaker-like identity can be scored.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from cdsvae_eval.codes import CodeSet
from cdsvae_eval.errors import DataError
from cdsvae_eval.metrics import group_means
from cdsvae_eval.names import DYNAMIC_CODE, MFCC_CODE, STATIC_CODE
from cdsvae_eval.tasks import mfcc_baseline

IDENTITY_COLUMN = "identity"
CODES = (STATIC_CODE, DYNAMIC_CODE)
CODE_LABELS = {STATIC_CODE: "z_s", DYNAMIC_CODE: "mean z_1:T", MFCC_CODE: "MFCC"}


@dataclass
class Utterances:
    """Utterance-level embeddings, ordered by id: ids, speaker names, and one embedding per code."""

    ids: np.ndarray
    speakers: np.ndarray
    embeddings: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def n_speakers(self) -> int:
        return int(len(np.unique(self.speakers)))


def utterance_embeddings(codes: CodeSet, speaker_factor: str, split: str | None, task: str) -> Utterances:
    """The utterances of ``split`` (:meth:`CodeSet.of_split`, identity subsets such as ``core-test``
    included; all rows when ``split`` is None or the codes have no split column).

    Raises :class:`DataError` naming ``task`` when the speaker labels are missing or an utterance's rows
    disagree on the speaker."""
    if codes.utt is None:
        codes = dataclasses.replace(codes, utt=np.array([f"row{i}" for i in range(len(codes))]))
    rows = codes if split is None or codes.split is None else codes.of_split(split)
    speakers = row_speakers(rows, speaker_factor, task)
    utt = rows.utt.astype(str)
    _check_one_speaker_per_utterance(utt, speakers, speaker_factor, task)
    ids, static = group_means(rows.static, utt)
    _, dynamic = group_means(rows.dynamic.mean(axis=1), utt)
    _, first_row = np.unique(utt, return_index=True)
    return Utterances(ids=ids.astype(str), speakers=speakers[first_row],
                      embeddings={STATIC_CODE: static, DYNAMIC_CODE: dynamic})


def row_speakers(codes: CodeSet, speaker_factor: str, task: str) -> np.ndarray:
    """The speaker name of every row (str)."""
    if speaker_factor == IDENTITY_COLUMN:
        if codes.identity is None:
            raise DataError(f"task {task} with speaker_factor=identity needs the field 'identity' in the code file")
        return codes.identity.astype(str)
    if speaker_factor not in codes.labels:
        hint = " (or speaker_factor=identity for its 'identity' field)" if codes.identity is not None else ""
        raise DataError(f"task {task} needs field y_{speaker_factor} in the code file{hint}")
    classes = np.asarray(codes.factors[speaker_factor].classes, dtype=str)
    return classes[codes.labels[speaker_factor]]


def add_mfcc(utterances: Utterances, codes: CodeSet, dataset: Any | None) -> None:
    """Add the MFCC baseline's embedding of every utterance, read from the corpus the codes came from."""
    corpus = mfcc_baseline.dataset_of_codes(codes, dataset)
    utterances.embeddings[MFCC_CODE] = mfcc_baseline.mfcc_utterance_embeddings(
        corpus, utterances.ids.tolist(), utterances.speakers.tolist())


def _check_one_speaker_per_utterance(utt: np.ndarray, speakers: np.ndarray, speaker_factor: str, task: str) -> None:
    pairs = np.unique(np.stack([utt, speakers]), axis=1)
    names, counts = np.unique(pairs[0], return_counts=True)
    if (counts > 1).any():
        label = "identity" if speaker_factor == IDENTITY_COLUMN else f"y_{speaker_factor}"
        raise DataError(f"task {task}: utterance {str(names[counts > 1][0])!r} has rows of more than one {label} value")
