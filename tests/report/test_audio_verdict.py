"""The verdict of a speech run from its results files: the speaker half at the codes (speaker-eer, raw cosine and
LDA), the content half at the codes (frame-probe against the log-mel input) and both halves at the decoder
(speech-swap); a half whose results are missing is not measured."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cdsvae_eval.errors import DataError
from cdsvae_eval.report.verdict import verdict_from_results, verdict_lines


def write_speaker_eer(folder: Path, eers: dict[tuple[str, str], float]) -> Path:
    metrics, rows = {}, []
    for (backend, code), value in eers.items():
        name = f"eer_{code}" if backend == "none" else f"eer_{code}_{backend}"
        metrics[name] = {"value": value, "higher_is_better": code == "dynamic", "chance": 50.0}
        rows.append({"backend": backend, "code": code, "eer": value})
    record = {"schema_version": 1, "task": {"name": "speaker-eer", "version": "1.1"}, "metrics": metrics,
              "protocol": {"name": "all-pairs", "split": "test", "n_target": 10, "n_nontarget": 90, "n_speakers": 5},
              "tables": {"eer": rows}}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "speaker-eer.json").write_text(json.dumps(record))
    return folder


def _write(folder: Path, task: str, values: dict[str, float | tuple[float, float]], protocol: dict | None = None) -> None:
    """A results file of ``task`` holding the metrics named (a pair is a value and its chance)."""
    metrics = {}
    for name, value in values.items():
        number, chance = value if isinstance(value, tuple) else (value, None)
        metrics[name] = {"value": number, "higher_is_better": True, **({"chance": chance} if chance is not None else {})}
    (folder / f"{task}.json").write_text(json.dumps({"schema_version": 1, "task": {"name": task, "version": "1.0"},
                                                     "metrics": metrics, "protocol": protocol or {}}))


def write_frame_probe(folder: Path, dynamic: float, static: float, input: float | None, random: float = 0.30) -> None:
    values = {"frame_acc_phone_from_dynamic": (dynamic, 0.15), "frame_acc_phone_from_static": static,
              "baseline_frame_acc_phone_from_dynamic": random}
    if input is not None:
        values["frame_acc_phone_from_input"] = input
    _write(folder, "frame-probe", values)


def write_speech_swap(folder: Path, speaker: float = 0.95, kept: float = 0.38, backend: str = "lda") -> None:
    _write(folder, "speech-swap", {
        f"speaker_decision_acc_swap_{backend}": speaker, f"speaker_decision_acc_recon_{backend}": 0.97,
        f"speaker_decision_acc_real_{backend}": 1.0,
        "content_acc_swap": (kept, 0.18), "content_acc_recon": (0.39, 0.18), "content_acc_real": (0.42, 0.18),
        "content_leak_swap": 0.05, "content_leak_real": 0.03, "baseline_content_acc_swap": 0.08,
        f"baseline_speaker_decision_acc_swap_{backend}": 0.5},
        protocol={"split": "test", "pairs": 200, "decisions": 400, "n_speakers": 24})


ALL_EERS = {("none", "static"): 2.0, ("none", "dynamic"): 40.0, ("none", "mfcc"): 7.0, ("lda", "static"): 1.5,
            ("lda", "dynamic"): 25.0, ("lda", "mfcc"): 2.0}


def test_four_halves_from_their_results_files_and_each_missing_one_is_not_measured(tmp_path: Path) -> None:
    folder = write_speaker_eer(tmp_path, ALL_EERS)
    verdict, context = verdict_from_results(folder)
    assert [half.status for half in verdict.halves] == ["met", "not measured", "not measured", "not measured"]
    assert verdict.label == "partly disentangled" and len(context) == 1
    write_frame_probe(folder, dynamic=0.50, static=0.20, input=None)
    verdict, _ = verdict_from_results(folder)
    assert verdict.halves[1].status == "met" and "judged on the margin over z_s alone" in verdict.halves[1].detail
    write_frame_probe(folder, dynamic=0.50, static=0.45, input=None)
    assert verdict_from_results(folder)[0].halves[1].status == "not met"
    write_frame_probe(folder, dynamic=0.50, static=0.20, input=0.52)
    write_speech_swap(folder)
    verdict, context = verdict_from_results(folder)
    assert verdict.label == "disentangled" and [half.status for half in verdict.halves] == ["met"] * 4
    assert "speech swaps: split test, 200 pairs (400 swaps) of 24 speakers" in context[1]
    text = "\n".join(verdict_lines(verdict, context))
    assert "random-init model's z_t 0.300" in text and "random-init model's swaps: speaker decision 0.500" in text


def test_the_halves_read_the_figures_they_are_named_for(tmp_path: Path) -> None:
    folder = write_speaker_eer(tmp_path, {**ALL_EERS, ("lda", "dynamic"): 8.0})
    write_frame_probe(folder, dynamic=0.40, static=0.20, input=0.52)
    write_speech_swap(folder, speaker=0.70, kept=0.20)
    verdict, _ = verdict_from_results(folder)
    assert [half.status for half in verdict.halves] == ["not met"] * 4
    assert verdict.eers.dynamic_lda == 8.0 and verdict.label == "partly disentangled"  # z_s 38 points below z_1:T


def test_swaps_judged_without_the_lda_back_end_leave_the_decoder_speaker_half_unmeasured(tmp_path: Path) -> None:
    folder = write_speaker_eer(tmp_path, ALL_EERS)
    write_speech_swap(folder, backend="plda")
    verdict, _ = verdict_from_results(folder)
    assert verdict.halves[2].status == "not measured" and "--option backend=lda" in verdict.halves[2].detail
    assert verdict.halves[3].status == "met"


def test_speaker_found_in_the_dynamics_by_a_backend_is_printed_and_judged(tmp_path: Path) -> None:
    """Raw cosine sees little speaker in mean z_1:T (40%), LDA fitted on the training speakers finds it (8%)."""
    eers = {**ALL_EERS, ("lda", "dynamic"): 8.0, ("plda", "dynamic"): 12.0}
    verdict, _ = verdict_from_results(write_speaker_eer(tmp_path, eers))
    assert (verdict.eers.static, verdict.eers.dynamic) == (2.0, 40.0)
    assert verdict.halves[0].status == "not met"
    assert any("lda 8.00%, plda 12.00%" in line for line in verdict.lines())


def test_results_without_raw_cosine_say_what_to_run(tmp_path: Path) -> None:
    folder = write_speaker_eer(tmp_path, {("lda", "static"): 2.0, ("lda", "dynamic"): 8.0})
    with pytest.raises(DataError, match="lacks metric 'eer_static' .*backend=none or all"):
        verdict_from_results(folder)
