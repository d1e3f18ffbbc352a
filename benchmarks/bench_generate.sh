#!/usr/bin/env bash
# Times the generators and records the throughput in
# benchmarks/results/generate.json:
#   trustprop generate city --agents 2000000          (target: >= 20 M edges/s)
#   trustprop generate rmat --scale 20 --edge-factor 16
#   trustprop generate rmat --scale 22 --edge-factor 16
# Each case runs RUNS times (default 3); the JSON keeps every run, the best
# and the median. Seconds are wall time of the whole command's work: the
# generation, the write to the HDF5 file and the commit (fsync + rename).
# Generated graphs go to a temporary directory (TMPDIR, default /tmp) and
# are deleted afterwards.
#
# usage: benchmarks/bench_generate.sh [path/to/trustprop]
#        (default: $TRUSTPROP_BINARY, else build/trustprop)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bin=${1:-${TRUSTPROP_BINARY:-$root/build/trustprop}}
runs=${RUNS:-3}
out_json=${OUT_JSON:-$here/results/generate.json}
python=${PYTHON:-/usr/bin/python3}

if [[ ! -x $bin ]]; then
  echo "bench_generate: no trustprop binary at $bin (build it, or pass its path)" >&2
  exit 66
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/trustprop-bench-generate.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
records=$tmp/records.jsonl
: >"$records"

# run_case NAME ARGS...: runs `trustprop ARGS -o tmp/graph.h5` $runs times.
run_case() {
  local name=$1
  shift
  for ((r = 1; r <= runs; r++)); do
    local load
    load=$(cut -d' ' -f1 /proc/loadavg)
    local line
    line=$("$bin" "$@" -o "$tmp/graph.h5" 2>"$tmp/stderr") || {
      cat "$tmp/stderr" >&2
      exit 70
    }
    local commit
    commit=$(sed -n 's/.* \([0-9.]*\) s committing.*/\1/p' "$tmp/stderr" | tail -1)
    local bytes
    bytes=$(stat -c %s "$tmp/graph.h5")
    rm -f "$tmp/graph.h5"
    echo "$name run $r: $line (load $load)" >&2
    printf '{"case": "%s", "run": %d, "summary": "%s", "commit_seconds": "%s", "file_bytes": %s, "load_before": %s, "args": "%s"}\n' \
      "$name" "$r" "$line" "${commit:-}" "$bytes" "$load" "$*" >>"$records"
  done
}

run_case city_2M generate city --agents 2000000 --seed 1
run_case rmat_s20_ef16 generate rmat --scale 20 --edge-factor 16 --seed 1
run_case rmat_s22_ef16 generate rmat --scale 22 --edge-factor 16 --seed 1

model=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
cores=$(nproc)
revision=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
# Local changes to the sources measured (the benchmark may run before a commit).
dirty=$(git -C "$root" status --porcelain -- common io host CMakeLists.txt 2>/dev/null | wc -l)
version=$("$bin" --version 2>/dev/null | head -1 || echo unknown)

"$python" - "$records" "$out_json" "$model" "$cores" "$revision" "$version" "$dirty" <<'EOF'
import datetime, json, statistics, sys

records_path, out_path, model, cores, revision, version, dirty = sys.argv[1:]
runs = [json.loads(l) for l in open(records_path)]
cases = {}
for r in runs:
    fields = dict(kv.split("=", 1) for kv in r["summary"].split()[2:])
    edges, seconds = int(fields["edges"]), float(fields["seconds"])
    run = {
        "seconds": seconds,
        "commit_seconds": float(r["commit_seconds"]) if r["commit_seconds"] else None,
        "edges": edges,
        "edges_per_second": edges / seconds,
        "file_bytes": r["file_bytes"],
        "load_average_before": r["load_before"],
    }
    c = cases.setdefault(r["case"], {"command": "trustprop " + r["args"] + " -o TMP.h5",
                                     "agents": int(fields["agents"]), "runs": []})
    c["runs"].append(run)
for name, c in cases.items():
    rates = [r["edges_per_second"] for r in c["runs"]]
    c["edges"] = c["runs"][0]["edges"]
    c["best_edges_per_second"] = max(rates)
    c["median_edges_per_second"] = statistics.median(rates)
    c["best_seconds"] = min(r["seconds"] for r in c["runs"])
    if name.startswith("rmat"):
        # Graph500 counts edge draws (edge_factor * 2^scale), before merging.
        args = c["command"].split()
        scale = int(args[args.index("--scale") + 1]); ef = int(args[args.index("--edge-factor") + 1])
        c["edge_draws"] = ef << scale
        c["best_edge_draws_per_second"] = c["edge_draws"] / c["best_seconds"]
city = cases.get("city_2M")
result = {
    "benchmark": "generate",
    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "git_revision": revision,
    "git_uncommitted_source_changes": int(dirty) > 0,
    "trustprop_version": version,
    "machine": {"cpu_model": model, "cores": int(cores)},
    "notes": "seconds include generation, the HDF5 write and the commit (fsync + rename); "
             "edges are stored (merged) edges; load_average_before is the 1-minute load when the run began",
    "target": {"case": "city_2M", "edges_per_second": 20e6,
               "met_by_best_run": bool(city and city["best_edges_per_second"] >= 20e6)},
    "cases": cases,
}
with open(out_path, "w") as f:
    json.dump(result, f, indent=2)
    f.write("\n")
for name, c in cases.items():
    print(f"{name}: best {c['best_edges_per_second'] / 1e6:.1f} M edges/s, "
          f"median {c['median_edges_per_second'] / 1e6:.1f} M edges/s ({c['edges']} edges)")
print(f"wrote {out_path}")
EOF
