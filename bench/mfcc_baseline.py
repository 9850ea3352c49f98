"""An MFCC baseline for speaker verification, scored by the same `speaker-eer` task as the model.

Each utterance of the chosen split becomes one row of a code file: ``static`` = mean and standard
deviation of 20 MFCCs over the utterance, ``dynamic`` = the time-averaged MFCCs (one step), so the
baseline's EER comes from the same trials, metric and bootstrap as a trained model's.

    python bench/mfcc_baseline.py --dataset tts-timit --out results/mfcc-baseline
    python bench/mfcc_baseline.py --dataset timit --data-root /data/TIMIT --out results/mfcc-timit
"""

from __future__ import annotations

import argparse
import json

import librosa
import numpy as np

from cdsvae_eval.codes import CodeSet, FactorMeta
from cdsvae_eval.data.registry import get_dataset
from cdsvae_eval.report.runner import run_task
from cdsvae_eval.tasks.base import TaskInputs


def mfcc_codes(dataset_name: str, split: str, data_root: str | None) -> CodeSet:
    dataset = get_dataset(dataset_name, **({"data_root": data_root} if data_root else {}))
    corpus = dataset.corpus
    speakers = dataset.factor("speaker").classes
    statics, dynamics, labels, utts = [], [], [], []
    for utt in corpus.split(split):
        audio = corpus.read_audio(utt)
        if audio is None:
            continue
        mfcc = librosa.feature.mfcc(y=audio.astype(np.float32), sr=16000, n_mfcc=20, n_fft=400, hop_length=160)
        statics.append(np.concatenate([mfcc.mean(1), mfcc.std(1)]))
        dynamics.append(mfcc.mean(1)[None, :])
        labels.append(speakers.index(utt.speaker))
        utts.append(utt.id)
    return CodeSet(
        static=np.asarray(statics, np.float32), dynamic=np.asarray(dynamics, np.float32),
        labels={"speaker": np.asarray(labels, np.int64)},
        factors={"speaker": FactorMeta("static", list(speakers))},
        utt=np.asarray(utts), split=np.full(len(utts), "test"),
        meta={"source": "MFCC-20 mean+std baseline", "dataset": dataset_name, "dataset_split": split},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="tts-timit")
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--split", default="test")
    parser.add_argument("--protocol", default="all-pairs")
    parser.add_argument("--out", default="results/mfcc-baseline")
    args = parser.parse_args()
    codes = mfcc_codes(args.dataset, args.split, args.data_root)
    result, path = run_task("speaker-eer", TaskInputs(codes=codes), {"protocol": args.protocol},
                            out_dir=args.out, force=True)
    summary = {name: round(value.value, 3) for name, value in result.metrics.items() if name.endswith("static")}
    print(json.dumps({"results": str(path), **summary, **result.protocol.get("counts", {})}))


if __name__ == "__main__":
    main()
