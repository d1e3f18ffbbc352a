#!/usr/bin/env bash
# CPU benchmark of the city dynamics' edge update (docs/dynamics.md "Speed"):
# runs benchmarks/bench_dynamics at each thread count on a generated city and
# collects the runs in benchmarks/results/dynamics_cpu.json.
#
#   benchmarks/run_dynamics_bench.sh [--agents 1000000] [--threads 1,2] [--epochs 8] [--out FILE]
#
# Environment: BUILD_DIR (default build).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
AGENTS=1000000
THREADS=1,2
EPOCHS=8
OUT=$ROOT/benchmarks/results/dynamics_cpu.json

while [[ $# -gt 0 ]]; do
  case $1 in
    --agents) AGENTS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --epochs) EPOCHS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run_dynamics_bench.sh: unknown argument $1" >&2; exit 64 ;;
  esac
done

BENCH=$BUILD_DIR/benchmarks/bench_dynamics
[[ -x $BENCH ]] || { echo "run_dynamics_bench.sh: $BENCH not found (build first, or set BUILD_DIR)" >&2; exit 66; }
WORK=$(mktemp -d /tmp/trustprop-dynbench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

cd "$ROOT"  # the benchmark records the git revision of the working directory
files=()
for t in ${THREADS//,/ }; do
  echo "[run_dynamics_bench] $AGENTS agents, $t thread(s)" >&2
  "$BENCH" --agents "$AGENTS" --epochs "$EPOCHS" --threads "$t" -o "$WORK/threads-$t.json" >/dev/null
  files+=("$WORK/threads-$t.json")
done
/usr/bin/python3 - "$OUT" "${files[@]}" <<'EOF'
import json, sys
runs = [json.load(open(f)) for f in sys.argv[2:]]
out = {"benchmark": "dynamics_cpu", "command": "benchmarks/run_dynamics_bench.sh", "runs": runs}
with open(sys.argv[1], "w") as f:
    json.dump(out, f, indent=2)
    f.write("\n")
for r in runs:
    print(f"threads {r['threads']}: edge update {r['median_edge_update_seconds']:.3f} s "
          f"(interaction pass {r['median_interaction_pass_seconds']:.3f} s), EigenTrust iteration "
          f"{r['median_eigentrust_iteration_seconds']:.3f} s: {r['edge_update_in_eigentrust_iterations']:.2f} "
          f"iterations ({r['edge_update_in_same_epoch_propagation_iterations']:.2f} of the same epoch's)")
EOF
