"""A third-party dataset through the ``cdsvae_eval.datasets`` entry-point group, using the example package.

As in tests/tasks/test_plugin.py, a ``*.dist-info`` folder on sys.path stands for the installed package:
importlib.metadata finds its entry points exactly as it finds those of a pip-installed one.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from dist_info import install_dist_info
from cdsvae_eval.data.registry import get_dataset, list_datasets

GROUP = "cdsvae_eval.datasets"
EXAMPLE_SOURCE = Path(__file__).resolve().parents[2] / "examples" / "plugin_dataset" / "src"


@pytest.fixture
def dataset_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site = tmp_path / "site"
    install_dist_info(site, "cdsvae-dataset-example", GROUP, {"sliding-squares": "cdsvae_dataset_example:SlidingSquares"})
    monkeypatch.syspath_prepend(str(EXAMPLE_SOURCE))
    monkeypatch.syspath_prepend(str(site))
    yield site
    sys.modules.pop("cdsvae_dataset_example", None)


def test_an_installed_dataset_is_listed_with_its_source_and_description(dataset_site: Path, run_cli) -> None:
    assert list_datasets()["sliding-squares"].startswith("Squares of one colour each sliding")
    code, out, err = run_cli("data", "list")
    assert code == 0, err
    row = next(line for line in out.splitlines() if "sliding-squares" in line)
    assert "entry point" in row and "cdsvae-dataset-example" in out and "builtin" in out  # cells may wrap


def test_an_installed_dataset_trains_with_the_smoke_preset_and_is_scored(dataset_site: Path, run_cli,
                                                                         tmp_path: Path) -> None:
    dataset = get_dataset("sliding-squares")
    assert dataset.split("train").x.shape[1:] == (8, 3, 16, 16)
    code, out, err = run_cli("train", "--preset", "smoke", "--dataset", "sliding-squares", "--epochs", "1",
                             "--out", tmp_path / "run", "--device", "cpu", "--no-progress")
    assert code == 0, err
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["config"]["dataset"] == "sliding-squares"
    code, out, err = run_cli("probe", "--task", "classify", "--checkpoint", tmp_path / "run",
                             "--out", tmp_path / "probes", "--device", "cpu")
    assert code == 0, err
    record = json.loads((tmp_path / "probes" / "classify.json").read_text())
    assert record["dataset_fingerprint"] == dataset.fingerprint()
    assert {"acc_colour_from_static", "acc_motion_from_dynamic"} <= set(record["metrics"])


def test_a_broken_dataset_plugin_is_listed_as_unavailable_and_named_when_used(dataset_site: Path) -> None:
    install_dist_info(dataset_site, "broken-data", GROUP, {"broken-data": "no_such_module_anywhere:Data"})
    assert list_datasets()["broken-data"].startswith("unavailable: dataset 'broken-data' is unavailable")
    assert "sliding-squares" in list_datasets()
    from cdsvae_eval.errors import DataError

    with pytest.raises(DataError, match="dataset 'broken-data' is unavailable .*ModuleNotFoundError"):
        get_dataset("broken-data")


def test_registering_a_built_in_name_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from cdsvae_eval.data import registry
    from cdsvae_eval.errors import DataError

    monkeypatch.setattr(registry.DATASETS, "registered", {})
    with pytest.raises(DataError, match="dataset name 'sprites' is already taken"):
        registry.register_dataset("sprites")(lambda: None)
