"""Verification metrics on scored trials: the DET curve, EER (three definitions) and normalised minDCF.
Foundation level, so the trainer's validation EER and the ``speaker-eer`` task share one definition.

Conventions: label 1 = target (same speaker), 0 = non-target; a trial is accepted when its score is
``>=`` the threshold; rates are fractions, not percent. Everything derives from one sort of the scores
(:func:`det_curve`), so 10^7 trials take seconds.

How the three EER definitions relate (``tests/test_metrics.py`` checks each statement):

- :func:`eer` (primary) linearly interpolates the FRR - FAR = 0 crossing between consecutive operating
  points; tied scores form one threshold, i.e. one diagonal step of the curve.
- :func:`eer_closest_mean` differs from it by at most a quarter of the crossing step,
  ``|dFAR - dFRR| / 4``; without tied scores that is at most ``1 / (4 * min(n_target, n_nontarget))``,
  which is below ``1 / n_trials`` whenever the smaller class holds more than a quarter of the trials.
- :func:`eer_rocch` is the EER of the ROC convex hull (the best random mixture of two thresholds). It is
  never above :func:`eer` and never above 0.5, and equals it when the empirical ROC is convex. It has no
  bound in the number of trials: a dent in the ROC at the crossing makes the two differ by up to 0.5
  (scores ranking every target below every non-target give EER 1 and ROCCH-EER 0.5).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cdsvae_eval.errors import ConfigError, DataError


class DetCurve(NamedTuple):
    """Operating points: one per distinct score, after the reject-all point.

    ``far[k]``/``frr[k]`` are the false-acceptance / false-rejection rates when every trial scoring
    ``>= thresholds[k]`` is accepted. ``thresholds[0]`` is +inf (accept nothing: FAR 0, FRR 1); the last
    point accepts everything (FAR 1, FRR 0). FAR never decreases along the curve and FRR never increases.
    """

    far: np.ndarray
    frr: np.ndarray
    thresholds: np.ndarray


def det_curve(scores: np.ndarray, labels: np.ndarray) -> DetCurve:
    """Return the :class:`DetCurve` of ``scores``: O(n log n), a sort per class, then cumulative sums."""
    scores, is_target = _validated(scores, labels)
    n_target = int(is_target.sum())
    n_nontarget = len(scores) - n_target
    # Sorting each class on its own (value sorts, SIMD-fast) and merging the two sorted runs with a
    # stable sort (linear on two runs) is faster than one argsort of all scores.
    merged = np.concatenate((np.sort(scores[is_target]), np.sort(scores[~is_target])))
    order = np.argsort(merged, kind="stable")[::-1]
    sorted_scores = merged[order]
    accepted_targets = np.cumsum(order < n_target, dtype=np.int64)
    last_of_each_score = np.append(np.flatnonzero(sorted_scores[1:] != sorted_scores[:-1]), len(scores) - 1)
    true_accepts = accepted_targets[last_of_each_score]
    false_accepts = last_of_each_score + 1 - true_accepts
    far = np.concatenate(([0.0], false_accepts / n_nontarget))
    frr = np.concatenate(([1.0], (n_target - true_accepts) / n_target))
    thresholds = np.concatenate(([np.inf], sorted_scores[last_of_each_score]))
    return DetCurve(far, frr, thresholds)


def eer(scores: np.ndarray, labels: np.ndarray) -> float:
    """Equal error rate, primary definition (see the module docstring)."""
    return eer_from_curve(det_curve(scores, labels))


def eer_rocch(scores: np.ndarray, labels: np.ndarray) -> float:
    """Equal error rate of the ROC convex hull."""
    return eer_rocch_from_curve(det_curve(scores, labels))


def eer_closest_mean(scores: np.ndarray, labels: np.ndarray) -> float:
    """Mean of FAR and FRR at the operating point where they are closest (the first such point)."""
    return eer_closest_mean_from_curve(det_curve(scores, labels))


def min_dcf(scores: np.ndarray, labels: np.ndarray, p_target: float = 0.01) -> float:
    """Normalised minimum detection cost with c_miss = c_fa = 1 (see :func:`min_dcf_from_curve`)."""
    return min_dcf_from_curve(det_curve(scores, labels), p_target)


def eer_from_curve(curve: DetCurve) -> float:
    return _diagonal_crossing(curve.far, curve.frr)


def eer_rocch_from_curve(curve: DetCurve) -> float:
    hull = _lower_hull(curve.far, curve.frr)
    return _diagonal_crossing(curve.far[hull], curve.frr[hull])


def eer_closest_mean_from_curve(curve: DetCurve) -> float:
    k = int(np.argmin(np.abs(curve.frr - curve.far)))
    return float((curve.far[k] + curve.frr[k]) / 2)


def min_dcf_from_curve(curve: DetCurve, p_target: float = 0.01) -> float:
    """min over operating points (reject-all and accept-all included) of
    ``(p * FRR + (1 - p) * FAR) / min(p, 1 - p)``; at most 1 (the better trivial system)."""
    if not 0.0 < p_target < 1.0:
        raise ConfigError(f"min_dcf: p_target must lie strictly between 0 and 1, got {p_target}")
    cost = p_target * curve.frr + (1.0 - p_target) * curve.far
    return float(cost.min() / min(p_target, 1.0 - p_target))


def finite_scores(scores: np.ndarray) -> np.ndarray:
    """Verification scores as a flat float64 array; a NaN or infinity is a :class:`DataError`."""
    scores = np.asarray(scores, dtype=np.float64).ravel()
    if not np.isfinite(scores).all():
        raise DataError("verification scores: scores must be finite (found NaN or infinity)")
    return scores


def _validated(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scores = np.asarray(scores, dtype=np.float64).ravel()
    labels = np.asarray(labels).ravel()
    if len(scores) != len(labels):
        raise DataError(f"verification scores: {len(scores)} scores but {len(labels)} labels")
    scores = finite_scores(scores)
    is_target = labels == 1
    if not (is_target | (labels == 0)).all():
        raise DataError("verification scores: labels must be 1 (target) or 0 (non-target)")
    n_target = int(is_target.sum())
    if n_target == 0 or n_target == len(labels):
        raise DataError(
            f"verification scores: need both target and non-target trials, got {n_target} target "
            f"and {len(labels) - n_target} non-target"
        )
    return scores, is_target


def _diagonal_crossing(far: np.ndarray, frr: np.ndarray) -> float:
    """FAR at the point where the piecewise-linear curve through (far, frr) meets FAR = FRR.

    ``frr - far`` runs monotonically from 1 (first point) to -1 (last point), so the crossing is found
    by one binary search.
    """
    gap = frr - far
    k = int(np.searchsorted(-gap, 0.0, side="left"))
    if gap[k] == 0.0:
        return float(far[k])
    fraction = gap[k - 1] / (gap[k - 1] - gap[k])
    return float(far[k - 1] + fraction * (far[k] - far[k - 1]))


def _lower_hull(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Indices of the lower convex hull of points sorted by ``x`` (ties ordered by falling ``y``).

    Each pass drops, all at once, every point on or above the chord joining its current neighbours:
    such a point is no hull vertex whatever else is dropped. When a pass drops nothing the chain turns
    strictly left everywhere, which makes it the hull. Every pass is vectorised; a staircase ROC loses
    most points in the first pass and a convex chain on an integer grid has few vertices.
    """
    keep = np.arange(len(x))
    while len(keep) > 2:
        left, middle, right = keep[:-2], keep[1:-1], keep[2:]
        turn = (x[middle] - x[left]) * (y[right] - y[left]) - (y[middle] - y[left]) * (x[right] - x[left])
        convex = turn > 0
        if convex.all():
            break
        keep = np.concatenate((keep[:1], middle[convex], keep[-1:]))
    return keep


