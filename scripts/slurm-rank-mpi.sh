#!/bin/bash
# A Slurm job that runs distributed EigenTrust (docs/distributed.md) with one
# process per GPU across nodes, and keeps it going across time limits and
# pre-emption (docs/checkpoint.md "Under MPI"): Slurm signals every process
# 5 minutes before the limit, the processes finish the iteration together,
# process 0 writes a checkpoint, all exit 75, and the job requeues itself;
# each start resumes from the newest valid checkpoint, on however many
# processes it then has.
# Submit: sbatch scripts/slurm-rank-mpi.sh GRAPH.h5 OUT.h5 [RUN_DIR] [rank options ...]
#SBATCH --job-name=trustprop-rank       # the name squeue shows
#SBATCH --nodes=2                       # nodes; each process reads its rows of the graph file (a shared file system)
#SBATCH --ntasks-per-node=4             # one process per GPU ...
#SBATCH --gpus-per-node=4               # ... and as many GPUs (--device auto gives each process of a node its own)
#SBATCH --cpus-per-task=16              # CPU threads per process: reading, building its share of Cᵀ
#SBATCH --time=12:00:00                 # the time limit of one run of the job
#SBATCH --signal=USR1@300               # SIGUSR1 to every process of the job step 300 s before the limit
#SBATCH --requeue                       # allow `scontrol requeue` to put the job back in the queue
#SBATCH --open-mode=append              # a requeued job appends to its output file instead of truncating it
#SBATCH --output=trustprop-rank-%j.out  # one output file per job id, kept across requeues

set -u                                  # an unset variable is an error, not an empty string

GRAPH=${1:?usage: sbatch scripts/slurm-rank-mpi.sh GRAPH.h5 OUT.h5 [RUN_DIR] [rank options ...]}
OUT=${2:?usage: sbatch scripts/slurm-rank-mpi.sh GRAPH.h5 OUT.h5 [RUN_DIR] [rank options ...]}
RUN_DIR=${3:-runs/$(basename "$GRAPH" .h5)-eigentrust}   # where the checkpoints live
shift $(($# < 3 ? $# : 3))              # the rest are rank options (--tolerance 1e-12 ...)
TRUSTPROP=${TRUSTPROP:-build/trustprop} # the binary, built with MPI (override with TRUSTPROP=...)

# srun starts the processes (PMIx tells trustprop which one each is). The
# signal goes to every process, so they stop together; srun's status is
# the processes' (75: stopped with a checkpoint).
srun --mpi=pmix "$TRUSTPROP" --progress plain --threads "${SLURM_CPUS_PER_TASK:-1}" \
  rank "$GRAPH" --model eigentrust --run-dir "$RUN_DIR" --resume auto "$@" -o "$OUT"
rc=$?

if [ "$rc" -eq 75 ]; then               # 75: stopped early with a checkpoint ("resume me")
  echo "trustprop stopped with a checkpoint; requeueing job $SLURM_JOB_ID"
  scontrol requeue "$SLURM_JOB_ID"      # back into the queue; the next start resumes (--resume auto)
  exit 0                                # this run of the job ended as planned
fi
exit "$rc"                              # 0 done; any other code is a real failure (sysexits, docs/checkpoint.md)
