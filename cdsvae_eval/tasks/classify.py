"""``classify``: linear probes on frozen codes, in both directions.

Every labelled factor is predicted from the static code and from the dynamic codes. Good
disentanglement means high accuracy from the code that matches the factor's kind and accuracy near
chance from the other one, so ``higher_is_better`` is True for matching pairs and False for the
cross pairs (leakage). Probes are fitted on the train split and scored on the eval split; the 95%
interval resamples the eval split's identities (characters, speakers) with all their rows (percentile
cluster bootstrap, 1000 replicates, seeded), since rows of one identity are not independent.

Given the run's speech dataset, the same probes also read the model's input (each segment's log-mel frames,
flattened as z_1:T is: ``acc_<factor>_from_input``), what a linear probe reads from the input (a reference, not
a bound: an encoder that is nonlinear can give codes that read more); without it (a
code file alone, or video) the protocol's ``input`` says why it was not scored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cdsvae_eval.codes import CodeSet
from cdsvae_eval.names import BASELINE_PREFIX, BASELINE_ROWS, INPUT_CODE, INPUT_ROWS, MODEL_ROWS, probe_metric
from cdsvae_eval.tasks.base import MetricSpec, Task, TaskInputs, TaskResult
from cdsvae_eval.tasks.bootstrap import ci_description
from cdsvae_eval.tasks.model_input import DESCRIPTION as INPUT_DESCRIPTION
from cdsvae_eval.tasks.model_input import InputUnavailable, model_input
from cdsvae_eval.tasks.probes import (
    PROBE_DESCRIPTION,
    VIEW_DESCRIPTIONS,
    VIEWS,
    ProbeSet,
    feature_view,
    probe_sets,
    resampling_unit,
    train_eval_codes,
)
from cdsvae_eval.tasks.registry import register_task


@dataclass
class ClassifyOptions:
    train_split: str = "train"
    split: str = "test"


@register_task
class Classify(Task):
    name = "classify"
    version = "1.0"
    description = "linear probes: every factor from the static code and from the dynamic codes"
    needs = frozenset({"codes"})
    uses = frozenset({"dataset"})
    Options = ClassifyOptions
    metric_specs = (
        MetricSpec(
            "acc_{factor}_from_{code}",
            higher_is_better=True,
            description="probe accuracy on the eval split; higher is better when the code matches the "
            "factor's kind, lower is better otherwise (leakage)",
        ),
        MetricSpec(
            "chance_{factor}",
            higher_is_better=False,
            description="informational: majority-class rate on the eval split",
        ),
        MetricSpec(
            probe_metric("{factor}", "{code}", BASELINE_PREFIX),
            higher_is_better=True,
            description="the same probe on codes of a randomly initialised model (when given)",
        ),
        MetricSpec(
            probe_metric("{factor}", INPUT_CODE),
            higher_is_better=True,
            description="the same probe on the model's input (speech: the segment's log-mel frames, flattened), "
            "what a linear probe reads from the input; when the run's dataset is given",
        ),
    )

    def run(self, inputs: TaskInputs, options: ClassifyOptions, seed: int, out_dir: Path | None) -> TaskResult:
        train, test = train_eval_codes(inputs.codes, options.train_split, options.split, self.name)
        sets = [_code_views(train, test, prefix="")]
        if inputs.baseline_codes is not None:
            base_train, base_test = train_eval_codes(
                inputs.baseline_codes, options.train_split, options.split, self.name
            )
            sets.append(_code_views(base_train, base_test, prefix=BASELINE_PREFIX))
        input_note: str | None = None
        try:
            train_input = model_input(inputs.codes, inputs.dataset, options.train_split)
            test_input = model_input(inputs.codes, inputs.dataset, options.split)
        except InputUnavailable as why:
            input_note = f"not scored: {why}"
        else:
            sets.append(ProbeSet(train, test, {INPUT_CODE: (train_input.segments, test_input.segments)},
                                 row_fields={"codes": INPUT_ROWS}))
        outcomes = probe_sets(sets, seed)
        metrics, rows, skipped = outcomes[0]
        for more_metrics, more_rows, _ in outcomes[1:]:
            metrics.update(more_metrics)
            rows += more_rows
        protocol: dict[str, Any] = {
            "name": "linear-probe-both-directions",
            "probe": PROBE_DESCRIPTION,
            "views": VIEW_DESCRIPTIONS,
            "train_split": options.train_split,
            "split": options.split,
            "n_train": len(train),
            "n_eval": len(test),
            "ci": ci_description(resampling_unit(test)[1]),
            "eval_identities": int(len(np.unique(resampling_unit(test)[0]))),
            "chance": "majority-class rate on the eval split",
            "baseline_codes": inputs.baseline_codes is not None,
            "input": input_note or f"{INPUT_DESCRIPTION}, flattened frame by frame (N, T*F)",
            "skipped": skipped,
        }
        return TaskResult(metrics=metrics, protocol=protocol, tables={"probes": rows})


def _code_views(train: CodeSet, test: CodeSet, prefix: str) -> ProbeSet:
    features = {view: (feature_view(train, view), feature_view(test, view)) for view in VIEWS}
    return ProbeSet(train, test, features, metric_prefix=prefix,
                    row_fields={"codes": BASELINE_ROWS if prefix else MODEL_ROWS}, record_chance=not prefix)
