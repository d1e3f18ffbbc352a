// Signed trust and distrust: the CUDA kernels against the CPU reference on
// graphs larger than a warp (empty rows, distrust-only rows, signed
// weights over four orders of magnitude, rows of more than 100,000
// entries), every mode and iteration, batches not a multiple of 32; reruns
// on the GPU bitwise identical. Skips, saying why, without a GPU.
#include <gtest/gtest.h>

#include <cmath>

#include "common/error.hpp"
#include "cuda_test.hpp"
#include "cuda_test_graphs.hpp"
#include "host/signed_trust.hpp"
#include "kernels/cpu/executor.hpp"
#include "kernels/cuda/executor.hpp"

using namespace trustprop;

namespace {

class SignedCuda : public trustprop::testing::CudaTest {};

// Sources 0 and 1 (the long rows) and every `stride`-th agent after them.
std::vector<std::int64_t> sources(std::int64_t n, std::int64_t stride) {
  std::vector<std::int64_t> s{0, 1};
  for (std::int64_t a = 2; a < n; a += stride) s.push_back(a);
  return s;
}

// max |a − b| relative to the largest |a| of the same source row.
double row_relative_difference(const std::vector<double>& a, const std::vector<double>& b, std::int64_t n) {
  double worst = 0.0;
  for (std::size_t row = 0; row * static_cast<std::size_t>(n) < a.size(); ++row) {
    double scale = 0.0, diff = 0.0;
    for (std::int64_t j = 0; j < n; ++j) {
      const std::size_t i = row * static_cast<std::size_t>(n) + static_cast<std::size_t>(j);
      scale = std::max(scale, std::fabs(a[i]));
      diff = std::max(diff, std::fabs(a[i] - b[i]));
    }
    if (scale > 0.0) worst = std::max(worst, diff / scale);
  }
  return worst;
}

}  // namespace

TEST_F(SignedCuda, EveryModeAndIterationMatchesCpu) {
  const io::Graph g = trustprop::testing::random_trust_graph(5000, 3000);
  const auto s = sources(g.n, 53);  // 96 sources: batches of 40, 40, 16
  for (auto mode : {host::SignedMode::trust_only, host::SignedMode::one_step, host::SignedMode::propagated})
    for (auto iteration : {host::SignedIteration::eventual, host::SignedIteration::weighted}) {
      host::SignedTrustOptions o;
      o.mode = mode;
      o.iteration = iteration;
      o.steps = 6;
      o.batch = 40;
      const auto c = host::run_signed_trust(cpu, g, s, o).belief;
      const auto d = host::run_signed_trust(gpu, g, s, o).belief;
      EXPECT_LE(row_relative_difference(c, d, g.n), 1e-12) << host::to_string(mode) << " " << host::to_string(iteration);
    }
}

TEST_F(SignedCuda, RowsLongerThan100kAndRerunsBitwiseIdentical) {
  const io::Graph g = trustprop::testing::random_trust_graph(120000, 110000);
  const auto s = sources(g.n, 4001);  // 32 sources
  host::SignedTrustOptions o;
  o.steps = 3;
  o.iteration = host::SignedIteration::weighted;
  const auto a = host::run_signed_trust(gpu, g, s, o).belief;
  const auto b = host::run_signed_trust(gpu, g, s, o).belief;
  EXPECT_EQ(a, b);
  const auto c = host::run_signed_trust(cpu, g, s, o).belief;
  EXPECT_LE(row_relative_difference(c, a, g.n), 1e-12);
}
