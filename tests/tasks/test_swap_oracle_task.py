import json

import numpy as np
import pytest
import torch

from cdsvae_eval.config import preset_config
from cdsvae_eval.errors import DataError
from cdsvae_eval.models.factory import build_model
from cdsvae_eval.models.swaps import score_swaps
from cdsvae_eval.tasks import TaskInputs
from cdsvae_eval.evaluate import run_task


@pytest.fixture(scope="module")
def smoke(trained_smoke_run):
    """A smoke-preset model (flare-sprites 16 px, 24 characters, 2 epochs) and its dataset, splits loaded."""
    return trained_smoke_run()


class DatasetView:
    """The smoke dataset with its test split replaced: to show what the task refuses."""

    def __init__(self, dataset, test_split):
        self.name, self._dataset, self._test = dataset.name, dataset, test_split

    def split(self, name):
        return self._test if name == "test" else self._dataset.split(name)

    def fingerprint(self):
        return self._dataset.fingerprint()


def test_metrics_match_the_oracle_with_intervals_and_write_json(smoke, tmp_path):
    model, dataset = smoke
    result, path = run_task("swap-oracle", TaskInputs(decoder=model, dataset=dataset), {"pairs": "200"},
                            seed=4, out_dir=tmp_path)
    test = dataset.split("test")
    direct = score_swaps(model, test.x, test.identity, test.labels["motion"], pairs=200, seed=4)
    for name, value in direct.as_dict().items():
        assert result.metrics[name].value == pytest.approx(value)
    for name in ("swap_motion_acc", "swap_identity_acc"):
        metric = result.metrics[name]
        assert metric.higher_is_better
        assert 0.0 <= metric.ci_low <= metric.value <= metric.ci_high <= 1.0
        assert metric.ci_low < metric.ci_high
    assert not result.metrics["swap_rel_error"].higher_is_better
    assert result.protocol["pairs"] == 200 and result.protocol["split"] == "test"
    assert result.protocol["identities"] == len(np.unique(test.identity)) == 5
    assert result.protocol["ci"]["resampled_unit"].startswith("character")
    assert result.metrics["swap_motion_acc"].chance == pytest.approx(1 / result.protocol["motions"])
    assert result.metrics["swap_identity_acc"].chance == pytest.approx(1 / 5)
    assert direct.pair_identities.shape == (200, 2)
    assert (direct.pair_identities[:, 0] != direct.pair_identities[:, 1]).all()
    record = json.loads(path.read_text())
    assert record["task"] == {"name": "swap-oracle", "version": "1.0"}
    assert record["metrics"]["swap_motion_acc"]["ci_high"] == result.metrics["swap_motion_acc"].ci_high


def test_a_seed_fixes_the_pairs_and_the_intervals(smoke):
    model, dataset = smoke
    inputs = TaskInputs(decoder=model, dataset=dataset)
    first = run_task("swap-oracle", inputs, {"pairs": 120}, seed=7)[0]
    again = run_task("swap-oracle", inputs, {"pairs": 120}, seed=7)[0]
    assert {k: v.to_json() for k, v in first.metrics.items()} == {k: v.to_json() for k, v in again.metrics.items()}
    val = run_task("swap-oracle", inputs, {"pairs": 50, "split": "val"}, seed=7)[0]
    assert val.protocol["split"] == "val" and val.protocol["identities"] == 2 and val.protocol["pairs"] == 50


def test_another_seed_draws_other_pairs(smoke):
    """The smoke model's codes barely vary (2 epochs): a random model whose decoder follows its codes
    shows that the seed picks the pairs."""
    _, dataset = smoke
    torch.manual_seed(0)
    model = build_model(preset_config("smoke").model)
    with torch.no_grad():
        for weight in (p for p in model.parameters() if p.dim() > 1):
            weight.normal_(0.0, 0.3)
    inputs = TaskInputs(decoder=model.eval(), dataset=dataset)
    errors = {seed: run_task("swap-oracle", inputs, {"pairs": 60}, seed=seed)[0].metrics["swap_rel_error"].value
              for seed in (1, 2)}
    assert errors[1] != errors[2]
    assert errors[1] == run_task("swap-oracle", inputs, {"pairs": 60}, seed=1)[0].metrics["swap_rel_error"].value


def test_a_missing_identity_motion_clip_is_a_one_line_data_error(smoke):
    model, dataset = smoke
    test = dataset.split("test")
    holed = DatasetView(dataset, test.subset(np.arange(1, len(test))))
    with pytest.raises(DataError, match="swap-oracle.*every identity in every motion") as error:
        run_task("swap-oracle", TaskInputs(decoder=model, dataset=holed), {"pairs": 10})
    assert "\n" not in str(error.value)


def test_a_dataset_without_motion_is_refused(smoke):
    model, dataset = smoke
    test = dataset.split("test")
    no_motion = test.subset(np.arange(len(test)))
    del no_motion.labels["motion"]
    with pytest.raises(DataError, match="swap-oracle needs a 'motion' factor"):
        run_task("swap-oracle", TaskInputs(decoder=model, dataset=DatasetView(dataset, no_motion)), {"pairs": 10})
