"""``cdsvae-eval train``: train C-DSVAE from a preset with option overrides."""

from __future__ import annotations

import shlex
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cdsvae_eval.cli.console import make_console, print_table
from cdsvae_eval.cli.options import fields_as_flags, parse_key_values
from cdsvae_eval.config import PRESETS
from cdsvae_eval.models.selection import SPEAKER_RECORD, SWAP_RECORD
from cdsvae_eval.names import EER_DYNAMIC, EER_DYNAMIC_LDA, EER_STATIC, KL_DYNAMIC, KL_STATIC, SWAP_IDENTITY_ACC, SWAP_MOTION_ACC

# The config field (or API argument) each flag sets, so an error about the field names the flag.
_FIELD_FLAGS = {
    "epochs": "--epochs", "batch_size": "--batch-size", "lr": "--lr", "seed": "--seed", "device": "--device",
    "precision": "--precision", "mode": "--mode", "compile": "--compile", "dataset": "--dataset",
    "dataset_options.data_root": "--data-root", "run_dir": "--out", "seeds": "--seeds",
}

if TYPE_CHECKING:
    from rich.console import Console

    from cdsvae_eval.config import TrainConfig


@click.command()
@click.option("--preset", default="quick", show_default=True,
              help=f"{' | '.join(PRESETS)} (see README: Presets)")
@click.option("--dataset", default=None, help="Dataset name (default: the preset's; flare-sprites for video presets).")
@click.option("--data-root", type=click.Path(path_type=Path), default=None, help="Folder of a user-supplied dataset.")
@click.option("--out", "run_dir", type=click.Path(path_type=Path), default=None,
              help="Run folder (default: runs/<dataset>-<preset>-seed<seed>).")
@click.option("--epochs", type=int, default=None)
@click.option("--batch-size", type=int, default=None)
@click.option("--lr", type=float, default=None)
@click.option("--seed", type=int, default=None)
@click.option("--seeds", "seed_list", default=None, metavar="1,2,3",
              help="Train once per seed, into OUT/seed-<n> (default OUT: runs/<dataset>-<preset>-seeds).")
@click.option("--device", default=None, help="auto | cpu | cuda")
@click.option("--precision", default=None, help="auto | fp32 | bf16 (auto: bf16 on CUDA and on CPUs with native bf16, else fp32)")
@click.option("--mode", default=None, help="optimized | release (the released cost profile, for benchmarks)")
@click.option("--compile/--no-compile", "compile_", default=None, help="torch.compile the model.")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override any config value, e.g. --set model.static_dim=128 --set loss.mi=2.")
@click.option("--resume", is_flag=True,
              help="Continue the run in --out exactly where it stopped; with a larger --epochs, continue a "
                   "finished run to that many epochs.")
