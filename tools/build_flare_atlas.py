"""Build the flare-sprites atlas from the installed Debian flare-game art.

Reads the hero item sheets and animation definitions under ``mods/fantasycore``, keeps only the frames the
flare-sprites design draws (its items; run, swing and cast; three directions), trims each crop to its
opaque pixels, removes duplicates, shelf-packs them into one PNG and writes a JSON index of where each frame
lies plus an ``ATTRIBUTION`` file. The output depends only on the package's files, so rerunning it gives the
same pixels and the same index.

Run: ``.venv/bin/python tools/build_flare_atlas.py``
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import click
import numpy as np
from PIL import Image

from cdsvae_eval.atomic import atomic_path, write_text
from cdsvae_eval.data import flare_sprites as design
from cdsvae_eval.errors import DataError

FLARE_ROOT = Path("/usr/share/games/flare/mods/fantasycore")
DOC_DIR = Path("/usr/share/doc/flare-game")
AVATAR = "male"
ATLAS_WIDTH = 512

Rect = tuple[int, int, int, int, int, int]


@dataclass(frozen=True)
class Animation:
    image: str
    frame_counts: dict[str, int]
    frames: dict[tuple[str, int, int], Rect]


def parse_animation(path: Path) -> Animation:
    """Parse a flare animation file: ``image=``, ``[section]`` headers, ``frames=`` and ``frame=`` lines."""
    image, section = None, None
    counts: dict[str, int] = {}
    frames: dict[tuple[str, int, int], Rect] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        header = re.fullmatch(r"\[(\w+)\]", line)
        if header:
            section = header.group(1)
        elif line.startswith("image="):
            image = line.removeprefix("image=")
        elif line.startswith("frames=") and section:
            counts[section] = int(line.removeprefix("frames="))
        elif line.startswith("frame=") and section:
            fields = [int(part) for part in line.removeprefix("frame=").split(",")]
            if len(fields) != 8:
                raise DataError(f"{path}:{number}: expected frame=index,direction,x,y,w,h,offset_x,offset_y")
            frames[(section, fields[0], fields[1])] = tuple(fields[2:])
    if image is None:
        raise DataError(f"{path}: no image= line")
    return Animation(image=image, frame_counts=counts, frames=frames)


def parse_draw_order(path: Path) -> dict[int, list[str]]:
    """``layer=direction,slot,slot,...`` lines of hero_layers.txt: the slots' draw order per direction."""
    order = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("layer="):
            direction, *slots = line.removeprefix("layer=").split(",")
            order[int(direction)] = [slot.strip() for slot in slots]
    return order


