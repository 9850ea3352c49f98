"""``code-usage``: what the decoder can actually use from each code, not only what its means hold.

A decoder is trained on posterior samples, so a direction whose clip-to-clip spread is far below the
posterior noise carries nothing it can use, however well a probe separates the means. For each code this
task reports KL (static against N(0, I); dynamic per time step against the model's learned prior, when
the model is given), active units (Burda et al. 2016: Var_x E_q[z] > 0.01), per-dimension signal-to-noise
(variance of the means across clips over the mean posterior variance) and linear probes of every factor
from one posterior sample per row beside the same probes on the means, in both directions, with chance
and the random-init baseline.

Samples are drawn once per row from the task seed (train and eval rows alike), so the probe is fitted
and scored on what the decoder would see. Intervals are 95% cluster bootstraps over the codes'
``identity`` field (characters, speakers); without it they resample rows and the protocol says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cdsvae_eval.codes import CodeSet
from cdsvae_eval.models.code_stats import (
    ACTIVE_UNIT_THRESHOLD, active_units, kl_to_standard_normal, sample_codes, signal_to_noise,
)
from cdsvae_eval.names import BASELINE_PREFIX, KL_DYNAMIC, KL_STATIC, SAMPLE_PROBE_PREFIX, probe_metric
from cdsvae_eval.tasks.base import MetricSpec, MetricValue, Task, TaskInputs, TaskResult
from cdsvae_eval.tasks.bootstrap import ci_description
from cdsvae_eval.tasks.probes import (
    PROBE_DESCRIPTION, VIEWS, probe_factors, resampling_unit, train_eval_codes,
)
from cdsvae_eval.tasks.registry import register_task

NO_VARIANCES = ("the code file has no posterior variances (static_logvar, dynamic_logvar): KL, signal-to-noise "
                "and sample probes are not computed (codes extract writes them for C-DSVAE runs)")


@dataclass
class CodeUsageOptions:
    train_split: str = "train"
    split: str = "test"


def _features(codes: CodeSet, view: str, sampled: bool, rng: np.random.Generator) -> np.ndarray:
    mean, logvar = ((codes.static, codes.static_logvar) if view == "static" else (codes.dynamic, codes.dynamic_logvar))
    x = sample_codes(mean, logvar, rng) if sampled else np.asarray(mean, dtype=np.float32)
    return x.reshape(len(x), -1)


@register_task
class CodeUsage(Task):
    name = "code-usage"
    version = "1.0"
    description = "decodability: KL, active units, signal-to-noise and probes on posterior samples of each code"
    needs = frozenset({"codes"})
    uses = frozenset({"decoder"})
    Options = CodeUsageOptions
    metric_specs = (
        MetricSpec(KL_STATIC, True, "KL(q(z_s|x) || N(0, I)) per clip, nats, eval split"),
        MetricSpec("kl_dynamic_per_step", True, "KL(q(z_t|x) || p(z_t|z_<t)) per step, nats (needs the model)"),
        MetricSpec(KL_DYNAMIC, True, "the same KL summed over steps: nats per clip (needs the model)"),
        MetricSpec("active_units_{code}", True, f"dimensions with Var_x E_q > {ACTIVE_UNIT_THRESHOLD}"),
        MetricSpec("snr_median_{code}", True, "median over dimensions of Var_x(mean) / E_x[var]"),
        MetricSpec("informative_dims_{code}", True, "dimensions with signal-to-noise above 1"),
        MetricSpec(probe_metric("{factor}", "{code}", SAMPLE_PROBE_PREFIX), True,
                   "probe on one posterior sample per row; higher is better for the matching code, lower for leakage"),
        MetricSpec("mean_acc_{factor}_from_{code}", True, "the same probe on the posterior means"),
        MetricSpec("chance_{factor}", False, "informational: majority-class rate on the eval split"),
        MetricSpec(probe_metric("{factor}", "{code}", BASELINE_PREFIX + SAMPLE_PROBE_PREFIX), True, "the sample probe on a random-init model"),
    )

    def run(self, inputs: TaskInputs, options: CodeUsageOptions, seed: int, out_dir: Path | None) -> TaskResult:
        train, test = train_eval_codes(inputs.codes, options.train_split, options.split, self.name)
        metrics: dict[str, MetricValue] = {}
        notes: list[str] = []
        for code, mean in (("static", test.static), ("dynamic", test.dynamic)):
            metrics[f"active_units_{code}"] = MetricValue(float(active_units(mean)), higher_is_better=True)
        if test.has_variances:
            metrics.update(_noise_figures(test))
            kl_steps = _dynamic_kl_per_step(inputs.decoder, test, seed, inputs.device)
            if kl_steps is None:
                notes.append("kl_dynamic_per_step needs the model's learned prior: score a run with --checkpoint")
            else:
                metrics["kl_dynamic_per_step"] = MetricValue(float(kl_steps.mean()), higher_is_better=True)
                metrics[KL_DYNAMIC] = MetricValue(float(kl_steps.sum()), higher_is_better=True)
        else:
            notes.append(NO_VARIANCES)
        probe_metrics, rows, skipped = _probes(train, test, seed, prefix="")
        metrics.update(probe_metrics)
        if inputs.baseline_codes is not None:
            base_train, base_test = train_eval_codes(inputs.baseline_codes, options.train_split,
                                                     options.split, self.name)
            base_metrics, base_rows, _ = _probes(base_train, base_test, seed, prefix=BASELINE_PREFIX)
            metrics.update(base_metrics)
            rows += base_rows
        protocol: dict[str, Any] = {
            "name": "decodability",
            "train_split": options.train_split,
            "split": options.split,
            "n_train": len(train),
            "n_eval": len(test),
            "eval_identities": int(len(np.unique(resampling_unit(test)[0]))),
            "probe": PROBE_DESCRIPTION,
            "samples": "one reparameterised posterior sample per row, numpy default_rng(seed)",
            "signal_to_noise": "per dimension (per step for z_1:T, then averaged over steps)",
            "ci": ci_description(resampling_unit(test)[1]),
            "chance": "majority-class rate on the eval split",
            "baseline_codes": inputs.baseline_codes is not None,
            "variances": test.has_variances,
            "notes": notes,
            "skipped": skipped,
        }
        return TaskResult(metrics=metrics, protocol=protocol, tables={"probes": rows})


def _noise_figures(codes: CodeSet) -> dict[str, MetricValue]:
    metrics = {KL_STATIC: MetricValue(kl_to_standard_normal(codes.static, codes.static_logvar), True)}
    for code, mean, logvar in (("static", codes.static, codes.static_logvar),
                               ("dynamic", codes.dynamic, codes.dynamic_logvar)):
        snr = signal_to_noise(mean, logvar)
        metrics[f"snr_median_{code}"] = MetricValue(float(np.median(snr)), higher_is_better=True)
        metrics[f"informative_dims_{code}"] = MetricValue(float((snr > 1.0).sum()), higher_is_better=True)
    return metrics


def _dynamic_kl_per_step(model: Any, codes: CodeSet, seed: int, device: str) -> np.ndarray | None:
    """KL of each step's posterior against the learned prior given one sample of z_<t, mean over clips."""
    if model is None or not hasattr(model, "dynamic_prior"):
        return None
    import torch

    from cdsvae_eval.models.losses import kl_dynamic

    rng = np.random.default_rng(seed)
    z = torch.as_tensor(sample_codes(codes.dynamic, codes.dynamic_logvar, rng), device=device)
    mean = torch.as_tensor(codes.dynamic, device=device)
    logvar = torch.as_tensor(codes.dynamic_logvar, device=device)
    with torch.no_grad():
        prior_mean, prior_logvar = model.dynamic_prior(z)
        per_step = [kl_dynamic(mean[:, t:t + 1], logvar[:, t:t + 1], prior_mean[:, t:t + 1], prior_logvar[:, t:t + 1])
                    for t in range(z.shape[1])]
    return torch.stack(per_step).float().cpu().numpy()


def _probes(train: CodeSet, test: CodeSet, seed: int, prefix: str
            ) -> tuple[dict[str, MetricValue], list[dict[str, Any]], dict[str, str]]:
    """The probes on posterior samples (when the codes have variances) and on the means."""
    metrics: dict[str, MetricValue] = {}
    rows: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    inputs = [(SAMPLE_PROBE_PREFIX, True)] if train.has_variances and test.has_variances else []
    for which, sampled in [*inputs, ("mean_", False)]:
        rng = np.random.default_rng(seed)
        features = {view: (_features(train, view, sampled, rng), _features(test, view, sampled, rng)) for view in VIEWS}
        found, found_rows, skipped = probe_factors(
            train, test, features, seed, metric_prefix=f"{prefix}{which}",
            row_fields={"codes": "baseline" if prefix else "model", "input": which.rstrip("_")},
            record_chance=not prefix and not sampled)
        metrics.update(found)
        rows += found_rows
    return metrics, rows, skipped
