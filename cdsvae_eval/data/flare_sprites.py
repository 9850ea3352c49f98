"""Flare sprites: a Sprites-like video set composited from the Debian flare-game hero art.

1296 characters (4 static factors x 6 values: head, chest, legs, hands_feet) x 9 motions
(run, swing, cast x front, left, right), 8 frames of RGB each. The layers come from a small packed atlas of
CC-BY-SA 3.0 crops shipped in ``assets/flare`` (built by ``tools/build_flare_atlas.py``; see its
``ATTRIBUTION``). Clips are tinted and alpha-composited at run time, all characters of one frame at once,
and the rendered set is cached per fingerprint as one memory-mapped ``.npy`` file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

from cdsvae_eval.atomic import atomic_path
from cdsvae_eval.data.base import CountUnits, Factor, SequenceDataset, SequenceSplit, hash_parts
from cdsvae_eval.data.flare_videos import (
    FIXED_PHASE, PHASES, RANDOM_PHASE, VIDEO_TRAINING_SPLIT, WINDOW_START_EXTRA, check_video_plan, clip_phases,
    roll_frames, video_motions, video_windows,
)
from cdsvae_eval.errors import ConfigError, DataError, FieldError
from cdsvae_eval.names import CLIP_PHASE, MOTION_FACTOR
from cdsvae_eval.paths import cache_dir

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
ASSET_DIR = Path(__file__).parent / "assets" / "flare"
ATLAS_PNG = "atlas.png"
ATLAS_INDEX = "atlas.json"
ATLAS_FORMAT = 1

CANVAS = 64
ANCHOR = (31, 56)
BACKGROUND = (128, 128, 128)
FRAMES_PER_CLIP = 8
RESOLUTIONS = (64, 32, 16)
VALUES_PER_FACTOR = 6
NUM_CHARACTERS = VALUES_PER_FACTOR**4
SPLIT_SIZES = (("train", 900), ("val", 100), ("test", 296))
CLIP_SPLITS = tuple(name for name, _ in SPLIT_SIZES)
BROADCAST_MIN_CHARACTERS = NUM_CHARACTERS // 4
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)

ACTIONS = ("run", "swing", "cast")
# Flare's eight directions start at west and turn clockwise: 0 = west (faces left), 4 = east, 6 = south.
DIRECTIONS = (("front", 6), ("left", 0), ("right", 4))
MOTIONS = tuple(f"{action}-{direction}" for action in ACTIONS for direction, _ in DIRECTIONS)


@dataclass(frozen=True)
class Layer:
    """One hero slot filled with one flare item, optionally recoloured.

    A tint keeps the item's shading but moves its colour: each pixel becomes ``tint`` times its luminance
    relative to the item's mean luminance (clipped), so the item's average solid pixel has colour ``tint``.
    This makes items of similar material clearly different in colour even at 32x32.
    """

    slot: str
    item: str
    tint: tuple[int, int, int] | None = None


@dataclass(frozen=True)
class FactorValue:
    name: str
    layers: tuple[Layer, ...]


def _value(name: str, *layers: Layer) -> FactorValue:
    return FactorValue(name, layers)


def _boots_and_gloves(name: str, boots: str, gloves: str, tint: tuple[int, int, int]) -> FactorValue:
    return FactorValue(name, (Layer("feet", boots, tint), Layer("hands", gloves, tint)))


WHITE, BLACK, RED, BLUE = (235, 235, 240), (40, 38, 36), (220, 40, 30), (40, 80, 235)
GREEN, YELLOW = (50, 190, 50), (235, 205, 30)
STATIC_DESIGN: tuple[tuple[str, tuple[FactorValue, ...]], ...] = (
    ("head", (
        _value("dark-hair", Layer("head", "head_short")),
        _value("white-coif", Layer("head", "chain_coif", WHITE)),
        _value("gold-helm", Layer("head", "plate_helm", (230, 180, 30))),
        _value("green-hood", Layer("head", "mage_hood", GREEN)),
        _value("blue-hood", Layer("head", "mage_hood_alt1", BLUE)),
        _value("red-hood", Layer("head", "mage_hood_alt2", RED)),
    )),
    ("chest", (
        _value("bare", Layer("chest", "default_chest")),
        _value("green-shirt", Layer("chest", "cloth_shirt", (60, 190, 40))),
        _value("black-leather", Layer("chest", "leather_chest", BLACK)),
        _value("white-plate", Layer("chest", "plate_cuirass", WHITE)),
        _value("yellow-vest", Layer("chest", "mage_vest", YELLOW)),
        _value("purple-vest", Layer("chest", "mage_vest_alt1", (140, 50, 220))),
    )),
    ("legs", (
        _value("bare", Layer("legs", "default_legs")),
        _value("blue-pants", Layer("legs", "cloth_pants", BLUE)),
        _value("yellow-pants", Layer("legs", "leather_pants", YELLOW)),
        _value("white-greaves", Layer("legs", "plate_greaves", WHITE)),
        _value("red-skirt", Layer("legs", "mage_skirt", RED)),
        _value("teal-skirt", Layer("legs", "mage_skirt_alt1", (30, 190, 190))),
    )),
    ("hands_feet", (
        _value("bare", Layer("feet", "default_feet"), Layer("hands", "default_hands")),
        _boots_and_gloves("green", "leather_boots", "leather_gloves", GREEN),
        _boots_and_gloves("white", "plate_boots", "plate_gauntlets", WHITE),
        _boots_and_gloves("red", "mage_boots", "mage_sleeves", RED),
        _boots_and_gloves("blue", "mage_boots_alt1", "mage_sleeves_alt1", BLUE),
        _boots_and_gloves("yellow", "chain_boots", "chain_gloves", YELLOW),
    )),
)
STATIC_FACTOR_NAMES = tuple(name for name, _ in STATIC_DESIGN)
# A character's index is its factor values as base-6 digits, head first.
_PLACES = VALUES_PER_FACTOR ** np.arange(len(STATIC_DESIGN) - 1, -1, -1)


def used_items() -> tuple[str, ...]:
    """The flare items the design draws (what the atlas must hold), sorted."""
    return tuple(sorted({layer.item for _, values in STATIC_DESIGN for value in values for layer in value.layers}))


def character_values(characters: np.ndarray) -> np.ndarray:
    """``(n, 4)`` static factor values of global character indices (head varies slowest)."""
    characters = np.asarray(characters, dtype=np.int64)
    return (characters[:, None] // _PLACES) % VALUES_PER_FACTOR


def action_frames(action: str) -> np.ndarray:
    """Which source frame each of the clip's 8 frames shows: 8-frame actions play once, 4-frame ones twice."""
    count = _atlas().index["frames"][action]
    return np.arange(FRAMES_PER_CLIP) % count


