"""Batched, on-device augmentations that make C-DSVAE's contrastive views.

A content view keeps what is static in a sequence and destroys its dynamics (the frames are shuffled);
a motion view keeps the dynamics and changes the static appearance (colours for video, speaker cues for
audio), with the same random parameters for every frame of a clip and independent parameters per clip.
Everything runs on the input's device without per-clip Python loops; a ``generator``, when given, must
live on that device and makes the result reproducible.
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch
import torch.nn.functional as F

from cdsvae_eval.errors import ConfigError, DataError

# ITU-R BT.601 luma weights, as used by torchvision's grayscale conversion.
_LUMA = (0.299, 0.587, 0.114)
# RGB -> YIQ (NTSC); Y is the luma above, I and Q span the chroma plane.
_RGB_TO_YIQ = (
    (0.299, 0.587, 0.114),
    (0.595716, -0.274453, -0.321263),
    (0.211456, -0.522591, 0.311135),
)

JITTER_PROBABILITY = 0.8
GRAYSCALE_PROBABILITY = 0.2
BLUR_PROBABILITY = 0.5
BLUR_SIGMA_RANGE = (0.1, 2.0)
WARP_CUTOFF = 0.85


@lru_cache(maxsize=None)
def _hue_rotation_parts(device: torch.device) -> torch.Tensor:
    """Float64 RGB matrices K, C, S (stacked) with ``K + cos(a) C + sin(a) S`` rotating YIQ chroma by a.

    Built once per device, so later calls make no host-to-device copies.
    """
    to_yiq = torch.tensor(_RGB_TO_YIQ, dtype=torch.float64)
    from_yiq = torch.linalg.inv(to_yiq)
    luma_only = torch.diag(torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64))
    chroma_only = torch.diag(torch.tensor([0.0, 1.0, 1.0], dtype=torch.float64))
    quarter_turn = torch.tensor([[0.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]], dtype=torch.float64)
    parts = [from_yiq @ part @ to_yiq for part in (luma_only, chroma_only, quarter_turn)]
    return torch.stack(parts).to(device)


def _uniform(
    shape: tuple[int, ...], low: float, high: float, like: torch.Tensor, generator: torch.Generator | None
) -> torch.Tensor:
    """Float32 draws from U(low, high) on ``like``'s device."""
    draw = torch.rand(shape, generator=generator, device=like.device, dtype=torch.float32)
    return low + (high - low) * draw


