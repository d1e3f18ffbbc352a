#!/usr/bin/env bash
# A distributed run (docs/distributed.md) against one process, on the
# same machine, the same graph and the same work, in one run:
#   one process with every core as OpenMP threads (the peer), then R MPI
#   processes sharing the cores (mpiexec -n R trustprop --threads cores/R),
#   alternately, --repeats times each; every run does --iterations
#   iterations (tolerance 0) of --model: eigentrust (rows split, the float32
#   gather), sybilrank (rows split, --iterations steps from the
#   institutions), personalized (--seed-sets K sets of one agent each,
#   agents spread over the graph; the sets split), signed (trust-only, K
#   sources spread likewise, --iterations steps; the sources split) or
#   simulate (configs/city.toml's model on the graph, --iterations epochs;
#   rows of W and of Wᵀ split; "per iteration" is per epoch, the median of
#   epochs 2 on).
# It records per configuration the median time per iteration, the part of
# it spent exchanging t between processes (EigenTrust), the setup time
# (reading the graph or its share and building Cᵀ), each process's peak
# resident memory (/usr/bin/time), and whether the result has the same bits
# as the single process's (EigenTrust: the trust vector; personalized: the
# top tables and every set's last residual; sybilrank: the scores; signed:
# the belief block; simulate: the last epoch's trust, strategies and
# payoffs); plus the STREAM triad
# bandwidth of this machine from the same run (bench_stream), so figures
# from different machines can be told apart. Results: one JSON file.
#
#   benchmarks/run_distributed_bench.sh [GRAPH.h5] [--agents 2000000] [--processes 2] [--iterations 30]
#                                       [--repeats 3] [--model eigentrust|sybilrank|personalized|signed|simulate] [--seed-sets 32]
#                                       [--out FILE]
#
# Without GRAPH it generates a city of --agents agents (seed 1) in a
# temporary directory. Environment: BUILD_DIR (default build), MPIEXEC
# (default mpiexec).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
MPIEXEC=${MPIEXEC:-mpiexec}
GRAPH=
AGENTS=2000000
PROCESSES=2
ITERATIONS=30
REPEATS=3
MODEL=eigentrust
SEED_SETS=32
OUT=

while [[ $# -gt 0 ]]; do
  case $1 in
    --agents) AGENTS=$2; shift 2 ;;
    --processes) PROCESSES=$2; shift 2 ;;
    --iterations) ITERATIONS=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --model) MODEL=$2; shift 2 ;;
    --seed-sets) SEED_SETS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run_distributed_bench.sh: unknown option $1" >&2; exit 64 ;;
    *) GRAPH=$1; shift ;;
  esac
done

case $MODEL in
  eigentrust) OUT=${OUT:-$ROOT/benchmarks/results/distributed_cpu.json}; MODEL_ARGS=() ;;
  sybilrank) OUT=${OUT:-$ROOT/benchmarks/results/distributed_${MODEL}_cpu.json}
    MODEL_ARGS=(--model sybilrank --steps "$ITERATIONS") ;;
  personalized|signed|simulate) OUT=${OUT:-$ROOT/benchmarks/results/distributed_${MODEL}_cpu.json} ;;
  *) echo "run_distributed_bench.sh: --model $MODEL: eigentrust, sybilrank, personalized, signed or simulate" >&2
     exit 64 ;;
esac
TRUSTPROP=$BUILD_DIR/trustprop
STREAM=$BUILD_DIR/benchmarks/bench_stream
for f in "$TRUSTPROP" "$STREAM"; do
  [[ -x $f ]] || { echo "run_distributed_bench.sh: $f not found (build first, or set BUILD_DIR)" >&2; exit 66; }
