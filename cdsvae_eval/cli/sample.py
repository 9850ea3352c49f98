"""``cdsvae-eval sample``: swap static and dynamic codes between test clips and write a picture."""

from __future__ import annotations

from pathlib import Path

import click

from cdsvae_eval.cli.console import make_console


@click.command()
@click.option("--checkpoint", "run", required=True, type=click.Path(path_type=Path), help="Run folder or .pt file.")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="PNG file to write.")
@click.option("--split", default="test", show_default=True)
@click.option("--count", default=5, show_default=True, help="Clips per side of the grid.")
@click.option("--seed", default=0, show_default=True)
@click.option("--device", default="auto", show_default=True)
@click.option("--force", is_flag=True, help="Overwrite an existing --out file.")
def sample(run: Path, out: Path, split: str, count: int, seed: int, device: str, force: bool) -> None:
    """Swap grid: row r keeps clip r's static code, column c takes clip c's dynamic codes.

    The first row shows the dynamic sources, the first column the static sources; each cell is a
    clip's frames side by side.
    """
    import numpy as np

    from cdsvae_eval.codes import load_model_for_tasks
    from cdsvae_eval.errors import ConfigError
    from cdsvae_eval.models.swap_oracle import swap_grid
    from cdsvae_eval.report.images import save_image_grid
    from cdsvae_eval.training.trainer import resolve_device

    if out.exists() and not force:
        raise ConfigError(f"--out {out} already exists (pass --force to overwrite it)")
    torch_device = resolve_device(device)
    model, dataset = load_model_for_tasks(run, device=str(torch_device))
    if dataset.modality != "video":
        raise ConfigError(f"sample writes image grids for video runs; {run} was trained on {dataset.name} ({dataset.modality})")
    part = dataset.split(split)
    rng = np.random.default_rng(seed)
    motion = part.labels.get("motion")
    if motion is not None:
        picks = np.array([rng.choice(np.nonzero(motion == m)[0]) for m in rng.permutation(np.unique(motion))[:count]])
    else:
        picks = rng.choice(len(part), size=min(count, len(part)), replace=False)
    grid = swap_grid(model, part.x[picks], torch_device)
    names = [f"{dataset.identity_name} {part.identity[i]}" for i in picks]
    motions = [dataset.factor("motion").classes[motion[i]] if motion is not None else "" for i in picks]
    save_image_grid(grid, out, row_labels=["z from ->"] + [f"s of {n}" for n in names],
                    col_labels=["s from v"] + motions, scale=max(1, 64 // part.x.shape[-1]))
    make_console().print(f"wrote a {len(picks)}x{len(picks)} swap grid to {out}")
