// The city dynamics' Cᵀ in SELL-8 lanes on the CPU (kernels::InPattern):
// dyn_in_pattern's CSR transpose and lanes against a transpose computed
// here, the fallback to CSR alone, the values copied into the lanes giving
// the CSR step bit for bit, and the float32 gather of the simulation's
// propagation against float64 throughout.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <tuple>
#include <vector>

#include "host/dynamics.hpp"
#include "io/generate_city.hpp"
#include "kernels/cpu/executor.hpp"
#include "kernels/cpu/sell_lanes.hpp"
#include "kernels/eigentrust.hpp"
#include "kernels/dynamics.hpp"
#include "test_helpers.hpp"

using namespace trustprop;
using trustprop::testing::graph_from_edges;

namespace {

// 700 agents: agents h = 0..7 are trusted by 300 + 5h of them (hub rows
// of Wᵀ, one chunk), agents 600 and up by nobody (empty rows), the rest by
// a few random ones.
io::Graph uneven_graph() {
  std::mt19937 rng(17);
  std::vector<std::tuple<int, int, float>> edges;
  for (int h = 0; h < 8; ++h)
    for (int i = 8; i < 308 + 5 * h; ++i) edges.emplace_back(i, h, 1.f);
  for (int i = 0; i < 700; ++i) {
    const int k = static_cast<int>(rng() % 9);
    for (int e = 0; e < k; ++e) {
      const int j = 8 + static_cast<int>(rng() % 592);
      if (j != i) edges.emplace_back(i, j, 1.f);
    }
  }
  std::sort(edges.begin(), edges.end());
  edges.erase(std::unique(edges.begin(), edges.end(),
                          [](const auto& a, const auto& b) {
                            return std::get<0>(a) == std::get<0>(b) && std::get<1>(a) == std::get<1>(b);
                          }),
              edges.end());
  return graph_from_edges(700, edges);
}

// Row j of Wᵀ: (customer i, position k in W) for every edge i -> j, by i.
std::vector<std::vector<std::pair<std::int32_t, std::int64_t>>> transpose(const io::Graph& g) {
  std::vector<std::vector<std::pair<std::int32_t, std::int64_t>>> rows(static_cast<std::size_t>(g.n));
  for (std::int64_t i = 0; i < g.n; ++i)
    for (std::int64_t k = g.indptr[static_cast<std::size_t>(i)]; k < g.indptr[static_cast<std::size_t>(i) + 1]; ++k)
      rows[static_cast<std::size_t>(g.indices[static_cast<std::size_t>(k)])].emplace_back(
          static_cast<std::int32_t>(i), k);
  return rows;
}

kernels::CsrView pattern_of(const io::Graph& g) {
  return {g.n, g.n, g.nnz(), g.indptr.data(), g.indices.data(), nullptr};
}

}  // namespace

