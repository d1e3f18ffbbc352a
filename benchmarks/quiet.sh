# Sourced by the benchmark scripts: wait until other processes leave the
# CPUs alone before a measurement (this VM is shared). Needs WAIT (1: wait),
# QUIET_MAX_WAIT (seconds per call) and a log function.
busy_share() {  # share of all CPUs busy over 3 s, in percent
  local a b
  a=($(head -1 /proc/stat)); sleep 3; b=($(head -1 /proc/stat))
  local busy=0 total=0 i
  for i in 1 2 3 6 7 8; do busy=$((busy + b[i] - a[i])); done
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  echo $((100 * busy / (total > 0 ? total : 1)))
}
wait_quiet() {
  [[ $WAIT == 1 ]] || return 0
  local waited=0 share
  while share=$(busy_share); [[ $share -gt 5 ]]; do
    if [[ $waited -ge $QUIET_MAX_WAIT ]]; then
      log "machine still ${share}% busy after ${waited}s: measuring anyway (see background_cpu_share in the JSON)"
      return 0
    fi
    log "machine ${share}% busy with other work: waiting"
    sleep 27; waited=$((waited + 30))
  done
}