def group_means(values: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mean of ``values`` (N, ...) over the rows of each group: ``(group_ids, means)``, groups sorted as
    :func:`numpy.unique` sorts them and means in float64, shape (G, ...).

    The utterance embedding rule of speech (the mean of an utterance's segments) is this with the utterance
    ids as groups; the trainer's validation EER and the ``speaker-eer`` task both call it."""
    values = np.asarray(values)
    groups = np.asarray(groups)
    if groups.ndim != 1 or len(groups) != len(values):
        raise DataError(f"group means: need one group per row, got {groups.shape} groups for {values.shape} values")
    if len(values) == 0:
        raise DataError("group means: no rows")
    group_ids, group_of_row = np.unique(groups, return_inverse=True)
    order = np.argsort(group_of_row, kind="stable")
    counts = np.bincount(group_of_row, minlength=len(group_ids))
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    sums = np.add.reduceat(values[order].astype(np.float64), starts, axis=0)
    return group_ids, sums / counts.reshape(-1, *([1] * (values.ndim - 1)))


def all_pairs_cosine_eer(embeddings: np.ndarray, speakers: np.ndarray) -> float:
    """EER (a fraction) of cosine scoring over every unordered pair of rows: a target trial when both rows
    have the same speaker. For small sets (a validation split): it builds the full score matrix."""
    unit = embeddings / np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-12)
    first, second = np.triu_indices(len(unit), k=1)
    scores = np.einsum("ij,ij->i", unit[first], unit[second])
    return eer(scores, (speakers[first] == speakers[second]).astype(np.int64))


# The within-speaker scatter gets a ridge of this times its mean variance, so that it is invertible.
SCATTER_RIDGE = 1e-6


def speaker_scatter(centred: np.ndarray, speakers: np.ndarray, name: str = "LDA") -> tuple[np.ndarray, np.ndarray]:
    """Between- and within-speaker covariances of centred embeddings (U, D), by moments: the covariance of the
    speaker means (weighted by their utterances) and the pooled covariance around them (divided by utterances
    minus speakers), the latter with a ridge of :data:`SCATTER_RIDGE` times its mean variance. ``name`` (the
    back-end) prefixes the errors."""
    names, speaker_of = np.unique(speakers, return_inverse=True)
    counts = np.bincount(speaker_of)
    if len(names) < 2:
        raise DataError(f"back-end {name} needs at least 2 training speakers, got {len(names)}")
    if counts.max() < 2:
        raise DataError(f"back-end {name} needs a training speaker with 2 or more utterances (every one has 1)")
    sums = np.zeros((len(names), centred.shape[1]))
    np.add.at(sums, speaker_of, centred)
    speaker_means = sums / counts[:, None]
    residual = centred - speaker_means[speaker_of]
    within = residual.T @ residual / (len(centred) - len(names))
    between = (speaker_means * counts[:, None]).T @ speaker_means / len(centred)
    scale = float(np.trace(within)) / within.shape[0]
    within += (SCATTER_RIDGE * scale if scale > 0 else SCATTER_RIDGE) * np.eye(within.shape[0])
    return between, within


def lda_projection(between: np.ndarray, within: np.ndarray, n_speakers: int) -> np.ndarray:
    """The leading ``min(D, speakers - 1)`` generalised eigenvectors of (between, within), largest first;
    they whiten the within-speaker scatter."""
    from scipy.linalg import eigh

    _, vectors = eigh(between, within)
    dims = min(between.shape[0], n_speakers - 1)
    return vectors[:, ::-1][:, :dims]


def fit_lda(embeddings: np.ndarray, speakers: np.ndarray, name: str = "LDA") -> tuple[np.ndarray, np.ndarray]:
    """``(mean, projection)`` of linear discriminant analysis fitted on utterance embeddings (U, D) of
    ``speakers`` (U,): embeddings map to ``(x - mean) @ projection``, scored by cosine there. The one LDA of the
    project: the trainer's validation EER and the ``lda`` back-end of the speaker tasks both fit it."""
    embeddings = np.asarray(embeddings, dtype=np.float64)
    mean = embeddings.mean(axis=0)
    between, within = speaker_scatter(embeddings - mean, np.asarray(speakers), name)
    return mean, lda_projection(between, within, len(np.unique(speakers)))
