"""A report page as a list of blocks, rendered as one self-contained HTML file (inline CSS, images and sounds as
``data:`` URIs, no JavaScript, nothing fetched) or as Markdown with the same content."""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

from PIL import Image

from cdsvae_eval.atomic import write_text

# Pictures wider than this are downscaled, so that a page of a few runs stays a few MB.
MAX_IMAGE_WIDTH_PX = 1600


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2


@dataclass(frozen=True)
class Paragraph:
    text: str
    emphasis: bool = False


@dataclass(frozen=True)
class Preformatted:
    text: str


@dataclass(frozen=True)
class Table:
    """Rows of cells under a header; ``marked`` holds the (row, column) cells to highlight, explained by
    ``note`` under the table."""

    header: list[str]
    rows: list[list[str]]
    caption: str = ""
    marked: set[tuple[int, int]] = field(default_factory=set)
    note: str = ""


@dataclass(frozen=True)
class Picture:
    png: bytes
    alt: str


@dataclass(frozen=True)
class Sound:
    """A WAV file played in the page by an ``<audio>`` player, under its label."""

    wav: bytes
    label: str


@dataclass(frozen=True)
class Sounds:
    """Players side by side."""

    sounds: tuple[Sound, ...]


_MARKED = ' class="marked"'
Block = Union[Heading, Paragraph, Preformatted, Table, Picture, Sounds]

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1200px;
       padding: 0 1em; color: #222; line-height: 1.4; }
h1 { border-bottom: 2px solid #444; padding-bottom: .2em; }
h2 { border-bottom: 1px solid #bbb; margin-top: 2em; }
table { border-collapse: collapse; margin: .5em 0 1em; font-size: 90%; }
caption { text-align: left; font-weight: bold; padding: .3em 0; }
th, td { border: 1px solid #ccc; padding: .2em .5em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #eee; }
td.marked { background: #fde7b0; font-weight: bold; }
p.note { font-size: 85%; color: #555; margin-top: -.5em; }
p.emphasis { font-size: 120%; font-weight: bold; }
pre { background: #f6f6f6; padding: .6em; white-space: pre-wrap; font-size: 85%; }
img { max-width: 100%; height: auto; border: 1px solid #ddd; margin: .5em 0; }
div.sounds { display: flex; flex-wrap: wrap; gap: .5em 1.5em; margin: .3em 0 1em; }
figure.sound { margin: 0; font-size: 85%; }
figure.sound audio { display: block; width: 260px; }
"""


def png_bytes(path: str | Path, max_width: int = MAX_IMAGE_WIDTH_PX, colours: int | None = None) -> bytes:
    """A picture file as compact PNG bytes, downscaled (Lanczos) to at most ``max_width`` pixels wide; with
    ``colours``, reduced to a palette of that many (pictures of continuous colour maps, such as spectrograms, shrink
    about 3x and look the same)."""
    with Image.open(path) as image:
        image = image.convert("RGB")
        if image.width > max_width:
            image = image.resize((max_width, round(image.height * max_width / image.width)), Image.LANCZOS)
        if colours is not None:
            image = image.quantize(colours)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def data_uri(payload: bytes, media_type: str = "image/png") -> str:
    return f"data:{media_type};base64," + base64.b64encode(payload).decode("ascii")


def _sounds_html(block: Sounds) -> str:
    """The players of ``block``: each an ``<audio>`` element with its WAV as a data URI, under its label (HTML,
    which Markdown keeps as it is)."""
    figures = [f'<figure class="sound"><figcaption>{html.escape(sound.label)}</figcaption>'
               f'<audio controls preload="auto" src="{data_uri(sound.wav, "audio/wav")}"></audio></figure>'
               for sound in block.sounds]
    return '<div class="sounds">' + "".join(figures) + "</div>"


def to_html(title: str, blocks: list[Block]) -> str:
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             f"<title>{html.escape(title)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>",
             f"<h1>{html.escape(title)}</h1>"]
    parts += [_block_html(block) for block in blocks]
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


def to_markdown(title: str, blocks: list[Block]) -> str:
    parts = [f"# {title}"] + [_block_markdown(block) for block in blocks]
    return "\n\n".join(parts) + "\n"


def write_page(title: str, blocks: list[Block], html_path: str | Path | None = None,
               markdown_path: str | Path | None = None) -> list[Path]:
    """Write the page atomically as HTML and/or Markdown; returns the paths written."""
    written = []
    if html_path is not None:
        write_text(html_path, to_html(title, blocks))
        written.append(Path(html_path))
    if markdown_path is not None:
        write_text(markdown_path, to_markdown(title, blocks))
        written.append(Path(markdown_path))
    return written


def _block_html(block: Block) -> str:
    if isinstance(block, Heading):
        return f"<h{block.level}>{html.escape(block.text)}</h{block.level}>"
    if isinstance(block, Paragraph):
        css = ' class="emphasis"' if block.emphasis else ""
        return f"<p{css}>{html.escape(block.text)}</p>"
    if isinstance(block, Preformatted):
        return f"<pre>{html.escape(block.text)}</pre>"
    if isinstance(block, Picture):
        return f'<img src="{data_uri(block.png)}" alt="{html.escape(block.alt)}">'
    if isinstance(block, Sounds):
        return _sounds_html(block)
    lines = ["<table>"]
    if block.caption:
        lines.append(f"<caption>{html.escape(block.caption)}</caption>")
    lines.append("<tr>" + "".join(f"<th>{html.escape(cell)}</th>" for cell in block.header) + "</tr>")
    for r, row in enumerate(block.rows):
        cells = "".join(f"<td{_MARKED if (r, c) in block.marked else ''}>{html.escape(cell)}</td>"
                        for c, cell in enumerate(row))
        lines.append(f"<tr>{cells}</tr>")
    lines.append("</table>")
    if block.note:
        lines.append(f'<p class="note">{html.escape(block.note)}</p>')
    return "\n".join(lines)


def _block_markdown(block: Block) -> str:
    if isinstance(block, Heading):
        return f"{'#' * block.level} {block.text}"
    if isinstance(block, Paragraph):
        return f"**{block.text}**" if block.emphasis else block.text
    if isinstance(block, Preformatted):
        return f"```\n{block.text}\n```"
    if isinstance(block, Picture):
        return f"![{block.alt}]({data_uri(block.png)})"
    if isinstance(block, Sounds):
        return _sounds_html(block)
    lines = [f"**{block.caption}**", ""] if block.caption else []
    lines.append("| " + " | ".join(_md_cell(cell) for cell in block.header) + " |")
    lines.append("|" + "---|" * len(block.header))
    for r, row in enumerate(block.rows):
        cells = [f"**{_md_cell(cell)}** ◆" if (r, c) in block.marked else _md_cell(cell) for c, cell in enumerate(row)]
        lines.append("| " + " | ".join(cells) + " |")
    if block.note:
        lines += ["", f"_{block.note}_"]
    return "\n".join(lines)


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
