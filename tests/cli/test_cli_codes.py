"""``cdsvae-eval codes extract``: an existing code file is kept unless --force is given; ``codes info`` counts
identities in their dataset's words."""

from __future__ import annotations

from pathlib import Path

from cdsvae_eval.codes import load_codes


def test_extract_keeps_an_existing_code_file_unless_forced(run_cli, untrained_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "codes.npz"
    out.write_bytes(b"my earlier codes")
    code, stdout, err = run_cli("codes", "extract", "--checkpoint", untrained_run, "--out", out, "--device", "cpu")
    assert code == 2 and stdout == ""
    assert err.count("\n") == 1 and str(out) in err and "--force" in err
    assert out.read_bytes() == b"my earlier codes"

    code, stdout, err = run_cli("codes", "extract", "--checkpoint", untrained_run, "--out", out, "--device", "cpu",
                                "--force")
    assert code == 0, err
    assert len(load_codes(out)) > 0 and f"wrote {out}" in " ".join(stdout.split())


def test_codes_info_counts_identities_in_the_dataset_s_words(run_cli, untrained_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "codes.npz"
    assert run_cli("codes", "extract", "--checkpoint", untrained_run, "--out", out, "--device", "cpu")[0] == 0
    characters = len(set(load_codes(out).identity.tolist()))
    code, stdout, err = run_cli("codes", "info", out)
    assert code == 0, err
    assert f"{characters} characters" in stdout


def test_codes_info_lists_the_per_frame_labels(run_cli, tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "report"))
    from fake_run import speech_codes

    from cdsvae_eval.codes import save_codes

    codes = speech_codes()
    save_codes(codes, tmp_path / "speech.npz")
    code, stdout, err = run_cli("codes", "info", tmp_path / "speech.npz")
    assert code == 0, err
    assert "frame_y_phone" in stdout and str(tuple(codes.frame_labels["phone"].shape)) in stdout
