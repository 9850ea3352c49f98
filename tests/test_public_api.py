"""The package's face: ``import cdsvae_eval as ce`` gives the public API, lazily (no torch at import), and
the documents use only names it has."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

import cdsvae_eval as ce
import cdsvae_eval.evaluate

REPO = Path(__file__).resolve().parent.parent
CLI_PLUMBING = ("draw_figures", "missing_needs", "check_suite_options", "parse_option_value")


@pytest.mark.parametrize("name", [name for name in ce.__all__ if name != "__version__"])
def test_every_public_name_resolves_to_its_definition(name: str) -> None:
    value = getattr(ce, name)
    assert value is getattr(importlib.import_module(value.__module__), name)
    assert name in dir(ce)


def test_the_api_the_issue_names_is_there() -> None:
    for name in ("train", "preset_config", "inputs_from_checkpoint", "inputs_from_codes", "run_task", "run_suite",
                 "load_codes", "save_codes", "get_task", "list_tasks", "register_task", "get_dataset",
                 "list_datasets", "register_dataset"):
        assert callable(getattr(ce, name)), name


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'trian'"):
        ce.trian  # noqa: B018


def test_importing_the_package_imports_no_torch() -> None:
    script = "import sys, cdsvae_eval; print(sorted(m for m in ('torch', 'numpy', 'sklearn') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_evaluate_exports_no_cli_plumbing() -> None:
    for name in CLI_PLUMBING:
        assert name not in cdsvae_eval.evaluate.__all__ and not hasattr(cdsvae_eval.evaluate, name)


@pytest.mark.parametrize("document", ["README.md", "docs/python-api.md"])
def test_documents_use_only_public_names(document: str) -> None:
    used = set(re.findall(r"\bce\.([A-Za-z_]\w*)", (REPO / document).read_text(encoding="utf-8")))
    assert used, f"{document} shows no `import cdsvae_eval as ce` example"
    assert used <= set(ce.__all__), sorted(used - set(ce.__all__))
