"""The utterance-level loss terms: NT-Xent restricted to same-utterance negatives, the Fisher ratio of groups,
group halves, and the gradient-reversal critic."""

import numpy as np
import pytest
import torch

from cdsvae_eval.models.critic import PairCritic, reverse_gradient
from cdsvae_eval.models.losses import contrastive_cross_entropy, fisher_ratio, group_halves, nt_xent
from cdsvae_eval.models.utterance_offset import UtteranceOffsetPenalty


def test_same_group_only_ignores_every_row_of_other_groups():
    logits = torch.randn(8, 8, generator=torch.Generator().manual_seed(0))
    groups = torch.tensor([0, 0, 1, 1])
    changed = logits.clone()
    # rows 0, 1, 4, 5 are group 0; make group-1 rows look like perfect matches for them: no effect when masked
    changed[:2, 2:4] = changed[:2, 6:8] = changed[4:6, 2:4] = changed[4:6, 6:8] = 50.0
    base = contrastive_cross_entropy(logits, groups, same_group_only=True)
    assert contrastive_cross_entropy(changed, groups, same_group_only=True) == pytest.approx(base.item())
    assert contrastive_cross_entropy(changed).item() > base.item() + 5  # unmasked, they would dominate


def test_with_same_group_negatives_the_loss_cannot_see_what_tells_groups_apart():
    """Rotating each group's rows by its own orthogonal map changes how groups relate to each other and nothing
    within a group: the loss with same-group negatives is unchanged, the loss with all negatives is not."""
    generator = torch.Generator().manual_seed(1)
    a = torch.randn(16, 8, generator=generator)
    b = a + torch.randn(16, 8, generator=generator)
    groups = torch.arange(16) // 4
    rotations = torch.linalg.qr(torch.randn(4, 8, 8, generator=generator)).Q
    a_rotated = torch.einsum("nd,nde->ne", a, rotations[groups])
    b_rotated = torch.einsum("nd,nde->ne", b, rotations[groups])
    within = nt_xent(a, b, 0.1, groups, same_group_only=True)
    assert nt_xent(a_rotated, b_rotated, 0.1, groups, same_group_only=True).item() == pytest.approx(within.item(), rel=1e-5)
    assert abs(nt_xent(a_rotated, b_rotated, 0.1).item() - nt_xent(a, b, 0.1).item()) > 0.05


def test_fisher_ratio_matches_its_definition_and_grows_with_group_separation():
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(6), 5)
    noise = rng.normal(size=(30, 4))
    centres = rng.normal(size=(6, 4))
    for spread in (0.0, 3.0):
        values = noise + spread * centres[groups]
        means = np.stack([values[groups == g].mean(0) for g in range(6)])
        residual = values - means[groups]
        within = residual.T @ residual / (30 - 6)
        within += 1e-3 * np.trace(within) / 4 * np.eye(4)
        between = (means - values.mean(0)).T @ (means - values.mean(0)) * 5 / 30
        expected = np.trace(np.linalg.solve(within, between))
        got = fisher_ratio(torch.tensor(values, dtype=torch.float32), torch.tensor(groups)).item()
        assert got == pytest.approx(expected, rel=1e-3)
    separated = fisher_ratio(torch.tensor(noise + 3 * centres[groups], dtype=torch.float32), torch.tensor(groups))
    mixed = fisher_ratio(torch.tensor(noise, dtype=torch.float32), torch.tensor(groups))
    assert separated.item() > 20 * mixed.item()


def test_fisher_ratio_gradient_pulls_group_means_together():
    rng = np.random.default_rng(2)
    groups = torch.tensor(np.repeat(np.arange(4), 6))
    values = torch.tensor(rng.normal(size=(24, 3)) + 2.0 * np.repeat(rng.normal(size=(4, 3)), 6, axis=0),
                          dtype=torch.float32, requires_grad=True)
    before = fisher_ratio(values, groups)
    before.backward()
    with torch.no_grad():
        after = fisher_ratio(values - 0.01 * values.grad, groups)
    assert after.item() < before.item()


def test_fisher_ratio_of_one_row_groups_is_zero():
    assert fisher_ratio(torch.randn(5, 3), torch.arange(5)).item() == 0.0


