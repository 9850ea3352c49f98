"""``cdsvae-eval data list|info|show`` on tiny Sprites copies; the user's data root is never written."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cdsvae_eval.data import list_datasets
from cdsvae_eval.draw.images import SEPARATOR_PX


def test_list_shows_every_dataset(run_cli) -> None:
    code, out, _ = run_cli("data", "list")
    assert code == 0
    for name in list_datasets():
        assert name in out


def test_info_json_is_one_object_with_the_counts(run_cli, sprites_npy_root: Path) -> None:
    code, out, err = run_cli("data", "info", "sprites", "--data-root", sprites_npy_root, "--json")
    assert code == 0, err
    info = json.loads(out)
    assert info["name"] == "sprites" and info["sequence_shape"] == [8, 3, 64, 64]
    assert info["splits"]["test"] == {"sequences": 18, "identities": 2}
    assert info["splits"]["val"] == {"sequences": 9, "identities": 1}
    assert info["splits"]["train"] == {"sequences": 45, "identities": 5}
    assert len(info["fingerprint"]) == 16


def test_info_table_and_pickle_layout(run_cli, sprites_pkl_path: Path) -> None:
    code, out, err = run_cli("data", "info", "sprites", "--data-root", sprites_pkl_path, "--max-per-motion", "1")
    assert code == 0, err
    for text in ("fingerprint", "walk-front", "spellcard", "character"):
        assert text in out
    test_row = next(line for line in out.splitlines() if "test" in line)
    assert "9" in test_row.split() or " 9 " in test_row


def test_wrong_root_exits_2_with_one_line_naming_it(run_cli, tmp_path: Path) -> None:
    missing = tmp_path / "no_sprites_here"
    code, out, err = run_cli("data", "info", "sprites", "--data-root", missing)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and str(missing) in err


def test_wrong_root_in_a_subprocess_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "absent"
    result = subprocess.run(
        [sys.executable, "-c", "from cdsvae_eval.cli import main; main()", "data", "info", "sprites"]
        + ["--data-root", str(missing)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and str(missing) in result.stderr


def test_unknown_dataset_exits_2(run_cli) -> None:
    code, _, err = run_cli("data", "info", "no-such-set")
    assert code == 2 and "no-such-set" in err and err.count("\n") == 1


def test_an_option_the_dataset_does_not_take_is_named(
    run_cli, sprites_npy_root: Path
) -> None:
    code, _, err = run_cli("data", "info", "sprites", "--data-root", sprites_npy_root, "--resolution", "32")
    assert code == 2 and "--resolution" in err and err.count("\n") == 1


def test_show_writes_a_grid_of_every_motion_and_varied_characters(
    run_cli, sprites_npy_root: Path, tmp_path: Path
) -> None:
    out_path = tmp_path / "figures" / "grid.png"
    args = ("data", "show", "sprites", "--data-root", sprites_npy_root, "--out", out_path, "--rows", 11)
    code, out, err = run_cli(*args)
    assert code == 0, err
    assert "11 clips of sprites" in out
    with Image.open(out_path) as image:
        width, height = image.size
        pixels = np.asarray(image.convert("RGB"))
    grid_height, grid_width = 11 * 64 + 12 * SEPARATOR_PX, 8 * 64 + 9 * SEPARATOR_PX
    top = height - grid_height
    assert 10 < top < 60, "the title and the frame names sit above the grid"
    assert width > grid_width + 40
    first_frame = pixels[top + SEPARATOR_PX : top + SEPARATOR_PX + 64, width - grid_width + SEPARATOR_PX :][:, :64]
    assert first_frame.std() > 0
    assert (pixels[:top, width - grid_width :] != (224, 224, 224)).any(axis=-1).sum() > 50


def test_show_is_reproducible_and_seed_changes_the_pick(
    run_cli, sprites_npy_root: Path, tmp_path: Path
) -> None:
    args = ("data", "show", "sprites", "--data-root", sprites_npy_root, "--rows", 3)
    images = {}
    for name, seed in (("a", 0), ("b", 0), ("c", 1)):
        assert run_cli(*args, "--out", tmp_path / f"{name}.png", "--seed", seed)[0] == 0
        images[name] = (tmp_path / f"{name}.png").read_bytes()
    assert images["a"] == images["b"] and images["a"] != images["c"]


@pytest.mark.parametrize(
    "command",
    [
        ("data", "info", "sprites", "--json"),
        ("data", "info", "sprites"),
        ("data", "show", "sprites", "--rows", "4", "--split", "val"),
    ],
)
def test_commands_leave_the_data_root_untouched(
    run_cli,
    tree_digest,
    sprites_npy_root: Path,
    sprites_pkl_path: Path,
    tmp_path: Path,
    command: tuple[str, ...],
) -> None:
    for root in (sprites_npy_root, sprites_pkl_path):
        before = tree_digest(root.parent)
        extra = ("--out", tmp_path / f"grid-{root.name}.png") if "show" in command else ()
        code, _, err = run_cli(*command, "--data-root", root, *extra)
        assert code == 0, err
        assert tree_digest(root.parent) == before


def test_flare_sprites_info_and_show(run_cli, tmp_path: Path) -> None:
    options = ("--max-characters", "12", "--resolution", "32")
    code, out, err = run_cli("data", "info", "flare-sprites", *options, "--json")
    assert code == 0, err
    info = json.loads(out)
    assert info["name"] == "flare-sprites" and info["sequence_shape"][-2:] == [32, 32]
    assert sum(part["identities"] for part in info["splits"].values()) <= 12
    show = ("data", "show", "flare-sprites", *options, "--rows", "3", "--out", tmp_path / "flare.png")
    code, _, err = run_cli(*show)
    assert code == 0, err
    with Image.open(tmp_path / "flare.png") as image:
        assert 10 < image.size[1] - (3 * 32 + 4 * SEPARATOR_PX) < 60
    code, _, err = run_cli("data", "info", "flare-sprites", "--data-root", tmp_path)
    assert code == 2 and "data-root" in err.replace("_", "-") and err.count("\n") == 1


def test_dataset_options_without_a_flag_are_given_with_option(run_cli, tmp_path: Path) -> None:
    options = ("--max-characters", "12", "--resolution", "16", "--option", "videos=2")
    code, out, err = run_cli("data", "info", "flare-sprites", *options, "--json")
    assert code == 0, err
    splits = json.loads(out)["splits"]
    assert splits["train-videos"]["groups"] == 2 * splits["train"]["identities"]
    code, _, err = run_cli("data", "show", "flare-sprites", *options, "--split", "train-videos", "--rows", "3",
                           "--out", tmp_path / "windows.png")
    assert code == 0, err
    assert (tmp_path / "windows.png").is_file()
    code, _, err = run_cli("data", "info", "flare-sprites", "--option", "video=2")
    assert code == 2 and "--option video" in err and err.count("\n") == 1
    code, _, err = run_cli("data", "info", "flare-sprites", "--option", "videos")
    assert code == 2 and "--option expects key=value" in err and err.count("\n") == 1


def test_timit_info_on_a_corpus_without_dev_speakers_reports_zero(run_cli, tmp_path: Path) -> None:
    from formant_synth import write_formant_timit

    root = write_formant_timit(tmp_path / "timit", speakers_per_split={"TRAIN": 4, "TEST": 4}, sentences=1)
    code, out, err = run_cli("data", "info", "timit", "--data-root", root, "--json")
    assert code == 0, err
    splits = json.loads(out)["splits"]
    assert splits["dev"] == {"sequences": 0, "identities": 0, "groups": 0}
    assert splits["train"]["identities"] == 4 and splits["test"]["identities"] == 4


def _timit(tmp_path: Path) -> Path:
    from formant_synth import write_formant_timit

    return write_formant_timit(tmp_path / "timit", speakers_per_split={"TRAIN": 2, "TEST": 2}, sentences=2)


def test_timit_info_on_a_tree_without_readable_audio_exits_2_naming_the_root(run_cli, tmp_path: Path,
                                                                            tree_digest) -> None:
    root = _timit(tmp_path)
    for wav in root.rglob("*.WAV"):
        wav.write_bytes(b"NIST_1A\n   1024\nnot a header")
    before = tree_digest(root)
    code, out, err = run_cli("data", "info", "timit", "--data-root", root)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"error: {root}: no split has readable audio")
    assert "all 8 audio file(s) are unreadable" in err
    assert tree_digest(root) == before


def test_timit_info_warns_once_per_kind_of_label_fault_with_counts_and_places(run_cli, tmp_path: Path) -> None:
    root = _timit(tmp_path)
    phn = sorted(root.rglob("*.PHN"))
    phn[0].write_text(phn[0].read_text() + "12 h#\nnot a label line\n")  # its last two lines are malformed
    malformed_lines = len(phn[0].read_text().splitlines()) - 1, len(phn[0].read_text().splitlines())
    for path in phn[1:3]:
        lines = path.read_text().splitlines()
        lines[1] = lines[1].rsplit(" ", 1)[0] + " xx"
        path.write_text("\n".join(lines) + "\n")
    wrd = sorted(root.rglob("*.WRD"))[0]
    wrd.write_text("0 100\n" + wrd.read_text())
    code, out, err = run_cli("data", "info", "timit", "--data-root", root)
    assert code == 0, err
    warnings_printed = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warnings_printed) == 3, err
    malformed, unknown, bad_wrd = warnings_printed
    assert malformed.startswith("warning: 2 .PHN line(s) not of the form 'start_sample end_sample phone' in 1 "
                                "file(s) (training stops at the first): ")
    assert all(f"{phn[0]}:{line}" in malformed for line in malformed_lines)
    assert unknown.startswith("warning: 2 .PHN line(s) with a phone outside the 61-phone TIMIT set (xx) in 2 file(s)")
    assert f"{phn[1]}:2" in unknown and f"{phn[2]}:2" in unknown
    assert bad_wrd.startswith("warning: 1 .WRD line(s) not of the form") and f"{wrd}:1" in bad_wrd
    assert "speakers" in out and "utterances" in out and "segments" in out


def test_info_names_the_counts_in_each_dataset_s_words(run_cli, sprites_npy_root: Path, tmp_path: Path) -> None:
    code, out, err = run_cli("data", "info", "sprites", "--data-root", sprites_npy_root)
    assert code == 0, err
    assert re.search(r"\bsplit\W+clips\W+characters\W*$", out, re.MULTILINE), out
    code, out, err = run_cli("data", "info", "timit", "--data-root", _timit(tmp_path), "--json")
    assert code == 0, err
    info = json.loads(out)
    assert info["units"] == {"sequences": "segments", "identities": "speakers", "groups": "utterances"}
    assert set(info["splits"]["train"]) == {"sequences", "identities", "groups"}
