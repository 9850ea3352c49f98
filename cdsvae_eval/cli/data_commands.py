"""``cdsvae-eval data list|info|show``: which datasets exist, what one holds, what it looks like."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import click
import numpy as np

from cdsvae_eval.cli.console import make_console, print_table
from cdsvae_eval.cli.options import check_not_overwriting, fields_as_flags, parse_key_values
from cdsvae_eval.config import parse_literal
from cdsvae_eval.data import registry
from cdsvae_eval.data.base import Factor, SequenceDataset
from cdsvae_eval.errors import ConfigError, DataError
from cdsvae_eval.names import MOTION_FACTOR
from cdsvae_eval.path_checks import check_output_file
from cdsvae_eval.draw.images import save_sequence_grid, showcase_rows

_MAX_CLASSES_SHOWN = 12
_DATASET_FLAGS = ("data_root", "resolution", "max_characters", "max_per_motion")


def dataset_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the options datasets take; each is passed on only when given, and only if the dataset takes it."""
    options = [
        click.option("--data-root", type=click.Path(path_type=Path), help="Your copy of the dataset (sprites, timit)."),
        click.option("--resolution", type=int, help="Frame size in pixels (rendered datasets)."),
        click.option("--max-characters", type=int, help="Use only this many characters (rendered datasets)."),
        click.option("--max-per-motion", type=int, help="Keep the first N sequences of each motion (sprites)."),
        click.option("--option", "option_pairs", multiple=True,
                     help="Any other dataset option as key=value (repeatable), e.g. videos=2 for flare-sprites."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def open_dataset(name: str, option_pairs: tuple[str, ...] = (), **options: Any) -> SequenceDataset:
    """The dataset ``name`` built with the given options (``option_pairs``: ``--option key=value``); an option it
    does not take is an error naming its flag."""
    pairs = {key: parse_literal(value) for key, value in parse_key_values(option_pairs, option="--option").items()}
    given = {**{key: value for key, value in options.items() if value is not None}, **pairs}
    flags = {f"dataset_options.{key}": f"--option {key}" for key in pairs}
    flags.update({f"dataset_options.{key}": f"--{key.replace('_', '-')}" for key in _DATASET_FLAGS})
    with fields_as_flags(flags):
        return registry.get_dataset(name, **given)


@click.command("list")
def list_command() -> None:
    """List the datasets by name."""
    rows = [(name, description, registry.dataset_source(name)) for name, description in registry.list_datasets().items()]
    print_table(make_console(), ["dataset", "description", "source"], rows)


@click.command("info")
@click.argument("name")
@dataset_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object and nothing else.")
def info_command(name: str, as_json: bool, **options: Any) -> None:
    """Show a dataset's splits with their counts in its own words (speakers, utterances; characters, clips),
    its factors and fingerprint; a speech corpus's files are checked as far as their headers and label
    lines tell (one warning per kind of fault)."""
    info = open_dataset(name, **options).info()
    if as_json:
        click.echo(json.dumps(info, indent=2))
        return
    console = make_console()
    shape = " x ".join(str(size) for size in info["sequence_shape"])
    summary = [
        ("dataset", info["name"]),
        ("modality", info["modality"]),
        ("sequence shape", shape),
        ("identity", info["identity"]),
        ("fingerprint", info["fingerprint"]),
    ]
    print_table(console, ["field", "value"], summary)
    splits, units = info["splits"], info["units"]
    counts = [key for key in units if any(key in part for part in splits.values())]
    split_rows = ([split, *(part.get(key, "") for key in counts)] for split, part in splits.items())
    print_table(console, ["split", *(units[key] for key in counts)], split_rows)
    print_table(
        console,
        ["factor", "kind", "classes"],
        ((factor["name"], factor["kind"], _describe_classes(factor["classes"])) for factor in info["factors"]),
    )


@click.command("show")
@click.argument("name")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="PNG file to write.")
@dataset_options
@click.option("--split", default="train", show_default=True, help="Which split to draw from.")
@click.option("--rows", default=12, show_default=True, type=click.IntRange(min=1), help="Sequences to show.")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0), help="Seed for picking sequences.")
@click.option("--force", is_flag=True, help="Overwrite an existing --out file.")
def show_command(name: str, out: Path, split: str, rows: int, seed: int, force: bool, **options: Any) -> None:
    """Draw sequences of a dataset as a PNG grid: one identity in every motion, then varied identities."""
    check_output_file(out, "--out")
    check_not_overwriting(out, "--out", force)
    dataset = open_dataset(name, **options)
    if dataset.modality != "video":
        raise ConfigError(f"data show draws video datasets; {name!r} is {dataset.modality}")
    part = dataset.split(split)
    if len(part) == 0:
        raise DataError(f"split {split!r} of dataset {name!r} has no sequences")
    motion = _motion_factor(dataset)
    if motion is not None and motion.name not in part.labels:
        motion = None
    dynamic = part.labels[motion.name] if motion else np.zeros(len(part), dtype=np.int64)
    static_names = [factor.name for factor in dataset.static_factors if factor.name in part.labels]
    static = np.stack([part.labels[key] for key in static_names], axis=1) if static_names else np.zeros((len(part), 0))
    picked = showcase_rows(part.identity, dynamic, static, rows, seed)
    classes = {factor.name: factor.classes for factor in dataset.static_factors}
    labels = [
        f"{dataset.identity_name} {part.identity[i]}" + (f" | {motion.name}: {motion.classes[dynamic[i]]}" if motion else "")
        + "".join(f" | {key}: {classes[key][static[i, k]]}" for k, key in enumerate(static_names))
        for i in picked
    ]
    title = f"{name}, {split} split: one row per sequence, its {dataset.identity_name}, factors and frames"
    path = save_sequence_grid(part.x[picked], out, row_labels=labels, title=title,
                              scale=max(1, 48 // part.x.shape[-1]))
    make_console().print(f"wrote {len(picked)} {dataset.units.sequences} of {name} ({split}) to {path}")


def _motion_factor(dataset: SequenceDataset) -> Factor | None:
    """The dynamic factor to show every class of: ``motion`` if there is one, else the first dynamic one."""
    dynamic = dataset.dynamic_factors
    for factor in dynamic:
        if factor.name == MOTION_FACTOR:
            return factor
    return dynamic[0] if dynamic else None


def _describe_classes(classes: list[str]) -> str:
    shown = ", ".join(classes[:_MAX_CLASSES_SHOWN])
    more = f", ... ({len(classes)} in all)" if len(classes) > _MAX_CLASSES_SHOWN else ""
    return f"{shown}{more}"
