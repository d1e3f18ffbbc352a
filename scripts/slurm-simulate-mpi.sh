#!/bin/bash
# A Slurm job that runs `trustprop simulate` with one process per GPU
# across nodes (docs/distributed.md "simulate"), and keeps it going across
# time limits and pre-emption: Slurm signals every process 5 minutes before
# the limit, the processes finish the epoch together, process 0 writes a
# checkpoint, all exit 75, and the job requeues itself; each start resumes
# from the newest valid checkpoint, on however many processes it then has.
# Submit: sbatch scripts/slurm-simulate-mpi.sh CONFIG.toml [RUN_DIR] [simulate options ...]
#SBATCH --job-name=trustprop-simulate   # the name squeue shows
#SBATCH --nodes=2                       # nodes; each process reads its rows of the graph file (a shared file system)
#SBATCH --ntasks-per-node=4             # one process per GPU ...
#SBATCH --gpus-per-node=4               # ... and as many GPUs (--device auto gives each process of a node its own)
#SBATCH --cpus-per-task=16              # CPU threads per process: reading, building its share
#SBATCH --time=24:00:00                 # the time limit of one run of the job
#SBATCH --signal=USR1@300               # SIGUSR1 to every process of the job step 300 s before the limit
#SBATCH --requeue                       # allow `scontrol requeue` to put the job back in the queue
#SBATCH --open-mode=append              # a requeued job appends to its output file instead of truncating it
#SBATCH --output=trustprop-simulate-%j.out  # one output file per job id, kept across requeues

set -u                                  # an unset variable is an error, not an empty string

CONFIG=${1:?usage: sbatch scripts/slurm-simulate-mpi.sh CONFIG.toml [RUN_DIR] [simulate options ...]}
RUN_DIR=${2:-runs/$(basename "$CONFIG" .toml)}   # where the run directory lives (on the shared file system)
shift $(($# < 2 ? $# : 2))              # the rest are simulate options (--epochs 500 ...)
TRUSTPROP=${TRUSTPROP:-build/trustprop} # the binary, built with MPI (override with TRUSTPROP=...)

# srun starts the processes (PMIx tells trustprop which one each is). The
# signal goes to every process, so they stop together; srun's status is
# the processes' (75: stopped with a checkpoint).
srun --mpi=pmix "$TRUSTPROP" --progress plain --threads "${SLURM_CPUS_PER_TASK:-1}" \
  simulate "$CONFIG" --run-dir "$RUN_DIR" --resume auto "$@"
rc=$?

if [ "$rc" -eq 75 ]; then               # 75: stopped early with a checkpoint ("resume me")
  echo "trustprop stopped with a checkpoint; requeueing job $SLURM_JOB_ID"
  scontrol requeue "$SLURM_JOB_ID"      # back into the queue; the next start resumes (--resume auto)
  exit 0                                # this run of the job ended as planned
fi
exit "$rc"                              # 0 done; any other code is a real failure (sysexits, docs/checkpoint.md)
