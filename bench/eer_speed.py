"""Time EER and minDCF on 10^5, 10^6 and 10^7 random trials (median of 3 runs).

Run: ``.venv/bin/python bench/eer_speed.py``. Scores are Gaussian with targets shifted by 2; 5% of the
trials are targets. ``eer`` and ``min_dcf`` each build their own DET curve, as a caller would.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from cdsvae_eval.tasks.metrics import eer, min_dcf

SIZES = (10**5, 10**6, 10**7)
REPEATS = 3


def median_seconds(fn, *args) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    rng = np.random.default_rng(0)
    print(f"{'trials':>10}  {'eer (s)':>8}  {'min_dcf (s)':>11}  {'eer %':>7}")
    for n in SIZES:
        labels = (rng.random(n) < 0.05).astype(np.int8)
        scores = rng.normal(size=n) + 2.0 * labels
        eer_s = median_seconds(eer, scores, labels)
        dcf_s = median_seconds(min_dcf, scores, labels, 0.01)
        print(f"{n:>10}  {eer_s:>8.3f}  {dcf_s:>11.3f}  {100 * eer(scores, labels):>7.3f}")


if __name__ == "__main__":
    main()
