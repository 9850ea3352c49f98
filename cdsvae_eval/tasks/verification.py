"""Speaker-verification trials, cosine scoring, the speaker bootstrap and DET points for plots.

Utterances are indexed 0..U-1; a :class:`Trials` list holds pairs of such indices with a target label.
Trial lists are exchanged as text lines ``<label> <enrol_id> <test_id>`` (label 1 = same speaker); the
checksum is the SHA-256 of exactly the bytes :meth:`Trials.write` puts in the file, so
``sha256sum trials.txt`` reproduces it.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar

import numpy as np

from cdsvae_eval.atomic import write_text
from cdsvae_eval.data.timit import CORE_TEST_SPEAKERS
from cdsvae_eval.errors import ConfigError, DataError
from cdsvae_eval.metrics import DetCurve, det_curve, eer_from_curve, finite_scores, min_dcf_from_curve
from cdsvae_eval.names import EER, MIN_DCF_01, MIN_DCF_05
from cdsvae_eval.tasks.bootstrap import BOOTSTRAP_LEVEL, BOOTSTRAP_REPS, percentile_interval

CORE_UTTERANCES_PER_SPEAKER = 8
SA_SENTENCES = ("SA1", "SA2")

# Trials scored per chunk are capped at this many gathered floats, so memory stays bounded.
_CHUNK_FLOATS = 1 << 22
# The all-pairs bootstrap ranks this many (replicate, pair) counts at a time (small enough to stay in cache).
_BLOCK_FLOATS = 1 << 19
# Up to this many utterances the bootstrap scores trials by looking up one cosine (Gram) matrix.
_GRAM_MAX_UTTERANCES = 4096

# Operating points kept per DET curve in a results file (enough for a smooth plot on probit axes).
DET_POINTS = 300

MetricFn = Callable[[DetCurve], float]
# Scores of trials given as utterance indices (enrol, test): cosine of embeddings, or a back-end's score.
PairScorer = Callable[[np.ndarray, np.ndarray], np.ndarray]
T = TypeVar("T")


@dataclass(frozen=True)
class Trials:
    """Trials ``(enrol[k], test[k])`` with ``label[k]`` 1 for same-speaker pairs, 0 otherwise."""

    enrol: np.ndarray
    test: np.ndarray
    label: np.ndarray
    protocol: str

    def __post_init__(self) -> None:
        if not (self.enrol.shape == self.test.shape == self.label.shape) or self.enrol.ndim != 1:
            raise DataError(
                f"trials {self.protocol!r}: enrol, test and label must be 1-D of one length, got shapes "
                f"{self.enrol.shape}, {self.test.shape}, {self.label.shape}"
            )

    def __len__(self) -> int:
        return len(self.label)

    @property
    def n_target(self) -> int:
        return int(np.count_nonzero(self.label))

    @property
    def n_nontarget(self) -> int:
        return len(self) - self.n_target

    def text(self, ids: Sequence[str] | np.ndarray) -> str:
        """The trial list as lines ``<label> <enrol_id> <test_id>``, each ending in a newline."""
        enrol_ids, test_ids = _trial_ids(self, ids)
        return "".join(
            f"{label} {enrol} {test}\n"
            for label, enrol, test in zip(self.label.tolist(), enrol_ids.tolist(), test_ids.tolist())
        )

    def checksum(self, ids: Sequence[str] | np.ndarray) -> str:
        """SHA-256 (hex) of :meth:`text`: the same for anyone who scores the same trial list."""
        return hashlib.sha256(self.text(ids).encode("utf-8")).hexdigest()

    def write(self, path: str | Path, ids: Sequence[str] | np.ndarray) -> None:
        write_text(path, self.text(ids))


def write_scores(path: str | Path, trials: Trials, ids: Sequence[str] | np.ndarray, scores: np.ndarray) -> None:
    """Write lines ``<enrol_id> <test_id> <label> <score>`` atomically; scores round-trip exactly."""
    if len(scores) != len(trials):
        raise DataError(f"score file {path}: {len(scores)} scores for {len(trials)} trials")
    enrol_ids, test_ids = _trial_ids(trials, ids)
    rows = zip(enrol_ids.tolist(), test_ids.tolist(), trials.label.tolist(), np.asarray(scores, np.float64).tolist())
    write_text(path, "".join(f"{enrol} {test} {label} {score!r}\n" for enrol, test, label, score in rows))


def all_pairs_trials(speakers: np.ndarray, max_trials: int | None = None, seed: int = 0) -> Trials:
    """Every unordered pair ``i < j`` of utterances, ordered by ``(i, j)``.

    ``speakers[i]`` is utterance ``i``'s speaker. When there are more than ``max_trials`` pairs, ALL
    target pairs are kept and non-target pairs are drawn uniformly without replacement (seeded) to fill
    ``max_trials``; the protocol name then records ``max_trials`` and ``seed``. Target trials are the
    scarce ones, so sampling them would waste the information that limits the EER's precision.
    """
    speakers = np.asarray(speakers)
    n = len(speakers)
    n_pairs = n * (n - 1) // 2
    if max_trials is not None and max_trials < 2:
        raise ConfigError(f"max_trials must be at least 2, got {max_trials}")
    if max_trials is None or n_pairs <= max_trials:
        enrol, test = np.triu_indices(n, k=1)
        return Trials(enrol, test, (speakers[enrol] == speakers[test]).astype(np.int8), "all-pairs")
    target = _target_pair_index(speakers)
    n_nontarget = max_trials - len(target)
    if n_nontarget < 1:
        raise ConfigError(
            f"max_trials={max_trials} leaves no room for non-target trials: there are {len(target)} target pairs"
        )
    rng = np.random.default_rng(seed)
    nontarget = _sample_nontarget_pair_index(speakers, n_pairs, n_nontarget, rng)
    enrol, test = _pair_from_index(np.sort(np.concatenate((target, nontarget))), n)
    label = (speakers[enrol] == speakers[test]).astype(np.int8)
    return Trials(enrol, test, label, f"all-pairs-sample(max_trials={max_trials},seed={seed})")


def core_allpairs_trials(utt_ids: Sequence[str] | np.ndarray, speakers: Sequence[str] | np.ndarray) -> Trials:
    """TIMIT ``core-allpairs``: all pairs among the 24 core-test speakers' utterances.

    ``speakers`` are TIMIT speaker ids (case-insensitive, e.g. ``MDAB0``); other speakers are ignored.
    Utterances whose id ends in ``SA1``/``SA2`` (e.g. ``MDAB0/SA1``) are dropped, as the protocol says.
    The indices in the returned trials refer to the given arrays. With the real layout this is 192
    utterances, 18,336 trials, 672 of them target; other counts give a warning.
    """
    utt_ids = np.asarray(utt_ids, dtype=str)
    names = np.char.upper(np.asarray(speakers, dtype=str))
    if len(utt_ids) != len(names):
        raise DataError(f"core-allpairs: {len(utt_ids)} utterance ids but {len(names)} speaker ids")
    missing = sorted(set(CORE_TEST_SPEAKERS) - set(names.tolist()))
    if len(missing) == len(CORE_TEST_SPEAKERS):
        raise DataError(
            "core-allpairs needs TIMIT speaker ids as speaker names (e.g. MDAB0); none of the 24 core-test "
            f"speakers is among the {len(set(names.tolist()))} given"
        )
    if missing:
        raise DataError(
            f"core-allpairs needs all 24 TIMIT core-test speakers; missing {len(missing)}: {' '.join(missing)}"
        )
    chosen = np.flatnonzero(np.isin(names, CORE_TEST_SPEAKERS) & ~_is_sa_sentence(utt_ids))
    counts = dict(zip(*np.unique(names[chosen], return_counts=True)))
    unusual = {name: int(count) for name, count in counts.items() if count != CORE_UTTERANCES_PER_SPEAKER}
    if unusual:
        warnings.warn(
            f"core-allpairs expects {CORE_UTTERANCES_PER_SPEAKER} utterances per core speaker (SA1/SA2 "
            f"dropped) but got {unusual}; the trial counts will differ from the published 18,336",
            stacklevel=2,
        )
    pairs = all_pairs_trials(names[chosen])
    return Trials(chosen[pairs.enrol], chosen[pairs.test], pairs.label, "core-allpairs")


def cosine_scores(emb: np.ndarray, trials: Trials) -> np.ndarray:
    """Cosine similarity of each trial's two utterance embeddings (rows of ``emb``, shape (U, D)).

    Rows are normalised once; trials are scored in chunks so memory stays bounded for 10^7 trials. A
    zero embedding has cosine 0 with everything.
    """
    return _cosine_of_pairs(unit_rows(emb), trials.enrol, trials.test)


def cosine_pair_scorer(emb: np.ndarray) -> PairScorer:
    """Cosine of utterance pairs (rows of ``emb``): a Gram-matrix lookup for small sets, chunked dot
    products otherwise. A zero embedding has cosine 0 with everything."""
    unit = unit_rows(emb)
    if len(unit) <= _GRAM_MAX_UTTERANCES:
        gram = unit @ unit.T
        return lambda enrol, test: gram[enrol, test]
    return partial(_cosine_of_pairs, unit)


def speaker_bootstrap(
    scorers: Mapping[str, PairScorer],
    speakers: np.ndarray,
    build_trials: Callable[[np.ndarray], Trials],
    metric_fns: Mapping[str, MetricFn],
    n_boot: int = BOOTSTRAP_REPS,
    seed: int = 0,
    level: float = BOOTSTRAP_LEVEL,
) -> dict[str, dict[str, tuple[float, float, np.ndarray]]]:
    """Percentile intervals (``level``) of metrics under resampling of SPEAKERS with replacement.

    Each replicate draws as many speakers as there are, with replacement, and takes all utterances of
    every drawn speaker; a speaker drawn twice contributes two copies of its utterances. Copies keep
    their speaker's identity, so pairs of two different utterances across copies are target trials,
    but a pair of an utterance with its own copy is dropped (it would be a trivial target trial with
    cosine 1). ``build_trials(speakers_of_resampled_utterances)`` builds each replicate's trials; every
    scorer (utterance indices -> scores, e.g. one per code and back-end) scores the SAME replicates, and
    each metric is a function of the replicate's DET curve, computed once per scorer. Replicates that
    lack target or non-target trials (e.g. one speaker drawn every time) are redrawn. Returns
    ``{scorer: {metric: (ci_low, ci_high, values)}}`` with the ``n_boot`` replicate values.
    """
    speakers = np.asarray(speakers)
    _, speaker_of = np.unique(speakers, return_inverse=True)
    by_speaker = np.argsort(speaker_of, kind="stable")
    utterances_of = np.split(by_speaker, np.cumsum(np.bincount(speaker_of))[:-1])

    def replicate(drawn: np.ndarray) -> dict[str, dict[str, float]] | None:
        source = np.concatenate([utterances_of[s] for s in drawn])
        trials = build_trials(speakers[source])
        keep = source[trials.enrol] != source[trials.test]
        label = trials.label[keep]
        n_target = int(np.count_nonzero(label))
        if n_target == 0 or n_target == len(label):
            return None
        enrol, test = source[trials.enrol[keep]], source[trials.test[keep]]
        curves = {scorer: det_curve(score_pairs(enrol, test), label) for scorer, score_pairs in scorers.items()}
        return {scorer: {name: fn(curve) for name, fn in metric_fns.items()} for scorer, curve in curves.items()}

    replicates = _usable_draws(len(utterances_of), replicate, n_boot, seed)
    return _intervals({scorer: {name: np.array([values[scorer][name] for values in replicates])
                                for name in metric_fns} for scorer in scorers}, level)


def all_pairs_speaker_bootstrap(
    scorers: Mapping[str, PairScorer],
    speakers: np.ndarray,
    metric_fns: Mapping[str, MetricFn],
    n_boot: int = BOOTSTRAP_REPS,
    seed: int = 0,
    level: float = BOOTSTRAP_LEVEL,
    max_trials: int | None = None,
) -> dict[str, dict[str, tuple[float, float, np.ndarray]]]:
    """:func:`speaker_bootstrap` with :func:`all_pairs_trials` (``max_trials``, ``seed``) as each replicate's trials:
    the same replicates and metric values, without building any replicate's trials.

    A replicate's all-pairs trials hold every pair of two different utterances ``(i, j)`` of the original set
    ``c_a * c_b`` times, where ``c_a`` and ``c_b`` count how often their speakers were drawn (an utterance's pairs with
    its own copies are dropped). So every pair is scored and ranked once per scorer, and the replicates' DET curves
    are cumulative sums of those counts along that ranking, a block of replicates at a time. Where a replicate could
    hold more than ``max_trials`` trials (which would be sampled), the trials are built as :func:`speaker_bootstrap`
    builds them.
    """
    speakers = np.asarray(speakers)
    _, speaker_of = np.unique(speakers, return_inverse=True)
    sizes = np.bincount(speaker_of)
    most = len(sizes) * int(sizes.max())
    if max_trials is not None and most * (most - 1) // 2 > max_trials:
        return speaker_bootstrap(scorers, speakers, partial(all_pairs_trials, max_trials=max_trials, seed=seed),
                                 metric_fns, n_boot, seed, level)
    enrol, test = np.triu_indices(len(speakers), k=1)
    first, second = speaker_of[enrol], speaker_of[test]
    ranked = {scorer: _RankedPairs.of(score_pairs(enrol, test), first, second) for scorer, score_pairs in scorers.items()}
    # original pairs per (speaker, speaker): a replicate's trials of each kind are a quadratic form in its counts
    pairs = np.zeros((len(sizes), len(sizes)))
    np.add.at(pairs, (first, second), 1.0)

    def usable(drawn: np.ndarray) -> np.ndarray | None:
        counts = np.bincount(drawn, minlength=len(sizes))
        n_target, n_trials = counts**2 @ np.diag(pairs), counts @ pairs @ counts
        return counts if 0 < n_target < n_trials else None

    counts = np.stack(_usable_draws(len(sizes), usable, n_boot, seed))
    values = {scorer: {name: np.empty(n_boot) for name in metric_fns} for scorer in scorers}
    block = max(1, _BLOCK_FLOATS // max(1, len(enrol)))
    for scorer, pairs_of in ranked.items():
        for start in range(0, n_boot, block):
            for offset, curve in enumerate(pairs_of.curves(counts[start:start + block])):
                for name, fn in metric_fns.items():
                    values[scorer][name][start + offset] = fn(curve)
    return _intervals(values, level)


@dataclass(frozen=True)
class _RankedPairs:
    """Pairs of utterances ranked by falling score: the speakers of each (in that order), whether it is a target
    pair, the last position of each distinct score, and those scores."""

    first: np.ndarray
    second: np.ndarray
    target: np.ndarray
    ends: np.ndarray
    thresholds: np.ndarray

    @classmethod
    def of(cls, scores: np.ndarray, first: np.ndarray, second: np.ndarray) -> "_RankedPairs":
        scores = finite_scores(scores)
        order = np.argsort(scores, kind="stable")[::-1]
        ranked = scores[order]
        ends = np.append(np.flatnonzero(ranked[1:] != ranked[:-1]), len(ranked) - 1)
        return cls(first[order], second[order], first[order] == second[order], ends, ranked[ends])

    def curves(self, counts: np.ndarray) -> Iterator[DetCurve]:
        """The DET curve of each replicate (a row of speaker draw counts): that of :func:`det_curve` on the trials each
        pair stands for ``c_a * c_b`` times, except that a score no trial of the replicate has repeats the operating
        point before it (no metric of a curve depends on repeated points, and skipping them would cost a pass)."""
        counts = counts.astype(np.float64)  # exact: sums of products of small counts stay far below 2**53
        copies = counts[:, self.first] * counts[:, self.second]
        accepted = np.cumsum(copies, axis=1)
        true_accepts = np.cumsum(copies * self.target, axis=1)
        if len(self.ends) < copies.shape[1]:  # tied scores: one operating point per distinct score
            accepted, true_accepts = accepted[:, self.ends], true_accepts[:, self.ends]
        thresholds = np.concatenate(([np.inf], self.thresholds))
        for accepted_row, true_row in zip(accepted, true_accepts):
            far, frr = np.empty(len(thresholds)), np.empty(len(thresholds))
            far[0], frr[0] = 0.0, 1.0
            n_target = true_row[-1]
            np.divide(accepted_row - true_row, accepted_row[-1] - n_target, out=far[1:])
            np.divide(n_target - true_row, n_target, out=frr[1:])
            yield DetCurve(far, frr, thresholds)


def _usable_draws(n_speakers: int, usable: Callable[[np.ndarray], T | None], n_boot: int, seed: int) -> list[T]:
    """The replicates of the speaker bootstraps: each draws ``n_speakers`` speakers with replacement (seeded), and
    ``usable(drawn)`` gives what the replicate needs, or None for one without target or non-target trials, which is
    redrawn."""
    if n_boot < 1:
        raise ConfigError(f"speaker bootstrap: n_boot must be at least 1, got {n_boot}")
    rng = np.random.default_rng(seed)
    kept: list[T] = []
    attempts = 0
    while len(kept) < n_boot:
        attempts += 1
        if attempts > 10 * n_boot + 100:
            raise DataError(
                f"speaker bootstrap: only {len(kept)} of {attempts - 1} replicates had both target and "
                f"non-target trials; {n_speakers} speakers are too few"
            )
        replicate = usable(rng.integers(0, n_speakers, size=n_speakers))
        if replicate is not None:
            kept.append(replicate)
    return kept


def _intervals(values: dict[str, dict[str, np.ndarray]], level: float
               ) -> dict[str, dict[str, tuple[float, float, np.ndarray]]]:
    return {
        scorer: {name: (*percentile_interval(v, level), v) for name, v in by_metric.items()}
        for scorer, by_metric in values.items()
    }


@dataclass(frozen=True)
class Verification:
    """Scored trials: per scorer, each metric as ``{"value", "ci_low", "ci_high", "std"}`` (rates as fractions,
    no interval without a bootstrap) and the DET curve; the trial and speaker counts; the checksum."""

    metrics: dict[str, dict[str, dict[str, float | None]]]
    curves: dict[str, DetCurve]
    n_target: int
    n_nontarget: int
    n_speakers: int
    n_utterances: int
    n_boot: int
    trials_checksum: str


def evaluate_verification(
    scorers: Mapping[str, PairScorer],
    speakers: np.ndarray,
    trials: Trials,
    n_boot: int = BOOTSTRAP_REPS,
    seed: int = 0,
    utt_ids: Sequence[str] | np.ndarray | None = None,
    max_trials: int | None = None,
    level: float = BOOTSTRAP_LEVEL,
) -> Verification:
    """Score ``trials`` with each scorer and report EER and minDCF(0.01, 0.05) with speaker-bootstrap CIs.

    A scorer maps utterance indices (enrol, test) to scores (:func:`cosine_pair_scorer` of embeddings, or a
    back-end's). The bootstrap resamples the speakers of the utterances that occur in ``trials`` and rebuilds
    each replicate's trials with :func:`all_pairs_trials` (``max_trials``, ``seed``), which reproduces both
    ``all-pairs`` and ``core-allpairs`` on the resampled set; every scorer sees the same replicates.
    ``n_boot=0`` skips it (CIs are None). The checksum uses ``utt_ids``, else ids ``row<i>``.
    """
    speakers = np.asarray(speakers)
    ids = np.asarray(utt_ids if utt_ids is not None else [f"row{i}" for i in range(len(speakers))], dtype=str)
    if len(ids) != len(speakers):
        raise DataError(f"verification: {len(ids)} utterance ids but {len(speakers)} speaker labels")
    curves = {name: det_curve(score_pairs(trials.enrol, trials.test), trials.label)
              for name, score_pairs in scorers.items()}
    metric_fns: dict[str, MetricFn] = {
        EER: eer_from_curve,
        MIN_DCF_01: partial(min_dcf_from_curve, p_target=0.01),
        MIN_DCF_05: partial(min_dcf_from_curve, p_target=0.05),
    }
    used = np.unique(np.concatenate((trials.enrol, trials.test)))
    intervals = (
        all_pairs_speaker_bootstrap(
            {name: _on_rows(score_pairs, used) for name, score_pairs in scorers.items()},
            speakers[used],
            metric_fns,
            n_boot=n_boot,
            seed=seed,
            level=level,
            max_trials=max_trials,
        )
        if n_boot > 0
        else {}
    )
    metrics: dict[str, dict[str, dict[str, float | None]]] = {}
    for scorer, curve in curves.items():
        metrics[scorer] = {}
        for name, fn in metric_fns.items():
            low, high, values = intervals.get(scorer, {}).get(name, (None, None, None))
            metrics[scorer][name] = {
                "value": fn(curve),
                "ci_low": low,
                "ci_high": high,
                "std": float(np.std(values, ddof=1)) if values is not None and len(values) > 1 else None,
            }
    return Verification(
        metrics=metrics,
        curves=curves,
        n_target=trials.n_target,
        n_nontarget=trials.n_nontarget,
        n_speakers=len(np.unique(speakers[used])),
        n_utterances=len(used),
        n_boot=n_boot,
        trials_checksum=trials.checksum(ids),
    )


def det_points(curve: DetCurve, max_points: int = DET_POINTS) -> dict[str, list[float]]:
    """At most ``max_points`` operating points of ``curve`` for drawing a DET plot: spaced evenly along the
    curve on normal-deviate (probit) axes, where DET plots are read, so the low-error tails keep their detail;
    the first and last points are kept."""
    from scipy.stats import norm

    far, frr = curve.far, curve.frr
    if len(far) > max_points:
        clip = (1e-6, 1.0 - 1e-6)
        x, y = norm.ppf(np.clip(far, *clip)), norm.ppf(np.clip(frr, *clip))
        along = np.concatenate(([0.0], np.cumsum(np.hypot(np.diff(x), np.diff(y)))))
        keep = np.unique(np.searchsorted(along, np.linspace(0.0, along[-1], max_points)).clip(0, len(far) - 1))
        far, frr = far[keep], frr[keep]
    return {"far": np.round(far, 6).tolist(), "frr": np.round(frr, 6).tolist()}


def _on_rows(score_pairs: PairScorer, rows: np.ndarray) -> PairScorer:
    """``score_pairs`` for indices into ``rows``."""
    return lambda enrol, test: score_pairs(rows[enrol], rows[test])


def _trial_ids(trials: Trials, ids: Sequence[str] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ids = np.asarray(ids, dtype=str)
    if len(trials) and max(int(trials.enrol.max()), int(trials.test.max())) >= len(ids):
        raise DataError(f"trials {trials.protocol!r} refer to utterance indices beyond the {len(ids)} ids given")
    used = np.unique(np.concatenate((trials.enrol, trials.test)))
    if any(not name or len(name.split()) != 1 or name.strip() != name for name in ids[used].tolist()):
        raise DataError(f"trials {trials.protocol!r}: utterance ids must be non-empty and contain no whitespace")
    return ids[trials.enrol], ids[trials.test]


def _is_sa_sentence(utt_ids: np.ndarray) -> np.ndarray:
    stems = [name.replace("\\", "/").rsplit("/", 1)[-1].split(".", 1)[0].upper() for name in utt_ids.tolist()]
    return np.array([stem.endswith(SA_SENTENCES) for stem in stems], dtype=bool)


def _pair_index(i: np.ndarray, j: np.ndarray, n: int) -> np.ndarray:
    """Position of pair ``(i, j)``, ``i < j``, in the row-major list of all pairs of ``n`` items."""
    return i * (2 * n - i - 1) // 2 + (j - i - 1)


def _pair_from_index(k: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`_pair_index` (a closed form, then an exact integer correction)."""
    k = np.asarray(k, dtype=np.int64)
    i = np.floor(((2 * n - 1) - np.sqrt((2.0 * n - 1) ** 2 - 8.0 * k)) / 2).astype(np.int64)
    i = np.clip(i, 0, n - 2)
    i -= _row_start(i, n) > k
    i += _row_start(i + 1, n) <= k
    return i, k - _row_start(i, n) + i + 1


def _row_start(i: np.ndarray, n: int) -> np.ndarray:
    return _pair_index(i, i + 1, n)


def _target_pair_index(speakers: np.ndarray) -> np.ndarray:
    _, speaker_of = np.unique(speakers, return_inverse=True)
    by_speaker = np.argsort(speaker_of, kind="stable")
    groups = np.split(by_speaker, np.cumsum(np.bincount(speaker_of))[:-1])
    n = len(speakers)
    parts = []
    for group in groups:
        a, b = np.triu_indices(len(group), k=1)
        parts.append(_pair_index(group[a], group[b], n))
    return np.concatenate(parts)


def _sample_nontarget_pair_index(
    speakers: np.ndarray, n_pairs: int, count: int, rng: np.random.Generator
) -> np.ndarray:
    """``count`` distinct non-target pair positions, uniformly at random.

    Draws with replacement, keeps distinct non-target positions until there are enough, then takes a
    uniform subset: every step treats all non-target pairs alike, so the result is a uniform sample.
    """
    n = len(speakers)
    found = np.empty(0, dtype=np.int64)
    while len(found) < count:
        draw = rng.integers(0, n_pairs, size=2 * (count - len(found)) + 64)
        i, j = _pair_from_index(draw, n)
        found = np.union1d(found, draw[speakers[i] != speakers[j]])
    return rng.choice(found, size=count, replace=False)


def unit_rows(emb: np.ndarray) -> np.ndarray:
    emb = np.asarray(emb, dtype=np.float64)
    if emb.ndim != 2:
        raise DataError(f"embeddings must be 2-D (utterances, dims), got shape {emb.shape}")
    norms = np.linalg.norm(emb, axis=1, keepdims=True)
    return np.divide(emb, norms, out=np.zeros_like(emb), where=norms > 0)


def _cosine_of_pairs(unit: np.ndarray, enrol: np.ndarray, test: np.ndarray) -> np.ndarray:
    scores = np.empty(len(enrol))
    chunk = max(1, _CHUNK_FLOATS // max(1, unit.shape[1]))
    for start in range(0, len(enrol), chunk):
        stop = start + chunk
        scores[start:stop] = np.einsum("ij,ij->i", unit[enrol[start:stop]], unit[test[start:stop]])
    return scores
