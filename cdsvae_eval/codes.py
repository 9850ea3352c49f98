"""Frozen codes: the contract between any sequential encoder and every task.

A :class:`CodeSet` holds, for N sequences, the static code ``static`` (N, Ds), the dynamic codes
``dynamic`` (N, T, Dt), one integer label array per factor, optional utterance ids ``utt`` grouping
rows, an optional ``split`` per row (``train``/``val``/``test``) and an optional ``identity`` per row (the
character or speaker the row shows: confidence intervals resample identities, not rows).

Exchange format (``.npz``, read with ``allow_pickle=False``):

- ``static``   float32 (N, Ds)
- ``dynamic``  float32 (N, T, Dt)
- ``y_<factor>`` integer (N,) for every labelled factor, e.g. ``y_speaker``, ``y_action``
- ``static_logvar``  float32 (N, Ds), optional: log-variance of the static posterior
- ``dynamic_logvar`` float32 (N, T, Dt), optional: log-variance of the dynamic posteriors (with the
  two above, tasks can judge what the decoder sees: posterior samples, signal-to-noise)
- ``utt``      str (N,), optional: rows with the same value belong to one utterance
- ``split``    str (N,), optional: ``train``, ``val`` or ``test``
- ``identity`` str (N,), optional: the character/speaker of each row; tasks resample it for their CIs
  (without it they fall back to resampling rows, and say so in the protocol)
- ``frame_y_<factor>`` integer (N, T), optional: a per-frame label of a dynamic factor, one per step of
  ``dynamic`` (e.g. ``frame_y_phone``: each frame's phone, read by the ``frame-probe`` task)
- ``meta``     str: a JSON object ``{"factors": {"<factor>": {"kind": "static"|"dynamic",
  "classes": [...]}}, ...}``; other keys (source, checkpoint hash, ...) are kept as provenance.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from cdsvae_eval.atomic import atomic_path
from cdsvae_eval.folder_lock import folder_lock
from cdsvae_eval.errors import DataError, FieldError
from cdsvae_eval.names import FRAME_LABEL_FACTORS
from cdsvae_eval.path_checks import check_output_file

if TYPE_CHECKING:
    from cdsvae_eval.models.checkpoint import TrainedRun

SPLITS = ("train", "val", "test")
FRAME_LABEL_PREFIX = "frame_y_"


class SequentialEncoder(Protocol):
    """Anything that maps a batch of sequences to posterior-mean codes can be evaluated.

    An encoder that also has ``encode_posterior(batch) -> (s_mean, s_logvar, z_mean, z_logvar)`` gets
    its posterior log-variances written too (C-DSVAE has it).
    """

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
    static_logvar: np.ndarray | None = None
    dynamic_logvar: np.ndarray | None = None
    identity: np.ndarray | None = None
    frame_labels: dict[str, np.ndarray] = field(default_factory=dict)

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
            static_logvar=None if self.static_logvar is None else self.static_logvar[mask],
            dynamic_logvar=None if self.dynamic_logvar is None else self.dynamic_logvar[mask],
            identity=None if self.identity is None else self.identity[mask],
            frame_labels={k: v[mask] for k, v in self.frame_labels.items()},
        )

    def select_identities(self, identities: list[str], what: str = "the subset") -> "CodeSet":
        mask = np.isin(self.identity, np.asarray(identities, dtype=str))
        if not mask.any():
            raise DataError(f"the codes hold no rows of {what} (none of its {len(identities)} identities)")
        return self.select(mask)

    @property
    def has_variances(self) -> bool:
        return self.static_logvar is not None and self.dynamic_logvar is not None

    def of_split(self, name: str) -> "CodeSet":
        """The rows of split ``name``, or of a named identity subset of a split (``meta["identity_subsets"]``,
        e.g. TIMIT's ``core-test``: the core speakers' rows of ``test``)."""
        subset = self.meta.get("identity_subsets", {}).get(name)
        if subset is not None:
            if self.identity is None:
                raise DataError(f"the codes have no 'identity' field, so subset {name!r} cannot be selected")
            return self.of_split(subset["split"]).select_identities(subset["identities"], name)
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
    for name, array, axes in (("static", codes.static, "Ds"), ("dynamic", codes.dynamic, "T and Dt")):
        if 0 in array.shape[1:]:
            raise DataError(f"{name!r} has shape {array.shape}: {axes} must be >= 1")
    for name, array in (("static", codes.static), ("dynamic", codes.dynamic)):
        if not np.issubdtype(array.dtype, np.floating):
            raise DataError(f"{name!r} must be floating point, got {array.dtype}")
        if not np.isfinite(array).all():
            raise DataError(f"{name!r} contains NaN or infinite values")
    for name, array, like in (("static_logvar", codes.static_logvar, codes.static),
                               ("dynamic_logvar", codes.dynamic_logvar, codes.dynamic)):
        if array is None:
            continue
        if array.shape != like.shape:
            raise DataError(f"{name!r} must have the shape of its means {like.shape}, got {array.shape}")
        if not np.issubdtype(array.dtype, np.floating) or not np.isfinite(array).all():
            raise DataError(f"{name!r} must be finite floating point values")
    for name, labels in codes.labels.items():
        if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
            raise DataError(f"'y_{name}' must be an integer array of shape ({n},)")
        if name not in codes.factors:
            raise DataError(f"'meta' does not describe factor {name!r} (its kind and classes)")
        if len(labels) and (labels.min() < 0 or labels.max() >= len(codes.factors[name].classes)):
            raise DataError(f"'y_{name}' has values outside 0..{len(codes.factors[name].classes) - 1}")
    steps = codes.dynamic.shape[1]
    for name, labels in codes.frame_labels.items():
        field_name = f"frame_y_{name}"
        if labels.shape != (n, steps) or not np.issubdtype(labels.dtype, np.integer):
            raise DataError(f"{field_name!r} must be an integer array of shape ({n}, {steps}): one label per step "
                            f"of 'dynamic', got {labels.dtype} {labels.shape}")
        if name not in codes.factors:
            raise DataError(f"'meta' does not describe factor {name!r} of {field_name!r} (its kind and classes)")
        if labels.size and (labels.min() < 0 or labels.max() >= len(codes.factors[name].classes)):
            raise DataError(f"{field_name!r} has values outside 0..{len(codes.factors[name].classes) - 1}")
    for name, meta in codes.factors.items():
        if meta.kind not in ("static", "dynamic"):
            raise DataError(f"factor {name!r} has kind {meta.kind!r}, expected 'static' or 'dynamic'")
    for name, array in (("utt", codes.utt), ("split", codes.split), ("identity", codes.identity)):
        if array is not None and array.shape != (n,):
            raise DataError(f"{name!r} must have shape ({n},), got {array.shape}")
    if codes.split is not None:
        unknown = set(codes.split.tolist()) - set(SPLITS)
        if unknown:
            raise DataError(f"'split' holds unknown values {sorted(unknown)} (expected {SPLITS})")


def save_codes(codes: CodeSet, path: str | Path) -> None:
    """Write ``codes`` to ``path`` in the exchange format, atomically."""
    check_output_file(path, "path")
    arrays: dict[str, np.ndarray] = {
        "static": codes.static.astype(np.float32),
        "dynamic": codes.dynamic.astype(np.float32),
        **{f"y_{k}": v.astype(np.int64) for k, v in codes.labels.items()},
        **{f"{FRAME_LABEL_PREFIX}{k}": v.astype(np.int32) for k, v in codes.frame_labels.items()},
    }
    for name in ("static_logvar", "dynamic_logvar"):
        if getattr(codes, name) is not None:
            arrays[name] = getattr(codes, name).astype(np.float32)
    if codes.utt is not None:
        arrays["utt"] = codes.utt.astype(str)
    if codes.split is not None:
        arrays["split"] = codes.split.astype(str)
    if codes.identity is not None:
        arrays["identity"] = codes.identity.astype(str)
    meta = {**codes.meta, "factors": {k: {"kind": f.kind, "classes": list(f.classes)} for k, f in codes.factors.items()}}
    arrays["meta"] = np.array(json.dumps(meta))
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez(handle, **arrays)


def load_codes(path: str | Path) -> CodeSet:
    """Read and validate a code file; every problem is a one-line :class:`DataError` naming the file."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"code file {path} {'is a folder' if path.is_dir() else 'does not exist'}")
    if not zipfile.is_zipfile(path):
        raise DataError(f"code file {path} is not an .npz archive (not a complete zip file)")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise DataError(f"code file {path} is not a readable .npz without pickles ({error})") from None
    for key, value in arrays.items():
        if not isinstance(value, np.ndarray):
            raise DataError(f"code file {path}: member {key!r} is not a .npy array")
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
    frame_labels = {key[len(FRAME_LABEL_PREFIX):]: arrays[key] for key in arrays if key.startswith(FRAME_LABEL_PREFIX)}
    try:
        return CodeSet(
            static=arrays["static"],
            dynamic=arrays["dynamic"],
            labels=labels,
            factors=factors,
            utt=arrays["utt"].astype(str) if "utt" in arrays else None,
            split=arrays["split"].astype(str) if "split" in arrays else None,
            meta={k: v for k, v in meta.items() if k != "factors"},
            static_logvar=arrays.get("static_logvar"),
            dynamic_logvar=arrays.get("dynamic_logvar"),
            identity=arrays["identity"].astype(str) if "identity" in arrays else None,
            frame_labels=frame_labels,
        )
    except DataError as error:
        raise DataError(f"code file {path}: {error}") from None


