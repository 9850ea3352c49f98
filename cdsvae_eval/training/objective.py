"""The C-DSVAE objective assembled from the loss functions, for one training step's outputs."""

from __future__ import annotations

import torch
from torch import nn

from cdsvae_eval.config import LossConfig, ModelConfig
from cdsvae_eval.errors import ConfigError
from cdsvae_eval.models.core import GaussianCode, StepOutputs
from cdsvae_eval.models.critic import PairCritic
from cdsvae_eval.models.utterance_offset import UtteranceOffsetPenalty
from cdsvae_eval.models.losses import (
    fisher_ratio, group_halves, kl_dynamic, kl_static, mi_penalty, nt_xent, nt_xent_overlap, reconstruction_loss,
)
from cdsvae_eval.names import KL_DYNAMIC, KL_STATIC

UTTERANCE_CRITIC = "utterance_critic"
CODE_CRITIC = "code_critic"
CRITIC_TERMS = (UTTERANCE_CRITIC, CODE_CRITIC)
TERMS = ("recon", KL_STATIC, KL_DYNAMIC, "mi", "contrastive_static", "contrastive_dynamic", "contrastive_swap",
         "utterance_fisher", "utterance_offset", *CRITIC_TERMS)
# The terms between the reconstruction and the critics each have a weight of the same name in LossConfig; a
# critic's loss enters with weight 1 (it trains the critic), and its LossConfig value is the scale of the
# gradient reversed into the encoder
WEIGHTED_TERMS = TERMS[1:-len(CRITIC_TERMS)]
CONTRASTIVE_TERMS = ("contrastive_static", "contrastive_dynamic", "contrastive_swap")
# Options whose terms compare segments of one utterance, so they need batches of utterance blocks
UTTERANCE_BLOCK_OPTIONS = ("dynamic_negatives", "utterance_fisher", "utterance_offset", UTTERANCE_CRITIC)
SIMILARITIES = ("cosine", "overlap")
# "utterance": another segment of the same utterance (audio; self-supervised: no speaker labels)
CONTENT_VIEWS = ("shuffle", "identity", "utterance")
STATIC_SOURCES = ("self", "content")
# which rows may be negatives of the static NT-Xent: all, or only rows of other utterances / identities
STATIC_NEGATIVES = ("all", "other-utterances", "other-identities")
# which rows may be negatives of the dynamic NT-Xent: all, or only rows of the same utterance
SAME_UTTERANCE = "same-utterance"
DYNAMIC_NEGATIVES = ("all", SAME_UTTERANCE)


def total_loss(terms: dict[str, torch.Tensor], config: LossConfig, contrastive_scale: float = 1.0) -> torch.Tensor:
    """The reconstruction plus every other term times its weight in ``config`` (same name); the two
    contrastive weights are further multiplied by ``contrastive_scale`` (the warm-up ramp). With
    ``config.free_bits_dynamic`` > 0 the dynamic KL is charged as at least that many nats (Kingma et
    al. 2016's free bits), so below it z_1:T gets no gradient from its KL."""
    charged = dict(terms)
    if config.free_bits_dynamic > 0:
        charged[KL_DYNAMIC] = terms[KL_DYNAMIC].clamp(min=config.free_bits_dynamic)
    return charged["recon"] + sum(charged[name] for name in CRITIC_TERMS) + sum(
        getattr(config, name) * (contrastive_scale if name in CONTRASTIVE_TERMS else 1.0) * charged[name]
        for name in WEIGHTED_TERMS
    )


def build_critics(model: ModelConfig, loss: LossConfig) -> nn.ModuleDict:
    """The adversarial critics that ``loss`` asks for, by term name: trained with the model, not part of it."""
    code_dims = {UTTERANCE_CRITIC: (model.dynamic_dim, model.dynamic_dim),
                 CODE_CRITIC: (model.static_dim, model.dynamic_dim)}
    return nn.ModuleDict({name: PairCritic(*code_dims[name]) for name in CRITIC_TERMS if getattr(loss, name) > 0})


def _critic(critics: nn.ModuleDict | None, name: str) -> PairCritic:
    if critics is None or name not in critics:
        raise ConfigError(f"loss.{name} > 0 needs its critic (build_critics makes it; the trainer passes it)")
    return critics[name]


def uses_utterance_blocks(config: LossConfig) -> bool:
    """Whether an option of ``config`` compares segments of one utterance (:data:`UTTERANCE_BLOCK_OPTIONS`)."""
    return (config.dynamic_negatives == SAME_UTTERANCE or config.utterance_fisher > 0
            or config.utterance_offset > 0 or config.utterance_critic > 0)


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
    if config.static_negatives not in STATIC_NEGATIVES:
        raise ConfigError(f"loss.static_negatives must be one of {', '.join(STATIC_NEGATIVES)}, "
                          f"got {config.static_negatives!r}")
    if config.dynamic_negatives not in DYNAMIC_NEGATIVES:
        raise ConfigError(f"loss.dynamic_negatives must be one of {', '.join(DYNAMIC_NEGATIVES)}, "
                          f"got {config.dynamic_negatives!r}")


def _contrastive(a: GaussianCode, b: GaussianCode, similarity: str, codes: str, temperature: float,
                 groups: torch.Tensor | None = None, same_group_only: bool = False) -> torch.Tensor:
    """NT-Xent between a code of x and the same code of an augmented view (``groups``: see ``nt_xent``)."""
    if similarity == "overlap":
        return nt_xent_overlap(a.mean, a.logvar, b.mean, b.logvar, groups, same_group_only)
    if codes == "mean":
        return nt_xent(a.mean.flatten(1), b.mean.flatten(1), temperature, groups, same_group_only)
    return nt_xent(a.sample.flatten(1), b.sample.flatten(1), temperature, groups, same_group_only)


