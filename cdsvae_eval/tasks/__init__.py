"""Tasks that score frozen codes. Import-light: no task module (sklearn, torch) loads until used.

Run a task with :func:`cdsvae_eval.evaluate.run_task`; write your own by subclassing
:class:`Task` and decorating it with :func:`register_task`, or publish it through the
``cdsvae_eval.tasks`` entry-point group.
"""

from cdsvae_eval.tasks.base import MetricSpec, MetricValue, NoOptions, Task, TaskInputs, TaskResult
from cdsvae_eval.tasks.registry import ENTRY_POINT_GROUP, TaskEntry, get_task, list_tasks, register_task, task_names

__all__ = [
    "ENTRY_POINT_GROUP",
    "MetricSpec",
    "MetricValue",
    "NoOptions",
    "Task",
    "TaskEntry",
    "TaskInputs",
    "TaskResult",
    "get_task",
    "list_tasks",
    "register_task",
    "task_names",
]
