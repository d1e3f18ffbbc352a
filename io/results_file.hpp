// Results files (DESIGN §2): per-agent outputs as 1-D datasets under
// /trust/<name>, convergence records under /convergence/<name>, time series
// under /metrics/<name>, and provenance attributes on the root. Written
// atomically: nothing appears at the path until commit().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/atomic_output.hpp"
#include "io/h5.hpp"

namespace trustprop::io {

inline constexpr int results_format_version = 1;

struct Provenance {
  std::string command;      // the command line that produced the file
  std::string config_text;  // the resolved configuration, as TOML
  std::string graph_path;
  std::string graph_hash;   // the graph's content hash
  std::uint64_t seed = 0;
  std::string backend;      // "cpu" or "cuda:N"
  std::string device;       // device name
};

class ResultsWriter {
 public:
  ResultsWriter(const std::string& path, const Provenance& provenance);
  h5::File& file() { return file_; }
  // Creates the parent groups of `dataset` as needed.
  void write(const std::string& dataset, const std::vector<double>& values);
  void write(const std::string& dataset, const std::vector<std::int64_t>& values);
  void ensure_group(const std::string& group);
  // Refuses (exit 74) a file whose `bytes` its disk cannot take (AtomicOutput::require_room).
  void require_room(double bytes, const std::string& what) const { out_.require_room(bytes, what); }
  void commit();

 private:
  AtomicOutput out_;
  h5::File file_;
};

}  // namespace trustprop::io
