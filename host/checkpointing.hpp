// Checkpoint policy of `trustprop simulate` (docs/checkpoint.md): where
// checkpoints live in a run directory, which are kept, which one a resume
// takes, whether it fits the run, and when a run must stop to stay within
// --max-walltime. What a checkpoint holds is host/simulation_checkpoint.hpp;
// the file format is io/checkpoint_file.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "host/simulation_config.hpp"
#include "io/checkpoint_file.hpp"

namespace trustprop::host {

// RUN_DIR/checkpoints and RUN_DIR/checkpoints/ckpt-e<epoch>.h5.
std::string checkpoint_dir(const std::string& run_dir);
std::string checkpoint_path(const std::string& run_dir, std::int64_t epoch);

struct CheckpointEntry {
  std::string path;
  std::int64_t epoch = 0;
};

// The checkpoints of a run directory, newest (highest epoch) first. Other
// files (temporaries of interrupted writes among them) are not listed.
std::vector<CheckpointEntry> list_checkpoints(const std::string& run_dir);

// Deletes all but the newest `keep` checkpoints. Throws IoError.
void prune_checkpoints(const std::string& run_dir, std::int64_t keep);

// Deletes every checkpoint (--resume never: the run starts afresh);
// returns how many there were. Throws IoError.
std::size_t remove_checkpoints(const std::string& run_dir);

// Deletes the temporary files (NAME.tmp-<pid>, io::AtomicOutput) that a
// killed process left in the run directory and its checkpoints directory;
// files of processes still alive are left alone.
void remove_stale_temporaries(const std::string& run_dir);

// The hash of what in a configuration decides the dynamics: the resolved
// configuration without [run] name and epochs and without [checkpoint],
// so that a run can be extended (--epochs) or checkpointed differently.
std::string config_hash(const SimulationConfig& c);

// The checkpoint to resume from. `resume` is "auto" (the newest in the run
// directory that validates, falling back to older ones with a warning
// naming what is wrong with each; none when there are none) or the path of
// one. The checkpoint returned has been verified (checksums included).
// Throws DataError when a named checkpoint, or every one of the run
// directory's, is invalid; NoInputError when a named one does not exist.
std::optional<io::CheckpointReader> select_checkpoint(const std::string& resume, const std::string& run_dir);

// Refuses a checkpoint that does not fit the run: another configuration
// (ConfigError, 78) or another graph (DataError, 65), unless
// `allow_change`, when it warns instead; a checkpoint beyond the run's
// epochs (ConfigError). Warns when the backend differs (the continuation is
// then equal within the CPU/GPU tolerance, not bit for bit).
void check_compatible(const io::CheckpointHeader& h, const std::string& path, const SimulationConfig& c,
                      const std::string& graph_hash, const std::string& backend, bool allow_change);

// "--max-walltime" values: seconds, or a number with unit s, m, h or d
// ("90m", "1.5h"). Throws UsageError naming the option.
double parse_duration(const std::string& text, const std::string& option);

// Whether another epoch and a checkpoint after it still fit in the limit:
// the time used, plus the longest epoch so far, plus the last checkpoint's
// write time.
bool walltime_allows_another_epoch(double limit_seconds, double elapsed, double longest_epoch,
                                   double checkpoint_seconds);

}  // namespace trustprop::host
