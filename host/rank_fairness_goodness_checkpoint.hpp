// What a checkpoint of `trustprop rank --model fairness-goodness` holds
// (docs/checkpoint.md), in the format of io/checkpoint_file.hpp, with the
// header's `epoch` counting iterations, for n agents:
//
//   /state/fairness          float64[n]      f after `epoch` iterations, each in [0, 1]
//   /state/goodness          float64[n]      g after `epoch` iterations, each in [−1, 1]
//   /record/fairness_change  float64[epoch]  Σ|Δf| of every iteration so far
//   /record/goodness_change  float64[epoch]  Σ|Δg| of every iteration so far
//   /record/residuals        float64[epoch]  max(Σ|Δf|, Σ|Δg|) of every iteration
//
// Both directions of the graph are derived from the graph and the options
// (the weight divisor), so with f and g this is all the next iteration
// reads: a resumed run continues bit for bit on the same backend.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "host/checkpointing.hpp"
#include "host/fairness_goodness.hpp"
#include "host/world.hpp"
#include "io/checkpoint_file.hpp"

namespace trustprop::host {

// Fairness–goodness rank checkpoints: kind "rank fairness-goodness", files ckpt-i<iterations>.h5.
extern const CheckpointSeries fairness_goodness_checkpoints;

// Writes the checkpoint of `state` (header.epoch and kind are set here) to
// `path`, f and g streamed from the backend's arrays.
void save_fairness_goodness_checkpoint(const std::string& path, io::CheckpointHeader header,
                                       const FairnessGoodnessState& state);

// Reads the state of a checkpoint of an n-agent graph. Throws DataError
// naming the file and dataset when a dataset is missing, of the wrong type
// or size, corrupted, or holds values no iteration produces (a fairness
// outside [0, 1], a goodness outside [−1, 1], a negative or non-finite
// change, a residual other than the larger change).
FairnessGoodnessResume restore_fairness_goodness_checkpoint(const io::CheckpointReader& checkpoint, std::int64_t n);

// A distributed run: process 0's restored state (or none) on every process
// (collective).
void broadcast_resume(const Communicator& comm, std::optional<FairnessGoodnessResume>& resume);

}  // namespace trustprop::host
