"""Training on flare-sprites' long videos: the static positive is another window of the same video, found by video
membership alone; other videos (of the same character too) are the negatives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from cdsvae_eval.config import TrainConfig, apply_overrides, preset_config
from cdsvae_eval.data.flare_sprites import FlareSprites
from cdsvae_eval.data.flare_videos import VIDEO_TRAINING_SPLIT, WINDOW_START_EXTRA
from cdsvae_eval.training.trainer import Trainer
from cdsvae_eval.training.views import content_partners, negative_groups


def _smoke_video_config(**overrides: str) -> TrainConfig:
    """The smoke budget with the self-supervised video preset's objective and data setting."""
    config = preset_config("smoke")
    preset = preset_config("quick-self")
    config.loss = preset.loss
    config.dataset_options.update({key: value for key, value in preset.dataset_options.items() if key != "resolution"})
    return apply_overrides(config, overrides)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> FlareSprites:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CDSVAE_EVAL_CACHE", str(tmp_path_factory.mktemp("cache")))
        data = FlareSprites(resolution=16, max_characters=24, videos=2)
        data.split(VIDEO_TRAINING_SPLIT)
        yield data


def test_partners_are_windows_of_the_same_video_that_do_not_overlap(dataset: FlareSprites) -> None:
    windows = dataset.split(VIDEO_TRAINING_SPLIT)
    partners = content_partners("utterance", windows, dataset, torch.device("cpu"))
    rows = torch.arange(len(windows)).repeat(20)
    drawn = partners.draw(rows, torch.Generator().manual_seed(0)).numpy()
    rows = rows.numpy()
    assert (windows.groups[drawn] == windows.groups[rows]).all(), "a window was paired across videos"
    start = windows.extras[WINDOW_START_EXTRA]
    assert (np.abs(start[drawn] - start[rows]) >= 8).all(), "a window was paired with one it overlaps"


def test_the_video_view_never_reads_labels_or_identities(dataset: FlareSprites) -> None:
    windows = dataset.split(VIDEO_TRAINING_SPLIT)
    scrambled = windows.subset(np.arange(len(windows)))
    scrambled.identity = np.random.default_rng(0).permutation(windows.identity)
    scrambled.labels = {"motion": np.zeros(len(windows), dtype=np.int64)}
    rows = torch.arange(len(windows))
    draws = [content_partners("utterance", part, dataset, torch.device("cpu")).draw(
        rows, torch.Generator().manual_seed(3)) for part in (windows, scrambled)]
    assert torch.equal(draws[0], draws[1])
    groups = [negative_groups("other-utterances", part, torch.device("cpu")) for part in (windows, scrambled)]
    assert torch.equal(groups[0], groups[1])


def test_other_videos_of_the_same_character_stay_negatives(dataset: FlareSprites) -> None:
    windows = dataset.split(VIDEO_TRAINING_SPLIT)
    groups = negative_groups("other-utterances", windows, torch.device("cpu")).numpy()
    character = windows.identity[0]
    own = np.flatnonzero(windows.identity == character)
    assert len(np.unique(groups[own])) == 2, "a character's two videos must be two groups"


def test_the_trainer_fits_the_windows_and_validates_on_clips(dataset: FlareSprites, tmp_path: Path) -> None:
    config = _smoke_video_config(epochs="1")
    trainer = Trainer(config, tmp_path / "run", progress=False)
    assert trainer.train_split.name == VIDEO_TRAINING_SPLIT
    assert len(trainer.train_x) == len(dataset.split(VIDEO_TRAINING_SPLIT))
    assert trainer.val_split.name == "val"
    summary = trainer.fit()
    assert summary.epochs_done == 1
    assert "swap_motion_acc" in summary.final_val


def _weights_after_steps(config, run_dir: Path, steps: int = 3) -> dict[str, torch.Tensor]:
    trainer = Trainer(config, run_dir, progress=False)
    order = trainer._epoch_order(0)
    for step in range(steps):
        clips = order[step * config.batch_size:(step + 1) * config.batch_size]
        trainer.train_step(trainer.train_x[clips].float() / 255, clips, epochs_done=step / trainer.steps_per_epoch)
    return {name: value.clone() for name, value in trainer.model.state_dict().items()}


def test_training_on_videos_reads_no_character_label(dataset: FlareSprites, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    config = _smoke_video_config()
    honest = _weights_after_steps(config, tmp_path / "honest")
    original = FlareSprites._video_windows

    def scrambled(self: FlareSprites):
        windows = original(self)
        windows.identity = np.random.default_rng(1).permutation(windows.identity)
        return windows

    monkeypatch.setattr(FlareSprites, "_video_windows", scrambled)
    blind = _weights_after_steps(config, tmp_path / "blind")
    for name, value in honest.items():
        torch.testing.assert_close(blind[name], value, msg=f"{name} depends on the windows' characters")
