// CPU EigenTrust against hand-computed values on graphs of a few agents,
// plus the properties the design asks for: determinism across thread
// counts, plain reporting of non-convergence, checked parameters.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <numeric>

#include "common/error.hpp"
#include "host/eigentrust.hpp"
#include "host/pretrust.hpp"
#include "kernels/cpu/executor.hpp"
#include "kernels/eigentrust.hpp"
#include "test_helpers.hpp"

using namespace trustprop;
using trustprop::testing::graph_from_edges;

namespace {

std::shared_ptr<const kernels::Executor> cpu_exec(int threads = 0) {
  return std::make_shared<kernels::cpu::CpuExecutor>(threads);
}

std::vector<double> uniform(std::int64_t n) { return std::vector<double>(static_cast<std::size_t>(n), 1.0 / n); }

// Hand-computed values are checked to 1e-12: the all-double iteration.
host::EigenTrustOptions tight() {
  host::EigenTrustOptions o;
  o.tolerance = 1e-14;
  o.float32_gather = false;
  return o;
}

}  // namespace

TEST(EigenTrustCpu, TransitionIsTheNormalisedPositivePartTransposed) {
  // 0 -> 1 (2), 0 -> 2 (6), 1 -> 0 (-1), 1 -> 2 (1), 2 -> (nothing)
  const auto g = graph_from_edges(3, {{0, 1, 2.f}, {0, 2, 6.f}, {1, 0, -1.f}, {1, 2, 1.f}});
  auto exec = cpu_exec();
  kernels::CsrMatrix w;
  w.rows = w.cols = 3;
  w.indptr = kernels::Array<std::int64_t>::from_host(exec, g.indptr);
  w.indices = kernels::Array<std::int32_t>::from_host(exec, g.indices);
  w.values = kernels::Array<float>::from_host(exec, g.data);
  const auto tr = kernels::cpu::build_transition(static_cast<const kernels::cpu::CpuExecutor&>(*exec), w.view());
  // Cᵀ rows: agent 0 is trusted by nobody (positively); 1 by 0 (2/8);
  // 2 by 0 (6/8) and 1 (1/1).
  EXPECT_EQ(tr.ct.indptr.to_host(), (std::vector<std::int64_t>{0, 0, 1, 3}));
  EXPECT_EQ(tr.ct.indices.to_host(), (std::vector<std::int32_t>{0, 0, 1}));
  EXPECT_EQ(tr.ct.values.to_host(), (std::vector<float>{0.25f, 0.75f, 1.0f}));
  EXPECT_EQ(tr.dangling.to_host(), (std::vector<std::int32_t>{2}));
}

TEST(EigenTrustCpu, CycleGivesUniformTrust) {
  const auto g = graph_from_edges(3, {{0, 1, 1.f}, {1, 2, 1.f}, {2, 0, 1.f}});
  std::vector<double> p{1.0, 0.0, 0.0};  // even a skewed start converges to...
  const auto r = host::run_eigentrust(cpu_exec(), g, uniform(3), tight(), p);
  ASSERT_TRUE(r.convergence.converged);
  for (double t : r.trust) EXPECT_NEAR(t, 1.0 / 3.0, 1e-12);
}

TEST(EigenTrustCpu, DanglingMassGoesToPretrust) {
  // 0 -> 1, 1 dangling, p uniform, a = 0.15. With t0 + t1 = 1:
  // t0 = 0.85 * 0.5 * t1 + 0.075  =>  t0 = 0.5 / 1.425, t1 = 1 - t0.
  const auto g = graph_from_edges(2, {{0, 1, 1.f}});
  const auto r = host::run_eigentrust(cpu_exec(), g, uniform(2), tight());
  ASSERT_TRUE(r.convergence.converged);
  EXPECT_NEAR(r.trust[0], 0.5 / 1.425, 1e-12);
  EXPECT_NEAR(r.trust[1], 1.0 - 0.5 / 1.425, 1e-12);
}

TEST(EigenTrustCpu, NegativeTrustIsIgnoredAndPretrustConcentrates) {
  // 0 -> 1 (1), 0 -> 2 (-5), 1 -> 0 (1), 2 -> 0 (1); pre-trust only agent 2.
  // Row 0's only positive tie is to 1. Fixed point with a = 0.5, p = e2:
  // t0 = 0.5 (t1 + t2), t1 = 0.5 t0, t2 = 0.5. => t0 = 0.5 (0.5 t0 + 0.5)
  // => t0 = 1/3, t1 = 1/6, t2 = 1/2.
  const auto g = graph_from_edges(3, {{0, 1, 1.f}, {0, 2, -5.f}, {1, 0, 1.f}, {2, 0, 1.f}});
  auto o = tight();
  o.restart = 0.5;
  const auto r = host::run_eigentrust(cpu_exec(), g, {0.0, 0.0, 1.0}, o);
  ASSERT_TRUE(r.convergence.converged);
  EXPECT_NEAR(r.trust[0], 1.0 / 3.0, 1e-12);
  EXPECT_NEAR(r.trust[1], 1.0 / 6.0, 1e-12);
  EXPECT_NEAR(r.trust[2], 0.5, 1e-12);
}

