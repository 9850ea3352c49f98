"""Several training seeds of one config: one run folder per seed, ``<out>/seed-<n>``.

Figures from one trained model omit the spread between training seeds, usually the largest in this
field; ``report`` summarises the runs of a seed set with a t-interval over seeds.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from cdsvae_eval.config import TrainConfig
from cdsvae_eval.errors import FieldError

SEED_PREFIX = "seed-"


def parse_seeds(text: str) -> list[int]:
    """``"1,2,3"`` -> ``[1, 2, 3]``: distinct non-negative integers, in the order given."""
    try:
        seeds = [int(item) for item in text.split(",") if item.strip()]
    except ValueError:
        raise FieldError("seeds", f"expects comma-separated integers such as 1,2,3, got {text!r}") from None
    if not seeds or len(set(seeds)) != len(seeds) or min(seeds) < 0:
        raise FieldError("seeds", f"expects distinct non-negative integers such as 1,2,3, got {text!r}")
    return seeds


def seed_run_dir(out: str | Path, seed: int) -> Path:
    return Path(out) / f"{SEED_PREFIX}{seed}"


def seed_runs(folder: str | Path) -> list[Path]:
    """The ``seed-<n>`` run folders under ``folder`` (sorted by seed); empty when it is not a seed set."""
    folder = Path(folder)
    if not folder.is_dir() or any((folder / name).is_file() for name in ("best.pt", "last.pt")):
        return []
    runs = [path for path in folder.iterdir()
            if path.is_dir() and path.name.startswith(SEED_PREFIX) and path.name[len(SEED_PREFIX):].isdigit()]
    return sorted(runs, key=lambda path: int(path.name[len(SEED_PREFIX):]))


def seed_configs(config: TrainConfig, seeds: list[int]) -> list[TrainConfig]:
    """``config`` once per seed, identical but for ``seed``."""
    return [dataclasses.replace(config, seed=seed) for seed in seeds]
