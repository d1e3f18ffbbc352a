#!/bin/bash
# A Slurm job that runs `trustprop simulate` across time limits and
# pre-emption (docs/checkpoint.md): Slurm signals the job 5 minutes before
# its limit, trustprop finishes the epoch, writes a checkpoint and exits 75,
# and the job requeues itself; each start resumes from the newest valid
# checkpoint. Submit: sbatch scripts/slurm-simulate.sh configs/city.toml [RUN_DIR]
#SBATCH --job-name=trustprop-simulate   # the name squeue shows
#SBATCH --gres=gpu:1                    # one GPU (--device auto takes it; without one the CPU runs)
#SBATCH --cpus-per-task=16              # CPU threads for setup, I/O and the CPU fallback
#SBATCH --mem=64G                       # host memory: the graph, and one block of a checkpoint at a time
#SBATCH --time=24:00:00                 # the time limit of one run of the job
#SBATCH --signal=B:USR1@300             # SIGUSR1 to this batch shell 300 s before the limit
#SBATCH --requeue                       # allow `scontrol requeue` to put the job back in the queue
#SBATCH --open-mode=append              # a requeued job appends to its output file instead of truncating it
#SBATCH --output=trustprop-%j.out       # one output file per job id, kept across requeues

set -u                                  # an unset variable is an error, not an empty string

CONFIG=${1:?usage: sbatch scripts/slurm-simulate.sh CONFIG.toml [RUN_DIR]}   # the experiment
RUN_DIR=${2:-runs/$(basename "$CONFIG" .toml)}                             # where its run directory lives
TRUSTPROP=${TRUSTPROP:-build/trustprop}                                    # the binary (override with TRUSTPROP=...)

# Forward the warning to trustprop: `--signal=B:` signals only this shell,
# so the shell passes SIGUSR1 on to the simulation (its child) and goes on waiting.
forward() { kill -USR1 "$child" 2>/dev/null; }
trap forward USR1                       # the handler runs when the shell is woken from `wait`

"$TRUSTPROP" --progress plain simulate "$CONFIG" --run-dir "$RUN_DIR" --resume auto &   # resume from the newest valid checkpoint, if any
child=$!                                # the simulation's process id, for forward()
wait "$child"                           # returns early (status > 128) when SIGUSR1 arrives ...
rc=$?
while [ "$rc" -gt 128 ]; do             # ... so wait again until trustprop itself has exited
  wait "$child" 2>/dev/null             # its real status, or 127 when it was already collected
  next=$?
  [ "$next" -eq 127 ] && break          # nothing left to wait for: rc was its own (it died of a signal)
  rc=$next
done

if [ "$rc" -eq 75 ]; then               # 75: stopped early with a checkpoint ("resume me")
  echo "trustprop stopped with a checkpoint; requeueing job $SLURM_JOB_ID"
  scontrol requeue "$SLURM_JOB_ID"      # back into the queue; the next start resumes (--resume auto)
  exit 0                                # this run of the job ended as planned
fi
exit "$rc"                              # 0 done; any other code is a real failure (sysexits, docs/checkpoint.md)
