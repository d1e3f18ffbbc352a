// The source-blocked Cᵀ of the CPU backend (kernels::SourceBlocks): Cᵀ
// split by source agent into blocks, one pass per block. Checked by hand on
// a tiny graph, against the plain Cᵀ's step (the reference) on a graph of
// thousands of agents in every gather mode, for bitwise reproducibility
// across thread counts, and through the driver to the plain fixed point.
#include <gtest/gtest.h>

#include <cmath>
#include <tuple>
#include <vector>

#include "eigentrust_test_support.hpp"
#include "host/eigentrust.hpp"
#include "kernels/cpu/executor.hpp"
#include "kernels/cpu/source_blocks.hpp"
#include "kernels/eigentrust.hpp"

using namespace trustprop;
using trustprop::testing::cpu_step;
using trustprop::testing::cpu_transition;
using trustprop::testing::gather_vectors;
using trustprop::testing::graph_from_edges;
using trustprop::testing::random_trust_graph;

namespace {

double max_relative(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]) / std::fabs(b[i]));
  return m;
}

}  // namespace

TEST(EigenTrustBlocked, LayoutIsBlockRowSourceOrderedWithOffsetsPerBlock) {
  // Blocks of 2 sources: {0, 1}, {2, 3}, {4}. Row j of Cᵀ = who trusts j.
  // 0 -> 1, 2, 4; 1 -> 0, 4; 2 -> 4 (and distrusts 0); 3 -> 0, 1; 4 -> 2.
  const auto g = graph_from_edges(5, {{0, 1, 1.f},
                                      {0, 2, 1.f},
                                      {0, 4, 2.f},
                                      {1, 0, 1.f},
                                      {1, 4, 3.f},
                                      {2, 0, -1.f},
                                      {2, 4, 1.f},
                                      {3, 0, 1.f},
                                      {3, 1, 1.f},
                                      {4, 2, 5.f}});
  auto exec = std::make_shared<kernels::cpu::CpuExecutor>(0);
  const auto tr = cpu_transition(exec, g, kernels::TransitionForm::eigentrust, 2);
  ASSERT_EQ(tr.block_width, 2);
  EXPECT_FALSE(tr.value_free);
  EXPECT_EQ(tr.ct.indptr.size(), 0u);
  // Block 0 (sources 0, 1): row 0 <- 1; row 1 <- 0; row 2 <- 0; row 4 <- 0, 1.
  // Block 1 (sources 2, 3): row 0 <- 3; row 1 <- 3; row 4 <- 2.
  // Block 2 (source 4):     row 2 <- 4.
  EXPECT_EQ(tr.ct.indices.to_host(), (std::vector<std::int32_t>{1, 0, 0, 0, 1, 3, 3, 2, 4}));
  EXPECT_EQ(tr.block_indptr.to_host(),
            (std::vector<std::uint32_t>{0, 1, 2, 3, 3, 5, /**/ 5, 6, 7, 7, 7, 8, /**/ 8, 8, 8, 9, 9, 9}));
  const std::vector<float> want{1.f / 4, 1.f / 4, 1.f / 4, 2.f / 4, 3.f / 4, 1.f / 2, 1.f / 2, 1.f, 1.f};
  EXPECT_EQ(tr.ct.values.to_host(), want);

  // The first step by hand from t = (0.1 … 0.5)/1.5, p uniform: no dangling agent.
  const std::vector<double> t{0.1 / 1.5, 0.2 / 1.5, 0.3 / 1.5, 0.4 / 1.5, 0.5 / 1.5}, p(5, 0.2);
  std::vector<double> t_next(5);
  const double residual = cpu_step(*exec, tr, p, t, t_next, gather_vectors(tr, nullptr, nullptr, nullptr, nullptr));
  const double y[5] = {double(0.25f) * t[1] + 0.5 * t[3], double(0.25f) * t[0] + 0.5 * t[3],
                       double(0.25f) * t[0] + t[4], 0.0, double(0.5f) * t[0] + double(0.75f) * t[1] + t[2]};
  double want_residual = 0.0;
  for (int j = 0; j < 5; ++j) {
    const double v = 0.85 * y[j] + 0.15 * 0.2;
    EXPECT_NEAR(t_next[static_cast<std::size_t>(j)], v, 1e-16) << "agent " << j;
    want_residual += std::fabs(v - t[static_cast<std::size_t>(j)]);
  }
  EXPECT_NEAR(residual, want_residual, 1e-15);
}

