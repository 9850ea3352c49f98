"""Speech recipe ablations, judged on the dev split: train named variants of the audio preset on tts-timit and
score each run's best.pt on dev (never test) with the toolkit's own tasks.

Per variant: speaker-verification EER of z_s, of mean z_1:T and of the MFCC baseline on the same dev trials
(all pairs) under raw cosine, and of mean z_1:T under the LDA and PLDA back-ends fitted on the training
speakers (linear leakage that cosine does not see); the phone probes per frame (each frame's z_t, z_s, the
log-mel input itself: the ceiling) and per segment (z_1:T, z_s, a random-init encoder's z_1:T), linear,
fitted on train codes and scored on dev; the epoch best.pt was chosen at, and the training seconds. One JSON
line per variant goes to OUT/results.jsonl and a Markdown row to stdout.

    .venv/bin/python bench/speech_ablation.py --out bench/out/speech --variants base,utterance --epochs 60
    .venv/bin/python bench/speech_ablation.py --list

Variants are the ``quick-cdsvae`` speech preset (C-DSVAE's own objective at the quick budget) plus ``--set``-style
overrides (VARIANTS below; ``recipe`` is the loss of the ``quick`` preset); ``--set KEY=VALUE`` adds overrides to
every variant (e.g. the corpus size, ``dataset_options.train_speakers=48``). A variant whose run folder holds a
finished run of the same config is scored again without training.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
import warnings
from pathlib import Path
from typing import Any

from cdsvae_eval.config import SPEECH_LOSS, apply_overrides, preset_config
from cdsvae_eval.evaluate.inputs import inputs_from_checkpoint
from cdsvae_eval.evaluate.runner import run_task
from cdsvae_eval.names import (
    BASELINE_PREFIX, DYNAMIC_CODE, EER, EER_DYNAMIC, EER_DYNAMIC_LDA, EER_STATIC, INPUT_CODE, MFCC_CODE, PHONE_FACTOR,
    STATIC_CODE, probe_metric, verification_metric,
)

UTTERANCE = {"loss.content_view": "utterance", "loss.decode_static_from": "content",
             "loss.static_negatives": "other-utterances"}
IDENTITY = {"loss.content_view": "identity", "loss.decode_static_from": "content",
            "loss.static_negatives": "other-identities"}
RECIPE = {f"loss.{name}": value for name, value in dataclasses.asdict(SPEECH_LOSS).items()}
VARIANTS: dict[str, dict[str, Any]] = {
    "base": {},
    "recipe": RECIPE,
    "recipe-centred": {**RECIPE, "model.dynamic_input": "centred"},
    "recipe-kld6": {**RECIPE, "loss.kl_dynamic": 6.0},
    "recipe-mi3": {**RECIPE, "loss.mi": 3.0},
    "utterance": UTTERANCE,
    "utterance-no-mask": {**UTTERANCE, "loss.static_negatives": "all"},
    "utterance-no-cross": {**UTTERANCE, "loss.decode_static_from": "self"},
    "utterance-kls0.25": {**UTTERANCE, "loss.kl_static": 0.25},
    "utterance-kls0.1": {**UTTERANCE, "loss.kl_static": 0.1},
    "utterance-speaker-mask": {**UTTERANCE, "loss.static_negatives": "other-identities"},
    "identity": IDENTITY,
    "identity-no-mask": {**IDENTITY, "loss.static_negatives": "all"},
    "base-kls0.25": {"loss.kl_static": 0.25},
    "base-mask-utterance": {"loss.static_negatives": "other-utterances"},
    "base-kld2": {"loss.kl_dynamic": 2.0},
    "base-kld1": {"loss.kl_dynamic": 1.0},
    "utterance-no-cross-kld2": {**UTTERANCE, "loss.decode_static_from": "self", "loss.kl_dynamic": 2.0},
    "utterance-no-cross-kld1": {**UTTERANCE, "loss.decode_static_from": "self", "loss.kl_dynamic": 1.0},
    "utterance-no-cross-dyn-overlap": {**UTTERANCE, "loss.decode_static_from": "self",
                                       "loss.dynamic_similarity": "overlap"},
    "utterance-no-cross-t0.2": {**UTTERANCE, "loss.decode_static_from": "self", "loss.temperature": 0.2},
    "utterance-no-cross-t0.1": {**UTTERANCE, "loss.decode_static_from": "self", "loss.temperature": 0.1},
    "utterance-no-cross-t0.2-cd20": {**UTTERANCE, "loss.decode_static_from": "self", "loss.temperature": 0.2,
                                     "loss.contrastive_dynamic": 20.0},
    "utterance-no-cross-t0.1-cd20": {**UTTERANCE, "loss.decode_static_from": "self", "loss.temperature": 0.1,
                                     "loss.contrastive_dynamic": 20.0},
    "utterance-no-cross-t0.1-cd30": {**UTTERANCE, "loss.decode_static_from": "self", "loss.temperature": 0.1,
                                     "loss.contrastive_dynamic": 30.0},
    "utterance-no-cross-t0.1-cd40": {**UTTERANCE, "loss.decode_static_from": "self", "loss.temperature": 0.1,
                                     "loss.contrastive_dynamic": 40.0},
    # Taking the voice out of z_1:T (corpus plan v3: dev voices unseen in training): batches of utterance blocks,
    # and the utterance-level terms that they allow
    "recipe-blocks4": {**RECIPE, "segments_per_utterance": 4},
    "recipe-blocks4-dynsame": {**RECIPE, "segments_per_utterance": 4, "loss.dynamic_negatives": "same-utterance"},
    "recipe-blocks4-fisher1": {**RECIPE, "segments_per_utterance": 4, "loss.utterance_fisher": 1.0},
    "recipe-blocks4-fisher5": {**RECIPE, "segments_per_utterance": 4, "loss.utterance_fisher": 5.0},
    "recipe-blocks4-critic1": {**RECIPE, "segments_per_utterance": 4, "loss.utterance_critic": 1.0},
    "recipe-blocks4-critic10": {**RECIPE, "segments_per_utterance": 4, "loss.utterance_critic": 10.0},
    "recipe-blocks4-offset1": {**RECIPE, "segments_per_utterance": 4, "loss.utterance_offset": 1.0},
    "recipe-blocks4-offset10": {**RECIPE, "segments_per_utterance": 4, "loss.utterance_offset": 10.0},
    "recipe-blocks8-critic10": {**RECIPE, "segments_per_utterance": 8, "loss.utterance_critic": 10.0},
    "recipe-zt16": {**RECIPE, "model.dynamic_dim": 16},
    "recipe-swap10": {**RECIPE, "loss.contrastive_swap": 10.0},
    "recipe-swap20": {**RECIPE, "loss.contrastive_swap": 20.0},
    "recipe-zt8": {**RECIPE, "model.dynamic_dim": 8},
    "recipe-mvs2": {**RECIPE, "loss.motion_view_strength": 2.0},
    "recipe-stdprior": {**RECIPE, "model.dynamic_prior": "standard"},
    "recipe-stdprior-kld1": {**RECIPE, "model.dynamic_prior": "standard", "loss.kl_dynamic": 1.0},
    "recipe-kld8": {**RECIPE, "loss.kl_dynamic": 8.0},
    "recipe-instnorm": {**RECIPE, "model.dynamic_input": "instance-normalised"},
    "recipe-codecritic1": {**RECIPE, "loss.code_critic": 1.0},
    "recipe-instnorm-codecritic1": {**RECIPE, "model.dynamic_input": "instance-normalised", "loss.code_critic": 1.0},
    "recipe-instnorm-kld2": {**RECIPE, "model.dynamic_input": "instance-normalised", "loss.kl_dynamic": 2.0},
    "recipe-instnorm-blocks4-critic1": {**RECIPE, "model.dynamic_input": "instance-normalised",
                                        "segments_per_utterance": 4, "loss.utterance_critic": 1.0},
}


def score_on_dev(run: Path) -> dict[str, Any]:
    """The dev-split figures of ``run``'s best.pt (see the module docstring)."""
    inputs = inputs_from_checkpoint(run, device="cpu", random_baseline=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eer, _ = run_task("speaker-eer", inputs, {"split": "val", "baseline": "mfcc", "backend": "all", "n_boot": 200})
        probes, _ = run_task("classify", inputs, {"split": "val"})
        frames, _ = run_task("frame-probe", inputs, {"split": "val"})

    def value(metrics: dict[str, Any], name: str) -> float | None:
        return round(metrics[name].value, 4) if name in metrics else None

    def frame(code: str) -> float | None:
        return value(frames.metrics, f"frame_acc_{PHONE_FACTOR}_from_{code}")

    return {
        "eer_static": value(eer.metrics, EER_STATIC), "eer_dynamic": value(eer.metrics, EER_DYNAMIC),
        "eer_mfcc": value(eer.metrics, verification_metric(EER, MFCC_CODE)),
        "eer_dynamic_lda": value(eer.metrics, EER_DYNAMIC_LDA),
        "eer_dynamic_plda": value(eer.metrics, verification_metric(EER, DYNAMIC_CODE, "plda")),
        "frame_phone_dynamic": frame(DYNAMIC_CODE), "frame_phone_static": frame(STATIC_CODE),
        "frame_phone_input": frame(INPUT_CODE),
        "phone_dynamic": value(probes.metrics, probe_metric(PHONE_FACTOR, DYNAMIC_CODE)),
        "phone_static": value(probes.metrics, probe_metric(PHONE_FACTOR, STATIC_CODE)),
        "phone_dynamic_random_init": value(probes.metrics, probe_metric(PHONE_FACTOR, DYNAMIC_CODE, BASELINE_PREFIX)),
    }


def run_variant(name: str, overrides: dict[str, Any], out: Path, epochs: int | None) -> dict[str, Any]:
    from cdsvae_eval.training.trainer import train

    config = apply_overrides(preset_config("quick-cdsvae", "audio"), {"select_by": "speaker-eer", **overrides})
    if epochs is not None:
        config = apply_overrides(config, {"epochs": epochs})
    run = out / name
    summary_path = run / "summary.json"
    saved = run / "config.json"
    finished = summary_path.is_file() and saved.is_file() and \
        json.loads(saved.read_text())["config"] == config.to_dict()
    started = time.perf_counter()
    if not finished:
        train(config, run, force=True, progress=False)
    summary = json.loads(summary_path.read_text())
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    return {"variant": name, "overrides": overrides, "epochs": config.epochs,
            "train_seconds": round(sum(r["seconds"] for r in log)), "best_epoch": summary["best_epoch"],
            "trained_now": not finished, "wall_seconds": round(time.perf_counter() - started),
            **score_on_dev(run)}


COLUMNS = (("eer_static", 2), ("eer_dynamic", 2), ("eer_dynamic_lda", 2), ("eer_dynamic_plda", 2), ("eer_mfcc", 2),
           ("frame_phone_dynamic", 3), ("frame_phone_static", 3), ("frame_phone_input", 3), ("phone_dynamic", 3),
           ("phone_static", 3), ("phone_dynamic_random_init", 3))
HEADER = ("| variant | epochs | best epoch | EER z_s | EER mean z_1:T | LDA | PLDA | EER MFCC | frame phone z_t | "
          "frame phone z_s | frame phone input | segment phone z_1:T | segment phone z_s | segment phone random-init "
          "z_1:T |\n|" + "---|" * 14)


def markdown_row(result: dict[str, Any]) -> str:
    cells = ["-" if result.get(key) is None else f"{result[key]:.{digits}f}" for key, digits in COLUMNS]
    return f"| {result['variant']} | {result['epochs']} | {result['best_epoch']} | " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("bench/out/speech"))
    parser.add_argument("--variants", default="base,utterance")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--set", dest="extra", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--list", action="store_true", help="Print the variants and exit.")
    args = parser.parse_args()
    if args.list:
        for name, overrides in VARIANTS.items():
            print(f"{name}: {overrides}")
        return
    extra = dict(item.split("=", 1) for item in args.extra)
    args.out.mkdir(parents=True, exist_ok=True)
    print(HEADER)
    for name in args.variants.split(","):
        result = run_variant(name, {**VARIANTS[name], **extra}, args.out, args.epochs)
        with open(args.out / "results.jsonl", "a", encoding="utf-8") as log:
            log.write(json.dumps(result) + "\n")
        print(markdown_row(result), flush=True)


if __name__ == "__main__":
    main()
