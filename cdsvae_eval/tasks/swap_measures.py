"""What the judges of :mod:`cdsvae_eval.tasks.swap_scorers` say about swapped speech, with chance and 95% CIs.

A *decision* is one decoded utterance: the speaker code of one utterance (its speaker, the speaker source S)
with the content of another (the content source C, another speaker). Each output puts up, per decision, a
sequence whose speaker is judged and one whose phones are: the swap itself for both; for the ceilings, the real
utterances (S's for the speaker, C's for the content: the scorers' own ceiling) and the model's reconstructions
of them (the model's ceiling).

- Speaker: is the judged sequence closer to S's *other* utterances than to C's other utterances (the mean score
  over each set, under one back-end)? The accuracy of that decision (chance 0.5; a tie counts a half), and the
  verification EER over the same trials: targets against S's other utterances, non-targets against C's.
- Content: the phone classifier's accuracy on the judged sequence's frames against C's per-frame phones (kept
  content; chance: the majority phone), and the leakage: against S's phones at the same frame index (frames
  aligned from the start of each utterance, as far as both reach), counted only where S's and C's phones differ.
  The real utterance's leakage is the floor: what a content-perfect swap scores by the classifier's confusions.

CIs resample speakers: a decision involves two (S and C), and a replicate weights it by the product of their draw
counts (pairs rebuilt from the drawn speakers, as swap-oracle does), for every frame and trial of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cdsvae_eval.metrics import DetCurve, det_curve, eer_from_curve
from cdsvae_eval.names import (
    CONTENT_KEPT_ACC, CONTENT_LEAK_ACC, SPEAKER_DECISION_ACC, SPEAKER_DECISION_EER, speech_swap_metric,
)
from cdsvae_eval.tasks.base import MetricValue
from cdsvae_eval.tasks.bootstrap import BOOTSTRAP_LEVEL, identity_bootstrap_ci, percentile_interval
from cdsvae_eval.tasks.swap_scorers import SplitUtterances, SwapScorers

SPEAKER_CHANCE = 0.5
EER_CHANCE = 50.0
_BLOCK_CELLS = 1 << 22


@dataclass(frozen=True)
class Decisions:
    """Decision i decodes utterance ``speaker_source[i]``'s speaker code with ``content_source[i]``'s content
    (indices into a :class:`SplitUtterances`)."""

    speaker_source: np.ndarray
    content_source: np.ndarray

    def __len__(self) -> int:
        return len(self.speaker_source)


@dataclass(frozen=True)
class Probes:
    """What one output puts up for each decision: the normalised frames whose speaker is judged, and those whose
    phones are."""

    speaker: list[np.ndarray]
    content: list[np.ndarray]


@dataclass(frozen=True)
class Counts:
    """How much each measure rests on: decisions and their trials, and per output the frames scored for the
    content and for the leakage."""

    decisions: int
    target_trials: int
    nontarget_trials: int
    content_frames: dict[str, int] = field(default_factory=dict)
    leak_frames: dict[str, int] = field(default_factory=dict)


def measure_swaps(scorers: SwapScorers, utterances: SplitUtterances, decisions: Decisions,
                  probes: dict[str, Probes], seed: int, n_boot: int, prefix: str = ""
                  ) -> tuple[dict[str, MetricValue], list[dict[str, Any]], Counts]:
    """Every measure of every output (``probes``: output name -> its probes) under every fitted back-end; metric
    names are :func:`~cdsvae_eval.names.speech_swap_metric`'s with ``prefix`` (the random-init model's)."""
    speakers = utterances.speakers
    pairs = np.stack([speakers[decisions.speaker_source], speakers[decisions.content_source]], axis=1)
    target, nontarget = _comparison_sets(utterances, decisions)
    pool = scorers.embed(utterances.frames)
    phones_s = [utterances.phones[i] for i in decisions.speaker_source]
    phones_c = [utterances.phones[i] for i in decisions.content_source]
    chance = _majority_rate(np.concatenate(phones_c))
    metrics: dict[str, MetricValue] = {}
    rows: list[dict[str, Any]] = []
    counts = Counts(len(decisions), int(target.sum()), int(nontarget.sum()))
    codes = "baseline" if prefix else "model"

    def add(name: str, value: MetricValue, **row: Any) -> None:
        metrics[prefix + name] = value
        rows.append({"codes": codes, **row, "value": value.value, "ci_low": value.ci_low, "ci_high": value.ci_high,
                     "chance": value.chance})

    for output, probe in probes.items():
        judged = scorers.embed(probe.speaker)
        for backend, fitted in scorers.backends.items():
            scores = fitted.score_matrix(fitted.transform(judged), fitted.transform(pool))
            correct = _decisions_correct(scores, target, nontarget)
            add(speech_swap_metric(SPEAKER_DECISION_ACC, output, backend),
                _accuracy(correct, pairs, seed, n_boot, SPEAKER_CHANCE),
                output=output, measure=SPEAKER_DECISION_ACC, backend=backend)
            add(speech_swap_metric(SPEAKER_DECISION_EER, output, backend),
                _eer(scores, target, nontarget, pairs, seed, n_boot),
                output=output, measure=SPEAKER_DECISION_EER, backend=backend)
        predicted = scorers.phone.predict(probe.content)
        kept, kept_pairs = _frames_matching(predicted, phones_c, phones_c, pairs)
        add(speech_swap_metric(CONTENT_KEPT_ACC, output), _accuracy(kept, kept_pairs, seed, n_boot, chance),
            output=output, measure=CONTENT_KEPT_ACC, backend=None)
        leak, leak_pairs = _frames_matching(predicted, phones_s, phones_c, pairs, only_differing=True)
        if len(leak):
            add(speech_swap_metric(CONTENT_LEAK_ACC, output),
                _accuracy(leak, leak_pairs, seed, n_boot, None, higher_is_better=False),
                output=output, measure=CONTENT_LEAK_ACC, backend=None)
        counts.content_frames[output], counts.leak_frames[output] = len(kept), len(leak)
    return metrics, rows, counts


def _comparison_sets(utterances: SplitUtterances, decisions: Decisions) -> tuple[np.ndarray, np.ndarray]:
    """Boolean ``(decisions, utterances)`` masks: the speaker source's other utterances (targets) and the content
    source's other utterances (non-targets)."""
    speakers, index = utterances.speakers, np.arange(len(utterances))
    target = ((speakers[None, :] == speakers[decisions.speaker_source][:, None])
              & (index[None, :] != decisions.speaker_source[:, None]))
    nontarget = ((speakers[None, :] == speakers[decisions.content_source][:, None])
                 & (index[None, :] != decisions.content_source[:, None]))
    return target, nontarget


