"""A run is read once: ``inputs_from_checkpoint`` reads its checkpoint and builds its dataset once for the
codes, the random-init baseline, the decoder and the dataset; a code-cache hit builds no model and loads no
split."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import torch

from cdsvae_eval.codes import codes_for_checkpoint
from cdsvae_eval.data.flare_sprites import FlareSprites
from cdsvae_eval.evaluate import inputs_from_checkpoint
from cdsvae_eval.models.core import CDSVAE


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """Counts checkpoint reads (torch.load), models built, datasets built and dataset splits loaded."""
    counts: Counter = Counter()

    def counted(key: str, function):
        def wrapper(*args, **kwargs):
            counts[key] += 1
            return function(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(torch, "load", counted("checkpoint reads", torch.load))
    monkeypatch.setattr(CDSVAE, "__init__", counted("models built", CDSVAE.__init__))
    monkeypatch.setattr(FlareSprites, "__init__", counted("datasets built", FlareSprites.__init__))
    monkeypatch.setattr(FlareSprites, "_load_split", counted("splits loaded", FlareSprites._load_split))
    return counts


def test_inputs_with_a_random_baseline_read_the_checkpoint_and_build_the_dataset_once(untrained_run: Path,
                                                                                      loads: Counter) -> None:
    inputs = inputs_from_checkpoint(untrained_run, device="cpu", random_baseline=True)
    assert inputs.decoder is not None and inputs.dataset is not None and inputs.baseline_codes is not None
    # one trained model (shared by the codes and the decoder) and one random-init model for the baseline
    assert (loads["checkpoint reads"], loads["datasets built"], loads["models built"]) == (1, 1, 2)
    assert loads["splits loaded"] == len(inputs.dataset.split_names)


def test_a_code_cache_hit_builds_no_model_and_loads_no_split(untrained_run: Path, loads: Counter) -> None:
    first = codes_for_checkpoint(untrained_run)
    loads.clear()
    again = codes_for_checkpoint(untrained_run)
    assert again.meta["cache_key"] == first.meta["cache_key"] and len(again) == len(first)
    assert (loads["checkpoint reads"], loads["datasets built"]) == (1, 1)
    assert loads["models built"] == 0 and loads["splits loaded"] == 0

    loads.clear()
    inputs = inputs_from_checkpoint(untrained_run, device="cpu", with_model=False)
    assert inputs.decoder is None and inputs.dataset is None
    assert (loads["checkpoint reads"], loads["datasets built"], loads["models built"], loads["splits loaded"]) == (
        1, 1, 0, 0)
