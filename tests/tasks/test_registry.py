"""The task registry (lazy built-ins, registration, aliases) and the runner's options and needs checks."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from cdsvae_eval.codes import CodeSet
from cdsvae_eval.errors import ConfigError
from cdsvae_eval.tasks import MetricValue, Task, TaskInputs, TaskResult, get_task, list_tasks, register_task, registry
from cdsvae_eval.evaluate import build_options, run_task


@pytest.fixture
def clean_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry.TASKS, "registered", {})
    monkeypatch.setattr(registry.TASKS, "aliases", dict(registry.TASKS.aliases))


def tiny_codes() -> CodeSet:
    return CodeSet(
        static=np.ones((4, 2), dtype=np.float32),
        dynamic=np.zeros((4, 3, 2), dtype=np.float32),
        labels={},
        factors={},
    )


@dataclass
class EchoOptions:
    scale: float = 1.0
    repeats: int = 1
    label: str = "x"
    verbose: bool = False
    ks: tuple[int | str, ...] | None = None


class Echo(Task):
    name = "echo-test"
    version = "0.3"
    description = "returns its options as metrics"
    Options = EchoOptions

    def run(self, inputs: TaskInputs, options: EchoOptions, seed: int, out_dir: Path | None) -> TaskResult:
        return TaskResult(metrics={"scale": MetricValue(options.scale * options.repeats, True)})


class NeedsDecoder(Task):
    name = "needs-decoder-test"
    version = "1"
    description = "needs a decoder"
    needs = frozenset({"codes", "decoder"})

    def run(self, inputs: TaskInputs, options: object, seed: int, out_dir: Path | None) -> TaskResult:
        raise AssertionError("must not run without a decoder")


def test_importing_tasks_loads_neither_sklearn_nor_torch() -> None:
    code = (
        "import sys, cdsvae_eval.tasks as t; t.task_names(); "
        "print(sorted(m for m in ('sklearn', 'torch', 'scipy', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_builtins_are_listed_with_their_source() -> None:
    entries = {entry.name: entry for entry in list_tasks()}
    for name in ("classify", "few-shot", "speaker-eer", "swap-oracle", "judge-swap"):
        assert entries[name].source == "builtin"
    assert entries["classify"].available and entries["classify"].version == "1.0"
    assert entries["classify"].needs == ("codes",)
    assert any(spec.name == "acc_{factor}_from_{code}" for spec in entries["classify"].metrics)
    assert entries["few-shot"].aliases == ("few_shot",)


def test_a_missing_builtin_module_shows_as_unavailable_on_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry._BUILTIN, "ghost", "cdsvae_eval.tasks.no_such_module:Ghost")
    entries = {entry.name: entry for entry in list_tasks()}
    assert not entries["ghost"].available
    assert "ModuleNotFoundError" in entries["ghost"].error and "\n" not in entries["ghost"].error
    assert entries["classify"].available
    with pytest.raises(ConfigError, match="task 'ghost' is unavailable"):
        get_task("ghost")


def test_unknown_task_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown task 'nope' \(known: .*classify.*few-shot"):
        get_task("nope")


def test_alias_resolves_to_the_task() -> None:
    assert get_task("few_shot") is get_task("few-shot")
    assert get_task("few-shot").name == "few-shot"


def test_register_task_with_aliases(clean_registry: None) -> None:
    register_task(aliases=("echo",))(Echo)
    assert get_task("echo") is Echo and get_task("echo-test") is Echo
    entry = next(entry for entry in list_tasks() if entry.name == "echo-test")
    assert entry.source == f"registered in {__name__}" and entry.version == "0.3" and entry.aliases == ("echo",)


def test_register_rejects_a_taken_name_and_non_tasks(clean_registry: None) -> None:
    class Impostor(Echo):
        name = "classify"

    with pytest.raises(ConfigError, match="'classify' is already taken"):
        register_task(Impostor)
    with pytest.raises(ConfigError, match="not a subclass"):
        register_task(dict)


def test_options_are_parsed_by_field_type(clean_registry: None) -> None:
    register_task(Echo)
    options = build_options(Echo, {"scale": "2.5", "repeats": "3", "label": "y", "verbose": "yes", "ks": "1, 10,all"})
    assert options == EchoOptions(scale=2.5, repeats=3, label="y", verbose=True, ks=(1, 10, "all"))
    assert build_options(Echo, {"ks": "none"}).ks is None
    assert build_options(Echo, {"ks": [1, 2]}).ks == (1, 2)
    assert run_task("echo-test", TaskInputs(codes=tiny_codes()), {"scale": "2", "repeats": "3"})[0].metrics["scale"].value == 6.0


def test_unknown_or_malformed_options_name_the_option_and_task(clean_registry: None) -> None:
    register_task(Echo)
    with pytest.raises(ConfigError, match=r"task 'echo-test' has no option 'scael' \(its options: scale, repeats"):
        run_task("echo-test", TaskInputs(codes=tiny_codes()), {"scael": "1"})
    with pytest.raises(ConfigError, match=r"option 'repeats' of task 'echo-test' expects int, got 'many'"):
        build_options(Echo, {"repeats": "many"})
    with pytest.raises(ConfigError, match="option 'verbose'"):
        build_options(Echo, {"verbose": "perhaps"})


def test_a_decoder_task_with_only_codes_is_a_one_line_error(clean_registry: None) -> None:
    register_task(NeedsDecoder)
    with pytest.raises(ConfigError, match="task 'needs-decoder-test' needs a decoder") as error:
        run_task("needs-decoder-test", TaskInputs(codes=tiny_codes()))
    assert "\n" not in str(error.value)


def test_a_misspelled_need_is_refused_at_registration(clean_registry) -> None:
    class Typo(Task):
        name = "typo-test"
        version = "1"
        description = "needs a 'decodr'"
        needs = frozenset({"codes", "decodr"})

        def run(self, inputs, options, seed, out_dir):
            raise AssertionError("never registered")

    with pytest.raises(ConfigError, match=r"needs names unknown input\(s\) 'decodr' \(known: codes, decoder, dataset\)"):
        register_task(Typo)
    Typo.needs, Typo.uses = frozenset({"codes"}), frozenset({"model"})
    with pytest.raises(ConfigError, match=r"uses names unknown input\(s\) 'model'"):
        register_task(Typo)
    with pytest.raises(ConfigError, match="unknown task"):
        get_task("typo-test")


def test_every_built_in_task_names_its_scored_split_split() -> None:
    """One name for the evaluation split, so `--option split=val` reaches every task (it was `eval_split` in
    classify, few-shot and code-usage, `split` elsewhere)."""
    from cdsvae_eval.evaluate import option_names

    for entry in list_tasks():
        if entry.source != "builtin":
            continue
        names = option_names(get_task(entry.name))
        assert "eval_split" not in names, entry.name
        if any(name.endswith("split") for name in names):
            assert "split" in names, entry.name
