"""The verdict of a speech run: speaker EERs on raw cosine with back-end leakage reported beside them, and the
content half from the classify phone probes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cdsvae_eval.errors import DataError
from cdsvae_eval.report.verdict import verdict_from_results


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


def write_phone_probes(folder: Path, dynamic: float, static: float, random: float) -> None:
    values = {"acc_phone_from_dynamic": dynamic, "acc_phone_from_static": static,
              "baseline_acc_phone_from_dynamic": random, "chance_phone": 0.15}
    metrics = {name: {"value": value, "higher_is_better": True} for name, value in values.items()}
    (folder / "classify.json").write_text(json.dumps({"schema_version": 1, "task": {"name": "classify", "version": "1.0"},
                                                      "metrics": metrics}))


def test_both_halves_met_is_disentangled_and_without_phone_probes_the_content_is_unmeasured(tmp_path: Path) -> None:
    folder = write_speaker_eer(tmp_path, {("none", "static"): 3.0, ("none", "dynamic"): 40.0, ("none", "mfcc"): 6.0})
    verdict, evidence = verdict_from_results(folder)
    assert verdict.label == "partly disentangled" and "content: not measured" in verdict.lines()[2]
    write_phone_probes(folder, dynamic=0.55, static=0.30, random=0.40)
    verdict, evidence = verdict_from_results(folder)
    assert verdict.label == "disentangled" and verdict.phones.random_dynamic == 0.40
    assert len(evidence) == 1


def test_phones_no_better_than_a_random_encoder_do_not_count(tmp_path: Path) -> None:
    folder = write_speaker_eer(tmp_path, {("none", "static"): 3.0, ("none", "dynamic"): 40.0, ("none", "mfcc"): 6.0})
    write_phone_probes(folder, dynamic=0.45, static=0.30, random=0.40)
    verdict, _ = verdict_from_results(folder)
    assert verdict.label == "partly disentangled" and "-> not met" in verdict.lines()[2]


def test_speaker_found_in_the_dynamics_by_a_backend_is_reported_beside_the_raw_cosine_verdict(tmp_path: Path) -> None:
    """Raw cosine sees little speaker in mean z_1:T (40%), LDA fitted on the training speakers finds it (8%)."""
    eers = {("none", "static"): 3.0, ("none", "dynamic"): 40.0, ("lda", "static"): 2.0, ("lda", "dynamic"): 8.0}
    verdict, evidence = verdict_from_results(write_speaker_eer(tmp_path, eers))
    assert (verdict.eer_static, verdict.eer_dynamic) == (3.0, 40.0)  # no back-end chosen on the test speakers
    assert "back-ends fitted on the training speakers: lda 8.00% (leakage that raw cosine does not see" in evidence[-1]


def test_results_without_raw_cosine_say_what_to_run(tmp_path: Path) -> None:
    folder = write_speaker_eer(tmp_path, {("lda", "static"): 2.0, ("lda", "dynamic"): 8.0})
    with pytest.raises(DataError, match="lacks metric 'eer_static' .*backend=none or all"):
        verdict_from_results(folder)
