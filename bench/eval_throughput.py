"""Evaluation throughput: code extraction, EER/minDCF, and ``probe --task all`` on a code file.

Run: ``.venv/bin/python bench/eval_throughput.py --json bench/out/eval.json``.

- extraction: ``extract_codes`` of a randomly initialised (seeded) paper- and quick-preset model over
  random uint8 clips of the preset's shape, per batch size; sequences/s is the median over repeats
  after one untimed warm-up pass. It includes what a real extraction does: the host-to-device copy of
  every batch and the copy of the codes back.
- verification metrics: ``eer`` and ``min_dcf`` on 10^5 .. 10^7 random trials (``bench/eer_speed.py``).
- probes: the wall time of every code-only task, run as ``probe --task all --codes FILE`` runs them
  (``run_task`` with a results folder), on a synthetic code file shaped like flare-sprites codes:
  static 256, dynamic 8 x 32, the flare-sprites factors, ``--probe-rows`` rows split train/val/test in
  flare-sprites' proportions. The time includes reading the code file.

Peak RSS is the process's high-water mark after each stage.
"""

from __future__ import annotations

import math
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import click
import numpy as np
import torch
from rich.table import Table

from cdsvae_eval.atomic import write_json
from cdsvae_eval.codes import CodeSet, FactorMeta, extract_codes, load_codes, save_codes
from cdsvae_eval.config import PRESETS, preset_config
from cdsvae_eval.data.flare_sprites import DIRECTIONS, MOTIONS, SPLIT_SIZES, FlareSprites
from cdsvae_eval.errors import CdsvaeError
from cdsvae_eval.models.factory import build_model
from cdsvae_eval.tasks import TaskInputs, get_task, list_tasks
from cdsvae_eval.evaluate import run_task
from cdsvae_eval.evaluate.runner import missing_needs

# sibling scripts in bench/ (on sys.path when this file runs as a script)
from eer_speed import time_verification_metrics
from train_throughput import RandomClips, environment, log_console, parse_device, parse_names, peak_rss_mb

STATIC_DIM, FRAMES, DYNAMIC_DIM = 256, 8, 32


def extraction_speed(preset: str, batch_size: int, rows: int, device: torch.device, repeats: int) -> dict[str, Any]:
    """Sequences/s of ``extract_codes`` on the test split of random clips, fresh seeded model."""
    model_config = preset_config(preset).model
    torch.manual_seed(0)
    model = build_model(model_config).to(device).eval()
    clips = RandomClips(model_config.image_size, model_config.frames, model_config.channels, rows=rows)
    clips.split("test")
    extract_codes(model, clips, ("test",), batch_size=batch_size, device=str(device))
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        extract_codes(model, clips, ("test",), batch_size=batch_size, device=str(device))
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    return {
        "preset": preset, "batch_size": batch_size, "rows": rows, "median_seconds": seconds,
        "sequences_per_second": rows / seconds,
        "peak_cuda_mb": torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None,
    }