@dataclass(frozen=True)
class _Atlas:
    pixels: np.ndarray
    index: dict
    digest: str


@lru_cache(maxsize=1)
def _atlas() -> _Atlas:
    png, index_path = ASSET_DIR / ATLAS_PNG, ASSET_DIR / ATLAS_INDEX
    for path in (png, index_path):
        if not path.is_file():
            raise DataError(f"flare-sprites atlas file {path} is missing; rebuild it with tools/build_flare_atlas.py")
    png_bytes, index_bytes = png.read_bytes(), index_path.read_bytes()
    index = json.loads(index_bytes)
    if index.get("format") != ATLAS_FORMAT:
        raise DataError(f"{index_path}: atlas format {index.get('format')!r}, expected {ATLAS_FORMAT}")
    missing = sorted(set(used_items()) - set(index["crops"]))
    if missing:
        raise DataError(f"{index_path}: items {', '.join(missing)} missing; rebuild with tools/build_flare_atlas.py")
    with Image.open(png) as image:
        pixels = np.asarray(image.convert("RGBA"))
    digest = hash_parts(hashlib.sha256(png_bytes).hexdigest(), hashlib.sha256(index_bytes).hexdigest())
    return _Atlas(pixels=pixels, index=index, digest=digest)


@lru_cache(maxsize=None)
def _mean_luminance(item: str) -> float:
    """Mean luminance (0-1) of the item's solid pixels over all its atlas frames."""
    atlas = _atlas()
    values = []
    for by_direction in atlas.index["crops"][item].values():
        for frames in by_direction.values():
            for x, y, w, h, _, _ in frames:
                crop = atlas.pixels[y : y + h, x : x + w].astype(np.float32) / 255.0
                values.append(crop[crop[..., 3] >= 0.9, :3] @ LUMA)
    return float(np.concatenate(values).mean())


