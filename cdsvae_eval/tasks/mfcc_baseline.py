"""The MFCC baseline for speaker verification: each utterance is the mean and standard deviation of 20 MFCCs.

It needs no training, so it says how much speaker information plain spectral statistics already give.
``speaker-eer`` scores it on the same trials as a model's codes (option ``baseline=mfcc``); the audio is
read from the corpus the codes were extracted from, checked by the dataset fingerprint. The embeddings are cached
on disk per corpus (:mod:`cdsvae_eval.tasks.mfcc_cache`).
"""

from __future__ import annotations

import inspect
import weakref
from typing import Any, Sequence

import numpy as np

from cdsvae_eval.codes import CodeSet, FactorMeta
from cdsvae_eval.data.base import AudioSequenceDataset
from cdsvae_eval.data.timit import SAMPLE_RATE
from cdsvae_eval.errors import DataError
from cdsvae_eval.tasks.mfcc_cache import cache_file, read_embeddings, write_embeddings

N_MFCC = 20
N_FFT = 400  # 25 ms at 16 kHz
HOP = 160  # 10 ms
DESCRIPTION = f"MFCC-{N_MFCC} mean+std over the utterance (n_fft {N_FFT}, hop {HOP}, {SAMPLE_RATE} Hz)"
# What the on-disk cache is keyed by besides the corpus: bump the version when mfcc_embedding changes what it computes
EMBEDDING = ("mfcc-mean-std-v1", N_MFCC, N_FFT, HOP, SAMPLE_RATE)

# corpus object -> {utterance id: embedding}. speaker-eer and speaker-few-shot read the same utterances of one
# loaded corpus in one command; keyed by the object itself, so no other copy is ever served from it. Filled from
# and written back to the on-disk cache of the corpus (:mod:`cdsvae_eval.tasks.mfcc_cache`) across commands
_EMBEDDINGS: "weakref.WeakKeyDictionary[Any, dict[str, np.ndarray]]" = weakref.WeakKeyDictionary()


def mfcc_embedding(audio: np.ndarray) -> np.ndarray:
    """``(2 * N_MFCC,)``: the mean and the standard deviation over time of the MFCCs of 16 kHz ``audio``."""
    import librosa

    mfcc = librosa.feature.mfcc(y=audio.astype(np.float32), sr=SAMPLE_RATE, n_mfcc=N_MFCC, n_fft=N_FFT, hop_length=HOP)
    return np.concatenate([mfcc.mean(axis=1), mfcc.std(axis=1)]).astype(np.float64)


def mfcc_utterance_embeddings(dataset: Any, utterance_ids: Sequence[str], speakers: Sequence[str]) -> np.ndarray:
    """One MFCC embedding per utterance id (``SPEAKER/SENTENCE``) of ``dataset``'s corpus, in the given order.

    ``speakers[i]`` is utterance i's speaker according to the codes; a corpus that disagrees is not the
    one the codes came from, and raises :class:`DataError`, as does an id the corpus lacks.
    """
    corpus = _corpus(dataset)
    by_id = {utt.id: utt for utt in corpus.utterances}
    disk = cache_file(corpus, EMBEDDING)
    if corpus not in _EMBEDDINGS:
        _EMBEDDINGS[corpus] = read_embeddings(disk, 2 * N_MFCC)
    computed = _EMBEDDINGS[corpus]
    known = len(computed)
    rows = []
    for utt_id, speaker in zip(utterance_ids, speakers):
        utt = by_id.get(utt_id)
        if utt is None:
            raise DataError(f"MFCC baseline: utterance {utt_id!r} of the codes is not in the corpus {corpus.root}")
        if utt.speaker != speaker:
            raise DataError(
                f"MFCC baseline: utterance {utt_id!r} is speaker {utt.speaker!r} in {corpus.root} but "
                f"{speaker!r} in the codes"
            )
        if utt_id not in computed:
            audio = corpus.read_audio(utt)
            if audio is None:
                raise DataError(f"MFCC baseline: the audio of utterance {utt_id!r} ({utt.wav}) cannot be read")
            computed[utt_id] = mfcc_embedding(audio)
        rows.append(computed[utt_id])
    if len(computed) > known:
        write_embeddings(disk, computed)
    return np.stack(rows)


def mfcc_codes(dataset: Any, split: str = "test") -> CodeSet:
    """The baseline as a code file: one row per readable utterance of ``split``.

    ``static`` is the MFCC embedding; ``dynamic`` is the MFCC mean as a single step, so any task reads it.
    """
    corpus = _corpus(dataset)
    speakers = list(dataset.factor("speaker").classes)
    wanted = set(dataset.split_speakers(split))
    statics, labels, utts = [], [], []
    for utt in corpus.utterances:
        if utt.speaker not in wanted:
            continue
        audio = corpus.read_audio(utt)
        if audio is None:
            continue
        statics.append(mfcc_embedding(audio))
        labels.append(speakers.index(utt.speaker))
        utts.append(utt.id)
    if not statics:
        raise DataError(f"MFCC baseline: split {split!r} of dataset {dataset.name!r} has no readable utterances")
    static = np.asarray(statics, np.float32)
    return CodeSet(
        static=static,
        dynamic=static[:, None, :N_MFCC].copy(),
        labels={"speaker": np.asarray(labels, np.int64)},
        factors={"speaker": FactorMeta("static", speakers)},
        utt=np.asarray(utts),
        split=np.full(len(utts), "test"),
        meta={"source": DESCRIPTION, "dataset": dataset.name, "dataset_fingerprint": dataset.fingerprint(),
              "dataset_split": split},
    )


def dataset_of_codes(codes: CodeSet, dataset: Any | None = None) -> Any:
    """The audio dataset ``codes`` were extracted from: ``dataset`` when given, else rebuilt from the codes'
    meta (the run of ``checkpoint``, else ``dataset`` with its default options); its fingerprint must match
    the codes' ``dataset_fingerprint`` when they record one."""
    if dataset is None:
        dataset = _rebuild_dataset(codes.meta)
    recorded = codes.meta.get("dataset_fingerprint")
    if recorded is not None and dataset.fingerprint() != recorded:
        raise DataError(
            f"MFCC baseline: dataset {dataset.name!r} has fingerprint {dataset.fingerprint()}, but the codes were "
            f"extracted from data with fingerprint {recorded}; pass the dataset the codes came from"
        )
    return dataset


def _rebuild_dataset(meta: dict[str, Any]) -> Any:
    from cdsvae_eval.models.checkpoint import model_and_dataset
    from cdsvae_eval.data.registry import dataset_factory, get_dataset

    checkpoint = meta.get("checkpoint")
    if checkpoint is not None:
        return model_and_dataset(checkpoint)[1]
    name = meta.get("dataset")
    if name is None:
        raise DataError(
            "MFCC baseline: the codes do not say which dataset they came from (no 'dataset' in their meta); "
            "score them with --checkpoint RUN, or pass TaskInputs(dataset=...)"
        )
    required = [
        parameter.name
        for parameter in inspect.signature(dataset_factory(str(name))).parameters.values()
        if parameter.default is inspect.Parameter.empty
        and parameter.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]
    if required:
        raise DataError(
            f"MFCC baseline: dataset {name!r} of the codes needs {', '.join(required)} to be read again; "
            "score them with --checkpoint RUN, or pass TaskInputs(dataset=...)"
        )
    return get_dataset(str(name))


def _corpus(dataset: Any) -> Any:
    if not isinstance(dataset, AudioSequenceDataset):
        raise DataError(f"MFCC baseline: dataset {getattr(dataset, 'name', dataset)!r} is not a speech corpus")
    return dataset.corpus
