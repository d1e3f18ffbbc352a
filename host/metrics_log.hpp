// The run directory's metrics.jsonl (docs/dynamics.md "Output"): one JSON
// object per epoch, the fields of EpochMetrics (host/dynamics.hpp) under their
// names, NaN written as null. Written by `trustprop simulate`, read back by
// `trustprop report`; both go through this file so that the two agree on
// the format.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "host/dynamics.hpp"

namespace trustprop::host {

// One line of metrics.jsonl (without its newline).
nlohmann::json metrics_json(const EpochMetrics& m);

struct MetricsLog {
  std::vector<EpochMetrics> epochs;  // in file order: epochs 1, 2, ...
  std::string warning;               // set when an unfinished last line was skipped
};

// Reads metrics.jsonl. Every line must be a JSON object with every field of
// EpochMetrics (integers where the field is one, numbers or null elsewhere;
// other keys are ignored) and the epochs must run 1, 2, ...; otherwise
// DataError (exit 65) naming path:line and what is wrong. The one exception
// is a last line without its newline that does not read (a run killed while
// writing it): it is skipped with `warning` saying so. NoInputError (66)
// when the file cannot be read.
MetricsLog read_metrics_log(const std::string& path);

}  // namespace trustprop::host
