// The value-free transition (kernels/eigentrust.hpp): on a graph whose rows
// give their positive trust in equal shares, Cᵀ drops its values and the
// step gathers t_i/d_i. Checked against the weighted form of the same graph
// (the reference), by hand on a tiny graph, and through the driver in both
// gather precisions.
#include <gtest/gtest.h>

#include <cmath>
#include <tuple>
#include <vector>

#include "host/eigentrust.hpp"
#include "kernels/cpu/executor.hpp"
#include "kernels/eigentrust.hpp"
#include "eigentrust_test_support.hpp"

using namespace trustprop;
using trustprop::testing::graph_from_edges;
using trustprop::testing::cpu_transition;

namespace {

using Edges = std::vector<std::tuple<int, int, float>>;

std::shared_ptr<const kernels::cpu::CpuExecutor> cpu_exec() { return std::make_shared<kernels::cpu::CpuExecutor>(0); }

// An unweighted graph of n agents with hubs, empty rows and distrust
// entries: each row's positive ties all weigh `row_weight(i)` (equal shares),
// a tenth of the ties are -1.
Edges uniform_rows(int n, float (*row_weight)(int)) {
  Edges e;
  std::uint64_t x = 99;
  auto next = [&] { return x = x * 6364136223846793005ULL + 1442695040888963407ULL, x >> 33; };
  for (int i = 0; i < n; ++i) {
    if (i % 23 == 0) continue;  // dangling
    for (int k = 0; k < 12; ++k) {
      const int j = k < 2 ? static_cast<int>(next() % 40) : static_cast<int>(next() % n);
      if (j != i) e.emplace_back(i, j, next() % 10 == 0 ? -1.0f : row_weight(i));
    }
  }
  std::sort(e.begin(), e.end());
  e.erase(std::unique(e.begin(), e.end(),
                      [](auto& a, auto& b) { return std::get<0>(a) == std::get<0>(b) && std::get<1>(a) == std::get<1>(b); }),
          e.end());
  return e;
}

double l1(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) s += std::fabs(a[i] - b[i]);
  return s;
}

}  // namespace

TEST(EigenTrustValueFree, UniformRowsDropTheValuesAndKeepThePattern) {
  // 0 -> 1, 2 (weight 3 each), 0 -> 3 distrust; 1 -> 2 (0.5); 2 -> 0 (1); 3 dangling.
  const auto g = graph_from_edges(4, {{0, 1, 3.f}, {0, 2, 3.f}, {0, 3, -2.f}, {1, 2, 0.5f}, {2, 0, 1.f}});
  auto exec = cpu_exec();
  const auto free = cpu_transition(exec, g, kernels::TransitionForm::value_free_if_uniform);
  const auto weighted = cpu_transition(exec, g, kernels::TransitionForm::weighted);
  ASSERT_TRUE(free.value_free);
  EXPECT_FALSE(weighted.value_free);
  EXPECT_EQ(free.ct.values.size(), 0u);
  EXPECT_EQ(free.ct.indptr.to_host(), weighted.ct.indptr.to_host());
  EXPECT_EQ(free.ct.indices.to_host(), weighted.ct.indices.to_host());
  EXPECT_EQ(free.ct.indices.to_host(), (std::vector<std::int32_t>{2, 0, 0, 1}));
  EXPECT_EQ(free.dangling.to_host(), (std::vector<std::int32_t>{3}));
  EXPECT_EQ(free.source_scale.to_host(), (std::vector<double>{0.5, 1.0, 1.0, 0.0}));
}

TEST(EigenTrustValueFree, UnequalSharesKeepTheValues) {
  const auto g = graph_from_edges(3, {{0, 1, 1.f}, {0, 2, 2.f}, {1, 0, 1.f}});
  const auto tr = cpu_transition(cpu_exec(), g, kernels::TransitionForm::value_free_if_uniform);
  EXPECT_FALSE(tr.value_free);
  EXPECT_EQ(tr.ct.values.size(), 3u);
  EXPECT_EQ(tr.source_scale.size(), 0u);
}

TEST(EigenTrustValueFree, FirstStepMatchesTheFormula) {
  // The graph of UniformRowsDropTheValuesAndKeepThePattern, from t = (0.1,
  // 0.2, 0.3, 0.4) and p uniform: y = Cᵀt by hand, m = t_3.
  const auto g = graph_from_edges(4, {{0, 1, 3.f}, {0, 2, 3.f}, {0, 3, -2.f}, {1, 2, 0.5f}, {2, 0, 1.f}});
  auto exec = cpu_exec();
  const auto tr = cpu_transition(exec, g, kernels::TransitionForm::value_free_if_uniform);
  const std::vector<double> t{0.1, 0.2, 0.3, 0.4}, p(4, 0.25);
  const std::vector<double> scale = tr.source_scale.to_host();
  std::vector<double> x64(4), t_next(4), x64_next(4);
  for (int i = 0; i < 4; ++i) x64[static_cast<std::size_t>(i)] = t[static_cast<std::size_t>(i)] * scale[static_cast<std::size_t>(i)];
  const double residual = kernels::cpu::eigentrust_step(
      *exec, tr.ct.view(), tr.dangling.data(), 1, p.data(), 0.15, t.data(), t_next.data(),
      {nullptr, nullptr, x64.data(), x64_next.data(), tr.source_scale.data()});
  const double y[4] = {0.3, 0.1 / 2, 0.1 / 2 + 0.2, 0.0};
  double want_residual = 0.0;
  for (int j = 0; j < 4; ++j) {
    const double want = 0.85 * (y[j] + 0.4 * 0.25) + 0.15 * 0.25;
    EXPECT_NEAR(t_next[static_cast<std::size_t>(j)], want, 1e-16) << "agent " << j;
    EXPECT_EQ(x64_next[static_cast<std::size_t>(j)], t_next[static_cast<std::size_t>(j)] * scale[static_cast<std::size_t>(j)]);
    want_residual += std::fabs(want - t[static_cast<std::size_t>(j)]);
  }
  EXPECT_NEAR(residual, want_residual, 1e-15);
}

