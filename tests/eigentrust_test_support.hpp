// Shared by the CPU EigenTrust layout tests (value-free, source-blocked,
// SELL-8): W onto the CPU backend and its transition, the gather vectors of
// a transition, one step on host vectors, and a pseudo-random trust graph.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <tuple>
#include <vector>

#include "kernels/cpu/executor.hpp"
#include "kernels/eigentrust.hpp"
#include "test_helpers.hpp"

namespace trustprop::testing {

inline kernels::Transition cpu_transition(const std::shared_ptr<const kernels::cpu::CpuExecutor>& exec,
                                          const io::Graph& g, kernels::TransitionForm form,
                                          std::int64_t block_agents = 0) {
  kernels::CsrMatrix w;
  w.rows = w.cols = g.n;
  w.indptr = kernels::Array<std::int64_t>::from_host(exec, g.indptr);
  w.indices = kernels::Array<std::int32_t>::from_host(exec, g.indices);
  w.values = kernels::Array<float>::from_host(exec, g.data);
  return kernels::cpu::build_transition(*exec, w.view(), form, block_agents);
}

// The gather vectors a step on `tr` reads, with its layout.
inline kernels::GatherVectors gather_vectors(const kernels::Transition& tr, const float* x32, float* x32_next,
                                             const double* x64, double* x64_next) {
  return {x32,
          x32_next,
          x64,
          x64_next,
          tr.value_free ? tr.source_scale.data() : nullptr,
          kernels::source_blocks(tr),
          kernels::sell_chunks(tr)};
}

// One eigentrust_step (restart 0.15) from t into t_next; returns ‖Δ‖₁.
inline double cpu_step(const kernels::cpu::CpuExecutor& exec, const kernels::Transition& tr,
                       const std::vector<double>& p, const std::vector<double>& t, std::vector<double>& t_next,
                       const kernels::GatherVectors& g) {
  return kernels::cpu::eigentrust_step(exec, tr.ct.view(), tr.dangling.data(),
                                       static_cast<std::int64_t>(tr.dangling.size()), p.data(), 0.15, t.data(),
                                       t_next.data(), g);
}

// n agents, ~12 ties each: every agent's first two ties go to one of the
// first 40 (hubs), a tenth are distrust (-1), every 23rd agent is dangling;
// weights from weight(i, r), r pseudo-random in [0, 1000). With big_hub,
// agent 7 is also trusted by every third agent (a row of over a thousand
// entries) and agents divisible by 17 by nobody (empty rows).
template <class Weight>
io::Graph random_trust_graph(int n, Weight weight, std::uint64_t seed, bool big_hub = false) {
  std::vector<std::tuple<int, int, float>> e;
  std::uint64_t x = seed;
  auto next = [&] { return x = x * 6364136223846793005ULL + 1442695040888963407ULL, x >> 33; };
  for (int i = 0; i < n; ++i) {
    if (i % 23 == 0) continue;
    if (big_hub && i % 3 == 0 && i != 7) e.emplace_back(i, 7, weight(i, 500));
    for (int k = 0; k < 12; ++k) {
      int j = k < 2 ? static_cast<int>(next() % 40) : static_cast<int>(next() % n);
      if (big_hub && j % 17 == 0) j = (j + 1) % n;
      if (j != i) e.emplace_back(i, j, next() % 10 == 0 ? -1.0f : weight(i, static_cast<int>(next() % 1000)));
    }
  }
  std::sort(e.begin(), e.end());
  const auto same_tie = [](auto& a, auto& b) {
    return std::get<0>(a) == std::get<0>(b) && std::get<1>(a) == std::get<1>(b);
  };
  e.erase(std::unique(e.begin(), e.end(), same_tie), e.end());
  return graph_from_edges(n, e);
}

}  // namespace trustprop::testing
