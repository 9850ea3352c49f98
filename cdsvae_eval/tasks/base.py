"""What a task is: a named, versioned measurement of frozen codes (or of a decoder) with typed options.

A task declares what it needs (``codes``, ``decoder``, ``dataset``: :data:`TASK_INPUTS`), its options as a dataclass with
defaults, and for each metric whether higher is better. ``run`` returns a :class:`TaskResult`; the
evaluation API (:mod:`cdsvae_eval.evaluate`) turns it into the results JSON.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from cdsvae_eval.codes import CodeSet

# The inputs a task may need or use (``Task.needs``, ``Task.uses``): the TaskInputs fields of those names, each
# with how a user provides it. A task naming anything else is refused when it is registered.
TASK_INPUTS: dict[str, str] = {
    "codes": "codes (a code file or a checkpoint)",
    "decoder": "a decoder (a --checkpoint run, not a code file)",
    "dataset": "a dataset",
}


@dataclass(frozen=True)
class MetricSpec:
    """A metric a task reports. ``name`` may contain ``{factor}``/``{code}`` placeholders."""

    name: str
    higher_is_better: bool
    description: str = ""


@dataclass
class MetricValue:
    value: float
    higher_is_better: bool
    ci_low: float | None = None
    ci_high: float | None = None
    std: float | None = None
    per_seed: list[float] | None = None
    chance: float | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": self.value, "higher_is_better": self.higher_is_better}
        for key in ("ci_low", "ci_high", "std", "per_seed", "chance"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


@dataclass
class TaskInputs:
    """Everything a task may read. ``codes`` holds all rows with a ``split`` column where known;
    ``baseline_codes`` are codes of a randomly initialised model of the same architecture; ``decoder``
    is the trained model (encode, decode, swap: what the ``decoder`` need asks for)."""

    codes: CodeSet | None = None
    baseline_codes: CodeSet | None = None
    decoder: Any | None = None
    dataset: Any | None = None
    device: str = "cpu"


@dataclass
class Figure:
    """A picture for the report layer to draw beside the results file (tasks do not draw).

    ``kind`` is ``"curves"`` (``data``: label -> points with ``k``, ``shots``, ``mean``, ``std``) or
    ``"image_grid"`` (``data``: an array ``(R, C, channels, H, W)``; ``options``: row/column labels, scale).
    """

    kind: Literal["curves", "image_grid"]
    data: Any
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class TaskResult:
    metrics: dict[str, MetricValue]
    protocol: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    artifacts: list[str] = field(default_factory=list)
    figures: dict[str, Figure] = field(default_factory=dict)


@dataclass
class NoOptions:
    pass


class Task(ABC):
    """Subclass, fill the class attributes, implement :meth:`run`, and decorate with ``register_task``."""

    name: ClassVar[str]
    version: ClassVar[str]
    description: ClassVar[str]
    needs: ClassVar[frozenset[str]] = frozenset({"codes"})
    # inputs the task uses when they are given but can run without (e.g. a decoder for extra figures)
    uses: ClassVar[frozenset[str]] = frozenset()
    metric_specs: ClassVar[tuple[MetricSpec, ...]] = ()
    Options: ClassVar[type] = NoOptions

    @abstractmethod
    def run(self, inputs: TaskInputs, options: Any, seed: int, out_dir: Path | None) -> TaskResult:
        """Measure and return the metrics; write artefacts (plots, trial lists) under ``out_dir``."""
