"""Per-frame labels in code files (``frame_y_<factor>``) and the ``frame-probe`` task that reads them."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from cdsvae_eval.codes import CodeSet, FactorMeta, extract_codes, load_codes, save_codes
from cdsvae_eval.data.registry import get_dataset
from cdsvae_eval.errors import ConfigError, DataError
from cdsvae_eval.evaluate import run_suite
from cdsvae_eval.tasks.base import TaskInputs
from cdsvae_eval.tasks.frame_probe import FrameProbe, FrameProbeOptions
from formant_synth import write_formant_timit

PHONES = [f"p{i}" for i in range(5)]


def frame_codes(planted: bool = True, seed: int = 0, rows: int = 120, steps: int = 6) -> CodeSet:
    """Each frame's z_t is a one-hot of its phone plus noise (``planted``), or noise alone; z_s is noise, so
    it cannot tell the frames of one segment apart. The segment label is the centre frame's phone."""
    rng = np.random.default_rng(seed)
    frames = rng.integers(0, len(PHONES), size=(rows, steps))
    dynamic = 0.3 * rng.normal(size=(rows, steps, len(PHONES)))
    if planted:
        dynamic += 3.0 * np.eye(len(PHONES))[frames]
    speakers = np.arange(rows) % 6
    return CodeSet(
        static=rng.normal(size=(rows, 4)).astype(np.float32),
        dynamic=dynamic.astype(np.float32),
        labels={"phone": frames[:, steps // 2], "speaker": speakers},
        factors={"phone": FactorMeta("dynamic", PHONES), "speaker": FactorMeta("static", [f"S{s}" for s in range(6)])},
        split=np.where(np.arange(rows) < rows * 2 // 3, "train", "test"),
        identity=np.array([f"S{s}" for s in speakers]),
        frame_labels={"phone": frames},
    )


def run(codes: CodeSet, baseline: CodeSet | None = None, **options):
    return FrameProbe().run(TaskInputs(codes=codes, baseline_codes=baseline), FrameProbeOptions(**options), seed=0,
                            out_dir=None)


def test_the_probe_reads_a_planted_per_frame_label_from_each_frames_code() -> None:
    result = run(frame_codes(), baseline=frame_codes(planted=False, seed=1))
    metrics = result.metrics
    chance = metrics["frame_chance_phone"].value
    assert metrics["frame_acc_phone_from_dynamic"].value > 0.95
    assert metrics["frame_acc_phone_from_static"].value < chance + 0.1  # z_s cannot tell frames apart
    assert metrics["baseline_frame_acc_phone_from_dynamic"].value < chance + 0.1
    assert metrics["frame_acc_phone_from_static"].higher_is_better is False
    low, high = metrics["frame_acc_phone_from_dynamic"].ci_low, metrics["frame_acc_phone_from_dynamic"].ci_high
    assert low <= metrics["frame_acc_phone_from_dynamic"].value <= high
    assert result.protocol["n_frames"] == 40 * 6 and result.protocol["n_train_frames"] == 80 * 6
    assert {(row["codes"], row["code"]) for row in result.tables["probes"]} == {
        ("model", "dynamic"), ("model", "static"), ("baseline", "dynamic"), ("baseline", "static")}


def test_frames_beyond_the_caps_are_drawn_with_the_seed() -> None:
    result = run(frame_codes(), max_train_frames=100, max_frames=50)
    assert (result.protocol["n_train_frames"], result.protocol["train_frames_available"]) == (100, 480)
    assert (result.protocol["n_frames"], result.protocol["frames_available"]) == (50, 240)
    again = run(frame_codes(), max_train_frames=100, max_frames=50)
    assert again.metrics == result.metrics


def test_codes_without_per_frame_labels_are_skipped_by_the_suite() -> None:
    codes = frame_codes()
    plain = CodeSet(**{**codes.__dict__, "frame_labels": {}})
    with pytest.raises(DataError, match="needs per-frame labels"):
        run(plain)
    suite = run_suite(TaskInputs(codes=plain), tasks="all")
    assert any(skip.name == "frame-probe" and "per-frame labels" in skip.reason for skip in suite.skipped)


def test_bad_caps_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="max_train_frames"):
        run(frame_codes(), max_train_frames=1)


def test_per_frame_labels_round_trip_through_a_code_file_and_follow_selections(tmp_path) -> None:
    codes = frame_codes()
    save_codes(codes, tmp_path / "codes.npz")
    loaded = load_codes(tmp_path / "codes.npz")
    np.testing.assert_array_equal(loaded.frame_labels["phone"], codes.frame_labels["phone"])
    np.testing.assert_array_equal(loaded.of_split("test").frame_labels["phone"],
                                  codes.frame_labels["phone"][codes.split == "test"])


@pytest.mark.parametrize(("change", "message"), [
    (lambda f: f[:, :-1], r"'frame_y_phone' must be an integer array of shape \(120, 6\)"),
    (lambda f: f.astype(np.float32), "must be an integer array"),
    (lambda f: f + len(PHONES), r"'frame_y_phone' has values outside 0..4"),
])
def test_malformed_per_frame_labels_are_named(tmp_path, change, message) -> None:
    codes = frame_codes()
    arrays = {"static": codes.static, "dynamic": codes.dynamic, "y_phone": codes.labels["phone"],
              "frame_y_phone": change(codes.frame_labels["phone"]),
              "meta": np.array(json.dumps({"factors": {"phone": {"kind": "dynamic", "classes": PHONES}}}))}
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(DataError, match=message):
        load_codes(tmp_path / "bad.npz")


def test_per_frame_labels_of_an_undescribed_factor_are_refused() -> None:
    codes = frame_codes()
    with pytest.raises(DataError, match="does not describe factor 'tone' of 'frame_y_tone'"):
        CodeSet(**{**codes.__dict__, "frame_labels": {"tone": codes.frame_labels["phone"]}})


class FrameEncoder:
    """z_s: the mean frame; z_t: the first three features of every frame (one step per frame), or of every
    second frame (``stride``)."""

    def __init__(self, stride: int = 1) -> None:
        self.stride = stride

    def encode(self, batch: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return batch.mean(dim=1), batch[:, ::self.stride, :3]


@pytest.fixture(scope="module")
def timit(tmp_path_factory: pytest.TempPathFactory):
    root = write_formant_timit(tmp_path_factory.mktemp("timit") / "t", speakers_per_split={"TRAIN": 2, "TEST": 2},
                               sentences=2)
    return get_dataset("timit", data_root=str(root))


def test_extraction_writes_each_frames_phone_when_the_encoder_keeps_one_step_per_frame(timit) -> None:
    codes = extract_codes(FrameEncoder(), timit, ("train", "test"))
    expected = np.concatenate([timit.split(name).extras["frame_phones"] for name in ("train", "test")])
    np.testing.assert_array_equal(codes.frame_labels["phone"], expected)
    centre = expected.shape[1] // 2
    np.testing.assert_array_equal(codes.labels["phone"], expected[:, centre])  # the segment label is the centre frame's
    assert "frame_labels_skipped" not in codes.meta
    strided = extract_codes(FrameEncoder(stride=2), timit, ("test",))
    assert strided.frame_labels == {}
    assert "encoder gives 10 dynamic steps" in strided.meta["frame_labels_skipped"]["phone"]
