import dataclasses
import json
import math

import numpy as np
import pytest
import torch
from PIL import Image

from cdsvae_eval.config import preset_config
from cdsvae_eval.data.flare_sprites import FlareSprites
from cdsvae_eval.models.factory import build_model
from cdsvae_eval.errors import CheckpointError, ConfigError, DataError
from cdsvae_eval.models.judge import Judge, JudgeConfig, JudgeInfo, judge_accuracy, judged_factors, load_judge, save_judge
from cdsvae_eval.provenance import sha256_file
from cdsvae_eval.tasks import TaskInputs
from cdsvae_eval.models.swaps import swap_grid
from cdsvae_eval.tasks.judge_swap import generation_scores
from cdsvae_eval.evaluate import run_task
from cdsvae_eval.training.judge_training import train_judge

SMOKE_DATA = {"resolution": 16, "max_characters": 24}


@pytest.fixture(scope="module")
def setup(tmp_path_factory, trained_smoke_run):
    """A smoke model and a tiny judge trained on the same flare-sprites subset (16 px, 24 characters)."""
    model, dataset = trained_smoke_run()
    folder = tmp_path_factory.mktemp("judge-swap")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CDSVAE_EVAL_CACHE", str(folder / "cache"))
        judge_path = folder / "judge.pt"
        train_judge("flare-sprites", SMOKE_DATA, judge_path, JudgeConfig(epochs=10, batch_size=16), device="cpu")
    return model, dataset, judge_path


# --- the metric function ------------------------------------------------------------------------

@pytest.mark.parametrize("k", [2, 9])
def test_uniform_predictions_give_is_one_and_maximal_conditional_entropy(k):
    scores = generation_scores(np.full((7, k), 1.0 / k))
    assert scores["inception_score"] == pytest.approx(1.0)
    assert scores["h_y_given_x"] == pytest.approx(math.log(k))
    assert scores["h_y"] == pytest.approx(math.log(k))


@pytest.mark.parametrize("k", [2, 9])
def test_confident_balanced_predictions_give_is_k(k):
    scores = generation_scores(np.eye(k)[np.arange(3 * k) % k])
    assert scores["inception_score"] == pytest.approx(k)
    assert scores["h_y_given_x"] == pytest.approx(0.0)
    assert scores["h_y"] == pytest.approx(math.log(k))


def test_a_hand_computed_table():
    # p(y|x) rows (1/2, 1/2) and (1, 0): p(y) = (3/4, 1/4).
    scores = generation_scores(np.array([[0.5, 0.5], [1.0, 0.0]]))
    kl_first = 0.5 * math.log(0.5 / 0.75) + 0.5 * math.log(0.5 / 0.25)
    kl_second = 1.0 * math.log(1.0 / 0.75)
    assert scores["inception_score"] == pytest.approx(math.exp((kl_first + kl_second) / 2))
    assert scores["h_y_given_x"] == pytest.approx(math.log(2) / 2)
    assert scores["h_y"] == pytest.approx(-(0.75 * math.log(0.75) + 0.25 * math.log(0.25)))
    assert math.log(scores["inception_score"]) == pytest.approx(scores["h_y"] - scores["h_y_given_x"])


def test_rows_that_are_not_distributions_are_refused():
    with pytest.raises(DataError, match="rows sum to 1"):
        generation_scores(np.array([[0.5, 0.6]]))
    with pytest.raises(DataError, match="shape"):
        generation_scores(np.ones(3) / 3)


# --- the task -----------------------------------------------------------------------------------

def test_end_to_end_writes_json_grid_and_seeded_metrics(setup, tmp_path):
    model, dataset, judge_path = setup
    options = {"judge": str(judge_path), "min_judge_accuracy": "0.2", "seeds": "3"}
    result, path = run_task("judge-swap", TaskInputs(decoder=model, dataset=dataset), options, seed=5, out_dir=tmp_path)
    record = json.loads(path.read_text())
    assert record["task"] == {"name": "judge-swap", "version": "1.0"}
    static_names = ("head", "chest", "legs", "hands_feet")
    for name in ("motion_acc", "inception_score", "h_y_given_x", "h_y", *(f"static_acc_{f}" for f in static_names)):
        metric = record["metrics"][name]
        assert len(metric["per_seed"]) == 3
        assert metric["value"] == pytest.approx(np.mean(metric["per_seed"]))
        assert metric["std"] == pytest.approx(np.std(metric["per_seed"], ddof=1))
    metrics = result.metrics
    assert not metrics["h_y_given_x"].higher_is_better and metrics["inception_score"].higher_is_better
    assert all(0.0 <= v <= 1.0 for v in metrics["motion_acc"].per_seed)
    assert all(1.0 - 1e-9 <= v <= 9.0 + 1e-9 for v in metrics["inception_score"].per_seed)
    assert all(0.0 <= v <= math.log(9) + 1e-9 for v in metrics["h_y"].per_seed)
    loaded = load_judge(judge_path)
    for factor, accuracy in loaded.info.test_accuracy.items():
        assert metrics[f"judge_real_acc_{factor}"].value == pytest.approx(accuracy)
    assert record["protocol"]["judge"]["sha256"] == sha256_file(judge_path)
    assert record["protocol"]["clips"] == len(dataset.split("test")) and record["protocol"]["seeds"] == [5, 6, 7]
    assert record["artifacts"] == ["swap_grid.png"]
    assert record["protocol"]["ci"]["resampled_unit"] == "character"
    for name in ("motion_acc", *(f"static_acc_{f}" for f in static_names)):
        assert metrics[name].ci_low <= metrics[name].value <= metrics[name].ci_high
    assert metrics["motion_acc"].chance == pytest.approx(1 / 9)
    assert metrics["static_acc_head"].chance == pytest.approx(1 / len(dataset.factor("head").classes))
    assert metrics["inception_score"].ci_low is None and metrics["inception_score"].chance is None
    with Image.open(tmp_path / "swap_grid.png") as image:
        assert image.width > 6 * 8 * 16 * 4 and image.height > 6 * 16 * 4

    again, _ = run_task("judge-swap", TaskInputs(decoder=model, dataset=dataset), options, seed=5)
    assert {k: v.to_json() for k, v in again.metrics.items()} == {k: v.to_json() for k, v in metrics.items()}


