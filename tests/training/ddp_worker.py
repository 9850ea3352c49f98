"""Entry point for the 2-process DDP test: `torchrun --nproc-per-node 2 ddp_worker.py RUN_DIR`.

Runs `cdsvae-eval train` (the CLI, which also draws curves.png) on the toy dataset, and records every file
this rank renames into place (all of the package's writes are atomic renames) in RUN_DIR/../writes-<rank>.txt."""

import os
import sys
from pathlib import Path

import toy_video  # noqa: F401
from cdsvae_eval.cli import main

run = Path(sys.argv[1])
record = run.parent / f"writes-{os.environ['RANK']}.txt"
replace = os.replace


def recording_replace(source, target, *args, **kwargs):
    with open(record, "a", encoding="utf-8") as log:
        log.write(f"{Path(target).name}\n")
    return replace(source, target, *args, **kwargs)


os.replace = recording_replace
try:
    main(["train", "--preset", "smoke", "--dataset", "toy-video", "--set", "dataset_options.resolution=16",
          "--epochs", "2", "--batch-size", "8", "--device", "cpu", "--out", str(run), "--no-progress"])
except SystemExit as stop:
    if stop.code:
        raise
