// City dynamics: the CUDA kernels against the CPU reference (DESIGN §4) on
// inputs larger than a warp — a generated city, and a random graph with
// rows of W and Wᵀ longer than dyn_long_row (the block-per-row kernels),
// empty rows, distrust ties, registered providers. Epoch by epoch the
// discrete outcomes (who interacted, who cooperated, who was fined, who
// imitated whom), the evidence, pools, counters and strategies must be
// identical, trust within 1e-6 (L1); Philox draws identical; reruns on the
// GPU bitwise identical. Skips, saying why, without a GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "common/error.hpp"
#include "cuda_test.hpp"
#include "cuda_test_graphs.hpp"
#include "host/dynamics.hpp"
#include "io/generate_city.hpp"
#include "kernels/cpu/executor.hpp"
#include "kernels/cuda/executor.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/dynamics.hpp"
#include "kernels/dynamics_rules.hpp"

using namespace trustprop;

namespace {

class DynamicsCuda : public trustprop::testing::CudaTest {};

// A random graph with long rows both ways and agent kinds: every 40th agent
// an institution, every 7th an enterprise (registered at random).
io::Graph random_city() {
  trustprop::testing::RandomGraphShape shape;
  shape.agents = 12000;
  shape.trusted_by = 6000;  // agent 0: a Wᵀ row longer than dyn_long_row
  shape.trusting = 6000;    // agent 1: a W row longer than dyn_long_row
  shape.seed = 3;
  io::Graph g = trustprop::testing::random_trust_graph(shape);
  g.kind.assign(static_cast<std::size_t>(g.n), kernels::kind_resident);
  for (std::int64_t i = 0; i < g.n; ++i) {
    if (i % 40 == 5) g.kind[static_cast<std::size_t>(i)] = kernels::kind_institution;
    else if (i % 7 == 0) g.kind[static_cast<std::size_t>(i)] = kernels::kind_enterprise;
  }
  for (float& w : g.data) w = std::min(w, 1.0f);  // magnitudes up to 10: keep probabilities below 1 for most
  return g;
}

io::Graph city() {
  io::CityParams c;
  c.agents = 6000;
  c.seed = 2;
  return io::generate_city_graph(c);
}

double l1(const std::vector<double>& a, const std::vector<double>& b) {
  double d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d += std::fabs(a[i] - b[i]);
  return d;
}

void compare_runs(const io::Graph& g, const host::DynamicsParameters& p, std::shared_ptr<const kernels::Executor> cpu,
                  std::shared_ptr<const kernels::Executor> gpu, int epochs) {
  host::Simulation c(cpu, g, p, 17), d(gpu, g, p, 17);
  ASSERT_EQ(c.registrar(), d.registrar());
  for (int e = 1; e <= epochs; ++e) {
    SCOPED_TRACE("epoch " + std::to_string(e));
    const host::EpochMetrics mc = c.run_epoch(), md = d.run_epoch();
    ASSERT_EQ(c.last_outcomes(), d.last_outcomes());  // who interacted, who cooperated, who was fined
    ASSERT_EQ(c.last_tallies(), d.last_tallies());
    ASSERT_EQ(c.last_models(), d.last_models());      // who imitated whom
    const host::HostDynamicsState sc = host::download(c.state()), sd = host::download(d.state());
    ASSERT_EQ(sc.strategy, sd.strategy);
    ASSERT_EQ(sc.r, sd.r);
    ASSERT_EQ(sc.s, sd.s);
    ASSERT_EQ(sc.pool_r, sd.pool_r);
    ASSERT_EQ(sc.pool_s, sd.pool_s);
    EXPECT_LE(l1(sc.trust, sd.trust), 1e-6);
    EXPECT_LE(l1(sc.payoff, sd.payoff), 1e-6 * static_cast<double>(g.n) * (1.0 + p.reward));
    EXPECT_EQ(mc.interactions, md.interactions);
    EXPECT_EQ(mc.imitations, md.imitations);
    EXPECT_EQ(mc.dangling, md.dangling);
    EXPECT_NEAR(mc.trust_gini, md.trust_gini, 1e-9);
    EXPECT_NEAR(mc.trust_top1_share, md.trust_top1_share, 1e-9);
    EXPECT_NEAR(mc.trust_cooperators, md.trust_cooperators, 1e-6 * (1.0 + mc.trust_cooperators));
    EXPECT_LE(std::abs(mc.propagation_iterations - md.propagation_iterations), 1);
  }
}

}  // namespace

TEST_F(DynamicsCuda, PhiloxDrawsAreIdentical) {
  const std::int64_t count = 100003;
  auto words = [&](const std::shared_ptr<const kernels::Executor>& exec, std::uint32_t purpose) {
    kernels::Array<std::uint32_t> out(exec, static_cast<std::size_t>(4 * count));
    kernels::dispatch(*exec, [&](const auto& e) {
      dyn_random_words(e, 0x1234567890abcdefull, purpose, 77, count, out.data());
    });
    return out.to_host();
  };
  for (std::uint32_t purpose : {kernels::dynamics_rules::purpose_interact, kernels::dynamics_rules::purpose_fermi})
    EXPECT_EQ(words(gpu, purpose), words(cpu, purpose));
}

TEST_F(DynamicsCuda, EpochsMatchCpuOnACity) {
  host::DynamicsParameters p;
  p.reward = 60.0;
  p.sharing = 0.1;
  compare_runs(city(), p, cpu, gpu, 6);
}

TEST_F(DynamicsCuda, EpochsMatchCpuWithLongRowsPooledFeedbackAndRandomRegistration) {
  host::DynamicsParameters p;
  p.registration = host::Registration::random;
  p.registered_share = 0.6;
  p.pooled_feedback = true;
  p.supervision = 0.7;
  p.reward = 5.0;
  p.avoid_below = 0.4;
  compare_runs(random_city(), p, cpu, gpu, 6);
}

TEST_F(DynamicsCuda, RerunsAreBitwiseIdentical) {
  const io::Graph g = random_city();
  host::DynamicsParameters p;
  p.reward = 20.0;
  auto run = [&] {
    host::Simulation sim(gpu, g, p, 5);
    for (int e = 0; e < 4; ++e) sim.run_epoch();
    return host::download(sim.state());
  };
  const auto a = run(), b = run();
  EXPECT_EQ(a.strategy, b.strategy);
  EXPECT_EQ(a.r, b.r);
  EXPECT_EQ(0, std::memcmp(a.trust.data(), b.trust.data(), a.trust.size() * sizeof(double)));
  EXPECT_EQ(0, std::memcmp(a.payoff.data(), b.payoff.data(), a.payoff.size() * sizeof(double)));
}

TEST_F(DynamicsCuda, TrustInequalityMatchesCpu) {
  std::vector<double> t(50000);
  for (std::size_t i = 0; i < t.size(); ++i) t[i] = std::pow(static_cast<double>((i * 7919) % 50000 + 1), -1.2);
  auto inequality = [&](const std::shared_ptr<const kernels::Executor>& exec) {
    const auto on = kernels::Array<double>::from_host(exec, t);
    return kernels::dispatch(*exec, [&](const auto& e) {
      return dyn_trust_inequality(e, static_cast<std::int64_t>(t.size()), on.data());
    });
  };
  const auto c = inequality(cpu), d = inequality(gpu);
  EXPECT_NEAR(c.gini, d.gini, 1e-12);
  EXPECT_NEAR(c.top1_share, d.top1_share, 1e-12);
}
