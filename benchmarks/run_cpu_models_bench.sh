#!/usr/bin/env bash
# CPU personalized-trust (SpMM) and fairness–goodness benchmark (issue 7,
# item 5; docs/benchmarks.md): trustprop's CPU iterations next to
# SuiteSparse:GraphBLAS doing the same iterations, with a STREAM triad probe
# and each iteration's bytes floor, at 1 and 2 threads, on
#   Bitcoin OTC (signed, weights scaled into [-1, 1]), SNAP soc-Epinions1,
#   R-MAT scale 20 (edge factor 16) and a generated city of 2,000,000 agents.
# Writes benchmarks/results/cpu_models.json and prints a table.
#
#   benchmarks/run_cpu_models_bench.sh [--graphs otc,epinions,rmat20,city2m]
#                                      [--ks 8,32] [--threads 1,2] [--no-wait]
#
# Environment: BUILD_DIR (default build-bench), DATA (tests/data),
# QUIET_MAX_WAIT (seconds to wait for a quiet machine per graph, default 300).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
PY=/usr/bin/python3
DATA=${DATA:-$ROOT/tests/data}
QUIET_MAX_WAIT=${QUIET_MAX_WAIT:-300}
GRAPHS=otc,epinions,rmat20,city2m
KS=8,32
THREADS=1,2
WAIT=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --graphs) GRAPHS=$2; shift 2 ;;
    --ks) KS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --no-wait) WAIT=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run_cpu_models_bench.sh: unknown argument $1" >&2; exit 64 ;;
  esac
done
log() { printf '[run_cpu_models_bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
source "$ROOT/benchmarks/quiet.sh"

log "building in $BUILD_DIR"
cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DTRUSTPROP_CUDA=OFF -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" --target trustprop bench_cpu_graphblas_models >/dev/null
TP=$BUILD_DIR/trustprop
BENCH=$BUILD_DIR/benchmarks/bench_cpu_graphblas_models
WORK=$(mktemp -d /tmp/trustprop-models-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
q() { "$TP" --progress none --log-level warn "$@"; }

RESULTS=()
for name in ${GRAPHS//,/ }; do
  g=$WORK/$name.h5
  log "making $name"
  # city2m and rmat20 have k·n·8 bytes per column block: fewer timed iterations
  case $name in
    otc) q import "$DATA/real/bitcoin-otc/soc-sign-bitcoinotc.csv.gz" --signed --scale-weights -o "$g"; repeats=20 ;;
    epinions) q import "$DATA/real/epinions/soc-Epinions1.txt.gz" -o "$g"; repeats=20 ;;
    rmat20) q generate rmat --scale 20 --edge-factor 16 --seed 1 --weights one -o "$g"; repeats=8 ;;
    city2m) q generate city --agents 2000000 --seed 1 -o "$g"; repeats=4 ;;
    *) echo "run_cpu_models_bench.sh: unknown graph $name" >&2; exit 64 ;;
  esac
  wait_quiet
  "$BENCH" "$g" --label "$name" --ks "$KS" --threads "$THREADS" --repeats "$repeats" -o "$WORK/$name.json"
  RESULTS+=("$WORK/$name.json")
  rm -f "$g"
done

OUT=$ROOT/benchmarks/results/cpu_models.json
REV=$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
DIRTY=$(git -C "$ROOT" status --porcelain 2>/dev/null | wc -l)
"$PY" - "$OUT" "$REV" "$DIRTY" "${RESULTS[@]}" <<'EOF'
import json, sys
out, rev, dirty, files = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
graphs = [json.load(open(f)) for f in files]
doc = {"benchmark": "cpu_models", "command": "benchmarks/run_cpu_models_bench.sh", "git_revision": rev,
       "git_uncommitted_paths": dirty, "machine": graphs[0]["machine"], "trustprop": graphs[0]["trustprop"],
       "graphblas": graphs[0]["graphblas"], "graphs": []}
for g in graphs:
    for k in ("machine", "trustprop", "graphblas", "benchmark"):
        g.pop(k, None)
    doc["graphs"].append(g)
json.dump(doc, open(out, "w"), indent=2)
print("| graph | threads | model | k | trustprop | GraphBLAS FP64 | GraphBLAS FP32 | × GrB FP64 | × GrB FP32 | × floor | agreement |")
print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|")
for g in doc["graphs"]:
    for r in g["runs"]:
        for p in r["personalized"]:
            s = p["systems"]; t = s["trustprop"]
            a = p["agreement"]
            print(f"| {g['label']} | {r['threads']} | personalized | {p['k']} | {t['median_seconds']*1e3:.1f} ms "
                  f"| {s['graphblas_fp64']['median_seconds']*1e3:.1f} ms | {s['graphblas_fp32']['median_seconds']*1e3:.1f} ms "
                  f"| {t['ratio_to_graphblas_fp64']:.2f} | {t['ratio_to_graphblas_fp32']:.2f} | {t['ratio_to_floor']:.1f} "
                  f"| column L1 {a['max_column_l1_trustprop_vs_graphblas_fp64']:.1e} (FP64) |")
        fg = r.get("fairness_goodness")
        if fg:
            s = fg["systems"]; t = s["trustprop"]; a = fg["agreement"]
            print(f"| {g['label']} | {r['threads']} | fairness–goodness | — | {t['median_seconds']*1e3:.1f} ms "
                  f"| {s['graphblas_fp64']['median_seconds']*1e3:.1f} ms | — | {t['ratio_to_graphblas_fp64']:.2f} | — "
                  f"| {t['ratio_to_floor']:.1f} | L1 f {a['l1_fairness_trustprop_vs_graphblas']:.1e}, g {a['l1_goodness_trustprop_vs_graphblas']:.1e} |")
EOF
log "wrote $OUT"
