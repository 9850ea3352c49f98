"""Every TrainConfig field is checked (type and range) before a run folder is made."""

from __future__ import annotations

import dataclasses

import pytest

from cdsvae_eval.config import AUDIO_PRESETS, PRESETS, apply_overrides, preset_config
from cdsvae_eval.config_checks import CHECKED_ELSEWHERE, RULES, check_train_config, config_field_names
from cdsvae_eval.errors import FieldError


def test_every_config_field_has_a_rule_or_is_checked_elsewhere() -> None:
    covered = {rule.field for rule in RULES} | CHECKED_ELSEWHERE
    missing = [name for name in config_field_names() if name not in covered]
    assert not missing, f"add a row to config_checks.RULES (or CHECKED_ELSEWHERE) for {missing}"
    assert not covered - set(config_field_names()), "a rule names a field TrainConfig does not have"


@pytest.mark.parametrize("modality,names", [("video", PRESETS), ("audio", AUDIO_PRESETS)])
def test_every_preset_passes(modality: str, names: dict) -> None:
    for name in names:
        config = preset_config(name, modality)
        if config.dataset == "timit":  # a dataset you bring: the preset cannot know where it is
            config.dataset_options["data_root"] = "/data/TIMIT"
        check_train_config(config)


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("batch_size", "0", "batch_size must be >= 2"),
        ("batch_size", "1", "batch_size must be >= 2"),
        ("epochs", "0", "epochs must be >= 1, got 0"),
        ("lr", "-1", "lr must be a finite number > 0, got -1.0"),
        ("lr", "nan", "lr must be a finite number > 0"),
        ("seed", "-3", "seed must be >= 0"),
        ("device", "tpu", "device must be auto, cpu, cuda or cuda:N, got 'tpu'"),
        ("precision", "fp16", "precision must be one of auto, fp32, bf16"),
        ("checkpoint_every", "0", "checkpoint_every must be >= 1"),
        ("swap_eval_every", "0", "swap_eval_every must be >= 1"),
        ("swap_eval_pairs", "0", "swap_eval_pairs must be >= 1"),
        ("select_by", "best", "select_by must be one of swap, speaker-eer, loss"),
        ("model.static_dim", "0", "model.static_dim must be >= 1"),
        ("model.conv_channels", "8,0", "model.conv_channels must be a non-empty list"),
        ("loss.temperature", "0", "loss.temperature must be a finite number > 0"),
        ("loss.kl_static", "-1", "loss.kl_static must be a finite number >= 0"),
        ("loss.recon", "l2", "loss.recon must be one of mse, l1"),
        ("loss.contrastive_codes", "both", "loss.contrastive_codes must be one of mean, sample"),
        ("dataset_options.colour", "1", "dataset_options.colour is not an option of dataset 'flare-sprites'"),
    ],
)
def test_a_bad_value_names_its_field_and_what_it_accepts(field: str, value: str, message: str) -> None:
    config = apply_overrides(preset_config("smoke"), {field: value})
    with pytest.raises(FieldError, match=message.replace("(", r"\(").replace(".", r"\.")) as caught:
        check_train_config(config)
    assert caught.value.field == field and "\n" not in str(caught.value)


def test_values_of_the_wrong_type_from_python_are_refused() -> None:
    config = dataclasses.replace(preset_config("smoke"), batch_size="16")
    with pytest.raises(FieldError, match="batch_size must be an integer, got '16'"):
        check_train_config(config)
    config = dataclasses.replace(preset_config("smoke"), compile=1)
    with pytest.raises(FieldError, match="compile must be true or false, got 1"):
        check_train_config(config)
    config = preset_config("smoke")
    config.loss.temperature = 1  # an int where a float is expected is fine
    check_train_config(config)


def test_a_dataset_you_bring_needs_its_data_root() -> None:
    config = apply_overrides(preset_config("smoke"), {"dataset": "sprites"})
    config.dataset_options = {}
    with pytest.raises(FieldError, match="dataset_options.data_root is required by dataset 'sprites'"):
        check_train_config(config)


def test_the_trainer_checks_before_making_the_run_folder(tmp_path) -> None:
    from cdsvae_eval.training.trainer import Trainer

    for field, value in (("checkpoint_every", "0"), ("loss.temperature", "0"), ("batch_size", "0")):
        with pytest.raises(FieldError, match=field):
            Trainer(apply_overrides(preset_config("smoke"), {field: value}), tmp_path / "run", progress=False)
    assert not (tmp_path / "run").exists()
