// The pre-trust distribution p of EigenTrust (DESIGN §3): uniform over a set
// of pre-trusted agents. The set is "institutions" (the default: agents of
// kind institution, or every agent when the graph has none), "all", or a
// text file of original agent ids separated by spaces, commas or line ends
// (`#` comments), read as every id file is (host/rank_options.hpp).
#pragma once

#include <string>
#include <vector>

#include "io/graph.hpp"

namespace trustprop::host {

struct Pretrust {
  std::vector<double> p;       // n entries, summing to 1
  std::int64_t agents = 0;     // how many agents are pre-trusted
  std::string description;     // for logs and provenance
};

// Throws DataError naming the file and line for an unknown or malformed id,
// NoInputError for a missing file, UsageError for an empty set.
Pretrust build_pretrust(const io::Graph& graph, const std::string& spec);

// Maps original ids (graph.id, or 0..n-1 when the graph has none) to agents;
// -1 where an id is unknown.
std::vector<std::int64_t> agents_of_ids(const io::Graph& graph, const std::vector<std::int64_t>& ids);

}  // namespace trustprop::host
