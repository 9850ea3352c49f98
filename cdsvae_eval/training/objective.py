"""The C-DSVAE objective assembled from the loss functions, for one training step's outputs."""

from __future__ import annotations

import torch

from cdsvae_eval.config import LossConfig
from cdsvae_eval.errors import ConfigError
from cdsvae_eval.models.losses import kl_dynamic, kl_static, mi_penalty, nt_xent, reconstruction_loss

TERMS = ("recon", "kl_static", "kl_dynamic", "mi", "contrastive_static", "contrastive_dynamic")


def total_loss(terms: dict[str, torch.Tensor], config: LossConfig) -> torch.Tensor:
    """The reconstruction plus every other term times its weight in ``config`` (same name). With
    ``config.free_bits_dynamic`` > 0 the dynamic KL is charged as at least that many nats (Kingma et
    al. 2016's free bits), so below it z_1:T gets no gradient from its KL."""
    charged = dict(terms)
    if config.free_bits_dynamic > 0:
        charged["kl_dynamic"] = terms["kl_dynamic"].clamp(min=config.free_bits_dynamic)
    return charged["recon"] + sum(getattr(config, name) * charged[name] for name in TERMS[1:])


def check_loss_config(config: LossConfig) -> None:
    """One-line errors for option values that the objective cannot use."""
    if config.contrastive_codes not in ("mean", "sample"):
        raise ConfigError(f"loss.contrastive_codes must be 'mean' or 'sample', got {config.contrastive_codes!r}")
    if config.free_bits_dynamic < 0:
        raise ConfigError(f"loss.free_bits_dynamic must be >= 0 nats, got {config.free_bits_dynamic}")


def objective_terms(outputs: dict[str, torch.Tensor], x: torch.Tensor, config: LossConfig,
                    dataset_size: int) -> dict[str, torch.Tensor]:
    """All six loss terms (unweighted), computed in float32."""
    check_loss_config(config)
    static, dynamic = ("s_mean", "z_mean") if config.contrastive_codes == "mean" else ("s", "z")
    return {
        "recon": reconstruction_loss(outputs["x_hat"].float(), x.float(), kind=config.recon),
        "kl_static": kl_static(outputs["s_mean"], outputs["s_logvar"]),
        "kl_dynamic": kl_dynamic(outputs["z_mean"], outputs["z_logvar"],
                                 outputs["z_prior_mean"], outputs["z_prior_logvar"]),
        "mi": mi_penalty(outputs["s_mean"], outputs["s_logvar"], outputs["s"],
                         outputs["z_mean"], outputs["z_logvar"], outputs["z"],
                         dataset_size=dataset_size, parity=config.mi_parity),
        "contrastive_static": nt_xent(outputs[static], outputs[f"{static}_content"], config.temperature),
        "contrastive_dynamic": nt_xent(outputs[dynamic].flatten(1), outputs[f"{dynamic}_motion"].flatten(1),
                                       config.temperature),
    }


def objective(outputs: dict[str, torch.Tensor], x: torch.Tensor, config: LossConfig,
              dataset_size: int) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    terms = objective_terms(outputs, x, config, dataset_size)
    return total_loss(terms, config), terms
