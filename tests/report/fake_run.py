"""A run folder as `train` and `probe --task all --random-baseline` leave it (config.json, log.jsonl and
RUN/probes/*.json for swap-oracle, classify, few-shot and code-usage), with chosen numbers; a speech run scored by
the real tasks on planted codes, and its speech swaps on the synthetic corpus of tests/synthetic_speech.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cdsvae_eval.codes import CodeSet

PROTOCOL = {"name": "p", "split": "test", "n_eval": 40, "eval_identities": 10,
            "ci": {"method": "95% percentile cluster bootstrap", "resampled_unit": "character", "replicates": 100},
            "chance": "majority-class rate on the eval split"}
FACTORS = (("skin", "static", 0.25), ("action", "dynamic", 0.5))


def _record(task: str, metrics: dict, tables: dict | None = None, protocol: dict | None = None) -> dict:
    return {"schema_version": 1, "task": {"name": task, "version": "1.0"}, "metrics": metrics,
            "protocol": protocol or PROTOCOL, "tables": tables or {}, "artifacts": [], "seed": 0,
            "training": {"preset": "smoke", "seed": 1, "dataset": "flare-sprites", "epochs": 2,
                         "checkpoint_file": "best.pt", "checkpoint_epoch": 2, "selection_split": "val",
                         "selection_rule": "swap", "config_sha256": "abc", "config": {"preset": "smoke",
                                                                                      "loss": {"mi": 1.0}}},
            "provenance": {"git_hash": "deadbeef", "host": "test", "time_utc": "2026-01-01T00:00:00+00:00",
                           "packages": {"python": "3"}}}


def _probe_rows(accuracy: float, **extra: str) -> list[dict]:
    rows = []
    for codes, shift in (("model", 0.0), ("baseline", -0.2)):
        for factor, kind, chance in FACTORS:
            for code in ("static", "dynamic"):
                value = accuracy + shift if code == kind else chance
                rows.append({"codes": codes, "factor": factor, "kind": kind, "code": code, "accuracy": value,
                             "ci_low": value - 0.02, "ci_high": value + 0.02, "chance": chance, **extra})
    return rows


def write_fake_run(run: Path, accuracy: float = 0.9, motion_swap: float = 0.95, identity_swap: float = 0.8) -> Path:
    probes = run / "probes"
    probes.mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"config": {"preset": "smoke", "epochs": 2}}))
    epochs = [{"epoch": e, "train": {"loss": 10.0 / e, "recon": 5.0 / e, "kl_static": 2.0, "kl_dynamic": 1.0, "mi": 0.1,
                                     "contrastive_static": 1.0, "contrastive_dynamic": 1.0}, "seconds": 1.0,
               "swap": {"swap_motion_acc": motion_swap, "swap_identity_acc": identity_swap,
                        "swap_motion_chance": 0.11, "swap_identity_chance": 0.1}} for e in (1, 2)]
    (run / "log.jsonl").write_text("\n".join(json.dumps(e) for e in epochs) + "\n")
    swap = _record("swap-oracle", {
        "swap_motion_acc": {"value": motion_swap, "higher_is_better": True, "ci_low": motion_swap - 0.02,
                            "ci_high": motion_swap + 0.02, "chance": 0.11},
        "swap_identity_acc": {"value": identity_swap, "higher_is_better": True, "ci_low": identity_swap - 0.02,
                              "ci_high": identity_swap + 0.02, "chance": 0.1},
        "swap_motion_chance": {"value": 0.11, "higher_is_better": False},
        "swap_identity_chance": {"value": 0.1, "higher_is_better": False}},
        protocol={"name": "swap", "split": "test", "pairs": 100, "identities": 10})
    classify = _record("classify", {"acc_skin_from_static": {"value": accuracy, "higher_is_better": True,
                                                            "ci_low": accuracy - 0.02, "ci_high": accuracy + 0.02}},
                       {"probes": _probe_rows(accuracy)})
    curves = [{"curve": f"skin from {code}", "k": str(k), "shots": float(k), "mean": 0.5, "ci_low": 0.4, "ci_high": 0.6,
               "chance": 0.25} for code in ("static", "dynamic (leakage)") for k in (1, 5)]
    few_shot = _record("few-shot", {"auc_skin_static": {"value": 0.5, "higher_is_better": True}}, {"curves": curves})
    usage = _record("code-usage", {"kl_static": {"value": 3.0, "higher_is_better": True},
                                   "kl_dynamic": {"value": 2.0, "higher_is_better": True}},
                    {"probes": _probe_rows(accuracy, input="sample") + _probe_rows(1.0, input="mean")})
    for record in (swap, classify, few_shot, usage):
        (probes / f"{record['task']['name']}.json").write_text(json.dumps(record))
    return run


def speech_codes(seed: int = 0, speakers: int = 6, utterances: int = 5, segments: int = 3, steps: int = 4,
                 trained: bool = True) -> "CodeSet":
    """Codes of a speech run on train, val and test speakers: z_s clusters by speaker (``trained``), each frame's
    z_t holds its phone, and every row carries its frame phones; a random-init model's codes hold neither."""
    import numpy as np

    from cdsvae_eval.codes import CodeSet, FactorMeta

    rng = np.random.default_rng(seed)
    phones = [f"ph{i}" for i in range(6)]
    names, rows = [], []
    for split, count in (("train", speakers), ("val", 3), ("test", speakers)):
        for s in range(count):
            names.append(f"{split[:2].upper()}{s}")
            rows += [(len(names) - 1, u, split) for u in range(utterances) for _ in range(segments)]
    speaker = np.array([s for s, _, _ in rows])
    frames = rng.integers(0, len(phones), size=(len(rows), steps))
    centres = 4 * rng.normal(size=(len(names), 8))
    static = (centres[speaker] if trained else 0) + rng.normal(size=(len(rows), 8))
    dynamic = (3 * np.eye(len(phones))[frames] if trained else 0) + rng.normal(size=(len(rows), steps, len(phones)))
    return CodeSet(
        static=static.astype(np.float32), dynamic=dynamic.astype(np.float32),
        labels={"speaker": speaker, "phone": frames[:, steps // 2]},
        factors={"speaker": FactorMeta("static", names), "phone": FactorMeta("dynamic", phones)},
        utt=np.array([f"{names[s]}/U{u}" for s, u, _ in rows]), split=np.array([split for _, _, split in rows]),
        identity=np.asarray(names)[speaker], frame_labels={"phone": frames},
        static_logvar=np.full_like(static, -2.0, dtype=np.float32),
        dynamic_logvar=np.full_like(dynamic, -2.0, dtype=np.float32),
        meta={"identity": "speaker", "dataset": "tts-timit",
              "training": {**_record("x", {})["training"], "dataset": "tts-timit", "preset": "quick"}},
    )


def write_fake_audio_run(run: Path) -> Path:
    """A speech run folder as `train --dataset tts-timit` and `probe --task all --random-baseline --option
    backend=all` leave it, scored by the real tasks on planted codes (no MFCC baseline: it needs audio)."""
    from cdsvae_eval.evaluate import run_suite
    from cdsvae_eval.tasks.base import TaskInputs

    run.mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"config": {"preset": "quick", "dataset": "tts-timit"}}))
    epochs = [{"epoch": e, "train": {"loss": 10.0 / e, "recon": 5.0 / e, "kl_static": 2.0, "kl_dynamic": 1.0,
                                     "mi": 0.1, "contrastive_static": 1.0, "contrastive_dynamic": 1.0}}
              for e in (1, 2, 3)]
    (run / "log.jsonl").write_text("\n".join(json.dumps(e) for e in epochs) + "\n")
    inputs = TaskInputs(codes=speech_codes(), baseline_codes=speech_codes(seed=1, trained=False))
    run_suite(inputs, ["speaker-eer", "speaker-few-shot", "classify", "frame-probe", "code-usage"],
              {"backend": "all", "n_boot": 50, "draws": 3}, out_dir=run / "probes")
    write_speech_swap_results(run / "probes")
    return run


def write_speech_swap_results(folder: Path, listen: int = 3) -> Path:
    """speech-swap scored on the synthetic corpus by a decoder that takes the voice from z_s and the words from
    z_1:T (its codes are not those of the other tasks: the task needs audio features and a decoder)."""
    from cdsvae_eval.evaluate import run_task
    from cdsvae_eval.tasks.base import TaskInputs
    from synthetic_speech import PlantedModel, SyntheticSpeech

    return run_task("speech-swap", TaskInputs(decoder=PlantedModel(), dataset=SyntheticSpeech()),
                    {"pairs": 40, "n_boot": 50, "listen": listen}, out_dir=folder)[1]
