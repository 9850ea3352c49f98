"""The C-DSVAE loss terms against brute-force formulations written out plainly."""

from __future__ import annotations

import math

import pytest
import torch
from torch.distributions import Normal, kl_divergence

from cdsvae_eval.config import LossConfig
from cdsvae_eval.errors import ConfigError
from cdsvae_eval.models.losses import (
    nt_xent_overlap,
    kl_dynamic,
    kl_static,
    mi_penalty,
    nt_xent,
    reconstruction_loss,
)
from cdsvae_eval.training.objective import total_loss



def _generator(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _normal(*shape: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(shape, generator=_generator(seed))


# Reconstruction and KL terms


def test_reconstruction_loss_sums_over_all_non_batch_dims_and_averages_over_batch():
    x = torch.rand(3, 2, 3, 4, 4, generator=_generator(1))
    x_hat = torch.rand(3, 2, 3, 4, 4, generator=_generator(2))
    expected_mse = sum(((x_hat[i] - x[i]) ** 2).sum() for i in range(3)) / 3
    expected_l1 = sum((x_hat[i] - x[i]).abs().sum() for i in range(3)) / 3
    assert torch.allclose(reconstruction_loss(x_hat, x), expected_mse)
    assert torch.allclose(reconstruction_loss(x_hat, x, kind="l1"), expected_l1)


def test_reconstruction_loss_rejects_unknown_kind():
    x = torch.zeros(2, 3)
    with pytest.raises(ConfigError, match="'huber'"):
        reconstruction_loss(x, x, kind="huber")


def test_kl_static_matches_torch_distributions():
    mean, logvar = _normal(5, 7, seed=1), _normal(5, 7, seed=2)
    posterior = Normal(mean, torch.exp(0.5 * logvar))
    prior = Normal(torch.zeros_like(mean), torch.ones_like(mean))
    expected = kl_divergence(posterior, prior).sum() / 5
    assert torch.allclose(kl_static(mean, logvar), expected, atol=1e-5)


def test_kl_dynamic_matches_torch_distributions():
    post_mean, post_logvar = _normal(4, 6, 3, seed=1), _normal(4, 6, 3, seed=2)
    prior_mean, prior_logvar = _normal(4, 6, 3, seed=3), _normal(4, 6, 3, seed=4)
    expected = kl_divergence(
        Normal(post_mean, torch.exp(0.5 * post_logvar)), Normal(prior_mean, torch.exp(0.5 * prior_logvar))
    ).sum() / 4
    assert torch.allclose(kl_dynamic(post_mean, post_logvar, prior_mean, prior_logvar), expected, atol=1e-5)


def test_kl_dynamic_is_zero_when_posterior_equals_prior():
    mean, logvar = _normal(2, 3, 4, seed=1), _normal(2, 3, 4, seed=2)
    assert kl_dynamic(mean, logvar, mean, logvar).abs() < 1e-6


# NT-Xent


def _nt_xent_loop(a: torch.Tensor, b: torch.Tensor, temperature: float, groups: list[int] | None = None) -> float:
    rows = [row.tolist() for row in torch.cat([a.flatten(1), b.flatten(1)]).double()]
    count, batch = len(rows), a.shape[0]
    group = None if groups is None else groups + groups

    def cosine(u: list[float], v: list[float]) -> float:
        dot = sum(p * q for p, q in zip(u, v))
        return dot / (math.sqrt(sum(p * p for p in u)) * math.sqrt(sum(q * q for q in v)))

    def candidate(i: int, k: int) -> bool:
        return k != i and (group is None or k == (i + batch) % count or group[k] != group[i])

    total = 0.0
    for i in range(count):
        partner = (i + batch) % count
        denominator = sum(math.exp(cosine(rows[i], rows[k]) / temperature) for k in range(count) if candidate(i, k))
        total += -math.log(math.exp(cosine(rows[i], rows[partner]) / temperature) / denominator)
    return total / count


@pytest.mark.parametrize("temperature", [0.5, 0.1])
def test_nt_xent_matches_explicit_loop(temperature):
    a, b = _normal(6, 5, seed=1), _normal(6, 5, seed=2)
    expected = _nt_xent_loop(a, b, temperature)
    assert nt_xent(a, b, temperature).item() == pytest.approx(expected, rel=1e-5)


def test_nt_xent_masks_same_group_negatives_exactly_as_planted():
    a, b = _normal(6, 5, seed=1), _normal(6, 5, seed=2)
    groups = [0, 0, 1, 2, 2, 2]
    masked = nt_xent(a, b, 0.5, torch.tensor(groups))
    assert masked.item() == pytest.approx(_nt_xent_loop(a, b, 0.5, groups), rel=1e-5)
    assert masked.item() != pytest.approx(nt_xent(a, b, 0.5).item(), rel=1e-3)
    # groups of one pair each mask nothing
    assert torch.equal(nt_xent(a, b, 0.5, torch.arange(6)), nt_xent(a, b, 0.5))


def test_masking_removes_the_penalty_for_agreeing_with_same_group_rows():
    # two pairs from one utterance share one code: unmasked, each row cannot tell its partner from the other
    # pair's rows (loss above log 3); masked, only the other utterance's rows are negatives
    shared, other = _normal(1, 8, seed=3), _normal(1, 8, seed=4)
    a = torch.cat([shared, shared, other])
    b = a.clone()
    unmasked = nt_xent(a, b, 0.1)
    masked = nt_xent(a, b, 0.1, torch.tensor([0, 0, 1]))
    assert unmasked.item() > math.log(3) * 2 / 3
    assert masked.item() < 0.1 * unmasked.item()


def test_overlap_nt_xent_masks_same_group_negatives_like_the_cosine_one():
    mean_a, mean_b = _normal(4, 3, seed=1), _normal(4, 3, seed=2)
    logvar = torch.zeros(4, 3)
    groups = torch.tensor([0, 0, 1, 1])
    masked = nt_xent_overlap(mean_a, logvar, mean_b, logvar, groups)
    rows = torch.cat([mean_a, mean_b])
    logits = -0.5 * ((rows[:, None] - rows[None]) ** 2 / 2.0).sum(-1)
    expected = 0.0
    for i in range(8):
        partner = (i + 4) % 8
        keep = [k for k in range(8) if k != i and (k == partner or int(groups[k % 4]) != int(groups[i % 4]))]
        expected += -(logits[i, partner] - torch.logsumexp(logits[i, keep], 0)).item()
    assert masked.item() == pytest.approx(expected / 8, rel=1e-5)


def test_nt_xent_flattens_time_for_dynamic_codes():
    a, b = _normal(4, 3, 2, seed=1), _normal(4, 3, 2, seed=2)
    assert nt_xent(a, b).item() == pytest.approx(_nt_xent_loop(a, b, 0.5), rel=1e-5)
    assert torch.equal(nt_xent(a, b), nt_xent(a.flatten(1), b.flatten(1)))


def test_nt_xent_is_lower_for_aligned_views_and_has_finite_gradients():
    a = _normal(8, 16, seed=1).requires_grad_()
    noise = 0.05 * _normal(8, 16, seed=2)
    aligned = nt_xent(a, a + noise)
    unrelated = nt_xent(a, _normal(8, 16, seed=3))
    assert aligned < unrelated
    aligned.backward()
    assert torch.isfinite(a.grad).all()


# MI penalty


def _log_normal(x: float, mean: float, log_std: float) -> float:
    return -0.5 * math.log(2 * math.pi) - log_std - 0.5 * ((x - mean) / math.exp(log_std)) ** 2


def _logsumexp(values: list[float]) -> float:
    top = max(values)
    return top + math.log(sum(math.exp(v - top) for v in values))


def _mi_penalty_loop(s_mean, s_logvar, s_sample, z_mean, z_logvar, z_sample, dataset_size, parity):
    s_mean, s_logvar, s_sample = s_mean.tolist(), s_logvar.tolist(), s_sample.tolist()
    z_mean, z_logvar, z_sample = z_mean.tolist(), z_logvar.tolist(), z_sample.tolist()
    batch, steps = len(s_sample), len(z_sample[0])
    log_std_of = (lambda logvar: logvar) if parity else (lambda logvar: 0.5 * logvar)
    normaliser = math.log(batch * dataset_size) if parity else math.log(batch)
    penalties = []
    for t in range(steps):
        for i in range(batch):
            log_q_s_terms, log_q_z_terms, log_q_sz_terms = [], [], []
            for j in range(batch):
                a = sum(
                    _log_normal(s_sample[i][d], s_mean[j][d], log_std_of(s_logvar[j][d]))
                    for d in range(len(s_sample[i]))
                )
                b = sum(
                    _log_normal(z_sample[i][t][d], z_mean[j][t][d], log_std_of(z_logvar[j][t][d]))
                    for d in range(len(z_sample[i][t]))
                )
                log_q_s_terms.append(a)
                log_q_z_terms.append(b)
                log_q_sz_terms.append(a + b)
            log_q_s = _logsumexp(log_q_s_terms) - normaliser
            log_q_z = _logsumexp(log_q_z_terms) - normaliser
            log_q_sz = _logsumexp(log_q_sz_terms) - normaliser
            penalties.append(max(0.0, log_q_sz - log_q_s - log_q_z))
    return sum(penalties) / len(penalties)


def _posteriors(batch: int = 5, steps: int = 3, static_dim: int = 4, dynamic_dim: int = 2, spread: float = 1.0):
    s_mean = spread * _normal(batch, static_dim, seed=11)
    s_logvar = 0.5 * _normal(batch, static_dim, seed=12)
    s_sample = s_mean + torch.exp(0.5 * s_logvar) * _normal(batch, static_dim, seed=13)
    z_mean = spread * _normal(batch, steps, dynamic_dim, seed=14)
    z_logvar = 0.5 * _normal(batch, steps, dynamic_dim, seed=15)
    z_sample = z_mean + torch.exp(0.5 * z_logvar) * _normal(batch, steps, dynamic_dim, seed=16)
    return s_mean, s_logvar, s_sample, z_mean, z_logvar, z_sample


@pytest.mark.parametrize("parity", [False, True])
@pytest.mark.parametrize("spread", [0.3, 1.0])
def test_mi_penalty_matches_explicit_triple_loop(parity, spread):
    posteriors = _posteriors(spread=spread)
    expected = _mi_penalty_loop(*posteriors, dataset_size=1000, parity=parity)
    assert expected > 0.0
    assert mi_penalty(*posteriors, dataset_size=1000, parity=parity).item() == pytest.approx(expected, rel=1e-4)


def test_mi_penalty_reaches_its_bound_for_sharp_distinct_posteriors():
    batch, dataset_size = 6, 500
    s_mean, z_mean = 10.0 * _normal(batch, 4, seed=1), 10.0 * _normal(batch, 3, 2, seed=2)
    s_logvar, z_logvar = torch.full((batch, 4), -8.0), torch.full((batch, 3, 2), -8.0)
    args = (s_mean, s_logvar, s_mean, z_mean, z_logvar, z_mean)
    correct = mi_penalty(*args, dataset_size=dataset_size)
    release = mi_penalty(*args, dataset_size=dataset_size, parity=True)
    assert correct.item() == pytest.approx(math.log(batch), abs=1e-4)
    assert release.item() == pytest.approx(math.log(batch * dataset_size), abs=1e-4)


def test_mi_penalty_rejects_non_positive_dataset_size():
    with pytest.raises(ConfigError, match="dataset_size"):
        mi_penalty(*_posteriors(), dataset_size=0)


# Precision


def test_losses_are_float32_and_unchanged_under_bf16_autocast():
    posteriors = _posteriors(batch=8, steps=4, static_dim=16, dynamic_dim=8)
    a, b = _normal(8, 32, seed=1), _normal(8, 32, seed=2)

    def compute():
        return [
            nt_xent(a, b),
            mi_penalty(*posteriors, dataset_size=100),
            kl_static(posteriors[0], posteriors[1]),
            kl_dynamic(posteriors[3], posteriors[4], posteriors[5], posteriors[4]),
        ]

    reference = compute()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        under_autocast = compute()
    for expected, actual in zip(reference, under_autocast):
        assert actual.dtype == torch.float32
        assert torch.allclose(actual, expected, rtol=1e-6, atol=1e-6)


def test_losses_accept_bf16_inputs_and_return_float32():
    x = torch.rand(2, 3, 4, generator=_generator(1))
    x_hat = torch.rand(2, 3, 4, generator=_generator(2))
    loss = reconstruction_loss(x_hat.bfloat16(), x.bfloat16())
    assert loss.dtype == torch.float32
    expected = reconstruction_loss(x_hat.bfloat16().float(), x.bfloat16().float())
    assert torch.equal(loss, expected)


# Device


@pytest.mark.cuda
def test_losses_on_cuda_match_cpu_without_host_syncs():
    posteriors = _posteriors(batch=16, steps=8, static_dim=32, dynamic_dim=8)
    views = (_normal(16, 64, seed=1), _normal(16, 64, seed=2))
    frames = (_normal(16, 3, 8, 8, seed=3), _normal(16, 3, 8, 8, seed=4))

    def compute(device_type, posteriors, views, frames):
        with torch.autocast(device_type, dtype=torch.bfloat16):
            terms = {
                "recon": reconstruction_loss(*frames),
                "kl_static": kl_static(posteriors[0], posteriors[1]),
                "kl_dynamic": kl_dynamic(posteriors[3], posteriors[4], posteriors[5], posteriors[4]),
                "mi": mi_penalty(*posteriors, dataset_size=100),
                "contrastive_static": nt_xent(*views),
                "contrastive_dynamic": nt_xent(*reversed(views)),
            }
            return terms, total_loss(terms, LossConfig())

    on_cuda = [[tensor.cuda() for tensor in group] for group in (posteriors, views, frames)]
    compute("cuda", *on_cuda)  # warm-up: first CUDA calls may initialise handles
    torch.cuda.set_sync_debug_mode("error")
    try:
        cuda_terms, cuda_total = compute("cuda", *on_cuda)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    cpu_terms, cpu_total = compute("cpu", posteriors, views, frames)
    for name, value in cpu_terms.items():
        assert torch.allclose(cuda_terms[name].cpu(), value, rtol=1e-4, atol=1e-4), name
    assert torch.allclose(cuda_total.cpu(), cpu_total, rtol=1e-4)


def _overlap_loop(mean_a, logvar_a, mean_b, logvar_b):
    means = torch.cat([mean_a, mean_b]).double()
    variances = torch.cat([logvar_a, logvar_b]).double().exp()
    n, batch, total = len(means), len(mean_a), 0.0
    for i in range(n):
        logits = torch.tensor([-0.5 * ((means[i] - means[j]) ** 2 / (variances[i] + variances[j])).sum()
                               for j in range(n) if j != i])
        partner = (i + batch) % n
        target = partner if partner < i else partner - 1
        total += -(logits[target] - torch.logsumexp(logits, 0))
    return total / n


def test_nt_xent_overlap_matches_explicit_loop():
    torch.manual_seed(3)
    a, b, la, lb = torch.randn(5, 4), torch.randn(5, 4), torch.randn(5, 4), torch.randn(5, 4)
    assert nt_xent_overlap(a, la, b, lb).item() == pytest.approx(_overlap_loop(a, la, b, lb).item(), rel=1e-5)


def test_nt_xent_overlap_cannot_be_satisfied_below_the_posterior_noise():
    """Aligned, well-separated directions of the means: cosine NT-Xent is near its floor at any scale,
    the overlap form only when the separation is large against the posterior standard deviation."""
    batch = 8
    directions = torch.eye(batch, 16)
    loud, quiet = 10.0 * directions, 1e-3 * directions
    unit, tight = torch.zeros(batch, 16), torch.full((batch, 16), -20.0)
    chance = math.log(2 * batch - 1)
    assert nt_xent(quiet, quiet) == pytest.approx(nt_xent(loud, loud).item(), rel=1e-4)
    assert nt_xent_overlap(quiet, unit, quiet, unit).item() == pytest.approx(chance, rel=1e-3)
    assert nt_xent_overlap(loud, unit, loud, unit).item() < 0.1
    assert nt_xent_overlap(quiet, tight, quiet, tight).item() < 0.1
