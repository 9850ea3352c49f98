import numpy as np
import soundfile

from formant_synth import write_formant_timit
from cdsvae_eval.data.features import fold_phone


def test_sphere_round_trip_is_exact(tmp_path):
    samples = np.random.default_rng(0).integers(-30000, 30000, 5000).astype(np.int16)
    path = tmp_path / "X.WAV"
    soundfile.write(str(path), samples, 16000, format="NIST", subtype="PCM_16")
    assert path.read_bytes()[:7] == b"NIST_1A"
    back, rate = soundfile.read(str(path), dtype="int16")
    assert rate == 16000 and np.array_equal(back, samples)


def test_layout_and_alignment_files(tmp_path):
    root = write_formant_timit(tmp_path / "t", sentences=2, sa=True)
    wavs = sorted(root.glob("*/DR*/*/*.WAV"))
    assert len(wavs) == (4 + 3) * 4
    assert (root / "DOC" / "SPKRINFO.TXT").is_file()
    for wav in wavs:
        assert wav.read_bytes()[:7] == b"NIST_1A"
        frames = soundfile.info(str(wav)).frames
        rows = [line.split() for line in wav.with_suffix(".PHN").read_text().splitlines()]
        assert rows[0][2] == "h#" and rows[-1][2] == "h#" and int(rows[0][0]) == 0
        assert int(rows[-1][1]) == frames
        assert all(int(a[1]) == int(b[0]) for a, b in zip(rows, rows[1:]))
        assert all(fold_phone(r[2]) for r in rows)
        words = [line.split() for line in wav.with_suffix(".WRD").read_text().splitlines()]
        assert all(0 <= int(w[0]) < int(w[1]) <= frames for w in words)
        assert wav.with_suffix(".TXT").read_text().startswith(f"0 {frames} ")


def test_same_seed_same_bytes_and_speakers_differ(tmp_path):
    a = write_formant_timit(tmp_path / "a", sentences=1, seed=5)
    b = write_formant_timit(tmp_path / "b", sentences=1, seed=5)
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files_a == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files_a)
    c = write_formant_timit(tmp_path / "c", sentences=1, seed=6)
    assert sorted(p.name for p in c.glob("TRAIN/*/*")) != sorted(p.name for p in a.glob("TRAIN/*/*"))
