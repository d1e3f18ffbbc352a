#!/usr/bin/env bash
# Quick start, step 1 of the README: install, build, and run the main job on
# a built-in default (a generated city, ranked on the GPU when there is one,
# else on the CPU fallback). Results go to runs/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
build/trustprop demo "$@"
