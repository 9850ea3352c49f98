"""Training curves from log.jsonl, and ``train`` writing RUN/curves.png."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from cdsvae_eval.errors import DataError
from cdsvae_eval.report.curves import load_log, plot_training_curves

TERMS = {"loss": 100.0, "recon": 50.0, "kl_static": 9.0, "kl_dynamic": 2.0, "mi": 0.5,
         "contrastive_static": 1.0, "contrastive_dynamic": 3.0}


def _write_log(path: Path, epochs: int = 3) -> Path:
    lines = []
    for epoch in range(1, epochs + 1):
        record = {"epoch": epoch, "train": {k: v / epoch for k, v in TERMS.items()}, "val": dict(TERMS), "seconds": 1.0}
        if epoch % 2 == 0:
            record["swap"] = {"swap_motion_acc": 0.5, "swap_identity_acc": 0.2, "swap_motion_chance": 0.11,
                              "swap_identity_chance": 0.01}
        lines.append(json.dumps(record))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_curves_png_is_written_from_the_log(tmp_path: Path) -> None:
    out = plot_training_curves(_write_log(tmp_path / "log.jsonl"), tmp_path / "curves.png", title="run")
    with Image.open(out) as image:
        assert image.format == "PNG"
        width, height = image.size
    assert 2.0 < width / height < 5.0  # three panels side by side
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize("text, message", [
    ("", "holds no epochs"),
    ('{"epoch": 1, "train": {}}\nnot json\n', "line 2: not JSON"),
    ('{"train": {}}\n', "line 1: needs an integer 'epoch'"),
])
def test_bad_logs_are_one_line_errors_naming_the_file(tmp_path: Path, text: str, message: str) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text(text)
    with pytest.raises(DataError, match=message) as error:
        load_log(log)
    assert str(log) in str(error.value)


def test_a_missing_log_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        plot_training_curves(tmp_path / "none.jsonl", tmp_path / "curves.png")
    assert not (tmp_path / "curves.png").exists()


def test_train_writes_curves_png(run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDSVAE_EVAL_CACHE", str(tmp_path / "cache"))
    code, out, _ = run_cli("train", "--preset", "smoke", "--epochs", "1", "--device", "cpu", "--no-progress",
                           "--out", tmp_path / "run")
    assert code == 0
    assert f"training curves: {tmp_path / 'run' / 'curves.png'}" in out.replace("\n", "")
    with Image.open(tmp_path / "run" / "curves.png") as image:
        assert image.format == "PNG"


def test_a_log_without_swaps_draws_no_empty_swap_panel(tmp_path: Path) -> None:
    """Audio runs log no swaps: two panels, not a third one left empty."""
    lines = [json.dumps({"epoch": e, "train": dict(TERMS), "val": dict(TERMS)}) for e in (1, 2)]
    (tmp_path / "log.jsonl").write_text("\n".join(lines) + "\n")
    with Image.open(plot_training_curves(tmp_path / "log.jsonl", tmp_path / "curves.png")) as image:
        width, height = image.size
    assert width / height < 2.5
