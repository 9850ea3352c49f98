"""The C-DSVAE training objective, one function per term.

Shape conventions: B is the batch, T the number of frames, D a latent width. Every term is a scalar
tensor, summed over the non-batch dimensions named in its docstring and averaged over the batch, as
in the authors' release. Inputs are cast to float32 (and autocast is switched off where a matmul is
involved) so the terms are safe to compute under bf16 autocast; nothing here synchronises with the
device.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F

from cdsvae_eval.errors import ConfigError

ReconstructionKind = Literal["mse", "l1"]

_LOG_2PI = math.log(2.0 * math.pi)


def reconstruction_loss(x_hat: torch.Tensor, x: torch.Tensor, kind: ReconstructionKind = "mse") -> torch.Tensor:
    """Squared (``"mse"``) or absolute (``"l1"``) error summed over all non-batch dims, mean over batch.

    ``x_hat`` and ``x`` have the same shape ``(B, ...)``, e.g. ``(B, T, C, H, W)`` or ``(B, T, F)``.
    """
    if kind not in ("mse", "l1"):
        raise ConfigError(f"reconstruction loss kind {kind!r} is unknown; expected 'mse' or 'l1'")
    difference = x_hat.float() - x.float()
    error = difference.square() if kind == "mse" else difference.abs()
    return error.flatten(1).sum(dim=1).mean()


def kl_static(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mean, exp(logvar)) || N(0, I)) for ``(B, D)`` posteriors: sum over D, mean over B."""
    mean, logvar = mean.float(), logvar.float()
    kl = 0.5 * (mean.square() + logvar.exp() - 1.0 - logvar)
    return kl.flatten(1).sum(dim=1).mean()


def kl_dynamic(
    post_mean: torch.Tensor,
    post_logvar: torch.Tensor,
    prior_mean: torch.Tensor,
    prior_logvar: torch.Tensor,
) -> torch.Tensor:
    """KL(q(z_t | x) || p(z_t | z_<t)) between diagonal Gaussians of shape ``(B, T, D)``.

    Summed over T and D, mean over B.
    """
    post_mean, post_logvar = post_mean.float(), post_logvar.float()
    prior_mean, prior_logvar = prior_mean.float(), prior_logvar.float()
    kl = 0.5 * (
        prior_logvar
        - post_logvar
        + (post_logvar.exp() + (post_mean - prior_mean).square()) * torch.exp(-prior_logvar)
        - 1.0
    )
    return kl.flatten(1).sum(dim=1).mean()


def nt_xent(a: torch.Tensor, b: torch.Tensor, temperature: float = 0.5,
            groups: torch.Tensor | None = None, same_group_only: bool = False) -> torch.Tensor:
    """NT-Xent (InfoNCE) between two views ``a`` and ``b`` of shape ``(B, ...)``, flattened to ``(B, D)``.

    The 2B rows ``[a; b]`` are compared by cosine similarity divided by ``temperature``. Row i's positive
    is its partner (row i + B for i < B, row i - B otherwise); its negatives are the other 2B - 2 rows;
    itself is excluded. The loss is the cross-entropy of picking the positive, averaged over all 2B rows.
    With ``groups`` (B,) (the utterance or identity of each pair), rows of the same group are not
    negatives of each other, or, with ``same_group_only``, only they are (see :func:`contrastive_cross_entropy`).
    """
    with torch.autocast(device_type=a.device.type, enabled=False):
        rows = F.normalize(torch.cat([a.flatten(1), b.flatten(1)]).float(), dim=1)
        return contrastive_cross_entropy(rows @ rows.T / temperature, groups, same_group_only)


