"""``cdsvae-eval compare``: the paper's method table on our data, from one command."""

from __future__ import annotations

from pathlib import Path

import click

from cdsvae_eval.cli.console import make_console
from cdsvae_eval.cli.options import fields_as_flags, parse_key_values

_FIELD_FLAGS = {"presets": "--presets", "out": "--out", "epochs": "--epochs", "seed": "--seed", "device": "--device"}


@click.command()
@click.option("--presets", required=True, metavar="A,B,...", help="Video presets to compare, the first is the "
              "reference, e.g. dsvae,quick-cdsvae,quick.")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Folder: OUT/<preset> runs and OUT/report.html.")
@click.option("--epochs", type=int, default=None, help="Override every preset's epochs.")
@click.option("--seed", type=int, default=None, help="Override every preset's training seed.")
@click.option("--eval-seed", type=click.IntRange(min=0), default=0, show_default=True, help="Seed of the tasks.")
@click.option("--device", default="auto", show_default=True, help="auto | cpu | cuda")
@click.option("--option", "option_pairs", multiple=True, metavar="KEY=VALUE",
              help="A task option, as in `probe --option` (repeatable; results are then always re-scored).")
@click.option("--force", is_flag=True, help="Replace run folders in OUT that hold a run of another config.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
def compare(presets: str, out: Path, epochs: int | None, seed: int | None, eval_seed: int, device: str,
            option_pairs: tuple[str, ...], force: bool, no_progress: bool) -> None:
    """Train each preset on flare-sprites into OUT/<preset>, score all with the same tasks on the test split
    (`probe --task all --random-baseline`), and write OUT/report.html and OUT/report.md.

    A folder that already holds a finished run of the same config is reused, not retrained."""
    from cdsvae_eval.compare import compare_presets

    console = make_console()
    names = [name.strip() for name in presets.split(",") if name.strip()]
    with fields_as_flags(_FIELD_FLAGS):
        result = compare_presets(names, out, epochs=epochs, seed=seed, eval_seed=eval_seed, device=device,
                                 task_options=parse_key_values(option_pairs, option="--option"), force=force,
                                 progress=not no_progress, say=lambda line: console.print(line, markup=False,
                                                                                          soft_wrap=True))
    for run in result.runs:
        console.print(f"{run.preset}: {'trained' if run.trained else 'reused'}, "
                      f"{'scored' if run.scored else 'results reused'} ({run.run_dir})", soft_wrap=True)
    console.print(f"wrote {result.markdown}\nwrote {result.html}", soft_wrap=True)
