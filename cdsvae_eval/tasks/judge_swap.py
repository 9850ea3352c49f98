"""``judge-swap``: the paper's generation metrics, scored by a judge trained on real clips.

- Fix dynamics, resample static: keep each clip's dynamic posterior means z_1:T, draw s ~ N(0, I),
  decode. ``motion_acc`` is the share of generated clips whose judged motion is the clip's motion.
  With p(y|x) the judge's motion softmax on the generated clips and p(y) their mean (natural log):
  IS = exp(mean_x KL(p(y|x) || p(y))), H(y|x) = mean entropy of p(y|x), H(y) = entropy of p(y).
- Fix static, resample dynamics: keep each clip's static posterior mean, sample z_1:T from the learned
  prior, decode. ``static_acc_<factor>`` is the judge's accuracy on each static attribute.

Each is repeated over ``seeds`` seeds (seed, seed + 1, ...): values are the mean, with the sample std and
every seed's value. The accuracies also get a 95% interval that resamples the split's identities
(characters) with all their clips (percentile cluster bootstrap of each clip's correctness averaged over
seeds), and their chance level (1 / classes); IS and the entropies are not per-clip means and carry
the std over seeds only. The judge must have been trained on the model's dataset (same fingerprint) and
its recorded test motion accuracy must reach ``min_judge_accuracy``; its accuracy on the real clips
of the split is reported too (``judge_real_acc_<factor>``). With an output folder, a swap grid
(static of one clip, dynamics of another) is written as ``swap_grid.png``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy.special import xlogy

from cdsvae_eval.device import frames_on
from cdsvae_eval.errors import ConfigError, DataError
from cdsvae_eval.models.judge import Judge, LoadedJudge, judge_accuracy, load_judge
from cdsvae_eval.models.swaps import swap_grid
from cdsvae_eval.names import MOTION_FACTOR
from cdsvae_eval.tasks.base import Figure, MetricSpec, MetricValue, Task, TaskInputs, TaskResult
from cdsvae_eval.tasks.bootstrap import ci_description, identity_bootstrap_ci
from cdsvae_eval.tasks.registry import register_task

BATCH_SIZE = 128
GRID_FILE = "swap_grid.png"
GRID_CLIPS = 5
LOWER_IS_BETTER = frozenset({"h_y_given_x"})


@dataclass
class JudgeSwapOptions:
    judge: str | None = None
    min_judge_accuracy: float = 0.9
    seeds: int = 3
    split: str = "test"
    samples: int | None = None


def generation_scores(probs: np.ndarray) -> dict[str, float]:
    """Inception score and entropies (natural log) of class probabilities ``probs`` (N, K), rows summing to 1."""
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2 or len(p) == 0:
        raise DataError(f"generation scores need probabilities of shape (N, K) with N > 0, got {p.shape}")
    if (p < 0).any() or not np.allclose(p.sum(axis=1), 1.0, atol=1e-4):
        raise DataError("generation scores need non-negative probabilities whose rows sum to 1")
    marginal = p.mean(axis=0)
    kl = (xlogy(p, p) - xlogy(p, marginal)).sum(axis=1)
    return {
        "inception_score": float(np.exp(kl.mean())),
        "h_y_given_x": float(-xlogy(p, p).sum(axis=1).mean()),
        "h_y": float(-xlogy(marginal, marginal).sum()),
    }


@register_task
class JudgeSwap(Task):
    name = "judge-swap"
    version = "1.0"
    description = "generate with resampled static or dynamic codes; a judge trained on real clips scores them"
    needs = frozenset({"decoder", "dataset"})
    Options = JudgeSwapOptions
    metric_specs = (
        MetricSpec("motion_acc", True, "fix dynamics, resample static: judged motion equals the clip's motion"),
        MetricSpec("inception_score", True, "fix dynamics, resample static: exp(mean KL(p(y|x) || p(y))) over motions"),
        MetricSpec("h_y_given_x", False, "fix dynamics, resample static: mean entropy of the judge's motion softmax"),
        MetricSpec("h_y", True, "fix dynamics, resample static: entropy of the mean motion softmax (<= ln K)"),
        MetricSpec("static_acc_{factor}", True, "fix static, resample dynamics from the prior: judged attribute kept"),
        MetricSpec("judge_real_acc_{factor}", True, "sanity: the judge's accuracy on the real clips of the split"),
    )

    def run(self, inputs: TaskInputs, options: JudgeSwapOptions, seed: int, out_dir: Path | None) -> TaskResult:
        _check_options(options)
        dataset, model, device = inputs.dataset, inputs.decoder, torch.device(inputs.device)
        loaded = _checked_judge(options, dataset, device)
        judge = loaded.judge
        part = dataset.split(options.split)
        if options.samples is not None and options.samples < len(part):
            part = part.subset(np.sort(np.random.default_rng(seed).choice(len(part), options.samples, replace=False)))

        was_training = model.training
        model.eval()
        try:
            s_mean, z_mean = _encode(model, part.x, device)
            per_seed: dict[str, list[float]] = {}
            correct: dict[str, list[np.ndarray]] = {}
            for k in range(options.seeds):
                generator = torch.Generator(device=device).manual_seed(seed + k)
                values, hits = _score_seed(model, judge, s_mean, z_mean, part.labels, generator)
                for name, value in values.items():
                    per_seed.setdefault(name, []).append(value)
                for name, hit in hits.items():
                    correct.setdefault(name, []).append(hit)
            grid = _grid_figure(model, dataset, part, device, seed)
        finally:
            model.train(was_training)

        metrics = {name: _seed_summary(values, name not in LOWER_IS_BETTER) for name, values in per_seed.items()}
        chance = {name: 1.0 / len(dataset.factor(name).classes) for name in judge.factor_names}
        for name, hits in correct.items():
            factor = MOTION_FACTOR if name == "motion_acc" else name.removeprefix("static_acc_")
            metrics[name].ci_low, metrics[name].ci_high = identity_bootstrap_ci(
                np.mean(hits, axis=0), part.identity, seed)
            metrics[name].chance = chance[factor]
        real = judge_accuracy(judge, part, BATCH_SIZE)
        metrics.update({f"judge_real_acc_{name}": MetricValue(value, higher_is_better=True, chance=chance[name])
                        for name, value in real.items()})
        protocol: dict[str, Any] = {
            "name": "judge-generation",
            "judge": {"path": str(loaded.path), "sha256": loaded.sha256, "test_accuracy": loaded.info.test_accuracy,
                      "min_judge_accuracy": options.min_judge_accuracy},
            "dataset": dataset.name,
            "dataset_fingerprint": dataset.fingerprint(),
            "split": options.split,
            "clips": len(part),
            "seeds": [seed + k for k in range(options.seeds)],
            "fix_dynamics": "z_1:T = posterior means of each clip, s ~ N(0, I), decoded; motion judged",
            "fix_static": "s = posterior mean of each clip, z_1:T sampled from the learned prior; "
                          "static attributes judged",
            "chance": chance,
            "ci": {**ci_description(dataset.identity_name), "metrics": "accuracies only",
                   "values": "each clip's correctness averaged over seeds"},
            "log": "natural",
            "std": "sample std over seeds (ddof=1); 0 for one seed",
        }
        return TaskResult(metrics=metrics, protocol=protocol, figures={GRID_FILE: grid})


def _score_seed(model: Any, judge: Judge, s_mean: torch.Tensor, z_mean: torch.Tensor, labels: dict[str, np.ndarray],
                generator: torch.Generator) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Both generation protocols for one seed: resample s and judge motion; resample z_1:T and judge statics.

    Returns the metric values and, for each accuracy, which clips the judge found right."""
    device = s_mean.device
    s_random = torch.randn(s_mean.shape, device=device, generator=generator)
    motion_probs = _judge_generated(model, judge, s_random, z_mean, (MOTION_FACTOR,))[MOTION_FACTOR]
    hits = {"motion_acc": motion_probs.argmax(1) == labels[MOTION_FACTOR]}
    z_random = model.sample_dynamic_prior(len(s_mean), z_mean.shape[1], device, generator=generator)
    static_probs = _judge_generated(model, judge, s_mean, z_random, judge.static_factor_names)
    hits.update({f"static_acc_{name}": probs.argmax(1) == labels[name] for name, probs in static_probs.items()})
    values = {name: float(hit.mean()) for name, hit in hits.items()}
    values.update(generation_scores(motion_probs))
    return values, hits


