"""``cdsvae-eval probe``: run one task, or all that apply, on a code file or a trained run."""

from __future__ import annotations

import warnings
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from cdsvae_eval.cli.console import make_console
from cdsvae_eval.cli.options import parse_key_values
from cdsvae_eval.codes import load_codes
from cdsvae_eval.config_checks import is_device_name
from cdsvae_eval.errors import CdsvaeError, ConfigError, FieldError
from cdsvae_eval.path_checks import check_not_inside, check_output_dir
from cdsvae_eval.report.aggregate import load_rows, seed_rows
from cdsvae_eval.report.results import load_result
from cdsvae_eval.report.tables import result_table, seed_table
from cdsvae_eval.tasks import TaskInputs, get_task, list_tasks
from cdsvae_eval.report.runner import missing_needs, option_names, run_task
from cdsvae_eval.training.provenance import SelectionWarning
from cdsvae_eval.training.seeds import seed_runs


@click.command()
@click.option("--task", "task_name", required=True, help="A task name (see `tasks list`), or 'all'.")
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
    """Score frozen codes with a task and write <out>/<task>.json.

    A --checkpoint folder of seed runs (seed-<n>/, from `train --seeds`) scores each run into
    <out>/seed-<n>/ and prints every metric over the training seeds (mean, t-interval, per seed)."""
    if codes_path is None and checkpoint is None:
        dataset, run = ("tts-timit", "runs/tts") if task_name == "speaker-eer" else ("flare-sprites", "runs/demo")
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
    names = _selected_tasks(task_name, console)
    _check_options_known(names, options)
    if baseline_codes is not None and random_baseline:
        raise ConfigError("give either --baseline-codes or --random-baseline, not both")
    out_dir = check_output_dir(
        out_dir or Path("results") / (codes_path.stem if codes_path is not None else checkpoint.name), "--out")
    runs = seed_runs(checkpoint) if checkpoint is not None else []
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
        from cdsvae_eval.training.checkpoint import run_data_root

        check_not_inside(out_dir, run_data_root(checkpoint), "--out")
    inputs = _inputs(
        codes_path, checkpoint, baseline_codes, random_baseline, device, needs_model=_any_needs_model(names)
    )
    written = []
    for name in names:
        task = get_task(name)
        missing = missing_needs(task, inputs)
        if missing and task_name == "all":
            console.print(f"[yellow]skipped {name}[/]: needs {', '.join(missing)}")
            continue
        task_options = {key: value for key, value in options.items() if key in option_names(task)}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SelectionWarning)  # printed from the results file below
                _, path = run_task(
                    name, inputs, task_options, seed, out_dir, force, codes_path=codes_path, checkpoint=checkpoint
                )
        except CdsvaeError as error:
            if task_name != "all":
                raise
            console.print(f"[yellow]not run {name}[/]: {escape(str(error))}")
            continue
        written.append(path)
        _print_result(console, path)
    if not written and task_name == "all":
        raise ConfigError("no task could run on these inputs (see the reasons above)")
    return written


def _selected_tasks(task_name: str, console: Console) -> list[str]:
    if task_name != "all":
        return [get_task(task_name).name]
    entries = list_tasks()
    for entry in entries:
        if not entry.available:
            console.print(f"[yellow]skipped {entry.name}[/]: unavailable ({escape(entry.error or '')})")
    return [entry.name for entry in entries if entry.available]


def _check_options_known(names: list[str], options: dict[str, str]) -> None:
    known = {option for name in names for option in option_names(get_task(name))}
    for key in options:
        if key not in known:
            listed = ", ".join(sorted(known)) or "none"
            raise ConfigError(f"--option {key!r} is not an option of task(s) {', '.join(names)} (options: {listed})")


def _any_needs_model(names: list[str]) -> bool:
    return any((get_task(name).needs | get_task(name).uses) & {"decoder", "dataset"} for name in names)


def _inputs(
    codes_path: Path | None,
    checkpoint: Path | None,
    baseline_codes: Path | None,
    random_baseline: bool,
    device: str,
    needs_model: bool,
) -> TaskInputs:
    baseline = load_codes(baseline_codes) if baseline_codes is not None else None
    if codes_path is not None:
        if random_baseline:
            raise ConfigError("--random-baseline needs --checkpoint (with --codes, pass --baseline-codes FILE)")
        return TaskInputs(codes=load_codes(codes_path), baseline_codes=baseline, device="cpu" if device == "auto" else device)
    from cdsvae_eval.codes import codes_for_checkpoint, load_model_for_tasks
    from cdsvae_eval.training.trainer import resolve_device

    resolved = str(resolve_device(device))
    model, dataset = load_model_for_tasks(checkpoint, resolved) if needs_model else (None, None)
    if random_baseline:
        baseline = codes_for_checkpoint(checkpoint, device=resolved, random_init=True)
    codes = codes_for_checkpoint(checkpoint, device=resolved)
    return TaskInputs(codes=codes, baseline_codes=baseline, model=model, dataset=dataset, device=resolved)


def _print_result(console: Console, path: Path) -> None:
    record = load_result(path)
    console.print(result_table(record))
    if record["protocol"].get("selection_warning"):
        console.print(f"[bold yellow]warning:[/] {escape(record['protocol']['selection_warning'])}")
    for artifact in record.get("artifacts", []):
        console.print(f"wrote {path.parent / artifact}")
    console.print(f"wrote {path}")
