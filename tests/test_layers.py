"""The package's imports flow one way: data -> models -> training -> codes -> tasks -> evaluate -> report
-> compare -> cli (``compare`` is the workflow that trains, scores and reports presets side by side).

Every import in the package (at module level or inside a function) is read from the source with ``ast``.
An edge from a layer to a layer above it, an import of ``training`` by the evaluation side (codes,
tasks, evaluate, report: scoring a run needs no trainer), or an import cycle between modules fails.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = "cdsvae_eval"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE
LAYERS = ("data", "models", "training", "codes", "tasks", "evaluate", "report", "compare", "cli")
# Shared by every layer: errors, atomic writes, paths, device and precision, text parsing, configs,
# run provenance, pictures from arrays, shared names and verification metrics. They import nothing above themselves.
FOUNDATION = ("errors", "atomic", "folder_lock", "paths", "path_checks", "device", "text_values", "config", "provenance", "draw",
              "registry", "names", "metrics")
# Checks of a training config: they call the objective's own checks, so they sit with training.
PLACED = {"config_checks": "training"}
EVALUATION_SIDE = ("codes", "tasks", "evaluate", "report")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> list[tuple[str, int]]:
    """Every ``cdsvae_eval`` module that ``path`` imports, with the line of the import."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.append((base, node.lineno))
            found += [(f"{base}.{alias.name}", node.lineno) for alias in node.names if is_module(f"{base}.{alias.name}")]
    return [(name, line) for name, line in found if name == PACKAGE or name.startswith(PACKAGE + ".")]


def is_module(name: str) -> bool:
    path = ROOT.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def layer_of(module: str) -> str | None:
    """The layer a module belongs to (``foundation`` for the shared modules); None for the package root."""
    parts = module.split(".")
    if len(parts) < 2:
        return None
    top = parts[1]
    if top.startswith("__"):
        return None  # the package's own attributes (__version__)
    if top in PLACED:
        return PLACED[top]
    if top in FOUNDATION:
        return "foundation"
    if top in LAYERS:
        return top
    return "unknown"


def rank(layer: str) -> int:
    return -1 if layer == "foundation" else LAYERS.index(layer)


def existing_modules() -> dict[str, Path]:
    return {module_name(path): path for path in ROOT.rglob("*.py")}


def graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports (a ``from X import name`` counts X, and X.name when that
    is a module)."""
    modules = existing_modules()
    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = {target for target, _ in imported_modules(path) if target in modules}
        edges[name] = targets - {name}
    return edges


def layer_violations() -> list[str]:
    problems = []
    for name, path in sorted(existing_modules().items()):
        source = layer_of(name)
        if source is None:
            continue
        for target, line in imported_modules(path):
            target_layer = layer_of(target)
            if target_layer is None or target_layer == source:
                continue
            where = f"{path.relative_to(ROOT.parent)}:{line} imports {target}"
            if "unknown" in (source, target_layer):
                problems.append(f"{where}: module outside the known layers (add it to tests/test_layers.py)")
            elif rank(target_layer) > rank(source):
                problems.append(f"{where}: {source} may not import {target_layer} (a higher layer)")
            elif source in EVALUATION_SIDE and target_layer == "training":
                problems.append(f"{where}: scoring must not depend on the trainer")
    return problems


def import_cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each a cycle of imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return cycles


def without_packages(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    """The graph without edges into package ``__init__`` modules that only re-export their children
    (``from cdsvae_eval.tasks import X`` reads tasks/__init__, which imports tasks.base): an edge to a
    package stands for its members, so a module inside the package importing the package is no cycle."""
    packages = {name for name, path in existing_modules().items() if path.name == "__init__.py"}
    return {name: {t for t in targets if not (t in packages and name.startswith(t + "."))}
            for name, targets in edges.items()}


def test_no_import_runs_up_the_layers() -> None:
    assert layer_violations() == []


def test_the_package_has_no_import_cycle() -> None:
    assert import_cycles(without_packages(graph())) == []


def test_the_checks_catch_an_upward_edge_and_a_cycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / PACKAGE
    for name, body in {
        "__init__.py": "",
        "data/__init__.py": "",
        "data/a.py": "from cdsvae_eval.data import b\n",
        "data/b.py": "def f():\n    from cdsvae_eval.data.a import g\n",
        "codes.py": "from cdsvae_eval.training.trainer import train\n",
        "training/__init__.py": "",
        "training/trainer.py": "from cdsvae_eval.report import tables\n",
        "report/__init__.py": "",
        "report/tables.py": "",
    }.items():
        (fake / name).parent.mkdir(parents=True, exist_ok=True)
        (fake / name).write_text(body)
    monkeypatch.setattr(f"{__name__}.ROOT", fake)
    problems = layer_violations()
    assert any("codes.py:1 imports cdsvae_eval.training.trainer: scoring must not depend" in p for p in problems)
    assert any("training/trainer.py:1" in p and "training may not import report" in p for p in problems)
    assert import_cycles(without_packages(graph())) == [["cdsvae_eval.data.a", "cdsvae_eval.data.b"]]
