"""``speaker-few-shot``: identify unseen speakers from k enrolment utterances each.

Among the speakers of the scored split (unseen in training), each draw enrols k utterances per speaker
(chosen at random, seeded) and identifies every remaining utterance of those speakers as the enrolled
speaker whose model scores highest (closed set). A speaker model is the mean of its enrolment embeddings in
the back-end's scoring space; scores are cosine, or the PLDA log-likelihood ratio (averaged enrolment).
k runs over ``enrol`` (default 1, 2, 4 and ``all-but-one``: every utterance of a speaker but the one
identified); a speaker with no more than k utterances sits out that k, and the chance level, 1 / the
speakers enrolled, says how many took part.

The same draws score z_s, mean z_1:T (utterance embeddings of :mod:`cdsvae_eval.tasks.speaker_embeddings`)
and, with ``baseline=mfcc``, the MFCC baseline, under each back-end asked for (``backend``, as in
``speaker-eer``: fitted on ``train_split`` only). Reported per code, back-end and k: the accuracy over all
draws' identifications, the std over draws, every draw's value, chance, and a 95% interval that resamples
the scored speakers (cluster bootstrap of each identification's correctness; the enrolled gallery stays
as drawn). z_s should be high, mean z_1:T near chance.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np

from cdsvae_eval.errors import ConfigError, DataError
from cdsvae_eval.names import DYNAMIC_CODE, RAW_COSINE_BACKEND
from cdsvae_eval.tasks import mfcc_baseline
from cdsvae_eval.tasks.backends import DESCRIPTIONS, FittedBackend, backend_names, fit_backends
from cdsvae_eval.tasks.base import Figure, MetricSpec, MetricValue, Task, TaskInputs, TaskResult
from cdsvae_eval.tasks.bootstrap import ci_description, identity_bootstrap_ci
from cdsvae_eval.tasks.registry import register_task
from cdsvae_eval.tasks.speaker_embeddings import CODE_LABELS, Utterances, add_mfcc, utterance_embeddings

ALL_BUT_ONE = "all-but-one"
DEFAULT_ENROL: tuple[int | str, ...] = (1, 2, 4, ALL_BUT_ONE)
PLOT_NAME = "speaker_few_shot.png"


@dataclass
class SpeakerFewShotOptions:
    split: str = "test"
    train_split: str = "train"
    speaker_factor: str = "speaker"
    enrol: tuple[int | str, ...] = DEFAULT_ENROL
    draws: int = 10
    baseline: Literal["none", "mfcc"] = "none"
    backend: Literal["none", "norm", "lda", "plda", "all"] = RAW_COSINE_BACKEND


@dataclass(frozen=True)
class _Draw:
    """One draw at one k: enrolment and identified utterances (indices), and each identified one's speaker
    (an index into ``gallery``, the enrolled speakers)."""

    enrol: list[np.ndarray]
    probes: np.ndarray
    truth: np.ndarray
    gallery: np.ndarray


def shot_name(k: int | str) -> str:
    """The metric suffix of an enrolment size: ``k1``, ``k4``, ``all_but_one``."""
    return "all_but_one" if k == ALL_BUT_ONE else f"k{k}"


def accuracy_metric(code: str, k: int | str, backend: str = RAW_COSINE_BACKEND) -> str:
    name = f"id_acc_{code}_{shot_name(k)}"
    return name if backend == RAW_COSINE_BACKEND else f"{name}_{backend}"


@register_task
class SpeakerFewShot(Task):
    name: ClassVar[str] = "speaker-few-shot"
    version: ClassVar[str] = "1.0"
    description: ClassVar[str] = ("identify unseen speakers from k enrolment utterances each (k = 1, 2, 4, "
                                  "all but one): z_s, mean z_1:T and MFCC on the same draws")
    needs: ClassVar[frozenset[str]] = frozenset({"codes"})
    # the corpus the MFCC baseline reads: given, it is the run's own, built once for every task of a command
    uses: ClassVar[frozenset[str]] = frozenset({"dataset"})
    Options: ClassVar[type] = SpeakerFewShotOptions
    metric_specs: ClassVar[tuple[MetricSpec, ...]] = (
        MetricSpec("id_acc_static_{k}", True, "speaker identification accuracy from z_s with k enrolment "
                                              "utterances per speaker ({k}: k1, k2, k4, all_but_one)"),
        MetricSpec("id_acc_dynamic_{k}", False, "the same from mean z_1:T (leakage: lower is better)"),
        MetricSpec("id_acc_mfcc_{k}", True, "the same from the MFCC baseline (baseline=mfcc)"),
        MetricSpec("id_acc_{code}_{k}_{backend}", True, "the same scored with back-end norm, lda or plda "
                                                        "(lower is better for the dynamic code)"),
    )

    def run(self, inputs: TaskInputs, options: SpeakerFewShotOptions, seed: int, out_dir: Path | None) -> TaskResult:
        _check_options(options)
        if inputs.codes is None:
            raise DataError(f"task {self.name} needs codes")
        utterances = utterance_embeddings(inputs.codes, options.speaker_factor, options.split, self.name)
        if options.baseline == "mfcc":
            add_mfcc(utterances, inputs.codes, inputs.dataset)
        fits = fit_backends(inputs.codes, utterances, options, inputs.dataset, self.name)
        spaces = {(backend, code): fitted.transform(utterances.embeddings[code])
                  for backend, by_code in fits.fitted.items() for code, fitted in by_code.items()}
        metrics: dict[str, MetricValue] = {}
        rows: list[dict[str, Any]] = []
        adjustments: list[str] = []
        for k in options.enrol:
            draws = _draws(utterances, k, options.draws, seed)
            if draws is None:
                adjustments.append(f"k={k}: skipped, fewer than 2 speakers have more than {k} utterances")
                continue
            gallery = len(draws[0].gallery)
            shots = float(np.mean([len(enrolled) for draw in draws for enrolled in draw.enrol]))
            if gallery < utterances.n_speakers:
                adjustments.append(f"k={k}: {utterances.n_speakers - gallery} speaker(s) with no more than "
                                   f"{k} utterances sit out")
            for (backend, code), space in spaces.items():
                correct, per_draw = _identify(fits.fitted[backend][code], space, draws)
                speakers = utterances.speakers[np.concatenate([draw.probes for draw in draws])]
                low, high = identity_bootstrap_ci(correct, speakers, seed)
                value = MetricValue(float(correct.mean()), code != DYNAMIC_CODE, ci_low=low, ci_high=high,
                                    std=float(np.std(per_draw, ddof=1)) if len(per_draw) > 1 else 0.0,
                                    per_seed=per_draw, chance=1.0 / gallery)
                metrics[accuracy_metric(code, k, backend)] = value
                rows.append({"curve": _curve_label(code, backend, len(fits.fitted)), "backend": backend,
                             "code": code, "k": str(k), "shots": shots, "mean": value.value, "std": value.std,
                             "ci_low": low, "ci_high": high, "chance": value.chance, "speakers": gallery,
                             "identifications": len(correct)})
        if not rows:
            raise DataError(f"task {self.name}: no enrolment size could be scored ({'; '.join(adjustments)})")
        curves: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            curves.setdefault(row["curve"], []).append(row)
        figure = Figure("curves", curves, options={
            "title": f"speaker identification of the {options.split} speakers",
            "xlabel": "enrolment utterances per speaker (k)", "ylabel": "identification accuracy",
            **({"panels": {row["curve"]: (f"back-end {row['backend']}", _curve_label(row["code"], row["backend"], 1))
                           for row in rows}} if len(fits.fitted) > 1 else {})})
        protocol = {
            "name": "closed-set-speaker-identification",
            "split": options.split,
            "speaker_factor": options.speaker_factor,
            "n_speakers": utterances.n_speakers,
            "n_utterances": len(utterances),
            "enrol": [str(k) for k in options.enrol],
            "draws": options.draws,
            "sampling": "per draw and speaker, k enrolment utterances at random (numpy default_rng([seed, draw, k]), "
                        "k = 0 for all-but-one), the rest identified; the same draws for every code and back-end",
            "speaker_model": "mean of the enrolment embeddings in the back-end's scoring space",
            "embedding": "utterance: mean over its rows of z_s, and of z_1:T averaged over time",
            "scoring": {backend: DESCRIPTIONS[backend] for backend in fits.fitted},
            "backends": fits.record,
            "backends_skipped": fits.skipped,
            "ci": {**ci_description("speaker"), "values": "each identification's correctness, all draws; the "
                                                          "gallery stays as drawn"},
            "std": "sample std over draws",
            "chance": "1 / enrolled speakers",
            "baseline": mfcc_baseline.DESCRIPTION if options.baseline == "mfcc" else None,
            "adjustments": adjustments,
        }
        return TaskResult(metrics=metrics, protocol=protocol, tables={"curves": rows},
                          figures={PLOT_NAME: figure})


def _draws(utterances: Utterances, k: int | str, count: int, seed: int) -> list[_Draw] | None:
    """``count`` seeded draws of enrolment and identified utterances at ``k``; None when fewer than two
    speakers have more than k utterances."""
    names, speaker_of = np.unique(utterances.speakers, return_inverse=True)
    by_speaker = [np.flatnonzero(speaker_of == s) for s in range(len(names))]
    gallery = np.array([s for s, rows in enumerate(by_speaker) if len(rows) > (1 if k == ALL_BUT_ONE else k)])
    if len(gallery) < 2:
        return None
    draws = []
    for draw in range(count):
        rng = np.random.default_rng([seed, draw, 0 if k == ALL_BUT_ONE else int(k)])
        orders = [rng.permutation(by_speaker[s]) for s in gallery]
        size = [len(order) - 1 if k == ALL_BUT_ONE else int(k) for order in orders]
        probes = [order[n:] for order, n in zip(orders, size)]
        draws.append(_Draw(enrol=[order[:n] for order, n in zip(orders, size)], probes=np.concatenate(probes),
                           truth=np.repeat(np.arange(len(gallery)), [len(p) for p in probes]),
                           gallery=gallery))
    return draws


def _identify(backend: FittedBackend, space: np.ndarray, draws: list[_Draw]) -> tuple[np.ndarray, list[float]]:
    """Each identification's correctness over all draws, and each draw's accuracy."""
    correct = []
    for draw in draws:
        models = np.stack([space[rows].mean(axis=0) for rows in draw.enrol])
        scores = backend.score_matrix(space[draw.probes], models)
        correct.append(scores.argmax(axis=1) == draw.truth)
    return np.concatenate(correct), [float(c.mean()) for c in correct]


def _curve_label(code: str, backend: str, n_backends: int) -> str:
    label = CODE_LABELS[code] + (" (leakage)" if code == DYNAMIC_CODE else "")
    return label if n_backends == 1 else f"{backend}: {label}"


def _check_options(options: SpeakerFewShotOptions) -> None:
    if options.draws < 1:
        raise ConfigError(f"task speaker-few-shot: option draws must be at least 1, got {options.draws}")
    if not options.enrol:
        raise ConfigError("task speaker-few-shot: option enrol needs at least one enrolment size")
    for k in options.enrol:
        if k != ALL_BUT_ONE and not (isinstance(k, int) and not isinstance(k, bool) and k >= 1):
            raise ConfigError(f"task speaker-few-shot: option enrol takes positive integers and {ALL_BUT_ONE!r}, "
                              f"got {k!r}")
    if options.baseline not in ("none", "mfcc"):
        raise ConfigError(f"task speaker-few-shot: option baseline must be none or mfcc, got {options.baseline!r}")
    backend_names(options.backend)
