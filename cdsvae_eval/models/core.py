"""The C-DSVAE latent core, shared by all modalities.

A frame encoder maps each frame to a vector; a bidirectional LSTM reads the sequence; the static
posterior q(s|x_1:T) comes from the last forward and first backward states, the dynamic posterior
q(z_t|x_1:T) from a plain RNN over the bi-LSTM states. The prior over s is N(0, I); the prior over
z_t is a learned two-layer LSTM conditioned on z_<t. A frame decoder maps concat(z_t, s) to a frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from cdsvae_eval.config import ModelConfig

SHARED_DYNAMIC_INPUT = "shared"
CENTRED_DYNAMIC_INPUT = "centred"
INSTANCE_NORMALISED_DYNAMIC_INPUT = "instance-normalised"
DYNAMIC_INPUTS = (SHARED_DYNAMIC_INPUT, CENTRED_DYNAMIC_INPUT, INSTANCE_NORMALISED_DYNAMIC_INPUT)
# keeps a channel that is constant over the sequence at zero instead of dividing it by zero
INSTANCE_NORM_EPS = 1e-5
SEQUENCE_STATIC_INPUT = "sequence"
ONE_FRAME_STATIC_INPUT = "one-frame"
STATIC_INPUTS = (SEQUENCE_STATIC_INPUT, ONE_FRAME_STATIC_INPUT)
LEARNED_DYNAMIC_PRIOR = "learned"
STANDARD_DYNAMIC_PRIOR = "standard"
DYNAMIC_PRIORS = (LEARNED_DYNAMIC_PRIOR, STANDARD_DYNAMIC_PRIOR)


def reparameterize(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    return mean + torch.randn_like(mean) * torch.exp(0.5 * logvar)


@dataclass
class Posterior:
    s_mean: torch.Tensor
    s_logvar: torch.Tensor
    z_mean: torch.Tensor
    z_logvar: torch.Tensor


@dataclass
class GaussianCode:
    """A diagonal-Gaussian posterior and one reparameterised sample of it: ``(B, Ds)`` for the static code,
    ``(B, T, Dt)`` for the dynamic one."""

    mean: torch.Tensor
    logvar: torch.Tensor
    sample: torch.Tensor

    @staticmethod
    def drawn(mean: torch.Tensor, logvar: torch.Tensor) -> "GaussianCode":
        return GaussianCode(mean, logvar, reparameterize(mean, logvar))


@dataclass
class StepOutputs:
    """Everything the objective needs from one training step: the reconstruction of x, x's static and
    dynamic codes, the learned prior of z_t given x's z_<t, the content view's static code, the motion
    view's dynamic code and, when asked for, the dynamic code of x re-voiced by the model (``dynamic_swap``)."""

    x_hat: torch.Tensor
    static: GaussianCode
    dynamic: GaussianCode
    prior_mean: torch.Tensor
    prior_logvar: torch.Tensor
    static_content: GaussianCode
    dynamic_motion: GaussianCode
    # z_1:T of x decoded with another row's z_s (``swap_rows``), when asked for
    dynamic_swap: GaussianCode | None = None


