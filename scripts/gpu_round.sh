#!/usr/bin/env bash
# The GPU round, on a GPU node, from the bundle that scripts/gpu_bundle.sh
# made on a development machine (shared/GPU.md):
#
#   scripts/gpu_round.sh OUTDIR [STAGE ...]
#
# Stages (default: all of them, in this order):
#   env          nvidia-smi, the bundle's MANIFEST, ldd of every executable
#   tests        trustprop_tests --gtest_filter='*Cuda*:*Gpu*'
#   sanitizer    compute-sanitizer memcheck over the whole test binary, then
#                racecheck, synccheck and initcheck over the GPU tests
#   sanitizer-gpu  the same four tools over the GPU tests alone (minutes, not
#                tens of minutes: the round to run when device time is short)
#   bench-rmat   trustprop generate rmat --scale RMAT_SCALE --edge-factor 16,
#                then bench_gpu_eigentrust on it
#   bench-city   trustprop generate city --agents CITY_AGENTS (about 48 ties
#                per agent: the default 20,000,000 makes ~1e9 ties), then
#                bench_gpu_eigentrust on it
#   bench        bench-rmat and bench-city
#   bench-cli    trustprop bench (docs/benchmarks.md): every model and a
#                dynamics epoch on a generated city of CLI_AGENTS on the CPU
#                fallback and on cuda:0, side by side, into bench_cli.json
#   oracle       tests/python/test_dynamics_oracle.py's GPU case: the numpy
#                oracle of the city dynamics against --device cuda (needs
#                python3 with numpy and h5py there; says so if it has none)
# Each stage writes its log into OUTDIR; OUTDIR/summary.txt gets one line per
# stage with its exit status (and bench-cli's side-by-side table). The device
# tool brings back at most 8 files per call: environment.txt, gpu_tests.log,
# oracle.log, sanitizer.log, bench_rmat.{log,json}, bench_cli.json,
# summary.txt in the first call below, bench_city.{log,json} in the second.
# The script goes on after a failing stage and exits non-zero if any failed.
#
# Environment: STAGE_TIMEOUT (seconds each long command of a stage may run,
# e.g. 240: a stage that hangs or runs long is cut off, rc 124, and the
# round goes on to the next; default: no limit), DIST (default dist/gpu), RMAT_SCALE (22), CITY_AGENTS
# (20000000), CLI_AGENTS (2000000), BENCH_RUNS (50), PYTHON (for the
# oracle; else /usr/bin/python3 or python3 with numpy and h5py), WORK_DIR for the generated graphs (default
# $TMPDIR or /tmp, trustprop-gpu-round; they are deleted at the end unless
# KEEP_GRAPHS=1), CUDA_HOME (/usr/local/cuda).
#
# With the device tool: carry=["dist/gpu"], command
#   scripts/gpu_round.sh $OUT/round env tests oracle sanitizer bench-rmat bench-cli
# and in a second call (the city alone takes several minutes to generate)
#   scripts/gpu_round.sh $OUT/round bench-city
# With 15 minutes of device time in all (a machine's start included), one
# call with timeout_s 540 that leaves room for nothing else:
#   STAGE_TIMEOUT=150 CLI_AGENTS=1000000 scripts/gpu_round.sh $OUT/round env tests bench-rmat bench-cli sanitizer-gpu
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIST=${DIST:-$ROOT/dist/gpu}
CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
RMAT_SCALE=${RMAT_SCALE:-22}
CITY_AGENTS=${CITY_AGENTS:-20000000}
CLI_AGENTS=${CLI_AGENTS:-2000000}
BENCH_RUNS=${BENCH_RUNS:-50}
WORK_DIR=${WORK_DIR:-${TMPDIR:-/tmp}/trustprop-gpu-round}

