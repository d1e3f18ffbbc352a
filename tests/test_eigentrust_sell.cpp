// The SELL-8 Cᵀ of the CPU backend (kernels::SellChunks): rows sorted by
// length and interleaved 8 at a time for SIMD. Checked by hand on a tiny
// graph; on thousands of agents against the plain CSR step (the reference)
// bit for bit, at every SIMD level this CPU runs, in every gather mode and
// at 1 and 2 threads; and the fallback to CSR where padding would cost.
#include <gtest/gtest.h>

#include <tuple>
#include <vector>

#include "eigentrust_test_support.hpp"
#include "kernels/cpu/executor.hpp"
#include "kernels/cpu/sell.hpp"
#include "kernels/eigentrust.hpp"

using namespace trustprop;
using kernels::cpu::Simd;
using trustprop::testing::cpu_step;
using trustprop::testing::cpu_transition;
using trustprop::testing::gather_vectors;
using trustprop::testing::graph_from_edges;
using trustprop::testing::random_trust_graph;

namespace {

using Edges = std::vector<std::tuple<int, int, float>>;

std::vector<Simd> supported_levels() {
  std::vector<Simd> levels;
  for (const Simd s : {Simd::scalar, Simd::avx2, Simd::avx512})
    if (kernels::cpu::simd_supported(s)) levels.push_back(s);
  return levels;
}

}  // namespace

