#!/usr/bin/env bash
# The side-by-side table on a GPU machine: flowdiff on wgpu (Vulkan) against PyTorch on CUDA.
#
# Needs there: the NVIDIA driver with its Vulkan ICD (and EGL), python3 with torch (CUDA) —
# no Rust toolchain or cargo registry. Build the binary here and copy it with bench/:
#
#   cargo build --release -p flowdiff-cli --features wgpu
#   cp $CARGO_TARGET_DIR/release/flowdiff flowdiff-wgpu && strip flowdiff-wgpu   # ~90 MB (xz: ~15 MB)
#   scp -r flowdiff-wgpu bench/ gpu-host:flowdiff-bench/
#   ssh gpu-host 'cd flowdiff-bench && bench/gpu.sh ./flowdiff-wgpu'
#
# Our runs on the lent H100 machines also carried Debian's glvnd libraries (libglvnd0, libglx0,
# libegl1, libgl1, libgles2, libopengl0: `dpkg -x` each .deb into a directory, then put its
# usr/lib/x86_64-linux-gnu on LD_LIBRARY_PATH) for the NVIDIA Vulkan ICD to load against.
#
# Environment: DEVICES (flowdiff --device list, default wgpu; a `--features tch` binary also
# takes tch-cuda, given its libtorch on LD_LIBRARY_PATH), TORCH_DEVICE (default cuda),
# ITERS_SCALE (iterations per repeat × this, default 20: GPU repeats are short), REPEATS (5).
# Extra arguments go to bench/ratio.py (e.g. --workloads mlp-train,unet-forward).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${1:-./flowdiff-wgpu}"
shift || true
[ -x "$bin" ] || { echo "gpu.sh: no flowdiff binary at $bin (see the header of $0)" >&2; exit 2; }
devices="${DEVICES:-wgpu}"
torch_device="${TORCH_DEVICE:-cuda}"
if [ "$torch_device" = cuda ]; then
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  python3 -c 'import torch; assert torch.cuda.is_available(), "torch sees no CUDA device"; print("torch", torch.__version__, torch.cuda.get_device_name(0))'
fi
# libtorch of the local PyTorch, for a tch binary's tch-cuda device.
torch_lib="$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')"
export LD_LIBRARY_PATH="${torch_lib}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
exec python3 "$here/ratio.py" --no-build --binary "$bin" --devices "$devices" \
  --torch-device "$torch_device" --iters-scale "${ITERS_SCALE:-20}" --repeats "${REPEATS:-5}" "$@"
