"""``cdsvae-eval sample``: the video swap grid, the audio speaker/content swap, and the pieces behind the audio one."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch
from PIL import Image
from torch import nn

from cdsvae_eval.config import preset_config
from cdsvae_eval.data.features import FEATURE_SPECS, FeatureExtractor, segment
from formant_synth import write_formant_timit
from cdsvae_eval.data.timit import TimitSegments
from cdsvae_eval.errors import DataError
from cdsvae_eval.models.utterance_swap import SWAP_OUTPUTS, overlap_add, swap_utterances
from cdsvae_eval.training.trainer import train


@pytest.fixture(scope="module")
def timit_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A formant-synthesised TIMIT tree: 4 TRAIN speakers; TEST holds the 24 core and 2 dev speakers."""
    return write_formant_timit(tmp_path_factory.mktemp("timit") / "TIMIT", speakers_per_split={"TRAIN": 4, "TEST": 2},
                               sentences=2, core=True)


def _train_smoke(tmp_path_factory: pytest.TempPathFactory, modality: str, **config_values: object) -> Path:
    config = preset_config("smoke", modality)
    for key, value in {"epochs": 1, "device": "cpu", **config_values}.items():
        setattr(config, key, value)
    run_dir = tmp_path_factory.mktemp(f"{modality}-run") / "run"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CDSVAE_EVAL_CACHE", str(tmp_path_factory.mktemp("train-cache")))
        train(config, run_dir, progress=False)
    return run_dir


@pytest.fixture(scope="module")
def audio_run(tmp_path_factory: pytest.TempPathFactory, timit_root: Path) -> Path:
    return _train_smoke(tmp_path_factory, "audio", dataset="timit", dataset_options={"data_root": str(timit_root)})


@pytest.fixture(scope="module")
def video_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _train_smoke(tmp_path_factory, "video")


# --- overlap-add and the swap ------------------------------------------------------------------


@pytest.mark.parametrize("hop", [10, 7, 20, 3])
def test_overlap_add_of_segments_gives_back_the_covered_frames_exactly(hop: int) -> None:
    features = np.random.default_rng(hop).normal(size=(97, 5)).astype(np.float32)
    segments = segment(features, frames=20, hop=hop)
    joined = overlap_add(segments, hop)
    covered = (len(segments) - 1) * hop + 20
    assert joined.dtype == np.float32
    np.testing.assert_array_equal(joined, features[:covered])


def test_overlap_add_averages_where_segments_overlap_and_refuses_gaps() -> None:
    segments = np.stack([np.zeros((4, 1)), np.ones((4, 1))]).astype(np.float32)
    np.testing.assert_array_equal(overlap_add(segments, 2)[:, 0], [0, 0, 0.5, 0.5, 1, 1])
    with pytest.raises(ValueError, match="hop 5"):
        overlap_add(segments, 5)