TEST(EigenTrustCpu, FirstStepMatchesTheFormula) {
  // From t = p = uniform over 4 agents, one step by hand.
  const auto g = graph_from_edges(4, {{0, 1, 1.f}, {0, 2, 3.f}, {1, 2, 1.f}, {2, 0, 1.f}});  // 3 dangling
  auto o = tight();
  o.max_iterations = 1;
  const auto r = host::run_eigentrust(cpu_exec(), g, uniform(4), o);
  const double a = 0.15, m = 0.25;  // dangling mass: agent 3
  const double y[4] = {0.25, 0.25 * 0.25, 0.25 * 0.75 + 0.25, 0.0};
  double res = 0;
  for (int j = 0; j < 4; ++j) {
    const double want = (1 - a) * (y[j] + m * 0.25) + a * 0.25;
    EXPECT_NEAR(r.trust[j], want, 1e-15);
    res += std::fabs(want - 0.25);
  }
  EXPECT_EQ(r.convergence.iterations, 1);
  EXPECT_FALSE(r.convergence.converged);
  EXPECT_NEAR(r.convergence.residual, res, 1e-15);
}

TEST(EigenTrustCpu, TrustSumsToOneAndResidualsShrink) {
  // A random graph of a few thousand agents with empty rows and negatives.
  const std::int64_t n = 3000;
  std::vector<std::tuple<int, int, float>> e;
  std::uint64_t x = 12345;
  auto next = [&] { return x = x * 6364136223846793005ULL + 1442695040888963407ULL, x >> 33; };
  for (int i = 0; i < n; ++i) {
    if (i % 17 == 0) continue;  // empty row
    for (int k = 0; k < 8; ++k) {
      const int j = static_cast<int>(next() % n);
      e.emplace_back(i, j, (next() % 10 == 0) ? -1.f : static_cast<float>(1 + next() % 5));
    }
  }
  std::sort(e.begin(), e.end());
  e.erase(std::unique(e.begin(), e.end(), [](auto& a, auto& b) { return std::get<0>(a) == std::get<0>(b) && std::get<1>(a) == std::get<1>(b); }), e.end());
  const auto g = graph_from_edges(n, e);
  const auto r = host::run_eigentrust(cpu_exec(), g, uniform(n), host::EigenTrustOptions{});
  ASSERT_TRUE(r.convergence.converged);
  // c_ij are stored as float32, so rows of C sum to 1 within float rounding:
  // the mass drifts by O(1e-7), inside the design's 1e-6 tolerance.
  EXPECT_NEAR(std::accumulate(r.trust.begin(), r.trust.end(), 0.0), 1.0, 1e-6);
  EXPECT_LT(r.convergence.residual, 1e-6);
  EXPECT_EQ(r.convergence.residuals.size(), static_cast<std::size_t>(r.convergence.iterations));
  for (std::size_t k = 1; k < r.convergence.residuals.size(); ++k)
    EXPECT_LE(r.convergence.residuals[k], r.convergence.residuals[k - 1] * 0.86 + 1e-15);

  // Bitwise identical whatever the number of threads.
  const auto r1 = host::run_eigentrust(cpu_exec(1), g, uniform(n), host::EigenTrustOptions{});
  const auto r2 = host::run_eigentrust(cpu_exec(2), g, uniform(n), host::EigenTrustOptions{});
  EXPECT_EQ(r1.trust, r2.trust);
  EXPECT_EQ(r1.convergence.residuals, r2.convergence.residuals);
}

