"""Metric, factor and record names are spelled once, in cdsvae_eval/names.py: no other module of the package
writes one of them as a string literal (a name spelled in several files is a rule written twice)."""

from __future__ import annotations

import ast
from pathlib import Path

from cdsvae_eval import names

ROOT = Path(names.__file__).resolve().parent
# Names a module may spell itself without sharing a decision: ordinary words (a factor called "motion" is also
# the word in messages and docstrings), so only the metric and per-frame label names are checked.
CHECKED = sorted(value for key, value in vars(names).items()
                 if key.isupper() and isinstance(value, str) and "_" in value and value != names.SAMPLE_PROBE_PREFIX
                 and value != names.BASELINE_PREFIX)


def string_literals(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    return {node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings}


def test_the_checked_names_include_the_swap_and_verification_metrics():
    assert {"swap_motion_acc", "swap_identity_chance", "eer_static", "eer_dynamic", "frame_phones"} <= set(CHECKED)


def test_no_module_but_names_spells_a_shared_name():
    spelled = {}
    for path in ROOT.rglob("*.py"):
        if path.name == "names.py" and path.parent == ROOT:
            continue
        for value in string_literals(path) & set(CHECKED):
            spelled.setdefault(value, []).append(str(path.relative_to(ROOT)))
    assert spelled == {}
