"""Shared fixtures: an isolated cache per test, tiny Sprites copies in both layouts, the cuda marker,
and helpers several test modules use (CLI runner, folder digest, synthetic codes, a trained smoke run)."""

from __future__ import annotations

import functools
import hashlib
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

if TYPE_CHECKING:
    from cdsvae_eval.codes import CodeSet

SPRITES_ACTIONS = ("walk", "spellcard", "slash")
SPRITES_DIRECTIONS = ("front", "left", "right")
# (body, bottom, top, hair) of each character, in file order; the same characters appear in every motion.
SPRITES_CHARACTERS = {
    "train": ((0, 0, 0, 0), (1, 2, 3, 4), (5, 5, 5, 5), (2, 0, 4, 1), (3, 1, 0, 5), (4, 3, 2, 0)),
    "test": ((0, 1, 2, 3), (5, 4, 3, 2)),
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    cuda_items = [item for item in items if item.get_closest_marker("cuda")]
    if not cuda_items:
        return
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in cuda_items:
        item.add_marker(skip)


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path_factory.mktemp("cdsvae-cache")
    monkeypatch.setenv("CDSVAE_EVAL_CACHE", str(cache))
    return cache


@pytest.fixture
def sprites_characters() -> dict[str, tuple[tuple[int, int, int, int], ...]]:
    return SPRITES_CHARACTERS


@functools.cache
def sprites_motion_arrays(split: str, motion: int) -> tuple[np.ndarray, np.ndarray]:
    """Frames float32 (N, 8, 64, 64, 3) in [0, 1) and one-hot attributes (N, 8, 4, 6) of one motion file."""
    characters = np.array(SPRITES_CHARACTERS[split])
    codes = characters @ np.array([216, 36, 6, 1])
    n = len(characters)
    t, y, x, c = np.ogrid[:8, :64, :64, :3]
    pattern = codes[:, None, None, None, None] * 7 + motion * 31 + t * 3 + y + 2 * x + 5 * c
    frames = ((pattern % 64) / 64.0).astype(np.float32)
    attributes = np.zeros((n, 8, 4, 6), dtype=np.float32)
    attributes[np.arange(n)[:, None], :, np.arange(4)[None, :], characters] = 1.0
    frames.setflags(write=False)
    attributes.setflags(write=False)
    return frames, attributes


def _motion_names() -> list[str]:
    return [f"{action}_{direction}" for action in SPRITES_ACTIONS for direction in SPRITES_DIRECTIONS]


@pytest.fixture
def sprites_npy_root(tmp_path: Path) -> Path:
    """A tiny Sprites ``npy/`` folder (6 train and 2 test characters in all 9 motions)."""
    root = tmp_path / "sprites" / "npy"
    root.mkdir(parents=True)
    for split in ("train", "test"):
        for motion, stem in enumerate(_motion_names()):
            frames, attributes = sprites_motion_arrays(split, motion)
            np.save(root / f"{stem}_frames_{split}.npy", frames)
            np.save(root / f"{stem}_attributes_{split}.npy", attributes)
    # The real set ships a directions file whose test copy was saved under the train name: never read.
    np.save(root / "walk_front_directions_train.npy", np.zeros((3, 8, 3), dtype=np.float32))
    return root


@pytest.fixture
def sprites_pkl_path(tmp_path: Path) -> Path:
    """The same tiny Sprites as ``sprites_npy_root``, as a C-DSVAE ``data.pkl``."""
    payload: dict[str, np.ndarray] = {}
    for split in ("train", "test"):
        per_motion = [sprites_motion_arrays(split, motion) for motion in range(9)]
        payload[f"X_{split}"] = np.concatenate([frames for frames, _ in per_motion])
        payload[f"A_{split}"] = np.concatenate([attributes for _, attributes in per_motion])
        motions = np.zeros((len(payload[f"X_{split}"]), 8, 9), dtype=np.float32)
        per_file = len(per_motion[0][0])
        motions[np.arange(len(motions)), :, np.arange(len(motions)) // per_file] = 1.0
        payload[f"D_{split}"] = motions
        payload[f"c_augs_{split}"] = np.zeros((2, 1, 8, 4, 4, 3), dtype=np.float32)
    path = tmp_path / "sprites_release" / "data.pkl"
    path.parent.mkdir(parents=True)
    with path.open("wb") as handle:
        pickle.dump(payload, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return path


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Call: ``run_cli(*args)`` runs the CLI in-process and gives (exit code, stdout, stderr)."""
    from cdsvae_eval.cli import main

    def run(*args: object) -> tuple[int, str, str]:
        try:
            main([str(arg) for arg in args])
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(str(path.relative_to(root)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="session")
def tree_digest() -> Callable[[Path], str]:
    """Call: a SHA-256 over every path name and file content under a folder, to show it was not written."""
    return _tree_digest


def _disentangled_codes(n_train: int = 240, n_test: int = 120, seed: int = 0, separation: float = 2.0) -> CodeSet:
    from cdsvae_eval.codes import CodeSet, FactorMeta

    rng = np.random.default_rng(seed)
    n = n_train + n_test
    skin = np.arange(n) % 4
    action = rng.permutation(np.arange(n) % 3)
    static = rng.normal(size=(4, 16))[skin] * separation + rng.normal(size=(n, 16))
    dynamic = (rng.normal(size=(3, 30))[action] * separation + rng.normal(size=(n, 30))).reshape(n, 5, 6)
    return CodeSet(
        static=static.astype(np.float32),
        dynamic=dynamic.astype(np.float32),
        labels={"skin": skin, "action": action},
        factors={"skin": FactorMeta("static", ["a", "b", "c", "d"]), "action": FactorMeta("dynamic", ["walk", "run", "jump"])},
        split=np.array(["train"] * n_train + ["test"] * n_test),
    )


@pytest.fixture(scope="session")
def disentangled_codes() -> Callable[..., CodeSet]:
    """Call: a CodeSet whose z_s carries only 'skin' (4 classes) and z_1:T only 'action' (3 classes).

    The factors are independent; ``separation`` scales the class means against unit noise.
    """
    return _disentangled_codes


@pytest.fixture
def untrained_run(tmp_path: Path) -> Path:
    """A run folder whose best.pt holds the smoke preset's freshly initialised model (no training: for
    tests of what reads a run, not of what it learnt)."""
    import torch

    from cdsvae_eval.config import preset_config
    from cdsvae_eval.models.checkpoint import save_checkpoint
    from cdsvae_eval.models.factory import build_model

    config = preset_config("smoke")
    torch.manual_seed(0)
    run = tmp_path / "untrained-run"
    run.mkdir()
    save_checkpoint(run / "best.pt", {"config": config.to_dict(), "model_state": build_model(config.model).state_dict(),
                                      "epoch": 1, "best_score": 0.0})
    return run


@pytest.fixture(scope="session")
def trained_smoke_run(tmp_path_factory: pytest.TempPathFactory) -> Callable[[], tuple[Any, Any]]:
    """Call: a fresh (model, dataset) of the smoke preset (flare-sprites 16 px, 24 characters), splits loaded.

    The model is trained once per session; each call loads its own copy, so modules share no state.
    """
    from cdsvae_eval.models.checkpoint import model_and_dataset
    from cdsvae_eval.config import preset_config
    from cdsvae_eval.training.trainer import train

    folder = tmp_path_factory.mktemp("smoke-run")
    run = folder / "run"
    trained = False

    def load() -> tuple[Any, Any]:
        nonlocal trained
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("CDSVAE_EVAL_CACHE", str(folder / "cache"))
            if not trained:
                train(preset_config("smoke"), run, progress=False)
                trained = True
            model, dataset = model_and_dataset(run)
            for name in dataset.split_names:
                dataset.split(name)
        return model, dataset

    return load


@pytest.fixture(scope="session")
def assert_objective_paths_agree() -> Callable[..., None]:
    """Call: in eval mode, one batched encoder pass (optimized) gives the release's three-pass objective."""
    import torch

    from cdsvae_eval.training.objective import objective

    def check(model: Any, x: Any, loss_config: Any) -> None:
        x_content, x_motion = x.flip(1), x.roll(1, dims=0)
        results = []
        for decode_views in (False, True):
            torch.manual_seed(0)
            with torch.no_grad():
                outputs = model(x, x_content, x_motion, decode_views=decode_views)
            results.append(objective(outputs, x, loss_config, dataset_size=100))
        (loss_a, terms_a), (loss_b, terms_b) = results
        torch.testing.assert_close(loss_a, loss_b, rtol=1e-5, atol=1e-4)
        for name in terms_a:
            torch.testing.assert_close(terms_a[name], terms_b[name], rtol=1e-5, atol=1e-5)

    return check
