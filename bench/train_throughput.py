"""Training throughput: the optimised trainer path against the release-equivalent path.

Run: ``.venv/bin/python bench/train_throughput.py --presets paper,quick --json bench/out/train.json``.

Each measurement builds a real :class:`~cdsvae_eval.training.trainer.Trainer` (model, optimiser, precision
and memory format exactly as ``cdsvae-eval train`` builds them) on uniform random uint8 clips of the
preset's shape, kept on the device, and times ``--steps`` calls of ``Trainer.train_step`` after
``--warmup`` untimed ones. Each step fetches its batch from the on-device split and scales it with
``as_float``, as the training loop does. The modes are interleaved across repeats (release, optimized,
release, optimized, ...) so that drifting clocks or a busy machine hit both alike; the table reports the
median sequences/s of each mode and the ratio optimized / release.

``--largest-batch`` (CUDA only) doubles the paper preset's batch size until the GPU runs out of memory.
"""

from __future__ import annotations

import gc
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import click
import numpy as np
import torch
from rich.console import Console
from rich.table import Table

from cdsvae_eval.atomic import write_json
from cdsvae_eval.config import PRESETS, apply_overrides, preset_config
from cdsvae_eval.data.base import Factor, SequenceDataset, SequenceSplit, hash_parts
from cdsvae_eval.data.registry import register_dataset
from cdsvae_eval.errors import ConfigError
from cdsvae_eval.provenance import provenance
from cdsvae_eval.device import as_float, resolve_device
from cdsvae_eval.training.trainer import Trainer

RANDOM_CLIPS = "bench-random-clips"
MODES = ("release", "optimized")
VAL_ROWS = 2
LARGEST_BATCH_WARMUP = 2