def trimmed_crop(sheet: np.ndarray, rect: Rect) -> tuple[np.ndarray, int, int]:
    """The frame's pixels cut to their opaque bounding box (transparent pixels zeroed), with its offset."""
    x, y, w, h, offset_x, offset_y = rect
    crop = sheet[y : y + h, x : x + w].copy()
    crop[crop[..., 3] == 0] = 0
    rows, cols = np.flatnonzero(crop[..., 3].any(axis=1)), np.flatnonzero(crop[..., 3].any(axis=0))
    if not len(rows):
        return np.zeros((1, 1, 4), dtype=np.uint8), 0, 0
    crop = crop[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    return crop, offset_x - int(cols[0]), offset_y - int(rows[0])


def shelf_pack(sizes: list[tuple[int, int]], width: int) -> tuple[list[tuple[int, int]], int]:
    """Place rectangles (w, h), tallest first, left to right in shelves; return their (x, y) and the height."""
    order = sorted(range(len(sizes)), key=lambda i: (-sizes[i][1], -sizes[i][0], i))
    places: list[tuple[int, int]] = [(0, 0)] * len(sizes)
    x = y = shelf_height = 0
    for i in order:
        w, h = sizes[i]
        if x + w > width:
            x, y, shelf_height = 0, y + shelf_height, 0
        places[i] = (x, y)
        x += w
        shelf_height = max(shelf_height, h)
    return places, y + shelf_height


def collect_crops(flare_root: Path) -> tuple[list[np.ndarray], dict, dict[str, int]]:
    """Unique crops, and for every used (item, action, direction) the per-frame (crop number, offset)."""
    unique: dict[bytes, int] = {}
    crops: list[np.ndarray] = []
    layout: dict = {}
    counts: dict[str, int] = {}
    for item in design.used_items():
        animation_path = flare_root / "animations" / "avatar" / AVATAR / f"{item}.txt"
        animation = parse_animation(animation_path)
        with Image.open(flare_root / animation.image) as image:
            sheet = np.asarray(image.convert("RGBA"))
        layout[item] = {}
        for action in design.ACTIONS:
            count = animation.frame_counts.get(action)
            if count is None or counts.setdefault(action, count) != count:
                raise DataError(f"{animation_path}: [{action}] has {count} frames, other items have {counts[action]}")
            layout[item][action] = {}
            for _, direction in design.DIRECTIONS:
                frames = []
                for frame in range(count):
                    rect = animation.frames.get((action, frame, direction))
                    if rect is None:
                        raise DataError(f"{animation_path}: no [{action}] frame {frame} for direction {direction}")
                    crop, offset_x, offset_y = trimmed_crop(sheet, rect)
                    key = repr(crop.shape).encode() + crop.tobytes()
                    if key not in unique:
                        unique[key] = len(crops)
                        crops.append(crop)
                    frames.append((unique[key], offset_x, offset_y))
                layout[item][action][str(direction)] = frames
    return crops, layout, counts


def package_version(package: str) -> str:
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() if result.returncode == 0 and result.stdout.strip() else "unknown"


def art_licence_lines(doc_dir: Path) -> tuple[list[str], list[str]]:
    """From the Debian copyright file: the ``Files: *`` copyright and licence, and the README's art line."""
    path = doc_dir / "copyright"
    text = path.read_text(encoding="utf-8")
    stanza = re.search(r"^Files: \*\n(.*?)(?:\n\n|\Z)", text, flags=re.MULTILINE | re.DOTALL)
    if stanza is None:
        raise DataError(f"{path}: no 'Files: *' paragraph")
    fields = [line for line in stanza.group(1).splitlines() if line.startswith(("Copyright:", "License:"))]
    comment = " ".join(line.strip() for line in text.split("Files:", 1)[0].splitlines() if line.startswith(" "))
    art = re.findall(r"All of Flare's art and data files.*?permitted\.", comment)
    if not fields or not art:
        raise DataError(f"{path}: expected Copyright/License fields and the README's art licence sentence")
    return fields, art


def art_credits(flare_root: Path) -> list[tuple[str, list[str]]]:
    """The visual-art sections of the fantasycore credits as (heading, names).

    The credits file lists ``text=`` lines in sections closed by ``separator=32``; a section's first text
    is its heading.
    """
    path = flare_root / "cutscenes" / "credits.txt"
    sections: list[list[str]] = [[]]
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("text="):
            sections[-1].append(line.removeprefix("text="))
        elif line.strip() == "separator=32":
            sections.append([])
    visual = [(texts[0], texts[1:]) for texts in sections if texts and "Visual Artist" in texts[0]]
    if not visual:
        raise DataError(f"{path}: no visual artists listed")
    return visual


def attribution_text(flare_root: Path, doc_dir: Path, version: str, items: tuple[str, ...]) -> str:
    fields, art = art_licence_lines(doc_dir)
    credits = [f"  {heading}: {', '.join(names)}" for heading, names in art_credits(flare_root)]
    lines = [
        f"Flare sprites atlas: cdsvae_eval/data/assets/flare/{design.ATLAS_PNG} and {design.ATLAS_INDEX}",
        "",
        f"Source: Flare (the game), Debian package flare-game {version}, files",
        f"  mods/fantasycore/images/avatar/{AVATAR}/*.png, mods/fantasycore/animations/avatar/{AVATAR}/*.txt and",
        "  mods/fantasycore/engine/hero_layers.txt",
        "  https://github.com/flareteam/flare-game  http://flarerpg.org/",
        f"Items used: {', '.join(items)}",
        "",
        f"Copyright and licence, as {doc_dir / 'copyright'} states them:",
        *(f"  {line}" for line in fields),
        *(f"  {sentence}" for sentence in art),
        "Artists, as mods/fantasycore/cutscenes/credits.txt lists them:",
        *credits,
        "",
        "Licence: Creative Commons Attribution-ShareAlike 3.0 Unported (CC BY-SA 3.0), or any later version:",
        "  https://creativecommons.org/licenses/by-sa/3.0/",
        "",
        "Changes made: the frames of the items above for the run, swing and cast animations in three",
        "directions were cut from the item sheets, trimmed to their opaque pixels, de-duplicated and packed",
        "into one image by tools/build_flare_atlas.py. At run time cdsvae_eval.data.flare_sprites recolours",
        "some items and composites them into animated characters. The atlas and the clips rendered from it",
        "are derivative works of the Flare art and are distributed under the same licence, CC BY-SA 3.0",
        "(or later), with this attribution.",
    ]
    return "\n".join(lines) + "\n"


@click.command()
@click.option("--flare-root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=FLARE_ROOT,
              show_default=True, help="The flare-game fantasycore mod folder.")
@click.option("--doc-dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=DOC_DIR,
              show_default=True, help="The flare-game Debian documentation folder (copyright file).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=design.ASSET_DIR,
              show_default=True, help="Where to write the atlas, its index and ATTRIBUTION.")
def main(flare_root: Path, doc_dir: Path, out: Path) -> None:
    """Build the flare-sprites atlas from the installed flare-game art."""
    crops, layout, counts = collect_crops(flare_root)
    places, height = shelf_pack([(crop.shape[1], crop.shape[0]) for crop in crops], ATLAS_WIDTH)
    atlas = np.zeros((height, ATLAS_WIDTH, 4), dtype=np.uint8)
    for crop, (x, y) in zip(crops, places):
        atlas[y : y + crop.shape[0], x : x + crop.shape[1]] = crop
    version = package_version("flare-game")
    order = parse_draw_order(flare_root / "engine" / "hero_layers.txt")
    index = {
        "format": design.ATLAS_FORMAT,
        "source": {"package": "flare-game", "version": version, "mod": "fantasycore", "avatar": AVATAR},
        "draw_order": {str(direction): order[direction] for _, direction in design.DIRECTIONS},
        "frames": counts,
        "crops": {
            item: {
                action: {
                    direction: [
                        [*places[number], crops[number].shape[1], crops[number].shape[0], offset_x, offset_y]
                        for number, offset_x, offset_y in frames
                    ]
                    for direction, frames in by_direction.items()
                }
                for action, by_direction in by_action.items()
            }
            for item, by_action in layout.items()
        },
    }
    with atomic_path(out / design.ATLAS_PNG) as tmp:
        Image.fromarray(atlas, "RGBA").save(tmp, format="PNG", optimize=True)
    write_text(out / design.ATLAS_INDEX, json.dumps(index, separators=(",", ":")) + "\n")
    write_text(out / "ATTRIBUTION", attribution_text(flare_root, doc_dir, version, design.used_items()))
    for name in (design.ATLAS_PNG, design.ATLAS_INDEX, "ATTRIBUTION"):
        (out / name).chmod(0o644)
    size = (out / design.ATLAS_PNG).stat().st_size
    click.echo(f"{len(crops)} crops in a {ATLAS_WIDTH}x{height} atlas ({size} bytes) written to {out}")


if __name__ == "__main__":
    main()
