"""The results file: schema keys, provenance of the codes, atomic writes, and no silent overwrite."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from cdsvae_eval.codes import CodeSet, FactorMeta, save_codes
from cdsvae_eval.errors import ConfigError, DataError
from cdsvae_eval.provenance import sha256_file
from cdsvae_eval.evaluate.results import SCHEMA_VERSION, load_result
from cdsvae_eval.tasks import TaskInputs
from cdsvae_eval.evaluate import run_task


def labelled_codes() -> CodeSet:
    rng = np.random.default_rng(0)
    n = 90
    shape = np.arange(n) % 3
    return CodeSet(
        static=(rng.normal(size=(3, 4))[shape] * 3 + rng.normal(size=(n, 4))).astype(np.float32),
        dynamic=rng.normal(size=(n, 2, 3)).astype(np.float32),
        labels={"shape": shape},
        factors={"shape": FactorMeta("static", ["square", "circle", "star"])},
        split=np.where(np.arange(n) < 60, "train", "test"),
        meta={"checkpoint_sha256": "abc123", "dataset_fingerprint": "fp-1", "source": "unit test"},
    )


@pytest.fixture
def written(tmp_path: Path) -> tuple[Path, Path, CodeSet]:
    codes = labelled_codes()
    codes_path = tmp_path / "codes.npz"
    save_codes(codes, codes_path)
    _, path = run_task(
        "classify", TaskInputs(codes=codes), {"split": "test"}, seed=7, out_dir=tmp_path / "out",
        codes_path=codes_path, checkpoint="runs/model-a",
    )
    return path, codes_path, codes


def test_results_file_holds_the_schema(written: tuple[Path, Path, CodeSet]) -> None:
    path, codes_path, _ = written
    assert path.name == "classify.json"
    record = json.loads(path.read_text())
    for key in ("schema_version", "task", "metrics", "metric_specs", "protocol", "tables", "artifacts", "codes",
                "checkpoint", "dataset_fingerprint", "options", "seed", "provenance", "wall_time_s"):
        assert key in record, key
    assert record["schema_version"] == SCHEMA_VERSION
    assert record["task"] == {"name": "classify", "version": "1.0"}
    accuracy = record["metrics"]["acc_shape_from_static"]
    assert set(accuracy) >= {"value", "higher_is_better", "ci_low", "ci_high"} and accuracy["higher_is_better"] is True
    assert record["codes"]["source"] == str(codes_path) and record["codes"]["sha256"] == sha256_file(codes_path)
    assert record["codes"]["splits"] == {"test": 30, "train": 60} and record["codes"]["n_rows"] == 90
    assert record["codes"]["meta"]["source"] == "unit test"
    assert record["checkpoint"] == {"run": "runs/model-a", "sha256": "abc123"}
    assert record["dataset_fingerprint"] == "fp-1"
    assert record["options"] == {"train_split": "train", "split": "test"} and record["seed"] == 7
    assert "git_hash" in record["provenance"] and "numpy" in record["provenance"]["packages"]
    assert record["wall_time_s"] >= 0
    assert record["protocol"]["n_train"] == 60 and record["protocol"]["n_eval"] == 30


def test_existing_results_are_never_overwritten_without_force(written: tuple[Path, Path, CodeSet]) -> None:
    path, _, codes = written
    before = path.read_bytes()
    with pytest.raises(ConfigError, match=re.escape(f"{path} already exists")):
        run_task("classify", TaskInputs(codes=codes), seed=1, out_dir=path.parent)
    assert path.read_bytes() == before
    run_task("classify", TaskInputs(codes=codes), seed=1, out_dir=path.parent, force=True)
    assert json.loads(path.read_text())["seed"] == 1
    assert sorted(p.name for p in path.parent.iterdir()) == ["classify.json"]  # no temporary files left


def test_load_result_round_trips_and_rejects_other_files(written: tuple[Path, Path, CodeSet], tmp_path: Path) -> None:
    path, _, _ = written
    assert load_result(path)["task"]["name"] == "classify"
    other = tmp_path / "other.json"
    other.write_text('{"hello": 1}')
    with pytest.raises(DataError, match="not a cdsvae-eval results file"):
        load_result(other)
    with pytest.raises(DataError, match="does not exist"):
        load_result(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(DataError, match="not readable JSON"):
        load_result(broken)


def test_scoring_the_split_that_chose_the_checkpoint_warns_and_is_recorded(tmp_path: Path) -> None:
    from cdsvae_eval.models.checkpoint_provenance import SelectionWarning

    codes = labelled_codes()
    codes.split = np.where(np.arange(90) < 60, "train", np.where(np.arange(90) < 75, "val", "test"))
    codes.meta["training"] = {"preset": "smoke", "seed": 4, "selection_split": "dev",
                              "selection_rule": "lowest validation loss on 'dev'"}
    with pytest.warns(SelectionWarning, match="scored on split 'val', the split whose identities chose this checkpoint"):
        result, path = run_task("classify", TaskInputs(codes=codes), {"split": "val"}, out_dir=tmp_path / "val")
    record = json.loads(path.read_text())
    assert record["protocol"]["selection_warning"] == result.protocol["selection_warning"]
    assert record["training"]["seed"] == 4 and "training" not in record["codes"]["meta"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", SelectionWarning)
        result, _ = run_task("classify", TaskInputs(codes=codes), {"split": "test"})
    assert "selection_warning" not in result.protocol
