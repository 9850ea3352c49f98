import json
import os
import subprocess
import sys
from pathlib import Path

import torch

HERE = Path(__file__).parent


def test_two_process_gloo_ddp_trains_and_only_rank0_writes(tmp_path):
    run = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
         str(HERE / "ddp_worker.py"), str(run)],
        capture_output=True, text=True, env=env, timeout=240,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    saved = json.loads((run / "config.json").read_text())
    assert saved["world_size"] == 2
    log = (run / "log.jsonl").read_text().splitlines()
    assert len(log) == 2, "each epoch must be logged once, by rank 0 only"
    state = torch.load(run / "last.pt", weights_only=False)
    assert state["epoch"] == 2
    leftovers = [p.name for p in run.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
    # rank 1 renames nothing into place; rank 0 writes one summary and one picture, with the whole history
    assert not (tmp_path / "writes-1.txt").exists()
    written = (tmp_path / "writes-0.txt").read_text().split()
    assert written.count("summary.json") == 1 and written.count("curves.png") == 1
    summary = json.loads((run / "summary.json").read_text())
    assert summary["epochs_done"] == 2 and summary["final_train"]
