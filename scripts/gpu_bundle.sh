#!/usr/bin/env bash
# Builds trustprop for the GPU nodes and gathers one relocatable folder,
# dist/gpu/, that scripts/gpu_round.sh runs there (shared/GPU.md, way 1).
#
#   scripts/gpu_bundle.sh [--no-build]
#
# 1. Configures and builds a Release CUDA build for sm_90 (H100, H200) in
#    BUILD_DIR (default build-gpu); --no-build takes BUILD_DIR as it is.
# 2. Copies trustprop, trustprop_tests and the bench_gpu_* executables into
#    DIST (default dist/gpu), stripped.
# 3. Adds every shared library they load (ldd) except those a GPU node has:
#    glibc, libstdc++/libgcc_s, and the CUDA toolkit's own (libcudart,
#    libcusparse, libnvJitLink, ...; the node has the same toolkit, and
#    libcuda comes with its driver). HDF5, libsz/libaec, fmt, spdlog,
#    xxhash, curl and its dependencies, gomp ... go in.
# 4. Checks the folder: with LD_LIBRARY_PATH set to it, ldd finds every
#    library either in the folder or among the ones named above; the
#    executables start; the folder stays under 60 MB.
# 5. Writes DIST/README.txt and DIST/MANIFEST (git revision, build paths the
#    tests were compiled with, the newest glibc/libstdc++ symbol versions
#    needed: the node must have at least those).
#
# dist/ is ignored by git: hand the folder to the device tool with
# carry=["dist/gpu"], then run scripts/gpu_round.sh OUTDIR there.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build-gpu}
DIST=${DIST:-$ROOT/dist/gpu}
MAX_MB=60
BUILD=1
for arg in "$@"; do
  case $arg in
    --no-build) BUILD=0 ;;
    *) echo "usage: scripts/gpu_bundle.sh [--no-build]   (env: BUILD_DIR, DIST)" >&2; exit 64 ;;
  esac
done
case $BUILD_DIR in /*) ;; *) BUILD_DIR=$ROOT/$BUILD_DIR ;; esac
case $DIST in /*) ;; *) DIST=$ROOT/$DIST ;; esac

if [[ $BUILD == 1 ]]; then
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTRUSTPROP_CUDA=ON -DTRUSTPROP_MPI=OFF \
    -DCMAKE_CUDA_ARCHITECTURES=90
  cmake --build "$BUILD_DIR" -j "$(nproc)"
fi

# Libraries the GPU node provides itself: the C library family, the C++
# runtime, and the CUDA toolkit and driver.
is_system_lib() {
  case $1 in
    linux-vdso.so*|ld-linux*|libc.so*|libm.so*|libpthread.so*|libdl.so*|librt.so*|libresolv.so*|libutil.so*|libanl.so*) return 0 ;;
    libstdc++.so*|libgcc_s.so*) return 0 ;;
    libcuda.so*|libcudart.so*|libcusparse.so*|libcublas*.so*|libnvJitLink.so*|libnvrtc*.so*|libcufft*.so*|libcurand.so*|libcusolver*.so*|libnccl.so*) return 0 ;;
  esac
  return 1
}

executables=("$BUILD_DIR/trustprop" "$BUILD_DIR/tests/trustprop_tests")
for f in "$BUILD_DIR"/benchmarks/bench_gpu_*; do
  [[ -x $f && -f $f ]] && executables+=("$f")
done
for f in "${executables[@]}"; do
  [[ -x $f ]] || { echo "gpu_bundle: $f is missing: build first (or drop --no-build)" >&2; exit 66; }
done
[[ ${#executables[@]} -gt 2 ]] || { echo "gpu_bundle: no bench_gpu_* in $BUILD_DIR/benchmarks: is CUDA on?" >&2; exit 66; }

rm -rf "$DIST"
mkdir -p "$DIST"
declare -A libs=()
for f in "${executables[@]}"; do
  cp "$f" "$DIST/"
  strip --strip-unneeded "$DIST/$(basename "$f")"
  while read -r name arrow path _; do
    [[ $arrow == "=>" ]] || continue
    if [[ $path == "not" ]]; then
      is_system_lib "$name" && continue
      echo "gpu_bundle: $f needs $name, which is not found here" >&2
      exit 66
    fi
    is_system_lib "$name" || libs[$name]=$path
  done < <(ldd "$f")
done
for name in "${!libs[@]}"; do
  cp -L "${libs[$name]}" "$DIST/$name"
  chmod u+w "$DIST/$name"
  strip --strip-unneeded "$DIST/$name"
done

# Check: every library resolves into the folder or is a system/CUDA one.
export LD_LIBRARY_PATH="$DIST${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
status=0
for f in "$DIST"/*; do
  [[ -f $f ]] || continue
  while read -r name arrow path _; do
    [[ $arrow == "=>" ]] || continue
    if [[ $path == "not" ]]; then
      is_system_lib "$name" || { echo "gpu_bundle: $(basename "$f"): $name not found" >&2; status=1; }
    elif [[ $path != "$DIST/"* ]] && ! is_system_lib "$name"; then
      echo "gpu_bundle: $(basename "$f"): $name resolves outside the bundle ($path)" >&2
      status=1
    fi
  done < <(ldd "$f" 2>/dev/null || true)
done
[[ $status == 0 ]] || exit 70

# The executables start (no GPU needed for these).
"$DIST/trustprop" --version >/dev/null
"$DIST/trustprop_tests" --gtest_list_tests >/dev/null
for f in "$DIST"/bench_gpu_*; do
  rc=0
  "$f" >/dev/null 2>&1 || rc=$?
  [[ $rc == 64 ]] || { echo "gpu_bundle: $(basename "$f") without arguments exited $rc, expected 64 (usage)" >&2; exit 70; }
done

newest() { # newest symbol version with prefix $1 needed by any file in the bundle
  for f in "$DIST"/*; do objdump -T "$f" 2>/dev/null; done | grep -o "$1[0-9.]*" | sort -uV | tail -1
}
revision=$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
{
  echo "git_revision=$revision"
  echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ) on $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "cuda=$(sed -n 's/^set(CMAKE_CUDA_COMPILER_VERSION "\(.*\)")/\1/p' "$BUILD_DIR"/CMakeFiles/*/CMakeCUDACompiler.cmake | head -1)"
  echo "cuda_architectures=$(sed -n 's/^CMAKE_CUDA_ARCHITECTURES:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt")"
  echo "source_dir=$ROOT"
  echo "build_dir=$BUILD_DIR"
  echo "needs_glibc=$(newest GLIBC_2.)"
  echo "needs_libstdcxx=$(newest GLIBCXX_3.)"
  echo "libraries=$(cd "$DIST" && ls -1 *.so* 2>/dev/null | tr '\n' ' ')"
} >"$DIST/MANIFEST"
cat >"$DIST/README.txt" <<EOF
trustprop GPU bundle (git $revision, sm_90): run scripts/gpu_round.sh OUTDIR on the GPU node with this folder at dist/gpu; it sets LD_LIBRARY_PATH=dist/gpu:/usr/local/cuda/lib64. MANIFEST says what it was built from and needs.
EOF

size_mb=$(du -sm "$DIST" | cut -f1)
echo "gpu_bundle: $DIST: ${#executables[@]} executables, ${#libs[@]} libraries, ${size_mb} MB"
cat "$DIST/MANIFEST"
if (( size_mb > MAX_MB )); then
  echo "gpu_bundle: the bundle is ${size_mb} MB, over the ${MAX_MB} MB limit" >&2
  exit 70
fi