TEST(EigenTrustCpu, Float32GatherStaysWithinRoundingOfTheDoubleIteration) {
  // The reduced-precision lever (kernels/eigentrust.hpp) on a graph of 5000
  // agents with hubs: one step writes float32(t') beside t' and moves t' by
  // float32 rounding only. The driver's default stops within 1e-7 (L1) of the
  // all-double result; asked for a tolerance below the float32 noise, it
  // finishes in float64 and converges to the float64 fixed point.
  const std::int64_t n = 5000;
  std::vector<std::tuple<int, int, float>> e;
  std::uint64_t x = 777;
  auto next = [&] { return x = x * 6364136223846793005ULL + 1442695040888963407ULL, x >> 33; };
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < 10; ++k) {
      const int j = k < 2 ? static_cast<int>(next() % 20) : static_cast<int>(next() % n);  // 20 hubs
      if (j != i) e.emplace_back(i, j, static_cast<float>(1 + next() % 7));
    }
  std::sort(e.begin(), e.end());
  e.erase(std::unique(e.begin(), e.end(), [](auto& a, auto& b) { return std::get<0>(a) == std::get<0>(b) && std::get<1>(a) == std::get<1>(b); }), e.end());
  const auto g = graph_from_edges(n, e);
  auto exec = cpu_exec();
  const auto& cpu = static_cast<const kernels::cpu::CpuExecutor&>(*exec);
  kernels::CsrMatrix w;
  w.rows = w.cols = n;
  w.indptr = kernels::Array<std::int64_t>::from_host(exec, g.indptr);
  w.indices = kernels::Array<std::int32_t>::from_host(exec, g.indices);
  w.values = kernels::Array<float>::from_host(exec, g.data);
  const auto tr = kernels::cpu::build_transition(cpu, w.view());
  std::vector<double> p = uniform(n), t(static_cast<std::size_t>(n)), a(t.size()), b(t.size());
  for (std::int64_t i = 0; i < n; ++i) t[static_cast<std::size_t>(i)] = (1.0 + static_cast<double>(i % 13)) / (7.0 * n);
  const std::vector<float> tf(t.begin(), t.end());
  std::vector<float> bf(t.size(), -1.0f);
  const auto nd = static_cast<std::int64_t>(tr.dangling.size());
  const double ra = kernels::cpu::eigentrust_step(cpu, tr.ct.view(), tr.dangling.data(), nd, p.data(), 0.15, t.data(), a.data());
  const double rb = kernels::cpu::eigentrust_step(cpu, tr.ct.view(), tr.dangling.data(), nd, p.data(), 0.15, t.data(),
                                                  b.data(), {tf.data(), bf.data()});
  double l1 = 0.0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    l1 += std::fabs(a[i] - b[i]);
    ASSERT_EQ(bf[i], static_cast<float>(b[i])) << "agent " << i;
  }
  EXPECT_GT(l1, 0.0) << "the float32 gather should not be bitwise the double one";
  EXPECT_LT(l1, 1e-7);
  EXPECT_NEAR(ra, rb, 1e-7);

  auto distance = [](const std::vector<double>& u, const std::vector<double>& v) {
    double d = 0.0;
    for (std::size_t i = 0; i < u.size(); ++i) d += std::fabs(u[i] - v[i]);
    return d;
  };
  host::EigenTrustOptions o;  // default tolerance 1e-6, float32 gather
  const auto mixed = host::run_eigentrust(exec, g, p, o);
  o.float32_gather = false;
  const auto ref = host::run_eigentrust(exec, g, p, o);
  ASSERT_TRUE(mixed.convergence.converged);
  EXPECT_GT(distance(ref.trust, mixed.trust), 0.0) << "the default run should gather in float32";
  EXPECT_LT(distance(ref.trust, mixed.trust), 1e-7);

  o = tight();
  const auto tight_ref = host::run_eigentrust(exec, g, p, o);
  o.float32_gather = true;
  const auto tight_mixed = host::run_eigentrust(exec, g, p, o);
  ASSERT_TRUE(tight_ref.convergence.converged);
  EXPECT_TRUE(tight_mixed.convergence.converged) << "residual " << tight_mixed.convergence.residual;
  EXPECT_LT(distance(tight_ref.trust, tight_mixed.trust), 1e-12);
}

