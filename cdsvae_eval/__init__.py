"""cdsvae-eval: train C-DSVAE, freeze its static and dynamic codes, score them with fixed protocols.

The public API, in one namespace::

    import cdsvae_eval as ce

    summary = ce.train(ce.preset_config("quick"), "runs/mine")
    suite = ce.run_suite(ce.inputs_from_checkpoint("runs/mine"), out_dir="runs/mine/probes", checkpoint="runs/mine")
    result, path = ce.run_task("classify", ce.inputs_from_codes("my_codes.npz"), out_dir="results/mine")

Each name is imported on first use (module ``__getattr__``), so ``import cdsvae_eval`` loads no torch and
``cdsvae-eval --help`` starts fast.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# Public name -> the module that defines it.
_PUBLIC: dict[str, str] = {
    # training
    "train": "cdsvae_eval.training.trainer",
    "TrainSummary": "cdsvae_eval.training.trainer",
    "TrainConfig": "cdsvae_eval.config",
    "preset_config": "cdsvae_eval.config",
    "apply_overrides": "cdsvae_eval.config",
    "seed_configs": "cdsvae_eval.training.seeds",
    "seed_run_dir": "cdsvae_eval.training.seeds",
    # frozen codes
    "CodeSet": "cdsvae_eval.codes",
    "FactorMeta": "cdsvae_eval.codes",
    "load_codes": "cdsvae_eval.codes",
    "save_codes": "cdsvae_eval.codes",
    "extract_codes": "cdsvae_eval.codes",
    "codes_for_checkpoint": "cdsvae_eval.codes",
    # evaluation
    "TaskInputs": "cdsvae_eval.tasks.base",
    "inputs_from_checkpoint": "cdsvae_eval.evaluate.inputs",
    "inputs_from_codes": "cdsvae_eval.evaluate.inputs",
    "run_task": "cdsvae_eval.evaluate.runner",
    "run_suite": "cdsvae_eval.evaluate.suite",
    # the task registry, and what a task is made of
    "Task": "cdsvae_eval.tasks.base",
    "TaskResult": "cdsvae_eval.tasks.base",
    "MetricSpec": "cdsvae_eval.tasks.base",
    "MetricValue": "cdsvae_eval.tasks.base",
    "get_task": "cdsvae_eval.tasks.registry",
    "list_tasks": "cdsvae_eval.tasks.registry",
    "register_task": "cdsvae_eval.tasks.registry",
    # the dataset registry, and what a dataset is
    "SequenceDataset": "cdsvae_eval.data.base",
    "get_dataset": "cdsvae_eval.data.registry",
    "list_datasets": "cdsvae_eval.data.registry",
    "register_dataset": "cdsvae_eval.data.registry",
}

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str) -> object:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'cdsvae_eval' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
