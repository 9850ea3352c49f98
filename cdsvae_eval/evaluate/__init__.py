"""The evaluation API: score frozen codes (or a trained run) with one task or with every task that applies.

    from cdsvae_eval.evaluate import inputs_from_codes, run_suite, run_task
    suite = run_suite(inputs_from_codes("my_codes.npz"), out_dir="results/mine")
    result, path = run_task("classify", inputs_from_codes("my_codes.npz"), {"max_rows": "5000"})

``run_task`` runs one task and writes ``<out_dir>/<task>.json`` (:mod:`cdsvae_eval.evaluate.results`);
``run_suite`` runs many and skips, with reasons, those the inputs cannot serve. The CLI's ``probe`` is a
shell over these; ``report`` only reads and formats what they write.
"""

from cdsvae_eval.evaluate.inputs import inputs_from_checkpoint, inputs_from_codes, tasks_use_model
from cdsvae_eval.evaluate.options import build_options, option_names, parse_option_value
from cdsvae_eval.evaluate.runner import draw_figures, missing_needs, run_task
from cdsvae_eval.evaluate.suite import (
    ALL_TASKS,
    Skip,
    SuiteResult,
    TaskRun,
    check_suite_options,
    run_suite,
    suite_tasks,
)

__all__ = [
    "ALL_TASKS",
    "Skip",
    "SuiteResult",
    "TaskRun",
    "build_options",
    "check_suite_options",
    "draw_figures",
    "inputs_from_checkpoint",
    "inputs_from_codes",
    "missing_needs",
    "option_names",
    "parse_option_value",
    "run_suite",
    "run_task",
    "suite_tasks",
    "tasks_use_model",
]
