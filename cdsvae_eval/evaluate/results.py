"""The results file: one JSON per task run, self-describing enough to reproduce and compare the run.

Schema (``schema_version`` 1)::

    schema_version   1
    task             {"name", "version"}
    metrics          {name: {"value", "higher_is_better", "ci_low"?, "ci_high"?, "std"?, "per_seed"?, "chance"?}}
    metric_specs     [{"name", "higher_is_better", "description"}]   (the task's declared metrics)
    protocol         task-specific: method, splits, counts, CI method, ...
    tables           task-specific rows (per factor, per k, ...)
    artifacts        files written beside the JSON (plots, trial lists)
    codes            {"source", "sha256", "cache_key", "n_rows", "splits", "meta"} or null
    baseline_codes   the codes scored alongside as a baseline: {"n_rows", "random_init", "random_init_seed",
                     "checkpoint_sha256", "cache_key"} (those known) or null
    checkpoint       {"run", "sha256"} or null
    training         how the scored checkpoint was trained and chosen, or null (codes of unknown origin):
                     {"preset", "seed", "dataset", "checkpoint_file", "checkpoint_epoch", "epochs",
                      "selection_split", "selection_rule", "selection_score", "config_sha256",
                      "config_path", "config"}
    dataset_fingerprint
    options          the task's options, as run
    seed             the run's seed
    provenance       git hash, package versions, host, time (cdsvae_eval.provenance)
    wall_time_s      seconds spent in the task
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np

from cdsvae_eval.atomic import write_json
from cdsvae_eval.codes import CodeSet
from cdsvae_eval.errors import ConfigError, DataError
from cdsvae_eval.provenance import provenance, sha256_file
from cdsvae_eval.tasks.base import Task, TaskResult

SCHEMA_VERSION = 1
REQUIRED_KEYS = ("schema_version", "task", "metrics")


def result_record(
    task: type[Task],
    result: TaskResult,
    *,
    options: Any,
    seed: int,
    wall_time_s: float,
    codes: CodeSet | None = None,
    codes_path: str | Path | None = None,
    checkpoint: str | Path | None = None,
    training: dict[str, Any] | None = None,
    baseline_codes: CodeSet | None = None,
) -> dict[str, Any]:
    """Everything the results file holds for one run of ``task``."""
    meta = codes.meta if codes is not None else {}
    return {
        "schema_version": SCHEMA_VERSION,
        "task": {"name": task.name, "version": task.version},
        "metrics": {name: value.to_json() for name, value in result.metrics.items()},
        "metric_specs": [dataclasses.asdict(spec) for spec in task.metric_specs],
        "protocol": result.protocol,
        "tables": result.tables,
        "artifacts": result.artifacts,
        "codes": _codes_section(codes, codes_path),
        "baseline_codes": _baseline_section(baseline_codes),
        "checkpoint": (
            {"run": str(checkpoint), "sha256": meta.get("checkpoint_sha256")} if checkpoint is not None else None
        ),
        "training": training,
        "dataset_fingerprint": meta.get("dataset_fingerprint"),
        "options": dataclasses.asdict(options) if dataclasses.is_dataclass(options) else dict(options or {}),
        "seed": seed,
        "provenance": provenance(),
        "wall_time_s": round(wall_time_s, 3),
    }


def result_path(out_dir: str | Path, task_name: str) -> Path:
    return Path(out_dir) / f"{task_name}.json"


def write_result(record: dict[str, Any], out_dir: str | Path, force: bool = False) -> Path:
    """Write ``<out_dir>/<task>.json`` atomically; an existing file is kept unless ``force``."""
    path = result_path(out_dir, record["task"]["name"])
    if path.exists() and not force:
        raise ConfigError(f"results file {path} already exists; pass force=True to overwrite it")
    write_json(path, record)
    return path


def load_result(path: str | Path) -> dict[str, Any]:
    """Read a results file, checking that it is one (one-line :class:`DataError` otherwise)."""
    path = Path(path)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"results file {path} does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataError(f"results file {path} is not readable JSON ({error})") from None
    if not isinstance(record, dict) or any(key not in record for key in REQUIRED_KEYS):
        raise DataError(f"{path} is not a cdsvae-eval results file (needs keys {', '.join(REQUIRED_KEYS)})")
    if record["schema_version"] != SCHEMA_VERSION:
        raise DataError(f"results file {path} has schema_version {record['schema_version']}, expected {SCHEMA_VERSION}")
    _check_structure(record, path)
    return record


def _check_structure(record: dict[str, Any], path: Path) -> None:
    """The fields every reader of a results file uses have their types (one-line DataError naming the field)."""
    task = record["task"]
    if not isinstance(task, dict) or not all(isinstance(task.get(key), str) for key in ("name", "version")):
        raise DataError(f"results file {path}: 'task' must be an object with string 'name' and 'version'")
    if not isinstance(record["metrics"], dict):
        raise DataError(f"results file {path}: 'metrics' must be an object of metric name -> value record")
    for name, metric in record["metrics"].items():
        if not (isinstance(metric, dict) and isinstance(metric.get("higher_is_better"), bool)
                and _is_number(metric.get("value"))):
            raise DataError(f"results file {path}: metric {name!r} needs a numeric 'value' and a boolean "
                            "'higher_is_better'")
        for key in ("ci_low", "ci_high", "std"):
            if metric.get(key) is not None and not _is_number(metric[key]):
                raise DataError(f"results file {path}: metric {name!r} has a non-numeric {key!r}")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _baseline_section(codes: CodeSet | None) -> dict[str, Any] | None:
    """Where the baseline codes scored alongside came from: a random-init model (its seed) or a file."""
    if codes is None:
        return None
    keys = ("random_init", "random_init_seed", "checkpoint_sha256", "cache_key", "source")
    return {"n_rows": len(codes), **{key: codes.meta[key] for key in keys if key in codes.meta}}


def _codes_section(codes: CodeSet | None, codes_path: str | Path | None) -> dict[str, Any] | None:
    if codes is None:
        return None
    splits: dict[str, int] = {}
    if codes.split is not None:
        names, counts = np.unique(codes.split, return_counts=True)
        splits = {str(name): int(count) for name, count in zip(names, counts)}
    return {
        "source": str(codes_path) if codes_path is not None else None,
        "sha256": sha256_file(codes_path) if codes_path is not None else None,
        "cache_key": codes.meta.get("cache_key"),
        "n_rows": len(codes),
        "splits": splits,
        "meta": {key: value for key, value in codes.meta.items() if key != "training"},
    }
