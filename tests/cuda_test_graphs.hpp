// Random trust graphs for the CPU-versus-GPU equivalence tests: larger than
// a warp, and shaped to reach every path of the kernels: rows with no ties,
// rows whose ties are all distrust (dangling although not empty), negative
// weights, weights spread over four orders of magnitude, one agent trusted
// by very many (a long row of Cᵀ) and one agent trusting very many (a long
// row of W). Deterministic for a given shape (std::mt19937_64).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "io/graph.hpp"

namespace trustprop::testing {

struct RandomGraphShape {
  std::int64_t agents = 0;
  double mean_degree = 8.0;          // ties per non-empty row, on average
  double empty_share = 0.1;          // rows with no ties at all
  double negative_share = 0.2;       // ties with a negative weight
  double distrust_only_share = 0.05; // rows whose ties are all negative
  std::int64_t trusted_by = 0;       // agent 0 is trusted by agents 2 .. trusted_by + 1
  std::int64_t trusting = 0;         // agent 1 trusts agents 2 .. trusting + 1
  std::uint64_t seed = 1;
};

inline io::Graph random_trust_graph(const RandomGraphShape& s) {
  std::mt19937_64 rng(s.seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::uniform_int_distribution<std::int32_t> agent(0, static_cast<std::int32_t>(s.agents - 1));
  std::geometric_distribution<int> extra(1.0 / s.mean_degree);

  io::Graph g;
  g.n = s.agents;
  g.indptr.push_back(0);
  std::vector<std::int32_t> row;
  for (std::int64_t i = 0; i < s.agents; ++i) {
    row.clear();
    const bool hub_follower = i >= 2 && i < 2 + s.trusted_by;
    if (i == 1) {
      for (std::int64_t j = 2; j < 2 + s.trusting && j < s.agents; ++j) row.push_back(static_cast<std::int32_t>(j));
    } else if (unit(rng) >= s.empty_share || hub_follower) {
      const int degree = 1 + extra(rng);
      for (int d = 0; d < degree; ++d) row.push_back(agent(rng));
    }
    if (hub_follower) row.push_back(0);
    std::sort(row.begin(), row.end());
    row.erase(std::unique(row.begin(), row.end()), row.end());
    row.erase(std::remove(row.begin(), row.end(), static_cast<std::int32_t>(i)), row.end());  // no self-trust

    const bool distrust_only = !hub_follower && i != 1 && unit(rng) < s.distrust_only_share;
    for (std::int32_t j : row) {
      const float magnitude = static_cast<float>(std::pow(10.0, -3.0 + 4.0 * unit(rng)));  // 1e-3 .. 10
      const bool negative = distrust_only || (!(hub_follower && j == 0) && unit(rng) < s.negative_share);
      g.indices.push_back(j);
      g.data.push_back(negative ? -magnitude : magnitude);
    }
    g.indptr.push_back(static_cast<std::int64_t>(g.indices.size()));
  }
  return g;
}

// The default shape with `agents` agents: agent 0 trusted by, and agent 1
// trusting, `long_rows` others.
inline io::Graph random_trust_graph(std::int64_t agents, std::int64_t long_rows) {
  RandomGraphShape shape;
  shape.agents = agents;
  shape.trusted_by = long_rows;
  shape.trusting = long_rows;
  return random_trust_graph(shape);
}

// Pre-trust uniform over every `stride`-th agent: not uniform over all, so
// that p enters the kernels as a real vector.
inline std::vector<double> strided_pretrust(std::int64_t n, std::int64_t stride) {
  std::vector<double> p(static_cast<std::size_t>(n), 0.0);
  const std::int64_t count = (n + stride - 1) / stride;
  for (std::int64_t i = 0; i < n; i += stride) p[static_cast<std::size_t>(i)] = 1.0 / static_cast<double>(count);
  return p;
}

}  // namespace trustprop::testing