TEST(DynamicsSell, InPatternKeepsCsrAndStoresTheSourcesInSellLanes) {
  const io::Graph g = uneven_graph();
  const auto want = transpose(g);
  auto exec = std::make_shared<kernels::cpu::CpuExecutor>(2);
  const kernels::InPattern p = kernels::cpu::dyn_in_pattern(*exec, pattern_of(g));
  // CSR, as on the GPU.
  const std::vector<std::int64_t> indptr = p.indptr.to_host();
  const std::vector<std::int32_t> source = p.source.to_host();
  // The edge of each entry, through its record slot.
  const std::vector<kernels::RecordSlot> in_slot = p.in_slot.to_host(), edge_slot = p.edge_slot.to_host();
  std::vector<std::int64_t> edge_of_slot(edge_slot.size(), -1);
  for (std::size_t k = 0; k < edge_slot.size(); ++k) edge_of_slot[static_cast<std::size_t>(edge_slot[k])] =
      static_cast<std::int64_t>(k);
  ASSERT_EQ(static_cast<std::int64_t>(source.size()), g.nnz());
  for (std::int64_t j = 0; j < g.n; ++j) {
    const auto& row = want[static_cast<std::size_t>(j)];
    ASSERT_EQ(indptr[static_cast<std::size_t>(j) + 1] - indptr[static_cast<std::size_t>(j)],
              static_cast<std::int64_t>(row.size()));
    for (std::size_t q = 0; q < row.size(); ++q) {
      const auto at = static_cast<std::size_t>(indptr[static_cast<std::size_t>(j)]) + q;
      EXPECT_EQ(source[at], row[q].first) << "row " << j;
      EXPECT_EQ(edge_of_slot[static_cast<std::size_t>(in_slot[at])], row[q].second) << "row " << j;
    }
  }
  // The lanes: every row once, longest first, its sources in order.
  const kernels::SellChunks s = p.sell();
  ASSERT_EQ(s.chunks, (g.n + 7) / 8);
  const std::vector<std::int32_t> lanes = p.sell_source.to_host();
  ASSERT_EQ(static_cast<std::int64_t>(lanes.size()), s.offsets[s.chunks]);
  EXPECT_GT(static_cast<std::int64_t>(lanes.size()), g.nnz());  // padded
  EXPECT_EQ(s.rows[0], 7);  // the longest row comes first
  EXPECT_EQ(s.lengths[0], 335);
  std::vector<int> seen(static_cast<std::size_t>(g.n), 0);
  std::vector<char> used(lanes.size(), 0);
  for (std::int64_t c = 0; c < s.chunks; ++c) {
    ASSERT_EQ(s.offsets[c + 1] - s.offsets[c], 8 * std::int64_t{s.lengths[8 * c]});
    for (int l = 0; l < 8; ++l) {
      if (l > 0) EXPECT_LE(s.lengths[8 * c + l], s.lengths[8 * c + l - 1]);
      if (c > 0) EXPECT_LE(s.lengths[8 * c + l], s.lengths[8 * c - 8]);
      const std::int32_t j = s.rows[8 * c + l];
      if (j < 0) continue;
      ++seen[static_cast<std::size_t>(j)];
      const auto& row = want[static_cast<std::size_t>(j)];
      ASSERT_EQ(s.lengths[8 * c + l], static_cast<std::int32_t>(row.size())) << "row " << j;
      for (std::size_t q = 0; q < row.size(); ++q) {
        const auto pos = static_cast<std::size_t>(s.offsets[c] + 8 * static_cast<std::int64_t>(q) + l);
        EXPECT_EQ(lanes[pos], row[q].first) << "row " << j << " entry " << q;
        used[pos] = 1;
      }
    }
  }
  for (std::int64_t j = 0; j < g.n; ++j) EXPECT_EQ(seen[static_cast<std::size_t>(j)], 1) << "row " << j;
  for (std::size_t q = 0; q < used.size(); ++q)
    if (!used[q]) EXPECT_EQ(lanes[q], 0);
}

TEST(DynamicsSell, AStarKeepsCsrOnly) {
  // Everybody trusts agent 0: SELL would pad the 8 lanes of its chunk to 99.
  std::vector<std::tuple<int, int, float>> edges;
  for (int i = 1; i < 100; ++i) edges.emplace_back(i, 0, 1.f);
  const io::Graph g = graph_from_edges(100, edges);
  auto exec = std::make_shared<kernels::cpu::CpuExecutor>();
  const kernels::InPattern p = kernels::cpu::dyn_in_pattern(*exec, pattern_of(g));
  EXPECT_EQ(p.sell().chunks, 0);
  EXPECT_EQ(p.sell_source.size(), 0u);
  EXPECT_EQ(p.source.size(), 99u);
}

