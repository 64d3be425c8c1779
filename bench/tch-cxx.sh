#!/usr/bin/env bash
# C++ compiler for `cargo build --features tch` against a recent PyTorch (set CXX to this file;
# bench/ratio.py --tch does). torch-sys 0.22 targets PyTorch 2.9; with the headers of PyTorch
# 2.10 and later its C++ wrapper fails to build in two ways, mended here without touching the
# registry:
#   - it is compiled with -std=c++17, and those headers require C++20: -std=c++17 becomes
#     -std=c++20;
#   - torch_api_generated.cpp calls six functions PyTorch has since removed: a patched copy is
#     compiled instead, with cholesky / qr (and their _out forms) mapped to linalg_cholesky /
#     linalg_qr, and align_as / align_tensors (named tensors) throwing a runtime error;
#   - burn-tch's dummy_cuda_dependency.cpp declares at::cuda::getCurrentCUDABlasHandle() without
#     the `bool setup = true` parameter it has gained, so the link fails: patched likewise.
# Every other argument passes through to the system compiler (or $TCH_REAL_CXX).
set -euo pipefail
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# patched SRC SED-ARGS...: compile a copy of SRC edited by sed, finding its headers as before.
patched() {
  local src; src="$(realpath "$1")"; shift
  sed "$@" "$src" > "$tmp/$(basename "$src")"
  args+=("-I" "$(dirname "$src")" "$tmp/$(basename "$src")")
}
args=()
for a in "$@"; do
  case "$a" in
    -std=c++17) args+=("-std=c++20") ;;
    *torch_api_generated.cpp)
      patched "$a" \
        -e 's/self->align_as(\*other)/(throw std::runtime_error("align_as: removed from PyTorch"), torch::Tensor())/' \
        -e 's/torch::align_tensors(of_carray_tensor(tensors_data, tensors_len))/(throw std::runtime_error("align_tensors: removed from PyTorch"), std::vector<torch::Tensor>())/' \
        -e 's/torch::cholesky(\*self, (bool)upper)/torch::linalg_cholesky(*self, (bool)upper)/' \
        -e 's/torch::cholesky_out(\*out, \*self, (bool)upper)/torch::linalg_cholesky_out(*out, *self, (bool)upper)/' \
        -e 's/torch::qr(\*self, (bool)some)/torch::linalg_qr(*self, some ? "reduced" : "complete")/' \
        -e 's/torch::qr_out(\*Q, \*R, \*self, (bool)some)/torch::linalg_qr_out(*Q, *R, *self, some ? "reduced" : "complete")/' ;;
    *dummy_cuda_dependency.cpp)
      patched "$a" -e 's/cublasContext \*getCurrentCUDABlasHandle();/cublasContext *getCurrentCUDABlasHandle(bool setup = true);/' ;;
    *) args+=("$a") ;;
  esac
done
"${TCH_REAL_CXX:-c++}" "${args[@]}"
