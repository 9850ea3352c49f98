"""Time ``speech-swap`` on a trained speech run: the task (judges fitted, pairs decoded and scored) and the report
page's listening pairs (spectrograms and Griffin-Lim WAVs), each stage on its own.

Run: ``.venv/bin/python bench/speech_swap_speed.py --checkpoint runs/demo-audio [--pairs 200] [--repeats 3]``.
The codes (and the random-init model's) are extracted, or read from the code cache, before any timing: in the demo
the other speech tasks have extracted them already. Each stage prints its median over ``--repeats`` runs; the
target is 200 pairs in at most 60 s on 2 cores, the random-init floor included (``--random-baseline`` as in the
demo).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Callable


def median_seconds(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", required=True, type=Path, help="a trained speech run folder")
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-random-baseline", action="store_true", help="score the trained model only")
    args = parser.parse_args()

    import torch

    from cdsvae_eval.evaluate import inputs_from_checkpoint, run_task
    from cdsvae_eval.report.run_inputs import RunResults
    from cdsvae_eval.report.speech_swap import listening_blocks
    from cdsvae_eval.tasks.speech_swap import LISTENING_FILE
    from cdsvae_eval.tasks.swap_scorers import fit_swap_scorers

    print(f"torch threads {torch.get_num_threads()}, {args.pairs} pairs, median of {args.repeats}")
    start = time.perf_counter()
    inputs = inputs_from_checkpoint(args.checkpoint, "cpu", random_baseline=not args.no_random_baseline)
    for split in ("train", "test"):
        inputs.dataset.split(split)
    print(f"inputs (codes from the cache or extracted, splits loaded; not timed below): "
          f"{time.perf_counter() - start:.1f} s")
    seconds, _ = median_seconds(lambda: fit_swap_scorers(inputs.dataset, "train", "all", 20_000, 0), args.repeats)
    print(f"  judges fitted on the training speakers: {seconds:.2f} s")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        options = {"pairs": args.pairs, "listen": 3}
        seconds, (result, _) = median_seconds(
            lambda: run_task("speech-swap", inputs, options, 0, out, force=True), args.repeats)
        print(f"speech-swap task, {result.protocol['decisions']} swaps of {result.protocol['n_speakers']} speakers "
              f"(judges, decoding, scores, CIs, listening pairs): {seconds:.2f} s")
        run = RunResults("bench", {}, out, None)
        record = {"artifacts": [LISTENING_FILE], "seed": 0}
        seconds, blocks = median_seconds(lambda: listening_blocks(run, record), args.repeats)
        sounds = sum(len(sound.wav) for block in blocks for sound in getattr(block, "sounds", ()))
        print(f"report's listening pairs (3 pairs: spectrograms and Griffin-Lim WAVs): {seconds:.2f} s, "
              f"{sounds / 1e6:.2f} MB of WAV")
        metrics = result.metrics
        for name in sorted(metrics):
            if name.endswith(("_lda", "content_acc_swap", "content_acc_recon", "content_acc_real")):
                value = metrics[name]
                interval = "" if value.ci_low is None else f" [{value.ci_low:.3f}, {value.ci_high:.3f}]"
                print(f"  {name} {value.value:.3f}{interval}")


if __name__ == "__main__":
    main()
