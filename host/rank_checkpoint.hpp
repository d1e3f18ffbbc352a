// What a checkpoint of `trustprop rank --model eigentrust` holds
// (docs/checkpoint.md), in the format of io/checkpoint_file.hpp, with the
// header's `epoch` counting iterations:
//
//   /state/trust           float64[n]           t after `epoch` iterations
//   /state/float32_gather  uint8[1]             1 while the next iteration gathers from float32(t)
//   /record/residuals      float64[epoch]       ‖Δt‖₁ of every iteration so far
//
// The copy of t that the gather reads — float32(t), or for a value-free Cᵀ
// float32(t·1/d) or t·1/d — is what every iteration leaves it as
// (kernels/eigentrust.hpp), so it is rebuilt from t, not stored; with
// the transition matrix and p, which are derived from the graph and the
// options, this is all the next iteration reads: a resumed run continues bit
// for bit on the same backend.
#pragma once

#include <optional>
#include <string>

#include "host/checkpointing.hpp"
#include "host/eigentrust.hpp"
#include "host/world.hpp"
#include "io/checkpoint_file.hpp"

namespace trustprop::host {

// EigenTrust rank checkpoints: kind "rank eigentrust", files ckpt-i<iterations>.h5.
extern const CheckpointSeries eigentrust_checkpoints;

// The record every rank checkpoint holds: the iterations done (the header's
// epoch, at most 2^31 − 1) and /record/residuals, one finite residual >= 0
// per iteration. Throws DataError naming the file and what is wrong;
// `producer` names the model in the message ("EigenTrust").
Convergence restore_rank_record(const io::CheckpointReader& checkpoint, const std::string& producer);

// Writes the checkpoint of `state` (header.epoch and kind are set here) to `path`.
void save_eigentrust_checkpoint(const std::string& path, io::CheckpointHeader header, const EigenTrustState& state);

// Reads the state of a checkpoint of an n-agent graph. Throws DataError
// naming the file and dataset when a dataset is missing, of the wrong type or
// size, corrupted, or holds values no iteration produces (a negative or
// non-finite trust or residual, a flag other than 0 or 1).
EigenTrustResume restore_eigentrust_checkpoint(const io::CheckpointReader& checkpoint, std::int64_t n);

// A distributed run: process 0's restored state (or none) on every process
// (collective).
void broadcast_resume(const Communicator& comm, std::optional<EigenTrustResume>& resume);

}  // namespace trustprop::host