# --- extraction -------------------------------------------------------------------------------

EXTRACTION_VERSION = "posterior-mean-logvar-identity-frame-labels-v4"


def extract_codes(encoder: SequentialEncoder, dataset: Any, splits: tuple[str, ...] = ("train", "val", "test"),
                  batch_size: int = 256, device: str = "cpu", meta: dict[str, Any] | None = None) -> CodeSet:
    """Encode the given splits of a :class:`~cdsvae_eval.data.SequenceDataset` in batches.

    Dataset split names are mapped onto the code-file names by the dataset (``dev`` becomes ``val``; a
    split that is a subset of another, such as TIMIT's ``core-test``, is recorded in ``meta["identity_subsets"]``
    and selected again by :meth:`CodeSet.of_split`); uint8 video is scaled to [0, 1] on the device.
    Per-frame labels a split keeps in its extras (:data:`cdsvae_eval.names.FRAME_LABEL_FACTORS`, e.g. each
    frame's phone) are written as ``frame_y_<factor>`` when the encoder gives one dynamic step per frame;
    otherwise ``meta["frame_labels_skipped"]`` says why. Memory grows only with the codes, not with the batches.
    """
    import torch

    from cdsvae_eval.device import frames_on, reuse_freed_memory_on

    reuse_freed_memory_on(device)  # 2x faster extraction of the paper model on a CPU (bench/RESULTS.md)
    statics, dynamics, utts, split_column, identities = [], [], [], [], []
    static_logvars: list[np.ndarray] = []
    dynamic_logvars: list[np.ndarray] = []
    with_variances = callable(getattr(encoder, "encode_posterior", None))
    labels: dict[str, list[np.ndarray]] = {f.name: [] for f in dataset.factors}
    frame_labels: dict[str, list[np.ndarray]] = {}
    for name in splits:
        part = dataset.split(name)
        for start in range(0, len(part), batch_size):
            batch = frames_on(part.x[start:start + batch_size], device)
            with torch.no_grad():
                if with_variances:
                    z_s, s_logvar, z_t, z_logvar = encoder.encode_posterior(batch)
                    static_logvars.append(s_logvar.float().cpu().numpy())
                    dynamic_logvars.append(z_logvar.float().cpu().numpy())
                else:
                    z_s, z_t = encoder.encode(batch)
            statics.append(z_s.float().cpu().numpy())
            dynamics.append(z_t.float().cpu().numpy())
        for factor in labels:
            labels[factor].append(part.labels[factor])
        for extra, factor in FRAME_LABEL_FACTORS.items():
            if extra in part.extras and factor in labels:
                frame_labels.setdefault(factor, []).append(np.asarray(part.extras[extra]))
        groups = part.groups if part.groups is not None else np.array([f"{name}/{i}" for i in range(len(part))])
        utts.append(np.asarray(groups).astype(str))
        split_column.append(np.full(len(part), dataset.code_split(name)))
        identities.append(np.asarray(part.identity).astype(str))
    dynamic = np.concatenate(dynamics)
    frames, skipped = _aligned_frame_labels(frame_labels, dynamic.shape[:2], len(splits))
    return CodeSet(
        static=np.concatenate(statics),
        dynamic=dynamic,
        labels={k: np.concatenate(v).astype(np.int64) for k, v in labels.items()},
        factors={f.name: FactorMeta(kind=f.kind, classes=list(f.classes)) for f in dataset.factors},
        utt=np.concatenate(utts) if dataset.modality == "audio" else None,
        split=np.concatenate(split_column),
        meta={"dataset": dataset.name, "dataset_fingerprint": dataset.fingerprint(),
              "extraction": EXTRACTION_VERSION, "identity": dataset.identity_name,
              **({"identity_subsets": subsets} if (subsets := dataset.identity_subsets()) else {}),
              **({"frame_labels_skipped": skipped} if skipped else {}), **(meta or {})},
        identity=np.concatenate(identities),
        static_logvar=np.concatenate(static_logvars) if with_variances else None,
        dynamic_logvar=np.concatenate(dynamic_logvars) if with_variances else None,
        frame_labels=frames,
    )