def synthetic_flare_codes(rows: int, seed: int = 0) -> CodeSet:
    """Codes shaped like a flare-sprites extraction: 9 motions per character, factors that a probe can read.

    Each static factor value and each motion has a random embedding; a row's static code is the sum of its
    character's static embeddings plus noise, its dynamic code its motion's embedding plus noise.
    """
    rng = np.random.default_rng(seed)
    motions_per_character = len(MOTIONS)
    characters = math.ceil(rows / motions_per_character)
    static_factors = [f for f in FlareSprites.factors if f.kind == "static"]
    values = np.stack([rng.integers(0, f.num_classes, characters) for f in static_factors], axis=1)
    row_values = np.repeat(values, motions_per_character, axis=0)[:rows]
    motion = np.tile(np.arange(motions_per_character), characters)[:rows]
    static = rng.normal(0.0, 2.0, (rows, STATIC_DIM))
    for column, factor in enumerate(static_factors):
        static += rng.normal(size=(factor.num_classes, STATIC_DIM))[row_values[:, column]]
    dynamic = rng.normal(size=(motions_per_character, FRAMES, DYNAMIC_DIM))[motion]
    dynamic += rng.normal(0.0, 2.0, dynamic.shape)
    labels = {f.name: row_values[:, i] for i, f in enumerate(static_factors)}
    labels.update(motion=motion, action=motion // len(DIRECTIONS), direction=motion % len(DIRECTIONS))
    return CodeSet(
        static=static.astype(np.float32),
        dynamic=dynamic.astype(np.float32),
        labels={name: value.astype(np.int64) for name, value in labels.items()},
        factors={f.name: FactorMeta(kind=f.kind, classes=list(f.classes)) for f in FlareSprites.factors},
        split=character_splits(characters)[np.arange(rows) // motions_per_character],
        meta={"source": "synthetic benchmark codes (bench/eval_throughput.py)"},
    )


def character_splits(characters: int) -> np.ndarray:
    """The split of each character, in flare-sprites' train/val/test proportions (at least one each)."""
    total = sum(size for _, size in SPLIT_SIZES)
    counts = {name: max(1, round(characters * size / total)) for name, size in SPLIT_SIZES[1:]}
    counts = {SPLIT_SIZES[0][0]: characters - sum(counts.values()), **counts}
    return np.repeat(np.array(list(counts)), list(counts.values()))


def probe_all_speed(rows: int) -> dict[str, Any]:
    """Wall time of every code-only task on a synthetic code file, as ``probe --task all --codes`` runs them."""
    with tempfile.TemporaryDirectory() as folder:
        codes_path = Path(folder) / "codes.npz"
        save_codes(synthetic_flare_codes(rows), codes_path)
        tasks: list[dict[str, Any]] = []
        start = time.perf_counter()
        inputs = TaskInputs(codes=load_codes(codes_path))
        for entry in list_tasks():
            missing = [] if not entry.available else missing_needs(get_task(entry.name), inputs)
            if not entry.available or missing:
                reason = f"unavailable: {entry.error}" if not entry.available else f"needs {', '.join(missing)}"
                tasks.append({"task": entry.name, "seconds": None, "status": f"skipped, {reason}"})
                continue
            task_start = time.perf_counter()
            try:
                run_task(entry.name, inputs, out_dir=Path(folder) / "results", codes_path=codes_path)
                status = "ran"
            except CdsvaeError as error:
                status = f"not run: {error}"
            tasks.append({"task": entry.name, "seconds": time.perf_counter() - task_start, "status": status})
        total = time.perf_counter() - start
    return {"rows": rows, "total_seconds": total, "tasks": tasks}


def _sizes(text: str, option: str) -> list[int]:
    try:
        sizes = [int(float(item)) for item in text.split(",") if item.strip()]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1:
        raise click.BadParameter("expected comma-separated positive numbers, e.g. 256,512 or 1e5,1e6", param_hint=option)
    return sizes


@click.command()
@click.option("--device", default="auto", show_default=True, help="auto | cpu | cuda (for extraction).")
@click.option("--extract-presets", default="paper,quick", show_default=True)
@click.option("--extract-batches", default="256,512", show_default=True)
@click.option("--extract-rows", type=click.IntRange(min=1), default=2664, show_default=True,
              help="Clips encoded per pass (2664 = the flare-sprites test split).")
@click.option("--trials", default="1e5,1e6,1e7", show_default=True, help="Trial counts for eer and min_dcf.")
@click.option("--probe-rows", type=click.IntRange(min=90), default=2664, show_default=True,
              help="Rows of the synthetic code file (11664 = every flare-sprites split).")
@click.option("--repeats", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--json", "json_path", type=click.Path(path_type=Path), default=None, help="Write the results here.")
def main(device: str, extract_presets: str, extract_batches: str, extract_rows: int, trials: str, probe_rows: int,
         repeats: int, json_path: Path | None) -> None:
    """Code extraction sequences/s, EER/minDCF seconds and probe wall time, with peak memory."""
    presets = parse_names(extract_presets, tuple(PRESETS), "--extract-presets")
    batches = _sizes(extract_batches, "--extract-batches")
    trial_sizes = tuple(_sizes(trials, "--trials"))
    resolved = parse_device(device)
    console = log_console()
    peaks: dict[str, float] = {}

    extraction = [extraction_speed(preset, batch, extract_rows, resolved, repeats)
                  for preset in presets for batch in batches]
    peaks["extraction"] = peak_rss_mb()
    table = Table("preset", "batch", "rows", "seq/s", "CUDA MB", title=f"code extraction on {resolved}",
                  title_justify="left")
    for row in extraction:
        peak = "-" if row["peak_cuda_mb"] is None else f"{row['peak_cuda_mb']:.0f}"
        table.add_row(row["preset"], str(row["batch_size"]), str(row["rows"]), f"{row['sequences_per_second']:.1f}", peak)
    console.print(table)

    metrics = time_verification_metrics(trial_sizes, repeats)
    peaks["metrics"] = peak_rss_mb()
    table = Table("trials", "eer s", "min_dcf s", "eer %", title="verification metrics (median)", title_justify="left")
    for row in metrics:
        table.add_row(f"{row['trials']:,}", f"{row['eer_seconds']:.3f}", f"{row['min_dcf_seconds']:.3f}",
                      f"{row['eer_percent']:.3f}")
    console.print(table)

    probes = probe_all_speed(probe_rows)
    peaks["probes"] = peak_rss_mb()
    table = Table("task", "seconds", "status", title=f"probe --task all on {probe_rows} code rows "
                  f"({probes['total_seconds']:.1f} s in all)", title_justify="left")
    for row in probes["tasks"]:
        table.add_row(row["task"], "-" if row["seconds"] is None else f"{row['seconds']:.2f}", row["status"])
    console.print(table)
    console.print("peak RSS after each stage (MB): " + ", ".join(f"{k} {v:.0f}" for k, v in peaks.items()))
    if json_path is not None:
        write_json(json_path, {"environment": environment(resolved), "extraction": extraction,
                               "verification_metrics": metrics, "probes": probes, "peak_rss_mb": peaks,
                               "settings": {"repeats": repeats}})
        console.print(f"wrote {json_path}")


if __name__ == "__main__":
    main()
