"""The MUG Facial Expression Database (Aifanti et al., 2010), read from the user's copy.

The database is distributed as ``subjects3/<subject>/<expression>/<take>/<frame>.jpg``, e.g.
``subjects3/001/anger/take000/img_0000.jpg``: one folder per subject, one per expression, one per
recording (take) holding its numbered frames. ``data_root`` is the ``subjects3`` folder or the folder
holding it. The six basic expressions (anger, disgust, fear, happiness, sadness, surprise) are the
dynamic factor and the subject is the identity; other folders (``neutral``, notes) are ignored.

Each take becomes one sequence, as in the S3VAE / C-DSVAE MUG setting: ``frames`` (15) frames evenly
spaced from its first to its last, each centre-cropped to a square and resized to ``resolution``
(64) RGB. No face detection is done (MUG's frames are frontal with the face centred). Takes shorter
than ``frames`` are skipped with a warning. Subjects are split train / val / test (seeded, disjoint);
``info()`` lists them. The decoded sequences are cached under the cache dir by fingerprint.
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from cdsvae_eval.atomic import atomic_path
from cdsvae_eval.data.base import CountUnits, Factor, SequenceDataset, SequenceSplit, hash_parts
from cdsvae_eval.errors import ConfigError, DataError
from cdsvae_eval.paths import cache_dir

EXPRESSIONS = ("anger", "disgust", "fear", "happiness", "sadness", "surprise")
FRAMES = 15
RESOLUTIONS = (64, 32, 16)
SPLIT_FRACTIONS = (("test", 0.2), ("val", 0.1))
SPLIT_SEED = 0
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
TOP_FOLDER = "subjects3"
_FORMAT_VERSION = 1
_LAYOUT = "<subject>/<expression>/<take>/<frame>.jpg (e.g. 001/anger/take000/img_0000.jpg)"


@dataclass(frozen=True)
class Take:
    """One recording: its subject, expression index, folder, its number of frames and the ones chosen."""

    subject: str
    expression: int
    folder: Path
    count: int
    frames: tuple[Path, ...]


class Mug(SequenceDataset):
    """The MUG Facial Expression Database read from ``data_root`` (its ``subjects3`` folder or the one above)."""

    name = "mug"
    modality = "video"
    identity_name = "subject"
    units = CountUnits(sequences="takes", identities="subjects")
    split_names = ("train", "val", "test")

    def __init__(self, data_root: str | Path, frames: int = FRAMES, resolution: int = 64, seed: int = SPLIT_SEED) -> None:
        super().__init__()
        if resolution not in RESOLUTIONS:
            raise ConfigError(f"dataset 'mug': resolution must be one of {RESOLUTIONS}, got {resolution}")
        if frames < 2:
            raise ConfigError(f"dataset 'mug': frames must be at least 2, got {frames}")
        self.root = _locate(Path(data_root))
        self.frames = frames
        self.resolution = resolution
        self.seed = seed
        self.takes = _scan(self.root, frames)
        subjects = sorted({take.subject for take in self.takes})
        if len(subjects) < len(self.split_names):
            raise DataError(
                f"{self.root}: {len(subjects)} subject(s) with usable takes; a subject-disjoint train/val/test "
                f"split needs at least {len(self.split_names)}"
            )
        self.factors = (Factor("subject", "static", tuple(subjects)), Factor("expression", "dynamic", EXPRESSIONS))
        self.split_subjects = split_subjects(subjects, seed)
        self._fingerprint: str | None = None
        self._sequences: np.ndarray | None = None

    @property
    def sequence_shape(self) -> tuple[int, ...]:
        return (self.frames, 3, self.resolution, self.resolution)

    def fingerprint(self) -> str:
        if self._fingerprint is None:
            listing: list[object] = []
            for take in self.takes:
                listing.append((str(take.folder.relative_to(self.root)), take.count))
                for path in take.frames:
                    stat = path.stat()
                    listing.append((str(path.relative_to(self.root)), stat.st_size, stat.st_mtime_ns))
            self._fingerprint = hash_parts(
                "mug", _FORMAT_VERSION, self.frames, self.resolution, self.seed, SPLIT_FRACTIONS, listing
            )
        return self._fingerprint

    def info(self) -> dict[str, object]:
        return {**super().info(), "split_subjects": {name: list(s) for name, s in self.split_subjects.items()}}

    def _load_split(self, split: str) -> SequenceSplit:
        subject_index = {name: i for i, name in enumerate(self.factor("subject").classes)}
        wanted = set(self.split_subjects[split])
        rows = np.array([i for i, take in enumerate(self.takes) if take.subject in wanted], dtype=np.int64)
        identity = np.array([subject_index[self.takes[i].subject] for i in rows], dtype=np.int64)
        expression = np.array([self.takes[i].expression for i in rows], dtype=np.int64)
        return SequenceSplit(
            name=split,
            x=self._all_sequences()[rows],
            labels={"subject": identity, "expression": expression},
            identity=identity,
        )

    def _all_sequences(self) -> np.ndarray:
        """Every take's sequence, decoded once and kept as a memory-mapped cache file."""
        if self._sequences is None:
            path = cache_dir("datasets", self.name, self.fingerprint()) / "sequences.npy"
            shape = (len(self.takes), *self.sequence_shape)
            if not _cache_fits(path, shape):
                with atomic_path(path) as tmp:
                    out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=shape)
                    for i, take in enumerate(self.takes):
                        out[i] = [_read_frame(frame, self.resolution) for frame in take.frames]
                    out.flush()
                    del out
            self._sequences = np.load(path, mmap_mode="r")
        return self._sequences