@click.option("--force", is_flag=True, help="Replace an existing run folder.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
def train(preset: str, dataset: str | None, data_root: Path | None, run_dir: Path | None, epochs: int | None,
          batch_size: int | None, lr: float | None, seed: int | None, device: str | None, precision: str | None,
          mode: str | None, compile_: bool | None, overrides: tuple[str, ...], resume: bool, force: bool,
          no_progress: bool, seed_list: str | None) -> None:
    """Train C-DSVAE. With no arguments: the `quick` preset on flare-sprites (minutes on a CPU)."""
    from cdsvae_eval.config import apply_overrides, preset_config
    from cdsvae_eval.config_checks import check_train_config
    from cdsvae_eval.data.registry import dataset_modality
    from cdsvae_eval.training.trainer import train as run_training

    modality = dataset_modality(dataset) if dataset else "video"
    config = preset_config(preset, modality)
    if dataset and dataset != config.dataset:
        config.dataset_options = {}  # the preset's data options belong to its own dataset
    values: dict[str, object] = {
        "epochs": epochs, "batch_size": batch_size, "lr": lr, "seed": seed, "device": device,
        "precision": precision, "mode": mode, "compile": compile_, "dataset": dataset,
    }
    if data_root is not None:
        values["dataset_options.data_root"] = str(data_root)
    settings = parse_key_values(overrides)
    config = apply_overrides(config, {k: v for k, v in values.items() if v is not None})
    config = apply_overrides(config, settings)
    console = make_console()
    flags = {**_FIELD_FLAGS, **{key: f"--set {key}" for key in settings}}
    if seed_list is not None:
        with fields_as_flags(flags):
            check_train_config(config)
            _train_seeds(config, seed_list, seed, run_dir, resume, force, no_progress, console)
        return
    run_dir = run_dir or Path("runs") / f"{config.dataset}-{config.preset}-seed{config.seed}"
    with fields_as_flags(flags):
        check_train_config(config)
        console.print(f"training [bold]{config.preset}[/] on [bold]{config.dataset}[/] -> {run_dir}")
        summary = run_training(config, run_dir, resume=resume, force=force, progress=not no_progress,
                               **_reporters(console, config.epochs))
    if summary.interrupted:
        console.print(f"interrupted by {signal.Signals(summary.stop_signal).name}: state saved to "
                      f"{run_dir / 'last.pt'}; continue with: {_resume_command(run_dir)}", soft_wrap=True)
        sys.exit(128 + summary.stop_signal)
    if not summary.is_main:
        return  # DDP: rank 0 reports and draws
    rows = [(name, f"{value:.4g}") for name, value in {**summary.final_train}.items()]
    rows += [(f"val {name}", f"{value:.4g}") for name, value in summary.final_val.items()]
    print_table(console, ("final (last epoch)", "value"), rows)
    console.print(f"training curves: {_write_curves(run_dir)}")
    for note in summary.notes:
        console.print(f"note: {note}", markup=False, soft_wrap=True)
    if summary.best_epoch is not None:
        console.print(f"best.pt: epoch {summary.best_epoch} by {summary.selection} (score {summary.best_score:.4f})",
                      markup=False, soft_wrap=True)
    if summary.verdict is not None:
        console.print(f"validation split, best epoch {summary.best_epoch}:")
        for line in summary.verdict.lines():
            console.print(line, markup=False, soft_wrap=True)
    best = next((record for record in summary.history if record["epoch"] == summary.best_epoch), {})
    if SPEAKER_RECORD in best:
        speaker = best[SPEAKER_RECORD]
        console.print(f"validation split, best epoch {summary.best_epoch}: {speaker_eers(speaker)} (chance 50%); the "
                      "verdict on test needs the MFCC baseline and the phone probes: `cdsvae-eval verdict RUN/probes` "
                      "after probe", markup=False, soft_wrap=True)
    console.print(f"run folder: {run_dir}\nnext: cdsvae-eval probe --task all --checkpoint {run_dir} --out {run_dir / 'probes'}")


def _write_curves(run_dir: Path) -> Path:
    from cdsvae_eval.report.curves import plot_training_curves

    return plot_training_curves(run_dir / "log.jsonl", run_dir / "curves.png", title=f"training curves of {run_dir.name}")


def _reporters(console: Console, epochs: int) -> dict[str, Any]:
    """The start line (device, precision, steps), and one plain line per epoch when stdout is not a
    terminal (a pipe, a log file, CI), where no progress bar is drawn."""

    def start(trainer: Any) -> None:
        units, part = trainer.dataset.units, trainer.train_split
        grouped = (f" in {len(set(part.groups.tolist()))} {units.groups} (split {part.name!r})"
                   if part.name != "train" else "")
        console.print(f"device {trainer.device}, precision {trainer.precision_name}, {trainer.steps_per_epoch} "
                      f"steps per epoch, {len(part)} training {units.sequences} of "
                      f"{len(set(part.identity.tolist()))} {units.identities}{grouped}", soft_wrap=True)
        console.print(f"best.pt: {trainer.selection.description}", markup=False, soft_wrap=True)

    def epoch_line(record: dict[str, Any]) -> None:
        console.print(epoch_summary(record, epochs), markup=False, soft_wrap=True)

    return {"on_start": start, "on_epoch": None if console.is_terminal else epoch_line}


def epoch_summary(record: dict[str, Any], epochs: int) -> str:
    """One plain line for an epoch's log record: loss terms, validation swaps or speaker EERs when scored,
    notes about figures the validation split cannot support, seconds."""
    train = record["train"]
    parts = [f"epoch {record['epoch']}/{epochs}: loss {train['loss']:.1f} recon {train['recon']:.1f} "
             f"KL s {train[KL_STATIC]:.2f} KL z {train[KL_DYNAMIC]:.2f} MI {train['mi']:.2f}"]
    swap = record.get(SWAP_RECORD)
    if swap is not None:
        parts.append(f"val swaps motion {swap[SWAP_MOTION_ACC]:.3f} identity {swap[SWAP_IDENTITY_ACC]:.3f}")
    speaker = record.get(SPEAKER_RECORD)
    if speaker is not None:
        parts.append(f"val {speaker_eers(speaker)}")
    parts += [f"note: {note}" for note in record.get("notes", [])]
    parts.append(f"{record['seconds'] + record.get('eval_seconds', 0.0):.0f} s")
    return " | ".join(parts)


def speaker_eers(speaker: dict[str, float]) -> str:
    """The validation EERs of an epoch's speaker record: z_s, mean z_1:T, and mean z_1:T under LDA when scored."""
    lda = f" (LDA {speaker[EER_DYNAMIC_LDA]:.2f}%)" if EER_DYNAMIC_LDA in speaker else ""
    return f"EER z_s {speaker[EER_STATIC]:.2f}% mean z_1:T {speaker[EER_DYNAMIC]:.2f}%{lda}"


def _train_seeds(config: TrainConfig, seed_list: str, seed: int | None, out: Path | None, resume: bool, force: bool,
                 no_progress: bool, console: Console) -> None:
    """One run per seed under ``out``; a summary line per seed, then the commands that score them."""
    from cdsvae_eval.errors import ConfigError
    from cdsvae_eval.training.seeds import parse_seeds, seed_configs, seed_run_dir
    from cdsvae_eval.training.trainer import train as run_training

    if seed is not None:
        raise ConfigError("give either --seed or --seeds, not both")
    out = out or Path("runs") / f"{config.dataset}-{config.preset}-seeds"
    for seed_config in seed_configs(config, parse_seeds(seed_list)):
        run_dir = seed_run_dir(out, seed_config.seed)
        console.print(f"training [bold]{config.preset}[/] on [bold]{config.dataset}[/], seed {seed_config.seed} -> {run_dir}")
        summary = run_training(seed_config, run_dir, resume=resume, force=force, progress=not no_progress,
                               **_reporters(console, seed_config.epochs))
        if summary.interrupted:
            console.print(f"interrupted: state saved to {run_dir / 'last.pt'}; continue with "
                          f"`cdsvae-eval train --out {out} --seeds {seed_list} --resume` and the same options")
            sys.exit(128 + summary.stop_signal)
        console.print(f"seed {seed_config.seed}: best.pt epoch {summary.best_epoch}")
    console.print(f"runs: {out}/seed-*\nnext: cdsvae-eval probe --task all --checkpoint {out} --out {out / 'probes'}"
                  f" && cdsvae-eval report {out}/probes/seed-*/*.json")


def _resume_command(run_dir: Path) -> str:
    """The command line that continues this run: the options given on this one, with --out and --resume."""
    ctx = click.get_current_context()
    words = ["cdsvae-eval", "train", "--out", str(run_dir), "--resume"]
    for param in ctx.command.params:
        if param.name in ("run_dir", "resume", "force") or not isinstance(param, click.Option):
            continue
        if ctx.get_parameter_source(param.name) is not click.core.ParameterSource.COMMANDLINE:
            continue
        value = ctx.params[param.name]
        if param.is_flag:
            words.append(param.opts[0] if value else param.secondary_opts[0])
        else:
            for item in value if param.multiple else (value,):
                words += [param.opts[0], str(item)]
    return shlex.join(words)
