"""Partners of the paired content views (another clip of the same identity; another, non-overlapping segment of
the same utterance) and the groups the static NT-Xent does not treat as negatives."""

import numpy as np
import pytest
import torch

from cdsvae_eval.data.base import SequenceSplit
from cdsvae_eval.errors import FieldError
from cdsvae_eval.training.views import GroupPartners, content_partners, negative_groups, non_overlapping_gap


def test_partners_share_the_identity_and_are_other_clips():
    identity = np.array([3, 1, 3, 2, 1, 3, 2, 2, 2])
    partners = GroupPartners(identity, torch.device("cpu"))
    clips = torch.arange(len(identity)).repeat(50)
    drawn = partners.draw(clips, torch.Generator().manual_seed(0)).numpy()
    assert (identity[drawn] == identity[clips.numpy()]).all()
    assert (drawn != clips.numpy()).all()
    seen = {(int(c), int(d)) for c, d in zip(clips.numpy(), drawn)}
    assert {d for c, d in seen if c == 3} == {6, 7, 8}


def test_a_single_clip_identity_pairs_with_itself_and_draws_are_seeded():
    identity = np.array([0, 1, 1])
    partners = GroupPartners(identity, torch.device("cpu"))
    clips = torch.tensor([0, 1, 2, 1, 2])
    first = partners.draw(clips, torch.Generator().manual_seed(5))
    again = partners.draw(clips, torch.Generator().manual_seed(5))
    assert first.tolist() == again.tolist() == [0, 2, 1, 2, 1]


def test_utterance_partners_stay_in_the_utterance_never_self_and_never_overlap():
    # three utterances of 9, 4 and 3 segments, interleaved; each utterance's rows in time order (as datasets
    # store them), so a segment's position is its rank among its utterance's rows
    groups = np.random.default_rng(0).permutation(np.array(["a"] * 9 + ["b"] * 4 + ["c"] * 3))
    position = np.array([int((groups[:row] == groups[row]).sum()) for row in range(len(groups))])
    partners = GroupPartners(groups, torch.device("cpu"), min_gap=2)
    rows = torch.arange(len(groups)).repeat(200)
    drawn = partners.draw(rows, torch.Generator().manual_seed(1)).numpy()
    rows = rows.numpy()
    assert (groups[drawn] == groups[rows]).all()
    assert (drawn != rows).all()
    long_enough = np.isin(groups[rows], ["a", "b"])
    assert (np.abs(position[drawn] - position[rows])[long_enough] >= 2).all()
    # every non-overlapping segment of a long utterance is drawn for its first segment, cyclic neighbours aside
    first_of_a = int(np.flatnonzero((groups == "a") & (position == 0))[0])
    reached = set(position[drawn[rows == first_of_a]].tolist())
    assert reached == set(range(2, 8))
    # a 3-segment utterance cannot avoid overlap: it falls back to any other segment of itself
    short = groups[rows] == "c"
    assert set(np.abs(position[drawn] - position[rows])[short].tolist()) <= {1, 2}


def test_content_partners_follow_the_view_and_refuse_ungrouped_data():
    split = SequenceSplit("train", np.zeros((4, 20, 3), np.float32), {}, np.array([0, 0, 1, 1]),
                          groups=np.array(["u", "u", "v", "v"]))

    class Dataset:
        name, segment_hop, sequence_shape = "speech", 10, (20, 3)

    assert content_partners("shuffle", split, Dataset(), torch.device("cpu")) is None
    assert non_overlapping_gap(Dataset()) == 2
    assert content_partners("utterance", split, Dataset(), torch.device("cpu")) is not None
    ungrouped = SequenceSplit("train", np.zeros((4, 20, 3), np.float32), {}, np.array([0, 0, 1, 1]))
    with pytest.raises(FieldError, match="loss.content_view.*utterances"):
        content_partners("utterance", ungrouped, Dataset(), torch.device("cpu"))
    with pytest.raises(FieldError, match="loss.static_negatives"):
        negative_groups("other-utterances", ungrouped, torch.device("cpu"))


def test_negative_groups_index_utterances_or_identities():
    split = SequenceSplit("train", np.zeros((5, 2, 3), np.float32), {}, np.array([7, 7, 7, 9, 9]),
                          groups=np.array(["x", "y", "x", "z", "z"]))
    cpu = torch.device("cpu")
    assert negative_groups("all", split, cpu) is None
    assert negative_groups("other-utterances", split, cpu).tolist() == [0, 1, 0, 2, 2]
    assert negative_groups("other-identities", split, cpu).tolist() == [0, 0, 0, 1, 1]
