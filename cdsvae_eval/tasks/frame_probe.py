"""``frame-probe``: does each frame's own dynamic code hold that frame's content?

``classify`` probes a segment's label (for speech, the phone at its centre frame) from the whole z_1:T.
This task probes per frame: every frame of a code file with per-frame labels (``frame_y_<factor>``, e.g.
each frame's phone) is a row, its features are that frame's z_t (the matching code) and, as the leakage
direction, the segment's z_s (which should not tell one frame's phone from the next). Probes are the
linear probes of :mod:`cdsvae_eval.tasks.probes`, fitted on the train split's frames and scored on the
scored split's; with baseline codes (a random-init model) the same probes run on them. Given the run's speech
dataset, each drawn frame's own log-mel vector is a view too (``frame_acc_<factor>_from_input``): what a
linear probe reads from the input (a reference, not a bound); without it the protocol's ``input`` says why it
was not scored.

Frames are many (segments x steps), so at most ``max_train_frames`` and ``max_frames`` of them are drawn
(uniformly, without replacement, seeded); the counts are in the protocol. Intervals are 95% cluster
bootstraps over the identities (speakers) of the scored frames; chance is the majority-class rate of the
scored frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from cdsvae_eval.codes import CodeSet
from cdsvae_eval.errors import ConfigError, DataError
from cdsvae_eval.names import (
    BASELINE_PREFIX, BASELINE_ROWS, DYNAMIC_CODE, INPUT_CODE, INPUT_ROWS, MODEL_ROWS, STATIC_CODE, frame_metric,
)
from cdsvae_eval.tasks.base import MetricSpec, MetricValue, Task, TaskInputs, TaskResult
from cdsvae_eval.tasks.bootstrap import ci_description, identity_bootstrap_ci
from cdsvae_eval.tasks.model_input import DESCRIPTION as INPUT_DESCRIPTION
from cdsvae_eval.tasks.model_input import InputUnavailable, ModelInput, model_input
from cdsvae_eval.tasks.probes import (
    PROBE_DESCRIPTION, ProbeJob, higher_is_better, majority_rate, probes_correct, resampling_unit, train_eval_codes,
    unscorable_reason,
)
from cdsvae_eval.tasks.registry import register_task

VIEW_DESCRIPTIONS = {DYNAMIC_CODE: "the frame's own z_t (Dt)",
                     STATIC_CODE: "the segment's z_s (Ds), the same for all its frames",
                     INPUT_CODE: "the frame's own input vector (F), given the run's speech dataset"}


@dataclass
class FrameProbeOptions:
    train_split: str = "train"
    split: str = "test"
    max_train_frames: int = 20_000
    max_frames: int = 20_000


@dataclass
class _Frames:
    """Frames of a split, drawn: per code its features, per factor its labels, and each frame's identity."""

    features: dict[str, np.ndarray]
    labels: dict[str, np.ndarray]
    identity: np.ndarray
    total: int


