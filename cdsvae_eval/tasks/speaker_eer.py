"""The ``speaker-eer`` task: speaker verification with utterance embeddings of the static and dynamic codes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np

from cdsvae_eval.codes import CodeSet
from cdsvae_eval.errors import ConfigError, DataError
from cdsvae_eval.tasks import mfcc_baseline
from cdsvae_eval.tasks.base import MetricSpec, MetricValue, Task, TaskInputs, TaskResult
from cdsvae_eval.tasks.bootstrap import ci_description
from cdsvae_eval.tasks.verification import (
    Trials,
    all_pairs_trials,
    core_allpairs_trials,
    cosine_scores,
    evaluate_verification,
    write_scores,
)

PROTOCOLS = ("all-pairs", "core-allpairs")
BASELINES = ("none", "mfcc")


@dataclass
class SpeakerEEROptions:
    protocol: Literal["all-pairs", "core-allpairs"] = "all-pairs"
    split: str = "test"
    speaker_factor: str = "speaker"
    max_trials: int = 2_000_000
    n_boot: int = 1000
    baseline: Literal["none", "mfcc"] = "none"


@dataclass
class Utterances:
    """Utterance-level embeddings: ids, speaker labels, and one static and one dynamic row each."""

    ids: np.ndarray
    speakers: np.ndarray
    static: np.ndarray
    dynamic: np.ndarray


class SpeakerEER(Task):
    """Cosine-scored speaker verification on utterance embeddings, for the static AND the dynamic code.

    An utterance's static embedding is the mean of ``static`` over its rows (rows share ``codes.utt``;
    without ``utt`` each row is an utterance, with id ``row<i>``, i its row in the code file); its dynamic
    embedding is the mean over its rows of the time-averaged ``dynamic``. A good static code gives a
    low EER; a good dynamic code carries no speaker information, so its EER should be near 50%.

    Protocols: ``all-pairs`` takes all utterance pairs (all target pairs plus a seeded sample of
    non-target pairs beyond ``max_trials``). ``core-allpairs`` is TIMIT's core test set: speakers are
    identified by their CLASS NAMES in the code file's meta, which must be TIMIT speaker ids such as
    ``MDAB0`` (case-insensitive; a ``DR1/MDAB0`` path form is read by its last part); utterances whose
    id ends in SA1/SA2 are dropped. EERs are reported in PERCENT, minDCF normalised (c_miss = c_fa = 1).
    CIs are 95% speaker-bootstrap percentile intervals; the static and dynamic codes share the same
    resampled speakers (the same seed).

    ``baseline=mfcc`` also scores an MFCC-20 mean+std embedding of each utterance's audio on the SAME
    trials and resampled speakers (metrics ``*_mfcc``); the audio comes from the dataset the codes were
    extracted from (``inputs.dataset``, else the codes' run or dataset, checked by fingerprint).
    """

    name: ClassVar[str] = "speaker-eer"
    version: ClassVar[str] = "1.0"
    description: ClassVar[str] = "Speaker verification EER/minDCF of static and dynamic codes (cosine scoring)"
    needs: ClassVar[frozenset[str]] = frozenset({"codes"})
    metric_specs: ClassVar[tuple[MetricSpec, ...]] = (
        MetricSpec("eer_static", False, "EER (%) of the static code; lower = more speaker information"),
        MetricSpec("eer_dynamic", True, "EER (%) of the dynamic code; higher (towards 50) = less leakage"),
        MetricSpec("min_dcf_0.01_static", False, "normalised minDCF, p_target 0.01, static code"),
        MetricSpec("min_dcf_0.05_static", False, "normalised minDCF, p_target 0.05, static code"),
        MetricSpec("min_dcf_0.01_dynamic", True, "normalised minDCF, p_target 0.01, dynamic code"),
        MetricSpec("min_dcf_0.05_dynamic", True, "normalised minDCF, p_target 0.05, dynamic code"),
        MetricSpec("eer_mfcc", False, "EER (%) of the MFCC baseline on the same trials (baseline=mfcc)"),
        MetricSpec("min_dcf_0.01_mfcc", False, "normalised minDCF, p_target 0.01, MFCC baseline (baseline=mfcc)"),
        MetricSpec("min_dcf_0.05_mfcc", False, "normalised minDCF, p_target 0.05, MFCC baseline (baseline=mfcc)"),
    )
    Options: ClassVar[type] = SpeakerEEROptions

    def run(self, inputs: TaskInputs, options: SpeakerEEROptions, seed: int, out_dir: Path | None) -> TaskResult:
        _check_options(options)
        if inputs.codes is None:
            raise DataError(f"task {self.name} needs codes")
        utterances = utterance_embeddings(inputs.codes, options.speaker_factor, options.split)
        trials = self._trials(inputs.codes, utterances, options, seed)
        embeddings = {"static": utterances.static, "dynamic": utterances.dynamic}
        if options.baseline == "mfcc":
            embeddings["mfcc"] = _mfcc_embeddings(inputs, utterances, options.speaker_factor)
        higher_is_better = {spec.name: spec.higher_is_better for spec in self.metric_specs}
        metrics: dict[str, MetricValue] = {}
        for code, embedding in embeddings.items():
            summary = evaluate_verification(
                embedding,
                utterances.speakers,
                trials,
                n_boot=options.n_boot,
                seed=seed,
                utt_ids=utterances.ids,
                max_trials=options.max_trials,
            )
            for metric, scale, chance in (("eer", 100.0, 50.0), ("min_dcf_0.01", 1.0, 1.0), ("min_dcf_0.05", 1.0, 1.0)):
                name = f"{metric}_{code}"
                metrics[name] = _scaled(summary[metric], scale, higher_is_better[name])
                metrics[name].chance = chance
        protocol = {
            "name": trials.protocol,
            "trials_checksum": summary["trials_checksum"],
            "n_target": summary["n_target"],
            "n_nontarget": summary["n_nontarget"],
            "n_speakers": summary["n_speakers"],
            "n_utterances": summary["n_utterances"],
            "split": options.split if inputs.codes.split is not None else None,
            "speaker_factor": options.speaker_factor,
            "scoring": "cosine",
            "eer_unit": "percent",
            "ci": {**ci_description("speaker", options.n_boot), "trials": "rebuilt from the drawn speakers"}
            if options.n_boot else None,
            "chance": "EER 50% and normalised minDCF 1.0: a system that ignores its input",
            "max_trials": options.max_trials,
            "baseline": mfcc_baseline.DESCRIPTION if options.baseline == "mfcc" else None,
        }
        artifacts = self._write_artifacts(out_dir, trials, utterances.ids, embeddings) if out_dir is not None else []
        return TaskResult(metrics=metrics, protocol=protocol, artifacts=artifacts)

    def _trials(self, codes: CodeSet, utterances: Utterances, options: SpeakerEEROptions, seed: int) -> Trials:
        n_speakers = len(np.unique(utterances.speakers))
        if n_speakers < 2:
            raise DataError(f"task {self.name} needs at least 2 speakers, the codes hold {n_speakers}")
        if len(np.unique(utterances.speakers)) == len(utterances.speakers):
            raise DataError(
                f"task {self.name}: every speaker has a single utterance, so there are no same-speaker trials"
            )
        if options.protocol == "all-pairs":
            return all_pairs_trials(utterances.speakers, max_trials=options.max_trials, seed=seed)
        classes = np.asarray(codes.factors[options.speaker_factor].classes, dtype=str)
        names = [name.replace("\\", "/").rsplit("/", 1)[-1] for name in classes[utterances.speakers].tolist()]
        return core_allpairs_trials(utterances.ids, names)

    def _write_artifacts(
        self, out_dir: Path, trials: Trials, ids: np.ndarray, embeddings: dict[str, np.ndarray]
    ) -> list[str]:
        paths = [Path(out_dir) / "trials.txt"]
        trials.write(paths[0], ids)
        for code, embedding in embeddings.items():
            paths.append(Path(out_dir) / f"scores_{code}.txt")
            write_scores(paths[-1], trials, ids, cosine_scores(embedding, trials))
        return [path.name for path in paths]


def utterance_embeddings(codes: CodeSet, speaker_factor: str = "speaker", split: str = "test") -> Utterances:
    """Average the rows of ``split`` (all rows when the codes have no split column) into utterances.

    Utterances are ordered by id. Raises :class:`DataError` when the speaker labels are missing or an
    utterance's rows disagree on the speaker.
    """
    if speaker_factor not in codes.labels:
        raise DataError(f"task speaker-eer needs field y_{speaker_factor} in the code file")
    rows = np.arange(len(codes)) if codes.split is None else np.flatnonzero(codes.split == split)
    if len(rows) == 0:
        present = ", ".join(sorted(set(codes.split.tolist()))) if codes.split is not None else ""
        raise DataError(f"task speaker-eer: the codes hold no rows of split {split!r} (present: {present})")
    if codes.utt is None:
        ids, utt_of_row = np.array([f"row{i}" for i in rows.tolist()]), np.arange(len(rows))
    else:
        ids, utt_of_row = np.unique(codes.utt[rows], return_inverse=True)
    by_utt = np.argsort(utt_of_row, kind="stable")
    counts = np.bincount(utt_of_row, minlength=len(ids))
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    row_speakers = codes.labels[speaker_factor][rows][by_utt]
    speakers = np.minimum.reduceat(row_speakers, starts)
    mixed = np.flatnonzero(np.maximum.reduceat(row_speakers, starts) != speakers)
    if len(mixed):
        first = str(ids[mixed[0]])
        raise DataError(f"task speaker-eer: utterance {first!r} has rows of more than one y_{speaker_factor} value")

    def mean_per_utterance(per_row: np.ndarray) -> np.ndarray:
        return np.add.reduceat(per_row[rows][by_utt].astype(np.float64), starts, axis=0) / counts[:, None]

    return Utterances(
        ids=ids.astype(str),
        speakers=speakers,
        static=mean_per_utterance(codes.static),
        dynamic=mean_per_utterance(codes.dynamic.mean(axis=1)),
    )


def _mfcc_embeddings(inputs: TaskInputs, utterances: Utterances, speaker_factor: str) -> np.ndarray:
    dataset = mfcc_baseline.dataset_of_codes(inputs.codes, inputs.dataset)
    classes = inputs.codes.factors[speaker_factor].classes
    speakers = [classes[index] for index in utterances.speakers.tolist()]
    return mfcc_baseline.mfcc_utterance_embeddings(dataset, utterances.ids.tolist(), speakers)


def _check_options(options: SpeakerEEROptions) -> None:
    if options.baseline not in BASELINES:
        raise ConfigError(
            f"task speaker-eer: option baseline must be one of {', '.join(BASELINES)}, got {options.baseline!r}"
        )
    if options.protocol not in PROTOCOLS:
        raise ConfigError(
            f"task speaker-eer: option protocol must be one of {', '.join(PROTOCOLS)}, got {options.protocol!r}"
        )
    if options.max_trials < 2:
        raise ConfigError(f"task speaker-eer: option max_trials must be at least 2, got {options.max_trials}")
    if options.n_boot < 0:
        raise ConfigError(f"task speaker-eer: option n_boot must be 0 (no CI) or more, got {options.n_boot}")


def _scaled(summary: dict[str, float | None], scale: float, higher_is_better: bool) -> MetricValue:
    def times(value: float | None) -> float | None:
        return None if value is None else value * scale

    return MetricValue(
        value=summary["value"] * scale,
        higher_is_better=higher_is_better,
        ci_low=times(summary["ci_low"]),
        ci_high=times(summary["ci_high"]),
        std=times(summary["std"]),
    )