def split_subjects(subjects: list[str], seed: int = SPLIT_SEED) -> dict[str, tuple[str, ...]]:
    """Subjects of train / val / test: a seeded permutation cut by ``SPLIT_FRACTIONS`` (each split >= 1)."""
    order = [subjects[i] for i in np.random.default_rng(seed).permutation(len(subjects))]
    splits: dict[str, tuple[str, ...]] = {}
    start = 0
    for name, fraction in SPLIT_FRACTIONS:
        count = max(1, round(fraction * len(subjects)))
        splits[name] = tuple(sorted(order[start : start + count]))
        start += count
    return {"train": tuple(sorted(order[start:])), "val": splits["val"], "test": splits["test"]}


def sample_indices(count: int, frames: int) -> np.ndarray:
    """``frames`` indices evenly spaced from 0 to ``count - 1`` (first and last included)."""
    return np.rint(np.linspace(0, count - 1, frames)).astype(np.int64)


def _locate(root: Path) -> Path:
    if not root.is_dir():
        raise DataError(f"mug data root {root} is not a folder (expected MUG's {TOP_FOLDER}/ folder: {_LAYOUT})")
    if (root / TOP_FOLDER).is_dir():
        return root / TOP_FOLDER
    return root


def _scan(root: Path, frames: int) -> list[Take]:
    takes: list[Take] = []
    short: list[Path] = []
    for subject in _folders(root):
        for expression_folder in _folders(subject):
            if expression_folder.name.lower() not in EXPRESSIONS:
                continue
            expression = EXPRESSIONS.index(expression_folder.name.lower())
            take_folders = _folders(expression_folder)
            if not take_folders:
                raise DataError(
                    f"{expression_folder}: no take folders (expected {expression_folder}/<take>/<frame>.jpg)"
                )
            for folder in take_folders:
                images = _frame_files(folder)
                if not images:
                    raise DataError(f"{folder}: no frame images (expected .jpg or .png files named like img_0000.jpg)")
                if len(images) < frames:
                    short.append(folder)
                    continue
                chosen = tuple(images[i] for i in sample_indices(len(images), frames))
                takes.append(Take(subject.name, expression, folder, len(images), chosen))
    if short:
        warnings.warn(
            f"mug: skipped {len(short)} take(s) with fewer than {frames} frames (first: {short[0]})", stacklevel=3
        )
    if not takes:
        expected = ", ".join(EXPRESSIONS)
        raise DataError(f"{root}: no MUG takes found (expected {_LAYOUT}, expressions {expected})")
    return takes


def _folders(path: Path) -> list[Path]:
    with os.scandir(path) as entries:
        return sorted(Path(e.path) for e in entries if e.is_dir() and not e.name.startswith("."))


def _frame_files(folder: Path) -> list[Path]:
    with os.scandir(folder) as entries:
        images = [Path(e.path) for e in entries if e.is_file() and e.name.lower().endswith(IMAGE_SUFFIXES)]
    return sorted(images, key=_natural_key)


def _natural_key(path: Path) -> tuple[object, ...]:
    """Sort ``img_2`` before ``img_10``: digit runs compare as numbers."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name))


def _read_frame(path: Path, size: int) -> np.ndarray:
    """``(3, size, size)`` uint8: the centred square of the image, resized with a Lanczos filter."""
    try:
        with Image.open(path) as image:
            image.draft("RGB", (size * 4, size * 4))  # JPEG: decode at a reduced scale, much faster
            image = image.convert("RGB")
            width, height = image.size
            side = min(width, height)
            left, top = (width - side) // 2, (height - side) // 2
            square = image.crop((left, top, left + side, top + side))  # crop first: no bleed from outside
            resized = square.resize((size, size), Image.Resampling.LANCZOS)
    except (OSError, UnidentifiedImageError) as error:
        raise DataError(f"{path}: not a readable image ({error})") from None
    return np.asarray(resized, dtype=np.uint8).transpose(2, 0, 1)


def _cache_fits(path: Path, shape: tuple[int, ...]) -> bool:
    if not path.is_file():
        return False
    try:
        cached = np.load(path, mmap_mode="r")
    except (OSError, ValueError):
        return False
    return cached.shape == shape and cached.dtype == np.uint8
