import pytest
import torch

from cdsvae_eval.config import LossConfig, ModelConfig
from cdsvae_eval.errors import ConfigError
from cdsvae_eval.models.core import GaussianCode, StepOutputs
from cdsvae_eval.models.losses import nt_xent, nt_xent_overlap
from cdsvae_eval.training.objective import (
    CODE_CRITIC, TERMS, build_critics, contrastive_scale, objective, objective_terms, total_loss,
)


def outputs(batch=6, frames=4):
    torch.manual_seed(0)

    def code(*shape):
        return GaussianCode(torch.randn(shape), torch.randn(shape), torch.randn(shape))

    return StepOutputs(x_hat=torch.randn(batch, frames, 5), static=code(batch, 3), dynamic=code(batch, frames, 2),
                       prior_mean=torch.randn(batch, frames, 2), prior_logvar=torch.randn(batch, frames, 2),
                       static_content=code(batch, 3), dynamic_motion=code(batch, frames, 2))


def test_contrastive_terms_compare_means_by_default_and_samples_on_request():
    out, x = outputs(), torch.rand(6, 4, 5)
    means = objective_terms(out, x, LossConfig(), dataset_size=100)
    samples = objective_terms(out, x, LossConfig(contrastive_codes="sample"), dataset_size=100)
    assert means["contrastive_static"] == nt_xent(out.static.mean, out.static_content.mean, 0.5)
    assert samples["contrastive_static"] == nt_xent(out.static.sample, out.static_content.sample, 0.5)
    assert samples["contrastive_dynamic"] == nt_xent(out.dynamic.sample.flatten(1), out.dynamic_motion.sample.flatten(1), 0.5)
    assert means["recon"] == samples["recon"]


def test_total_is_the_weighted_sum_of_the_terms():
    config = LossConfig(kl_static=2.0, mi=0.5)
    total, terms = objective(outputs(), torch.rand(6, 4, 5), config, dataset_size=100)
    expected = (terms["recon"] + 2.0 * terms["kl_static"] + terms["kl_dynamic"] + 0.5 * terms["mi"]
                + 10 * terms["contrastive_static"] + 10 * terms["contrastive_dynamic"])
    torch.testing.assert_close(total, expected)


def test_unknown_contrastive_codes_is_a_config_error():
    with pytest.raises(ConfigError, match="contrastive_codes"):
        objective_terms(outputs(), torch.rand(6, 4, 5), LossConfig(contrastive_codes="both"), dataset_size=100)


def test_free_bits_charge_the_dynamic_kl_as_at_least_the_floor_and_stop_its_gradient_below():
    terms = {name: torch.tensor(1.0 if name in ("recon", "kl_static", "mi", "contrastive_static",
                                                "contrastive_dynamic") else 0.0) for name in TERMS}
    below = torch.tensor(2.0, requires_grad=True)
    above = torch.tensor(7.0, requires_grad=True)
    config = LossConfig(free_bits_dynamic=5.0, kl_dynamic=2.0)
    low = total_loss({**terms, "kl_dynamic": below}, config)
    high = total_loss({**terms, "kl_dynamic": above}, config)
    assert low.item() == pytest.approx(1 + 1 + 2 * 5.0 + 1 + 10 + 10)
    assert high.item() == pytest.approx(1 + 1 + 2 * 7.0 + 1 + 10 + 10)
    low.backward()
    high.backward()
    assert below.grad.item() == 0.0 and above.grad.item() == 2.0
    plain = total_loss({**terms, "kl_dynamic": below.detach()}, LossConfig())
    assert plain.item() == pytest.approx(1 + 1 + 2.0 + 1 + 10 + 10)


def test_negative_free_bits_are_a_config_error():
    with pytest.raises(ConfigError, match="loss.free_bits_dynamic must be >= 0"):
        objective_terms(outputs(), torch.rand(6, 4, 5), LossConfig(free_bits_dynamic=-1.0), dataset_size=100)


