"""An example plug-in task for cdsvae-eval, installed as its own package.

``pyproject.toml`` declares it in the ``cdsvae_eval.tasks`` entry-point group, so after
``pip install examples/plugin_task`` it shows in ``cdsvae-eval tasks list`` and runs with
``cdsvae-eval probe --task code-norms --codes codes.npz``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cdsvae_eval.tasks import MetricSpec, MetricValue, Task, TaskInputs, TaskResult


@dataclass
class CodeNormsOptions:
    split: str | None = None


class CodeNorms(Task):
    name = "code-norms"
    version = "0.1"
    description = "mean L2 norm of the static code and of the per-frame dynamic codes"
    needs = frozenset({"codes"})
    Options = CodeNormsOptions
    metric_specs = (
        MetricSpec("static_norm", higher_is_better=False, description="mean ||z_s||"),
        MetricSpec("dynamic_norm", higher_is_better=False, description="mean ||z_t|| over sequences and frames"),
    )

    def run(self, inputs: TaskInputs, options: CodeNormsOptions, seed: int, out_dir: Path | None) -> TaskResult:
        codes = inputs.codes if options.split is None else inputs.codes.of_split(options.split)
        static_norm = float(np.linalg.norm(codes.static, axis=-1).mean())
        dynamic_norm = float(np.linalg.norm(codes.dynamic, axis=-1).mean())
        return TaskResult(
            metrics={
                "static_norm": MetricValue(static_norm, higher_is_better=False),
                "dynamic_norm": MetricValue(dynamic_norm, higher_is_better=False),
            },
            protocol={"name": "code-norms", "rows": len(codes)},
        )
