"""Batched augmentations: permutations, clip-consistent colour distortion, blur and audio warps."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from cdsvae_eval.data.augment import (
    WARP_CUTOFF,
    adjust_brightness,
    adjust_contrast,
    adjust_hue,
    adjust_saturation,
    audio_content_view,
    audio_motion_view,
    content_view,
    frequency_warp_positions,
    gaussian_blur,
    luma,
    motion_view,
    warp_and_tilt,
)
from cdsvae_eval.errors import ConfigError, DataError



def _generator(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _clips(batch: int = 6, frames: int = 4, size: int = 8, seed: int = 0) -> torch.Tensor:
    return torch.rand(batch, frames, 3, size, size, generator=_generator(seed))


def _static_clips(batch: int = 6, frames: int = 4, size: int = 8, seed: int = 0) -> torch.Tensor:
    """Clips whose frames are all the same image (a different image per clip)."""
    return _clips(batch, 1, size, seed).expand(batch, frames, 3, size, size).contiguous()


# Content views


def _labelled_frames(batch: int, frames: int) -> torch.Tensor:
    """x[b, t] is filled with the value 100 b + t, so every frame names its clip and position."""
    labels = 100 * torch.arange(batch).view(batch, 1) + torch.arange(frames).view(1, frames)
    return labels.float().view(batch, frames, 1, 1, 1).expand(batch, frames, 3, 2, 2).contiguous()


def test_content_view_permutes_frames_within_each_clip():
    x = _labelled_frames(16, 8)
    out = content_view(x, _generator(1))
    assert out.shape == x.shape
    labels = out[:, :, 0, 0, 0]
    assert torch.equal((labels // 100).long(), torch.arange(16).view(16, 1).expand(16, 8))
    assert torch.equal(labels.sort(dim=1).values, x[:, :, 0, 0, 0])
    assert torch.equal(out, labels.view(16, 8, 1, 1, 1).expand_as(x))
    orders = {tuple(row.tolist()) for row in (labels % 100).long()}
    assert len(orders) == 16


def test_content_view_is_deterministic_with_a_seeded_generator():
    x = _clips()
    assert torch.equal(content_view(x, _generator(3)), content_view(x, _generator(3)))
    assert not torch.equal(content_view(x, _generator(3)), content_view(x, _generator(4)))


def test_audio_content_view_is_the_content_view_of_features():
    x = torch.randn(5, 20, 8, generator=_generator(1))
    out = audio_content_view(x, _generator(2))
    assert torch.equal(out, content_view(x, _generator(2)))
    assert torch.equal(out.sort(dim=1).values, x.sort(dim=1).values)
    with pytest.raises(DataError, match=r"\(B, T, F\)"):
        audio_content_view(torch.zeros(5, 20))


# Colour operations


def test_luma_weights_sum_to_one_and_gray_pixels_keep_their_value():
    gray = torch.rand(2, 3, 1, 4, 4, generator=_generator(1)).expand(2, 3, 3, 4, 4)
    assert torch.allclose(luma(gray), gray[:, :, :1], atol=1e-6)


def test_unit_factors_are_identities():
    x = _clips()
    ones = torch.ones(x.shape[0])
    assert torch.equal(adjust_brightness(x, ones), x)
    assert torch.allclose(adjust_contrast(x, ones), x, atol=1e-6)
    assert torch.allclose(adjust_saturation(x, ones), x, atol=1e-6)


def test_zero_hue_shift_and_full_turn_are_identities():
    x = _clips()
    assert torch.allclose(adjust_hue(x, torch.zeros(x.shape[0])), x, atol=1e-5)
    assert torch.allclose(adjust_hue(x, torch.ones(x.shape[0])), x, atol=1e-5)


def test_hue_shift_keeps_luma_and_changes_colour():
    x = 0.4 + 0.2 * _clips()  # mid-range colours stay in gamut after a small rotation
    shifted = adjust_hue(x, torch.full((x.shape[0],), 0.05))
    assert torch.allclose(luma(shifted), luma(x), atol=1e-5)
    assert (shifted - x).abs().max() > 0.01
    back = adjust_hue(shifted, torch.full((x.shape[0],), -0.05))
    assert torch.allclose(back, x, atol=1e-5)


def test_contrast_uses_one_clip_mean_and_zero_factor_gives_that_mean():
    x = _clips()
    flat = adjust_contrast(x, torch.zeros(x.shape[0]))
    clip_means = luma(x).mean(dim=(1, 2, 3, 4))
    assert torch.allclose(flat, clip_means.view(-1, 1, 1, 1, 1).expand_as(x), atol=1e-6)


def test_saturation_keeps_gray_clips_gray_and_zero_factor_gives_luma():
    gray = _clips()[:, :, :1].expand(6, 4, 3, 8, 8)
    saturated = adjust_saturation(gray, torch.linspace(0.2, 1.8, 6))
    assert torch.equal(saturated[:, :, 0], saturated[:, :, 1])
    assert torch.equal(saturated[:, :, 1], saturated[:, :, 2])
    x = _clips()
    assert torch.allclose(adjust_saturation(x, torch.zeros(6)), luma(x).expand_as(x), atol=1e-6)


# Blur


def test_gaussian_blur_matches_explicit_kernel_per_frame():
    x = _clips(batch=2, frames=3, size=6)
    sigma = torch.tensor([[0.5, 1.0, 2.0], [0.0, 0.1, 1.5]])
    out = gaussian_blur(x, sigma)
    for b in range(2):
        for t in range(3):
            s = sigma[b, t].item()
            if s == 0.0:
                assert torch.equal(out[b, t], x[b, t])
                continue
            taps = torch.tensor([torch.exp(torch.tensor(-0.5 / s**2)).item(), 1.0, 0.0])
            taps[2] = taps[0]
            taps = taps / taps.sum()
            padded = F.pad(x[b, t].unsqueeze(0), (1, 1, 1, 1), mode="reflect")[0]
            for c in range(3):
                for h in range(6):
                    for w in range(6):
                        window = padded[c, h : h + 3, w : w + 3]
                        expected = (taps.view(3, 1) * taps.view(1, 3) * window).sum()
                        assert out[b, t, c, h, w].item() == pytest.approx(expected.item(), abs=1e-6)


# Motion view (video)


def test_motion_view_shape_dtype_and_range():
    x = _clips(batch=16)
    out = motion_view(x, _generator(1))
    assert out.shape == x.shape and out.dtype == x.dtype
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert not torch.equal(out, x)


def test_motion_view_is_the_same_map_for_every_frame_of_a_clip():
    x = _static_clips(batch=32)
    out = motion_view(x, _generator(2), blur=False)
    assert torch.equal(out, out[:, :1].expand_as(out))
    moving = _clips(batch=32)
    order = torch.randperm(4, generator=_generator(3))
    permuted_first = motion_view(moving[:, order], _generator(4), blur=False)
    permuted_after = motion_view(moving, _generator(4), blur=False)[:, order]
    assert torch.allclose(permuted_first, permuted_after, atol=1e-6)


def test_motion_view_draws_different_parameters_per_clip():
    x = _clips(batch=1).expand(32, 4, 3, 8, 8)
    out = motion_view(x, _generator(5), blur=False)
    distinct = {tuple(clip.flatten()[:12].tolist()) for clip in out}
    assert len(distinct) > 20


def test_motion_view_applies_each_stage_with_its_probability():
    x = _static_clips(batch=400, frames=2, size=4)
    colour_only = motion_view(x, _generator(6), blur=False)
    unchanged = (colour_only - x).flatten(1).abs().amax(dim=1) < 1e-7
    expected_unchanged = (1 - 0.8) * (1 - 0.2)
    assert abs(unchanged.float().mean().item() - expected_unchanged) < 0.06
    gray = (colour_only[:, :, 0] == colour_only[:, :, 1]).flatten(1).all(dim=1)
    assert abs(gray.float().mean().item() - 0.2) < 0.06
    with_blur = motion_view(x, _generator(6))
    blurred_frames = (with_blur - colour_only).flatten(2).abs().amax(dim=2) > 1e-6
    assert abs(blurred_frames.float().mean().item() - 0.5) < 0.06


def test_motion_view_keeps_gray_clips_gray():
    gray = _clips(batch=32)[:, :, :1].expand(32, 4, 3, 8, 8)
    out = motion_view(gray, _generator(7))
    assert torch.allclose(out[:, :, 0], out[:, :, 1], atol=1e-5)
    assert torch.allclose(out[:, :, 1], out[:, :, 2], atol=1e-5)


def test_motion_view_with_zero_strength_and_no_blur_only_grays():
    x = _clips(batch=64)
    out = motion_view(x, _generator(8), strength=0.0, blur=False)
    gray = (out[:, :, 0] == out[:, :, 1]).flatten(1).all(dim=1)
    assert torch.allclose(out[~gray], x[~gray], atol=1e-5)
    assert torch.allclose(out[gray], luma(x[gray]).expand_as(x[gray]), atol=1e-6)


def test_motion_view_is_deterministic_with_a_seeded_generator():
    x = _clips()
    assert torch.equal(motion_view(x, _generator(9)), motion_view(x, _generator(9)))
    assert not torch.equal(motion_view(x, _generator(9)), motion_view(x, _generator(10)))


def test_motion_view_rejects_bad_shapes_and_strengths():
    with pytest.raises(DataError, match=r"\(B, T, 3, H, W\)"):
        motion_view(torch.zeros(2, 4, 1, 8, 8))
    with pytest.raises(ConfigError, match="strength"):
        motion_view(_clips(), strength=2.0)


def test_motion_view_under_bf16_autocast_keeps_float32():
    x = _clips()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = motion_view(x, _generator(11))
    assert out.dtype == torch.float32
    assert torch.allclose(out, motion_view(x, _generator(11)), atol=1e-6)


# Motion view (audio)


def test_warp_and_tilt_identity_parameters_return_the_input():
    x = torch.randn(4, 20, 80, generator=_generator(1))
    out = warp_and_tilt(x, torch.ones(4), torch.zeros(4), torch.zeros(4))
    assert torch.allclose(out, x, atol=1e-5)


def test_warp_positions_are_monotonic_and_fix_both_ends():
    alpha = torch.tensor([0.88, 0.95, 1.0, 1.05, 1.12])
    positions = frequency_warp_positions(alpha, 80)
    assert torch.equal(positions[:, 0], torch.zeros(5))
    assert torch.allclose(positions[:, -1], torch.full((5,), 79.0))
    steps = positions.diff(dim=1)
    assert (steps > 0).all()
    # Two linear pieces joined continuously: every step has one of the two slopes, except the one
    # step that straddles the kink, which lies between them.
    boundary = WARP_CUTOFF * 79 * alpha.clamp(max=1.0)
    lower_slope = (1 / alpha).unsqueeze(1)
    upper_slope = ((79 - boundary / alpha) / (79 - boundary)).unsqueeze(1)
    on_a_piece = torch.isclose(steps, lower_slope, atol=1e-4) | torch.isclose(steps, upper_slope, atol=1e-4)
    assert ((~on_a_piece).sum(dim=1) <= 1).all()
    low, high = torch.minimum(lower_slope, upper_slope), torch.maximum(lower_slope, upper_slope)
    assert ((steps >= low - 1e-4) & (steps <= high + 1e-4)).all()


@pytest.mark.parametrize("alpha, expected_peak", [(1.1, 22), (0.9, 18), (1.0, 20)])
def test_warp_moves_a_formant_by_alpha(alpha, expected_peak):
    bins = torch.arange(80).float()
    bump = torch.exp(-0.5 * ((bins - 20.0) / 2.0) ** 2).view(1, 1, 80).expand(1, 3, 80)
    out = warp_and_tilt(bump, torch.tensor([alpha]), torch.zeros(1), torch.zeros(1))
    assert (out.argmax(dim=2) == expected_peak).all()


def test_tilt_adds_a_centred_ramp_and_gain_a_constant():
    x = torch.randn(2, 5, 11, generator=_generator(2))
    out = warp_and_tilt(x, torch.ones(2), torch.tensor([1.0, -0.5]), torch.tensor([0.0, 0.25]))
    ramp = torch.linspace(-0.5, 0.5, 11)
    assert torch.allclose(out[0] - x[0], ramp.expand(5, 11), atol=1e-5)
    assert torch.allclose(out[1] - x[1], (-0.5 * ramp + 0.25).expand(5, 11), atol=1e-5)


def test_audio_motion_view_is_consistent_over_time_and_differs_between_clips():
    x = torch.randn(8, 20, 40, generator=_generator(3))
    out = audio_motion_view(x, _generator(4))
    assert out.shape == x.shape
    order = torch.randperm(20, generator=_generator(5))
    assert torch.allclose(audio_motion_view(x[:, order], _generator(4)), out[:, order], atol=1e-6)
    same_clip = x[:1].expand(8, 20, 40)
    views = audio_motion_view(same_clip, _generator(6))
    assert len({tuple(view[0, :5].tolist()) for view in views}) == 8


def test_audio_motion_view_is_deterministic_and_validates_options():
    x = torch.randn(3, 20, 40, generator=_generator(7))
    assert torch.equal(audio_motion_view(x, _generator(8)), audio_motion_view(x, _generator(8)))
    assert not torch.equal(audio_motion_view(x, _generator(8)), audio_motion_view(x, _generator(9)))
    with pytest.raises(ConfigError, match="warp"):
        audio_motion_view(x, warp=1.5)
    with pytest.raises(ConfigError, match="tilt"):
        audio_motion_view(x, tilt=-0.1)
    with pytest.raises(DataError, match=r"\(B, T, F>=2\)"):
        audio_motion_view(torch.zeros(3, 20, 1))


# Device


@pytest.mark.cuda
def test_augmentations_on_cuda_without_host_syncs():
    device = torch.device("cuda")
    video = torch.rand(16, 8, 3, 64, 64, device=device)
    audio = torch.randn(16, 20, 80, device=device)

    def run(seed: int):
        generator = torch.Generator(device).manual_seed(seed)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            return (
                content_view(video, generator),
                motion_view(video, generator),
                audio_content_view(audio, generator),
                audio_motion_view(audio, generator),
            )

    run(0)  # warm-up: per-device constants are copied once
    torch.cuda.set_sync_debug_mode("error")
    try:
        first = run(1)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    second = run(1)
    for a, b in zip(first, second):
        assert a.dtype == torch.float32
        assert torch.allclose(a, b, atol=1e-6)
    assert first[1].min() >= 0 and first[1].max() <= 1
    static = video[:, :1].expand_as(video).contiguous()
    colour = motion_view(static, torch.Generator(device).manual_seed(2), blur=False)
    assert torch.equal(colour, colour[:, :1].expand_as(colour))
