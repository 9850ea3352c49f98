"""``cdsvae-eval codes extract|info``: freeze a run's codes into a code file; describe a code file."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from cdsvae_eval.cli.console import make_console, print_table
from cdsvae_eval.cli.options import check_not_overwriting
from cdsvae_eval.codes import load_codes, save_codes


@click.group()
def codes() -> None:
    """Extract frozen codes from a trained run, or describe a code file."""


@codes.command("extract")
@click.option("--checkpoint", type=click.Path(path_type=Path), required=True, help="A training run folder.")
@click.option("--split", type=click.Choice(["all", "test"]), default="all", show_default=True)
@click.option("--out", "out_path", type=click.Path(path_type=Path), required=True, help="The code file to write (.npz).")
@click.option("--device", default="auto", show_default=True, help="auto | cpu | cuda")
@click.option("--random-init", is_flag=True, help="Codes of a randomly initialised model of the same architecture.")
@click.option("--force", is_flag=True, help="Overwrite an existing --out file.")
def extract_command(checkpoint: Path, split: str, out_path: Path, device: str, random_init: bool, force: bool) -> None:
    """Encode a run's dataset with its trained model and write the codes in the exchange format (another
    extract into the same --out meanwhile is refused)."""
    from cdsvae_eval.codes import codes_for_checkpoint
    from cdsvae_eval.path_checks import check_not_inside, check_output_file
    from cdsvae_eval.models.checkpoint import run_data_root
    from cdsvae_eval.device import resolve_device
    from cdsvae_eval.cli.interrupt import outputs_removed_if_interrupted
    from cdsvae_eval.folder_lock import folder_lock

    check_output_file(out_path, "--out")
    with folder_lock(out_path), outputs_removed_if_interrupted([out_path]):
        check_not_overwriting(out_path, "--out", force)
        check_not_inside(out_path, run_data_root(checkpoint), "--out")
        code_set = codes_for_checkpoint(checkpoint, split=split, device=str(resolve_device(device, field="--device")),
                                        random_init=random_init)
        save_codes(code_set, out_path)
    make_console().print(f"wrote {out_path} ({len(code_set)} rows)")


@codes.command("info")
@click.argument("path", type=click.Path(path_type=Path))
def info_command(path: Path) -> None:
    """Show a code file's fields, shapes, factors and splits."""
    code_set = load_codes(path)
    console = make_console()
    fields = [("static", code_set.static), ("dynamic", code_set.dynamic)]
    fields += [(f"y_{name}", labels) for name, labels in sorted(code_set.labels.items())]
    fields += [(f"frame_y_{name}", labels) for name, labels in sorted(code_set.frame_labels.items())]
    fields += [(name, array) for name, array in (("utt", code_set.utt), ("split", code_set.split),
                                                 ("identity", code_set.identity)) if array is not None]
    print_table(console, ["field", "dtype", "shape"], [(name, a.dtype, tuple(a.shape)) for name, a in fields], title=str(path))
    factor_rows = [
        (name, meta.kind, len(meta.classes), "yes" if name in code_set.labels else "no")
        for name, meta in sorted(code_set.factors.items())
    ]
    print_table(console, ["factor", "kind", "classes", "labelled"], factor_rows)
    if code_set.split is not None:
        names, counts = np.unique(code_set.split, return_counts=True)
        print_table(console, ["split", "rows"], zip(names.tolist(), counts.tolist()))
    if code_set.utt is not None:
        console.print(f"{len(np.unique(code_set.utt))} utterances")
    if code_set.identity is not None:
        console.print(f"{len(np.unique(code_set.identity))} {_identities(code_set.meta)}")
    if code_set.meta:
        console.print(f"meta: {', '.join(sorted(code_set.meta))}")


def _identities(meta: dict[str, object]) -> str:
    """What the codes' identities are called: their dataset's word (speakers, characters) when the dataset is
    known and has one, else "identities" with the singular name the file gives."""
    from cdsvae_eval.data.base import CountUnits
    from cdsvae_eval.data.registry import dataset_units
    from cdsvae_eval.errors import DataError

    generic = CountUnits().identities
    try:
        word = dataset_units(str(meta["dataset"])).identities
    except (KeyError, DataError):
        word = generic
    return word if word != generic else f"{generic} ({meta.get('identity', 'identity')})"
