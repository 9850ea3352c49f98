"""Third-party tasks through the ``cdsvae_eval.tasks`` entry-point group, using the example package.

Instead of pip-installing, the test writes a ``*.dist-info`` folder (METADATA + entry_points.txt) into a
temporary directory on sys.path: importlib.metadata finds it exactly as it finds an installed package.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from dist_info import install_dist_info
from cdsvae_eval.codes import CodeSet
from cdsvae_eval.errors import ConfigError
from cdsvae_eval.tasks import TaskInputs, get_task, list_tasks
from cdsvae_eval.evaluate import run_task

GROUP = "cdsvae_eval.tasks"
EXAMPLE_SOURCE = Path(__file__).resolve().parents[2] / "examples" / "plugin_task" / "src"


@pytest.fixture
def plugin_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site = tmp_path / "site"
    install_dist_info(site, "cdsvae-plugin-example", GROUP, {"code-norms": "cdsvae_plugin_example:CodeNorms"})
    monkeypatch.syspath_prepend(str(EXAMPLE_SOURCE))
    monkeypatch.syspath_prepend(str(site))
    yield site
    sys.modules.pop("cdsvae_plugin_example", None)


def test_plugin_is_listed_from_its_entry_point_and_runs(plugin_site: Path) -> None:
    entry = next(entry for entry in list_tasks() if entry.name == "code-norms")
    assert entry.available and entry.source == "entry point cdsvae-plugin-example" and entry.version == "0.1"
    rng = np.random.default_rng(0)
    codes = CodeSet(
        static=rng.normal(size=(10, 4)).astype(np.float32),
        dynamic=rng.normal(size=(10, 3, 2)).astype(np.float32),
        labels={},
        factors={},
    )
    assert get_task("code-norms").__module__ == "cdsvae_plugin_example"
    metrics = run_task("code-norms", TaskInputs(codes=codes))[0].metrics
    assert metrics["static_norm"].value == pytest.approx(np.sqrt((codes.static**2).sum(1)).mean(), rel=1e-6)
    assert metrics["dynamic_norm"].value == pytest.approx(np.sqrt((codes.dynamic**2).sum(2)).mean(), rel=1e-6)


def test_broken_plugins_show_as_unavailable_without_hiding_others(plugin_site: Path) -> None:
    install_dist_info(
        plugin_site,
        "broken-plugins",
        GROUP,
        {
            "missing-module": "no_such_module_for_cdsvae:Task",
            "not-a-task": "json:loads",
            "classify": "cdsvae_plugin_example:CodeNorms",
        },
    )
    entries = list_tasks()
    by_name = {(entry.name, entry.source): entry for entry in entries}
    assert "ModuleNotFoundError" in by_name["missing-module", "entry point broken-plugins"].error
    assert "not a subclass" in by_name["not-a-task", "entry point broken-plugins"].error
    assert "already taken" in by_name["classify", "entry point broken-plugins"].error
    assert by_name["classify", "builtin"].available
    assert by_name["code-norms", "entry point cdsvae-plugin-example"].available
    with pytest.raises(ConfigError, match="'missing-module' is unavailable"):
        get_task("missing-module")
    assert get_task("classify").__module__ == "cdsvae_eval.tasks.classify"


def test_a_plugin_whose_module_raises_at_import_is_unavailable_with_its_error_on_one_line(
    plugin_site: Path, run_cli
) -> None:
    (plugin_site / "raising_plugin_for_cdsvae.py").write_text('raise RuntimeError("needs a licence server\\nat import")\n')
    install_dist_info(plugin_site, "raising-plugin", GROUP, {"raising": "raising_plugin_for_cdsvae:Task"})
    entry = next(entry for entry in list_tasks() if entry.name == "raising")
    assert entry.error == "RuntimeError: needs a licence server at import"
    with pytest.raises(ConfigError, match=r"^task 'raising' is unavailable \(raising_plugin_for_cdsvae:Task: RuntimeError"):
        get_task("raising")
    code, out, err = run_cli("probe", "--task", "raising", "--codes", plugin_site / "none.npz")
    assert code == 2 and "Traceback" not in out + err and err.count("\n") == 1 and "RuntimeError" in err
    sys.modules.pop("raising_plugin_for_cdsvae", None)