def _layer_canvas(layer: Layer | None, action: str, direction: int, frame: int) -> np.ndarray:
    """``(4, CANVAS, CANVAS)`` float32: premultiplied RGB, then transmittance (1 - alpha); empty for None."""
    canvas = np.zeros((4, CANVAS, CANVAS), dtype=np.float32)
    canvas[3] = 1.0
    if layer is None:
        return canvas
    atlas = _atlas()
    x, y, w, h, offset_x, offset_y = atlas.index["crops"][layer.item][action][str(direction)][frame]
    crop = atlas.pixels[y : y + h, x : x + w].astype(np.float32) / 255.0
    rgb, alpha = crop[..., :3], crop[..., 3:]
    if layer.tint is not None:
        colour = np.array(layer.tint, dtype=np.float32) / np.float32(255.0 * _mean_luminance(layer.item))
        rgb = np.clip((rgb @ LUMA)[..., None] * colour, 0.0, 1.0)
    left, top = ANCHOR[0] - offset_x, ANCHOR[1] - offset_y
    x0, y0, x1, y1 = max(left, 0), max(top, 0), min(left + w, CANVAS), min(top + h, CANVAS)
    if x0 < x1 and y0 < y1:
        part = (slice(y0 - top, y1 - top), slice(x0 - left, x1 - left))
        canvas[:3, y0:y1, x0:x1] = np.moveaxis(rgb[part] * alpha[part], -1, 0)
        canvas[3, y0:y1, x0:x1] = 1.0 - alpha[part][..., 0]
    return canvas


def _slot_stacks(action: str, direction: int, frame: int) -> list[tuple[int, np.ndarray]]:
    """For each drawn slot in the direction's order: (factor position, ``(6, 4, C, C)`` layer stack)."""
    stacks = []
    for slot in _atlas().index["draw_order"][str(direction)]:
        for position, (_, values) in enumerate(STATIC_DESIGN):
            layers = [next((layer for layer in value.layers if layer.slot == slot), None) for value in values]
            if any(layer is not None for layer in layers):
                stack = [_layer_canvas(layer, action, direction, frame) for layer in layers]
                stacks.append((position, np.stack(stack)))
    return stacks


