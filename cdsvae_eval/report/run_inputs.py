"""What ``report`` is given, as runs: a run folder (``RUN/probes/*.json``), a folder of results files, or
results files (consecutive files in one folder are one run). Each run is named by ``labels`` or, by
default, by its run folder's name (``RUN`` for ``RUN/probes``), never by an absolute path."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from cdsvae_eval.errors import DataError, FieldError
from cdsvae_eval.evaluate.results import load_result

PROBES_FOLDER = "probes"


@dataclass(frozen=True)
class RunResults:
    """One run's results: ``results`` maps each task name to its file and record; ``results_dir`` is
    the folder holding them; ``run_dir`` the training run folder (log.jsonl, config.json, swaps.png)
    when it is known."""

    label: str
    results: dict[str, tuple[Path, dict[str, Any]]]
    results_dir: Path
    run_dir: Path | None

    @property
    def paths(self) -> list[Path]:
        return [path for path, _ in self.results.values()]


def collect_runs(paths: Iterable[str | Path], labels: list[str] | None = None) -> list[RunResults]:
    """The runs in ``paths``, in the order given; ``labels`` (one per run) name them."""
    groups: list[tuple[Path, list[Path]]] = []
    previous_was_file = False
    for path in (Path(path) for path in paths):
        if path.is_dir():
            folder = path / PROBES_FOLDER if (path / PROBES_FOLDER).is_dir() else path
            files = sorted(folder.glob("*.json"))
            if not files:
                raise DataError(f"{path} holds no results files (*.json, or {PROBES_FOLDER}/*.json in a run folder)")
            groups.append((folder, files))
        elif previous_was_file and groups[-1][0] == path.parent:
            groups[-1][1].append(path)
        else:
            groups.append((path.parent, [path]))
        previous_was_file = not path.is_dir()
    if labels and len(labels) != len(groups):
        raise FieldError("labels", f"names {len(labels)} run(s), but {len(groups)} run(s) were given")
    names = labels or _default_labels([_run_dir(folder) or folder for folder, _ in groups])
    runs = []
    for name, (folder, files) in zip(names, groups):
        results = {}
        for file in files:
            record = load_result(file)
            results[record["task"]["name"]] = (file, record)
        runs.append(RunResults(name, results, folder, _run_dir(folder)))
    return runs


def _run_dir(results_dir: Path) -> Path | None:
    """The training run whose results these are: the folder above ``RUN/probes``, or the folder itself
    when the results sit beside the run's config.json."""
    for candidate in (results_dir, results_dir.parent):
        if (candidate / "config.json").is_file() and (candidate / "log.jsonl").is_file():
            return candidate
    return None


def _default_labels(folders: list[Path]) -> list[str]:
    names = [folder.resolve().name for folder in folders]
    if len(set(names)) == len(names):
        return names
    return [f"{name} ({index})" if names.count(name) > 1 else name for index, name in enumerate(names, start=1)]