def _utterance_terms(dynamic: GaussianCode, config: LossConfig, utterances: torch.Tensor | None,
                     critics: nn.ModuleDict | None,
                     offset_penalty: UtteranceOffsetPenalty | None) -> dict[str, torch.Tensor]:
    """The Fisher ratio of the rows' time-averaged z_1:T means with the batch's utterances as classes, the
    whitened offsets of the utterances' running means (training only: ``offset_penalty`` holds the memory of the
    training utterances), and the adversarial critic's loss on z_1:T pooled over two halves of each utterance's
    rows; zero where not asked for."""
    pooled = dynamic.mean.float().mean(dim=1)
    zero = pooled.sum() * 0.0
    if utterances is None and uses_utterance_blocks(config):
        raise ConfigError("the utterance-level loss options need the utterance of every row (utterance blocks)")
    fisher = fisher_ratio(pooled, utterances) if config.utterance_fisher > 0 else zero
    offset = offset_penalty(pooled, utterances) if config.utterance_offset > 0 and offset_penalty is not None else zero
    adversarial = zero
    if config.utterance_critic > 0:
        adversarial = _critic(critics, UTTERANCE_CRITIC).adversarial_loss(*group_halves(pooled, utterances),
                                                                          config.utterance_critic)
    return {"utterance_fisher": fisher, "utterance_offset": offset, UTTERANCE_CRITIC: adversarial}


def _code_critic_term(static: GaussianCode, dynamic: GaussianCode, config: LossConfig,
                      critics: nn.ModuleDict | None) -> torch.Tensor:
    """The adversarial critic's loss on each row's z_s against its own time-pooled z_1:T (``loss.code_critic``):
    what lets the critic pick a row's z_s from its z_1:T is information the two codes share; zero if not asked."""
    pooled = dynamic.mean.float().mean(dim=1)
    if config.code_critic <= 0:
        return pooled.sum() * 0.0
    return _critic(critics, CODE_CRITIC).adversarial_loss(static.mean.float(), pooled, config.code_critic)


def objective_terms(outputs: StepOutputs, x: torch.Tensor, config: LossConfig, dataset_size: int,
                    static_groups: torch.Tensor | None = None, utterances: torch.Tensor | None = None,
                    critics: nn.ModuleDict | None = None,
                    offset_penalty: UtteranceOffsetPenalty | None = None) -> dict[str, torch.Tensor]:
    """All loss terms (unweighted), computed in float32. ``static_groups`` (B,) are the utterances or
    identities whose rows are not negatives of each other in the static NT-Xent (``loss.static_negatives``);
    ``utterances`` (B,) the utterance of each row, for the utterance-level options, ``critics`` the
    adversarial critics by term name (:func:`build_critics`) and ``offset_penalty`` the running utterance means of
    ``loss.utterance_offset`` (given for training batches only)."""
    check_loss_config(config)
    static, dynamic = outputs.static, outputs.dynamic
    same_utterance = config.dynamic_negatives == SAME_UTTERANCE
    if same_utterance and utterances is None:
        raise ConfigError("loss.dynamic_negatives=same-utterance needs the utterance of every row (utterance blocks)")
    return {
        "recon": reconstruction_loss(outputs.x_hat.float(), x.float(), kind=config.recon),
        KL_STATIC: kl_static(static.mean, static.logvar),
        KL_DYNAMIC: kl_dynamic(dynamic.mean, dynamic.logvar, outputs.prior_mean, outputs.prior_logvar),
        "mi": mi_penalty(static.mean, static.logvar, static.sample, dynamic.mean, dynamic.logvar, dynamic.sample,
                         dataset_size=dataset_size, parity=config.mi_parity),
        "contrastive_static": _contrastive(static, outputs.static_content, config.static_similarity,
                                           config.contrastive_codes, config.temperature, static_groups),
        "contrastive_dynamic": _contrastive(dynamic, outputs.dynamic_motion, config.dynamic_similarity,
                                            config.contrastive_codes, config.temperature,
                                            utterances if same_utterance else None, same_group_only=same_utterance),
        "contrastive_swap": _swap_term(outputs, config, utterances if same_utterance else None, same_utterance),
        **_utterance_terms(dynamic, config, utterances, critics, offset_penalty),
        CODE_CRITIC: _code_critic_term(static, dynamic, config, critics),
    }


def _swap_term(outputs: StepOutputs, config: LossConfig, groups: torch.Tensor | None,
               same_group_only: bool) -> torch.Tensor:
    """NT-Xent between x's z_1:T and the swap view's (``loss.contrastive_swap``), with the dynamic term's
    similarity, codes and negatives; zero when the step has no swap view."""
    if outputs.dynamic_swap is None:
        if config.contrastive_swap > 0:
            raise ConfigError("loss.contrastive_swap > 0 needs the swap view (the trainer asks the model for it)")
        return outputs.dynamic.mean.sum() * 0.0
    return _contrastive(outputs.dynamic, outputs.dynamic_swap, config.dynamic_similarity, config.contrastive_codes,
                        config.temperature, groups, same_group_only)


def objective(outputs: StepOutputs, x: torch.Tensor, config: LossConfig, dataset_size: int,
              contrastive_scale: float = 1.0, static_groups: torch.Tensor | None = None,
              utterances: torch.Tensor | None = None, critics: nn.ModuleDict | None = None,
              offset_penalty: UtteranceOffsetPenalty | None = None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    terms = objective_terms(outputs, x, config, dataset_size, static_groups, utterances, critics, offset_penalty)
    return total_loss(terms, config, contrastive_scale), terms
