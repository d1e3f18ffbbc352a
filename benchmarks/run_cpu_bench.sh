#!/usr/bin/env bash
# CPU EigenTrust benchmark (issues 2 and 7; docs/benchmarks.md): trustprop's
# CPU iteration next to SuiteSparse:GraphBLAS (LAGr_PageRank's iteration,
# FP32 and FP64), a STREAM triad probe and the compulsory-bytes floor, on
#   R-MAT scale 20 and 22 (edge factor 16), a generated city of 2,000,000
#   agents, and SNAP soc-Epinions1,
# at 1 and 2 threads. Writes
#   benchmarks/results/cpu_eigentrust.json   every graph, one file
#   benchmarks/results/cpu_eigentrust.png    time per iteration vs edges
# Graphs are made in a temporary directory under /tmp and deleted afterwards.
#
#   benchmarks/run_cpu_bench.sh [--quick] [--graphs rmat20,rmat22,city2m,epinions]
#                               [--threads 1,2] [--out-dir DIR] [--no-wait] [--merge]
#                               [--reorder degree,rcm|none]
#
#   --quick      small graphs (R-MAT 14 and 16, a city of 50,000, Epinions),
#                results to /tmp unless --out-dir is given: a smoke test
#   --no-wait    do not wait for the machine to be quiet before each graph
#   --reorder M  also measure each graph of REORDER_GRAPHS (default rmat20,
#                city2m) renumbered by `trustprop reorder --method` for each
#                method in the comma list M (default degree,rcm; "none" skips),
#                as graphs labelled <graph>-<method> (docs/reorder.md)
#   --merge      replace only the graphs measured now in an existing
#                cpu_eigentrust.json (each graph keeps its own date and git
#                revision): re-measure one graph that a busy machine spoiled
#
# Environment: BUILD_DIR (default build-bench), EPINIONS (the SNAP file),
# QUIET_MAX_WAIT (seconds to wait for a quiet machine per graph, default 300).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
PY=/usr/bin/python3  # needs numpy, h5py, matplotlib (python3-matplotlib)
EPINIONS=${EPINIONS:-/work/shared/data/epinions/soc-Epinions1.txt}
QUIET_MAX_WAIT=${QUIET_MAX_WAIT:-300}
GRAPHS=rmat20,rmat22,city2m,epinions
THREADS=1,2
OUT_DIR=$ROOT/benchmarks/results
QUICK=0
WAIT=1
MERGE=0
REORDER=degree,rcm
REORDER_GRAPHS=${REORDER_GRAPHS:-rmat20,city2m}
ORIG_ARGS="$*"

while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) QUICK=1; OUT_DIR=${OUT_DIR_SET:-/tmp/trustprop-bench-quick}; shift ;;
    --graphs) GRAPHS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --out-dir) OUT_DIR=$2; OUT_DIR_SET=$2; shift 2 ;;
    --no-wait) WAIT=0; shift ;;
    --merge) MERGE=1; shift ;;
    --reorder) REORDER=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run_cpu_bench.sh: unknown argument $1" >&2; exit 64 ;;
  esac
done
[[ -n ${OUT_DIR_SET:-} ]] && OUT_DIR=$OUT_DIR_SET
mkdir -p "$OUT_DIR"

