"""How best.pt is chosen: one rule (models.selection) used by the trainer, summary.json and provenance; speech
runs log a validation EER of both codes; validation figures a small split cannot support are skipped with a note."""

import json
from pathlib import Path

import pytest

import toy_video  # noqa: F401  (registers toy-video and toy-expressions)
from cdsvae_eval.config import apply_overrides, preset_config
from cdsvae_eval.data.registry import get_dataset
from cdsvae_eval.models.checkpoint_provenance import checkpoint_provenance
from cdsvae_eval.models.selection import SelectionRule, selection_rule
from cdsvae_eval.training.trainer import train
from formant_synth import write_formant_timit


def toy_config(dataset: str = "toy-video", **overrides):
    config = preset_config("smoke")
    config.dataset = dataset
    config.dataset_options = {"resolution": 16}
    return apply_overrides(config, {"epochs": 2, "batch_size": 16, **overrides})


def test_data_without_a_motion_factor_records_the_lowest_validation_loss(tmp_path):
    summary = train(toy_config("toy-expressions"), tmp_path / "run", progress=False)
    recorded = json.loads((tmp_path / "run" / "summary.json").read_text())["selection"]
    assert recorded.startswith("lowest validation loss on 'val'") and "no dynamic 'motion' factor" in recorded
    assert summary.selection == recorded
    assert checkpoint_provenance(tmp_path / "run")["selection_rule"] == recorded
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    best = min(log, key=lambda record: record["val"]["loss"])
    assert summary.best_epoch == best["epoch"] and "swap" not in log[-1]


def test_swap_selection_is_recorded_identically_by_the_summary_and_the_provenance(tmp_path):
    train(toy_config(), tmp_path / "run", progress=False)
    recorded = json.loads((tmp_path / "run" / "summary.json").read_text())["selection"]
    assert recorded.startswith("highest min over the motion and identity swaps")
    assert checkpoint_provenance(tmp_path / "run")["selection_rule"] == recorded


def test_speaker_rule_charges_leakage_below_the_bar():
    rule = SelectionRule("speaker-eer", "")
    clean = {"speaker": {"eer_static": 8.0, "eer_dynamic": 35.0}}
    leaky = {"speaker": {"eer_static": 6.0, "eer_dynamic": 25.0}}
    assert rule.score(clean) == -8.0 and rule.score(leaky) == -11.0
    assert rule.score({"val": {"loss": 1.0}}) is None


def test_speaker_rule_also_charges_linear_leakage_below_the_lda_bar():
    rule = SelectionRule("speaker-eer", "")
    cosine_clean_lda_leaky = {"speaker": {"eer_static": 3.0, "eer_dynamic": 40.0, "eer_dynamic_lda": 5.0}}
    both_clean = {"speaker": {"eer_static": 4.0, "eer_dynamic": 31.0, "eer_dynamic_lda": 22.0}}
    assert rule.score(cosine_clean_lda_leaky) == -18.0 and rule.score(both_clean) == -4.0


@pytest.fixture(scope="module")
def timit_trees(tmp_path_factory):
    """Formant-synthesised TIMIT trees whose dev split (standard dev speakers in TEST) holds 1 or 2 speakers."""
    roots = {}
    for dev in (1, 2):
        roots[dev] = write_formant_timit(tmp_path_factory.mktemp(f"timit-dev{dev}") / "TIMIT",
                                         speakers_per_split={"TRAIN": 4, "TEST": dev}, sentences=3, core=True)
    return roots


def audio_config(root: Path, **overrides):
    config = preset_config("smoke", "audio")
    config.dataset = "timit"
    config.dataset_options = {"data_root": str(root)}
    return apply_overrides(config, {"epochs": 2, "batch_size": 16, "device": "cpu", "select_by": "speaker-eer",
                                    "swap_eval_every": 1, **overrides})


def test_a_one_speaker_dev_split_trains_to_the_end_with_notes(timit_trees, tmp_path):
    config = audio_config(timit_trees[1], **{"loss.content_view": "utterance",
                                             "loss.static_negatives": "other-utterances"})
    summary = train(config, tmp_path / "run", progress=False)
    assert summary.epochs_done == 2 and summary.best_epoch is not None
    assert summary.selection.startswith("lowest validation loss on 'dev' (select_by=speaker-eer, but 'dev' has 1")
    assert any(note.startswith("validation EER skipped: split 'dev' has 1 speaker") for note in summary.notes)
    assert any(note.startswith("validation sample probes skipped") for note in summary.notes)
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert len(log[0]["notes"]) == 2 and "notes" not in log[1]  # each note once
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["notes"] == summary.notes


def test_speech_runs_log_a_validation_eer_and_choose_best_pt_by_it(timit_trees, tmp_path):
    summary = train(audio_config(timit_trees[2]), tmp_path / "run", progress=False)
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    for record in log:
        assert 0.0 <= record["speaker"]["eer_static"] <= 100.0 and record["speaker"]["speakers"] == 2
        assert 0.0 <= record["speaker"]["eer_dynamic_lda"] <= 100.0
    scores = {r["epoch"]: -(r["speaker"]["eer_static"] + max(0.0, 30.0 - r["speaker"]["eer_dynamic"])
                            + max(0.0, 20.0 - r["speaker"]["eer_dynamic_lda"])) for r in log}
    assert summary.best_epoch == max(scores, key=scores.get)
    assert summary.selection.startswith("lowest validation EER of z_s plus the shortfalls of mean z_1:T's EER below "
                                        "30% under cosine and below 20% under an LDA")
    dataset = get_dataset("timit", data_root=str(timit_trees[2]))
    assert selection_rule(audio_config(timit_trees[2]), dataset).description == summary.selection


@pytest.mark.parametrize("dev", [1, 2])
def test_train_prints_the_validation_eers_or_the_notes_through_a_pipe(timit_trees, tmp_path, run_cli, dev):
    code, out, err = run_cli("train", "--preset", "smoke", "--dataset", "timit", "--data-root", timit_trees[dev],
                             "--epochs", "2", "--batch-size", "16", "--device", "cpu", "--out", tmp_path / "run",
                             "--no-progress", "--set", "swap_eval_every=1")
    assert code == 0, err
    out = " ".join(out.split())
    assert "best.pt: lowest validation" in out
    if dev == 2:
        assert out.count("| val EER z_s ") == 2 and "validation split, best epoch" in out
    else:
        assert "note: validation EER skipped: split 'dev' has 1 speaker" in out
        assert "val EER" not in out
