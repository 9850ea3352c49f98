"""The C-DSVAE objective assembled from the loss functions, for one training step's outputs."""

from __future__ import annotations

import torch

from cdsvae_eval.config import LossConfig
from cdsvae_eval.errors import ConfigError
from cdsvae_eval.models.losses import (
    kl_dynamic, kl_static, mi_penalty, nt_xent, nt_xent_overlap, reconstruction_loss,
)

TERMS = ("recon", "kl_static", "kl_dynamic", "mi", "contrastive_static", "contrastive_dynamic")
CONTRASTIVE_TERMS = ("contrastive_static", "contrastive_dynamic")
SIMILARITIES = ("cosine", "overlap")
CONTENT_VIEWS = ("shuffle", "identity")
STATIC_SOURCES = ("self", "content")


def total_loss(terms: dict[str, torch.Tensor], config: LossConfig, contrastive_scale: float = 1.0) -> torch.Tensor:
    """The reconstruction plus every other term times its weight in ``config`` (same name); the two
    contrastive weights are further multiplied by ``contrastive_scale`` (the warm-up ramp). With
    ``config.free_bits_dynamic`` > 0 the dynamic KL is charged as at least that many nats (Kingma et
    al. 2016's free bits), so below it z_1:T gets no gradient from its KL."""
    charged = dict(terms)
    if config.free_bits_dynamic > 0:
        charged["kl_dynamic"] = terms["kl_dynamic"].clamp(min=config.free_bits_dynamic)
    return charged["recon"] + sum(
        getattr(config, name) * (contrastive_scale if name in CONTRASTIVE_TERMS else 1.0) * charged[name]
        for name in TERMS[1:]
    )


def contrastive_scale(config: LossConfig, epochs_done: float) -> float:
    """The warm-up factor of the contrastive weights after ``epochs_done`` (fractional) epochs."""
    if config.contrastive_warmup_epochs <= 0:
        return 1.0
    return min(1.0, epochs_done / config.contrastive_warmup_epochs)


def check_loss_config(config: LossConfig) -> None:
    """One-line errors for option values that the objective cannot use."""
    if config.contrastive_codes not in ("mean", "sample"):
        raise ConfigError(f"loss.contrastive_codes must be 'mean' or 'sample', got {config.contrastive_codes!r}")
    if config.free_bits_dynamic < 0:
        raise ConfigError(f"loss.free_bits_dynamic must be >= 0 nats, got {config.free_bits_dynamic}")
    for name in ("static_similarity", "dynamic_similarity"):
        if getattr(config, name) not in SIMILARITIES:
            raise ConfigError(f"loss.{name} must be one of {', '.join(SIMILARITIES)}, got {getattr(config, name)!r}")
    if config.content_view not in CONTENT_VIEWS:
        raise ConfigError(f"loss.content_view must be one of {', '.join(CONTENT_VIEWS)}, got {config.content_view!r}")
    if config.decode_static_from not in STATIC_SOURCES:
        raise ConfigError(f"loss.decode_static_from must be one of {', '.join(STATIC_SOURCES)}, "
                          f"got {config.decode_static_from!r}")
    if config.contrastive_warmup_epochs < 0:
        raise ConfigError(f"loss.contrastive_warmup_epochs must be >= 0, got {config.contrastive_warmup_epochs}")


def _contrastive(outputs: dict[str, torch.Tensor], code: str, view: str, similarity: str,
                 codes: str, temperature: float) -> torch.Tensor:
    """NT-Xent between the code of x (``s`` or ``z``) and the same code of its augmented ``view``."""
    if similarity == "overlap":
        return nt_xent_overlap(outputs[f"{code}_mean"], outputs[f"{code}_logvar"],
                               outputs[f"{code}_mean_{view}"], outputs[f"{code}_logvar_{view}"])
    key = f"{code}_mean" if codes == "mean" else code
    return nt_xent(outputs[key].flatten(1), outputs[f"{key}_{view}"].flatten(1), temperature)


def objective_terms(outputs: dict[str, torch.Tensor], x: torch.Tensor, config: LossConfig,
                    dataset_size: int) -> dict[str, torch.Tensor]:
    """All six loss terms (unweighted), computed in float32."""
    check_loss_config(config)
    return {
        "recon": reconstruction_loss(outputs["x_hat"].float(), x.float(), kind=config.recon),
        "kl_static": kl_static(outputs["s_mean"], outputs["s_logvar"]),
        "kl_dynamic": kl_dynamic(outputs["z_mean"], outputs["z_logvar"],
                                 outputs["z_prior_mean"], outputs["z_prior_logvar"]),
        "mi": mi_penalty(outputs["s_mean"], outputs["s_logvar"], outputs["s"],
                         outputs["z_mean"], outputs["z_logvar"], outputs["z"],
                         dataset_size=dataset_size, parity=config.mi_parity),
        "contrastive_static": _contrastive(outputs, "s", "content", config.static_similarity,
                                           config.contrastive_codes, config.temperature),
        "contrastive_dynamic": _contrastive(outputs, "z", "motion", config.dynamic_similarity,
                                            config.contrastive_codes, config.temperature),
    }


def objective(outputs: dict[str, torch.Tensor], x: torch.Tensor, config: LossConfig,
              dataset_size: int, contrastive_scale: float = 1.0) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    terms = objective_terms(outputs, x, config, dataset_size)
    return total_loss(terms, config, contrastive_scale), terms