TEST(EigenTrustSell, LayoutSortsRowsByLengthAndInterleavesThemEightAtATime) {
  // Row j of Cᵀ = who trusts j. Ten agents: rows 0, 2, 5, 7 have 3
  // entries, rows 1, 3, 4, 6 two, rows 8 and 9 none (20 entries in 24
  // slots: padding within a quarter). Agents 0 and 8 give unequal shares.
  const auto g =
      graph_from_edges(10, {{0, 1, 1.f}, {0, 2, 1.f}, {0, 5, 2.f}, {1, 0, 1.f}, {1, 2, 1.f}, {2, 0, 1.f}, {2, 1, 1.f},
                            {3, 0, 1.f}, {3, 7, 1.f}, {4, 3, 1.f}, {4, 5, 1.f}, {5, 3, 1.f}, {5, 6, 1.f}, {6, 4, 1.f},
                            {7, 4, 1.f}, {8, 2, 2.f}, {8, 6, 1.f}, {8, 7, 1.f}, {9, 5, 1.f}, {9, 7, 1.f}});
  auto exec = std::make_shared<kernels::cpu::CpuExecutor>(0);
  const auto tr = cpu_transition(exec, g, kernels::TransitionForm::eigentrust);
  ASSERT_FALSE(tr.value_free);
  EXPECT_EQ(tr.ct.indptr.size(), 0u);
  EXPECT_EQ(tr.block_width, 0);
  // Longest first, equal lengths by row; padding lanes -1.
  EXPECT_EQ(tr.sell_rows.to_host(), (std::vector<std::int32_t>{0, 2, 5, 7, 1, 3, 4, 6, 8, 9, -1, -1, -1, -1, -1, -1}));
  EXPECT_EQ(tr.sell_lengths.to_host(), (std::vector<std::int32_t>{3, 3, 3, 3, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(tr.sell_offsets.to_host(), (std::vector<std::int64_t>{0, 24, 24}));  // 3 entries × 8 lanes, then none
  // Entry p of lane l at 8p + l, sources ascending; padding is index 0, value 0.
  const std::vector<std::int32_t> idx = tr.ct.indices.to_host();
  const std::vector<float> val = tr.ct.values.to_host();
  EXPECT_EQ(idx, (std::vector<std::int32_t>{1, 0, 0, 3, 0, 4, 6, 5,  //
                                            2, 1, 4, 8, 2, 5, 7, 8,  //
                                            3, 8, 9, 9, 0, 0, 0, 0}));
  EXPECT_EQ(val, (std::vector<float>{0.5f, 0.25f, 0.5f, 0.5f,  0.25f, 0.5f, 1.0f, 0.5f,   //
                                     0.5f, 0.5f,  0.5f, 0.25f, 0.5f,  0.5f, 1.0f, 0.25f,  //
                                     0.5f, 0.5f,  0.5f, 0.5f,  0.0f,  0.0f, 0.0f, 0.0f}));
  // The first step by hand from t = p = 1/10, a = 0.15, nobody dangling.
  std::vector<double> p(10, 0.1), t(10, 0.1), next(10);
  cpu_step(*exec, tr, p, t, next, gather_vectors(tr, nullptr, nullptr, nullptr, nullptr));
  const auto expect = [&](double y) { return 0.85 * y + 0.15 * 0.1; };
  EXPECT_DOUBLE_EQ(next[0], expect(0.1 * 1.5));
  EXPECT_DOUBLE_EQ(next[2], expect(0.1 * 1.25));
  EXPECT_DOUBLE_EQ(next[7], expect(0.1 * 1.25));
  EXPECT_DOUBLE_EQ(next[4], expect(0.1 * 2.0));
  EXPECT_DOUBLE_EQ(next[6], expect(0.1 * 0.75));
  EXPECT_DOUBLE_EQ(next[8], expect(0.0));
}

TEST(EigenTrustSell, ProductsAreBitwiseThePlainCsrSumsAtEverySimdLevel) {
  // 4000 agents, hub rows of hundreds of entries among rows of one or none:
  // every SIMD level this CPU runs, gathering float32 and double, with and
  // without values, gives exactly the CSR loop's row sums.
  const int n = 4000;
  auto exec = std::make_shared<kernels::cpu::CpuExecutor>(0);
  const auto weighted_graph = random_trust_graph(
      n, [](int, int r) { return 0.1f + 0.001f * static_cast<float>(r); }, 11, true);
  const auto uniform_graph = random_trust_graph(
      n, [](int i, int) { return 0.5f * static_cast<float>(1 + i % 5); }, 11, true);
  const std::vector<Simd> levels = supported_levels();
  std::printf("SIMD levels on this CPU:");
  for (const Simd s : levels) std::printf(" %s", kernels::cpu::simd_name(s));
  std::printf("\n");
  for (const auto* g : {&weighted_graph, &uniform_graph}) {
    const auto sell = cpu_transition(exec, *g, kernels::TransitionForm::eigentrust);
    const auto plain = cpu_transition(exec, *g, kernels::TransitionForm::value_free_if_uniform);
    ASSERT_GT(sell.sell_rows.size(), 0u);
    ASSERT_EQ(plain.sell_rows.size(), 0u);
    ASSERT_EQ(sell.value_free, g == &uniform_graph);
    const std::vector<std::int32_t> lengths = sell.sell_lengths.to_host();
    EXPECT_GT(lengths[0], 1000);  // agent 7's row
    EXPECT_EQ(lengths[static_cast<std::size_t>(n - 1)], 0);
    std::vector<double> x64(n);
    for (int i = 0; i < n; ++i) x64[static_cast<std::size_t>(i)] = (1.0 + i % 11) / (6.0 * n) + 1e-9 * i;
    const std::vector<float> x32(x64.begin(), x64.end());

    // The reference, once per gather precision: the CSR loop, written out here.
    const std::vector<std::int64_t> ip = plain.ct.indptr.to_host();
    const std::vector<std::int32_t> ci = plain.ct.indices.to_host();
    const std::vector<float> cv = plain.ct.values.to_host();
    std::vector<double> reference[2];
    for (const bool use64 : {false, true}) {
      std::vector<double>& want = reference[use64];
      want.assign(n, 0.0);
      for (int j = 0; j < n; ++j) {
        double y = 0.0;
        for (std::int64_t k = ip[static_cast<std::size_t>(j)]; k < ip[static_cast<std::size_t>(j) + 1]; ++k) {
          const auto i = static_cast<std::size_t>(ci[static_cast<std::size_t>(k)]);
          const double xi = use64 ? x64[i] : static_cast<double>(x32[i]);
          y += sell.value_free ? xi : static_cast<double>(cv[static_cast<std::size_t>(k)]) * xi;
        }
        want[static_cast<std::size_t>(j)] = y;
      }
    }
    const auto chunks = kernels::sell_chunks(sell);
    const auto products = [&](Simd level, const auto* x, std::vector<double>& y) {
      if (sell.value_free)
        kernels::cpu::sell_products<true>(level, chunks, sell.ct.indices.data(), nullptr, x, y.data());
      else
        kernels::cpu::sell_products<false>(level, chunks, sell.ct.indices.data(), sell.ct.values.data(), x, y.data());
    };
    for (const Simd level : levels) {
      for (const bool use64 : {false, true}) {
        std::vector<double> got(n, -1.0);
        if (use64)
          products(level, x64.data(), got);
        else
          products(level, x32.data(), got);
        const std::vector<double>& want = reference[use64];
        ASSERT_EQ(got, want) << kernels::cpu::simd_name(level) << (use64 ? " double" : " float32")
                             << (sell.value_free ? " value-free" : " weighted");
      }
    }
  }
}

TEST(EigenTrustSell, StepIsBitwiseThePlainStepInEveryGatherModeAndThreadCount) {
  const int n = 5000;
  const auto weighted_graph = random_trust_graph(
      n, [](int, int r) { return 0.1f + 0.001f * static_cast<float>(r); }, 11, true);
  const auto uniform_graph = random_trust_graph(
      n, [](int i, int) { return i % 2 ? 2.0f : 1.0f; }, 11, true);
  std::vector<double> t(n), p(n, 1.0 / n);
  for (int i = 0; i < n; ++i) t[static_cast<std::size_t>(i)] = (1.0 + i % 13) / (7.0 * n);
  for (const auto* g : {&weighted_graph, &uniform_graph}) {
    for (const int threads : {1, 2}) {
      auto exec = std::make_shared<kernels::cpu::CpuExecutor>(threads);
      const auto sell = cpu_transition(exec, *g, kernels::TransitionForm::eigentrust);
      const auto plain = cpu_transition(exec, *g, kernels::TransitionForm::value_free_if_uniform);
      ASSERT_GT(sell.sell_rows.size(), 0u);
      std::vector<double> x64(t);
      if (sell.value_free) {
        const std::vector<double> scale = sell.source_scale.to_host();
        for (std::size_t i = 0; i < x64.size(); ++i) x64[i] *= scale[i];
      }
      const std::vector<float> x32(x64.begin(), x64.end());
      std::vector<double> a(n), b(n), a64(n), b64(n);
      std::vector<float> a32(n), b32(n);
      EXPECT_EQ(cpu_step(*exec, sell, p, t, a, gather_vectors(sell, x32.data(), a32.data(), nullptr, nullptr)),
                cpu_step(*exec, plain, p, t, b, gather_vectors(plain, x32.data(), b32.data(), nullptr, nullptr)));
      EXPECT_EQ(a, b);
      EXPECT_EQ(a32, b32);
      const auto g64a = sell.value_free ? gather_vectors(sell, nullptr, nullptr, x64.data(), a64.data())
                                        : gather_vectors(sell, nullptr, nullptr, nullptr, nullptr);
      const auto g64b = plain.value_free ? gather_vectors(plain, nullptr, nullptr, x64.data(), b64.data())
                                         : gather_vectors(plain, nullptr, nullptr, nullptr, nullptr);
      EXPECT_EQ(cpu_step(*exec, sell, p, t, a, g64a), cpu_step(*exec, plain, p, t, b, g64b));
      EXPECT_EQ(a, b);
      EXPECT_EQ(a64, b64);
    }
  }
}

TEST(EigenTrustSell, AGraphWhosePaddingWouldExceedAQuarterOfItsTiesKeepsCsr) {
  // A star: agent 0 trusted by all 99 others, and 99 rows of at most one
  // entry: its chunk would pad 7 lanes to 99 entries (693 > 198 / 4).
  Edges e;
  for (int i = 1; i < 100; ++i) e.emplace_back(i, 0, 1.0f), e.emplace_back(i, (i % 99) + 1, 1.0f);
  const auto g = graph_from_edges(100, e);
  auto exec = std::make_shared<kernels::cpu::CpuExecutor>(0);
  const auto tr = cpu_transition(exec, g, kernels::TransitionForm::eigentrust);
  EXPECT_EQ(tr.sell_rows.size(), 0u);
  EXPECT_EQ(tr.ct.indptr.size(), 101u);
  EXPECT_EQ(tr.ct.nnz(), 198);
  // 200 ties over twenty rows of 10 entries pad 40 (the third chunk's 4
  // empty lanes): SELL.
  Edges spread;
  for (int i = 0; i < 100; ++i) spread.emplace_back(i, 100 + i % 10, 1.0f), spread.emplace_back(i, 110 + i % 10, 1.0f);
  const auto tr2 = cpu_transition(exec, graph_from_edges(120, spread), kernels::TransitionForm::eigentrust);
  EXPECT_EQ(tr2.sell_rows.size(), 8u * 15u);
  EXPECT_EQ(tr2.ct.nnz(), 240);
}
