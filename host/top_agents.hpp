// The k agents with the largest value (ties broken by the lower agent
// index, so the order is deterministic), and how they are printed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/graph.hpp"

namespace trustprop::host {

struct RankedAgent {
  std::int64_t agent;
  double value;
};

std::vector<RankedAgent> top_agents(const std::vector<double>& values, int k);

// A table "rank  agent  id  kind  <label>" on stdout.
void print_top_agents(const io::Graph& graph, const std::vector<RankedAgent>& top, const std::string& label);

}  // namespace trustprop::host