def test_group_halves_pool_alternate_rows_and_skip_single_row_groups():
    values = torch.arange(14, dtype=torch.float32).view(7, 2)
    groups = torch.tensor([5, 9, 5, 5, 7, 9, 5])  # group 5: rows 0, 2, 3, 6; group 9: rows 1, 5; group 7 alone
    a, b = group_halves(values, groups)
    torch.testing.assert_close(a, torch.stack([values[[0, 3]].mean(0), values[1]]))
    torch.testing.assert_close(b, torch.stack([values[[2, 6]].mean(0), values[5]]))


def test_reversed_gradient_reaches_the_encoder_negated_and_the_critic_unreversed():
    torch.manual_seed(0)
    encoder = torch.nn.Linear(3, 4)
    inputs = torch.randn(8, 3)
    critic = PairCritic(4, 4)

    def gradients(scale: float | None) -> tuple[torch.Tensor, torch.Tensor]:
        encoder.zero_grad()
        critic.zero_grad()
        codes = encoder(inputs)
        loss = critic(codes, codes + 0.1) if scale is None else critic.adversarial_loss(codes, codes + 0.1, scale)
        loss.backward()
        return encoder.weight.grad.clone(), critic.project_a.weight.grad.clone()

    plain_encoder, plain_critic = gradients(None)
    reversed_encoder, reversed_critic = gradients(2.0)
    torch.testing.assert_close(reversed_encoder, -2.0 * plain_encoder)
    torch.testing.assert_close(reversed_critic, plain_critic)


def test_reverse_gradient_is_the_identity_forward():
    values = torch.randn(3, 2)
    torch.testing.assert_close(reverse_gradient(values, 5.0), values)


def test_the_critic_learns_to_match_shared_information_and_the_encoder_can_defeat_it():
    generator = torch.Generator().manual_seed(0)
    shared = torch.randn(32, 4, generator=generator)
    a = torch.cat([shared, torch.randn(32, 4, generator=generator)], dim=1)
    b = torch.cat([shared, torch.randn(32, 4, generator=generator)], dim=1)
    critic = PairCritic(8, 8)
    optimiser = torch.optim.Adam(critic.parameters(), lr=1e-2)
    for _ in range(200):
        optimiser.zero_grad()
        loss = critic(a, b)
        loss.backward()
        optimiser.step()
    assert loss.item() < 0.5  # far below chance, log 32 = 3.47
    unrelated = critic(a, torch.cat([torch.randn(32, 4, generator=generator)] * 2, dim=1))
    assert unrelated.item() > 2.0
    assert critic.adversarial_loss(a[:1], b[:1], 1.0).item() == 0.0


def test_the_offset_memory_keeps_a_running_mean_of_each_utterance():
    penalty = UtteranceOffsetPenalty(utterances=3, dim=2)
    first = torch.tensor([[1.0, 0.0], [3.0, 0.0], [0.0, 4.0], [0.0, 2.0]])
    penalty(first, torch.tensor([0, 0, 2, 2]))
    torch.testing.assert_close(penalty.memory, torch.tensor([[2.0, 0.0], [0.0, 0.0], [0.0, 3.0]]))
    assert penalty.seen.tolist() == [True, False, True]
    penalty(torch.tensor([[4.0, 0.0], [6.0, 0.0], [1.0, 1.0], [1.0, 3.0]]), torch.tensor([0, 0, 1, 1]))
    torch.testing.assert_close(penalty.memory, torch.tensor([[3.5, 0.0], [1.0, 2.0], [0.0, 3.0]]))


def test_the_offset_gradient_moves_each_utterances_segments_against_its_offset():
    generator = torch.Generator().manual_seed(0)
    utterances = torch.arange(6).repeat_interleave(4)
    offsets = 2.0 * torch.randn(6, 3, generator=generator)
    pooled = (torch.randn(24, 3, generator=generator) + offsets[utterances]).requires_grad_(True)
    penalty = UtteranceOffsetPenalty(utterances=6, dim=3)
    penalty(pooled, utterances).backward()
    mean_gradient = torch.stack([pooled.grad[utterances == u].sum(0) for u in range(6)])
    centred = penalty.memory - penalty.memory.mean(0)
    assert ((mean_gradient * centred).sum(1) > 0).all()  # descending it pulls each utterance mean to the centre
    # segments of one utterance get the same gradient: the penalty does not charge how they differ (the content)
    for u in range(6):
        rows = pooled.grad[utterances == u]
        torch.testing.assert_close(rows, rows[:1].expand_as(rows))
