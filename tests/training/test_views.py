"""Identity partners: another clip of the same identity, never the clip itself, seeded."""

import numpy as np
import torch

from cdsvae_eval.training.views import IdentityPartners


def test_partners_share_the_identity_and_are_other_clips():
    identity = np.array([3, 1, 3, 2, 1, 3, 2, 2, 2])
    partners = IdentityPartners(identity, torch.device("cpu"))
    clips = torch.arange(len(identity)).repeat(50)
    drawn = partners.draw(clips, torch.Generator().manual_seed(0)).numpy()
    assert (identity[drawn] == identity[clips.numpy()]).all()
    assert (drawn != clips.numpy()).all()
    seen = {(int(c), int(d)) for c, d in zip(clips.numpy(), drawn)}
    assert {d for c, d in seen if c == 3} == {6, 7, 8}


def test_a_single_clip_identity_pairs_with_itself_and_draws_are_seeded():
    identity = np.array([0, 1, 1])
    partners = IdentityPartners(identity, torch.device("cpu"))
    clips = torch.tensor([0, 1, 2, 1, 2])
    first = partners.draw(clips, torch.Generator().manual_seed(5))
    again = partners.draw(clips, torch.Generator().manual_seed(5))
    assert first.tolist() == again.tolist() == [0, 2, 1, 2, 1]
