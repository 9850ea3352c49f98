"""Type and range checks of a :class:`TrainConfig`, one table row per field, run before a run folder is made.

Every field's type is checked against its default's (an int field takes an int, a float field an int or
a float); :data:`RULES` adds what each field accepts. A new config field gets its row in :data:`RULES`
(or its name in :data:`CHECKED_ELSEWHERE`); a test fails until it has one.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cdsvae_eval.config import LossConfig, ModelConfig, TrainConfig
from cdsvae_eval.device import is_device_name
from cdsvae_eval.errors import FieldError
from cdsvae_eval.models.core import (
    DYNAMIC_INPUTS, DYNAMIC_PRIORS, SEQUENCE_STATIC_INPUT, SHARED_DYNAMIC_INPUT, STATIC_INPUTS,
)
from cdsvae_eval.models.selection import SELECT_BY
from cdsvae_eval.training.objective import (
    CRITIC_TERMS, DYNAMIC_NEGATIVES, UTTERANCE_BLOCK_OPTIONS, WEIGHTED_TERMS, uses_utterance_blocks,
)


@dataclass(frozen=True)
class Rule:
    """``field`` (dotted: ``loss.temperature``) must satisfy ``ok``; ``accepts`` says what it takes."""

    field: str
    accepts: str
    ok: Callable[[Any], bool]


def int_at_least(field: str, minimum: int, why: str = "") -> Rule:
    return Rule(field, f">= {minimum}{why}", lambda value: value >= minimum)


def number_above(field: str, bound: float) -> Rule:
    return Rule(field, f"a finite number > {bound:g}", lambda value: math.isfinite(value) and value > bound)


def number_at_least(field: str, bound: float) -> Rule:
    return Rule(field, f"a finite number >= {bound:g}", lambda value: math.isfinite(value) and value >= bound)


def one_of(field: str, *choices: str) -> Rule:
    return Rule(field, "one of " + ", ".join(choices), lambda value: value in choices)


def _positive_ints(value: tuple[Any, ...]) -> bool:
    return len(value) > 0 and all(_is_int(item) and item >= 1 for item in value)


RULES: tuple[Rule, ...] = (
    int_at_least("epochs", 1),
    int_at_least("batch_size", 2, " (the contrastive terms need other sequences in the batch)"),
    number_above("lr", 0),
    int_at_least("seed", 0),
    Rule("device", "auto, cpu, cuda or cuda:N", is_device_name),
    one_of("precision", "auto", "fp32", "bf16"),
    one_of("mode", "optimized", "release"),
    one_of("select_by", *SELECT_BY),
    int_at_least("swap_eval_every", 1, " (epochs)"),
    int_at_least("swap_eval_pairs", 1),
    int_at_least("validation_seed", 0),
    int_at_least("swap_eval_seed", 0),
    int_at_least("checkpoint_every", 1, " (epochs)"),
    int_at_least("segments_per_utterance", 0, " (0: segments drawn at random)"),
    one_of("model.modality", "video", "audio"),
    *(int_at_least(f"model.{name}", 1) for name in (
        "frames", "static_dim", "dynamic_dim", "frame_dim", "hidden_dim", "channels", "feature_dim", "mlp_hidden")),
    int_at_least("model.image_size", 8),
    one_of("model.dynamic_input", *DYNAMIC_INPUTS),
    one_of("model.dynamic_prior", *DYNAMIC_PRIORS),
    one_of("model.static_input", *STATIC_INPUTS),
    Rule("model.conv_channels", "a non-empty list of integers >= 1", _positive_ints),
    one_of("loss.recon", "mse", "l1"),
    *(number_at_least(f"loss.{name}", 0) for name in (
        *WEIGHTED_TERMS, *CRITIC_TERMS, "motion_view_strength")),
    one_of("loss.dynamic_negatives", *DYNAMIC_NEGATIVES),
    number_above("loss.temperature", 0),
    one_of("loss.contrastive_codes", "mean", "sample"),
    number_at_least("loss.free_bits_dynamic", 0),
)

# Fields whose type check is all they need (labels, flags), whose values are checked by the dataset
# registry (the dataset's name and options), or by the objective's check_loss_config (the recipe options,
# also checked there for direct calls of the objective).
CHECKED_ELSEWHERE: frozenset[str] = frozenset({
    "preset", "dataset", "dataset_options", "compile", "cpu_reuse_freed_memory", "cpu_flush_denormal",
    "model.static_head_leaky_relu",
    "loss.mi_parity", "loss.static_similarity", "loss.dynamic_similarity", "loss.content_view",
    "loss.decode_static_from", "loss.contrastive_warmup_epochs", "loss.static_negatives",
})


def check_train_config(config: TrainConfig) -> None:
    """Raise a :class:`FieldError` naming the first field whose type or value the trainer cannot use;
    then the objective's own checks, and the dataset's options."""
    from cdsvae_eval.data.registry import check_dataset_options
    from cdsvae_eval.training.objective import check_loss_config

    defaults = _flatten(TrainConfig())
    values = _flatten(config)
    for name, default in defaults.items():
        _check_type(name, values[name], type(default))
    for rule in RULES:
        value = values[rule.field]
        if not rule.ok(value):
            raise FieldError(rule.field, f"must be {rule.accepts}, got {value!r}")
    _check_utterance_blocks(config)
    if config.model.static_input != SEQUENCE_STATIC_INPUT and config.model.dynamic_input != SHARED_DYNAMIC_INPUT:
        raise FieldError("model.dynamic_input", f"must be {SHARED_DYNAMIC_INPUT!r} with model.static_input="
                                                f"{config.model.static_input!r}, whose dynamic path reads the frame "
                                                f"features minus the static frame's, got {config.model.dynamic_input!r}")
    check_loss_config(config.loss)
    check_dataset_options(config.dataset, config.dataset_options)


def _check_utterance_blocks(config: TrainConfig) -> None:
    """The utterance-level loss options need batches of utterance blocks that fill the batch exactly."""
    block = config.segments_per_utterance
    if uses_utterance_blocks(config.loss) and block < 2:
        options = ", ".join(f"loss.{name}" for name in UTTERANCE_BLOCK_OPTIONS)
        raise FieldError("segments_per_utterance", f"must be >= 2 when any of {options} is set (they compare "
                                                   f"segments of one utterance within a batch), got {block}")
    if block and config.batch_size % block:
        raise FieldError("segments_per_utterance", f"must divide batch_size ({config.batch_size}), got {block}")


def config_field_names() -> list[str]:
    """Every dotted field name of a :class:`TrainConfig`."""
    return list(_flatten(TrainConfig()))


def _flatten(config: TrainConfig) -> dict[str, Any]:
    values = {f.name: getattr(config, f.name) for f in dataclasses.fields(config) if f.name not in ("model", "loss")}
    for section, kind in (("model", ModelConfig), ("loss", LossConfig)):
        part = getattr(config, section)
        if not isinstance(part, kind):
            raise FieldError(section, f"must be a {kind.__name__}, got {type(part).__name__}")
        values.update({f"{section}.{f.name}": getattr(part, f.name) for f in dataclasses.fields(part)})
    return values


def _check_type(name: str, value: Any, kind: type) -> None:
    if kind is bool:
        ok, wanted = isinstance(value, bool), "true or false"
    elif kind is int:
        ok, wanted = _is_int(value), "an integer"
    elif kind is float:
        ok, wanted = _is_int(value) or isinstance(value, float), "a number"
    elif kind is tuple:
        ok, wanted = isinstance(value, (tuple, list)), "a list"
    else:
        ok, wanted = isinstance(value, kind), f"a {kind.__name__}"
    if not ok:
        raise FieldError(name, f"must be {wanted}, got {value!r}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