def _aligned_frame_labels(found: dict[str, list[np.ndarray]], shape: tuple[int, int], n_splits: int
                          ) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The per-frame labels that every split has, one per step of the codes (``shape``: rows, steps), and why
    the others were left out."""
    kept: dict[str, np.ndarray] = {}
    skipped: dict[str, str] = {}
    for factor, parts in found.items():
        labels = np.concatenate(parts) if len(parts) == n_splits else None
        if labels is None:
            skipped[factor] = "not every split has per-frame labels"
        elif labels.shape != shape:
            skipped[factor] = (f"per-frame labels of shape {labels.shape[1:]} per row, but the encoder gives "
                               f"{shape[1]} dynamic steps")
        else:
            kept[factor] = labels.astype(np.int64)
    return kept, skipped


def _checkpoint_splits(dataset: Any, which: str) -> tuple[str, ...]:
    if which == "test":
        return ("test",)
    if which != "all":
        raise FieldError("split", f"must be 'test' or 'all', got {which!r}")
    return tuple(name for name in dataset.split_names if dataset.code_split(name) is not None)


def codes_for_checkpoint(run: str | Path | TrainedRun, split: str = "all", device: str = "cpu",
                         random_init: bool = False, batch_size: int = 256, random_init_seed: int = 0) -> CodeSet:
    """Frozen codes of a trained run, cached by (checkpoint hash, dataset fingerprint, splits, extraction).

    ``run`` is a run folder, a checkpoint file, or a :class:`~cdsvae_eval.models.checkpoint.TrainedRun`
    already read (so that a caller that also needs the model or the dataset reads the checkpoint once).
    A cache hit builds no model and loads no split. ``random_init=True`` gives the codes of a freshly
    initialised model of the same architecture, its weights drawn with ``random_init_seed`` (recorded in
    the codes' meta): the baseline that shows what training bought.
    """
    import torch

    from cdsvae_eval.data.base import hash_parts
    from cdsvae_eval.models.checkpoint import TrainedRun
    from cdsvae_eval.models.checkpoint_provenance import training_provenance
    from cdsvae_eval.models.factory import build_model
    from cdsvae_eval.paths import cache_dir

    trained = run if isinstance(run, TrainedRun) else TrainedRun(run)
    dataset = trained.dataset
    training = training_provenance(trained.state, dataset)
    splits = _checkpoint_splits(dataset, split)
    init_seed = random_init_seed if random_init else None
    key_parts = (trained.sha256, dataset.fingerprint(), splits, EXTRACTION_VERSION, random_init, init_seed)
    cache_key = hash_parts(*key_parts)
    cached = cache_dir("codes") / f"{cache_key}.npz"
    if cached.is_file():
        return _cached_codes(cached, training)
    # one process fills an entry; another asking for it meanwhile waits, then reads what the first wrote
    with folder_lock(cached, wait=True):
        if cached.is_file():
            return _cached_codes(cached, training)
        meta = {"checkpoint": str(trained.path), "checkpoint_sha256": trained.sha256, "random_init": random_init}
        if random_init:
            torch.manual_seed(random_init_seed)
            model = build_model(trained.config.model).to(device).eval()
            meta["random_init_seed"] = random_init_seed
        else:
            model = trained.model(device)
        codes = extract_codes(model, dataset, splits, batch_size=batch_size, device=device,
                              meta={**meta, "cache_key": cache_key, "training": training})
        save_codes(codes, cached)
    return codes


def _cached_codes(cached: Path, training: dict[str, Any]) -> CodeSet:
    codes = load_codes(cached)
    codes.meta["training"] = training
    return codes
