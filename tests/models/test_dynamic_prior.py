"""``model.dynamic_prior``: the learned autoregressive prior of z_t (the release) or N(0, I) at every step."""

from __future__ import annotations

import pytest
import torch

from cdsvae_eval.config import ModelConfig, TrainConfig
from cdsvae_eval.config_checks import check_train_config
from cdsvae_eval.errors import FieldError
from cdsvae_eval.models.factory import build_model
from cdsvae_eval.models.losses import kl_dynamic


def _model(prior: str) -> torch.nn.Module:
    torch.manual_seed(0)
    return build_model(ModelConfig(modality="audio", frames=6, static_dim=4, dynamic_dim=3, frame_dim=8,
                                   hidden_dim=8, feature_dim=5, mlp_hidden=8, dynamic_prior=prior)).eval()


def test_the_standard_prior_charges_a_constant_offset_at_every_step():
    z = torch.zeros(2, 6, 3)
    z[:, :, 0] = 3.0  # constant over the sequence, as a speaker offset would be
    model = _model("standard")
    mean, logvar = model.dynamic_prior(z)
    assert torch.count_nonzero(mean) == 0 and torch.count_nonzero(logvar) == 0
    per_step = 0.5 * 3.0 ** 2
    kl = kl_dynamic(z, torch.full_like(z, -20.0), mean, logvar) - kl_dynamic(torch.zeros_like(z), torch.full_like(z, -20.0), mean, logvar)
    assert kl.item() == pytest.approx(6 * per_step, rel=1e-5)


def test_the_learned_prior_follows_z_before_it():
    model = _model("learned")
    z = torch.randn(2, 6, 3, generator=torch.Generator().manual_seed(1))
    mean, _ = model.dynamic_prior(z)
    changed = z.clone()
    changed[:, 2] += 1.0
    mean_changed, _ = model.dynamic_prior(changed)
    torch.testing.assert_close(mean_changed[:, :3], mean[:, :3])  # steps up to 2 see z_<t only
    assert not torch.allclose(mean_changed[:, 3:], mean[:, 3:])


def test_samples_of_the_standard_prior_are_standard_normal_and_seeded():
    model = _model("standard")
    first = model.sample_dynamic_prior(2000, 6, "cpu", generator=torch.Generator().manual_seed(3))
    again = model.sample_dynamic_prior(2000, 6, "cpu", generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(first, again)
    assert abs(first.mean().item()) < 0.02 and abs(first.std().item() - 1.0) < 0.02


def test_an_unknown_prior_is_refused_naming_the_field():
    config = TrainConfig()
    config.model.dynamic_prior = "flat"
    with pytest.raises(FieldError, match="^model.dynamic_prior must be one of learned, standard, got 'flat'"):
        check_train_config(config)