done
command -v "$MPIEXEC" >/dev/null || { echo "run_distributed_bench.sh: no $MPIEXEC (scripts/install-deps.sh)" >&2; exit 66; }
CORES=$(nproc)
WORK=$(mktemp -d /tmp/trustprop-distbench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
if [[ -z $GRAPH ]]; then
  GRAPH=$WORK/city.h5
  "$TRUSTPROP" --log-level warn generate city --agents "$AGENTS" --seed 1 -o "$GRAPH" >&2
fi
if [[ $MODEL == personalized || $MODEL == signed ]]; then
  # K agents spread evenly over the graph's ids (agent i's id is i in a generated city).
  N=$(/usr/bin/python3 -c "import h5py,sys; print(h5py.File(sys.argv[1])['graph'].attrs['shape'][0])" "$GRAPH")
  SEEDS=$(/usr/bin/python3 -c "import sys; n,k=map(int,sys.argv[1:]); print(','.join(str(c*n//k) for c in range(k)))" \
    "$N" "$SEED_SETS")
  if [[ $MODEL == personalized ]]; then
    MODEL_ARGS=(--model personalized --seeds "$SEEDS" --top-per-seed 100)
  else
    MODEL_ARGS=(--model signed --mode trust-only --sources "$SEEDS" --steps "$ITERATIONS")
  fi
fi
if [[ $MODEL == simulate ]]; then
  printf '[run]\nname = "bench"\nepochs = %d\n[graph]\npath = "%s"\n[output]\ntrust_every = %d\n' \
    "$ITERATIONS" "$(realpath "$GRAPH")" "$ITERATIONS" >"$WORK/simulate.toml"
fi
# Open MPI as root; waiting processes yield their core.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_mpi_yield_when_idle=1

# run NAME PROCESSES: one rank run; its JSON, peak RSS per process and results file under $WORK.
run() {
  local name=$1 p=$2 threads=$((CORES / $2 > 0 ? CORES / $2 : 1))
  local args=(--log-level error --threads "$threads" rank "$GRAPH" "${MODEL_ARGS[@]}" --tolerance 0
              --max-iterations "$ITERATIONS" --json -o "$WORK/$name.h5")
  [[ $MODEL == simulate ]] && args=(--log-level error --threads "$threads" simulate "$WORK/simulate.toml"
                                    --run-dir "$WORK/$name")
  if [[ $p == 1 ]]; then
    /usr/bin/time -f 'rss_kb %M' -o "$WORK/$name.rss" "$TRUSTPROP" "${args[@]}" >"$WORK/$name.json"
  else
    "$MPIEXEC" -n "$p" /usr/bin/time -f 'rss_kb %M' -a -o "$WORK/$name.rss" "$TRUSTPROP" "${args[@]}" \
      >"$WORK/$name.json"
  fi
}

cd "$ROOT"
for ((k = 0; k < REPEATS; ++k)); do
  for p in 1 ${PROCESSES//,/ }; do
    echo "[run_distributed_bench] repeat $((k + 1))/$REPEATS: $p process(es)" >&2
    run "p$p-r$k" "$p"
  done
done
"$STREAM" --threads "$CORES" -o "$WORK/stream.json" >/dev/null

/usr/bin/python3 - "$OUT" "$WORK" "$GRAPH" "$CORES" "$ITERATIONS" "$REPEATS" "1,$PROCESSES" \
  "$(git rev-parse --short=12 HEAD)" "$MODEL" "$SEED_SETS" <<'EOF'
import json, os, statistics, subprocess, sys, time
import h5py, numpy as np
out, work, graph, cores, iterations, repeats, processes, revision, model, seed_sets = sys.argv[1:]
cores, iterations, repeats = int(cores), int(iterations), int(repeats)
compared = {"eigentrust": ["trust/eigentrust"], "signed": ["trust/signed"],
            "sybilrank": ["trust/sybilrank", "trust/sybilrank_raw"],
            "personalized": ["trust/personalized/top_agent", "trust/personalized/top_trust",
                             "convergence/personalized/column_residuals"],
            "simulate": [f"trust/epoch_{iterations}", "agents/strategy", "agents/payoff"]}[model]
def result(name):
    with h5py.File(f"{work}/{name}/results.h5" if model == "simulate" else f"{work}/{name}.h5") as f:
        return [f[d][:] for d in compared]
def summary(name):
    if model != "simulate":
        return json.load(open(f"{work}/{name}.json"))
    epochs = [json.loads(l) for l in open(f"{work}/{name}/metrics.jsonl")]
    return {"seconds_per_iteration": statistics.median(e["seconds"] for e in epochs[1:]),
            "seconds_edges_per_epoch": statistics.median(e["seconds_edges"] for e in epochs[1:]),
            "seconds_propagation_per_epoch": statistics.median(e["seconds_propagation"] for e in epochs[1:])}
reference = result("p1-r0")
configs = []
for p in [int(x) for x in processes.split(",")]:
    runs = []
    for k in range(repeats):
        name = f"p{p}-r{k}"
        j = summary(name)
        rss = [int(l.split()[1]) * 1024 for l in open(f"{work}/{name}.rss") if l.startswith("rss_kb")]
        same = all(np.array_equal(a, b) for a, b in zip(result(name), reference))
        # signed reports its whole time (setup included) and steps instead.
        per_iteration = j["seconds_per_iteration"] if "seconds_per_iteration" in j else j["seconds"] / j["steps"]
        runs.append({"seconds_per_iteration": per_iteration, "setup_seconds": j.get("setup_seconds", 0.0),
                     "exchange_seconds_per_iteration": j.get("exchange_seconds_per_iteration", 0.0),
                     **{k: j[k] for k in ("seconds_edges_per_epoch", "seconds_propagation_per_epoch") if k in j},
                     "peak_rss_bytes_per_process": rss, "transition": j.get("transition", "weighted, CSR"),
                     "same_bits_as_one_process": bool(same)})
    med = lambda key: statistics.median(r[key] for r in runs)
    configs.append({"processes": p, "threads_per_process": max(cores // p, 1), "runs": runs,
                    "median_seconds_per_iteration": med("seconds_per_iteration"),
                    "median_exchange_seconds_per_iteration": med("exchange_seconds_per_iteration"),
                    "median_setup_seconds": med("setup_seconds"),
                    "max_peak_rss_bytes_per_process": max(max(r["peak_rss_bytes_per_process"]) for r in runs)})
stream = json.load(open(f"{work}/stream.json"))
with h5py.File(graph) as f:
    n, nnz = int(f["graph"].attrs["shape"][0]), int(f["graph/indices"].shape[0])
doc = {"benchmark": "distributed_cpu" if model == "eigentrust" else f"distributed_{model}_cpu",
       "command": "benchmarks/run_distributed_bench.sh --model " + model +
                  (f" --seed-sets {seed_sets}" if model in ("personalized", "signed") else ""),
       "model": model, **({"seed_sets_or_sources": int(seed_sets)} if model in ("personalized", "signed") else {}),
       "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "git_revision": revision,
       "machine": stream.pop("machine"),
       "mpi": subprocess.run(["mpiexec", "--version"], capture_output=True, text=True).stdout.splitlines()[0],
       "graph": {"path": os.path.basename(graph), "agents": n, "edges": nnz},
       "iterations_per_run": iterations, "stream_triad_GBps": stream["stream_triad_GBps"],
       "configurations": configs}
with open(out, "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
print(f"STREAM triad {stream['stream_triad_GBps']:.1f} GB/s ({cores} threads)")
base = configs[0]["median_seconds_per_iteration"]
for c in configs:
    print(f"{c['processes']} process(es) x {c['threads_per_process']} thread(s): "
          f"{c['median_seconds_per_iteration'] * 1e3:.1f} ms per iteration "
          f"({base / c['median_seconds_per_iteration']:.2f}x one process), exchange "
          f"{c['median_exchange_seconds_per_iteration'] * 1e3:.1f} ms, setup {c['median_setup_seconds']:.1f} s, "
          f"peak RSS {c['max_peak_rss_bytes_per_process'] / 2**30:.2f} GiB per process, same bits: "
          f"{all(r['same_bits_as_one_process'] for r in c['runs'])}")
EOF
