"""Entry point for the 2-process DDP test: `torchrun --nproc-per-node 2 ddp_worker.py RUN_DIR`."""

import sys

import toy_video  # noqa: F401
from cdsvae_eval.config import apply_overrides, preset_config
from cdsvae_eval.training.trainer import train

config = preset_config("smoke")
config.dataset = "toy-video"
config.dataset_options = {"resolution": 16}
config = apply_overrides(config, {"epochs": 2, "batch_size": 8, "device": "cpu"})
train(config, sys.argv[1], progress=False)
