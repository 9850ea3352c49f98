"""One writer per folder: a second train, probe, codes extract or report on the same output exits 2 naming the
folder and the holder's PID; two processes filling one code-cache entry extract it once; a holder killed with
-9 blocks nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import toy_video  # noqa: F401  (registers the toy-video dataset)
from cdsvae_eval.codes import codes_for_checkpoint, save_codes
from cdsvae_eval.errors import CdsvaeError
from cdsvae_eval.folder_lock import FolderBusy, folder_lock
from disk_full import TRAIN_ARGS
from race import CONTEXT, cli_exit, race


def busy_line(target: Path, pid: int) -> str:
    return (f"error: {target} is in use by another cdsvae-eval process (PID {pid}); wait for it to finish or "
            "choose another output")


@pytest.fixture
def codes_file(tmp_path, disentangled_codes) -> Path:
    path = tmp_path / "codes.npz"
    save_codes(disentangled_codes(), path)
    return path


def test_a_held_folder_refuses_every_writing_command_naming_the_holder(tmp_path, run_cli, codes_file, untrained_run):
    outputs = {
        "train": (tmp_path / "run", (*TRAIN_ARGS, "--out", tmp_path / "run")),
        "probe": (tmp_path / "results", ("probe", "--task", "classify", "--codes", codes_file,
                                         "--out", tmp_path / "results")),
        "codes extract": (tmp_path / "out.npz", ("codes", "extract", "--checkpoint", untrained_run,
                                                 "--out", tmp_path / "out.npz", "--device", "cpu")),
        "report": (tmp_path / "table.csv", ("report", codes_file, "--csv", tmp_path / "table.csv")),
    }
    for command, (target, args) in outputs.items():
        with folder_lock(target):
            code, _, err = run_cli(*args)
        assert code == 2, (command, err)
        assert err.strip() == busy_line(target, os.getpid()), command
        assert not target.exists(), command


def _train(run: Path) -> tuple[int, str]:
    return cli_exit(*TRAIN_ARGS, "--epochs", "1", "--out", str(run))


def test_two_trains_started_together_on_one_folder_one_runs_the_other_is_refused(tmp_path):
    for attempt in range(2):
        run = tmp_path / f"run-{attempt}"
        results = race(_train, (run,), (run,))
        codes = sorted(code for code, _ in results)
        assert codes == [0, 2], results
        refused = next(line for code, line in results if code == 2)
        assert refused.startswith(f"error: {run} is in use by another cdsvae-eval process (PID "), refused
        assert [json.loads(line)["epoch"] for line in (run / "log.jsonl").read_text().splitlines()] == [1]


def _probe(codes: Path, out: Path) -> tuple[int, str]:
    return cli_exit("probe", "--task", "classify", "--codes", str(codes), "--out", str(out))


def test_two_probes_started_together_into_one_folder_write_it_once(tmp_path, codes_file):
    for attempt in range(2):
        out = tmp_path / f"results-{attempt}"
        results = race(_probe, (codes_file, out), (codes_file, out))
        assert sorted(code for code, _ in results) == [0, 2], results
        assert [path.name for path in out.iterdir()] == ["classify.json"]


def _cached_codes(run: Path, extracted: object) -> tuple[int, int]:
    import cdsvae_eval.codes as codes_module

    extract = codes_module.extract_codes

    def counting(*args, **kwargs):
        with extracted.get_lock():
            extracted.value += 1
        return extract(*args, **kwargs)

    codes_module.extract_codes = counting
    codes = codes_for_checkpoint(run)
    return len(codes), int(codes.static.sum() * 1000)


def test_two_processes_filling_one_code_cache_entry_extract_it_once_and_read_the_same(untrained_run):
    extracted = CONTEXT.Value("i", 0)
    first, second = race(_cached_codes, (untrained_run, extracted), (untrained_run, extracted))
    assert first == second
    assert extracted.value == 1


def test_a_lock_whose_holder_was_killed_with_sigkill_blocks_nothing(tmp_path, run_cli, codes_file):
    out = tmp_path / "results"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom cdsvae_eval.folder_lock import folder_lock\n"
         f"with folder_lock({str(out)!r}):\n    print('held', flush=True)\n    time.sleep(600)"],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])})
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(FolderBusy, match=f"PID {holder.pid}"), folder_lock(out):
        pass
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    code, _, err = run_cli("probe", "--task", "classify", "--codes", codes_file, "--out", out)
    assert code == 0, err
    assert (out / "classify.json").is_file()


def test_folder_busy_is_a_user_facing_error():
    assert issubclass(FolderBusy, CdsvaeError) and FolderBusy.exit_code == 2