class FrameStatsModel(nn.Module):
    """Stands in for C-DSVAE with a transparent code: s = a segment's mean frame, z = its frames,
    decode(s, z) = z + s. Whatever static code a swap decodes shows up as an offset on the frames."""

    def __init__(self) -> None:
        super().__init__()
        self.anchor = nn.Parameter(torch.zeros(1))

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return x.mean(1), x

    def decode(self, s: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return z + s[:, None, :]


def test_swap_utterances_decodes_one_utterance_speaker_code_with_the_other_utterances_content() -> None:
    rng = np.random.default_rng(0)
    frames_a = rng.normal(size=(64, 3)).astype(np.float32)
    frames_b = rng.normal(size=(45, 3)).astype(np.float32) + 5.0
    segments_a, segments_b = segment(frames_a, 20, 10), segment(frames_b, 20, 10)
    model = FrameStatsModel().train()
    result = swap_utterances(model, segments_a, segments_b, hop=10)
    assert model.training, "the model's training mode must be restored"
    assert set(result) == set(SWAP_OUTPUTS)
    speaker_a, speaker_b = segments_a.mean(1).mean(0), segments_b.mean(1).mean(0)
    covered_a, covered_b = frames_a[:60], frames_b[:40]
    np.testing.assert_array_equal(result["a_original"], covered_a)
    np.testing.assert_array_equal(result["b_original"], covered_b)
    np.testing.assert_allclose(result["a_recon"], covered_a + speaker_a, atol=1e-5)
    np.testing.assert_allclose(result["b_recon"], covered_b + speaker_b, atol=1e-5)
    np.testing.assert_allclose(result["a_speaker_b_content"], covered_b + speaker_a, atol=1e-5)
    np.testing.assert_allclose(result["b_speaker_a_content"], covered_a + speaker_b, atol=1e-5)


def test_timit_segments_expose_the_statistics_and_spec_their_features_were_made_with(timit_root: Path) -> None:
    dataset = TimitSegments(timit_root)
    mean, std = dataset.feature_stats
    assert dataset.feature_spec == FEATURE_SPECS["logmel80"] and dataset.sample_rate == 16000
    part = dataset.split("test")
    utterance = next(u for u in dataset.corpus.utterances if u.id == part.groups[0])
    raw = FeatureExtractor("logmel80")(dataset.corpus.read_audio(utterance))
    np.testing.assert_allclose(part.x[0] * std + mean, raw[:20], atol=1e-3)


# --- the audio branch ------------------------------------------------------------------------


def _utterance_durations(root: Path) -> dict[str, float]:
    return {f"{wav.parent.name}/{wav.stem}": soundfile.info(str(wav)).duration for wav in root.glob("*/DR*/*/*.WAV")}


def test_sample_on_an_audio_run_writes_six_wavs_spectrograms_and_a_readme(
    run_cli, audio_run: Path, timit_root: Path, tmp_path: Path
) -> None:
    out = tmp_path / "swap"
    code, stdout, err = run_cli("sample", "--checkpoint", audio_run, "--out", out, "--seed", 1,
                                "--device", "cpu")
    assert code == 0, err
    utt_a, utt_b = re.search(r"A: (\S+)\s+B: (\S+)", stdout).groups()
    assert utt_a.split("/")[0] != utt_b.split("/")[0]
    source = _utterance_durations(timit_root)
    content_of = {name: utt_a if name in ("a_original", "a_recon", "b_speaker_a_content") else utt_b
                  for name in SWAP_OUTPUTS}
    for name in SWAP_OUTPUTS:
        audio, rate = soundfile.read(out / f"{name}.wav", dtype="float32")
        assert rate == 16000
        assert soundfile.info(str(out / f"{name}.wav")).subtype == "PCM_16"
        assert np.sqrt(np.mean(audio**2)) > 1e-3, f"{name}.wav is silent"
        assert len(audio) / rate == pytest.approx(source[content_of[name]], rel=0.2), name
        with Image.open(out / f"{name}.png") as image:
            assert image.format == "PNG" and image.width > 200
    printed = stdout.replace("\n", "")
    assert all(str(path) in printed for path in sorted(out.iterdir())), "every file written is named"
    readme = (out / "README.txt").read_text()
    assert f"utterance {utt_a}, speaker {utt_a.split('/')[0]}" in readme and f"utterance {utt_b}" in readme
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{n}.wav" for n in SWAP_OUTPUTS] + [f"{n}.png" for n in SWAP_OUTPUTS] + ["README.txt"]
    )
    _assert_originals_invert_the_real_features(out, timit_root, utt_a, utt_b)


def test_sample_plays_the_first_pair_the_speech_swap_task_scores_and_the_page_plays(
    run_cli, audio_run: Path, tmp_path: Path
) -> None:
    from cdsvae_eval.evaluate import inputs_from_checkpoint, run_task
    from cdsvae_eval.tasks.speech_swap import LISTENING_FILE, read_listening_pairs

    code, stdout, err = run_cli("sample", "--checkpoint", audio_run, "--out", tmp_path / "swap", "--seed", 2,
                                "--device", "cpu")
    assert code == 0, err
    sampled = re.search(r"A: (\S+)\s+B: (\S+)", stdout).groups()
    run_task("speech-swap", inputs_from_checkpoint(audio_run, "cpu"), {"pairs": 4, "listen": 2, "n_boot": 0}, seed=2,
             out_dir=tmp_path / "probes")
    first = read_listening_pairs(tmp_path / "probes" / LISTENING_FILE).pairs[0]
    assert (first.utterance_a, first.utterance_b) == sampled


