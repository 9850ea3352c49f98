"""``classify``: linear probes on frozen codes, in both directions.

Every labelled factor is predicted from the static code and from the dynamic codes. Good
disentanglement means high accuracy from the code that matches the factor's kind and accuracy near
chance from the other one, so ``higher_is_better`` is True for matching pairs and False for the
cross pairs (leakage). Probes are fitted on the train split and scored on the eval split; the 95%
interval resamples the eval split's identities (characters, speakers) with all their rows (percentile
cluster bootstrap, 1000 replicates, seeded), since rows of one identity are not independent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cdsvae_eval.codes import CodeSet
from cdsvae_eval.names import BASELINE_PREFIX, probe_metric
from cdsvae_eval.tasks.base import MetricSpec, MetricValue, Task, TaskInputs, TaskResult
from cdsvae_eval.tasks.bootstrap import ci_description
from cdsvae_eval.tasks.probes import (
    PROBE_DESCRIPTION,
    VIEW_DESCRIPTIONS,
    VIEWS,
    feature_view,
    probe_factors,
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
    )

    def run(self, inputs: TaskInputs, options: ClassifyOptions, seed: int, out_dir: Path | None) -> TaskResult:
        train, test = train_eval_codes(inputs.codes, options.train_split, options.split, self.name)
        metrics, rows, skipped = _probe_all(train, test, seed, prefix="")
        if inputs.baseline_codes is not None:
            base_train, base_test = train_eval_codes(
                inputs.baseline_codes, options.train_split, options.split, self.name
            )
            base_metrics, base_rows, _ = _probe_all(base_train, base_test, seed, prefix=BASELINE_PREFIX)
            metrics.update(base_metrics)
            rows += base_rows
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
            "skipped": skipped,
        }
        return TaskResult(metrics=metrics, protocol=protocol, tables={"probes": rows})


def _probe_all(
    train: CodeSet, test: CodeSet, seed: int, prefix: str
) -> tuple[dict[str, MetricValue], list[dict[str, Any]], dict[str, str]]:
    features = {view: (feature_view(train, view), feature_view(test, view)) for view in VIEWS}
    return probe_factors(train, test, features, seed, metric_prefix=prefix,
                         row_fields={"codes": "baseline" if prefix else "model"}, record_chance=not prefix)
