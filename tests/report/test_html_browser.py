"""The report page in a real browser: headless Chromium parses it (tables and embedded pictures present
after loading) and paints it (a screenshot that is not blank). Skipped without a chromium binary; CI
installs Debian's ``chromium`` (.ci/run)."""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cdsvae_eval.report.page import write_page
from cdsvae_eval.report.run_inputs import collect_runs
from cdsvae_eval.report.run_page import report_blocks
from fake_run import write_fake_run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary installed (apt-get install chromium)")
# --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1280,2400")


def _chromium(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CHROMIUM, *FLAGS, *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                          check=True)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("page")
    runs = [write_fake_run(folder / name, accuracy=value) for name, value in (("paired", 0.9), ("cdsvae", 0.5))]
    (path,) = write_page("report", report_blocks(collect_runs(runs)), html_path=folder / "report.html")
    return path


def test_the_parsed_page_holds_the_tables_and_decodable_pictures(page: Path) -> None:
    dom = _chromium("--dump-dom", page.as_uri(), cwd=page.parent).stdout
    assert dom.count("<table>") >= 1 + 2 * 4  # comparison, then per run swaps, probes, code usage, decodability
    assert "<th>paired</th><th>cdsvae</th>" in dom and '<td class="marked">' in dom
    sources = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', dom)
    assert len(sources) == 2 * 3  # per run: training curves, few-shot curves, decodability
    for payload in sources:
        with Image.open(io.BytesIO(base64.b64decode(payload))) as image:
            image.load()
            assert image.format == "PNG" and min(image.size) > 100


def test_the_page_paints_text_and_pictures(page: Path) -> None:
    shot = page.parent / "shot.png"
    _chromium(f"--screenshot={shot}", page.as_uri(), cwd=page.parent)
    with Image.open(shot) as image:
        pixels = np.asarray(image.convert("RGB"), dtype=np.int16)
    assert pixels.shape[:2] == (2400, 1280)
    not_white = (pixels < 200).any(axis=-1)
    assert not_white.mean() > 0.02, "text and figures are drawn"
    coloured = (pixels.max(axis=-1) - pixels.min(axis=-1)) > 80
    assert coloured.sum() > 2000, "the embedded figures (coloured curves) are painted"
