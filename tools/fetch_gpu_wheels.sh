#!/usr/bin/env bash
# Download, into .whl/ (git-ignored), the wheels that the lent GPU machine's Python lacks.
#
# That machine (Python 3.12, x86-64) cannot reach any package index; bench/gpu_check.sh installs
# whatever lies in .whl/ with `pip install --no-index --no-deps --target /tmp/site`. Its image already
# holds torch, torchaudio, numpy, scipy, scikit-learn, numba, click, rich, pillow, matplotlib, requests,
# packaging, joblib, msgpack, lazy-loader and typing-extensions (/work/.library/device/KINDS.md), so only
# librosa, soundfile and their remaining dependencies travel. The versions are the ones the project's
# .venv runs, so the GPU machine tests the same code. Run once, from anywhere: tools/fetch_gpu_wheels.sh
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}

WHEELS=(
    librosa==0.11.0
    soundfile==0.14.0   # bundles libsndfile
    audioread==3.1.0    # librosa
    decorator==5.3.1    # librosa
    pooch==1.9.0        # librosa
    soxr==1.1.0         # librosa
    platformdirs==4.14.8  # pooch
    cffi==2.1.1         # soundfile
    pycparser==3.12     # cffi
)
PLATFORMS=(manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64 manylinux1_x86_64)

platform_args=()
for platform in "${PLATFORMS[@]}"; do
    platform_args+=(--platform "$platform")
done

mkdir -p .whl
"$PYTHON" -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    "${platform_args[@]}" -d .whl "${WHEELS[@]}"

echo "wheels in .whl/ (carry it: run(carry=['.whl'], ...)):"
ls -1 .whl
du -sh .whl
