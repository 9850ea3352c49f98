"""Before/after timings of the speech probes' hot spots, in one process (so that machine load hits both alike).

Run: ``.venv/bin/python bench/probe_speed.py``. Sizes are those of the audio quick preset on tts-timit (24 test
speakers of 10 utterances, 12 scorers: 3 codes x 4 back-ends, 1000 replicates; classify's 23k training segments
of 20 x 32 dynamic codes are scaled down to keep the run short).

- speaker bootstrap: replicates built as trials and sorted (:func:`speaker_bootstrap` with all-pairs trials) against
  replicates as counts of the pairs ranked once (:func:`all_pairs_speaker_bootstrap`); the replicate values are
  checked equal.
- probes: four probes fitted one after the other against side by side (:func:`probes_correct`); checked equal.
"""

from __future__ import annotations

import time
from typing import Any, Callable

import numpy as np

from cdsvae_eval.metrics import eer_from_curve
from cdsvae_eval.tasks.probes import ProbeJob, fit_probe, probes_correct
from cdsvae_eval.tasks.verification import all_pairs_speaker_bootstrap, all_pairs_trials, speaker_bootstrap


def seconds(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def symmetric_scorers(n_scorers: int, speakers: np.ndarray, rng: np.random.Generator) -> dict[str, Any]:
    scorers = {}
    for k in range(n_scorers):
        emb = rng.normal(size=(speakers.max() + 1, 16))[speakers] + 1.5 * rng.normal(size=(len(speakers), 16))
        unit = emb / np.linalg.norm(emb, axis=1, keepdims=True)
        gram = unit @ unit.T
        gram = (gram + gram.T) / 2
        scorers[f"s{k}"] = lambda e, t, gram=gram: gram[e, t]
    return scorers


def bench_bootstrap(reps: int = 1000) -> None:
    rng = np.random.default_rng(0)
    speakers = np.repeat(np.arange(24), 10)
    scorers = symmetric_scorers(12, speakers, rng)
    metrics = {"eer": eer_from_curve}
    loop_s, loop = seconds(lambda: speaker_bootstrap(scorers, speakers, all_pairs_trials, metrics, n_boot=reps))
    fast_s, fast = seconds(lambda: all_pairs_speaker_bootstrap(scorers, speakers, metrics, n_boot=reps))
    assert all(np.array_equal(fast[k]["eer"][2], loop[k]["eer"][2]) for k in scorers)
    print(f"speaker bootstrap (240 utterances, 12 scorers, {reps} replicates): built trials {loop_s:.2f} s, "
          f"pair counts {fast_s:.2f} s ({loop_s / fast_s:.1f}x)")


def bench_probes(rows: int = 6000) -> None:
    rng = np.random.default_rng(1)
    jobs = []
    for classes, dims in ((40, 640), (40, 64), (2, 640), (2, 64)):
        y = rng.integers(0, classes, size=rows)
        x = rng.normal(size=(rows, dims)).astype(np.float32) + 0.3 * np.eye(classes, dims, dtype=np.float32)[y]
        jobs.append(ProbeJob(x[: rows * 4 // 5], y[: rows * 4 // 5], x[rows * 4 // 5:], y[rows * 4 // 5:]))

    def one_by_one() -> list[np.ndarray]:
        return [fit_probe(j.train_x, j.train_y).predict(j.eval_x) == j.eval_y for j in jobs]

    loop_s, loop = seconds(one_by_one)
    side_s, side = seconds(lambda: probes_correct(jobs))
    assert all(np.array_equal(a, b) for a, b in zip(loop, side))
    print(f"probes (4 fits, {rows} rows): one by one {loop_s:.2f} s, side by side {side_s:.2f} s "
          f"({loop_s / side_s:.1f}x)")


if __name__ == "__main__":
    bench_bootstrap()
    bench_probes()
