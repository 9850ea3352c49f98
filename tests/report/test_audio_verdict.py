"""The verdict of a speech run: z_s and MFCC on raw cosine, the leakage of mean z_1:T at its worst back-end."""

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


def test_raw_cosine_alone_is_judged_as_before(tmp_path: Path) -> None:
    folder = write_speaker_eer(tmp_path, {("none", "static"): 3.0, ("none", "dynamic"): 40.0, ("none", "mfcc"): 6.0})
    verdict, evidence = verdict_from_results(folder)
    assert verdict.label == "disentangled" and verdict.eer_dynamic == 40.0
    assert len(evidence) == 1


def test_speaker_found_in_the_dynamics_by_a_backend_is_leakage(tmp_path: Path) -> None:
    """Raw cosine sees little speaker in mean z_1:T (40%), LDA fitted on the training speakers finds it (8%)."""
    eers = {("none", "static"): 3.0, ("none", "dynamic"): 40.0, ("lda", "static"): 2.0, ("lda", "dynamic"): 8.0}
    verdict, evidence = verdict_from_results(write_speaker_eer(tmp_path, eers))
    assert verdict.label == "not disentangled"
    assert (verdict.eer_static, verdict.eer_dynamic) == (3.0, 8.0)  # z_s stays on raw cosine: no back-end chosen on test
    assert "none 40.00%, lda 8.00%; judged on the lowest (lda)" in evidence[-1]


def test_results_without_raw_cosine_say_what_to_run(tmp_path: Path) -> None:
    folder = write_speaker_eer(tmp_path, {("lda", "static"): 2.0, ("lda", "dynamic"): 8.0})
    with pytest.raises(DataError, match="lacks metric 'eer_static' .*backend=none or all"):
        verdict_from_results(folder)
