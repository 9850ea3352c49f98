"""A code file made without cdsvae_eval, as a third party would write one (shared by CLI and API tests)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def write_third_party_codes(path: Path, with_speaker: bool = False) -> Path:
    """A code file made without cdsvae_eval, following the documented exchange format."""
    rng = np.random.default_rng(0)
    n = 150
    hair = np.arange(n) % 3
    gesture = rng.permutation(np.arange(n) % 2)
    meta = {
        "factors": {
            "hair": {"kind": "static", "classes": ["black", "blond", "red"]},
            "gesture": {"kind": "dynamic", "classes": ["wave", "nod"]},
        },
        "source": "my own encoder",
    }
    arrays = {
        "static": (rng.normal(size=(3, 8))[hair] * 3 + rng.normal(size=(n, 8))).astype(np.float32),
        "dynamic": (rng.normal(size=(2, 12))[gesture] * 3 + rng.normal(size=(n, 12))).reshape(n, 4, 3).astype(np.float32),
        "y_hair": hair,
        "y_gesture": gesture,
        "split": np.array(["train"] * 100 + ["test"] * 50),
        "meta": np.array(json.dumps(meta)),
    }
    np.savez(path, **arrays)
    return path
