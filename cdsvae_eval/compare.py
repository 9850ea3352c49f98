"""The paper's method table on our data: train each preset on flare-sprites into ``OUT/<preset>``, score
each with the tasks of ``probe --task all --random-baseline`` on the test split, draw its swap grid, and
write ``OUT/report.html`` and ``OUT/report.md`` with the comparison (the first preset is the reference).

A workflow above the layers it composes (training, the evaluation API, the report page): research code
calls :func:`compare_presets`, the CLI's ``compare`` is a shell over it.

A run folder that holds a finished run (``summary.json``) of the same config is reused, not retrained;
its results are reused when every results file was scored on its checkpoint with the same evaluation
seed and no task options were given.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from cdsvae_eval.errors import CheckpointError, ConfigError, FieldError

if TYPE_CHECKING:
    from cdsvae_eval.config import TrainConfig

PROBES = "probes"
SWAP_GRID = "swaps.png"


@dataclass(frozen=True)
class ComparedRun:
    preset: str
    run_dir: Path
    trained: bool
    scored: bool


@dataclass(frozen=True)
class Comparison:
    runs: list[ComparedRun]
    html: Path
    markdown: Path


def compare_presets(presets: list[str], out: str | Path, epochs: int | None = None, seed: int | None = None,
                    eval_seed: int = 0, device: str = "auto", task_options: dict[str, str] | None = None,
                    force: bool = False, progress: bool = True, say: Callable[[str], None] = print) -> Comparison:
    """Train, score and compare ``presets`` (video presets, e.g. ``dsvae``, ``quick-cdsvae``, ``quick``).

    ``epochs``/``seed`` override every preset's; ``device`` trains, scores and draws; ``task_options``
    are passed to the tasks as ``probe --option`` pairs. A run folder holding a different run is an error unless ``force``."""
    from cdsvae_eval.config import apply_overrides, preset_config
    from cdsvae_eval.config_checks import check_train_config
    from cdsvae_eval.path_checks import check_output_dir

    if not presets:
        raise FieldError("presets", "must name at least one preset")
    if len(set(presets)) != len(presets):
        raise FieldError("presets", f"names a preset twice: {', '.join(presets)}")
    out = check_output_dir(out, "out")
    overrides = {key: value for key, value in (("epochs", epochs), ("seed", seed)) if value is not None}
    overrides["device"] = device
    configs = [apply_overrides(preset_config(name), overrides) for name in presets]
    for config in configs:
        check_train_config(config)
    runs = []
    for config in configs:
        run_dir = out / config.preset
        trained = _train_unless_finished(config, run_dir, force, progress, say)
        scored = _score_unless_scored(run_dir, eval_seed, device, task_options or {}, say)
        _draw_swap_grid(run_dir, eval_seed, device, say)
        runs.append(ComparedRun(config.preset, run_dir, trained, scored))
    html, markdown = _write_report(runs, out)
    return Comparison(runs, html, markdown)


def _train_unless_finished(config: TrainConfig, run_dir: Path, force: bool, progress: bool, say: Callable[[str], None]) -> bool:
    from cdsvae_eval.training.trainer import train

    wanted = json.loads(json.dumps(config.to_dict()))
    if (run_dir / "summary.json").is_file() and (run_dir / "config.json").is_file():
        held = json.loads((run_dir / "config.json").read_text(encoding="utf-8")).get("config")
        if held == wanted:
            say(f"{config.preset}: reusing the finished run in {run_dir} (same config; not retrained)")
            return False
        if not force:
            raise ConfigError(f"{run_dir} holds a run of another config; pass force=True to replace it, "
                              "or choose another out folder")
    say(f"{config.preset}: training {config.epochs} epochs on {config.dataset} -> {run_dir}")
    summary = train(config, run_dir, force=force, progress=progress)
    if summary.interrupted:
        raise CheckpointError(f"training of {config.preset} was interrupted; state saved to {run_dir / 'last.pt'}")
    return True


def _score_unless_scored(run_dir: Path, eval_seed: int, device: str, task_options: dict[str, str],
                         say: Callable[[str], None]) -> bool:
    if not task_options and _scored_on_checkpoint(run_dir, eval_seed):
        say(f"{run_dir.name}: reusing the results in {run_dir / PROBES} (scored on this checkpoint)")
        return False
    say(f"{run_dir.name}: scoring every task with the random-init baseline -> {run_dir / PROBES}")
    # What `cdsvae-eval probe --task all --random-baseline` runs, so the table's numbers are the ones
    # that command gives.
    from cdsvae_eval.evaluate import inputs_from_checkpoint, run_suite, tasks_use_model
    from cdsvae_eval.evaluate.suite import ALL_TASKS, suite_tasks

    names, _ = suite_tasks(ALL_TASKS)
    inputs = inputs_from_checkpoint(run_dir, device, with_model=tasks_use_model(names), random_baseline=True)
    suite = run_suite(inputs, ALL_TASKS, task_options, eval_seed, run_dir / PROBES, force=True, checkpoint=run_dir)
    for skip in suite.skipped:
        say(f"{run_dir.name}: {'not run' if skip.kind == 'failed' else 'skipped'} {skip.name}: {skip.reason}")
    say(f"{run_dir.name}: {len(suite.ran)} results files in {run_dir / PROBES}")
    return True


def _scored_on_checkpoint(run_dir: Path, eval_seed: int) -> bool:
    from cdsvae_eval.provenance import sha256_file
    from cdsvae_eval.evaluate.results import load_result
    from cdsvae_eval.models.checkpoint import resolve_checkpoint

    files = sorted((run_dir / PROBES).glob("*.json"))
    if not (run_dir / PROBES / "swap-oracle.json").is_file():
        return False
    checkpoint = sha256_file(resolve_checkpoint(run_dir))
    records = [load_result(path) for path in files]
    return all((record.get("checkpoint") or {}).get("sha256") == checkpoint and record.get("seed") == eval_seed
               for record in records)


def _draw_swap_grid(run_dir: Path, eval_seed: int, device: str, say: Callable[[str], None]) -> None:
    grid = run_dir / SWAP_GRID
    if grid.is_file() and grid.stat().st_mtime >= (run_dir / "summary.json").stat().st_mtime:
        return
    from cdsvae_eval.models.checkpoint import model_and_dataset
    from cdsvae_eval.report.swap_picture import draw_swap_picture
    from cdsvae_eval.device import resolve_device

    resolved = resolve_device(device)
    model, dataset = model_and_dataset(run_dir, device=str(resolved))
    draw_swap_picture(model, dataset, grid, seed=eval_seed, device=resolved, name=run_dir.name)
    say(f"{run_dir.name}: swap grid {grid}")


def _write_report(runs: list[ComparedRun], out: Path) -> tuple[Path, Path]:
    from cdsvae_eval.report.page import write_page
    from cdsvae_eval.report.run_inputs import collect_runs
    from cdsvae_eval.report.run_page import report_blocks

    results = collect_runs([run.run_dir for run in runs], [run.preset for run in runs])
    title = "method comparison on flare-sprites: " + ", ".join(run.preset for run in runs)
    html, markdown = out / "report.html", out / "report.md"
    write_page(title, report_blocks(results), html, markdown)
    return html, markdown
