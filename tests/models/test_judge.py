from pathlib import Path

import numpy as np
import pytest
import torch

from cdsvae_eval.data.registry import get_dataset
from cdsvae_eval.errors import CheckpointError, ConfigError, DataError
from cdsvae_eval.models.judge import Judge, JudgeConfig, judge_accuracy, judged_factors, load_judge
from cdsvae_eval.provenance import sha256_file
from cdsvae_eval.training.judge_training import default_judge_path, judge_dataset_options, train_judge

TINY = {"resolution": 16, "max_characters": 24}
TINY_CONFIG = JudgeConfig(epochs=10, batch_size=16, seed=0)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A judge trained for 10 short epochs on 17 characters at 16 px (about 2 s)."""
    folder = tmp_path_factory.mktemp("judge")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CDSVAE_EVAL_CACHE", str(folder / "cache"))
        report = train_judge("flare-sprites", TINY, folder / "judge.pt", TINY_CONFIG, device="cpu")
    return report


def test_a_short_training_beats_chance_on_motion(trained):
    chance = trained.chance["motion"]
    assert chance == pytest.approx(1 / 9)
    assert trained.test_accuracy["motion"] > chance + 0.3
    assert set(trained.test_accuracy) == {"motion", "head", "chest", "legs", "hands_feet"}
    assert 1 <= trained.best_epoch <= TINY_CONFIG.epochs
    best_val = trained.history[trained.best_epoch - 1]["val_accuracy"]
    assert best_val == trained.val_accuracy
    assert max(np.mean(list(h["val_accuracy"].values())) for h in trained.history) == pytest.approx(
        np.mean(list(best_val.values())))


def test_the_saved_judge_round_trips_with_its_sha256(trained):
    loaded = load_judge(trained.path)
    assert loaded.sha256 == sha256_file(trained.path) == trained.sha256
    assert loaded.info.test_accuracy == trained.test_accuracy
    assert loaded.info.dataset == "flare-sprites" and loaded.info.dataset_options == TINY
    dataset = get_dataset("flare-sprites", **TINY)
    assert loaded.info.dataset_fingerprint == dataset.fingerprint()
    assert not loaded.judge.training
    assert judge_accuracy(loaded.judge, dataset.split("test")) == trained.test_accuracy
    assert loaded.judge.config.conv_channels == (16, 32) and loaded.judge.config.image_size == 16


def test_training_is_deterministic_for_a_seed(trained, tmp_path):
    again = train_judge("flare-sprites", TINY, tmp_path / "again.pt", TINY_CONFIG, device="cpu")
    assert again.test_accuracy == trained.test_accuracy
    assert again.best_epoch == trained.best_epoch


def test_an_existing_judge_file_is_kept_without_force(trained):
    before = sha256_file(trained.path)
    with pytest.raises(ConfigError, match="already exists; pass force=True"):
        train_judge("flare-sprites", TINY, trained.path, TINY_CONFIG, device="cpu")
    assert sha256_file(trained.path) == before


def test_probabilities_are_a_softmax_per_factor_and_uint8_equals_float():
    dataset = get_dataset("flare-sprites", **TINY)
    config = JudgeConfig().resolve(16, 3)
    torch.manual_seed(0)
    judge = Judge(config, judged_factors(dataset)).eval()
    clips = torch.as_tensor(dataset.split("val").x[:4])
    probs = judge.probabilities(clips)
    assert probs["motion"].shape == (4, 9) and probs["head"].shape == (4, 6)
    assert torch.allclose(probs["motion"].sum(-1), torch.ones(4))
    assert torch.allclose(judge.probabilities(clips.float() / 255.0)["legs"], probs["legs"])


def test_sizes_follow_the_frames_and_bad_sizes_are_refused():
    assert JudgeConfig().resolve(32, 3).conv_channels == (16, 32, 64)
    assert JudgeConfig().resolve(64, 3).conv_channels == (16, 32, 64, 128)
    with pytest.raises(ConfigError, match="does not match"):
        JudgeConfig(image_size=32).resolve(16, 3)
    with pytest.raises(ConfigError, match="power-of-two"):
        JudgeConfig().resolve(24, 3)


def test_a_dataset_without_motion_is_refused():
    class NoMotion:
        name, modality = "fake", "video"
        dynamic_factors = ()

    with pytest.raises(DataError, match="no dynamic factor 'motion'"):
        judged_factors(NoMotion())


def test_unreadable_or_foreign_files_are_one_line_checkpoint_errors(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_judge(tmp_path / "missing.pt")
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a torch file")
    with pytest.raises(CheckpointError) as error:
        load_judge(garbage)
    assert "\n" not in str(error.value)
    foreign = tmp_path / "foreign.pt"
    torch.save({"format": "something-else"}, foreign)
    with pytest.raises(CheckpointError, match="not a cdsvae-eval judge"):
        load_judge(foreign)


def test_default_options_and_paths():
    options = judge_dataset_options("flare-sprites", resolution=None, max_characters=None, data_root=None)
    assert options == {"resolution": 32}
    assert default_judge_path("flare-sprites", options) == Path("judges/flare-sprites-32.pt")
    assert judge_dataset_options("sprites", data_root="/d") == {"data_root": "/d"}


def test_cli_info_prints_accuracies_and_sha256_and_train_refuses_to_overwrite(trained, run_cli):
    code, out, _ = run_cli("judge", "info", trained.path)
    assert code == 0
    assert trained.sha256 in out and "hands_feet" in out and f"{trained.test_accuracy['motion']:.4f}" in out
    code, _, err = run_cli("judge", "train", "--resolution", "16", "--max-characters", "24", "--out", trained.path)
    assert code == 2
    assert err.count("\n") == 1 and "already exists" in err
