"""The evaluation API: score frozen codes (or a trained run) with one task or with every task that applies.

    import cdsvae_eval as ce
    suite = ce.run_suite(ce.inputs_from_codes("my_codes.npz"), out_dir="results/mine")
    result, path = ce.run_task("classify", ce.inputs_from_codes("my_codes.npz"), {"max_rows": "5000"})

``run_task`` runs one task and writes ``<out_dir>/<task>.json`` (:mod:`cdsvae_eval.evaluate.results`);
``run_suite`` runs many and skips, with reasons, those the inputs cannot serve. The CLI's ``probe`` is a
shell over these; ``report`` only reads and formats what they write.
"""

from cdsvae_eval.evaluate.inputs import inputs_from_checkpoint, inputs_from_codes, tasks_use_model
from cdsvae_eval.evaluate.options import build_options, option_names
from cdsvae_eval.evaluate.runner import run_task
from cdsvae_eval.evaluate.suite import ALL_TASKS, Skip, SuiteResult, TaskRun, run_suite, suite_tasks

__all__ = [
    "ALL_TASKS",
    "Skip",
    "SuiteResult",
    "TaskRun",
    "build_options",
    "inputs_from_checkpoint",
    "inputs_from_codes",
    "option_names",
    "run_suite",
    "run_task",
    "suite_tasks",
    "tasks_use_model",
]