log() { printf '[run_cpu_bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# --- build (re-configuring refreshes the git revision compiled into the binaries)
log "building in $BUILD_DIR"
cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DTRUSTPROP_CUDA=OFF -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" --target trustprop bench_cpu_graphblas >/dev/null
TP=$BUILD_DIR/trustprop
BENCH=$BUILD_DIR/benchmarks/bench_cpu_graphblas
[[ -x $BENCH ]] || { echo "run_cpu_bench.sh: $BENCH was not built (is libgraphblas-dev installed?)" >&2; exit 70; }

WORK=$(mktemp -d /tmp/trustprop-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# --- graph makers: the real trustprop commands when this build has them,
#     else benchmarks/make_bench_graph.py (same file layout)
# (a subcommand is there when its parent's help lists it: an unknown
# subcommand followed by --help would still exit 0)
have_cmd() {  # have_cmd [parent] name
  local name=${*: -1}
  "$TP" "${@:1:$#-1}" --help 2>/dev/null | grep -qE "^[[:space:]]+$name([[:space:]]|$)"
}
make_rmat() {  # scale out
  if have_cmd generate rmat; then
    "$TP" --progress none --log-level warn generate rmat --scale "$1" --edge-factor 16 --seed 1 -o "$2"
  else
    log "trustprop generate rmat not available: using make_bench_graph.py"
    "$PY" "$ROOT/benchmarks/make_bench_graph.py" rmat --scale "$1" --edge-factor 16 --seed 1 -o "$2"
  fi
}
make_city() {  # agents out
  if have_cmd generate city; then
    "$TP" --progress none --log-level warn generate city --agents "$1" --seed 1 -o "$2"
  else
    log "trustprop generate city not available: skipping the city"
    return 1
  fi
}
make_epinions() {  # out
  [[ -r $EPINIONS ]] || { log "$EPINIONS not readable: skipping Epinions"; return 1; }
  if have_cmd import; then
    "$TP" --progress none --log-level warn import "$EPINIONS" --format snap -o "$1"
  else
    log "trustprop import not available: using make_bench_graph.py snap"
    "$PY" "$ROOT/benchmarks/make_bench_graph.py" snap "$EPINIONS" -o "$1"
  fi
}

# --- wait until other processes leave the CPUs alone (shared machines)
source "$ROOT/benchmarks/quiet.sh"

# --- the graphs: name maker args repeats
if [[ $QUICK == 1 ]]; then
  SPEC="rmat20:rmat:14:20 rmat22:rmat:16:20 city2m:city:50000:20 epinions:epinions::20"
else
  # scale 22 and the city take ~0.3-1 s per iteration at one thread: 20 repeats keep
  # the whole run near 10 minutes on a 2-core machine.
  SPEC="rmat20:rmat:20:30 rmat22:rmat:22:20 city2m:city:2000000:20 epinions:epinions::40"
fi

RESULTS=()
for item in $SPEC; do
  IFS=: read -r name maker arg repeats <<<"$item"
  [[ ,$GRAPHS, == *,$name,* ]] || continue
  label=$name
  if [[ $QUICK == 1 ]]; then
    case $maker in rmat) label="rmat$arg" ;; city) label="city${arg}" ;; esac
  fi
  g=$WORK/$label.h5
  log "making $label"
  t0=$(date +%s)
  case $maker in
    rmat) make_rmat "$arg" "$g" || continue ;;
    city) make_city "$arg" "$g" || continue ;;
    epinions) make_epinions "$g" || continue ;;
  esac
  log "made $label in $(( $(date +%s) - t0 ))s; benchmarking (${repeats} timed iterations per system and thread count)"
  wait_quiet
  "$BENCH" "$g" --label "$label" --repeats "$repeats" --threads "$THREADS" -o "$WORK/$label.json"
  RESULTS+=("$WORK/$label.json")
  if [[ $REORDER != none && ,$REORDER_GRAPHS, == *,$name,* ]]; then
    for method in ${REORDER//,/ }; do
      log "reordering $label by $method"
      "$TP" --progress none --log-level warn reorder "$g" --method "$method" -o "$WORK/$label-$method.h5"
      wait_quiet
      "$BENCH" "$WORK/$label-$method.h5" --label "$label-$method" --repeats "$repeats" --threads "$THREADS" \
        -o "$WORK/$label-$method.json"
      RESULTS+=("$WORK/$label-$method.json")
      rm -f "$WORK/$label-$method.h5"
    done
  fi
  rm -f "$g"
done
[[ ${#RESULTS[@]} -gt 0 ]] || { echo "run_cpu_bench.sh: no graph was benchmarked" >&2; exit 70; }

# --- one JSON for all graphs, then the plot
REV=$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
DIRTY=$(git -C "$ROOT" status --porcelain 2>/dev/null | wc -l)
"$PY" - "$OUT_DIR/cpu_eigentrust.json" "$REV" "$DIRTY" "$MERGE" "$ORIG_ARGS" "${RESULTS[@]}" <<'EOF'
import json, os, sys
out, rev, dirty, merge, args, files = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1", sys.argv[5], sys.argv[6:]
new = []
for f in files:
    g = json.load(open(f))
    g["git_revision"], g["git_uncommitted_paths"] = rev, dirty
    new.append(g)
first = new[0]
doc = {
    "benchmark": "cpu_eigentrust",
    "command": "benchmarks/run_cpu_bench.sh" + (" " + args if args else ""),
    "date_utc": first["date_utc"],
    "machine": first["machine"],
    "git_revision": rev,
    "git_uncommitted_paths": dirty,
    "build_git_revision": first["trustprop"]["git_revision"],
    "trustprop_version": first["trustprop"]["version"],
    "graphblas": first["graphblas"],
    "graphs": [],
}
kept = []
if merge and os.path.exists(out):
    old = json.load(open(out))
    labels = {g["label"] for g in new}
    for g in old["graphs"]:
        if g["label"] not in labels:
            g.setdefault("git_revision", old.get("git_revision"))
            g.setdefault("git_uncommitted_paths", old.get("git_uncommitted_paths"))
            kept.append(g)
    doc["commands"] = old.get("commands", [old.get("command")]) + [doc["command"]]
for g in kept + new:
    g = dict(g)
    for k in ("benchmark", "machine", "trustprop", "graphblas"):
        g.pop(k, None)
    doc["graphs"].append(g)
doc["graphs"].sort(key=lambda g: g["graph"]["nnz_transition"])
dates = sorted(g["date_utc"] for g in doc["graphs"])
doc["date_utc"] = dates[0] if dates[0][:10] == dates[-1][:10] and dates[0][:13] == dates[-1][:13] else f"{dates[0]} .. {dates[-1]}"
with open(out, "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
EOF
"$PY" "$ROOT/benchmarks/plot_cpu_eigentrust.py" "$OUT_DIR/cpu_eigentrust.json" "$OUT_DIR/cpu_eigentrust.png"
"$PY" "$ROOT/benchmarks/plot_cpu_eigentrust.py" --table "$OUT_DIR/cpu_eigentrust.json"
log "wrote $OUT_DIR/cpu_eigentrust.json and $OUT_DIR/cpu_eigentrust.png"
