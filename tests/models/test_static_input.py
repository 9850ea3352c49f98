"""``model.static_input=one-frame``: the DBSE-style static path that sees one frame."""

from __future__ import annotations

import pytest
import torch

from cdsvae_eval.config import ModelConfig, TrainConfig
from cdsvae_eval.config_checks import check_train_config
from cdsvae_eval.errors import FieldError
from cdsvae_eval.models.factory import build_model

FRAMES, FEATURES = 6, 8


def _model(static_input: str = "one-frame") -> torch.nn.Module:
    torch.manual_seed(0)
    config = ModelConfig(modality="audio", frames=FRAMES, static_dim=4, dynamic_dim=3, frame_dim=FEATURES,
                         hidden_dim=8, feature_dim=5, mlp_hidden=8, static_input=static_input)
    return build_model(config)


def _features(rows: int = 16) -> torch.Tensor:
    return torch.randn(rows, FRAMES, FEATURES, generator=torch.Generator().manual_seed(1))


def test_in_eval_mode_the_static_code_reads_the_first_frame_alone():
    model = _model().eval()
    features = _features()
    changed = features.clone()
    changed[:, 1:] += torch.randn_like(changed[:, 1:])
    with torch.no_grad():
        plain, other = model.posterior_from_features(features), model.posterior_from_features(changed)
        first_changed = features.clone()
        first_changed[:, 0] += 1.0
        moved = model.posterior_from_features(first_changed)
    torch.testing.assert_close(other.s_mean, plain.s_mean)
    torch.testing.assert_close(other.s_logvar, plain.s_logvar)
    assert not torch.allclose(moved.s_mean, plain.s_mean)
    assert not torch.allclose(other.z_mean, plain.z_mean), "the dynamic path must see the other frames"


def test_while_training_each_sequence_reads_one_random_frame_and_the_dynamic_path_subtracts_it():
    model = _model()
    features = _features()
    with torch.no_grad():
        model.eval()
        # with frame k moved first, eval mode reads frame k as the static frame
        candidates = [model.posterior_from_features(features[:, [k, *[t for t in range(FRAMES) if t != k]]]).s_mean
                      for k in range(FRAMES)]
        model.train()
        torch.manual_seed(5)
        trained = model.posterior_from_features(features)
    chosen = []
    for row in range(len(features)):
        hits = [k for k, static in enumerate(candidates) if torch.allclose(trained.s_mean[row], static[row], atol=1e-6)]
        assert len(hits) == 1, f"row {row}: the static code must equal the code of exactly one of its frames"
        chosen.append(hits[0])
    assert len(set(chosen)) > 1, "the static frame must be drawn per sequence, not always the same"
    for row, k in enumerate(chosen):
        frame = features[row, k]
        with torch.no_grad():
            model.eval()
            states, _ = model.sequence_lstm(features[row:row + 1] - frame)
            expected = model.dynamic_mean(model.dynamic_rnn(states)[0])
        torch.testing.assert_close(trained.z_mean[row], expected[0])


def test_the_sequence_static_path_sees_every_frame():
    model = _model("sequence").eval()
    features = _features()
    changed = features.clone()
    changed[:, -1] += 1.0
    with torch.no_grad():
        assert not torch.allclose(model.posterior_from_features(changed).s_mean,
                                  model.posterior_from_features(features).s_mean)


def test_bad_static_inputs_are_refused_by_name():
    with pytest.raises(FieldError, match="model.static_input.*sequence, one-frame"):
        check_train_config(TrainConfig(model=ModelConfig(static_input="first-frame")))
    with pytest.raises(FieldError, match="model.dynamic_input.*'shared'"):
        check_train_config(TrainConfig(model=ModelConfig(static_input="one-frame", dynamic_input="centred")))
