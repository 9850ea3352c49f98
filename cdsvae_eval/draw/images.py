"""Image grids of sequences and swaps, written as PNG, and a pick of rows that shows a dataset's variety."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from cdsvae_eval.atomic import atomic_path

SEPARATOR_PX = 2
LABEL_PADDING_PX = 4
BACKGROUND = (224, 224, 224)
TEXT_COLOUR = (0, 0, 0)


def save_sequence_grid(
    frames: np.ndarray,
    path: str | os.PathLike[str],
    row_labels: list[str] | None = None,
    scale: int = 1,
    title: str | None = None,
) -> Path:
    """Write sequences ``(R, T, C, H, W)`` as a PNG: one row per sequence, one column per frame (named
    ``frame 1`` ... when there are row labels)."""
    col_labels = [f"frame {t + 1}" for t in range(np.asarray(frames).shape[1])] if row_labels else None
    return save_image_grid(frames, path, row_labels=row_labels, col_labels=col_labels, scale=scale, title=title)


def save_image_grid(
    grid: np.ndarray,
    path: str | os.PathLike[str],
    row_labels: list[str] | None = None,
    col_labels: list[str] | None = None,
    scale: int = 1,
    title: str | None = None,
) -> Path:
    """Write images ``(R, C, C_img, H, W)`` as a PNG grid with optional row and column labels and title.

    Images are uint8 or float in [0, 1] with 1 or 3 channels. Cells are ``scale`` times larger
    (nearest neighbour) and separated by ``SEPARATOR_PX`` pixels, also around the border.
    """
    cells = _as_rgb_cells(grid)
    if scale < 1:
        raise ValueError(f"scale must be a positive integer, got {scale}")
    if scale > 1:
        cells = cells.repeat(scale, axis=2).repeat(scale, axis=3)
    rows, cols, height, width, _ = cells.shape
    _check_labels(row_labels, rows, "row")
    _check_labels(col_labels, cols, "column")

    font = ImageFont.load_default()
    label_width = _label_extent(font, row_labels, axis=0)
    title_height = _label_extent(font, [title] if title else None, axis=1)
    label_height = _label_extent(font, col_labels, axis=1) + title_height
    canvas_height = label_height + rows * height + (rows + 1) * SEPARATOR_PX
    canvas_width = label_width + cols * width + (cols + 1) * SEPARATOR_PX
    canvas = np.empty((canvas_height, canvas_width, 3), dtype=np.uint8)
    canvas[:] = BACKGROUND
    for r in range(rows):
        top = label_height + SEPARATOR_PX + r * (height + SEPARATOR_PX)
        for c in range(cols):
            left = label_width + SEPARATOR_PX + c * (width + SEPARATOR_PX)
            canvas[top : top + height, left : left + width] = cells[r, c]

    image = Image.fromarray(canvas)
    draw = ImageDraw.Draw(image)
    for r, text in enumerate(row_labels or []):
        _, text_top, _, text_bottom = draw.multiline_textbbox((0, 0), text, font=font)
        middle = label_height + SEPARATOR_PX + r * (height + SEPARATOR_PX) + height // 2
        draw.multiline_text((LABEL_PADDING_PX, middle - (text_top + text_bottom) // 2), text, fill=TEXT_COLOUR,
                            font=font)
    if title:
        draw.text((LABEL_PADDING_PX, LABEL_PADDING_PX), title, fill=TEXT_COLOUR, font=font)
    for c, text in enumerate(col_labels or []):
        text_left, _, text_right, _ = draw.multiline_textbbox((0, 0), text, font=font)
        centre = label_width + SEPARATOR_PX + c * (width + SEPARATOR_PX) + width // 2
        draw.multiline_text((centre - (text_left + text_right) // 2, title_height + LABEL_PADDING_PX), text,
                            fill=TEXT_COLOUR, font=font, align="center")

    target = Path(path)
    with atomic_path(target) as tmp:
        image.save(tmp, format="PNG")
    return target


def save_swap_picture(
    sources: np.ndarray,
    swaps: np.ndarray,
    truths: np.ndarray | None,
    path: str | os.PathLike[str],
    names: list[str],
    title: str,
    scale: int = 1,
    frame_rows: int = 2,
) -> Path:
    """Write a labelled swap picture as a PNG.

    ``sources`` are clips ``(R, T, C, H, W)``; ``swaps[r, c]`` decodes (s of clip r, z_1:T of clip c);
    ``truths[r, c]`` is the true clip of (r's identity, c's motion) where the dataset has one (NaN
    where not). The top row shows the z_1:T sources; each source r then gets a row: the clip itself,
    its reconstruction (r, r) and its swaps, and under it a ground-truth row. A cell's frames are laid
    out in ``frame_rows`` rows, left to right then top to bottom, so the picture is about 4:3.
    """
    rows = len(sources)
    blank = np.full(sources.shape[1:], np.nan, dtype=np.float32)
    cells: list[list[np.ndarray]] = [[blank, blank, *sources]]
    labels = ["z_1:T from:"]
    for r in range(rows):
        cells.append([sources[r], swaps[r, r], *swaps[r]])
        labels.append(f"s from: {names[r]}")
        if truths is not None:
            cells.append([blank, blank, *truths[r]])
            labels.append(f"true clip of {names[r].split(' / ')[0]}")
    tiles = np.stack([np.stack([_tile_frames(cell, frame_rows) for cell in row]) for row in cells])
    tiles = np.where(np.isnan(tiles), BACKGROUND[0] / 255.0, tiles)
    columns = ["source clip", "reconstruction", *(f"z_1:T from:\n{name}" for name in names)]
    return save_image_grid(tiles, path, row_labels=labels, col_labels=columns, scale=scale, title=title)


def _tile_frames(clip: np.ndarray, frame_rows: int) -> np.ndarray:
    """Frames ``(T, C, H, W)`` as one image ``(C, frame_rows * H, ceil(T / frame_rows) * W)``."""
    frames, channels, height, width = clip.shape
    per_row = math.ceil(frames / frame_rows)
    out = np.full((channels, frame_rows * height, per_row * width), np.nan, dtype=np.float32)
    for t in range(frames):
        top, left = (t // per_row) * height, (t % per_row) * width
        out[:, top : top + height, left : left + width] = clip[t]
    return out


def showcase_rows(
    identity: np.ndarray,
    dynamic: np.ndarray,
    static: np.ndarray,
    rows: int,
    seed: int,
) -> np.ndarray:
    """Indices of up to ``rows`` sequences that show a dataset's variety.

    First one identity in each of its dynamic classes (an identity covering the most classes);
    then one sequence per further identity, each chosen to bring the most static-factor values
    not shown yet, cycling through the dynamic classes. ``static`` is ``(N, K)`` class indices.
    """
    rng = np.random.default_rng(seed)
    ids, first_index = np.unique(identity, return_index=True)
    pairs = np.unique(np.stack([identity, dynamic], axis=1), axis=0)
    _, coverage = np.unique(pairs[:, 0], return_counts=True)
    lead = int(rng.choice(np.flatnonzero(coverage == coverage.max())))

    chosen: list[int] = []
    lead_rows = identity == ids[lead]
    for value in np.unique(dynamic[lead_rows])[:rows]:
        chosen.append(int(rng.choice(np.flatnonzero(lead_rows & (dynamic == value)))))

    id_static = static[first_index].astype(np.int64)
    seen = np.zeros((id_static.shape[1], int(id_static.max(initial=0)) + 1), dtype=bool)
    seen[np.arange(id_static.shape[1]), id_static[lead]] = True
    available = np.ones(len(ids), dtype=bool)
    available[lead] = False
    dynamic_values = np.unique(dynamic)
    while len(chosen) < rows and available.any():
        novelty = (~seen[np.arange(id_static.shape[1]), id_static]).sum(axis=1)
        scores = np.where(available, novelty, -1)
        pick = int(rng.choice(np.flatnonzero(scores == scores.max())))
        available[pick] = False
        seen[np.arange(id_static.shape[1]), id_static[pick]] = True
        own = np.flatnonzero(identity == ids[pick])
        wanted = own[dynamic[own] == dynamic_values[len(chosen) % len(dynamic_values)]]
        chosen.append(int(rng.choice(wanted if len(wanted) else own)))
    return np.array(chosen, dtype=np.int64)


def _as_rgb_cells(grid: np.ndarray) -> np.ndarray:
    """``(R, C, C_img, H, W)`` uint8 or float in [0, 1] -> uint8 ``(R, C, H, W, 3)``."""
    grid = np.asarray(grid)
    if grid.ndim != 5 or grid.shape[2] not in (1, 3):
        raise ValueError(f"expected images of shape (rows, cols, 1 or 3, H, W), got {grid.shape}")
    if grid.dtype != np.uint8:
        grid = np.clip(np.rint(grid.astype(np.float64) * 255.0), 0, 255).astype(np.uint8)
    if grid.shape[2] == 1:
        grid = grid.repeat(3, axis=2)
    return grid.transpose(0, 1, 3, 4, 2)


def _check_labels(labels: list[str] | None, count: int, what: str) -> None:
    if labels is not None and len(labels) != count:
        raise ValueError(f"got {len(labels)} {what} labels for {count} {what}s")


def _label_extent(font: ImageFont.ImageFont | ImageFont.FreeTypeFont, labels: list[str] | None, axis: int) -> int:
    """Width (axis 0) or height (axis 1) of the margin that holds the labels; 0 without labels."""
    if not labels:
        return 0
    draw = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    boxes = [draw.multiline_textbbox((0, 0), text, font=font) for text in labels]
    extent = max(box[2 + axis] for box in boxes)
    return int(extent) + 2 * LABEL_PADDING_PX
