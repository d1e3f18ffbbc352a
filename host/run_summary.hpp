// What a run directory (DESIGN §2) says about its run, for `trustprop
// report` (docs/dynamics.md "Reporting on a run"): what ran and with which
// configuration, which trustprop, how far it got (steps done against asked,
// checkpoints, results.h5), whether it finished, and its time series.
//
// Two kinds of run directory are understood. `trustprop simulate` writes
// config.toml, metrics.jsonl (the series, one epoch a line), log.txt,
// checkpoints/ckpt-e<epoch>.h5 and, when it completes, results.h5.
// `trustprop rank --run-dir` writes only checkpoints/ckpt-i<iteration>.h5:
// its configuration and its residual series (one per iteration) are read
// from the newest checkpoint, and its results go to rank's -o file, outside
// the directory. Everything is only read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace trustprop::host {

// Which trustprop computed the run, and where: from results.h5 when there
// is one, else from the newest checkpoint's header.
struct RunOrigin {
  std::string file;  // the file it was read from
  std::string version, git_revision, backend, device, created;
  std::string command;  // the command line (results.h5 only)
};

struct RunCheckpoints {
  std::int64_t count = 0;
  std::string newest;            // path of the newest checkpoint that opens; empty: none
  std::int64_t newest_step = 0;  // its epoch or iteration
  std::vector<std::string> problems;  // newer checkpoints that do not open, and why
};

// results.h5 of a simulation (written only by a completed run, atomically).
struct RunResults {
  std::string path;
  std::string status;      // "complete", "missing" or "unreadable: <why>"
  std::int64_t steps = 0;  // epochs in its /metrics series
};

struct RunSummary {
  std::string dir;
  std::string command;  // "simulate", "rank eigentrust", "rank personalized"
  std::string step;     // "epoch" (simulate) or "iteration" (rank)
  nlohmann::ordered_json config;  // the configuration's key facts ("file": where they were read)
  std::int64_t asked = 0;  // epochs asked, or at most iterations
  // The time series, one record per step: simulate's metrics.jsonl lines
  // (host/metrics_log.hpp) or rank's {iteration, residual}.
  std::vector<nlohmann::json> records;
  std::string status;  // "finished", "stopped" or "incomplete"
  std::string detail;  // a sentence saying why, and what to do next
  // Σ of the records' seconds: simulate's epochs; rank's iterations as its
  // metrics.jsonl timed them, of which `timed` have a time (lines rebuilt
  // from a checkpoint have none).
  std::optional<double> seconds;
  std::int64_t timed = 0;
  std::optional<RunOrigin> origin;
  RunCheckpoints checkpoints;
  std::optional<RunResults> results;  // simulate only
  std::string last_log_line;          // log.txt's, when there is one
  std::vector<std::string> warnings;
};

// Reads the run directory `dir`. Throws NoInputError (66) when it does not
// exist or holds neither metrics.jsonl nor rank checkpoints (naming the
// metrics file) or lacks config.toml; DataError (65) for a malformed
// metrics.jsonl line (file:line) or when no rank checkpoint reads;
// ConfigError (78) for a configuration that does not parse (file:line).
RunSummary summarise_run(const std::string& dir);

}  // namespace trustprop::host