TEST(EigenTrustBlocked, OnlyTheEigentrustFormIsBlockedAndAWidthOfNKeepsItUnblocked) {
  const auto g = random_trust_graph(
      500, [](int, int r) { return 0.1f + 0.001f * static_cast<float>(r); }, 7);
  auto exec = std::make_shared<kernels::cpu::CpuExecutor>(0);
  EXPECT_EQ(cpu_transition(exec, g, kernels::TransitionForm::weighted, 64).block_width, 0);
  EXPECT_EQ(cpu_transition(exec, g, kernels::TransitionForm::value_free_if_uniform, 64).block_width, 0);
  EXPECT_EQ(cpu_transition(exec, g, kernels::TransitionForm::eigentrust, 500).block_width, 0);
  EXPECT_EQ(cpu_transition(exec, g, kernels::TransitionForm::eigentrust, 0).block_width, 0);  // small: one block does
  const auto blocked = cpu_transition(exec, g, kernels::TransitionForm::eigentrust, 64);
  const auto unblocked = cpu_transition(exec, g, kernels::TransitionForm::eigentrust, 500);
  const auto plain = cpu_transition(exec, g, kernels::TransitionForm::value_free_if_uniform, 64);
  EXPECT_EQ(blocked.block_width, 64);
  EXPECT_EQ(blocked.block_indptr.size(), 8u * 501u);  // ⌈500/64⌉ blocks of n + 1 offsets
  EXPECT_EQ(blocked.sell_rows.size(), 0u);
  EXPECT_EQ(unblocked.sell_rows.size(), 8u * 63u);  // unblocked, the CPU stores SELL-8 chunks
  EXPECT_EQ(plain.sell_rows.size(), 0u);
  EXPECT_EQ(blocked.ct.nnz(), plain.ct.nnz());
  EXPECT_EQ(blocked.dangling.to_host(), plain.dangling.to_host());
}

TEST(EigenTrustBlocked, TheBackendBlocksLargeGraphsWithinHalfAByteOfOffsetsPerTie) {
  using kernels::cpu::auto_block_width;
  // The benchmark graphs: the 2M city gets 4 blocks of 524,288; R-MAT 20 and
  // 22 (16 ties per agent) cannot afford two; Epinions needs one.
  EXPECT_EQ(auto_block_width(2000000, 94638457), 524288);
  EXPECT_EQ(auto_block_width(1048576, 16085811), 0);
  EXPECT_EQ(auto_block_width(4194304, 65243276), 0);
  EXPECT_EQ(auto_block_width(75879, 508837), 0);
  // A 6M city would want 12 blocks; it affords 5 (4 B × 6M × 5 ≤ ½ B × 285M).
  EXPECT_EQ(auto_block_width(6000000, 284869498), 1200000);
  // A 20M city of a billion ties: 6 blocks; past 2^32 ties the offsets do not fit.
  EXPECT_EQ(auto_block_width(20000000, 1000000000), 3333334);
  EXPECT_EQ(auto_block_width(100000000, 5000000000), 0);
  for (const std::int64_t n : {std::int64_t{600000}, std::int64_t{3000000}, std::int64_t{20000000}})
    for (const std::int64_t degree : {16, 24, 48, 200}) {
      const std::int64_t nnz = n * degree, width = auto_block_width(n, nnz);
      if (width == 0) continue;
      const std::int64_t blocks = (n + width - 1) / width;
      EXPECT_GE(blocks, 2) << n << " " << degree;
      EXPECT_LE(4 * blocks * (n + 1), nnz / 2) << n << " " << degree;  // the memory bound
      EXPECT_GE(width, 524288) << n << " " << degree;
    }
}