if [[ $# -lt 1 || $1 == -* ]]; then
  sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit 64
fi
OUT=$1
shift
stages=("$@")
[[ ${#stages[@]} -gt 0 ]] || stages=(env tests oracle sanitizer bench-rmat bench-cli bench-city)
case $DIST in /*) ;; *) DIST=$ROOT/$DIST ;; esac
[[ -x $DIST/trustprop ]] || { echo "gpu_round: no bundle at $DIST: run scripts/gpu_bundle.sh and carry dist/gpu" >&2; exit 66; }
mkdir -p "$OUT" "$WORK_DIR"
OUT=$(cd "$OUT" && pwd)
export LD_LIBRARY_PATH="$DIST:$CUDA_HOME/lib64:$CUDA_HOME/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PATH="$CUDA_HOME/bin:$PATH"
failed=0

# Runs a long command of a stage under STAGE_TIMEOUT, when set.
limited() {
  if [[ -n ${STAGE_TIMEOUT:-} ]]; then timeout --kill-after=10 "$STAGE_TIMEOUT" "$@"; else "$@"; fi
}

record() { # stage name, exit status
  printf '%-12s rc=%-3s %s\n' "$1" "$2" "$(date -u +%H:%M:%SZ)" >>"$OUT/summary.txt"
  [[ $2 == 0 ]] || failed=1
}

# The test binary has the paths of its build machine compiled in (the
# trustprop executable for CLI tests, tests/data). Where they do not exist
# here, point them at the bundle and this checkout.
link_build_paths() {
  local source_dir build_dir
  source_dir=$(sed -n 's/^source_dir=//p' "$DIST/MANIFEST")
  build_dir=$(sed -n 's/^build_dir=//p' "$DIST/MANIFEST")
  if [[ -n $source_dir && ! -e $source_dir/tests/data ]] && mkdir -p "$source_dir/tests" 2>/dev/null; then
    ln -sfn "$ROOT/tests/data" "$source_dir/tests/data" && echo "linked $source_dir/tests/data -> $ROOT/tests/data"
  fi
  if [[ -n $build_dir && ! -e $build_dir/trustprop ]] && mkdir -p "$build_dir" 2>/dev/null; then
    ln -sfn "$DIST/trustprop" "$build_dir/trustprop" && echo "linked $build_dir/trustprop -> $DIST/trustprop"
  fi
}

stage_env() {
  local rc=0
  {
    echo "== date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  host: $(hostname)  kernel: $(uname -r)"
    echo "== checkout: $ROOT (git $(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown))"
    echo "== bundle MANIFEST"; cat "$DIST/MANIFEST"
    echo "== glibc: $(ldd --version | head -1)"
    echo "== nvidia-smi"; nvidia-smi || rc=1
    nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.mem,clocks.max.sm,clocks.max.mem,power.limit,persistence_mode --format=csv
    echo "== nvcc"; nvcc --version | tail -2
    echo "== compute-sanitizer: $(command -v compute-sanitizer || echo 'not found')"
    echo "== ldd (LD_LIBRARY_PATH=$LD_LIBRARY_PATH)"
    local f
    for f in "$DIST"/trustprop "$DIST"/trustprop_tests "$DIST"/bench_gpu_*; do
      echo "-- $(basename "$f")"; ldd "$f" | grep -v "=> $DIST/"
      if ldd "$f" | grep -q "not found"; then echo "MISSING LIBRARIES in $(basename "$f")"; rc=1; fi
    done
    "$DIST/trustprop" --version || rc=1
    link_build_paths
  } >"$OUT/environment.txt" 2>&1
  return "$rc"
}

stage_tests() {
  link_build_paths >/dev/null
  local rc=0
  limited "$DIST/trustprop_tests" --gtest_filter='*Cuda*:*Gpu*' --gtest_color=no >"$OUT/gpu_tests.log" 2>&1 || rc=$?
  # On a GPU round a skipped GPU test is a failure: it means no device was found.
  if [[ $rc == 0 ]] && grep -q '^\[  SKIPPED \]' "$OUT/gpu_tests.log"; then
    echo "gpu_round: GPU tests were skipped: no usable CUDA device?" >>"$OUT/gpu_tests.log"
    rc=1
  fi
  return "$rc"
}

stage_oracle() {
  local log=$OUT/oracle.log py=
  for candidate in ${PYTHON:-} /usr/bin/python3 python3; do
    if "$candidate" -c 'import numpy, h5py' >/dev/null 2>&1; then py=$candidate; break; fi
  done
  if [[ -z $py ]]; then
    echo "oracle not run: no python3 on this node has numpy and h5py (set PYTHON)" >"$log"
    return 1
  fi
  TRUSTPROP_BINARY=$DIST/trustprop TRUSTPROP_TEST_DATA=$ROOT/tests/data \
    "$py" "$ROOT/tests/python/test_dynamics_oracle.py" -v DynamicsOracle.test_generated_city_on_the_gpu >"$log" 2>&1 ||
    return 1
  # A skip means no usable device: a failure on a GPU round.
  ! grep -q "skipped" "$log"
}

stage_sanitizer() { # memcheck's test filter: '*' (the whole binary) or the GPU tests
  link_build_paths >/dev/null
  local log=$OUT/sanitizer.log rc=0 tool memcheck_filter=$1
  if ! command -v compute-sanitizer >/dev/null; then
    echo "compute-sanitizer not found in $CUDA_HOME/bin or on PATH" >"$log"
    return 1
  fi
  {
    echo "== memcheck, tests $memcheck_filter"
    limited compute-sanitizer --tool memcheck --leak-check full --error-exitcode 99 \
      "$DIST/trustprop_tests" --gtest_filter="$memcheck_filter" --gtest_color=no || rc=$?
    echo "== memcheck rc=$rc"
    for tool in racecheck synccheck initcheck; do
      local tool_rc=0
      echo "== $tool, GPU tests"
      limited compute-sanitizer --tool "$tool" --error-exitcode 99 \
        "$DIST/trustprop_tests" --gtest_filter='*Cuda*:*Gpu*' --gtest_color=no || tool_rc=$?
      echo "== $tool rc=$tool_rc"
      [[ $tool_rc == 0 ]] || rc=$tool_rc
    done
  } >"$log" 2>&1
  return "$rc"
}

bench_graph() { # name, then the generate arguments
  local name=$1 graph=$WORK_DIR/$1.h5 rc=0
  shift
  {
    echo "== generate $*"
    rm -f "$graph"
    local t0=$SECONDS
    limited "$DIST/trustprop" generate "$@" -o "$graph" || rc=$?
    echo "== generate: rc=$rc, $((SECONDS - t0)) s"
    [[ $rc != 0 || -f $graph ]] || rc=66
    if [[ $rc == 0 ]]; then
      echo "== bench_gpu_eigentrust $graph"
      limited "$DIST/bench_gpu_eigentrust" "$graph" --out "$OUT/bench_$name.json" --label "$name" --runs "$BENCH_RUNS" || rc=$?
    fi
    [[ ${KEEP_GRAPHS:-0} == 1 ]] || rm -f "$graph"
  } >"$OUT/bench_$name.log" 2>&1
  return "$rc"
}

stage_bench_cli() {
  local rc=0
  {
    echo "== trustprop bench --agents $CLI_AGENTS --backends cpu,cuda:0"
    limited "$DIST/trustprop" --log-level warn bench --agents "$CLI_AGENTS" --backends cpu,cuda:0 --iterations 20 --epochs 3 \
      -o "$OUT/bench_cli.json" || rc=$?
  } >>"$OUT/summary.txt" 2>&1
  return "$rc"
}

for stage in "${stages[@]}"; do
  echo "gpu_round: $stage ..." >&2
  case $stage in
    env) stage_env; record env $? ;;
    tests) stage_tests; record tests $? ;;
    sanitizer) stage_sanitizer '*'; record sanitizer $? ;;
    sanitizer-gpu) stage_sanitizer '*Cuda*:*Gpu*'; record sanitizer-gpu $? ;;
    bench-rmat) bench_graph rmat rmat --scale "$RMAT_SCALE" --edge-factor 16; record bench-rmat $? ;;
    bench-city) bench_graph city city --agents "$CITY_AGENTS"; record bench-city $? ;;
    bench-cli) stage_bench_cli; record bench-cli $? ;;
    oracle) stage_oracle; record oracle $? ;;
    bench)
      bench_graph rmat rmat --scale "$RMAT_SCALE" --edge-factor 16; record bench-rmat $?
      bench_graph city city --agents "$CITY_AGENTS"; record bench-city $? ;;
    *) echo "gpu_round: unknown stage '$stage'" >&2; record "$stage" 64 ;;
  esac
done
cat "$OUT/summary.txt" >&2
for f in "$OUT"/bench_*.json; do
  [[ -f $f ]] && python3 - "$f" >&2 <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
it = r["trustprop"]["iteration"]
print(f'{r["label"]:>6}: n={r["graph"]["agents"]} ties={r["graph"]["ties"]}  iteration {it["median_ms"]:.3f} ms'
      f'  {it["achieved_gb_per_s"]:.0f} GB/s  x{it["vs_floor"]:.2f} floor  x{it.get("vs_cusparse_spmv", float("nan")):.2f} cuSPARSE'
      f'  (copy {r["device_copy"]["achieved_gb_per_s"]:.0f} GB/s on {r["device"]["name"]})')
EOF
done
exit "$failed"
