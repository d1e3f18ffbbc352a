// Fairness–goodness: the CUDA steps against the CPU reference on graphs
// larger than a warp (empty rows, long rows, signed weights); reruns on the
// GPU bitwise identical. Skips, saying why, without a GPU.
#include <gtest/gtest.h>

#include <cmath>

#include "common/error.hpp"
#include "cuda_test.hpp"
#include "cuda_test_graphs.hpp"
#include "host/fairness_goodness.hpp"
#include "kernels/cpu/executor.hpp"
#include "kernels/cuda/executor.hpp"

using namespace trustprop;

namespace {

class FairnessGoodnessCuda : public trustprop::testing::CudaTest {};

// Weights of the random graph scaled into [-1, 1] (its magnitudes reach 10).
io::Graph unit_graph(std::int64_t agents, std::int64_t long_rows) {
  io::Graph g = trustprop::testing::random_trust_graph(agents, long_rows);
  for (float& w : g.data) w /= 10.0f;
  return g;
}

}  // namespace

TEST_F(FairnessGoodnessCuda, RunMatchesCpu) {
  const io::Graph g = unit_graph(5000, 3000);
  const auto c = host::run_fairness_goodness(cpu, g, {});
  const auto d = host::run_fairness_goodness(gpu, g, {});
  ASSERT_EQ(c.convergence.iterations, d.convergence.iterations);
  EXPECT_EQ(c.convergence.converged, d.convergence.converged);
  double df = 0, dg = 0;
  for (std::size_t i = 0; i < c.fairness.size(); ++i) {
    df = std::max(df, std::fabs(c.fairness[i] - d.fairness[i]));
    dg = std::max(dg, std::fabs(c.goodness[i] - d.goodness[i]));
  }
  EXPECT_LE(df, 1e-12);
  EXPECT_LE(dg, 1e-12);
  for (std::size_t k = 0; k < c.fairness_change.size(); ++k)
    EXPECT_NEAR(c.fairness_change[k], d.fairness_change[k], 1e-9 * (1 + c.fairness_change[k]));
}

TEST_F(FairnessGoodnessCuda, RowsLongerThan100kAndRerunsBitwiseIdentical) {
  const io::Graph g = unit_graph(120000, 110000);
  host::FairnessGoodnessOptions o;
  o.max_iterations = 5;
  const auto a = host::run_fairness_goodness(gpu, g, o);
  const auto b = host::run_fairness_goodness(gpu, g, o);
  EXPECT_EQ(a.fairness, b.fairness);
  EXPECT_EQ(a.goodness, b.goodness);
  EXPECT_EQ(a.fairness_change, b.fairness_change);
  const auto c = host::run_fairness_goodness(cpu, g, o);
  for (std::size_t i = 0; i < c.fairness.size(); ++i) {
    ASSERT_NEAR(c.fairness[i], a.fairness[i], 1e-12) << "agent " << i;
    ASSERT_NEAR(c.goodness[i], a.goodness[i], 1e-12) << "agent " << i;
  }
}
