"""Batches of utterance blocks: every block is one utterance's segments, never overlapping each other."""

import numpy as np
import pytest
import torch

from cdsvae_eval.errors import FieldError
from cdsvae_eval.training.batches import UtteranceBlocks


def _interleaved_utterances(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Rows of three utterances of 11, 6 and 9 segments interleaved; each utterance's rows in time order, so a
    segment's position is its rank among its utterance's rows."""
    groups = np.random.default_rng(seed).permutation(np.array(["a"] * 11 + ["b"] * 6 + ["c"] * 9))
    position = np.array([int((groups[:row] == groups[row]).sum()) for row in range(len(groups))])
    return groups, position


def test_each_block_is_one_utterance_and_its_segments_never_overlap():
    groups, position = _interleaved_utterances()
    blocks = UtteranceBlocks(groups, gap=2, size=3)
    order = blocks.order(torch.Generator().manual_seed(1)).numpy()
    assert len(order) == blocks.rows_per_epoch == len(set(order.tolist()))
    for block in order.reshape(-1, 3):
        assert len(set(groups[block])) == 1
        gaps = np.abs(position[block][:, None] - position[block][None, :])
        assert (gaps[~np.eye(3, dtype=bool)] % 2 == 0).all() and (gaps[~np.eye(3, dtype=bool)] >= 2).all()


def test_every_epoch_has_the_same_rows_count_and_epochs_differ_but_are_seeded():
    groups, _ = _interleaved_utterances()
    blocks = UtteranceBlocks(groups, gap=2, size=2)
    # a: 6 even + 5 odd positions -> 3 + 2 blocks; b: 3 + 3 -> 1 + 1; c: 5 + 4 -> 2 + 2: 11 blocks of 2
    assert blocks.rows_per_epoch == 22
    generator = torch.Generator().manual_seed(3)
    first, second = blocks.order(generator), blocks.order(generator)
    assert len(first) == len(second) == 22 and first.tolist() != second.tolist()
    assert first.tolist() == blocks.order(torch.Generator().manual_seed(3)).tolist()
    seen = set()
    for _ in range(30):
        seen |= set(blocks.order(generator).tolist())
    assert seen == set(range(len(groups)))  # segments left out of one epoch are drawn in another


def test_a_block_larger_than_any_utterance_is_refused():
    groups, _ = _interleaved_utterances()
    with pytest.raises(FieldError, match="^segments_per_utterance 7 is more than any utterance holds"):
        UtteranceBlocks(groups, gap=2, size=7)
    with pytest.raises(FieldError, match="^segments_per_utterance must be >= 2"):
        UtteranceBlocks(groups, gap=2, size=1)