def nt_xent_overlap(
    mean_a: torch.Tensor, logvar_a: torch.Tensor, mean_b: torch.Tensor, logvar_b: torch.Tensor,
    groups: torch.Tensor | None = None, same_group_only: bool = False,
) -> torch.Tensor:
    """NT-Xent whose similarity is the posterior overlap instead of the cosine of the means.

    Inputs are ``(B, ...)`` diagonal-Gaussian posteriors of two views, flattened to ``(B, D)``. The logit
    between rows i and j of ``[a; b]`` is ``-1/2 sum_d (mu_id - mu_jd)^2 / (var_id + var_jd)``: the
    log of how well the two posteriors overlap, up to terms that do not favour any pair. Unlike the
    cosine of the means it cannot be satisfied by directions far below the posterior noise, which the
    decoder never sees. Positives, negatives, ``groups`` and the average are as in :func:`nt_xent`.
    """
    with torch.autocast(device_type=mean_a.device.type, enabled=False):
        mean = torch.cat([mean_a.flatten(1), mean_b.flatten(1)]).float()
        var = torch.cat([logvar_a.flatten(1), logvar_b.flatten(1)]).float().exp()
        distance = (mean.unsqueeze(1) - mean.unsqueeze(0)).square() / (var.unsqueeze(1) + var.unsqueeze(0))
        return contrastive_cross_entropy(-0.5 * distance.sum(-1), groups, same_group_only)


def contrastive_cross_entropy(logits: torch.Tensor, groups: torch.Tensor | None = None,
                              same_group_only: bool = False) -> torch.Tensor:
    """Cross-entropy of each of the 2B rows of ``logits`` (2B, 2B) picking its partner (the row B away).

    A row is never its own candidate. With ``groups`` (B,), a row's candidates also exclude every other
    row of its group except its partner: rows from one utterance (or identity) share what the positive
    shares, so treating them as negatives would push apart codes that the objective wants equal. With
    ``same_group_only`` it is the other way round: the candidates are the partner and the rows of the same
    group only, so what a group's rows share cannot tell the positive from the negatives (a row alone in its
    group has only its partner, and adds nothing).
    """
    pairs = logits.shape[0] // 2
    rows = torch.arange(2 * pairs, device=logits.device)
    partner = rows.roll(pairs)
    excluded = rows.unsqueeze(1) == rows.unsqueeze(0)
    if groups is not None:
        group = torch.cat([groups, groups])
        same = group.unsqueeze(1) == group.unsqueeze(0)
        negatives_left_out = ~same if same_group_only else same
        excluded = excluded | (negatives_left_out & (partner.unsqueeze(1) != rows.unsqueeze(0)))
    return F.cross_entropy(logits.masked_fill(excluded, float("-inf")), partner)