def _per_clip(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Reshape per-clip ``values`` (B,) to broadcast against ``like`` (B, ...); numbers take its dtype."""
    if values.is_floating_point():
        values = values.to(like.dtype)
    return values.reshape(values.shape[0], *([1] * (like.ndim - 1)))


def content_view(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Shuffle the frame order of every clip of ``x`` (B, T, ...) with an independent permutation per clip."""
    if x.ndim < 2:
        raise DataError(f"content_view expects sequences shaped (B, T, ...), got shape {tuple(x.shape)}")
    batch, frames = x.shape[:2]
    keys = torch.rand((batch, frames), generator=generator, device=x.device)
    order = keys.argsort(dim=1)
    return x[torch.arange(batch, device=x.device).unsqueeze(1), order]


def luma(x: torch.Tensor) -> torch.Tensor:
    """The BT.601 luma of RGB frames (..., 3, H, W), keeping a channel dim of 1."""
    red, green, blue = x[..., 0:1, :, :], x[..., 1:2, :, :], x[..., 2:3, :, :]
    return red * _LUMA[0] + green * _LUMA[1] + blue * _LUMA[2]


def adjust_brightness(x: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """Scale clips (B, T, 3, H, W) by a per-clip ``factor`` (B,); clamped to [0, 1]."""
    return (x * _per_clip(factor, x)).clamp_(0.0, 1.0)


def adjust_contrast(x: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """Blend each clip with its mean luma by a per-clip ``factor`` (B,); clamped to [0, 1].

    Unlike torchvision, the mean is taken over the whole clip rather than per frame, so every frame of a
    clip goes through the same colour map.
    """
    clip_mean = luma(x.mean(dim=(1, 3, 4), keepdim=True))
    return torch.lerp(clip_mean, x, _per_clip(factor, x)).clamp_(0.0, 1.0)


def adjust_saturation(x: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """Blend each pixel with its own luma by a per-clip ``factor`` (B,); clamped to [0, 1]. Gray stays gray."""
    return torch.lerp(luma(x), x, _per_clip(factor, x)).clamp_(0.0, 1.0)


def hue_rotation_matrices(shift: torch.Tensor) -> torch.Tensor:
    """RGB -> RGB matrices (B, 3, 3) that rotate the YIQ chroma plane by ``2 * pi * shift`` (B,).

    A YIQ rotation is the linear counterpart of shifting the HSV hue by ``shift`` turns: luma is kept
    exactly, the chroma magnitude is kept, and colours pushed out of gamut are clamped afterwards.
    """
    keep, cosine, sine = _hue_rotation_parts(shift.device)
    angle = 2.0 * math.pi * shift.to(torch.float64).view(-1, 1, 1)
    return keep + torch.cos(angle) * cosine + torch.sin(angle) * sine


def adjust_hue(x: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """Rotate the hue of clips (B, T, 3, H, W) by a per-clip ``shift`` (B,) in turns; clamped to [0, 1]."""
    matrices = hue_rotation_matrices(shift).to(x.dtype)
    with torch.autocast(device_type=x.device.type, enabled=False):
        rotated = matrices.unsqueeze(1) @ x.flatten(3)
    return rotated.view_as(x).clamp_(0.0, 1.0)


def gaussian_blur(x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """Blur every frame of ``x`` (B, T, C, H, W) with a 3x3 Gaussian of its own ``sigma`` (B, T).

    A depthwise convolution with one kernel per frame and channel, reflect padding. ``sigma = 0`` gives
    the identity kernel.
    """
    batch, frames, channels, height, width = x.shape
    offsets = torch.arange(-1, 2, device=x.device, dtype=torch.float32)
    sigma = sigma.float().reshape(-1, 1)
    taps = torch.exp(-0.5 * offsets.square() / sigma.square().clamp_min(1e-12))
    taps = taps / taps.sum(dim=1, keepdim=True)
    kernels = (taps.unsqueeze(2) * taps.unsqueeze(1)).repeat_interleave(channels, dim=0)
    with torch.autocast(device_type=x.device.type, enabled=False):
        planes = F.pad(x.reshape(1, -1, height, width), (1, 1, 1, 1), mode="reflect")
        blurred = F.conv2d(planes, kernels.unsqueeze(1).to(x.dtype), groups=kernels.shape[0])
    return blurred.reshape(batch, frames, channels, height, width)


def motion_view(
    x: torch.Tensor,
    generator: torch.Generator | None = None,
    strength: float = 1.0,
    blur: bool = True,
) -> torch.Tensor:
    """SimCLR-style colour distortion of video clips ``x`` (B, T, 3, H, W) in [0, 1], consistent within a clip.

    Per clip: with probability 0.8, colour jitter (brightness, contrast and saturation factors from
    U(1 - 0.8 s, 1 + 0.8 s), hue shift from U(-0.2 s, 0.2 s) turns, s = ``strength``), applied in that
    fixed order; then grayscale with probability 0.2. All frames of a clip share these parameters. Then,
    if ``blur``, each frame independently gets a 3x3 Gaussian blur (sigma from U(0.1, 2)) with
    probability 0.5. The result is clamped to [0, 1] and keeps ``x``'s dtype.
    """
    if x.ndim != 5 or x.shape[2] != 3:
        raise DataError(f"motion_view expects RGB clips shaped (B, T, 3, H, W), got shape {tuple(x.shape)}")
    if not 0.0 <= strength <= 1.25:
        raise ConfigError(f"motion_view strength must be in [0, 1.25] (factors stay positive), got {strength}")
    batch, frames = x.shape[:2]
    spread = 0.8 * strength
    brightness = _uniform((batch,), 1.0 - spread, 1.0 + spread, x, generator)
    contrast = _uniform((batch,), 1.0 - spread, 1.0 + spread, x, generator)
    saturation = _uniform((batch,), 1.0 - spread, 1.0 + spread, x, generator)
    hue = _uniform((batch,), -0.2 * strength, 0.2 * strength, x, generator)
    jitter = _uniform((batch,), 0.0, 1.0, x, generator) < JITTER_PROBABILITY
    grayscale = _uniform((batch,), 0.0, 1.0, x, generator) < GRAYSCALE_PROBABILITY

    jittered = adjust_contrast(adjust_brightness(x, brightness), contrast)
    jittered = adjust_hue(adjust_saturation(jittered, saturation), hue)
    out = torch.where(_per_clip(jitter, x), jittered, x)
    out = torch.where(_per_clip(grayscale, x), luma(out).expand_as(out), out)
    if blur:
        sigma = _uniform((batch, frames), *BLUR_SIGMA_RANGE, x, generator)
        blurred = _uniform((batch, frames), 0.0, 1.0, x, generator) < BLUR_PROBABILITY
        out = gaussian_blur(out, torch.where(blurred, sigma, torch.zeros_like(sigma)))
    return out.clamp(0.0, 1.0)


def audio_content_view(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Shuffle the frames of every segment of features ``x`` (B, T, F) independently (see :func:`content_view`)."""
    if x.ndim != 3:
        raise DataError(f"audio_content_view expects features shaped (B, T, F), got shape {tuple(x.shape)}")
    return content_view(x, generator)


def frequency_warp_positions(alpha: torch.Tensor, bins: int) -> torch.Tensor:
    """For each clip, the source position on the feature axis that each of ``bins`` output bins reads.

    A VTLP-style piecewise-linear warp: content at source position p moves to ``alpha * p`` below a
    boundary at ``WARP_CUTOFF * (bins - 1) * min(alpha, 1)``; above it a second linear piece maps the
    top bin onto itself, so no band falls off the axis. Returns (B, bins) float32 positions in
    [0, bins - 1].
    """
    top = float(bins - 1)
    alpha = alpha.float().unsqueeze(1)
    output_bin = torch.arange(bins, device=alpha.device, dtype=torch.float32).unsqueeze(0)
    boundary = WARP_CUTOFF * top * alpha.clamp(max=1.0)
    source_boundary = boundary / alpha
    below = output_bin / alpha
    above = source_boundary + (output_bin - boundary) * (top - source_boundary) / (top - boundary)
    return torch.where(output_bin <= boundary, below, above).clamp(0.0, top)


def warp_and_tilt(x: torch.Tensor, alpha: torch.Tensor, slope: torch.Tensor, gain: torch.Tensor) -> torch.Tensor:
    """Warp the feature axis of ``x`` (B, T, F) by per-clip ``alpha`` (B,), then add a tilt and a gain.

    The warp (see :func:`frequency_warp_positions`) is linear interpolation along F, the same for every
    frame of a clip. The tilt adds ``slope * (f / (F - 1) - 1/2)`` at bin f (a ramp centred on the axis,
    so it does not move the mean); the gain adds ``gain``. ``alpha = 1, slope = 0, gain = 0`` is the
    identity.
    """
    batch, frames, bins = x.shape
    position = frequency_warp_positions(alpha, bins)
    lower = position.floor().clamp(max=bins - 2).long()
    fraction = (position - lower).to(x.dtype).unsqueeze(1)
    lower = lower.unsqueeze(1).expand(batch, frames, bins)
    warped = x.gather(2, lower) * (1.0 - fraction) + x.gather(2, lower + 1) * fraction
    ramp = torch.linspace(-0.5, 0.5, bins, device=x.device, dtype=x.dtype)
    slope = slope.to(x.dtype).view(batch, 1, 1)
    return warped + slope * ramp + gain.to(x.dtype).view(batch, 1, 1)


def audio_motion_view(
    x: torch.Tensor,
    generator: torch.Generator | None = None,
    warp: float = 0.12,
    tilt: float = 0.5,
    gain: float = 0.5,
) -> torch.Tensor:
    """A speaker-changing, content-keeping view of normalised log-mel features ``x`` (B, T, F).

    Per clip: a frequency-axis warp with alpha ~ U(1 - warp, 1 + warp), a spectral tilt with slope
    ~ U(-tilt, tilt) and a gain offset ~ U(-gain, gain), both in normalised feature units.

    Why it keeps the content: phonetic identity lives in the pattern of formants relative to each other
    and in its timing. One warp for all frames moves every formant of a clip by the same smooth, monotonic
    map, as vocal-tract length perturbation does (a longer tract lowers all formants by a common factor);
    we warp the mel-bin axis directly rather than Hz before the filterbank, an approximation that keeps
    the formants' order and rough ratios. Frame order and timing are untouched. What it changes are speaker and channel cues: the absolute formant scale (tract length),
    the slope of the spectral envelope (glottal source, voice quality, microphone) and the level.
    """
    if x.ndim != 3 or x.shape[2] < 2:
        raise DataError(f"audio_motion_view expects features shaped (B, T, F>=2), got shape {tuple(x.shape)}")
    if not 0.0 <= warp < 1.0:
        raise ConfigError(f"audio_motion_view warp must be in [0, 1), got {warp}")
    if tilt < 0.0 or gain < 0.0:
        raise ConfigError(f"audio_motion_view tilt and gain must be >= 0, got tilt={tilt}, gain={gain}")
    batch = x.shape[0]
    alpha = _uniform((batch,), 1.0 - warp, 1.0 + warp, x, generator)
    slope = _uniform((batch,), -tilt, tilt, x, generator)
    offset = _uniform((batch,), -gain, gain, x, generator)
    return warp_and_tilt(x, alpha, slope, offset)
