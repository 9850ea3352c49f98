"""Whole-utterance swaps: the one rule that draws the pairs (sample, speech-swap and the page share it), per-frame
labels put back on an utterance's time axis, and batched encoding and decoding."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import torch

from cdsvae_eval.data.features import segment
from cdsvae_eval.errors import DataError
from cdsvae_eval.models.utterance_swap import (
    decode_utterances, draw_utterance_pairs, encode_utterances, overlap_labels, swap_utterances, utterance_codes,
)
from synthetic_speech import PlantedModel


def _rows(speakers_utterances: dict[str, int], segments: int = 3) -> tuple[np.ndarray, np.ndarray]:
    groups = [f"{speaker}/U{u}" for speaker, count in speakers_utterances.items() for u in range(count)
              for _ in range(segments)]
    return np.array(groups), np.array([group.split("/")[0] for group in groups])


def test_pairs_are_seeded_of_two_speakers_and_balance_the_speakers() -> None:
    groups, speakers = _rows({"S1": 3, "S2": 2, "S3": 4, "S4": 2, "S5": 5})
    pairs = draw_utterance_pairs(groups, speakers, 50, seed=7)
    assert pairs == draw_utterance_pairs(groups, speakers, 50, seed=7)
    assert pairs != draw_utterance_pairs(groups, speakers, 50, seed=8)
    assert all(a.split("/")[0] != b.split("/")[0] for a, b in pairs)
    as_a = Counter(a.split("/")[0] for a, _ in pairs)
    as_b = Counter(b.split("/")[0] for _, b in pairs)
    assert set(as_a.values()) == set(as_b.values()) == {10}, "5 speakers x 10 rounds: each is A and B 10 times"


def test_fewer_pairs_are_the_first_of_more_pairs_so_sample_plays_the_tasks_first_pair() -> None:
    groups, speakers = _rows({"S1": 3, "S2": 2, "S3": 4})
    many = draw_utterance_pairs(groups, speakers, 20, seed=3)
    assert draw_utterance_pairs(groups, speakers, 1, seed=3) == many[:1]
    assert draw_utterance_pairs(groups, speakers, 7, seed=3) == many[:7]


def test_only_speakers_with_another_utterance_take_part() -> None:
    groups, speakers = _rows({"S1": 3, "S2": 1, "S3": 2})
    pairs = draw_utterance_pairs(groups, speakers, 30, seed=0)
    assert "S2/U0" not in {utterance for pair in pairs for utterance in pair}
    groups, speakers = _rows({"S1": 3, "S2": 1})
    with pytest.raises(DataError, match="two speakers with two or more utterances each .* 1 of 2 speakers"):
        draw_utterance_pairs(groups, speakers, 3, seed=0)
    with pytest.raises(DataError, match="at least 1"):
        draw_utterance_pairs(*_rows({"S1": 2, "S3": 2}), 0, seed=0)


@pytest.mark.parametrize("hop", [10, 7, 20])
def test_overlap_labels_give_back_each_frames_label(hop: int) -> None:
    labels = np.random.default_rng(hop).integers(0, 9, size=97)
    segments = segment(labels[:, None], frames=20, hop=hop)[..., 0]
    covered = (len(segments) - 1) * hop + 20
    np.testing.assert_array_equal(overlap_labels(segments, hop), labels[:covered])
    with pytest.raises(ValueError, match="cover every frame"):
        overlap_labels(segments, 21)


def test_batched_decoding_gives_what_swapping_one_pair_gives() -> None:
    rng = np.random.default_rng(0)
    utterances = [segment(rng.normal(size=(length, 80)).astype(np.float32), 20, 10) for length in (60, 45, 90)]
    model = PlantedModel("mixes_voices").train()
    speakers, dynamics = encode_utterances(model, utterances)
    assert model.training, "the model's training mode is restored"
    decoded = decode_utterances(model, speakers, dynamics, [(0, 2), (2, 0), (1, 1)], hop=10)
    pair = swap_utterances(model, utterances[0], utterances[2], hop=10)
    np.testing.assert_allclose(decoded[0], pair["a_speaker_b_content"], atol=1e-6)
    np.testing.assert_allclose(decoded[1], pair["b_speaker_a_content"], atol=1e-6)
    assert decoded[2].shape == (40, 80)


def test_utterance_codes_from_frozen_codes_equal_the_encoded_ones() -> None:
    rng = np.random.default_rng(1)
    utterances = [segment(rng.normal(size=(length, 80)).astype(np.float32), 20, 10) for length in (50, 70)]
    model = PlantedModel()
    speakers, dynamics = encode_utterances(model, utterances)
    joined = torch.as_tensor(np.concatenate(utterances))
    static, dynamic = model.encode(joined)
    again, again_dynamics = utterance_codes(static.numpy(), dynamic.numpy(), [np.arange(4), np.arange(4, 10)])
    np.testing.assert_allclose(again, speakers, atol=1e-6)
    assert all(np.array_equal(a, b) for a, b in zip(again_dynamics, dynamics))
    np.testing.assert_allclose(speakers[0], utterances[0][..., :40].mean(axis=(0, 1)), atol=1e-5)
