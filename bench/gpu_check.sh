#!/usr/bin/env bash
# The checks to run on a lent CUDA machine, in one call (see bench/README.md):
#
#   1. environment: nvidia-smi, torch and CUDA versions, the optional imports
#   2. the CUDA-marked tests                          (a failure makes the script exit non-zero)
#   3. bench/train_throughput.py: paper + quick, release vs optimized, largest paper batch
#   4. bench/eval_throughput.py: extraction, EER/minDCF, probe --task all
#   5. one paper-preset epoch on flare-sprites 64x64, with the projected 100-epoch time
#
# Every stage has a time limit; together they stay under 8 minutes. Logs and JSON go to $OUT when set
# (the device tool's result folder, which returns at most 8 files), else to bench/out/. Wheels in .whl/
# (tools/fetch_gpu_wheels.sh) are installed first when the machine's Python lacks librosa or soundfile.
#
# On the device tool: run(command="bash bench/gpu_check.sh", carry=[".whl"], timeout_s=540)
# GPU_CHECK_DRY_RUN=1 rehearses the plumbing in seconds on any machine (tiny sizes, smoke preset).
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
OUT_DIR=${OUT:-bench/out}
RUN_ROOT=$(mktemp -d)  # the epoch's run folder: checkpoints stay out of $OUT's 8 files
mkdir -p "$OUT_DIR"
export PYTHONUNBUFFERED=1
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export CDSVAE_EVAL_CACHE=${CDSVAE_EVAL_CACHE:-$RUN_ROOT/cache}

if [[ ${GPU_CHECK_DRY_RUN:-0} == 1 ]]; then
    train_args=(--presets smoke --repeats 1 --steps 1 --warmup 0)
    eval_args=(--extract-presets smoke --extract-rows 8 --extract-batches 4 --trials 1e4 --probe-rows 90 --repeats 1)
    epoch_preset=smoke
else
    train_args=(--presets paper,quick --repeats 5 --steps 20 --warmup 5 --largest-batch)
    eval_args=(--extract-presets paper,quick --extract-batches 256,512 --repeats 3)
    epoch_preset=paper
fi

if ! "$PYTHON" -c "import librosa, soundfile" 2>/dev/null && compgen -G ".whl/*.whl" >/dev/null; then
    echo "installing the carried wheels from .whl/ into /tmp/site"
    "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
    export PYTHONPATH="/tmp/site:$PYTHONPATH"
fi

failed=()

# run_stage NAME SECONDS COMMAND...: run COMMAND under a time limit, log to $OUT_DIR/NAME.log; a failure
# is recorded and the next stage still runs
run_stage() {
    local name=$1 seconds=$2 status=0 started=$SECONDS
    shift 2
    echo "=== $name (limit ${seconds}s)"
    timeout --kill-after=10 "$seconds" "$@" 2>&1 | tee "$OUT_DIR/$name.log" || status=$?
    echo "=== $name: exit $status after $((SECONDS - started))s"
    if ((status == 124)); then
        failed+=("$name (timed out)")
    elif ((status != 0)); then
        failed+=("$name (exit $status)")
    fi
}

environment() {
    if command -v nvidia-smi >/dev/null; then nvidia-smi; else echo "nvidia-smi: not found"; fi
    "$PYTHON" - <<'EOF'
import importlib, os, platform, sys, torch
print(f"python {platform.python_version()}, torch {torch.__version__}, CUDA {torch.version.cuda}, "
      f"cuDNN {torch.backends.cudnn.version()}, threads {torch.get_num_threads()}")
if torch.cuda.is_available():
    print(f"device: {torch.cuda.get_device_name(0)}, capability {torch.cuda.get_device_capability(0)}")
elif os.environ.get("GPU_CHECK_DRY_RUN") != "1":
    sys.exit("torch sees no CUDA device: the CUDA tests would all be skipped")
for name in ("librosa", "soundfile", "PIL", "matplotlib", "sklearn", "hypothesis"):
    try:
        module = importlib.import_module(name)
        print(f"{name} {getattr(module, '__version__', '?')} from {module.__file__}")
    except ImportError as error:
        print(f"{name}: NOT importable ({error})")
EOF
}

# train_one_epoch: one epoch of the preset, then its figures and the projection to the preset's epochs
train_one_epoch() {
    local run_dir=$RUN_ROOT/$epoch_preset-epoch1 started=$SECONDS
    "$PYTHON" -c "from cdsvae_eval.cli import main; main()" \
        train --preset "$epoch_preset" --epochs 1 --out "$run_dir" --no-progress --force
    "$PYTHON" - "$run_dir/log.jsonl" "$OUT_DIR/${epoch_preset}_epoch.json" "$epoch_preset" "$((SECONDS - started))" <<'EOF'
import json, sys
from cdsvae_eval.atomic import write_json
from cdsvae_eval.config import preset_config

log, target, preset, wall = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
record = json.loads(open(log).read().splitlines()[-1])
epochs = preset_config(preset).epochs
per_epoch = record["seconds"] + record["eval_seconds"]
summary = {
    "preset": preset, "epoch": record, "command_wall_seconds": wall,
    "train_seconds": record["seconds"], "eval_seconds": record["eval_seconds"],
    "sequences_per_second": record["sequences_per_second"], "epochs_in_preset": epochs,
    f"projected_{epochs}_epoch_seconds": epochs * per_epoch,
    "projection": "epochs x (train + eval seconds of this first epoch); the first epoch includes warm-up and "
                  "a swap evaluation that later runs only every swap_eval_every epochs, so this is an upper bound",
}
write_json(target, summary)
print(f"epoch 1: train {record['seconds']:.1f} s ({record['sequences_per_second']:.0f} seq/s), "
      f"eval {record['eval_seconds']:.1f} s; command {wall} s including the dataset build")
print(f"projected {epochs} epochs: {epochs * per_epoch / 60:.1f} min")
EOF
}

export PYTHON OUT_DIR RUN_ROOT epoch_preset
export -f environment train_one_epoch  # so that `timeout` can run them in a child bash

run_stage environment 20 bash -euo pipefail -c environment
run_stage cuda_tests 75 "$PYTHON" -m pytest -m cuda -q -p no:cacheprovider
run_stage train_throughput 140 "$PYTHON" bench/train_throughput.py "${train_args[@]}" \
    --json "$OUT_DIR/train_throughput.json"
run_stage eval_throughput 120 "$PYTHON" bench/eval_throughput.py "${eval_args[@]}" \
    --json "$OUT_DIR/eval_throughput.json"
run_stage "${epoch_preset}_epoch" 90 bash -euo pipefail -c train_one_epoch

rm -rf "$RUN_ROOT"
if ((${#failed[@]})); then
    echo "FAILED stages: ${failed[*]}"
    exit 1
fi
echo "all stages passed; outputs in $OUT_DIR"