def _check_options(options: JudgeSwapOptions) -> None:
    if not options.judge:
        raise ConfigError("task judge-swap needs its option judge=PATH (train one with cdsvae-eval judge train)")
    if not 0.0 <= options.min_judge_accuracy <= 1.0:
        raise ConfigError(
            f"task judge-swap option min_judge_accuracy must be in [0, 1], got {options.min_judge_accuracy}"
        )
    if options.seeds < 1:
        raise ConfigError(f"task judge-swap option seeds must be at least 1, got {options.seeds}")
    if options.samples is not None and options.samples < 1:
        raise ConfigError(f"task judge-swap option samples must be at least 1, got {options.samples}")


def _checked_judge(options: JudgeSwapOptions, dataset: Any, device: torch.device) -> LoadedJudge:
    loaded = load_judge(options.judge, device)
    info = loaded.info
    motion_accuracy = info.test_accuracy.get(MOTION_FACTOR, 0.0)
    if motion_accuracy < options.min_judge_accuracy:
        raise ConfigError(
            f"task judge-swap: judge {loaded.path} has test motion accuracy {motion_accuracy:.4f}, below "
            f"min_judge_accuracy={options.min_judge_accuracy}; train a better judge or lower the bar"
        )
    if info.dataset_fingerprint != dataset.fingerprint():
        raise DataError(
            f"task judge-swap: judge {loaded.path} was trained on {info.dataset} {info.dataset_options} "
            f"(fingerprint {info.dataset_fingerprint}), but the model's dataset is {dataset.name} "
            f"(fingerprint {dataset.fingerprint()}); train a judge on the model's dataset"
        )
    missing = [name for name in loaded.judge.factor_names if name not in {f.name for f in dataset.factors}]
    if missing:
        raise DataError(f"task judge-swap: dataset {dataset.name!r} lacks the judged factor(s) {', '.join(missing)}")
    return loaded