def _decisions_correct(scores: np.ndarray, target: np.ndarray, nontarget: np.ndarray) -> np.ndarray:
    """1 where the judged sequence scores higher on average against the speaker source's other utterances than
    against the content source's, 0.5 on a tie, else 0."""
    to_source = (scores * target).sum(axis=1) / target.sum(axis=1)
    to_content = (scores * nontarget).sum(axis=1) / nontarget.sum(axis=1)
    return np.where(to_source > to_content, 1.0, np.where(to_source == to_content, 0.5, 0.0))


def _frames_matching(predicted: list[np.ndarray], wanted: list[np.ndarray], content: list[np.ndarray],
                     pairs: np.ndarray, only_differing: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Per aligned frame of each decision (as far as the prediction, ``wanted`` and ``content`` reach): was the
    predicted phone the wanted one? With ``only_differing``, only frames where ``wanted`` and ``content`` differ.
    Returns the flags and each flag's (speaker source, content source)."""
    flags, owners = [], []
    for row, (guess, target, own) in enumerate(zip(predicted, wanted, content)):
        length = min(len(guess), len(target), len(own))
        keep = target[:length] != own[:length] if only_differing else np.ones(length, dtype=bool)
        flags.append(guess[:length][keep] == target[:length][keep])
        owners.append(np.repeat(pairs[row:row + 1], int(keep.sum()), axis=0))
    return np.concatenate(flags).astype(np.float64), np.concatenate(owners)


def _accuracy(correct: np.ndarray, pairs: np.ndarray, seed: int, n_boot: int, chance: float | None,
              higher_is_better: bool = True) -> MetricValue:
    low, high = identity_bootstrap_ci(correct, pairs, seed, reps=n_boot) if n_boot else (None, None)
    return MetricValue(float(correct.mean()), higher_is_better=higher_is_better, ci_low=low, ci_high=high,
                       chance=chance)


def _eer(scores: np.ndarray, target: np.ndarray, nontarget: np.ndarray, pairs: np.ndarray, seed: int,
         n_boot: int) -> MetricValue:
    """The EER (percent) of the decisions' trials, with a speaker-bootstrap interval."""
    trial_scores = np.concatenate([scores[target], scores[nontarget]])
    labels = np.concatenate([np.ones(int(target.sum())), np.zeros(int(nontarget.sum()))])
    owners = np.concatenate([np.nonzero(target)[0], np.nonzero(nontarget)[0]])
    value = 100.0 * eer_from_curve(det_curve(trial_scores, labels))
    low = high = None
    if n_boot:
        replicates = _weighted_eer_replicates(trial_scores, labels, pairs[owners], seed, n_boot)
        if len(replicates):
            low, high = (100.0 * bound for bound in percentile_interval(replicates, BOOTSTRAP_LEVEL))
    return MetricValue(value, higher_is_better=False, ci_low=low, ci_high=high, chance=EER_CHANCE)


def _weighted_eer_replicates(scores: np.ndarray, labels: np.ndarray, owners: np.ndarray, seed: int,
                             reps: int) -> np.ndarray:
    """EERs (fractions) of speaker-bootstrap replicates: speakers drawn with replacement, each trial weighted by
    the product of its two speakers' draw counts; replicates without a target or a non-target trial are dropped."""
    names, codes = np.unique(owners, return_inverse=True)
    codes = codes.reshape(owners.shape)
    order = np.argsort(-scores, kind="stable")
    ranked, is_target, codes = scores[order], labels[order], codes[order]
    last_of_each_score = np.append(np.flatnonzero(ranked[1:] != ranked[:-1]), len(ranked) - 1)
    thresholds = np.concatenate(([np.inf], ranked[last_of_each_score]))
    rng = np.random.default_rng(seed)
    values = []
    block = max(1, _BLOCK_CELLS // len(ranked))
    for start in range(0, reps, block):
        draws = rng.multinomial(len(names), np.full(len(names), 1.0 / len(names)), size=min(block, reps - start))
        weights = (draws[:, codes[:, 0]] * draws[:, codes[:, 1]]).astype(np.float64)
        accepted_targets = np.cumsum(weights * is_target, axis=1)[:, last_of_each_score]
        accepted_others = np.cumsum(weights * (1.0 - is_target), axis=1)[:, last_of_each_score]
        kept = (accepted_targets[:, -1] > 0) & (accepted_others[:, -1] > 0)
        accepted_targets, accepted_others = accepted_targets[kept], accepted_others[kept]
        far = np.hstack([np.zeros((len(accepted_others), 1)), accepted_others / accepted_others[:, -1:]])
        frr = np.hstack([np.ones((len(accepted_targets), 1)), 1.0 - accepted_targets / accepted_targets[:, -1:]])
        values += [eer_from_curve(DetCurve(far_row, frr_row, thresholds)) for far_row, frr_row in zip(far, frr)]
    return np.asarray(values)


def _majority_rate(labels: np.ndarray) -> float:
    return float(np.bincount(labels).max() / len(labels))
