"""run_suite: every task that applies to a code file, from Python, with the CLI's exact numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cdsvae_eval.errors import ConfigError, DataError
from cdsvae_eval.evaluate import inputs_from_codes, run_suite
from third_party_codes import write_third_party_codes

FAST = {"seeds": "1"}  # few-shot's option; the suite passes it to the tasks that have it


@pytest.fixture
def codes_file(tmp_path: Path) -> Path:
    return write_third_party_codes(tmp_path / "my_codes.npz")


def test_a_code_file_gets_every_task_that_applies_and_the_reasons_for_the_rest(codes_file: Path) -> None:
    suite = run_suite(inputs_from_codes(codes_file), options=FAST)
    ran = {run.name for run in suite.ran}
    skipped = {skip.name: skip for skip in suite.skipped}
    assert {"classify", "few-shot", "code-usage"} <= ran
    assert skipped["swap-oracle"].kind == "needs" and "decoder" in skipped["swap-oracle"].reason
    assert skipped["speaker-eer"].kind == "failed" and "y_speaker" in skipped["speaker-eer"].reason
    assert ran.isdisjoint(skipped) and all(run.path is None for run in suite.ran)
    assert suite.ran[0].result.metrics["acc_hair_from_static"].value > 0.9


def test_the_suite_and_probe_all_give_the_same_metrics(codes_file: Path, run_cli, tmp_path: Path) -> None:
    code, _, err = run_cli("probe", "--task", "all", "--codes", codes_file, "--out", tmp_path / "cli",
                           "--option", "seeds=1")
    assert code == 0, err
    suite = run_suite(inputs_from_codes(codes_file), options=FAST, out_dir=tmp_path / "api", codes_path=codes_file)
    assert sorted(path.name for path in suite.paths) == sorted(path.name for path in (tmp_path / "cli").glob("*.json"))
    for path in suite.paths:
        api, cli = (json.loads(p.read_text()) for p in (path, tmp_path / "cli" / path.name))
        assert api["metrics"] == cli["metrics"] and api["tables"] == cli["tables"], path.name


def test_named_tasks_must_run_and_options_must_belong_to_one(codes_file: Path) -> None:
    inputs = inputs_from_codes(codes_file)
    with pytest.raises(DataError, match="y_speaker"):
        run_suite(inputs, ["classify", "speaker-eer"])
    with pytest.raises(ConfigError, match="options 'no_such_option' is not an option of task"):
        run_suite(inputs, options={"no_such_option": "1"})
