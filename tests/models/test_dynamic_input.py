"""``model.dynamic_input``: where z_1:T is read from."""

from __future__ import annotations

import pytest
import torch

from cdsvae_eval.config import ModelConfig, TrainConfig
from cdsvae_eval.config_checks import check_train_config
from cdsvae_eval.errors import FieldError
from cdsvae_eval.models.factory import build_model


def _model(dynamic_input: str) -> torch.nn.Module:
    torch.manual_seed(0)
    config = ModelConfig(modality="audio", frames=6, static_dim=4, dynamic_dim=3, frame_dim=8, hidden_dim=8,
                         feature_dim=5, mlp_hidden=8, dynamic_input=dynamic_input)
    return build_model(config).eval()


def _features_and_offset() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    features = torch.randn(3, 6, 8, generator=generator)
    offset = 2.0 * torch.randn(3, 1, 8, generator=generator)
    return features, offset


def _posteriors_without_and_with_an_offset(dynamic_input: str):
    """The posterior of random frame features, and of the same features plus a per-sequence constant."""
    model = _model(dynamic_input)
    features, offset = _features_and_offset()
    with torch.no_grad():
        return model.posterior_from_features(features), model.posterior_from_features(features + offset)


def test_centred_dynamic_code_ignores_what_is_constant_across_the_sequence():
    plain, shifted = _posteriors_without_and_with_an_offset("centred")
    torch.testing.assert_close(shifted.z_mean, plain.z_mean)
    torch.testing.assert_close(shifted.z_logvar, plain.z_logvar)
    assert not torch.allclose(shifted.s_mean, plain.s_mean), "the static code must still see the constant part"


def test_shared_dynamic_code_sees_a_constant_offset():
    plain, shifted = _posteriors_without_and_with_an_offset("shared")
    assert not torch.allclose(shifted.z_mean, plain.z_mean)


def test_centred_dynamic_code_still_follows_how_frames_change():
    model = _model("centred")
    features, _ = _features_and_offset()
    changed = features.clone()
    changed[:, 3] += 1.5
    with torch.no_grad():
        assert not torch.allclose(model.posterior_from_features(changed).z_mean,
                                  model.posterior_from_features(features).z_mean)


def test_an_unknown_dynamic_input_is_refused_by_name():
    config = TrainConfig(model=ModelConfig(dynamic_input="centered"))
    with pytest.raises(FieldError, match="model.dynamic_input.*shared, centred, instance-normalised"):
        check_train_config(config)


def test_instance_normalised_dynamic_code_ignores_a_per_sequence_offset_and_scale():
    model = _model("instance-normalised")
    features, offset = _features_and_offset()
    scale = torch.linspace(0.5, 3.0, 8).view(1, 1, 8)
    with torch.no_grad():
        plain = model.posterior_from_features(features)
        rescaled = model.posterior_from_features(features * scale + offset)
    torch.testing.assert_close(rescaled.z_mean, plain.z_mean, atol=1e-4, rtol=1e-4)
    assert not torch.allclose(rescaled.s_mean, plain.s_mean), "the static code must still see offset and scale"


def test_centred_dynamic_code_keeps_the_scale_that_instance_normalisation_removes():
    model = _model("centred")
    features, _ = _features_and_offset()
    with torch.no_grad():
        assert not torch.allclose(model.posterior_from_features(3.0 * features).z_mean,
                                  model.posterior_from_features(features).z_mean)


def test_instance_normalised_dynamic_code_of_a_constant_sequence_is_finite():
    model = _model("instance-normalised")
    with torch.no_grad():
        posterior = model.posterior_from_features(torch.ones(2, 6, 8))
    assert torch.isfinite(posterior.z_mean).all() and torch.isfinite(posterior.z_logvar).all()