@torch.no_grad()
def _encode(model: Any, clips: np.ndarray, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Posterior means of all clips, on ``device``."""
    statics, dynamics = [], []
    for start in range(0, len(clips), BATCH_SIZE):
        s, z = model.encode(frames_on(clips[start:start + BATCH_SIZE], device))
        statics.append(s.float())
        dynamics.append(z.float())
    return torch.cat(statics), torch.cat(dynamics)


@torch.no_grad()
def _judge_generated(model: Any, judge: Judge, s: torch.Tensor, z: torch.Tensor,
                     factors: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The judge's softmax (float64, N x K) on ``decode(s, z)`` for the given factors, in batches."""
    parts: dict[str, list[np.ndarray]] = {name: [] for name in factors}
    for start in range(0, len(s), BATCH_SIZE):
        generated = model.decode(s[start:start + BATCH_SIZE], z[start:start + BATCH_SIZE]).float()
        probs = judge.probabilities(generated)
        for name in factors:
            parts[name].append(probs[name].double().cpu().numpy())
    return {name: np.concatenate(chunks) for name, chunks in parts.items()}


def _seed_summary(values: list[float], higher_is_better: bool) -> MetricValue:
    std = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
    return MetricValue(float(np.mean(values)), higher_is_better=higher_is_better, std=std, per_seed=list(values))


def _grid_figure(model: Any, dataset: Any, part: Any, device: torch.device, seed: int) -> Figure:
    motion = part.labels[MOTION_FACTOR]
    rng = np.random.default_rng(seed)
    motions = rng.permutation(np.unique(motion))[:GRID_CLIPS]
    picks = np.array([rng.choice(np.flatnonzero(motion == m)) for m in motions])
    names = dataset.factor(MOTION_FACTOR).classes
    labels = [f"{dataset.identity_name} {part.identity[i]} {names[motion[i]]}" for i in picks]
    return Figure("image_grid", swap_grid(model, part.x[picks], device), {
        "row_labels": ["dynamic sources", *(f"s of {label}" for label in labels)],
        "col_labels": ["static sources", *(f"z of {label}" for label in labels)],
        "scale": max(1, 64 // part.x.shape[-1]),
    })
