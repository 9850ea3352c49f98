"""The swap view of ``loss.contrastive_swap``: x re-voiced by the model (decoded from another row's z_s and its own
z_1:T, without gradient into the decoder) and encoded again."""

import torch

from cdsvae_eval.config import LossConfig, ModelConfig
from cdsvae_eval.models.factory import build_model
from cdsvae_eval.training.objective import objective_terms


def _model():
    torch.manual_seed(0)
    return build_model(ModelConfig(modality="audio", frames=6, static_dim=4, dynamic_dim=3, frame_dim=8,
                                   hidden_dim=8, feature_dim=5, mlp_hidden=8))


def test_the_swap_view_encodes_x_decoded_with_the_partners_static_code():
    model = _model().eval()
    x = torch.randn(4, 6, 5, generator=torch.Generator().manual_seed(1))
    rows = torch.tensor([2, 3, 0, 1])
    torch.manual_seed(5)
    outputs = model(x, x, x, swap_rows=rows)
    torch.manual_seed(5)
    static = model.posterior(x)
    # the same draws as inside forward: s and z samples of x (the views' draws come after them)
    s_sample = static.s_mean + torch.randn_like(static.s_mean) * torch.exp(0.5 * static.s_logvar)
    z_sample = static.z_mean + torch.randn_like(static.z_mean) * torch.exp(0.5 * static.z_logvar)
    expected = model.posterior(model.decode(s_sample[rows], z_sample).detach())
    torch.testing.assert_close(outputs.dynamic_swap.mean, expected.z_mean)


def test_the_swap_term_trains_the_encoder_and_never_the_decoder():
    model = _model().train()
    x = torch.randn(8, 6, 5, generator=torch.Generator().manual_seed(2))
    outputs = model(x, x, x, swap_rows=torch.arange(8).roll(1))
    terms = objective_terms(outputs, x, LossConfig(contrastive_swap=1.0), dataset_size=8)
    terms["contrastive_swap"].backward()
    assert all(p.grad is None or torch.count_nonzero(p.grad) == 0 for p in model.frame_decoder.parameters())
    assert torch.count_nonzero(model.frame_encoder.net[0].weight.grad) > 0


def test_without_the_option_there_is_no_swap_view_and_the_term_is_zero():
    model = _model()
    x = torch.randn(4, 6, 5)
    outputs = model(x, x, x)
    assert outputs.dynamic_swap is None
    assert objective_terms(outputs, x, LossConfig(), dataset_size=4)["contrastive_swap"].item() == 0.0
