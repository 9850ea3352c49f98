import os
import shutil

import pytest

from cdsvae_eval.data.synth_speech import available_voices


def test_refuses_a_non_empty_folder(tmp_path, run_cli):
    (tmp_path / "keep.txt").write_text("x")
    code, _, err = run_cli("data", "synth-speech", "--out", tmp_path, "--speakers", "2", "--sentences", "1")
    assert code == 2
    err = err.strip()
    assert len(err.splitlines()) == 1 and str(tmp_path) in err and "--force" in err
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


@pytest.mark.skipif(
    not (shutil.which("espeak-ng") and shutil.which("mbrola") and available_voices()) and os.environ.get("CI") != "true",
    reason="espeak-ng + mbrola are not installed; CI installs them and runs this test",
)
def test_writes_a_corpus_and_reports_engines(tmp_path, run_cli):
    out = tmp_path / "corpus"
    code, printed, err = run_cli("data", "synth-speech", "--out", out, "--speakers", "2", "--sentences", "1", "--seed", "3")
    assert code == 0, err
    printed = " ".join(printed.split())
    assert "2 utterances" in printed and "engines: " in printed and "test voices (1)" in printed
    assert "speakers: 1 train, 0 dev, 1 test" in printed
    assert len(list(out.rglob("*.WAV"))) == 2 and (out / "DOC" / "VOICES.TXT").is_file()
