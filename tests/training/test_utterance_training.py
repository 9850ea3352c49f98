"""Training with batches of utterance blocks and the utterance-level options (same-utterance dynamic negatives,
the Fisher penalty, the adversarial critic): checked before a run starts, resumed exactly, and the validation
LDA leakage of mean z_1:T."""

import contextlib

import numpy as np
import pytest
import torch

from cdsvae_eval.config import apply_overrides, preset_config
from cdsvae_eval.config_checks import check_train_config
from cdsvae_eval.data.base import SequenceSplit
from cdsvae_eval.errors import FieldError
from cdsvae_eval.training.trainer import Trainer, train
from cdsvae_eval.training.validation import validation_speaker_eer
from formant_synth import write_formant_timit
from test_trainer import InterruptingTrainer

UTTERANCE_OPTIONS = {"segments_per_utterance": 4, "loss.content_view": "utterance",
                     "loss.static_negatives": "other-utterances", "loss.dynamic_negatives": "same-utterance",
                     "loss.utterance_fisher": 1.0, "loss.utterance_offset": 1.0, "loss.utterance_critic": 1.0,
                     "loss.code_critic": 1.0}


@pytest.fixture(scope="module")
def timit_tree(tmp_path_factory):
    return write_formant_timit(tmp_path_factory.mktemp("timit") / "TIMIT", speakers_per_split={"TRAIN": 4, "TEST": 2},
                               sentences=3, core=True)


def audio_config(root, **overrides):
    config = preset_config("smoke", "audio")
    config.dataset = "timit"
    config.dataset_options = {"data_root": str(root)}
    return apply_overrides(config, {"epochs": 2, "batch_size": 16, "device": "cpu", "swap_eval_every": 1,
                                    **UTTERANCE_OPTIONS, **overrides})


@pytest.mark.parametrize("option", ["loss.dynamic_negatives", "loss.utterance_fisher", "loss.utterance_offset",
                                    "loss.utterance_critic"])
def test_utterance_options_without_blocks_are_refused_naming_the_field(option):
    config = preset_config("smoke", "audio")
    value = "same-utterance" if option == "loss.dynamic_negatives" else 1.0
    with pytest.raises(FieldError, match="^segments_per_utterance must be >= 2 when any of loss.dynamic_negatives"):
        check_train_config(apply_overrides(config, {option: value}))


def test_blocks_must_fill_the_batch():
    config = apply_overrides(preset_config("smoke", "audio"), {"segments_per_utterance": 5})
    with pytest.raises(FieldError, match=r"^segments_per_utterance must divide batch_size \(32\), got 5"):
        check_train_config(config)


def test_a_run_with_utterance_blocks_and_the_critic_resumes_exactly(timit_tree, tmp_path):
    config = audio_config(timit_tree)
    reference = train(config, tmp_path / "straight", progress=False)
    assert all(r["train"][term] > 0 for r in reference.history
               for term in ("utterance_critic", "code_critic", "utterance_fisher", "utterance_offset"))
    interrupted = InterruptingTrainer(config, tmp_path / "resumed", progress=False)
    interrupted.stop_after = interrupted.steps_per_epoch + 1
    assert interrupted.fit().interrupted
    train(config, tmp_path / "resumed", resume=True, progress=False)
    straight = torch.load(tmp_path / "straight" / "last.pt", weights_only=False)
    again = torch.load(tmp_path / "resumed" / "last.pt", weights_only=False)
    assert {name.split(".")[0] for name in straight["critic_state"]} == {"utterance_critic", "code_critic"}
    for part in ("model_state", "critic_state", "offset_state"):
        for name, tensor in straight[part].items():
            torch.testing.assert_close(again[part][name], tensor, rtol=1e-5, atol=1e-6)


def test_batches_of_a_blocked_run_hold_whole_blocks_of_one_utterance(timit_tree, tmp_path):
    trainer = Trainer(audio_config(timit_tree), tmp_path / "run", progress=False)
    order = trainer._epoch_order(0)
    utterances = trainer.utterances["train"][order].view(-1, 4)
    assert (utterances == utterances[:, :1]).all()
    assert trainer.steps_per_epoch == trainer.blocks.rows_per_epoch // 16


class PlantedCodes(torch.nn.Module):
    """Stands in for a model. Each row of z_1:T holds frame noise and its utterance's content (large, in 5
    dimensions) and its speaker (small, in 3 other dimensions where nothing else varies much): cosine is
    dominated by the content, a linear map fitted on the training speakers finds the speaker."""

    def __init__(self, speaker_of_row: np.ndarray, utterance_of_row: np.ndarray):
        super().__init__()
        rng = np.random.default_rng(0)
        rows, frames = len(speaker_of_row), 5
        speaker_direction = rng.normal(size=(speaker_of_row.max() + 1, 3))
        content = rng.normal(size=(utterance_of_row.max() + 1, 5))
        z = np.concatenate([0.05 * speaker_direction[speaker_of_row][:, None] + 0.01 * rng.normal(size=(rows, frames, 3)),
                            content[utterance_of_row][:, None] + rng.normal(size=(rows, frames, 5))], axis=2)
        self.z = torch.as_tensor(z, dtype=torch.float32)
        self.s = torch.as_tensor(rng.normal(size=(rows, 4)), dtype=torch.float32)

    def encode_posterior(self, batch):
        rows = batch[:, 0, 0].long()
        return self.s[rows], torch.zeros_like(self.s[rows]), self.z[rows], torch.zeros_like(self.z[rows])


def _split(name: str, speakers: int, first_speaker: int, first_row: int) -> SequenceSplit:
    utterances, segments = 4, 6
    rows = speakers * utterances * segments
    x = np.zeros((rows, 5, 1), np.float32)
    x[:, 0, 0] = first_row + np.arange(rows)
    identity = first_speaker + np.repeat(np.arange(speakers), utterances * segments)
    utterance = np.repeat(np.arange(speakers * utterances), segments)
    return SequenceSplit(name, x, {}, identity, groups=np.char.add(f"{name}-", utterance.astype(str)))


def test_validation_lda_leakage_finds_a_speaker_that_cosine_misses():
    train_split = _split("train", 12, 0, 0)
    val_split = _split("dev", 6, 12, len(train_split.x))
    speaker = np.concatenate([train_split.identity, val_split.identity])
    utterance = np.unique(np.concatenate([train_split.groups, val_split.groups]), return_inverse=True)[1]

    class Dataset:
        identity_name = "speaker"

    figures = validation_speaker_eer(PlantedCodes(speaker, utterance), torch.as_tensor(val_split.x), val_split,
                                     Dataset(), 32, contextlib.nullcontext, torch.as_tensor(train_split.x), train_split)
    assert figures.values["eer_dynamic"] > 30.0
    assert figures.values["eer_dynamic_lda"] < 10.0
    without_training_split = validation_speaker_eer(PlantedCodes(speaker, utterance), torch.as_tensor(val_split.x),
                                                    val_split, Dataset(), 32, contextlib.nullcontext)
    assert "eer_dynamic_lda" not in without_training_split.values