def test_samples_and_seeds_options(setup):
    model, dataset, judge_path = setup
    options = {"judge": str(judge_path), "min_judge_accuracy": 0.2, "seeds": 1, "samples": 10}
    result, _ = run_task("judge-swap", TaskInputs(decoder=model, dataset=dataset), options, seed=0)
    assert result.protocol["clips"] == 10
    assert result.metrics["motion_acc"].per_seed is not None and len(result.metrics["motion_acc"].per_seed) == 1
    assert result.metrics["motion_acc"].std == 0.0


def code_sensitive_model():
    """A random smoke-sized model whose decoded clips follow its codes (the 2-epoch smoke model's barely do)."""
    torch.manual_seed(0)
    model = build_model(preset_config("smoke").model)
    with torch.no_grad():
        for weight in (p for p in model.parameters() if p.dim() > 1):
            weight.normal_(0.0, 0.3)
    return model.eval()


def test_each_seed_draws_its_own_codes_and_a_seed_repeats(setup):
    _, dataset, judge_path = setup
    inputs = TaskInputs(decoder=code_sensitive_model(), dataset=dataset)
    options = {"judge": str(judge_path), "min_judge_accuracy": 0.2, "seeds": 2}
    first = run_task("judge-swap", inputs, options, seed=0)[0].metrics
    shifted = run_task("judge-swap", inputs, {**options, "seeds": 1}, seed=1)[0].metrics
    for name in ("h_y_given_x", "inception_score"):
        assert first[name].per_seed[0] != first[name].per_seed[1]
        assert shifted[name].per_seed == first[name].per_seed[1:]


def test_the_swap_grid_shows_sources_and_every_swap(setup):
    _, dataset, _ = setup
    model = code_sensitive_model()
    clips = dataset.split("test").x[:3]
    grid = swap_grid(model, clips, torch.device("cpu"))
    assert grid.shape == (4, 4, 3, 16, 8 * 16)
    x = torch.as_tensor(clips).float() / 255.0

    def strips(frames):
        return frames.permute(0, 2, 3, 1, 4).flatten(-2).numpy()

    np.testing.assert_allclose(grid[0, 1:], strips(x))
    np.testing.assert_allclose(grid[1:, 0], strips(x))
    with torch.no_grad():
        s, z = model.encode(x)
        for r in range(3):
            np.testing.assert_allclose(grid[1 + r, 1:], strips(model.decode(s[r].expand(3, -1), z)), atol=1e-5)
    assert np.abs(grid[1, 2] - grid[2, 1]).max() > 0.05


def test_a_missing_judge_option_is_a_one_line_config_error(setup):
    model, dataset, _ = setup
    with pytest.raises(ConfigError) as error:
        run_task("judge-swap", TaskInputs(decoder=model, dataset=dataset))
    assert str(error.value) == (
        "task judge-swap needs its option judge=PATH (train one with cdsvae-eval judge train)"
    )


def test_a_judge_below_the_bar_is_refused(setup, tmp_path):
    model, dataset, _ = setup
    torch.manual_seed(0)
    untrained = Judge(JudgeConfig().resolve(16, 3), judged_factors(dataset)).eval()
    accuracy = judge_accuracy(untrained, dataset.split("test"))
    assert accuracy["motion"] < 0.9
    path = tmp_path / "weak.pt"
    save_judge(path, untrained, _info(dataset, accuracy))
    with pytest.raises(ConfigError, match=r"test motion accuracy 0\.\d+, below min_judge_accuracy=0\.9") as error:
        run_task("judge-swap", TaskInputs(decoder=model, dataset=dataset), {"judge": str(path)})
    assert "\n" not in str(error.value)


def test_a_judge_of_another_dataset_is_refused(setup, tmp_path):
    model, dataset, judge_path = setup
    loaded = load_judge(judge_path)
    other = FlareSprites(resolution=16, max_characters=30)
    info = dataclasses.replace(loaded.info, dataset_options={"resolution": 16, "max_characters": 30},
                               dataset_fingerprint=other.fingerprint())
    path = tmp_path / "other.pt"
    save_judge(path, loaded.judge, info)
    with pytest.raises(DataError, match="fingerprint.*train a judge on the model's dataset") as error:
        run_task("judge-swap", TaskInputs(decoder=model, dataset=dataset), {"judge": str(path), "min_judge_accuracy": 0})
    assert "\n" not in str(error.value)


def test_a_missing_judge_file_is_refused(setup, tmp_path):
    model, dataset, _ = setup
    with pytest.raises(CheckpointError, match="does not exist"):
        run_task("judge-swap", TaskInputs(decoder=model, dataset=dataset), {"judge": str(tmp_path / "nope.pt")})


def _info(dataset, accuracy):
    return JudgeInfo(dataset=dataset.name, dataset_options=SMOKE_DATA, dataset_fingerprint=dataset.fingerprint(),
                     test_accuracy=accuracy, val_accuracy=accuracy, best_epoch=0, epochs=0)
