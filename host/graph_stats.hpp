// Summary statistics of a graph, as `trustprop info` shows them.
#pragma once

#include <array>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "io/graph.hpp"

namespace trustprop::host {

struct DegreeStats {
  std::int64_t min = 0, max = 0;
  double median = 0;  // of an even count, the mean of the two middle degrees
  double mean = 0.0;
};

struct GraphStats {
  std::int64_t agents = 0, edges = 0;
  DegreeStats out_degree, in_degree;
  std::int64_t dangling = 0;       // no positive out-trust (EigenTrust's dangling rows)
  std::int64_t isolated = 0;       // no edge in or out
  std::int64_t self_loops = 0;
  std::int64_t negative = 0, zero = 0;
  float weight_min = 0, weight_max = 0;
  bool has_kinds = false, has_ids = false;
  std::array<std::int64_t, 3> kinds{};  // resident, enterprise, institution
};

GraphStats compute_stats(const io::Graph& graph);
nlohmann::json to_json(const GraphStats& stats);

}  // namespace trustprop::host
