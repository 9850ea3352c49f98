import pytest
import torch

from cdsvae_eval.config import LossConfig
from cdsvae_eval.errors import ConfigError
from cdsvae_eval.models.losses import nt_xent
from cdsvae_eval.training.objective import objective, objective_terms


def outputs(batch=6, frames=4):
    torch.manual_seed(0)
    shapes = {"x_hat": (batch, frames, 5), "s_mean": (batch, 3), "s_logvar": (batch, 3), "s": (batch, 3),
              "z_mean": (batch, frames, 2), "z_logvar": (batch, frames, 2), "z": (batch, frames, 2),
              "z_prior_mean": (batch, frames, 2), "z_prior_logvar": (batch, frames, 2),
              "s_mean_content": (batch, 3), "s_content": (batch, 3),
              "z_mean_motion": (batch, frames, 2), "z_motion": (batch, frames, 2)}
    return {name: torch.randn(shape) for name, shape in shapes.items()}


def test_contrastive_terms_compare_means_by_default_and_samples_on_request():
    out, x = outputs(), torch.rand(6, 4, 5)
    means = objective_terms(out, x, LossConfig(), dataset_size=100)
    samples = objective_terms(out, x, LossConfig(contrastive_codes="sample"), dataset_size=100)
    assert means["contrastive_static"] == nt_xent(out["s_mean"], out["s_mean_content"], 0.5)
    assert samples["contrastive_static"] == nt_xent(out["s"], out["s_content"], 0.5)
    assert samples["contrastive_dynamic"] == nt_xent(out["z"].flatten(1), out["z_motion"].flatten(1), 0.5)
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
