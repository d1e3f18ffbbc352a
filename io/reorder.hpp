// Locality-improving agent orderings (DESIGN §8, issue #7): a permutation of
// the agents of a graph so that the CSR gather of the EigenTrust pull
// iteration (Cᵀ·t reads t at the in-neighbours of each agent) touches nearby
// entries of t, and writing the graph with its agents renumbered that way.
// docs/reorder.md describes the methods and how the permutation is kept.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/graph.hpp"
#include "io/graph_file.hpp"

namespace trustprop::io {

enum class ReorderMethod {
  degree,  // descending in + out degree, ties by old index: hubs share cache lines
  rcm,     // reverse Cuthill–McKee on the symmetrised pattern: small bandwidth
};

std::optional<ReorderMethod> parse_reorder_method(std::string_view name);
std::string_view to_string(ReorderMethod method);

// The new order as new_to_old: position r of the reordered graph holds old
// agent new_to_old[r]. A bijection of 0..n-1, and a pure function of the
// graph's pattern (weights are ignored), so it is deterministic.
std::vector<std::int32_t> order_agents(const Graph& graph, ReorderMethod method);

// old_to_new of a new_to_old permutation; throws InternalError when
// `new_to_old` is not a bijection of 0..n-1.
std::vector<std::int32_t> inverse_permutation(const std::vector<std::int32_t>& new_to_old);

// max |i - j| over the edges i -> j (0 for a graph without edges), or, given
// old_to_new, the same for the graph with its agents renumbered that way.
std::int64_t bandwidth(const Graph& graph, const std::vector<std::int32_t>& old_to_new = {});

// Writes `graph` with its agents renumbered by `new_to_old`: row and column r
// of the output are row and column new_to_old[r] of the input, each row
// sorted by its new columns; /agents/kind is permuted along; /agents/id holds
// each agent's original id (the input's id, or its old index when the input
// has none), so results name the same agents as before; and
// /agents/previous_index holds new_to_old. Streams row blocks, so the output
// costs O(n) memory beyond `graph`.
void write_reordered_graph(const std::string& path, const Graph& graph, const std::vector<std::int32_t>& new_to_old,
                           const GraphWriteOptions& options = {});

}  // namespace trustprop::io
