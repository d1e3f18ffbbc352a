#!/usr/bin/env bash
# Quick start, step 2 of the README: install, build, and run every test
# (GoogleTest suites and the Python oracle checks) with ctest. GPU tests skip,
# saying why, on machines without a GPU; the CUDA code is still compiled.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd build
ctest --output-on-failure -j "$(nproc)"
