"""``swap-oracle``: score decoded swaps against the true clips, without a judge.

On datasets that hold every identity in every motion, decoding (s of clip A, z_1:T of clip B) should
give A's identity doing B's motion, and that clip exists. The scoring lives in
:mod:`cdsvae_eval.models.swaps` (shared with the trainer's validation report); this task runs it
on a whole split with a seeded set of pairs and adds 95% intervals that resample identities: a pair
involves two (A's static code, B's dynamics), so each replicate draws identities with replacement and
rebuilds the pairs from them (a pair counts with the product of its two identities' draw counts).
Chance: 1 / motions for the motion accuracy (the nearest of A's clips), 1 / identities for the
identity accuracy (the nearest of the clips with B's motion).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cdsvae_eval.errors import ConfigError, DataError
from cdsvae_eval.models.swaps import score_swaps
from cdsvae_eval.names import (
    CLIP_PHASE, MOTION_FACTOR, SWAP_IDENTITY_ACC, SWAP_IDENTITY_CHANCE, SWAP_MOTION_ACC, SWAP_MOTION_CHANCE, SWAP_REL_ERROR,
)
from cdsvae_eval.tasks.base import MetricSpec, MetricValue, Task, TaskInputs, TaskResult
from cdsvae_eval.tasks.bootstrap import ci_description, identity_bootstrap_ci
from cdsvae_eval.tasks.registry import register_task


@dataclass
class SwapOracleOptions:
    split: str = "test"
    pairs: int = 1000


@register_task
class SwapOracle(Task):
    name = "swap-oracle"
    version = "1.0"
    description = "decode (static of A, dynamics of B) and find the nearest true clip: motion and identity kept?"
    needs = frozenset({"decoder", "dataset"})
    Options = SwapOracleOptions
    metric_specs = (
        MetricSpec(SWAP_MOTION_ACC, True, "share of swaps whose nearest clip of A's identity has B's motion"),
        MetricSpec(SWAP_IDENTITY_ACC, True, "share of swaps whose nearest clip with B's motion is A's identity"),
        MetricSpec(SWAP_REL_ERROR, False, "MSE(swap, true clip) / MSE(reconstruction of the true clip, true clip)"),
        MetricSpec(SWAP_MOTION_CHANCE, False, "informational: 1 / motions, the motion swap of a random guess"),
        MetricSpec(SWAP_IDENTITY_CHANCE, False, "informational: 1 / identities, the identity swap of a random guess"),
    )

    def run(self, inputs: TaskInputs, options: SwapOracleOptions, seed: int, out_dir: Path | None) -> TaskResult:
        if options.pairs < 1:
            raise ConfigError(f"task swap-oracle option pairs must be at least 1, got {options.pairs}")
        dataset = inputs.dataset
        part = dataset.split(options.split)
        if MOTION_FACTOR not in part.labels:
            raise DataError(f"task swap-oracle needs a {MOTION_FACTOR!r} factor; dataset {dataset.name!r} has none")
        try:
            score = score_swaps(inputs.decoder, part.x, part.identity, part.labels[MOTION_FACTOR],
                                pairs=options.pairs, seed=seed, phase=part.extras.get(CLIP_PHASE))
        except DataError as error:
            raise DataError(f"task swap-oracle on {dataset.name!r} split {options.split!r}: {error}") from None
        identities = int(len(np.unique(part.identity)))
        motions = int(len(np.unique(part.labels[MOTION_FACTOR])))
        metrics: dict[str, MetricValue] = {}
        for name, correct, chance in ((SWAP_MOTION_ACC, score.motion_correct, 1.0 / motions),
                                      (SWAP_IDENTITY_ACC, score.identity_correct, 1.0 / identities)):
            low, high = identity_bootstrap_ci(correct, score.pair_identities, seed)
            metrics[name] = MetricValue(float(correct.mean()), higher_is_better=True, ci_low=low, ci_high=high,
                                        chance=chance)
        metrics[SWAP_REL_ERROR] = MetricValue(score.relative_swap_error, higher_is_better=False)
        metrics[SWAP_MOTION_CHANCE] = MetricValue(score.motion_chance, higher_is_better=False)
        metrics[SWAP_IDENTITY_CHANCE] = MetricValue(score.identity_chance, higher_is_better=False)
        protocol: dict[str, Any] = {
            "name": "swap-nearest-true-clip",
            "dataset": dataset.name,
            "dataset_fingerprint": dataset.fingerprint(),
            "split": options.split,
            "pairs": score.pairs,
            "identities": identities,
            "motions": motions,
            "pair_sampling": "seeded (A, motion of A, B != A, motion of B != motion of A), with replacement",
            "true_clips": ("at the phase of B (clips start at different phases)" if CLIP_PHASE in part.extras
                           else "as stored (every clip starts at the same phase)"),
            "codes": "posterior means",
            "ci": {**ci_description(f"{dataset.identity_name} (both of a pair's, pairs rebuilt)"),
                   "metrics": "accuracies only"},
            "chance": "1 / motions (motion), 1 / identities (identity)",
        }
        return TaskResult(metrics=metrics, protocol=protocol)
