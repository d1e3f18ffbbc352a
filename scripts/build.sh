#!/usr/bin/env bash
# Configures and builds trustprop (Release) into build/. The CUDA backend is
# built when the CUDA toolkit is found (nvcc on PATH or /usr/local/cuda);
# pass -DTRUSTPROP_CUDA=OFF (or any CMake option) as arguments to change it.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build build -j "$(nproc)"
