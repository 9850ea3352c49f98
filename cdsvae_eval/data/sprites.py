"""The Sprites benchmark, read from the user's copy: the ``npy/`` folder or the C-DSVAE ``data.pkl``.

1296 characters (4 attributes x 6 values) each perform 9 motions (3 actions x 3 directions) in 8
frames of 64x64 RGB. The benchmark's train split is divided by character into ``train`` and a
seeded ``val`` slice, so identities never cross splits; ``test`` is read as given.
"""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cdsvae_eval.data.base import CountUnits, Factor, SequenceDataset, SequenceSplit, hash_parts
from cdsvae_eval.errors import ConfigError, DataError
from cdsvae_eval.names import MOTION_FACTOR

ACTIONS = ("walk", "spellcard", "slash")
DIRECTIONS = ("front", "left", "right")
MOTIONS = tuple(f"{action}-{direction}" for action in ACTIONS for direction in DIRECTIONS)
ATTRIBUTES = ("body", "bottom", "top", "hair")
VALUES_PER_ATTRIBUTE = 6
FRAMES = 8
SIZE = 64
VAL_FRACTION = 0.1
VAL_SEED = 0

_SOURCE_SPLITS = ("train", "test")
_ATTRIBUTES_SHAPE = (FRAMES, len(ATTRIBUTES), VALUES_PER_ATTRIBUTE)
_PICKLE_KEYS = tuple(f"{kind}_{split}" for split in _SOURCE_SPLITS for kind in ("X", "A", "D"))
_FORMAT_VERSION = 1
_CONVERT_BLOCK = 128
_EDGE_BYTES = 1 << 20


@dataclass
class _Part:
    """Sequences taken from one source array: their labels, and the frames to read on demand.

    ``frames`` is channels-last ``(M, T, H, W, 3)`` (float in [0, 1] or uint8, possibly memory-mapped);
    ``rows`` says which of its rows belong to the part, in order.
    """

    source: str
    frames: np.ndarray
    rows: np.ndarray
    attributes: np.ndarray
    motion: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)


class Sprites(SequenceDataset):
    """The Sprites benchmark read from ``data_root`` (an ``npy/`` folder or the C-DSVAE ``data.pkl``).

    ``data_root`` is a folder of ``{action}_{direction}_frames_{train,test}.npy`` and
    ``{action}_{direction}_attributes_{train,test}.npy`` files, a folder holding ``npy/`` or
    ``data.pkl``, or the ``data.pkl`` file itself. Loading a pickle runs code stored in it: only point
    ``data_root`` at a ``data.pkl`` you trust; it is never loaded from anywhere else.
    ``max_per_motion`` keeps the first sequences of each motion per source split (for quick runs).
    """

    name = "sprites"
    modality = "video"
    identity_name = "character"
    units = CountUnits(sequences="clips", identities="characters")
    factors = (
        *(Factor(attr, "static", tuple(str(v) for v in range(VALUES_PER_ATTRIBUTE))) for attr in ATTRIBUTES),
        Factor(MOTION_FACTOR, "dynamic", MOTIONS),
        Factor("action", "dynamic", ACTIONS),
        Factor("direction", "dynamic", DIRECTIONS),
    )
    split_names = ("train", "val", "test")

    def __init__(self, data_root: str | Path, max_per_motion: int | None = None) -> None:
        super().__init__()
        if max_per_motion is not None and max_per_motion < 1:
            raise ConfigError(f"max_per_motion must be at least 1, got {max_per_motion}")
        self.max_per_motion = max_per_motion
        self._source = _locate(Path(data_root))
        self._fingerprint: str | None = None

    @property
    def sequence_shape(self) -> tuple[int, ...]:
        return (FRAMES, 3, SIZE, SIZE)

    def fingerprint(self) -> str:
        if self._fingerprint is None:
            signatures = [_file_signature(path) for path in self._source.files()]
            self._fingerprint = hash_parts(
                "sprites", _FORMAT_VERSION, self.max_per_motion, VAL_FRACTION, VAL_SEED, *signatures
            )
        return self._fingerprint

    def _load_split(self, split: str) -> SequenceSplit:
        source_split = "test" if split == "test" else "train"
        parts = self._source.parts(source_split, self.max_per_motion)
        attributes = np.concatenate([part.attributes for part in parts])
        motion = np.concatenate([part.motion for part in parts])
        identity = character_index(attributes)
        if split == "test":
            masks = {"test": np.ones(len(identity), dtype=bool)}
        else:
            in_val = np.isin(identity, validation_characters(identity))
            masks = {"train": ~in_val, "val": in_val}
        for name, mask in masks.items():
            if name != split:
                self._splits[name] = _assemble(name, parts, attributes, motion, identity, mask)
        result = _assemble(split, parts, attributes, motion, identity, masks[split])
        self._source.release(source_split)
        return result


def character_index(attributes: np.ndarray) -> np.ndarray:
    """The character of each row of attribute values ``(N, 4)``: a base-6 number in 0..1295."""
    weights = VALUES_PER_ATTRIBUTE ** np.arange(len(ATTRIBUTES) - 1, -1, -1)
    return (attributes.astype(np.int64) * weights).sum(axis=1)