def _assert_originals_invert_the_real_features(out: Path, root: Path, utt_a: str, utt_b: str) -> None:
    """Griffin-Lim of the real features, re-analysed, must give those features back (a wrong mel scale,
    log offset or denormalisation puts the error near the features' variance, about 1)."""
    dataset = TimitSegments(root)
    _, std = dataset.feature_stats
    extractor = FeatureExtractor("logmel80")
    utterances = {u.id: u for u in dataset.corpus.utterances}
    for name, utterance in (("a_original", utt_a), ("b_original", utt_b)):
        real = extractor(dataset.corpus.read_audio(utterances[utterance]))
        audio, _ = soundfile.read(out / f"{name}.wav", dtype="float32")
        again = extractor(audio)
        error = np.mean(((again - real[: len(again)]) / std) ** 2)
        assert error < 0.1, f"{name}.wav does not reproduce {utterance}'s features (normalised MSE {error:.3f})"


def test_sample_refuses_a_non_empty_audio_folder_unless_forced(
    run_cli, audio_run: Path, tmp_path: Path
) -> None:
    out = tmp_path / "swap"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    code, _, err = run_cli("sample", "--checkpoint", audio_run, "--out", out, "--device", "cpu")
    assert code == 2
    assert err.count("\n") == 1 and "--out" in err and "--force" in err
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    code, _, err = run_cli("sample", "--checkpoint", audio_run, "--out", out, "--device", "cpu", "--force")
    assert code == 0, err
    assert (out / "a_speaker_b_content.wav").is_file() and (out / "notes.txt").read_text() == "mine"


def test_sample_on_an_audio_run_refuses_a_file_as_out(
    run_cli, audio_run: Path, tmp_path: Path
) -> None:
    out = tmp_path / "swap.png"
    out.write_bytes(b"")
    code, _, err = run_cli("sample", "--checkpoint", audio_run, "--out", out, "--device", "cpu", "--force")
    assert code == 2 and err.count("\n") == 1 and "is a file" in err


# --- the video branch ------------------------------------------------------------------------


def test_sample_on_a_video_run_writes_a_swap_grid_png(
    run_cli, video_run: Path, tmp_path: Path
) -> None:
    out = tmp_path / "grid.png"
    code, stdout, err = run_cli("sample", "--checkpoint", video_run, "--out", out, "--count", 3,
                                "--device", "cpu")
    assert code == 0, err
    assert "3x3 swap grid, with the true clips" in stdout.replace("\n", " ")
    side = 16 * 3  # smoke frames are 16 px, drawn 3x; a cell holds 8 frames as 4 x 2
    rows, columns = 1 + 2 * 3, 2 + 3  # z_1:T sources, then a swap row and a true-clip row per clip
    content_width, content_height = columns * 4 * side + (columns + 1) * 2, rows * 2 * side + (rows + 1) * 2
    with Image.open(out) as image:
        assert image.format == "PNG"
        assert 0 < image.width - content_width < 200, "row labels take the rest of the width"
        assert 0 < image.height - content_height < 60, "the title and column labels take the rest of the height"
        assert 1.0 < image.width / image.height < 1.7
        pixels = np.asarray(image.convert("RGB"))

    def cell(row: int, column: int) -> np.ndarray:
        top = image.height - content_height + 2 + row * (2 * side + 2)
        left = image.width - content_width + 2 + column * (4 * side + 2)
        return pixels[top : top + 2 * side, left : left + 4 * side]

    assert (cell(2, 3) != cell(2, 2)).any(), "the true clips differ by motion"
    assert (cell(2, 0) == cell(0, 0)).all(), "no true clip under the source column"


def test_sample_refuses_an_existing_out_file_with_one_line(
    run_cli, video_run: Path, tmp_path: Path
) -> None:
    out = tmp_path / "grid.png"
    out.write_bytes(b"keep")
    code, _, err = run_cli("sample", "--checkpoint", video_run, "--out", out)
    assert code == 2 and err.count("\n") == 1 and str(out) in err and "--force" in err
    assert out.read_bytes() == b"keep"


def test_sample_on_a_video_run_refuses_an_empty_folder_as_out(
    run_cli, video_run: Path, tmp_path: Path
) -> None:
    code, _, err = run_cli("sample", "--checkpoint", video_run, "--out", tmp_path, "--device", "cpu")
    assert code == 2 and err.count("\n") == 1 and "PNG file" in err
