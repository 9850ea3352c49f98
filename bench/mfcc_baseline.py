"""An MFCC baseline for speaker verification on a whole split, scored by the same `speaker-eer` task.

The baseline itself is `cdsvae_eval.tasks.mfcc_baseline`; to score it beside a model on the model's own
trials, run `cdsvae-eval probe --task speaker-eer --checkpoint RUN --option baseline=mfcc`.

    python bench/mfcc_baseline.py --dataset tts-timit --out results/mfcc-baseline
    python bench/mfcc_baseline.py --dataset timit --data-root /data/TIMIT --out results/mfcc-timit
"""

from __future__ import annotations

import argparse
import json

from cdsvae_eval.data.registry import get_dataset
from cdsvae_eval.evaluate import run_task
from cdsvae_eval.tasks.base import TaskInputs
from cdsvae_eval.tasks.mfcc_baseline import mfcc_codes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="tts-timit")
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--split", default="test")
    parser.add_argument("--protocol", default="all-pairs")
    parser.add_argument("--out", default="results/mfcc-baseline")
    args = parser.parse_args()
    dataset = get_dataset(args.dataset, **({"data_root": args.data_root} if args.data_root else {}))
    codes = mfcc_codes(dataset, args.split)
    result, path = run_task("speaker-eer", TaskInputs(codes=codes), {"protocol": args.protocol},
                            out_dir=args.out, force=True)
    summary = {name: round(value.value, 3) for name, value in result.metrics.items() if name.endswith("static")}
    print(json.dumps({"results": str(path), **summary}))


if __name__ == "__main__":
    main()
