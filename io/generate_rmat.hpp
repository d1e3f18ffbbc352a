// The R-MAT / Graph500 Kronecker generator (`trustprop generate rmat`,
// docs/generators.md), for comparison with published graph benchmarks.
//
// n = 2^scale vertices, edge_factor * n edge draws. Edge k descends `scale`
// levels of the 2x2 initiator [[a, b], [c, d]] (Graph500: a = 0.57,
// b = c = 0.19, d = 0.05) with Philox words keyed by (seed, k), so the graph
// does not depend on the thread count. Vertex ids are scrambled by a
// seeded bijection of [0, 2^scale) unless scramble is off; self-loops are
// dropped and duplicate edges merged (largest weight). The CSR is built by
// counting sort: a second pass regenerates the edges into their rows.
#pragma once

#include <cstdint>
#include <string>

#include "io/generate_city.hpp"
#include "io/graph.hpp"
#include "io/graph_file.hpp"

namespace trustprop::io {

struct RmatParams {
  int scale = 0;                 // n = 2^scale, 1..30
  std::int64_t edge_factor = 16; // edge draws per vertex
  std::uint64_t seed = 1;
  double a = 0.57, b = 0.19, c = 0.19;  // d = 1 - a - b - c
  bool uniform_weights = false;  // weights 1, or uniform in (0, 1]
  bool scramble = true;          // permute vertex ids (Graph500)
};

inline constexpr int rmat_max_scale = 30;

// Throws UsageError / ConfigError naming the option.
void validate_rmat_params(const RmatParams& params);

// The bijection of [0, 2^scale) used to scramble vertex ids.
std::uint64_t rmat_scramble(std::uint64_t v, int scale, std::uint64_t seed);

// Generates the graph in memory.
Graph generate_rmat_graph(const RmatParams& params);

// Generates the graph into a file (atomically). Returns edges = stored
// (deduplicated) edges.
GenerateStats generate_rmat(const std::string& path, const RmatParams& params, const GraphWriteOptions& options = {});

}  // namespace trustprop::io