def group_index(groups: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(index, counts)``: each row's group as 0..G-1 (groups in sorted order) and the rows per group."""
    _, index, counts = torch.unique(groups, return_inverse=True, return_counts=True)
    return index, counts


def fisher_ratio(values: torch.Tensor, groups: torch.Tensor, ridge: float = 1e-3) -> torch.Tensor:
    """trace(S_w^-1 S_b) of ``values`` (B, D) with ``groups`` (B,) as classes: how far the best linear maps
    separate the groups, in units of the spread within them (LDA's criterion, summed over all directions).

    S_b is the covariance of the group means around the overall mean (weighted by the group sizes, divided by
    B), S_w the pooled covariance around the group means (divided by B - G), with a ridge of ``ridge`` times
    its mean variance so that it is invertible. Zero when no group has two rows (no within-group spread).
    """
    with torch.autocast(device_type=values.device.type, enabled=False):
        values = values.float()
        index, counts = group_index(groups)
        if len(values) - len(counts) < 1:
            return values.sum() * 0.0
        sums = torch.zeros(len(counts), values.shape[1], device=values.device).index_add(0, index, values)
        means = sums / counts.unsqueeze(1)
        residual = values - means[index]
        within = residual.T @ residual / (len(values) - len(counts))
        spread = means - values.mean(dim=0)
        between = (spread * counts.unsqueeze(1)).T @ spread / len(values)
        scale = within.diagonal().mean().detach().clamp(min=1e-12)
        within = within + ridge * scale * torch.eye(values.shape[1], device=values.device)
        return torch.linalg.solve(within, between).diagonal().sum()


def group_halves(values: torch.Tensor, groups: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(a, b)`` (K, D): for each of the K groups with two rows or more, the mean of ``values`` (B, D) over one
    half of its rows and over the other half (rows alternate between the halves in their order in the batch)."""
    index, counts = group_index(groups)
    order = torch.argsort(index, stable=True)
    starts = torch.cumsum(counts, 0) - counts
    position = torch.empty_like(index)
    position[order] = torch.arange(len(index), device=index.device) - starts[index[order]]
    slot = index * 2 + position % 2
    sums = torch.zeros(2 * len(counts), values.shape[1], device=values.device, dtype=values.dtype)
    sums = sums.index_add(0, slot, values)
    sizes = torch.zeros(2 * len(counts), device=values.device, dtype=values.dtype).index_add(
        0, slot, torch.ones_like(values[:, 0]))
    means = (sums / sizes.clamp(min=1).unsqueeze(1)).view(len(counts), 2, -1)
    paired = counts >= 2
    return means[paired, 0], means[paired, 1]


def _pairwise_log_density(sample: torch.Tensor, mean: torch.Tensor, log_std: torch.Tensor) -> torch.Tensor:
    """``out[..., i, j] = sum_d log N(sample[..., i, d]; mean[..., j, d], exp(log_std[..., j, d]))``.

    The squared distance is expanded into three matrix products, so no (..., B, B, D) tensor is built:
    sum_d (x_id - m_jd)^2 w_jd = (x^2) w^T - 2 x (m w)^T + sum_d m_jd^2 w_jd, with w = exp(-2 log_std).
    """
    precision = torch.exp(-2.0 * log_std)
    with torch.autocast(device_type=sample.device.type, enabled=False):
        quadratic = (
            sample.square() @ precision.transpose(-1, -2)
            - 2.0 * sample @ (mean * precision).transpose(-1, -2)
            + (mean.square() * precision).sum(-1).unsqueeze(-2)
        )
    constant = log_std.sum(-1).unsqueeze(-2) + 0.5 * _LOG_2PI * sample.shape[-1]
    return -0.5 * quadratic - constant


def mi_penalty(
    s_mean: torch.Tensor,
    s_logvar: torch.Tensor,
    s_sample: torch.Tensor,
    z_mean: torch.Tensor,
    z_logvar: torch.Tensor,
    z_sample: torch.Tensor,
    dataset_size: int,
    parity: bool = False,
) -> torch.Tensor:
    """Minibatch-weighted-sampling estimate of MI(s; z_t), averaged over steps t and samples i.

    ``s_*`` have shape ``(B, Ds)``; ``z_*`` have shape ``(B, T, Dz)``. For each step t and samples i, j:
    ``a_ij = log q(s_i | x_j)`` and ``b_ij = log q(z_ti | x_j)`` (diagonal Gaussian log-densities summed
    over dims), and the penalty is ``mean_{t,i} ReLU(log q(s_i, z_ti) - log q(s_i) - log q(z_ti))``.

    Default (correct) estimator: each aggregate-posterior density is the log-mean-exp over the batch,
    ``log q(s_i) = logsumexp_j a_ij - log B``, ``log q(z_ti) = logsumexp_j b_ij - log B`` and
    ``log q(s_i, z_ti) = logsumexp_j (a_ij + b_ij) - log B``, so each per-sample estimate is at most
    log B. ``dataset_size`` is not used by it.

    ``parity=True`` reproduces the authors' release, with its two quirks: the log-densities are
    computed with sigma = exp(logvar) (log-variance passed where the density expects log-std), and
    each of the three estimates subtracts log(B * dataset_size), so a constant +log(B * dataset_size)
    sits inside the ReLU instead of +log B.
    """
    if dataset_size < 1:
        raise ConfigError(f"mi_penalty dataset_size must be a positive training-set size, got {dataset_size}")
    batch = s_sample.shape[0]
    log_scale = 1.0 if parity else 0.5
    log_normaliser = math.log(batch * dataset_size) if parity else math.log(batch)
    a = _pairwise_log_density(s_sample.float(), s_mean.float(), log_scale * s_logvar.float())
    b = _pairwise_log_density(
        z_sample.float().transpose(0, 1),
        z_mean.float().transpose(0, 1),
        log_scale * z_logvar.float().transpose(0, 1),
    )
    log_q_s = torch.logsumexp(a, dim=-1) - log_normaliser
    log_q_z = torch.logsumexp(b, dim=-1) - log_normaliser
    log_q_sz = torch.logsumexp(a.unsqueeze(0) + b, dim=-1) - log_normaliser
    return F.relu(log_q_sz - log_q_s.unsqueeze(0) - log_q_z).mean()
