#!/usr/bin/env bash
# Import throughput (docs/import.md): `trustprop import` on the largest real
# network (Slashdot, plain and gzipped), Epinions (gzipped) and a synthetic
# weighted edge list and Matrix Market file generated into a scratch
# directory. Each input is imported REPEATS times; the best run is kept.
# Writes benchmarks/results/import.json (machine, date, git revision, and per
# input: bytes, edges, agents, seconds, parse/build/write split, edges/s).
#
# usage: benchmarks/bench_import.sh [TRUSTPROP_BINARY]
# env:   SYNTHETIC_EDGES (default 20000000), SYNTHETIC_AGENTS (default edges/16),
#        REPEATS (default 3), THREADS (thread counts to run, default "1 $(nproc)"),
#        SHARED_DATA (default /work/shared/data),
#        SCRATCH (default a temporary directory, removed afterwards),
#        OUT (default benchmarks/results/import.json), NOTE (free text kept in the JSON)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${1:-${TRUSTPROP_BINARY:-$ROOT/build/trustprop}}"
EDGES="${SYNTHETIC_EDGES:-20000000}"
AGENTS="${SYNTHETIC_AGENTS:-$((EDGES / 16))}"
REPEATS="${REPEATS:-3}"
THREADS="${THREADS:-$( [ "$(nproc)" -gt 1 ] && echo "1 $(nproc)" || echo 1 )}"
SHARED="${SHARED_DATA:-/work/shared/data}"
OUT="${OUT:-$ROOT/benchmarks/results/import.json}"
PY=/usr/bin/python3

[ -x "$BIN" ] || { echo "bench_import: no trustprop binary at $BIN" >&2; exit 66; }
if [ -n "${SCRATCH:-}" ]; then
  mkdir -p "$SCRATCH"
else
  SCRATCH="$(mktemp -d /tmp/trustprop-bench-import-XXXXXX)"
  trap 'rm -rf "$SCRATCH"' EXIT
fi

inputs=()
slashdot="$SHARED/slashdot0902/soc-slashdot0902-directed.edges.csv"
if [ -f "$slashdot" ]; then
  inputs+=("$slashdot")
else
  echo "bench_import: $slashdot not found; using the gzipped test copy only" >&2
fi
inputs+=("$ROOT/tests/data/real/slashdot0902/soc-slashdot0902-directed.edges.csv.gz")
inputs+=("$ROOT/tests/data/real/epinions/soc-Epinions1.txt.gz")

syn="$SCRATCH/synthetic-$EDGES.txt"
if [ ! -f "$syn" ]; then
  echo "bench_import: generating $EDGES random weighted edges over $AGENTS agents into $syn" >&2
  awk -v n="$EDGES" -v a="$AGENTS" 'BEGIN { srand(1);
    print "# synthetic: uniform random source, target in [0, " a "), weight in [0, 1)";
    for (i = 0; i < n; i++) printf "%d %d %.3f\n", int(rand() * a), int(rand() * a), rand() }' >"$syn"
fi
mtx="$SCRATCH/synthetic-$EDGES.mtx"
if [ ! -f "$mtx" ]; then
  { echo "%%MatrixMarket matrix coordinate real general"
    echo "$AGENTS $AGENTS $EDGES"
    awk 'NR > 1 { printf "%d %d %s\n", $1 + 1, $2 + 1, $3 }' "$syn"; } >"$mtx"
fi
inputs+=("$syn" "$mtx")

runs="$SCRATCH/runs.jsonl"
: >"$runs"
for input in "${inputs[@]}"; do
  for t in $THREADS; do
    for r in $(seq 1 "$REPEATS"); do
      "$BIN" --log-level warn --threads "$t" import "$input" --keep-self-loops --json -o "$SCRATCH/out.h5" \
        >"$SCRATCH/run.json"
      "$PY" -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1]))))' "$SCRATCH/run.json" >>"$runs"
      rm -f "$SCRATCH/out.h5"
    done
  done
  echo "bench_import: $(basename "$input") done" >&2
done

cpu="$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)"
rev="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo uncommitted)"
if [ "$rev" != uncommitted ] && [ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null)" ]; then rev="$rev-dirty"; fi
mkdir -p "$(dirname "$OUT")"
"$PY" - "$runs" "$OUT" "$cpu" "$(nproc)" "$rev" "$REPEATS" "$BIN" "${NOTE:-}" <<'EOF'
import datetime, json, os, sys
runs_path, out, cpu, cores, rev, repeats, binary, note = sys.argv[1:]
by_input = {}
for line in open(runs_path):
    r = json.loads(line)
    by_input.setdefault((r["input"], r["threads"]), []).append(r)
results = []
for (path, threads), rs in by_input.items():
    best = min(rs, key=lambda r: r["seconds"])
    results.append({
        "input": os.path.basename(path),
        "format": best["format"], "compressed": best["compressed"],
        "text_bytes": best["bytes"], "lines": best["lines"], "edges_read": best["edges_read"],
        "agents": best["agents"], "edges": best["edges"], "threads": best["threads"],
        "repeats": len(rs),
        "seconds": best["seconds"], "parse_seconds": best["parse_seconds"],
        "build_seconds": best["build_seconds"], "write_seconds": best["write_seconds"],
        "edges_per_second": best["edges_per_second"],
        "text_mb_per_second": best["bytes"] / best["parse_seconds"] / 1e6,
        "seconds_all_runs": sorted(r["seconds"] for r in rs),
    })
doc = {
    "benchmark": "import",
    "what": "trustprop import --keep-self-loops: read (zlib gzread), parse (from_chars, OpenMP), "
            "build CSR (counting sort + per-row merge), write HDF5; best of the repeats; "
            "edges_per_second = edges read / total seconds",
    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "git": rev,
    "machine": {"cpu": cpu, "cores": int(cores), "load_average_at_end": os.getloadavg()},
    "command": "benchmarks/bench_import.sh " + binary,
    "note": note,
    "results": results,
}
with open(out, "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
for r in results:
    print(f'{r["input"]:40s} {r["threads"]:3d} threads {r["edges_read"]:>11,d} edges {r["seconds"]:7.3f} s '
          f'{r["edges_per_second"]/1e6:7.2f} M edges/s')
print("wrote", out)
EOF
