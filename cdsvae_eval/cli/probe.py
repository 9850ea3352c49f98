"""``cdsvae-eval probe``: run one task, or all that apply, on a code file or a trained run."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from cdsvae_eval.cli.console import make_console
from cdsvae_eval.cli.interrupt import outputs_removed_if_interrupted
from cdsvae_eval.cli.options import fields_as_flags, parse_key_values
from cdsvae_eval.device import is_device_name
from cdsvae_eval.errors import ConfigError, FieldError
from cdsvae_eval.folder_lock import folder_lock
from cdsvae_eval.evaluate import (
    ALL_TASKS,
    Skip,
    inputs_from_checkpoint,
    inputs_from_codes,
    run_suite,
    suite_tasks,
    tasks_use_model,
)
from cdsvae_eval.evaluate.results import load_result
from cdsvae_eval.names import SPEAKER_FACTOR
from cdsvae_eval.evaluate.suite import check_suite_options
from cdsvae_eval.path_checks import check_not_inside, check_output_dir
from cdsvae_eval.tasks.base import TaskInputs
from cdsvae_eval.report.aggregate import load_rows, seed_rows
from cdsvae_eval.report.tables import result_table, seed_table
from cdsvae_eval.training.seeds import seed_runs


# Tasks that only apply to speech: the hint for a probe without codes names a speech run, and `--task all` on a run
# that is not speech says so in one line instead of one reason each.
SPEECH_TASKS = ("speaker-eer", "speaker-few-shot", "frame-probe", "speech-swap")


@click.command()
@click.option("--task", "task_name", required=True, help="A task name (see `tasks list`), several separated by commas, or 'all'.")
@click.option("--codes", "codes_path", type=click.Path(path_type=Path), help="A code file (.npz, see docs).")
@click.option("--checkpoint", type=click.Path(path_type=Path), help="A training run folder to encode and score.")
@click.option(
    "--baseline-codes",
    type=click.Path(path_type=Path),
    help="Codes of a randomly initialised model of the same architecture, scored alongside.",
)
@click.option(
    "--random-baseline",
    is_flag=True,
    help="With --checkpoint: also score codes of a randomly initialised model of the same architecture.",
)
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Results folder [default: results/<codes or run name>].")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--option", "option_pairs", multiple=True, help="A task option as key=value (repeatable).")
@click.option("--force", is_flag=True, help="Overwrite existing results files.")
@click.option("--device", default="auto", show_default=True, help="auto | cpu | cuda (for --checkpoint).")
def probe(
    task_name: str,
    codes_path: Path | None,
    checkpoint: Path | None,
    baseline_codes: Path | None,
    random_baseline: bool,
    out_dir: Path | None,
    seed: int,
    option_pairs: tuple[str, ...],
    force: bool,
    device: str,
) -> None:
    """Score frozen codes with a task and write <out>/<task>.json (another probe into the same --out
    meanwhile is refused).

    A --checkpoint folder of seed runs (seed-<n>/, from `train --seeds`) scores each run into
    <out>/seed-<n>/ and prints every metric over the training seeds (mean, t-interval, per seed)."""
    if codes_path is None and checkpoint is None:
        speech = task_name in SPEECH_TASKS
        dataset, run = ("tts-timit", "runs/tts") if speech else ("flare-sprites", "runs/demo")
        raise ConfigError(
            f"probe --task {task_name} needs --codes FILE or --checkpoint RUN; make a run with `cdsvae-eval train "
            f"--dataset {dataset} --out {run}`, then `cdsvae-eval probe --task {task_name} --checkpoint {run}`"
        )
    if (codes_path is None) == (checkpoint is None):
        raise ConfigError("probe needs exactly one of --codes FILE or --checkpoint RUN")
    if not is_device_name(device):
        raise FieldError("--device", f"must be auto, cpu, cuda or cuda:N, got {device!r}")
    options = parse_key_values(option_pairs, option="--option")
    console = make_console()
    names, _ = suite_tasks(task_name if task_name == ALL_TASKS else [name.strip() for name in task_name.split(",")])
    check_suite_options(names, options, field_name="--option")
    if baseline_codes is not None and random_baseline:
        raise ConfigError("give either --baseline-codes or --random-baseline, not both")
    out_dir = check_output_dir(
        out_dir or Path("results") / (codes_path.stem if codes_path is not None else checkpoint.name), "--out")
    runs = seed_runs(checkpoint) if checkpoint is not None else []
    with folder_lock(out_dir), outputs_removed_if_interrupted([out_dir]), fields_as_flags({"device": "--device"}):
        if not runs:
            _probe_run(names, task_name, options, codes_path, checkpoint, baseline_codes, random_baseline, device,
                       out_dir, seed, force, console)
            return
        written = []
        for run in runs:
            console.print(f"[bold]{run}[/]")
            written += _probe_run(names, task_name, options, None, run, baseline_codes, random_baseline, device,
                                  out_dir / run.name, seed, force, console)
    over_seeds = seed_rows(load_rows(written))
    if over_seeds:
        console.print(seed_table(over_seeds))


def _probe_run(names: list[str], task_name: str, options: dict[str, str], codes_path: Path | None,
               checkpoint: Path | None, baseline_codes: Path | None, random_baseline: bool, device: str,
               out_dir: Path, seed: int, force: bool, console: Console) -> list[Path]:
    """Run the tasks on one code file or trained run; returns the results files written."""
    if checkpoint is not None:
        from cdsvae_eval.models.checkpoint import run_data_root

        check_not_inside(out_dir, run_data_root(checkpoint), "--out")
    if codes_path is not None:
        if random_baseline:
            raise ConfigError("--random-baseline needs --checkpoint (with --codes, pass --baseline-codes FILE)")
        inputs = inputs_from_codes(codes_path, baseline_codes, device="cpu" if device == "auto" else device)
    else:
        inputs = inputs_from_checkpoint(checkpoint, device, with_model=tasks_use_model(names),
                                        random_baseline=random_baseline, baseline_codes=baseline_codes)
    speech_only: list[str] = []

    def on_skip(skip: Skip) -> None:
        if task_name == ALL_TASKS and skip.name in SPEECH_TASKS and skip.kind != "unavailable" and not _is_speech(inputs):
            speech_only.append(skip.name)
        else:
            _print_skip(console, skip)

    suite = run_suite(inputs, ALL_TASKS if task_name == ALL_TASKS else names, options, seed, out_dir, force,
                      codes_path=codes_path, checkpoint=checkpoint,
                      on_result=lambda run: _print_result(console, run.path), on_skip=on_skip)
    if speech_only:
        listed = ", ".join(sorted(speech_only, key=SPEECH_TASKS.index))
        console.print(f"[yellow]speech only[/]: {listed} (not run: the scored run is not speech)")
    return suite.paths


def _is_speech(inputs: TaskInputs) -> bool:
    """Whether the inputs are of speech: the run's dataset is audio, or the codes have utterances or speakers (a
    speech code file that lacks a field keeps each task's own reason)."""
    if inputs.dataset is not None:
        return inputs.dataset.modality == "audio"
    codes = inputs.codes
    return codes is not None and (codes.utt is not None or SPEAKER_FACTOR in codes.labels)


def _print_skip(console: Console, skip: Skip) -> None:
    verb = "not run" if skip.kind == "failed" else "skipped"
    console.print(f"[yellow]{verb} {skip.name}[/]: {escape(skip.reason)}")


def _print_result(console: Console, path: Path) -> None:
    record = load_result(path)
    console.print(result_table(record))
    if record["protocol"].get("selection_warning"):
        console.print(f"[bold yellow]warning:[/] {escape(record['protocol']['selection_warning'])}")
    for artifact in record.get("artifacts", []):
        console.print(f"wrote {path.parent / artifact}")
    console.print(f"wrote {path}")