@register_task
class FrameProbe(Task):
    name: ClassVar[str] = "frame-probe"
    version: ClassVar[str] = "1.0"
    description: ClassVar[str] = ("per-frame probes: each frame's label (the phone) from that frame's z_t, and "
                                  "from z_s as leakage")
    needs: ClassVar[frozenset[str]] = frozenset({"codes"})
    uses: ClassVar[frozenset[str]] = frozenset({"dataset"})
    Options: ClassVar[type] = FrameProbeOptions
    metric_specs: ClassVar[tuple[MetricSpec, ...]] = (
        MetricSpec(frame_metric("{factor}", "{code}"), True, "accuracy of a linear probe of each frame's label "
                   "(higher is better from the frame's z_t, lower from z_s: leakage)"),
        MetricSpec("frame_chance_{factor}", False, "informational: majority-class rate of the scored frames"),
        MetricSpec(frame_metric("{factor}", "{code}", BASELINE_PREFIX), True, "the same probe on the random-init model"),
        MetricSpec(frame_metric("{factor}", INPUT_CODE), True, "the same probe on each frame's own input vector (its "
                   "log-mel frame): what a linear probe reads from it; when the run's dataset is given"),
    )

    def run(self, inputs: TaskInputs, options: FrameProbeOptions, seed: int, out_dir: Path | None) -> TaskResult:
        if options.max_train_frames < 2 or options.max_frames < 1:
            raise ConfigError(f"task {self.name}: options max_train_frames (>= 2) and max_frames (>= 1) must be "
                              f"positive, got {options.max_train_frames} and {options.max_frames}")
        train, test = train_eval_codes(inputs.codes, options.train_split, options.split, self.name)
        if not train.frame_labels:
            raise DataError(f"task {self.name} needs per-frame labels (fields 'frame_y_<factor>', e.g. each "
                            "frame's phone) in the codes; speech runs extracted by this version write them")
        input_frames, input_note = _input_frames(inputs, options)
        metrics, rows, skipped, counts = self._probe(train, test, options, seed, prefix="", input_frames=input_frames)
        if inputs.baseline_codes is not None:
            base_train, base_test = train_eval_codes(inputs.baseline_codes, options.train_split, options.split,
                                                     self.name)
            if not base_train.frame_labels:
                skipped["baseline"] = "the baseline codes have no per-frame labels"
            else:
                base_metrics, base_rows, _, _ = self._probe(base_train, base_test, options, seed, prefix=BASELINE_PREFIX)
                metrics.update(base_metrics)
                rows += base_rows
        protocol: dict[str, Any] = {
            "name": "per-frame-linear-probe",
            "probe": PROBE_DESCRIPTION,
            "views": VIEW_DESCRIPTIONS,
            "train_split": options.train_split,
            "split": options.split,
            **counts,
            "sampling": "frames drawn uniformly without replacement (numpy default_rng(seed)) up to "
                        "max_train_frames / max_frames",
            "ci": ci_description(resampling_unit(test)[1]),
            "chance": "majority-class rate of the scored frames",
            "baseline_codes": inputs.baseline_codes is not None,
            "input": input_note or f"{INPUT_DESCRIPTION}: each frame's log-mel vector (F)",
            "skipped": skipped,
        }
        return TaskResult(metrics=metrics, protocol=protocol, tables={"probes": rows})

    def _probe(self, train: CodeSet, test: CodeSet, options: FrameProbeOptions, seed: int, prefix: str,
               input_frames: tuple[ModelInput, ModelInput] | None = None,
               ) -> tuple[dict[str, MetricValue], list[dict[str, Any]], dict[str, str], dict[str, int]]:
        """The probes of one model's codes; ``input_frames`` (train, scored) adds the input view, drawn at the same
        frames as the codes."""
        fit = _frames(train, options.max_train_frames, seed, None if input_frames is None else input_frames[0])
        scored = _frames(test, options.max_frames, seed + 1, None if input_frames is None else input_frames[1])
        metrics: dict[str, MetricValue] = {}
        rows: list[dict[str, Any]] = []
        skipped: dict[str, str] = {}
        for factor in sorted(fit.labels):
            reason = unscorable_reason(fit.labels[factor], scored.labels[factor])
            if reason is not None:
                skipped[factor] = reason
        factors = [factor for factor in sorted(fit.labels) if factor not in skipped]
        jobs = [ProbeJob(fit.features[code], fit.labels[factor], scored.features[code], scored.labels[factor])
                for factor in factors for code in fit.features]
        correct_of = iter(probes_correct(jobs, seed))
        for factor in factors:
            chance = majority_rate(scored.labels[factor])
            if not prefix:
                metrics[f"frame_chance_{factor}"] = MetricValue(chance, higher_is_better=False)
            for code in fit.features:
                correct = next(correct_of)
                low, high = identity_bootstrap_ci(correct, scored.identity, seed)
                accuracy = float(correct.mean())
                metrics[frame_metric(factor, code, prefix)] = MetricValue(
                    accuracy, higher_is_better=higher_is_better(code, DYNAMIC_CODE), ci_low=low, ci_high=high,
                    chance=chance)
                codes = INPUT_ROWS if code == INPUT_CODE else BASELINE_ROWS if prefix else MODEL_ROWS
                rows.append({"codes": codes, "factor": factor, "kind": "dynamic",
                             "code": code, "accuracy": accuracy, "ci_low": low, "ci_high": high, "chance": chance,
                             "n_classes": len(train.factors[factor].classes), "level": "frame"})
        counts = {"n_train_frames": len(fit.identity), "train_frames_available": fit.total,
                  "n_frames": len(scored.identity), "frames_available": scored.total,
                  "eval_identities": int(len(np.unique(scored.identity)))}
        return metrics, rows, skipped, counts


def _input_frames(inputs: TaskInputs, options: FrameProbeOptions) -> tuple[tuple[ModelInput, ModelInput] | None,
                                                                          str | None]:
    """The input of the train and the scored split, or why it is not scored (the protocol's note)."""
    try:
        train = model_input(inputs.codes, inputs.dataset, options.train_split)
        scored = model_input(inputs.codes, inputs.dataset, options.split)
    except InputUnavailable as why:
        return None, f"not scored: {why}"
    steps = inputs.codes.dynamic.shape[1]
    if train.frames.shape[1] != steps:
        return None, (f"not scored: the input has {train.frames.shape[1]} frames per segment, the codes {steps} "
                      "dynamic steps (no frame's own input row to align)")
    return (train, scored), None


def _frames(codes: CodeSet, limit: int, seed: int, frame_input: ModelInput | None = None) -> _Frames:
    """At most ``limit`` frames of ``codes``, drawn uniformly without replacement (all when fewer), in order; with
    ``frame_input`` (the same rows' input) each drawn frame's own input vector is a view too."""
    n, steps = codes.dynamic.shape[:2]
    total = n * steps
    if total == 0:
        raise DataError("the codes hold no frames")
    rng = np.random.default_rng(seed)
    chosen = np.arange(total) if total <= limit else np.sort(rng.choice(total, limit, replace=False))
    row, step = np.divmod(chosen, steps)
    identities, _ = resampling_unit(codes)
    return _Frames(
        features={DYNAMIC_CODE: np.asarray(codes.dynamic[row, step], dtype=np.float32),
                  STATIC_CODE: np.asarray(codes.static[row], dtype=np.float32),
                  **({} if frame_input is None else {INPUT_CODE: frame_input.frames[row, step]})},
        labels={factor: labels[row, step] for factor, labels in codes.frame_labels.items()},
        identity=identities[row],
        total=total,
    )
