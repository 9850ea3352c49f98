"""What a posterior lets the decoder use: signal-to-noise, active units, KL and sampled codes.

Shared by the trainer's validation log and the ``code-usage`` task. Static codes are ``(N, Ds)``,
dynamic codes ``(N, T, Dt)``; statistics of a dynamic dimension are taken per time step and averaged
over steps, so a code that only tells the time (the same at every step of every clip) counts as silent.
"""

from __future__ import annotations

import numpy as np

# Burda et al. (2016): a unit is active when its posterior mean varies across inputs by more than this.
ACTIVE_UNIT_THRESHOLD = 0.01
# The sample probes fit on half the identities and score the other half: they need two identities at least.
MIN_PROBE_IDENTITIES = 2


def _per_step(array: np.ndarray) -> np.ndarray:
    """View ``(N, D)`` as ``(N, 1, D)`` so static and dynamic codes share one code path."""
    return array[:, None, :] if array.ndim == 2 else array


def signal_to_noise(mean: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """Per dimension: variance of the posterior means across clips over the mean posterior variance.

    Below about 1 the decoder, which sees samples, cannot tell clips apart along that dimension, however
    well a probe separates the means.
    """
    mean, var = _per_step(mean).astype(np.float64), np.exp(_per_step(logvar).astype(np.float64))
    return (mean.var(axis=0) / var.mean(axis=0).clip(min=1e-12)).mean(axis=0)


def active_units(mean: np.ndarray, threshold: float = ACTIVE_UNIT_THRESHOLD) -> int:
    """How many dimensions have posterior means that vary across clips by more than ``threshold``."""
    return int((_per_step(mean).astype(np.float64).var(axis=0).mean(axis=0) > threshold).sum())


def kl_to_standard_normal(mean: np.ndarray, logvar: np.ndarray) -> float:
    """Mean over clips of KL(q || N(0, I)), summed over dimensions (and steps)."""
    mean, logvar = mean.astype(np.float64), logvar.astype(np.float64)
    kl = 0.5 * (mean ** 2 + np.exp(logvar) - 1.0 - logvar)
    return float(kl.reshape(len(kl), -1).sum(axis=1).mean())


def sample_codes(mean: np.ndarray, logvar: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One reparameterised posterior sample per row, float32: what the decoder is given in training."""
    noise = rng.standard_normal(mean.shape)
    return (mean + noise * np.exp(0.5 * logvar)).astype(np.float32)


def nearest_centroid_accuracy(train_x: np.ndarray, train_y: np.ndarray, eval_x: np.ndarray,
                              eval_y: np.ndarray) -> float:
    """Accuracy of assigning each eval row the label of the nearest class mean of the train rows."""
    train_x, eval_x = train_x.reshape(len(train_x), -1), eval_x.reshape(len(eval_x), -1)
    classes = np.unique(train_y)
    centroids = np.stack([train_x[train_y == label].mean(axis=0) for label in classes])
    distances = ((eval_x[:, None, :] - centroids[None, :, :]) ** 2).sum(-1)
    return float((classes[distances.argmin(axis=1)] == eval_y).mean())


def decodability_summary(s_mean: np.ndarray, s_logvar: np.ndarray, z_mean: np.ndarray, z_logvar: np.ndarray,
                         labels: dict[str, np.ndarray], kinds: dict[str, str], identity: np.ndarray,
                         seed: int) -> dict[str, float]:
    """Quick figures for a training log: SNR and active units of each code, and nearest-centroid accuracy
    of every factor from one posterior sample of each code. Centroids come from the clips of half the
    identities (every other identity, sorted) and are scored on the other half's clips, so no identity
    is in both; factors with eval classes that no fitting clip has (the identity itself) are left out, and
    with fewer than :data:`MIN_PROBE_IDENTITIES` identities there are no accuracies at all."""
    rng = np.random.default_rng(seed)
    samples = {"static": sample_codes(s_mean, s_logvar, rng), "dynamic": sample_codes(z_mean, z_logvar, rng)}
    identities = np.unique(identity)
    fit = np.isin(identity, identities[::2])
    out: dict[str, float] = {}
    for code, (mean, logvar) in (("static", (s_mean, s_logvar)), ("dynamic", (z_mean, z_logvar))):
        snr = signal_to_noise(mean, logvar)
        out[f"snr_median_{code}"] = float(np.median(snr))
        out[f"snr_max_{code}"] = float(snr.max())
        out[f"active_units_{code}"] = float(active_units(mean))
    enough = len(identities) >= MIN_PROBE_IDENTITIES
    scorable = [f for f in sorted(labels) if enough and np.isin(labels[f][~fit], labels[f][fit]).all()]
    for factor in scorable:
        for code, x in samples.items():
            out[f"sample_acc_{factor}_from_{code}"] = nearest_centroid_accuracy(
                x[fit], labels[factor][fit], x[~fit], labels[factor][~fit])
    static_factors = [f for f in scorable if kinds[f] == "static"]
    for code in samples:
        if static_factors:
            out[f"sample_acc_static_factors_from_{code}"] = float(
                np.mean([out[f"sample_acc_{f}_from_{code}"] for f in static_factors]))
    return out
