"""Every random number generator a run draws from, seeded from the config and captured into checkpoints, so a
resumed run continues the same streams (mid-epoch too)."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch


def seed_everything(seed: int) -> None:
    """Seed Python's, numpy's and torch's global generators (model initialisation draws from them)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def capture_rng_state(device: torch.device, data: torch.Generator, augment: torch.Generator) -> dict[str, Any]:
    """The global generators' states and the run's own data-order and augmentation generators'."""
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if device.type == "cuda" else None,
        "numpy": np.random.get_state(),
        "python": random.getstate(),
        "data": data.get_state(),
        "augment": augment.get_state(),
    }


def restore_rng_state(state: dict[str, Any], device: torch.device, data: torch.Generator,
                      augment: torch.Generator) -> None:
    """Put back what :func:`capture_rng_state` captured."""
    torch.set_rng_state(state["torch"])
    if state.get("cuda") is not None and device.type == "cuda":
        torch.cuda.set_rng_state_all(state["cuda"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
    data.set_state(state["data"])
    augment.set_state(state["augment"])
