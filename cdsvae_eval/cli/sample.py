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
    from cdsvae_eval.device import resolve_device
    from cdsvae_eval.errors import ConfigError
    from cdsvae_eval.path_checks import check_not_inside, check_output_dir, check_output_file
    from cdsvae_eval.models.checkpoint import model_and_dataset, run_data_root
    from cdsvae_eval.report.swap_picture import draw_swap_picture

    if out.exists() and not force and not _is_empty_folder(out):
        raise ConfigError(f"--out {out} already exists (pass --force to overwrite it)")
    if out.is_dir():
        check_output_dir(out, "--out")
    else:
        check_output_file(out, "--out")
    check_not_inside(out, run_data_root(run), "--out")
    torch_device = resolve_device(device, field="--device")
    model, dataset = model_and_dataset(run, device=str(torch_device))
    if dataset.modality == "audio":
        _audio_sample(model, dataset, run, out, split, seed)
        return
    if out.is_dir():
        raise ConfigError(f"--out {out} is a folder; a video run's sample is a PNG file")
    count, with_truth = draw_swap_picture(model, dataset, out, split=split, count=count, seed=seed,
                                          device=torch_device, name=run.name)
    truth_note = ", with the true clips where the split has them" if with_truth else ""
    make_console().print(f"wrote a {count}x{count} swap grid{truth_note} to {out}", soft_wrap=True)


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
