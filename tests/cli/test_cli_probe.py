"""``probe``, ``report``, ``codes info`` and ``tasks list`` on a code file written by a third party with numpy."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from third_party_codes import write_third_party_codes


@pytest.fixture
def codes_file(tmp_path: Path) -> Path:
    return write_third_party_codes(tmp_path / "my_codes.npz")


def test_probe_classify_prints_the_table_and_writes_json(run_cli, codes_file: Path, tmp_path: Path) -> None:
    code, out, err = run_cli("probe", "--task", "classify", "--codes", codes_file, "--out", tmp_path / "res")
    assert code == 0, err
    assert "acc_hair_from_static" in out and "classify v1.0" in out
    record = json.loads((tmp_path / "res" / "classify.json").read_text())
    assert record["metrics"]["acc_hair_from_static"]["value"] > 0.9
    assert record["codes"]["meta"]["source"] == "my own encoder"
    assert str(tmp_path / "res" / "classify.json") in out.replace("\n", "")


def test_probe_runs_a_comma_separated_list_of_tasks_and_no_other(run_cli, codes_file: Path, tmp_path: Path) -> None:
    code, out, err = run_cli("probe", "--task", "classify, code-usage", "--codes", codes_file, "--out", tmp_path / "r")
    assert code == 0, err
    assert sorted(path.name for path in (tmp_path / "r").glob("*.json")) == ["classify.json", "code-usage.json"]
    code, _, err = run_cli("probe", "--task", "classify,no-such-task", "--codes", codes_file, "--out", tmp_path / "s")
    assert code == 2 and "no-such-task" in err and err.count("\n") == 1


def test_probe_all_runs_what_applies_and_report_aggregates(run_cli, codes_file: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "model-a"
    code, out, err = run_cli(
        "probe", "--task", "all", "--codes", codes_file, "--out", out_dir,
        "--option", "seeds=2", "--option", "ks=1,5,all",
    )
    assert code == 0, err
    assert (out_dir / "classify.json").is_file() and (out_dir / "few-shot.json").is_file()
    assert (out_dir / "few_shot.png").is_file()
    few_shot = json.loads((out_dir / "few-shot.json").read_text())
    assert few_shot["options"]["seeds"] == 2 and few_shot["options"]["ks"] == [1, 5, "all"]
    if (out_dir / "speaker-eer.json").exists():
        pytest.fail("speaker-eer cannot run on codes without y_speaker")
    assert "speech only: speaker-eer, speaker-few-shot, frame-probe, speech-swap (not run" in out
    assert "y_speaker" not in out and "frame_y_" not in out and out.count("speech only") == 1
    code, out, err = run_cli("report", out_dir / "classify.json", out_dir / "few-shot.json", "--csv", tmp_path / "all.csv")
    assert code == 0, err
    rows = list(csv.DictReader((tmp_path / "all.csv").open()))
    assert {row["task"] for row in rows} == {"classify", "few-shot"} and {row["run"] for row in rows} == {"model-a"}
    code, out, _ = run_cli("report", out_dir / "classify.json", "--markdown")
    assert code == 0 and out.startswith("| task | metric | better | model-a |")


def test_existing_results_need_force(run_cli, codes_file: Path, tmp_path: Path) -> None:
    args = ("probe", "--task", "classify", "--codes", codes_file, "--out", tmp_path)
    assert run_cli(*args)[0] == 0
    code, _, err = run_cli(*args)
    assert code == 2 and "already exists" in err and "classify.json" in err
    assert "pass --force to overwrite" in err and "force=True" not in err  # the API's argument, as the CLI's flag
    assert run_cli(*args, "--force")[0] == 0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--option", "seeds=2"), "--option 'seeds' is not an option of task(s) classify"),
        (("--option", "seeds"), "--option expects key=value"),
        (("--task", "nope"), "unknown task 'nope'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(run_cli, codes_file: Path, tmp_path: Path, extra, message) -> None:
    args = ["probe", "--task", "classify", "--codes", codes_file, "--out", tmp_path]
    if extra[0] == "--task":
        args[2] = extra[1]
    else:
        args += list(extra)
    code, _, err = run_cli(*args)
    assert code == 2 and message in err and err.count("\n") == 1


def test_probe_needs_exactly_one_source(run_cli, codes_file: Path, tmp_path: Path) -> None:
    code, _, err = run_cli("probe", "--task", "classify", "--codes", codes_file, "--checkpoint", tmp_path)
    assert code == 2 and "exactly one of --codes FILE or --checkpoint RUN" in err


@pytest.mark.parametrize(
    ("task", "train"),
    [("speaker-eer", "cdsvae-eval train --dataset tts-timit --out runs/tts"),
     ("speaker-few-shot", "cdsvae-eval train --dataset tts-timit --out runs/tts"),
     ("frame-probe", "cdsvae-eval train --dataset tts-timit --out runs/tts"),
     ("classify", "cdsvae-eval train --dataset flare-sprites --out runs/demo")],
)
def test_probe_without_a_source_says_how_to_make_one(run_cli, task: str, train: str) -> None:
    code, _, err = run_cli("probe", "--task", task)
    assert code == 2 and err.count("\n") == 1
    assert "needs --codes FILE or --checkpoint RUN" in err and train in err
    assert f"cdsvae-eval probe --task {task} --checkpoint runs/" in err


def test_speaker_eer_on_codes_without_speakers_names_field_and_task(run_cli, codes_file: Path, tmp_path: Path) -> None:
    pytest.importorskip("cdsvae_eval.tasks.speaker_eer")
    code, _, err = run_cli("probe", "--task", "speaker-eer", "--codes", codes_file, "--out", tmp_path)
    assert code == 2 and "y_speaker" in err and "speaker-eer" in err and err.count("\n") == 1


def test_codes_info_describes_the_file(run_cli, codes_file: Path) -> None:
    code, out, err = run_cli("codes", "info", codes_file)
    assert code == 0, err
    for text in ("static", "(150, 8)", "(150, 4, 3)", "y_gesture", "gesture", "dynamic", "train", "100", "test"):
        assert text in out


def test_codes_info_counts_identities(run_cli, codes_file: Path, tmp_path: Path) -> None:
    from cdsvae_eval.codes import load_codes, save_codes

    codes = load_codes(codes_file)
    codes.identity = (np.arange(len(codes)) % 30).astype(str)
    codes.meta["identity"] = "character"
    save_codes(codes, tmp_path / "with_identity.npz")
    code, out, err = run_cli("codes", "info", tmp_path / "with_identity.npz")
    assert code == 0, err
    assert "identity" in out and "30 identities (character)" in out


def test_codes_info_on_a_file_missing_static_is_exit_2(run_cli, tmp_path: Path) -> None:
    np.savez(tmp_path / "bad.npz", dynamic=np.zeros((2, 3, 4), np.float32), meta=np.array("{}"))
    code, _, err = run_cli("codes", "info", tmp_path / "bad.npz")
    assert code == 2 and "'static'" in err and "bad.npz" in err


def test_tasks_list_json(run_cli) -> None:
    code, out, _ = run_cli("tasks", "list", "--json")
    entries = {entry["name"]: entry for entry in json.loads(out)}
    assert code == 0 and entries["classify"]["available"] and entries["classify"]["source"] == "builtin"
    assert entries["few-shot"]["version"] == "1.0"


@pytest.mark.slow
def test_probe_a_trained_run_with_its_random_baseline(run_cli, tmp_path: Path) -> None:
    from cdsvae_eval.config import apply_overrides, preset_config
    from cdsvae_eval.training.trainer import train

    config = apply_overrides(preset_config("smoke"), {"epochs": 1, "swap_eval_every": 1000})
    train(config, tmp_path / "run", progress=False)
    code, out, err = run_cli(
        "probe", "--task", "classify", "--checkpoint", tmp_path / "run", "--random-baseline",
        "--out", tmp_path / "res", "--device", "cpu",
    )
    assert code == 0, err
    record = json.loads((tmp_path / "res" / "classify.json").read_text())
    assert record["checkpoint"]["run"] == str(tmp_path / "run") and len(record["checkpoint"]["sha256"]) == 64
    assert record["dataset_fingerprint"] == record["codes"]["meta"]["dataset_fingerprint"]
    assert any(name.startswith("baseline_acc_") for name in record["metrics"])
    assert record["protocol"]["baseline_codes"] is True
    baseline = record["baseline_codes"]
    assert baseline["random_init"] is True and baseline["random_init_seed"] == 0
    assert baseline["n_rows"] == record["codes"]["n_rows"] and baseline["cache_key"] != record["codes"]["cache_key"]
    training = record["training"]
    assert (training["preset"], training["seed"], training["checkpoint_file"]) == ("smoke", 1, "best.pt")
    assert training["checkpoint_epoch"] == 1 and training["selection_split"] == "val"
    assert training["selection_rule"].startswith("highest min over the motion and identity swaps of (accuracy - chance)")
    assert "on 'val'" in training["selection_rule"]
    assert training["config"] == json.loads((tmp_path / "run" / "config.json").read_text())["config"]
    assert training["config_path"] == str((tmp_path / "run" / "config.json").resolve())
    assert len(training["config_sha256"]) == 64 and "selection_warning" not in record["protocol"]

    code, out, err = run_cli(
        "probe", "--task", "classify", "--checkpoint", tmp_path / "run", "--option", "split=val",
        "--out", tmp_path / "on-val", "--device", "cpu",
    )
    assert code == 0, err
    assert "warning: scored on split 'val', the split whose identities chose this checkpoint" in " ".join(out.split())
    record = json.loads((tmp_path / "on-val" / "classify.json").read_text())
    assert record["protocol"]["selection_warning"].startswith("scored on split 'val'")


def test_probe_all_skips_decoder_tasks_when_given_only_codes(run_cli, codes_file: Path, tmp_path: Path, monkeypatch) -> None:
    from cdsvae_eval.tasks import Task, registry

    class NeedsDecoder(Task):
        name = "needs-decoder-cli"
        version = "1"
        description = "needs a decoder"
        needs = frozenset({"codes", "decoder"})

        def run(self, inputs, options, seed, out_dir):
            raise AssertionError("must not run without a decoder")

    monkeypatch.setattr(registry.TASKS, "registered", {})
    registry.register_task(NeedsDecoder)
    code, out, err = run_cli("probe", "--task", "all", "--codes", codes_file, "--out", tmp_path, "--option", "seeds=1")
    assert code == 0, err
    assert "skipped needs-decoder-cli: needs decoder" in out
    assert not (tmp_path / "needs-decoder-cli.json").exists() and (tmp_path / "classify.json").is_file()
    code, _, err = run_cli("probe", "--task", "needs-decoder-cli", "--codes", codes_file, "--out", tmp_path)
    assert code == 2 and "needs a decoder" in err


@pytest.mark.slow
def test_train_seeds_then_probe_the_seed_set_summarises_over_seeds(run_cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    code, out, err = run_cli("train", "--preset", "smoke", "--seeds", "1,2", "--epochs", "1", "--out", tmp_path / "runs",
                             "--set", "swap_eval_every=1000", "--device", "cpu", "--no-progress")
    assert code == 0, err
    configs = [json.loads((tmp_path / "runs" / f"seed-{seed}" / "config.json").read_text()) for seed in (1, 2)]
    assert [config["seed"] for config in configs] == [1, 2]
    assert {k: v for k, v in configs[0]["config"].items() if k != "seed"} == {
        k: v for k, v in configs[1]["config"].items() if k != "seed"}
    code, out, err = run_cli("probe", "--task", "classify", "--checkpoint", tmp_path / "runs", "--out", tmp_path / "res",
                             "--device", "cpu")
    assert code == 0, err
    records = [json.loads((tmp_path / "res" / f"seed-{seed}" / "classify.json").read_text()) for seed in (1, 2)]
    assert [record["training"]["seed"] for record in records] == [1, 2]
    assert "over training seeds (95% t-interval over training seeds)" in out
    value = records[1]["metrics"]["acc_motion_from_dynamic"]["value"]
    assert f"2: {value:.3f}" in out


@pytest.mark.parametrize("seeds", ["1,x", "1,1", ""])
def test_bad_seed_lists_are_one_line_errors(run_cli, tmp_path: Path, seeds: str) -> None:
    code, _, err = run_cli("train", "--preset", "smoke", "--seeds", seeds, "--out", tmp_path / "runs")
    assert code == 2 and "--seeds expects" in err and "Traceback" not in err
    assert not (tmp_path / "runs").exists()


def test_probe_all_on_speech_codes_keeps_the_reason_of_a_field_they_lack(run_cli, tmp_path: Path) -> None:
    """A speech code file (utterances, speakers) without per-frame labels: frame-probe says which field it lacks."""
    from cdsvae_eval.codes import CodeSet, FactorMeta, save_codes

    rng = np.random.default_rng(0)
    speakers = np.repeat(np.arange(8), 12)
    names = [f"S{k}" for k in range(8)]
    path = tmp_path / "speech.npz"
    save_codes(CodeSet(static=(rng.normal(size=(8, 6))[speakers] * 3 + rng.normal(size=(96, 6))).astype(np.float32),
                       dynamic=rng.normal(size=(96, 4, 3)).astype(np.float32),
                       labels={"speaker": speakers}, factors={"speaker": FactorMeta("static", names)},
                       utt=np.array([f"{names[s]}/U{k % 4}" for k, s in enumerate(speakers)]),
                       split=np.where(speakers < 4, "train", "test")), path)
    code, out, err = run_cli("probe", "--task", "all", "--codes", path, "--out", tmp_path / "res",
                             "--option", "n_boot=20", "--option", "draws=2", "--option", "seeds=2")
    assert code == 0, err
    assert "speech only" not in out and "frame_y_" in out.replace("\n", "")
    assert (tmp_path / "res" / "speaker-eer.json").is_file()