// Two agents, 0 -> 1, pre-trust on 0 (an audit's case): the float32 copy of
// t settled into a two-cycle whose residual stayed at 2.8e-7, above the
// 1e-7 at which the gather switched to float64, so a tolerance of 1e-9 was
// never reached (and a cycle 0 <-> 1 at a = 0.05 missed even the default
// 1e-6). The gather now also ends where the residual stops shrinking.
TEST(EigenTrustCpu, TheFloat32GatherEndsWhereItsRoundingStallsTheResidual) {
  const auto check = [](const io::Graph& g, const std::vector<double>& p, double restart, double tolerance) {
    host::EigenTrustOptions o;
    o.restart = restart;
    o.tolerance = tolerance;
    const auto mixed = host::run_eigentrust(cpu_exec(), g, p, o);
    o.float32_gather = false;
    const auto exact = host::run_eigentrust(cpu_exec(), g, p, o);
    ASSERT_TRUE(exact.convergence.converged);
    EXPECT_TRUE(mixed.convergence.converged) << "residual " << mixed.convergence.residual;
    EXPECT_LE(mixed.convergence.iterations, exact.convergence.iterations + 5);
    double l1 = 0;
    for (std::size_t i = 0; i < p.size(); ++i) l1 += std::fabs(mixed.trust[i] - exact.trust[i]);
    EXPECT_LT(l1, 10 * tolerance);
  };
  check(graph_from_edges(2, {{0, 1, 1.f}}), {1.0, 0.0}, 0.15, 1e-9);
  check(graph_from_edges(2, {{0, 1, 1.f}, {1, 0, 1.f}}), {0.0, 1.0}, 0.05, 1e-6);
}

TEST(EigenTrustCpu, WarmStartFromTheFixedPointConvergesAtOnce) {
  const auto g = graph_from_edges(3, {{0, 1, 1.f}, {1, 2, 2.f}, {2, 0, 1.f}, {2, 1, 1.f}});
  const auto cold = host::run_eigentrust(cpu_exec(), g, uniform(3), tight());
  auto o = tight();
  o.tolerance = 1e-10;
  const auto warm = host::run_eigentrust(cpu_exec(), g, uniform(3), o, cold.trust);
  EXPECT_EQ(warm.convergence.iterations, 1);
  EXPECT_TRUE(warm.convergence.converged);
}

TEST(EigenTrustCpu, NonConvergenceIsReportedNotThrown) {
  const auto g = graph_from_edges(3, {{0, 1, 1.f}, {1, 2, 1.f}, {2, 0, 1.f}});
  host::EigenTrustOptions o;
  o.max_iterations = 2;
  o.tolerance = 0.0;
  const auto r = host::run_eigentrust(cpu_exec(), g, {1.0, 0.0, 0.0}, o);
  EXPECT_FALSE(r.convergence.converged);
  EXPECT_EQ(r.convergence.iterations, 2);
  EXPECT_GT(r.convergence.residual, 0.0);
}

TEST(EigenTrustCpu, BadParametersAreConfigErrors) {
  const auto g = graph_from_edges(2, {{0, 1, 1.f}});
  host::EigenTrustOptions o;
  o.restart = 0.0;
  EXPECT_THROW(host::run_eigentrust(cpu_exec(), g, uniform(2), o), ConfigError);
  o = {};
  o.tolerance = -1;
  EXPECT_THROW(host::run_eigentrust(cpu_exec(), g, uniform(2), o), ConfigError);
  o = {};
  o.max_iterations = -3;
  EXPECT_THROW(host::run_eigentrust(cpu_exec(), g, uniform(2), o), ConfigError);
}

TEST(Pretrust, InstitutionsAllAndFallback) {
  auto g = graph_from_edges(4, {{0, 1, 1.f}});
  auto p = host::build_pretrust(g, "institutions");  // no kinds: all agents
  EXPECT_EQ(p.agents, 4);
  EXPECT_DOUBLE_EQ(p.p[2], 0.25);
  g.kind = {0, 2, 1, 2};
  p = host::build_pretrust(g, "institutions");
  EXPECT_EQ(p.agents, 2);
  EXPECT_EQ(p.p, (std::vector<double>{0.0, 0.5, 0.0, 0.5}));
  p = host::build_pretrust(g, "all");
  EXPECT_DOUBLE_EQ(p.p[0], 0.25);
}

TEST(Pretrust, IdFileMapsOriginalIdsAndRejectsUnknownOnes) {
  auto g = graph_from_edges(3, {{0, 1, 1.f}});
  g.id = {100, 7, 42};
  trustprop::testing::TempPath f("pretrust.txt");
  {
    FILE* out = std::fopen(f.str().c_str(), "w");
    std::fputs("# pre-trusted\n42\n7\n", out);
    std::fclose(out);
  }
  const auto p = host::build_pretrust(g, f.str());
  EXPECT_EQ(p.p, (std::vector<double>{0.0, 0.5, 0.5}));
  {
    FILE* out = std::fopen(f.str().c_str(), "w");
    std::fputs("42\n9\n", out);
    std::fclose(out);
  }
  try {
    host::build_pretrust(g, f.str());
    ADD_FAILURE();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find(":2: agent id 9"), std::string::npos) << e.what();
  }
  EXPECT_THROW(host::build_pretrust(g, "/nonexistent/ids.txt"), NoInputError);
}
