// Shared by the personalized-trust tests: seed sets, a random graph larger
// than a warp, and an executor that only reports its free memory.
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "cuda_test_graphs.hpp"
#include "fake_executor.hpp"
#include "host/personalized.hpp"
#include "kernels/cpu/executor.hpp"

namespace trustprop::testing::personalized {

using ExecPtr = std::shared_ptr<const kernels::Executor>;

inline ExecPtr cpu_exec(int threads = 0) { return std::make_shared<kernels::cpu::CpuExecutor>(threads); }

inline host::SeedSets make_sets(const std::vector<std::vector<std::int64_t>>& sets) {
  host::SeedSets s;
  for (const auto& set : sets) {
    s.agents.insert(s.agents.end(), set.begin(), set.end());
    s.offsets.push_back(s.entries());
  }
  return s;
}

// p uniform over seed set c, as run_eigentrust takes it.
inline std::vector<double> pretrust_of(const host::SeedSets& s, std::int64_t c, std::int64_t n) {
  std::vector<double> p(static_cast<std::size_t>(n), 0.0);
  const std::int64_t b = s.offsets[static_cast<std::size_t>(c)], e = s.offsets[static_cast<std::size_t>(c) + 1];
  for (std::int64_t i = b; i < e; ++i) p[static_cast<std::size_t>(s.agents[static_cast<std::size_t>(i)])] = 1.0 / static_cast<double>(e - b);
  return p;
}

inline std::vector<double> column(const host::PersonalizedResult& r, std::int64_t c) {
  return {r.trust.begin() + c * r.n, r.trust.begin() + (c + 1) * r.n};
}

// Seed sets of varied sizes on an n-agent graph: the hub (agent 0), agents
// with and without ties, sets of one to three agents.
inline host::SeedSets varied_sets(std::int64_t k, std::int64_t n) {
  std::vector<std::vector<std::int64_t>> sets;
  for (std::int64_t c = 0; c < k; ++c) {
    std::vector<std::int64_t> set{c % 4 == 0 ? 0 : (c * 37 + 11) % n};
    for (std::int64_t extra = 0; extra < c % 3; ++extra) set.push_back((c * 91 + 1000 * (extra + 1)) % n);
    std::sort(set.begin(), set.end());
    set.erase(std::unique(set.begin(), set.end()), set.end());
    sets.push_back(set);
  }
  return make_sets(sets);
}

inline io::Graph random_graph() {
  trustprop::testing::RandomGraphShape shape;
  shape.agents = 3000;
  shape.trusted_by = 800;
  shape.trusting = 300;
  shape.seed = 5;
  return trustprop::testing::random_trust_graph(shape);
}

using trustprop::testing::FakeExecutor;

}  // namespace trustprop::testing::personalized
