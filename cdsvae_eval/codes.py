"""Frozen codes: the contract between any sequential encoder and every task.

A :class:`CodeSet` holds, for N sequences, the static code ``static`` (N, Ds), the dynamic codes
``dynamic`` (N, T, Dt), one integer label array per factor, optional utterance ids ``utt`` grouping
rows, and an optional ``split`` per row (``train``/``val``/``test``).

Exchange format (``.npz``, read with ``allow_pickle=False``):

- ``static``   float32 (N, Ds)
- ``dynamic``  float32 (N, T, Dt)
- ``y_<factor>`` integer (N,) for every labelled factor, e.g. ``y_speaker``, ``y_action``
- ``utt``      str (N,), optional: rows with the same value belong to one utterance
- ``split``    str (N,), optional: ``train``, ``val`` or ``test``
- ``meta``     str: a JSON object ``{"factors": {"<factor>": {"kind": "static"|"dynamic",
  "classes": [...]}}, ...}``; other keys (source, checkpoint hash, ...) are kept as provenance.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from cdsvae_eval.atomic import atomic_path
from cdsvae_eval.errors import DataError

SPLITS = ("train", "val", "test")


class SequentialEncoder(Protocol):
    """Anything that maps a batch of sequences to posterior-mean codes can be evaluated."""

    def encode(self, batch: Any) -> tuple[Any, Any]:
        """Return ``(z_s [B, Ds], z_t [B, T, Dt])``: static and dynamic posterior means."""
        ...


@dataclass
class FactorMeta:
    kind: str
    classes: list[str]


@dataclass
class CodeSet:
    static: np.ndarray
    dynamic: np.ndarray
    labels: dict[str, np.ndarray]
    factors: dict[str, FactorMeta]
    utt: np.ndarray | None = None
    split: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        validate(self)

    def __len__(self) -> int:
        return len(self.static)

    def select(self, mask: np.ndarray) -> "CodeSet":
        return CodeSet(
            static=self.static[mask],
            dynamic=self.dynamic[mask],
            labels={k: v[mask] for k, v in self.labels.items()},
            factors=self.factors,
            utt=None if self.utt is None else self.utt[mask],
            split=None if self.split is None else self.split[mask],
            meta=self.meta,
        )

    def of_split(self, name: str) -> "CodeSet":
        if self.split is None:
            raise DataError(f"the codes have no 'split' field, so split {name!r} cannot be selected")
        mask = self.split == name
        if not mask.any():
            present = ", ".join(sorted(set(self.split.tolist())))
            raise DataError(f"the codes hold no rows of split {name!r} (present: {present})")
        return self.select(mask)


def validate(codes: CodeSet) -> None:
    """Raise a one-line :class:`DataError` naming the field if anything is malformed."""
    if codes.static.ndim != 2:
        raise DataError(f"'static' must be 2-D (N, Ds), got shape {codes.static.shape}")
    if codes.dynamic.ndim != 3:
        raise DataError(f"'dynamic' must be 3-D (N, T, Dt), got shape {codes.dynamic.shape}")
    n = len(codes.static)
    if len(codes.dynamic) != n:
        raise DataError(f"'dynamic' has {len(codes.dynamic)} rows, 'static' has {n}")
    for name, array in (("static", codes.static), ("dynamic", codes.dynamic)):
        if not np.issubdtype(array.dtype, np.floating):
            raise DataError(f"{name!r} must be floating point, got {array.dtype}")
        if not np.isfinite(array).all():
            raise DataError(f"{name!r} contains NaN or infinite values")
    for name, labels in codes.labels.items():
        if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
            raise DataError(f"'y_{name}' must be an integer array of shape ({n},)")
        if name not in codes.factors:
            raise DataError(f"'meta' does not describe factor {name!r} (its kind and classes)")
        if len(labels) and (labels.min() < 0 or labels.max() >= len(codes.factors[name].classes)):
            raise DataError(f"'y_{name}' has values outside 0..{len(codes.factors[name].classes) - 1}")
    for name, meta in codes.factors.items():
        if meta.kind not in ("static", "dynamic"):
            raise DataError(f"factor {name!r} has kind {meta.kind!r}, expected 'static' or 'dynamic'")
    for name, array in (("utt", codes.utt), ("split", codes.split)):
        if array is not None and array.shape != (n,):
            raise DataError(f"{name!r} must have shape ({n},), got {array.shape}")
    if codes.split is not None:
        unknown = set(codes.split.tolist()) - set(SPLITS)
        if unknown:
            raise DataError(f"'split' holds unknown values {sorted(unknown)} (expected {SPLITS})")


def save_codes(codes: CodeSet, path: str | Path) -> None:
    """Write ``codes`` to ``path`` in the exchange format, atomically."""
    arrays: dict[str, np.ndarray] = {
        "static": codes.static.astype(np.float32),
        "dynamic": codes.dynamic.astype(np.float32),
        **{f"y_{k}": v.astype(np.int64) for k, v in codes.labels.items()},
    }
    if codes.utt is not None:
        arrays["utt"] = codes.utt.astype(str)
    if codes.split is not None:
        arrays["split"] = codes.split.astype(str)
    meta = {**codes.meta, "factors": {k: {"kind": f.kind, "classes": list(f.classes)} for k, f in codes.factors.items()}}
    arrays["meta"] = np.array(json.dumps(meta))
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez(handle, **arrays)


def load_codes(path: str | Path) -> CodeSet:
    """Read and validate a code file; every problem is a one-line :class:`DataError` naming the file."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"code file {path} does not exist")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise DataError(f"code file {path} is not a readable .npz without pickles ({error})") from None
    for required in ("static", "dynamic", "meta"):
        if required not in arrays:
            raise DataError(f"code file {path} lacks the required field {required!r}")
    try:
        meta = json.loads(str(arrays["meta"]))
        factors = {
            name: FactorMeta(kind=str(spec["kind"]), classes=[str(c) for c in spec["classes"]])
            for name, spec in meta.get("factors", {}).items()
        }
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as error:
        raise DataError(f"code file {path}: 'meta' is not the expected JSON object ({error})") from None
    labels = {key[2:]: arrays[key] for key in arrays if key.startswith("y_")}
    try:
        return CodeSet(
            static=arrays["static"],
            dynamic=arrays["dynamic"],
            labels=labels,
            factors=factors,
            utt=arrays["utt"].astype(str) if "utt" in arrays else None,
            split=arrays["split"].astype(str) if "split" in arrays else None,
            meta={k: v for k, v in meta.items() if k != "factors"},
        )
    except DataError as error:
        raise DataError(f"code file {path}: {error}") from None
