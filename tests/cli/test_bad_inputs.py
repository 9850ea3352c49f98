"""Bad input never reaches a traceback: a sweep of bad inputs over every command.

Each case must exit with code 2, print one error line (Click's usage errors keep their Usage/Try
lines and one ``Error:`` line), print no traceback, and leave the input tree byte-identical. The inputs
are built here with numpy and pickle: malformed code files, results files, Sprites copies and TIMIT
trees, files where folders are expected, and folders where files are.

Classes of bad input: out-of-range and wrong-type option values; unknown names (commands, presets,
datasets, tasks, options, config keys, splits); missing required inputs; output paths that are files,
folders or under a file, or inside the data root; existing outputs without --force; missing, truncated
and foreign files; .npz members that are not .npy arrays, object arrays, zero-sized axes, ragged and
misshapen arrays, wrong dtypes, NaN codes, labels out of range, bad metadata; results files with
malformed task or metric blocks; Sprites pickles that are not dicts, lack keys, are ragged or hold
objects; folders that are not datasets.
"""

from __future__ import annotations

import io
import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from cdsvae_eval.config import preset_config

N_ROWS = 20
META = {"factors": {"hair": {"kind": "static", "classes": ["black", "red"]}}}


def _codes(**changes: np.ndarray) -> dict[str, np.ndarray]:
    arrays = {
        "static": np.zeros((N_ROWS, 4), np.float32),
        "dynamic": np.zeros((N_ROWS, 3, 2), np.float32),
        "y_hair": np.arange(N_ROWS) % 2,
        "split": np.array(["train"] * 10 + ["test"] * 10),
        "meta": np.array(json.dumps(META)),
    }
    arrays.update(changes)
    return {key: value for key, value in arrays.items() if value is not None}


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _result(**changes: object) -> dict[str, object]:
    record: dict[str, object] = {
        "schema_version": 1,
        "task": {"name": "classify", "version": "1.0"},
        "metrics": {"acc": {"value": 0.5, "higher_is_better": True}},
    }
    record.update(changes)
    return record


def _write_sprites_npy(folder: Path, count: int) -> None:
    """A complete Sprites npy/ layout with ``count`` all-black sequences per motion and split."""
    folder.mkdir()
    attributes = np.zeros((count, 8, 4, 6), np.float32)
    attributes[..., 0] = 1
    for split in ("train", "test"):
        for motion in ("walk_front", "walk_left", "walk_right", "spellcard_front", "spellcard_left",
                       "spellcard_right", "slash_front", "slash_left", "slash_right"):
            np.save(folder / f"{motion}_frames_{split}.npy", np.zeros((count, 8, 64, 64, 3), np.uint8))
            np.save(folder / f"{motion}_attributes_{split}.npy", attributes)