def validation_characters(identity: np.ndarray) -> np.ndarray:
    """The characters held out of the benchmark's train split for ``val`` (seeded, deterministic)."""
    characters = np.unique(identity)
    if len(characters) < 2:
        return characters[:0]
    count = max(1, int(round(VAL_FRACTION * len(characters))))
    return np.sort(np.random.default_rng(VAL_SEED).choice(characters, size=count, replace=False))


def _assemble(
    name: str,
    parts: list[_Part],
    attributes: np.ndarray,
    motion: np.ndarray,
    identity: np.ndarray,
    mask: np.ndarray,
) -> SequenceSplit:
    x = np.empty((int(mask.sum()), FRAMES, 3, SIZE, SIZE), dtype=np.uint8)
    filled = 0
    offset = 0
    for part in parts:
        rows = part.rows[mask[offset : offset + len(part)]]
        offset += len(part)
        _convert_into(x[filled : filled + len(rows)], part.frames, rows, part.source)
        filled += len(rows)
    motion = motion[mask]
    labels = {attr: attributes[mask, i].astype(np.int64) for i, attr in enumerate(ATTRIBUTES)}
    labels.update(motion=motion, action=motion // len(DIRECTIONS), direction=motion % len(DIRECTIONS))
    return SequenceSplit(name=name, x=x, labels=labels, identity=identity[mask])


def _convert_into(out: np.ndarray, frames: np.ndarray, rows: np.ndarray, source: str) -> None:
    """Write ``frames[rows]`` as uint8 channels-first into ``out``, a block at a time."""
    for start in range(0, len(rows), _CONVERT_BLOCK):
        block = np.asarray(frames[rows[start : start + _CONVERT_BLOCK]])
        if block.dtype != np.uint8:
            if block.size and (block.min() < 0 or block.max() > 1):
                raise DataError(f"{source}: frame values must lie in [0, 1], found {block.min():g}..{block.max():g}")
            block = np.clip(np.rint(block * 255.0), 0, 255).astype(np.uint8)
        out[start : start + len(block)] = block.transpose(0, 1, 4, 2, 3)


class _NpySource:
    """The ``npy/`` layout: one frames file and one attributes file per motion and split."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        for path in self.files():
            if not path.is_file():
                raise DataError(
                    f"{path}: missing (the Sprites npy layout needs frames and attributes files for all 9 motions)"
                )

    def _paths(self, split: str) -> list[tuple[Path, Path]]:
        return [
            (
                self.folder / f"{action}_{direction}_frames_{split}.npy",
                self.folder / f"{action}_{direction}_attributes_{split}.npy",
            )
            for action in ACTIONS
            for direction in DIRECTIONS
        ]

    def files(self) -> list[Path]:
        return [path for split in _SOURCE_SPLITS for pair in self._paths(split) for path in pair]

    def parts(self, split: str, max_per_motion: int | None) -> list[_Part]:
        parts = []
        for motion, (frames_path, attributes_path) in enumerate(self._paths(split)):
            frames = _load_npy(frames_path)
            attributes = _load_npy(attributes_path)
            _check_frames(frames, str(frames_path))
            _check_shape(attributes, _ATTRIBUTES_SHAPE, str(attributes_path), "one-hot attributes")
            if len(attributes) != len(frames):
                raise DataError(
                    f"{attributes_path}: has {len(attributes)} sequences, {frames_path.name} has {len(frames)}"
                )
            count = len(frames) if max_per_motion is None else min(len(frames), max_per_motion)
            values = _decode_one_hot(np.asarray(attributes[:count]), str(attributes_path), "attributes")
            parts.append(
                _Part(
                    source=str(frames_path),
                    frames=frames,
                    rows=np.arange(count),
                    attributes=values[:, 0, :],
                    motion=np.full(count, motion, dtype=np.int64),
                )
            )
        return parts

    def release(self, split: str) -> None:
        """Nothing to free: the files are memory-mapped per call."""


class _PickleSource:
    """The C-DSVAE ``data.pkl``: read once, on first use, keeping only the arrays we need."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._parts: dict[str, list[_Part]] | None = None

    def files(self) -> list[Path]:
        return [self.path]

    def parts(self, split: str, max_per_motion: int | None) -> list[_Part]:
        if self._parts is None:
            self._parts = self._read(max_per_motion)
        return self._parts[split]

    def release(self, split: str) -> None:
        if self._parts is not None:
            self._parts.pop(split, None)
            if not self._parts:
                self._parts = None

    def _read(self, max_per_motion: int | None) -> dict[str, list[_Part]]:
        try:
            with self.path.open("rb") as handle:
                payload = pickle.load(handle)
        except Exception as error:  # unpickling can fail with almost any exception type
            raise DataError(f"{self.path}: not a readable pickle ({_one_line(error)})") from error
        expected = ", ".join(_PICKLE_KEYS)
        if not isinstance(payload, dict):
            raise DataError(f"{self.path}: expected a pickled dict with keys {expected}, got {type(payload).__name__}")
        missing = [key for key in _PICKLE_KEYS if key not in payload]
        if missing:
            raise DataError(f"{self.path}: pickled dict lacks {', '.join(missing)} (expected {expected})")
        arrays = {key: payload[key] for key in _PICKLE_KEYS}
        del payload
        return {split: [self._part(split, arrays, max_per_motion)] for split in _SOURCE_SPLITS}

    def _part(self, split: str, arrays: dict[str, object], max_per_motion: int | None) -> _Part:
        where = f"{self.path} [{{}}_{split}]"
        frames, attributes, motions = (_as_array(arrays[f"{kind}_{split}"], where.format(kind)) for kind in "XAD")
        _check_frames(frames, where.format("X"))
        _check_shape(attributes, _ATTRIBUTES_SHAPE, where.format("A"), "one-hot attributes")
        _check_shape(motions, (FRAMES, len(MOTIONS)), where.format("D"), "one-hot motions")
        for key, array in (("A", attributes), ("D", motions)):
            if len(array) != len(frames):
                raise DataError(f"{where.format(key)}: has {len(array)} sequences, X_{split} has {len(frames)}")
        values = _decode_one_hot(attributes, where.format("A"), "attributes")[:, 0, :]
        motion = _decode_one_hot(motions, where.format("D"), "motions")[:, 0]
        rows = np.argsort(motion, kind="stable")
        if max_per_motion is not None:
            rank = np.arange(len(rows)) - np.searchsorted(motion[rows], motion[rows])
            rows = rows[rank < max_per_motion]
        return _Part(source=where.format("X"), frames=frames, rows=rows, attributes=values[rows], motion=motion[rows])


def _as_array(value: object, source: str) -> np.ndarray:
    """A pickled value as one rectangular array: ragged nested lists are refused, not made object arrays."""
    try:
        array = np.asarray(value)
    except ValueError as error:  # numpy refuses ragged sequences
        raise DataError(f"{source}: not a rectangular array ({_one_line(error)})") from None
    if array.dtype == object:
        raise DataError(f"{source}: holds Python objects, expected a numeric array")
    return array


def _locate(root: Path) -> _NpySource | _PickleSource:
    if not root.exists():
        raise DataError(f"sprites data root {root} does not exist (expected an npy/ folder or a data.pkl file)")
    if root.is_file():
        return _PickleSource(root)
    if any(root.glob("*_frames_train.npy")):
        return _NpySource(root)
    if (root / "data.pkl").is_file():
        return _PickleSource(root / "data.pkl")
    if (root / "npy").is_dir():
        return _NpySource(root / "npy")
    raise DataError(
        f"{root}: no Sprites data (expected {{action}}_{{direction}}_frames_{{train,test}}.npy files, "
        "an npy/ folder or data.pkl)"
    )


def _load_npy(path: Path) -> np.ndarray:
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise DataError(f"{path}: not a readable .npy array ({_one_line(error)})") from error


def _check_shape(array: np.ndarray, trailing: tuple[int, ...], source: str, what: str) -> None:
    if array.ndim != len(trailing) + 1 or array.shape[1:] != trailing:
        expected = ", ".join(("N", *map(str, trailing)))
        raise DataError(f"{source}: expected {what} of shape ({expected}), got {tuple(array.shape)}")
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise DataError(f"{source}: expected numeric {what}, got dtype {array.dtype}")


def _check_frames(frames: np.ndarray, source: str) -> None:
    _check_shape(frames, (FRAMES, SIZE, SIZE, 3), source, "frames")
    if len(frames) == 0:
        raise DataError(f"{source}: holds no sequences (shape {tuple(frames.shape)})")
    if not (np.issubdtype(frames.dtype, np.floating) or frames.dtype == np.uint8):
        raise DataError(f"{source}: expected float frames in [0, 1] or uint8 frames, got dtype {frames.dtype}")


def _decode_one_hot(values: np.ndarray, source: str, what: str) -> np.ndarray:
    """The class index of each one-hot vector along the last axis."""
    is_one_hot = (((values == 0) | (values == 1)).all(axis=-1)) & (values.sum(axis=-1) == 1)
    if not is_one_hot.all():
        sequence = int(np.argwhere(~is_one_hot)[0][0])
        raise DataError(f"{source}: {what} must be one-hot along the last axis; sequence {sequence} is not")
    return values.argmax(axis=-1)


def _file_signature(path: Path) -> tuple[str, int, int, str]:
    """Name, size, mtime and a hash of the first and last MiB: cheap even for GB-sized files."""
    stat = path.stat()
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        digest.update(handle.read(_EDGE_BYTES))
        if stat.st_size > _EDGE_BYTES:
            handle.seek(max(_EDGE_BYTES, stat.st_size - _EDGE_BYTES))
            digest.update(handle.read(_EDGE_BYTES))
    return path.name, stat.st_size, stat.st_mtime_ns, digest.hexdigest()


def _one_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
