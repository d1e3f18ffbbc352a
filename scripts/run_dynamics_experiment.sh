#!/usr/bin/env bash
# The validation experiment of the city dynamics (docs/dynamics.md,
# "Validation experiment"): runs every configuration in configs/experiments/
# with `trustprop simulate`, then plots the four mechanisms into
# docs/dynamics_experiment.png and prints the summary table of
# docs/dynamics.md (also written to OUT_DIR/summary.md).
#
#   scripts/run_dynamics_experiment.sh [--out-dir DIR] [--device cpu|cuda|auto]
#                                      [--only NAME[,NAME...]] [--plot-only]
#
#   --out-dir    where the run directories go (default runs/dynamics_experiment)
#   --device     the backend of every run (default cpu, as recorded in the docs)
#   --only       run only these arms (configuration names without .toml)
#   --plot-only  do not run anything; plot the run directories already there
#
# Environment: BUILD_DIR (default build), TRUSTPROP (default $BUILD_DIR/trustprop),
# PLOT (default docs/dynamics_experiment.png). Needs Debian's /usr/bin/python3
# with matplotlib (apt-get install python3-matplotlib).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
TRUSTPROP=${TRUSTPROP:-$BUILD_DIR/trustprop}
PLOT=${PLOT:-$ROOT/docs/dynamics_experiment.png}
OUT_DIR=$ROOT/runs/dynamics_experiment
DEVICE=cpu
ONLY=""
PLOT_ONLY=0

while [[ $# -gt 0 ]]; do
  case $1 in
    --out-dir) OUT_DIR=$2; shift 2 ;;
    --device) DEVICE=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    --plot-only) PLOT_ONLY=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run_dynamics_experiment.sh: unknown argument $1" >&2; exit 64 ;;
  esac
done

log() { printf '[dynamics_experiment %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

if [[ $PLOT_ONLY == 0 ]]; then
  [[ -x $TRUSTPROP ]] || { echo "run_dynamics_experiment.sh: $TRUSTPROP not found (build first, or set TRUSTPROP)" >&2; exit 66; }
  mkdir -p "$OUT_DIR"
  for config in "$ROOT"/configs/experiments/*.toml; do
    name=$(basename "$config" .toml)
    if [[ -n $ONLY && ",$ONLY," != *",$name,"* ]]; then continue; fi
    log "$name"
    "$TRUSTPROP" --device "$DEVICE" --log-level warn simulate "$config" --run-dir "$OUT_DIR/$name" >&2
  done
fi

/usr/bin/python3 "$ROOT/scripts/plot_dynamics_experiment.py" "$OUT_DIR" "$PLOT" | tee "$OUT_DIR/summary.md"
log "plot: $PLOT"