TEST(DynamicsSell, ValuesInTheLanesGiveTheCsrStepBitForBit) {
  // Cᵀ's values in CSR order (what dyn_tally writes), copied into the lanes:
  // the SELL-8 step equals the CSR step, gathering in float32 and in double.
  const io::Graph g = uneven_graph();
  const std::int64_t n = g.n;
  auto exec = std::make_shared<kernels::cpu::CpuExecutor>(2);
  const kernels::InPattern p = kernels::cpu::dyn_in_pattern(*exec, pattern_of(g));
  const kernels::SellChunks s = p.sell();
  ASSERT_GT(s.chunks, 0);
  std::mt19937 rng(3);
  std::vector<float> csr(static_cast<std::size_t>(g.nnz()));
  for (auto& v : csr) v = static_cast<float>(rng() % 1000000) * 1e-6f;
  std::vector<float> sell(p.sell_source.size(), -1.0f);
  kernels::cpu::to_sell_lanes(s, p.indptr.data(), csr.data(), sell.data());
  EXPECT_EQ(std::count(sell.begin(), sell.end(), -1.0f), 0);  // padding written as 0

  std::vector<double> t(static_cast<std::size_t>(n)), pre(static_cast<std::size_t>(n), 1.0 / static_cast<double>(n));
  for (auto& v : t) v = static_cast<double>(1 + rng() % 1000) / (500.0 * static_cast<double>(n));
  std::vector<float> t32(t.begin(), t.end());
  const std::vector<std::int32_t> dangling{650, 699};
  const kernels::CsrView ct_csr{n, n, g.nnz(), p.indptr.data(), p.source.data(), csr.data()};
  const kernels::CsrView ct_sell{n, n, static_cast<std::int64_t>(sell.size()), nullptr, p.sell_source.data(),
                                 sell.data()};
  for (const bool float32 : {false, true}) {
    std::vector<double> a(static_cast<std::size_t>(n)), b(static_cast<std::size_t>(n));
    std::vector<float> a32(static_cast<std::size_t>(n)), b32(static_cast<std::size_t>(n));
    const float* x = float32 ? t32.data() : nullptr;
    const double ra = kernels::cpu::eigentrust_step(*exec, ct_csr, dangling.data(), 2, pre.data(), 0.15, t.data(),
                                                    a.data(), {x, a32.data()});
    const double rb = kernels::cpu::eigentrust_step(*exec, ct_sell, dangling.data(), 2, pre.data(), 0.15, t.data(),
                                                    b.data(), {x, b32.data(), nullptr, nullptr, nullptr, {}, s});
    EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(double))) << "float32 gather " << float32;
    EXPECT_EQ(0, std::memcmp(a32.data(), b32.data(), a32.size() * sizeof(float))) << "float32 gather " << float32;
    EXPECT_EQ(ra, rb);
    EXPECT_GT(ra, 0.0);
  }
}

TEST(DynamicsSell, Float32GatherEndsAtTheFloat64FixedPoint) {
  io::CityParams city;
  city.agents = 2500;
  city.seed = 5;
  const io::Graph g = io::generate_city_graph(city);
  auto run = [&](bool float32_gather) {
    host::DynamicsParameters p;
    p.reward = 40.0;
    p.propagation.tolerance = 1e-12;
    p.propagation.float32_gather = float32_gather;
    host::Simulation sim(std::make_shared<kernels::cpu::CpuExecutor>(2), g, p, 9);
    std::vector<std::vector<std::uint8_t>> outcomes;
    std::vector<host::EpochMetrics> metrics;
    for (int e = 0; e < 3; ++e) {
      metrics.push_back(sim.run_epoch());
      outcomes.push_back(sim.last_outcomes());
    }
    return std::make_tuple(host::download(sim.state()), outcomes, metrics);
  };
  const auto [s32, o32, m32] = run(true);
  const auto [s64, o64, m64] = run(false);
  EXPECT_EQ(o32, o64);
  EXPECT_EQ(s32.strategy, s64.strategy);
  double l1 = 0.0;
  for (std::size_t i = 0; i < s64.trust.size(); ++i) l1 += std::fabs(s32.trust[i] - s64.trust[i]);
  EXPECT_LT(l1, 1e-10);
  // The option is in effect: the float32 iterations leave other bits.
  EXPECT_NE(0, std::memcmp(s32.trust.data(), s64.trust.data(), s64.trust.size() * sizeof(double)));
  for (std::size_t e = 0; e < m64.size(); ++e) {
    EXPECT_TRUE(m32[e].propagation_converged) << "epoch " << e + 1;
    EXPECT_LT(m32[e].propagation_residual, 1e-12);
  }
}
