"""The report page: self-contained HTML and Markdown with the same content, per run and compared."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cdsvae_eval.report.page import Heading, Picture, Table, png_bytes, to_html, to_markdown
from fake_run import write_fake_audio_run, write_fake_run

DATA_URI = re.compile(r'data:image/png;base64,([A-Za-z0-9+/=]+)')


def _decoded_images(text: str) -> list[Image.Image]:
    images = []
    for payload in DATA_URI.findall(text):
        image = Image.open(io.BytesIO(base64.b64decode(payload)))
        image.load()
        images.append(image)
    return images


def test_html_is_self_contained_with_every_section(run_cli, tmp_path: Path) -> None:
    run = write_fake_run(tmp_path / "my-run")
    code, out, err = run_cli("report", run, "--html", tmp_path / "r.html", "--markdown-file", tmp_path / "r.md")
    assert code == 0, err
    page = (tmp_path / "r.html").read_text()
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert re.findall(r'<img src="([^"]{0,22})', page) == ["data:image/png;base64,"] * 3  # curves, few-shot, decodability
    assert all(image.format == "PNG" and image.width > 100 for image in _decoded_images(page))
    for text in ("Run my-run", "verdict: DISENTANGLED", "thresholds:", "Config and provenance", "deadbeef",
                 "Training curves", "random z_s", "Δ z_1:T", "Few-shot probes", "over character", "No swap grid"):
        assert text in page, text
    assert str(tmp_path) not in page.split("Run my-run")[0]  # the run is named by its folder, not its path
    markdown = (tmp_path / "r.md").read_text()
    assert len(_decoded_images(markdown)) == 3
    headings = re.findall(r"<h[23]>([^<]+)</h[23]>", page)
    assert [line.lstrip("# ") for line in markdown.splitlines() if line.startswith(("## ", "### "))] == headings


def test_probe_table_holds_chance_baseline_and_deltas(run_cli, tmp_path: Path) -> None:
    run = write_fake_run(tmp_path / "run", accuracy=0.9)
    assert run_cli("report", run / "probes", "--markdown-file", tmp_path / "r.md")[0] == 0
    line = next(line for line in (tmp_path / "r.md").read_text().splitlines() if line.startswith("| skin |"))
    assert line == ("| skin | static (wanted in z_s) | 0.900 [0.880, 0.920] | 0.250 [0.230, 0.270] | 0.250 | "
                    "0.700 [0.680, 0.720] | 0.250 [0.230, 0.270] | 0.200 | 0.000 |")


def test_comparison_marks_values_whose_ci_does_not_overlap_the_first_run(run_cli, tmp_path: Path) -> None:
    runs = [write_fake_run(tmp_path / name, accuracy=value) for name, value in
            (("ref", 0.9), ("close", 0.91), ("far", 0.5))]
    code, out, err = run_cli("report", *runs, "--label", "A", "--label", "B", "--label", "C",
                             "--markdown-file", tmp_path / "r.md", "--html", tmp_path / "r.html")
    assert code == 0, err
    markdown = (tmp_path / "r.md").read_text()
    assert "| task | metric | better | A | B | C |" in markdown
    line = next(line for line in markdown.splitlines() if line.startswith("| classify | acc_skin_from_static |"))
    assert line == "| classify | acc_skin_from_static | ↑ | 0.900 [0.880, 0.920] | 0.910 [0.890, 0.930] | **0.500 [0.480, 0.520]** ◆ |"
    assert '<td class="marked">0.500 [0.480, 0.520]</td>' in (tmp_path / "r.html").read_text()
    assert "Run A" in markdown and "Run C" in markdown
    glance = [line for line in markdown.split("## Comparison")[0].splitlines() if line.startswith("| ")]
    assert glance[0] == "| run | preset | training seed | epoch scored | verdict | motion swap | identity swap | KL z_s | KL z_1:T |"
    assert glance[1] == ("| A | smoke | 1 | 2 | disentangled | 0.950 [0.930, 0.970] (chance 0.110) | "
                         "0.800 [0.780, 0.820] (chance 0.100) | 3 | 2 |")


def test_a_wrong_number_of_labels_names_the_flag(run_cli, tmp_path: Path) -> None:
    run = write_fake_run(tmp_path / "run")
    code, _, err = run_cli("report", run, "--label", "a", "--label", "b", "--html", tmp_path / "r.html")
    assert code == 2 and err.startswith("error: --label names 2 run(s), but 1 run(s) were given")
    assert not (tmp_path / "r.html").exists()


def test_results_files_of_a_run_are_one_run_named_after_the_run(run_cli, tmp_path: Path) -> None:
    run = write_fake_run(tmp_path / "demo")
    files = sorted((run / "probes").glob("*.json"))
    assert run_cli("report", *files, "--markdown-file", tmp_path / "r.md")[0] == 0
    markdown = (tmp_path / "r.md").read_text()
    assert "## Run demo" in markdown and "## Comparison" not in markdown


def test_pictures_are_downscaled(tmp_path: Path) -> None:
    Image.new("RGB", (3000, 400), (255, 0, 0)).save(tmp_path / "wide.png")
    with Image.open(io.BytesIO(png_bytes(tmp_path / "wide.png", max_width=1000))) as image:
        assert image.size == (1000, 133)


def test_markup_in_text_is_escaped() -> None:
    blocks = [Heading("<b>x</b>"), Table(["a|b"], [["<i>"]]), Picture(b"\x89PNG", "alt")]
    page = to_html("t", blocks)
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "&lt;i&gt;" in page and "<i>" not in page
    assert "| a\\|b |" in to_markdown("t", blocks)


@pytest.fixture(scope="module")
def audio_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_fake_audio_run(tmp_path_factory.mktemp("audio") / "speech")


def test_an_audio_page_leads_with_the_verdict_verification_and_identification(run_cli, tmp_path: Path,
                                                                             audio_run: Path) -> None:
    run = audio_run
    code, _, err = run_cli("report", run, "--html", tmp_path / "r.html", "--markdown-file", tmp_path / "r.md")
    assert code == 0, err
    page = (tmp_path / "r.html").read_text()
    headings = re.findall(r"<h[23]>([^<]+)</h[23]>", page)
    assert headings[:9] == ["At a glance", "Run speech (speech)", "Speaker verification (speaker-eer)",
                            "Speaker identification from k enrolment utterances (speaker-few-shot)",
                            "Phone probes (content)", "Speech swaps: A&#x27;s voice saying B&#x27;s words (speech-swap)",
                            "Decodability and code usage (code-usage)", "Training curves", "Config and provenance"]
    after_heading = page.split("<h2>Run speech (speech)</h2>", 1)[1].lstrip()
    assert after_heading.startswith('<p class="emphasis">verdict: ')
    assert "<caption>Equal error rate (%)</caption>\n<tr><th>back-end</th><th>z_s</th><th>mean z_1:T</th></tr>" in page
    for backend in ("none", "norm", "lda", "plda"):
        assert f"<tr><td>{backend}</td>" in page
    markdown = (tmp_path / "r.md").read_text()
    assert "| frame | that frame's z_t |" in markdown and "| segment (centre frame) | z_1:T |" in markdown
    alts = re.findall(r'<img src="data:image/png;base64,[^"]+" alt="([^"]+)"', page)
    assert alts[0].startswith("DET curves of speech, back-end ") and alts[1] == "speaker identification curves of speech"
    assert "decodability per factor" in alts and "training curves of speech" in alts
    assert all(image.format == "PNG" and image.width > 100 for image in _decoded_images(page))


def test_both_halves_on_one_page_compare_only_runs_of_one_dataset(run_cli, tmp_path: Path, audio_run: Path) -> None:
    video = [write_fake_run(tmp_path / name, accuracy=value) for name, value in (("v1", 0.9), ("v2", 0.5))]
    audio = audio_run
    assert run_cli("report", video[0], audio, "--html", tmp_path / "one.html")[0] == 0
    page = (tmp_path / "one.html").read_text()
    assert "<h2>Comparison</h2>" not in page
    assert "<h2>Run v1</h2>" in page and "<h2>Run speech (speech)</h2>" in page
    assert run_cli("report", *video, audio, "--html", tmp_path / "three.html")[0] == 0
    page = (tmp_path / "three.html").read_text()
    assert page.count("<h2>Comparison</h2>") == 1
    assert "<th>v1</th><th>v2</th></tr>" in page and "<th>speech</th></tr>" not in page


def test_an_audio_page_plays_each_swap_pair_beside_its_spectrograms(run_cli, tmp_path: Path, audio_run: Path) -> None:
    import soundfile

    code, _, err = run_cli("report", audio_run, "--html", tmp_path / "r.html", "--markdown-file", tmp_path / "r.md")
    assert code == 0, err
    page = (tmp_path / "r.html").read_text()
    swaps = page.split("Speech swaps: A&#x27;s voice saying B&#x27;s words (speech-swap)</h3>", 1)[1]
    swaps = swaps.split("<h3>", 1)[0]
    for caption in ("Speaker decision: closer to z_s&#x27;s source than to z_1:T&#x27;s source (accuracy)",
                    "Speaker verification EER (%) over the same trials", "Content: each frame&#x27;s phone"):
        assert caption in swaps
    assert "<td>swaps</td>" in swaps and "<td>real utterances (the judges&#x27; ceiling)</td>" in swaps
    players = re.findall(r'<figcaption>([^<]+)</figcaption><audio controls preload="auto" '
                         r'src="data:audio/wav;base64,([A-Za-z0-9+/=]+)"></audio>', swaps)
    assert len(players) == 3 * 4
    assert [label for label, _ in players[:4]][2:] == ["A&#x27;s voice (z_s) saying B&#x27;s words (z_1:T)",
                                                      "B&#x27;s voice (z_s) saying A&#x27;s words (z_1:T)"]
    for _, payload in players:
        audio, rate = soundfile.read(io.BytesIO(base64.b64decode(payload)))
        assert rate == 16000 and len(audio) > 0.3 * rate and np.abs(audio).max() > 0.01
    alts = re.findall(r'alt="(spectrograms of swap pair \d)"', swaps)
    assert alts == [f"spectrograms of swap pair {k}" for k in (1, 2, 3)]
    assert "clips, " in swaps and "MB before base64 encoding" in swaps
    assert page.count("<audio ") == (tmp_path / "r.md").read_text().count("<audio ") == 12


def test_the_listening_pairs_stay_within_their_stated_size(tmp_path: Path) -> None:
    """The worst case the page allows: 4 pairs of long utterances, each clip cut to MAX_LISTEN_SECONDS."""
    from cdsvae_eval.data.features import FEATURE_SPECS
    from cdsvae_eval.report.page import Sounds
    from cdsvae_eval.report.run_inputs import RunResults
    from cdsvae_eval.report.speech_swap import MAX_LISTEN_SECONDS, listening_blocks
    from cdsvae_eval.tasks.speech_swap import (
        LISTEN_OUTPUTS, LISTENING_FILE, MAX_LISTEN_PAIRS, ListeningPair, ListeningPairs, write_listening_pairs,
    )

    rng = np.random.default_rng(0)
    long = [ListeningPair("A/U1", "B/U1", "A", "B", "a text", "b text",
                          {name: rng.normal(-4.0, 2.0, size=(900, 80)).astype(np.float32) for name in LISTEN_OUTPUTS})
            for _ in range(MAX_LISTEN_PAIRS)]
    write_listening_pairs(tmp_path / LISTENING_FILE, ListeningPairs(long, FEATURE_SPECS["logmel80"], 16000))
    run = RunResults("speech", {}, tmp_path, None)
    blocks = listening_blocks(run, {"artifacts": [LISTENING_FILE], "seed": 0})
    sounds = [sound for block in blocks if isinstance(block, Sounds) for sound in block.sounds]
    assert len(sounds) == 4 * MAX_LISTEN_PAIRS
    assert all(len(sound.wav) <= 44 + 2 * 16000 * MAX_LISTEN_SECONDS + 2 * 512 for sound in sounds)
    page = to_html("t", blocks)
    assert len(page.encode()) < 3.5e6, "the listening block's worst case leaves room in a 5 MB page"