def _downsample(frames: np.ndarray, factor: int) -> np.ndarray:
    """Area-average ``(..., h, w)`` by ``factor``, summing the factor x factor phases in a fixed order."""
    if factor == 1:
        return frames
    total = np.zeros(frames.shape[:-2] + (frames.shape[-2] // factor, frames.shape[-1] // factor), dtype=np.float32)
    for dy in range(factor):
        for dx in range(factor):
            total += frames[..., dy::factor, dx::factor]
    return total / np.float32(factor * factor)


def _composite(stacks: list[tuple[int, np.ndarray]], values: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Alpha-composite each character's layers over the background: ``(n, 3, h, w)`` float32.

    For many characters every factor combination is composited by broadcasting (a layer varies along its
    own factor's axis only, so the layers drawn first are shared) and the rows are picked afterwards; for
    a few, each character's layers are gathered. Both apply the same float32 operations to every pixel, so
    they agree bit for bit.
    """
    if len(values) >= BROADCAST_MIN_CHARACTERS:
        picture = background.reshape((1,) * len(STATIC_DESIGN) + background.shape)
        for position, stack in stacks:
            axes = [1] * len(STATIC_DESIGN)
            axes[position] = VALUES_PER_FACTOR
            layer = stack.reshape(tuple(axes) + stack.shape[1:])
            picture = picture * layer[..., 3:, :, :] + layer[..., :3, :, :]
        grid = (VALUES_PER_FACTOR,) * len(STATIC_DESIGN) + background.shape
        every = np.broadcast_to(picture, grid).reshape((NUM_CHARACTERS,) + background.shape)
        return every[values @ _PLACES]
    picture = np.empty((len(values),) + background.shape, dtype=np.float32)
    picture[:] = background
    layer = np.empty((len(values), 4) + background.shape[1:], dtype=np.float32)
    for position, stack in stacks:
        np.take(stack, values[:, position], axis=0, out=layer)
        picture *= layer[:, 3:]
        picture += layer[:, :3]
    return picture


def _render_frame(values: np.ndarray, action: str, direction: int, frame: int, resolution: int) -> np.ndarray:
    """One frame for every character whose factor values are the rows of ``values``: ``(n, 3, R, R)`` uint8.

    Only the box that some layer covers (widened to whole output pixels) is composited and downsampled;
    the rest of the frame is background.
    """
    stacks = _slot_stacks(action, direction, frame)
    frames = np.empty((len(values), 3, resolution, resolution), dtype=np.uint8)
    frames[:] = np.array(BACKGROUND, dtype=np.uint8)[:, None, None]
    covered = np.zeros((CANVAS, CANVAS), dtype=bool)
    for _, stack in stacks:
        covered |= (stack[:, 3] < 1.0).any(axis=0)
    rows, cols = np.flatnonzero(covered.any(axis=1)), np.flatnonzero(covered.any(axis=0))
    if not len(rows):
        return frames
    factor = CANVAS // resolution
    top, left = rows[0] // factor, cols[0] // factor
    bottom, right = -(-(rows[-1] + 1) // factor), -(-(cols[-1] + 1) // factor)
    box = (slice(top * factor, bottom * factor), slice(left * factor, right * factor))
    boxed = [(position, stack[:, :, box[0], box[1]]) for position, stack in stacks]
    background = np.empty((3, (bottom - top) * factor, (right - left) * factor), dtype=np.float32)
    background[:] = np.array(BACKGROUND, dtype=np.float32)[:, None, None] / np.float32(255.0)
    pixels = _downsample(_composite(boxed, values, background), factor)
    frames[:, :, top:bottom, left:right] = np.clip(np.rint(pixels * np.float32(255.0)), 0, 255).astype(np.uint8)
    return frames


def _check_resolution(resolution: object) -> int:
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution not in RESOLUTIONS:
        allowed = ", ".join(map(str, RESOLUTIONS))
        raise ConfigError(f"flare-sprites resolution must be one of {allowed}, got {resolution!r}")
    return resolution


def render_clips(
    characters: np.ndarray,
    resolution: int = 64,
    motions: tuple[int, ...] = tuple(range(len(MOTIONS))),
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Render clips ``(len(characters), len(motions), 8, 3, R, R)`` uint8, into ``out`` when given."""
    resolution = _check_resolution(resolution)
    values = character_values(characters)
    shape = (len(values), len(motions), FRAMES_PER_CLIP, 3, resolution, resolution)
    if out is None:
        out = np.empty(shape, dtype=np.uint8)
    elif out.shape != shape or out.dtype != np.uint8:
        raise ValueError(f"out has shape {out.shape} and dtype {out.dtype}, expected {shape} uint8")
    for column, motion in enumerate(motions):
        action, (_, direction) = ACTIONS[motion // len(DIRECTIONS)], DIRECTIONS[motion % len(DIRECTIONS)]
        sources = action_frames(action)
        for source in np.unique(sources):
            picture = _render_frame(values, action, direction, int(source), resolution)
            for t in np.flatnonzero(sources == source):
                out[:, column, t] = picture
    return out


def render_clip(character_index: int, motion: int, resolution: int = 64) -> np.ndarray:
    """One clip ``(8, 3, R, R)`` uint8: the same pixels the dataset holds for this character and motion."""
    if not 0 <= character_index < NUM_CHARACTERS:
        raise ConfigError(f"flare-sprites character index must be in [0, {NUM_CHARACTERS}), got {character_index}")
    if not 0 <= motion < len(MOTIONS):
        raise ConfigError(f"flare-sprites motion must be in [0, {len(MOTIONS)}), got {motion}")
    return render_clips(np.array([character_index]), resolution, motions=(motion,))[0, 0]


def split_characters(seed: int = 423, max_characters: int | None = None) -> dict[str, np.ndarray]:
    """Sorted global character indices of each split: a seeded shuffle cut into train/val/test.

    With ``max_characters`` every split keeps a proportional share (at least one) of its own characters,
    so subsets of one seed are nested and never move a character to another split.
    """
    order = np.random.default_rng(seed).permutation(NUM_CHARACTERS)
    full = dict(SPLIT_SIZES)
    if max_characters is None:
        kept = full
    else:
        kept = {name: max(1, round(size * max_characters / NUM_CHARACTERS)) for name, size in SPLIT_SIZES}
        kept["train"] = max_characters - kept["val"] - kept["test"]
    result, start = {}, 0
    for name, size in SPLIT_SIZES:
        result[name] = np.sort(order[start : start + size][: kept[name]])
        start += size
    return result


class FlareSprites(SequenceDataset):
    """Sprites-like animated characters composited from the Debian flare-game art (embedded).

    ``phase="random"`` starts every clip at a seeded random phase (``extras["phase"]``). ``videos=N`` adds the
    training split ``train-videos``, which training reads instead of ``train``: N long videos per training
    character, each ``motions_per_video`` motions strung together, cut into every 8-frame window (grouped by
    video); the other splits stay clips, each clip a one-clip video of its own (:mod:`.flare_videos`).
    """

    name = "flare-sprites"
    modality = "video"
    identity_name = "character"
    units = CountUnits(sequences="clips", identities="characters", groups="videos")
    split_names = CLIP_SPLITS
    factors = (
        *(Factor(name, "static", tuple(value.name for value in values)) for name, values in STATIC_DESIGN),
        Factor(MOTION_FACTOR, "dynamic", MOTIONS),
        Factor("action", "dynamic", ACTIONS),
        Factor("direction", "dynamic", tuple(name for name, _ in DIRECTIONS)),
    )

    def __init__(
        self,
        resolution: int = 64,
        max_characters: int | None = None,
        seed: int = 423,
        data_root: str | Path | None = None,
        phase: str = FIXED_PHASE,
        videos: int = 0,
        motions_per_video: int = 3,
    ) -> None:
        if data_root is not None:
            raise FieldError("dataset_options.data_root", f"is not taken by flare-sprites, which is embedded (got {data_root})")
        if max_characters is not None and (
            isinstance(max_characters, bool)
            or not isinstance(max_characters, int)
            or not len(SPLIT_SIZES) <= max_characters <= NUM_CHARACTERS
        ):
            raise ConfigError(
                f"flare-sprites max_characters must be an integer in [{len(SPLIT_SIZES)}, {NUM_CHARACTERS}], "
                f"got {max_characters!r}"
            )
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ConfigError(f"flare-sprites seed must be an integer, got {seed!r}")
        if phase not in PHASES:
            raise ConfigError(f"flare-sprites phase must be one of {', '.join(PHASES)}, got {phase!r}")
        for option, value, least in (("videos", videos, 0), ("motions_per_video", motions_per_video, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ConfigError(f"flare-sprites {option} must be an integer >= {least}, got {value!r}")
        check_video_plan(len(MOTIONS), videos, motions_per_video)
        super().__init__()
        self.resolution = _check_resolution(resolution)
        self.max_characters = max_characters
        self.seed = seed
        self.phase = phase
        self.videos = videos
        self.motions_per_video = motions_per_video
        if videos:
            self.split_names = (*self.split_names, VIDEO_TRAINING_SPLIT)
        self.characters = split_characters(seed, max_characters)
        self._clips: np.ndarray | None = None

    @property
    def sequence_shape(self) -> tuple[int, ...]:
        return (FRAMES_PER_CLIP, 3, self.resolution, self.resolution)

    @property
    def training_split(self) -> str:
        return VIDEO_TRAINING_SPLIT if self.videos else "train"

    @property
    def segment_hop(self) -> int | None:
        """Frames between the starts of a video's consecutive windows (None without videos)."""
        return 1 if self.videos else None

    def fingerprint(self) -> str:
        rendered = self._rendering_fingerprint()
        settings = {"phase": self.phase} if self.phase != FIXED_PHASE else {}
        if self.videos:
            settings.update(videos=self.videos, motions_per_video=self.motions_per_video)
        return hash_parts(rendered, settings) if settings else rendered

    def _rendering_fingerprint(self) -> str:
        """What the rendered clips depend on (the cache's key); the phases and videos are cut from them in memory."""
        return hash_parts(
            self.name, FORMAT_VERSION, _atlas().digest, STATIC_DESIGN, BACKGROUND, self.resolution,
            self.max_characters, self.seed,
        )

    def _load_split(self, split: str) -> SequenceSplit:
        if split == VIDEO_TRAINING_SPLIT:
            return self._video_windows()
        part = self._clip_split(split)
        if self.phase == RANDOM_PHASE:
            phases = clip_phases(part.identity, NUM_CHARACTERS, len(MOTIONS), FRAMES_PER_CLIP, self.seed)
            shift = phases[np.arange(len(part)), part.labels[MOTION_FACTOR]]
            part.x = roll_frames(part.x, shift)
            part.extras[CLIP_PHASE] = shift
        if self.videos:
            part.groups = np.arange(len(part), dtype=np.int64)
        return part

    def _video_windows(self) -> SequenceSplit:
        """The training characters' long videos (made of their ``train`` clips, at their phases), cut into every
        8-frame window; no labels (training reads none)."""
        clips = self.split("train")
        characters = self.characters["train"]
        plan = video_motions(characters, NUM_CHARACTERS, len(MOTIONS), self.videos, self.motions_per_video, self.seed)
        x, position, video, start = video_windows(clips.x, plan, len(MOTIONS), FRAMES_PER_CLIP)
        return SequenceSplit(name=VIDEO_TRAINING_SPLIT, x=x, labels={}, identity=characters[position], groups=video,
                             extras={WINDOW_START_EXTRA: start})

    def _clip_split(self, split: str) -> SequenceSplit:
        clips = self._all_clips()
        start = sum(len(self.characters[name]) for name in CLIP_SPLITS[: CLIP_SPLITS.index(split)])
        characters = self.characters[split]
        rows = slice(start * len(MOTIONS), (start + len(characters)) * len(MOTIONS))
        identity = np.repeat(characters, len(MOTIONS)).astype(np.int64)
        motion = np.tile(np.arange(len(MOTIONS), dtype=np.int64), len(characters))
        values = character_values(identity)
        labels = {name: values[:, i] for i, name in enumerate(STATIC_FACTOR_NAMES)}
        labels.update(motion=motion, action=motion // len(DIRECTIONS), direction=motion % len(DIRECTIONS))
        return SequenceSplit(name=split, x=clips[rows], labels=labels, identity=identity)

    def _all_clips(self) -> np.ndarray:
        """All clips in split order (train, val, test; by character, then motion), from the cache."""
        if self._clips is None:
            order = np.concatenate([self.characters[name] for name in CLIP_SPLITS])
            shape = (len(order) * len(MOTIONS),) + self.sequence_shape
            path = cache_dir("datasets", self.name, self._rendering_fingerprint()) / "clips.npy"
            self._clips = _read_cache(path, shape)
            if self._clips is None:
                _build_cache(path, order, self.resolution)
                self._clips = _read_cache(path, shape)
                if self._clips is None:
                    raise DataError(f"{path}: the flare-sprites cache just written does not read back")
        return self._clips


def _read_cache(path: Path, shape: tuple[int, ...]) -> np.ndarray | None:
    """The cached clips memory-mapped copy-on-write, or None when absent or not of the expected shape."""
    if not path.is_file():
        return None
    try:
        clips = np.load(path, mmap_mode="c")
    except (OSError, ValueError):
        clips = None
    if clips is None or clips.shape != shape or clips.dtype != np.uint8:
        logger.warning("ignoring unreadable or stale flare-sprites cache %s", path)
        return None
    return clips


def _build_cache(path: Path, characters: np.ndarray, resolution: int) -> None:
    """Render every clip straight into a temporary memory-mapped file, then rename it into place."""
    started = time.perf_counter()
    per_character = (len(MOTIONS), FRAMES_PER_CLIP, 3, resolution, resolution)
    with atomic_path(path) as tmp:
        clips = np.lib.format.open_memmap(
            tmp, mode="w+", dtype=np.uint8, shape=(len(characters) * len(MOTIONS),) + per_character[1:]
        )
        render_clips(characters, resolution, out=clips.reshape((len(characters),) + per_character))
        clips.flush()
        del clips
    elapsed = time.perf_counter() - started
    logger.info("rendered %d flare-sprites clips in %.1f s into %s", len(characters) * len(MOTIONS), elapsed, path)
