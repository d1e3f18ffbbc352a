// Checkpoints of long `trustprop rank --model eigentrust` runs
// (docs/checkpoint.md): with --run-dir D, a checkpoint every N iterations
// and after the last, the newest K kept, a resume (--resume auto|never|PATH)
// refused when the options or the graph differ, and a graceful stop
// (SIGTERM/SIGINT/SIGUSR1 or --max-walltime: finish the iteration,
// checkpoint, exit 75). The run-directory policy is host/checkpointing.hpp's,
// shared with simulate; what a checkpoint holds is host/rank_checkpoint.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "host/eigentrust.hpp"
#include "host/signals.hpp"
#include "io/checkpoint_file.hpp"

namespace trustprop::host {

struct RankRun;

// The rank options of checkpointing (host/cmd_rank.cpp registers them).
struct RankCheckpointSettings {
  std::string run_dir;        // empty: no checkpoints
  std::int64_t every = 100;   // iterations; 0: only after the last and on stops
  std::int64_t keep = 3;
  std::string max_walltime;   // empty: no limit
  std::string resume = "auto";
  bool allow_config_change = false;
};

class EigenTrustCheckpoints {
 public:
  // Installs the stop signals, prepares the run directory (IoError), and
  // takes the checkpoint to resume from, refusing one whose options
  // (ConfigError) or graph (DataError) differ from this run's unless
  // --allow-config-change. `pretrust` is p: its contents count as options.
  EigenTrustCheckpoints(const RankRun& run, const std::vector<double>& pretrust, const EigenTrustOptions& options);

  // The state to continue from; null when starting afresh.
  const EigenTrustResume* resume() const { return resume_ ? &*resume_ : nullptr; }

  // Called after every iteration: writes a checkpoint when one is due and,
  // on a signal or when --max-walltime leaves no room for another
  // iteration, writes one and throws StoppedError (exit 75). The last
  // iteration (converged or at max_iterations) always completes.
  void after_iteration(const EigenTrustState& state);

 private:
  void write(const EigenTrustState& state);

  RankCheckpointSettings settings_;
  EigenTrustOptions options_;
  StopSignals signals_;
  std::chrono::steady_clock::time_point started_, last_iteration_;
  double walltime_ = 0, longest_iteration_ = 0, checkpoint_seconds_ = 0;
  io::CheckpointHeader header_;
  std::optional<EigenTrustResume> resume_;
  std::string last_path_;
};

}  // namespace trustprop::host