def _build_inputs(root: Path) -> None:
    (root / "afile").write_text("a file where a folder is expected\n")
    (root / "empty_dir").mkdir()
    (root / "occupied_run").mkdir()
    (root / "occupied_run" / "notes.txt").write_text("mine\n")
    (root / "empty.bin").write_bytes(b"")
    (root / "bad.pt").write_bytes(b"not a torch checkpoint")
    torch.save({"weights": 1}, root / "foreign.pt")
    header = {"format": "cdsvae-eval-checkpoint", "format_version": 1}
    torch.save({**header, "config": {"warp_drive": 1}, "model_state": {}}, root / "unknown_config.pt")
    torch.save(header, root / "no_config.pt")
    broken_run = root / "broken_run"  # the smoke preset's config, and a last.pt that holds no training state
    broken_run.mkdir()
    (broken_run / "config.json").write_text(json.dumps({"config": preset_config("smoke").to_dict()}))
    torch.save(header, broken_run / "last.pt")
    sprites_run = root / "sprites_run"  # a run trained on the Sprites copy below (its checkpoint is never read)
    sprites_run.mkdir()
    (sprites_run / "last.pt").write_bytes(b"never read")
    config = {"config": {"dataset": "sprites", "dataset_options": {"data_root": str(root / "sprites" / "npy")}}}
    (sprites_run / "config.json").write_text(json.dumps(config))

    codes = root / "codes"
    codes.mkdir()
    variants = {
        "good": _codes(),
        "zero_static_dim": _codes(static=np.zeros((N_ROWS, 0), np.float32)),
        "zero_frames": _codes(dynamic=np.zeros((N_ROWS, 0, 2), np.float32)),
        "zero_dynamic_dim": _codes(dynamic=np.zeros((N_ROWS, 3, 0), np.float32)),
        "static_1d": _codes(static=np.zeros(N_ROWS, np.float32)),
        "rows_differ": _codes(dynamic=np.zeros((N_ROWS - 1, 3, 2), np.float32)),
        "static_strings": _codes(static=np.full((N_ROWS, 4), "x")),
        "static_nan": _codes(static=np.full((N_ROWS, 4), np.nan, np.float32)),
        "labels_2d": _codes(y_hair=np.zeros((N_ROWS, 2), np.int64)),
        "labels_float": _codes(y_hair=np.zeros(N_ROWS, np.float32)),
        "labels_out_of_range": _codes(y_hair=np.full(N_ROWS, 7)),
        "labels_undescribed": _codes(y_colour=np.zeros(N_ROWS, np.int64)),
        "meta_not_json": _codes(meta=np.array("{not json")),
        "meta_bad_kind": _codes(meta=np.array(json.dumps({"factors": {"hair": {"kind": "both", "classes": ["a", "b"]}}}))),
        "split_unknown": _codes(split=np.array(["train", "holdout"] * (N_ROWS // 2))),
        "no_static": _codes(static=None),
        "no_meta": _codes(meta=None),
    }
    for name, arrays in variants.items():
        np.savez(codes / f"{name}.npz", **arrays)
    with zipfile.ZipFile(codes / "non_npy_member.npz", "w") as archive:
        archive.writestr("static.npy", b"this member is not an npy array")
        for key, value in _codes().items():
            if key != "static":
                archive.writestr(f"{key}.npy", _npy_bytes(value))
    with zipfile.ZipFile(codes / "object_array.npz", "w") as archive:
        for key, value in _codes().items():
            archive.writestr(f"{key}.npy", _npy_bytes(value))
        buffer = io.BytesIO()
        np.save(buffer, np.array([{"a": 1}] * N_ROWS, dtype=object), allow_pickle=True)
        archive.writestr("utt.npy", buffer.getvalue())
    whole = (codes / "good.npz").read_bytes()
    (codes / "truncated.npz").write_bytes(whole[: len(whole) // 2])
    (codes / "text.npz").write_text("plain text\n")

    results = root / "results"
    results.mkdir()
    records = {
        "good": _result(),
        "task_without_version": _result(task={"name": "classify"}),
        "task_is_a_string": _result(task="classify"),
        "metric_is_a_number": _result(metrics={"acc": 0.5}),
        "metric_without_keys": _result(metrics={"acc": {"value": 0.5}}),
        "metric_value_text": _result(metrics={"acc": {"value": "high", "higher_is_better": True}}),
        "metrics_a_list": _result(metrics=[1, 2]),
        "schema_2": _result(schema_version=2),
        "a_list": [1, 2, 3],
        "few_shot_bad_tables": _result(task={"name": "few-shot", "version": "1.0"}, tables={"curves": "k=1"}),
    }
    for name, record in records.items():
        (results / name / "classify.json").parent.mkdir()
        (results / name / "classify.json").write_text(json.dumps(record))
    (results / "not_json.json").write_text("{ nope")

    sprites = root / "sprites"
    sprites.mkdir()
    keys = [f"{kind}_{split}" for split in ("train", "test") for kind in "XAD"]
    frames = [np.zeros((8, 64, 64, 3), np.float32), np.zeros((7, 64, 64, 3), np.float32)]
    pickles = {
        "ragged": {key: frames if key.startswith("X") else np.zeros((2, 8, 4, 6)) for key in keys},
        "objects": {key: np.array([object()] * 3, dtype=object) for key in keys},
        "misshapen": {key: np.zeros((2, 8, 32, 32, 3)) for key in keys},
        "missing_keys": {"X_train": np.zeros((1, 8, 64, 64, 3))},
        "not_a_dict": [1, 2, 3],
    }
    for name, payload in pickles.items():
        with (sprites / f"{name}.pkl").open("wb") as handle:
            pickle.dump(payload, handle)
    whole = (sprites / "misshapen.pkl").read_bytes()
    (sprites / "truncated.pkl").write_bytes(whole[:1000])
    npy = sprites / "npy"
    npy.mkdir()
    np.save(npy / "walk_front_frames_train.npy", np.zeros((2, 8, 64, 64, 3), np.float32))
    for name, count in (("npy_empty", 0), ("npy_truncated", 1)):
        _write_sprites_npy(sprites / name, count)
    frames_file = sprites / "npy_truncated" / "walk_front_frames_train.npy"
    frames_file.write_bytes(frames_file.read_bytes()[:5000])

    timit = root / "timit"
    (timit / "TRAIN").mkdir(parents=True)
    (root / "timit_empty" / "TRAIN").mkdir(parents=True)
    (root / "timit_empty" / "TEST").mkdir()
    for part, speaker in (("TRAIN", "MABC0"), ("TEST", "FDEF0")):  # every audio file corrupt
        folder = root / "timit_corrupt" / part / "DR1" / speaker
        folder.mkdir(parents=True)
        (folder / "SX1.WAV").write_bytes(b"NIST_1A\n   1024\nnot a header")
        (folder / "SX1.PHN").write_text("0 1600 h#\n")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bad-inputs")
    _build_inputs(root)
    return root


CODES_BAD = [
    "zero_static_dim", "zero_frames", "zero_dynamic_dim", "static_1d", "rows_differ", "static_strings",
    "static_nan", "labels_2d", "labels_float", "labels_out_of_range", "labels_undescribed", "meta_not_json",
    "meta_bad_kind", "split_unknown", "no_static", "no_meta", "non_npy_member", "object_array", "truncated",
    "text",
]
RESULTS_BAD = [
    "task_without_version", "task_is_a_string", "metric_is_a_number", "metric_without_keys", "metric_value_text",
    "metrics_a_list", "schema_2", "a_list",
]
TRAIN = ["train", "--preset", "smoke", "--no-progress"]

CASES: list[tuple[str, list[str]]] = [
    # train: values out of range or of the wrong type, unknown names, paths
    ("train batch-size 0", [*TRAIN, "--batch-size", "0", "--out", "{out}/r"]),
    ("train batch-size 1", [*TRAIN, "--batch-size", "1", "--out", "{out}/r"]),
    ("train lr -1", [*TRAIN, "--lr", "-1", "--out", "{out}/r"]),
    ("train lr 0", [*TRAIN, "--lr", "0", "--out", "{out}/r"]),
    ("train lr nan", [*TRAIN, "--lr", "nan", "--out", "{out}/r"]),
    ("train epochs -1", [*TRAIN, "--epochs", "-1", "--out", "{out}/r"]),
    ("train epochs 0", [*TRAIN, "--epochs", "0", "--out", "{out}/r"]),
    ("train epochs text", [*TRAIN, "--epochs", "many", "--out", "{out}/r"]),
    ("train seed -1", [*TRAIN, "--seed", "-1", "--out", "{out}/r"]),
    ("train device tpu", [*TRAIN, "--device", "tpu", "--out", "{out}/r"]),
    ("train precision fp16", [*TRAIN, "--precision", "fp16", "--out", "{out}/r"]),
    ("train mode fast", [*TRAIN, "--mode", "fast", "--out", "{out}/r"]),
    ("train unknown preset", ["train", "--preset", "huge", "--out", "{out}/r"]),
    ("train unknown dataset", [*TRAIN, "--dataset", "mnist", "--out", "{out}/r"]),
    ("train sprites without data-root", ["train", "--dataset", "sprites", "--out", "{out}/r"]),
    ("train timit without data-root", ["train", "--dataset", "timit", "--out", "{out}/r"]),
    ("train sprites ragged pickle", ["train", "--preset", "paper", "--dataset", "sprites", "--data-root",
                                     "{in}/sprites/ragged.pkl", "--out", "{out}/r", "--no-progress"]),
    ("train out is a file", [*TRAIN, "--out", "{in}/afile"]),
    ("train out under a file", [*TRAIN, "--out", "{in}/afile/run"]),
    ("train out inside the data root", ["train", "--dataset", "sprites", "--data-root", "{in}/sprites/npy",
                                        "--out", "{in}/sprites/npy/run"]),
    ("train existing run without force", [*TRAIN, "--out", "{in}/occupied_run"]),
    ("train resume of a checkpoint without state", [*TRAIN, "--out", "{in}/broken_run", "--resume"]),
    ("train resume without a run", [*TRAIN, "--out", "{in}/empty_dir", "--resume"]),
    ("train set checkpoint_every=0", [*TRAIN, "--set", "checkpoint_every=0", "--out", "{out}/r"]),
    ("train set swap_eval_every=0", [*TRAIN, "--set", "swap_eval_every=0", "--out", "{out}/r"]),
    ("train set swap_eval_pairs=0", [*TRAIN, "--set", "swap_eval_pairs=0", "--out", "{out}/r"]),
    ("train set loss.temperature=0", [*TRAIN, "--set", "loss.temperature=0", "--out", "{out}/r"]),
    ("train set loss.kl_static=-1", [*TRAIN, "--set", "loss.kl_static=-1", "--out", "{out}/r"]),
    ("train set loss.recon=l2", [*TRAIN, "--set", "loss.recon=l2", "--out", "{out}/r"]),
    ("train set model.static_dim=0", [*TRAIN, "--set", "model.static_dim=0", "--out", "{out}/r"]),
    ("train set model.conv_channels=0", [*TRAIN, "--set", "model.conv_channels=0", "--out", "{out}/r"]),
    ("train set select_by=best", [*TRAIN, "--set", "select_by=best", "--out", "{out}/r"]),
    ("train set unknown key", [*TRAIN, "--set", "warp_drive=1", "--out", "{out}/r"]),
    ("train set unknown section", [*TRAIN, "--set", "optimiser.beta=1", "--out", "{out}/r"]),
    ("train set a whole section", [*TRAIN, "--set", "loss=3", "--out", "{out}/r"]),
    ("train set below a field", [*TRAIN, "--set", "model.frames.x=1", "--out", "{out}/r"]),
    ("train set without =", [*TRAIN, "--set", "epochs", "--out", "{out}/r"]),
    ("train set epochs text", [*TRAIN, "--set", "epochs=lots", "--out", "{out}/r"]),
    ("train set unknown dataset option", [*TRAIN, "--set", "dataset_options.colour=1", "--out", "{out}/r"]),
    ("train set resolution 7", [*TRAIN, "--set", "dataset_options.resolution=7", "--out", "{out}/r"]),
    # probe
    ("probe without codes or checkpoint", ["probe", "--task", "classify"]),
    ("probe with codes and checkpoint", ["probe", "--task", "classify", "--codes", "{in}/codes/good.npz",
                                         "--checkpoint", "{in}/empty_dir"]),
    ("probe unknown task", ["probe", "--task", "nope", "--codes", "{in}/codes/good.npz"]),
    ("probe missing codes", ["probe", "--task", "classify", "--codes", "{in}/codes/none.npz", "--out", "{out}/p"]),
    *[(f"probe codes {name}", ["probe", "--task", "classify", "--codes", f"{{in}}/codes/{name}.npz",
                                "--out", "{out}/p"]) for name in CODES_BAD],
    ("probe out is a file", ["probe", "--task", "classify", "--codes", "{in}/codes/good.npz", "--out", "{in}/afile"]),
    ("probe out under a file", ["probe", "--task", "all", "--codes", "{in}/codes/good.npz", "--out", "{in}/afile/r"]),
    ("probe option without =", ["probe", "--task", "classify", "--codes", "{in}/codes/good.npz", "--option", "x"]),
    ("probe unknown option", ["probe", "--task", "classify", "--codes", "{in}/codes/good.npz", "--option", "x=1"]),
    ("probe option of the wrong type", ["probe", "--task", "few-shot", "--codes", "{in}/codes/good.npz",
                                        "--option", "seeds=many", "--out", "{out}/p"]),
    ("probe both baselines", ["probe", "--task", "classify", "--codes", "{in}/codes/good.npz",
                              "--baseline-codes", "{in}/codes/good.npz", "--random-baseline"]),
    ("probe random baseline with codes", ["probe", "--task", "classify", "--codes", "{in}/codes/good.npz",
                                          "--random-baseline", "--out", "{out}/p"]),
    ("probe checkpoint without checkpoints", ["probe", "--task", "classify", "--checkpoint", "{in}/empty_dir",
                                              "--device", "cpu", "--out", "{out}/p"]),
    ("probe corrupt checkpoint", ["probe", "--task", "classify", "--checkpoint", "{in}/bad.pt", "--device", "cpu",
                                  "--out", "{out}/p"]),
    ("probe out inside the run's data root", ["probe", "--task", "classify", "--checkpoint", "{in}/sprites_run",
                                              "--out", "{in}/sprites/npy/results"]),
    ("probe seed -1", ["probe", "--task", "classify", "--codes", "{in}/codes/good.npz", "--seed", "-1",
                       "--out", "{out}/p"]),
    ("probe device tpu", ["probe", "--task", "classify", "--codes", "{in}/codes/good.npz", "--device", "tpu",
                          "--out", "{out}/p"]),
    ("probe seed text", ["probe", "--task", "classify", "--codes", "{in}/codes/good.npz", "--seed", "x"]),
    # codes
    ("codes extract out under a file", ["codes", "extract", "--checkpoint", "{in}/bad.pt", "--out", "{in}/afile/c.npz"]),
    ("codes extract out is a folder", ["codes", "extract", "--checkpoint", "{in}/bad.pt", "--out", "{in}/empty_dir"]),
    ("codes extract out inside the run's data root", ["codes", "extract", "--checkpoint", "{in}/sprites_run",
                                                      "--out", "{in}/sprites/npy/codes.npz"]),
    ("codes extract missing checkpoint", ["codes", "extract", "--checkpoint", "{in}/none", "--out", "{out}/c.npz"]),
    ("codes extract corrupt checkpoint", ["codes", "extract", "--checkpoint", "{in}/bad.pt", "--device", "cpu",
                                          "--out", "{out}/c.npz"]),
    *[(f"codes extract {name} checkpoint", ["codes", "extract", "--checkpoint", f"{{in}}/{name}.pt", "--device", "cpu",
                                            "--out", "{out}/c.npz"]) for name in ("foreign", "unknown_config", "no_config")],
    ("codes extract unknown split", ["codes", "extract", "--checkpoint", "{in}/bad.pt", "--split", "val",
                                     "--out", "{out}/c.npz"]),
    ("codes info missing", ["codes", "info", "{in}/codes/none.npz"]),
    ("codes info a folder", ["codes", "info", "{in}/empty_dir"]),
    ("codes info empty file", ["codes", "info", "{in}/empty.bin"]),
    *[(f"codes info {name}", ["codes", "info", f"{{in}}/codes/{name}.npz"]) for name in CODES_BAD[::3]],
    # data
    ("data info unknown dataset", ["data", "info", "mnist"]),
    ("data info sprites without data-root", ["data", "info", "sprites"]),
    ("data info sprites missing root", ["data", "info", "sprites", "--data-root", "{in}/none"]),
    ("data info sprites empty folder", ["data", "info", "sprites", "--data-root", "{in}/empty_dir"]),
    ("data info sprites incomplete npy", ["data", "info", "sprites", "--data-root", "{in}/sprites/npy"]),
    *[(f"data info sprites {name}.pkl", ["data", "info", "sprites", "--data-root", f"{{in}}/sprites/{name}.pkl"])
      for name in ("ragged", "objects", "misshapen", "missing_keys", "not_a_dict", "truncated")],
    ("data info sprites npy without sequences", ["data", "info", "sprites", "--data-root", "{in}/sprites/npy_empty"]),
    ("data info sprites truncated npy", ["data", "info", "sprites", "--data-root", "{in}/sprites/npy_truncated"]),
    ("train sprites truncated npy", ["train", "--preset", "paper", "--dataset", "sprites", "--data-root",
                                     "{in}/sprites/npy_truncated", "--out", "{out}/r", "--no-progress"]),
    ("data info sprites max-per-motion 0", ["data", "info", "sprites", "--data-root", "{in}/sprites/npy",
                                            "--max-per-motion", "0"]),
    ("data info timit only TRAIN", ["data", "info", "timit", "--data-root", "{in}/timit"]),
    ("data info timit no utterances", ["data", "info", "timit", "--data-root", "{in}/timit_empty"]),
    ("data info timit no readable audio", ["data", "info", "timit", "--data-root", "{in}/timit_corrupt"]),
    ("data info timit a file", ["data", "info", "timit", "--data-root", "{in}/afile"]),
    ("data info flare-sprites resolution 7", ["data", "info", "flare-sprites", "--resolution", "7"]),
    ("data info flare-sprites max-characters 0", ["data", "info", "flare-sprites", "--max-characters", "0"]),
    ("data info flare-sprites max-per-motion", ["data", "info", "flare-sprites", "--max-per-motion", "2"]),
    ("data show out under a file", ["data", "show", "flare-sprites", "--out", "{in}/afile/grid.png"]),
    ("data show out is a folder", ["data", "show", "flare-sprites", "--out", "{in}/empty_dir"]),
    ("data show existing out", ["data", "show", "flare-sprites", "--out", "{in}/afile"]),
    ("data show seed -1", ["data", "show", "flare-sprites", "--seed", "-1", "--out", "{out}/g.png"]),
    ("data show rows 0", ["data", "show", "flare-sprites", "--rows", "0", "--out", "{out}/g.png"]),
    ("data list extra argument", ["data", "list", "extra"]),
    ("data unknown command", ["data", "shuffle"]),
    ("synth-speech out under a file", ["data", "synth-speech", "--out", "{in}/afile/corpus"]),
    ("synth-speech out is a file", ["data", "synth-speech", "--out", "{in}/afile"]),
    ("synth-speech speakers 0", ["data", "synth-speech", "--out", "{out}/corpus", "--speakers", "0"]),
    ("synth-speech sentences 0", ["data", "synth-speech", "--out", "{out}/corpus", "--sentences", "0"]),
    ("synth-speech non-empty out", ["data", "synth-speech", "--out", "{in}/occupied_run"]),
    # sample
    ("sample count 0", ["sample", "--checkpoint", "{in}/bad.pt", "--out", "{out}/s.png", "--count", "0"]),
    ("sample count -2", ["sample", "--checkpoint", "{in}/bad.pt", "--out", "{out}/s.png", "--count", "-2"]),
    ("sample out under a file", ["sample", "--checkpoint", "{in}/bad.pt", "--out", "{in}/afile/s.png"]),
    ("sample existing out", ["sample", "--checkpoint", "{in}/bad.pt", "--out", "{in}/afile"]),
    ("sample out inside the run's data root", ["sample", "--checkpoint", "{in}/sprites_run",
                                               "--out", "{in}/sprites/npy/swaps.png"]),
    ("sample seed -1", ["sample", "--checkpoint", "{in}/bad.pt", "--out", "{out}/s.png", "--seed", "-1"]),
    ("sample missing checkpoint", ["sample", "--checkpoint", "{in}/none", "--out", "{out}/s.png"]),
    ("sample corrupt checkpoint", ["sample", "--checkpoint", "{in}/bad.pt", "--out", "{out}/s.png", "--device", "cpu"]),
    # judge
    ("judge train out under a file", ["judge", "train", "--out", "{in}/afile/j.pt"]),
    ("judge train out is a folder", ["judge", "train", "--out", "{in}/empty_dir"]),
    ("judge train unknown dataset", ["judge", "train", "--dataset", "mnist", "--out", "{out}/j.pt"]),
    ("judge info missing", ["judge", "info", "{in}/none.pt"]),
    ("judge info corrupt", ["judge", "info", "{in}/bad.pt"]),
    # report
    ("report missing file", ["report", "{in}/results/none.json"]),
    ("report not JSON", ["report", "{in}/results/not_json.json"]),
    *[(f"report {name}", ["report", f"{{in}}/results/{name}/classify.json"]) for name in RESULTS_BAD],
    ("report csv under a file", ["report", "{in}/results/good/classify.json", "--csv", "{in}/afile/all.csv"]),
    ("report plot of a malformed few-shot table", ["report", "{in}/results/few_shot_bad_tables/classify.json",
                                                   "--plot", "{out}/f.png"]),
    ("report plot without few-shot", ["report", "{in}/results/good/classify.json", "--plot", "{out}/f.png"]),
    ("report without files", ["report"]),
    # tasks and the top level
    ("tasks unknown command", ["tasks", "show"]),
    ("tasks list unknown flag", ["tasks", "list", "--all"]),
    ("unknown command", ["evaluate"]),
]


def _error_lines(err: str) -> list[str]:
    """The lines that state an error: all of them, except Click's usage preamble."""
    lines = [line for line in err.splitlines() if line.strip()]
    if lines and lines[0].startswith("Usage:"):
        return [line for line in lines if not line.startswith(("Usage:", "Try "))]
    return lines


def test_the_sweep_is_large_and_names_are_unique() -> None:
    names = [name for name, _ in CASES]
    assert len(names) >= 60 and len(set(names)) == len(names)


@pytest.mark.parametrize("args", [args for _, args in CASES], ids=[name for name, _ in CASES])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    args: list[str], inputs: Path, tmp_path: Path, run_cli, tree_digest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # default output folders (runs/, results/) land here, not in the repo
    out = tmp_path / "out"
    before = tree_digest(inputs)
    code, stdout, err = run_cli(*(arg.replace("{in}", str(inputs)).replace("{out}", str(out)) for arg in args))
    assert "Traceback" not in stdout + err
    assert code == 2, f"exit {code}\n{stdout}\n{err}"
    lines = _error_lines(err)
    assert len(lines) == 1 and lines[0].lower().startswith("error:"), err
    assert tree_digest(inputs) == before
    assert not (out / "r").exists() and not (out / "p").exists()
