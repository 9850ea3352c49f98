"""``cdsvae-eval sample``: swap static and dynamic codes between test sequences: a picture for video runs,
WAVs and spectrograms for audio runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cdsvae_eval.cli.console import make_console


@click.command()
@click.option("--checkpoint", "run", required=True, type=click.Path(path_type=Path), help="Run folder or .pt file.")
@click.option("--out", required=True, type=click.Path(path_type=Path),
              help="PNG file to write (video runs) or folder to write WAVs into (audio runs).")
@click.option("--split", default="test", show_default=True)
@click.option("--count", default=5, show_default=True, type=click.IntRange(min=1),
              help="Clips per side of the grid (video runs).")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0))
@click.option("--device", default="auto", show_default=True)
@click.option("--force", is_flag=True, help="Overwrite an existing --out file (or files in a non-empty --out folder).")
def sample(run: Path, out: Path, split: str, count: int, seed: int, device: str, force: bool) -> None:
    """Swap static and dynamic codes between test sequences.

    Video: a titled grid where row r keeps clip r's static code and column c takes clip c's dynamic
    codes; the top row shows the dynamic sources, the first two columns each static source and its
    reconstruction; under each row, the true clip of (that character, the column's motion) where the
    split has it. A cell's frames run left to right, then top to bottom.

    Audio: two utterances of different speakers; --out becomes a folder of WAVs (originals,
    reconstructions, each speaker saying the other's sentence), spectrogram PNGs and a README.txt.
    """
    import numpy as np

    from cdsvae_eval.codes import load_model_for_tasks
    from cdsvae_eval.errors import ConfigError
    import torch

    from cdsvae_eval.models.swap_oracle import decode_swaps
    from cdsvae_eval.path_checks import check_not_inside, check_output_dir, check_output_file
    from cdsvae_eval.training.checkpoint import run_data_root
    from cdsvae_eval.report.images import save_swap_picture
    from cdsvae_eval.training.trainer import as_float, resolve_device

    if out.exists() and not force and not _is_empty_folder(out):
        raise ConfigError(f"--out {out} already exists (pass --force to overwrite it)")
    if out.is_dir():
        check_output_dir(out, "--out")
    else:
        check_output_file(out, "--out")
    check_not_inside(out, run_data_root(run), "--out")
    torch_device = resolve_device(device)
    model, dataset = load_model_for_tasks(run, device=str(torch_device))
    if dataset.modality == "audio":
        _audio_sample(model, dataset, run, out, split, seed)
        return
    if out.is_dir():
        raise ConfigError(f"--out {out} is a folder; a video run's sample is a PNG file")
    part = dataset.split(split)
    rng = np.random.default_rng(seed)
    motion = part.labels.get("motion")
    if motion is not None:
        picks = np.array([rng.choice(np.nonzero(motion == m)[0]) for m in rng.permutation(np.unique(motion))[:count]])
    else:
        picks = rng.choice(len(part), size=min(count, len(part)), replace=False)
    sources = as_float(torch.as_tensor(np.ascontiguousarray(part.x[picks])))
    clips = sources.to(torch_device)
    swaps = decode_swaps(model, clips, clips).cpu().numpy()
    truths = _true_swaps(part, picks, motion) if motion is not None else None
    motions = [f" / {dataset.factor('motion').classes[motion[i]]}" if motion is not None else "" for i in picks]
    names = [f"{dataset.identity_name} {part.identity[i]}{name}" for i, name in zip(picks, motions)]
    save_swap_picture(sources.numpy(), swaps, truths, out, names, scale=max(1, 48 // part.x.shape[-1]),
                      title=f"Swaps of {run.name} ({split} split): cell = decode(s of its row, z_1:T of its column); "
                            "frames left to right, then top to bottom")
    truth_note = "" if truths is None else ", with the true clips where the split has them"
    make_console().print(f"wrote a {len(picks)}x{len(picks)} swap grid{truth_note} to {out}", soft_wrap=True)


def _true_swaps(part: Any, picks: Any, motion: Any) -> Any:
    """``(R, R, T, C, H, W)``: the split's clip of (identity of picks[r], motion of picks[c]), NaN where the
    split has none (Sprites lacks some; flare-sprites renders every character in every motion)."""
    import numpy as np
    import torch

    from cdsvae_eval.training.trainer import as_float

    truths = np.full((len(picks), len(picks), *part.x.shape[1:]), np.nan, dtype=np.float32)
    for r, row in enumerate(picks):
        for c, column in enumerate(picks):
            found = np.flatnonzero((part.identity == part.identity[row]) & (motion == motion[column]))
            if len(found):
                truths[r, c] = as_float(torch.as_tensor(np.ascontiguousarray(part.x[found[0]]))).numpy()
    return truths


def _is_empty_folder(path: Path) -> bool:
    return path.is_dir() and not any(path.iterdir())


def _audio_sample(model: Any, dataset: Any, run: Path, out: Path, split: str, seed: int) -> None:
    from cdsvae_eval.errors import ConfigError
    from cdsvae_eval.report.audio import write_swap_sample

    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file; an audio run's sample is a folder of WAVs")
    written = write_swap_sample(model, dataset, split, out, seed=seed, source=str(run))
    console = make_console()
    console.print(f"A: {written.utterance_a}  B: {written.utterance_b}  ({written.seconds:.2f} s of A)")
    for path in written.files:
        console.print(f"wrote {path}")
