"""run_task refuses a bad seed or output folder before the task runs, naming the argument."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cdsvae_eval.errors import FieldError
from cdsvae_eval.evaluate import run_task
from cdsvae_eval.tasks import TaskInputs


@pytest.mark.parametrize("seed", [-1, 1.5, True, "0"])
def test_a_seed_that_is_not_a_non_negative_integer_is_refused(seed: object, disentangled_codes) -> None:
    with pytest.raises(FieldError, match=r"^seed must be an integer >= 0"):
        run_task("classify", TaskInputs(codes=disentangled_codes()), seed=seed)


def test_numpy_integer_seeds_are_accepted(disentangled_codes) -> None:
    result, _ = run_task("classify", TaskInputs(codes=disentangled_codes()), seed=np.int64(3))
    assert result.metrics


def test_an_out_dir_that_is_a_file_is_refused_before_the_task_runs(tmp_path: Path, disentangled_codes) -> None:
    (tmp_path / "file").write_text("mine")
    with pytest.raises(FieldError, match=r"^out_dir .*file/results is under .*file, which is a file$"):
        run_task("classify", TaskInputs(codes=disentangled_codes()), out_dir=tmp_path / "file" / "results")
    assert (tmp_path / "file").read_text() == "mine"
