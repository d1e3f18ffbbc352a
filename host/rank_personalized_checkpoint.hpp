// What a checkpoint of `trustprop rank --model personalized` holds
// (docs/checkpoint.md), in the format of io/checkpoint_file.hpp, with the
// header's `epoch` counting iterations, for n agents and k seed sets:
//
//   /state/trust               float64[n·k]    T after `epoch` iterations, agent-major (T[j·k + c])
//   /state/active              uint8[k]        1 while column c iterates, 0 once it has converged
//   /record/column_iterations  int64[k]        the iteration each column converged at (or the last)
//   /record/column_residuals   float64[k]      each column's last ‖ΔT[:, c]‖₁
//   /record/residuals          float64[epoch]  per iteration, the largest over the columns iterated
//
// The SpMM gathers from T itself in float64 and a converged column is
// carried over unchanged (kernels/personalized.hpp), so with the transition
// matrix and the seed matrix, which are derived from the graph, the seed sets
// and the options, this is all the next iteration reads: a resumed run
// continues bit for bit on the same backend.
#pragma once

#include <cstdint>
#include <string>

#include "host/checkpointing.hpp"
#include "host/personalized.hpp"
#include "io/checkpoint_file.hpp"

namespace trustprop::host {

// Personalized rank checkpoints: kind "rank personalized", files ckpt-i<iterations>.h5.
extern const CheckpointSeries personalized_checkpoints;

// Writes the checkpoint of `state` (header.epoch and kind are set here) to
// `path`, T streamed from the backend's array.
void save_personalized_checkpoint(const std::string& path, io::CheckpointHeader header, const PersonalizedState& state);
// The same from the host: the whole state a distributed run gathered (host/personalized.hpp).
void save_personalized_checkpoint(const std::string& path, io::CheckpointHeader header, const PersonalizedResume& state);

// Reads the state of a checkpoint of n agents and k seed sets. Throws
// DataError naming the file and dataset when a dataset is missing, of the
// wrong type or size, corrupted, or holds values no iteration produces (a
// negative or non-finite trust or residual, a flag other than 0 or 1, a
// column's iterations beyond the checkpoint's, or an active column that
// stopped before them). Each column that has iterated is then active
// exactly when its last residual is at least `tolerance`, this run's: under
// --allow-config-change a tighter tolerance reopens converged columns.
PersonalizedResume restore_personalized_checkpoint(const io::CheckpointReader& checkpoint, std::int64_t n,
                                                   std::int64_t k, double tolerance);

}  // namespace trustprop::host
