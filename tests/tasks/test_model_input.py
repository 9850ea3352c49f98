"""The model's input as a probe view (``classify``, ``frame-probe``): aligned row by row and frame by frame with the
codes, scored by the same probes and draws, and skipped with a note where it cannot be had."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from cdsvae_eval.codes import CodeSet, extract_codes
from cdsvae_eval.tasks.base import TaskInputs
from cdsvae_eval.tasks.classify import Classify, ClassifyOptions
from cdsvae_eval.tasks.frame_probe import FrameProbe, FrameProbeOptions
from cdsvae_eval.tasks.model_input import InputUnavailable, model_input
from synthetic_speech import PlantedModel, SyntheticSpeech


class DeafModel(torch.nn.Module):
    """Codes of noise: neither z_s nor z_t says anything of the input."""

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        generator = torch.Generator().manual_seed(len(x))
        return (torch.randn(len(x), 4, generator=generator),
                torch.randn(x.shape[0], x.shape[1], 3, generator=generator))


@pytest.fixture(scope="module")
def speech() -> SyntheticSpeech:
    return SyntheticSpeech(speakers={"train": 6, "dev": 1, "test": 4}, utterances=3)


def codes_of(model: torch.nn.Module, dataset: SyntheticSpeech) -> CodeSet:
    return extract_codes(model, dataset, ("train", "dev", "test"))


def test_the_input_of_a_split_is_its_rows_frames_in_the_codes_order(speech) -> None:
    """PlantedModel's z_1:T is its input itself, so the input read back must equal z_1:T row for row."""
    codes = codes_of(PlantedModel(), speech)
    for split in ("train", "val", "test"):
        np.testing.assert_array_equal(model_input(codes, speech, split).frames, codes.of_split(split).dynamic)
    shuffled = replace(codes, identity=codes.identity[::-1].copy())
    with pytest.raises(InputUnavailable, match="identities differ from the codes' row by row"):
        model_input(shuffled, speech, "test")


def test_the_frame_probe_reads_each_frames_own_input_with_the_codes_draws(speech) -> None:
    """With z_t = the frame's input, the input view and the z_t view are one probe on one draw: equal figures. A
    neighbour's frame (or another row's) would give other features and other figures."""
    codes = codes_of(PlantedModel(), speech)
    options = FrameProbeOptions(max_train_frames=600, max_frames=300)
    result = FrameProbe().run(TaskInputs(codes=codes, dataset=speech), options, seed=3, out_dir=None)
    from_input, from_dynamic = result.metrics["frame_acc_phone_from_input"], result.metrics["frame_acc_phone_from_dynamic"]
    assert from_input == from_dynamic
    assert from_input.higher_is_better
    assert ("input", "input") in {(row["codes"], row["code"]) for row in result.tables["probes"]}


def test_the_input_ceiling_stands_above_codes_that_lost_the_phones(speech) -> None:
    """The phone is in every input frame (its template): the input probe reads it; noise codes do not."""
    codes = codes_of(DeafModel(), speech)
    frames = FrameProbe().run(TaskInputs(codes=codes, dataset=speech), FrameProbeOptions(), seed=0, out_dir=None)
    chance = frames.metrics["frame_chance_phone"].value
    assert frames.metrics["frame_acc_phone_from_input"].value > 0.95
    assert frames.metrics["frame_acc_phone_from_dynamic"].value < chance + 0.15
    low, high = frames.metrics["frame_acc_phone_from_input"].ci_low, frames.metrics["frame_acc_phone_from_input"].ci_high
    assert low is not None and low <= frames.metrics["frame_acc_phone_from_input"].value <= high
    segments = Classify().run(TaskInputs(codes=codes, dataset=speech), ClassifyOptions(), seed=0, out_dir=None)
    assert segments.metrics["acc_phone_from_input"].value > segments.metrics["acc_phone_from_dynamic"].value + 0.3
    assert "log-mel" in segments.protocol["input"]


def test_classify_scores_the_flattened_input_as_the_dynamic_view_of_codes_that_are_the_input(speech) -> None:
    codes = codes_of(PlantedModel(), speech)
    result = Classify().run(TaskInputs(codes=codes, dataset=speech), ClassifyOptions(), seed=1, out_dir=None)
    assert result.metrics["acc_phone_from_input"] == result.metrics["acc_phone_from_dynamic"]


@pytest.mark.parametrize("task", [Classify(), FrameProbe()])
def test_without_the_dataset_the_input_is_skipped_with_a_note(speech, task) -> None:
    codes = codes_of(PlantedModel(), speech)
    result = task.run(TaskInputs(codes=codes), task.Options(), seed=0, out_dir=None)
    assert not [name for name in result.metrics if name.endswith("_from_input")]
    assert result.protocol["input"].startswith("not scored: no dataset given")


def test_another_corpus_or_video_is_no_input_for_these_codes(speech) -> None:
    codes = codes_of(PlantedModel(), speech)
    other = SyntheticSpeech(speakers={"train": 6, "dev": 1, "test": 4}, utterances=3, seed=1)
    with pytest.raises(InputUnavailable, match="fingerprint"):
        model_input(codes, other, "test")
    video = type("Video", (), {"modality": "video", "name": "sprites"})()
    with pytest.raises(InputUnavailable, match="not speech"):
        model_input(codes, video, "test")


def test_codes_with_posterior_variances_are_aligned_too(speech) -> None:
    codes = codes_of(PlantedModel(), speech)
    with_variances = replace(codes, static_logvar=np.zeros_like(codes.static),
                             dynamic_logvar=np.zeros_like(codes.dynamic))
    np.testing.assert_array_equal(model_input(with_variances, speech, "test").frames, codes.of_split("test").dynamic)