@lru_cache(maxsize=2)
def random_uint8(rows: int, shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Uniform random uint8 clips, kept between trainer builds so only the first build pays for them."""
    return np.random.default_rng(seed).integers(0, 256, size=(rows, *shape), dtype=np.uint8)


@register_dataset(RANDOM_CLIPS, "uniform random uint8 video clips for benchmarks (nothing to learn)")
class RandomClips(SequenceDataset):
    """``rows`` random clips in the train and test splits (the validation split holds two)."""

    name = RANDOM_CLIPS
    modality = "video"
    identity_name = "clip"
    factors = (Factor("parity", "static", ("even", "odd")),)
    split_names = ("train", "val", "test")

    def __init__(self, resolution: int = 64, frames: int = 8, channels: int = 3, rows: int = 128, seed: int = 0):
        super().__init__()
        self.resolution, self.frames, self.channels, self.rows, self.seed = resolution, frames, channels, rows, seed

    @property
    def sequence_shape(self) -> tuple[int, ...]:
        return (self.frames, self.channels, self.resolution, self.resolution)

    def fingerprint(self) -> str:
        return hash_parts(self.name, self.sequence_shape, self.rows, self.seed)

    def _load_split(self, split: str) -> SequenceSplit:
        rows = VAL_ROWS if split == "val" else self.rows
        x = random_uint8(rows, self.sequence_shape, self.seed + self.split_names.index(split))
        index = np.arange(rows)
        return SequenceSplit(split, x, {"parity": index % 2}, identity=index)


def bench_trainer(preset: str, mode: str, device: str, batch_size: int | None, run_dir: Path,
                  compile_optimized: bool = False, precision: str = "auto") -> Trainer:
    """The trainer of ``preset`` in ``mode`` on random clips of the preset's shape (one batch of rows);
    ``compile_optimized`` torch.compiles the optimized mode's model (the release mode stays eager) and
    ``precision`` is the optimized mode's (the release mode is always fp32)."""
    config = preset_config(preset)
    batch = batch_size or config.batch_size
    config.dataset = RANDOM_CLIPS
    config.dataset_options = {"resolution": config.model.image_size, "frames": config.model.frames,
                              "channels": config.model.channels, "rows": batch}
    config = apply_overrides(config, {"mode": mode, "device": device, "batch_size": batch,
                                      "compile": compile_optimized and mode == "optimized",
                                      "precision": precision})
    return Trainer(config, run_dir, progress=False)


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed_steps(trainer: Trainer, steps: int, warmup: int) -> tuple[float, float]:
    """Seconds taken by ``steps`` training steps after ``warmup`` untimed ones, and the last loss."""
    order = torch.randperm(len(trainer.train_x), device=trainer.device)

    def step() -> torch.Tensor:
        return trainer.train_step(as_float(trainer.train_x[order]))[0]

    for _ in range(warmup):
        step()
    synchronize(trainer.device)
    start = time.perf_counter()
    losses = [step() for _ in range(steps)]
    synchronize(trainer.device)
    return time.perf_counter() - start, float(losses[-1])


@dataclass
class Measurement:
    preset: str
    mode: str
    batch_size: int
    steps: int
    seconds: float
    sequences_per_second: float
    final_loss: float
    peak_cuda_mb: float | None
    path: dict[str, Any]


def describe_path(trainer: Trainer) -> dict[str, Any]:
    """What the trainer's step actually runs: precision, views decoded, memory format, Adam kernel."""
    conv_weight = next(p for p in trainer.model.parameters() if p.dim() == 4)
    channels_last = conv_weight.is_contiguous(memory_format=torch.channels_last) and not conv_weight.is_contiguous()
    return {
        "precision": "fp32" if trainer.autocast_dtype is None else str(trainer.autocast_dtype).removeprefix("torch."),
        "decode_views": trainer.config.mode == "release",
        "channels_last": channels_last,
        "adam": "fused" if trainer.optimizer.defaults.get("fused") else "foreach",
        "compile": trainer.config.compile,
        "cpu_reuse_freed_memory": trainer.device.type == "cpu" and trainer.config.cpu_reuse_freed_memory,
    }


def measure(preset: str, mode: str, device: torch.device, batch_size: int | None, steps: int,
            warmup: int, compile_optimized: bool = False, precision: str = "auto") -> Measurement:
    """Build a fresh trainer, time its steps, free it; on CUDA the peak covers model, data and activations."""
    with tempfile.TemporaryDirectory() as run_dir:
        trainer = bench_trainer(preset, mode, str(device), batch_size, Path(run_dir) / "run", compile_optimized,
                                precision)
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        seconds, loss = timed_steps(trainer, steps, warmup)
        peak = torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None
        batch = trainer.config.batch_size
        result = Measurement(preset, mode, batch, steps, seconds, steps * batch / seconds, loss, peak,
                             describe_path(trainer))
    del trainer
    release_memory(device)
    return result


def release_memory(device: torch.device) -> None:
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()


def find_largest_batch(mode: str, device: torch.device, start: int, limit: int, steps: int) -> dict[str, Any]:
    """Double the paper preset's batch from ``start`` until it fails (out of memory) or passes ``limit``."""
    fits: list[Measurement] = []
    batch, stopped_by = start, None
    while stopped_by is None and batch <= limit:
        try:
            fits.append(measure("paper", mode, device, batch, steps, LARGEST_BATCH_WARMUP))
        except torch.cuda.OutOfMemoryError:
            stopped_by = f"out of memory at batch {batch}"
        except RuntimeError as error:  # e.g. a kernel's 32-bit indexing limit at a huge batch
            stopped_by = f"batch {batch}: {str(error).splitlines()[0]}"
        release_memory(device)
        batch *= 2
    best = fits[-1] if fits else None
    return {
        "mode": mode,
        "largest_batch": None if best is None else best.batch_size,
        "sequences_per_second": None if best is None else best.sequences_per_second,
        "peak_cuda_mb": None if best is None else best.peak_cuda_mb,
        "stopped_by": stopped_by or f"limit {limit}",
        "tried": [asdict(m) for m in fits],
    }


def summarise(runs: list[Measurement], presets: list[str], modes: list[str]) -> list[dict[str, Any]]:
    rows = []
    for preset in presets:
        medians = {}
        for mode in modes:
            mine = [r for r in runs if r.preset == preset and r.mode == mode]
            rates = [r.sequences_per_second for r in mine]
            medians[mode] = statistics.median(rates)
            peaks = [r.peak_cuda_mb for r in mine if r.peak_cuda_mb is not None]
            rows.append({
                "preset": preset, "mode": mode, "batch_size": mine[0].batch_size, "steps": mine[0].steps,
                "repeats": len(mine), "median_sequences_per_second": medians[mode],
                "min_sequences_per_second": min(rates), "max_sequences_per_second": max(rates),
                "median_ms_per_step": 1000 * mine[0].batch_size / medians[mode],
                "peak_cuda_mb": max(peaks) if peaks else None, "path": mine[0].path,
            })
        if {"release", "optimized"} <= set(medians):
            for row in rows[-len(modes):]:
                row["optimized_over_release"] = medians["optimized"] / medians["release"]
    return rows


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def environment(device: torch.device) -> dict[str, Any]:
    return {
        "command": " ".join(sys.argv),
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "provenance": provenance(),
    }


def print_summary(console: Console, rows: list[dict[str, Any]], largest: list[dict[str, Any]]) -> None:
    table = Table("preset", "mode", "batch", "seq/s", "range", "ms/step", "CUDA MB", "opt/rel", "path",
                  title="training throughput (median over repeats)", title_justify="left")
    for row in rows:
        path = row["path"]
        table.add_row(
            row["preset"], row["mode"], str(row["batch_size"]), f"{row['median_sequences_per_second']:.1f}",
            f"{row['min_sequences_per_second']:.0f}-{row['max_sequences_per_second']:.0f}",
            f"{row['median_ms_per_step']:.1f}", _number(row["peak_cuda_mb"], ".0f"),
            _number(row.get("optimized_over_release"), ".2f") if row["mode"] == "optimized" else "",
            f"{path['precision']} {'3x' if path['decode_views'] else '1x'} "
            f"{'NHWC' if path['channels_last'] else 'NCHW'} {path['adam']}",
        )
    console.print(table)
    if largest:
        table = Table("mode", "largest batch", "seq/s", "CUDA MB", "stopped by",
                      title="largest paper-preset batch that fits", title_justify="left")
        for entry in largest:
            table.add_row(entry["mode"], _number(entry["largest_batch"], "d"),
                          _number(entry["sequences_per_second"], ".1f"), _number(entry["peak_cuda_mb"], ".0f"),
                          entry["stopped_by"])
        console.print(table)


def log_console() -> Console:
    """A console that keeps tables unwrapped when the output goes to a log file (rich assumes 80 columns)."""
    return Console(highlight=False, width=None if sys.stdout.isatty() else 120)


def _number(value: float | int | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def parse_names(text: str, known: tuple[str, ...], option: str) -> list[str]:
    """A comma-separated option value as a list of known names; a click usage error otherwise."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names or any(name not in known for name in names):
        raise click.BadParameter(f"expected a comma-separated list of {', '.join(known)}, got {text!r}",
                                 param_hint=option)
    return names


def parse_device(name: str) -> torch.device:
    try:
        return resolve_device(name)
    except ConfigError as error:
        raise click.BadParameter(str(error), param_hint="--device") from None


@click.command()
@click.option("--presets", default="paper,quick", show_default=True, help="Comma-separated video presets.")
@click.option("--modes", default="release,optimized", show_default=True, help="Modes, interleaved in this order.")
@click.option("--device", default="auto", show_default=True, help="auto | cpu | cuda")
@click.option("--repeats", type=click.IntRange(min=1), default=5, show_default=True)
@click.option("--steps", type=click.IntRange(min=1), default=20, show_default=True, help="Timed steps per repeat.")
@click.option("--warmup", type=click.IntRange(min=0), default=5, show_default=True, help="Untimed steps first.")
@click.option("--batch-size", type=click.IntRange(min=2), default=None, help="Override every preset's batch size.")
@click.option("--largest-batch", is_flag=True, help="CUDA: find the largest paper batch that fits, per mode.")
@click.option("--largest-limit", type=click.IntRange(min=2), default=32768, show_default=True,
              help="Stop doubling past this batch size.")
@click.option("--largest-steps", type=click.IntRange(min=1), default=3, show_default=True,
              help=f"Timed steps per tried batch size (after {LARGEST_BATCH_WARMUP} warm-up steps).")
@click.option("--compile", "compile_optimized", is_flag=True,
              help="torch.compile the optimized mode (compilation happens in the warm-up steps).")
@click.option("--precision", type=click.Choice(["auto", "fp32", "bf16"]), default="auto", show_default=True,
              help="The optimized mode's precision (auto: bf16 where the device has native bf16).")
@click.option("--json", "json_path", type=click.Path(path_type=Path), default=None, help="Write the results here.")
def main(presets: str, modes: str, device: str, repeats: int, steps: int, warmup: int, batch_size: int | None,
         largest_batch: bool, largest_limit: int, largest_steps: int, compile_optimized: bool,
         precision: str, json_path: Path | None) -> None:
    """Median training sequences/s per preset and mode, and the ratio optimized / release."""
    preset_names = parse_names(presets, tuple(PRESETS), "--presets")
    mode_names = parse_names(modes, MODES, "--modes")
    resolved = parse_device(device)
    if largest_batch and resolved.type != "cuda":
        raise click.BadParameter("needs a CUDA device", param_hint="--largest-batch")
    console = log_console()
    console.print(f"device {resolved}, {repeats} repeats x {steps} steps after {warmup} warm-up steps")
    runs = []
    for preset in preset_names:
        for repeat in range(repeats):
            for mode in mode_names:
                run = measure(preset, mode, resolved, batch_size, steps, warmup, compile_optimized, precision)
                console.print(f"  {preset} {mode} repeat {repeat + 1}: {run.sequences_per_second:.1f} seq/s")
                runs.append(run)
    largest = []
    if largest_batch:
        start = batch_size or preset_config("paper").batch_size
        largest = [find_largest_batch(mode, resolved, start, largest_limit, largest_steps) for mode in mode_names]
    rows = summarise(runs, preset_names, mode_names)
    print_summary(console, rows, largest)
    console.print(f"peak RSS of this process: {peak_rss_mb():.0f} MB")
    if json_path is not None:
        write_json(json_path, {"environment": environment(resolved), "summary": rows, "largest_batch": largest,
                               "runs": [asdict(r) for r in runs], "peak_rss_mb": peak_rss_mb(),
                               "settings": {"repeats": repeats, "steps": steps, "warmup": warmup,
                                            "precision": precision, "compile": compile_optimized}})
        console.print(f"wrote {json_path}")


if __name__ == "__main__":
    main()
