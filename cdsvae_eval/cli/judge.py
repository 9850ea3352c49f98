"""``cdsvae-eval judge``: train and inspect the classifier that scores generated clips (task judge-swap)."""

from __future__ import annotations

from pathlib import Path

import click

from cdsvae_eval.cli.console import make_console, print_table
from cdsvae_eval.cli.options import fields_as_flags


@click.group()
def judge() -> None:
    """Train and inspect judges: classifiers of real clips that score generated ones."""


@judge.command("train")
@click.option("--dataset", "dataset_name", default="flare-sprites", show_default=True)
@click.option("--resolution", type=int, default=None,
              help="Frame size for datasets rendered at several sizes (flare-sprites: 16, 32, 64; default 32).")
@click.option("--max-characters", type=int, default=None,
              help="Use only this many characters (flare-sprites; for quick tries).")
@click.option("--data-root", type=click.Path(path_type=Path), default=None, help="Folder of a user-supplied dataset.")
@click.option("--out", "out_path", type=click.Path(path_type=Path), default=None,
              help="Judge file [default: judges/<dataset>-<resolution>.pt].")
@click.option("--epochs", type=int, default=None, help="[default: JudgeConfig's, see `judge info`]")
@click.option("--batch-size", type=int, default=None, help="[default: JudgeConfig's]")
@click.option("--lr", type=float, default=None, help="[default: JudgeConfig's]")
@click.option("--seed", type=int, default=None, help="[default: JudgeConfig's]")
@click.option("--device", default="auto", show_default=True, help="auto | cpu | cuda")
@click.option("--force", is_flag=True, help="Overwrite an existing judge file.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
def train(dataset_name: str, resolution: int | None, max_characters: int | None, data_root: Path | None,
          out_path: Path | None, epochs: int | None, batch_size: int | None, lr: float | None, seed: int | None,
          device: str, force: bool, no_progress: bool) -> None:
    """Train a judge on the train split, choose the epoch on val, and record its test accuracy."""
    import dataclasses

    from cdsvae_eval.models.judge import JudgeConfig
    from cdsvae_eval.training.judge_training import default_judge_path, judge_dataset_options, train_judge

    options = judge_dataset_options(dataset_name, resolution=resolution, max_characters=max_characters,
                                    data_root=str(data_root) if data_root is not None else None)
    out_path = out_path or default_judge_path(dataset_name, options)
    given = {"epochs": epochs, "batch_size": batch_size, "lr": lr, "seed": seed}
    config = dataclasses.replace(JudgeConfig(), **{k: v for k, v in given.items() if v is not None})
    console = make_console()
    console.print(f"training a judge on [bold]{dataset_name}[/] {options} -> {out_path}")
    with fields_as_flags({"out_path": "--out"}):
        report = train_judge(dataset_name, options, out_path, config, device=device, progress=not no_progress,
                             force=force)
    rows = [(name, f"{report.chance[name]:.3f}", f"{report.val_accuracy[name]:.4f}", f"{accuracy:.4f}")
            for name, accuracy in report.test_accuracy.items()]
    print_table(console, ("factor", "chance", f"val (epoch {report.best_epoch})", "test accuracy"), rows)
    console.print(f"sha256: {report.sha256}")
    console.print(f"wrote {report.path} in {report.seconds:.0f} s")
    console.print(f"next: cdsvae-eval probe --task judge-swap --checkpoint RUN --option judge={report.path}")


@judge.command("info")
@click.argument("path", type=click.Path(path_type=Path))
def info(path: Path) -> None:
    """Show what a judge file records: dataset, sizes, accuracies and its SHA-256."""
    import dataclasses

    from cdsvae_eval.models.judge import load_judge

    loaded = load_judge(path)
    record = loaded.info
    console = make_console()
    console.print(f"judge {loaded.path}\nsha256: {loaded.sha256}")
    console.print(f"dataset: {record.dataset} {record.dataset_options} (fingerprint {record.dataset_fingerprint})")
    console.print(f"config: {dataclasses.asdict(loaded.judge.config)}")
    console.print(f"epoch chosen on val: {record.best_epoch} of {record.epochs}")
    rows = [(factor.name, factor.kind, len(factor.classes), _accuracy(record.val_accuracy, factor.name),
             _accuracy(record.test_accuracy, factor.name)) for factor in loaded.judge.factors]
    print_table(console, ("factor", "kind", "classes", "val accuracy", "test accuracy"), rows)


def _accuracy(accuracies: dict[str, float], name: str) -> str:
    return f"{accuracies[name]:.4f}" if name in accuracies else "-"
