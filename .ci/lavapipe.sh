#!/usr/bin/env bash
# The GPU path without a GPU: flowdiff built with `--features wgpu` trains and samples a tiny
# class-conditional colour U-Net on Mesa's software Vulkan driver (lavapipe), through burn's
# wgpu backend with fusion and autotune. Passes when the loss falls and the samples are finite
# and in [0, 1]. Usage: .ci/lavapipe.sh FLOWDIFF_BINARY PICTURE_FOLDER (one sub-folder per class)
set -euo pipefail
bin="$1"
pictures="$2"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Two classes of eight pictures: enough for the loss to move, small enough for a CPU-backed GPU.
for class in $(ls "$pictures" | sort | head -2); do
  mkdir -p "$work/pictures/$class"
  ls "$pictures/$class" | sort | head -8 | while read -r f; do
    cp "$pictures/$class/$f" "$work/pictures/$class/"
  done
done
# Only lavapipe: a machine with a real GPU runs this against the software driver all the same.
icd="$(ls /usr/share/vulkan/icd.d/lvp_icd*.json | head -1)"
export VK_ICD_FILENAMES="$icd" VK_DRIVER_FILES="$icd"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$work}"
# Correctness, not speed, is checked here: cubecl's least autotuning effort keeps the kernel
# benchmarks on the CPU-backed device short.
export CUBECL_AUTOTUNE_LEVEL="${CUBECL_AUTOTUNE_LEVEL:-minimal}"
start=$SECONDS
"$bin" train --data images --data-dir "$work/pictures" --image-size 16 --conditional \
  --steps 6 --batch-size 8 --lr 2e-3 --sample-every 0 --seed 3 --quiet --device wgpu \
  --out "$work/run"
"$bin" sample --run "$work/run" --n 4 --nfe 2 --seed 3 --device wgpu --out "$work/samples.npy"
python3 "$here/check_run.py" "$work/run/loss.csv" "$work/samples.npy"
echo "lavapipe: wgpu trained and sampled in $((SECONDS - start)) s"
