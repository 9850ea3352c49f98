"""The ``speaker-eer`` task: speaker verification with utterance embeddings of the static and dynamic codes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

from cdsvae_eval.codes import CodeSet
from cdsvae_eval.errors import ConfigError, DataError
from cdsvae_eval.metrics import det_curve, eer_from_curve
from cdsvae_eval.names import (
    DYNAMIC_CODE, EER, MFCC_CODE, MIN_DCF_01, MIN_DCF_05, RAW_COSINE_BACKEND, STATIC_CODE, verification_metric,
)
from cdsvae_eval.tasks import mfcc_baseline
from cdsvae_eval.tasks.backends import DESCRIPTIONS, BackendFits, backend_names, fit_backends
from cdsvae_eval.tasks.base import MetricSpec, MetricValue, Task, TaskInputs, TaskResult
from cdsvae_eval.tasks.bootstrap import BOOTSTRAP_REPS, ci_description
from cdsvae_eval.tasks.speaker_embeddings import Utterances, add_mfcc, utterance_embeddings
from cdsvae_eval.tasks.verification import (
    PairScorer,
    Trials,
    all_pairs_trials,
    core_allpairs_trials,
    det_points,
    evaluate_verification,
    write_scores,
)

PROTOCOLS = ("all-pairs", "core-allpairs")
BASELINES = ("none", "mfcc")
VALIDATION_SPLIT = "val"
_MEASURES = ((EER, 100.0, 50.0, "EER (%)"), (MIN_DCF_01, 1.0, 1.0, "normalised minDCF, p_target 0.01"),
             (MIN_DCF_05, 1.0, 1.0, "normalised minDCF, p_target 0.05"))
_CODE_ROLES = {STATIC_CODE: "the static code; lower = more speaker information",
               DYNAMIC_CODE: "the mean of the dynamic codes; higher (towards chance) = less speaker leakage",
               MFCC_CODE: "the MFCC baseline on the same trials (baseline=mfcc)"}


@dataclass
class SpeakerEEROptions:
    protocol: Literal["all-pairs", "core-allpairs"] = "all-pairs"
    split: str = "test"
    train_split: str = "train"
    speaker_factor: str = "speaker"
    max_trials: int = 2_000_000
    n_boot: int = BOOTSTRAP_REPS
    baseline: Literal["none", "mfcc"] = "none"
    backend: Literal["none", "norm", "lda", "plda", "all"] = RAW_COSINE_BACKEND


def _metric_specs() -> tuple[MetricSpec, ...]:
    specs = []
    for backend in (RAW_COSINE_BACKEND, "{backend}"):
        for code, role in _CODE_ROLES.items():
            for measure, _, _, what in _MEASURES:
                where = "" if backend == RAW_COSINE_BACKEND else " scored with back-end norm, lda or plda"
                specs.append(MetricSpec(verification_metric(measure, code, backend), code == DYNAMIC_CODE,
                                        f"{what} of {role}{where}"))
    return tuple(specs)


class SpeakerEER(Task):
    """Speaker verification on utterance embeddings, for the static AND the dynamic code.

    Utterance embeddings follow :mod:`cdsvae_eval.tasks.speaker_embeddings` (the mean of z_s, and of the
    time-averaged z_1:T, over an utterance's rows). A good static code gives a low EER; a good dynamic code
    carries no speaker information, so its EER should be near 50%.

    Protocols: ``all-pairs`` takes all utterance pairs (all target pairs plus a seeded sample of
    non-target pairs beyond ``max_trials``). ``core-allpairs`` is TIMIT's core test set: speakers are
    identified by their names (the speaker factor's CLASS NAMES, or the identity column), which must be
    TIMIT speaker ids such as ``MDAB0`` (case-insensitive; a ``DR1/MDAB0`` path form is read by its last
    part); utterances whose id ends in SA1/SA2 are dropped. EERs are reported in PERCENT, minDCF normalised
    (c_miss = c_fa = 1). CIs are speaker-bootstrap percentile intervals; every code and back-end is scored
    on the same trials and the same resampled speakers (the same seed).

    ``backend`` (:mod:`cdsvae_eval.tasks.backends`): ``none`` (raw cosine, the default and the paper's),
    ``norm``, ``lda``, ``plda``, or ``all`` of them in one table; each is fitted on the ``train_split``
    utterances only. Metrics of a back-end other than ``none`` carry its name (``eer_static_lda``). The DET
    curves in the results (``tables.det``) are those of the chosen back-end: the one asked for, or with
    ``all`` the one with the lowest z_s EER on the validation split (never the scored split).

    ``baseline=mfcc`` also scores an MFCC-20 mean+std embedding of each utterance's audio on the SAME
    trials and resampled speakers (metrics ``*_mfcc``); the audio comes from the dataset the codes were
    extracted from (``inputs.dataset``, else the codes' run or dataset, checked by fingerprint).
    """

    name: ClassVar[str] = "speaker-eer"
    version: ClassVar[str] = "1.1"
    description: ClassVar[str] = ("Speaker verification EER/minDCF of static and dynamic codes (cosine, or "
                                  "back-ends fitted on the training speakers)")
    needs: ClassVar[frozenset[str]] = frozenset({"codes"})
    # the corpus the MFCC baseline reads: given, it is the run's own, built once for every task of a command
    uses: ClassVar[frozenset[str]] = frozenset({"dataset"})
    metric_specs: ClassVar[tuple[MetricSpec, ...]] = _metric_specs()
    Options: ClassVar[type] = SpeakerEEROptions

    def run(self, inputs: TaskInputs, options: SpeakerEEROptions, seed: int, out_dir: Path | None) -> TaskResult:
        _check_options(options)
        if inputs.codes is None:
            raise DataError(f"task {self.name} needs codes")
        codes = inputs.codes
        utterances = utterance_embeddings(codes, options.speaker_factor, options.split, self.name)
        trials = self._trials(utterances, options, seed)
        if options.baseline == "mfcc":
            add_mfcc(utterances, codes, inputs.dataset)
        fits = fit_backends(codes, utterances, options, inputs.dataset, self.name)
        scorers = {_key(backend, code): fitted.pair_scorer(utterances.embeddings[code])
                   for backend, by_code in fits.fitted.items() for code, fitted in by_code.items()}
        verification = evaluate_verification(
            scorers, utterances.speakers, trials, n_boot=options.n_boot, seed=seed, utt_ids=utterances.ids,
            max_trials=options.max_trials,
        )
        metrics: dict[str, MetricValue] = {}
        rows = []
        for backend, by_code in fits.fitted.items():
            for code in by_code:
                summary = verification.metrics[_key(backend, code)]
                row: dict[str, Any] = {"backend": backend, "code": code}
                for measure, scale, chance, _ in _MEASURES:
                    name = verification_metric(measure, code, backend)
                    metrics[name] = _scaled(summary[measure], scale, code == DYNAMIC_CODE, chance)
                    row.update({measure: metrics[name].value, f"{measure}_ci_low": metrics[name].ci_low,
                                f"{measure}_ci_high": metrics[name].ci_high})
                rows.append(row)
        curve_backend, curve_reason = _curve_backend(codes, fits, options, seed, self.name)
        det = [{"backend": curve_backend, "code": code, "eer": verification.metrics[_key(curve_backend, code)][EER]["value"],
                **det_points(verification.curves[_key(curve_backend, code)])} for code in fits.fitted[curve_backend]]
        protocol = {
            "name": trials.protocol,
            "trials_checksum": verification.trials_checksum,
            "n_target": verification.n_target,
            "n_nontarget": verification.n_nontarget,
            "n_speakers": verification.n_speakers,
            "n_utterances": verification.n_utterances,
            "split": options.split if codes.split is not None else None,
            "speaker_factor": options.speaker_factor,
            "embedding": "utterance: mean over its rows of z_s, and of z_1:T averaged over time",
            "scoring": {backend: DESCRIPTIONS[backend] for backend in fits.fitted},
            "backends": fits.record,
            "backends_skipped": fits.skipped,
            "curve_backend": {"name": curve_backend, "chosen_by": curve_reason},
            "eer_unit": "percent",
            "ci": {**ci_description("speaker", options.n_boot), "trials": "rebuilt from the drawn speakers",
                   "shared": "every code and back-end is scored on the same replicates"}
            if options.n_boot else None,
            "chance": "EER 50% and normalised minDCF 1.0: a system that ignores its input",
            "max_trials": options.max_trials,
            "baseline": mfcc_baseline.DESCRIPTION if options.baseline == "mfcc" else None,
        }
        artifacts = (self._write_artifacts(Path(out_dir), trials, utterances, fits, scorers)
                     if out_dir is not None else [])
        return TaskResult(metrics=metrics, protocol=protocol, tables={"eer": rows, "det": det}, artifacts=artifacts)

    def _trials(self, utterances: Utterances, options: SpeakerEEROptions, seed: int) -> Trials:
        if utterances.n_speakers < 2:
            raise DataError(f"task {self.name} needs at least 2 speakers, the codes hold {utterances.n_speakers}")
        if utterances.n_speakers == len(utterances):
            raise DataError(
                f"task {self.name}: every speaker has a single utterance, so there are no same-speaker trials"
            )
        if options.protocol == "all-pairs":
            return all_pairs_trials(utterances.speakers, max_trials=options.max_trials, seed=seed)
        names = [name.replace("\\", "/").rsplit("/", 1)[-1] for name in utterances.speakers.tolist()]
        return core_allpairs_trials(utterances.ids, names)

    def _write_artifacts(self, out_dir: Path, trials: Trials, utterances: Utterances, fits: BackendFits,
                         scorers: dict[str, PairScorer]) -> list[str]:
        paths = [out_dir / "trials.txt"]
        trials.write(paths[0], utterances.ids)
        for backend, by_code in fits.fitted.items():
            for code in by_code:
                paths.append(out_dir / f"{verification_metric('scores', code, backend)}.txt")
                write_scores(paths[-1], trials, utterances.ids, scorers[_key(backend, code)](trials.enrol, trials.test))
        return [path.name for path in paths]


def _curve_backend(codes: CodeSet, fits: BackendFits, options: SpeakerEEROptions, seed: int, task: str
                   ) -> tuple[str, str]:
    """The back-end whose DET curves the results carry, and why: the one asked for, else the one with the lowest
    z_s EER on the validation split, ties going to the simpler (none, norm, lda, plda); raw cosine when the
    codes have no usable validation split."""
    if len(fits.fitted) == 1:
        return next(iter(fits.fitted)), "the back-end asked for"
    fallback = RAW_COSINE_BACKEND
    if codes.split is None or VALIDATION_SPLIT not in set(codes.split.tolist()):
        return fallback, f"raw cosine: the codes have no {VALIDATION_SPLIT!r} split to choose a back-end on"
    val = utterance_embeddings(codes, options.speaker_factor, VALIDATION_SPLIT, task)
    if val.n_speakers < 2 or val.n_speakers == len(val):
        return fallback, f"raw cosine: split {VALIDATION_SPLIT!r} has no same- and different-speaker trials"
    trials = all_pairs_trials(val.speakers, max_trials=options.max_trials, seed=seed)
    eers = {backend: eer_from_curve(det_curve(by_code[STATIC_CODE].pair_scorer(val.embeddings[STATIC_CODE])(
        trials.enrol, trials.test), trials.label)) for backend, by_code in fits.fitted.items()}
    best = min(eers, key=eers.get)
    listed = ", ".join(f"{backend} {100 * value:.2f}%" for backend, value in eers.items())
    return best, (f"lowest z_s EER on split {VALIDATION_SPLIT!r} ({val.n_speakers} speakers, {len(trials)} "
                  f"trials): {listed}")


def _key(backend: str, code: str) -> str:
    return f"{backend}/{code}"


def _check_options(options: SpeakerEEROptions) -> None:
    if options.baseline not in BASELINES:
        raise ConfigError(
            f"task speaker-eer: option baseline must be one of {', '.join(BASELINES)}, got {options.baseline!r}"
        )
    if options.protocol not in PROTOCOLS:
        raise ConfigError(
            f"task speaker-eer: option protocol must be one of {', '.join(PROTOCOLS)}, got {options.protocol!r}"
        )
    backend_names(options.backend)
    if options.max_trials < 2:
        raise ConfigError(f"task speaker-eer: option max_trials must be at least 2, got {options.max_trials}")
    if options.n_boot < 0:
        raise ConfigError(f"task speaker-eer: option n_boot must be 0 (no CI) or more, got {options.n_boot}")


def _scaled(summary: dict[str, float | None], scale: float, higher_is_better: bool, chance: float) -> MetricValue:
    def times(value: float | None) -> float | None:
        return None if value is None else value * scale

    return MetricValue(
        value=summary["value"] * scale,
        higher_is_better=higher_is_better,
        ci_low=times(summary["ci_low"]),
        ci_high=times(summary["ci_high"]),
        std=times(summary["std"]),
        chance=chance,
    )
