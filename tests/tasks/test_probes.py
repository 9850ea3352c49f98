"""Probes fitted side by side give what fitting them one after the other gives, in the jobs' order."""

from __future__ import annotations

import numpy as np

from cdsvae_eval.tasks.probes import ProbeJob, fit_probe, probes_correct


def test_probes_fitted_side_by_side_are_the_probes_fitted_one_by_one() -> None:
    rng = np.random.default_rng(0)
    jobs = []
    for classes, dims in ((2, 5), (6, 30), (3, 12), (6, 8)):
        y = rng.integers(0, classes, size=300)
        x = rng.normal(size=(300, dims)) + 0.7 * np.eye(classes, dims)[y]
        jobs.append(ProbeJob(x[:200], y[:200], x[200:], y[200:]))
    together = probes_correct(jobs, seed=4)
    for job, correct in zip(jobs, together):
        np.testing.assert_array_equal(correct, fit_probe(job.train_x, job.train_y, 4).predict(job.eval_x) == job.eval_y)
    assert len({correct.tobytes() for correct in together}) == len(jobs)  # each its own job's answer
