"""``cdsvae-eval compare``: train, score and compare presets end to end (smoke presets, 1 epoch)."""

from __future__ import annotations

from pathlib import Path

import pytest

FAST_TASKS = ("--option", "seeds=1", "--option", "ks=1,all", "--option", "pairs=64")


def test_compare_trains_scores_and_writes_one_page_then_reuses_the_runs(run_cli, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDSVAE_EVAL_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "table"
    args = ("compare", "--presets", "smoke,smoke-dsvae", "--out", out, "--epochs", "1", "--device", "cpu",
            "--no-progress")
    code, stdout, err = run_cli(*args, *FAST_TASKS)
    assert code == 0, err
    for preset in ("smoke", "smoke-dsvae"):
        assert (out / preset / "best.pt").is_file() and (out / preset / "swaps.png").is_file()
        assert {path.name for path in (out / preset / "probes").glob("*.json")} >= {
            "classify.json", "few-shot.json", "code-usage.json", "swap-oracle.json"}
    page = (out / "report.html").read_text()
    assert "<th>smoke</th><th>smoke-dsvae</th>" in page and "Run smoke-dsvae" in page
    assert "## Comparison" in (out / "report.md").read_text()
    checkpoint_time = (out / "smoke" / "best.pt").stat().st_mtime_ns

    code, stdout, err = run_cli(*args)
    assert code == 0, err
    assert "smoke: reusing the finished run" in stdout and "smoke-dsvae: reusing the results" in stdout
    assert (out / "smoke" / "best.pt").stat().st_mtime_ns == checkpoint_time

    (out / "smoke" / "swaps.png").unlink()  # the page then draws the grid from the checkpoint, writing nothing
    code, _, err = run_cli("report", out / "smoke", "--html", tmp_path / "smoke.html")
    assert code == 0, err
    assert 'alt="swap grid of smoke"' in (tmp_path / "smoke.html").read_text()
    assert not (out / "smoke" / "swaps.png").exists()

    code, _, err = run_cli("compare", "--presets", "smoke", "--out", out, "--epochs", "2", "--device", "cpu")
    assert code == 2 and "holds a run of another config; pass --force" in err
    assert (out / "smoke" / "best.pt").stat().st_mtime_ns == checkpoint_time


@pytest.mark.parametrize("presets, message", [
    ("smoke,smoke", "--presets names a preset twice"),
    ("smoke,huge", "unknown preset 'huge'"),
    (",", "--presets must name at least one preset"),
])
def test_bad_preset_lists_are_one_line_errors(run_cli, tmp_path: Path, presets: str, message: str) -> None:
    code, _, err = run_cli("compare", "--presets", presets, "--out", tmp_path / "t")
    assert code == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "t").exists()