TEST(EigenTrustBlocked, TheBackendPrefersBlocksOnlyWhereTheGatheredVectorOutgrowsTheCache) {
  using kernels::cpu::prefer_source_blocks;
  const std::int64_t l3 = std::int64_t{32} << 20;  // this VM's L3
  // The 2M city (8 MB of float32 x) keeps SELL-8; 4M and 6M cities get blocks.
  EXPECT_FALSE(prefer_source_blocks(2000000, 94638457, l3));
  EXPECT_TRUE(prefer_source_blocks(4000000, 189650196, l3));
  EXPECT_TRUE(prefer_source_blocks(6000000, 284869498, l3));
  // R-MAT 22 is as large but cannot afford blocks; R-MAT 20 and Epinions are small.
  EXPECT_FALSE(prefer_source_blocks(4194304, 65243276, l3));
  EXPECT_FALSE(prefer_source_blocks(1048576, 16085811, l3));
  EXPECT_FALSE(prefer_source_blocks(75879, 508837, l3));
  // A larger cache keeps the 4M city in SELL-8; the machine's own cache is used when none is given.
  EXPECT_FALSE(prefer_source_blocks(4000000, 189650196, 4 * l3));
  EXPECT_EQ(prefer_source_blocks(1000, 48000), false);
}

TEST(EigenTrustBlocked, StepMatchesThePlainStepInEveryGatherMode) {
  // 4000 agents (far more than a warp or a reduction block) in blocks of 300
  // sources, the last one short: weighted (gathering from t or a float32
  // copy) and value-free (float32 or float64 copies of t/d). The blocked sum
  // only regroups the plain one: equal to double rounding.
  const int n = 4000;
  auto exec = std::make_shared<kernels::cpu::CpuExecutor>(0);
  const auto weighted_graph = random_trust_graph(
      n, [](int, int r) { return 0.1f + 0.001f * static_cast<float>(r); }, 7);
  const auto uniform_graph = random_trust_graph(
      n, [](int i, int) { return 0.5f * static_cast<float>(1 + i % 5); }, 7);
  for (const auto* g : {&weighted_graph, &uniform_graph}) {
    const auto blocked = cpu_transition(exec, *g, kernels::TransitionForm::eigentrust, 300);
    const auto plain = cpu_transition(exec, *g, kernels::TransitionForm::eigentrust, n);
    ASSERT_EQ(blocked.block_width, 300);
    ASSERT_EQ(plain.block_width, 0);
    ASSERT_EQ(blocked.value_free, g == &uniform_graph);
    std::vector<double> t(n), p(n, 1.0 / n);
    for (int i = 0; i < n; ++i) t[static_cast<std::size_t>(i)] = (1.0 + i % 11) / (6.0 * n);
    std::vector<double> x64(t);
    if (blocked.value_free) {
      const std::vector<double> scale = blocked.source_scale.to_host();
      for (std::size_t i = 0; i < x64.size(); ++i) x64[i] *= scale[i];
    }
    const std::vector<float> x32(x64.begin(), x64.end());

    std::vector<double> a(n), b(n), a64(n), b64(n);
    std::vector<float> a32(n), b32(n);
    // float32 gather (both forms).
    const double ra =
        cpu_step(*exec, blocked, p, t, a, gather_vectors(blocked, x32.data(), a32.data(), nullptr, nullptr));
    const double rb = cpu_step(*exec, plain, p, t, b, gather_vectors(plain, x32.data(), b32.data(), nullptr, nullptr));
    EXPECT_LT(max_relative(a, b), 1e-14);
    EXPECT_NEAR(ra, rb, 1e-15);
    const std::vector<double> scale =
        blocked.value_free ? blocked.source_scale.to_host() : std::vector<double>(static_cast<std::size_t>(n), 1.0);
    for (std::size_t i = 0; i < a.size(); ++i)
      ASSERT_EQ(a32[i], static_cast<float>(a[i] * scale[i])) << "agent " << i;  // the copy the next step gathers
    // float64: from t itself (weighted) or from t/d in double (value-free).
    const auto g64a = blocked.value_free ? gather_vectors(blocked, nullptr, nullptr, x64.data(), a64.data())
                                         : gather_vectors(blocked, nullptr, nullptr, nullptr, nullptr);
    const auto g64b = plain.value_free ? gather_vectors(plain, nullptr, nullptr, x64.data(), b64.data())
                                       : gather_vectors(plain, nullptr, nullptr, nullptr, nullptr);
    cpu_step(*exec, blocked, p, t, a, g64a);
    cpu_step(*exec, plain, p, t, b, g64b);
    EXPECT_LT(max_relative(a, b), 1e-14);
    EXPECT_GT(max_relative(a, b), 0.0) << "the blocked sum should group the terms differently";
  }
}

