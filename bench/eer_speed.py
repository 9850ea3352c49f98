"""Time EER and minDCF on 10^5, 10^6 and 10^7 random trials (median of 3 runs).

Run: ``.venv/bin/python bench/eer_speed.py``. Scores are Gaussian with targets shifted by 2; 5% of the
trials are targets. ``eer`` and ``min_dcf`` each build their own DET curve, as a caller would.
``bench/eval_throughput.py`` reuses :func:`time_verification_metrics`.
"""

from __future__ import annotations

import statistics
import time
from typing import Any, Callable

import numpy as np

from cdsvae_eval.metrics import eer, min_dcf

SIZES = (10**5, 10**6, 10**7)
REPEATS = 3


def median_seconds(fn: Callable[..., Any], *args: Any, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_verification_metrics(sizes: tuple[int, ...] = SIZES, repeats: int = REPEATS,
                              seed: int = 0) -> list[dict[str, float]]:
    """Median seconds of ``eer`` and ``min_dcf`` (p_target 0.01) per trial count, with the EER in percent."""
    rng = np.random.default_rng(seed)
    rows = []
    for n in sizes:
        labels = (rng.random(n) < 0.05).astype(np.int8)
        scores = rng.normal(size=n) + 2.0 * labels
        rows.append({
            "trials": n,
            "eer_seconds": median_seconds(eer, scores, labels, repeats=repeats),
            "min_dcf_seconds": median_seconds(min_dcf, scores, labels, 0.01, repeats=repeats),
            "eer_percent": 100 * eer(scores, labels),
        })
    return rows


def main() -> None:
    print(f"{'trials':>10}  {'eer (s)':>8}  {'min_dcf (s)':>11}  {'eer %':>7}")
    for row in time_verification_metrics():
        print(f"{row['trials']:>10}  {row['eer_seconds']:>8.3f}  {row['min_dcf_seconds']:>11.3f}  "
              f"{row['eer_percent']:>7.3f}")


if __name__ == "__main__":
    main()
