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


def test_the_speech_tasks_mfcc_baseline_reads_the_run_s_corpus_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                    run_cli) -> None:
    from formant_synth import write_formant_timit

    from cdsvae_eval.config import preset_config
    from cdsvae_eval.data.timit import TimitCorpus
    from cdsvae_eval.models.checkpoint import save_checkpoint
    from cdsvae_eval.models.factory import build_model

    root = write_formant_timit(tmp_path / "TIMIT", speakers_per_split={"TRAIN": 2, "TEST": 2}, sentences=2, core=True)
    config = preset_config("smoke", "audio")
    config.dataset, config.dataset_options = "timit", {"data_root": str(root)}
    run = tmp_path / "speech-run"
    run.mkdir()
    torch.manual_seed(0)
    save_checkpoint(run / "best.pt", {"config": config.to_dict(), "model_state": build_model(config.model).state_dict(),
                                      "epoch": 1, "best_score": 0.0})
    corpora: list[str] = []
    original_init = TimitCorpus.__init__
    monkeypatch.setattr(TimitCorpus, "__init__", lambda self, *args, **kwargs: corpora.append(str(args[0])) or
                        original_init(self, *args, **kwargs))
    code, _, err = run_cli("probe", "--task", "speaker-eer,speaker-few-shot", "--checkpoint", run,
                           "--out", tmp_path / "probes", "--option", "baseline=mfcc", "--option", "backend=all")
    assert code == 0, err
    # one corpus for the codes, both tasks' MFCC baselines and the back-ends' training utterances
    assert corpora == [str(root)]