TEST(EigenTrustBlocked, StepIsBitwiseTheSameForOneAndTwoThreads) {
  const int n = 5000;
  const auto g = random_trust_graph(
      n, [](int, int r) { return 0.1f + 0.001f * static_cast<float>(r); }, 7);
  std::vector<double> t(n), p(n, 1.0 / n);
  for (int i = 0; i < n; ++i) t[static_cast<std::size_t>(i)] = (1.0 + i % 13) / (7.0 * n);
  const std::vector<float> x32(t.begin(), t.end());
  std::vector<std::vector<double>> out;
  std::vector<double> residuals;
  for (const int threads : {1, 2}) {
    auto exec = std::make_shared<kernels::cpu::CpuExecutor>(threads);
    const auto tr = cpu_transition(exec, g, kernels::TransitionForm::eigentrust, 256);
    ASSERT_EQ(tr.block_width, 256);
    std::vector<double> next(n);
    std::vector<float> next32(n);
    residuals.push_back(
        cpu_step(*exec, tr, p, t, next, gather_vectors(tr, x32.data(), next32.data(), nullptr, nullptr)));
    out.push_back(next);
  }
  EXPECT_EQ(out[0], out[1]);
  EXPECT_EQ(residuals[0], residuals[1]);
}

TEST(EigenTrustBlocked, DriverReachesThePlainFixedPoint) {
  // run_eigentrust with --cpu-block-agents 128 on 3000 agents (24 blocks),
  // weighted and value-free, to 1e-13: the plain run's fixed point.
  const int n = 3000;
  auto exec = std::make_shared<kernels::cpu::CpuExecutor>(0);
  std::vector<double> p(n, 1.0 / n);
  const auto weighted_graph = random_trust_graph(
      n, [](int, int r) { return 0.1f + 0.001f * static_cast<float>(r); }, 7);
  const auto uniform_graph = random_trust_graph(
      n, [](int i, int) { return i % 2 ? 2.0f : 1.0f; }, 7);
  for (const auto* g : {&weighted_graph, &uniform_graph}) {
    host::EigenTrustOptions o;
    o.tolerance = 1e-13;
    o.block_agents = 128;
    const auto blocked = host::run_eigentrust(exec, *g, p, o);
    o.block_agents = n;
    const auto plain = host::run_eigentrust(exec, *g, p, o);
    ASSERT_TRUE(blocked.convergence.converged);
    ASSERT_TRUE(plain.convergence.converged);
    EXPECT_EQ(blocked.source_blocks, 24);
    EXPECT_EQ(plain.source_blocks, 1);
    double l1 = 0.0;
    for (std::size_t i = 0; i < blocked.trust.size(); ++i) l1 += std::fabs(blocked.trust[i] - plain.trust[i]);
    EXPECT_LT(l1, 1e-12);
  }
}
