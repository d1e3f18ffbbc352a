// What a checkpoint of `trustprop simulate` holds (docs/checkpoint.md), in
// the format of io/checkpoint_file.hpp:
//
//   /state/r, /state/s            float32[nnz]  evidence per tie (W's CSR order)
//   /state/pool_r, /state/pool_s  float64[n]    pooled evidence
//   /state/strategy               uint8[n]      strategies of the next epoch
//   /state/payoff, /state/trust   float64[n]    last epoch's payoffs, trust
//   /record/metrics/<field>       int64|float64[epoch]  every EpochMetrics field of epochs 1..epoch
//   /record/trust/epoch_<e>       float64[n]    the trust snapshots taken so far
//
// The state (DynamicsState) is all an epoch reads from the previous one, so
// restoring it continues the run bit for bit on the same backend; the record
// rebuilds metrics.jsonl and results.h5 exactly as an uninterrupted run
// writes them. Arrays stream block by block between the executor's memory
// and the file; snapshots between the results file and the checkpoint.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "host/dynamics.hpp"
#include "io/checkpoint_file.hpp"
#include "io/results_file.hpp"

namespace trustprop::host {

// The run so far, beside the state: one record per epoch, and the epochs
// whose trust vector is in the results file as /trust/epoch_<e>.
struct RunRecord {
  std::vector<EpochMetrics> metrics;
  std::vector<std::int64_t> snapshot_epochs;
};

// Writes the checkpoint of `sim` after its last epoch (header.epoch is set
// from the state) to `path`; snapshots are copied from `results`. The
// evidence comes from `evidence` when given (a distributed run's, gathered
// to process 0, which writes), else from the state.
void save_simulation_checkpoint(const std::string& path, io::CheckpointHeader header, const Simulation& sim,
                                const RunRecord& record, io::ResultsWriter& results,
                                const EdgeEvidence* evidence = nullptr);

// Restores the state of `sim` from a checkpoint of a simulation of the same
// graph (sizes are checked; a distributed run's process reads its own
// ties' evidence), copies the snapshots that `keep_snapshot(epoch)`
// accepts into `results` unless it is null (a process that writes no
// results) (a run extended with --epochs drops the earlier
// run's final snapshot when it is off the trust_every grid), and returns its
// record. Throws DataError naming the file and dataset when a
// dataset is missing, of the wrong type or size, corrupted, or holds values
// no simulation produces (non-finite or negative evidence, trust; a
// strategy other than 0 or 1).
RunRecord restore_simulation_checkpoint(const io::CheckpointReader& checkpoint, Simulation& sim,
                                        io::ResultsWriter* results,
                                        const std::function<bool(std::int64_t epoch)>& keep_snapshot);

}  // namespace trustprop::host
