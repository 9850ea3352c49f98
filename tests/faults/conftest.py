"""Fault tests train on the trainer tests' toy dataset: its module is imported from tests/training."""

from __future__ import annotations

import sys
from pathlib import Path

TRAINING_TESTS = Path(__file__).resolve().parent.parent / "training"
if str(TRAINING_TESTS) not in sys.path:
    sys.path.insert(0, str(TRAINING_TESTS))
