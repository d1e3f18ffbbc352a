// Checkpoint policy of long runs, shared by `trustprop simulate` and
// `trustprop rank` (docs/checkpoint.md): where
// checkpoints live in a run directory, which are kept, which one a resume
// takes, whether it fits the run, and when a run must stop to stay within
// --max-walltime. What a checkpoint holds is host/simulation_checkpoint.hpp
// and host/rank_checkpoint.hpp, host/rank_personalized_checkpoint.hpp; the
// file format is io/checkpoint_file.hpp.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "host/simulation_config.hpp"
#include "io/checkpoint_file.hpp"

namespace trustprop::host {

// The checkpoints of one kind of run: their header.kind, and the letter and
// the word of their steps (files ckpt-<letter><step>.h5).
struct CheckpointSeries {
  std::string kind;  // "simulate", "rank eigentrust", "rank personalized"
  char letter;       // 'e' (epochs), 'i' (iterations)
  std::string step;  // "epoch", "iteration"
};
extern const CheckpointSeries simulate_checkpoints;

// RUN_DIR/checkpoints and RUN_DIR/checkpoints/ckpt-<letter><step>.h5.
std::string checkpoint_dir(const std::string& run_dir);
std::string checkpoint_path(const std::string& run_dir, const CheckpointSeries& series, std::int64_t step);

struct CheckpointEntry {
  std::string path;
  std::int64_t epoch = 0;  // the step: epochs or iterations completed
  char letter = 0;         // of its series (CheckpointSeries::letter)
};

// The checkpoints of a run directory of `series` (null: of every kind),
// newest (highest step) first. Other files (temporaries of interrupted
// writes among them) are not listed.
std::vector<CheckpointEntry> list_checkpoints(const std::string& run_dir, const CheckpointSeries* series = nullptr);

// Deletes all but the newest `keep` checkpoints of `series`. Throws IoError.
void prune_checkpoints(const std::string& run_dir, const CheckpointSeries& series, std::int64_t keep);

// Deletes every checkpoint of `series` (--resume never: the run starts
// afresh); returns how many there were. Throws IoError.
std::size_t remove_checkpoints(const std::string& run_dir, const CheckpointSeries& series);

// The run directory of one run whose checkpoints are of `series`, held
// while the run lives. Opening it creates RUN_DIR and RUN_DIR/checkpoints
// where missing (IoError) and takes an exclusive lock on RUN_DIR/.lock
// (flock), so that two runs never share a run directory: the second is
// refused with StoppedError (exit 75: try again once the other has ended).
// A directory that holds another command's run (checkpoints of another
// letter; for rank, a simulation's config.toml) is refused with UsageError
// (64). Both refusals come before anything there changes. Until started()
// a run that ends by an exception removes what opening created, so that a
// refused run (a bad graph, a bad --resume) leaves no run directory behind.
// The lock ends with its process, a killed one included.
class RunDirectory {
 public:
  RunDirectory(const std::string& run_dir, const CheckpointSeries& series);
  ~RunDirectory();
  RunDirectory(const RunDirectory&) = delete;
  RunDirectory& operator=(const RunDirectory&) = delete;
  // The run has begun changing the directory: it stays, whatever follows.
  void started() { started_ = true; }

 private:
  std::string dir_;
  std::string created_;  // the outermost directory opening created ("": none)
  int fd_ = -1;
  bool created_checkpoints_ = false, created_lock_ = false, started_ = false;
  int exceptions_ = std::uncaught_exceptions();  // those in flight when it was opened
};

// Deletes the temporary files (NAME.tmp-<pid>, io::AtomicOutput) that a
// killed process left in the run directory and its checkpoints directory;
// files of processes still alive (and not zombies) are left alone.
void remove_stale_temporaries(const std::string& run_dir);
// The same in one directory, for the temporaries whose name starts with
// `target_name` (a file name; empty: all).
void remove_stale_temporaries_of(const std::string& dir, const std::string& target_name);

// "xxh3:<16 hex>" of bytes.
std::string hash_bytes(const void* data, std::size_t size);

// The first line in which two texts differ, as "[section] checkpoint has
// 'a', this run 'b'" (the section is the last "[...]" line before it);
// empty when they are equal.
std::string first_differing_line(const std::string& checkpoint_text, const std::string& run_text);

// The checkpoint to resume from. `resume` is "auto" (the newest of `series`
// in the run directory that validates, falling back to older ones with a
// warning naming what is wrong with each; none when there are none) or the
// path of one. The checkpoint returned has been verified (checksums
// included) and is of series.kind. Throws DataError when a named
// checkpoint, or every one of the run directory's, is invalid or of another
// kind; NoInputError when a named one does not exist.
std::optional<io::CheckpointReader> select_checkpoint(const std::string& resume, const std::string& run_dir,
                                                      const CheckpointSeries& series);

// What a checkpoint must agree with to continue a run.
struct RunIdentity {
  std::string config_hash;  // of what in the configuration decides the results
  // The first line in which the checkpoint's configuration (its text) differs, for messages.
  std::function<std::string(const std::string& checkpoint_config)> difference;
  std::string graph_hash, backend;
  std::string step;         // "epoch", "iteration"
  std::int64_t steps = 0;   // the run's epochs or max_iterations: a checkpoint beyond is refused
  std::string raise_steps;  // how to raise them, e.g. "raise --epochs or [run] epochs"
};

// Refuses a checkpoint that does not fit the run: another configuration
// (ConfigError, 78) or another graph (DataError, 65), unless
// `allow_change`, when it warns instead; a checkpoint beyond the run's
// steps (ConfigError). Warns when the backend differs (the continuation is
// then equal within the CPU/GPU tolerance, not bit for bit).
void check_compatible(const io::CheckpointHeader& h, const std::string& path, const RunIdentity& run,
                      bool allow_change);

// The identity of a simulation: the hash of the resolved configuration
// without [run] name and epochs and without [checkpoint], so that a run can
// be extended (--epochs) or checkpointed differently.
RunIdentity simulation_identity(const SimulationConfig& c, const std::string& graph_hash, const std::string& backend);

// Whether another step (epoch, iteration) and a checkpoint after it still
// fit in the limit: the time used, plus the longest step so far, plus the
// last checkpoint's write time.
bool walltime_allows_another_step(double limit_seconds, double elapsed, double longest_step,
                                  double checkpoint_seconds);

}  // namespace trustprop::host
