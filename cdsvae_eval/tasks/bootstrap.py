"""Confidence intervals that resample identities (characters, speakers), not rows.

Rows of one identity are not independent: the 9 motions of one character, or the segments of one
speaker, share whatever makes that identity easy or hard. A bootstrap over rows treats them as
independent evidence and gives intervals that are too narrow. The cluster bootstrap here draws
identities with replacement and takes every row of each drawn identity, as many times as it was drawn.

A row may involve several identities (a swap pair: A's static code, B's dynamics): pass one column per
role. A row then counts in a replicate with the product of its identities' draw counts, which rebuilds
the pair set from the resampled identities (as the speaker bootstrap of ``speaker-eer`` rebuilds trials).
"""

from __future__ import annotations

import numpy as np

from cdsvae_eval.errors import DataError

BOOTSTRAP_REPS = 1000
BOOTSTRAP_LEVEL = 0.95
_BLOCK_CELLS = 1 << 22


def percentile_interval(replicates: np.ndarray, level: float = BOOTSTRAP_LEVEL) -> tuple[float, float]:
    """The central ``level`` percentile interval of bootstrap replicate values: every bootstrap here ends in it."""
    if not 0.0 < level < 1.0:
        raise DataError(f"a bootstrap interval needs 0 < level < 1, got {level}")
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(np.asarray(replicates, dtype=np.float64), [tail, 100.0 - tail])
    return float(low), float(high)


def identity_bootstrap_ci(
    values: np.ndarray, identities: np.ndarray, seed: int, reps: int = BOOTSTRAP_REPS,
    level: float = BOOTSTRAP_LEVEL,
) -> tuple[float, float]:
    """Percentile interval of ``values.mean()``, resampling identities with replacement (seeded).

    ``values``: (N,) per-row values (a correct/incorrect flag, an error). ``identities``: (N,) or
    (N, k) identity labels of any type, one column per role a row's identities play. Replicates in which
    no row survives (possible only with k > 1) are dropped.
    """
    values = np.asarray(values, dtype=np.float64)
    identities = np.asarray(identities)
    if identities.ndim == 1:
        identities = identities[:, None]
    if values.ndim != 1 or len(identities) != len(values) or identities.ndim != 2:
        raise DataError(
            f"identity bootstrap needs values (N,) and identities (N,) or (N, k); got {values.shape} and {identities.shape}"
        )
    if len(values) == 0:
        raise DataError("identity bootstrap needs at least one row")
    if not 0.0 < level < 1.0 or reps < 1:
        raise DataError(f"identity bootstrap needs 0 < level < 1 and reps >= 1, got level={level}, reps={reps}")
    names, codes = np.unique(identities, return_inverse=True)
    codes = codes.reshape(identities.shape)
    cells, cell_of_row = np.unique(codes, axis=0, return_inverse=True)
    cell_of_row = cell_of_row.reshape(-1)
    sums = np.bincount(cell_of_row, weights=values, minlength=len(cells))
    counts = np.bincount(cell_of_row, minlength=len(cells)).astype(np.float64)
    rng = np.random.default_rng(seed)
    means = np.empty(reps)
    block = max(1, _BLOCK_CELLS // len(cells))
    for start in range(0, reps, block):
        draws = rng.multinomial(len(names), np.full(len(names), 1.0 / len(names)), size=min(block, reps - start))
        weights = np.prod(draws[:, cells], axis=2).astype(np.float64)
        rows = weights @ counts
        with np.errstate(invalid="ignore", divide="ignore"):
            means[start:start + len(draws)] = np.where(rows > 0, (weights @ sums) / rows, np.nan)
    means = means[np.isfinite(means)]
    if len(means) == 0:
        raise DataError("identity bootstrap: no replicate kept any row (too few identities)")
    return percentile_interval(means, level)


def ci_description(unit: str, reps: int = BOOTSTRAP_REPS, level: float = BOOTSTRAP_LEVEL) -> dict[str, object]:
    """The protocol entry of an interval: its method, resampled unit and replicate count."""
    return {
        "method": f"{round(level * 100)}% percentile cluster bootstrap",
        "resampled_unit": unit,
        "replicates": reps,
    }