def test_overlap_similarity_uses_each_code_with_its_variance():
    out, x = outputs(), torch.rand(6, 4, 5)
    terms = objective_terms(out, x, LossConfig(static_similarity="overlap", dynamic_similarity="overlap"), 100)
    assert terms["contrastive_static"] == nt_xent_overlap(out.static.mean, out.static.logvar,
                                                          out.static_content.mean, out.static_content.logvar)
    assert terms["contrastive_dynamic"] == nt_xent_overlap(out.dynamic.mean, out.dynamic.logvar,
                                                           out.dynamic_motion.mean, out.dynamic_motion.logvar)


def test_warm_up_scales_only_the_contrastive_weights():
    out, x = outputs(), torch.rand(6, 4, 5)
    config = LossConfig(contrastive_warmup_epochs=4.0)
    terms = objective_terms(out, x, config, dataset_size=100)
    assert contrastive_scale(config, 1.0) == pytest.approx(0.25)
    assert contrastive_scale(config, 9.0) == 1.0 and contrastive_scale(LossConfig(), 0.0) == 1.0
    no_contrast = total_loss(terms, config, contrastive_scale=0.0)
    expected = sum(getattr(config, name) * terms[name] for name in ("kl_static", "kl_dynamic", "mi")) + terms["recon"]
    torch.testing.assert_close(no_contrast, expected)
    half = total_loss(terms, config, contrastive_scale=0.5)
    torch.testing.assert_close(half - no_contrast, 0.5 * (10 * terms["contrastive_static"] + 10 * terms["contrastive_dynamic"]))


@pytest.mark.parametrize("field, value", [("static_similarity", "dot"), ("dynamic_similarity", "l2"),
                                          ("content_view", "crop"), ("decode_static_from", "other"),
                                          ("contrastive_warmup_epochs", -1.0)])
def test_unknown_recipe_options_are_config_errors_naming_the_field(field, value):
    out, x = outputs(), torch.rand(6, 4, 5)
    with pytest.raises(ConfigError, match=f"loss.{field}"):
        objective_terms(out, x, LossConfig(**{field: value}), dataset_size=100)


def test_the_code_critic_matches_each_rows_z_s_with_its_own_time_pooled_z_1T(monkeypatch):
    seen = {}

    def spy(self, a, b, scale):
        seen.update(a=a, b=b, scale=scale)
        return a.sum() * 0.0 + 1.5

    critics = build_critics(ModelConfig(static_dim=3, dynamic_dim=2), LossConfig(code_critic=4.0))
    monkeypatch.setattr(type(critics[CODE_CRITIC]), "adversarial_loss", spy)
    out = outputs()
    config = LossConfig(code_critic=4.0)
    total, terms = objective(out, torch.rand(6, 4, 5), config, dataset_size=100, critics=critics)
    torch.testing.assert_close(seen["a"], out.static.mean)
    torch.testing.assert_close(seen["b"], out.dynamic.mean.mean(dim=1))
    assert seen["scale"] == 4.0
    without = total_loss({**terms, CODE_CRITIC: torch.tensor(0.0)}, config)
    torch.testing.assert_close(total - without, torch.tensor(1.5))  # charged once, unweighted: it trains the critic


def test_build_critics_makes_only_the_critics_asked_for_with_each_codes_width():
    model = ModelConfig(static_dim=7, dynamic_dim=3)
    assert len(build_critics(model, LossConfig())) == 0
    critics = build_critics(model, LossConfig(code_critic=1.0, utterance_critic=1.0))
    assert critics[CODE_CRITIC].project_a.in_features == 7 and critics[CODE_CRITIC].project_b.in_features == 3
    assert critics["utterance_critic"].project_a.in_features == 3


def test_a_critic_weight_without_its_critic_is_a_config_error_naming_the_option():
    with pytest.raises(ConfigError, match="^loss.code_critic > 0 needs its critic"):
        objective_terms(outputs(), torch.rand(6, 4, 5), LossConfig(code_critic=1.0), dataset_size=100)