class CDSVAE(nn.Module):
    """C-DSVAE with a pluggable frame encoder (``(B*T, ...) -> (B*T, frame_dim)``) and decoder."""

    def __init__(self, config: ModelConfig, frame_encoder: nn.Module, frame_decoder: nn.Module):
        super().__init__()
        self.config = config
        hidden = config.hidden_dim
        self.frame_encoder = frame_encoder
        self.frame_decoder = frame_decoder
        self.sequence_lstm = nn.LSTM(config.frame_dim, hidden, batch_first=True, bidirectional=True)
        self.static_mean = nn.Linear(2 * hidden, config.static_dim)
        self.static_logvar = nn.Linear(2 * hidden, config.static_dim)
        self.static_head_activation = nn.LeakyReLU(0.2) if config.static_head_leaky_relu else nn.Identity()
        self.dynamic_rnn = nn.RNN(2 * hidden, hidden, batch_first=True)
        self.dynamic_mean = nn.Linear(hidden, config.dynamic_dim)
        self.dynamic_logvar = nn.Linear(hidden, config.dynamic_dim)
        self.prior_lstm = nn.LSTM(config.dynamic_dim, hidden, num_layers=2, batch_first=True)
        self.prior_mean = nn.Linear(hidden, config.dynamic_dim)
        self.prior_logvar = nn.Linear(hidden, config.dynamic_dim)
        self.apply(_init_weights)

    # --- encoding -------------------------------------------------------------------------
    def frame_features(self, x: torch.Tensor) -> torch.Tensor:
        batch, frames = x.shape[:2]
        return self.frame_encoder(x.flatten(0, 1)).view(batch, frames, -1)

    def posterior_from_features(self, features: torch.Tensor) -> Posterior:
        hidden = self.config.hidden_dim
        if self.config.static_input == ONE_FRAME_STATIC_INPUT:
            frame = self.static_frame(features)[:, None]
            ends, _ = self.sequence_lstm(frame)
            states, _ = self.sequence_lstm(features - frame)
        else:
            states, _ = self.sequence_lstm(features)
            ends = states
            if self.config.dynamic_input != SHARED_DYNAMIC_INPUT:
                states, _ = self.sequence_lstm(self._dynamic_features(features))
        summary = torch.cat([ends[:, -1, :hidden], ends[:, 0, hidden:]], dim=-1)
        dynamic_states, _ = self.dynamic_rnn(states)
        return Posterior(
            s_mean=self.static_head_activation(self.static_mean(summary)),
            s_logvar=self.static_head_activation(self.static_logvar(summary)),
            z_mean=self.dynamic_mean(dynamic_states),
            z_logvar=self.dynamic_logvar(dynamic_states),
        )

    def static_frame(self, features: torch.Tensor) -> torch.Tensor:
        """``(B, F)``: the frame features the one-frame static path reads, a frame drawn uniformly per sequence
        while training (so no frame's place in the motion is special) and the first frame in eval mode."""
        batch, frames = features.shape[:2]
        if self.training:
            chosen = torch.randint(0, frames, (batch,), device=features.device)
        else:
            chosen = torch.zeros(batch, dtype=torch.long, device=features.device)
        return features[torch.arange(batch, device=features.device), chosen]

    def _dynamic_features(self, features: torch.Tensor) -> torch.Tensor:
        """The frame features the dynamic path reads: minus their mean over the sequence (``centred``), and
        also divided by their standard deviation over it (``instance-normalised``, the instance normalisation of
        one-shot voice conversion's content encoders: a channel's scale is the speaker's as much as its mean)."""
        centred = features - features.mean(dim=1, keepdim=True)
        if self.config.dynamic_input == CENTRED_DYNAMIC_INPUT:
            return centred
        return centred / (centred.pow(2).mean(dim=1, keepdim=True) + INSTANCE_NORM_EPS).sqrt()

    def posterior(self, x: torch.Tensor) -> Posterior:
        return self.posterior_from_features(self.frame_features(x))

    @torch.no_grad()
    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Posterior means ``(z_s [B, Ds], z_t [B, T, Dt])``: the frozen codes."""
        post = self.posterior(x)
        return post.s_mean, post.z_mean

    @torch.no_grad()
    def encode_posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(s_mean, s_logvar, z_mean, z_logvar)``: the frozen codes with their posterior log-variances."""
        post = self.posterior(x)
        return post.s_mean, post.s_logvar, post.z_mean, post.z_logvar

    # --- prior and decoding ---------------------------------------------------------------
    def dynamic_prior(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Teacher-forced p(z_t | z_<t) for all t at once, given posterior samples z (B, T, Dt); N(0, I) at every
        step with ``model.dynamic_prior=standard``."""
        if self.config.dynamic_prior == STANDARD_DYNAMIC_PRIOR:
            return torch.zeros_like(z), torch.zeros_like(z)
        shifted = torch.cat([torch.zeros_like(z[:, :1]), z[:, :-1]], dim=1)
        states, _ = self.prior_lstm(shifted)
        return self.prior_mean(states), self.prior_logvar(states)

    @torch.no_grad()
    def sample_dynamic_prior(self, batch: int, frames: int, device: torch.device | str,
                             generator: torch.Generator | None = None) -> torch.Tensor:
        """Sample z_1:T autoregressively from the learned prior (or from N(0, I) with the standard prior)."""
        if self.config.dynamic_prior == STANDARD_DYNAMIC_PRIOR:
            return torch.randn(batch, frames, self.config.dynamic_dim, device=device, generator=generator)
        z_prev = torch.zeros(batch, 1, self.config.dynamic_dim, device=device)
        state = None
        samples = []
        for _ in range(frames):
            out, state = self.prior_lstm(z_prev, state)
            mean, logvar = self.prior_mean(out), self.prior_logvar(out)
            noise = torch.randn(mean.shape, device=device, generator=generator)
            z_prev = mean + noise * torch.exp(0.5 * logvar)
            samples.append(z_prev)
        return torch.cat(samples, dim=1)

    def decode(self, s: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """Decode static codes s (B, Ds) and dynamic codes z (B, T, Dt) into frames."""
        batch, frames = z.shape[:2]
        joint = torch.cat([z, s.unsqueeze(1).expand(-1, frames, -1)], dim=-1)
        out = self.frame_decoder(joint.flatten(0, 1))
        return out.view(batch, frames, *out.shape[1:])

    # --- training forward -----------------------------------------------------------------
    def forward(self, x: torch.Tensor, x_content: torch.Tensor, x_motion: torch.Tensor,
                decode_views: bool = False, static_from_content: bool = False,
                swap_rows: torch.Tensor | None = None) -> StepOutputs:
        """Everything the objective needs from one training step.

        The optimised path encodes the three views in one frame-encoder call and decodes only x.
        ``decode_views=True`` reproduces the release's cost: three separate encode-decode passes.
        ``static_from_content=True`` reconstructs x from the content view's static sample and x's own
        dynamic sample (cross reconstruction): z_s then only helps with what the two views share.
        """
        batch = x.shape[0]
        if decode_views:
            post, post_c, post_m = (self.posterior(view) for view in (x, x_content, x_motion))
        else:
            features = self.frame_features(torch.cat([x, x_content, x_motion]))
            post = self.posterior_from_features(features[:batch])
            post_c = self.posterior_from_features(features[batch:2 * batch])
            post_m = self.posterior_from_features(features[2 * batch:])
        static = GaussianCode.drawn(post.s_mean, post.s_logvar)
        dynamic = GaussianCode.drawn(post.z_mean, post.z_logvar)
        static_content = GaussianCode.drawn(post_c.s_mean, post_c.s_logvar)
        dynamic_motion = GaussianCode.drawn(post_m.z_mean, post_m.z_logvar)
        prior_mean, prior_logvar = self.dynamic_prior(dynamic.sample)
        x_hat = self.decode(static_content.sample if static_from_content else static.sample, dynamic.sample)
        if decode_views:
            for view_post in (post_c, post_m):
                self.decode(reparameterize(view_post.s_mean, view_post.s_logvar),
                            reparameterize(view_post.z_mean, view_post.z_logvar))
        dynamic_swap = None
        if swap_rows is not None:
            with torch.no_grad():
                x_swap = self.decode(static.sample[swap_rows], dynamic.sample)
            post_swap = self.posterior(x_swap)
            dynamic_swap = GaussianCode.drawn(post_swap.z_mean, post_swap.z_logvar)
        return StepOutputs(x_hat=x_hat, static=static, dynamic=dynamic, prior_mean=prior_mean,
                           prior_logvar=prior_logvar, static_content=static_content, dynamic_motion=dynamic_motion,
                           dynamic_swap=dynamic_swap)


def _init_weights(module: nn.Module) -> None:
    """The release's init: Conv/Linear weights N(0, 0.01), biases 0; BatchNorm 1/0; others default."""
    if isinstance(module, (nn.Conv2d, nn.Conv1d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.01)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)
