"""The MFCC baseline's utterance embeddings on disk, so that a corpus is read and transformed once, not per command.

One file per corpus and embedding, ``<cache>/mfcc/<key>.npz`` (:func:`cdsvae_eval.paths.cache_dir`), keyed by the
corpus fingerprint (its files' paths, sizes and times) and everything the embedding depends on (its version and
parameters, as its module states them, and the librosa version). It holds ``ids`` and ``embeddings`` of the
utterances computed so far, is written atomically, and a file that cannot be read back as such is ignored (its
embeddings recomputed, the file rewritten), never an error.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from cdsvae_eval.atomic import atomic_path


def cache_file(corpus: Any, embedding: tuple[object, ...]) -> Path | None:
    """The cache file of ``corpus`` for the embedding ``embedding`` describes (its version and parameters); None for
    a corpus without a fingerprint."""
    import librosa

    from cdsvae_eval.data.base import hash_parts
    from cdsvae_eval.paths import cache_dir

    fingerprint = getattr(corpus, "fingerprint", None)
    if not callable(fingerprint):
        return None
    key = hash_parts(fingerprint(), embedding, librosa.__version__)
    return cache_dir("mfcc") / f"{key}.npz"


def read_embeddings(path: Path | None, dims: int) -> dict[str, np.ndarray]:
    """Utterance id -> embedding (``dims``,) from ``path``; empty when there is none or it is not a sound file."""
    if path is None or not path.is_file():
        return {}
    try:
        with np.load(path, allow_pickle=False) as npz:
            ids, embeddings = npz["ids"].astype(str), np.asarray(npz["embeddings"], dtype=np.float64)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return {}
    if ids.ndim != 1 or embeddings.shape != (len(ids), dims) or not np.isfinite(embeddings).all():
        return {}
    return dict(zip(ids.tolist(), embeddings))


def write_embeddings(path: Path | None, embeddings: dict[str, np.ndarray]) -> None:
    if path is None or not embeddings:
        return
    ids = sorted(embeddings)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez(handle, ids=np.asarray(ids), embeddings=np.stack([embeddings[i] for i in ids]))
