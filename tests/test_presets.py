"""The baseline presets of `compare` differ from the C-DSVAE preset of their budget only in the objective."""

from __future__ import annotations

import dataclasses

import pytest

from cdsvae_eval.config import preset_config

DROPPED_TERMS = {"mi": 0.0, "contrastive_static": 0.0, "contrastive_dynamic": 0.0}


@pytest.mark.parametrize("baseline, cdsvae", [("dsvae", "quick-cdsvae"), ("smoke-dsvae", "smoke")])
def test_dsvae_presets_are_cdsvae_without_contrastive_and_mi_terms(baseline: str, cdsvae: str) -> None:
    ours, theirs = preset_config(baseline).to_dict(), preset_config(cdsvae).to_dict()
    ours_loss, theirs_loss = ours.pop("loss"), theirs.pop("loss")
    assert {**ours, "preset": cdsvae} == theirs
    changed = {key: value for key, value in ours_loss.items() if theirs_loss[key] != value}
    assert changed == DROPPED_TERMS
    assert dataclasses.asdict(preset_config(cdsvae).loss)["mi"] > 0


def test_the_speech_presets_spell_out_their_corpus_and_the_recipe_uses_no_speaker_labels() -> None:
    quick, cdsvae = preset_config("quick", "audio"), preset_config("quick-cdsvae", "audio")
    for preset in (quick, cdsvae):
        assert preset.dataset == "tts-timit" and preset.select_by == "speaker-eer"
        assert set(preset.dataset_options) >= {"train_speakers", "dev_speakers", "test_speakers"}
    assert quick.loss.content_view == "utterance" and quick.loss.static_negatives == "other-utterances"
    ours, theirs = quick.to_dict(), cdsvae.to_dict()
    assert {**ours, "preset": "quick-cdsvae", "loss": theirs["loss"]} == theirs
    assert theirs["loss"]["content_view"] == "shuffle" and theirs["loss"]["static_negatives"] == "all"
    quick.dataset_options["train_speakers"] = 1
    assert preset_config("quick", "audio").dataset_options["train_speakers"] == 96  # presets are copied


def test_the_speech_preset_trains_on_the_corpus_tts_timit_builds_by_default() -> None:
    import inspect

    from cdsvae_eval.data.tts_timit import TtsTimit

    defaults = {name: parameter.default for name, parameter in inspect.signature(TtsTimit).parameters.items()}
    for name, value in preset_config("quick", "audio").dataset_options.items():
        assert defaults[name] == value, f"the quick preset's {name} differs from tts-timit's default: change both"


def test_the_self_supervised_video_preset_is_the_paired_recipe_with_positives_by_video() -> None:
    self_supervised, paired = preset_config("quick-self").to_dict(), preset_config("quick").to_dict()
    changed_loss = {key: value for key, value in self_supervised["loss"].items() if paired["loss"][key] != value}
    assert changed_loss == {"content_view": "utterance", "static_negatives": "other-utterances"}
    assert self_supervised["dataset_options"]["videos"] >= 2, "a character must appear in more than one video"
    changed = {key for key, value in self_supervised.items() if paired[key] != value}
    assert changed == {"preset", "loss", "dataset_options", "epochs", "swap_eval_every"}
