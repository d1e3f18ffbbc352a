// Checkpoints of long `trustprop rank` runs (--model eigentrust and
// personalized; docs/checkpoint.md): with --run-dir D, a checkpoint every N
// iterations and after the last, the newest K kept, a resume (--resume
// auto|never|PATH) refused when the options or the graph differ, and a
// graceful stop (SIGTERM/SIGINT/SIGUSR1 or --max-walltime: finish the
// iteration, checkpoint, exit 75), and D/metrics.jsonl: one line per
// iteration, {"iteration": i, "residual": r, "seconds": s} (the residual as
// the results file's /convergence/<model>/residuals has it; seconds: the
// iteration's wall time, absent from lines a resume rebuilt from a
// checkpoint). This policy is one class for every model:
// a model says what its checkpoints are called and what, beyond its options,
// decides its iterates, and hands over how to save and restore its state
// (host/rank_checkpoint.hpp, host/rank_personalized_checkpoint.hpp). The
// run-directory policy is host/checkpointing.hpp's, shared with simulate.
#pragma once

#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "host/checkpointing.hpp"
#include "host/eigentrust.hpp"
#include "host/signals.hpp"
#include "io/checkpoint_file.hpp"

namespace trustprop::host {

struct RankRun;
class Communicator;

// The rank options of checkpointing (host/cmd_rank.cpp registers them).
struct RankCheckpointSettings {
  std::string run_dir;        // empty: no checkpoints
  std::int64_t every = 100;   // iterations; 0: only after the last and on stops
  std::int64_t keep = 3;
  std::string max_walltime;   // empty: no limit
  std::string resume = "auto";
  bool allow_config_change = false;
};

// What a model's checkpoints are, for the shared policy.
struct RankCheckpointModel {
  const CheckpointSeries* series = nullptr;  // header.kind and file names
  // The inputs that decide the iterates besides the options text (EigenTrust's
  // pre-trust p, the seed sets): their hash is part of the options hash, and
  // `data_changed` is the message when only they differ.
  std::string data_hash, data_changed;
  // Configuration keys that only shape the results file: changing them is not refused.
  std::vector<std::string> output_keys;
  int max_iterations = 0;
};

class RankCheckpoints {
 public:
  // Reads the checkpoint to resume from into the model's state; returns its
  // record (the iterations and residuals: the log and metrics.jsonl).
  using Restore = std::function<Convergence(const io::CheckpointReader&)>;
  // Writes the model's current state to `path` under `header` (whose kind and epoch the model sets).
  using Save = std::function<void(const std::string& path, const io::CheckpointHeader& header)>;

  // Installs the stop signals, prepares the run directory (IoError), and
  // hands the checkpoint to resume from, if any, to `restore`, refusing one
  // whose options (ConfigError) or graph (DataError) differ from this run's
  // unless --allow-config-change, or of another kind (DataError).
  // A distributed run (run.comm): collective; the run directory is process
  // 0's, which alone restores (the model shares the state with the others)
  // and writes; every process installs the signal handlers.
  RankCheckpoints(const RankRun& run, const RankCheckpointModel& model, const Restore& restore);

  // Called after every iteration (`iterations` done, the last of which
  // changed the state by `residual`; `last`: the iteration ends the run,
  // converged or at max_iterations): appends the iteration's line to
  // metrics.jsonl (process 0), writes a checkpoint when
  // one is due and, on a signal or when --max-walltime leaves no room for
  // another iteration, writes one and throws StoppedError (exit 75). The
  // last iteration always completes. A distributed run: collective, so that
  // a signal to any process stops all at the same iteration; process 0
  // writes, and each process throws a CollectiveError (exit 75) that process
  // 0 reports. `gather`, when given, runs on every process before process 0
  // saves (a model whose state is spread over the processes collects it there).
  void after_iteration(std::int64_t iterations, double residual, bool last, const Save& save,
                       const std::function<void()>& gather = {});

 private:
  void prepare(const RankRun& run, const RankCheckpointModel& model, const Restore& restore);
  void start_metrics(const std::vector<double>& residuals);
  void write(std::int64_t iterations, const Save& save);

  RankCheckpointSettings settings_;
  CheckpointSeries series_;
  int max_iterations_;
  const Communicator& comm_;  // the run's processes (RankRun::processes)
  StopSignals signals_;
  std::optional<RunDirectory> directory_;  // process 0: the run directory is this run's
  std::chrono::steady_clock::time_point started_, last_iteration_;
  double walltime_ = 0, longest_iteration_ = 0, checkpoint_seconds_ = 0;
  io::CheckpointHeader header_;
  std::string last_path_;
  std::ofstream metrics_;  // process 0: D/metrics.jsonl, appended to
};

}  // namespace trustprop::host