TEST(EigenTrustValueFree, StepMatchesTheWeightedStepInBothPrecisions) {
  // 4000 agents (far more than a warp or a reduction block), rows of
  // different uniform weights: the value-free step equals the weighted
  // step of the same graph to the rounding of the stored c_ij.
  const int n = 4000;
  const auto g = graph_from_edges(n, uniform_rows(n, [](int i) { return 0.25f * static_cast<float>(1 + i % 7); }));
  auto exec = cpu_exec();
  const auto free = cpu_transition(exec, g, kernels::TransitionForm::value_free_if_uniform);
  const auto weighted = cpu_transition(exec, g, kernels::TransitionForm::weighted);
  ASSERT_TRUE(free.value_free);
  const std::vector<double> scale = free.source_scale.to_host();
  std::vector<double> t(n), p(n, 1.0 / n);
  for (int i = 0; i < n; ++i) t[static_cast<std::size_t>(i)] = (1.0 + i % 11) / (6.0 * n);
  std::vector<double> x64(n);
  for (std::size_t i = 0; i < t.size(); ++i) x64[i] = t[i] * scale[i];
  const std::vector<float> x32(x64.begin(), x64.end());
  const auto nd = static_cast<std::int64_t>(free.dangling.size());
  ASSERT_EQ(free.dangling.to_host(), weighted.dangling.to_host());

  std::vector<double> ref(n), a(n), b(n), a_copy(n);
  std::vector<float> b_copy(n);
  const double r_ref = kernels::cpu::eigentrust_step(*exec, weighted.ct.view(), weighted.dangling.data(), nd, p.data(),
                                                     0.15, t.data(), ref.data());
  const double r_a = kernels::cpu::eigentrust_step(*exec, free.ct.view(), free.dangling.data(), nd, p.data(), 0.15,
                                                   t.data(), a.data(),
                                                   {nullptr, nullptr, x64.data(), a_copy.data(), free.source_scale.data()});
  const double r_b = kernels::cpu::eigentrust_step(*exec, free.ct.view(), free.dangling.data(), nd, p.data(), 0.15,
                                                   t.data(), b.data(),
                                                   {x32.data(), b_copy.data(), nullptr, nullptr, free.source_scale.data()});
  EXPECT_GT(l1(ref, a), 0.0) << "the value-free step should not read the weighted matrix";
  // c_ij in float32 (weighted) vs 1/d_i in double (value-free): at most
  // 2^-24 relative per entry on a mass below 1; the float32 gather adds as much.
  EXPECT_LT(l1(ref, a), 6e-8);
  EXPECT_LT(l1(ref, b), 1.2e-7);
  EXPECT_NEAR(r_ref, r_a, 6e-8);
  EXPECT_NEAR(r_ref, r_b, 1.2e-7);
  for (std::size_t i = 0; i < t.size(); ++i) {
    ASSERT_EQ(a_copy[i], a[i] * scale[i]) << "agent " << i;
    ASSERT_EQ(b_copy[i], static_cast<float>(b[i] * scale[i])) << "agent " << i;
  }
}

TEST(EigenTrustValueFree, DriverReachesTheWeightedFixedPoint) {
  // run_eigentrust picks the value-free form by itself (rows of weight 1
  // and 2). In float64 and in mixed precision it lands on the fixed point of
  // the weighted all-double iteration of the same graph, within the float32
  // rounding of the weighted form's stored c_ij.
  const int n = 3000;
  const auto g = graph_from_edges(n, uniform_rows(n, [](int i) { return i % 2 ? 2.0f : 1.0f; }));
  auto exec = cpu_exec();
  std::vector<double> p(n, 1.0 / n);
  host::EigenTrustOptions o;
  o.tolerance = 1e-13;
  o.float32_gather = false;
  const auto f64 = host::run_eigentrust(exec, g, p, o);
  o.float32_gather = true;
  const auto mixed = host::run_eigentrust(exec, g, p, o);
  ASSERT_TRUE(f64.convergence.converged);
  ASSERT_TRUE(mixed.convergence.converged);
  EXPECT_LT(l1(f64.trust, mixed.trust), 1e-12);

  // The reference: the weighted transition iterated in double to the same tolerance.
  const auto weighted = cpu_transition(exec, g, kernels::TransitionForm::weighted);
  std::vector<double> t = p, next(n);
  for (int k = 0; k < 1000; ++k) {
    const double res = kernels::cpu::eigentrust_step(*exec, weighted.ct.view(), weighted.dangling.data(),
                                                     static_cast<std::int64_t>(weighted.dangling.size()), p.data(),
                                                     0.15, t.data(), next.data());
    std::swap(t, next);
    if (res < 1e-13) break;
  }
  EXPECT_LT(l1(f64.trust, t), 1e-6);  // float32 c_ij of the weighted form move its fixed point by ~1e-7
  EXPECT_GT(l1(f64.trust, t), 0.0);

  // Default options: float32 gather until 1e-7, within float32 rounding.
  const auto fast = host::run_eigentrust(exec, g, p, host::EigenTrustOptions{});
  ASSERT_TRUE(fast.convergence.converged);
  EXPECT_LT(l1(fast.trust, f64.trust), 1e-6);
}
