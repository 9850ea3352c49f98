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
from fake_run import write_fake_audio_run, write_fake_run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary installed (apt-get install chromium)")
# --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars")
# The screenshot's height: the speech page's verdict and tables fill the first screen before its figures start.
HEIGHTS = {"page": 2400, "audio_page": 4000}


def _chromium(*args: str, cwd: Path, height: int = 2400) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CHROMIUM, *FLAGS, f"--window-size=1280,{height}", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, check=True)


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


@pytest.mark.parametrize("which", ["page", "audio_page"])
def test_the_page_paints_text_and_pictures(which: str, request: pytest.FixtureRequest) -> None:
    page = request.getfixturevalue(which)
    shot = page.parent / f"{which}.png"
    _chromium(f"--screenshot={shot}", page.as_uri(), cwd=page.parent, height=HEIGHTS[which])
    with Image.open(shot) as image:
        pixels = np.asarray(image.convert("RGB"), dtype=np.int16)
    assert pixels.shape[:2] == (HEIGHTS[which], 1280)
    not_white = (pixels < 200).any(axis=-1)
    assert not_white.mean() > 0.02, "text and figures are drawn"
    coloured = (pixels.max(axis=-1) - pixels.min(axis=-1)) > 80
    assert coloured.sum() > 2000, "the embedded figures (coloured curves) are painted"


@pytest.fixture(scope="module")
def audio_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both halves on one page, the speech run first: what `report runs/demo-audio runs/demo` writes."""
    folder = tmp_path_factory.mktemp("audio-page")
    runs = [write_fake_audio_run(folder / "speech"), write_fake_run(folder / "video")]
    (path,) = write_page("report", report_blocks(collect_runs(runs)), html_path=folder / "report.html")
    return path


def test_the_parsed_audio_page_holds_the_eer_table_and_its_figures(audio_page: Path) -> None:
    dom = _chromium("--dump-dom", audio_page.as_uri(), cwd=audio_page.parent).stdout
    speech = dom.split("<h2>Run speech (speech)</h2>", 1)[1].split("<h2>Run video</h2>", 1)[0]
    assert speech.lstrip().startswith('<p class="emphasis">verdict: ')
    assert "<tr><th>back-end</th><th>z_s</th><th>mean z_1:T</th></tr>" in speech
    assert all(f"<tr><td>{backend}</td>" in speech for backend in ("none", "norm", "lda", "plda"))
    alts = re.findall(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]+" alt="([^"]+)"', speech)
    assert alts[:2] == [alts[0], "speaker identification curves of speech"] and alts[0].startswith("DET curves")
    assert {"decodability per factor", "training curves of speech"} <= set(alts)
    assert "<h2>Comparison</h2>" not in dom  # a speech run and a video run have no metric in common to compare


# Waits for every <audio> element of the page to load its metadata, then writes their durations into the page (the
# report itself holds no script: this copy of it does, for the test only).
_DURATIONS = """<script>
const players = Array.from(document.querySelectorAll('audio'));
const out = document.createElement('pre');
out.id = 'durations';
document.body.appendChild(out);
Promise.all(players.map(player => new Promise(resolve => {
  if (player.readyState >= 1) { resolve(player.duration); return; }
  player.addEventListener('loadedmetadata', () => resolve(player.duration));
  player.addEventListener('error', () => resolve(-1));
  player.load();
}))).then(durations => { out.textContent = 'durations ' + JSON.stringify(durations); });
</script>"""


def test_every_audio_player_of_the_speech_page_has_a_playable_duration(audio_page: Path) -> None:
    import json

    page = audio_page.read_text(encoding="utf-8")
    assert "<script" not in page
    probe = audio_page.parent / "durations.html"
    probe.write_text(page.replace("</body>", _DURATIONS + "</body>"), encoding="utf-8")
    dom = _chromium("--virtual-time-budget=20000", "--dump-dom", probe.as_uri(), cwd=probe.parent).stdout
    found = re.search(r"durations (\[[^\]]*\])", dom)
    assert found, "the players' metadata never loaded"
    durations = json.loads(found.group(1))
    assert len(durations) == page.count("<audio ") == 12
    assert all(duration > 0.3 for duration in durations), durations
