// Fairness–goodness on the CPU against values worked out by hand.
#include <gtest/gtest.h>

#include "common/error.hpp"
#include "host/fairness_goodness.hpp"
#include "kernels/cpu/executor.hpp"
#include "test_helpers.hpp"

using namespace trustprop;
using trustprop::testing::graph_from_edges;

TEST(FairnessGoodnessCpu, FirstIterationByHand) {
  // 0 -> 2 (1), 1 -> 2 (-1), 0 -> 1 (0.5).
  // Start: f = 1; g = mean incoming: g1 = 0.5, g2 = 0, g0 = 0 (nobody rates 0).
  // Goodness step (f = 1): g1 = 0.5, g2 = 0 -> Σ|Δg| = 0.
  // Fairness step: f0 = 1 - (|1 - 0| + |0.5 - 0.5|) / 4 = 0.75;
  //                f1 = 1 - |-1 - 0| / 2 = 0.5; f2 keeps 1. Σ|Δf| = 0.75.
  const auto g = graph_from_edges(3, {{0, 2, 1.f}, {1, 2, -1.f}, {0, 1, 0.5f}});
  host::FairnessGoodnessOptions o;
  o.max_iterations = 1;
  auto exec = std::make_shared<kernels::cpu::CpuExecutor>();
  const auto r = host::run_fairness_goodness(exec, g, o);
  EXPECT_DOUBLE_EQ(r.goodness[0], 0.0);
  EXPECT_DOUBLE_EQ(r.goodness[1], 0.5);
  EXPECT_DOUBLE_EQ(r.goodness[2], 0.0);
  EXPECT_DOUBLE_EQ(r.fairness[0], 0.75);
  EXPECT_DOUBLE_EQ(r.fairness[1], 0.5);
  EXPECT_DOUBLE_EQ(r.fairness[2], 1.0);
  EXPECT_DOUBLE_EQ(r.goodness_change[0], 0.0);
  EXPECT_DOUBLE_EQ(r.fairness_change[0], 0.75);
  EXPECT_FALSE(r.convergence.converged);

  // Second goodness step: g1 = f0 * 0.5 = 0.375; g2 = (0.75 - 0.5) / 2 = 0.125.
  o.max_iterations = 2;
  const auto r2 = host::run_fairness_goodness(exec, g, o);
  EXPECT_DOUBLE_EQ(r2.goodness[1], 0.375);
  EXPECT_DOUBLE_EQ(r2.goodness[2], 0.125);
  EXPECT_DOUBLE_EQ(r2.goodness_change[1], 0.125 + 0.125);
}

TEST(FairnessGoodnessCpu, ConvergesAndRejectsWeightsOutsideTheUnitInterval) {
  const auto g = graph_from_edges(3, {{0, 2, 1.f}, {1, 2, -1.f}, {0, 1, 0.5f}, {2, 0, 0.25f}});
  auto exec = std::make_shared<kernels::cpu::CpuExecutor>();
  const auto r = host::run_fairness_goodness(exec, g, {});
  EXPECT_TRUE(r.convergence.converged);
  EXPECT_LT(r.fairness_change.back(), 1e-6);
  EXPECT_LT(r.goodness_change.back(), 1e-6);
  for (double f : r.fairness) EXPECT_TRUE(f >= 0.0 && f <= 1.0);

  const auto bad = graph_from_edges(2, {{0, 1, 3.f}});
  EXPECT_THROW(host::run_fairness_goodness(exec, bad, {}, "bad.h5"), DataError);
  host::FairnessGoodnessOptions o;
  o.weight_divisor = 3.0;
  EXPECT_NO_THROW(host::run_fairness_goodness(exec, bad, o, "bad.h5"));
  o.weight_divisor = 0.0;
  EXPECT_THROW(host::run_fairness_goodness(exec, bad, o, "bad.h5"), ConfigError);
  // A weight just past 1 is named with the digits that put it there.
  o.weight_divisor = 2.9999999;
  try {
    host::run_fairness_goodness(exec, bad, o, "bad.h5");
    ADD_FAILURE() << "3 / 2.9999999 was accepted";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("edge 0 -> 1 has 1.0000000333333343"), std::string::npos) << e.what();
  }
}
